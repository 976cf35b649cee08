/**
 * The reads behind the partner API's resources (`ResourceQuery`), written once for both engines
 * in the SQL that ClickHouse 18.16 accepts (one JOIN per SELECT, no CTEs, no window functions,
 * every value inlined through `literal.ts`). The adapters only run the fragments built here and
 * map the rows with the functions below, so both return identical pages.
 *
 * Lists are keyset-paginated: `ORDER BY <sort key>, id` and, for the next page, `WHERE
 * (key, id)` is past the last row's. The cursor is opaque to callers: base64url JSON of the
 * list, the sort, the last row's key and id (`encodeCursor`). A cursor that does not decode, or
 * that belongs to another list or sort, is `HUB_ERR_API_CURSOR` (400). Sort keys never hold
 * NULL (text reads `''`, times `-1`), so `=`/`<`/`>` order every row, in both engines alike
 * (both compare text byte-wise).
 *
 * Data scope: `regions` (the caller's regions; `null` = all, `[]` = none) becomes an `IN` list
 * on the row's region, through an `IN (SELECT id FROM locations …)` where the region lives on a
 * location (a request: its deliver-to location; a shipment: its origin or destination; a piece
 * of equipment or a movement: its location). An incident is in the regions it affects.
 * Products and organizations are reference data of every region: not scoped. Dead letters may
 * hold any region's data: a region-scoped caller sees none.
 */
import { HubError } from '../../core/errors/index.js';
import type {
  CanonicalResourceDoc,
  DeadLetterEntry,
  EntityKind,
  ListQuery,
  LotSummary,
  LotTraceStep,
  MovementEntry,
  Page,
  ShipmentStatusEvent,
} from '../../core/ports/index.js';
import { clickhouseKpi, duckdbKpi, type KpiDialect } from '../kpis/kpi-dialect.js';
import { joinSql, raw, type SqlFragment, sql, sqlDateTime, sqlList, sqlNumber } from './literal.js';

// ---------------------------------------------------------------------------------------------
// dialect

/** The spellings the resource reads need: the KPI dialect's, plus list membership. */
export interface ResourceSql extends KpiDialect {
  /** True when the list column holds `value`. */
  listContains(column: string, value: string): SqlFragment;
}

export const duckdbResourceSql: ResourceSql = {
  ...duckdbKpi,
  listContains: (column, value) => sql`list_contains(${raw(column)}, ${value})`,
};

export const clickhouseResourceSql: ResourceSql = {
  ...clickhouseKpi,
  listContains: (column, value) => sql`has(${raw(column)}, ${value})`,
};

// ---------------------------------------------------------------------------------------------
// limits

/** Page sizes: default and maximum per list. */
export const PAGE_LIMITS = {
  entities: { default: 50, max: 500 },
  deadLetters: { default: 50, max: 500 },
  movements: { default: 100, max: 1000 },
} as const;

/** The most steps a lot trace returns, and status events a shipment history returns. */
export const TRACE_LIMIT = 10_000;
export const HISTORY_LIMIT = 1_000;

/** The page size actually used: a positive integer, at most `max`. */
export function pageLimit(limit: number | undefined, limits: { default: number; max: number }): number {
  if (limit === undefined || !Number.isFinite(limit)) return limits.default;
  return Math.min(limits.max, Math.max(1, Math.trunc(limit)));
}

function badQuery(reason: string): never {
  throw new HubError('HUB_ERR_API_BAD_QUERY', { reason });
}

// ---------------------------------------------------------------------------------------------
// cursors

/** What a cursor carries: the list and sort it belongs to, and the last row's key and id. */
export interface CursorState {
  /** The list: an entity kind, `DeadLetter` or `StockMovement`. */
  readonly list: string;
  /** The sort as asked (`-eta`), so a cursor cannot be replayed under another order. */
  readonly sort: string;
  readonly key: string | number;
  readonly id: string;
}

