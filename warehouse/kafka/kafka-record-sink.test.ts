import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors/index.js';
import type { CanonicalResource, SinkBatch } from '../../core/ports/index.js';
import {
  KafkaRecordSink,
  type ProducerClient,
  type ProducerEvents,
  type ProducerFactory,
} from './kafka-record-sink.js';
import type { OutgoingMessage } from './messages.js';
import type { StateStore } from './state-store.js';

/**
 * A librdkafka stand-in: a local queue of `capacity` messages that throws `ERR__QUEUE_FULL`
 * beyond it, and delivers (or fails) queued messages only when the test says so, through poll.
 */
class FakeProducer implements ProducerClient {
  readonly queue: { message: OutgoingMessage; opaque: object }[] = [];
  readonly produced: OutgoingMessage[] = [];
  queueFullErrors = 0;
  autoDeliver = true;
  failNext = 0;
  connectError: unknown;
  disconnects = 0;

  constructor(
    readonly events: ProducerEvents,
    readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  async connect(): Promise<void> {
    if (this.connectError !== undefined) throw this.connectError;
  }

  produce(message: OutgoingMessage, opaque: object): void {
    if (message.value.length > 100_000) throw Object.assign(new Error('Broker: Message size too large'), { code: 10 });
    if (this.queue.length >= this.capacity) {
      this.queueFullErrors++;
      throw Object.assign(new Error('Local: Queue full'), { code: -184 });
    }
    this.queue.push({ message, opaque });
    this.produced.push(message);
  }

  poll(): void {
    if (this.autoDeliver) this.deliver();
  }

  deliver(count = this.queue.length): void {
    for (const { opaque } of this.queue.splice(0, count)) {
      if (this.failNext > 0) {
        this.failNext--;
        this.events.onDelivery(Object.assign(new Error('Broker: Not enough in-sync replicas'), { code: 19 }), opaque);
      } else this.events.onDelivery(null, opaque);
    }
  }

  async flush(): Promise<void> {
    this.deliver();
  }

  async brokerCount(): Promise<number> {
    if (this.connectError !== undefined) throw this.connectError;
    return 1;
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
  }
}

class MemoryStateStore implements StateStore {
  readonly puts: { connector: string; stream: string; state: unknown }[] = [];
  async get(connector: string, stream: string): Promise<unknown> {
    return this.puts.findLast((p) => p.connector === connector && p.stream === stream)?.state;
  }
  async put(connector: string, stream: string, state: unknown): Promise<void> {
    this.puts.push({ connector, stream, state });
  }
}

function setup(capacity?: number) {
  let fake: FakeProducer | undefined;
  const createProducer: ProducerFactory = (_config, events) => {
    fake = new FakeProducer(events, capacity);
    return fake;
  };
  const stateStore = new MemoryStateStore();
  const sink = new KafkaRecordSink({ brokers: ['127.0.0.1:1'], stateStore, topicPrefix: 'test.', createProducer });
  return {
    sink,
    stateStore,
    producer: () => {
      if (fake === undefined) throw new Error('producer not created');
      return fake;
    },
  };
}

function movement(i: number): CanonicalResource {
  return {
    resourceType: 'StockMovement',
    id: `mv-${i}`,
    movementType: 'receipt',
    occurredAt: '2025-01-01T00:00:00+01:00',
    location: { reference: 'Location/souss-massa-wh1' },
    product: { reference: `Product/p-${i % 3}` },
    quantity: { value: i + 1, unit: 'EA' },
  };
}

function batch(records: CanonicalResource[], state: unknown = { cursor: records.length }): SinkBatch {
  return { connector: 'simulator', stream: 'stock_movements', records, deadLetters: [], state };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('KafkaRecordSink', () => {
  it('does not load node-rdkafka until a producer is built', () => {
    const require = createRequire(import.meta.url);
    const native = require.resolve('node-rdkafka');
    expect(Object.keys(require.cache)).not.toContain(native);
  });

  it('commits the state only after every delivery report arrived', async () => {
    const { sink, stateStore, producer } = setup();
    await sink.init();
    producer().autoDeliver = false;
    const writing = sink.write(batch([movement(1), movement(2), movement(3)]));
    await tick();
    expect(producer().produced).toHaveLength(3);
    producer().deliver(2);
    await tick();
    expect(stateStore.puts).toEqual([]);
    producer().deliver(1);
    await expect(writing).resolves.toEqual({ written: 3, deadLettered: 0 });
    expect(stateStore.puts).toEqual([{ connector: 'simulator', stream: 'stock_movements', state: { cursor: 3 } }]);
    expect(await sink.readState('simulator', 'stock_movements')).toEqual({ cursor: 3 });
  });

  it('routes by resource family, keys movements by stock line and others by id', async () => {
    const { sink, producer } = setup();
    const location: CanonicalResource = { resourceType: 'Location', id: 'souss-massa-wh1' };
    const incident: CanonicalResource = { resourceType: 'Incident', id: 'eq-2023' };
    await sink.write({
      ...batch([movement(4), location, incident]),
      deadLetters: [
        {
          connector: 'simulator',
          stream: 'stock_movements',
          sourceId: 'row-9',
          errors: [{ pointer: '/quantity', code: 'required', message: 'quantity is required' }],
          payload: { row: 9 },
          failedAt: '2025-01-01T00:00:00Z',
        },
      ],
    });
    const routed = producer().produced.map((m) => [m.topic, m.key]);
    expect(routed).toEqual([
      ['test.stock-movements', 'Location/souss-massa-wh1|Product/p-1'],
      ['test.locations', 'Location/souss-massa-wh1'],
      ['test.resources', 'Incident/eq-2023'],
      ['test.dead-letters', 'simulator/stock_movements'],
    ]);
    for (const m of producer().produced) {
      const headers = Object.assign({}, ...m.headers) as Record<string, string>;
      expect(headers).toMatchObject({ ce_specversion: '1.0', ce_source: '/connectors/simulator' });
      expect(headers.ce_type).toMatch(/^ma\.reserve-hub\.[a-z-]+\.v1$/);
    }
  });

  it('waits while the local queue is full, then produces everything in order', async () => {
    const { sink, producer } = setup(4);
    const records = Array.from({ length: 25 }, (_, i) => movement(i));
    await expect(sink.write(batch(records))).resolves.toEqual({ written: 25, deadLettered: 0 });
    expect(producer().queueFullErrors).toBeGreaterThan(0);
    expect(producer().produced.map((m) => JSON.parse(m.value.toString()).id)).toEqual(records.map((r) => r.id));
  });

  it('fails the batch with a transient error and keeps the old state when a delivery fails', async () => {
    const { sink, stateStore, producer } = setup();
    await sink.init();
    producer().failNext = 1;
    const error = await sink.write(batch([movement(1), movement(2)])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: 'HUB_ERR_STREAM_DELIVERY', kind: 'transient', params: { count: 1 } });
    expect(stateStore.puts).toEqual([]);
  });

  it('refuses a message too large for Kafka as bad data, after the rest of the batch is settled', async () => {
    const { sink, stateStore, producer } = setup();
    await sink.init();
    producer().autoDeliver = false;
    const huge: CanonicalResource = { resourceType: 'Shipment', id: 'sh-1', serials: 'x'.repeat(200_000) };
    let settled = false;
    const writing = sink.write(batch([movement(1), huge, movement(2)])).finally(() => {
      settled = true;
    });
    await tick();
    expect(settled).toBe(false);
    producer().deliver();
    const error = await writing.catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'HUB_ERR_STREAM_MESSAGE_TOO_LARGE',
      kind: 'data',
      params: { topic: 'test.resources', key: 'Shipment/sh-1' },
    });
    expect(producer().produced).toHaveLength(1);
    expect(stateStore.puts).toEqual([]);
  });

