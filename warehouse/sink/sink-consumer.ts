import type { LibrdkafkaConfig } from '../kafka/kafka-record-sink.js';
import type { StreamLogger } from '../kafka/logger.js';
import type { IncomingMessage } from '../kafka/messages.js';
import { describeRdkafkaError, loadRdkafka, RdkafkaCode } from '../kafka/rdkafka.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read, i.e. the last processed offset + 1. */
  readonly offset: number;
}

export type RebalanceKind = 'assign' | 'revoke';

/**
 * The few consumer calls the sink makes: a seam so that the batching and commit-order logic can
 * be tested without a broker. The default is node-rdkafka's `KafkaConsumer`.
 */
export interface ConsumerClient {
  connect(): Promise<void>;
  /**
   * Joins the group. `onRebalance` runs before the partitions are assigned or revoked, so the
   * sink can drop what it buffered for partitions it loses; when it returns a promise for a
   * revoke, the partitions are given up only once it settles (the batch in flight is written
   * and committed first).
   */
  subscribe(
    topics: readonly string[],
    onRebalance: (kind: RebalanceKind, partitions: TopicPartition[]) => void | Promise<void>,
  ): void;
  /** Up to `max` messages, waiting at most `timeoutMs` for the first. */
  consume(max: number, timeoutMs: number): Promise<IncomingMessage[]>;
  /** Commits these next-offsets and returns once the group coordinator has them. Throws on failure. */
  commitSync(offsets: readonly TopicPartitionOffset[]): void;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Leaves the group (revoking the assignment) and closes the client. */
  disconnect(): Promise<void>;
}

export type ConsumerFactory = (config: LibrdkafkaConfig, logger: StreamLogger) => ConsumerClient;

/** The default `ConsumerFactory`: node-rdkafka's `KafkaConsumer` with a manual rebalance callback. */
export function rdkafkaConsumer(connectTimeoutMs: number): ConsumerFactory {
  return (config, logger) => {
    const { KafkaConsumer } = loadRdkafka();
    let listener: ((kind: RebalanceKind, partitions: TopicPartition[]) => void | Promise<void>) | undefined;
    const consumer = new KafkaConsumer(
      {
        ...config,
        rebalance_cb(this: InstanceType<typeof KafkaConsumer>, err: { code: number }, assignment: TopicPartition[]) {
          const cooperative = this.rebalanceProtocol() === 'COOPERATIVE';
          try {
            if (err.code === RdkafkaCode.ASSIGN_PARTITIONS) {
              listener?.('assign', assignment);
              if (cooperative) this.incrementalAssign(assignment);
              else this.assign(assignment);
            } else if (err.code === RdkafkaCode.REVOKE_PARTITIONS) {
              const giveUp = () => {
                try {
                  if (cooperative) this.incrementalUnassign(assignment);
                  else this.unassign();
                } catch (e) {
                  if (this.isConnected()) logger.error({ err: describeRdkafkaError(e) }, 'kafka sink rebalance failed');
                }
              };
              // The group waits (up to max.poll.interval.ms) while the batch in flight finishes.
              const pending = listener?.('revoke', assignment);
              if (pending) void pending.then(giveUp, giveUp);
              else giveUp();
            } else {
              logger.error({ err: describeRdkafkaError(err) }, 'kafka sink rebalance error');
              this.unassign();
            }
          } catch (e) {
            // assign/unassign throw once the client is disconnecting; nothing is left to do.
            if (this.isConnected()) logger.error({ err: describeRdkafkaError(e) }, 'kafka sink rebalance failed');
          }
        },
      } as ConstructorParameters<typeof KafkaConsumer>[0],
      { 'auto.offset.reset': 'earliest' },
    );
    consumer.on('event.error', (err) => logger.warn({ err: describeRdkafkaError(err) }, 'kafka consumer error'));
    return {
      connect: () =>
        new Promise<void>((resolve, reject) => {
          consumer.connect({ timeout: connectTimeoutMs }, (err) => (err ? reject(err) : resolve()));
        }),
      subscribe: (topics, onRebalance) => {
        listener = onRebalance;
        consumer.subscribe([...topics]);
      },
      // node-rdkafka waits up to its timeout for *each* message of a `consume(max)`, so a steady
      // trickle (1,000 events/s) kept one call open until `max` arrived: up to a second before
      // the sink saw the first of them. Instead: take what is ready; when nothing is, wait for
      // the first message only, then take what arrived with it without waiting again.
      consume: async (max, timeoutMs) => {
        const take = (n: number, ms: number) =>
          new Promise<IncomingMessage[]>((resolve, reject) => {
            consumer.setDefaultConsumeTimeout(ms);
            consumer.consume(n, (err, messages) => (err ? reject(err) : resolve(messages)));
          });
        const ready = await take(max, 0);
        if (ready.length > 0 || timeoutMs <= 0) return ready;
        const first = await take(1, timeoutMs);
        if (first.length === 0 || max <= 1) return first;
        return first.concat(await take(max - 1, 0));
      },
      commitSync: (offsets) => {
        consumer.commitSync(offsets.map((o) => ({ ...o })));
      },
      pause: (partitions) => {
        consumer.pause(partitions.map((p) => ({ ...p })));
      },
      resume: (partitions) => {
        consumer.resume(partitions.map((p) => ({ ...p })));
      },
      disconnect: () =>
        new Promise<void>((resolve) => {
          if (!consumer.isConnected()) return resolve();
          consumer.disconnect(() => resolve());
        }),
    };
  };
}
