import { describe, expect, it } from 'vitest';
import { runConformance } from '../../sdk/testing/conformance.js';
import { simulator } from '../src/index.js';

describe('simulator: conformance kit', () => {
  it('passes every check, resuming after each of its checkpoints', async () => {
    const report = await runConformance(simulator, { movements: 300, checkpoint_every: 50 }, { maxResumePoints: 100 });
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
    // 84 locations, 13 organizations, 246 products, 444 lots, 300 movements, one checkpoint per 50 and at each end.
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toBe('23 of 23 checkpoints interrupted and resumed');
  });

  it('passes with malformed rows too, which are dead-lettered, not lost, across resumes', async () => {
    const report = await runConformance(
      simulator,
      { movements: 200, checkpoint_every: 40, invalid_rate: 0.1 },
      { maxResumePoints: 8 },
    );
    // Malformed rows are records that fail validation by design: only that check may fail.
    expect(report.failures.map((f) => f.split(':')[0])).toEqual(['records_valid']);
  });
});
