import { setTimeout as sleep } from 'node:timers/promises';
import { HubError, isHubError } from '../../core/errors/index.js';
import { sinkBatchSeconds } from '../../core/observability/metrics.js';
import type { CanonicalResource, DeadLetter, WarehouseWriter } from '../../core/ports/index.js';
import { recordFreshness } from '../freshness.js';
import type { LibrdkafkaConfig, ProducerFactory } from '../kafka/kafka-record-sink.js';
import { type StreamLogger, silentLogger } from '../kafka/logger.js';
import { decodeMessage, encodeSinkDeadLetter, type IncomingMessage } from '../kafka/messages.js';
import { brokerList, describeRdkafkaError } from '../kafka/rdkafka.js';
import { DEFAULT_TOPIC_PREFIX, deadLetterTopic, hubTopics } from '../kafka/topics.js';
import { type DeadLetterMessage, DeadLetterProducer } from './dead-letter-producer.js';
import {
  type ConsumerClient,
  type ConsumerFactory,
  type RebalanceKind,
  rdkafkaConsumer,
  type TopicPartition,
  type TopicPartitionOffset,
} from './sink-consumer.js';

export interface KafkaSinkOptions {
  /** Bootstrap brokers, `host:port` (a list, or one comma-separated string). Required. */
  readonly brokers: string | readonly string[];
  /** Consumer group: every hub process with the same group shares the partitions. Required. */
  readonly groupId: string;
  /**
   * Where records and dead letters go. Inserts must be idempotent on the record id, and a
   * writer feeding real-time aggregates must also drop movement ids it stored before
   * (ClickHouseWarehouse.insertRecords does). Required.
   */
  readonly writer: WarehouseWriter;
  /** Topics to read. Default: every hub topic under `topicPrefix`. */
  readonly topics?: readonly string[];
  /** Prefix of the hub topics, used only when `topics` is not given. Default `hub.`. */
  readonly topicPrefix?: string;
  /** A batch is written once it holds this many messages… Default 10000. */
  readonly batchSize?: number;
  /**
   * …or this many bytes of messages (values, keys and headers)… Default 4 MiB. With the batch
   * in flight and the next one (fetching pauses while it is full), this bounds what the sink
   * holds in memory, whatever the backlog.
   */
  readonly batchBytes?: number;
  /** …or once its oldest message waited this long (ms). Default 50. */
  readonly batchMs?: number;
  /** First retry delay after a failed write (ms); doubles up to `retryMaxMs`. Default 100. */
  readonly retryInitialMs?: number;
  /** Longest retry delay (ms): also the longest the sink lags behind a warehouse back up. Default 5000. */
  readonly retryMaxMs?: number;
  /** librdkafka `client.id`. Default `reserve-hub-sink`. */
  readonly clientId?: string;
  /** How long `startKafkaSink` waits for the cluster's metadata. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Extra librdkafka consumer properties (security, tuning), applied over the defaults. */
  readonly librdkafka?: LibrdkafkaConfig;
  /**
   * Where poison messages and refused records are produced. Default `deadLetterTopic(topicPrefix)`.
   * The sink never stores or re-sends what it reads back from this topic as its own dead letters.
   */
  readonly deadLetterTopic?: string;
  /**
   * Extra librdkafka properties of the dead-letter producer (security, tuning), applied over the
   * hub's producer defaults (idempotent, `acks=all`). `librdkafka` is for the consumer only.
   */
  readonly producerLibrdkafka?: LibrdkafkaConfig;
  /** The dead-letter producer's `message.timeout.ms`: how long one attempt waits for the broker. Default 30000. */
  readonly deliveryTimeoutMs?: number;
  /** Default: silent. */
  readonly logger?: StreamLogger;
  /** Builds the consumer. Default: node-rdkafka's `KafkaConsumer`. Override in tests. */
  readonly createConsumer?: ConsumerFactory;
  /** Builds the dead-letter producer. Default: node-rdkafka's `Producer`. Override in tests. */
  readonly createProducer?: ProducerFactory;
}

