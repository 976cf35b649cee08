import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RecordResult, validateFile, validateText } from './validate-file.js';

const lot = (id: string, extra: object = {}) => ({
  resourceType: 'Lot',
  id,
  product: { reference: 'Product/eau-minerale-1-5l' },
  lotNumber: id.toUpperCase(),
  ...extra,
});

const summary = (results: readonly RecordResult[]) =>
  results.map((r) => [r.index, r.line, r.valid, r.valid ? [] : r.errors.map((e) => `${e.pointer} ${e.code}`)]);

const dir = mkdtempSync(join(tmpdir(), 'hub-validate-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validateText', () => {
  it('reads a pretty-printed JSON array and gives each element its line', () => {
    const text = JSON.stringify([lot('a'), lot('b', { expiry: '2024-01-01', manufactured: '2024-06-01' }), 7], null, 2);
    expect(summary(validateText('Lot', text))).toEqual([
      [0, 2, true, []],
      [1, 10, false, ['/expiry HUB_ERR_MODEL_LOT_DATES']],
      [2, 20, false, [' HUB_ERR_MODEL_SCHEMA']],
    ]);
    expect(text.split('\n')[9]).toBe('  {');
    expect(text.split('\n')[19]).toBe('  7');
  });

  it('reads one resource, even spread over lines and after a byte-order mark', () => {
    expect(summary(validateText('Lot', `\uFEFF\n\n${JSON.stringify(lot('a'), null, 2)}`))).toEqual([[0, 3, true, []]]);
  });

  it('reads NDJSON, goes on after a bad line, and skips blank lines', () => {
    const text = [
      JSON.stringify(lot('a')),
      '',
      '{"resourceType": "Lot", ',
      JSON.stringify(lot('b', { gtin: '123' })),
      JSON.stringify(lot('c')),
    ].join('\n');
    const results = validateText('Lot', text);
    expect(summary(results)).toEqual([
      [0, 1, true, []],
      [1, 3, false, [' HUB_ERR_MODEL_JSON']],
      [2, 4, false, ['/gtin HUB_ERR_MODEL_SCHEMA']],
      [3, 5, true, []],
    ]);
    expect(results[2]?.id).toBe('b');
  });

  it('validates each record by its own resourceType when no type is given', () => {
    const text = [JSON.stringify(lot('a')), JSON.stringify({ resourceType: 'Patient', id: 'p' })].join('\n');
    expect(summary(validateText(undefined, text))).toEqual([
      [0, 1, true, []],
      [1, 2, false, ['/resourceType HUB_ERR_MODEL_UNKNOWN_RESOURCE']],
    ]);
  });

  it('reports a broken element of a JSON array, and validates the others', () => {
    const text = `[\n  ${JSON.stringify(lot('a'))},\n  {"b": },\n  ${JSON.stringify(lot('c', { gtin: '1' }))}\n]`;
    expect(summary(validateText('Lot', text))).toEqual([
      [0, 2, true, []],
      [1, 3, false, [' HUB_ERR_MODEL_JSON']],
      [2, 4, false, ['/gtin HUB_ERR_MODEL_SCHEMA']],
    ]);
    expect(summary(validateText('Lot', '[\n  {"a": "unclosed}\n]'))).toEqual([[0, 1, false, [' HUB_ERR_MODEL_JSON']]]);
    expect(summary(validateText('Lot', '[{"a": 1}] trailing'))).toEqual([[0, 1, false, [' HUB_ERR_MODEL_JSON']]]);
    expect(validateText('Lot', ' \n ')).toEqual([]);
    expect(validateText('Lot', '[]')).toEqual([]);
  });
});

describe('validateFile', () => {
  it('streams NDJSON of any size, line by line', async () => {
    const path = join(dir, 'lots.ndjson');
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify(lot(`l${i}`, i % 1000 === 7 ? { expiry: '2024-13-01' } : {})),
    );
    writeFileSync(path, `\uFEFF${lines.join('\r\n')}\r\n`);
    const bad: RecordResult[] = [];
    let count = 0;
    for await (const r of validateFile('Lot', path)) {
      count++;
      if (!r.valid) bad.push(r);
    }
    expect(count).toBe(5000);
    expect(bad.map((r) => [r.index, r.line, r.id])).toEqual(
      [7, 1007, 2007, 3007, 4007].map((i) => [i, i + 1, `l${i}`]),
    );
  });

  it('reads a JSON array file whole', async () => {
    const path = join(dir, 'lots.json');
    writeFileSync(path, JSON.stringify([lot('a'), lot('b')], null, 2));
    const results = [];
    for await (const r of validateFile('Lot', path)) results.push(r);
    expect(summary(results)).toEqual([
      [0, 2, true, []],
      [1, 10, true, []],
    ]);
  });
});
