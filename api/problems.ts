import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode, HubError, isHubError } from '../core/errors/index.js';

/** An RFC 9457 problem document, with the catalogue code as an extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  errors?: { pointer: string; code: string; message: string }[];
}

const PROBLEM_BASE = 'https://reserve-hub.ma/problems/';

export function problemOf(error: HubError, instance: string): Problem {
  const problem: Problem = {
    type: PROBLEM_BASE + error.code,
    title: error.code
      .replace(/^HUB_ERR_/, '')
      .replaceAll('_', ' ')
      .toLowerCase(),
    status: error.status,
    detail: error.message,
    instance,
    code: error.code,
  };
  const issues = (error as HubError & { issues?: Problem['errors'] }).issues;
  if (issues) problem.errors = issues;
  return problem;
}

export function sendProblem(reply: FastifyReply, error: HubError, instance: string): FastifyReply {
  // A route that knows when to come back (a rate limit) has set its own Retry-After already.
  if (error.kind === 'transient' && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '5');
  return reply.code(error.status).type('application/problem+json').send(problemOf(error, instance));
}

/** A HubError carrying per-field issues, for 400s on request validation. */
export function badRequest(reason: string, issues: Problem['errors'] = []): HubError {
  const e = new HubError('HUB_ERR_API_BAD_QUERY', { reason });
  return Object.assign(e, { issues });
}

/**
 * Maps every error to a problem document. Catalogue errors keep their code and status; Fastify's
 * request validation errors become `HUB_ERR_API_BAD_QUERY` with JSON pointers; anything else is
 * logged with an incident id and answered 500 without internals (no stack, no SQL).
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HubError, request: FastifyRequest, reply: FastifyReply) => {
    if (isHubError(error)) {
      if (error.status >= 500) request.log.error({ err: error, detail: error.detail }, error.message);
      return sendProblem(reply, error, request.url);
    }
    if ((error as FastifyError).validation) {
      const ctx = (error as FastifyError).validationContext ?? 'request';
      const issues = ((error as FastifyError).validation ?? []).map((v) => {
        const extra = (v.params as { additionalProperty?: string }).additionalProperty;
        const pointer = `/${ctx}${v.instancePath}${extra ? `/${extra}` : ''}`;
        return {
          pointer,
          code: 'HUB_ERR_API_BAD_QUERY',
          message: extra
            ? `unknown ${ctx === 'querystring' ? 'filter' : 'field'} '${extra}'`
            : `${v.message ?? 'invalid'}`,
        };
      });
      const reason = issues.map((i) => `${i.pointer}: ${i.message}`).join('; ');
      return sendProblem(reply, badRequest(reason, issues), request.url);
    }
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      const e =
        status === 404 ? new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url }) : badRequest(error.message);
      return sendProblem(reply.code(status), e, request.url);
    }
    const incident = randomUUID();
    request.log.error({ err: error, incident }, 'unhandled error');
    return sendProblem(reply, new HubError('HUB_ERR_API_INTERNAL', { incident }), request.url);
  });
  // Route patterns seen as they are registered: a known path asked with another method is a
  // 405 with `Allow` (RFC 9110 §15.5.6), not a 404.
  const patterns: { re: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String);
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    patterns.push({ re: new RegExp(`^${source}/?$`), methods });
  });
  /** The 405 of a known path asked with a method it does not answer, or `undefined`. */
  const methodNotAllowed = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = [...new Set(patterns.filter((p) => p.re.test(path)).flatMap((p) => p.methods))].sort();
    if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
    reply.header('Allow', allowed.join(', '));
    const e = new HubError('HUB_ERR_API_METHOD_NOT_ALLOWED', {
      method: request.method,
      path,
      allowed: allowed.join(', '),
    });
    return sendProblem(reply, e, request.url);
  };
  // Before the body is parsed: a method with a body but no Content-Type (QUERY, …) on a path
  // that does not take it is a 405, not a 400 about its media type.
  // A callback hook: no promise per request. When the 405 is sent, `done` is not called.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.is404 && methodNotAllowed(request, reply) !== undefined) return;
    done();
  });
  app.setNotFoundHandler(
    (request, reply) =>
      methodNotAllowed(request, reply) ??
      sendProblem(reply, new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url.split('?')[0] ?? '' }), request.url),
  );
}

export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERRORS) },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;