const CURSOR_MAX = 2048;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The opaque cursor of a page's last row. */
export function encodeCursor(state: CursorState): string {
  const body = JSON.stringify({ v: 1, l: state.list, s: state.sort, k: state.key, i: state.id });
  return Buffer.from(body, 'utf8').toString('base64url');
}

function badCursor(reason: string): never {
  throw new HubError('HUB_ERR_API_CURSOR', { reason });
}

/**
 * Decodes a cursor for a list and sort; the key must be of the sort's kind (`text`: a string;
 * `int`: a safe integer ≥ −1). Anything else is `HUB_ERR_API_CURSOR`.
 */
export function decodeCursor(
  cursor: string,
  list: string,
  sort: string,
  keyKind: SortKind,
): { key: string | number; id: string } {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > CURSOR_MAX) {
    badCursor('not a cursor of this list');
  }
  if (!BASE64URL_RE.test(cursor)) badCursor('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return badCursor('it does not decode');
  }
  const c = parsed as { v?: unknown; l?: unknown; s?: unknown; k?: unknown; i?: unknown } | null;
  if (c === null || typeof c !== 'object' || Array.isArray(c) || c.v !== 1) badCursor('it does not decode');
  if (c.l !== list) badCursor('it belongs to another list');
  if (c.s !== sort) badCursor(`it was made for another sort than ${sort}`);
  if (typeof c.i !== 'string' || c.i.length === 0 || c.i.length > 256 || LONE_SURROGATE_RE.test(c.i)) {
    badCursor('its row id is invalid');
  }
  if (keyKind === 'int') {
    if (typeof c.k !== 'number' || !Number.isSafeInteger(c.k) || c.k < -1) badCursor('its sort key is invalid');
  } else if (typeof c.k !== 'string' || c.k.length > 1024 || LONE_SURROGATE_RE.test(c.k)) {
    badCursor('its sort key is invalid');
  }
  return { key: c.k as string | number, id: c.i as string };
}

// ---------------------------------------------------------------------------------------------
// lists: specs

/** `text` keys compare as strings (`''` for NULL), `int` keys as integers (`-1` for NULL). */
export type SortKind = 'text' | 'int';

interface SortKey {
  readonly kind: SortKind;
  expr(d: ResourceSql): SqlFragment;
}

type Filter = (d: ResourceSql, value: string) => SqlFragment;

interface ListSpec {
  readonly list: string;
  readonly table: string;
  /** The columns a row needs (besides the key, selected as `k_sort`). */
  readonly columns: (d: ResourceSql) => SqlFragment;
  readonly filters: Readonly<Record<string, Filter>>;
  /** Sort fields by API name; `id` is always offered. */
  readonly sorts: Readonly<Record<string, SortKey>>;
  readonly defaultSort: string;
  /** The row is in one of these (non-empty) regions; undefined: the list is not region-scoped. */
  readonly scope?: (d: ResourceSql, regions: readonly string[]) => SqlFragment;
  /** A region-scoped caller sees no row at all (dead letters). */
  readonly hiddenFromScoped?: boolean;
  readonly limits: { default: number; max: number };
}

const eq =
  (column: string): Filter =>
  (_d, value) =>
    sql`${raw(column)} = ${value}`;

const text = (column: string): SortKey => ({ kind: 'text', expr: () => raw(`coalesce(${column}, '')`) });
const seconds = (column: string): SortKey => ({
  kind: 'int',
  expr: (d) => sql`coalesce(${d.epochSeconds(column)}, -1)`,
});
const day = (column: string): SortKey => ({ kind: 'text', expr: (d) => sql`coalesce(${d.dayText(column)}, '')` });
const ID_SORT: SortKey = { kind: 'text', expr: () => raw('id') };

/** `column IN (ids of the locations in regions)`. */
function locationIn(d: ResourceSql, column: string, regions: readonly string[]): SqlFragment {
  return sql`${raw(column)} IN (SELECT id FROM ${d.table('locations')} WHERE region_id IN ${sqlList(regions)})`;
}

