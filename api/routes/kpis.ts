import type { FastifyInstance } from 'fastify';
import type { KpiDimension, KpiOptions, KpiQuery, KpiRow } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import { callerRegions, errorResponses, idSchema, notFound, regionSchema } from './resource-common.js';

interface KpiQuerystring {
  by?: string;
  region?: string;
  warehouse?: string;
  category?: string;
  product?: string;
  asOf?: string;
}

/**
 * `GET /v1/kpis/{name}`: one KPI of docs/kpis.md, computed by the warehouse (`KpiQuery`).
 * A region-scoped caller gets the region filter forced: its one region, or the region it asks
 * for if it is one of its own (another region answers no rows); with several regions and none
 * asked, the KPI runs once per region and each row carries its `region`. A KPI that cannot be
 * broken down by region is refused to a region-scoped caller (`HUB_ERR_KPI_REQUEST`).
 */
export async function kpiRoutes(app: FastifyInstance, opts: { kpis?: Partial<KpiQuery> }): Promise<void> {
  app.get<{ Params: { name: string }; Querystring: KpiQuerystring }>(
    '/v1/kpis/:name',
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: 'One KPI',
        description:
          "The KPI `name` of docs/kpis.md (stock_position, priority_backlog, shipments, fill_rate, lead_times, expiry, losses, stock_outs, equipment, days_of_supply, inventory_accuracy, data_freshness), broken down by `by` (comma-separated dimensions; default: the KPI's own) and filtered. Region-scoped callers get their region forced. Sends a weak ETag; `If-None-Match` gives 304.",
        tags: ['kpis'],
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', pattern: '^[a-z][a-z_]{0,63}$' } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            by: {
              type: 'string',
              pattern: '^[a-z_]{1,32}(,[a-z_]{1,32}){0,7}$',
              description: 'Dimensions, comma-separated, e.g. `region,category`.',
            },
            region: regionSchema,
            warehouse: idSchema,
            category: { type: 'string', pattern: '^[a-z][a-z-]{1,31}$' },
            product: idSchema,
            asOf: {
              type: 'string',
              format: 'date-time',
              description: 'The instant the KPI is computed at (default now).',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['name', 'items'],
            additionalProperties: false,
            properties: {
              name: { type: 'string' },
              asOf: { type: 'string', format: 'date-time' },
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  description: 'Dimensions (text) and measures (numbers, or null when undefined).',
                  additionalProperties: { type: ['string', 'number', 'null'] },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const kpi = opts.kpis?.kpi;
      if (typeof kpi !== 'function') throw notFound(request);
      const run = (o: KpiOptions): Promise<KpiRow[]> => kpi.call(opts.kpis, request.params.name, o);
      const { by, region, asOf, ...rest } = request.query;
      const dims = by === undefined ? undefined : (by.split(',') as KpiDimension[]);
      const base: KpiOptions = {
        ...(dims !== undefined ? { by: dims } : {}),
        ...(asOf !== undefined ? { asOf } : {}),
      };
      const filters = { ...rest };
      const allowed = callerRegions(request);
      let items: KpiRow[];
      if (allowed === null) {
        items = await run({ ...base, filters: region === undefined ? filters : { ...filters, region } });
      } else {
        const regions = region === undefined ? allowed : allowed.includes(region) ? [region] : [];
        items = [];
        for (const r of regions) {
          const rows = await run({ ...base, filters: { ...filters, region: r } });
          items.push(...(regions.length > 1 ? rows.map((row) => ({ region: r, ...row })) : rows));
        }
      }
      return { name: request.params.name, ...(asOf !== undefined ? { asOf } : {}), items };
    },
  );
}
