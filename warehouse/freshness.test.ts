import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../core/observability/metrics.js';
import type { CanonicalResource } from '../core/ports/index.js';
import { describeWithService, randomName } from '../test/services.js';
import { ClickHouseWarehouse } from './clickhouse/clickhouse-warehouse.js';
import { DuckDbWarehouse } from './duckdb/duckdb-warehouse.js';
import {
  FRESHNESS_BOUNDS_MS,
  type FreshnessRow,
  freshnessInsertSql,
  freshnessRows,
  quantileFromBuckets,
  recordFreshness,
} from './freshness.js';

const ACK = Date.parse('2026-11-28T12:00:30.000Z');

function record(id: string, connector: string, source: string, lagMs: number | null): CanonicalResource {
  return {
    resourceType: 'StockMovement',
    id,
    meta:
      lagMs === null
        ? {}
        : {
            lineage: {
              connector,
              sourceSystem: source,
              sourceId: id,
              ingestedAt: new Date(ACK - lagMs).toISOString(),
              sourceHash: 'sha256:0',
            },
          },
  };
}

describe('freshness rows', () => {
  it('groups lags by connector and source, with cumulative buckets', () => {
    const rows = freshnessRows(
      [
        record('a', 'files', 'partner-x', 40),
        record('b', 'files', 'partner-x', 100),
        record('c', 'files', 'partner-x', 2_000),
        record('d', 'simulator', 'sim', 70_000),
        record('e', 'files', 'partner-x', null), // no lineage: not measured
        record('f', 'files', 'partner-x', -5), // in the future (clock skew): not measured
      ],
      ACK,
      'test-sink',
    );
    expect(rows).toHaveLength(2);
    const files = rows.find((r) => r.connector === 'files') as FreshnessRow;
    expect(files).toMatchObject({
      source_system: 'partner-x',
      minute: Date.parse('2026-11-28T12:00:00.000Z'),
      records: 3,
      lag_sum_ms: 2_140,
      lag_max_ms: 2_000,
    });
    expect(files.sink).toMatch(/^test-sink@.+:\d+$/);
    // bounds 50, 100, 250, 500, 1000, 2500, …: 40 ≤ 50; 100 ≤ 100; 2000 ≤ 2500
    expect(files.buckets.slice(0, 7)).toEqual([1, 2, 2, 2, 2, 3, 3]);
    const sim = rows.find((r) => r.connector === 'simulator') as FreshnessRow;
    expect(sim.buckets).toEqual(FRESHNESS_BOUNDS_MS.map((b) => (b >= 70_000 ? 1 : 0)));
  });

  it('derives quantiles as the bound of the bucket that holds them', () => {
    // 100 lags: 90 ≤ 50 ms, 9 ≤ 250 ms, 1 at 4 s.
    const buckets = FRESHNESS_BOUNDS_MS.map((b) => (b < 250 ? 90 : b < 5_000 ? 99 : 100));
    expect(quantileFromBuckets(0.5, 100, buckets, 4_000)).toBe(50);
    expect(quantileFromBuckets(0.99, 100, buckets, 4_000)).toBe(250);
    expect(quantileFromBuckets(1, 100, buckets, 4_000)).toBe(4_000); // capped at the max
    expect(quantileFromBuckets(0.5, 0, buckets, null)).toBeNull();
    // beyond the last bound: the max
    expect(
      quantileFromBuckets(
        0.5,
        1,
        FRESHNESS_BOUNDS_MS.map(() => 0),
        7_200_000,
      ),
    ).toBe(7_200_000);
  });

  it('inlines every value through the literal formatter', () => {
    const [row] = freshnessRows([record('a', "o'brien", 'x', 10)], ACK, 'sink');
    const text = freshnessInsertSql([row as FreshnessRow]).toSql('duckdb');
    expect(text).toContain("'o''brien'");
    expect(text).toContain("TIMESTAMP '2026-11-28 12:00:00.000'");
  });

  it('measures into hub_freshness_seconds and stores through the writer, leaving out refused records', async () => {
    const stored: FreshnessRow[] = [];
    const writer = { insertFreshness: async (rows: readonly FreshnessRow[]) => stored.push(...rows) };
    const now = Date.now();
    const fresh = (id: string) => ({
      ...record(id, 'unit-hook', 'src', null),
      meta: {
        lineage: {
          connector: 'unit-hook',
          sourceSystem: 'src',
          sourceId: id,
          ingestedAt: new Date(now - 1_000).toISOString(),
          sourceHash: 'sha256:0',
        },
      },
    });
    const refused = fresh('refused');
    await recordFreshness('unit', writer, [fresh('a'), fresh('b'), refused], [{ payload: refused }]);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.records).toBe(2);
    const metric = await registry.getSingleMetricAsString('hub_freshness_seconds');
    expect(metric).toMatch(/hub_freshness_seconds_count\{connector="unit-hook",source="src"\} 2/);
    // A writer that fails to store does not fail the batch.
    await expect(
      recordFreshness('unit', { insertFreshness: () => Promise.reject(new Error('down')) }, [fresh('c')]),
    ).resolves.toBeUndefined();
  });
});

