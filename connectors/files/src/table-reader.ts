/**
 * One partner file → messages: finds its format, encoding, delimiter and layout, then maps its
 * rows one by one (`canonical-mapping.ts`), in bounded memory. Shared by the pull form (which
 * turns `position` events into checkpoints) and the push form (which has none).
 *
 * Ids are deterministic: `<mv|ss>-<hash of source and file>-<row>`, or, when the config maps
 * an `id` column, `<mv|ss>-<hash of source and id>`, so a file read again (after a lost state,
 * or re-sent with rows appended) replaces its records instead of doubling them. With an `id`
 * column, a row that repeats an earlier id is read once when it is an exact repeat (logged) and
 * refused as `HUB_ERR_MAPPING_DUPLICATE` when its content differs: which of the two is right
 * cannot be told.
 */
import { createHash } from 'node:crypto';
import { formatMessage, HubError } from '../../../core/errors/index.js';
import type { RecordError } from '../../sdk/connector.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import { type MappingOptions, mapRow, type SourceValue } from './canonical-mapping.js';
import { type CsvDialect, csvRows, sampleRows, sniffDelimiter } from './csv-reader.js';
import { type ConfiguredEncoding, decode, type FileEncoding, sniffEncoding } from './encoding.js';
import { type CanonicalType, fieldDefs } from './fields.js';
import {
  columnLetter,
  detectLayout,
  HEADER_SEARCH_ROWS,
  type HeadRow,
  isLayoutProblem,
  type Layout,
} from './layout.js';
import type { ByteSource } from './sources.js';
import { jsonCell } from './values.js';
import { looksLikeZip, WorkbookError, xlsxRows } from './xlsx-reader.js';

/** Bytes sniffed for encoding, delimiter and header. */
export const SAMPLE_BYTES = 64 * 1024;
/** Largest tail of a truncated file kept in its dead letter. */
const MAX_RAW_BYTES = 64 * 1024;

export interface TableOptions {
  readonly resourceType: CanonicalType;
  readonly format: 'auto' | 'csv' | 'xlsx';
  readonly encoding: ConfiguredEncoding;
  readonly delimiter: 'auto' | ',' | ';' | '\t' | '|';
  readonly sheet?: string;
  readonly headerRow?: number;
  readonly mapping: Readonly<Record<string, string | readonly string[]>>;
  /** Everything `mapRow` needs but the delimiter and encoding, which each file decides. */
  readonly mappingOptions: Omit<MappingOptions, 'delimiter' | 'encoding'>;
  /** Scopes the ids made from the file and row. */
  readonly namespace: string;
  /** Rows between two `position` events; `Infinity` for none. */
  readonly checkpointEvery: number;
  readonly signal?: AbortSignal;
}

/** Where a read of a file stands: rows done, and (CSV) the byte offset after the last. */
export interface Position {
  readonly row: number;
  readonly offset?: number;
}

export type TableEvent = StreamMessage | { readonly type: 'position'; readonly position: Position };

interface Format {
  readonly kind: 'csv' | 'xlsx';
  readonly dialect?: CsvDialect;
  readonly fellBack?: boolean;
  readonly head: readonly HeadRow[];
}