export interface KafkaSinkStats {
  /** Messages read from Kafka (redeliveries included). */
  readonly consumed: number;
  /** Records acknowledged by the writer. */
  readonly records: number;
  /** Dead letters acknowledged by the writer: dead-letter messages, poison messages, refused records. */
  readonly deadLetters: number;
  /** Messages that could not be decoded (each also counted in `deadLetters` once written). */
  readonly poison: number;
  /** Dead letters produced to the dead-letter topic and acknowledged by the broker. */
  readonly deadLettersProduced: number;
  /** The sink's own dead letters read back from the dead-letter topic: committed, never stored again. */
  readonly ownDeadLettersSkipped: number;
  /** Batches written and committed. */
  readonly batches: number;
  /** Writer calls retried after an error. */
  readonly retries: number;
  readonly commitFailures: number;
  /** Messages read but not yet handed to the writer. */
  readonly buffered: number;
  /** Messages handed to the writer whose offsets are not committed yet. */
  readonly inFlight: number;
  readonly paused: boolean;
  readonly assignment: readonly TopicPartition[];
  /** RFC 3339 time of the last successful commit. */
  readonly lastCommitAt: string | null;
  readonly lastError: string | null;
}

export interface KafkaSink {
  /** Stops reading, finishes and commits the batch in flight, then leaves the group. Idempotent. */
  stop(): Promise<void>;
  stats(): KafkaSinkStats;
}

/**
 * Starts the distributed mode's sink: a consumer group member that reads the hub topics,
 * decodes the CloudEvents, writes records and dead letters to the warehouse in batches, and
 * commits offsets only after the writer acknowledged them. A poison message, or a record the
 * warehouse refuses as bad data, is also produced to the dead-letter topic (its reasons and
 * original bytes, `SINK_DEAD_LETTER_EVENT_TYPE`), and its offset is committed only once the
 * broker acknowledged that dead letter. Connector dead letters read from that topic are stored;
 * the sink's own are recognised and skipped, so nothing loops. At-least-once: anything not
 * committed is read again after a crash or a rebalance, and the writer's inserts are
 * idempotent on the record id. For movements the ClickHouse writer looks the ids up before
 * inserting, which is exact as long as one id is written by one member at a time: a movement
 * is keyed by its stock line, so all its copies share a partition, and a member writes one
 * batch at a time; a revoked partition is given up only after its batch in flight is written
 * and committed (`#rebalance`). What remains is a member the group presumed dead (past its
 * session timeout) that is still writing (docs/kpis.md, stock_on_hand_live).
 *
 * Resolves once connected and subscribed; throws `HUB_ERR_STREAM_UNAVAILABLE` if the
 * cluster cannot be reached.
 */
export async function startKafkaSink(options: KafkaSinkOptions): Promise<KafkaSink> {
  const logger = options.logger ?? silentLogger;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const factory = options.createConsumer ?? rdkafkaConsumer(connectTimeoutMs);
  const consumer = factory(sinkConsumerConfig(options), logger);
  const producer = new DeadLetterProducer({
    brokers: options.brokers,
    clientId: `${options.clientId ?? 'reserve-hub-sink'}-dead-letters`,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 30_000,
    connectTimeoutMs,
    logger,
    ...(options.producerLibrdkafka === undefined ? {} : { librdkafka: options.producerLibrdkafka }),
    ...(options.createProducer === undefined ? {} : { createProducer: options.createProducer }),
  });
  try {
    await consumer.connect();
    await producer.connect();
  } catch (cause) {
    await consumer.disconnect().catch(() => undefined);
    await producer.close().catch(() => undefined);
    if (isHubError(cause)) throw cause;
    throw new HubError('HUB_ERR_STREAM_UNAVAILABLE', { reason: describeRdkafkaError(cause) }, { cause });
  }
  const runner = new SinkRunner(consumer, producer, options, logger);
  runner.start(options.topics ?? hubTopics(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX).map((t) => t.name));
  return { stop: () => runner.stop(), stats: () => runner.stats() };
}

