/**
 * The SQL of bulk exports (`ExportQuery`), written once for both engines in the SQL that
 * ClickHouse 18.16 accepts (no JOIN at all here, no CTEs; values through `literal.ts`). Each
 * dataset declares its columns and, per column, how it is read; both adapters stream the rows
 * of `exportSql` and map them with `toExportValue`, so they return identical chunks.
 *
 * Times are exported as epoch milliseconds (UTC); region scope is applied in SQL, so rows of
 * other regions never leave the engine.
 */
import type {
  ExportColumn,
  ExportColumnType,
  ExportDataset,
  ExportFilter,
  ExportOptions,
} from '../../core/ports/index.js';
import { joinSql, raw, type SqlDialect, type SqlFragment, sql, sqlList } from './literal.js';
import type { EngineSql } from './warehouse-queries.js';

/** Rows per chunk unless the caller asks otherwise (one Arrow record batch each). */
export const EXPORT_CHUNK_ROWS = 65_536;

export function exportChunkRows(options: ExportOptions | undefined): number {
  const n = options?.chunkRows;
  return n === undefined || !Number.isFinite(n) ? EXPORT_CHUNK_ROWS : Math.min(1 << 20, Math.max(1, Math.trunc(n)));
}

/** Engine spellings used by the exports, on top of `EngineSql`. */
interface ExportDialect {
  readonly e: EngineSql;
  /** Epoch ms (a double) of a whole-second, possibly NULL, timestamp column. */
  secondsMs(column: string): SqlFragment;
  /** Epoch ms (a double) of a movement's `occurred_at`. */
  readonly occurredMs: SqlFragment;
  /** A `strings` column as one comma-separated text. */
  joined(column: string): SqlFragment;
  /** True when the `strings` column holds one of `values`. */
  hasAny(column: string, values: readonly string[]): SqlFragment;
}

const DIALECTS: Readonly<Record<SqlDialect, (e: EngineSql) => ExportDialect>> = {
  duckdb: (e) => ({
    e,
    secondsMs: (c) => raw(`CAST(epoch_ms(${c}) AS DOUBLE)`),
    occurredMs: raw('CAST(epoch_ms(occurred_at) AS DOUBLE)'),
    joined: (c) => raw(`array_to_string(${c}, ',')`),
    hasAny: (c, values) => sql`list_has_any(${raw(c)}, [${joinSql(values.map((v) => sql`${v}`))}])`,
  }),
  clickhouse: (e) => ({
    e,
    secondsMs: (c) => raw(`toFloat64(toUInt32(${c})) * 1000`),
    occurredMs: raw('toFloat64(toUInt64(occurred_at) * 1000 + occurred_at_ms)'),
    joined: (c) => raw(`arrayStringConcat(${c}, ',')`),
    // 18.16 has arrayExists with a lambda; `hasAny` came later.
    hasAny: (c, values) => sql`arrayExists(x -> x IN ${sqlList(values)}, ${raw(c)})`,
  }),
};

interface ColumnSpec extends ExportColumn {
  /** The select expression (aliased to `name`). */
  readonly read: (d: ExportDialect) => SqlFragment;
}

// `version` is UInt64: as a double it stays a JSON number in ClickHouse (exact below 2^53).
function versionOf(d: ExportDialect): SqlFragment {
  return d.e.dialect === 'clickhouse' ? raw('toFloat64(version)') : raw('CAST(version AS DOUBLE)');
}

const col = (name: string, type: ExportColumnType, read?: (d: ExportDialect) => SqlFragment): ColumnSpec => ({
  name,
  type,
  read: read ?? (() => raw(name)),
});

/** Text columns whose values are (nearly) all different: never dictionary-encoded. */
const UNIQUE_TEXT: ReadonlySet<string> = new Set(['id', 'source_id', 'name_fr']);

const MOVEMENT_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'string'),
  col('movement_type', 'string'),
  col('occurred_at', 'timestamp', (d) => d.occurredMs),
  col('location_id', 'string'),
  col('region_id', 'string'),
  col('counterpart_id', 'string'),
  col('product_id', 'string'),
  col('category', 'string'),
  col('gtin', 'string'),
  col('lot_number', 'string'),
  col('quantity', 'float'),
  col('unit', 'string'),
  col('reason', 'string'),
  col('connector', 'string'),
  col('source_id', 'string'),
];

