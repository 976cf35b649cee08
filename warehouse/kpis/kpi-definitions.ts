/**
 * The KPIs of DESIGN.md §8, each defined once: a base relation (SQL built from the dialect
 * layer), the dimensions it offers (dimension → column of the base), its measures (aggregates
 * of base columns) and what is derived from them. `kpiSql` turns a definition and the caller's
 * options into one query; `toKpiRows` turns the engine's rows into `KpiRow`s.
 *
 * Exactness, so that both engines give identical rows: quantities are summed as integer
 * micro-units, durations as integer seconds, and ratios are divided here, in one place, from
 * those integers. Rows are sorted here too (code-point order), not by either engine's collation.
 *
 * docs/kpis.md documents each KPI: formula, sources, dimensions and literature.
 */
import { HubError } from '../../core/errors/index.js';
import type { KpiDimension, KpiOptions, KpiRow } from '../../core/ports/index.js';
import { FRESHNESS_BUCKET_COLUMNS, quantileFromBuckets } from '../freshness.js';
import { joinSql, raw, type SqlFragment, sql, sqlDate, sqlDateTime } from '../sql/literal.js';
import type { KpiDialect } from './kpi-dialect.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The moment a KPI is computed at, in the forms its SQL needs. */
export interface KpiContext {
  readonly asOfMs: number;
  /** The instant, as a literal. */
  readonly asOf: SqlFragment;
  /** The instant `ms` before `asOf`, as a literal. */
  before(ms: number): SqlFragment;
  /** The UTC day `days` after the day of `asOf`, as a date literal. */
  day(days: number): SqlFragment;
}

type MeasureKind = 'micro' | 'count' | 'seconds';

interface Measure {
  readonly name: string;
  /** Trusted aggregate over base columns. */
  readonly sql: string;
  readonly kind: MeasureKind;
}

export interface KpiDefinition {
  readonly name: string;
  readonly title: string;
  /** Dimension → column of the base relation. */
  readonly dimensions: Partial<Record<KpiDimension, string>>;
  readonly defaultBy: readonly KpiDimension[];
  /** Base columns always grouped by and returned (e.g. `unit`: quantities of different units never add). */
  readonly always?: readonly string[];
  readonly measures: readonly Measure[];
  base(d: KpiDialect, ctx: KpiContext): SqlFragment;
  /**
   * Final measures from the raw sums (micro-units, counts, seconds as numbers). Default: micro
   * → units, the rest as they are.
   */
  derive?(raw: (measure: string) => number | null, by: readonly KpiDimension[], ctx: KpiContext): KpiRow;
  /** Rows to leave out (e.g. a position that is zero everywhere). */
  keep?(row: KpiRow): boolean;
  /**
   * The values are wall-clock measurements of the pipeline (freshness), not a function of the
   * data: two engines fed the same records measure different lags. Parity tests compare
   * every other KPI. Default false.
   */
  readonly measured?: boolean;
}

// ---------------------------------------------------------------------------------------------
// shared building blocks

const OPEN_REQUEST = raw(`('active', 'on-hold', 'partially-fulfilled')`);
const COUNTED_REQUEST = raw(`('active', 'on-hold', 'partially-fulfilled', 'completed', 'fulfilled')`);

/** On-hand movements up to `asOf`, one row per movement, quantity in micro-units. */
function ledger(d: KpiDialect, ctx: KpiContext): SqlFragment {
  return sql`SELECT location_id, product_id, coalesce(lot_number, '') AS lot, unit, ${d.micro('quantity')} AS q
  FROM ${d.table('stock_movements')}
  WHERE ${d.occurredAtMs} <= ${ctx.asOfMs}`;
}

/**
 * Adds the location's region and platform (its parent) to a relation that has `location_id`:
 * one JOIN, as 18.16 allows.
 */
function withLocation(d: KpiDialect, inner: SqlFragment, columns: readonly string[]): SqlFragment {
  return sql`SELECT ${raw(columns.join(', '))}, coalesce(l_region, '') AS region, coalesce(l_platform, '') AS platform
FROM (${inner}) ${d.leftJoin} (
  SELECT id AS location_id, region_id AS l_region, parent_id AS l_platform FROM ${d.table('locations')}
) USING (location_id)`;
}

/** Adds the product's category to a relation that has `product_id`. */
function withProduct(d: KpiDialect, inner: SqlFragment, columns: readonly string[]): SqlFragment {
  return sql`SELECT ${raw(columns.join(', '))}, coalesce(p_category, '') AS category
FROM (${inner}) ${d.leftJoin} (
  SELECT id AS product_id, category AS p_category FROM ${d.table('products')}
) USING (product_id)`;
}

/** Both: location (region, platform) then product (category). */
function withLocationAndProduct(d: KpiDialect, inner: SqlFragment, columns: readonly string[]): SqlFragment {
  return withProduct(d, withLocation(d, inner, columns), [...columns, 'region', 'platform']);
}

const STOCK_DIMENSIONS = {
  region: 'region',
  platform: 'platform',
  warehouse: 'location_id',
  category: 'category',
  product: 'product_id',
  lot: 'lot',
} as const satisfies Partial<Record<KpiDimension, string>>;

