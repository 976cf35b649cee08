/**
 * Simulator throughput: movement records generated per second, incidents and all (the flow
 * that feeds the demo and the other benchmarks). Median of five rounds of 100,000 movements.
 * A benchmark, not a timed test: the machines are shared, so the figure is reported, not asserted.
 *
 *   npx tsx bench/connectors-simulator.ts [--quick]   # writes bench/results/connectors-simulator.json
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildLots } from '../connectors/simulator/src/lots.js';
import { MovementFlow, movementMessage } from '../connectors/simulator/src/movements.js';

const N = process.argv.includes('--quick') ? 20_000 : 100_000;
const startMs = Date.parse('2025-01-06T08:00:00+01:00');
const rounds: number[] = [];
let incidents = 0;
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  const flow = new MovementFlow({
    seed: 42,
    startMs,
    invalidRate: 0,
    lots: buildLots(42, startMs),
    incidentsPer30Days: 4,
  });
  let n = 0;
  while (flow.seq < N) if (movementMessage(42, flow.next()).type === 'record') n++;
  if (n !== N) throw new Error(`expected ${N} movement records, got ${n}`);
  rounds.push(performance.now() - t0);
  incidents = flow.events.incidents.length;
}
rounds.sort((a, b) => a - b);
const medianMs = rounds[2] as number;
const result = {
  part: 'connectors-simulator',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg() },
  movements: N,
  incidents,
  medianMs: Math.round(medianMs),
  movementsPerSecond: Math.round((N / medianMs) * 1000),
  roundsMs: rounds.map(Math.round),
};
console.log(`simulator: ${result.movementsPerSecond} movements/s (median of 5 rounds of ${N}; ${incidents} incidents)`);
writeFileSync(
  fileURLToPath(new URL('./results/connectors-simulator.json', import.meta.url)),
  `${JSON.stringify(result, null, 2)}\n`,
);
