/**
 * Shared pieces of the fault tests: generated source records, the producer (the hub's own
 * `KafkaRecordSink`, retried like the connector runtime retries a failed batch), and the
 * ClickHouse side of the final check: count and content checksum of what is stored (read with
 * FINAL) against what the source produced.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanonicalResource } from '../../core/ports/index.js';
import { ClickHouseWarehouse } from '../../warehouse/clickhouse/clickhouse-warehouse.js';
import { ensureTopics, KafkaRecordSink, type KafkaRecordSinkOptions } from '../../warehouse/kafka/index.js';
import { loadRdkafka } from '../../warehouse/kafka/rdkafka.js';
import { FileStateStore } from '../../warehouse/kafka/state-store.js';

/** One source record: a stock movement whose every stored field is derived from `tag` and `i`. */
export function movement(tag: string, i: number): CanonicalResource {
  const receipt = i % 4 !== 3;
  return {
    resourceType: 'StockMovement',
    id: `${tag}-${String(i).padStart(6, '0')}`,
    meta: {
      lastUpdated: '2025-03-01T08:00:00+01:00',
      lineage: {
        connector: 'fault-test',
        sourceSystem: 'fault-test',
        sourceId: `${tag}-row-${i}`,
        ingestedAt: '2025-03-01T08:00:00+01:00',
        sourceHash: `sha256:${createHash('sha256').update(`${tag}/${i}`).digest('hex')}`,
      },
    },
    identifier: [{ system: 'urn:reserve-hub:fault-test', value: `${tag}-row-${i}` }],
    movementType: receipt ? 'receipt' : 'dispatch',
    occurredAt: `2025-03-01T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+01:00`,
    location: { reference: `Location/souss-massa-wh${(i % 5) + 1}` },
    product: { reference: `Product/water-5l-${i % 7}` },
    quantity: { value: receipt ? (i % 50) + 1 : -((i % 20) + 1), unit: 'EA' },
  };
}

export const movements = (tag: string, from: number, count: number): CanonicalResource[] =>
  Array.from({ length: count }, (_, k) => movement(tag, from + k));

interface StoredRow {
  id: string;
  movement_type: string;
  location_id: string;
  product_id: string;
  quantity: number;
  unit: string;
}

/** The stored row a source record must become (the columns the checksum covers). */
function expectedRow(r: CanonicalResource): StoredRow {
  return {
    id: r.id,
    movement_type: r.movementType as string,
    location_id: (r.location as { reference: string }).reference.split('/')[1] as string,
    product_id: (r.product as { reference: string }).reference.split('/')[1] as string,
    quantity: (r.quantity as { value: number }).value,
    unit: 'EA',
  };
}

const digest = (rows: readonly StoredRow[]): string => {
  const lines = rows
    .map((r) => [r.id, r.movement_type, r.location_id, r.product_id, r.quantity, r.unit].join('|'))
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
};

/** Count and order-independent checksum of the source records. */
export function sourceSummary(records: Iterable<CanonicalResource>): { count: number; checksum: string } {
  const rows = [...records].map(expectedRow);
  return { count: rows.length, checksum: digest(rows) };
}

/** A ClickHouse query through the HTTP interface; throws on an error answer. */
export async function chQuery(url: string, query: string): Promise<string> {
  const res = await fetch(`${url}/`, { method: 'POST', body: query });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** `count()` of the movements table, read with FINAL (deduplicated before merges). */
export async function storedCount(url: string, database: string): Promise<number> {
  return Number((await chQuery(url, `SELECT count() FROM ${database}.stock_movements FINAL`)).trim());
}

/** Count and checksum of what ClickHouse holds, read with FINAL. */
export async function storedSummary(url: string, database: string): Promise<{ count: number; checksum: string }> {
  const text = await chQuery(
    url,
    `SELECT id, movement_type, location_id, product_id, quantity, unit FROM ${database}.stock_movements FINAL FORMAT JSONEachRow`,
  );
  const rows = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as StoredRow);
  return { count: rows.length, checksum: digest(rows) };
}

/** Rows of the movements table without FINAL: duplicates not merged yet are counted. */
export async function rawCount(url: string, database: string): Promise<number> {
  return Number((await chQuery(url, `SELECT count() FROM ${database}.stock_movements`)).trim());
}

