/**
 * One contract, every engine (Kysely's PerDialect habit): the scenario of scenario.ts goes into
 * DuckDB through the embedded path (RecordSink.write, one transaction per batch) and into
 * ClickHouse through the distributed path (WarehouseWriter, as the Kafka sink does), and both
 * must give the hand-computed answers — hence identical rows, which the last block checks
 * directly, row for row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import type { KpiRow, Warehouse, WarehouseWriter } from '../../core/ports/index.js';
import { describeWithService, randomName } from '../../test/services.js';
import { createClickHouseClient } from '../clickhouse/clickhouse-client.js';
import { ClickHouseWarehouse } from '../clickhouse/clickhouse-warehouse.js';
import { DuckDbWarehouse } from '../duckdb/duckdb-warehouse.js';
import { RESOURCE_TABLE_NAMES, RESOURCE_TABLES } from '../sql/resource-tables.js';
import { BATCHES, DISTINCT_RECORDS, LOCATION_CASES, STOCK_CASES, TABLE_COUNTS } from './scenario.js';

type Engine = 'duckdb' | 'clickhouse';

/** What the contract needs from an engine under test. */
interface Harness {
  readonly warehouse: Warehouse & WarehouseWriter;
  /** Loads every scenario batch through the engine's own ingestion path. */
  load(): Promise<void>;
  /** Distinct rows of a table, as readers see them (after dedup), optionally filtered. */
  count(table: string, where?: string): Promise<number>;
  /** Every row of a table as readers see it, ordered by `orderBy`, values as text. */
  dump(table: string, columns: readonly string[], orderBy: string): Promise<unknown[][]>;
  dispose(): Promise<void>;
}

/** Scalars as text (64-bit integers come as strings from one engine, numbers from the other). */
function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalise);
  return String(value);
}

type PerDialect<T> = { readonly [E in Engine]: T };

const HARNESSES: PerDialect<(url: string) => Promise<Harness>> = {
  async duckdb() {
    const dataDir = await mkdtemp(join(tmpdir(), 'hub-contract-'));
    const warehouse = new DuckDbWarehouse({ dataDir, migrateOnInit: false });
    await warehouse.init();
    return {
      warehouse,
      async load() {
        for (const batch of BATCHES) await warehouse.write(batch);
      },
      async count(table, where = '1 = 1') {
        // The file is this process's alone while open: look inside through a raw, read-only
        // instance once the warehouse is closed, then reopen it.
        await warehouse.close();
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const raw = await DuckDBInstance.create(warehouse.path, { access_mode: 'READ_ONLY' });
        try {
          const conn = await raw.connect();
          const reader = await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
          conn.closeSync();
          return Number(reader.getRowObjectsJson()[0]?.n);
        } finally {
          raw.closeSync();
          await warehouse.init();
        }
      },
      async dump(table, columns, orderBy) {
        await warehouse.close();
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const raw = await DuckDBInstance.create(warehouse.path, { access_mode: 'READ_ONLY' });
        try {
          const conn = await raw.connect();
          const list = columns.map((c) => `"${c}"`).join(', ');
          const reader = await conn.runAndReadAll(`SELECT ${list} FROM ${table} ORDER BY ${orderBy}`);
          conn.closeSync();
          return reader.getRowObjectsJson().map((r) => columns.map((c) => normalise(r[c])));
        } finally {
          raw.closeSync();
          await warehouse.init();
        }
      },
      async dispose() {
        await warehouse.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
  async clickhouse(url) {
    const warehouse = new ClickHouseWarehouse({ url, database: randomName('hub_test') });
    await warehouse.init();
    let probe: ClickHouseClient | undefined;
    return {
      warehouse,
      async load() {
        for (const batch of BATCHES) {
          await warehouse.insertRecords(batch.records);
          await warehouse.insertDeadLetters(batch.deadLetters);
        }
      },
      async count(table, where = '1 = 1') {
        probe ??= await createClickHouseClient({ url }, warehouse.database);
        const query = `SELECT count() AS n FROM ${table} FINAL WHERE ${where}`;
        const result = await probe.query({ query, format: 'JSONEachRow' });
        return Number((await result.json<{ n: string }>())[0]?.n);
      },
      async dump(table, columns, orderBy) {
        probe ??= await createClickHouseClient({ url }, warehouse.database);
        const list = columns.map((c) => `"${c}"`).join(', ');
        const query = `SELECT ${list} FROM ${table} FINAL ORDER BY ${orderBy}`;
        const result = await probe.query({ query, format: 'JSONEachRow' });
        return (await result.json<Record<string, unknown>>()).map((r) => columns.map((c) => normalise(r[c])));
      },
      async dispose() {
        await probe?.close();
        await warehouse.dropDatabase();
        await warehouse.close();
      },
    };
  },
};

/** After every movement of the scenario (Feb 1–12, 2026). */
const AFTER_ALL = '2026-03-01T00:00:00.000Z';

/**
 * The real-time aggregates (`stock_on_hand_live`, `movements_daily`) against the answers read
 * from the deduplicated movements (`stock_position`, `stock_movements` as readers see it, i.e.
 * FINAL in ClickHouse): equal, although the scenario redelivers m02 in a later batch.
 */
async function expectLiveEqualsFinal(h: Harness): Promise<void> {
  const by = ['warehouse', 'product', 'lot'] as const;
  const position = (rows: readonly KpiRow[]) =>
    rows
      .filter((r) => r.on_hand !== 0)
      .map((r) => ({ warehouse: r.warehouse, product: r.product, lot: r.lot, unit: r.unit, on_hand: r.on_hand }));
  const live = await h.warehouse.kpi('stock_on_hand_live', { by: [...by] });
  const final = await h.warehouse.kpi('stock_position', { by: [...by], asOf: AFTER_ALL });
  expect(position(live).length).toBeGreaterThan(3);
  expect(position(live)).toEqual(position(final));
  // Agadir water: 1000 − 250 (m02, once) − 300.
  expect(position(live)).toContainEqual({
    warehouse: 'souss-massa-wh1',
    product: 'water-5l',
    lot: '',
    unit: 'EA',
    on_hand: 450,
  });

  // Movements per type and unit, from the aggregate and from the stored (deduplicated) rows.
  const stored = await h.dump('stock_movements', ['movement_type', 'unit', 'quantity'], 'id');
  const expected = new Map<string, { movements: number; micro: number }>();
  for (const [type, unit, quantity] of stored as string[][]) {
    const key = `${type}|${unit}`;
    const e = expected.get(key) ?? { movements: 0, micro: 0 };
    e.movements++;
    e.micro += Math.round(Number(quantity) * 1_000_000);
    expected.set(key, e);
  }
  const daily = await h.warehouse.kpi('movements_daily', { by: ['movement_type'], asOf: AFTER_ALL });
  expect(
    daily.map((r) => [`${r.movement_type}|${r.unit}`, r.movements, Math.round(Number(r.quantity) * 1_000_000)]),
  ).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, e]) => [k, e.movements, e.micro]));
  expect(stored).toHaveLength(15);
  expect(daily.reduce((n, r) => n + Number(r.movements), 0)).toBe(15);
}

