import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import { validateResource } from '../../core/model/index.js';
import type { IngestResult, IngestService, ResourceQuery, WarehouseQuery } from '../../core/ports/index.js';
import { actsFor, type Principal } from '../auth/principal.js';
import type { IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store.js';
import { idempotencyHeader, idempotent } from '../idempotency/idempotent.js';
import { badRequest, type Problem, problemSchema } from '../problems.js';

/** The push connector that admits partners' supply requests (connectors/api-requests). */
export const REQUESTS_CONNECTOR = 'api-requests';

/**
 * The SupplyRequest lifecycle (FHIR RequestStatus, plus the hub's fulfilment statuses): the
 * statuses reachable from each one. `completed`, `revoked` and `entered-in-error` are final,
 * except that a completed or fulfilled request can still be marked entered-in-error.
 */
export const REQUEST_TRANSITIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  draft: ['active', 'revoked', 'entered-in-error'],
  active: ['on-hold', 'partially-fulfilled', 'fulfilled', 'completed', 'revoked', 'entered-in-error'],
  'on-hold': ['active', 'revoked', 'entered-in-error'],
  'partially-fulfilled': ['fulfilled', 'completed', 'revoked', 'entered-in-error'],
  fulfilled: ['completed', 'entered-in-error'],
  unknown: ['draft', 'active', 'on-hold', 'completed', 'revoked', 'entered-in-error'],
  completed: ['entered-in-error'],
  revoked: [],
  'entered-in-error': [],
});

export const REQUEST_STATUSES = Object.keys(REQUEST_TRANSITIONS);

export interface RequestRouteOptions {
  readonly ingest: IngestService;
  readonly idempotency: IdempotencyStore;
  /** Locations, to place a request's destination in a region. */
  readonly warehouse: Pick<WarehouseQuery, 'listLocations'>;
  readonly resources: Pick<ResourceQuery, 'getEntity'>;
  /** Embedded writes are readable when answered (201/200); distributed ones are on the stream (202). */
  readonly mode: 'embedded' | 'distributed';
}

const acceptedSchema = {
  type: 'object',
  required: ['id', 'href'],
  description: 'Accepted: durable on the stream, readable once the sink has stored it (distributed mode).',
  properties: { id: { type: 'string' }, href: { type: 'string' } },
} as const;