/** Hand-made freshness rows, the same in both engines, read back through the freshness_lag KPI. */
const AS_OF = '2026-11-28T12:30:00Z';
const HAND_ROWS: FreshnessRow[] = [
  // two batches of one minute (two sinks), one older minute out of the hour window
  {
    connector: 'files',
    source_system: 'partner-x',
    minute: Date.parse('2026-11-28T12:10:00Z'),
    sink: 's1',
    records: 60,
    lag_sum_ms: 6_000,
    lag_max_ms: 900,
    buckets: FRESHNESS_BOUNDS_MS.map((b) => (b < 100 ? 20 : b < 1_000 ? 59 : 60)),
  },
  {
    connector: 'files',
    source_system: 'partner-x',
    minute: Date.parse('2026-11-28T12:10:00Z'),
    sink: 's2',
    records: 40,
    lag_sum_ms: 4_000,
    lag_max_ms: 3_000,
    buckets: FRESHNESS_BOUNDS_MS.map((b) => (b < 100 ? 20 : b < 5_000 ? 39 : 40)),
  },
  {
    connector: 'files',
    source_system: 'partner-x',
    minute: Date.parse('2026-11-28T11:00:00Z'),
    sink: 's1',
    records: 5,
    lag_sum_ms: 500_000,
    lag_max_ms: 200_000,
    buckets: FRESHNESS_BOUNDS_MS.map((b) => (b >= 300_000 ? 5 : 0)),
  },
];
// In the window (12:10, both sinks): 100 records; cumulative ≤ 50 ms: 20 + 20 = 40; ≤ 100 ms: 59 + 39 = 98;
// ≤ 1 s: 60 + 39 = 99; ≤ 5 s: 100. p50 (rank 50) first reached at 100 ms; p99 (rank 99) at 1 s;
// max 3 s; mean 10,000 ms / 100 = 0.1 s. The 11:00 row is outside the hour before AS_OF.
const EXPECTED = [
  {
    connector: 'files',
    source: 'partner-x',
    records: 100,
    p50_seconds: 0.1,
    p99_seconds: 1,
    max_seconds: 3,
    mean_seconds: 0.1,
  },
];

describeWithService('clickhouse', 'freshness stored and read back in both engines (freshness_lag)', (url) => {
  let dataDir: string;
  let duck: DuckDbWarehouse;
  let click: ClickHouseWarehouse;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hub-freshness-'));
    duck = new DuckDbWarehouse({ dataDir });
    await duck.init();
    click = new ClickHouseWarehouse({ url, database: randomName('hub_fresh') });
    await click.init();
    await click.migrate();
  });
  afterAll(async () => {
    await click?.dropDatabase();
    await click?.close();
    await duck?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('gives the hand-computed p50/p99/max/mean in both engines', async () => {
    await click.insertFreshness(HAND_ROWS);
    await duck.insertFreshness(HAND_ROWS);
    const options = { asOf: AS_OF };
    expect(await click.kpi('freshness_lag', options)).toEqual(EXPECTED);
    expect(await duck.kpi('freshness_lag', options)).toEqual(EXPECTED);
  });

  it('stores what the DuckDB sink commits, per connector and source', async () => {
    const now = new Date().toISOString();
    await duck.write({
      connector: 'fresh-test',
      stream: 'movements',
      records: [
        {
          ...record('m-1', 'fresh-test', 'src-a', 0),
          meta: {
            lineage: {
              connector: 'fresh-test',
              sourceSystem: 'src-a',
              sourceId: 'm-1',
              ingestedAt: now,
              sourceHash: 'sha256:0',
            },
          },
        },
      ],
      deadLetters: [],
      state: undefined,
    });
    const rows = await duck.kpi('freshness_lag', { asOf: new Date(Date.now() + 60_000).toISOString() });
    const row = rows.find((r) => r.connector === 'fresh-test');
    expect(row).toMatchObject({ source: 'src-a', records: 1 });
    expect(row?.max_seconds).toBeGreaterThanOrEqual(0);
  });
});