/** The librdkafka consumer properties of the sink (defaults, then `librdkafka`). */
export function sinkConsumerConfig(options: KafkaSinkOptions): LibrdkafkaConfig {
  return {
    'metadata.broker.list': brokerList(options.brokers),
    'group.id': options.groupId,
    'client.id': options.clientId ?? 'reserve-hub-sink',
    // Offsets are committed by hand, after the writer acknowledged the batch.
    'enable.auto.commit': false,
    'auto.offset.reset': 'earliest',
    // Splits each topic's partitions across the members, so the heavy stock-movements topic
    // is shared. cooperative-sticky balances partition counts over all topics together, and
    // was seen handing a new member only the quiet topics while one member kept every movement.
    'partition.assignment.strategy': 'range',
    'enable.partition.eof': false,
    'socket.keepalive.enable': true,
    // A member that died without leaving (SIGKILL, OOM) holds its partitions until its session
    // expires; librdkafka's 45 s default stalled a restarted sink that long. Polling never
    // stops, even while the warehouse is down, so a short session is safe.
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 2_000,
    // librdkafka prefetches up to 64 MiB and 100,000 messages per partition by default, on top
    // of what the sink buffers itself: with a backlog, ~50 MB of its memory (plus the
    // decompression buffers). 2 MiB refetched in a few ms keep it fed: a batch write takes
    // longer than that, and fetching pauses meanwhile once the next batch is full.
    'queued.max.messages.kbytes': 2_048,
    'queued.min.messages': 2_000,
    'fetch.max.bytes': 2_097_152,
    ...options.librdkafka,
  };
}

/**
 * One consumed message, decoded. `message` is kept (until the batch is committed) so that a
 * poison message or a refused record goes to the dead-letter topic with its original bytes.
 * `bytes` is its size as counted against `batchBytes`.
 */
type Item =
  | {
      readonly kind: 'record';
      readonly record: CanonicalResource;
      readonly at: TopicPartitionOffset;
      readonly message: IncomingMessage;
      readonly bytes: number;
    }
  | {
      readonly kind: 'dead-letter';
      readonly deadLetter: DeadLetter;
      readonly at: TopicPartitionOffset;
      /** Set for a poison message to produce to the dead-letter topic; unset for a connector's dead letter. */
      readonly poison?: IncomingMessage;
      readonly bytes: number;
    }
  /** The sink's own dead letter read back: only its offset is committed. */
  | { readonly kind: 'skip'; readonly at: TopicPartitionOffset; readonly bytes: number };

/**
 * What the sink keeps of a consumed message: its coordinates, key, value and headers, the
 * header values (and a Buffer key) as the UTF-8 text they are read as anyway. node-rdkafka
 * hands each header value over in a Buffer of its own; a batch in flight plus the next one hold
 * tens of thousands of messages, and those small Buffers were most of their weight. The value
 * stays the Buffer it came in: dead letters carry it byte for byte. `bytes` counts the value,
 * key and header texts.
 */
function keptMessage(message: IncomingMessage): { message: IncomingMessage; bytes: number } {
  let bytes = message.value?.length ?? 0;
  const key = message.key === null || message.key === undefined ? message.key : message.key.toString();
  if (typeof key === 'string') bytes += key.length;
  const headers: Array<Record<string, string>> = [];
  for (const header of message.headers ?? []) {
    const text: Record<string, string> = {};
    for (const name in header) {
      const value = (header[name] as Buffer | string).toString();
      text[name] = value;
      bytes += name.length + value.length;
    }
    headers.push(text);
  }
  const kept: IncomingMessage = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    value: message.value,
    ...(key === undefined ? {} : { key }),
    ...(message.headers === undefined ? {} : { headers }),
  };
  return { message: kept, bytes };
}

type RecordItem = Extract<Item, { kind: 'record' }>;

