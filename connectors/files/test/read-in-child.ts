/**
 * Reads one file through the files connector in a process of its own and prints what it took:
 * `{ "records", "invalid", "seconds", "baseMb", "peakMb" }`. The bounded-memory test runs it,
 * so that the measure is this read's, not the test runner's heap.
 *
 *   node --import tsx connectors/files/test/read-in-child.ts <path> [config-json]
 */
import { files } from '../src/index.js';

const [path, json] = process.argv.slice(2);
const config = { path, ...(json ? (JSON.parse(json) as object) : {}) };
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
let records = 0;
let invalid = 0;
for await (const m of files.read(config, {})) {
  if (m.type === 'record') records++;
  else if (m.type === 'invalid') invalid++;
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const mb = (n: number) => Math.round(n / 1024 / 1024);
process.stdout.write(
  `${JSON.stringify({ records, invalid, seconds: (performance.now() - started) / 1000, baseMb: mb(base), peakMb: mb(peak) })}\n`,
);
