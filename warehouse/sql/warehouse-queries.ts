/**
 * The read queries of `WarehouseQuery`, written once for both engines in the SQL that
 * ClickHouse 18.16 accepts (one JOIN per SELECT, no CTEs, no query parameters: values go
 * through `literal.ts`). The few dialect differences are the `EngineSql` hooks below; the
 * result rows are mapped here too, so both adapters return identical `StockRow`s.
 *
 * Exactness: quantities are summed as integer micro-units (`round(q × 10⁶)` as Int64), so the
 * total does not depend on the order in which an engine adds doubles, and `onHand != 0` is an
 * exact test.
 */
import type { LocationFilter, LocationKind, LocationRow, StockFilter, StockRow } from '../../core/ports/index.js';
import { joinSql, raw, type SqlDialect, type SqlFragment, sql } from './literal.js';

/** The most rows `stockOnHand` returns; also its default. */
export const STOCK_LIMIT_MAX = 10_000;

/** Engine-specific spellings of the shared queries. */
export interface EngineSql {
  readonly dialect: SqlDialect;
  /** A table as read: ClickHouse adds `FINAL` so that not-yet-merged versions collapse. */
  table(name: string): SqlFragment;
  /** `LEFT JOIN` with ClickHouse's strictness keyword where needed. */
  readonly leftJoin: SqlFragment;
  /** Epoch milliseconds of a movement's `occurred_at`. */
  readonly occurredAtMs: SqlFragment;
  /** Sum of `quantity` in integer micro-units, as a 64-bit integer. */
  readonly quantityMicroSum: SqlFragment;
}

export const duckdbSql: EngineSql = {
  dialect: 'duckdb',
  table: (name) => raw(name),
  leftJoin: raw('LEFT JOIN'),
  occurredAtMs: raw('epoch_ms(occurred_at)'),
  quantityMicroSum: raw('CAST(sum(CAST(round(quantity * 1000000) AS BIGINT)) AS BIGINT)'),
};

export const clickhouseSql: EngineSql = {
  dialect: 'clickhouse',
  // FINAL merges duplicate ids at read time (see clickhouse-migrations.ts for why).
  table: (name) => raw(`${name} FINAL`),
  // The dimension side is unique per id after FINAL, so ANY and ALL agree; ANY is cheaper.
  leftJoin: raw('ANY LEFT JOIN'),
  occurredAtMs: raw('toUInt64(occurred_at) * 1000 + occurred_at_ms'),
  quantityMicroSum: raw('sum(toInt64(round(quantity * 1000000)))'),
};

/** The limit actually applied: a positive integer, at most `STOCK_LIMIT_MAX`. */
export function stockLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return STOCK_LIMIT_MAX;
  return Math.min(STOCK_LIMIT_MAX, Math.max(1, Math.trunc(limit)));
}

function where(conditions: SqlFragment[]): SqlFragment {
  return conditions.length === 0 ? raw('') : sql`WHERE ${joinSql(conditions, ' AND ')}`;
}

export function listLocationsSql(e: EngineSql, filter: LocationFilter): SqlFragment {
  const conditions: SqlFragment[] = [];
  if (filter.kind !== undefined) conditions.push(sql`kind = ${filter.kind}`);
  if (filter.region !== undefined) conditions.push(sql`region_id = ${filter.region}`);
  return sql`SELECT id, kind, name_fr, name_ar, region_id, parent_id, gln, latitude, longitude
FROM ${e.table('locations')}
${where(conditions)}
ORDER BY id`;
}

export function stockOnHandSql(e: EngineSql, filter: StockFilter): SqlFragment {
  const conditions: SqlFragment[] = [];
  if (filter.warehouse !== undefined) conditions.push(sql`location_id = ${filter.warehouse}`);
  if (filter.product !== undefined) conditions.push(sql`product_id = ${filter.product}`);
  if (filter.lot !== undefined) conditions.push(sql`lot_number = ${filter.lot}`);
  // Region and category live on the dimensions: filter with IN (subquery), which keeps the
  // one-JOIN-per-SELECT rule and lets ClickHouse prune by the sorting key.
  if (filter.region !== undefined) {
    conditions.push(sql`location_id IN (SELECT id FROM ${e.table('locations')} WHERE region_id = ${filter.region})`);
  }
  if (filter.category !== undefined) {
    conditions.push(sql`product_id IN (SELECT id FROM ${e.table('products')} WHERE category = ${filter.category})`);
  }
  const limit = stockLimit(filter.limit);
  // Two dimensions, one JOIN per SELECT: aggregate, join locations, then join products.
  return sql`SELECT location_id, location_name, region_id, product_id, product_name,
  coalesce(product_gtin, movement_gtin) AS gtin, category, lot_number, unit, on_hand_micro, last_ms
FROM (
  SELECT location_id, location_name, region_id, product_id, lot_number, unit, on_hand_micro,
    last_ms, movement_gtin
  FROM (
    SELECT location_id, product_id, lot_number, unit,
      ${e.quantityMicroSum} AS on_hand_micro,
      max(${e.occurredAtMs}) AS last_ms,
      max(gtin) AS movement_gtin
    FROM ${e.table('stock_movements')}
    ${where(conditions)}
    GROUP BY location_id, product_id, lot_number, unit
    HAVING on_hand_micro != 0
  ) ${e.leftJoin} (
    SELECT id AS location_id, name_fr AS location_name, region_id FROM ${e.table('locations')}
  ) USING (location_id)
) ${e.leftJoin} (
  SELECT id AS product_id, name_fr AS product_name, gtin AS product_gtin, category FROM ${e.table('products')}
) USING (product_id)
ORDER BY location_id, product_id, lot_number, unit
LIMIT ${limit}`;
}

// ---------------------------------------------------------------------------------------------
// rows

type Raw = Readonly<Record<string, unknown>>;

// A dimension row missing from a LEFT JOIN reads as NULL in DuckDB and as '' in ClickHouse
// (non-Nullable columns take their default): both become ''.
function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}

function nullableNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Coordinates to 1e-7 degree (about 1 cm). ClickHouse 18.16 reads text floats with an inexact
 * parser (one ULP off, e.g. 29.697400000000002 for 29.6974); rounding a value that is one ULP
 * off gives back the nearest double to the decimal the source sent, in both engines.
 */
function coordinate(value: unknown): number | null {
  const n = nullableNumber(value);
  return n === null ? null : Math.round(n * 1e7) / 1e7;
}

/** One `listLocationsSql` row (engines give 64-bit ints as strings or bigints: both handled). */
export function toLocationRow(r: Raw): LocationRow {
  return {
    id: text(r.id),
    kind: text(r.kind) as LocationKind,
    nameFr: text(r.name_fr),
    nameAr: text(r.name_ar),
    regionId: text(r.region_id),
    parentId: nullableText(r.parent_id),
    gln: nullableText(r.gln),
    latitude: coordinate(r.latitude),
    longitude: coordinate(r.longitude),
  };
}

/** One `stockOnHandSql` row. */
export function toStockRow(r: Raw): StockRow {
  return {
    locationId: text(r.location_id),
    locationName: text(r.location_name),
    regionId: text(r.region_id),
    productId: text(r.product_id),
    productName: text(r.product_name),
    gtin: nullableText(r.gtin),
    category: text(r.category),
    lotNumber: nullableText(r.lot_number),
    unit: text(r.unit),
    onHand: Number(r.on_hand_micro) / 1_000_000,
    lastMovementAt: new Date(Number(r.last_ms)).toISOString(),
  };
}
