import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHub, waitFor } from './hub-process.js';
import { isCI } from './services.js';

/**
 * Contract fuzzing: schemathesis (scripts/schemathesis, from PyPI, in .cache/venv) generates
 * requests from openapi/openapi.yaml against a running embedded hub, once with an admin key and
 * once with a key scoped to one region. Any server error, response that breaks its schema,
 * undeclared status or content type, or accepted invalid input fails the test.
 *
 * Locally it is skipped until the venv exists (`scripts/schemathesis setup`); on CI the venv is
 * set up here, and a missing python fails the suite.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts/schemathesis');
const haveVenv = existsSync(join(ROOT, '.cache/venv/bin/st'));
const run = promisify(execFile);

/** Runs the script; its exit code and output, never a throw for a non-zero exit. */
async function schemathesis(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(SCRIPT, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The end of a schemathesis report: its failures and summary. */
const tail = (output: string) => output.slice(-6000);

if (!haveVenv && !isCI()) {
  describe.skip('schemathesis contract fuzzing', () => {
    it('needs .cache/venv (run scripts/schemathesis setup)', () => {});
  });
} else {
  describe('schemathesis contract fuzzing against a running embedded hub', { timeout: 300_000 }, () => {
    const adminKey = `rh-test-${randomBytes(16).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-fuzz-'));
    const env = {
      HUB_DATA_DIR: dataDir,
      HUB_BOOTSTRAP_API_KEY: adminKey,
      HUB_SIMULATOR_MOVEMENTS: '1000',
      HUB_SIMULATOR_INTERVAL_MS: '0',
    };
    let hub: HubProcess;
    let regionKey = '';

    beforeAll(async () => {
      if (!haveVenv) {
        const setup = await schemathesis(['setup']);
        if (setup.code !== 0) throw new Error(`scripts/schemathesis setup failed:\n${tail(setup.output)}`);
      }
      const created = spawnSync(
        process.execPath,
        [
          join(ROOT, 'bin/hub.mjs'),
          'keys',
          'create',
          '--name',
          'fuzz-souss-massa',
          '--scopes',
          'read',
          '--regions',
          'souss-massa',
        ],
        { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' },
      );
      if (created.status !== 0) throw new Error(`hub keys create failed: ${created.stderr}`);
      regionKey = (JSON.parse(created.stdout) as { key: string }).key;
      hub = await startHub(env);
      await waitFor('GET /health', async () => ((await hub.get('/health')).ok ? true : undefined), 60_000, hub);
      await waitFor(
        'the simulator history',
        async () => (/simulator history/.test(hub.output()) ? true : undefined),
        90_000,
        hub,
      );
    }, 240_000);
    afterAll(async () => {
      await hub?.stop('SIGKILL');
    });

    it('finds no failure with an admin key', async () => {
      const { code, output } = await schemathesis(['run', hub.url, adminKey]);
      expect(output).toMatch(/\d+ generated/);
      expect(code, tail(output)).toBe(0);
    });

    it('finds no failure with a key scoped to one region', async () => {
      const { code, output } = await schemathesis(['run', hub.url, regionKey]);
      expect(output).toMatch(/\d+ generated/);
      expect(code, tail(output)).toBe(0);
    });
  });
}
