import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../sdk/testing/conformance.js';
import { files } from '../src/index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hub-files-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files: conformance kit', () => {
  it('passes every check on a folder of partner files, resuming after each checkpoint', async () => {
    for (const f of [
      'croissant-rouge-souss-massa-mouvements-2025-01.csv',
      'hxl-only-oriental.csv',
      'marrakech-safi-mouvements-2025-02.xlsx',
      'oriental-movements-utf8-bom.csv',
    ]) {
      copyFileSync(join(FIXTURES, f), join(dir, f));
    }
    const report = await runConformance(
      files,
      { dir, checkpoint_every: 2, sheet: 'Mouvements', source_system: 'conformance' },
      { maxResumePoints: 100 },
    );
    expect(report.failures).toEqual([]);
    // 16 + 3 + 7 + 5 rows at one checkpoint per 2 rows, one per finished file, one at the end.
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toMatch(
      /^(\d+) of \1 checkpoints interrupted and resumed$/,
    );
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('20 records');
  });
});
