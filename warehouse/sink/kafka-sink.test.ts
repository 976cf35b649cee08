import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors/index.js';
import type { CanonicalResource, DeadLetter, WarehouseWriter } from '../../core/ports/index.js';
import type { ProducerClient, ProducerEvents } from '../kafka/kafka-record-sink.js';
import {
  encodeDeadLetter,
  encodeRecord,
  encodeSinkDeadLetter,
  type IncomingMessage,
  type OutgoingMessage,
  SINK_DEAD_LETTER_EVENT_TYPE,
  type SinkDeadLetter,
} from '../kafka/messages.js';
import { RdkafkaCode } from '../kafka/rdkafka.js';
import { type KafkaSink, type KafkaSinkOptions, startKafkaSink } from './kafka-sink.js';
import type { ConsumerClient, RebalanceKind, TopicPartition, TopicPartitionOffset } from './sink-consumer.js';

const TOPIC = 'test.stock-movements';
const DLT = 'test.dead-letters';
const tp = (topic: string, partition: number) => `${topic}|${partition}`;

/** A consumer group of one: partitions are message lists; it records commits and pauses. */
class FakeConsumer implements ConsumerClient {
  readonly logs: string[] = [];
  readonly commits: TopicPartitionOffset[][] = [];
  readonly paused = new Set<number>();
  readonly #partitions = new Map<string, IncomingMessage[]>();
  readonly #position = new Map<string, number>();
  #onRebalance: ((kind: RebalanceKind, partitions: TopicPartition[]) => void | Promise<void>) | undefined;
  disconnected = false;

  add(
    partition: number,
    value: Buffer | null,
    headers: Array<Record<string, string>> = [],
    key = 'k',
    topic = TOPIC,
  ): IncomingMessage {
    const list = this.#partitions.get(tp(topic, partition)) ?? [];
    const message = { topic, partition, offset: list.length, key, value, headers };
    list.push(message);
    this.#partitions.set(tp(topic, partition), list);
    return message;
  }

  addRecord(partition: number, record: CanonicalResource): IncomingMessage {
    const m = encodeRecord(record, 'simulator', 'test.');
    return this.add(partition, m.value, m.headers, m.key);
  }

  async connect(): Promise<void> {}

