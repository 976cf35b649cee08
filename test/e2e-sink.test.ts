import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { startHub, waitFor } from './hub-process.js';
import { describeWithServices, randomName } from './services.js';

const run = promisify(execFile);
const HUB = resolve(import.meta.dirname, '..', 'bin', 'hub.mjs');

/**
 * The split deployment: `hub ingest` produces to Kafka and exits; `hub sink`, its own process,
 * moves the events into ClickHouse, and stops cleanly on SIGTERM.
 */
describeWithServices(
  ['kafka', 'clickhouse'] as const,
  'hub ingest → Kafka → hub sink → ClickHouse',
  ([brokers, clickhouseUrl]) => {
    const database = randomName('e2e_sink');
    const env = {
      HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-sink-')),
      HUB_KAFKA_BROKERS: brokers,
      HUB_KAFKA_TOPIC_PREFIX: `${randomName('sink')}.`,
      HUB_KAFKA_PARTITIONS: '3',
      HUB_CLICKHOUSE_URL: clickhouseUrl,
      HUB_CLICKHOUSE_DATABASE: database,
      HUB_LOG_LEVEL: 'warn',
    };
    const chCount = async (table: string): Promise<number> => {
      const q = `SELECT count() FROM ${database}.${table} FINAL`;
      const res = await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(q)}`);
      return res.ok ? Number((await res.text()).trim()) : -1;
    };
    afterAll(async () => {
      await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, {
        method: 'POST',
      });
    });

    it('lands every produced movement exactly once', { timeout: 180_000 }, async () => {
      const { stdout } = await run(
        process.execPath,
        [HUB, 'ingest', 'simulator', '--movements', '3000', '--seed', '11'],
        {
          env: { ...process.env, ...env },
          timeout: 120_000,
        },
      );
      const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        status: string;
        streams: Record<string, { recordsOut: number }>;
      };
      expect(report.status).toBe('succeeded');
      expect(report.streams.stock_movements?.recordsOut).toBe(3000);

      const sink = await startHub(env, ['sink']);
      try {
        await waitFor(
          '3,000 movements in ClickHouse',
          async () => ((await chCount('stock_movements')) === 3000 ? true : undefined),
          120_000,
          sink,
        );
        expect(await chCount('locations')).toBe(report.streams.locations?.recordsOut);
        expect(await chCount('products')).toBe(report.streams.products?.recordsOut);
      } finally {
        expect(await sink.stop('SIGTERM')).toBe(0);
      }
      expect(sink.output()).not.toMatch(/"level":(50|60)/);
    });
  },
);