const docColumns = (): SqlFragment => raw('id, doc');

const ENTITY_SPECS: Readonly<Record<EntityKind, ListSpec>> = {
  Product: {
    list: 'Product',
    table: 'products',
    columns: docColumns,
    filters: {
      category: eq('category'),
      gtin: eq('gtin'),
      sku: eq('sku'),
      criticality: eq('criticality'),
      storageClass: eq('storage_class'),
    },
    sorts: { name: text('name_fr'), category: text('category') },
    defaultSort: 'id',
    limits: PAGE_LIMITS.entities,
  },
  Organization: {
    list: 'Organization',
    table: 'organizations',
    columns: docColumns,
    filters: { kind: eq('kind'), region: eq('region_id'), parent: eq('parent_id'), acronym: eq('acronym') },
    sorts: { name: text('name_fr'), kind: text('kind') },
    defaultSort: 'id',
    limits: PAGE_LIMITS.entities,
  },
  SupplyRequest: {
    list: 'SupplyRequest',
    table: 'supply_requests',
    columns: docColumns,
    filters: {
      status: eq('status'),
      priority: eq('priority'),
      requester: eq('requester_id'),
      incident: eq('incident_id'),
      deliverTo: eq('deliver_to_id'),
      supplier: eq('supplier_id'),
      region: (d, value) => locationIn(d, 'deliver_to_id', [value]),
    },
    sorts: {
      authoredOn: seconds('authored_at'),
      neededBy: seconds('needed_by'),
      status: text('status'),
      priority: text('priority'),
    },
    defaultSort: 'id',
    scope: (d, regions) => locationIn(d, 'deliver_to_id', regions),
    limits: PAGE_LIMITS.entities,
  },
  Shipment: {
    list: 'Shipment',
    table: 'shipments',
    columns: docColumns,
    filters: {
      status: eq('status'),
      priority: eq('priority'),
      origin: eq('origin_id'),
      destination: eq('destination_id'),
      carrier: eq('carrier_id'),
      incident: eq('incident_id'),
      request: (d, value) => d.listContains('request_ids', value),
      region: (d, value) =>
        sql`(${locationIn(d, 'origin_id', [value])} OR ${locationIn(d, 'destination_id', [value])})`,
    },
    sorts: {
      eta: seconds('eta'),
      status: text('status'),
      plannedAt: seconds('planned_at'),
      dispatchedAt: seconds('dispatched_at'),
      deliveredAt: seconds('delivered_at'),
      receivedAt: seconds('received_at'),
    },
    defaultSort: 'id',
    scope: (d, regions) => sql`(${locationIn(d, 'origin_id', regions)} OR ${locationIn(d, 'destination_id', regions)})`,
    limits: PAGE_LIMITS.entities,
  },
  Equipment: {
    list: 'Equipment',
    table: 'equipment',
    columns: docColumns,
    filters: {
      kind: eq('kind'),
      status: eq('status'),
      location: eq('location_id'),
      product: eq('product_id'),
      owner: eq('owner_id'),
      serialNumber: eq('serial_number'),
      region: (d, value) => locationIn(d, 'location_id', [value]),
    },
    sorts: {
      kind: text('kind'),
      status: text('status'),
      serialNumber: text('serial_number'),
      nextMaintenanceDue: day('next_maintenance_due'),
    },
    defaultSort: 'id',
    scope: (d, regions) => locationIn(d, 'location_id', regions),
    limits: PAGE_LIMITS.entities,
  },
  Incident: {
    list: 'Incident',
    table: 'incidents',
    columns: docColumns,
    filters: {
      type: eq('incident_type'),
      severity: eq('severity'),
      status: eq('status'),
      region: (d, value) => d.listContains('affected_regions', value),
    },
    sorts: { startedAt: seconds('started_at'), severity: text('severity'), status: text('status') },
    defaultSort: 'id',
    scope: (d, regions) =>
      sql`(${joinSql(
        regions.map((r) => d.listContains('affected_regions', r)),
        ' OR ',
      )})`,
    limits: PAGE_LIMITS.entities,
  },
};