const flag = (condition: string | SqlFragment): SqlFragment =>
  sql`CASE WHEN ${typeof condition === 'string' ? raw(condition) : condition} THEN 1 ELSE 0 END`;

const units = (micro: number | null): number | null => (micro === null ? null : micro / 1_000_000);
const ratio = (num: number | null, den: number | null): number | null =>
  num === null || den === null || den === 0 ? null : Math.round((num / den) * 1e6) / 1e6;
const hours = (seconds: number | null, count: number | null): number | null =>
  seconds === null || count === null || count === 0 || Number.isNaN(seconds)
    ? null
    : Math.round((seconds / count / 3600) * 1e4) / 1e4;

// ---------------------------------------------------------------------------------------------
// the KPIs

/** (a) Stock on hand, reserved (open shipments not yet dispatched) and available. */
const stockPosition: KpiDefinition = {
  name: 'stock_position',
  title: 'Stock on hand, reserved and available',
  dimensions: STOCK_DIMENSIONS,
  defaultBy: ['region', 'category'],
  always: ['unit'],
  measures: [
    { name: 'on_hand', sql: 'sum(on_hand_in)', kind: 'micro' },
    { name: 'reserved', sql: 'sum(reserved_in)', kind: 'micro' },
  ],
  base(d, ctx) {
    const reservations = sql`SELECT origin_id AS location_id, product_id, coalesce(lot_number, '') AS lot, unit,
    ${d.int64('0')} AS on_hand_in, ${d.micro('quantity')} AS reserved_in
  FROM ${d.table('shipment_lines')} ${d.innerJoin} (
    SELECT id AS shipment_id, version, origin_id FROM ${d.table('shipments')}
    WHERE (planned_at IS NULL OR planned_at <= ${ctx.asOf})
      AND (status IN ('planned', 'picked') OR (status <> 'cancelled' AND dispatched_at > ${ctx.asOf}))
  ) USING (shipment_id, version)`;
    const inner = sql`SELECT location_id, product_id, lot, unit, sum(on_hand_in) AS on_hand_in, sum(reserved_in) AS reserved_in
FROM (
  SELECT location_id, product_id, lot, unit, q AS on_hand_in, ${d.int64('0')} AS reserved_in FROM (${ledger(d, ctx)})
  UNION ALL
  ${reservations}
) GROUP BY location_id, product_id, lot, unit`;
    return withLocationAndProduct(d, inner, ['location_id', 'product_id', 'lot', 'unit', 'on_hand_in', 'reserved_in']);
  },
  derive: (r) => {
    const onHand = r('on_hand') ?? 0;
    const reserved = r('reserved') ?? 0;
    return { on_hand: units(onHand), reserved: units(reserved), available: units(onHand - reserved) };
  },
  keep: (row) => row.on_hand !== 0 || row.reserved !== 0,
};

/** (b) Open requests by priority and age. */
const priorityBacklog: KpiDefinition = {
  name: 'priority_backlog',
  title: 'Open supply requests by priority and age',
  dimensions: { priority: 'priority', age: 'age', region: 'region', platform: 'platform', warehouse: 'location_id' },
  defaultBy: ['priority', 'age'],
  measures: [
    { name: 'requests', sql: 'count(*)', kind: 'count' },
    { name: 'oldest_authored_s', sql: 'min(authored_s)', kind: 'seconds' },
  ],
  base(d, ctx) {
    const inner = sql`SELECT id, priority, deliver_to_id AS location_id, ${d.epochSeconds('authored_at')} AS authored_s,
    CASE
      WHEN authored_at > ${ctx.before(6 * HOUR_MS)} THEN '0-6h'
      WHEN authored_at > ${ctx.before(DAY_MS)} THEN '6-24h'
      WHEN authored_at > ${ctx.before(3 * DAY_MS)} THEN '1-3d'
      WHEN authored_at > ${ctx.before(7 * DAY_MS)} THEN '3-7d'
      ELSE '7d+'
    END AS age
  FROM ${d.table('supply_requests')}
  WHERE status IN ${OPEN_REQUEST} AND authored_at <= ${ctx.asOf}`;
    return withLocation(d, inner, ['id', 'priority', 'location_id', 'authored_s', 'age']);
  },
  derive: (r, _by, ctx) => ({
    requests: r('requests'),
    oldest_age_hours: hours(ctx.asOfMs / 1000 - (r('oldest_authored_s') ?? Number.NaN), 1),
  }),
};

/** (c) Shipments in transit, and late against their ETA. */
const shipmentsKpi: KpiDefinition = {
  name: 'shipments',
  title: 'Shipments in transit and late against ETA',
  dimensions: { region: 'region', platform: 'platform', warehouse: 'location_id', priority: 'prio' },
  defaultBy: ['region'],
  measures: [
    { name: 'in_transit', sql: 'sum(in_transit_f)', kind: 'count' },
    { name: 'late', sql: 'sum(late_f)', kind: 'count' },
    { name: 'delivered', sql: 'sum(delivered_f)', kind: 'count' },
    { name: 'delivered_late', sql: 'sum(delivered_late_f)', kind: 'count' },
  ],
  base(d, ctx) {
    const inTransit = sql`dispatched_at <= ${ctx.asOf} AND (delivered_at IS NULL OR delivered_at > ${ctx.asOf}) AND status <> 'cancelled'`;
    const delivered = sql`delivered_at <= ${ctx.asOf}`;
    const inner = sql`SELECT id, coalesce(priority, '') AS prio, destination_id AS location_id,
    ${flag(inTransit)} AS in_transit_f,
    ${flag(sql`${inTransit} AND eta < ${ctx.asOf}`)} AS late_f,
    ${flag(delivered)} AS delivered_f,
    ${flag(sql`${delivered} AND eta IS NOT NULL AND delivered_at > eta`)} AS delivered_late_f
  FROM ${d.table('shipments')}`;
    return withLocation(d, inner, [
      'id',
      'prio',
      'location_id',
      'in_transit_f',
      'late_f',
      'delivered_f',
      'delivered_late_f',
    ]);
  },
};

