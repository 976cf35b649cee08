/**
 * The columnar (Arrow) export of the embedded warehouse: DuckDB's result vectors are copied
 * straight into Arrow-layout typed arrays, one chunk (~64k rows) at a time, without turning
 * any value into a JS object:
 * - repeated text comes as ENUM codes (warehouse/sql/export-queries.ts: a first pass counts
 *   and lists the distinct values of the export's rows), sent as Arrow dictionary indices, so
 *   each distinct string is decoded once per export;
 * - other text is copied as UTF-8 bytes from DuckDB's `string_t`s (inline up to 12 bytes);
 * - DOUBLE and BIGINT vectors are copied as they are; DuckDB's validity words have Arrow's
 *   bitmap layout (LSB first) on a little-endian machine, so they are copied byte for byte.
 *
 * Vector memory is read with `@duckdb/node-bindings` (`vector_get_data`/`vector_get_validity`,
 * loaded through `@duckdb/node-api`'s own dependency), since the node-api vector classes build
 * an ENUM's whole type (all its values) again for every 2048-row vector.
 */
import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import type {
  ColumnarExportChunk,
  ColumnarExportColumn,
  ColumnarExportStream,
  ExportDataset,
  ExportFilter,
  ExportOptions,
  ExportVector,
} from '../../core/ports/index.js';
import {
  dictionaryCandidates,
  duckdbColumnarSql,
  duckdbDistinctListSql,
  EXPORT_DICTIONARY_MAX,
  exportChunkRows,
  exportColumns,
  exportSql,
} from '../sql/export-queries.js';
import { duckdbSql } from '../sql/warehouse-queries.js';
import { duckdbError } from './duckdb-connection.js';

/** `@duckdb/node-bindings`, as `@duckdb/node-api` itself loads it (for text longer than 12 bytes). */
interface Bindings {
  get_data_from_pointer(buffer: ArrayBufferLike, pointerOffset: number, byteCount: number): Uint8Array;
  data_chunk_get_vector(chunk: unknown, column: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  vector_get_validity(vector: unknown, byteCount: number): Uint8Array | null | undefined;
}
let bindings: Bindings | undefined;
function duckdbBindings(): Bindings {
  if (bindings === undefined) {
    const fromApi = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'));
    bindings = fromApi('@duckdb/node-bindings') as Bindings;
  }
  return bindings;
}

/** One DuckDB vector as raw memory: its data (`width` bytes a row) and validity bitmap. */
interface RawVector {
  readonly data: Uint8Array;
  /** Arrow-layout validity bits, or null when every row is valid. */
  readonly valid: Uint8Array | null;
}

function rawVector(chunk: DuckDBDataChunk, column: number, width: number): RawVector {
  const b = duckdbBindings();
  const n = chunk.rowCount;
  const vector = b.data_chunk_get_vector(chunk.chunk, column);
  return {
    data: b.vector_get_data(vector, n * width),
    valid: b.vector_get_validity(vector, ((n + 63) >> 6) * 8) ?? null,
  };
}

/** The items of `bytes` as a typed array: a view when aligned, else a copy. */
function view<T>(
  bytes: Uint8Array,
  size: number,
  make: (b: ArrayBufferLike, o: number, n: number) => T,
  copy: (b: Uint8Array) => T,
): T {
  return bytes.byteOffset % size === 0
    ? make(bytes.buffer, bytes.byteOffset, bytes.byteLength / size)
    : copy(bytes.slice());
}

/** One output column being filled, `capacity` rows at most. */
abstract class Sink {
  /** Bytes a row in DuckDB's vector. */
  readonly width: number = 8;
  valid: Uint8Array | undefined;
  nulls = 0;
  constructor(readonly capacity: number) {}

  /** Copies rows `[from, from + n)` of `v` to rows `[at, at + n)`. */
  abstract append(v: RawVector, from: number, n: number, at: number): void;
  abstract finish(rows: number): ExportVector;

  protected appendValidity(v: RawVector, from: number, n: number, at: number): Uint8Array | null {
    const src = v.valid;
    if (src === null) {
      if (this.valid !== undefined) for (let i = 0; i < n; i++) setBit(this.valid, at + i, true);
      return null;
    }
    if (this.valid === undefined) this.valid = new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    const valid = this.valid;
    for (let i = 0; i < n; i++) {
      const ok = ((src[(from + i) >> 3] as number) & (1 << ((from + i) & 7))) !== 0;
      if (!ok) this.nulls++;
      setBit(valid, at + i, ok);
    }
    return src;
  }

