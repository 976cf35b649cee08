import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '../../core/lineage/lineage.js';
import type { CanonicalResource, DeadLetter, WarehouseWriter } from '../../core/ports/index.js';
import { describeWithService, isCI, randomName, requireService, serviceUrl } from '../../test/services.js';
import { createClickHouseClient } from '../clickhouse/clickhouse-client.js';
import { ClickHouseWarehouse } from '../clickhouse/clickhouse-warehouse.js';
import { startKafkaSink } from '../sink/kafka-sink.js';
import { ensureTopics } from './kafka-migrator.js';
import { KafkaRecordSink } from './kafka-record-sink.js';
import { loadRdkafka } from './rdkafka.js';
import { FileStateStore, type StateStore } from './state-store.js';
import { hubTopics, recordTopic } from './topics.js';

const BATCHES = 5;
const PER_BATCH = 1000;
const N = BATCHES * PER_BATCH;
const PARTITIONS = 3;
const clickhouseUrl = serviceUrl('clickhouse');

class MemoryWriter implements WarehouseWriter {
  readonly records = new Map<string, CanonicalResource>();
  readonly deadLetters: DeadLetter[] = [];
  async insertRecords(records: readonly CanonicalResource[]): Promise<number> {
    for (const r of records) this.records.set(r.id, r);
    return records.length;
  }
  async insertDeadLetters(deadLetters: readonly DeadLetter[]): Promise<number> {
    this.deadLetters.push(...deadLetters);
    return deadLetters.length;
  }
}

function movement(i: number): CanonicalResource {
  const receipt = i % 4 !== 3;
  return {
    resourceType: 'StockMovement',
    id: `mv-${String(i).padStart(6, '0')}`,
    meta: {
      lastUpdated: '2025-03-01T08:00:00+01:00',
      lineage: {
        connector: 'simulator',
        sourceSystem: 'simulator',
        sourceId: `row-${i}`,
        ingestedAt: '2025-03-01T08:00:00+01:00',
        sourceHash: `sha256:${createHash('sha256').update(String(i)).digest('hex')}`,
      },
    },
    identifier: [{ system: 'urn:reserve-hub:simulator', value: `row-${i}` }],
    movementType: receipt ? 'receipt' : 'dispatch',
    occurredAt: `2025-03-01T${String(8 + (i % 10)).padStart(2, '0')}:00:00+01:00`,
    location: { reference: `Location/souss-massa-wh${(i % 5) + 1}` },
    product: { reference: `Product/water-5l-${i % 7}` },
    quantity: { value: receipt ? (i % 50) + 1 : -((i % 20) + 1), unit: 'EA' },
  };
}