/**
 * (d) Fill rate: per request line, delivered ÷ requested (capped at 1); per request or partner,
 * the mean over their lines, and the share of lines filled completely.
 */
const fillRate: KpiDefinition = {
  name: 'fill_rate',
  title: 'Fill rate: delivered ÷ requested',
  dimensions: {
    request: 'request_id',
    product: 'product_id',
    partner: 'partner',
    priority: 'priority',
    region: 'region',
    warehouse: 'location_id',
  },
  defaultBy: ['partner'],
  measures: [
    { name: 'lines', sql: 'count(*)', kind: 'count' },
    { name: 'lines_filled', sql: `sum(CASE WHEN delivered_in >= requested_in THEN 1 ELSE 0 END)`, kind: 'count' },
    { name: 'fill_ppm', sql: 'sum(fill_ppm)', kind: 'count' },
    { name: 'requested', sql: 'sum(requested_in)', kind: 'micro' },
    { name: 'delivered', sql: 'sum(delivered_in)', kind: 'micro' },
  ],
  base(d, ctx) {
    const requested = sql`SELECT request_id, product_id, unit, ${d.micro('quantity')} AS requested_in, ${d.int64('0')} AS delivered_in
    FROM ${d.table('supply_request_lines')} ${d.innerJoin} (
      SELECT id AS request_id, version FROM ${d.table('supply_requests')}
    ) USING (request_id, version)`;
    const delivered = sql`SELECT request_id, product_id, unit, ${d.int64('0')} AS requested_in, ${d.micro('quantity')} AS delivered_in
    FROM ${d.table('shipment_lines')} ${d.innerJoin} (
      SELECT id AS shipment_id, version, ${d.firstElement('request_ids')} AS request_id FROM ${d.table('shipments')}
      WHERE coalesce(delivered_at, received_at) <= ${ctx.asOf} AND status <> 'cancelled'
    ) USING (shipment_id, version)`;
    const lines = sql`SELECT request_id, product_id, unit, sum(requested_in) AS requested_in, sum(delivered_in) AS delivered_in
  FROM (${requested} UNION ALL ${delivered})
  GROUP BY request_id, product_id, unit`;
    // Per line, the fill ratio in parts per million, floored: an exact integer in both engines.
    const inner = sql`SELECT request_id, product_id, unit, requested_in, delivered_in, partner, priority, location_id,
    ${d.int64(sql`floor(${d.double('least(delivered_in, requested_in)')} / ${d.double('requested_in')} * 1000000)`)} AS fill_ppm
  FROM (${lines}) ${d.innerJoin} (
    SELECT id AS request_id, requester_id AS partner, priority, deliver_to_id AS location_id
    FROM ${d.table('supply_requests')}
    WHERE status IN ${COUNTED_REQUEST} AND authored_at <= ${ctx.asOf}
  ) USING (request_id)
  WHERE requested_in > 0`;
    return withLocation(d, inner, [
      'request_id',
      'product_id',
      'unit',
      'requested_in',
      'delivered_in',
      'partner',
      'priority',
      'location_id',
      'fill_ppm',
    ]);
  },
  derive: (r, by) => {
    // Quantities add up only within one product (one unit): shown when grouped by product.
    const perProduct = by.includes('product');
    return {
      lines: r('lines'),
      lines_filled: r('lines_filled'),
      fill_rate:
        ratio(r('fill_ppm'), r('lines')) === null ? null : Math.round(ratio(r('fill_ppm'), r('lines')) as number) / 1e6,
      requested: perProduct ? units(r('requested')) : null,
      delivered: perProduct ? units(r('delivered')) : null,
    };
  },
};

