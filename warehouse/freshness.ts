/**
 * Freshness (issue 5 §6): for every connector and source, the lag from the moment the hub read
 * a committed record from its source to the moment the record can be queried.
 *
 * - **Start**: the record's `meta.lineage.ingestedAt`, stamped by the connector runtime when it
 *   reads the record (by the ingest service when a partner pushes it). It is on the hub's own
 *   clock, so no source clock skew enters. `meta.lastUpdated` is the source's business time
 *   (simulated time for the simulator, back-dated for a file of last month's counts): it
 *   measures how late the source itself publishes, which `data_freshness` already reports
 *   (its `lag_hours`). For a polled source, the time a commit waited for the next poll is
 *   not included: add the connector's poll interval for the worst case.
 * - **End**: DuckDB, the COMMIT of the sink transaction returned; ClickHouse, every INSERT of
 *   the batch was acknowledged (what the Kafka sink waits for before committing offsets).
 *
 * Measured into the `hub_freshness_seconds{connector,source}` histogram (`/metrics`) and
 * stored in the `freshness` table of both engines: one row per acknowledged batch × connector
 * × source, holding the count, the sum and the maximum of the lags and cumulative bucket
 * counts (`le_<bound>ms`, as Prometheus buckets). Rows add up across batches, sink processes
 * and minutes, so the `freshness_lag` KPI reads exact counts and derives p50/p99 as the bound
 * of the bucket the quantile falls in (an upper bound, at the buckets' resolution).
 * A redelivered record is measured again, with its longer lag: it is a real second arrival.
 */
import { hostname } from 'node:os';
import { freshnessSeconds } from '../core/observability/metrics.js';
import type { CanonicalResource } from '../core/ports/index.js';
import { joinSql, raw, type SqlFragment, sql } from './sql/literal.js';

/** Bucket upper bounds (ms), cumulative: `le_<bound>ms` counts lags ≤ bound. */
export const FRESHNESS_BOUNDS_MS = [
  50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 3_600_000,
] as const;

export const FRESHNESS_BUCKET_COLUMNS: readonly string[] = FRESHNESS_BOUNDS_MS.map((b) => `le_${b}ms`);

/** One stored row: a batch's lags for one connector and source. */
export interface FreshnessRow {
  readonly connector: string;
  readonly source_system: string;
  /** Start of the UTC minute of the acknowledgement, epoch ms. */
  readonly minute: number;
  /** Which sink measured it (`<sink>@<host>:<pid>`). */
  readonly sink: string;
  readonly records: number;
  readonly lag_sum_ms: number;
  readonly lag_max_ms: number;
  /** Cumulative counts, in the order of `FRESHNESS_BOUNDS_MS`. */
  readonly buckets: readonly number[];
}

const INSTANCE = `${hostname()}:${process.pid}`;

/** The lags (ms) of one connector and source. */
interface LagGroup {
  readonly connector: string;
  readonly source: string;
  readonly lags: number[];
}

/**
 * The lags of a batch made queryable at `ackMs`, grouped by connector and source (in order of
 * first appearance). Records without a lineage time (or with one in the future, a skewed
 * clock) are left out. A batch's records share few ingest times, so each distinct one is
 * parsed once.
 */
function lagGroups(records: readonly CanonicalResource[], ackMs: number, fallbackConnector: string): LagGroup[] {
  const groups = new Map<string, LagGroup>();
  let lastText: unknown;
  let lastAt = Number.NaN;
  let lastKey = '';
  let last: LagGroup | undefined;
  for (const r of records) {
    const lineage = r.meta?.lineage;
    const text = lineage?.ingestedAt;
    if (text !== lastText) {
      lastText = text;
      lastAt = typeof text === 'string' ? Date.parse(text) : Number.NaN;
    }
    const at = lastAt;
    if (Number.isNaN(at) || at > ackMs) continue;
    const connector = lineage?.connector || fallbackConnector;
    const source = lineage?.sourceSystem ?? '';
    const key = `${connector}\u0000${source}`;
    if (last === undefined || key !== lastKey) {
      last = groups.get(key);
      if (last === undefined) {
        last = { connector, source, lags: [] };
        groups.set(key, last);
      }
      lastKey = key;
    }
    last.lags.push(ackMs - at);
  }
  return [...groups.values()];
}

function toRow({ connector, source, lags }: LagGroup, ackMs: number, sink: string): FreshnessRow {
  // Counts per bucket (a lag beyond the last bound counts in none), then cumulated.
  const counts = new Array<number>(FRESHNESS_BOUNDS_MS.length).fill(0);
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const lag of lags) {
    sum += lag;
    if (lag > max) max = lag;
    for (let b = 0; b < FRESHNESS_BOUNDS_MS.length; b++) {
      if (lag <= (FRESHNESS_BOUNDS_MS[b] as number)) {
        counts[b] = (counts[b] as number) + 1;
        break;
      }
    }
  }
  let cumulative = 0;
  return {
    connector,
    source_system: source,
    minute: Math.floor(ackMs / 60_000) * 60_000,
    sink: `${sink}@${INSTANCE}`,
    records: lags.length,
    lag_sum_ms: sum,
    lag_max_ms: max,
    buckets: counts.map((c) => {
      cumulative += c;
      return cumulative;
    }),
  };
}

/**
 * The lags of a batch made queryable at `ackMs`, grouped by connector and source. Records
 * without a lineage time (or with one in the future, a skewed clock) are left out.
 */