function contract(engine: Engine, url: string): void {
  let h: Harness;
  beforeAll(async () => {
    h = await HARNESSES[engine](url);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('migrates a fresh database step by step, then skips every step', async () => {
    const first = await h.warehouse.migrate();
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(first.every((step) => step.status === 'applied')).toBe(true);
    expect(first.map((step) => step.name)).toEqual([...first.map((step) => step.name)].sort());
    const again = await h.warehouse.migrate();
    expect(again.map((s) => [s.name, s.status])).toEqual(first.map((s) => [s.name, 'skipped']));
  });

  it('reports itself up, and init is idempotent', async () => {
    await h.warehouse.init();
    await h.warehouse.init();
    expect((await h.warehouse.health()).status).toBe('up');
    expect(h.warehouse.engine).toBe(engine);
  });

  it('loads the scenario', async () => {
    await h.load();
  });

  it('keeps the real-time aggregates equal to the FINAL answers after the redelivery of m02', async () => {
    await expectLiveEqualsFinal(h);
  });

  describe('stock on hand', () => {
    it.each(STOCK_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
      expect(await h.warehouse.stockOnHand(c.filter)).toEqual(c.expected);
    });

    it('caps the limit at 10,000 and treats nonsense limits sanely', async () => {
      expect(await h.warehouse.stockOnHand({ limit: 1_000_000 })).toHaveLength(5);
      expect(await h.warehouse.stockOnHand({ limit: 0 })).toHaveLength(1);
      expect(await h.warehouse.stockOnHand({ limit: Number.NaN })).toHaveLength(5);
    });
  });

  describe('locations', () => {
    it.each(LOCATION_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
      expect(await h.warehouse.listLocations(c.filter)).toEqual(c.expected);
    });
  });

  it('stores each record and each dead letter once, whatever was redelivered', async () => {
    const counts: Record<string, number> = {};
    for (const t of Object.keys(TABLE_COUNTS)) counts[t] = await h.count(t);
    expect(counts).toEqual(TABLE_COUNTS);
    const recordTables = ['locations', 'products', 'lots', 'stock_movements', 'resources', ...RESOURCE_TABLE_NAMES];
    const ofRecords = recordTables.filter(
      (t) => !['supply_request_lines', 'shipment_lines', 'shipment_status_history'].includes(t),
    );
    expect(ofRecords.reduce((sum, t) => sum + (counts[t] ?? 0), 0)).toBe(DISTINCT_RECORDS);
    // Region and category are denormalized into the movements at ingest: Agadir water
    // (m01, m02, m03) and Tiznit water (m04, m10); no movement lacks them.
    expect(await h.count('stock_movements', "region_id = 'souss-massa' AND category = 'water'")).toBe(5);
    expect(await h.count('stock_movements', "region_id = '' OR category = ''")).toBe(0);
    // Shipments carry their origin's and destination's regions: sh-001, sh-002 and sh-004 go
    // to Souss-Massa; every shipment's locations were known when it arrived.
    expect(await h.count('shipments', "destination_region_id = 'souss-massa'")).toBe(3);
    expect(await h.count('shipments', "origin_region_id = '' OR destination_region_id = ''")).toBe(0);
    // The lot's dates survive both engines' Date types.
    expect(await h.count('lots', "expiry = '2027-06-30' AND manufactured = '2025-06-30'")).toBe(1);
  });

  it('gives the same answers after the whole scenario is delivered a second time', async () => {
    await h.load();
    for (const c of STOCK_CASES) expect(await h.warehouse.stockOnHand(c.filter)).toEqual(c.expected);
    for (const c of LOCATION_CASES) expect(await h.warehouse.listLocations(c.filter)).toEqual(c.expected);
    for (const [t, n] of Object.entries(TABLE_COUNTS)) expect(await h.count(t)).toBe(n);
    await expectLiveEqualsFinal(h);
  });

  it('is closed after close (twice), with a catalogue error', async () => {
    await h.warehouse.close();
    await h.warehouse.close();
    expect((await h.warehouse.health()).status).toBe('down');
    const error = await h.warehouse.stockOnHand({}).catch((e: unknown) => e);
    expect(isHubError(error) && error.code).toBe('HUB_ERR_WAREHOUSE_CLOSED');
    await h.warehouse.init();
    expect(await h.warehouse.stockOnHand({})).toEqual(STOCK_CASES[0]?.expected);
  });
}

