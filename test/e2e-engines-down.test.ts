import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type HubProcess, startHub, waitFor } from './hub-process.js';
import { describeWithService, randomName } from './services.js';

/** Counts the "<component> is down; retrying" log lines the hub wrote so far. */
const retries = (hub: HubProcess, component: string): number =>
  hub
    .output()
    .split('\n')
    .filter((l) => l.includes(`"component":"${component}"`) && l.includes('is down; retrying')).length;

const running: HubProcess[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.stop('SIGKILL');
});

describe('an engine that is down at start', { timeout: 90_000 }, () => {
  it('names ClickHouse and keeps retrying, without crashing', async () => {
    const closed = await freePort(); // nothing listens there
    const hub = await startHub({
      HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-down-')),
      HUB_KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      HUB_CLICKHOUSE_URL: `http://127.0.0.1:${closed}`,
    });
    running.push(hub);
    await waitFor(
      'two ClickHouse retries',
      async () => (retries(hub, 'ClickHouse') >= 2 ? true : undefined),
      30_000,
      hub,
    );
    expect(hub.child.exitCode).toBeNull();
    expect(hub.output()).not.toMatch(/"level":60/); // no fatal
  });
});

describeWithService('clickhouse', 'Kafka down at start, ClickHouse up', (clickhouseUrl) => {
  it('names Kafka and keeps retrying', { timeout: 90_000 }, async () => {
    const database = randomName('down_hub');
    const hub = await startHub({
      HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-down-')),
      HUB_KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
      HUB_CLICKHOUSE_URL: clickhouseUrl,
      HUB_CLICKHOUSE_DATABASE: database,
    });
    running.push(hub);
    try {
      await waitFor('two Kafka retries', async () => (retries(hub, 'Kafka') >= 2 ? true : undefined), 60_000, hub);
      expect(retries(hub, 'ClickHouse')).toBe(0);
      expect(hub.child.exitCode).toBeNull();
    } finally {
      await hub.stop('SIGKILL');
      await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, {
        method: 'POST',
      });
    }
  });
});