/** (e) Lead times request → dispatch → delivery → receipt, and mobilisation within 6 hours. */
const leadTimes: KpiDefinition = {
  name: 'lead_times',
  title: 'Lead times and mobilisation against the 6-hour target',
  dimensions: {
    priority: 'prio',
    region: 'region',
    platform: 'platform',
    warehouse: 'location_id',
    day: 'day',
  },
  defaultBy: ['priority'],
  measures: [
    { name: 'shipments', sql: 'count(*)', kind: 'count' },
    { name: 'to_dispatch_s', sql: 'sum(to_dispatch_s)', kind: 'seconds' },
    { name: 'to_dispatch_n', sql: 'count(to_dispatch_s)', kind: 'count' },
    { name: 'to_delivery_s', sql: 'sum(to_delivery_s)', kind: 'seconds' },
    { name: 'to_delivery_n', sql: 'count(to_delivery_s)', kind: 'count' },
    { name: 'to_receipt_s', sql: 'sum(to_receipt_s)', kind: 'seconds' },
    { name: 'to_receipt_n', sql: 'count(to_receipt_s)', kind: 'count' },
    { name: 'within_6h', sql: 'sum(CASE WHEN to_dispatch_s <= 21600 THEN 1 ELSE 0 END)', kind: 'count' },
  ],
  base(d, ctx) {
    const shipments = sql`SELECT id, ${d.firstElement('request_ids')} AS request_id, coalesce(priority, '') AS prio,
      origin_id AS location_id, ${d.dayText('dispatched_at')} AS day,
      ${d.epochSeconds('dispatched_at')} AS dispatched_s,
      CASE WHEN delivered_at <= ${ctx.asOf} THEN ${d.epochSeconds('delivered_at')} END AS delivered_s,
      CASE WHEN received_at <= ${ctx.asOf} THEN ${d.epochSeconds('received_at')} END AS received_s
    FROM ${d.table('shipments')}
    WHERE dispatched_at <= ${ctx.asOf}`;
    const inner = sql`SELECT id, prio, location_id, day,
    dispatched_s - authored_s AS to_dispatch_s,
    delivered_s - dispatched_s AS to_delivery_s,
    received_s - delivered_s AS to_receipt_s
  FROM (${shipments}) ${d.leftJoin} (
    SELECT id AS request_id, ${d.epochSeconds('authored_at')} AS authored_s FROM ${d.table('supply_requests')}
  ) USING (request_id)`;
    return withLocation(d, inner, [
      'id',
      'prio',
      'location_id',
      'day',
      'to_dispatch_s',
      'to_delivery_s',
      'to_receipt_s',
    ]);
  },
  derive: (r) => ({
    shipments: r('shipments'),
    request_to_dispatch_hours: hours(r('to_dispatch_s'), r('to_dispatch_n')),
    dispatch_to_delivery_hours: hours(r('to_delivery_s'), r('to_delivery_n')),
    delivery_to_receipt_hours: hours(r('to_receipt_s'), r('to_receipt_n')),
    mobilised: r('to_dispatch_n'),
    within_6h: r('within_6h'),
    within_6h_share: ratio(r('within_6h'), r('to_dispatch_n')),
  }),
};

/** (f) Lots on hand expiring within 30, 90 and 180 days (and already expired). */
const expiry: KpiDefinition = {
  name: 'expiry',
  title: 'Stock expiring within 30, 90 and 180 days',
  dimensions: { horizon: 'horizon', ...STOCK_DIMENSIONS },
  defaultBy: ['horizon'],
  always: ['unit'],
  measures: [
    { name: 'quantity', sql: 'sum(on_hand_in)', kind: 'micro' },
    { name: 'positions', sql: 'count(*)', kind: 'count' },
  ],
  base(d, ctx) {
    const positions = sql`SELECT location_id, product_id, lot, unit, sum(q) AS on_hand_in
    FROM (${ledger(d, ctx)}) WHERE lot <> ''
    GROUP BY location_id, product_id, lot, unit
    HAVING sum(q) > 0`;
    const inner = sql`SELECT location_id, product_id, lot, unit, on_hand_in,
    CASE
      WHEN expiry < ${ctx.day(0)} THEN 'expired'
      WHEN expiry <= ${ctx.day(30)} THEN '0-30d'
      WHEN expiry <= ${ctx.day(90)} THEN '31-90d'
      WHEN expiry <= ${ctx.day(180)} THEN '91-180d'
      ELSE ''
    END AS horizon
  FROM (${positions}) ${d.innerJoin} (
    SELECT lot_product AS product_id, lot, expiry FROM (
      SELECT coalesce(product_id, '') AS lot_product, coalesce(lot_number, '') AS lot, expiry
      FROM ${d.table('lots')} WHERE expiry IS NOT NULL
    )
  ) USING (product_id, lot)`;
    const within = sql`SELECT location_id, product_id, lot, unit, on_hand_in, horizon FROM (${inner}) WHERE horizon <> ''`;
    return withLocationAndProduct(d, within, ['location_id', 'product_id', 'lot', 'unit', 'on_hand_in', 'horizon']);
  },
};

/** (f) Losses to expiry, damage and other loss over the 30 days up to `asOf`. */
const losses: KpiDefinition = {
  name: 'losses',
  title: 'Expiry, damage and other losses over 30 days',
  dimensions: { movement_type: 'movement_type', day: 'day', ...STOCK_DIMENSIONS },
  defaultBy: ['movement_type'],
  always: ['unit'],
  measures: [
    { name: 'quantity', sql: 'sum(lost_in)', kind: 'micro' },
    { name: 'movements', sql: 'count(*)', kind: 'count' },
  ],
  base(d, ctx) {
    const inner = sql`SELECT location_id, product_id, coalesce(lot_number, '') AS lot, unit, movement_type,
    ${d.dayText('occurred_at')} AS day, ${d.int64('0')} - ${d.micro('quantity')} AS lost_in
  FROM ${d.table('stock_movements')}
  WHERE movement_type IN ('expiry-write-off', 'damage', 'loss')
    AND ${d.occurredAtMs} <= ${ctx.asOfMs} AND ${d.occurredAtMs} > ${ctx.asOfMs - 30 * DAY_MS}`;
    return withLocationAndProduct(d, inner, [
      'location_id',
      'product_id',
      'lot',
      'unit',
      'movement_type',
      'day',
      'lost_in',
    ]);
  },
};