/** The filters and sorts each entity list accepts (the API routes validate against these). */
export function entityListFields(kind: EntityKind): { filters: string[]; sorts: string[] } {
  const spec = ENTITY_SPECS[kind];
  return { filters: Object.keys(spec.filters), sorts: ['id', ...Object.keys(spec.sorts)] };
}

const DEAD_LETTER_SPEC: ListSpec = {
  list: 'DeadLetter',
  table: 'dead_letters',
  columns: (d) =>
    sql`id, connector, stream, source_id, resource_type, errors, payload, ${d.epochSeconds('failed_at')} AS failed_s`,
  filters: {
    connector: eq('connector'),
    stream: eq('stream'),
    resourceType: eq('resource_type'),
    sourceId: eq('source_id'),
  },
  sorts: { failedAt: seconds('failed_at'), connector: text('connector') },
  defaultSort: '-failedAt',
  hiddenFromScoped: true,
  limits: PAGE_LIMITS.deadLetters,
};

export const DEAD_LETTER_LIST_FIELDS = {
  filters: Object.keys(DEAD_LETTER_SPEC.filters),
  sorts: ['id', ...Object.keys(DEAD_LETTER_SPEC.sorts)],
};

// ---------------------------------------------------------------------------------------------
// lists: one page

/** A page's query, and what is needed to turn its rows into a `Page`. */
export interface PagePlan {
  readonly sql: SqlFragment;
  readonly list: string;
  readonly sort: string;
  readonly keyKind: SortKind;
  readonly limit: number;
}

function where(conditions: readonly SqlFragment[]): SqlFragment {
  return conditions.length === 0 ? raw('') : sql`WHERE ${joinSql(conditions, ' AND ')}`;
}

/** Keyset condition: rows strictly after (key, id) in the order asked. */
function after(
  key: SqlFragment,
  kind: SortKind,
  isId: boolean,
  desc: boolean,
  last: { key: string | number; id: string },
) {
  const op = raw(desc ? '<' : '>');
  if (isId) return sql`id ${op} ${last.id}`;
  const value = kind === 'int' ? sqlNumber(last.key as number) : sql`${last.key as string}`;
  return sql`(${key} ${op} ${value} OR (${key} = ${value} AND id ${op} ${last.id}))`;
}

function parseSort(
  spec: ListSpec,
  sort: string | undefined,
): { name: string; field: string; desc: boolean; key: SortKey } {
  const name = sort ?? spec.defaultSort;
  if (typeof name !== 'string') badQuery('sort must be a field name');
  const desc = name.startsWith('-');
  const field = desc ? name.slice(1) : name;
  const key = field === 'id' ? ID_SORT : Object.hasOwn(spec.sorts, field) ? spec.sorts[field] : undefined;
  if (key === undefined) {
    badQuery(`cannot sort by ${JSON.stringify(field)}; allowed: ${['id', ...Object.keys(spec.sorts)].join(', ')}`);
  }
  return { name, field, desc, key };
}

function filterConditions(d: ResourceSql, spec: ListSpec, filters: ListQuery['filters']): SqlFragment[] {
  const conditions: SqlFragment[] = [];
  for (const [name, value] of Object.entries(filters ?? {})) {
    if (value === undefined) continue;
    const filter = Object.hasOwn(spec.filters, name) ? spec.filters[name] : undefined;
    if (filter === undefined) badQuery(`unknown filter ${JSON.stringify(name)}`);
    if (typeof value !== 'string') badQuery(`filter ${name} must be text`);
    conditions.push(filter(d, value));
  }
  return conditions;
}

