import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../connectors/sdk/retry.js';
import { isHubError } from '../core/errors/index.js';
import type { ComponentHealth, MigrationStepResult, RecordSink, Warehouse } from '../core/ports/index.js';
import type { HubConfig } from './config.js';

/** The wired hub: adapters chosen by configuration, behind the ports. */
export interface Hub {
  readonly config: HubConfig;
  readonly warehouse: Warehouse;
  /** Where connectors write: DuckDB (embedded) or Kafka (distributed). */
  readonly sink: RecordSink;
  /** Creates tables (and topics, in distributed mode). */
  migrate(): Promise<MigrationStepResult[]>;
  /** Starts the Kafka → ClickHouse sink inside this process (distributed mode only). */
  startStreamSink(): Promise<void>;
  health(): Promise<Record<string, ComponentHealth>>;
  close(): Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, logging which component is down. Gives up only on a
 * non-transient error or when `signal` aborts.
 */
export async function untilUp<T>(
  component: string,
  attempt: () => Promise<T>,
  logger: Logger,
  signal?: AbortSignal,
): Promise<T> {
  // The connectors' backoff (full jitter under a capped exponential), without a retry limit:
  // a hub whose engine is down waits for it.
  const policy = { retries: Number.POSITIVE_INFINITY, minDelayMs: 500, maxDelayMs: 15_000 };
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (isHubError(error) && !error.retriable) throw error;
      if (signal?.aborted) throw error;
      const delay = backoffDelay(tries - 1, policy);
      logger.warn({ component, tries, err: (error as Error).message }, `${component} is down; retrying in ${delay} ms`);
      await sleep(delay, undefined, signal ? { signal } : undefined);
    }
  }
}

export async function composeHub(config: HubConfig, logger: Logger, signal?: AbortSignal): Promise<Hub> {
  if (config.mode === 'embedded') {
    const { createDuckDbWarehouse } = await import('../warehouse/index.js');
    const warehouse = createDuckDbWarehouse({ dataDir: config.dataDir });
    await warehouse.init();
    return {
      config,
      warehouse,
      sink: warehouse,
      migrate: () => warehouse.migrate(),
      startStreamSink: async () => {},
      health: async () => ({ warehouse: await warehouse.health() }),
      close: () => warehouse.close(),
    };
  }

  const { createClickHouseWarehouse, KafkaRecordSink, FileStateStore, ensureTopics, startKafkaSink } = await import(
    '../warehouse/index.js'
  );
  const warehouse = createClickHouseWarehouse({
    url: config.clickhouseUrl as string,
    database: config.clickhouseDatabase,
    ...(config.clickhouseCluster === undefined ? {} : { cluster: config.clickhouseCluster }),
  });
  await untilUp('ClickHouse', () => warehouse.init(), logger, signal);
  const brokers = config.kafkaBrokers as string;
  const sink = new KafkaRecordSink({
    brokers,
    topicPrefix: config.kafkaTopicPrefix,
    stateStore: new FileStateStore(config.dataDir),
    logger,
  });
  await untilUp('Kafka', () => sink.init(), logger, signal);
  let streamSink: { stop(): Promise<void> } | undefined;
  return {
    config,
    warehouse,
    sink,
    migrate: async () => [
      ...(await warehouse.migrate()),
      ...(await ensureTopics({
        brokers,
        topicPrefix: config.kafkaTopicPrefix,
        partitions: config.kafkaPartitions,
        replicationFactor: config.kafkaReplicationFactor,
      })),
    ],
    startStreamSink: async () => {
      streamSink = await startKafkaSink({
        brokers,
        groupId: `${config.kafkaTopicPrefix}clickhouse-sink`,
        topicPrefix: config.kafkaTopicPrefix,
        writer: warehouse,
        logger,
        batchSize: config.sinkBatchSize,
        batchBytes: config.sinkBatchBytes,
        batchMs: config.sinkBatchMs,
      });
    },
    health: async () => ({ warehouse: await warehouse.health(), stream: await sink.health() }),
    close: async () => {
      await streamSink?.stop();
      await sink.close();
      await warehouse.close();
    },
  };
}
