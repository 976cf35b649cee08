/**
 * `GET /v1/exports/{dataset}` (issue 6 §4): a dataset streamed as an Apache Arrow IPC stream,
 * NDJSON or CSV, chosen by `Accept` (or `?format=`), with the filters of the matching list.
 *
 * Memory stays bounded for any size: the warehouse is read one chunk (~64k rows) at a time
 * (`ExportQuery`), each chunk is encoded and handed to a byte stream whose buffer is ~1 MiB,
 * and the next chunk is read only once the client has taken the previous one (Node stream
 * backpressure down to TCP). A failure after the first byte cannot become a problem document
 * any more: the connection is cut, so the client sees a truncated body (an Arrow stream then
 * lacks its end-of-stream marker; NDJSON and CSV a final newline-terminated line count).
 */
import { Readable } from 'node:stream';
import {
  AsyncByteQueue,
  type Data,
  type DataType,
  Dictionary,
  Field,
  Float64,
  Int8,
  Int16,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  type Vector,
} from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import {
  type ColumnarExportColumn,
  type ColumnarExportQuery,
  type ColumnarExportStream,
  EXPORT_DATASETS,
  EXPORT_FILTERS,
  type ExportChunk,
  type ExportColumn,
  type ExportDataset,
  type ExportFilter,
  type ExportQuery,
  type ExportStream,
  type ExportVector,
} from '../../core/ports/index.js';
import { badRequest, problemSchema } from '../problems.js';

export type ExportFormat = 'arrow' | 'ndjson' | 'csv';

export const EXPORT_MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = {
  arrow: 'application/vnd.apache.arrow.stream',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};

const EXTENSIONS: Readonly<Record<ExportFormat, string>> = { arrow: 'arrows', ndjson: 'ndjson', csv: 'csv' };

/**
 * The format for an `Accept` header (RFC 9110 §12.5.1: media ranges with q-values; the first
 * of equal preference wins; `*∕*` or no header means NDJSON), or undefined when none is acceptable.
 */