/** The data-scope condition: none when every region is visible; `1 = 0` when none is. */
function scopeConditions(d: ResourceSql, spec: ListSpec, regions: ListQuery['regions']): SqlFragment[] {
  if (regions === null || regions === undefined) return [];
  if (spec.hiddenFromScoped) return [raw('1 = 0')];
  if (spec.scope === undefined) return [];
  if (regions.length === 0) return [raw('1 = 0')];
  return [spec.scope(d, regions)];
}

function listPage(d: ResourceSql, spec: ListSpec, query: ListQuery): PagePlan {
  const sort = parseSort(spec, query.sort);
  const limit = pageLimit(query.limit, spec.limits);
  const keyExpr = sort.key.expr(d);
  const conditions = [...filterConditions(d, spec, query.filters), ...scopeConditions(d, spec, query.regions)];
  if (query.after !== undefined) {
    const last = decodeCursor(query.after, spec.list, sort.name, sort.key.kind);
    conditions.push(after(keyExpr, sort.key.kind, sort.field === 'id', sort.desc, last));
  }
  const dir = sort.desc ? 'DESC' : 'ASC';
  return {
    sql: sql`SELECT ${spec.columns(d)}, ${keyExpr} AS k_sort
FROM ${d.table(spec.table)}
${where(conditions)}
ORDER BY k_sort ${raw(dir)}, id ${raw(dir)}
LIMIT ${limit + 1}`,
    list: spec.list,
    sort: sort.name,
    keyKind: sort.key.kind,
    limit,
  };
}

/** One page of an entity list. */
export function listEntitiesSql(d: ResourceSql, kind: EntityKind, query: ListQuery): PagePlan {
  const spec = Object.hasOwn(ENTITY_SPECS, kind) ? ENTITY_SPECS[kind] : undefined;
  if (spec === undefined) badQuery(`unknown entity kind ${JSON.stringify(kind)}`);
  return listPage(d, spec, query);
}

/** One entity by id (in `regions` when given). */
export function getEntitySql(
  d: ResourceSql,
  kind: EntityKind,
  id: string,
  regions?: readonly string[] | null,
): SqlFragment {
  const spec = Object.hasOwn(ENTITY_SPECS, kind) ? ENTITY_SPECS[kind] : undefined;
  if (spec === undefined) badQuery(`unknown entity kind ${JSON.stringify(kind)}`);
  const conditions = [sql`id = ${id}`, ...scopeConditions(d, spec, regions)];
  return sql`SELECT id, doc FROM ${d.table(spec.table)} ${where(conditions)} LIMIT 1`;
}

/** One page of dead letters (newest first by default). */
export function listDeadLettersSql(d: ResourceSql, query: ListQuery): PagePlan {
  return listPage(d, DEAD_LETTER_SPEC, query);
}

export function getDeadLetterSql(d: ResourceSql, id: string): SqlFragment {
  return sql`SELECT ${DEAD_LETTER_SPEC.columns(d)} FROM ${d.table('dead_letters')} WHERE id = ${id} LIMIT 1`;
}

