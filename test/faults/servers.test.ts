/**
 * Server faults (issue 5, "Faults"), on private ClickHouse + Kafka servers that this file stops
 * and restarts: the broker during production, and ClickHouse for 30 s while `hub start` (API +
 * sink) runs. Each case ends with the count and content checksum in ClickHouse (read with FINAL)
 * equal to everything the source produced so far.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CanonicalResource } from '../../core/ports/index.js';
import { describeWithFaultServices } from '../fault-services.js';
import { type HubProcess, startHub, waitFor } from '../hub-process.js';
import { randomName } from '../services.js';
import { movements, produce, producer, sourceSummary, storedCount, storedSummary } from './support.js';

describeWithFaultServices(
  'server faults: nothing lost, nothing doubled',
  { instance: 'faults', offset: 10000 },
  (svc) => {
    const database = randomName('faults_srv');
    const prefix = `${randomName('fsrv')}.`;
    const key = `faults-${randomUUID()}`;
    const source = new Map<string, CanonicalResource>();
    let hub: HubProcess;

    const add = (records: readonly CanonicalResource[]): void => {
      for (const r of records) source.set(r.id, r);
    };

    const expectAllLanded = async (ms: number): Promise<void> => {
      const { clickhouseUrl } = svc();
      await waitFor(
        `${source.size} movements in ClickHouse`,
        async () => ((await storedCount(clickhouseUrl, database)) === source.size ? true : undefined),
        ms,
        hub,
      );
      expect(await storedSummary(clickhouseUrl, database)).toEqual(sourceSummary(source.values()));
    };

    beforeAll(async () => {
      const { clickhouseUrl, brokers } = svc();
      // `hub start` migrates ClickHouse and creates the topics, then runs the API and the sink.
      hub = await startHub({
        HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-faults-srv-')),
        HUB_KAFKA_BROKERS: brokers,
        HUB_KAFKA_TOPIC_PREFIX: prefix,
        HUB_KAFKA_PARTITIONS: '3',
        HUB_CLICKHOUSE_URL: clickhouseUrl,
        HUB_CLICKHOUSE_DATABASE: database,
        HUB_SIMULATOR: 'false',
        HUB_BOOTSTRAP_API_KEY: key,
        HUB_LOG_LEVEL: 'info',
      });
      await waitFor('GET /health', async () => ((await hub.get('/health')).ok ? true : undefined), 90_000, hub);
    }, 120_000);

    afterAll(async () => {
      expect(await hub?.stop('SIGTERM')).toBe(0);
    }, 60_000);

    it('the Kafka broker stopped and restarted during production', { timeout: 240_000 }, async () => {
      const { brokers } = svc();
      let queueFullWaits = 0;
      const ignore = (): void => {};
      const sink = producer(brokers, prefix, {
        // A small local queue, so that the outage fills it: produce must wait, not drop or throw.
        librdkafka: { 'queue.buffering.max.messages': 500 },
        logger: {
          info: ignore,
          warn: ignore,
          error: ignore,
          debug: (fields: Record<string, unknown>) => {
            queueFullWaits += Number(fields.waits ?? 0);
          },
        },
      });
      await sink.init();
      const records = movements('broker', 0, 30_000);
      add(records);
      let outage: Promise<void> | undefined;
      let waitsBeforeOutage = 0;
      try {
        const failures = await produce(sink, records, 1000, (batch) => {
          if (batch !== 4) return;
          waitsBeforeOutage = queueFullWaits;
          // Stop the broker while the next batches are being produced, restart it 5 s later.
          outage = (async () => {
            await svc().stop('kafka');
            await sleep(5000);
            await svc().start('kafka');
          })();
        });
        await outage;
        // Every batch went through (a failed delivery is retried whole, as the runtime does).
        expect(failures).toBeLessThanOrEqual(2);
      } finally {
        await sink.close();
      }
      // Batches produced while the broker was down filled the local queue and waited for room.
      expect(queueFullWaits).toBeGreaterThan(waitsBeforeOutage);
      expect(hub.child.exitCode).toBeNull();
      await expectAllLanded(120_000);
    });

    it('ClickHouse stopped for 30 s: the API answers 503 with Retry-After, the sink backs off and resumes', {
      timeout: 240_000,
    }, async () => {
      const { brokers } = svc();
      await svc().stop('clickhouse');
      const stoppedAt = Date.now();
      const sink = producer(brokers, prefix);
      await sink.init();
      try {
        const records = movements('outage', 0, 10_000);
        await produce(sink, records, 1000);
        add(records);
      } finally {
        await sink.close();
      }
      for (const path of ['/v1/stock', '/v1/locations']) {
        const res = await hub.get(path, key);
        expect(res.status, path).toBe(503);
        expect(res.headers.get('retry-after'), path).toMatch(/^\d+$/);
        expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
        const problem = (await res.json()) as { code: string; detail: string };
        expect(problem.code, path).toBe('HUB_ERR_WAREHOUSE_UNAVAILABLE');
        expect(problem.detail, path).not.toMatch(/SELECT|FROM|at .*\.ts/);
      }
      // The outage lasts 30 s; meanwhile the sink keeps retrying and stays up.
      await sleep(Math.max(0, 30_000 - (Date.now() - stoppedAt)));
      expect(hub.child.exitCode).toBeNull();
      expect(hub.output()).toMatch(/warehouse write failed, retrying/);
      await svc().start('clickhouse');

      await expectAllLanded(90_000);
      const res = await hub.get('/v1/locations', key);
      expect(res.status).toBe(200);
      expect(hub.output()).not.toMatch(/"level":60/);
    });
  },
);
