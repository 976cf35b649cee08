import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHub, waitFor } from '../test/hub-process.js';
import { ApiKeyStore } from './auth/api-key-store.js';

const ROOT = resolve(import.meta.dirname, '..');
const UNMAPPABLE_EPCIS = readFileSync(join(ROOT, 'connectors/epcis/test/fixtures/bad/unmappable-events.jsonld'));

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions.
type J = any;
const json = async (res: Response): Promise<J> => res.json();

/**
 * Partner writes against the real hub (embedded mode: DuckDB, the connector runtime, the push
 * pipeline): supply requests created and moved through their lifecycle with lineage and data
 * scope, dead-letter replay, connector status, and the audit trail of it all.
 */
describe('partner writes through the pipeline (embedded hub)', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-writes-'));
  const admin = `writes-bootstrap-${randomUUID()}`;
  let hub: HubProcess | undefined;
  let souss = { key: '', id: '' };
  let reader = '';
  let ingester = '';

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (!hub) throw new Error('hub not started');
    return fetch(hub.url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });
  };

  const request = (id: string, over: Record<string, unknown> = {}) => ({
    resourceType: 'SupplyRequest',
    id,
    status: 'draft',
    priority: 'urgent',
    requester: { reference: 'Organization/crs-souss-massa' },
    deliverTo: { reference: 'Location/souss-massa-wh1' },
    authoredOn: '2026-11-28T08:00:00+01:00',
    lines: [{ sequence: 1, product: { reference: 'Product/water-5l' }, quantity: { value: 400, unit: 'EA' } }],
    ...over,
  });

  beforeAll(async () => {
    const store = new ApiKeyStore(join(dataDir, 'hub-state.sqlite'));
    const created = store.create({
      name: 'Croissant-Rouge Souss-Massa',
      scopes: ['requests:write', 'read'],
      regions: ['souss-massa'],
      organisations: ['crs-souss-massa'],
    });
    souss = { key: created.key, id: created.info.id };
    reader = store.create({ name: 'dashboard', scopes: ['read'] }).key;
    ingester = store.create({ name: 'epcis partner', scopes: ['ingest'] }).key;
    store.close();
    hub = await startHub({
      HUB_DATA_DIR: dataDir,
      HUB_SIMULATOR_MOVEMENTS: '200',
      HUB_SIMULATOR_INTERVAL_MS: '0',
      HUB_BOOTSTRAP_API_KEY: admin,
      HUB_LOG_LEVEL: 'warn',
    });
    const running = hub;
    await waitFor(
      'the simulator history',
      async () => {
        const res = await running.get('/v1/connectors/simulator', admin);
        return res.ok && ((await json(res)) as { runs: number; running: boolean }).running === false ? true : undefined;
      },
      180_000,
      hub,
    );
  });
  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  it('creates a request through the pipeline, with lineage, and replays it for the same Idempotency-Key', async () => {
    const key = randomUUID();
    const res = await call('POST', '/v1/requests', souss.key, request('sr-writes-1'), { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/v1/requests/sr-writes-1');
    const body = await json(res);
    expect(body).toMatchObject({ id: 'sr-writes-1', status: 'draft' });
    expect(body.meta.lineage).toMatchObject({
      connector: 'api-requests',
      sourceSystem: `Organization/crs-souss-massa/pushed-by/${souss.id}`,
      sourceId: 'sr-writes-1',
      sourceHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      ingestedAt: body.meta.lastUpdated,
    });
    // Readable by others through the read side (the warehouse), as stored.
    const read = await call('GET', '/v1/requests/sr-writes-1', reader);
    expect(read.status).toBe(200);
    expect((await json(read)).meta.lineage.connector).toBe('api-requests');

    const again = await call('POST', '/v1/requests', souss.key, request('sr-writes-1'), { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(body);
    const reused = await call('POST', '/v1/requests', souss.key, request('sr-writes-2'), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect((await json(reused)).code).toBe('HUB_ERR_IDEMPOTENCY_KEY_REUSED');
    // Without a key, the same id again is a conflict, not a second request.
    const dup = await call('POST', '/v1/requests', souss.key, request('sr-writes-1'));
    expect(dup.status).toBe(409);
    expect((await json(dup)).code).toBe('HUB_ERR_REQUEST_EXISTS');
  });

  it('refuses an invalid request with 422 and pointers, and keeps it as a dead letter', async () => {
    const bad = request('sr-writes-bad', {
      priority: 'whenever',
      lines: [{ product: { reference: 'Product/water-5l' }, quantity: { value: 5, unit: 'no-such-unit' } }],
    });
    const res = await call('POST', '/v1/requests', souss.key, bad);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await json(res);
    expect(problem.code).toBe('HUB_ERR_REQUEST_INVALID');
    const pointers = (problem.errors as { pointer: string }[]).map((e) => e.pointer);
    expect(pointers).toContain('/priority');
    expect(pointers.some((p) => p.startsWith('/lines/0/quantity'))).toBe(true);
    const deadLetter = /dead letter ([0-9a-f]{64})/.exec(problem.detail)?.[1] as string;
    const stored = await call('GET', `/v1/dead-letters/${deadLetter}`, admin);
    expect(stored.status).toBe(200);
    expect(await json(stored)).toMatchObject({ connector: 'api-requests', sourceId: 'sr-writes-bad', payload: bad });
  });

  it('keeps a region- and organisation-bound partner to its own data scope (403)', async () => {
    const elsewhere = await call(
      'POST',
      '/v1/requests',
      souss.key,
      request('sr-writes-rabat', { deliverTo: { reference: 'Location/rabat-sale-kenitra-wh1' } }),
    );
    expect(elsewhere.status).toBe(403);
    expect((await json(elsewhere)).code).toBe('HUB_ERR_AUTH_DATA_SCOPE');
    const forOthers = await call(
      'POST',
      '/v1/requests',
      souss.key,
      request('sr-writes-unicef', { requester: { reference: 'Organization/unicef' } }),
    );
    expect(forOthers.status).toBe(403);
    expect((await call('GET', '/v1/requests/sr-writes-rabat', admin)).status).toBe(404);
  });

  it('changes status along the lifecycle as new versions, 409 on a forbidden move, 404 when not visible', async () => {
    const active = await call('PATCH', '/v1/requests/sr-writes-1', souss.key, { status: 'active' });
    expect(active.status).toBe(200);
    const v2 = await json(active);
    expect(v2.status).toBe('active');
    expect(Date.parse(v2.meta.lastUpdated)).toBeGreaterThan(Date.parse(v2.authoredOn));
    expect((await json(await call('GET', '/v1/requests/sr-writes-1', reader))).status).toBe('active');

    const back = await call('PATCH', '/v1/requests/sr-writes-1', souss.key, { status: 'draft' });
    expect(back.status).toBe(409);
    const problem = await json(back);
    expect(problem.code).toBe('HUB_ERR_REQUEST_TRANSITION');
    expect(problem.detail).toContain('from active to draft');

    const done = await call('PATCH', '/v1/requests/sr-writes-1', souss.key, { status: 'completed' });
    expect((await json(done)).status).toBe('completed');
    expect((await call('PATCH', '/v1/requests/sr-writes-1', souss.key, { status: 'active' })).status).toBe(409);
    expect((await call('PATCH', '/v1/requests/sr-writes-none', souss.key, { status: 'active' })).status).toBe(404);

    // A request delivered elsewhere does not exist for the Souss-Massa partner.
    const rabat = await call(
      'POST',
      '/v1/requests',
      admin,
      request('sr-writes-rabat-2', {
        requester: { reference: 'Organization/unicef' },
        deliverTo: { reference: 'Location/rabat-sale-kenitra-wh1' },
      }),
    );
    expect(rabat.status).toBe(201);
    expect((await call('PATCH', '/v1/requests/sr-writes-rabat-2', souss.key, { status: 'active' })).status).toBe(404);
    expect((await call('PATCH', '/v1/requests/sr-writes-rabat-2', admin, { status: 'bogus' })).status).toBe(400);
  });

  it('replays a dead letter through its push connector, keeping the old one; 409 when it cannot', async () => {
    const bad = request('sr-writes-replay', { lines: [] });
    const refused = await call('POST', '/v1/requests', souss.key, bad);
    const id = /dead letter ([0-9a-f]{64})/.exec((await json(refused)).detail)?.[1] as string;
    expect((await call('POST', `/v1/dead-letters/${id}/replay`, souss.key)).status).toBe(403);
    const replay = await call('POST', `/v1/dead-letters/${id}/replay`, admin);
    expect(replay.status).toBe(200);
    // Refused again for the same reason: the same dead letter (its id is its content), still there.
    expect(await json(replay)).toEqual({
      replayOf: id,
      connector: 'api-requests',
      accepted: 0,
      rejected: 1,
      deadLetters: { ids: [id] },
    });
    expect((await call('GET', `/v1/dead-letters/${id}`, admin)).status).toBe(200);

    // One event of an EPCIS document is not a document: a clear 409, the entry kept.
    const pushed = await call('POST', '/v1/ingest/epcis', ingester, UNMAPPABLE_EPCIS, {
      'content-type': 'application/ld+json',
    });
    const { deadLetters } = (await json(pushed)) as { deadLetters: { ids: string[] } };
    expect(deadLetters.ids.length).toBeGreaterThan(0);
    const epcisId = deadLetters.ids[0] as string;
    const cannot = await call('POST', `/v1/dead-letters/${epcisId}/replay`, admin);
    expect(cannot.status).toBe(409);
    const problem = await json(cannot);
    expect(problem.code).toBe('HUB_ERR_DEAD_LETTER_NOT_REPLAYABLE');
    expect(problem.detail).toContain('epcis');
    expect((await call('GET', `/v1/dead-letters/${epcisId}`, admin)).status).toBe(200);
    expect((await call('POST', `/v1/dead-letters/${'f'.repeat(64)}/replay`, admin)).status).toBe(404);
  });

  it('shows connector status, runs and lag', async () => {
    const res = await call('GET', '/v1/connectors', reader);
    expect(res.status).toBe(200);
    const { items } = (await json(res)) as { items: { name: string; forms: string[]; runs: number }[] };
    expect(items.map((c) => c.name)).toEqual(expect.arrayContaining(['simulator', 'api-requests', 'epcis']));
    const sim = await json(await call('GET', '/v1/connectors/simulator', reader));
    expect(sim).toMatchObject({ name: 'simulator', forms: ['pull'], running: false, errorCount: 0 });
    expect(sim.runs).toBeGreaterThanOrEqual(1);
    expect(sim.recentRuns[0]).toMatchObject({ status: 'succeeded', recordsOut: expect.any(Number) });
    expect(sim.recentRuns[0]).toEqual(sim.lastRun);
    const api = await json(await call('GET', '/v1/connectors/api-requests', reader));
    expect(api.forms).toEqual(['push', 'pull']);
    expect(api.lagSeconds).toBeGreaterThanOrEqual(0);
    expect((await call('GET', '/v1/connectors/no-such', reader)).status).toBe(404);
  });

  it('audits every write, refused ones included: who, what, when, from where', async () => {
    const res = await call('GET', `/v1/audit?principal=${souss.id}&limit=3`, admin);
    expect(res.status).toBe(200);
    const page = (await json(res)) as { items: Record<string, unknown>[]; next: string | null };
    expect(page.items).toHaveLength(3);
    expect(page.next).not.toBeNull();
    for (const e of page.items) {
      expect(e).toMatchObject({ principal: souss.id, principalName: 'Croissant-Rouge Souss-Massa', ip: '127.0.0.1' });
      expect(Date.parse(String(e.at))).not.toBeNaN();
    }
    const all: Record<string, unknown>[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const p = (await json(
        await call('GET', `/v1/audit?principal=${souss.id}&limit=3${after ? `&after=${after}` : ''}`, admin),
      )) as { items: Record<string, unknown>[]; next: string | null };
      all.push(...p.items);
      after = p.next;
    }
    const seen = all.map((e) => `${e.method} ${e.route} ${e.resourceId} ${e.status}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'POST /v1/requests sr-writes-1 201',
        'POST /v1/requests sr-writes-1 409',
        'POST /v1/requests sr-writes-bad 422',
        'PATCH /v1/requests/:id sr-writes-1 200',
        'PATCH /v1/requests/:id sr-writes-1 409',
        'POST /v1/requests sr-writes-rabat 403',
        'POST /v1/requests sr-writes-unicef 403',
        'PATCH /v1/requests/:id sr-writes-rabat-2 404',
      ]),
    );
    // The replay the partner may not make is audited too, under its credential.
    expect(seen.some((s) => /^POST \/v1\/dead-letters\/:id\/replay [0-9a-f]{64} 403$/.test(s))).toBe(true);
    const ids = all.map((e) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect((await call('GET', '/v1/audit', reader)).status).toBe(403);
    expect((await call('GET', '/v1/audit?after=bogus', admin)).status).toBe(400);
  });
});
