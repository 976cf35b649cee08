/**
 * `npm run bench [part...]`: runs each benchmark part in its own process, one after the other,
 * so that parts do not disturb each other. Each part prints its figures and writes
 * `bench/results/<part>.json`; this runner then prints a one-line summary per part.
 *
 *   npm run bench                 # every part
 *   npm run bench -- core         # only bench/core.ts
 *   npm run bench -- --quick      # shorter runs, passed on to each part
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const parts = readdirSync(HERE)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((p) => wanted.length === 0 || wanted.includes(p))
  .sort();

if (parts.length === 0) {
  process.stderr.write(`no bench part matches ${wanted.join(', ')}\n`);
  process.exit(2);
}

let failed = 0;
for (const part of parts) {
  process.stdout.write(`\n=== bench ${part}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, `${part}.ts`), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`=== bench ${part}: FAILED (exit ${r.status})\n`);
    continue;
  }
  const result = join(HERE, 'results', `${part}.json`);
  process.stdout.write(
    `=== bench ${part}: ${existsSync(result) ? `results in bench/results/${part}.json` : 'no results file'}\n`,
  );
}
process.exit(failed === 0 ? 0 : 1);
