/**
 * API benchmark (issue 6, Performance), on loopback, in one run:
 * - `GET /v1/stock?warehouse=…&product=…`, authenticated, against an in-process embedded hub
 *   (DuckDB) filled by the simulator, next to a Fastify hello-world route as the baseline
 *   (req/s, p50/p99, ratio); again with the rate limiter on (a limit never reached), to show
 *   its cost; the same with ClickHouse as the warehouse when `HUB_TEST_CLICKHOUSE_URL` is set;
 * - `GET /v1/exports/movements` of 1M movement rows as Arrow and as NDJSON (rows/s, ratio).
 * Targets: stock ≥ 10 000 req/s with p99 < 20 ms; Arrow ≥ 2M rows/s and ≥ 5× NDJSON.
 *
 *   npx tsx bench/api.ts [--quick]   # writes bench/results/api.json
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiKeyStore } from '../api/auth/api-key-store.js';
import { buildApi } from '../api/server.js';
import { runConnector } from '../connectors/index.js';
import { simulator } from '../connectors/simulator/src/index.js';
import type { CanonicalResource, ExportQuery, Warehouse } from '../core/ports/index.js';
import { createClickHouseWarehouse, createDuckDbWarehouse } from '../warehouse/index.js';
import { profiled } from './lib/cpu-profile.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
// autocannon ships no types.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  workers?: number;
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<AutocannonResult>;

const QUICK = process.argv.includes('--quick');
const SECONDS = QUICK ? 3 : 10;
const CONNECTIONS = 32;
const SIM_MOVEMENTS = QUICK ? 10_000 : 50_000;
const EXPORT_ROWS = QUICK ? 200_000 : 1_000_000;
const SEED = 2026;

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/**
 * autocannon in a worker thread of its own: on the server's thread, the load generator took
 * half of the one core the server runs on (the Fastify hello-world measured 9.3k req/s that
 * way, 18.7k with the client in a worker, on this 2-core machine).
 */
async function load(url: string, headers: Record<string, string> = {}): Promise<Load> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers, workers: 1 });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

async function helloWorld(): Promise<Load> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  const base = await listen(app);
  try {
    return await profiled('hello-world', () => load(`${base}/hello`));
  } finally {
    await app.close();
  }
}

async function api(
  warehouse: Warehouse,
  dir: string,
  rateLimitPerMinute = 0,
): Promise<{ base: string; key: string; close(): Promise<void> }> {
  const keys = new ApiKeyStore(join(dir, 'state.sqlite'));
  const key = keys.create({ name: 'bench', scopes: ['read'] }).key;
  const app = await buildApi({
    warehouse,
    exports: warehouse,
    verifier: keys,
    mode: 'embedded',
    version: 'bench',
    probe: async () => ({}),
    // One client at full speed would hit the per-client limit (HUB_RATE_LIMIT_PER_MINUTE,
    // 6000/min by default) within a second: the bench measures the route, so no limit here,
    // except in the run that measures the limiter itself (a limit it never reaches).
    rateLimitPerMinute,
  });
  // Two empty routes inside the hub's app, to split what a request costs (`routeFloor`): the
  // app's global hooks, then the authentication of an API key.
  app.get('/bench/hello', { schema: { hide: true } }, async () => ({ hello: 'world' }));
  app.get('/v1/bench-empty', { schema: { hide: true }, config: { scope: 'read' } }, async () => ({ hello: 'world' }));
  const base = await listen(app);
  return {
    base,
    key,
    close: async () => {
      await app.close();
      keys.close();
    },
  };
}

/**
 * What the hub's app costs before any route's work, in the same app and run as the stock load:
 * an empty route (global hooks only), and an empty authenticated `/v1` route.
 */
async function routeFloor(warehouse: Warehouse, dir: string): Promise<{ appHello: Load; authenticatedEmpty: Load }> {
  const server = await api(warehouse, dir);
  try {
    const appHello = await load(`${server.base}/bench/hello`);
    const authenticatedEmpty = await load(`${server.base}/v1/bench-empty`, { authorization: `Bearer ${server.key}` });
    if (appHello.non2xx + authenticatedEmpty.non2xx > 0) throw new Error('an empty route did not answer 200');
    return { appHello, authenticatedEmpty };
  } finally {
    await server.close();
  }
}

