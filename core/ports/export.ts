/**
 * Bulk exports (issue 6 §4): a dataset read from the warehouse as a stream of column chunks,
 * so that the API can write Arrow IPC, NDJSON or CSV of any size with bounded memory. Both
 * adapters implement `ExportQuery` with the SQL written once (warehouse/sql/export-queries.ts)
 * and return identical rows, in the same order, for identical data.
 */

/** Datasets an export can read. */
export const EXPORT_DATASETS = ['movements', 'stock', 'shipments', 'requests', 'incidents'] as const;
export type ExportDataset = (typeof EXPORT_DATASETS)[number];

/**
 * A column's value type: `string` (text or null), `float` (a double or null), `int` (a safe
 * integer or null) or `timestamp` (epoch milliseconds, UTC, or null).
 */
export type ExportColumnType = 'string' | 'float' | 'int' | 'timestamp';

export interface ExportColumn {
  readonly name: string;
  readonly type: ExportColumnType;
}

/**
 * Filters of an export. Each dataset honours the ones that apply to it and ignores none
 * silently: the route only accepts, per dataset, the filters that dataset has
 * (`EXPORT_FILTERS`).
 */
export interface ExportFilter {
  /** Region slug. */
  readonly region?: string;
  /** Warehouse (location) id: the movement's or stock's location, a shipment's origin or destination, a request's destination. */
  readonly warehouse?: string;
  readonly product?: string;
  readonly category?: string;
  readonly lot?: string;
  readonly status?: string;
  readonly priority?: string;
  readonly incident?: string;
  readonly movementType?: string;
  /** RFC 3339 instant, inclusive: movements `occurredAt`, shipments `plannedAt`, requests `authoredOn`, incidents `startedAt`. */
  readonly from?: string;
  /** RFC 3339 instant, exclusive. */
  readonly to?: string;
}

/** The filters each dataset accepts. */
export const EXPORT_FILTERS: Readonly<Record<ExportDataset, readonly (keyof ExportFilter)[]>> = {
  movements: ['region', 'warehouse', 'product', 'category', 'lot', 'movementType', 'from', 'to'],
  stock: ['region', 'warehouse', 'product', 'category', 'lot'],
  shipments: ['region', 'warehouse', 'status', 'priority', 'incident', 'from', 'to'],
  requests: ['region', 'warehouse', 'status', 'priority', 'incident', 'from', 'to'],
  incidents: ['region', 'status', 'from', 'to'],
};

export interface ExportOptions {
  /** Regions the caller may see: `null`/absent means every region, `[]` means none (no rows). */
  readonly regions?: readonly string[] | null;
  /** Rows per chunk. Default 65 536 (one Arrow record batch each). */
  readonly chunkRows?: number;
}

/**
 * Rows `[offset, offset + rowCount)` of an export, column by column: `values[i]` holds the
 * column `columns[i]`, `rowCount` entries long.
 */
export interface ExportChunk {
  readonly rowCount: number;
  readonly values: readonly (readonly (string | number | null)[])[];
}

/**
 * A running export: the columns are known before the first row, and the chunks are pulled one
 * at a time (the next is read from the warehouse only when the consumer asks for it). Ending
 * the iteration early (`return()`) releases the warehouse connection.
 */
export interface ExportStream {
  readonly columns: readonly ExportColumn[];
  readonly chunks: AsyncIterable<ExportChunk>;
}

export interface ExportQuery {
  /** Starts an export. Throws `HUB_ERR_WAREHOUSE_*` if the query cannot start. */
  exportRows(dataset: ExportDataset, filter: ExportFilter, options?: ExportOptions): Promise<ExportStream>;
}

// ---------------------------------------------------------------------------------------------
// Columnar exports: what an engine that can read its results column by column (DuckDB) hands
// the Arrow writer, so that no value becomes a JS object on the way. Buffers follow Arrow's
// layouts (validity bitmaps LSB first, one bit per row, 1 = valid; absent = no null).

/** One column of a columnar chunk, `rowCount` entries long. */
export type ExportVector =
  | {
      /** UTF-8 text: row `i` is `bytes[offsets[i], offsets[i + 1])`. */
      readonly kind: 'utf8';
      readonly offsets: Int32Array;
      readonly bytes: Uint8Array;
      readonly nullCount: number;
      readonly validity?: Uint8Array;
    }
  | {
      /** Indices into the column's `dictionary` (0 for a null row). */
      readonly kind: 'dictionary';
      readonly indices: Int8Array | Int16Array;
      readonly nullCount: number;
      readonly validity?: Uint8Array;
    }
  | {
      readonly kind: 'float64';
      readonly data: Float64Array;
      readonly nullCount: number;
      readonly validity?: Uint8Array;
    }
  | {
      /** `int` values, or `timestamp` epoch milliseconds. */
      readonly kind: 'int64';
      readonly data: BigInt64Array;
      readonly nullCount: number;
      readonly validity?: Uint8Array;
    };

export interface ColumnarExportColumn extends ExportColumn {
  /**
   * For a `string` column sent dictionary-encoded: its distinct values, once for the whole
   * export (the chunks carry indices into it).
   */
  readonly dictionary?: readonly string[];
}

export interface ColumnarExportChunk {
  readonly rowCount: number;
  readonly vectors: readonly ExportVector[];
}

/** `ExportStream` in columnar form: the same rows, in the same order, with the same values. */
export interface ColumnarExportStream {
  readonly columns: readonly ColumnarExportColumn[];
  readonly chunks: AsyncIterable<ColumnarExportChunk>;
}

/** Implemented by engines that can export columnar (DuckDB); the API uses it for Arrow. */
export interface ColumnarExportQuery {
  exportColumnar(dataset: ExportDataset, filter: ExportFilter, options?: ExportOptions): Promise<ColumnarExportStream>;
}
