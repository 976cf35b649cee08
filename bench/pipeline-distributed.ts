/**
 * Distributed pipeline benchmark (issue 5, "Performance"), on the shared local services:
 *
 * 1. throughput: simulator canonical movements → KafkaRecordSink (idempotent producer,
 *    acks=all) → Kafka → the sink as its own process (`hub sink`) → ClickHouse, produced as
 *    fast as the producer goes for BENCH_SECONDS (default 60); the rate is the events produced
 *    divided by the time until ClickHouse holds all of them. Peak RSS of the sink process is its
 *    VmHWM (/proc). Next to it, in the same run, a raw `@clickhouse/client` JSONEachRow insert of
 *    the same rows (10,000 per INSERT) into a table of the same schema.
 * 2. freshness: 1,000 events/s for 10 s (BENCH_SECONDS/2 when shorter); p50/p99 from the
 *    `freshness` rows the sink stored (bucket bounds, warehouse/freshness.ts), mean and max exact.
 *
 * Topics and the database have random names and are dropped after.
 *
 *   BENCH_SECONDS=20 npx tsx bench/pipeline-distributed.ts   # writes bench/results/pipeline-distributed.json
 *   BENCH_SINK_NODE_FLAGS='' …                               # the sink child without V8 flags
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulator } from '../connectors/simulator/src/index.js';
import type { CanonicalResource } from '../core/ports/index.js';
import { createClickHouseClient } from '../warehouse/clickhouse/clickhouse-client.js';
import { ClickHouseWarehouse } from '../warehouse/clickhouse/clickhouse-warehouse.js';
import { ensureTopics, FileStateStore, KafkaRecordSink } from '../warehouse/index.js';
import { movementRow } from '../warehouse/sql/resource-rows.js';
import { childProfileFlags, PROJECT_ROOT, profiled } from './lib/cpu-profile.js';
import { cpuMeter, servicePid } from './lib/process-cpu.js';

const CH_URL = process.env.HUB_TEST_CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
const BROKERS = process.env.HUB_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (process.argv.includes('--quick') ? 15 : 60));
const FRESHNESS_SECONDS = Math.min(10, Math.max(3, Math.floor(SECONDS / 2)));
const BATCH = 5_000;
const tag = randomBytes(4).toString('hex');
const database = `bench_dist_${tag}`;
const prefix = `bench${tag}.`;
const dataDir = mkdtempSync(join(tmpdir(), 'bench-dist-'));

/** A pool of simulator movements (the canonical events), reused with new ids to sustain the run. */
async function movementPool(n: number): Promise<CanonicalResource[]> {
  const out: CanonicalResource[] = [];
  for await (const m of simulator.read({ seed: 2026, movements: n }, {})) {
    if (m.type === 'record' && m.data.resourceType === 'StockMovement') out.push(m.data);
  }
  return out;
}

const pool = await movementPool(50_000);

/** Event `i`: pool movement `i mod n` under a new id, read "now" from connector `connector`. */
function event(i: number, connector: string, ingestedAt: string): CanonicalResource {
  const base = pool[i % pool.length] as CanonicalResource;
  const lineage = base.meta?.lineage;
  return {
    ...base,
    id: `${base.id}-${i}`,
    meta: {
      ...base.meta,
      lineage: {
        connector,
        sourceSystem: lineage?.sourceSystem ?? 'simulator',
        sourceId: `${lineage?.sourceId ?? base.id}-${i}`,
        ingestedAt,
        sourceHash: lineage?.sourceHash ?? `sha256:${'0'.repeat(64)}`,
      },
    },
  };
}

function dateTimeText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The JSONEachRow row the hub stores for a movement (same columns as stock_movements). */
function rawRow(r: CanonicalResource, now: number): Record<string, unknown> | undefined {
  const mapped = movementRow(r, now);
  if (!('row' in mapped)) return undefined;
  const row = mapped.row;
  return {
    ...row,
    occurred_at: dateTimeText(row.occurred_at),
    occurred_at_ms: row.occurred_at % 1000,
    ingested_at: dateTimeText(row.ingested_at),
    region_id: '',
    category: '',
  };
}

const warehouse = new ClickHouseWarehouse({ url: CH_URL, database });
await warehouse.init();
const migrated = await warehouse.migrate();
if (migrated.some((s) => s.status === 'failed')) throw new Error(`migrate: ${JSON.stringify(migrated)}`);
const topics = await ensureTopics({ brokers: BROKERS, topicPrefix: prefix, partitions: 6, replicationFactor: 1 });
if (topics.some((s) => s.status === 'failed')) throw new Error(`topics: ${JSON.stringify(topics)}`);
const client = await createClickHouseClient({ url: CH_URL }, database);