/** Rows (one more than the page size was asked for) → a page and its `next` cursor. */
export function toPage<T>(
  plan: PagePlan,
  rows: readonly Record<string, unknown>[],
  map: (row: Record<string, unknown>) => T,
): Page<T> {
  const page = rows.slice(0, plan.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > plan.limit && last !== undefined
      ? encodeCursor({
          list: plan.list,
          sort: plan.sort,
          key: plan.keyKind === 'int' ? Number(last.k_sort) : String(last.k_sort ?? ''),
          id: String(last.id),
        })
      : null;
  return { items: page.map(map), next };
}

// ---------------------------------------------------------------------------------------------
// movements

/** Epoch ms of the latest instant either engine can hold (ClickHouse DateTime). */
const MAX_MS = Date.UTC(2105, 11, 31, 23, 59, 59);

export const MOVEMENT_FILTERS = ['region', 'warehouse', 'product', 'gtin', 'lot', 'type', 'from', 'to'] as const;
export const MOVEMENT_SORTS = ['-occurredAt', 'occurredAt'] as const;

function movementColumns(d: ResourceSql): SqlFragment {
  return sql`id, movement_type, ${d.occurredAtMs} AS occurred_ms, location_id, region_id, counterpart_id,
  product_id, gtin, lot_number, ${d.micro('quantity')} AS quantity_micro, unit, reason, connector, source_system,
  source_id, source_hash, ${d.epochSeconds('ingested_at')} AS ingested_s`;
}

function instantMs(value: string, name: string): number {
  const ms = Date.parse(value);
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    badQuery(`${name} must be an RFC 3339 date-time`);
  }
  return Math.min(MAX_MS, Math.max(0, ms));
}

/** Movements of a lot: its lot number, and its GTIN on the movement or on the product. */
function lotConditions(d: ResourceSql, gtin: string, lotNumber: string): SqlFragment[] {
  return [
    sql`lot_number = ${lotNumber}`,
    sql`(gtin = ${gtin} OR product_id IN (SELECT id FROM ${d.table('products')} WHERE gtin = ${gtin}))`,
  ];
}

function movementScope(d: ResourceSql, regions: readonly string[] | null | undefined): SqlFragment[] {
  if (regions === null || regions === undefined) return [];
  if (regions.length === 0) return [raw('1 = 0')];
  return [locationIn(d, 'location_id', regions)];
}

/** One page of movements, newest first unless `sort: 'occurredAt'`. */
export function listMovementsSql(d: ResourceSql, query: ListQuery): PagePlan {
  const sort = query.sort ?? '-occurredAt';
  if (!(MOVEMENT_SORTS as readonly string[]).includes(sort)) {
    badQuery(`cannot sort movements by ${JSON.stringify(sort)}; allowed: ${MOVEMENT_SORTS.join(', ')}`);
  }
  const desc = sort.startsWith('-');
  const limit = pageLimit(query.limit, PAGE_LIMITS.movements);
  const conditions: SqlFragment[] = [];
  for (const [name, value] of Object.entries(query.filters ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'string') badQuery(`filter ${name} must be text`);
    switch (name) {
      case 'region':
        conditions.push(locationIn(d, 'location_id', [value]));
        break;
      case 'warehouse':
        conditions.push(sql`location_id = ${value}`);
        break;
      case 'product':
        conditions.push(sql`product_id = ${value}`);
        break;
      case 'gtin':
        conditions.push(sql`gtin = ${value}`);
        break;
      case 'lot':
        conditions.push(sql`lot_number = ${value}`);
        break;
      case 'type':
        conditions.push(sql`movement_type = ${value}`);
        break;
      case 'from': {
        const ms = instantMs(value, 'from');
        // The whole-second bound lets ClickHouse skip partitions; the exact one decides.
        conditions.push(sql`occurred_at >= ${sqlDateTime(new Date(Math.floor(ms / 1000) * 1000))}`);
        conditions.push(sql`${d.occurredAtMs} >= ${ms}`);
        break;
      }
      case 'to': {
        const ms = instantMs(value, 'to');
        conditions.push(sql`occurred_at <= ${sqlDateTime(new Date(Math.floor(ms / 1000) * 1000))}`);
        conditions.push(sql`${d.occurredAtMs} < ${ms}`);
        break;
      }
      default:
        badQuery(`unknown filter ${JSON.stringify(name)}`);
    }
  }
  conditions.push(...movementScope(d, query.regions));
  if (query.after !== undefined) {
    const last = decodeCursor(query.after, 'StockMovement', sort, 'int');
    const k = last.key as number;
    if (k < 0 || k > MAX_MS) badCursor('its sort key is invalid');
    const second = sqlDateTime(new Date(Math.floor(k / 1000) * 1000));
    conditions.push(desc ? sql`occurred_at <= ${second}` : sql`occurred_at >= ${second}`);
    conditions.push(after(d.occurredAtMs, 'int', false, desc, last));
  }
  const dir = raw(desc ? 'DESC' : 'ASC');
  return {
    sql: sql`SELECT ${movementColumns(d)}, ${d.occurredAtMs} AS k_sort
FROM ${d.table('stock_movements')}
${where(conditions)}
ORDER BY k_sort ${dir}, id ${dir}
LIMIT ${limit + 1}`,
    list: 'StockMovement',
    sort,
    keyKind: 'int',
    limit,
  };
}

