/**
 * Faults on the sink side (issue 5, "Faults"), on private ClickHouse + Kafka servers:
 * the `hub sink` process SIGKILLed mid-batch then restarted, a poison message in the middle of
 * a partition (to the dead-letter topic, with its reasons and original bytes), and the same
 * batch delivered twice. Each case ends with the count and content
 * checksum in ClickHouse (read with FINAL) equal to everything the source produced so far.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventType } from '../../core/envelope/cloudevents.js';
import type { CanonicalResource } from '../../core/ports/index.js';
import type { KafkaRecordSink } from '../../warehouse/kafka/index.js';
import { SINK_DEAD_LETTER_EVENT_TYPE, type SinkDeadLetter } from '../../warehouse/kafka/messages.js';
import { deadLetterTopic, recordTopic } from '../../warehouse/kafka/topics.js';
import { describeWithFaultServices } from '../fault-services.js';
import { type HubProcess, startHub, waitFor } from '../hub-process.js';
import { randomName } from '../services.js';
import {
  chQuery,
  committedTotal,
  movements,
  prepare,
  produce,
  producer,
  type ReadMessage,
  rawCount,
  rawProducer,
  readTopic,
  sourceSummary,
  storedCount,
  storedSummary,
  topicSize,
} from './support.js';

describeWithFaultServices(
  'sink faults: nothing lost, nothing doubled',
  { instance: 'faults-sink', offset: 11000 },
  (svc) => {
    const database = randomName('faults_sink');
    const prefix = `${randomName('fs')}.`;
    const topic = recordTopic('StockMovement', prefix);
    /** Every record the source produced so far, by id. */
    const source = new Map<string, CanonicalResource>();
    let sink: KafkaRecordSink;
    let raw: Awaited<ReturnType<typeof rawProducer>>;
    let hub: HubProcess | undefined;
    let env: Record<string, string>;

    const startSink = async (): Promise<HubProcess> =>
      startHub({ ...env, HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-faults-sink-')) }, ['sink']);

    /** Waits until ClickHouse holds every source record, then checks count and checksum. */
    const expectAllLanded = async (): Promise<void> => {
      const { clickhouseUrl } = svc();
      await waitFor(
        `${source.size} movements in ClickHouse`,
        async () => ((await storedCount(clickhouseUrl, database)) === source.size ? true : undefined),
        90_000,
        hub,
      );
      expect(await storedSummary(clickhouseUrl, database)).toEqual(sourceSummary(source.values()));
    };

    const add = (records: readonly CanonicalResource[]): void => {
      for (const r of records) source.set(r.id, r);
    };

    beforeAll(async () => {
      const { clickhouseUrl, brokers } = svc();
      await prepare(clickhouseUrl, brokers, database, prefix);
      env = {
        HUB_KAFKA_BROKERS: brokers,
        HUB_KAFKA_TOPIC_PREFIX: prefix,
        HUB_KAFKA_PARTITIONS: '3',
        HUB_CLICKHOUSE_URL: clickhouseUrl,
        HUB_CLICKHOUSE_DATABASE: database,
        HUB_LOG_LEVEL: 'info',
      };
      sink = producer(brokers, prefix);
      await sink.init();
      raw = await rawProducer(brokers);
    });

    afterAll(async () => {
      await hub?.stop('SIGTERM');
      await sink?.close();
      await new Promise<void>((resolve) => (raw?.isConnected() ? raw.disconnect(() => resolve()) : resolve()));
    });

    it('the sink killed with SIGKILL mid-batch, then restarted', { timeout: 240_000 }, async () => {
      const { clickhouseUrl } = svc();
      const records = movements('kill', 0, 40_000);
      await produce(sink, records, 5000);
      add(records);

      const first = await startSink();
      hub = first;
      // The first batch (10,000 by default) is in ClickHouse; the next ones are being read/written.
      const landedBeforeKill = await waitFor(
        'a first batch in ClickHouse',
        async () => {
          const n = await storedCount(clickhouseUrl, database);
          return n > 0 ? n : undefined;
        },
        90_000,
        first,
      );
      expect(await first.stop('SIGKILL')).toBeNull();
      const atKill = await storedCount(clickhouseUrl, database);
      // Killed part-way: something landed, not everything.
      expect(landedBeforeKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(records.length);

      hub = await startSink();
      await expectAllLanded();
      // The uncommitted batch was read again: redelivered rows exist, FINAL hides them.
      expect(await rawCount(clickhouseUrl, database)).toBeGreaterThanOrEqual(source.size);
    });

    it('a poison message in the middle of a partition goes to the dead-letter topic; what follows lands', {
      timeout: 120_000,
    }, async () => {
      const { clickhouseUrl, brokers } = svc();
      const before = movements('poison', 0, 3000);
      const after = movements('poison', 3000, 3000);
      await produce(sink, before, 1000);
      add(before);
      // Undecodable bytes, and a well-formed CloudEvent whose data breaks the schema, on partition 0.
      const garbage = Buffer.from([0x7b, 0xff, 0x00, 0x42]);
      const badJson = Buffer.from(JSON.stringify({ resourceType: 'StockMovement', id: 'bad-1' }));
      const at = await new Promise<number>((resolve, reject) =>
        raw.queryWatermarkOffsets(topic, 0, 5000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
      );
      raw.produce(topic, 0, garbage, 'garbage', Date.now(), undefined, [{ ce_specversion: '1.0' }]);
      raw.produce(topic, 0, badJson, 'bad-1', Date.now(), undefined, [
        { ce_specversion: '1.0' },
        { ce_id: 'bad-1' },
        { ce_source: '/connectors/fault-test' },
        { ce_type: eventType('StockMovement') },
        { 'content-type': 'application/json' },
      ]);
      await new Promise<void>((resolve, reject) => raw.flush(10_000, (err) => (err ? reject(err) : resolve())));
      await produce(sink, after, 1000);
      add(after);

      await expectAllLanded();
      const dead = await waitFor(
        'two poison dead letters',
        async () => {
          const text = await chQuery(
            clickhouseUrl,
            `SELECT source_id, errors, payload FROM ${database}.dead_letters FINAL WHERE connector = 'kafka-sink' ORDER BY source_id FORMAT JSONEachRow`,
          );
          const rows = text
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as { source_id: string; errors: string; payload: string });
          return rows.length >= 2 ? rows : undefined;
        },
        60_000,
        hub,
      );
      expect(dead).toHaveLength(2);
      for (const row of dead) {
        expect(row.source_id).toMatch(new RegExp(`^${topic.replaceAll('.', '\\.')}/0@\\d+$`));
        const errors = JSON.parse(row.errors) as { code: string; message: string }[];
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]?.code).toMatch(/^HUB_ERR_/);
      }
      const payloads = dead.map((d) => JSON.parse(d.payload) as { key: string });
      expect(payloads.map((p) => p.key).sort()).toEqual(['bad-1', 'garbage']);

      // The dead-letter topic holds both, keyed by their coordinates, with reasons and original
      // bytes; the sink committed past them only once these were acknowledged.
      const keys = [`${topic}/0@${at}`, `${topic}/0@${at + 1}`];
      const own = (messages: readonly ReadMessage[]) =>
        messages.filter((m) => m.headers.ce_type === SINK_DEAD_LETTER_EVENT_TYPE);
      const onTopic = own(
        await readTopic(brokers, deadLetterTopic(prefix), (read) => new Set(own(read).map((m) => m.key)).size >= 2),
      );
      // A redelivery may send one again (same key, same event id); nothing else is dead-lettered.
      expect([...new Set(onTopic.map((m) => m.key))].sort()).toEqual(keys);
      const byKey = new Map(onTopic.map((m) => [m.key, JSON.parse(String(m.value)) as SinkDeadLetter]));
      const [first, second] = keys.map((k) => byKey.get(k) as SinkDeadLetter);
      expect(first).toMatchObject({
        originalTopic: topic,
        originalPartition: 0,
        originalOffset: at,
        originalKey: 'garbage',
      });
      expect(first?.originalHeaders).toEqual([{ ce_specversion: '1.0' }]);
      expect(Buffer.from(first?.payloadBase64 ?? '', 'base64')).toEqual(garbage);
      expect(second).toMatchObject({ originalOffset: at + 1, originalKey: 'bad-1' });
      expect(Buffer.from(second?.payloadBase64 ?? '', 'base64')).toEqual(badJson);
      for (const letter of [first, second]) {
        expect(letter?.reasons.length).toBeGreaterThan(0);
        for (const reason of letter?.reasons ?? []) expect(reason.code).toMatch(/^HUB_ERR_/);
      }
      // Everything after them landed (checked above); the sink's group is past both poison messages.
      await waitFor(
        'the sink to commit past the poison messages',
        async () =>
          (await committedTotal(brokers, `${prefix}clickhouse-sink`, topic)) === (await topicSize(raw, topic))
            ? true
            : undefined,
        60_000,
        hub,
      );
    });

    it('the same batch delivered twice changes nothing', { timeout: 120_000 }, async () => {
      const { clickhouseUrl } = svc();
      const records = movements('twice', 0, 5000);
      const sizeBefore = await topicSize(raw, topic);
      await produce(sink, records, 5000);
      add(records);
      await expectAllLanded();
      const once = await storedSummary(clickhouseUrl, database);

      await produce(sink, records, 5000); // the very same batch again
      const size = await topicSize(raw, topic);
      expect(size - sizeBefore).toBe(2 * records.length);
      // The sink read and committed the second copy too: its group's offsets reach the end.
      await waitFor(
        'the sink to commit the second copy',
        async () =>
          (await committedTotal(svc().brokers, `${prefix}clickhouse-sink`, topic)) === size ? true : undefined,
        60_000,
        hub,
      );
      expect(await storedSummary(clickhouseUrl, database)).toEqual(once);
      expect(once).toEqual(sourceSummary(source.values()));
    });
  },
);
