import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import {
  errorResponses,
  gtinSchema,
  idSchema,
  listQueryOf,
  lotSchema,
  pageSchema,
  regionSchema,
  sendPage,
  tokenSchema,
} from './resource-common.js';

export const lineageSchema = {
  type: 'object',
  required: ['connector', 'sourceSystem', 'sourceId', 'sourceHash', 'ingestedAt'],
  additionalProperties: false,
  description: 'Where the stored record came from.',
  properties: {
    connector: { type: 'string' },
    sourceSystem: { type: 'string' },
    sourceId: { type: 'string' },
    sourceHash: { type: 'string' },
    ingestedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const movementProperties = {
  id: { type: 'string' },
  movementType: { type: 'string' },
  occurredAt: { type: 'string', format: 'date-time' },
  locationId: { type: 'string' },
  regionId: { type: 'string', description: "The location's region when the movement was stored." },
  counterpartId: { type: ['string', 'null'] },
  productId: { type: 'string' },
  gtin: { type: ['string', 'null'] },
  lotNumber: { type: ['string', 'null'] },
  quantity: { type: 'number', description: 'Signed: receipts positive, dispatches and losses negative.' },
  unit: { type: 'string' },
  reason: { type: ['string', 'null'] },
  lineage: lineageSchema,
} as const;

export const movementSchema = {
  type: 'object',
  required: Object.keys(movementProperties),
  additionalProperties: false,
  properties: movementProperties,
} as const;

/** A lot-trace step: a movement and its location's name. */
export const traceStepSchema = {
  type: 'object',
  required: [...Object.keys(movementProperties), 'locationName'],
  additionalProperties: false,
  properties: { ...movementProperties, locationName: { type: 'string' } },
} as const;

const FILTERS = ['region', 'warehouse', 'product', 'gtin', 'lot', 'type', 'from', 'to'] as const;

/** `GET /v1/movements`: stock movements, newest first, keyset-paginated. */
export async function movementRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/movements',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'Stock movements',
        description:
          'Movements newest first (`sort=occurredAt` for oldest first), filtered; a region-scoped caller sees its regions\' warehouses only. `from` is inclusive, `to` exclusive. Keyset-paginated: follow `next` or the `Link: rel="next"` header. Sends a weak ETag; `If-None-Match` gives 304.',
        tags: ['movements'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            region: regionSchema,
            warehouse: idSchema,
            product: idSchema,
            gtin: gtinSchema,
            lot: lotSchema,
            type: tokenSchema,
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            sort: { type: 'string', enum: ['-occurredAt', 'occurredAt'], default: '-occurredAt' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            after: { type: 'string', minLength: 1, maxLength: 2048, description: 'The cursor of the previous page.' },
          },
        },
        response: { 200: pageSchema(movementSchema, 'A page of movements.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const page = await opts.resources.listMovements(listQueryOf(request, FILTERS));
      return sendPage(request, reply, page);
    },
  );
}
