import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors/index.js';
import { installProblemHandlers } from '../problems.js';
import { authPlugin } from './auth-plugin.js';
import type { CredentialVerifier, Principal } from './principal.js';

const reader: Principal = { keyId: 'k-read', name: 'reader', scopes: ['read'], regions: null, organisations: null };

/** A verifier answering `verdict` for the token `good`, synchronously or as a promise. */
function verifier(mode: 'sync' | 'async', verdict: (token: string) => Principal | undefined): CredentialVerifier {
  return { verify: (token) => (mode === 'sync' ? verdict(token) : Promise.resolve().then(() => verdict(token))) };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(v: CredentialVerifier): Promise<FastifyInstance> {
  app = Fastify({ logger: false });
  installProblemHandlers(app);
  await authPlugin(app, { verifier: v });
  app.get('/v1/thing', { config: { scope: 'read' } }, async (request) => ({ who: request.principal?.keyId }));
  app.post('/v1/thing', { config: { scope: 'ingest' } }, async () => ({ ok: true }));
  app.get('/open', async () => ({ open: true }));
  return app;
}

const call = (a: FastifyInstance, method: 'GET' | 'POST', url: string, token?: string) =>
  a.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe.each(['sync', 'async'] as const)('auth hook with a %s verifier', (mode) => {
  it('admits a known token with the scope, refuses an unknown one, a missing one and a missing scope', async () => {
    const a = await serve(verifier(mode, (t) => (t === 'good' ? reader : undefined)));
    const ok = await call(a, 'GET', '/v1/thing', 'good');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ who: 'k-read' });
    const unknown = await call(a, 'GET', '/v1/thing', 'bad');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('HUB_ERR_AUTH_INVALID');
    expect(unknown.headers['www-authenticate']).toContain('error="invalid_token"');
    const missing = await call(a, 'GET', '/v1/thing');
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('HUB_ERR_AUTH_MISSING');
    const forbidden = await call(a, 'POST', '/v1/thing', 'good');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBe('HUB_ERR_AUTH_FORBIDDEN');
    // Unknown /v1 paths need a credential too; paths outside /v1 do not.
    expect((await call(a, 'GET', '/v1/nothing-here')).statusCode).toBe(401);
    expect((await call(a, 'GET', '/open')).statusCode).toBe(200);
  });

  it('answers a refusal that says why (401 HubError) as 401, and any other failure as a 500 without internals', async () => {
    const a = await serve(
      verifier(mode, (t) => {
        if (t === 'expired') throw new HubError('HUB_ERR_AUTH_TOKEN', { reason: 'the token has expired' });
        throw new Error('jwks fetch failed: secret internals');
      }),
    );
    const expired = await call(a, 'GET', '/v1/thing', 'expired');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('HUB_ERR_AUTH_TOKEN');
    expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
    const broken = await call(a, 'GET', '/v1/thing', 'other');
    expect(broken.statusCode).toBe(500);
    expect(broken.json().code).toBe('HUB_ERR_API_INTERNAL');
    expect(broken.body).not.toContain('secret internals');
  });
});
