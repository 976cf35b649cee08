import type { FastifyInstance } from 'fastify';
import type { LocationFilter, WarehouseQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import { problemSchema } from '../problems.js';
import { visibleRegions } from './stock.js';

const locationSchema = {
  type: 'object',
  required: ['id', 'kind', 'nameFr', 'regionId'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    nameFr: { type: 'string' },
    nameAr: { type: 'string' },
    regionId: { type: 'string' },
    parentId: { type: ['string', 'null'] },
    gln: { type: ['string', 'null'] },
    latitude: { type: ['number', 'null'] },
    longitude: { type: ['number', 'null'] },
  },
} as const;

/** `GET /v1/locations`: regions, platforms and warehouses. */
export async function locationRoutes(app: FastifyInstance, opts: { warehouse: WarehouseQuery }): Promise<void> {
  app.get<{ Querystring: LocationFilter }>(
    '/v1/locations',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'Locations',
        tags: ['locations'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { enum: ['region', 'platform', 'warehouse', 'zone', 'delivery-site'] },
            region: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'count'],
            properties: { items: { type: 'array', items: locationSchema }, count: { type: 'integer' } },
          },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request) => {
      const items = [];
      for (const r of visibleRegions(request.principal, request.query.region)) {
        const filter: LocationFilter = r === undefined ? { ...request.query } : { ...request.query, region: r };
        items.push(...(await opts.warehouse.listLocations(filter)));
      }
      return { items, count: items.length };
    },
  );
}
