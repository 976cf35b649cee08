/**
 * XLSX rows, streamed with exceljs's `WorkbookReader` parts (shared strings and styles are kept
 * in memory, rows are not). exceljs is loaded on first use, so a hub that reads no workbook never
 * pays for it.
 *
 * The zip is opened through its central directory (unzipper's `Open`), and the workbook, its
 * relations, shared strings and styles are parsed BEFORE the sheet. exceljs's own single streaming
 * pass does not do this reliably: writers (exceljs among them) store `xl/workbook.xml` last, and
 * that pass sometimes ends before delivering it, so the sheet is parsed without the workbook's
 * model and fails at random (exceljs issue #3064; it failed this project's CI once). A workbook
 * cut short has no central directory: it is read by that single pass, up to the cut.
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

/** One entry of a zip's central directory (the part of unzipper's API used here). */
export interface ZipEntry {
  readonly path: string;
  readonly uncompressedSize: number;
  stream(): Readable;
}

/** A workbook's bytes: as a stream from the start, and as a zip's central directory. */
export interface WorkbookSource {
  open(offset: number): Readable;
  /** The zip's entries; rejects when the zip has no readable central directory. */
  directory(): Promise<readonly ZipEntry[]>;
}

/** The parts of exceljs's `WorkbookReader` that parse one zip entry each (exceljs 4.4.0, pinned). */
interface WorkbookParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(entry: Readable, sheetNo: string): Generator<{ value: AsyncIterable<ExcelRow> & { name?: string } }>;
}

interface ExcelRow {
  readonly number: number;
  readonly values: unknown;
}

const READER_OPTIONS = {
  worksheets: 'emit',
  sharedStrings: 'cache',
  styles: 'cache',
  hyperlinks: 'ignore',
  entries: 'ignore',
} as const;

/**
 * The rows of one sheet of the workbook: `sheet` by name, else the first. Throws a
 * `WorkbookError` for a workbook it cannot read; rows yielded before it stand. `onBytes` hears
 * roughly how far into the file the reading is, for progress lines.
 */
export async function* xlsxRows(
  source: WorkbookSource,
  sheet: string | undefined,
  onBytes?: (uncompressedFraction: number) => void,
): AsyncGenerator<{ readonly row: number; readonly cells: unknown[] }> {
  let entries: readonly ZipEntry[] | undefined;
  try {
    entries = await source.directory();
  } catch {
    entries = undefined;
  }
  if (entries === undefined) {
    yield* streamedRows(source.open(0), sheet);
    return;
  }
  yield* directoryRows(entries, sheet, onBytes);
}

function sheetNumber(path: string): number | undefined {
  const m = /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

function rowCells(row: ExcelRow): unknown[] {
  const values = row.values as unknown[];
  // exceljs rows are 1-based sparse arrays.
  return Array.from({ length: Math.max(0, values.length - 1) }, (_, i) => values[i + 1] ?? null);
}

async function* directoryRows(
  entries: readonly ZipEntry[],
  sheet: string | undefined,
  onBytes: ((fraction: number) => void) | undefined,
): AsyncGenerator<{ readonly row: number; readonly cells: unknown[] }> {
  const ExcelJS = await loadExcelJs();
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(
    undefined as unknown as Readable,
    READER_OPTIONS,
  ) as unknown as WorkbookParts;
  let last = 0;
  const seen: string[] = [];
  try {
    const rels = byPath.get('xl/_rels/workbook.xml.rels');
    const workbook = byPath.get('xl/workbook.xml');
    if (rels === undefined || workbook === undefined) {
      throw new WorkbookError('not a workbook: the zip has no xl/workbook.xml and its relations', 0);
    }
    await reader._parseRels(rels.stream());
    await reader._parseWorkbook(workbook.stream());
    const shared = byPath.get('xl/sharedStrings.xml');
    if (shared) for await (const _ of reader._parseSharedStrings(shared.stream())) void _;
    const styles = byPath.get('xl/styles.xml');
    if (styles) await reader._parseStyles(styles.stream());
    const sheets = entries
      .flatMap((e) => {
        const n = sheetNumber(e.path);
        return n === undefined ? [] : [{ n, entry: e }];
      })
      .sort((a, b) => a.n - b.n);
    for (const { n, entry } of sheets) {
      let consumed = 0;
      const stream = entry.stream();
      if (onBytes && entry.uncompressedSize > 0) {
        stream.on('data', (chunk: Buffer) => {
          consumed += chunk.length;
          onBytes(Math.min(1, consumed / entry.uncompressedSize));
        });
      }
      const ws = reader._parseWorksheet(stream, String(n)).next().value?.value;
      const name = String(ws?.name ?? `Sheet${seen.length + 1}`);
      seen.push(name);
      if (ws === undefined || (sheet !== undefined && name !== sheet)) {
        stream.destroy();
        continue;
      }
      for await (const row of ws) {
        last = row.number;
        yield { row: row.number, cells: rowCells(row) };
      }
      return;
    }
  } catch (err) {
    if (err instanceof WorkbookError) throw err;
    throw new WorkbookError(reasonOf(err), last);
  }
  throw new WorkbookError(
    seen.length === 0
      ? 'the workbook has no worksheet'
      : `no worksheet named ${JSON.stringify(sheet)} (worksheets: ${seen.join(', ')})`,
    last,
  );
}

/** exceljs's single streaming pass: for a workbook cut short, which has no central directory. */
async function* streamedRows(
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
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, READER_OPTIONS);
  const seen: string[] = [];
  let found = false;
  try {
    for await (const ws of reader) {
      const name = String((ws as unknown as { name?: string }).name ?? `Sheet${seen.length + 1}`);
      seen.push(name);
      const wanted = !found && (sheet === undefined || name === sheet);
      for await (const row of ws) {
        if (!wanted) continue;
        last = row.number;
        yield { row: row.number, cells: rowCells(row as unknown as ExcelRow) };
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