describe('warehouse contract: duckdb', () => contract('duckdb', ''));

describeWithService('clickhouse', 'warehouse contract: clickhouse', (url) => contract('clickhouse', url));

describeWithService('clickhouse', 'warehouse contract: duckdb and clickhouse give identical rows', (url) => {
  const harness: Partial<Record<Engine, Harness>> = {};
  beforeAll(async () => {
    for (const engine of ['duckdb', 'clickhouse'] as const) {
      const h = await HARNESSES[engine](url);
      harness[engine] = h;
      await h.warehouse.migrate();
      await h.load();
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(harness).map((h) => h.dispose()));
  });

  it.each(STOCK_CASES.map((c) => [c.name, c.filter] as const))('stock on hand: %s', async (_, filter) => {
    const [duck, click] = await Promise.all([
      harness.duckdb?.warehouse.stockOnHand(filter),
      harness.clickhouse?.warehouse.stockOnHand(filter),
    ]);
    expect(duck).toBeDefined();
    expect(click).toEqual(duck);
  });

  it.each(RESOURCE_TABLE_NAMES.map((t) => [t] as const))('table %s holds identical rows', async (table) => {
    const spec = RESOURCE_TABLES[table];
    const columns = spec.columns.map(([name]) => name);
    const orderBy = spec.key.join(', ');
    const [duck, click] = await Promise.all([
      harness.duckdb?.dump(table, columns, orderBy),
      harness.clickhouse?.dump(table, columns, orderBy),
    ]);
    expect(duck?.length).toBe(TABLE_COUNTS[table]);
    expect(click).toEqual(duck);
  });

  it.each(LOCATION_CASES.map((c) => [c.name, c.filter] as const))('locations: %s', async (_, filter) => {
    const [duck, click] = await Promise.all([
      harness.duckdb?.warehouse.listLocations(filter),
      harness.clickhouse?.warehouse.listLocations(filter),
    ]);
    expect(duck).toBeDefined();
    expect(click).toEqual(duck);
  });
});