async function stockLoad(
  label: string,
  warehouse: Warehouse,
  dir: string,
  rateLimitPerMinute = 0,
): Promise<Load & { url: string }> {
  const [row] = await warehouse.stockOnHand({ limit: 1 });
  if (!row) throw new Error('no stock to read');
  const server = await api(warehouse, dir, rateLimitPerMinute);
  try {
    const url = `${server.base}/v1/stock?warehouse=${encodeURIComponent(row.locationId)}&product=${encodeURIComponent(row.productId)}`;
    const check = await fetch(url, { headers: { authorization: `Bearer ${server.key}` } });
    if (check.status !== 200) throw new Error(`stock answered ${check.status}`);
    const measured = await profiled(label, () => load(url, { authorization: `Bearer ${server.key}` }));
    return { url: url.replace(server.base, ''), ...measured };
  } finally {
    await server.close();
  }
}

/** Adds `n` generated movements straight into the DuckDB file (the bench measures reads). */
async function addMovements(path: string, n: number): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  await conn.run(`INSERT INTO stock_movements (id, movement_type, occurred_at, location_id, counterpart_id, product_id,
      gtin, lot_number, quantity, unit, reason, connector, source_system, source_id, source_hash, ingested_at, region_id, category)
    SELECT 'bench-' || i, CASE WHEN i % 3 = 0 THEN 'dispatch' ELSE 'receipt' END,
      TIMESTAMP '2025-01-01' + to_milliseconds(i * 37), 'wh-' || (i % 40), NULL, 'p-' || (i % 300),
      '0611123456789' || (i % 10), CASE WHEN i % 4 = 0 THEN 'L-' || (i % 1000) ELSE NULL END,
      (i % 500) + 0.25, 'EA', NULL, 'bench', 'bench', 'src-' || i, 'sha256:bench', TIMESTAMP '2025-06-01',
      'region-' || (i % 12), 'food'
    FROM range(${n}) t(i)`);
  conn.closeSync();
  instance.closeSync();
}

/**
 * Downloads an export and counts its rows as they arrive, keeping no bytes, in a worker thread
 * (lib/export-download.mjs): the process's peak RSS then measures the server's side (the export
 * and DuckDB), and decoding the download does not take time from the thread serving it.
 */
