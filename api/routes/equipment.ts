import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import {
  callerRegions,
  canonical,
  entityRoutes,
  errorResponses,
  idSchema,
  notFound,
  regionSchema,
  tokenSchema,
} from './resource-common.js';

/**
 * `GET /v1/equipment` and `GET /v1/equipment/{id}`: serialised equipment; by id with its stored
 * maintenance events (`maintenanceEvents`, by scheduled time).
 */
export async function equipmentRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'Equipment',
    path: '/v1/equipment',
    tag: 'equipment',
    plural: 'equipment',
    singular: 'piece of equipment',
    filters: {
      kind: tokenSchema,
      status: tokenSchema,
      location: idSchema,
      product: idSchema,
      owner: idSchema,
      serialNumber: tokenSchema,
      region: regionSchema,
    },
    sorts: ['kind', 'status', 'serialNumber', 'nextMaintenanceDue'],
    scopeNote: "Equipment is in its location's region; a region-scoped caller sees its regions' only.",
    customById: true,
  });

  app.get<{ Params: { id: string } }>(
    '/v1/equipment/:id',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'One piece of equipment, with its maintenance events',
        description:
          "The stored Equipment and its maintenance events. 404 when absent or outside the caller's regions.",
        tags: ['equipment'],
        params: { type: 'object', required: ['id'], properties: { id: idSchema } },
        response: {
          200: {
            type: 'object',
            required: ['equipment', 'maintenanceEvents'],
            additionalProperties: false,
            properties: {
              equipment: canonical('Equipment'),
              maintenanceEvents: { type: 'array', items: canonical('MaintenanceEvent') },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const equipment = await opts.resources.getEntity('Equipment', id, callerRegions(request));
      if (equipment === undefined) throw notFound(request);
      return { equipment, maintenanceEvents: await opts.resources.listMaintenanceEvents(id) };
    },
  );
}