const STOCK_COLUMNS: readonly ColumnSpec[] = [
  col('location_id', 'string'),
  col('region_id', 'string'),
  col('product_id', 'string'),
  col('category', 'string'),
  col('gtin', 'string'),
  col('lot_number', 'string'),
  col('unit', 'string'),
  col('on_hand', 'float'),
  col('last_movement_at', 'timestamp'),
];

const SHIPMENT_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'string'),
  col('status', 'string'),
  col('priority', 'string'),
  col('origin_id', 'string'),
  col('origin_region_id', 'string'),
  col('destination_id', 'string'),
  col('destination_region_id', 'string'),
  col('carrier_id', 'string'),
  col('incident_id', 'string'),
  col('eta', 'timestamp', (d) => d.secondsMs('eta')),
  col('planned_at', 'timestamp', (d) => d.secondsMs('planned_at')),
  col('dispatched_at', 'timestamp', (d) => d.secondsMs('dispatched_at')),
  col('delivered_at', 'timestamp', (d) => d.secondsMs('delivered_at')),
  col('received_at', 'timestamp', (d) => d.secondsMs('received_at')),
  col('version', 'int', versionOf),
];

const REQUEST_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'string'),
  col('status', 'string'),
  col('priority', 'string'),
  col('requester_id', 'string'),
  col('incident_id', 'string'),
  col('deliver_to_id', 'string'),
  col('supplier_id', 'string'),
  col('authored_at', 'timestamp', (d) => d.secondsMs('authored_at')),
  col('needed_by', 'timestamp', (d) => d.secondsMs('needed_by')),
  col('version', 'int', versionOf),
];

const INCIDENT_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'string'),
  col('incident_type', 'string'),
  col('severity', 'string'),
  col('status', 'string'),
  col('name_fr', 'string'),
  col('started_at', 'timestamp', (d) => d.secondsMs('started_at')),
  col('ended_at', 'timestamp', (d) => d.secondsMs('ended_at')),
  col('affected_regions', 'string', (d) => d.joined('affected_regions')),
  col('population_affected', 'float'),
  col('version', 'int', versionOf),
];

const COLUMNS: Readonly<Record<ExportDataset, readonly ColumnSpec[]>> = {
  movements: MOVEMENT_COLUMNS,
  stock: STOCK_COLUMNS,
  shipments: SHIPMENT_COLUMNS,
  requests: REQUEST_COLUMNS,
  incidents: INCIDENT_COLUMNS,
};

/** The columns of a dataset, in output order. */
export function exportColumns(dataset: ExportDataset): readonly ExportColumn[] {
  return COLUMNS[dataset].map(({ name, type }) => ({ name, type }));
}

function where(conditions: readonly SqlFragment[]): SqlFragment {
  return conditions.length === 0 ? raw('') : sql`WHERE ${joinSql(conditions, ' AND ')}`;
}