/** (g) Stock-outs and positions below their product's minimum level. */
const stockOuts: KpiDefinition = {
  name: 'stock_outs',
  title: 'Stock-outs, stock-out days and products below their minimum level',
  dimensions: {
    region: 'region',
    platform: 'platform',
    warehouse: 'location_id',
    category: 'category',
    product: 'product_id',
  },
  defaultBy: ['region'],
  measures: [
    { name: 'positions', sql: 'count(*)', kind: 'count' },
    { name: 'stock_outs', sql: 'sum(CASE WHEN on_hand_in <= 0 THEN 1 ELSE 0 END)', kind: 'count' },
    { name: 'stock_out_days', sql: 'sum(out_days)', kind: 'count' },
    { name: 'below_minimum', sql: 'sum(CASE WHEN on_hand_in < min_level_in THEN 1 ELSE 0 END)', kind: 'count' },
  ],
  base(d, ctx) {
    const positions = sql`SELECT location_id, product_id, sum(q) AS on_hand_in
    FROM (${ledger(d, ctx)}) GROUP BY location_id, product_id`;
    // The 30 whole days before the day of asOf: the balance at the end of each, by a cross join
    // with the day numbers (no window functions in 18.16); a day counts once the position exists.
    const dayEnd = sql`${Math.floor(ctx.asOfMs / DAY_MS) * DAY_MS} - n * ${DAY_MS}`;
    const balances = sql`SELECT location_id, product_id, n,
      sum(CASE WHEN ms < ${dayEnd} THEN q ELSE 0 END) AS balance,
      sum(CASE WHEN ms < ${dayEnd} THEN 1 ELSE 0 END) AS seen
    FROM (
      SELECT location_id, product_id, ${d.int64(d.occurredAtMs)} AS ms, ${d.micro('quantity')} AS q
      FROM ${d.table('stock_movements')}
    ) CROSS JOIN (${d.numbers(30)})
    GROUP BY location_id, product_id, n`;
    const days = sql`SELECT location_id, product_id, sum(CASE WHEN seen > 0 AND balance <= 0 THEN 1 ELSE 0 END) AS days_out
    FROM (${balances}) GROUP BY location_id, product_id`;
    const withDays = sql`SELECT location_id, product_id, on_hand_in, coalesce(days_out, 0) AS out_days
  FROM (${positions}) ${d.leftJoin} (${days}) USING (location_id, product_id)`;
    const inner = sql`SELECT location_id, product_id, on_hand_in, out_days, coalesce(p_category, '') AS category,
    ${d.micro('coalesce(p_min_level, 0)')} AS min_level_in
  FROM (${withDays}) ${d.leftJoin} (
    SELECT id AS product_id, category AS p_category, ${d.jsonNumber('doc', 'minLevel')} AS p_min_level
    FROM ${d.table('products')}
  ) USING (product_id)`;
    return withLocation(d, inner, ['location_id', 'product_id', 'on_hand_in', 'out_days', 'category', 'min_level_in']);
  },
};

/** (h) Equipment availability, and maintenance overdue and planned. */
const equipmentKpi: KpiDefinition = {
  name: 'equipment',
  title: 'Equipment availability and maintenance',
  dimensions: { kind: 'kind', region: 'region', platform: 'platform', warehouse: 'location_id' },
  defaultBy: ['kind'],
  measures: [
    { name: 'equipment', sql: 'count(*)', kind: 'count' },
    { name: 'available', sql: `sum(CASE WHEN status = 'available' THEN 1 ELSE 0 END)`, kind: 'count' },
    { name: 'maintenance_overdue', sql: 'sum(overdue_f)', kind: 'count' },
    { name: 'maintenance_planned', sql: 'sum(planned_n)', kind: 'count' },
  ],
  base(d, ctx) {
    const events = sql`SELECT equipment_id AS id,
      sum(${flag(sql`status = 'scheduled' AND scheduled_for < ${ctx.asOf}`)}) AS e_overdue,
      sum(${flag(sql`status = 'scheduled' AND scheduled_for >= ${ctx.asOf}`)}) AS e_planned
    FROM ${d.table('maintenance_events')} GROUP BY equipment_id`;
    const joined = sql`SELECT id, kind, status, coalesce(location_id, '') AS loc_id,
    ${flag(sql`next_maintenance_due < ${ctx.day(0)} OR coalesce(e_overdue, 0) > 0`)} AS overdue_f,
    coalesce(e_planned, 0) AS planned_n
  FROM ${d.table('equipment')} ${d.leftJoin} (${events}) USING (id)
  WHERE status <> 'retired'`;
    const inner = sql`SELECT id, kind, status, loc_id AS location_id, overdue_f, planned_n FROM (${joined})`;
    return withLocation(d, inner, ['id', 'kind', 'status', 'location_id', 'overdue_f', 'planned_n']);
  },
  derive: (r) => ({
    equipment: r('equipment'),
    available: r('available'),
    availability: ratio(r('available'), r('equipment')),
    maintenance_overdue: r('maintenance_overdue'),
    maintenance_planned: r('maintenance_planned'),
  }),
};

