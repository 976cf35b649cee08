import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { HubError } from '../core/errors/index.js';
import type { ExportQuery, IngestService, KpiQuery, ResourceQuery, WarehouseQuery } from '../core/ports/index.js';
import { type AuditLog, SqliteAuditLog } from './audit/audit-log.js';
import { auditPlugin } from './audit/audit-plugin.js';
import { authPlugin } from './auth/auth-plugin.js';
import type { CredentialVerifier } from './auth/principal.js';
import type { LiveEvents } from './events/live-events.js';
import { type IdempotencyStore, SqliteIdempotencyStore } from './idempotency/idempotency-store.js';
import { canonicalAjvOptions, canonicalSchemas, swaggerOptions } from './openapi-document.js';
import { installProblemHandlers } from './problems.js';
import { type ConnectorStatusSource, connectorRoutes } from './routes/connectors.js';
import { deadLetterReplayRoutes } from './routes/dead-letter-replay.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { equipmentRoutes } from './routes/equipment.js';
import { eventRoutes } from './routes/events.js';
import { exportRoutes } from './routes/exports.js';
import { type HealthProbe, healthRoutes } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { ingestRoutes } from './routes/ingest.js';
import { kpiRoutes } from './routes/kpis.js';
import { locationRoutes } from './routes/locations.js';
import { lotRoutes } from './routes/lots.js';
import { movementRoutes } from './routes/movements.js';
import { organizationRoutes } from './routes/organizations.js';
import { productRoutes } from './routes/products.js';
import { REQUESTS_CONNECTOR, requestRoutes } from './routes/requests.js';
import { requestReadRoutes } from './routes/requests-read.js';
import { resourceReads } from './routes/resource-common.js';
import { shipmentRoutes } from './routes/shipments.js';
import { situationRoomRoutes } from './routes/situation-room.js';
import { stockRoutes } from './routes/stock.js';

export interface ApiOptions {
  /**
   * The warehouse's reads: stock and locations, and (both adapters have them) the resources of
   * `/v1` and the KPIs. A read the object lacks (a test double) answers 404 on its routes.
   */
  readonly warehouse: WarehouseQuery & Partial<ResourceQuery> & Partial<KpiQuery>;
  readonly verifier: CredentialVerifier;
  readonly probe: HealthProbe;
  readonly mode: 'embedded' | 'distributed';
  readonly version: string;
  /** A pino logger (redacting secrets); silent when absent. */
  readonly logger?: FastifyBaseLogger;
  /** Push ingestion (`POST /v1/ingest/:connector`); the route is not served when absent. */
  readonly ingest?: IngestService;
  /** Keeps `Idempotency-Key` responses of pushes; in memory (this process only) when absent. */
  readonly idempotency?: IdempotencyStore;
  /** Bulk exports (`GET /v1/exports/{dataset}`); the route is not served when absent. */
  readonly exports?: ExportQuery;
  /** Live events (`GET /v1/events`); started when the server is ready, stopped on close; not served when absent. */
  readonly events?: LiveEvents;
  /** Connector status and runs (`GET /v1/connectors`); the routes are not served when absent. */
  readonly connectors?: ConnectorStatusSource;
  /** The audit trail of writes; in memory (this process only) when absent. */
  readonly audit?: AuditLog;
  /** Requests per minute per client (credential, else IP); no limit when absent or 0. */
  readonly rateLimitPerMinute?: number;
  /** Origins allowed by CORS; CORS is off (no header sent) when absent or empty. */
  readonly corsOrigins?: readonly string[];
}

/**
 * Builds the HTTP API. The caller (the `hub` command) owns the adapters; the API only sees
 * the ports. Unknown query parameters are refused (`removeAdditional: false`), never ignored.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true, ...canonicalAjvOptions } },
  });
  installProblemHandlers(app);
  // A callback hook, not an async one: no promise per response for four headers.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', reply.getHeader('Cache-Control') ?? 'no-store');
    done(null, payload);
  });
  // Routes answer canonical resources by `$ref` to their schema's `$id` (see openapi-document.ts).
  for (const schema of canonicalSchemas()) app.addSchema(schema);
  await app.register(swagger, swaggerOptions(options.version));
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PATCH'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'Last-Event-ID'],
      exposedHeaders: ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'],
      maxAge: 600,
    });
  }
  await authPlugin(app, { verifier: options.verifier });
  if (options.rateLimitPerMinute) {
    const max = options.rateLimitPerMinute;
    // After authentication (preHandler), so the limit is the credential's, wherever it calls from.
    await app.register(rateLimit, {
      max,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (request) => request.principal?.keyId ?? `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new HubError('HUB_ERR_API_RATE_LIMITED', { max, after: Math.ceil(context.ttl / 1000) }),
    });
  }
  let audit = options.audit;
  if (!audit) {
    const own = new SqliteAuditLog(':memory:');
    app.addHook('onClose', async () => own.close());
    audit = own;
  }
  await auditPlugin(app, { log: audit });
  await healthRoutes(app, { probe: options.probe, mode: options.mode, version: options.version });
  await situationRoomRoutes(app);
  await locationRoutes(app, { warehouse: options.warehouse });
  await stockRoutes(app, { warehouse: options.warehouse });
  const reads = { resources: resourceReads(options.warehouse) };
  await productRoutes(app, reads);
  await organizationRoutes(app, reads);
  await movementRoutes(app, reads);
  await lotRoutes(app, reads);
  await requestReadRoutes(app, reads);
  await shipmentRoutes(app, reads);
  await equipmentRoutes(app, reads);
  await incidentRoutes(app, reads);
  await kpiRoutes(app, { kpis: options.warehouse });
  await deadLetterRoutes(app, reads);
  if (options.ingest) {
    let idempotency = options.idempotency;
    if (!idempotency) {
      const own = new SqliteIdempotencyStore(':memory:');
      app.addHook('onClose', async () => own.close());
      idempotency = own;
    }
    await ingestRoutes(app, { ingest: options.ingest, idempotency, mode: options.mode });
    // The writes read what they change through the same reads as the GET routes.
    const common = { ingest: options.ingest, idempotency, resources: reads.resources, mode: options.mode };
    if (options.ingest.pushConnectors().includes(REQUESTS_CONNECTOR)) {
      await requestRoutes(app, { ...common, warehouse: options.warehouse });
    }
    await deadLetterReplayRoutes(app, common);
  }
  if (options.connectors) await connectorRoutes(app, { status: options.connectors });
  if (options.exports) await exportRoutes(app, { exports: options.exports });
  if (options.events) await eventRoutes(app, { live: options.events });
  return app;
}
