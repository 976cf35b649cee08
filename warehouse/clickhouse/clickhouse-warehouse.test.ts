import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import type { CanonicalResource } from '../../core/ports/index.js';
import { describeWithService, randomName } from '../../test/services.js';
import { MOVEMENTS, STOCK_CASES } from '../contract/scenario.js';
import { createClickHouseWarehouse } from '../index.js';
import { clickhouseError, clickhouseErrorCode, createClickHouseClient } from './clickhouse-client.js';
import { CLICKHOUSE_MIGRATIONS, migrateClickHouse } from './clickhouse-migrations.js';
import { ClickHouseWarehouse } from './clickhouse-warehouse.js';

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('ClickHouse error mapping', () => {
  it("reads the code from 18.16's message format and from the current one", () => {
    const old = new Error(
      "Code: 60, e.displayText() = DB::Exception: Table hub.x doesn't exist., e.what() = DB::Exception",
    );
    expect(clickhouseErrorCode(old)).toBe(60);
    expect(clickhouseErrorCode(new Error('Code: 62. DB::Exception: Syntax error'))).toBe(62);
    expect(clickhouseErrorCode(Object.assign(new Error('x'), { code: '81' }))).toBe(81);
    expect(clickhouseErrorCode(new Error('no code here'))).toBeUndefined();
  });

  it('maps unreachable, slow and overloaded servers to a transient error', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      new Error('Timeout error.'),
      new Error('socket hang up'),
      new Error('Code: 202, e.displayText() = DB::Exception: Too many simultaneous queries'),
    ]) {
      const mapped = clickhouseError(error, 'test');
      expect(mapped.code).toBe('HUB_ERR_WAREHOUSE_UNAVAILABLE');
      expect(mapped.retriable).toBe(true);
    }
  });

  it('maps query failures to HUB_ERR_WAREHOUSE_QUERY, keeping SQL and server text out of the message', () => {
    const mapped = clickhouseError(
      new Error("Code: 62, e.displayText() = DB::Exception: Syntax error: SELECT secret FROM t WHERE x = 'y'"),
      'stock on hand',
    );
    expect(mapped.code).toBe('HUB_ERR_WAREHOUSE_QUERY');
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toBe('A clickhouse warehouse query failed');
    expect(mapped.detail).toMatch(/^stock on hand: code 62: .*SELECT secret/);
  });
});

describe('ClickHouseWarehouse without a server', () => {
  it('fails init with a transient error when nothing listens', async () => {
    const w = createClickHouseWarehouse({ url: 'http://127.0.0.1:1', database: 'hub' });
    const error = await failure(w.init());
    expect(isHubError(error) && error.code).toBe('HUB_ERR_WAREHOUSE_UNAVAILABLE');
    expect(isHubError(error) && error.retriable).toBe(true);
    expect((await w.health()).status).toBe('down');
  });

  it('refuses a database name that is not a plain identifier', () => {
    expect(() => new ClickHouseWarehouse({ url: 'http://127.0.0.1:1', database: 'hub; DROP' })).toThrow(/SQL literal/);
  });
});

