import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHub, waitFor } from '../test/hub-process.js';
import { ApiKeyStore } from './auth/api-key-store.js';
import { hasScope, type Principal, type Scope } from './auth/principal.js';
import { type ApiOptions, buildApi } from './server.js';

const ISSUER = 'https://auth.reserve-hub.test';
const AUDIENCE = 'reserve-hub-api';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions.
type J = any;
const json = async (res: Response): Promise<J> => res.json();
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * Security of the running hub (embedded mode, a real process): OAuth2 client-credentials JWTs
 * checked against a local JWKS, and an authorization matrix over every operation the served
 * OpenAPI document lists — discovered at run time, so a new route is covered without editing
 * this file — for every role and data scope; then `Idempotency-Key` replay on every POST.
 */
describe('API security: JWTs, authorization matrix, idempotent POSTs', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-security-'));
  const admin = `security-bootstrap-${randomUUID()}`;
  let hub: HubProcess | undefined;
  let signKey: SigningKey;
  let strangerKey: SigningKey;
  const keys: Record<string, { token: string; principal: Principal }> = {};

  const jwt = async (
    claims: Record<string, unknown>,
    opts: { key?: SigningKey; issuer?: string; audience?: string; expires?: string | number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(opts.issuer ?? ISSUER)
      .setAudience(opts.audience ?? AUDIENCE)
      .setSubject(String(claims.sub ?? 'client-a'))
      .setIssuedAt()
      .setExpirationTime(opts.expires ?? '5m')
      .sign(opts.key ?? signKey);

  const call = async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (!hub) throw new Error('hub not started');
    const res = await fetch(hub.url + path, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return res;
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signKey = pair.privateKey as SigningKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey as SigningKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwksFile = join(dataDir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));

    const store = new ApiKeyStore(join(dataDir, 'hub-state.sqlite'));
    const make = (role: string, scopes: Scope[], regions: string[] | null = null) => {
      const { key, info } = store.create({ name: role, scopes, regions });
      keys[role] = {
        token: key,
        principal: { keyId: info.id, name: role, scopes, regions, organisations: null },
      };
    };
    make('read', ['read']);
    make('ingest', ['ingest']);
    make('requests:write', ['requests:write']);
    make('admin', ['admin']);
    make('region-scoped read', ['read'], ['souss-massa']);
    store.close();
    keys['jwt read+write (region-scoped)'] = {
      token: await jwt(
        { sub: 'client-souss', scope: 'read requests:write', regions: ['souss-massa'] },
        { expires: '30m' },
      ),
      principal: {
        keyId: 'oauth:client-souss',
        name: 'client-souss',
        scopes: ['read', 'requests:write'],
        regions: ['souss-massa'],
        organisations: null,
      },
    };

    hub = await startHub({
      HUB_DATA_DIR: dataDir,
      HUB_SIMULATOR_MOVEMENTS: '100',
      HUB_SIMULATOR_INTERVAL_MS: '0',
      HUB_BOOTSTRAP_API_KEY: admin,
      HUB_LOG_LEVEL: 'warn',
      HUB_JWT_JWKS_FILE: jwksFile,
      HUB_JWT_ISSUER: ISSUER,
      HUB_JWT_AUDIENCE: AUDIENCE,
    });
    const running = hub;
    await waitFor('the API', async () => ((await running.get('/health')).ok ? true : undefined), 120_000, hub);
  });
  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  it('accepts a valid client-credentials JWT and reads its scopes and regions', async () => {
    const token = await jwt({ sub: 'client-a', scope: 'read unknown-scope', regions: ['souss-massa'] });
    const res = await call('GET', '/v1/connectors', token);
    expect(res.status).toBe(200);
    const write = await call('POST', '/v1/requests', token, {});
    expect(write.status).toBe(403);
    expect((await json(write)).code).toBe('HUB_ERR_AUTH_FORBIDDEN');
  });

  it('refuses an expired, foreign-issuer, foreign-audience or badly signed JWT with 401 problems', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      [await jwt({ scope: 'admin' }, { expires: now - 3600 }), 'the token has expired'],
      [await jwt({ scope: 'admin' }, { issuer: 'https://evil.test' }), 'the token was issued by another issuer'],
      [await jwt({ scope: 'admin' }, { audience: 'another-api' }), 'the token is meant for another audience'],
      [await jwt({ scope: 'admin' }, { key: strangerKey }), 'the signature matches no key of the hub'],
    ];
    for (const [token, reason] of cases) {
      const res = await call('GET', '/v1/audit', token);
      expect(res.status, reason).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
      const problem = await json(res);
      expect(problem).toMatchObject({
        code: 'HUB_ERR_AUTH_TOKEN',
        status: 401,
        detail: `Invalid bearer token: ${reason}`,
      });
    }
  });

  it('audits a JWT client’s write under oauth:<sub>, readable by admin only', async () => {
    const token = await jwt({ sub: 'client-audited', scope: 'requests:write' });
    const write = await call(
      'POST',
      '/v1/requests',
      token,
      { resourceType: 'SupplyRequest', id: 'sr-audit-1' },
      {
        'user-agent': 'security-test/1',
      },
    );
    expect(write.status).toBe(422);
    const reader = await call('GET', '/v1/audit', keys.read?.token);
    expect(reader.status).toBe(403);
    const res = await call('GET', '/v1/audit?principal=oauth:client-audited', admin);
    expect(res.status).toBe(200);
    const { items } = (await json(res)) as { items: Record<string, unknown>[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      principal: 'oauth:client-audited',
      method: 'POST',
      route: '/v1/requests',
      resourceId: 'sr-audit-1',
      status: 422,
      ip: '127.0.0.1',
      userAgent: 'security-test/1',
    });
  });

  /** Every `/v1` operation of the served spec, with the scope its `x-required-scope` names. */
  const operations = async () => {
    const spec = (await json(await call('GET', '/openapi.json'))) as {
      paths: Record<string, Record<string, { 'x-required-scope'?: Scope }>>;
    };
    const ops: { method: string; template: string; path: string; scope: Scope | undefined }[] = [];
    for (const [template, item] of Object.entries(spec.paths)) {
      if (!template.startsWith('/v1')) continue;
      for (const [method, op] of Object.entries(item)) {
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => PARAM_VALUES[name] ?? 'matrix-probe');
        ops.push({ method: method.toUpperCase(), template, path, scope: op['x-required-scope'] });
      }
    }
    return ops;
  };
  /** Path parameter values that reach the handlers (a push connector, a well-formed id). */
  const PARAM_VALUES: Record<string, string> = { connector: 'api-requests', name: 'api-requests', id: '0'.repeat(64) };

  /** Sends the request and reads only its status: a stream (events, exports) is cut at once. */
  const statusOf = async (method: string, path: string, token: string | undefined) => {
    const res = await call(method, path, token, method === 'GET' ? undefined : {}, {
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    });
    await res.body?.cancel();
    return res.status;
  };

  it('answers every route × role as its declared scope and the role’s data scope say', async () => {
    const ops = await operations();
    expect(ops.map((o) => `${o.method} ${o.template}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/requests',
        'PATCH /v1/requests/{id}',
        'POST /v1/dead-letters/{id}/replay',
        'GET /v1/connectors',
        'GET /v1/audit',
        'POST /v1/ingest/{connector}',
      ]),
    );
    const failures: string[] = [];
    const expired = await jwt({ scope: 'admin' }, { expires: Math.floor(Date.now() / 1000) - 60 });
    for (const op of ops) {
      if (!op.scope) {
        failures.push(`${op.method} ${op.template} declares no scope in the spec`);
        continue;
      }
      const unauthenticated: [string, string | undefined][] = [
        ['none', undefined],
        ['bad token', `rh_000000000000_${'x'.repeat(32)}`],
        ['expired JWT', expired],
      ];
      for (const [role, token] of unauthenticated) {
        const status = await statusOf(op.method, op.path, token);
        if (status !== 401) failures.push(`${op.method} ${op.path} as ${role}: ${status}, expected 401`);
      }
      for (const [role, { token, principal }] of Object.entries(keys)) {
        const status = await statusOf(op.method, op.path, token);
        const allowed = hasScope(principal, op.scope);
        const ok = allowed ? status !== 401 && status !== 403 && status < 500 : status === 403;
        if (!ok)
          failures.push(
            `${op.method} ${op.path} as ${role}: ${status}, expected ${allowed ? '2xx-4xx, not 401/403' : '403'}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('replays every POST sent again with the same Idempotency-Key', async () => {
    const posts = (await operations()).filter((o) => o.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const op of posts) {
      const key = randomUUID();
      const first = await call('POST', op.path, admin, {}, { 'idempotency-key': key });
      const firstBody = await first.text();
      const again = await call('POST', op.path, admin, {}, { 'idempotency-key': key });
      expect(again.headers.get('idempotent-replayed'), `${op.method} ${op.template}`).toBe('true');
      expect(again.status, op.template).toBe(first.status);
      expect(await again.text(), op.template).toBe(firstBody);
      const other = await call('POST', op.path, admin, { other: true }, { 'idempotency-key': key });
      expect((await json(other)).code, op.template).toBe('HUB_ERR_IDEMPOTENCY_KEY_REUSED');
    }
  });
});

/**
 * Rate limits and CORS are the API's own logic: an in-process API over a warehouse that holds
 * nothing is enough to see them (no engine involved).
 */
describe('API protection: per-client rate limits, CORS off by default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-protection-'));
  const store = new ApiKeyStore(join(dir, 'hub-state.sqlite'));
  const a = store.create({ name: 'a', scopes: ['read'] }).key;
  const b = store.create({ name: 'b', scopes: ['read'] }).key;
  const build = (extra: Partial<ApiOptions>) =>
    buildApi({
      warehouse: { listLocations: async () => [], stockOnHand: async () => [] },
      verifier: store,
      probe: async () => ({}),
      mode: 'embedded',
      version: 'test',
      ...extra,
    });
  afterAll(() => store.close());

  it('limits each client on its own, with a 429 problem and Retry-After', async () => {
    const app = await build({ rateLimitPerMinute: 3 });
    const get = (key: string) => app.inject({ url: '/v1/locations', headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expect((await get(a)).statusCode).toBe(200);
    const limited = await get(a);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(5);
    expect(limited.json()).toMatchObject({ code: 'HUB_ERR_API_RATE_LIMITED', status: 429 });
    // Another credential has its own budget.
    expect((await get(b)).statusCode).toBe(200);
    await app.close();
  });

  it('sends no CORS header unless origins are configured, then only for them', async () => {
    const closed = await build({});
    const preflight = {
      method: 'OPTIONS' as const,
      url: '/v1/locations',
      headers: { origin: 'https://partner.ma', 'access-control-request-method': 'GET' },
    };
    const plain = await closed.inject({
      url: '/v1/locations',
      headers: { origin: 'https://partner.ma', authorization: `Bearer ${a}` },
    });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect((await closed.inject(preflight)).headers['access-control-allow-origin']).toBeUndefined();
    await closed.close();

    const open = await build({ corsOrigins: ['https://partner.ma'] });
    const allowed = await open.inject(preflight);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://partner.ma');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('Idempotency-Key');
    const foreign = await open.inject({ ...preflight, headers: { ...preflight.headers, origin: 'https://evil.test' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    await open.close();
  });
});
