import type { MigrationStepResult } from '../../core/ports/index.js';
import type { LibrdkafkaConfig } from './kafka-record-sink.js';
import { brokerList, describeRdkafkaError, loadRdkafka, RdkafkaCode, rdkafkaCode } from './rdkafka.js';
import { DEFAULT_EVENT_RETENTION_MS, DEFAULT_TOPIC_PREFIX, hubTopics, type TopicSpec } from './topics.js';

export interface EnsureTopicsOptions {
  /** Bootstrap brokers, `host:port` (a list, or one comma-separated string). Required. */
  readonly brokers: string | readonly string[];
  /** Prefix of every topic name, separator included. Default `hub.`. */
  readonly topicPrefix?: string;
  /** Partitions per topic: the most sink processes that can share the load. Default 6. */
  readonly partitions?: number;
  /** Replicas per partition. Default -1: the broker's `default.replication.factor`. */
  readonly replicationFactor?: number;
  /** `retention.ms` of the event topics (stock movements, dead letters). Default 7 days. */
  readonly eventRetentionMs?: number;
  /** Per topic. Default 15000. */
  readonly timeoutMs?: number;
  /** Extra librdkafka properties (security). */
  readonly librdkafka?: LibrdkafkaConfig;
}

/**
 * Creates the hub topics that do not exist yet: entity topics compacted (the latest version
 * of each id is kept), event topics with a retention period. Idempotent: an existing topic is
 * `skipped` and left as it is (its settings are not altered). Returns one step per topic and
 * never throws; a failed step carries the reason.
 */
export async function ensureTopics(options: EnsureTopicsOptions): Promise<MigrationStepResult[]> {
  const topics = hubTopics(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  let admin: ReturnType<ReturnType<typeof loadRdkafka>['AdminClient']['create']>;
  try {
    admin = loadRdkafka().AdminClient.create({
      'metadata.broker.list': brokerList(options.brokers),
      'client.id': 'reserve-hub-migrate',
      ...options.librdkafka,
    } as Parameters<ReturnType<typeof loadRdkafka>['AdminClient']['create']>[0]);
  } catch (err) {
    return topics.map((t) => ({ name: stepName(t), status: 'failed', ms: 0, error: describeRdkafkaError(err) }));
  }
  const results: MigrationStepResult[] = [];
  let unreachable: string | undefined;
  try {
    for (const topic of topics) {
      if (unreachable !== undefined) {
        // One timeout means the cluster is not answering: do not wait once more per topic.
        results.push({ name: stepName(topic), status: 'failed', ms: 0, error: unreachable });
        continue;
      }
      const started = performance.now();
      const error = await new Promise<unknown>((resolve) => {
        admin.createTopic(
          {
            topic: topic.name,
            num_partitions: options.partitions ?? 6,
            replication_factor: options.replicationFactor ?? -1,
            config:
              topic.kind === 'entity'
                ? { 'cleanup.policy': 'compact' }
                : {
                    'cleanup.policy': 'delete',
                    'retention.ms': String(options.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS),
                  },
          },
          options.timeoutMs ?? 15_000,
          (err) => resolve(err),
        );
      });
      const ms = Math.round(performance.now() - started);
      if (!error) results.push({ name: stepName(topic), status: 'applied', ms });
      else if (rdkafkaCode(error) === RdkafkaCode.TOPIC_ALREADY_EXISTS) {
        results.push({ name: stepName(topic), status: 'skipped', ms });
      } else {
        results.push({ name: stepName(topic), status: 'failed', ms, error: describeRdkafkaError(error) });
        if (rdkafkaCode(error) === RdkafkaCode.TIMED_OUT) unreachable = describeRdkafkaError(error);
      }
    }
  } finally {
    admin.disconnect();
  }
  return results;
}

const stepName = (topic: TopicSpec): string => `kafka-topic:${topic.name}`;
