/**
 * Core model benchmark: validations per second for StockMovement and Shipment (median of
 * several runs, one core), next to a plain `JSON.parse` of the same payloads; and the cost at
 * start: loading the generated validators (what the hub does) and, for comparison, compiling
 * every schema with ajv at run time. Each start cost is measured in a fresh process.
 *
 *   npx tsx bench/core.ts            # writes bench/results/core.json
 *   npx tsx bench/core.ts --quick    # fewer, shorter runs (smoke)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 5 : 9;
const RUN_MS = QUICK ? 150 : 500;

async function coldChild(kind: string): Promise<void> {
  const t0 = performance.now();
  if (kind === 'load') {
    const model = await import('../core/model/validate.js');
    // First call included: binding formats and the first (cold) validation.
    model.isValid('StockMovement', {});
  } else {
    const { createModelAjv } = await import('../core/model/compile.js');
    const { RESOURCE_TYPES, schemaId } = await import('../core/model/schemas.js');
    const ajv = createModelAjv({ allErrors: false, optimised: true });
    for (const type of RESOURCE_TYPES) ajv.getSchema(schemaId(type));
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));
}

/** Runs `kind` in fresh node processes (through tsx, as `bin/hub.mjs` does) and returns the median ms. */
function coldMs(kind: string, times = 5): number {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push((JSON.parse(child(['--cold', kind])) as { ms: number }).ms);
  return median(samples);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Operations per CPU second of `op` over `items`: the median of RUNS timed runs after a
 * warm-up. CPU time rather than wall time, so that other processes on the machine do not count
 * against the hub (the figure is per core).
 */
function opsPerSecond<T>(items: readonly T[], op: (item: T) => boolean): { median: number; best: number } {
  let sink = 0;
  const pass = () => {
    for (let i = 0; i < items.length; i++) if (op(items[i] as T)) sink++;
  };
  const warmUntil = cpuMs() + RUN_MS;
  while (cpuMs() < warmUntil) pass();
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let n = 0;
    const start = cpuMs();
    let now = start;
    while (now - start < RUN_MS) {
      pass();
      n += items.length;
      now = cpuMs();
    }
    rates.push((n / (now - start)) * 1000);
  }
  if (sink < 0) throw new Error('unreachable');
  return { median: Math.round(median(rates)), best: Math.round(Math.max(...rates)) };
}

const hex = (i: number) => i.toString(16).padStart(8, '0');
const sha = (i: number) => `sha256:${hex(i).repeat(8)}`;
const WAREHOUSES = ['souss-massa-wh1', 'casablanca-settat-wh2', 'marrakech-safi-wh3', 'oriental-wh1', 'fes-meknes-wh4'];
const PRODUCTS = ['eau-minerale-1-5l', 'couverture-laine', 'tente-familiale-16m2', 'kit-hygiene', 'farine-25kg'];
const GTINS = ['06111000000014', '06111000000021', '06111000000038', '06111000000045', '06111000000052'];
const INBOUND = ['receipt', 'transfer-in', 'return', 'donation-in'];
const OUTBOUND = ['dispatch', 'transfer-out', 'loss', 'damage', 'expiry-write-off'];

/** A movement as a partner or the ledger connector sends it (no hub metadata yet). */
function movement(i: number): Record<string, unknown> {
  const inbound = i % 3 === 0;
  const type = inbound ? (INBOUND[i % 4] as string) : (OUTBOUND[i % 5] as string);
  const qty = 1 + (i % 500);
  return {
    resourceType: 'StockMovement',
    id: `mv-${hex(i)}`,
    movementType: type,
    occurredAt: `2024-09-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00+01:00`,
    location: { reference: `Location/${WAREHOUSES[i % 5]}` },
    counterpart: { reference: `Location/${WAREHOUSES[(i + 1) % 5]}` },
    product: { reference: `Product/${PRODUCTS[i % 5]}` },
    gtin: GTINS[i % 5],
    lot: { lotNumber: `L24${hex(i % 999).slice(-4)}`, expiry: '2026-03-31' },
    quantity: { value: inbound ? qty : -qty, unit: 'EA' },
    reason: inbound ? 'Réception fournisseur' : 'Expédition vers site sinistré',
  };
}

/** The same movement as the hub stores it: with `meta.lineage`. */
function storedMovement(i: number): Record<string, unknown> {
  return {
    ...movement(i),
    meta: {
      versionId: '1',
      lastUpdated: '2024-09-08T10:00:00Z',
      lineage: {
        connector: 'postgres-ledger',
        sourceSystem: 'ledger.central',
        sourceId: String(100000 + i),
        ingestedAt: '2024-09-08T10:00:01.250Z',
        sourceHash: sha(i),
      },
    },
  };
}

