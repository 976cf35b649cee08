import type { FastifyInstance } from 'fastify';
import { registry } from '../../core/observability/metrics.js';
import type { ComponentHealth } from '../../core/ports/index.js';

export type HealthProbe = () => Promise<Record<string, ComponentHealth>>;

/**
 * `GET /health` reports each component and answers 503 when any is down, so that a load
 * balancer or `curl --fail` sees it. `GET /metrics` serves Prometheus text. Neither is under
 * `/v1` and neither carries business data.
 */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { probe: HealthProbe; mode: string; version: string },
): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const components: Record<string, ComponentHealth> = { api: { status: 'up' }, ...(await opts.probe()) };
    const statuses = Object.values(components).map((c) => c.status);
    const status = statuses.includes('down') ? 'down' : statuses.includes('degraded') ? 'degraded' : 'up';
    return reply
      .code(status === 'down' ? 503 : 200)
      .send({ status, mode: opts.mode, version: opts.version, components });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
