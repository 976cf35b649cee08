import { describe, expect, it } from 'vitest';
import { areaOf, type CpuProfile, formatProfileSummary, summarizeCpuProfile } from './cpu-profile.js';

const ROOT = '/work/hub';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// Line 0 is not shown: tsx's compiled modules are one line, so V8's line says nothing there.
// (root) ─ main (bench/x.ts) ─ admit (connectors/sdk/runtime.ts) ─ hash (core/lineage/lineage.ts)
//                                                                └ validate (npm ajv)
//        ├ (garbage collector)
//        └ (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
    { id: 2, callFrame: frame('main', `file://${ROOT}/bench/x.ts`, 9), children: [3] },
    { id: 3, callFrame: frame('admit', `file://${ROOT}/connectors/sdk/runtime.ts`, 99), children: [4, 5] },
    { id: 4, callFrame: frame('hash', `file://${ROOT}/core/lineage/lineage.ts`, 0) },
    { id: 5, callFrame: frame('validate', `file://${ROOT}/node_modules/ajv/dist/core.js`, 4) },
    { id: 6, callFrame: frame('(garbage collector)') },
    { id: 7, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 100_000,
  // Each sample lasts until the next one: 4 → 30 ms, 5 → 20 ms, 3 → 10 ms, 6 → 15 ms, 7 → 25 ms.
  samples: [4, 5, 3, 6, 7, 2],
  timeDeltas: [0, 30_000, 20_000, 10_000, 15_000, 25_000],
};

describe('CPU profile summary', () => {
  it('attributes each sample the time until the next one, by area, self and inclusive', () => {
    const s = summarizeCpuProfile(profile, ROOT);
    expect(s.totalMs).toBe(100);
    expect(s.busyMs).toBe(75);
    expect(s.byArea).toEqual([
      { name: 'core/lineage/', ms: 30, pct: 30 },
      { name: 'idle', ms: 25, pct: 25 },
      { name: 'npm: ajv', ms: 20, pct: 20 },
      { name: 'V8: garbage collector', ms: 15, pct: 15 },
      { name: 'connectors/sdk/', ms: 10, pct: 10 },
    ]);
    expect(s.topSelf[0]).toEqual({ name: 'hash core/lineage/lineage.ts', ms: 30, pct: 30 });
    // admit pays for itself and both callees; main for all of that.
    expect(s.topInclusive.slice(0, 2)).toEqual([
      { name: 'admit connectors/sdk/runtime.ts:100', ms: 60, pct: 60 },
      { name: 'main bench/x.ts:10', ms: 60, pct: 60 },
    ]);
    expect(s.topInclusive.find((r) => r.name.startsWith('validate'))).toEqual({
      name: 'validate ajv/dist/core.js:5',
      ms: 20,
      pct: 20,
    });
  });

  it('names areas for scoped packages, Node internals and native frames', () => {
    expect(areaOf(frame('f', `file://${ROOT}/node_modules/@duckdb/node-api/lib/x.js`), ROOT)).toBe(
      'npm: @duckdb/node-api',
    );
    expect(areaOf(frame('f', 'node:internal/streams/readable'), ROOT)).toBe('node internals');
    expect(areaOf(frame('JSON.stringify'), ROOT)).toBe('native (V8 builtins, C++)');
    expect(areaOf(frame('f', `file://${ROOT}/cli/main.ts`), ROOT)).toBe('cli/');
    expect(areaOf(frame('f', 'file:///elsewhere/x.js'), ROOT)).toBe('other');
  });

  it('formats every view as text', () => {
    const text = formatProfileSummary('bench x', summarizeCpuProfile(profile, ROOT));
    expect(text).toContain('# bench x');
    expect(text).toContain('sampled 100.0 ms, busy (not idle) 75.0 ms');
    expect(text).toMatch(/ {6}30\.0 ms {2}30\.0 % {2}hash core\/lineage\/lineage\.ts$/m);
  });
});
