import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const hub = (...args: string[]) =>
  run(process.execPath, [join(ROOT, 'bin', 'hub.mjs'), ...args], { cwd: ROOT }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('hub validate', { timeout: 60_000 }, () => {
  it('accepts every valid example with exit 0 and prints nothing on stdout', async () => {
    for (const type of ['StockMovement', 'Shipment', 'Location']) {
      for (const f of readdirSync(join(ROOT, 'examples', type)).filter((n) => n.startsWith('valid-'))) {
        const r = await hub('validate', type, join('examples', type, f));
        expect(r.code, `${type}/${f}: ${r.stdout}`).toBe(0);
        expect(r.stdout).toBe('');
      }
    }
  });

  it('reports every bad record of an NDJSON file with pointers, and exits 1', async () => {
    const r = await hub('validate', 'StockMovement', 'examples/StockMovement/ledger-export.ndjson');
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; errors: { pointer: string; code: string }[] });
    expect(lines.map((l) => [l.line, l.errors[0]?.pointer, l.errors[0]?.code])).toEqual([
      [3, '/quantity/value', 'HUB_ERR_MODEL_QUANTITY_SIGN'],
      [5, '', 'HUB_ERR_MODEL_JSON'],
      [6, '/quantity/unit', 'HUB_ERR_MODEL_UNIT_UNKNOWN'],
    ]);
    expect(r.stderr).toContain('3 valid, 3 invalid, of 6 record(s)');
  });

  it('refuses an unknown resource type', async () => {
    const r = await hub('validate', 'Spaceship', 'examples/StockMovement/valid-receipt-souss-massa.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HUB_ERR_MODEL_UNKNOWN_RESOURCE');
  });
});
