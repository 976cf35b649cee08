/**
 * Embedded pipeline benchmark: simulator movements per second through the hub's whole path
 * (connector runtime → core validation → lineage → DuckDB record sink, exactly-once with the
 * cursor in the same transaction), next to a raw DuckDB appender writing the same rows into a
 * table of the same columns, in the same run. Target (issue: stream and warehouse): at least
 * 120,000/s and at least half of the raw rate.
 *
 * The hub run reads every simulator stream (the entities and events too), commits a checkpoint
 * every `CHECKPOINT` records (records + connector state in one transaction, as always), and is
 * timed from the first read to the last commit; only its movements are counted.
 *
 *   npx tsx bench/pipeline-embedded.ts [--quick] [--checkpoint=N]   # writes bench/results/pipeline-embedded.json
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConnector } from '../connectors/index.js';
import { simulator } from '../connectors/simulator/src/index.js';
import type { CanonicalResource } from '../core/index.js';
import { createDuckDbWarehouse } from '../warehouse/index.js';
import { movementRow } from '../warehouse/sql/resource-rows.js';
import { profiled } from './lib/cpu-profile.js';

const QUICK = process.argv.includes('--quick');
const N = QUICK ? 20_000 : 100_000;
const SEED = 2026;
/** Records per checkpoint (the simulator's `checkpoint_every`, and the runtime's `batchSize`). */
const CHECKPOINT = Number(process.argv.find((a) => a.startsWith('--checkpoint='))?.split('=')[1] ?? 10_000);

async function hubRun(): Promise<{ seconds: number; movements: number; checkpoints: number; peakRssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const warehouse = createDuckDbWarehouse({ dataDir: dir });
  await warehouse.init();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const t0 = performance.now();
    const report = await profiled('hub-pipeline', () =>
      runConnector({
        connector: simulator,
        config: { seed: SEED, movements: N, checkpoint_every: CHECKPOINT },
        sink: warehouse,
        batchSize: CHECKPOINT,
        failureBudget: false,
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (report.status !== 'succeeded') throw new Error(`hub run ${report.status}: ${JSON.stringify(report.error)}`);
    return {
      seconds,
      movements: report.streams.stock_movements?.recordsOut ?? 0,
      checkpoints: report.checkpoints,
      peakRssMb: peak / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same movements, as the rows the hub stores, written by a bare appender. */
async function rawRun(): Promise<{ seconds: number; rows: number }> {
  const movements: CanonicalResource[] = [];
  for await (const m of simulator.read({ seed: SEED, movements: N }, {})) {
    if (m.type === 'record' && m.data.resourceType === 'StockMovement') movements.push(m.data);
  }
  const now = Date.now();
  const rows: Record<string, string | number | null>[] = [];
  for (const r of movements) {
    const mapped = movementRow(r, now);
    if ('row' in mapped) rows.push({ ...mapped.row });
  }
  const api = await import('@duckdb/node-api');
  const dir = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const instance = await api.DuckDBInstance.create(join(dir, 'raw.duckdb'));
  const conn = await instance.connect();
  const cols = Object.keys(rows[0] ?? {});
  const typeOf = (c: string) => (typeof rows[0]?.[c] === 'number' ? api.DOUBLE : api.VARCHAR);
  await conn.run(
    `CREATE TABLE m (${cols.map((c) => `${c} ${typeOf(c) === api.DOUBLE ? 'DOUBLE' : 'VARCHAR'}`).join(', ')})`,
  );
  const types = cols.map(typeOf);
  const t0 = performance.now();
  const appender = await conn.createAppender('m');
  for (let offset = 0; offset < rows.length; offset += 2048) {
    const slice = rows.slice(offset, offset + 2048);
    const chunk = api.DuckDBDataChunk.create(types, slice.length);
    chunk.setColumns(cols.map((c) => slice.map((r) => r[c] ?? null)));
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
  const seconds = (performance.now() - t0) / 1000;
  conn.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, rows: rows.length };
}

const hub = await hubRun();
const raw = await rawRun();
const hubRate = hub.movements / hub.seconds;
const rawRate = raw.rows / raw.seconds;
const result = {
  part: 'pipeline-embedded',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  movements: N,
  checkpointEvery: CHECKPOINT,
  hub: {
    movementsPerSecond: Math.round(hubRate),
    seconds: hub.seconds,
    checkpoints: hub.checkpoints,
    peakRssMb: Math.round(hub.peakRssMb),
  },
  rawAppender: { rowsPerSecond: Math.round(rawRate), seconds: raw.seconds },
  ratioHubToRaw: Number((hubRate / rawRate).toFixed(3)),
  targets: { movementsPerSecond: 120_000, ratioHubToRaw: 0.5 },
  meetsTargets: hubRate >= 120_000 && hubRate / rawRate >= 0.5,
};
console.log(
  `embedded pipeline: hub ${result.hub.movementsPerSecond}/s vs raw appender ${result.rawAppender.rowsPerSecond}/s ` +
    `(ratio ${result.ratioHubToRaw}; target ≥120000/s and ≥0.5) — peak RSS ${result.hub.peakRssMb} MB`,
);
writeFileSync(
  fileURLToPath(new URL('./results/pipeline-embedded.json', import.meta.url)),
  `${JSON.stringify(result, null, 2)}\n`,
);