function shipment(i: number): Record<string, unknown> {
  return {
    resourceType: 'Shipment',
    id: `shp-${hex(i)}`,
    meta: {
      lineage: {
        connector: 'simulator',
        sourceSystem: 'sim',
        sourceId: String(i),
        ingestedAt: '2024-09-09T06:00:00Z',
        sourceHash: sha(i),
      },
    },
    status: 'in-transit',
    priority: i % 2 ? 'stat' : 'urgent',
    requests: [{ reference: `SupplyRequest/req-${hex(i)}` }],
    incident: { reference: 'Incident/seisme-al-haouz-2023' },
    origin: { reference: `Location/${WAREHOUSES[i % 5]}` },
    destination: { reference: 'Location/amizmiz-camp-1' },
    carrier: { reference: 'Organization/far-logistique' },
    eta: '2024-09-09T18:00:00+01:00',
    lines: [
      {
        product: { reference: 'Product/eau-minerale-1-5l' },
        quantity: { value: 1200, unit: 'XBO' },
        lot: { lotNumber: 'L2409', expiry: '2026-03-01' },
      },
      { product: { reference: 'Product/couverture-laine' }, quantity: { value: 300, unit: 'EA' } },
      {
        product: { reference: 'Product/tente-familiale-16m2' },
        quantity: { value: 40, unit: 'SET' },
        sscc: '361110000000000015',
      },
    ],
    statusHistory: [
      { status: 'planned', at: '2024-09-09T06:00:00+01:00', by: 'Cellule de crise Marrakech' },
      { status: 'picked', at: '2024-09-09T07:10:00+01:00' },
      { status: 'dispatched', at: '2024-09-09T08:00:00+01:00' },
      { status: 'in-transit', at: '2024-09-09T08:05:00+01:00', note: 'Route R203 ouverte' },
    ],
  };
}

const SETS = {
  StockMovement: { type: 'StockMovement', make: movement },
  'StockMovement+lineage': { type: 'StockMovement', make: storedMovement },
  Shipment: { type: 'Shipment', make: shipment },
} as const;
type SetName = keyof typeof SETS;

/** Throughput of one payload set, in this (fresh) process so that no other set shapes the JIT's feedback. */
async function throughputChild(name: SetName): Promise<void> {
  const { validate } = await import('../core/model/validate.js');
  const { type, make } = SETS[name];
  // Records as a connector has them: parsed from JSON text.
  const texts = Array.from({ length: 1000 }, (_, i) => JSON.stringify(make(i)));
  const records = texts.map((t) => JSON.parse(t) as unknown);
  const invalid = records.find((r) => !validate(type, r).valid);
  if (invalid !== undefined) throw new Error(`${name}: ${JSON.stringify(validate(type, invalid))}`);
  const validatePerSec = opsPerSecond(records, (r) => validate(type, r).valid);
  const jsonParsePerSec = opsPerSecond(texts, (t) => JSON.parse(t) !== null);
  process.stdout.write(
    JSON.stringify({
      payloadBytes: Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length),
      validatePerSec: validatePerSec.median,
      validatePerSecBest: validatePerSec.best,
      jsonParsePerSec: jsonParsePerSec.median,
      jsonParsePerSecBest: jsonParsePerSec.best,
      // > 1: validating a record costs less than parsing its JSON text. Steadier than the rates
      // on a shared machine, since both suffer the same contention.
      validateToJsonParse: Number((validatePerSec.median / jsonParsePerSec.median).toFixed(2)),
    }),
  );
}

function child(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
  });
}

async function main(): Promise<void> {
  const loadStartMs = coldMs('load');
  const compileMs = coldMs('compile');
  const throughput: Record<string, unknown> = {};
  for (const name of Object.keys(SETS)) {
    throughput[name] = JSON.parse(child(['--throughput', name, ...(QUICK ? ['--quick'] : [])]));
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    runs: RUNS,
    runMs: RUN_MS,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    startup: {
      loadGeneratedValidatorsMs: Math.round(loadStartMs),
      ajvCompileAllSchemasMs: Math.round(compileMs),
      note: 'median of 5 fresh processes; load = import of core/model/validate (generated standalone validators, through tsx) + first call; compile = ajv compiling every schema at run time, which the hub does not do',
    },
    throughput,
    throughputNote:
      'per CPU second on one core, median (and best) of the runs, each payload set in a fresh process; records parsed from JSON as connectors have them; StockMovement as a partner sends it, StockMovement+lineage as the hub stores it',
    targets: { stockMovementPerSec: 1_000_000, startupMs: 300 },
  };
  const out = fileURLToPath(new URL('./results/core.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

const coldAt = process.argv.indexOf('--cold');
const setAt = process.argv.indexOf('--throughput');
if (coldAt >= 0) await coldChild(process.argv[coldAt + 1] ?? 'load');
else if (setAt >= 0) await throughputChild(process.argv[setAt + 1] as SetName);
else await main();
