import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  /** Admits the verified principal, or refuses; calls `done` only to let the request go on. */
  const decide = (
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal | undefined,
    done: (err?: Error) => void,
  ): void => {
    if (!principal) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub", error="invalid_token"');
      sendProblem(reply, new HubError('HUB_ERR_AUTH_INVALID'), request.url);
      return;
    }
    // Known before the scope check, so that a refused write is audited under its credential.
    request.principal = principal;
    const scope = request.routeOptions.config.scope;
    if (scope && !hasScope(principal, scope)) {
      sendProblem(reply, new HubError('HUB_ERR_AUTH_FORBIDDEN', { scope }), request.url);
      return;
    }
    done();
  };
  /** A verifier's refusal that says why (an expired JWT) is a 401; anything else is a fault. */
  const failed = (request: FastifyRequest, reply: FastifyReply, err: unknown, done: (err?: Error) => void): void => {
    if (!isHubError(err) || err.status !== 401) {
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub", error="invalid_token"');
    sendProblem(reply, err, request.url);
  };
  // A callback hook, not an async one: with a synchronous verifier (API keys) the request goes
  // on without waiting for a promise; an asynchronous one (a JWT) is awaited as before.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    // A CORS preflight carries no credentials by design (the CORS plugin answers it).
    if (!request.url.startsWith('/v1') || request.method === 'OPTIONS') {
      done();
      return;
    }
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      reply.header('WWW-Authenticate', 'Bearer realm="reserve-hub"');
      sendProblem(reply, new HubError('HUB_ERR_AUTH_MISSING'), request.url);
      return;
    }
    let verdict: Principal | undefined | Promise<Principal | undefined>;
    try {
      verdict = opts.verifier.verify(match[1]);
    } catch (err) {
      failed(request, reply, err, done);
      return;
    }
    if (isPromiseLike(verdict)) {
      verdict.then(
        (principal) => {
          try {
            decide(request, reply, principal, done);
          } catch (err) {
            done(err as Error);
          }
        },
        (err: unknown) => failed(request, reply, err, done),
      );
    } else {
      decide(request, reply, verdict, done);
    }
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
