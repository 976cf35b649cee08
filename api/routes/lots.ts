import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import { traceStepSchema } from './movements.js';
import { callerRegions, errorResponses, gtinSchema, lotSchema, notFound } from './resource-common.js';

const params = {
  type: 'object',
  required: ['gtin', 'lot'],
  properties: { gtin: gtinSchema, lot: lotSchema },
} as const;

const lotSchema200 = {
  type: 'object',
  required: [
    'gtin',
    'lotNumber',
    'productId',
    'expiry',
    'manufactured',
    'stock',
    'movements',
    'firstMovementAt',
    'lastMovementAt',
  ],
  additionalProperties: false,
  properties: {
    gtin: { type: 'string' },
    lotNumber: { type: 'string' },
    productId: { type: ['string', 'null'] },
    expiry: { type: ['string', 'null'], format: 'date' },
    manufactured: { type: ['string', 'null'], format: 'date' },
    // Not `oneOf: [Lot, null]`: the serializer would validate the stored record against the schema
    // to choose a branch, and answer 500 for a record stored under an older schema version. Absent
    // rather than null: OpenAPI Generator's Python client cannot model `type: [object, null]`.
    record: {
      type: 'object',
      additionalProperties: true,
      description: 'The stored Lot record (schema `Lot`); absent when the lot is only known from movements.',
    },
    stock: {
      type: 'array',
      description: "Non-zero on-hand quantity per location and unit, in the caller's regions.",
      items: {
        type: 'object',
        required: ['locationId', 'regionId', 'unit', 'onHand'],
        additionalProperties: false,
        properties: {
          locationId: { type: 'string' },
          regionId: { type: 'string' },
          unit: { type: 'string' },
          onHand: { type: 'number' },
        },
      },
    },
    movements: { type: 'integer', description: "Movements of the lot in the caller's regions." },
    firstMovementAt: { type: ['string', 'null'], format: 'date-time' },
    lastMovementAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/**
 * `GET /v1/lots/{gtin}/{lot}` (the lot and its stock) and `GET /v1/lots/{gtin}/{lot}/trace`
 * (every movement of the lot, oldest first, with lineage to the source record). Movements and
 * stock are limited to the caller's regions; a lot with neither a Lot record nor a movement the
 * caller may see is 404.
 */
export async function lotRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  app.get<{ Params: { gtin: string; lot: string } }>(
    '/v1/lots/:gtin/:lot',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'One lot, with its stock',
        description:
          "The lot's master data (from its Lot record when one was ingested) and its stock per location in the caller's regions. The lot number is URL-encoded in the path.",
        tags: ['lots'],
        params,
        response: { 200: lotSchema200, ...errorResponses },
      },
    },
    async (request) => {
      const { gtin, lot } = request.params;
      const summary = await opts.resources.getLot(gtin, lot, callerRegions(request));
      if (summary === undefined) throw notFound(request);
      const { record, ...rest } = summary;
      return record === null ? rest : summary;
    },
  );

  app.get<{ Params: { gtin: string; lot: string } }>(
    '/v1/lots/:gtin/:lot/trace',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: "A lot's trace",
        description:
          "Every movement of the lot in the caller's regions, oldest first: where, how much, which type, the counterpart, and the lineage to the source record (connector, source system, source id, source hash). At most 10,000 steps.",
        tags: ['lots'],
        params,
        response: {
          200: {
            type: 'object',
            required: ['gtin', 'lotNumber', 'items'],
            additionalProperties: false,
            properties: {
              gtin: { type: 'string' },
              lotNumber: { type: 'string' },
              items: { type: 'array', items: traceStepSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { gtin, lot } = request.params;
      const regions = callerRegions(request);
      const items = await opts.resources.lotTrace(gtin, lot, regions);
      if (items.length === 0 && (await opts.resources.getLot(gtin, lot, regions)) === undefined) {
        throw notFound(request);
      }
      return { gtin, lotNumber: lot, items };
    },
  );
}
