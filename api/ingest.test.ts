import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../core/errors/index.js';
import type { IncomingDocument, IngestResult, WarehouseQuery } from '../core/ports/index.js';
import { ApiKeyStore } from './auth/api-key-store.js';
import { SqliteIdempotencyStore } from './idempotency/idempotency-store.js';
import type { DocumentLimits, PushService } from './routes/ingest.js';
import { buildApi } from './server.js';

const LIMITS: Record<string, DocumentLimits> = {
  'partner-stock': { maxDocumentBytes: 1_000, acceptedMediaTypes: ['application/json', 'text/csv'] },
};

/**
 * A scripted push service: this suite tests the API's own logic (auth, limits, idempotency,
 * problems); the connector layer's service has its own tests, and the e2e test runs both.
 */
class ScriptedIngest implements PushService {
  calls: { connector: string; document: IncomingDocument }[] = [];
  failWith: Error | undefined;
  delayMs = 0;
  pushConnectors() {
    return Object.keys(LIMITS);
  }
  documentLimits(name: string) {
    return LIMITS[name];
  }
  async ingest(connector: string, document: IncomingDocument): Promise<IngestResult> {
    if (!LIMITS[connector]) {
      throw connector === 'simulator'
        ? new HubError('HUB_ERR_INGEST_NOT_PUSH', { name: connector, known: 'partner-stock' })
        : new HubError('HUB_ERR_CONNECTOR_UNKNOWN', { name: connector, known: 'partner-stock' });
    }
    this.calls.push({ connector, document });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failWith) throw this.failWith;
    const rows = document.body.toString('utf8').split('\n').filter(Boolean);
    const bad = rows.filter((r) => r.startsWith('bad'));
    return {
      connector,
      accepted: rows.length - bad.length,
      rejected: bad.length,
      deadLettered: bad.length,
      deadLetterIds: bad.map((r) => `dl-${r}`),
    };
  }
}

const noWarehouse: WarehouseQuery = {
  listLocations: async () => [],
  stockOnHand: async () => [],
};