class Stopped extends Error {}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/** The sink's loop: read, buffer, write one batch at a time, commit. */
class SinkRunner {
  readonly #consumer: ConsumerClient;
  readonly #producer: DeadLetterProducer;
  readonly #deadLetterTopic: string;
  readonly #writer: WarehouseWriter;
  readonly #logger: StreamLogger;
  readonly #batchSize: number;
  readonly #batchBytes: number;
  readonly #batchMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #assignment = new Map<string, TopicPartition>();
  #buffer: Item[] = [];
  /** Sum of the buffered items' `bytes`. */
  #bufferBytes = 0;
  #bufferSince = 0;
  #flushing: Promise<void> | undefined;
  /** Partitions being revoked: owned until the batch in flight is committed, but no longer read. */
  readonly #revoking = new Set<string>();
  #inFlight = 0;
  #paused = false;
  #stopping = false;
  #unacknowledged = false;
  // Cuts a retry's backoff short when the sink stops.
  readonly #stopSignal = new AbortController();
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #counts = {
    consumed: 0,
    records: 0,
    deadLetters: 0,
    poison: 0,
    deadLettersProduced: 0,
    ownDeadLettersSkipped: 0,
    batches: 0,
    retries: 0,
    commitFailures: 0,
  };
  #lastCommitAt: string | null = null;
  #lastError: string | null = null;
  /** Freshness rows being stored (`recordFreshness` never rejects). */
  readonly #observing = new Set<Promise<void>>();

  constructor(consumer: ConsumerClient, producer: DeadLetterProducer, options: KafkaSinkOptions, logger: StreamLogger) {
    this.#consumer = consumer;
    this.#producer = producer;
    this.#deadLetterTopic = options.deadLetterTopic ?? deadLetterTopic(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
    this.#writer = options.writer;
    this.#logger = logger;
    this.#batchSize = options.batchSize ?? 10_000;
    this.#batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.#batchMs = options.batchMs ?? 50;
    this.#retryInitialMs = options.retryInitialMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
  }

  start(topics: readonly string[]): void {
    this.#consumer.subscribe(topics, (kind, partitions) => this.#rebalance(kind, partitions));
    this.#loop = this.#run();
  }

  stats(): KafkaSinkStats {
    return {
      ...this.#counts,
      buffered: this.#buffer.length,
      inFlight: this.#inFlight,
      paused: this.#paused,
      assignment: [...this.#assignment.values()],
      lastCommitAt: this.#lastCommitAt,
      lastError: this.#lastError,
    };
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#stopSignal.abort();
      await this.#loop;
      await this.#flushing;
      // What was read but not yet written gets one attempt, a batch at a time (each within
      // `batchBytes`); if one fails, it and the rest are read again by whoever owns the
      // partitions next.
      while (this.#buffer.length > 0 && !this.#unacknowledged) await this.#flush(this.#takeBuffer(this.#batchSize));
      await Promise.all(this.#observing);
      // Every dead letter of a committed batch was acknowledged already: this only drains.
      await this.#producer.close();
      await this.#consumer.disconnect();
    })();
    return this.#stopped;
  }

  async #run(): Promise<void> {
    let backoff = this.#retryInitialMs;
    // Short waits keep the time-based flush on schedule and keep polling while paused, so the
    // group never sees this member as stuck even when the writer is down for minutes.
    const wait = Math.max(10, Math.min(100, Math.floor(this.#batchMs / 2)));
    while (!this.#stopping) {
      let messages: IncomingMessage[];
      try {
        const room = this.#full() ? 0 : this.#batchSize - this.#buffer.length;
        messages = await this.#consumer.consume(room > 0 ? Math.min(room, 1000) : 1, wait);
        backoff = this.#retryInitialMs;
      } catch (err) {
        this.#lastError = describeRdkafkaError(err);
        this.#logger.warn({ err: this.#lastError }, 'kafka sink consume failed');
        await sleep(backoff, undefined, { signal: this.#stopSignal.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.#retryMaxMs);
        continue;
      }
      for (const message of messages) this.#accept(message);
      this.#maybeFlush();
    }
  }

  #accept(consumed: IncomingMessage): void {
    const at = { topic: consumed.topic, partition: consumed.partition, offset: consumed.offset };
    // A consume call that straddled a revoke can still return messages of lost partitions.
    if (!this.#assignment.has(tpKey(at)) || this.#revoking.has(tpKey(at))) return;
    this.#counts.consumed++;
    if (this.#buffer.length === 0) this.#bufferSince = Date.now();
    const { message, bytes } = keptMessage(consumed);
    this.#bufferBytes += bytes;
    const decoded = decodeMessage(message, { deadLetterTopic: this.#deadLetterTopic });
    if (decoded.kind === 'record') this.#buffer.push({ kind: 'record', record: decoded.record, at, message, bytes });
    else if (decoded.kind === 'sink-dead-letter') this.#buffer.push({ kind: 'skip', at, bytes });
    else if (decoded.kind === 'dead-letter')
      this.#buffer.push({ kind: 'dead-letter', deadLetter: decoded.deadLetter, at, bytes });
    else {
      this.#counts.poison++;
      this.#logger.warn(
        { topic: at.topic, partition: at.partition, offset: at.offset, reason: decoded.deadLetter.errors[0]?.message },
        'kafka sink: invalid message sent to dead letters',
      );
      // Poison read from the dead-letter topic itself is stored, not sent back there: a loop.
      const resend = at.topic !== this.#deadLetterTopic;
      this.#buffer.push({
        kind: 'dead-letter',
        deadLetter: decoded.deadLetter,
        at,
        bytes,
        ...(resend ? { poison: message } : {}),
      });
    }
  }

  /** The buffer holds a whole batch (by count or by bytes). */
  #full(): boolean {
    return this.#buffer.length >= this.#batchSize || this.#bufferBytes >= this.#batchBytes;
  }

  /** Removes the next batch from the buffer: up to `max` items, `batchBytes` at most (one item at least). */
  #takeBuffer(max: number): Item[] {
    let n = 0;
    let bytes = 0;
    while (n < max && n < this.#buffer.length) {
      const next = (this.#buffer[n] as Item).bytes;
      if (n > 0 && bytes + next > this.#batchBytes) break;
      bytes += next;
      n++;
    }
    this.#bufferBytes -= bytes;
    return this.#buffer.splice(0, n);
  }

  #maybeFlush(): void {
    if (this.#stopping || this.#buffer.length === 0) return;
    if (this.#flushing !== undefined) {
      // One batch is written at a time; when the next one is full too, stop fetching.
      if (this.#full() && !this.#paused) this.#setPaused(true);
      return;
    }
    if (!this.#full() && Date.now() - this.#bufferSince < this.#batchMs) return;
    const batch = this.#takeBuffer(this.#batchSize);
    this.#bufferSince = Date.now();
    this.#flushing = this.#flush(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#paused) this.#setPaused(false);
      // What arrived during the write may be due already: no need to wait for the next poll.
      this.#maybeFlush();
    });
  }

  /**
   * Writes a batch until the writer acknowledges it, then commits its offsets. Never throws:
   * a batch left unacknowledged (the sink stopping, or an unexpected error, which also halts
   * the sink) blocks every later commit.
   */
  async #flush(batch: Item[]): Promise<void> {
    this.#inFlight = batch.length;
    const stopTimer = sinkBatchSeconds.startTimer({ sink: 'kafka-sink' });
    try {
      const recordItems: RecordItem[] = [];
      const deadLetters: DeadLetter[] = [];
      const toTopic: DeadLetterMessage[] = [];
      let skipped = 0;
      for (const item of batch) {
        if (item.kind === 'record') recordItems.push(item);
        else if (item.kind === 'dead-letter') {
          deadLetters.push(item.deadLetter);
          if (item.poison !== undefined) toTopic.push(this.#deadLetterMessage(item.poison, item.deadLetter));
        } else skipped++;
      }
      const records = recordItems.map((item) => item.record);
      const refusedItems = recordItems.length > 0 ? await this.#insertRecords(recordItems) : [];
      const refused = refusedItems.map((r) => r.deadLetter);
      // Measured now (the records are acknowledged); stored while the next batch is written,
      // rather than as one more round trip before this commit. `stop()` waits for it.
      this.#observe(recordFreshness('kafka-sink', this.#writer, records, refused));
      for (const r of refusedItems) toTopic.push(this.#deadLetterMessage(r.item.message, r.deadLetter));
      // Both before the commit: the topic (for whoever replays dead letters) and the table
      // (what `/v1/dead-letters` reads). A redelivery sends and stores them again, same ids.
      if (toTopic.length > 0) await this.#produceDeadLetters(toTopic);
      const allDeadLetters = [...deadLetters, ...refused];
      if (allDeadLetters.length > 0) {
        await this.#retrying(() => this.#writer.insertDeadLetters(allDeadLetters), false);
      }
      this.#counts.records += records.length - refused.length;
      this.#counts.deadLetters += allDeadLetters.length;
      this.#counts.ownDeadLettersSkipped += skipped;
      this.#commit(batch);
      this.#counts.batches++;
      stopTimer();
    } catch (err) {
      // Not committed: the batch is read again by whoever owns its partitions next. Nothing
      // after it may be committed either, or the commit would skip over it.
      this.#unacknowledged = true;
      if (err instanceof Stopped) {
        this.#logger.info({ messages: batch.length }, 'kafka sink stopped before its batch was acknowledged');
      } else {
        this.#stopping = true;
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#logger.error({ err: this.#lastError, messages: batch.length }, 'kafka sink batch failed; sink halted');
      }
    } finally {
      this.#inFlight = 0;
    }
  }

  #observe(observation: Promise<void>): void {
    const settled = observation.catch(() => undefined).finally(() => this.#observing.delete(settled));
    this.#observing.add(settled);
  }

  /** A dead letter for the dead-letter topic: the original message, its reasons, its bytes. */
  #deadLetterMessage(message: IncomingMessage, deadLetter: DeadLetter): DeadLetterMessage {
    const encode = (omitPayload: boolean) =>
      encodeSinkDeadLetter(message, deadLetter.errors, deadLetter.failedAt, this.#deadLetterTopic, omitPayload);
    return { message: encode(false), smaller: () => encode(true) };
  }

  /**
   * Produces dead letters until the broker acknowledged every one (delivery reports), sending
   * again only those that failed, with the writer's backoff. Stopping ends it with `Stopped`.
   */
  async #produceDeadLetters(messages: DeadLetterMessage[]): Promise<void> {
    let pending = messages;
    await this.#retrying(
      async () => {
        const { failed, error } = await this.#producer.send(pending);
        this.#counts.deadLettersProduced += pending.length - failed.length;
        pending = failed;
        if (failed.length > 0) {
          throw new HubError(
            'HUB_ERR_STREAM_DELIVERY',
            { count: failed.length, reason: describeRdkafkaError(error) },
            { cause: error },
          );
        }
      },
      false,
      'dead-letter produce',
    );
  }

  /**
   * Inserts records; when the writer refuses some as bad data (a `HubError` of kind `data`),
   * halves the batch until each refused record is alone, and returns those as dead letters so
   * the rest still lands and the sink moves on.
   */
  async #insertRecords(items: RecordItem[]): Promise<{ item: RecordItem; deadLetter: DeadLetter }[]> {
    try {
      const records = items.map((item) => item.record);
      await this.#retrying(() => this.#writer.insertRecords(records), true);
      return [];
    } catch (err) {
      if (!(isHubError(err) && err.kind === 'data')) throw err;
      if (items.length === 1) {
        const item = items[0] as RecordItem;
        return [{ item, deadLetter: refusedRecord(item.record, err) }];
      }
      const half = Math.ceil(items.length / 2);
      return [...(await this.#insertRecords(items.slice(0, half))), ...(await this.#insertRecords(items.slice(half)))];
    }
  }

  /**
   * Calls the writer until it succeeds. Transient errors and errors without a known kind are
   * retried with exponential backoff (a missing table or a bug must not turn every record
   * into a dead letter); with `isolateData`, `data` errors are rethrown for the caller to
   * isolate (dead letters themselves have nowhere else to go, so they are retried). Once the sink
   * is stopping, a failure ends with `Stopped` and nothing is committed.
   */
  async #retrying<T>(call: () => Promise<T>, isolateData: boolean, what = 'warehouse write'): Promise<T> {
    let delay = this.#retryInitialMs;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (isolateData && isHubError(err) && err.kind === 'data') throw err;
        this.#lastError = err instanceof Error ? err.message : String(err);
        const fields = { err: this.#lastError, code: isHubError(err) ? err.code : undefined, retryInMs: delay };
        if (isHubError(err) && err.kind === 'transient')
          this.#logger.warn(fields, `kafka sink: ${what} failed, retrying`);
        else this.#logger.error(fields, `kafka sink: ${what} failed, retrying`);
        if (this.#stopping) throw new Stopped();
        this.#counts.retries++;
        await sleep(delay * (0.8 + Math.random() * 0.4), undefined, { signal: this.#stopSignal.signal }).catch(() => {
          throw new Stopped();
        });
        delay = Math.min(delay * 2, this.#retryMaxMs);
      }
    }
  }

  /** Commits offset + 1 of each partition's last message, for partitions this member still owns. */
  #commit(batch: readonly Item[]): void {
    if (this.#unacknowledged) return;
    const next = new Map<string, TopicPartitionOffset>();
    for (const { at } of batch) {
      const key = tpKey(at);
      if (!this.#assignment.has(key)) continue;
      const seen = next.get(key);
      if (seen === undefined || seen.offset <= at.offset) next.set(key, { ...at, offset: at.offset + 1 });
    }
    if (next.size === 0) return;
    try {
      this.#consumer.commitSync([...next.values()]);
      this.#lastCommitAt = new Date().toISOString();
    } catch (err) {
      // The records are durable; an uncommitted offset only means they are read (and
      // idempotently written) again. A later commit of the same partitions covers this one.
      this.#counts.commitFailures++;
      this.#lastError = describeRdkafkaError(err);
      this.#logger.warn({ err: this.#lastError }, 'kafka sink offset commit failed');
    }
  }

  #rebalance(kind: RebalanceKind, partitions: readonly TopicPartition[]): void | Promise<void> {
    this.#logger.info({ kind, partitions: partitions.map((p) => `${p.topic}/${p.partition}`) }, 'kafka sink rebalance');
    if (kind === 'assign') {
      for (const p of partitions) this.#assignment.set(tpKey(p), { topic: p.topic, partition: p.partition });
      if (this.#paused) this.#consumer.pause(partitions);
      return;
    }
    const revoked = new Set(partitions.map(tpKey));
    // Not written yet, and the next owner starts from the last commit: drop, do not write.
    // Messages of these partitions still arriving are ignored from now on (`#revoking`).
    for (const key of revoked) this.#revoking.add(key);
    this.#buffer = this.#buffer.filter((item) => !revoked.has(tpKey(item.at)));
    this.#bufferBytes = this.#buffer.reduce((sum, item) => sum + item.bytes, 0);
    const giveUp = () => {
      for (const key of revoked) {
        this.#assignment.delete(key);
        this.#revoking.delete(key);
      }
    };
    // A batch already handed to the writer is finished and committed before the partitions go:
    // the next owner starts after it, and never writes the same movements at the same time
    // (which could slip past both writers' movement-id lookups).
    if (this.#flushing === undefined) return giveUp();
    return this.#flushing.catch(() => {}).then(giveUp);
  }

  #setPaused(paused: boolean): void {
    const partitions = [...this.#assignment.values()];
    try {
      if (paused) this.#consumer.pause(partitions);
      else this.#consumer.resume(partitions);
      this.#paused = paused;
    } catch (err) {
      this.#logger.warn({ err: describeRdkafkaError(err), paused }, 'kafka sink pause/resume failed');
    }
  }
}

/** A record the warehouse refused as bad data, kept as a dead letter with the writer's reason. */
function refusedRecord(record: CanonicalResource, err: { code: string; message: string }): DeadLetter {
  const lineage = record.meta?.lineage;
  return {
    connector: lineage?.connector ?? 'kafka-sink',
    stream: 'warehouse',
    sourceId: lineage?.sourceId ?? record.id,
    resourceType: record.resourceType,
    errors: [{ pointer: '', code: err.code, message: err.message }],
    payload: record,
    failedAt: new Date().toISOString(),
  };
}
