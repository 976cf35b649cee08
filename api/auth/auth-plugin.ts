import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import { sendProblem } from '../problems.js';
import { type CredentialVerifier, hasScope, type Principal, type Scope } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Scope a route requires; every `/v1` route declares one. */
    scope?: Scope;
  }
}

/**
 * Authenticates every `/v1` request with `Authorization: Bearer <key>` and enforces the
 * route's declared scope. A `/v1` route without a declared scope is refused at start-up, so a
 * new route cannot be exposed by accident.
 */
export async function authPlugin(app: FastifyInstance, opts: { verifier: CredentialVerifier }): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1') && !(route.config as { scope?: Scope } | undefined)?.scope) {
      throw new Error(`route ${route.method} ${route.url} declares no scope`);
    }
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (!request.url.startsWith('/v1')) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub"');
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_MISSING'), request.url);
    }
    const principal = opts.verifier.verify(match[1]);
    if (!principal) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub", error="invalid_token"');
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_INVALID'), request.url);
    }
    const scope = request.routeOptions.config.scope;
    if (scope && !hasScope(principal, scope)) {
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_FORBIDDEN', { scope }), request.url);
    }
    request.principal = principal;
  });
}
