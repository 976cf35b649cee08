import { describe, expect, it } from 'vitest';
import { runConformance } from '../../sdk/testing/conformance.js';
import { simulator } from '../src/index.js';

describe('simulator: conformance kit', () => {
  it('passes every check, resuming after each of its checkpoints', { timeout: 90_000 }, async () => {
    // Long enough for the first incident, its requests and shipments: every stream has records.
    const config = { movements: 1200, incidents_per_30_days: 30, checkpoint_every: 50 };
    const report = await runConformance(simulator, config, { maxResumePoints: 12 });
    expect(report.failures).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([
      'spec',
      'check',
      'discover',
      'read_protocol',
      'records_valid',
      'primary_keys',
      'final_state',
      'resume',
    ]);
    const counts = new Map<string, number>();
    for await (const m of simulator.read(config, {}))
      if (m.type === 'record') counts.set(m.stream, (counts.get(m.stream) ?? 0) + 1);
    expect([...counts.values()].every((n) => n > 0) && counts.size).toBe(10);
    // One checkpoint per 50 records and at the end of each stream.
    const checkpoints = [...counts.values()].reduce((sum, n) => sum + Math.ceil(n / 50), 0);
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toBe(
      `${Math.min(12, checkpoints)} of ${checkpoints} checkpoints interrupted and resumed`,
    );
  });

  it('passes with malformed rows too, which are dead-lettered, not lost, across resumes', {
    timeout: 60_000,
  }, async () => {
    const report = await runConformance(
      simulator,
      { movements: 1600, checkpoint_every: 200, invalid_rate: 0.1, incidents_per_30_days: 30 },
      { maxResumePoints: 6 },
    );
    // Malformed rows are records that fail validation by design: only that check may fail.
    expect(report.failures.map((f) => f.split(':')[0])).toEqual(['records_valid']);
  });
});
