import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { entityRoutes, regionSchema, tokenSchema } from './resource-common.js';

/** `GET /v1/incidents` and `GET /v1/incidents/{id}`. */
export async function incidentRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'Incident',
    path: '/v1/incidents',
    tag: 'incidents',
    plural: 'incidents',
    singular: 'incident',
    filters: { type: tokenSchema, severity: tokenSchema, status: tokenSchema, region: regionSchema },
    sorts: ['startedAt', 'severity', 'status'],
    scopeNote: 'An incident is in every region it affects; a region-scoped caller sees those affecting its regions.',
  });
}
