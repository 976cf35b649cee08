/**
 * CSV rows, streamed with `csv-parse` in bounded memory, each with its row number and the byte
 * offset where it ends, so that a resumed read can seek straight past the rows already done.
 *
 * Rows are numbered as a spreadsheet numbers them: 1 is the first row of the file (empty rows
 * count), whatever line breaks quoted cells hold. The parser tolerates stray quotes inside
 * unquoted cells and rows longer or shorter than the header; a row it still cannot parse (an
 * unclosed quote at the end of the file, a row over `MAX_ROW_CHARS`) is reported, not dropped,
 * and the rows after it are still read.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { type FileEncoding, fixWindows1252 } from './encoding.js';
import type { HeadRow } from './layout.js';

/** A row longer than this (in characters) is refused: usually an unclosed quote swallowing the file. */
export const MAX_ROW_CHARS = 1 << 20;

export type ConfiguredDelimiter = 'auto' | ',' | ';' | '\t' | '|';
const CANDIDATES = [';', ',', '\t', '|'] as const;

export interface CsvDialect {
  readonly encoding: FileEncoding;
  readonly delimiter: string;
}

export type CsvEvent =
  | { readonly kind: 'row'; readonly row: number; readonly cells: string[]; readonly end?: number }
  | {
      readonly kind: 'bad';
      readonly row: number;
      /** Byte offset where the bad row starts (the end of the row before it). */
      readonly start: number;
      /** The file ends inside this row. */
      readonly truncated: boolean;
      readonly reason: string;
    };

/** Delimiters per line of `text`, outside quotes, for the first `maxLines` lines. */
function counts(text: string, delimiter: string, maxLines: number): number[] {
  const out: number[] = [];
  let n = 0;
  let quoted = false;
  for (let i = 0; i < text.length && out.length < maxLines; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === delimiter) n++;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (c === '\r' && text[i + 1] === '\n') i++;
      out.push(n);
      n = 0;
    }
  }
  if (out.length < maxLines && n > 0) out.push(n);
  return out;
}

/**
 * The field delimiter of a sample: of `;`, `,`, tab and `|`, the one whose count per line is
 * the same on most lines (title lines aside), the larger count breaking ties. A `;` file with
 * decimal commas thus stays a `;` file: its `;` are regular, its commas are not.
 */
export function sniffDelimiter(text: string): string {
  let best: { d: string; lines: number; per: number } = { d: ',', lines: 0, per: 0 };
  for (const d of CANDIDATES) {
    const perLine = counts(text, d, 50).filter((n) => n > 0);
    if (perLine.length === 0) continue;
    const freq = new Map<number, number>();
    for (const n of perLine) freq.set(n, (freq.get(n) ?? 0) + 1);
    let mode = 0;
    let lines = 0;
    for (const [n, k] of freq) if (k > lines || (k === lines && n > mode)) [mode, lines] = [n, k];
    if (lines > best.lines || (lines === best.lines && mode > best.per)) best = { d, lines, per: mode };
  }
  return best.d;
}

function parserOptions(dialect: CsvDialect, bom: boolean): Options {
  return {
    delimiter: dialect.delimiter,
    encoding: dialect.encoding === 'utf-8' ? 'utf8' : 'latin1',
    bom,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_CHARS,
  };
}

function fix(cells: string[], encoding: FileEncoding): string[] {
  if (encoding === 'utf-8') return cells;
  for (let i = 0; i < cells.length; i++) cells[i] = fixWindows1252(cells[i] as string);
  return cells;
}

/** The first `max` complete rows of a sample (the first bytes of a file). */
export function sampleRows(sample: Buffer, dialect: CsvDialect, whole: boolean, max: number): HeadRow[] {
  const records = parseSync(sample, {
    ...parserOptions(dialect, true),
    to: max + 1,
    info: true,
    on_skip: () => undefined,
  }) as unknown as { record: string[]; info: { bytes: number } }[];
  const rows: HeadRow[] = [];
  for (const [i, r] of records.entries()) {
    // The last row of a sample that is not the whole file may be cut short.
    if (!whole && r.info.bytes >= sample.length) break;
    if (rows.length >= max) break;
    rows.push({ row: i + 1, cells: fix(r.record, dialect.encoding) });
  }
  return rows;
}

/**
 * The rows of `input` (the file from byte `from.offset` on), numbered from `from.row + 1`, in
 * batches: the parser is fed a chunk at a time and hands over the rows it completed. Offsets
 * are absolute when `from.offset` is the offset `input` starts at.
 */
export async function* csvRows(
  input: Readable,
  dialect: CsvDialect,
  from: { readonly row: number; readonly offset: number },
): AsyncGenerator<CsvEvent[]> {
  let out: CsvEvent[] = [];
  let row = from.row;
  let end = from.offset;
  let failed: unknown;
  // The parser hands a row over from inside `write`, right after it has counted the row's
  // bytes: its running `info.bytes` is then where the row ends. (Its `info: true` option gives
  // the same, at the cost of an object per row.) A row handed over later, outside `write`,
  // gets no offset, and a resume from it re-reads the file up to its row instead.
  let feeding = false;
  // Rows and skipped rows land in one list, in the order the parser meets them.
  const parser = parse({
    ...parserOptions(dialect, from.offset === 0),
    on_skip: (err) => {
      const e = err as Error & { code?: string };
      const truncated = e.code === 'CSV_QUOTE_NOT_CLOSED';
      row++;
      out.push({
        kind: 'bad',
        row,
        start: end,
        truncated,
        reason: truncated ? 'a quoted cell is not closed' : e.message,
      });
    },
  });
  parser.on('data', (record: string[]) => {
    row++;
    if (feeding) {
      end = from.offset + parser.info.bytes;
      out.push({ kind: 'row', row, cells: fix(record, dialect.encoding), end });
    } else out.push({ kind: 'row', row, cells: fix(record, dialect.encoding) });
  });
  parser.on('error', (err) => {
    failed = err;
  });
  const take = (): CsvEvent[] => {
    const batch = out;
    out = [];
    return batch;
  };
  try {
    for await (const chunk of input) {
      feeding = true;
      parser.write(chunk);
      feeding = false;
      if (failed !== undefined) throw failed;
      if (out.length > 0) yield take();
    }
    feeding = true;
    parser.end();
    feeding = false;
    await finished(parser);
    if (failed !== undefined) throw failed;
    if (out.length > 0) yield take();
  } finally {
    input.destroy();
    parser.destroy();
  }
}