// ---------------------------------------------------------------------------------------------
// lots, shipment history, maintenance

/** The stored Lot record of a GTIN and lot number (lowest id if several). */
export function lotRecordSql(d: ResourceSql, gtin: string, lotNumber: string): SqlFragment {
  return sql`SELECT id, product_id, ${d.dayText('expiry')} AS expiry, ${d.dayText('manufactured')} AS manufactured, doc
FROM ${d.table('lots')}
WHERE lot_number = ${lotNumber}
  AND (gtin = ${gtin} OR product_id IN (SELECT id FROM ${d.table('products')} WHERE gtin = ${gtin}))
ORDER BY id
LIMIT 1`;
}

/** The lot's movements in scope, summed per location, product and unit, with the location's region. */
export function lotStockSql(
  d: ResourceSql,
  gtin: string,
  lotNumber: string,
  regions?: readonly string[] | null,
): SqlFragment {
  const conditions = [...lotConditions(d, gtin, lotNumber), ...movementScope(d, regions)];
  return sql`SELECT location_id, location_region, product_id, unit, on_hand_micro, movements, first_ms, last_ms
FROM (
  SELECT location_id, product_id, unit, ${d.quantityMicroSum} AS on_hand_micro,
    ${d.int64('count(*)')} AS movements, min(${d.occurredAtMs}) AS first_ms, max(${d.occurredAtMs}) AS last_ms
  FROM ${d.table('stock_movements')}
  ${where(conditions)}
  GROUP BY location_id, product_id, unit
) ${d.leftJoin} (
  SELECT id AS location_id, region_id AS location_region FROM ${d.table('locations')}
) USING (location_id)
ORDER BY location_id, product_id, unit`;
}

/** Every movement of the lot in scope, oldest first, with the location's name. */
export function lotTraceSql(
  d: ResourceSql,
  gtin: string,
  lotNumber: string,
  regions?: readonly string[] | null,
): SqlFragment {
  const conditions = [...lotConditions(d, gtin, lotNumber), ...movementScope(d, regions)];
  return sql`SELECT id, movement_type, occurred_ms, location_id, location_name, region_id, counterpart_id, product_id,
  gtin, lot_number, quantity_micro, unit, reason, connector, source_system, source_id, source_hash, ingested_s
FROM (
  SELECT ${movementColumns(d)}
  FROM ${d.table('stock_movements')}
  ${where(conditions)}
) ${d.leftJoin} (
  SELECT id AS location_id, name_fr AS location_name FROM ${d.table('locations')}
) USING (location_id)
ORDER BY occurred_ms, id
LIMIT ${TRACE_LIMIT}`;
}

export function shipmentHistorySql(d: ResourceSql, id: string): SqlFragment {
  return sql`SELECT id, status, ${d.epochSeconds('status_at')} AS at_s, changed_by
FROM ${d.table('shipment_status_history')}
WHERE shipment_id = ${id}
ORDER BY at_s, id
LIMIT ${HISTORY_LIMIT}`;
}

export function maintenanceEventsSql(d: ResourceSql, equipmentId: string): SqlFragment {
  return sql`SELECT id, doc, coalesce(${d.epochSeconds('scheduled_for')}, -1) AS k_sort
FROM ${d.table('maintenance_events')}
WHERE equipment_id = ${equipmentId}
ORDER BY k_sort, id
LIMIT ${HISTORY_LIMIT}`;
}

