import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHub, waitFor } from './hub-process.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'connectors', 'files', 'test', 'fixtures');

/** `hub start` runs the pull connectors of HUB_SCHEDULES on their period, from their cursor. */
describe('hub start: scheduled pull connectors', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'hub-schedule-'));
  const inbox = join(root, 'inbox');
  mkdirSync(inbox);
  copyFileSync(join(FIXTURES, 'croissant-rouge-souss-massa-mouvements-2025-01.csv'), join(inbox, 'a.csv'));
  let hub: HubProcess | undefined;
  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  const recordsOut = async (h: HubProcess): Promise<number> => {
    const text = await (await h.get('/metrics')).text();
    const m = /hub_connector_records_out_total\{connector="files",stream="stock_movements"\} (\d+)/.exec(text);
    return m ? Number(m[1]) : 0;
  };

  it('reads a dropped file on the next period, and never reads a finished file again', async () => {
    hub = await startHub({
      HUB_DATA_DIR: join(root, 'hub'),
      HUB_SIMULATOR_MOVEMENTS: '100',
      HUB_SIMULATOR_INTERVAL_MS: '0',
      HUB_SCHEDULES: JSON.stringify([{ connector: 'files', every_ms: 300, config: { dir: inbox, encoding: 'auto' } }]),
    });
    const h = hub;
    await waitFor('GET /health', async () => ((await h.get('/health')).ok ? true : undefined), 60_000, h);
    const first = await waitFor(
      'the first file',
      async () => ((await recordsOut(h)) > 0 ? recordsOut(h) : undefined),
      30_000,
      h,
    );
    await sleep(1_200); // four periods: the finished file is not read again
    expect(await recordsOut(h)).toBe(first);

    copyFileSync(join(FIXTURES, 'oriental-movements-utf8-bom.csv'), join(inbox, 'b.csv'));
    const second = await waitFor(
      'the dropped file',
      async () => {
        const n = await recordsOut(h);
        return n > first ? n : undefined;
      },
      30_000,
      h,
    );
    await sleep(1_200);
    expect(await recordsOut(h)).toBe(second);
  });

  it('refuses an unknown scheduled connector at start, in one line', async () => {
    const h = await startHub({
      HUB_DATA_DIR: join(root, 'hub-bad'),
      HUB_SCHEDULES: JSON.stringify([{ connector: 'telepathy', every_ms: 1000 }]),
    });
    await waitFor('exit', async () => (h.child.exitCode !== null ? true : undefined), 30_000);
    expect(h.child.exitCode).toBe(2);
    expect(h.output()).toContain('HUB_ERR_CONNECTOR_UNKNOWN: Unknown connector telepathy');
  });
});
