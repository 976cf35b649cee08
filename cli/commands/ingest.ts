import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, extname } from 'node:path';
import type { Logger } from 'pino';
import {
  acceptsMediaType,
  builtinConnectors,
  createIngestService,
  getConnector,
  isDocumentConnector,
  runConnector,
} from '../../connectors/index.js';
import { HubError, migrationFailure } from '../../core/errors/index.js';
import { composeHub, type Hub } from '../compose.js';
import { type HubConfig, loadConfig } from '../config.js';
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
  /** Media type of `inputFile` for a push connector; guessed from its extension when absent. */
  readonly contentType?: string;
}

/** Media types guessed from a file's extension, for `--file` without `--content-type`. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.jsonld': 'application/ld+json',
  '.ndjson': 'application/x-ndjson',
  '.xml': 'application/xml',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * `hub ingest <connector>`: one run into the configured warehouse (DuckDB, or Kafka →
 * ClickHouse). Prints the run report as one JSON line; exit 1 when the run failed. With
 * `--file` and a push connector, the file is ingested as a pushed document, through the same
 * service as `POST /v1/ingest/:connector`, and the result's counts are printed instead.
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
  if (opts.inputFile !== undefined && isDocumentConnector(connector)) {
    return pushFile(opts, { ...connectorConfigFromHub(opts.connector, config), ...overrides }, config, logger);
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
    await migrated(hub);
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

/** Creates or upgrades the warehouse; throws when a step failed. */
async function migrated(hub: Hub): Promise<void> {
  const steps = await hub.migrate();
  const failure = migrationFailure(steps, hub.warehouse.engine);
  if (failure) throw failure;
}

/** `hub ingest <push connector> --file <path>`: the file as one pushed document. */
async function pushFile(
  opts: IngestOptions,
  connectorConfig: Record<string, unknown>,
  config: HubConfig,
  logger: Logger,
): Promise<number> {
  const path = opts.inputFile as string;
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (cause) {
    throw new HubError('HUB_ERR_CONNECTOR_CONFIG', {
      name: opts.connector,
      reason: `cannot read --file ${path}: ${(cause as Error).message}`,
    });
  }
  const hub = await composeHub(config, logger);
  try {
    await migrated(hub);
    const service = createIngestService({
      connectors: builtinConnectors,
      sink: hub.sink,
      configFor: (name) => (name === opts.connector ? connectorConfig : connectorConfigFromHub(name, config)),
      onLog: (name, m) => logger[m.level]({ connector: name }, m.message),
    });
    // A guessed type the connector does not list is left out: the connector then sniffs.
    const guessed = MEDIA_TYPES[extname(path).toLowerCase()];
    const accepted = service.documentLimits(opts.connector)?.acceptedMediaTypes ?? [];
    const contentType =
      opts.contentType ?? (guessed !== undefined && acceptsMediaType(accepted, guessed) ? guessed : undefined);
    const result = await service.ingest(opts.connector, {
      body,
      filename: basename(path),
      ...(contentType === undefined ? {} : { contentType }),
      receivedAt: new Date().toISOString(),
      pushedBy: `cli:${operator()}`,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await hub.close();
  }
}

/** The local user running the command, for lineage. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