async function countRows(table: string, where = ''): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${table} ${where}`, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

// The sink, as its own process. Its V8 flags: with the default (multi-GB) old-space limit, V8
// lets the heap grow to ~4x what is live before a full GC (~170 MB heap for ~45 MB live, the
// batch in flight plus the next one); a 512 MB limit makes it grow by ~1.4x instead, while
// staying far above what the bounded batches ever hold. Deployments run `hub sink` with the
// same (NODE_OPTIONS). Override with BENCH_SINK_NODE_FLAGS (space-separated, '' for none).
const sinkNodeFlags = (process.env.BENCH_SINK_NODE_FLAGS ?? '--max-old-space-size=512').split(' ').filter(Boolean);
const sinkProcess = spawn(
  process.execPath,
  [
    ...sinkNodeFlags,
    ...childProfileFlags(),
    '--import',
    'tsx',
    fileURLToPath(new URL('../cli/main.ts', import.meta.url)),
    'sink',
  ],
  {
    env: {
      ...process.env,
      HUB_KAFKA_BROKERS: BROKERS,
      HUB_CLICKHOUSE_URL: CH_URL,
      HUB_CLICKHOUSE_DATABASE: database,
      HUB_KAFKA_TOPIC_PREFIX: prefix,
      HUB_DATA_DIR: join(dataDir, 'sink'),
      HUB_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const sinkPid = sinkProcess.pid as number;
const peakRssMb = (): number => {
  const status = readFileSync(`/proc/${sinkPid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
};

const producer = new KafkaRecordSink({
  brokers: BROKERS,
  topicPrefix: prefix,
  stateStore: new FileStateStore(dataDir),
});
await producer.init();

