/**
 * `npm run bench [part...]`: runs each benchmark part in its own process, one after the other,
 * so that parts do not disturb each other. Each part prints its figures and writes
 * `bench/results/<part>.json`; this runner then prints a one-line summary per part.
 *
 *   npm run bench                 # every part
 *   npm run bench -- core         # only bench/core.ts
 *   npm run bench -- --quick      # shorter runs, passed on to each part
 *   npm run bench -- pipeline-embedded --profile
 *                                 # also V8 CPU profiles: of the part's measured phase, and of
 *                                 # the Node processes it starts (e.g. `hub sink`), each
 *                                 # summarised in bench/results/profiles/<part>/*.txt
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CpuProfile, formatProfileSummary, PROJECT_ROOT, summarizeCpuProfile } from './lib/cpu-profile.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const profile = process.argv.includes('--profile');
const flags = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--profile');
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
  const profileDir = join(HERE, 'results', 'profiles', part);
  const env = { ...process.env };
  if (profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
    // The part profiles its measured phase itself (lib/cpu-profile.ts `profiled`), and adds
    // --cpu-prof to the Node processes it starts (`childProfileFlags`; Node refuses --cpu-prof
    // in NODE_OPTIONS).
    env.BENCH_PROFILE_DIR = profileDir;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, `${part}.ts`), ...flags], {
    stdio: 'inherit',
    env,
  });
  if (profile) summarizeProfiles(part, profileDir);
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

/**
 * Writes a summary beside each profile of `part` that has none yet (those of the processes it
 * started), named after the process's entry script, and prints where every summary is.
 */
function summarizeProfiles(part: string, dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    if (!file.startsWith('CPU.')) {
      process.stdout.write(`=== profile: bench/results/profiles/${part}/${file.replace(/\.cpuprofile$/, '.txt')}\n`);
      continue;
    }
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const entry = entryScript(data, PROJECT_ROOT);
    // tsx's own loader threads and short helper processes are not what was measured.
    if (entry === undefined) continue;
    const summary = summarizeCpuProfile(data, PROJECT_ROOT);
    const pid = /^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1] ?? file;
    const name = `${entry.replace(/[/.]/g, '-')}-${pid}`;
    writeFileSync(join(dir, `${name}.txt`), formatProfileSummary(`bench ${part}: ${entry} (${file})`, summary));
    process.stdout.write(
      `=== profile ${entry}: busy ${summary.busyMs.toFixed(0)} of ${summary.totalMs.toFixed(0)} ms; ` +
        `bench/results/profiles/${part}/${name}.txt\n`,
    );
  }
}

/** The project script a profiled process ran (`bench/<part>.ts`, `cli/main.ts`), if any. */
function entryScript(data: CpuProfile, root: string): string | undefined {
  for (const node of data.nodes) {
    const url = node.callFrame.url;
    const m = /^file:\/\/(.*\/(?:bench\/[^/]+|cli\/main)\.ts)$/.exec(url);
    if (m?.[1]?.startsWith(root)) return m[1].slice(root.length + 1);
  }
  return undefined;
}
