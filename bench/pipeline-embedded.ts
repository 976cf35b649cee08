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
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConnector, stampLineage } from '../connectors/index.js';
import { simulator } from '../connectors/simulator/src/index.js';
import { type CanonicalResource, canonicalJson, validateResource } from '../core/index.js';
import { createDuckDbWarehouse } from '../warehouse/index.js';
import { movementRow, toRecordRows } from '../warehouse/sql/resource-rows.js';
import { profiled } from './lib/cpu-profile.js';
import { cpuMeter } from './lib/process-cpu.js';

const QUICK = process.argv.includes('--quick');
const N = QUICK ? 20_000 : 100_000;
const SEED = 2026;
/** Records per checkpoint (the simulator's `checkpoint_every`, and the runtime's `batchSize`). */
const CHECKPOINT = Number(process.argv.find((a) => a.startsWith('--checkpoint='))?.split('=')[1] ?? 10_000);

async function hubRun(): Promise<{
  seconds: number;
  movements: number;
  checkpoints: number;
  peakRssMb: number;
  coresBusy: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const warehouse = createDuckDbWarehouse({ dataDir: dir });
  await warehouse.init();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    // The cores this process kept busy: the main thread, and DuckDB's own threads.
    const meter = cpuMeter({ hub: process.pid });
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
    const coresBusy = meter.stop().coresBusy;
    if (report.status !== 'succeeded') throw new Error(`hub run ${report.status}: ${JSON.stringify(report.error)}`);
    return {
      seconds,
      movements: report.streams.stock_movements?.recordsOut ?? 0,
      checkpoints: report.checkpoints,
      peakRssMb: peak / 2 ** 20,
      coresBusy,
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

/**
 * What the hub does per record, each step timed alone over the same simulator records (warm,
 * best of three passes), in µs per record: where a per-movement budget goes.
 */
async function perRecordMicros(): Promise<{ records: number; steps: Record<string, number> }> {
  const messages: { data: CanonicalResource; sourcePayload?: unknown }[] = [];
  const best: Record<string, number> = {};
  const time = (name: string, pass: () => void, n: number) => {
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      pass();
      const us = ((performance.now() - t0) * 1000) / n;
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, us);
    }
  };
  for (let k = 0; k < 3; k++) {
    messages.length = 0;
    const t0 = performance.now();
    for await (const m of simulator.read({ seed: SEED, movements: N, checkpoint_every: CHECKPOINT }, {})) {
      if (m.type === 'record') messages.push(m);
    }
    const us = ((performance.now() - t0) * 1000) / messages.length;
    best['simulator: generate'] = Math.min(best['simulator: generate'] ?? Number.POSITIVE_INFINITY, us);
  }
  const n = messages.length;
  // Each pass keeps what it computed (a sum of lengths), so no step can be optimised away.
  let kept = 0;
  const each =
    <T>(items: readonly T[], f: (item: T) => unknown) =>
    () => {
      for (const item of items) {
        const out = f(item);
        kept += typeof out === 'string' ? out.length : out === undefined ? 0 : 1;
      }
    };
  const payloads = messages.map((m) => m.sourcePayload ?? m.data);
  time(
    'JSON.stringify (the floor of any serialisation)',
    each(payloads, (p) => JSON.stringify(p)),
    n,
  );
  time('RFC 8785 canonical JSON', each(payloads, canonicalJson), n);
  const texts = payloads.map((p) => canonicalJson(p));
  time(
    'SHA-256 of it',
    // One-shot, as core/lineage does.
    each(texts, (t) => hash('sha256', t, 'hex')),
    n,
  );
  const at = new Date().toISOString();
  const ctx = { connector: 'simulator', sourceSystem: 'simulator', ingestedAt: at };
  const stamped = messages.map((m) => stampLineage(m.data, { ...ctx, sourcePayload: m.sourcePayload }));
  time('validate (generated ajv validators)', each(stamped, validateResource), n);
  const now = Date.now();
  time(
    'map to table rows',
    each([stamped], (all) => toRecordRows(all, now)),
    n,
  );
  if (kept === 0) throw new Error('nothing was computed');
  return { records: n, steps: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Number(v.toFixed(2))])) };
}

const hub = await hubRun();
const raw = await rawRun();
const micros = await perRecordMicros();
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
    coresBusy: hub.coresBusy,
  },
  rawAppender: { rowsPerSecond: Math.round(rawRate), seconds: raw.seconds },
  // The run admits every simulator record (entities and events), not only movements.
  recordsPerMovement: Number((micros.records / N).toFixed(3)),
  hubMicrosPerRecord: Number(((hub.seconds * 1e6) / micros.records).toFixed(1)),
  stepMicrosPerRecord: micros.steps,
  // At 120,000 movements/s, what one record may cost in all.
  budgetMicrosPerRecordAtTarget: Number((1e6 / (120_000 * (micros.records / N))).toFixed(2)),
  ratioHubToRaw: Number((hubRate / rawRate).toFixed(3)),
  targets: { movementsPerSecond: 120_000, ratioHubToRaw: 0.5 },
  meetsTargets: hubRate >= 120_000 && hubRate / rawRate >= 0.5,
};
console.log(
  `embedded pipeline: hub ${result.hub.movementsPerSecond}/s vs raw appender ${result.rawAppender.rowsPerSecond}/s ` +
    `(ratio ${result.ratioHubToRaw}; target ≥120000/s and ≥0.5) — peak RSS ${result.hub.peakRssMb} MB, ` +
    `${result.hub.coresBusy} cores busy`,
);
console.log(
  `  per record (${result.recordsPerMovement} records a movement): hub ${result.hubMicrosPerRecord} µs in all, ` +
    `budget at the target ${result.budgetMicrosPerRecordAtTarget} µs; steps alone: ` +
    Object.entries(micros.steps)
      .map(([k, v]) => `${k} ${v} µs`)
      .join(', '),
);
writeFileSync(
  fileURLToPath(new URL('./results/pipeline-embedded.json', import.meta.url)),
  `${JSON.stringify(result, null, 2)}\n`,
);
