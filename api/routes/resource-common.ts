/**
 * What the read routes of `/v1` share: parameter schemas, the page envelope (`{ items, next }`
 * plus `Link: <…>; rel="next"`), the caller's data scope, and the 404 that hides another
 * region's entity (a region-scoped caller must not learn that it exists: never a 403).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import type { EntityKind, ListQuery, Page, ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import { problemSchema } from '../problems.js';

/** A canonical id (`^[A-Za-z0-9\-.]{1,64}$`, as core/model's schemas have it). */
export const idSchema = { type: 'string', pattern: '^[A-Za-z0-9.-]{1,64}$' } as const;

/** A filter value of a code or a reference: letters, digits and `._:-`, at most 128. */
export const tokenSchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } as const;

/** A region slug, as `/v1/stock` takes it. */
export const regionSchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;

/** A GTIN-8/12/13/14. */
export const gtinSchema = { type: 'string', pattern: '^[0-9]{8,14}$' } as const;

/** A lot number: free text (GS1 AI 10 allows punctuation); it only ever reaches SQL as a literal. */
export const lotSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** The `$ref` of a canonical resource's schema (registered with the server by openapi-document.ts). */
export function canonical(type: string): { readonly $ref: string } {
  return { $ref: `https://reserve-hub.ma/schemas/${type}/1` };
}

export const errorResponses = { '4xx': problemSchema, '5xx': problemSchema } as const;

/** Querystring properties every list takes: sort (one of `sorts`, `-` for descending), limit, after. */
export function pagingProperties(sorts: readonly string[], maxLimit: number, defaultLimit: number) {
  return {
    sort: {
      type: 'string',
      enum: sorts.flatMap((s) => (s.startsWith('-') ? [s] : [s, `-${s}`])),
      description: 'Sort field; prefix `-` for descending. The id breaks ties.',
    },
    limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
    after: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description: 'The opaque cursor of the previous page (`next`, or the `Link: rel="next"` header).',
    },
  } as const;
}

/** The 200 body of a list: a page of `item`, and the cursor of the next page (`null` on the last). */
export function pageSchema(item: object, description: string) {
  return {
    type: 'object',
    description,
    required: ['items', 'next'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: item },
      next: { type: ['string', 'null'], description: 'Cursor of the next page; null on the last page.' },
    },
  } as const;
}

/** The regions the caller may see: `null` for every region. */
export function callerRegions(request: FastifyRequest): readonly string[] | null {
  return request.principal?.regions ?? null;
}

/** Equality filters from the querystring, the paging parameters left out. */
export function filtersOf(query: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const name of names) {
    const value = query[name];
    if (value !== undefined) filters[name] = String(value);
  }
  return filters;
}

/** The `ListQuery` of a list route: its equality filters, the caller's regions, sort and paging. */
export function listQueryOf(request: FastifyRequest, filterNames: readonly string[]): ListQuery {
  const q = request.query as Readonly<Record<string, unknown>>;
  return {
    filters: filtersOf(q, filterNames),
    regions: callerRegions(request),
    ...(q.sort !== undefined ? { sort: String(q.sort) } : {}),
    ...(q.limit !== undefined ? { limit: Number(q.limit) } : {}),
    ...(q.after !== undefined ? { after: String(q.after) } : {}),
  };
}

/** Sends a page with its `Link: <…>; rel="next"` header (the same query, with `after`). */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>): Page<T> {
  if (page.next !== null) {
    const url = new URL(request.url, 'http://hub.invalid');
    url.searchParams.set('after', page.next);
    reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return { items: page.items, next: page.next };
}

/** The 404 of a missing entity, or of one outside the caller's regions. */
export function notFound(request: FastifyRequest): HubError {
  return new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url.split('?')[0] ?? '' });
}

/** What `entityRoutes` needs to serve one entity kind's list and by-id routes. */
export interface EntityRouteSpec {
  readonly kind: EntityKind;
  /** `/v1/shipments`; the by-id route is `<path>/{id}`. */
  readonly path: string;
  readonly tag: string;
  /** The resource in prose, plural then singular (`supply requests`, `supply request`). */
  readonly plural: string;
  readonly singular: string;
  /** Filter name → value schema; names as `ListQuery.filters` takes them. */
  readonly filters: Readonly<Record<string, object>>;
  /** Sort fields (ascending names; `-name` is offered too). */
  readonly sorts: readonly string[];
  /** Scoping rule, for the descriptions. */
  readonly scopeNote: string;
  /** `true`: the by-id route is registered by the caller (it adds to the answer). */
  readonly customById?: boolean;
}

/** `GET <path>` (a keyset-paginated, filtered, sorted list) and `GET <path>/{id}`. */
export async function entityRoutes(
  app: FastifyInstance,
  resources: Pick<ResourceQuery, 'listEntities' | 'getEntity'>,
  spec: EntityRouteSpec,
): Promise<void> {
  const filterNames = Object.keys(spec.filters);
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    spec.path,
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: `List ${spec.plural}`,
        description: `${spec.scopeNote} Filters are equalities; unknown parameters are refused. Keyset-paginated: follow \`next\` (or the \`Link: rel="next"\` header). Sends a weak ETag; \`If-None-Match\` gives 304.`,
        tags: [spec.tag],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...spec.filters, ...pagingProperties(['id', ...spec.sorts], 500, 50) },
        },
        response: {
          200: pageSchema(canonical(spec.kind), `A page of ${spec.plural}.`),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const page = await resources.listEntities(spec.kind, listQueryOf(request, filterNames));
      return sendPage(request, reply, page);
    },
  );
  if (spec.customById) return;
  app.get<{ Params: { id: string } }>(
    `${spec.path}/:id`,
    {
      config: { scope: 'read' },
      onSend: etagOnSend,
      schema: {
        summary: `One ${spec.singular}`,
        description: `The stored ${spec.singular} (its newest version). 404 when absent, or outside the caller's regions.`,
        tags: [spec.tag],
        params: { type: 'object', required: ['id'], properties: { id: idSchema } },
        response: { 200: canonical(spec.kind), ...errorResponses },
      },
    },
    async (request) => {
      const doc = await resources.getEntity(spec.kind, request.params.id, callerRegions(request));
      if (doc === undefined) throw notFound(request);
      return doc;
    },
  );
}

const RESOURCE_READS = [
  'listEntities',
  'getEntity',
  'listDeadLetters',
  'getDeadLetter',
  'listMovements',
  'getLot',
  'lotTrace',
  'shipmentHistory',
  'listMaintenanceEvents',
] as const satisfies readonly (keyof ResourceQuery)[];

/**
 * The warehouse's `ResourceQuery`, each read bound to it; a read it lacks (a test double that
 * only answers stock) throws `HUB_ERR_API_NOT_FOUND`, so its routes exist (and are documented)
 * but answer 404.
 */
export function resourceReads(warehouse: Partial<ResourceQuery>): ResourceQuery {
  const reads: Record<string, unknown> = {};
  for (const name of RESOURCE_READS) {
    const read = warehouse[name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    reads[name] =
      typeof read === 'function'
        ? read.bind(warehouse)
        : async () => {
            throw new HubError('HUB_ERR_API_NOT_FOUND', { path: `(this hub's warehouse has no ${name})` });
          };
  }
  return reads as unknown as ResourceQuery;
}