/** (i) Days of supply: on hand ÷ average daily dispatches over the last 30 days. */
const daysOfSupply: KpiDefinition = {
  name: 'days_of_supply',
  title: 'Days of supply (coverage) from 30-day consumption',
  dimensions: STOCK_DIMENSIONS,
  defaultBy: ['region', 'category'],
  always: ['unit'],
  measures: [
    { name: 'on_hand', sql: 'sum(on_hand_in)', kind: 'micro' },
    { name: 'consumed_30d', sql: 'sum(consumed_in)', kind: 'micro' },
  ],
  base(d, ctx) {
    const inner = sql`SELECT location_id, product_id, coalesce(lot_number, '') AS lot, unit, ${d.micro('quantity')} AS on_hand_in,
    CASE WHEN movement_type = 'dispatch' AND ${d.occurredAtMs} > ${ctx.asOfMs - 30 * DAY_MS}
      THEN ${d.int64('0')} - ${d.micro('quantity')} ELSE ${d.int64('0')} END AS consumed_in
  FROM ${d.table('stock_movements')}
  WHERE ${d.occurredAtMs} <= ${ctx.asOfMs}`;
    return withLocationAndProduct(d, inner, ['location_id', 'product_id', 'lot', 'unit', 'on_hand_in', 'consumed_in']);
  },
  derive: (r) => ({
    on_hand: units(r('on_hand')),
    consumed_30d: units(r('consumed_30d')),
    daily_consumption: units(Math.round((r('consumed_30d') ?? 0) / 30)),
    days_of_supply: r('consumed_30d')
      ? Math.round(((r('on_hand') ?? 0) / ((r('consumed_30d') ?? 0) / 30)) * 100) / 100
      : null,
  }),
  keep: (row) => row.on_hand !== 0 || row.consumed_30d !== 0,
};

/** (j) Inventory accuracy: each stock count against the ledger at the time of the count. */
const inventoryAccuracy: KpiDefinition = {
  name: 'inventory_accuracy',
  title: 'Inventory record accuracy: counts against the ledger',
  dimensions: STOCK_DIMENSIONS,
  defaultBy: ['warehouse'],
  always: ['unit'],
  measures: [
    { name: 'counts', sql: 'count(*)', kind: 'count' },
    { name: 'exact', sql: 'sum(CASE WHEN counted_in = ledger_in THEN 1 ELSE 0 END)', kind: 'count' },
    { name: 'counted', sql: 'sum(counted_in)', kind: 'micro' },
    { name: 'ledger', sql: 'sum(ledger_in)', kind: 'micro' },
    { name: 'absolute_difference', sql: 'sum(abs(counted_in - ledger_in))', kind: 'micro' },
  ],
  base(d, ctx) {
    // No inequality joins in 18.16: join on the position, then count only movements up to the count.
    const pairs = sql`SELECT snapshot_id, location_id, product_id, lot, unit, counted_in,
      sum(CASE WHEN m_ms <= counted_ms THEN m_q ELSE 0 END) AS ledger_in
    FROM (
      SELECT id AS snapshot_id, location_id, product_id, coalesce(lot_number, '') AS lot, unit,
        ${d.micro('quantity')} AS counted_in, ${d.epochSeconds('counted_at')} * 1000 AS counted_ms
      FROM ${d.table('stock_snapshots')} WHERE counted_at <= ${ctx.asOf}
    ) ${d.allLeftJoin} (
      SELECT location_id, product_id, coalesce(lot_number, '') AS lot, unit,
        ${d.int64(d.occurredAtMs)} AS m_ms, ${d.micro('quantity')} AS m_q
      FROM ${d.table('stock_movements')}
    ) USING (location_id, product_id, lot, unit)
    GROUP BY snapshot_id, location_id, product_id, lot, unit, counted_in`;
    return withLocationAndProduct(d, pairs, [
      'snapshot_id',
      'location_id',
      'product_id',
      'lot',
      'unit',
      'counted_in',
      'ledger_in',
    ]);
  },
  derive: (r) => ({
    counts: r('counts'),
    exact: r('exact'),
    accuracy: ratio(r('exact'), r('counts')),
    counted: units(r('counted')),
    ledger: units(r('ledger')),
    absolute_difference: units(r('absolute_difference')),
  }),
};

/** Data freshness: how far behind each connector and source is, from the movements' lineage. */
const dataFreshness: KpiDefinition = {
  name: 'data_freshness',
  title: 'Data freshness per connector and source',
  dimensions: { connector: 'connector', source: 'source_system', region: 'region_id', warehouse: 'location_id' },
  defaultBy: ['connector', 'source'],
  measures: [
    { name: 'records', sql: 'count(*)', kind: 'count' },
    { name: 'last_ingested_s', sql: 'max(ingested_s)', kind: 'seconds' },
    { name: 'last_occurred_ms', sql: 'max(occurred_ms)', kind: 'count' },
  ],
  base(d, ctx) {
    return sql`SELECT connector, source_system, region_id, location_id,
    ${d.epochSeconds('ingested_at')} AS ingested_s, ${d.int64(d.occurredAtMs)} AS occurred_ms
  FROM ${d.table('stock_movements')}
  WHERE ingested_at <= ${ctx.asOf}`;
  },
  derive: (r, _by, ctx) => {
    // Over no rows, max() is NULL in DuckDB and 0 in ClickHouse: both mean "none".
    const none = !r('records');
    const ingested = none ? null : r('last_ingested_s');
    const occurred = none ? null : r('last_occurred_ms');
    return {
      records: r('records'),
      last_ingested_at: ingested === null ? null : new Date(ingested * 1000).toISOString(),
      last_occurred_at: occurred === null ? null : new Date(occurred).toISOString(),
      // Since the last record arrived, and how old the newest event was when it arrived.
      staleness_hours: ingested === null ? null : hours(ctx.asOfMs / 1000 - ingested, 1),
      lag_hours: ingested === null || occurred === null ? null : hours(ingested - occurred / 1000, 1),
    };
  },
};