async function waitForRows(table: string, n: number, where = '', timeoutMs = 300_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await countRows(table, where)) >= n) return performance.now();
    if (Date.now() > deadline) throw new Error(`${table}: fewer than ${n} rows after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  // Warm-up: the sink joins its group and the first batch lands.
  await producer.write({
    connector: 'bench-warmup',
    stream: 'stock_movements',
    records: [event(0, 'bench-warmup', new Date().toISOString())],
    deadLetters: [],
    state: undefined,
  });
  await waitForRows('stock_movements', 1, '', 120_000);

  // 1. Throughput.
  let produced = 0;
  // Where the two cores went while the events flowed: this process (the producer), the sink,
  // and the servers scripts/services runs (when the bench runs against those).
  const meter = cpuMeter({
    producer: process.pid,
    sink: sinkPid,
    kafka: servicePid(PROJECT_ROOT, 'kafka'),
    clickhouse: servicePid(PROJECT_ROOT, 'clickhouse'),
  });
  const t0 = performance.now();
  let producedSeconds = 0;
  const landed = await profiled('producer-throughput', async () => {
    while (performance.now() - t0 < SECONDS * 1000) {
      const at = new Date().toISOString();
      const records = Array.from({ length: BATCH }, (_, k) => event(1_000_000 + produced + k, 'bench-throughput', at));
      await producer.write({
        connector: 'bench-throughput',
        stream: 'stock_movements',
        records,
        deadLetters: [],
        state: undefined,
      });
      produced += BATCH;
    }
    producedSeconds = (performance.now() - t0) / 1000;
    return waitForRows('stock_movements', produced + 1);
  });
  const hubSeconds = (landed - t0) / 1000;
  const cpu = meter.stop();
  const sinkPeakRssMb = peakRssMb();

  // Raw baseline: the same rows, JSONEachRow, 10,000 per INSERT, into a table of the same schema.
  await client.command({ query: 'CREATE TABLE raw_movements AS stock_movements' });
  let rawSeconds = 0;
  const now = Date.now();
  const at = new Date(now).toISOString();
  for (let offset = 0; offset < produced; offset += 10_000) {
    const rows: Record<string, unknown>[] = [];
    for (let i = offset; i < Math.min(produced, offset + 10_000); i++) {
      const row = rawRow(event(1_000_000 + i, 'bench-throughput', at), now);
      if (row !== undefined) rows.push(row);
    }
    const s = performance.now();
    await client.insert({
      table: 'raw_movements',
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { input_format_skip_unknown_fields: 1 },
    });
    rawSeconds += (performance.now() - s) / 1000;
  }

  // 2. Freshness at 1,000 events/s: 100 events every 100 ms.
  const f0 = performance.now();
  let sent = 0;
  for (let tick = 0; tick < FRESHNESS_SECONDS * 10; tick++) {
    const due = f0 + tick * 100;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at2 = new Date().toISOString();
    const records = Array.from({ length: 100 }, (_, k) => event(50_000_000 + sent + k, 'bench-freshness', at2));
    await producer.write({
      connector: 'bench-freshness',
      stream: 'stock_movements',
      records,
      deadLetters: [],
      state: undefined,
    });
    sent += 100;
  }
  const achievedRate = sent / ((performance.now() - f0) / 1000);
  await waitForRows('freshness', 1, "WHERE connector = 'bench-freshness'");
  for (let i = 0; i < 100; i++) {
    const stored = await client.query({
      query: "SELECT sum(records) AS n FROM freshness WHERE connector = 'bench-freshness'",
      format: 'JSONEachRow',
    });
    if (Number((await stored.json<{ n: string }>())[0]?.n) >= sent) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rows = await warehouse.kpi('freshness_lag', {
    by: ['connector'],
    asOf: new Date(Date.now() + 60_000).toISOString(),
  });
  const fresh = rows.find((r) => r.connector === 'bench-freshness');
  const throughputFresh = rows.find((r) => r.connector === 'bench-throughput');

  const hubRate = produced / hubSeconds;
  const rawRate = produced / rawSeconds;
  const result = {
    part: 'pipeline-distributed',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, loadavg: loadavg() },
    seconds: SECONDS,
    throughput: {
      events: produced,
      producerEventsPerSecond: Math.round(produced / producedSeconds),
      hubEventsPerSecond: Math.round(hubRate),
      rawInsertRowsPerSecond: Math.round(rawRate),
      ratioHubToRaw: Number((hubRate / rawRate).toFixed(3)),
      sinkPeakRssMb: Math.round(sinkPeakRssMb),
      cpuSeconds: cpu.cpuSeconds,
      coresBusy: cpu.coresBusy,
      sinkNodeFlags,
      lagUnderLoad: throughputFresh ?? null,
    },
    freshness: { eventsPerSecond: Math.round(achievedRate), events: sent, ...fresh },
    targets: { eventsPerSecond: 50_000, ratioHubToRaw: 0.25, freshnessP99Seconds: 1, sinkPeakRssMb: 256 },
    meetsTargets: {
      eventsPerSecond: hubRate >= 50_000,
      ratioHubToRaw: hubRate / rawRate >= 0.25,
      freshnessP99: typeof fresh?.p99_seconds === 'number' && fresh.p99_seconds < 1,
      sinkPeakRss: sinkPeakRssMb < 256,
    },
  };
  console.log(
    `distributed pipeline: hub ${result.throughput.hubEventsPerSecond}/s (producer ${result.throughput.producerEventsPerSecond}/s) ` +
      `vs raw insert ${result.throughput.rawInsertRowsPerSecond}/s (ratio ${result.throughput.ratioHubToRaw}; target ≥50000/s and ≥0.25); ` +
      `sink peak RSS ${result.throughput.sinkPeakRssMb} MB; freshness at ${result.freshness.eventsPerSecond}/s: ` +
      `p50 ≤ ${fresh?.p50_seconds} s, p99 ≤ ${fresh?.p99_seconds} s, mean ${fresh?.mean_seconds} s, max ${fresh?.max_seconds} s`,
  );
  console.log(
    `  CPU during the throughput run (${cpu.wallSeconds.toFixed(1)} s, ${cpus().length} cores): ` +
      `${Object.entries(cpu.cpuSeconds)
        .map(([name, s]) => `${name} ${s} s`)
        .join(', ')}; ${cpu.coresBusy} cores busy`,
  );
  writeFileSync(
    fileURLToPath(new URL('./results/pipeline-distributed.json', import.meta.url)),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  sinkProcess.kill('SIGTERM');
  await new Promise((r) => sinkProcess.once('exit', r));
  await producer.close();
  await warehouse.dropDatabase().catch(() => undefined);
  await warehouse.close();
  await client.close();
  await deleteTopics().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);

/** Drops the run's topics (node-rdkafka's admin client). */
async function deleteTopics(): Promise<void> {
  const { hubTopics } = await import('../warehouse/kafka/topics.js');
  const rdkafka = (await import('node-rdkafka')).default;
  const admin = rdkafka.AdminClient.create({ 'metadata.broker.list': BROKERS });
  try {
    for (const t of hubTopics(prefix)) {
      await new Promise<void>((resolve) => admin.deleteTopic(t.name, 10_000, () => resolve()));
    }
  } finally {
    admin.disconnect();
  }
}
