import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IngestService, WarehouseQuery } from '../core/ports/index.js';
import { authPlugin } from './auth/auth-plugin.js';
import type { CredentialVerifier } from './auth/principal.js';
import { type IdempotencyStore, SqliteIdempotencyStore } from './idempotency/idempotency-store.js';
import { installProblemHandlers } from './problems.js';
import { type HealthProbe, healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { locationRoutes } from './routes/locations.js';
import { stockRoutes } from './routes/stock.js';

export interface ApiOptions {
  readonly warehouse: WarehouseQuery;
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
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
  });
  installProblemHandlers(app);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', reply.getHeader('Cache-Control') ?? 'no-store');
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Reserve Hub API',
        version: options.version,
        description: "Stock, movements and coordination data of Morocco's national emergency reserves.",
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await authPlugin(app, { verifier: options.verifier });
  await healthRoutes(app, { probe: options.probe, mode: options.mode, version: options.version });
  await locationRoutes(app, { warehouse: options.warehouse });
  await stockRoutes(app, { warehouse: options.warehouse });
  if (options.ingest) {
    let idempotency = options.idempotency;
    if (!idempotency) {
      const own = new SqliteIdempotencyStore(':memory:');
      app.addHook('onClose', async () => own.close());
      idempotency = own;
    }
    await ingestRoutes(app, { ingest: options.ingest, idempotency, mode: options.mode });
  }
  return app;
}