function download(
  url: string,
  key: string,
  accept: string,
): Promise<{ seconds: number; megabytes: number; rows: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./lib/export-download.mjs', import.meta.url), {
      workerData: { url, key, accept },
    });
    worker.once('message', (m: { seconds: number; megabytes: number; rows: number } | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}

async function exportRun() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-export-'));
  const setup = createDuckDbWarehouse({ dataDir: dir });
  await setup.init();
  await setup.close();
  await addMovements(join(dir, 'warehouse.duckdb'), EXPORT_ROWS);
  const warehouse = createDuckDbWarehouse({ dataDir: dir }) as ReturnType<typeof createDuckDbWarehouse> & ExportQuery;
  await warehouse.init();
  const server = await api(warehouse, dir);
  try {
    const url = `${server.base}/v1/exports/movements`;
    const rssBefore = process.memoryUsage().rss;
    await download(`${url}?to=2025-01-01T00:01:00Z`, server.key, 'application/vnd.apache.arrow.stream'); // warm-up
    // Each export with the peaks of this process's RSS and of its JS heap (the serving side:
    // the client is a worker that keeps no bytes), first on a fifth of the rows, then on all:
    // bounded memory shows as peaks that do not grow with the export.
    const fifth = Math.floor(EXPORT_ROWS / 5);
    const fifthUrl = `${url}?to=${new Date(Date.parse('2025-01-01T00:00:00Z') + fifth * 37).toISOString()}`;
    const run = async (label: string, target: string, accept: string, rows: number) => {
      let peakRss = process.memoryUsage().rss;
      let peakHeap = process.memoryUsage().heapUsed;
      const timer = setInterval(() => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
      }, 20);
      try {
        const r = await profiled(label, () => download(target, server.key, accept));
        if (r.rows !== rows) throw new Error(`${label}: ${r.rows} rows, expected ${rows}`);
        return {
          rows: r.rows,
          rowsPerSecond: Math.round(r.rows / r.seconds),
          seconds: r.seconds,
          megabytes: r.megabytes,
          peakRssMb: Math.round(peakRss / 2 ** 20),
          peakHeapMb: Math.round(peakHeap / 2 ** 20),
        };
      } finally {
        clearInterval(timer);
      }
    };
    const ARROW = 'application/vnd.apache.arrow.stream';
    const NDJSON = 'application/x-ndjson';
    const arrowFifth = await run('export-arrow-fifth', fifthUrl, ARROW, fifth);
    const ndjsonFifth = await run('export-ndjson-fifth', fifthUrl, NDJSON, fifth);
    const arrow = await run('export-arrow', url, ARROW, EXPORT_ROWS);
    const ndjson = await run('export-ndjson', url, NDJSON, EXPORT_ROWS);
    return {
      rows: EXPORT_ROWS,
      arrow,
      ndjson,
      ratioArrowToNdjson: Number((arrow.rowsPerSecond / ndjson.rowsPerSecond).toFixed(2)),
      rssBeforeMb: Math.round(rssBefore / 2 ** 20),
      // The same exports on a fifth of the rows: the memory they took, for comparison.
      fifth: { arrow: arrowFifth, ndjson: ndjsonFifth },
    };
  } finally {
    await server.close();
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Far above what the bench can send in a minute: the limiter runs on every request, never refuses. */
const UNREACHED_LIMIT = 1_000_000_000;

async function duckdbStock(): Promise<{
  open: Load & { url: string };
  rateLimited: Load & { url: string };
  floor: { appHello: Load; authenticatedEmpty: Load };
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const warehouse = createDuckDbWarehouse({ dataDir: dir }) as ReturnType<typeof createDuckDbWarehouse> & ExportQuery;
  await warehouse.init();
  try {
    const report = await runConnector({
      connector: simulator,
      config: { seed: SEED, movements: SIM_MOVEMENTS },
      sink: warehouse,
      failureBudget: false,
    });
    if (report.status !== 'succeeded') throw new Error(`simulator ${report.status}`);
    const floor = await routeFloor(warehouse, dir);
    const open = await stockLoad('stock-duckdb', warehouse, dir);
    const rateLimited = await stockLoad('stock-duckdb-rate-limited', warehouse, dir, UNREACHED_LIMIT);
    return { open, rateLimited, floor };
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function clickhouseStock(url: string): Promise<Load & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-ch-'));
  const database = `bench_api_${Date.now()}`;
  const warehouse = createClickHouseWarehouse({ url, database, migrateOnInit: true }) as ReturnType<
    typeof createClickHouseWarehouse
  > &
    ExportQuery & { dropDatabase(): Promise<void> };
  await warehouse.init();
  try {
    const records: CanonicalResource[] = [];
    for await (const m of simulator.read({ seed: SEED, movements: SIM_MOVEMENTS }, {})) {
      if (m.type === 'record') records.push(m.data);
    }
    // Dimensions before movements, as the sink does.
    records.sort((a, b) => Number(a.resourceType === 'StockMovement') - Number(b.resourceType === 'StockMovement'));
    for (let i = 0; i < records.length; i += 20_000) await warehouse.insertRecords(records.slice(i, i + 20_000));
    return await stockLoad('stock-clickhouse', warehouse, dir);
  } finally {
    await warehouse.dropDatabase().catch(() => undefined);
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const baseline = await helloWorld();
const { open: duck, rateLimited: duckLimited, floor } = await duckdbStock();
const chUrl = process.env.HUB_TEST_CLICKHOUSE_URL;
const ch = chUrl ? await clickhouseStock(chUrl) : undefined;
const exports = await exportRun();

const ratio = (rps: number): number => Number((rps / baseline.requestsPerSecond).toFixed(3));
const result = {
  part: 'api',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  settings: { seconds: SECONDS, connections: CONNECTIONS, simulatorMovements: SIM_MOVEMENTS },
  helloWorld: baseline,
  // The same app as the stock route, empty routes: what every request costs before its work.
  appHello: { ...floor.appHello, ratioToHelloWorld: ratio(floor.appHello.requestsPerSecond) },
  authenticatedEmpty: {
    ...floor.authenticatedEmpty,
    ratioToHelloWorld: ratio(floor.authenticatedEmpty.requestsPerSecond),
  },
  stockToAuthenticatedEmpty: Number((duck.requestsPerSecond / floor.authenticatedEmpty.requestsPerSecond).toFixed(3)),
  stockDuckDb: { ...duck, ratioToHelloWorld: Number((duck.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)) },
  stockDuckDbRateLimited: {
    ...duckLimited,
    ratioToHelloWorld: Number((duckLimited.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)),
  },
  stockClickHouse: ch
    ? { ...ch, ratioToHelloWorld: Number((ch.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)) }
    : 'skipped: HUB_TEST_CLICKHOUSE_URL is not set',
  exportMovements: exports,
  targets: { stockRequestsPerSecond: 10_000, stockP99Ms: 20, arrowRowsPerSecond: 2_000_000, arrowToNdjson: 5 },
  meetsTargets: {
    stock: duck.requestsPerSecond >= 10_000 && duck.p99Ms < 20,
    arrow: exports.arrow.rowsPerSecond >= 2_000_000 && exports.ratioArrowToNdjson >= 5,
  },
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(fileURLToPath(new URL('./results/api.json', import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
