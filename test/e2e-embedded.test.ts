import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHub, waitFor } from './hub-process.js';

interface StockRow {
  locationId: string;
  regionId: string;
  productId: string;
  onHand: number;
}

/**
 * The walking skeleton in embedded mode, as a user runs it: `hub start` with no engine
 * configured, simulator → canonical validation → DuckDB → API.
 */
describe('hub start, embedded mode, end to end', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-e2e-'));
  const env = {
    HUB_DATA_DIR: dataDir,
    HUB_SIMULATOR_MOVEMENTS: '5000',
    HUB_SIMULATOR_INTERVAL_MS: '0',
  };
  const running: HubProcess[] = [];
  afterAll(async () => {
    for (const h of running) await h.stop('SIGKILL');
  });

  let adminKey = '';
  let firstTotals = new Map<string, number>();

  it('creates and prints an admin key once at first start, answers /health, serves stock', async () => {
    const hub = await startHub(env);
    running.push(hub);
    const t0 = Date.now();
    await waitFor('GET /health', async () => ((await hub.get('/health')).ok ? true : undefined), 60_000, hub);
    const healthMs = Date.now() - t0;
    expect(healthMs).toBeLessThan(60_000);
    adminKey = await waitFor(
      'the printed admin key',
      async () => /\b(rh_[0-9a-f]{12}_[A-Za-z0-9_-]{32})\b/.exec(hub.output())?.[1],
      10_000,
      hub,
    );

    const health = await (await hub.get('/health')).json();
    expect(health).toMatchObject({
      status: 'up',
      mode: 'embedded',
      components: { api: { status: 'up' }, warehouse: { status: 'up' } },
    });

    // The history of 5,000 movements lands; wait until the simulator's run is reported.
    await waitFor(
      'the simulator history',
      async () => (/simulator history/.test(hub.output()) ? true : undefined),
      90_000,
      hub,
    );

    const noKey = await hub.get('/v1/stock?region=souss-massa');
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('content-type')).toContain('application/problem+json');

    const res = await hub.get('/v1/stock?region=souss-massa', adminKey);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: StockRow[]; count: number };
    expect(body.count).toBeGreaterThan(0);
    expect(new Set(body.items.map((r) => r.regionId))).toEqual(new Set(['souss-massa']));
    expect(new Set(body.items.map((r) => r.locationId))).toEqual(
      new Set(['souss-massa-wh1', 'souss-massa-wh2', 'souss-massa-wh3', 'souss-massa-wh4']),
    );
    expect(body.items.every((r) => r.onHand > 0)).toBe(true);

    const bad = await hub.get('/v1/stock?regoin=souss-massa', adminKey);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('HUB_ERR_API_BAD_QUERY');

    const locations = (await (await hub.get('/v1/locations', adminKey)).json()) as { items: { kind: string }[] };
    const kinds = locations.items.reduce<Record<string, number>>((acc, l) => {
      acc[l.kind] = (acc[l.kind] ?? 0) + 1;
      return acc;
    }, {});
    expect(kinds).toMatchObject({ region: 12, platform: 12, warehouse: 36 });

    const metrics = await (await hub.get('/metrics')).text();
    expect(metrics).toMatch(/hub_connector_records_out_total\{connector="simulator",stream="stock_movements"\} 5000/);

    const all = (await (await hub.get('/v1/stock?limit=10000', adminKey)).json()) as { items: StockRow[] };
    firstTotals = new Map(all.items.map((r) => [`${r.locationId}|${r.productId}`, r.onHand]));
    expect(await hub.stop()).toBe(0);
  });

  it('restarts on the same data without printing a new key or counting anything twice', async () => {
    const hub = await startHub(env);
    running.push(hub);
    await waitFor('GET /health', async () => ((await hub.get('/health')).ok ? true : undefined), 60_000, hub);
    await waitFor(
      'the simulator run',
      async () => (/simulator history/.test(hub.output()) ? true : undefined),
      60_000,
      hub,
    );
    expect(hub.output()).not.toContain('An admin API key was created');
    // The cursor was committed with the rows: the second run resumes after the 5,000 movements
    // and writes nothing again.
    const all = (await (await hub.get('/v1/stock?limit=10000', adminKey)).json()) as { items: StockRow[] };
    const again = new Map(all.items.map((r) => [`${r.locationId}|${r.productId}`, r.onHand]));
    expect(again).toEqual(firstTotals);
    await hub.stop();
  });

  it('fails a bad configuration value with one line naming the variable', async () => {
    const hub = await startHub({ ...env, HUB_LOG_LEVEL: 'loud' });
    running.push(hub);
    await waitFor('exit', async () => (hub.child.exitCode !== null ? true : undefined), 30_000);
    expect(hub.child.exitCode).toBe(2);
    expect(hub.output().trim()).toBe(
      'hub: HUB_ERR_CONFIG_INVALID: Invalid configuration: HUB_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
  });
});