  protected validity(rows: number): { nullCount: number; validity?: Uint8Array } {
    if (this.valid === undefined || this.nulls === 0) return { nullCount: 0 };
    return { nullCount: this.nulls, validity: this.valid.subarray(0, (rows + 7) >> 3) };
  }
}

function setBit(bits: Uint8Array, i: number, on: boolean): void {
  const byte = i >> 3;
  const mask = 1 << (i & 7);
  bits[byte] = on ? (bits[byte] as number) | mask : (bits[byte] as number) & ~mask;
}

function isValid(src: Uint8Array | null, i: number): boolean {
  return src === null || ((src[i >> 3] as number) & (1 << (i & 7))) !== 0;
}

class Float64Sink extends Sink {
  readonly data = new Float64Array(this.capacity);
  append(v: RawVector, from: number, n: number, at: number): void {
    const items = view(
      v.data,
      8,
      (b, o, k) => new Float64Array(b, o, k),
      (c) => new Float64Array(c.buffer),
    );
    this.data.set(items.subarray(from, from + n), at);
    const src = this.appendValidity(v, from, n, at);
    if (src !== null) for (let i = 0; i < n; i++) if (!isValid(src, from + i)) this.data[at + i] = 0;
  }
  finish(rows: number): ExportVector {
    return { kind: 'float64', data: this.data.subarray(0, rows), ...this.validity(rows) };
  }
}

class Int64Sink extends Sink {
  readonly data = new BigInt64Array(this.capacity);
  append(v: RawVector, from: number, n: number, at: number): void {
    const items = view(
      v.data,
      8,
      (b, o, k) => new BigInt64Array(b, o, k),
      (c) => new BigInt64Array(c.buffer),
    );
    this.data.set(items.subarray(from, from + n), at);
    const src = this.appendValidity(v, from, n, at);
    if (src !== null) for (let i = 0; i < n; i++) if (!isValid(src, from + i)) this.data[at + i] = 0n;
  }
  finish(rows: number): ExportVector {
    return { kind: 'int64', data: this.data.subarray(0, rows), ...this.validity(rows) };
  }
}

class DictionarySink extends Sink {
  readonly indices: Int8Array | Int16Array;
  /** Bytes of a DuckDB ENUM code: 1 up to 255 values, else 2 (we never ask for more than 32 767). */
  override readonly width: number;
  constructor(capacity: number, size: number) {
    super(capacity);
    this.indices = size <= 127 ? new Int8Array(capacity) : new Int16Array(capacity);
    this.width = size <= 255 ? 1 : 2;
  }
  append(v: RawVector, from: number, n: number, at: number): void {
    const codes =
      this.width === 1
        ? v.data
        : view(
            v.data,
            2,
            (b, o, k) => new Uint16Array(b, o, k),
            (c) => new Uint16Array(c.buffer),
          );
    this.indices.set(codes.subarray(from, from + n), at);
    const src = this.appendValidity(v, from, n, at);
    if (src !== null) for (let i = 0; i < n; i++) if (!isValid(src, from + i)) this.indices[at + i] = 0;
  }
  finish(rows: number): ExportVector {
    return { kind: 'dictionary', indices: this.indices.subarray(0, rows), ...this.validity(rows) };
  }
}

class Utf8Sink extends Sink {
  override readonly width = 16;
  readonly offsets = new Int32Array(this.capacity + 1);
  bytes = new Uint8Array(1 << 16);
  used = 0;
  append(v: RawVector, from: number, n: number, at: number): void {
    const raw = v.data;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const src = this.appendValidity(v, from, n, at);
    const offsets = this.offsets;
    let used = this.used;
    for (let i = 0; i < n; i++) {
      const r = from + i;
      if (isValid(src, r)) {
        const o = r * 16;
        const len = view.getUint32(o, true);
        if (used + len > this.bytes.length) this.grow(used, used + len);
        const bytes = this.bytes;
        if (len <= 12) {
          for (let k = 0; k < len; k++) bytes[used + k] = raw[o + 4 + k] as number;
        } else {
          bytes.set(duckdbBindings().get_data_from_pointer(view.buffer, view.byteOffset + o + 8, len), used);
        }
        used += len;
      }
      offsets[at + i + 1] = used;
    }
    this.used = used;
  }
  grow(used: number, need: number): void {
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, used));
    this.bytes = bytes;
  }
  finish(rows: number): ExportVector {
    return {
      kind: 'utf8',
      offsets: this.offsets.subarray(0, rows + 1),
      bytes: this.bytes.subarray(0, this.used),
      ...this.validity(rows),
    };
  }
}

