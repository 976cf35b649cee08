import { HubError } from '../../core/errors/index.js';
import {
  hubProducerConfig,
  type LibrdkafkaConfig,
  type ProducerClient,
  type ProducerFactory,
  rdkafkaProducer,
} from '../kafka/kafka-record-sink.js';
import type { StreamLogger } from '../kafka/logger.js';
import type { OutgoingMessage } from '../kafka/messages.js';
import { describeRdkafkaError, RdkafkaCode, rdkafkaCode } from '../kafka/rdkafka.js';

/** One message to dead-letter, and what to send instead if Kafka finds it too large. */
export interface DeadLetterMessage {
  readonly message: OutgoingMessage;
  readonly smaller?: () => OutgoingMessage;
}

export interface DeadLetterProducerOptions {
  readonly brokers: string | readonly string[];
  readonly clientId: string;
  /** librdkafka `message.timeout.ms`: the longest one `send` waits on an unreachable cluster. */
  readonly deliveryTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly librdkafka?: LibrdkafkaConfig;
  readonly createProducer?: ProducerFactory;
  readonly logger: StreamLogger;
}

/** The delivery reports of one `send`, by message index. */
class Round {
  readonly errors = new Map<number, unknown>();
  reported = 0;
  #wake: (() => void) | undefined;

  constructor(readonly size: number) {}

  report(index: number, err: unknown): void {
    this.reported++;
    if (err) this.errors.set(index, err);
    this.#wake?.();
  }

  get settled(): boolean {
    return this.reported >= this.size;
  }

  progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

interface Opaque {
  readonly round: Round;
  readonly index: number;
}

const POLL_INTERVAL_MS = 5;
const QUEUE_FULL_WAIT_MS = 50;

/**
 * The sink's producer to the dead-letter topic: the hub's producer settings (idempotent,
 * `acks=all`), one `send` at a time, each resolving only once the broker acknowledged every
 * message (delivery reports), so the sink commits a poison message's offset after its dead
 * letter is durable.
 */
export class DeadLetterProducer {
  readonly #options: DeadLetterProducerOptions;
  #client: ProducerClient | undefined;
  #fatal: unknown;

  constructor(options: DeadLetterProducerOptions) {
    this.#options = options;
  }

  get config(): LibrdkafkaConfig {
    const o = this.#options;
    return hubProducerConfig({
      brokers: o.brokers,
      clientId: o.clientId,
      lingerMs: 5,
      deliveryTimeoutMs: o.deliveryTimeoutMs,
      ...(o.librdkafka === undefined ? {} : { librdkafka: o.librdkafka }),
    });
  }

  /** Connects (node-rdkafka is loaded here); throws `HUB_ERR_STREAM_UNAVAILABLE`. */
  async connect(): Promise<void> {
    if (this.#client !== undefined) return;
    const factory = this.#options.createProducer ?? rdkafkaProducer(this.#options.connectTimeoutMs);
    const client = factory(this.config, {
      onDelivery: (err, opaque) => {
        const o = opaque as Opaque | null | undefined;
        if (o?.round instanceof Round) o.round.report(o.index, err);
      },
      onError: (err) => {
        if ((err as { isFatal?: boolean } | null)?.isFatal === true) {
          this.#fatal = err;
          this.#options.logger.error({ err: describeRdkafkaError(err) }, 'kafka sink dead-letter producer fatal error');
        } else {
          this.#options.logger.warn({ err: describeRdkafkaError(err) }, 'kafka sink dead-letter producer error');
        }
      },
    });
    try {
      await client.connect();
    } catch (cause) {
      await client.disconnect().catch(() => undefined);
      throw new HubError('HUB_ERR_STREAM_UNAVAILABLE', { reason: describeRdkafkaError(cause) }, { cause });
    }
    this.#client = client;
  }

  /**
   * Produces the messages and waits for every delivery report. Resolves with those the broker
   * did not acknowledge (empty when all are durable), to be sent again; never drops one.
   */
  async send(items: readonly DeadLetterMessage[]): Promise<{ failed: DeadLetterMessage[]; error?: unknown }> {
    if (this.#fatal !== undefined) {
      // A fatal error (the idempotent producer lost its sequence) leaves the client unusable.
      const old = this.#client;
      this.#client = undefined;
      this.#fatal = undefined;
      await old?.disconnect().catch(() => undefined);
    }
    await this.connect();
    const client = this.#client as ProducerClient;
    const round = new Round(items.length);
    const failed: DeadLetterMessage[] = [];
    let error: unknown;
    for (const [index, item] of items.entries()) {
      let message = item.message;
      for (;;) {
        try {
          client.produce(message, { round, index } satisfies Opaque);
          break;
        } catch (err) {
          const code = rdkafkaCode(err);
          if (code === RdkafkaCode.QUEUE_FULL) {
            client.poll();
            await round.progress(QUEUE_FULL_WAIT_MS);
          } else if (
            code === RdkafkaCode.MSG_SIZE_TOO_LARGE &&
            item.smaller !== undefined &&
            message === item.message
          ) {
            message = item.smaller();
          } else {
            error ??= err;
            failed.push(item);
            round.report(index, err);
            break;
          }
        }
      }
    }
    while (!round.settled) {
      client.poll();
      await round.progress(POLL_INTERVAL_MS);
    }
    for (const [index, err] of round.errors) {
      const item = items[index] as DeadLetterMessage;
      if (failed.includes(item)) continue;
      error ??= err;
      failed.push(item);
    }
    return error === undefined ? { failed } : { failed, error };
  }

  /** Flushes what is queued, then disconnects. Idempotent. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    try {
      await client.flush(this.#options.deliveryTimeoutMs);
    } catch (err) {
      this.#options.logger.warn({ err: describeRdkafkaError(err) }, 'kafka sink dead-letter producer flush failed');
    }
    await client.disconnect();
  }
}
