import type { FastifyInstance } from 'fastify';
import type { StockFilter, StockRow, WarehouseQuery } from '../../core/ports/index.js';
import type { Principal } from '../auth/principal.js';
import { etagOnSend, sendTagged, type TaggedBody, taggedBody } from '../etag.js';
import { problemSchema } from '../problems.js';

const slug = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;

export const stockRowSchema = {
  type: 'object',
  required: ['locationId', 'regionId', 'productId', 'unit', 'onHand'],
  properties: {
    locationId: { type: 'string' },
    locationName: { type: 'string' },
    regionId: { type: 'string' },
    productId: { type: 'string' },
    productName: { type: 'string' },
    gtin: { type: ['string', 'null'] },
    category: { type: 'string' },
    lotNumber: { type: ['string', 'null'] },
    unit: { type: 'string' },
    onHand: { type: 'number' },
    lastMovementAt: { type: 'string' },
  },
} as const;

/** Regions a caller may read for a requested region filter: `[]` means nothing visible. */
export function visibleRegions(
  principal: Principal | undefined,
  requested: string | undefined,
): (string | undefined)[] {
  const allowed = principal?.regions ?? null;
  if (allowed === null) return [requested];
  if (requested !== undefined) return allowed.includes(requested) ? [requested] : [];
  return [...allowed];
}

/**
 * `GET /v1/stock`: on-hand quantities by warehouse, product and lot, filtered.
 *
 * An answer the warehouse hands back frozen (the embedded warehouse's live index returns the
 * same frozen array for the same filter until the stock changes) is serialized and tagged once:
 * asked again, the body and its ETag are reused. Fresh answers are serialized per request.
 */
export async function stockRoutes(app: FastifyInstance, opts: { warehouse: WarehouseQuery }): Promise<void> {
  const bodies = new WeakMap<readonly StockRow[], TaggedBody>();
  app.get<{ Querystring: Omit<StockFilter, 'limit'> & { limit?: number } }>(
    '/v1/stock',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'Stock on hand',
        description: 'On-hand quantity per warehouse, product, lot and unit. Unknown filters are refused.',
        tags: ['stock'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            region: slug,
            warehouse: slug,
            product: slug,
            category: { type: 'string', pattern: '^[a-z][a-z-]{1,31}$' },
            lot: { type: 'string', minLength: 1, maxLength: 64 },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'count'],
            properties: { items: { type: 'array', items: stockRowSchema }, count: { type: 'integer' } },
          },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { region, ...rest } = request.query;
      const regions = visibleRegions(request.principal, region);
      if (regions.length === 1) {
        const r = regions[0];
        const rows = await opts.warehouse.stockOnHand(r === undefined ? rest : { ...rest, region: r });
        let tagged = bodies.get(rows);
        if (tagged === undefined) {
          // The route's own response serializer, as Fastify would apply it to the object.
          const body = reply.serialize({ items: rows, count: rows.length });
          tagged = taggedBody(typeof body === 'string' ? body : Buffer.from(body as Uint8Array));
          if (Object.isFrozen(rows)) bodies.set(rows, tagged);
        }
        return sendTagged(reply, tagged);
      }
      const items: StockRow[] = [];
      for (const r of regions) {
        items.push(...(await opts.warehouse.stockOnHand(r === undefined ? rest : { ...rest, region: r })));
      }
      return { items, count: items.length };
    },
  );
}