const pointerOf = (key: string) => `/values/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function unreadable(file: string, format: string, reason: string): HubError {
  return new HubError('HUB_ERR_FILES_UNREADABLE', { file, format, reason });
}

async function detectFormat(source: ByteSource, options: TableOptions): Promise<Format> {
  const sample = await source.read(0, SAMPLE_BYTES);
  const whole = sample.length >= source.size;
  const xlsx =
    options.format === 'xlsx' || (options.format === 'auto' && (/\.xlsx$/i.test(source.name) || looksLikeZip(sample)));
  if (xlsx) {
    if (!looksLikeZip(sample)) {
      throw unreadable(
        source.name,
        'XLSX',
        sample.length === 0 ? 'the file is empty' : 'not a valid zip archive (an .xlsx file is one)',
      );
    }
    const head: HeadRow[] = [];
    try {
      for await (const r of xlsxRows(source, options.sheet)) {
        head.push(r);
        if (r.row >= HEADER_SEARCH_ROWS) break;
      }
    } catch (err) {
      if (err instanceof WorkbookError) throw unreadable(source.name, 'XLSX', err.message);
      throw err;
    }
    return { kind: 'xlsx', head };
  }
  if (sample.length === 0) throw unreadable(source.name, 'CSV', 'the file is empty');
  const enc = sniffEncoding(sample, options.encoding, whole);
  const start = enc.bom ? 3 : 0;
  const delimiter =
    options.delimiter === 'auto' ? sniffDelimiter(decode(sample.subarray(start), enc.encoding)) : options.delimiter;
  const dialect: CsvDialect = { encoding: enc.encoding, delimiter };
  return {
    kind: 'csv',
    dialect,
    fellBack: enc.fellBack,
    head: sampleRows(sample, dialect, whole, HEADER_SEARCH_ROWS),
  };
}

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `"${d}"`;
}

/**
 * Reads `source` from `from` on. Throws a `HubError` of kind `data` (`HUB_ERR_FILES_UNREADABLE`,
 * `HUB_ERR_FILES_COLUMNS_MISSING`) when the file as a whole cannot be read; for a workbook cut
 * short, after yielding the rows before the cut.
 */
export async function* readTable(
  source: ByteSource,
  options: TableOptions,
  from: Position = { row: 0 },
): AsyncGenerator<TableEvent> {
  const format = await detectFormat(source, options);
  const defs = fieldDefs(options.resourceType);
  const defaulted = new Set(Object.keys(options.mappingOptions.defaults));
  const layout = detectLayout(format.head, {
    fields: defs,
    mapping: options.mapping,
    defaulted,
    ...(options.headerRow === undefined ? {} : { headerRow: options.headerRow }),
  });
  if (isLayoutProblem(layout)) {
    throw new HubError(
      'HUB_ERR_FILES_COLUMNS_MISSING',
      { file: source.name, fields: layout.missing.join(', '), rows: HEADER_SEARCH_ROWS },
      layout.bestRow === undefined
        ? {}
        : { detail: `closest: row ${layout.bestRow} with columns ${layout.bestHeaders?.join(' | ')}` },
    );
  }

  const dialect = format.dialect;
  const encoding: FileEncoding | undefined = dialect?.encoding;
  const mapping: MappingOptions = {
    ...options.mappingOptions,
    delimiter: dialect?.delimiter ?? '\t',
    ...(encoding === 'utf-8' ? { encoding: 'UTF-8' } : {}),
  };
  if (from.row === 0) yield* describeLayout(source, format, layout);

  const fileKey = createHash('sha256')
    .update(`${options.namespace}\u0000${source.name}\u0000${options.sheet ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  const prefix = options.resourceType === 'StockSnapshot' ? 'ss' : 'mv';
  const idMapped = layout.fields.has('id');
  const seen = idMapped ? new Map<string, { row: number; digest: string }>() : undefined;
  const repeats: number[] = [];
  const counts = { records: 0, refused: 0 };
  const columns = layout.columns;
  const fieldEntries = [...layout.fields].map(([field, col]) => [field, col.index, pointerOf(col.key)] as const);

  /** The messages of one data row; `undefined` for an empty row. */
  const mapOne = (row: number, cells: readonly unknown[]): StreamMessage | undefined => {
    let empty = true;
    for (const c of cells) {
      if (c !== null && c !== undefined && !(typeof c === 'string' && c.trim() === '')) {
        empty = false;
        break;
      }
    }
    if (empty) return undefined;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < cells.length; i++) {
      const key = i < columns.length ? (columns[i] as { key: string }).key : columnLetter(i);
      const v = cells[i];
      if (i >= columns.length && (v === null || v === '')) continue;
      values[key] = typeof v === 'string' ? v : jsonCell(v);
    }
    const payload = {
      file: source.name,
      ...(options.sheet === undefined ? {} : { sheet: options.sheet }),
      row,
      values,
    };
    const sourceId = `${source.name}#${row}`;
    const byField = new Map<string, SourceValue>();
    for (const [field, index, pointer] of fieldEntries) byField.set(field, { value: cells[index] ?? null, pointer });
    const result = mapRow(
      { cells: byField, record: `row ${row} of ${source.name}`, fallbackId: `${prefix}-${fileKey}-${row}` },
      mapping,
    );
    if (!result.ok) {
      counts.refused++;
      return {
        type: 'invalid',
        sourceId,
        resourceType: options.resourceType,
        payload,
        errors: result.errors,
      };
    }
    if (seen) {
      const digest = createHash('sha1').update(JSON.stringify(result.record)).digest('base64');
      const first = seen.get(result.record.id);
      if (first) {
        if (first.digest === digest) {
          repeats.push(row);
          return undefined;
        }
        counts.refused++;
        const pointer = (byField.get('id') as SourceValue).pointer;
        const error: RecordError = {
          pointer,
          code: 'HUB_ERR_MAPPING_DUPLICATE',
          message: formatMessage('HUB_ERR_MAPPING_DUPLICATE', {
            record: `row ${row} of ${source.name}`,
            pointer,
            key: JSON.stringify(values[layout.fields.get('id')?.key ?? ''] ?? ''),
            first: `row ${first.row}`,
          }),
        };
        return { type: 'invalid', sourceId, resourceType: options.resourceType, payload, errors: [error] };
      }
      seen.set(result.record.id, { row, digest });
    }
    counts.records++;
    return { type: 'record', data: result.record, sourceId, sourcePayload: payload };
  };

  const rows = (resumeAt: Position) => dataRows(source, format, resumeAt, options.sheet);

  // A resumed read with an id column first replays the ids of the rows already done, so that a
  // repeat across the resume point is still caught.
  if (seen && from.row > layout.dataAfter) {
    replay: for await (const { events } of rows({ row: 0 })) {
      for (const e of events) {
        if (e.row > from.row) break replay;
        if (e.kind === 'row' && e.row > layout.dataAfter) mapOne(e.row, e.cells);
      }
    }
    counts.records = 0;
    counts.refused = 0;
    repeats.length = 0;
  }

  const every = options.checkpointEvery;
  const tenth = source.size / 10;
  let nextProgress = source.size >= 1 << 20 ? tenth : Number.POSITIVE_INFINITY;
  let sinceCheckpoint = 0;
  let lastRow = from.row;
  try {
    for await (const { events, bytes } of rows(from)) {
      for (const e of events) {
        lastRow = e.row;
        if (e.kind === 'bad') {
          counts.refused++;
          yield await badRow(source, e, encoding ?? 'utf-8', options.resourceType);
        } else if (e.row > layout.dataAfter) {
          const m = mapOne(e.row, e.cells);
          if (m) yield m;
        }
        if (++sinceCheckpoint >= every && e.kind === 'row') {
          sinceCheckpoint = 0;
          yield { type: 'position', position: e.end === undefined ? { row: e.row } : { row: e.row, offset: e.end } };
          if (options.signal?.aborted) return;
        }
      }
      if (bytes >= nextProgress) {
        while (nextProgress <= bytes) nextProgress += tenth;
        yield {
          type: 'log',
          level: 'info',
          message: `${source.name}: ${Math.floor((100 * bytes) / source.size)} % read (${formatBytes(bytes)} of ${formatBytes(source.size)}), row ${lastRow}`,
        };
      }
    }
  } catch (err) {
    if (err instanceof WorkbookError) {
      throw unreadable(source.name, 'XLSX', `${err.message}; rows up to ${Math.max(lastRow, err.afterRow)} were read`);
    }
    throw err;
  }
  if (repeats.length > 0) {
    yield {
      type: 'log',
      level: 'warn',
      message: `${source.name}: ${repeats.length} row(s) repeat an earlier row exactly (same id, same content) and were read once: rows ${repeats.slice(0, 20).join(', ')}${repeats.length > 20 ? ', …' : ''}`,
    };
  }
  yield {
    type: 'log',
    level: 'info',
    message: `${source.name}: done at row ${lastRow}; ${counts.records} record(s), ${counts.refused} row(s) refused${from.row > 0 ? ` (resumed after row ${from.row})` : ''}`,
  };
}

