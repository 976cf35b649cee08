import { HubError } from '../../core/errors/index.js';
import { sinkBatchSeconds } from '../../core/observability/metrics.js';
import type { ComponentHealth, RecordSink, SinkBatch, SinkWriteResult } from '../../core/ports/index.js';
import { type StreamLogger, silentLogger } from './logger.js';
import { encodeDeadLetter, encodeRecord, type OutgoingMessage } from './messages.js';
import { brokerList, describeRdkafkaError, loadRdkafka, RdkafkaCode, rdkafkaCode } from './rdkafka.js';
import type { StateStore } from './state-store.js';
import { DEFAULT_TOPIC_PREFIX } from './topics.js';

export type LibrdkafkaConfig = Readonly<Record<string, string | number | boolean>>;

/**
 * The few producer calls the sink makes: a seam so that the batching, backpressure and
 * commit-order logic can be tested without a broker. The default is node-rdkafka's `Producer`.
 */
export interface ProducerClient {
  connect(): Promise<void>;
  /**
   * Enqueues one message in librdkafka's local queue; its delivery report later reaches
   * `onDelivery` with `opaque`. Throws a librdkafka error, whose `code` is `-184`
   * (`ERR__QUEUE_FULL`) when the local queue is full.
   */
  produce(message: OutgoingMessage, opaque: object): void;
  /** Serves queued delivery reports. */
  poll(): void;
  flush(timeoutMs: number): Promise<void>;
  /** Asks the cluster for its metadata; resolves with the number of brokers. */
  brokerCount(timeoutMs: number): Promise<number>;
  disconnect(): Promise<void>;
}

export interface ProducerEvents {
  /** A delivery report: `err` is null when the broker acknowledged the message. */
  onDelivery(err: unknown, opaque: unknown): void;
  /** A client-level error (broker down, fatal idempotence error…). */
  onError(err: unknown): void;
}

export type ProducerFactory = (config: LibrdkafkaConfig, events: ProducerEvents) => ProducerClient;

export interface KafkaRecordSinkOptions {
  /** Bootstrap brokers, `host:port` (a list, or one comma-separated string). Required. */
  readonly brokers: string | readonly string[];
  /** Where connector state is committed once a batch is acknowledged. Required. */
  readonly stateStore: StateStore;
  /** Prefix of every topic name, separator included: `hub.` gives `hub.stock-movements`. Default `hub.`. */
  readonly topicPrefix?: string;
  /** librdkafka `client.id`. Default `reserve-hub`. */
  readonly clientId?: string;
  /** librdkafka `linger.ms`: how long messages wait to be batched. Default 10. */
  readonly lingerMs?: number;
  /**
   * librdkafka `message.timeout.ms`: how long librdkafka keeps retrying a message before its
   * delivery report fails, and so the longest a `write` waits on an unreachable cluster.
   * Default 60000.
   */
  readonly deliveryTimeoutMs?: number;
  /** How long `init` waits for the cluster's metadata. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Extra librdkafka properties (security, tuning), applied over the defaults. */
  readonly librdkafka?: LibrdkafkaConfig;
  /** Default: silent. */
  readonly logger?: StreamLogger;
  /** Builds the producer. Default: node-rdkafka's `Producer`. Override in tests. */
  readonly createProducer?: ProducerFactory;
}

/**
 * The hub's librdkafka producer properties (defaults, then `librdkafka`): idempotent, `acks=all`,
 * lz4, Java's partitioner. Shared by the connector-side `KafkaRecordSink` and the sink's
 * dead-letter producer.
 */
export function hubProducerConfig(
  o: Pick<KafkaRecordSinkOptions, 'brokers' | 'clientId' | 'lingerMs' | 'deliveryTimeoutMs' | 'librdkafka'>,
): LibrdkafkaConfig {
  return {
    'metadata.broker.list': brokerList(o.brokers),
    'client.id': o.clientId ?? 'reserve-hub',
    // Exactly one copy per message and per-partition order, even when librdkafka retries.
    'enable.idempotence': true,
    acks: 'all',
    'linger.ms': o.lingerMs ?? 10,
    'compression.type': 'lz4',
    'message.timeout.ms': o.deliveryTimeoutMs ?? 60_000,
    // Java's partitioner: a key lands on the same partition whichever client produced it.
    partitioner: 'murmur2_random',
    'socket.keepalive.enable': true,
    ...o.librdkafka,
  };
}

