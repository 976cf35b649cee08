import { getConnector, runConnector } from '../../connectors/index.js';
import { HubError } from '../../core/errors/index.js';
import { composeHub } from '../compose.js';
import { loadConfig } from '../config.js';
import { connectorConfigFromHub } from '../connector-config.js';
import { createLogger } from '../logger.js';
import { progress } from '../progress.js';

export interface IngestOptions {
  readonly file: string | undefined;
  readonly connector: string;
  readonly configJson?: string;
  readonly seed?: number;
  readonly movements?: number;
  readonly inputFile?: string;
}

/**
 * `hub ingest <connector>`: one run into the configured warehouse (DuckDB, or Kafka →
 * ClickHouse). Prints the run report as one JSON line; exit 1 when the run failed.
 */
export async function ingestCommand(opts: IngestOptions & { file?: string }): Promise<number> {
  const config = loadConfig({ file: opts.file });
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const connector = getConnector(opts.connector);
  let overrides: Record<string, unknown> = {};
  if (opts.configJson) {
    try {
      overrides = JSON.parse(opts.configJson) as Record<string, unknown>;
    } catch (cause) {
      throw new HubError('HUB_ERR_CONNECTOR_CONFIG', {
        name: opts.connector,
        reason: `--config-json is not JSON: ${(cause as Error).message}`,
      });
    }
  }
  const connectorConfig: Record<string, unknown> = {
    ...connectorConfigFromHub(opts.connector, config),
    ...overrides,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.movements !== undefined ? { movements: opts.movements } : {}),
    ...(opts.inputFile !== undefined ? { path: opts.inputFile } : {}),
  };
  const hub = await composeHub(config, logger);
  try {
    const steps = await hub.migrate();
    const failed = steps.find((s) => s.status === 'failed');
    if (failed)
      throw new HubError('HUB_ERR_WAREHOUSE_MIGRATION', {
        name: failed.name,
        engine: hub.warehouse.engine,
        reason: failed.error ?? '',
      });
    const bar = progress(`ingest ${opts.connector}`);
    // Progress arrives per stream; the bar shows the sum over streams.
    const perStream = new Map<string, { recordsIn: number; deadLettered: number }>();
    const report = await runConnector({
      connector,
      config: connectorConfig,
      sink: hub.sink,
      onProgress: (p) => {
        perStream.set(p.stream, p);
        let done = 0;
        let deadLettered = 0;
        for (const s of perStream.values()) {
          done += s.recordsIn;
          deadLettered += s.deadLettered;
        }
        bar.update(done, { deadLettered });
      },
    });
    bar.stop();
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.status === 'succeeded' ? 0 : 1;
  } finally {
    await hub.close();
  }
}
