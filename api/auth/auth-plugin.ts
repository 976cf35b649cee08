import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError, isHubError } from '../../core/errors/index.js';
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
    if (!route.url.startsWith('/v1')) return;
    const scope = (route.config as { scope?: Scope } | undefined)?.scope;
    if (!scope) throw new Error(`route ${route.method} ${route.url} declares no scope`);
    // The spec says which scope each operation needs (clients, the authorization matrix test).
    if (route.schema) Object.assign(route.schema, { 'x-required-scope': scope });
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    // A CORS preflight carries no credentials by design (the CORS plugin answers it).
    if (!request.url.startsWith('/v1') || request.method === 'OPTIONS') return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub"');
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_MISSING'), request.url);
    }
    let principal: Principal | undefined;
    try {
      principal = await opts.verifier.verify(match[1]);
    } catch (err) {
      // A verifier that knows why it refuses (an expired JWT) says so; anything else is a fault.
      if (!isHubError(err) || err.status !== 401) throw err;
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub", error="invalid_token"');
      return sendProblem(reply, err, request.url);
    }
    if (!principal) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub", error="invalid_token"');
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_INVALID'), request.url);
    }
    // Known before the scope check, so that a refused write is audited under its credential.
    request.principal = principal;
    const scope = request.routeOptions.config.scope;
    if (scope && !hasScope(principal, scope)) {
      return sendProblem(reply, new HubError('HUB_ERR_AUTH_FORBIDDEN', { scope }), request.url);
    }
  });
}
