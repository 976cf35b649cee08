import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { entityRoutes, idSchema, regionSchema, tokenSchema } from './resource-common.js';

/**
 * `GET /v1/requests` and `GET /v1/requests/{id}`: supply requests as stored. The writes
 * (`POST`, `PATCH`) are in requests.ts.
 */
export async function requestReadRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'SupplyRequest',
    path: '/v1/requests',
    tag: 'requests',
    plural: 'supply requests',
    singular: 'supply request',
    filters: {
      status: tokenSchema,
      priority: tokenSchema,
      requester: idSchema,
      incident: idSchema,
      deliverTo: idSchema,
      supplier: idSchema,
      region: regionSchema,
    },
    sorts: ['authoredOn', 'neededBy', 'status', 'priority'],
    scopeNote: "A request is in the region of its deliver-to location; a region-scoped caller sees its regions' only.",
  });
}