/** One `write`'s messages in flight: settles when every enqueued message has its report. */
class BatchDeliveries {
  enqueued = 0;
  delivered = 0;
  /** Times `produce` found librdkafka's local queue full and had to wait. */
  queueFullWaits = 0;
  readonly failures: unknown[] = [];
  readonly #waiters = new Set<() => void>();

  report(err: unknown): void {
    if (err) this.failures.push(err);
    else this.delivered++;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  get settled(): boolean {
    return this.delivered + this.failures.length >= this.enqueued;
  }

  /** Resolves at the next delivery report, or after `ms` at the latest. */
  progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiters.add(wake);
    });
  }
}

const POLL_INTERVAL_MS = 5;
const QUEUE_FULL_WAIT_MS = 50;

/**
 * The distributed mode's `RecordSink`: produces every record and dead letter of a batch to
 * Kafka (CloudEvents binary binding, one topic per resource family), waits until the broker
 * acknowledged all of them (`acks=all`, idempotent producer), and only then commits the
 * connector state to the `StateStore`. At-least-once: a failed batch is retried whole by the
 * runtime and duplicates are absorbed downstream, where inserts are idempotent on the record id.
 */
export class KafkaRecordSink implements RecordSink {
  readonly name = 'kafka';
  readonly #options: KafkaRecordSinkOptions;
  readonly #logger: StreamLogger;
  readonly #prefix: string;
  #client: ProducerClient | undefined;
  #connecting: Promise<ProducerClient> | undefined;
  #fatal: unknown;

  constructor(options: KafkaRecordSinkOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  }

