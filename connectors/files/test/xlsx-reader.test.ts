import { readFileSync, statSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { bufferSource, fileSource } from '../src/sources.js';
import { xlsxRows } from '../src/xlsx-reader.js';

const FIXTURE = new URL('./fixtures/marrakech-safi-mouvements-2025-02.xlsx', import.meta.url).pathname;

async function rows(source: Parameters<typeof xlsxRows>[0], sheet?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of xlsxRows(source, sheet)) out.push(`${r.row}:${JSON.stringify(r.cells)}`);
  return out;
}

describe('xlsx reader', () => {
  it('reads a sheet by name the same way every time, though xl/workbook.xml is stored last', async () => {
    // exceljs stores the workbook's own parts after the sheets; its single streaming pass
    // sometimes ends before them (exceljs #3064). Reading by the central directory does not.
    const size = statSync(FIXTURE).size;
    const first = await rows(fileSource(FIXTURE, 'm.xlsx', size), 'Mouvements');
    expect(first.length).toBeGreaterThan(3);
    for (let i = 0; i < 15; i++) {
      expect(await rows(fileSource(FIXTURE, 'm.xlsx', size), 'Mouvements')).toEqual(first);
      expect(await rows(bufferSource(readFileSync(FIXTURE), 'm.xlsx'), 'Mouvements')).toEqual(first);
    }
  });

  it('picks the named sheet among several, and names the sheets when the name is wrong', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Notes').addRow(['lisez-moi']);
    const data = wb.addWorksheet('Données');
    data.addRow(['a', 'b']);
    data.addRow([1, 2]);
    const body = Buffer.from(await wb.xlsx.writeBuffer());
    for (let i = 0; i < 10; i++) {
      expect(await rows(bufferSource(body, 'w.xlsx'), 'Données')).toEqual(['1:["a","b"]', '2:[1,2]']);
      expect(await rows(bufferSource(body, 'w.xlsx'))).toEqual(['1:["lisez-moi"]']);
    }
    await expect(rows(bufferSource(body, 'w.xlsx'), 'Stock')).rejects.toThrow(
      'no worksheet named "Stock" (worksheets: Notes, Données)',
    );
  });
});
