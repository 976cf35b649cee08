import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, problemSchema } from '../problems.js';
import { type AuditLog, decodeCursor } from './audit-log.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resource a write created or changed, for the audit trail (set by the route). */
    auditResource?: string;
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const entrySchema = {
  type: 'object',
  required: ['id', 'at', 'principal', 'method', 'route', 'path', 'status', 'ip'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    principal: { type: ['string', 'null'], description: 'API key id, or `oauth:<sub>` for a JWT client.' },
    principalName: { type: ['string', 'null'] },
    method: { type: 'string' },
    route: { type: 'string', description: 'The route pattern, e.g. `/v1/requests/:id`.' },
    path: { type: 'string' },
    resourceId: { type: ['string', 'null'] },
    status: { type: 'integer', description: 'The HTTP status answered.' },
    ip: { type: 'string' },
    userAgent: { type: ['string', 'null'] },
    idempotencyKey: { type: ['string', 'null'] },
  },
} as const;

/**
 * Audits every write under `/v1` (POST, PUT, PATCH, DELETE), whatever its outcome, refusals
 * included; serves `GET /v1/audit` (scope `admin`). A failure to write an entry is logged and
 * does not change the answer already sent.
 */
export async function auditPlugin(app: FastifyInstance, opts: { log: AuditLog }): Promise<void> {
  // A callback hook (the append is synchronous): no promise for every read answered.
  app.addHook('onResponse', (request, reply, done) => {
    if (!WRITES.has(request.method) || !request.url.startsWith('/v1')) {
      done();
      return;
    }
    try {
      opts.log.append({
        at: new Date().toISOString(),
        principal: request.principal?.keyId ?? null,
        principalName: request.principal?.name ?? null,
        method: request.method,
        route: request.routeOptions.url ?? pathOf(request),
        path: pathOf(request),
        resourceId: request.auditResource ?? resourceOf(request),
        status: reply.statusCode,
        ip: request.ip,
        userAgent: header(request, 'user-agent'),
        idempotencyKey: header(request, 'idempotency-key'),
      });
    } catch (err) {
      request.log.error({ err }, 'audit entry not written');
    }
    done();
  });

  app.get<{ Querystring: { principal?: string; limit?: number; after?: string } }>(
    '/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Audit trail of writes',
        description:
          'Every write to the API (creates, status changes, pushes, replays), refused ones included, newest ' +
          'first: who, what, when and from where. Admin only. Pass `next` back as `after` for the next page.',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            principal: {
              type: 'string',
              maxLength: 200,
              description: 'Only this credential (key id or `oauth:<sub>`).',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            after: { type: 'string', maxLength: 100, description: 'The `next` cursor of the previous page.' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'next'],
            properties: { items: { type: 'array', items: entrySchema }, next: { type: ['string', 'null'] } },
          },
          '4xx': problemSchema,
        },
      },
    },
    async (request) => {
      const { principal, limit, after } = request.query;
      if (after !== undefined) {
        try {
          decodeCursor(after);
        } catch {
          throw badRequest('after is not a cursor of this list', [
            { pointer: '/querystring/after', code: 'HUB_ERR_API_BAD_QUERY', message: 'not a cursor of this list' },
          ]);
        }
      }
      return opts.log.list({
        ...(principal === undefined ? {} : { principal }),
        ...(limit === undefined ? {} : { limit }),
        ...(after === undefined ? {} : { after }),
      });
    },
  );
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function header(request: FastifyRequest, name: string): string | null {
  const v = request.headers[name];
  return typeof v === 'string' ? v.slice(0, 512) : null;
}

/** The resource a route's params name: `:id`, else `:name` or `:connector`. */
function resourceOf(request: FastifyRequest): string | null {
  const p = request.params as Record<string, unknown> | undefined;
  const v = p?.id ?? p?.name ?? p?.connector;
  return typeof v === 'string' ? v : null;
}