function* describeLayout(source: ByteSource, format: Format, layout: Layout): Generator<StreamMessage> {
  const how =
    format.kind === 'csv' && format.dialect
      ? `CSV, ${format.dialect.encoding === 'utf-8' ? 'UTF-8' : 'Windows-1252'}, ${describeDelimiter(format.dialect.delimiter)} delimited`
      : 'XLSX';
  if (format.fellBack) {
    yield {
      type: 'log',
      level: 'warn',
      message: `${source.name}: not valid UTF-8 in its first ${formatBytes(SAMPLE_BYTES)}; read as Latin-1 (Windows-1252)`,
    };
  }
  const where = [
    layout.headerRow > 0 ? `header at row ${layout.headerRow}` : 'no header row',
    layout.hashtagRow > 0 ? `HXL hashtags at row ${layout.hashtagRow}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const fields = [...layout.fields].map(([f, c]) => `${f} ← ${JSON.stringify(c.key)}`).join(', ');
  yield {
    type: 'log',
    level: 'info',
    message: `${source.name}: ${how} (${formatBytes(source.size)}); ${where}; ${fields}`,
  };
  if (layout.unmatched.length > 0) {
    yield {
      type: 'log',
      level: 'warn',
      message: `${source.name}: no column matches the mapping of ${layout.unmatched.join(', ')}`,
    };
  }
}

type DataEvent =
  | { kind: 'row'; row: number; cells: readonly unknown[]; end?: number }
  | { kind: 'bad'; row: number; start: number; truncated: boolean; reason: string; end?: undefined };

/** The rows after `from`, in batches, whatever the format, and how far the read is (bytes). */
async function* dataRows(
  source: ByteSource,
  format: Format,
  from: Position,
  sheet: string | undefined,
): AsyncGenerator<{ events: readonly DataEvent[]; bytes: number }> {
  if (format.kind === 'csv') {
    const start = from.offset === undefined ? { row: 0, offset: 0 } : { row: from.row, offset: from.offset };
    let bytes = start.offset;
    for await (const batch of csvRows(source.open(start.offset), format.dialect as CsvDialect, start)) {
      const last = batch[batch.length - 1] as DataEvent;
      bytes = last.kind === 'row' ? (last.end ?? bytes) : last.start;
      const events = start.row === from.row ? batch : batch.filter((e) => e.row > from.row);
      yield { events, bytes };
    }
    return;
  }
  // Progress: how far into the sheet's XML, scaled to the file's size (the zip is compressed).
  let read = 0;
  const onBytes = (fraction: number) => {
    read = Math.round(fraction * source.size);
  };
  for await (const r of xlsxRows(source, sheet, onBytes)) {
    if (r.row <= from.row) continue;
    yield { events: [{ kind: 'row', row: r.row, cells: r.cells }], bytes: read };
  }
}

/** A row the CSV parser could not read: refused with what can be kept of it. */
async function badRow(
  source: ByteSource,
  e: { row: number; start: number; truncated: boolean; reason: string },
  encoding: FileEncoding,
  resourceType: string,
): Promise<StreamMessage> {
  const record = `row ${e.row} of ${source.name}`;
  const payload: Record<string, unknown> = { file: source.name, row: e.row };
  if (e.truncated) {
    const tail = await source.read(e.start, MAX_RAW_BYTES);
    payload.raw = decode(tail, encoding);
    if (e.start + tail.length < source.size) payload.rawTruncatedAt = MAX_RAW_BYTES;
  }
  const code = e.truncated ? 'HUB_ERR_FILES_TRUNCATED' : 'HUB_ERR_FILES_ROW_UNREADABLE';
  return {
    type: 'invalid',
    sourceId: `${source.name}#${e.row}`,
    resourceType,
    payload,
    errors: [{ pointer: '', code, message: formatMessage(code, { record, reason: e.reason }) }],
  };
}
