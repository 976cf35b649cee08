import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteAuditLog } from '../../api/audit/audit-log.js';
import { ApiKeyStore } from '../../api/auth/api-key-store.js';
import { JwtVerifier } from '../../api/auth/jwt-verifier.js';
import { anyOf } from '../../api/auth/principal.js';
import { LiveEvents } from '../../api/events/live-events.js';
import { SqliteIdempotencyStore } from '../../api/idempotency/idempotency-store.js';
import { buildApi } from '../../api/server.js';
import {
  builtinConnectors,
  connectorStatus,
  createIngestService,
  getConnector,
  isDocumentConnector,
  runConnector,
} from '../../connectors/index.js';
import { HubError, migrationFailure } from '../../core/errors/index.js';
import { composeHub } from '../compose.js';
import { loadConfig, redactConfig, type Schedule } from '../config.js';
import { connectorConfigFromHub } from '../connector-config.js';
import { createLogger } from '../logger.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * `hub start`: the all-in-one process. It serves the API first (so `/health` answers while the
 * history loads), then runs the configured connectors: the simulator's history followed by its
 * steady flow, and the ledger poller when a ledger URL is set. In distributed mode it also runs
 * the Kafka → ClickHouse sink. SIGINT/SIGTERM stop it gracefully.
 */