describe('POST /v1/ingest/:connector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-ingest-api-'));
  const statePath = join(dir, 'hub-state.sqlite');
  let clock = Date.parse('2026-11-28T10:00:00Z');
  let app: FastifyInstance;
  let keys: ApiKeyStore;
  let idempotency: SqliteIdempotencyStore;
  const service = new ScriptedIngest();
  let partner = '';
  let partnerId = '';
  let other = '';
  let reader = '';

  beforeAll(async () => {
    keys = new ApiKeyStore(statePath);
    const created = keys.create({ name: 'Croissant-Rouge Souss-Massa', scopes: ['ingest'] });
    partner = created.key;
    partnerId = created.info.id;
    other = keys.create({ name: 'UNICEF', scopes: ['ingest'] }).key;
    reader = keys.create({ name: 'dashboard', scopes: ['read'] }).key;
    idempotency = new SqliteIdempotencyStore(statePath, { now: () => clock });
    app = await buildApi({
      warehouse: noWarehouse,
      verifier: keys,
      mode: 'embedded',
      version: 'test',
      probe: async () => ({}),
      ingest: service,
      idempotency,
    });
  });
  afterAll(async () => {
    await app.close();
    idempotency.close();
    keys.close();
  });
  afterEach(() => {
    service.calls = [];
    service.failWith = undefined;
    service.delayMs = 0;
  });

  const push = (
    body: string | Buffer | Readable,
    opts: { key?: string; idem?: string; connector?: string; type?: string; headers?: Record<string, string> } = {},
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/ingest/${opts.connector ?? 'partner-stock'}`,
      headers: {
        'content-type': opts.type ?? 'text/csv',
        ...(opts.key === '' ? {} : { authorization: `Bearer ${opts.key ?? partner}` }),
        ...(opts.idem === undefined ? {} : { 'idempotency-key': opts.idem }),
        ...opts.headers,
      },
      payload: body,
    });

  it('refuses a push without a key (401) or without the ingest scope (403), as problems', async () => {
    const none = await push('a', { key: '' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json().code).toBe('HUB_ERR_AUTH_MISSING');
    const readOnly = await push('a', { key: reader });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json()).toMatchObject({
      code: 'HUB_ERR_AUTH_FORBIDDEN',
      detail: 'This credential lacks the scope ingest',
    });
    expect(service.calls).toEqual([]);
  });

  it('hands the raw body, its type, file name, headers and the pushing key to the service', async () => {
    const res = await push('row1\nbad2\nrow3\n', {
      headers: { 'content-disposition': 'attachment; filename="../../stock avril.csv"', 'x-partner-signature': 'sig' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({
      connector: 'partner-stock',
      accepted: 2,
      rejected: 1,
      deadLettered: 1,
      deadLetters: { href: '/v1/dead-letters?ids=dl-bad2', ids: ['dl-bad2'] },
    });
    const [call] = service.calls;
    expect(call?.document).toMatchObject({
      contentType: 'text/csv',
      filename: 'stock avril.csv',
      pushedBy: partnerId,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(call?.document.body.toString()).toBe('row1\nbad2\nrow3\n');
    expect(call?.document.headers).toMatchObject({ 'x-partner-signature': 'sig' });
    expect(call?.document.headers).not.toHaveProperty('authorization');
  });

  it('reads JSON bodies as raw bytes too, whatever their content type', async () => {
    const body = '{"a": 1,   "b": [2]}';
    expect((await push(body, { type: 'application/json' })).statusCode).toBe(200);
    expect(service.calls[0]?.document.body.toString()).toBe(body);
  });

  it('refuses a body over the connector limit with 413, declared or streamed, before the service', async () => {
    const declared = await push(Buffer.alloc(1_001, 0x61));
    expect(declared.statusCode).toBe(413);
    expect(declared.headers['content-type']).toContain('application/problem+json');
    expect(declared.json()).toMatchObject({
      code: 'HUB_ERR_INGEST_TOO_LARGE',
      detail: 'The document is larger than connector partner-stock accepts (1000 bytes)',
    });
    // Chunked, without a Content-Length: counted while read.
    const streamed = await push(Readable.from([Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x61)]));
    expect(streamed.statusCode).toBe(413);
    expect(service.calls).toEqual([]);
    expect((await push(Buffer.alloc(1_000, 0x61))).statusCode).toBe(200);
  });

  it('answers an unknown or pull-only connector with a 404 problem, without reading the body', async () => {
    const unknown = await push(Buffer.alloc(5_000, 0x61), { connector: 'nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'HUB_ERR_CONNECTOR_UNKNOWN', status: 404 });
    const pull = await push('x', { connector: 'simulator', idem: 'k-pull' });
    expect(pull.statusCode).toBe(404);
    expect(pull.json().code).toBe('HUB_ERR_INGEST_NOT_PUSH');
    const bad = await push('x', { connector: 'Bad_Name' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('HUB_ERR_API_BAD_QUERY');
  });

  it("maps the service's refusals to problems", async () => {
    service.failWith = new HubError('HUB_ERR_INGEST_MEDIA_TYPE', {
      name: 'partner-stock',
      mediaType: 'application/xml',
      accepted: 'application/json, text/csv',
    });
    const res = await push('<a/>', { type: 'application/xml' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'HUB_ERR_INGEST_MEDIA_TYPE', instance: '/v1/ingest/partner-stock' });
  });

  it('replays a retry with the same Idempotency-Key and body: same answer, ingested once', async () => {
    const first = await push('row1\nbad2\n', { idem: 'push-0001' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await push('row1\nbad2\n', { idem: 'push-0001' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    expect(service.calls).toHaveLength(1);
    // The structured-field form of the header is the same key.
    expect((await push('row1\nbad2\n', { idem: '"push-0001"' })).headers['idempotent-replayed']).toBe('true');
    expect(service.calls).toHaveLength(1);
  });

  it('refuses the same key with a different body with 422, ingesting nothing', async () => {
    await push('row1\n', { idem: 'push-0002' });
    const other = await push('row1\nrow2\n', { idem: 'push-0002' });
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toContain('application/problem+json');
    expect(other.json()).toMatchObject({ code: 'HUB_ERR_IDEMPOTENCY_KEY_REUSED' });
    expect((await push('row1\n', { idem: 'push-0002', type: 'application/json' })).statusCode).toBe(422);
    expect(service.calls).toHaveLength(1);
  });

  it('keeps keys per credential: another partner may use the same key', async () => {
    await push('row1\n', { idem: 'shared-key' });
    const res = await push('row9\n', { idem: 'shared-key', key: other });
    expect(res.statusCode).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(service.calls).toHaveLength(2);
  });

  it('replays a refusal too, but gives the key back after a failure a retry may fix', async () => {
    service.failWith = new HubError('HUB_ERR_INGEST_DOCUMENT', { name: 'partner-stock', reason: 'truncated' });
    const refused = await push('row1', { idem: 'push-0003' });
    expect(refused.statusCode).toBe(400);
    const again = await push('row1', { idem: 'push-0003' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(refused.body);
    expect(service.calls).toHaveLength(1);

    service.failWith = new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'duckdb', reason: 'locked' });
    const down = await push('row1\n', { idem: 'push-0004' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    service.failWith = undefined;
    const retried = await push('row1\n', { idem: 'push-0004' });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(service.calls).toHaveLength(3);
  });

  it('answers 409 to a retry that arrives while the first request is still running', async () => {
    service.delayMs = 200;
    const [a, b] = await Promise.all([
      push('row1\n', { idem: 'push-0005' }),
      new Promise((r) => setTimeout(r, 50)).then(() => push('row1\n', { idem: 'push-0005' })),
    ]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(409);
    expect(b.json().code).toBe('HUB_ERR_IDEMPOTENCY_IN_PROGRESS');
    expect(b.headers['retry-after']).toBe('5');
    expect(service.calls).toHaveLength(1);
  });

  it('forgets a key after 24 hours', async () => {
    await push('row1\n', { idem: 'push-0006' });
    clock += 24 * 60 * 60 * 1000 - 1;
    expect((await push('row2\n', { idem: 'push-0006' })).statusCode).toBe(422);
    clock += 1;
    const later = await push('row2\n', { idem: 'push-0006' });
    expect(later.statusCode).toBe(200);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps the answers in the hub state file: a restarted hub still replays them', async () => {
    const first = await push('row1\nrow2\n', { idem: 'push-0007' });
    const reopened = new SqliteIdempotencyStore(statePath, { now: () => clock });
    try {
      const owner = partnerId;
      const claim = await reopened.claim(owner, 'push-0007', 'another fingerprint');
      expect(claim.outcome).toBe('mismatch');
      expect(reopened.size()).toBeGreaterThan(0);
    } finally {
      reopened.close();
    }
    expect((await push('row1\nrow2\n', { idem: 'push-0007' })).body).toBe(first.body);
  });

  it('refuses a malformed Idempotency-Key with 400', async () => {
    const res = await push('row1\n', { idem: 'x'.repeat(256) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('HUB_ERR_API_BAD_QUERY');
    expect((await push('row1\n', { idem: '""' })).statusCode).toBe(400);
    expect(service.calls).toEqual([]);
  });

  it('lists the push connectors with their limits', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/ingest', headers: { authorization: `Bearer ${partner}` } });
    expect(res.json()).toEqual({
      connectors: [
        { name: 'partner-stock', maxDocumentBytes: 1_000, acceptedMediaTypes: ['application/json', 'text/csv'] },
      ],
    });
  });

  it('documents the route in /openapi.json', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = spec.paths['/v1/ingest/{connector}'].post;
    expect(op.summary).toBe('Push a document to a connector');
    expect(op.tags).toEqual(['ingest']);
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json', 'text/csv']);
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:connector', 'header:idempotency-key']),
    );
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '202', '4XX', '5XX']));
    expect(spec.paths['/v1/ingest'].get.summary).toBe('Push connectors');
  });
});

describe('POST /v1/ingest/:connector, distributed mode and without ingestion', () => {
  it('answers 202 when the records are on the stream, and 404 when the hub has no ingestion', async () => {
    const keys = new ApiKeyStore(join(mkdtempSync(join(tmpdir(), 'hub-ingest-api-')), 'state.sqlite'), {
      bootstrapKey: 'bootstrap-key-for-tests-0123',
    });
    const base = { warehouse: noWarehouse, verifier: keys, version: 't', probe: async () => ({}) };
    const distributed = await buildApi({ ...base, mode: 'distributed', ingest: new ScriptedIngest() });
    const none = await buildApi({ ...base, mode: 'embedded' });
    try {
      const req = {
        method: 'POST' as const,
        url: '/v1/ingest/partner-stock',
        headers: { authorization: 'Bearer bootstrap-key-for-tests-0123', 'content-type': 'text/csv' },
        payload: 'row1\n',
      };
      const accepted = await distributed.inject(req);
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toMatchObject({ accepted: 1, deadLetters: { ids: [] } });
      expect(accepted.json().deadLetters).not.toHaveProperty('href');
      const missing = await none.inject(req);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('HUB_ERR_API_NOT_FOUND');
    } finally {
      await distributed.close();
      await none.close();
      keys.close();
    }
  });
});