  it('reports an unreachable cluster as HUB_ERR_STREAM_UNAVAILABLE, and can init again later', async () => {
    let attempts = 0;
    const createProducer: ProducerFactory = (_config, events) => {
      const fake = new FakeProducer(events);
      if (attempts++ === 0)
        fake.connectError = Object.assign(new Error('Local: Broker transport failure'), { code: -195 });
      return fake;
    };
    const sink = new KafkaRecordSink({ brokers: '127.0.0.1:1', stateStore: new MemoryStateStore(), createProducer });
    await expect(sink.init()).rejects.toMatchObject({ code: 'HUB_ERR_STREAM_UNAVAILABLE', retriable: true });
    await expect(sink.init()).resolves.toBeUndefined();
    await sink.close();
  });

  it('has an idempotent lifecycle', async () => {
    const { sink, producer } = setup();
    await Promise.all([sink.init(), sink.init()]);
    const first = producer();
    await sink.init();
    expect(producer()).toBe(first);
    await sink.close();
    await sink.close();
    expect(first.disconnects).toBe(1);
  });

  it('replaces the producer after a fatal error', async () => {
    const { sink, producer } = setup();
    await sink.init();
    const first = producer();
    first.events.onError(Object.assign(new Error('Fatal idempotent producer error'), { code: -150, isFatal: true }));
    await sink.write(batch([movement(1)]));
    expect(producer()).not.toBe(first);
    expect(producer().produced).toHaveLength(1);
  });

  it('uses the idempotent, acks=all producer settings', () => {
    const { sink } = setup();
    expect(sink.producerConfig).toMatchObject({
      'enable.idempotence': true,
      acks: 'all',
      'compression.type': 'lz4',
      'metadata.broker.list': '127.0.0.1:1',
    });
  });
});