export function negotiateExport(accept: string | undefined): ExportFormat | undefined {
  if (accept === undefined || accept.trim() === '') return 'ndjson';
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((r) => r.type !== '' && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const order: ExportFormat[] = ['ndjson', 'arrow', 'csv'];
  for (const range of ranges) {
    if (range.type === '*/*') return 'ndjson';
    const exact = order.find((f) => EXPORT_MEDIA_TYPES[f] === range.type);
    if (exact) return exact;
    if (range.type.endsWith('/*')) {
      const major = range.type.slice(0, -1);
      const found = order.find((f) => EXPORT_MEDIA_TYPES[f].startsWith(major));
      if (found) return found;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// encoders: one export chunk → bytes

type Value = string | number | null;

/** OWASP CSV injection: a text cell a spreadsheet would read as a formula gets a leading `'`. */
export function csvCell(value: Value, type: ExportColumn['type']): string {
  if (value === null) return '';
  if (type === 'timestamp') return new Date(value as number).toISOString();
  if (type !== 'string') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  // RFC 4180: quote a field holding a quote, a separator or a line break; double inner quotes.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function jsonValue(value: Value, type: ExportColumn['type']): string {
  if (value === null) return 'null';
  if (type === 'timestamp') return `"${new Date(value as number).toISOString()}"`;
  if (type === 'string') return JSON.stringify(value);
  return Number.isFinite(value) ? String(value) : 'null';
}

// Rows per piece of text handed to the stream: keeps each string well under a few MiB.
const TEXT_ROWS = 4096;

function* ndjsonPieces(columns: readonly ExportColumn[], chunk: ExportChunk): Generator<string> {
  const keys = columns.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`);
  for (let start = 0; start < chunk.rowCount; start += TEXT_ROWS) {
    let out = '';
    const end = Math.min(chunk.rowCount, start + TEXT_ROWS);
    for (let r = start; r < end; r++) {
      for (let i = 0; i < columns.length; i++) {
        out += keys[i] + jsonValue((chunk.values[i] as Value[])[r] as Value, (columns[i] as ExportColumn).type);
      }
      out += '}\n';
    }
    yield out;
  }
}

function* csvPieces(columns: readonly ExportColumn[], chunk: ExportChunk): Generator<string> {
  for (let start = 0; start < chunk.rowCount; start += TEXT_ROWS) {
    let out = '';
    const end = Math.min(chunk.rowCount, start + TEXT_ROWS);
    for (let r = start; r < end; r++) {
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) out += ',';
        out += csvCell((chunk.values[i] as Value[])[r] as Value, (columns[i] as ExportColumn).type);
      }
      out += '\r\n';
    }
    yield out;
  }
}

function arrowType(type: ExportColumn['type']): DataType {
  switch (type) {
    case 'string':
      return new Utf8();
    case 'float':
      return new Float64();
    case 'int':
      return new Int64();
    case 'timestamp':
      return new TimestampMillisecond('UTC');
  }
}

/** The Arrow schema of an export: every column nullable. */
export function arrowSchema(columns: readonly ExportColumn[]): Schema {
  return new Schema(columns.map((c) => new Field(c.name, arrowType(c.type), true)));
}

function validity(values: readonly Value[], length: number): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  for (let i = 0; i < length; i++) if (values[i] === null) nullCount++;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++)
    if (values[i] !== null) nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
  return { nullCount, nullBitmap };
}

/** One column of a chunk as Arrow data, written straight into Arrow's buffers (no builders). */
function arrowColumn(field: Field, type: ExportColumn['type'], values: readonly Value[], length: number): Data {
  const valid = validity(values, length);
  if (type === 'string') {
    let estimate = 0;
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== null) estimate += (v as string).length * 3;
    }
    const bytes = Buffer.allocUnsafe(estimate);
    const valueOffsets = new Int32Array(length + 1);
    let at = 0;
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== null) at += bytes.write(v as string, at, 'utf8');
      valueOffsets[i + 1] = at;
    }
    return makeData({ type: field.type as Utf8, length, ...valid, valueOffsets, data: bytes.subarray(0, at) });
  }
  if (type === 'float') {
    const data = new Float64Array(length);
    for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
    return makeData({ type: field.type as Float64, length, ...valid, data });
  }
  const data = new BigInt64Array(length);
  for (let i = 0; i < length; i++) {
    const v = values[i] as number | null;
    data[i] = v === null ? 0n : BigInt(Math.trunc(v));
  }
  return makeData({ type: field.type as Int64, length, ...valid, data });
}

/** A part of the Arrow writer's output at least this large is handed on as it is, not copied. */
const LARGE_PART = 64 * 1024;

/**
 * Collects what the Arrow writer emits, so each record batch can be handed on at once. The
 * writer emits its small pieces (message headers, lengths, padding) and views of the batch's
 * own buffers: the small ones are joined, the large ones (column data) are passed on without
 * a copy. Every batch is built from buffers of its own that nothing writes to afterwards.
 */
class Collector extends AsyncByteQueue {
  parts: Uint8Array[] = [];
  override write(value: Uint8Array | ArrayBufferView): void {
    this.parts.push(
      value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    );
  }
  /** What was written since the last call, in order: runs of small parts joined, large ones as they are. */
  *take(): Generator<Buffer> {
    const parts = this.parts;
    this.parts = [];
    let small: Uint8Array[] = [];
    for (const part of parts) {
      if (part.byteLength < LARGE_PART) {
        small.push(part);
        continue;
      }
      if (small.length > 0) yield Buffer.concat(small);
      small = [];
      yield Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    }
    if (small.length > 0) yield Buffer.concat(small);
  }
}

async function* arrowBytes(stream: ExportStream): AsyncGenerator<Buffer> {
  const schema = arrowSchema(stream.columns);
  const sink = new Collector();
  const writer = new RecordBatchStreamWriter();
  writer.reset(sink, schema);
  yield* sink.take();
  for await (const chunk of stream.chunks) {
    const children = schema.fields.map((f, i) =>
      arrowColumn(f, (stream.columns[i] as ExportColumn).type, chunk.values[i] as Value[], chunk.rowCount),
    );
    const data = makeData({ type: new Struct(schema.fields), length: chunk.rowCount, nullCount: 0, children });
    writer.write(new RecordBatch(schema, data));
    yield* sink.take();
  }
  writer.close();
  yield* sink.take();
}

/** Arrow type of a columnar column: dictionary-encoded text gets Int8/Int16 indices. */
function columnarType(column: ColumnarExportColumn, id: number): DataType {
  if (column.dictionary === undefined) return arrowType(column.type);
  return new Dictionary(new Utf8(), column.dictionary.length <= 127 ? new Int8() : new Int16(), id);
}

/** A dictionary's values as one Arrow Utf8 vector (built once per export, so written once). */
function dictionaryVector(values: readonly string[]): Vector<Utf8> {
  const bytes: Buffer[] = values.map((v) => Buffer.from(v, 'utf8'));
  const valueOffsets = new Int32Array(values.length + 1);
  for (let i = 0; i < bytes.length; i++)
    valueOffsets[i + 1] = (valueOffsets[i] as number) + (bytes[i] as Buffer).length;
  const data = makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: 0,
    valueOffsets,
    data: Buffer.concat(bytes),
  });
  return makeVector(data);
}

/** One columnar vector as Arrow data: the typed arrays are used as they are, not copied. */
function columnarData(field: Field, vector: ExportVector, length: number, dictionary?: Vector<Utf8>): Data {
  const valid = { nullCount: vector.nullCount, ...(vector.validity ? { nullBitmap: vector.validity } : {}) };
  switch (vector.kind) {
    case 'utf8':
      return makeData({ type: field.type as Utf8, length, ...valid, valueOffsets: vector.offsets, data: vector.bytes });
    case 'dictionary':
      return makeData({
        type: field.type as Dictionary<Utf8, Int16>,
        length,
        ...valid,
        data: vector.indices as Int16Array,
        dictionary,
      });
    case 'float64':
      return makeData({ type: field.type as Float64, length, ...valid, data: vector.data });
    case 'int64':
      return makeData({ type: field.type as Int64, length, ...valid, data: vector.data });
  }
}

/** The Arrow stream of a columnar export: one record batch per chunk, dictionaries sent once. */
export async function* columnarArrowBytes(stream: ColumnarExportStream): AsyncGenerator<Buffer> {
  const fields = stream.columns.map((c, i) => new Field(c.name, columnarType(c, i), true));
  const schema = new Schema(fields);
  const dictionaries = stream.columns.map((c) => (c.dictionary ? dictionaryVector(c.dictionary) : undefined));
  const sink = new Collector();
  const writer = new RecordBatchStreamWriter();
  writer.reset(sink, schema);
  yield* sink.take();
  for await (const chunk of stream.chunks) {
    const children = fields.map((f, i) =>
      columnarData(f, chunk.vectors[i] as ExportVector, chunk.rowCount, dictionaries[i]),
    );
    const data = makeData({ type: new Struct(fields), length: chunk.rowCount, nullCount: 0, children });
    writer.write(new RecordBatch(schema, data));
    yield* sink.take();
  }
  writer.close();
  yield* sink.take();
}

async function* textBytes(stream: ExportStream, format: 'ndjson' | 'csv'): AsyncGenerator<Buffer> {
  if (format === 'csv') yield Buffer.from(`${stream.columns.map((c) => csvCell(c.name, 'string')).join(',')}\r\n`);
  const pieces = format === 'csv' ? csvPieces : ndjsonPieces;
  for await (const chunk of stream.chunks) {
    for (const piece of pieces(stream.columns, chunk)) yield Buffer.from(piece, 'utf8');
  }
}

/** The bytes of an export in one format, as a Node stream that reads on only when drained. */
export function exportBody(stream: ExportStream, format: ExportFormat): Readable {
  const bytes = format === 'arrow' ? arrowBytes(stream) : textBytes(stream, format);
  return Readable.from(bytes, { objectMode: false, highWaterMark: 1 << 20 });
}

/** The Arrow bytes of a columnar export, as a Node stream that reads on only when drained. */
export function columnarExportBody(stream: ColumnarExportStream): Readable {
  return Readable.from(columnarArrowBytes(stream), { objectMode: false, highWaterMark: 1 << 20 });
}

/** Starts an export and its body: columnar when the format is Arrow and the engine can, else row-based. */
async function startExport(
  exports: ExportQuery & Partial<ColumnarExportQuery>,
  format: ExportFormat,
  dataset: ExportDataset,
  filter: ExportFilter,
  regions: readonly string[] | null,
): Promise<Readable> {
  if (format === 'arrow' && typeof exports.exportColumnar === 'function') {
    return columnarExportBody(await exports.exportColumnar(dataset, filter, { regions }));
  }
  return exportBody(await exports.exportRows(dataset, filter, { regions }), format);
}

// ---------------------------------------------------------------------------------------------
// the route

const slug = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const code = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$' } as const;

type ExportQuerystring = ExportFilter & { format?: ExportFormat };

/** `GET /v1/exports/{dataset}` over an `ExportQuery` port. */
export async function exportRoutes(
  app: FastifyInstance,
  opts: { exports: ExportQuery & Partial<ColumnarExportQuery> },
): Promise<void> {
  app.get<{ Params: { dataset: ExportDataset }; Querystring: ExportQuerystring }>(
    '/v1/exports/:dataset',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Bulk export of a dataset',
        description:
          'Streams every matching row as an Apache Arrow IPC stream (record batches of ~64k rows), NDJSON or CSV, ' +
          'by `Accept` (`format` overrides it). Memory on the server stays bounded whatever the size. CSV cells ' +
          "that a spreadsheet would read as a formula get a leading `'`. A region-scoped key gets its regions' rows " +
          'only. Filters per dataset: ' +
          EXPORT_DATASETS.map((d) => `${d}: ${EXPORT_FILTERS[d].join(', ')}`).join('; '),
        tags: ['exports'],
        params: {
          type: 'object',
          required: ['dataset'],
          properties: { dataset: { type: 'string', enum: [...EXPORT_DATASETS] } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['arrow', 'ndjson', 'csv'] },
            region: slug,
            warehouse: slug,
            product: slug,
            category: { type: 'string', pattern: '^[a-z][a-z-]{1,31}$' },
            lot: { type: 'string', minLength: 1, maxLength: 64 },
            status: code,
            priority: code,
            incident: slug,
            movementType: code,
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
        },
        response: {
          200: {
            description: 'The rows, streamed',
            content: {
              [EXPORT_MEDIA_TYPES.arrow]: { schema: { type: 'string', format: 'binary' } },
              [EXPORT_MEDIA_TYPES.ndjson]: { schema: { type: 'string' } },
              [EXPORT_MEDIA_TYPES.csv]: { schema: { type: 'string' } },
            },
          },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { dataset } = request.params;
      const { format: asked, ...filter } = request.query;
      const format = asked ?? negotiateExport(request.headers.accept);
      if (format === undefined) {
        throw new HubError('HUB_ERR_API_NOT_ACCEPTABLE', {
          accept: request.headers.accept ?? '',
          offered: Object.values(EXPORT_MEDIA_TYPES).join(', '),
        });
      }
      const allowed = EXPORT_FILTERS[dataset] as readonly string[];
      const refused = Object.keys(filter).filter((k) => !allowed.includes(k));
      if (refused.length > 0) {
        throw badRequest(
          `${dataset} cannot be filtered by ${refused.join(', ')}`,
          refused.map((k) => ({
            pointer: `/querystring/${k}`,
            code: 'HUB_ERR_API_BAD_QUERY',
            message: `unknown filter '${k}' for ${dataset}`,
          })),
        );
      }
      if (filter.from !== undefined && filter.to !== undefined && Date.parse(filter.from) >= Date.parse(filter.to)) {
        throw badRequest('from must be before to', [
          { pointer: '/querystring/from', code: 'HUB_ERR_API_BAD_QUERY', message: 'must be before to' },
        ]);
      }
      const regions = request.principal?.regions ?? null;
      const body = await startExport(opts.exports, format, dataset, filter, regions);
      body.on('error', (error) => request.log.error({ err: error, dataset }, 'export failed while streaming'));
      return reply
        .type(EXPORT_MEDIA_TYPES[format] + (format === 'arrow' ? '' : '; charset=utf-8'))
        .header('Content-Disposition', `attachment; filename="${dataset}.${EXTENSIONS[format]}"`)
        .send(body);
    },
  );
}