export async function startCommand(opts: { file: string | undefined; port?: string | undefined }): Promise<void> {
  const config = loadConfig({
    file: opts.file,
    overrides: { port: opts.port === undefined ? undefined : Number(opts.port) },
  });
  const logger = createLogger(config.logLevel);
  // An unknown scheduled connector stops the start here, in one line, not later in a loop.
  for (const schedule of config.schedules) getConnector(schedule.connector);
  logger.info({ config: redactConfig(config) }, `starting reserve hub in ${config.mode} mode`);

  const stop = new AbortController();
  const hub = await composeHub(config, logger, stop.signal);
  const steps = await hub.migrate();
  for (const step of steps) logger.info(step, `migration ${step.name}: ${step.status}`);
  const failure = migrationFailure(steps, hub.warehouse.engine);
  if (failure) throw failure;

  const keys = new ApiKeyStore(join(config.dataDir, 'hub-state.sqlite'), { bootstrapKey: config.bootstrapApiKey });
  if (!config.bootstrapApiKey && keys.activeCount() === 0) {
    const { key } = keys.create({ name: 'first-start admin', scopes: ['admin'] });
    // The only time this key is ever shown: it is stored hashed.
    process.stderr.write(
      `\n  An admin API key was created for this hub. It is shown once; store it now:\n\n    ${key}\n\n` +
        `  Use it as: curl -H 'Authorization: Bearer ${key}' http://${config.host}:${config.port}/v1/stock\n\n`,
    );
  }

  // Pushed documents go through the same sink as the connectors' runs.
  const ingest = createIngestService({
    connectors: builtinConnectors,
    sink: hub.sink,
    configFor: (name) => connectorConfigFromHub(name, config),
    onLog: (name, m) => logger[m.level]({ connector: name }, m.message),
  });
  const idempotency = new SqliteIdempotencyStore(join(config.dataDir, 'hub-state.sqlite'));
  const audit = new SqliteAuditLog(join(config.dataDir, 'hub-state.sqlite'));
  const verifier = config.jwtJwksFile ? anyOf(keys, jwtVerifier()) : keys;
  const app = await buildApi({
    warehouse: hub.warehouse,
    exports: hub.warehouse,
    events: new LiveEvents({
      source: hub.warehouse,
      journal: join(config.dataDir, 'events.sqlite'),
      onError: (error) => logger.warn({ err: error }, 'live events: poll failed'),
    }),
    verifier,
    mode: config.mode,
    version: pkg.version,
    logger: logger.child({ component: 'api' }),
    probe: async () => ({ ...(await hub.health()), connectors: connectorsHealth() }),
    ingest,
    idempotency,
    audit,
    connectors: connectorViews,
    rateLimitPerMinute: config.rateLimitPerMinute,
    ...(config.corsOrigins ? { corsOrigins: config.corsOrigins.split(',') } : {}),
  });
  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${(app.server.address() as { port: number }).port}`;
  logger.info({ url: base }, `API on ${base}  (health ${base}/health, docs ${base}/docs, metrics ${base}/metrics)`);

  await hub.startStreamSink();
  const runs: Promise<unknown>[] = [];
  if (config.simulator) runs.push(runSimulator());
  if (config.ledgerPgUrl) runs.push(pollLedger());
  for (const schedule of config.schedules) runs.push(runOnSchedule(schedule));

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop.abort();
    await Promise.allSettled(runs);
    await app.close();
    await hub.close();
    idempotency.close();
    audit.close();
    keys.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  async function runSimulator(): Promise<void> {
    const connector = getConnector('simulator');
    const base = connectorConfigFromHub('simulator', config);
    const report = await runConnector({ connector, config: base, sink: hub.sink, signal: stop.signal });
    logger.info(report, `simulator history: ${report.recordsOut} records, ${report.deadLettered} dead-lettered`);
    if (config.simulatorIntervalMs > 0 && !stop.signal.aborted) {
      const steady = await runConnector({
        connector,
        config: { ...base, continuous: true, interval_ms: config.simulatorIntervalMs },
        sink: hub.sink,
        signal: stop.signal,
      });
      logger.info(steady, 'simulator flow stopped');
    }
  }

  /** Runs one pull connector every `every_ms`, from its committed state, until the hub stops. */
  async function runOnSchedule(schedule: Schedule): Promise<void> {
    const connector = getConnector(schedule.connector);
    const connectorConfig = { ...connectorConfigFromHub(schedule.connector, config), ...schedule.config };
    while (!stop.signal.aborted) {
      const report = await runConnector({ connector, config: connectorConfig, sink: hub.sink, signal: stop.signal });
      if (report.status === 'failed')
        logger.warn(report, `${schedule.connector} run failed; next run in ${schedule.every_ms} ms`);
      await sleep(schedule.every_ms, undefined, { signal: stop.signal }).catch(() => {});
    }
  }

  async function pollLedger(): Promise<void> {
    const connector = getConnector('postgres-ledger');
    while (!stop.signal.aborted) {
      const report = await runConnector({
        connector,
        config: connectorConfigFromHub('postgres-ledger', config),
        sink: hub.sink,
        signal: stop.signal,
      });
      if (report.status !== 'succeeded') logger.warn(report, 'ledger run failed; retrying');
      await new Promise((r) => setTimeout(r, config.ledgerPollMs));
    }
  }

  /** OAuth2 client-credentials JWTs, when a key set is configured: issuer and audience are then required. */
  function jwtVerifier(): JwtVerifier {
    for (const [variable, value] of [
      ['HUB_JWT_ISSUER', config.jwtIssuer],
      ['HUB_JWT_AUDIENCE', config.jwtAudience],
    ] as const) {
      if (!value)
        throw new HubError('HUB_ERR_CONFIG_INVALID', { variable, reason: 'is required with HUB_JWT_JWKS_FILE' });
    }
    return JwtVerifier.fromFile(config.jwtJwksFile as string, {
      issuer: config.jwtIssuer as string,
      audience: config.jwtAudience as string,
    });
  }

  /** Every built-in connector with its forms, and what the runtime saw of it in this process. */
  function connectorViews() {
    const status = connectorStatus();
    return Object.values(builtinConnectors).map((c) => {
      const s = status[c.name];
      return {
        name: c.name,
        forms: isDocumentConnector(c) ? (['push', 'pull'] as const) : (['pull'] as const),
        running: s?.running ?? false,
        runs: s?.runs ?? 0,
        errorCount: s?.errorCount ?? 0,
        recentRuns: s?.recentRuns ?? [],
        ...(s?.lastRun ? { lastRun: s.lastRun } : {}),
        ...(s?.lastCommitAt === undefined ? {} : { lastCommitAt: s.lastCommitAt, lagSeconds: s.lagSeconds ?? 0 }),
      };
    });
  }

  function connectorsHealth() {
    const status = connectorStatus();
    const failing = Object.values(status).some((s) => s.lastRun?.status === 'failed');
    return { status: failing ? ('degraded' as const) : ('up' as const), connectors: status };
  }
}
