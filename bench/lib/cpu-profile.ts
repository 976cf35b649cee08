/**
 * Reads a V8 CPU profile (`node --cpu-prof`, the DevTools `Profiler.Profile` format) and says
 * where the time went, as text a reviewer can read without DevTools:
 * - by area: the project's own top-level folders (`core/`, `connectors/sdk/`, …), each npm
 *   package, Node's internals, and V8's pseudo-frames (garbage collector, idle, program);
 * - the functions with the most self time;
 * - the functions with the most inclusive time (self plus what they called), so that a cost
 *   spread over many small callees still shows up under the caller that pays for it.
 *
 * `npm run bench -- <part> --profile` writes one summary per profile, next to it: the part's
 * measured phase (`profiled`), and the Node processes it starts (`childProfileFlags`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One node of the profile's call tree (the fields this module reads). */
export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  /** The node sampled at each tick. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  readonly timeDeltas: readonly number[];
}

export interface TimeShare {
  readonly name: string;
  readonly ms: number;
  /** Share of the profile's sampled time, in percent. */
  readonly pct: number;
}

export interface ProfileSummary {
  /** Sampled time, in milliseconds. */
  readonly totalMs: number;
  /** Time not spent idle, in milliseconds. */
  readonly busyMs: number;
  readonly byArea: readonly TimeShare[];
  readonly topSelf: readonly TimeShare[];
  readonly topInclusive: readonly TimeShare[];
}

/** V8's pseudo-frames, reported as areas of their own. */
const PSEUDO: Readonly<Record<string, string>> = {
  '(garbage collector)': 'V8: garbage collector',
  '(idle)': 'idle',
  '(program)': 'V8: program (compiler, runtime)',
  '(root)': 'V8: program (compiler, runtime)',
};

/**
 * The area a frame belongs to: a package under `node_modules` (scoped names kept whole), a
 * Node internal, or the first one or two folders of a path under `projectRoot`.
 */
export function areaOf(frame: CpuProfileNode['callFrame'], projectRoot: string): string {
  const pseudo = PSEUDO[frame.functionName];
  if (pseudo !== undefined && frame.url === '') return pseudo;
  const url = frame.url;
  if (url === '') return 'native (V8 builtins, C++)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return `npm: ${name}`;
  }
  const root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  if (!path.startsWith(root)) return 'other';
  const parts = path.slice(root.length).split('/');
  // `connectors/sdk/`, `warehouse/duckdb/`: one folder deeper where a top folder holds several parts.
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : `${parts[0]}/`;
}

function frameName(frame: CpuProfileNode['callFrame'], projectRoot: string): string {
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return fn;
  let where = frame.url.startsWith('file://') ? decodeURIComponent(frame.url.slice('file://'.length)) : frame.url;
  const root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  if (where.startsWith(root)) where = where.slice(root.length);
  const modules = where.lastIndexOf('node_modules/');
  if (modules >= 0) where = where.slice(modules + 'node_modules/'.length);
  // V8 counts lines from 0; code tsx compiled comes as one line, so its line says nothing.
  return frame.lineNumber > 0 ? `${fn} ${where}:${frame.lineNumber + 1}` : `${fn} ${where}`;
}

function ranked(totals: Map<string, number>, totalUs: number, limit: number): TimeShare[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: round(us / 1000), pct: totalUs === 0 ? 0 : round((100 * us) / totalUs) }));
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Where the sampled time of `profile` went; `projectRoot` is the checkout's absolute path. */
export function summarizeCpuProfile(profile: CpuProfile, projectRoot: string, limit = 25): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const area = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const seen = new Set<string>();
  const n = Math.min(profile.samples.length, profile.timeDeltas.length);
  for (let i = 0; i < n; i++) {
    // A sample's time is the delta to the next one (the last sample gets none).
    const us = i + 1 < n ? Math.max(0, profile.timeDeltas[i + 1] as number) : 0;
    if (us === 0) continue;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    totalUs += us;
    const a = areaOf(node.callFrame, projectRoot);
    if (a === 'idle') idleUs += us;
    area.set(a, (area.get(a) ?? 0) + us);
    const name = frameName(node.callFrame, projectRoot);
    self.set(name, (self.get(name) ?? 0) + us);
    // Inclusive: every distinct function on the stack (recursion counted once).
    seen.clear();
    for (let at: CpuProfileNode | undefined = node; at !== undefined; ) {
      const f = frameName(at.callFrame, projectRoot);
      if (!seen.has(f) && !(f in PSEUDO)) {
        seen.add(f);
        inclusive.set(f, (inclusive.get(f) ?? 0) + us);
      }
      const up = parent.get(at.id);
      at = up === undefined ? undefined : byId.get(up);
    }
  }
  return {
    totalMs: round(totalUs / 1000),
    busyMs: round((totalUs - idleUs) / 1000),
    byArea: ranked(area, totalUs, limit),
    topSelf: ranked(self, totalUs, limit),
    topInclusive: ranked(inclusive, totalUs, limit),
  };
}

/** The summary as plain text, one table per view. */
export function formatProfileSummary(title: string, s: ProfileSummary): string {
  const table = (heading: string, rows: readonly TimeShare[]): string =>
    [
      `${heading}`,
      ...rows.map((r) => `  ${r.ms.toFixed(1).padStart(9)} ms ${r.pct.toFixed(1).padStart(5)} %  ${r.name}`),
    ].join('\n');
  return [
    `# ${title}`,
    `sampled ${s.totalMs.toFixed(1)} ms, busy (not idle) ${s.busyMs.toFixed(1)} ms`,
    '',
    table('by area (self time)', s.byArea),
    '',
    table('functions by self time', s.topSelf),
    '',
    table('functions by inclusive time (self + callees)', s.topInclusive),
    '',
  ].join('\n');
}

/** `--cpu-prof` flags for a Node process a bench part starts, when the run is profiled. */
export function childProfileFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.BENCH_PROFILE_DIR;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** The checkout's root (profiles name files relative to it). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Runs `phase`; when the run is profiled (`BENCH_PROFILE_DIR`), under the V8 sampling profiler
 * of this process, writing `<label>.cpuprofile` and its summary `<label>.txt`. Only the phase
 * is profiled, not the set-up around it or the baseline.
 */
export async function profiled<T>(label: string, phase: () => Promise<T>, env = process.env): Promise<T> {
  const dir = env.BENCH_PROFILE_DIR;
  if (dir === undefined || dir === '') return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 200 µs between samples (V8's default is 1 ms): enough samples for a phase of a few seconds.
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    writeFileSync(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
    writeFileSync(join(dir, `${label}.txt`), formatProfileSummary(label, summarizeCpuProfile(profile, PROJECT_ROOT)));
  }
}