function sinkFor(column: ColumnarExportColumn, capacity: number): Sink {
  if (column.dictionary !== undefined) return new DictionarySink(capacity, column.dictionary.length);
  switch (column.type) {
    case 'string':
      return new Utf8Sink(capacity);
    case 'float':
      return new Float64Sink(capacity);
    case 'int':
    case 'timestamp':
      return new Int64Sink(capacity);
  }
}

/** The dictionaries of an export: the distinct values of each text column that has few. */
async function dictionaries(
  conn: DuckDBConnection,
  dataset: ExportDataset,
  base: ReturnType<typeof exportSql>,
): Promise<Map<string, readonly string[]>> {
  const candidates = dictionaryCandidates(dataset);
  const out = new Map<string, readonly string[]>();
  if (candidates.length === 0) return out;
  const sqlText = duckdbDistinctListSql(base, candidates, EXPORT_DICTIONARY_MAX).toSql('duckdb');
  const lists = (await conn.runAndReadAll(sqlText)).getRowsJS()[0];
  candidates.forEach((name, i) => {
    const values = lists?.[i] as string[] | null | undefined;
    if (values && values.length > 0 && values.length <= EXPORT_DICTIONARY_MAX) out.set(name, values);
  });
  return out;
}

/**
 * Starts a columnar export on `conn` (which the caller owns; `release` is called once the
 * export ends, however it ends).
 */
export async function duckdbColumnarExport(
  conn: DuckDBConnection,
  release: () => void,
  dataset: ExportDataset,
  filter: ExportFilter,
  options: ExportOptions | undefined,
): Promise<ColumnarExportStream> {
  const size = exportChunkRows(options);
  let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
  let columns: ColumnarExportColumn[];
  try {
    // One snapshot for both queries: a write committed between the dictionary pass and the
    // export could otherwise bring a value its ENUM lacks (the export would fail midway). The
    // transaction ends with the connection (`release`).
    await conn.run('BEGIN TRANSACTION');
    const unordered = exportSql(duckdbSql, dataset, filter, options?.regions, false);
    const dicts = await dictionaries(conn, dataset, unordered);
    columns = exportColumns(dataset).map((c) => {
      const dictionary = dicts.get(c.name);
      return dictionary === undefined ? c : { ...c, dictionary };
    });
    result = await conn.stream(duckdbColumnarSql(dataset, unordered, dicts).toSql('duckdb'));
  } catch (error) {
    release();
    throw duckdbError(error, `export ${dataset}`);
  }
  async function* chunks(): AsyncGenerator<ColumnarExportChunk> {
    let next: Promise<DuckDBDataChunk | null> | undefined;
    try {
      let sinks = columns.map((c) => sinkFor(c, size));
      let rows = 0;
      const fetch = (): Promise<DuckDBDataChunk | null> =>
        result.fetchChunk().catch((error: unknown) => {
          throw duckdbError(error, `export ${dataset}`);
        });
      // One fetch always in flight: DuckDB computes the next vector while this one is copied.
      next = fetch();
      next.catch(() => undefined);
      for (;;) {
        const chunk = await next;
        if (chunk === null || chunk.rowCount === 0) break;
        next = fetch();
        next.catch(() => undefined);
        const vectors = sinks.map((s, i) => rawVector(chunk, i, s.width));
        let from = 0;
        while (from < chunk.rowCount) {
          const n = Math.min(chunk.rowCount - from, size - rows);
          for (let i = 0; i < sinks.length; i++) (sinks[i] as Sink).append(vectors[i] as RawVector, from, n, rows);
          from += n;
          rows += n;
          if (rows === size) {
            const done = rows;
            yield { rowCount: done, vectors: sinks.map((s) => s.finish(done)) };
            sinks = columns.map((c) => sinkFor(c, size));
            rows = 0;
          }
        }
      }
      if (rows > 0) {
        const done = rows;
        yield { rowCount: done, vectors: sinks.map((s) => s.finish(done)) };
      }
    } finally {
      // Never close the connection under a fetch still running on DuckDB's side.
      await next?.catch(() => null);
      release();
    }
  }
  return { columns, chunks: chunks() };
}