  /** The librdkafka producer properties this sink uses (defaults, then `librdkafka`). */
  get producerConfig(): LibrdkafkaConfig {
    return hubProducerConfig(this.#options);
  }

  /** Connects the producer. Idempotent; node-rdkafka is loaded here, never at import. */
  async init(): Promise<void> {
    await this.#producer();
  }

  /** Flushes what is still queued, then disconnects. Idempotent. */
  async close(): Promise<void> {
    const pending = this.#connecting;
    this.#connecting = undefined;
    const client = this.#client ?? (await pending?.catch(() => undefined));
    this.#client = undefined;
    if (client === undefined) return;
    try {
      await client.flush(this.#options.deliveryTimeoutMs ?? 60_000);
    } catch (err) {
      this.#logger.warn({ err: describeRdkafkaError(err) }, 'kafka producer flush on close failed');
    }
    await client.disconnect();
  }

  /** `up` when the cluster answers a metadata request within 5 s; never throws. */
  async health(): Promise<ComponentHealth> {
    const client = this.#client;
    if (client === undefined) return { status: 'down', detail: 'not connected' };
    try {
      return { status: 'up', brokers: await client.brokerCount(5000) };
    } catch (err) {
      return { status: 'down', detail: describeRdkafkaError(err) };
    }
  }

  readState(connector: string, stream: string): Promise<unknown> {
    return this.#options.stateStore.get(connector, stream);
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    const client = await this.#producer();
    const stopTimer = sinkBatchSeconds.startTimer({ sink: this.name });
    const messages = [
      ...batch.records.map((record) => encodeRecord(record, batch.connector, this.#prefix)),
      ...batch.deadLetters.map((deadLetter) => encodeDeadLetter(deadLetter, this.#prefix)),
    ];
    const deliveries = new BatchDeliveries();
    let refused: { message: OutgoingMessage; err: unknown } | undefined;
    for (const message of messages) {
      // Once one message failed the batch fails anyway: stop adding to it.
      if (deliveries.failures.length > 0) break;
      const err = await this.#produce(client, message, deliveries);
      if (err !== undefined) {
        refused = { message, err };
        break;
      }
    }
    // Delivery reports reach JavaScript only through poll(); librdkafka fails a message by
    // itself after `message.timeout.ms`, so this loop ends even when the cluster is gone.
    while (!deliveries.settled) {
      client.poll();
      await deliveries.progress(POLL_INTERVAL_MS);
    }
    if (deliveries.queueFullWaits > 0) {
      this.#logger.debug(
        { messages: messages.length, waits: deliveries.queueFullWaits },
        'kafka producer queue was full; the batch waited for room',
      );
    }
    if (refused !== undefined && rdkafkaCode(refused.err) === RdkafkaCode.MSG_SIZE_TOO_LARGE) {
      // Retrying cannot help: this is the record's problem, not the cluster's.
      const { topic, key, value } = refused.message;
      throw new HubError(
        'HUB_ERR_STREAM_MESSAGE_TOO_LARGE',
        { topic, key, bytes: value.length },
        { cause: refused.err },
      );
    }
    const undelivered = messages.length - deliveries.delivered;
    if (undelivered > 0) {
      const first = deliveries.failures[0] ?? refused?.err;
      throw new HubError(
        'HUB_ERR_STREAM_DELIVERY',
        { count: undelivered, reason: describeRdkafkaError(first) },
        { cause: first },
      );
    }
    if (batch.state !== undefined) {
      try {
        await this.#options.stateStore.put(batch.connector, batch.stream, batch.state);
      } catch (cause) {
        throw new HubError(
          'HUB_ERR_STREAM_STATE',
          { connector: batch.connector, stream: batch.stream, reason: String(cause) },
          { cause },
        );
      }
    }
    stopTimer();
    return { written: batch.records.length, deadLettered: batch.deadLetters.length };
  }

  /**
   * Enqueues one message, waiting (never dropping) while librdkafka's local queue is full.
   * Returns the error when librdkafka refuses the message for any other reason.
   */
  async #produce(client: ProducerClient, message: OutgoingMessage, deliveries: BatchDeliveries): Promise<unknown> {
    for (;;) {
      try {
        client.produce(message, deliveries);
        deliveries.enqueued++;
        return undefined;
      } catch (err) {
        if (rdkafkaCode(err) !== RdkafkaCode.QUEUE_FULL) return err;
        // Backpressure: serve delivery reports, wait until some of ours (or time) passes.
        deliveries.queueFullWaits++;
        client.poll();
        await deliveries.progress(QUEUE_FULL_WAIT_MS);
      }
    }
  }

  #producer(): Promise<ProducerClient> {
    if (this.#fatal !== undefined) {
      // A fatal error (e.g. the idempotent producer lost its sequence) leaves the instance
      // unusable: replace it. The failed batch's messages were reported failed, so the
      // runtime retries them.
      const client = this.#client;
      this.#client = undefined;
      this.#connecting = undefined;
      this.#fatal = undefined;
      if (client !== undefined) void client.disconnect().catch(() => undefined);
    }
    if (this.#client !== undefined) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().then(
      (client) => {
        this.#client = client;
        return client;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw err;
      },
    );
    return this.#connecting;
  }

  async #connect(): Promise<ProducerClient> {
    const factory = this.#options.createProducer ?? rdkafkaProducer(this.#options.connectTimeoutMs ?? 10_000);
    const client = factory(this.producerConfig, {
      onDelivery: (err, opaque) => {
        if (opaque instanceof BatchDeliveries) opaque.report(err);
      },
      onError: (err) => {
        if ((err as { isFatal?: boolean } | null)?.isFatal === true) {
          this.#fatal = err;
          this.#logger.error({ err: describeRdkafkaError(err) }, 'kafka producer fatal error');
        } else {
          this.#logger.warn({ err: describeRdkafkaError(err) }, 'kafka producer error');
        }
      },
    });
    try {
      await client.connect();
    } catch (cause) {
      await client.disconnect().catch(() => undefined);
      throw new HubError('HUB_ERR_STREAM_UNAVAILABLE', { reason: describeRdkafkaError(cause) }, { cause });
    }
    return client;
  }
}

/** The default `ProducerFactory`: node-rdkafka's `Producer`, with delivery reports on. */
export function rdkafkaProducer(connectTimeoutMs: number): ProducerFactory {
  return (config, events) => {
    const { Producer } = loadRdkafka();
    const producer = new Producer({ ...config, dr_cb: true } as ConstructorParameters<typeof Producer>[0]);
    producer.on('delivery-report', (err, report) => events.onDelivery(err, report.opaque));
    producer.on('event.error', (err) => events.onError(err));
    return {
      connect: () =>
        new Promise<void>((resolve, reject) => {
          producer.connect({ timeout: connectTimeoutMs }, (err) => (err ? reject(err) : resolve()));
        }),
      produce: (m, opaque) => {
        producer.produce(m.topic, null, m.value, m.key, Date.now(), opaque, m.headers);
      },
      poll: () => {
        producer.poll();
      },
      flush: (timeoutMs) =>
        new Promise<void>((resolve, reject) => {
          producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve()));
        }),
      brokerCount: (timeoutMs) =>
        new Promise<number>((resolve, reject) => {
          producer.getMetadata({ timeout: timeoutMs }, (err, metadata) =>
            err ? reject(err) : resolve(metadata.brokers.length),
          );
        }),
      disconnect: () =>
        new Promise<void>((resolve) => {
          if (!producer.isConnected()) return resolve();
          producer.disconnect(() => resolve());
        }),
    };
  };
}