// ---------------------------------------------------------------------------------------------
// rows

type Raw = Readonly<Record<string, unknown>>;

function json(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

// A dimension row missing from a LEFT JOIN reads NULL in DuckDB and '' in ClickHouse.
function textOf(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined || value === '' ? null : String(value);
}

function isoSeconds(value: unknown): string {
  return new Date(Number(value) * 1000).toISOString();
}

/** An entity row → its canonical document. */
export function toEntityDoc(r: Raw): CanonicalResourceDoc {
  return json(r.doc) as CanonicalResourceDoc;
}

export function toDeadLetterEntry(r: Raw): DeadLetterEntry {
  const errors = json(r.errors);
  return {
    id: textOf(r.id),
    connector: textOf(r.connector),
    stream: textOf(r.stream),
    sourceId: nullableText(r.source_id),
    resourceType: nullableText(r.resource_type),
    errors: Array.isArray(errors) ? (errors as DeadLetterEntry['errors']) : [],
    payload: json(r.payload),
    failedAt: isoSeconds(r.failed_s),
  };
}

export function toMovementEntry(r: Raw): MovementEntry {
  return {
    id: textOf(r.id),
    movementType: textOf(r.movement_type),
    occurredAt: new Date(Number(r.occurred_ms)).toISOString(),
    locationId: textOf(r.location_id),
    regionId: textOf(r.region_id),
    counterpartId: nullableText(r.counterpart_id),
    productId: textOf(r.product_id),
    gtin: nullableText(r.gtin),
    lotNumber: nullableText(r.lot_number),
    quantity: Number(r.quantity_micro) / 1_000_000,
    unit: textOf(r.unit),
    reason: nullableText(r.reason),
    lineage: {
      connector: textOf(r.connector),
      sourceSystem: textOf(r.source_system),
      sourceId: textOf(r.source_id),
      sourceHash: textOf(r.source_hash),
      ingestedAt: isoSeconds(r.ingested_s),
    },
  };
}

export function toLotTraceStep(r: Raw): LotTraceStep {
  return { ...toMovementEntry(r), locationName: textOf(r.location_name) };
}

export function toShipmentStatusEvent(r: Raw): ShipmentStatusEvent {
  return { status: textOf(r.status), at: isoSeconds(r.at_s), changedBy: nullableText(r.changed_by) };
}

/** The lot record row (if any) and the stock rows → the summary; undefined when both are empty. */
export function toLotSummary(
  gtin: string,
  lotNumber: string,
  recordRows: readonly Raw[],
  stockRows: readonly Raw[],
): LotSummary | undefined {
  const record = recordRows[0];
  if (record === undefined && stockRows.length === 0) return undefined;
  let movements = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const r of stockRows) {
    movements += Number(r.movements);
    const f = Number(r.first_ms);
    const l = Number(r.last_ms);
    if (first === null || f < first) first = f;
    if (last === null || l > last) last = l;
  }
  return {
    gtin,
    lotNumber,
    productId: nullableText(record?.product_id) ?? nullableText(stockRows[0]?.product_id),
    expiry: nullableText(record?.expiry),
    manufactured: nullableText(record?.manufactured),
    record: record === undefined ? null : (json(record.doc) as CanonicalResourceDoc),
    stock: stockRows
      .filter((r) => Number(r.on_hand_micro) !== 0)
      .map((r) => ({
        locationId: textOf(r.location_id),
        regionId: textOf(r.location_region),
        unit: textOf(r.unit),
        onHand: Number(r.on_hand_micro) / 1_000_000,
      })),
    movements,
    firstMovementAt: first === null ? null : new Date(first).toISOString(),
    lastMovementAt: last === null ? null : new Date(last).toISOString(),
  };
}
