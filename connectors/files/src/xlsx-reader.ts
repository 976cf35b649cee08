/**
 * XLSX rows, streamed with exceljs's `WorkbookReader` (the zip is read as a stream, each sheet
 * parsed as it comes; shared strings and styles are kept in memory, rows are not). exceljs is
 * loaded on first use, so a hub that reads no workbook never pays for it.
 *
 * Cells come as exceljs gives them: text, numbers, `Date`s (wall-clock time, stored as UTC),
 * booleans, `{ formula, result }`, rich text, hyperlinks. Rows are the sheet's own row numbers;
 * empty rows are not reported.
 */
import type { Readable } from 'node:stream';

/** Why a workbook cannot be read as a whole (not a zip, cut short, no such sheet). */
export class WorkbookError extends Error {
  constructor(
    message: string,
    /** Rows already read before the error (a workbook cut short). */
    readonly afterRow: number,
  ) {
    super(message);
    this.name = 'WorkbookError';
  }
}

type ExcelJs = typeof import('exceljs');
let excel: Promise<ExcelJs> | undefined;

function loadExcelJs(): Promise<ExcelJs> {
  excel ??= import('exceljs').then((m) => ((m as { default?: ExcelJs }).default ?? m) as ExcelJs);
  return excel;
}

/** The zip's local file header signature: `PK\x03\x04`. */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function reasonOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  if (/FILE_ENDED|unexpected end|end of (central )?directory|Z_BUF_ERROR|unexpected eof/i.test(m)) {
    return `the file is cut short (${m})`;
  }
  if (/invalid signature/i.test(m)) return `not a valid zip archive (${m})`;
  return m;
}

/**
 * The rows of one sheet of the workbook in `input`: `sheet` by name, else the first. Throws a
 * `WorkbookError` for a workbook it cannot read; rows yielded before it stand.
 */
export async function* xlsxRows(
  input: Readable,
  sheet: string | undefined,
): AsyncGenerator<{ readonly row: number; readonly cells: unknown[] }> {
  const ExcelJS = await loadExcelJs();
  let last = 0;
  // The reader does not always pass on an error of its source stream: keep it to rethrow.
  let inputError: unknown;
  input.on('error', (err) => {
    inputError = err;
  });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const seen: string[] = [];
  let found = false;
  try {
    for await (const ws of reader) {
      const name = String((ws as unknown as { name?: string }).name ?? `Sheet${seen.length + 1}`);
      seen.push(name);
      const wanted = !found && (sheet === undefined || name === sheet);
      for await (const row of ws) {
        if (!wanted) continue;
        const values = row.values as unknown[];
        // exceljs rows are 1-based sparse arrays.
        const cells = Array.from({ length: Math.max(0, values.length - 1) }, (_, i) => values[i + 1] ?? null);
        last = row.number;
        yield { row: row.number, cells };
      }
      if (wanted) {
        found = true;
        break;
      }
    }
  } catch (err) {
    if (err instanceof WorkbookError) throw err;
    throw new WorkbookError(reasonOf(inputError ?? err), last);
  } finally {
    input.destroy();
  }
  if (inputError !== undefined) throw new WorkbookError(reasonOf(inputError), last);
  if (!found) {
    throw new WorkbookError(
      seen.length === 0
        ? 'the workbook has no worksheet'
        : `no worksheet named ${JSON.stringify(sheet)} (worksheets: ${seen.join(', ')})`,
      last,
    );
  }
}
