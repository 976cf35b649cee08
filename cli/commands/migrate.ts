import { composeHub } from '../compose.js';
import { loadConfig, redactConfig } from '../config.js';
import { createLogger } from '../logger.js';

/**
 * `hub migrate`: prints one JSON line per step; exit 1 when any step failed. With `--print`,
 * prints the ClickHouse schema as SQL instead (the cluster variant with `--cluster` or
 * `HUB_CLICKHOUSE_CLUSTER`), without connecting to anything.
 */
export async function migrateCommand(opts: {
  file: string | undefined;
  cluster?: string | undefined;
  print?: boolean | undefined;
}): Promise<number> {
  const config = loadConfig({ file: opts.file });
  if (opts.print === true) {
    const { clickhouseSchemaScript } = await import('../../warehouse/clickhouse/clickhouse-migrations.js');
    const cluster = opts.cluster ?? config.clickhouseCluster;
    const database = config.clickhouseDatabase;
    process.stdout.write(clickhouseSchemaScript(database, cluster === undefined ? {} : { cluster, database }));
    return 0;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  logger.debug({ config: redactConfig(config) }, 'configuration');
  const hub = await composeHub(
    opts.cluster === undefined ? config : Object.freeze({ ...config, clickhouseCluster: opts.cluster }),
    logger,
  );
  try {
    const steps = await hub.migrate();
    for (const step of steps) process.stdout.write(`${JSON.stringify(step)}\n`);
    return steps.some((s) => s.status === 'failed') ? 1 : 0;
  } finally {
    await hub.close();
  }
}