  subscribe(
    _topics: readonly string[],
    onRebalance: (kind: RebalanceKind, partitions: TopicPartition[]) => void | Promise<void>,
  ): void {
    this.#onRebalance = onRebalance;
    this.#onRebalance(
      'assign',
      [...this.#partitions.values()].map((list) => ({
        topic: (list[0] as IncomingMessage).topic,
        partition: (list[0] as IncomingMessage).partition,
      })),
    );
  }

  async rebalance(kind: RebalanceKind, partitions: number[]): Promise<void> {
    // Like librdkafka with a rebalance callback: the partitions go when the callback is done.
    await this.#onRebalance?.(
      kind,
      partitions.map((partition) => ({ topic: TOPIC, partition })),
    );
    if (kind === 'revoke') {
      // Like librdkafka: the next owner starts again from the last committed offset.
      for (const p of partitions) this.#position.set(tp(TOPIC, p), this.committed(p));
    }
  }

  committed(partition: number, topic = TOPIC): number {
    let offset = 0;
    for (const commit of this.commits)
      for (const c of commit) if (c.topic === topic && c.partition === partition) offset = c.offset;
    return offset;
  }

  async consume(max: number, timeoutMs: number): Promise<IncomingMessage[]> {
    const out: IncomingMessage[] = [];
    for (const [key, list] of this.#partitions) {
      if (this.paused.has((list[0] as IncomingMessage).partition)) continue;
      let position = this.#position.get(key) ?? 0;
      while (out.length < max && position < list.length) out.push(list[position++] as IncomingMessage);
      this.#position.set(key, position);
    }
    if (out.length === 0) await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return out;
  }

  commitSync(offsets: readonly TopicPartitionOffset[]): void {
    const at = (o: TopicPartitionOffset) => `${o.topic === TOPIC ? '' : `${o.topic}/`}${o.partition}:${o.offset}`;
    this.logs.push(`commit ${offsets.map(at).join(',')}`);
    this.commits.push([...offsets]);
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.add(p.partition);
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.paused.delete(p.partition);
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

/**
 * A broker for the dead-letter producer: `produce` queues, `poll` delivers the reports (failing
 * the next `failDeliveries` of them), `hold` keeps reports back. Acknowledged messages are kept.
 */
class FakeProducer implements ProducerClient {
  readonly acked: OutgoingMessage[] = [];
  readonly #queue: { message: OutgoingMessage; opaque: object }[] = [];
  events: ProducerEvents | undefined;
  failDeliveries = 0;
  /** librdkafka's local size check: a message larger than this is refused by `produce`. */
  maxBytes = Number.POSITIVE_INFINITY;
  hold = false;
  flushed = false;
  disconnected = false;

  constructor(readonly log: string[]) {}

  async connect(): Promise<void> {}

  produce(message: OutgoingMessage, opaque: object): void {
    if (message.value.length > this.maxBytes) {
      throw Object.assign(new Error('Broker: Message size too large'), { code: RdkafkaCode.MSG_SIZE_TOO_LARGE });
    }
    this.#queue.push({ message, opaque });
  }

  poll(): void {
    if (this.hold) return;
    for (const { message, opaque } of this.#queue.splice(0)) {
      if (this.failDeliveries > 0) {
        this.failDeliveries--;
        this.events?.onDelivery(Object.assign(new Error('Local: Message timed out'), { code: -192 }), opaque);
      } else {
        this.acked.push(message);
        this.log.push(`dead-letter ${message.key}`);
        this.events?.onDelivery(null, opaque);
      }
    }
  }

  async flush(): Promise<void> {
    this.flushed = true;
  }

  async brokerCount(): Promise<number> {
    return 1;
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  /** The acknowledged dead letters' values. */
  values(): SinkDeadLetter[] {
    return this.acked.map((m) => JSON.parse(m.value.toString()) as SinkDeadLetter);
  }
}

/** An in-memory warehouse, idempotent on id, that can be told to fail or to hold its answer. */
class FakeWriter implements WarehouseWriter {
  readonly records = new Map<string, CanonicalResource>();
  readonly deadLetters: DeadLetter[] = [];
  readonly calls: number[] = [];
  failures: unknown[] = [];
  refuse = new Set<string>();
  hold: Promise<void> | undefined;

  constructor(readonly log: string[]) {}

  async insertRecords(records: readonly CanonicalResource[]): Promise<number> {
    this.calls.push(records.length);
    await this.hold;
    if (this.failures.length > 0) throw this.failures.shift();
    const bad = records.find((r) => this.refuse.has(r.id));
    if (bad) throw new HubError('HUB_ERR_SQL_LITERAL', { reason: `bad ${bad.id}` });
    for (const r of records) this.records.set(r.id, r);
    this.log.push(`write ${records.length}`);
    return records.length;
  }

  async insertDeadLetters(deadLetters: readonly DeadLetter[]): Promise<number> {
    this.deadLetters.push(...deadLetters);
    this.log.push(`dead ${deadLetters.length}`);
    return deadLetters.length;
  }
}

function movement(i: number): CanonicalResource {
  return {
    resourceType: 'StockMovement',
    id: `mv-${i}`,
    movementType: 'receipt',
    occurredAt: '2025-03-01T08:00:00+01:00',
    location: { reference: 'Location/w1' },
    product: { reference: 'Product/p1' },
    quantity: { value: i + 1, unit: 'EA' },
  };
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function start(
  consumer: FakeConsumer,
  writer: FakeWriter,
  batchSize = 10,
  batchMs = 50,
  retryInitialMs = 5,
  producer = new FakeProducer(consumer.logs),
  options: Partial<KafkaSinkOptions> = {},
): Promise<KafkaSink> {
  return startKafkaSink({
    ...options,
    brokers: 'fake:9092',
    groupId: 'test',
    topics: [TOPIC, DLT],
    topicPrefix: 'test.',
    writer,
    batchSize,
    batchMs,
    retryInitialMs,
    retryMaxMs: Math.max(20, retryInitialMs),
    createConsumer: () => consumer,
    createProducer: (config, events) => {
      // The hub's producer settings, as the connector side uses them.
      expect(config).toMatchObject({ 'enable.idempotence': true, acks: 'all' });
      producer.events = events;
      return producer;
    },
  });
}

const headerValue = (m: OutgoingMessage, name: string): string | undefined =>
  m.headers.find((h) => h[name] !== undefined)?.[name];

describe('startKafkaSink', () => {
  it('writes full batches, flushes the rest on time, and commits offset + 1 after each write', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 25; i++) consumer.addRecord(0, movement(i));
    const writer = new FakeWriter(consumer.logs);
    const sink = await start(consumer, writer);
    await until(() => writer.records.size === 25 && consumer.committed(0) === 25);
    await sink.stop();
    expect(writer.calls).toEqual([10, 10, 5]);
    expect(consumer.logs).toEqual(['write 10', 'commit 0:10', 'write 10', 'commit 0:20', 'write 5', 'commit 0:25']);
    expect(sink.stats()).toMatchObject({ consumed: 25, records: 25, batches: 3, buffered: 0 });
  });

  it('bounds batches by bytes too, counting values, keys and headers as node-rdkafka delivers them', async () => {
    const consumer = new FakeConsumer();
    const encoded = Array.from({ length: 7 }, (_, i) => encodeRecord(movement(i), 'simulator', 'test.'));
    const messages = encoded.map((m) => {
      // node-rdkafka: the key and every header value in a Buffer of its own.
      const headers = m.headers.map((h) =>
        Object.fromEntries(Object.entries(h).map(([name, value]) => [name, Buffer.from(value)])),
      );
      return consumer.add(0, m.value, headers as never, Buffer.from(m.key) as never);
    });
    const size = (m: IncomingMessage) =>
      (m.value?.length ?? 0) +
      String(m.key).length +
      (m.headers ?? []).reduce(
        (sum, h) => sum + Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length, 0),
        0,
      );
    const largest = Math.max(...messages.map(size));
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    // Three of the largest fit, a fourth does not.
    writer.refuse.add('mv-4');
    const sink = await start(consumer, writer, 100, 10, 5, producer, { batchBytes: 3 * largest + largest / 2 });
    await until(() => consumer.committed(0) === 7);
    await sink.stop();
    expect(writer.calls.filter((n) => n >= 3).slice(0, 2)).toEqual([3, 3]);
    expect(writer.records.size).toBe(6);
    // The refused record's dead letter still carries the original key and headers, as text.
    const [dead] = producer.acked;
    const value = JSON.parse(String(dead?.value)) as SinkDeadLetter;
    expect(value.originalKey).toBe(String(messages[4]?.key));
    expect(value.originalHeaders).toEqual(encoded[4]?.headers);
    expect(Buffer.from(value.payloadBase64 ?? '', 'base64').equals(messages[4]?.value as Buffer)).toBe(true);
  });

  it('commits nothing while the writer has not answered', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 5; i++) consumer.addRecord(0, movement(i));
    const writer = new FakeWriter(consumer.logs);
    let release = () => {};
    writer.hold = new Promise((resolve) => {
      release = resolve;
    });
    const sink = await start(consumer, writer);
    await until(() => writer.calls.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(consumer.commits).toEqual([]);
    release();
    await until(() => consumer.committed(0) === 5);
    await sink.stop();
  });

  it('retries transient writer errors without committing, then commits once written', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 3; i++) consumer.addRecord(0, movement(i));
    const writer = new FakeWriter(consumer.logs);
    writer.failures = [
      new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'clickhouse', reason: 'ECONNREFUSED' }),
      new Error('socket hang up'),
    ];
    const sink = await start(consumer, writer);
    await until(() => consumer.committed(0) === 3);
    await sink.stop();
    expect(writer.calls).toEqual([3, 3, 3]);
    expect(consumer.logs).toEqual(['write 3', 'commit 0:3']);
    expect(sink.stats().retries).toBe(2);
  });

  it('sends an undecodable message to the dead-letter topic and the table, with its raw bytes, and keeps going', async () => {
    const consumer = new FakeConsumer();
    consumer.addRecord(0, movement(1));
    consumer.add(0, Buffer.from([0xff, 0xfe, 0x00, 0x01]), [{ ce_specversion: '1.0' }], 'garbage');
    consumer.add(0, Buffer.from('{"not":"an event"}'));
    consumer.addRecord(0, movement(2));
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    const sink = await start(consumer, writer, 10, 50, 5, producer);
    await until(() => consumer.committed(0) === 4);
    await sink.stop();
    // Both dead letters acknowledged by the broker before the offsets moved past them.
    expect(consumer.logs).toEqual([
      'write 2',
      `dead-letter ${TOPIC}/0@1`,
      `dead-letter ${TOPIC}/0@2`,
      'dead 2',
      'commit 0:4',
    ]);
    expect(producer.acked.map((m) => [m.topic, m.key, headerValue(m, 'ce_type')])).toEqual([
      [DLT, `${TOPIC}/0@1`, SINK_DEAD_LETTER_EVENT_TYPE],
      [DLT, `${TOPIC}/0@2`, SINK_DEAD_LETTER_EVENT_TYPE],
    ]);
    const [first, second] = producer.values();
    expect(first).toMatchObject({
      reasons: [{ code: 'HUB_ERR_ENVELOPE_INVALID', pointer: '/data' }],
      originalTopic: TOPIC,
      originalPartition: 0,
      originalOffset: 1,
      originalKey: 'garbage',
      originalHeaders: [{ ce_specversion: '1.0' }],
    });
    expect(Buffer.from(first?.payloadBase64 ?? '', 'base64')).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    expect(Buffer.from(second?.payloadBase64 ?? '', 'base64').toString()).toBe('{"not":"an event"}');
    expect(second?.reasons.length).toBeGreaterThan(0);
    expect(producer.flushed && producer.disconnected).toBe(true);
    expect([...writer.records.keys()]).toEqual(['mv-1', 'mv-2']);
    expect(writer.deadLetters).toHaveLength(2);
    const [binary, text] = writer.deadLetters;
    expect(binary).toMatchObject({
      connector: 'kafka-sink',
      stream: TOPIC,
      sourceId: `${TOPIC}/0@1`,
      errors: [{ code: 'HUB_ERR_ENVELOPE_INVALID', pointer: '/data' }],
      payload: { offset: 1, value: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'), valueEncoding: 'base64' },
    });
    expect(text?.payload).toMatchObject({ offset: 2, value: '{"not":"an event"}', valueEncoding: 'utf8' });
    expect(sink.stats()).toMatchObject({ poison: 2, records: 2, deadLetters: 2, deadLettersProduced: 2 });
  });

  it('dead-letters a valid envelope whose data breaks the schema; passes dead-letter events through', async () => {
    const consumer = new FakeConsumer();
    const { quantity: _dropped, ...noQuantity } = movement(1);
    consumer.addRecord(0, noQuantity as CanonicalResource);
    const refused: DeadLetter = {
      connector: 'simulator',
      stream: 'stock_movements',
      sourceId: 'row-7',
      errors: [{ pointer: '/gtin', code: 'HUB_ERR_MODEL_CHECK_DIGIT', message: 'bad check digit' }],
      payload: 'row 7,raw,line',
      failedAt: '2025-03-01T08:00:00+01:00',
    };
    const m = encodeDeadLetter(refused, 'test.');
    consumer.add(0, m.value, m.headers, m.key, DLT);
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    const sink = await start(consumer, writer, 10, 50, 5, producer);
    await until(() => consumer.committed(0) === 1 && consumer.committed(0, DLT) === 1);
    await sink.stop();
    expect(writer.records.size).toBe(0);
    expect(writer.deadLetters).toMatchObject([
      { connector: 'kafka-sink', errors: [{ code: 'HUB_ERR_MODEL_REQUIRED', pointer: '/data/quantity' }] },
      refused,
    ]);
    // Only the schema-invalid message goes to the topic: the connector's dead letter came from it.
    expect(producer.values()).toMatchObject([
      { originalOffset: 0, reasons: [{ code: 'HUB_ERR_MODEL_REQUIRED', pointer: '/data/quantity' }] },
    ]);
    expect(sink.stats()).toMatchObject({ poison: 1, deadLetters: 2, deadLettersProduced: 1 });
  });

  it('isolates records the warehouse refuses as bad data into dead letters, on the topic with their bytes', async () => {
    const consumer = new FakeConsumer();
    const sent = Array.from({ length: 8 }, (_, i) => consumer.addRecord(0, movement(i)));
    const writer = new FakeWriter(consumer.logs);
    writer.refuse = new Set(['mv-5']);
    const producer = new FakeProducer(consumer.logs);
    const sink = await start(consumer, writer, 10, 50, 5, producer);
    await until(() => consumer.committed(0) === 8);
    await sink.stop();
    expect([...writer.records.keys()].sort()).toEqual(['mv-0', 'mv-1', 'mv-2', 'mv-3', 'mv-4', 'mv-6', 'mv-7']);
    expect(writer.deadLetters).toMatchObject([
      { sourceId: 'mv-5', resourceType: 'StockMovement', errors: [{ code: 'HUB_ERR_SQL_LITERAL' }] },
    ]);
    const [letter] = producer.values();
    expect(producer.acked.map((m) => m.key)).toEqual([`${TOPIC}/0@5`]);
    expect(letter).toMatchObject({ originalOffset: 5, reasons: [{ code: 'HUB_ERR_SQL_LITERAL' }] });
    expect(Buffer.from(letter?.payloadBase64 ?? '', 'base64')).toEqual(sent[5]?.value);
    expect(consumer.logs.indexOf(`dead-letter ${TOPIC}/0@5`)).toBeLessThan(consumer.logs.indexOf('commit 0:8'));
  });

  it('commits a poison message only once its dead letter is acknowledged, resending what failed', async () => {
    const consumer = new FakeConsumer();
    consumer.add(0, Buffer.from('not json'));
    consumer.addRecord(0, movement(1));
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    producer.hold = true;
    producer.failDeliveries = 1;
    const sink = await start(consumer, writer, 10, 10, 5, producer);
    await until(() => writer.records.size === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Written to the warehouse, but the dead letter has no delivery report yet: no commit.
    expect(consumer.commits).toEqual([]);
    producer.hold = false;
    await until(() => consumer.committed(0) === 2);
    await sink.stop();
    // The first delivery failed (timed out), the retry was acknowledged, then the commit.
    expect(producer.acked.map((m) => m.key)).toEqual([`${TOPIC}/0@0`]);
    expect(consumer.logs).toEqual(['write 1', `dead-letter ${TOPIC}/0@0`, 'dead 1', 'commit 0:2']);
    expect(sink.stats()).toMatchObject({ retries: 1, deadLettersProduced: 1 });
  });

  it('sends a dead letter too large for Kafka without its bytes, rather than blocking', async () => {
    const consumer = new FakeConsumer();
    const big = Buffer.alloc(4000, 0xff);
    consumer.add(0, big);
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    producer.maxBytes = 3000;
    const sink = await start(consumer, writer, 10, 10, 5, producer);
    await until(() => consumer.committed(0) === 1);
    await sink.stop();
    expect(producer.values()).toMatchObject([
      {
        payloadBase64: null,
        reasons: [{ code: 'HUB_ERR_ENVELOPE_INVALID' }, { code: 'HUB_ERR_STREAM_MESSAGE_TOO_LARGE' }],
      },
    ]);
    // The table row keeps the bytes.
    expect(writer.deadLetters[0]?.payload).toMatchObject({ value: big.toString('base64') });
  });

  it('skips its own dead letters read back, and never re-sends poison read from the dead-letter topic', async () => {
    const consumer = new FakeConsumer();
    const original = { topic: TOPIC, partition: 0, offset: 3, key: 'x', value: Buffer.from('oops'), headers: [] };
    const own = encodeSinkDeadLetter(
      original,
      [{ pointer: '', code: 'HUB_ERR_X', message: 'x' }],
      '2025-03-01T00:00:00Z',
      DLT,
    );
    consumer.add(0, own.value, own.headers, own.key, DLT);
    consumer.add(0, Buffer.from('garbage on the dead-letter topic'), [], 'g', DLT);
    // A valid record on the dead-letter topic is not data.
    const record = encodeRecord(movement(9), 'simulator', 'test.');
    consumer.add(0, record.value, record.headers, record.key, DLT);
    const writer = new FakeWriter(consumer.logs);
    const producer = new FakeProducer(consumer.logs);
    const sink = await start(consumer, writer, 10, 10, 5, producer);
    await until(() => consumer.committed(0, DLT) === 3);
    await sink.stop();
    expect(writer.records.size).toBe(0);
    expect(producer.acked).toEqual([]);
    expect(writer.deadLetters.map((d) => d.sourceId)).toEqual([`${DLT}/0@1`, `${DLT}/0@2`]);
    expect(sink.stats()).toMatchObject({ ownDeadLettersSkipped: 1, poison: 2, deadLettersProduced: 0 });
  });

  it('pauses fetching while a full batch waits for the writer, and resumes after', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 30; i++) consumer.addRecord(0, movement(i));
    const writer = new FakeWriter(consumer.logs);
    let release = () => {};
    writer.hold = new Promise((resolve) => {
      release = resolve;
    });
    const sink = await start(consumer, writer, 10);
    await until(() => consumer.paused.has(0));
    expect(sink.stats()).toMatchObject({ paused: true, inFlight: 10, buffered: 10 });
    release();
    await until(() => consumer.committed(0) === 30);
    expect(consumer.paused.size).toBe(0);
    await sink.stop();
  });

  it('on revoke finishes and commits the batch in flight first, then drops what it buffered for lost partitions', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 4; i++) consumer.addRecord(0, movement(i));
    for (let i = 4; i < 8; i++) consumer.addRecord(1, movement(i));
    const writer = new FakeWriter(consumer.logs);
    let release = () => {};
    writer.hold = new Promise((resolve) => {
      release = resolve;
    });
    const sink = await start(consumer, writer, 100, 10);
    await until(() => writer.calls.length === 1);
    let revoked = false;
    const revoking = consumer.rebalance('revoke', [1]).then(() => {
      revoked = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The partition is not given up while its batch is being written.
    expect(revoked).toBe(false);
    expect(consumer.commits).toEqual([]);
    release();
    await revoking;
    // Committed before the revoke completed: the next owner starts after this batch.
    expect(consumer.commits).toEqual([
      [
        { topic: TOPIC, partition: 0, offset: 4 },
        { topic: TOPIC, partition: 1, offset: 4 },
      ],
    ]);
    await sink.stop();
    expect(sink.stats().assignment).toEqual([{ topic: TOPIC, partition: 0 }]);
  });

  it('stop() finishes the batch in flight, commits it and disconnects, dead-letter producer included', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 4; i++) consumer.addRecord(0, movement(i));
    consumer.add(0, Buffer.from('poison'));
    const writer = new FakeWriter(consumer.logs);
    let release = () => {};
    writer.hold = new Promise((resolve) => {
      release = resolve;
    });
    const producer = new FakeProducer(consumer.logs);
    const sink = await start(consumer, writer, 10, 50, 5, producer);
    await until(() => writer.calls.length === 1);
    const stopping = sink.stop();
    setTimeout(release, 50);
    await stopping;
    expect(producer.acked.map((m) => m.key)).toEqual([`${TOPIC}/0@4`]);
    expect(consumer.committed(0)).toBe(5);
    expect(consumer.disconnected).toBe(true);
    expect(producer.flushed && producer.disconnected).toBe(true);
    await sink.stop();
  });

  it('stop() during a retry backoff returns at once and commits nothing, not even later batches', async () => {
    const consumer = new FakeConsumer();
    for (let i = 0; i < 15; i++) consumer.addRecord(0, movement(i));
    const writer = new FakeWriter(consumer.logs);
    // Fails once, then would accept: the 5 buffered records must still not be committed past
    // the 10 that were never written.
    writer.failures = [new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'clickhouse', reason: 'down' })];
    const sink = await start(consumer, writer, 10, 10, 60_000);
    await until(() => writer.calls.length === 1 && sink.stats().buffered === 5);
    const started = Date.now();
    await sink.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(consumer.commits).toEqual([]);
    expect(consumer.disconnected).toBe(true);
    expect(sink.stats().lastError).toMatch(/unavailable/);
  });
});
