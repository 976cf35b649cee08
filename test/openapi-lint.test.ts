import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { OPENAPI_FILE } from '../scripts/gen-openapi.js';

const ROOT = resolve(import.meta.dirname, '..');
const REDOCLY = join(ROOT, 'node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

/** `redocly lint` with the project's redocly.yaml; the JSON report, whatever the exit code. */
async function lint(file: string): Promise<LintReport> {
  const run = promisify(execFile);
  const args = ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'];
  try {
    const { stdout } = await run(REDOCLY, args, { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    return JSON.parse(stdout) as LintReport;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trim().startsWith('{')) throw error;
    return JSON.parse(stdout) as LintReport;
  }
}

const summary = (r: LintReport) =>
  r.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`).join('\n');

describe('openapi/openapi.yaml lint (redocly.yaml)', { timeout: 60_000 }, () => {
  it('has no lint error (run `npx redocly lint` to see them)', async () => {
    const report = await lint(OPENAPI_FILE);
    expect(report.totals.errors, summary(report)).toBe(0);
  });

  it('fails a spec with an undocumented tag, an operation without operationId and no 4xx response', async () => {
    const doc = parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
      tags: { name: string }[];
      paths: Record<string, Record<string, { operationId?: string; tags?: string[]; responses: object }>>;
    };
    const op = doc.paths['/v1/stock']!.get!;
    delete op.operationId;
    op.tags = ['undeclared'];
    op.responses = Object.fromEntries(Object.entries(op.responses).filter(([status]) => status.startsWith('2')));
    const file = join(mkdtempSync(join(tmpdir(), 'hub-lint-')), 'openapi.yaml');
    writeFileSync(file, stringify(doc));
    const report = await lint(file);
    const rules = new Set(report.problems.filter((p) => p.severity === 'error').map((p) => p.ruleId));
    expect([...rules].sort()).toEqual(
      expect.arrayContaining(['operation-4xx-response', 'operation-operationId', 'operation-tag-defined']),
    );
  });
});