/** Order-independent digest of a set of records: sha256 over the sorted JSON lines. */
/** Content checksum of a set of records, whatever their order and their members' order. */
function checksum(records: Iterable<CanonicalResource>): string {
  const lines = [...records].map((r) => canonicalJson(r)).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithService('kafka', 'Kafka record sink and sink (real broker)', (brokers) => {
  const prefix = `${randomName('it_kafka')}.`;
  let dir: string;
  // A plain producer, for what the hub never does: writing garbage, reading watermarks.
  let raw: InstanceType<ReturnType<typeof loadRdkafka>['Producer']>;

  const highWatermarks = async (topic: string): Promise<number> => {
    const highs = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => highWatermark(raw, topic, p)));
    return highs.reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-kafka-it-'));
    const steps = await ensureTopics({ brokers, topicPrefix: prefix, partitions: PARTITIONS, replicationFactor: 1 });
    expect(steps.map((s) => s.status)).toEqual(hubTopics(prefix).map(() => 'applied'));
    const { Producer } = loadRdkafka();
    raw = new Producer({ 'metadata.broker.list': brokers, dr_cb: true });
    await new Promise<void>((resolve, reject) => raw.connect({}, (err) => (err ? reject(err) : resolve())));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (raw?.isConnected() ? raw.disconnect(() => resolve()) : resolve()));
    const admin = loadRdkafka().AdminClient.create({ 'metadata.broker.list': brokers });
    await Promise.all(
      hubTopics(prefix).map((t) => new Promise<void>((resolve) => admin.deleteTopic(t.name, 5000, () => resolve()))),
    );
    admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates idempotently', async () => {
    const steps = await ensureTopics({ brokers, topicPrefix: prefix, partitions: PARTITIONS });
    expect(steps.map((s) => s.status)).toEqual(hubTopics(prefix).map(() => 'skipped'));
  });

  const sent: CanonicalResource[] = [];
  const refused: DeadLetter = {
    connector: 'simulator',
    stream: 'stock_movements',
    sourceId: 'row-bad',
    resourceType: 'StockMovement',
    errors: [{ pointer: '/quantity/unit', code: 'HUB_ERR_MODEL_UNIT_UNKNOWN', message: 'unknown unit "CAISSE"' }],
    payload: { sku: 'W5', qty: '12', unit: 'CAISSE' },
    failedAt: '2025-03-01T08:00:00+01:00',
  };
  const poison = Buffer.from([0x7b, 0xff, 0x00, 0x42]);
  const topic = () => recordTopic('StockMovement', prefix);

  it('produces every batch, committing its state only once the broker holds it', async () => {
    const files = new FileStateStore(join(dir, 'state'));
    const seenAtPut: number[] = [];
    // Each put checks that the broker already holds every message produced so far.
    const stateStore: StateStore = {
      get: (c, s) => files.get(c, s),
      put: async (c, s, state) => {
        seenAtPut.push(await highWatermarks(topic()));
        await files.put(c, s, state);
      },
    };
    let queueFullWaits = 0;
    const ignore = () => {};
    const logger = {
      info: ignore,
      warn: ignore,
      error: ignore,
      debug: (fields: Record<string, unknown>) => {
        queueFullWaits += Number(fields.waits ?? 0);
      },
    };
    const sink = new KafkaRecordSink({
      brokers,
      stateStore,
      topicPrefix: prefix,
      logger,
      // A tiny local queue: a 1000-record batch has to wait for room (QUEUE_FULL) many times.
      librdkafka: { 'queue.buffering.max.messages': 200 },
    });
    await sink.init();
    expect(await sink.health()).toEqual({ status: 'up', brokers: 1 });
    try {
      for (let b = 0; b < BATCHES; b++) {
        const records = Array.from({ length: PER_BATCH }, (_, k) => movement(b * PER_BATCH + k));
        sent.push(...records);
        const result = await sink.write({
          connector: 'simulator',
          stream: 'stock_movements',
          records,
          deadLetters: b === 1 ? [refused] : [],
          state: { cursor: sent.length },
        });
        expect(result).toEqual({ written: PER_BATCH, deadLettered: b === 1 ? 1 : 0 });
        if (b === 1) {
          // A message no hub producer would write, in the middle of partition 0.
          raw.produce(topic(), 0, poison, 'garbage', Date.now(), undefined, [{ ce_specversion: '1.0' }]);
          await new Promise<void>((resolve, reject) => raw.flush(5000, (err) => (err ? reject(err) : resolve())));
        }
      }
    } finally {
      await sink.close();
    }
    expect(queueFullWaits).toBeGreaterThan(0);
    // State b was put only after the broker held all (b + 1) × PER_BATCH records (+ the poison).
    expect(seenAtPut).toEqual(Array.from({ length: BATCHES }, (_, b) => (b + 1) * PER_BATCH + (b >= 2 ? 1 : 0)));
    expect(await new FileStateStore(join(dir, 'state')).get('simulator', 'stock_movements')).toEqual({ cursor: N });
  });

  it('sinks every record exactly, dead-letters the poison message, and commits all offsets', async () => {
    const writer = new MemoryWriter();
    const consumer = await startKafkaSink({
      brokers,
      groupId: `${prefix}_sink`,
      topicPrefix: prefix,
      writer,
      batchSize: 2000,
      batchMs: 200,
    });
    try {
      // The poison message's dead letter goes to the dead-letter topic, which the sink also reads:
      // it comes back, is recognised as its own and skipped (stored once, never looped).
      await until(
        () =>
          writer.records.size === N && writer.deadLetters.length === 2 && consumer.stats().ownDeadLettersSkipped === 1,
        30_000,
      );
      // Let a redelivery or a duplicate, if there were one, show up.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await consumer.stop();
    }
    expect(consumer.stats()).toMatchObject({
      records: N,
      deadLetters: 2,
      poison: 1,
      deadLettersProduced: 1,
      ownDeadLettersSkipped: 1,
      consumed: N + 3,
      buffered: 0,
      inFlight: 0,
    });
    expect(writer.records.size).toBe(N);
    expect(checksum(writer.records.values())).toBe(checksum(sent));

    const poisonLetter = writer.deadLetters.find((d) => d.connector === 'kafka-sink');
    expect(poisonLetter).toMatchObject({
      stream: topic(),
      errors: [{ code: 'HUB_ERR_ENVELOPE_INVALID', pointer: '/data' }],
      payload: { partition: 0, key: 'garbage', value: poison.toString('base64'), valueEncoding: 'base64' },
    });
    expect(writer.deadLetters.find((d) => d.connector === 'simulator')).toEqual(refused);
    // The poison sits before the last three batches of partition 0, which all landed.
    const poisonOffset = (poisonLetter?.payload as { offset?: number } | undefined)?.offset ?? -1;
    expect(poisonOffset).toBeGreaterThanOrEqual(0);
    expect(poisonOffset).toBeLessThan((await highWatermark(raw, topic(), 0)) - 1);

    // Everything was committed: the same group resumes with nothing left to read.
    const second = await startKafkaSink({
      brokers,
      groupId: `${prefix}_sink`,
      topicPrefix: prefix,
      writer: new MemoryWriter(),
    });
    try {
      await until(() => second.stats().assignment.length > 0, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await second.stop();
    }
    expect(second.stats().consumed).toBe(0);
  });

  it.skipIf(clickhouseUrl === undefined && !isCI())(
    'sinks the same stream into a real ClickHouse database',
    async () => {
      const warehouse = new ClickHouseWarehouse({
        url: requireService('clickhouse'),
        database: randomName('hub_kafka'),
        migrateOnInit: true,
      });
      await warehouse.init();
      const probe = await createClickHouseClient({ url: clickhouseUrl as string }, warehouse.database);
      const rows = async (query: string) => (await probe.query({ query, format: 'JSONEachRow' })).json();
      try {
        const consumer = await startKafkaSink({
          brokers,
          groupId: `${prefix}_clickhouse`,
          topicPrefix: prefix,
          writer: warehouse,
          batchSize: 2000,
        });
        try {
          // Its own dead letter for the poison message and the first sink's (same key) both come back.
          // Wait for the data too: the dead-letter topic can come back before the last records of a
          // data partition have been read.
          await until(() => {
            const stats = consumer.stats();
            return (
              stats.records === N &&
              stats.deadLetters === 2 &&
              stats.ownDeadLettersSkipped === 2 &&
              stats.inFlight === 0
            );
          }, 30_000);
        } finally {
          await consumer.stop();
        }
        expect(consumer.stats()).toMatchObject({
          records: N,
          deadLetters: 2,
          poison: 1,
          deadLettersProduced: 1,
          consumed: N + 4,
          retries: 0,
        });
        const stored = (await rows(
          'SELECT id, movement_type, location_id, product_id, quantity, unit FROM stock_movements FINAL ORDER BY id',
        )) as Record<string, unknown>[];
        const expected = [...sent]
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((r) => ({
            id: r.id,
            movement_type: r.movementType,
            location_id: (r.location as { reference: string }).reference.split('/')[1],
            product_id: (r.product as { reference: string }).reference.split('/')[1],
            quantity: (r.quantity as { value: number }).value,
            unit: 'EA',
          }));
        expect(stored).toHaveLength(N);
        expect(createHash('sha256').update(JSON.stringify(stored)).digest('hex')).toBe(
          createHash('sha256').update(JSON.stringify(expected)).digest('hex'),
        );
        const dead = (await rows('SELECT connector FROM dead_letters FINAL ORDER BY connector')) as {
          connector: string;
        }[];
        expect(dead.map((d) => d.connector)).toEqual(['kafka-sink', 'simulator']);
      } finally {
        await probe.close();
        await warehouse.dropDatabase();
        await warehouse.close();
      }
    },
  );
});

function highWatermark(
  client: InstanceType<ReturnType<typeof loadRdkafka>['Producer']>,
  topic: string,
  partition: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    client.queryWatermarkOffsets(topic, partition, 5000, (err, offsets) =>
      err ? reject(err) : resolve(offsets.highOffset),
    );
  });
}