const SUPPLY_REQUEST = { $ref: 'https://reserve-hub.ma/schemas/SupplyRequest/1' } as const;
const idParam = { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' } as const;

// The body is judged by core's validation (422 with pointers, and a dead letter), never by the
// route's schema (a 400 would lose the request): the route compiler validates params and headers only.
const ajv = new Ajv({ coerceTypes: true, allErrors: true, removeAdditional: false });
const noBodyValidation = ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
  httpPart === 'body' ? () => true : ajv.compile(schema);

/**
 * `POST /v1/requests` (scope `requests:write`): a partner creates a canonical SupplyRequest.
 * It enters the same pipeline as any source, through the `api-requests` push connector: lineage
 * (source system: the requesting organisation, pushed by the caller), core's validation, the
 * dead letters, the sink. A caller bound to regions or organisations may only create requests
 * delivered to its regions and asked by its organisations (403 otherwise).
 *
 * `PATCH /v1/requests/{id}` (scope `requests:write`): a status change, written as a new version
 * through the same pipeline; 409 on a transition the lifecycle forbids, 404 when the caller
 * cannot see the request. Both honour `Idempotency-Key` as `POST /v1/ingest` does.
 */
export async function requestRoutes(app: FastifyInstance, opts: RequestRouteOptions): Promise<void> {
  const regionOf = async (locationId: string, regions: readonly string[]): Promise<string | undefined> => {
    for (const region of regions) {
      const found = (await opts.warehouse.listLocations({ region })).some((l) => l.id === locationId);
      if (found) return region;
    }
    return undefined;
  };

  app.post<{ Body: unknown }>(
    '/v1/requests',
    {
      config: { scope: 'requests:write' },
      validatorCompiler: noBodyValidation,
      schema: {
        summary: 'Create a supply request',
        description:
          'The body is a canonical SupplyRequest. It goes through the same pipeline as any source: it gets its ' +
          'lineage (connector `api-requests`, source system the requesting organisation) and is validated by the ' +
          'canonical model; an invalid request is answered 422 with a pointer per problem and kept as a dead ' +
          'letter. A credential bound to regions may only create requests delivered to them. Any `meta` other ' +
          'than `tag` is the hub’s. Send an `Idempotency-Key` to retry safely.',
        tags: ['requests'],
        operationId: 'createRequest',
        headers: idempotencyHeader,
        body: { content: { 'application/json': { schema: SUPPLY_REQUEST } } },
        response: {
          201: { ...SUPPLY_REQUEST, description: 'Created; stored with its lineage (embedded mode).' },
          202: acceptedSchema,
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) => {
      const named = (request.body as { id?: unknown } | null)?.id;
      if (typeof named === 'string') request.auditResource = named.slice(0, 128);
      return idempotent(request, reply, opts.idempotency, async () => {
        const principal = request.principal as Principal;
        const body = request.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw badRequest('the body is one SupplyRequest, a JSON object', [
            { pointer: '/body', code: 'HUB_ERR_API_BAD_QUERY', message: 'must be a JSON object' },
          ]);
        }
        const submitted = body as Record<string, unknown>;
        await checkDataScope(principal, submitted);
        const id = typeof submitted.id === 'string' ? submitted.id : undefined;
        if (id !== undefined && /^[A-Za-z0-9\-.]{1,64}$/.test(id)) {
          if (await opts.resources.getEntity('SupplyRequest', id)) throw new HubError('HUB_ERR_REQUEST_EXISTS', { id });
        }
        const receivedAt = new Date().toISOString();
        await admit(principal, submitted, receivedAt);
        return stored(submitted, id as string, 201);
      });
    },
  );

  app.patch<{ Params: { id: string }; Body: { status: string; reason?: string } }>(
    '/v1/requests/:id',
    {
      config: { scope: 'requests:write' },
      schema: {
        summary: 'Change the status of a supply request',
        description:
          'Writes a new version of the request with the new status, through the same pipeline as its creation. ' +
          'Allowed transitions: ' +
          Object.entries(REQUEST_TRANSITIONS)
            .map(([from, to]) => `\`${from}\` → ${to.length > 0 ? to.map((t) => `\`${t}\``).join(', ') : '(final)'}`)
            .join('; ') +
          '. Any other change is 409; asking for the current status changes nothing (200).',
        tags: ['requests'],
        operationId: 'updateRequestStatus',
        params: { type: 'object', required: ['id'], properties: { id: idParam } },
        headers: idempotencyHeader,
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { enum: REQUEST_STATUSES },
            reason: { type: 'string', maxLength: 2048, description: 'Why; replaces the request’s `reason`.' },
          },
        },
        response: {
          200: { ...SUPPLY_REQUEST, description: 'The request as now stored (embedded mode).' },
          202: acceptedSchema,
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) =>
      idempotent(request, reply, opts.idempotency, async () => {
        const principal = request.principal as Principal;
        const { id } = request.params;
        const current = await opts.resources.getEntity('SupplyRequest', id, principal.regions);
        if (!current) throw new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url });
        const requester = referenceId(current.requester);
        if (requester !== undefined && !actsFor(principal, requester)) {
          throw new HubError('HUB_ERR_AUTH_DATA_SCOPE', {
            what: `a request of Organization/${requester}`,
            scope: describeScope(principal),
          });
        }
        const from = String(current.status);
        const to = request.body.status;
        if (from === to && request.body.reason === undefined) return json(200, current);
        const allowed = REQUEST_TRANSITIONS[from] ?? [];
        if (from !== to && !allowed.includes(to)) {
          throw new HubError('HUB_ERR_REQUEST_TRANSITION', {
            from,
            to,
            allowed: allowed.length > 0 ? allowed.join(', ') : 'none (final)',
          });
        }
        const { meta, ...fields } = current;
        const next: Record<string, unknown> = {
          ...fields,
          status: to,
          ...(request.body.reason === undefined ? {} : { reason: request.body.reason }),
          ...(Array.isArray(tagsOf(meta)) ? { meta: { tag: tagsOf(meta) } } : {}),
        };
        // The new version must sort after the stored one, whatever the clocks say.
        const previous = Date.parse(String(meta?.lastUpdated ?? ''));
        const now = Date.now();
        const receivedAt = new Date(Number.isNaN(previous) ? now : Math.max(now, previous + 1)).toISOString();
        await admit(principal, next, receivedAt);
        return stored(next, id, 200);
      }),
  );

  /** 403 unless the caller acts for the requester and may see the destination's region. */
  async function checkDataScope(principal: Principal, submitted: Record<string, unknown>): Promise<void> {
    const requester = referenceId(submitted.requester);
    if (requester !== undefined && !actsFor(principal, requester)) {
      throw new HubError('HUB_ERR_AUTH_DATA_SCOPE', {
        what: `requests of Organization/${requester}`,
        scope: describeScope(principal),
      });
    }
    const destination = referenceId(submitted.deliverTo);
    if (principal.regions !== null && destination !== undefined) {
      if ((await regionOf(destination, principal.regions)) === undefined) {
        throw new HubError('HUB_ERR_AUTH_DATA_SCOPE', {
          what: `requests delivered to Location/${destination}`,
          scope: describeScope(principal),
        });
      }
    }
  }

  /** Through the pipeline; a refused request is a 422 naming every problem and its dead letter. */
  async function admit(principal: Principal, doc: Record<string, unknown>, receivedAt: string): Promise<IngestResult> {
    const result = await opts.ingest.ingest(REQUESTS_CONNECTOR, {
      body: Buffer.from(JSON.stringify(doc), 'utf8'),
      contentType: 'application/json',
      receivedAt,
      pushedBy: principal.keyId,
    });
    if (result.rejected > 0) {
      // The pipeline kept the request as a dead letter; the same validation says where it is wrong.
      const meta = doc.meta as { tag?: unknown } | undefined;
      const form = { ...doc, meta: { ...(meta?.tag === undefined ? {} : { tag: meta.tag }), lastUpdated: receivedAt } };
      const v = validateResource(form);
      const issues: Problem['errors'] = v.valid
        ? [{ pointer: '', code: 'HUB_ERR_MODEL_SCHEMA', message: 'refused by the pipeline' }]
        : v.errors.map((e) => ({ pointer: e.pointer, code: e.code, message: e.message }));
      const e = new HubError('HUB_ERR_REQUEST_INVALID', {
        count: issues.length,
        deadLetter: result.deadLetterIds[0] ?? 'unknown',
      });
      throw Object.assign(e, { issues });
    }
    return result;
  }

  /** The answer to a durable write: the request as stored (embedded), or where it will be (distributed). */
  async function stored(doc: Record<string, unknown>, id: string, status: 200 | 201): Promise<StoredResponse> {
    const href = `/v1/requests/${id}`;
    if (opts.mode === 'distributed') return json(202, { id, href });
    const found = await opts.resources.getEntity('SupplyRequest', id);
    return json(status, found ?? doc, status === 201 ? href : undefined);
  }
}

function json(status: number, body: unknown, location?: string): StoredResponse & { location?: string } {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify(body),
    ...(location ? { location } : {}),
  };
}

const tagsOf = (meta: unknown): unknown => (meta as { tag?: unknown } | undefined)?.tag;

/** `Organization/x` → `x`; undefined when not a reference. */
function referenceId(ref: unknown): string | undefined {
  const r = (ref as { reference?: unknown } | undefined)?.reference;
  if (typeof r !== 'string') return undefined;
  const slash = r.indexOf('/');
  return slash < 0 ? undefined : r.slice(slash + 1);
}

function describeScope(p: Principal): string {
  const parts = [
    p.regions === null ? undefined : `regions ${p.regions.join(', ') || '(none)'}`,
    p.organisations === null ? undefined : `organisations ${p.organisations.join(', ') || '(none)'}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'unrestricted';
}