/**
 * Stock on hand now, from the real-time aggregate `stock_on_hand_agg` (ClickHouse: a
 * SummingMergeTree fed by a materialized view on `movement_ids`, which the writer fills only
 * with movement ids never inserted before; DuckDB: a view). Fast at national scale, and exact
 * under redelivery: it equals `stock_position` (FINAL) at any time after the last movement.
 * `asOf` does not apply.
 */
const stockOnHandLive: KpiDefinition = {
  name: 'stock_on_hand_live',
  title: 'Stock on hand now, from the real-time aggregate',
  dimensions: STOCK_DIMENSIONS,
  defaultBy: ['region', 'category'],
  always: ['unit'],
  measures: [
    { name: 'on_hand', sql: 'sum(on_hand_in)', kind: 'micro' },
    { name: 'movements', sql: 'sum(movements_n)', kind: 'count' },
  ],
  base(d) {
    const inner = sql`SELECT location_id, product_id, lot, unit, on_hand_micro AS on_hand_in, movements AS movements_n
  FROM stock_on_hand_agg`;
    return withLocationAndProduct(d, inner, ['location_id', 'product_id', 'lot', 'unit', 'on_hand_in', 'movements_n']);
  },
  keep: (row) => row.on_hand !== 0,
};

/**
 * Movements per day × region × type over the 30 days up to `asOf`, from the real-time
 * aggregate `movements_daily_agg` (fed like `stock_on_hand_live`'s, exact under redelivery).
 */
const movementsDaily: KpiDefinition = {
  name: 'movements_daily',
  title: 'Movements per day, region and type, from the real-time aggregate',
  dimensions: { day: 'day_text', region: 'region_id', movement_type: 'movement_type' },
  defaultBy: ['day', 'movement_type'],
  always: ['unit'],
  measures: [
    { name: 'movements', sql: 'sum(movements_n)', kind: 'count' },
    { name: 'quantity', sql: 'sum(quantity_in)', kind: 'micro' },
  ],
  base(d, ctx) {
    return sql`SELECT ${d.dayText('day')} AS day_text, region_id, movement_type, unit, movements AS movements_n, quantity_micro AS quantity_in
  FROM movements_daily_agg
  WHERE day > ${ctx.day(-30)} AND day <= ${ctx.day(0)}`;
  },
};

/** The hour of freshness measurements the KPI reads, up to `asOf`. */
const FRESHNESS_WINDOW_MS = HOUR_MS;

/**
 * Freshness per connector and source over the hour up to `asOf`: the lag from reading a
 * record at its source to its being queryable, as measured by the sinks (warehouse/freshness.ts).
 */
const freshnessLag: KpiDefinition = {
  name: 'freshness_lag',
  title: 'Lag from source read to queryable, per connector and source (last hour)',
  dimensions: { connector: 'connector', source: 'source_system', day: 'day' },
  defaultBy: ['connector', 'source'],
  measured: true,
  measures: [
    { name: 'records', sql: 'sum(records)', kind: 'count' },
    { name: 'lag_sum_ms', sql: 'sum(lag_sum_ms)', kind: 'count' },
    { name: 'lag_max_ms', sql: 'max(lag_max_ms)', kind: 'count' },
    ...FRESHNESS_BUCKET_COLUMNS.map((c) => ({ name: c, sql: `sum(${c})`, kind: 'count' as const })),
  ],
  base(d, ctx) {
    return sql`SELECT connector, source_system, ${d.dayText('minute')} AS day, records, lag_sum_ms, lag_max_ms,
    ${raw(FRESHNESS_BUCKET_COLUMNS.join(', '))}
  FROM freshness
  WHERE minute > ${ctx.before(FRESHNESS_WINDOW_MS)} AND minute <= ${ctx.asOf}`;
  },
  derive: (r) => {
    const records = r('records') ?? 0;
    const max = records > 0 ? r('lag_max_ms') : null;
    const buckets = FRESHNESS_BUCKET_COLUMNS.map((c) => r(c) ?? 0);
    const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
    return {
      records,
      p50_seconds: seconds(quantileFromBuckets(0.5, records, buckets, max)),
      p99_seconds: seconds(quantileFromBuckets(0.99, records, buckets, max)),
      max_seconds: seconds(max),
      mean_seconds: records > 0 ? Math.round((r('lag_sum_ms') ?? 0) / records) / 1000 : null,
    };
  },
};

