import { HubError } from '../../core/errors/index.js';
import { composeHub } from '../compose.js';
import { loadConfig, redactConfig } from '../config.js';
import { createLogger } from '../logger.js';

/**
 * `hub sink`: the Kafka → ClickHouse sink as its own process, for deployments that scale the
 * sink apart from the API and connectors (one consumer group: start several to share the
 * partitions). SIGINT/SIGTERM finish the batch in flight, commit, and exit.
 */
export async function sinkCommand(opts: { file: string | undefined }): Promise<void> {
  const config = loadConfig({ file: opts.file });
  if (config.mode !== 'distributed') {
    throw new HubError('HUB_ERR_CONFIG_INVALID', {
      variable: 'HUB_KAFKA_BROKERS and HUB_CLICKHOUSE_URL',
      reason: 'must be set: `hub sink` moves events from Kafka into ClickHouse',
    });
  }
  const logger = createLogger(config.logLevel);
  logger.info({ config: redactConfig(config) }, 'starting the Kafka → ClickHouse sink');
  const stop = new AbortController();
  const hub = await composeHub(config, logger, stop.signal);
  await hub.startStreamSink();
  logger.info('sink running');
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'stopping the sink');
      stop.abort();
      resolve();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  await hub.close();
  logger.info('sink stopped');
}