export function freshnessRows(
  records: readonly CanonicalResource[],
  ackMs: number,
  sink: string,
  fallbackConnector = '',
): FreshnessRow[] {
  return lagGroups(records, ackMs, fallbackConnector).map((g) => toRow(g, ackMs, sink));
}

/**
 * `freshnessRows`, and every lag of the batch observed in `hub_freshness_seconds`, in one
 * pass over the batch.
 */
export function measureFreshness(
  records: readonly CanonicalResource[],
  ackMs: number,
  sink: string,
  fallbackConnector = '',
): FreshnessRow[] {
  const groups = lagGroups(records, ackMs, fallbackConnector);
  for (const { connector, source, lags } of groups) {
    const labels = { connector, source };
    for (const lag of lags) freshnessSeconds.observe(labels, lag / 1000);
  }
  return groups.map((g) => toRow(g, ackMs, sink));
}

/** A writer that can store freshness rows (both warehouses). */
export interface FreshnessStore {
  insertFreshness(rows: readonly FreshnessRow[]): Promise<number>;
}

function isFreshnessStore(value: unknown): value is FreshnessStore {
  return typeof (value as Partial<FreshnessStore> | null)?.insertFreshness === 'function';
}

/**
 * The Kafka sink's hook, called right after the warehouse acknowledged a batch (less the
 * records it `refused` as dead letters): measures, then
 * stores when the writer can. Never throws: freshness is an observation, and failing to store
 * one must not hold back the batch's commit (the histogram still has it).
 */
export async function recordFreshness(
  sink: string,
  writer: unknown,
  batch: readonly CanonicalResource[],
  refused: readonly { readonly payload: unknown }[] = [],
  fallbackConnector = '',
): Promise<void> {
  const out = new Set(refused.map((d) => d.payload));
  const records = out.size === 0 ? batch : batch.filter((r) => !out.has(r));
  if (records.length === 0) return;
  const ackMs = Date.now();
  const rows = measureFreshness(records, ackMs, sink, fallbackConnector);
  if (rows.length > 0 && isFreshnessStore(writer)) await writer.insertFreshness(rows).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// storage, in both engines

/** The `freshness` table's columns (name, ClickHouse type, DuckDB type). */
export const FRESHNESS_COLUMNS: readonly (readonly [string, string, string])[] = [
  ['connector', 'String', 'VARCHAR NOT NULL'],
  ['source_system', 'String', 'VARCHAR NOT NULL'],
  ['minute', "DateTime('UTC')", 'TIMESTAMP NOT NULL'],
  ['sink', 'String', 'VARCHAR NOT NULL'],
  ['records', 'UInt64', 'UBIGINT NOT NULL'],
  ['lag_sum_ms', 'UInt64', 'UBIGINT NOT NULL'],
  ['lag_max_ms', 'UInt64', 'UBIGINT NOT NULL'],
  ...FRESHNESS_BUCKET_COLUMNS.map((c) => [c, 'UInt64', 'UBIGINT NOT NULL'] as const),
];

/** `CREATE TABLE` of DuckDB's `freshness` (ClickHouse's is in clickhouse-migrations.ts). */
export const DUCKDB_FRESHNESS_TABLE = `CREATE TABLE IF NOT EXISTS freshness (\n  ${FRESHNESS_COLUMNS.map(
  ([n, , t]) => `${n} ${t}`,
).join(',\n  ')}\n)`;

function values(row: FreshnessRow): (string | number | Date)[] {
  return [
    row.connector,
    row.source_system,
    new Date(row.minute),
    row.sink,
    Math.round(row.records),
    Math.round(row.lag_sum_ms),
    Math.round(row.lag_max_ms),
    ...row.buckets.map((b) => Math.round(b)),
  ];
}

/** One `INSERT … VALUES` of freshness rows, every value through the literal formatter. */
export function freshnessInsertSql(rows: readonly FreshnessRow[]): SqlFragment {
  const tuples = rows.map((row) => {
    const parts = values(row).map((v) => sql`${v}`);
    return sql`(${joinSql(parts)})`;
  });
  return sql`INSERT INTO freshness (${raw(FRESHNESS_COLUMNS.map(([n]) => n).join(', '))}) VALUES ${joinSql(tuples)}`;
}

/** A row as ClickHouse JSONEachRow. */
export function freshnessJson(row: FreshnessRow): Record<string, unknown> {
  const iso = new Date(row.minute).toISOString();
  const out: Record<string, unknown> = {
    connector: row.connector,
    source_system: row.source_system,
    minute: `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    sink: row.sink,
    records: Math.round(row.records),
    lag_sum_ms: Math.round(row.lag_sum_ms),
    lag_max_ms: Math.round(row.lag_max_ms),
  };
  FRESHNESS_BUCKET_COLUMNS.forEach((c, i) => {
    out[c] = Math.round(row.buckets[i] ?? 0);
  });
  return out;
}

/**
 * A quantile (0–1) from cumulative bucket counts: the bound (ms) of the first bucket holding
 * it, or `maxMs` when it lies beyond the last bound. Null without records.
 */
export function quantileFromBuckets(
  q: number,
  records: number,
  buckets: readonly number[],
  maxMs: number | null,
): number | null {
  if (records <= 0) return null;
  const rank = Math.ceil(q * records);
  for (let i = 0; i < FRESHNESS_BOUNDS_MS.length; i++) {
    if ((buckets[i] ?? 0) >= rank) return Math.min(FRESHNESS_BOUNDS_MS[i] as number, maxMs ?? Number.POSITIVE_INFINITY);
  }
  return maxMs;
}