export const KPIS: Readonly<Record<string, KpiDefinition>> = Object.fromEntries(
  [
    stockPosition,
    priorityBacklog,
    shipmentsKpi,
    fillRate,
    leadTimes,
    expiry,
    losses,
    stockOuts,
    equipmentKpi,
    daysOfSupply,
    inventoryAccuracy,
    dataFreshness,
    stockOnHandLive,
    movementsDaily,
    freshnessLag,
  ].map((k) => [k.name, k]),
);

export const KPI_NAMES: readonly string[] = Object.keys(KPIS);

// ---------------------------------------------------------------------------------------------
// a request → one query → rows

export interface KpiPlan {
  readonly definition: KpiDefinition;
  readonly by: readonly KpiDimension[];
  readonly ctx: KpiContext;
  readonly filters: readonly [column: string, value: string][];
}

function refuse(name: string, reason: string): never {
  throw new HubError('HUB_ERR_KPI_REQUEST', { name, reason });
}

const FILTER_DIMENSIONS = ['region', 'warehouse', 'category', 'product'] as const;

/** Checks a request against the KPI's definition. Throws `HUB_ERR_KPI_REQUEST`. */
export function planKpi(name: string, options: KpiOptions = {}, now = Date.now()): KpiPlan {
  const definition = Object.hasOwn(KPIS, name) ? KPIS[name] : undefined;
  if (definition === undefined) refuse(String(name), `unknown KPI; known are ${KPI_NAMES.join(', ')}`);
  const by = options.by ?? definition.defaultBy;
  for (const dim of by) {
    if (!Object.hasOwn(definition.dimensions, dim)) {
      refuse(name, `no dimension ${String(dim)}; offered are ${Object.keys(definition.dimensions).join(', ')}`);
    }
  }
  if (new Set(by).size !== by.length) refuse(name, 'a dimension is repeated');
  const filters: [string, string][] = [];
  for (const key of FILTER_DIMENSIONS) {
    const value = options.filters?.[key];
    if (value === undefined) continue;
    const column = definition.dimensions[key];
    if (column === undefined) refuse(name, `no filter on ${key}`);
    filters.push([column, value]);
  }
  let asOfMs = now;
  if (options.asOf !== undefined) {
    asOfMs = Date.parse(options.asOf);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(options.asOf) || Number.isNaN(asOfMs) || asOfMs < 0) {
      refuse(name, 'asOf must be an RFC 3339 date-time');
    }
  }
  const dayMs = Math.floor(asOfMs / DAY_MS) * DAY_MS;
  const ctx: KpiContext = {
    asOfMs,
    asOf: sqlDateTime(new Date(asOfMs)),
    before: (ms) => sqlDateTime(new Date(Math.max(0, asOfMs - ms))),
    day: (days) => sqlDate(new Date(dayMs + days * DAY_MS)),
  };
  return { definition, by, ctx, filters };
}

/** The one query of a plan, in a dialect. */
export function kpiSql(d: KpiDialect, plan: KpiPlan): SqlFragment {
  const { definition } = plan;
  const groups = [
    ...plan.by.map((dim) => {
      const column = definition.dimensions[dim] as string;
      return column === dim ? raw(column) : raw(`${column} AS ${dim}`);
    }),
    ...(definition.always ?? []).map((c) => raw(c)),
  ];
  const groupColumns = [...plan.by.map((dim) => definition.dimensions[dim] as string), ...(definition.always ?? [])];
  const measures = definition.measures.map((m) => raw(`${m.sql} AS m_${m.name}`));
  const conditions = plan.filters.map(([column, value]) => sql`${raw(column)} = ${value}`);
  return sql`SELECT ${joinSql([...groups, ...measures])}
FROM (${definition.base(d, plan.ctx)})
${conditions.length > 0 ? sql`WHERE ${joinSql(conditions, ' AND ')}` : raw('')}
${groupColumns.length > 0 ? raw(`GROUP BY ${groupColumns.join(', ')}`) : raw('')}`;
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Engine rows → `KpiRow`s, sorted by their dimensions. */
export function toKpiRows(plan: KpiPlan, rows: readonly Record<string, unknown>[]): KpiRow[] {
  const { definition } = plan;
  const keys = [...plan.by, ...(definition.always ?? [])];
  const out = rows.map((r) => {
    const dims: Record<string, string> = {};
    for (const key of keys) dims[key] = r[key] === null || r[key] === undefined ? '' : String(r[key]);
    const measured: Record<string, number | null> = {};
    for (const m of definition.measures) {
      const value = toNumber(r[`m_${m.name}`]);
      // A sum or count over no rows is NULL in DuckDB and 0 in ClickHouse: both read 0.
      measured[m.name] = value === null && m.kind !== 'seconds' ? 0 : value;
    }
    const derived = definition.derive
      ? definition.derive((m) => measured[m] ?? null, plan.by, plan.ctx)
      : Object.fromEntries(
          definition.measures.map((m) => [
            m.name,
            m.kind === 'micro' ? units(measured[m.name] ?? null) : measured[m.name],
          ]),
        );
    return { ...dims, ...derived } as KpiRow;
  });
  const kept = definition.keep ? out.filter(definition.keep) : out;
  return kept.sort((a, b) => {
    for (const key of keys) {
      const c = compare(String(a[key]), String(b[key]));
      if (c !== 0) return c;
    }
    return 0;
  });
}