/** Creates the database (migrated) and the topics, as `hub migrate` does. */
export async function prepare(clickhouseUrl: string, brokers: string, database: string, prefix: string) {
  const warehouse = new ClickHouseWarehouse({ url: clickhouseUrl, database, migrateOnInit: true });
  await warehouse.init();
  await warehouse.close();
  await ensureTopics({ brokers, topicPrefix: prefix, partitions: 3, replicationFactor: 1 });
}

/** The hub's producer, with its own state dir. */
export function producer(
  brokers: string,
  prefix: string,
  extra: Partial<KafkaRecordSinkOptions> = {},
): KafkaRecordSink {
  return new KafkaRecordSink({
    brokers,
    topicPrefix: prefix,
    stateStore: new FileStateStore(mkdtempSync(join(tmpdir(), 'hub-faults-state-'))),
    ...extra,
  });
}

/**
 * Writes the records in batches, as the connector runtime does: a batch whose write fails is
 * written again whole (at-least-once), up to `attempts` times. Returns the failed attempts.
 */
export async function produce(
  sink: KafkaRecordSink,
  records: readonly CanonicalResource[],
  batchSize: number,
  onBatch?: (index: number) => Promise<void> | void,
  attempts = 5,
): Promise<number> {
  let failures = 0;
  for (let b = 0; b * batchSize < records.length; b++) {
    const batch = records.slice(b * batchSize, (b + 1) * batchSize);
    for (let attempt = 1; ; attempt++) {
      try {
        await sink.write({
          connector: 'fault-test',
          stream: 'stock_movements',
          records: batch,
          deadLetters: [],
          state: { cursor: b },
        });
        break;
      } catch (error) {
        failures++;
        if (attempt >= attempts) throw error;
      }
    }
    await onBatch?.(b);
  }
  return failures;
}

/** A plain node-rdkafka producer, for what the hub never writes (poison messages). */
export async function rawProducer(brokers: string) {
  const { Producer } = loadRdkafka();
  const raw = new Producer({ 'metadata.broker.list': brokers, dr_cb: true });
  await new Promise<void>((resolve, reject) => raw.connect({}, (err) => (err ? reject(err) : resolve())));
  return raw;
}

/** Sum of the high watermarks of a topic's partitions: how many messages it holds. */
export async function topicSize(
  client: Awaited<ReturnType<typeof rawProducer>>,
  topic: string,
  partitions = 3,
): Promise<number> {
  const highs = await Promise.all(
    Array.from(
      { length: partitions },
      (_, p) =>
        new Promise<number>((resolve, reject) =>
          client.queryWatermarkOffsets(topic, p, 5000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
        ),
    ),
  );
  return highs.reduce((a, b) => a + b, 0);
}

/** Sum of the offsets a consumer group committed on a topic's partitions (-1001, none, counts 0). */
export async function committedTotal(brokers: string, groupId: string, topic: string, partitions = 3): Promise<number> {
  const { KafkaConsumer } = loadRdkafka();
  const consumer = new KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': groupId }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    const offsets = await new Promise<{ offset?: number }[]>((resolve, reject) =>
      consumer.committed(
        Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
        5000,
        (err, tps) => (err ? reject(err) : resolve(tps)),
      ),
    );
    return offsets.reduce((sum, tp) => sum + Math.max(0, tp.offset ?? 0), 0);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** A message read back by `readTopic`. */
export interface ReadMessage {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning (a throw-away consumer group) until `done` holds for what
 * was read, or throws after `timeoutMs`.
 */
export async function readTopic(
  brokers: string,
  topic: string,
  done: (messages: readonly ReadMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const { KafkaConsumer } = loadRdkafka();
  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': `faults-reader-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  const read: ReadMessage[] = [];
  try {
    consumer.subscribe([topic]);
    consumer.setDefaultConsumeTimeout(200);
    const deadline = Date.now() + timeoutMs;
    while (!done(read)) {
      if (Date.now() > deadline) throw new Error(`${topic}: condition not met after ${read.length} message(s)`);
      const batch = await new Promise<import('node-rdkafka').Message[]>((resolve, reject) =>
        consumer.consume(100, (err, messages) => (err ? reject(err) : resolve(messages))),
      );
      for (const m of batch) {
        const headers: Record<string, string> = {};
        for (const h of m.headers ?? []) for (const [name, v] of Object.entries(h)) headers[name] = v.toString();
        read.push({
          partition: m.partition,
          offset: m.offset,
          key: m.key === undefined || m.key === null ? null : m.key.toString(),
          value: m.value ?? null,
          headers,
        });
      }
    }
    return read;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
