import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import {
  callerRegions,
  entityRoutes,
  errorResponses,
  idSchema,
  notFound,
  regionSchema,
  tokenSchema,
} from './resource-common.js';

const statusEventSchema = {
  type: 'object',
  required: ['status', 'at', 'changedBy'],
  additionalProperties: false,
  properties: {
    status: { type: 'string' },
    at: { type: 'string', format: 'date-time', description: 'When the status was reached (whole seconds, UTC).' },
    changedBy: { type: ['string', 'null'] },
  },
} as const;

/**
 * `GET /v1/shipments`, `GET /v1/shipments/{id}` and `GET /v1/shipments/{id}/history` (its
 * status events, oldest first).
 */
export async function shipmentRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  await entityRoutes(app, opts.resources, {
    kind: 'Shipment',
    path: '/v1/shipments',
    tag: 'shipments',
    plural: 'shipments',
    singular: 'shipment',
    filters: {
      status: tokenSchema,
      priority: tokenSchema,
      origin: idSchema,
      destination: idSchema,
      carrier: idSchema,
      incident: idSchema,
      request: idSchema,
      region: regionSchema,
    },
    sorts: ['eta', 'status', 'plannedAt', 'dispatchedAt', 'deliveredAt', 'receivedAt'],
    scopeNote:
      'A shipment is in the regions of its origin and of its destination; a region-scoped caller sees those touching its regions.',
  });

  app.get<{ Params: { id: string } }>(
    '/v1/shipments/:id/history',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: "A shipment's status history",
        description:
          "The statuses the shipment reached, oldest first. 404 when the shipment is absent or outside the caller's regions.",
        tags: ['shipments'],
        params: { type: 'object', required: ['id'], properties: { id: idSchema } },
        response: {
          200: {
            type: 'object',
            required: ['shipmentId', 'items'],
            additionalProperties: false,
            properties: { shipmentId: { type: 'string' }, items: { type: 'array', items: statusEventSchema } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if ((await opts.resources.getEntity('Shipment', id, callerRegions(request))) === undefined)
        throw notFound(request);
      return { shipmentId: id, items: await opts.resources.shipmentHistory(id) };
    },
  );
}