function instantMs(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${value}`);
  return ms;
}

/** Locations of the given regions: the region filter of everything keyed by a location. */
function inRegions(d: ExportDialect, column: string, regions: readonly string[]): SqlFragment {
  return sql`${raw(column)} IN (SELECT id FROM ${d.e.table('locations')} WHERE region_id IN ${sqlList(regions)})`;
}

/**
 * The regions a query is restricted to: the filter's region intersected with the caller's
 * scope. `undefined` means unrestricted; `[]` means nothing may be read.
 */
export function effectiveRegions(
  region: string | undefined,
  scope: readonly string[] | null | undefined,
): readonly string[] | undefined {
  if (scope === null || scope === undefined) return region === undefined ? undefined : [region];
  if (region === undefined) return scope;
  return scope.includes(region) ? [region] : [];
}

/**
 * The columns an export is sorted by, as named in its output (an ORDER BY reads these aliases:
 * epoch ms sorts like the time it encodes). ClickHouse sorts movements by second, then
 * millisecond, then id.
 */
export function exportOrder(dialect: SqlDialect, dataset: ExportDataset): readonly string[] {
  switch (dataset) {
    case 'movements':
      return dialect === 'clickhouse' ? ['occurred_at', 'occurred_at_ms', 'id'] : ['occurred_at', 'id'];
    case 'stock':
      return ['location_id', 'product_id', 'lot_number', 'unit'];
    case 'shipments':
    case 'requests':
    case 'incidents':
      return ['id'];
  }
}

function select(d: ExportDialect, dataset: ExportDataset): SqlFragment {
  return joinSql(COLUMNS[dataset].map((c) => sql`${c.read(d)} AS ${raw(c.name)}`));
}

/**
 * The query of one export. `regions` is the caller's scope (`null`: all); an empty scope gives
 * a query that returns no row. Rows come in a stable order (time then id, or the key).
 */
export function exportSql(
  e: EngineSql,
  dataset: ExportDataset,
  filter: ExportFilter,
  scope: readonly string[] | null | undefined,
  ordered = true,
): SqlFragment {
  const d = DIALECTS[e.dialect](e);
  const order = ordered ? exportOrder(e.dialect, dataset).join(', ') : undefined;
  const regions = effectiveRegions(filter.region, scope);
  const c: SqlFragment[] = [];
  if (regions !== undefined && regions.length === 0) c.push(raw('1 = 0'));
  const has = regions !== undefined && regions.length > 0 ? regions : undefined;
  switch (dataset) {
    case 'movements':
    case 'stock': {
      if (has) c.push(inRegions(d, 'location_id', has));
      if (filter.warehouse !== undefined) c.push(sql`location_id = ${filter.warehouse}`);
      if (filter.product !== undefined) c.push(sql`product_id = ${filter.product}`);
      if (filter.lot !== undefined) c.push(sql`lot_number = ${filter.lot}`);
      if (filter.category !== undefined) {
        c.push(sql`product_id IN (SELECT id FROM ${e.table('products')} WHERE category = ${filter.category})`);
      }
      if (dataset === 'stock') return stockSql(d, c, order);
      if (filter.movementType !== undefined) c.push(sql`movement_type = ${filter.movementType}`);
      if (filter.from !== undefined) c.push(sql`${d.occurredMs} >= ${instantMs(filter.from)}`);
      if (filter.to !== undefined) c.push(sql`${d.occurredMs} < ${instantMs(filter.to)}`);
      return project(d, dataset, 'stock_movements', c, order);
    }
    case 'shipments': {
      if (has) c.push(sql`(origin_region_id IN ${sqlList(has)} OR destination_region_id IN ${sqlList(has)})`);
      if (filter.warehouse !== undefined) {
        c.push(sql`(origin_id = ${filter.warehouse} OR destination_id = ${filter.warehouse})`);
      }
      common(d, c, filter, 'planned_at');
      return project(d, dataset, 'shipments', c, order);
    }
    case 'requests': {
      if (has) c.push(inRegions(d, 'deliver_to_id', has));
      if (filter.warehouse !== undefined) c.push(sql`deliver_to_id = ${filter.warehouse}`);
      common(d, c, filter, 'authored_at');
      return project(d, dataset, 'supply_requests', c, order);
    }
    case 'incidents': {
      if (has) c.push(d.hasAny('affected_regions', has));
      if (filter.status !== undefined) c.push(sql`status = ${filter.status}`);
      times(d, c, filter, 'started_at');
      return project(d, dataset, 'incidents', c, order);
    }
  }
}

/**
 * Filters inside, the exported expressions outside: ClickHouse resolves a name to a SELECT
 * alias before a column, so `… AS occurred_at` would otherwise change what the WHERE reads.
 * (The outer ORDER BY may read an alias: epoch ms sorts like the time it encodes.)
 */
function project(
  d: ExportDialect,
  dataset: ExportDataset,
  table: string,
  c: readonly SqlFragment[],
  order: string | undefined,
): SqlFragment {
  const by = order === undefined ? raw('') : raw(`ORDER BY ${order}`);
  return sql`SELECT ${select(d, dataset)} FROM (SELECT * FROM ${d.e.table(table)} ${where(c)}) ${by}`;
}

function common(d: ExportDialect, c: SqlFragment[], filter: ExportFilter, timeColumn: string): void {
  if (filter.status !== undefined) c.push(sql`status = ${filter.status}`);
  if (filter.priority !== undefined) c.push(sql`priority = ${filter.priority}`);
  if (filter.incident !== undefined) c.push(sql`incident_id = ${filter.incident}`);
  times(d, c, filter, timeColumn);
}

function times(d: ExportDialect, c: SqlFragment[], filter: ExportFilter, column: string): void {
  if (filter.from !== undefined) c.push(sql`${d.secondsMs(column)} >= ${instantMs(filter.from)}`);
  if (filter.to !== undefined) c.push(sql`${d.secondsMs(column)} < ${instantMs(filter.to)}`);
}

/**
 * Stock on hand per location, product, lot and unit, from the movements alone: the region and
 * category denormalized into each movement at ingest, so no JOIN (exact sums in micro-units,
 * as in `stockOnHandSql`).
 */
function stockSql(d: ExportDialect, c: readonly SqlFragment[], order: string | undefined): SqlFragment {
  const { e } = d;
  return sql`SELECT location_id, region_id, product_id, category, gtin, lot_number, unit,
  on_hand_micro / 1000000 AS on_hand, last_movement_at
FROM (
  SELECT location_id, max(region_id) AS region_id, product_id, max(category) AS category, max(gtin) AS gtin,
    lot_number, unit, ${e.quantityMicroSum} AS on_hand_micro, max(${d.occurredMs}) AS last_movement_at
  FROM ${e.table('stock_movements')}
  ${where(c)}
  GROUP BY location_id, product_id, lot_number, unit
  HAVING on_hand_micro != 0
)
${raw(order === undefined ? '' : `ORDER BY ${order}`)}`;
}

/** One engine value → the exported value of a column of `type` (64-bit ints may come as text). */
export function toExportValue(type: ExportColumnType, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (type === 'string') return typeof value === 'string' ? value : String(value);
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

// ---------------------------------------------------------------------------------------------
// DuckDB columnar exports (the Arrow path): the same rows as `exportSql`, typed for Arrow, with
// repeated text sent as ENUM codes so that each distinct value is decoded once per export.

/** Most distinct values a column may have to be dictionary-encoded (Int16 Arrow indices). */
export const EXPORT_DICTIONARY_MAX = 32_767;

/** The text columns of a dataset worth a dictionary (all but the unique ones). */
export function dictionaryCandidates(dataset: ExportDataset): readonly string[] {
  return COLUMNS[dataset].filter((c) => c.type === 'string' && !UNIQUE_TEXT.has(c.name)).map((c) => c.name);
}

/**
 * One scan of the export's rows (no sort): per column, its distinct non-null values when it has
 * at most `max` distinct values, else NULL. The count is exact and shares the DISTINCT of the
 * list (an `approx_count_distinct` sketch beside it cost more than the list itself).
 */
export function duckdbDistinctListSql(base: SqlFragment, columns: readonly string[], max: number): SqlFragment {
  const lists = columns.map((c, i) =>
    raw(
      `CASE WHEN count(DISTINCT "${c}") <= ${Math.trunc(max)} ` +
        `THEN list(DISTINCT "${c}") FILTER (WHERE "${c}" IS NOT NULL) END AS c${i}`,
    ),
  );
  return sql`SELECT ${joinSql(lists)} FROM (${base}) AS t`;
}

/**
 * The export's rows with each column in its Arrow-ready DuckDB type: text as VARCHAR or, with
 * a dictionary, an ENUM of exactly those values (codes = positions in the list); floats as
 * DOUBLE; ints and timestamps (epoch ms) as BIGINT. `base` is the unordered export
 * (`exportSql(…, false)`); the rows are sorted here as `exportSql` sorts them, by the base's own
 * values (`t.<column>`, never the ENUM codes), with the converted columns as the sort's payload:
 * ENUM codes of a byte or two instead of strings make that sort much cheaper than sorting
 * first and converting afterwards.
 */
export function duckdbColumnarSql(
  dataset: ExportDataset,
  base: SqlFragment,
  dictionaries: ReadonlyMap<string, readonly string[]>,
): SqlFragment {
  const items = COLUMNS[dataset].map((c) => {
    const name = raw(`"${c.name}"`);
    const dictionary = dictionaries.get(c.name);
    if (dictionary !== undefined && dictionary.length > 0)
      return sql`CAST(${name} AS ENUM${sqlList(dictionary)}) AS ${name}`;
    if (c.type === 'string') return sql`CAST(${name} AS VARCHAR) AS ${name}`;
    if (c.type === 'float') return sql`CAST(${name} AS DOUBLE) AS ${name}`;
    return sql`CAST(${name} AS BIGINT) AS ${name}`;
  });
  const order = exportOrder('duckdb', dataset).map((c) => `t."${c}"`);
  return sql`SELECT ${joinSql(items)} FROM (${base}) AS t ORDER BY ${raw(order.join(', '))}`;
}