describeWithService('clickhouse', 'ClickHouseWarehouse on a real server', (url) => {
  let w: ClickHouseWarehouse;
  let probe: ClickHouseClient;

  beforeAll(async () => {
    w = new ClickHouseWarehouse({ url, database: randomName('hub_test') });
    await w.init();
  });

  afterAll(async () => {
    await probe?.close();
    await w?.dropDatabase();
    await w?.close();
  });

  async function rawCount(query: string): Promise<number> {
    probe ??= await createClickHouseClient({ url }, w.database);
    const result = await probe.query({ query, format: 'JSONEachRow' });
    return Number((await result.json<{ n: string }>())[0]?.n);
  }

  it('answers a query before migration with a query error whose detail carries the code', async () => {
    const error = await failure(w.listLocations({}));
    expect(isHubError(error) && error.code).toBe('HUB_ERR_WAREHOUSE_QUERY');
    expect(isHubError(error) && error.detail).toMatch(/code 81|code 60/);
  });

  it('creates its database and tables, then reports its version', async () => {
    const steps = await w.migrate();
    expect(steps.map((s) => s.name)).toEqual([
      '0001_entities',
      '0002_stock_movements',
      '0003_dead_letters',
      '0004_operational_resources',
      '0005_movement_dimensions',
      '0006_realtime_aggregates',
      '0007_freshness',
      '0008_exact_realtime_aggregates',
    ]);
    expect(steps.every((s) => s.status === 'applied')).toBe(true);
    expect(await w.health()).toMatchObject({ status: 'up', engine: 'clickhouse' });
  });

  it('re-runs a step whose columns were already added (18.16 has no ADD COLUMN IF NOT EXISTS)', async () => {
    const step = CLICKHOUSE_MIGRATIONS.find((m) => m.name === '0005_movement_dimensions');
    expect(step).toBeDefined();
    const admin = await createClickHouseClient({ url }, 'default');
    const client = await createClickHouseClient({ url }, w.database);
    try {
      const again = await migrateClickHouse(admin, client, w.database, [{ ...step!, name: '0005_interrupted_rerun' }]);
      expect(again.map((s) => [s.name, s.status])).toContainEqual(['0005_interrupted_rerun', 'applied']);
    } finally {
      await Promise.all([admin.close(), client.close()]);
    }
  });

  it('reads a redelivered movement once, before and after merges', async () => {
    const movement = MOVEMENTS[0] as CanonicalResource;
    await w.insertRecords([movement]);
    await w.insertRecords([movement, movement]); // a redelivery, and a duplicate inside a batch
    // Recorded in movement_ids, so the writer drops the redelivery before inserting it.
    expect(await rawCount('SELECT count() AS n FROM stock_movements')).toBe(1);
    expect(await rawCount('SELECT sum(movements) AS n FROM stock_on_hand_agg')).toBe(1);
    // A copy that did get in (a writer that crashed before recording the id) collapses in FINAL.
    probe ??= await createClickHouseClient({ url }, w.database);
    await probe.command({ query: 'INSERT INTO stock_movements SELECT * FROM stock_movements' });
    expect(await rawCount('SELECT count() AS n FROM stock_movements')).toBe(2); // not yet merged
    expect(await rawCount('SELECT count() AS n FROM stock_movements FINAL')).toBe(1);
    expect((await w.stockOnHand({})).map((r) => r.onHand)).toEqual([1000]);
    await probe.command({ query: 'OPTIMIZE TABLE stock_movements FINAL' });
    expect(await rawCount('SELECT count() AS n FROM stock_movements')).toBe(1);
    expect((await w.stockOnHand({})).map((r) => r.onHand)).toEqual([1000]);
  });

  it('keeps milliseconds of occurredAt beside the DateTime column', async () => {
    const rows = await w.stockOnHand({ warehouse: 'souss-massa-wh1' });
    expect(rows[0]?.lastMovementAt).toBe('2026-02-01T08:00:00.125Z');
  });

  it('dead-letters records no table can hold', async () => {
    const broken = { ...(MOVEMENTS[1] as CanonicalResource), id: 'broken', location: undefined };
    expect(await w.insertRecords([broken])).toBe(0);
    expect(
      await rawCount(
        "SELECT count() AS n FROM dead_letters FINAL WHERE stream = 'warehouse' AND connector = 'contract'",
      ),
    ).toBe(1);
  });

  it('maps a request timeout to a transient error', async () => {
    const slow = new ClickHouseWarehouse({ url, database: w.database, requestTimeoutMs: 1 });
    await slow.init().catch(() => undefined); // the ping may or may not beat 1 ms
    const error = await failure(slow.init().then(() => slow.stockOnHand(STOCK_CASES[0]?.filter ?? {})));
    expect(isHubError(error) && error.code).toBe('HUB_ERR_WAREHOUSE_UNAVAILABLE');
    await slow.close();
  });
});
