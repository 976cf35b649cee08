/**
 * The partner API's read routes against a REAL DuckDB warehouse loaded with the contract
 * scenario (warehouse/contract/scenario.ts): every route, page walks through `next` and the
 * `Link` header, ETag / If-None-Match, 404s, region scoping (a Souss-Massa key sees no other
 * region's request, shipment, movement or equipment, by list and by id), and injection attempts
 * in every filter — answered 400 or empty, never 500.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../api/auth/api-key-store.js';
import { buildApi } from '../api/server.js';
import { BATCHES } from '../warehouse/contract/scenario.js';
import { DuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import { entityListFields } from '../warehouse/sql/resource-queries.js';

const GTIN_AMOX = '06111234000039';

let dataDir: string;
let warehouse: DuckDbWarehouse;
let keys: ApiKeyStore;
let app: FastifyInstance;
const admin = 'test-bootstrap-key-resources-0123456789';
let reader: string; // read, every region
let souss: string; // read, souss-massa only
let both: string; // read, souss-massa and draa-tafilalet
let nowhere: string; // read, no region at all
let soussAdmin: string; // admin, souss-massa only

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-api-resources-'));
  warehouse = new DuckDbWarehouse({ dataDir });
  await warehouse.init();
  for (const batch of BATCHES) await warehouse.write(batch);
  keys = new ApiKeyStore(join(dataDir, 'state.sqlite'), { bootstrapKey: admin });
  reader = keys.create({ name: 'national reader', scopes: ['read'] }).key;
  souss = keys.create({ name: 'CRM Souss-Massa', scopes: ['read'], regions: ['souss-massa'] }).key;
  both = keys.create({ name: 'south', scopes: ['read'], regions: ['souss-massa', 'draa-tafilalet'] }).key;
  nowhere = keys.create({ name: 'no region', scopes: ['read'], regions: [] }).key;
  soussAdmin = keys.create({ name: 'regional admin', scopes: ['admin'], regions: ['souss-massa'] }).key;
  app = await buildApi({
    warehouse,
    verifier: keys,
    mode: 'embedded',
    version: 'test',
    probe: async () => ({ warehouse: await warehouse.health() }),
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  keys?.close();
  await warehouse?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function get(url: string, key: string | null = reader, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'GET',
    url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
  });
}

async function ok(url: string, key: string = reader): Promise<Record<string, unknown>> {
  const res = await get(url, key);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
}

const ids = (body: Record<string, unknown>): string[] => (body.items as { id: string }[]).map((i) => i.id);

/** Follows `Link: rel="next"` from `url` to the last page; checks it agrees with `next`. */
async function walkLinks(url: string, key: string = reader): Promise<{ ids: string[]; pages: number }> {
  const all: string[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next !== undefined) {
    const res: LightMyRequestResponse = await get(next, key);
    expect(res.statusCode, `${next}: ${res.body}`).toBe(200);
    const body = res.json();
    all.push(...ids(body));
    pages++;
    const link = res.headers.link as string | undefined;
    if (body.next === null) {
      expect(link).toBeUndefined();
      next = undefined;
    } else {
      const match = /^<([^>]+)>; rel="next"$/.exec(link ?? '');
      expect(match, `Link header of ${next}`).not.toBeNull();
      next = match?.[1];
      expect(new URL(next as string, 'http://x').searchParams.get('after')).toBe(body.next);
    }
    expect(pages).toBeLessThan(100);
  }
  return { ids: all, pages };
}

describe('read routes: lists, pages, by id', () => {
  it('lists products (every region: reference data), by id, and 404 for an unknown one', async () => {
    expect(ids(await ok('/v1/products'))).toEqual(['amoxicillin', 'flour', 'water-5l']);
    expect(ids(await ok('/v1/products?category=water', nowhere))).toEqual(['water-5l']);
    expect(ids(await ok('/v1/products?sort=-name'))).toEqual(['flour', 'water-5l', 'amoxicillin']);
    const water = await ok('/v1/products/water-5l');
    expect(water).toMatchObject({ resourceType: 'Product', id: 'water-5l', gtin: '06111234000015' });
    const missing = await get('/v1/products/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json().code).toBe('HUB_ERR_API_NOT_FOUND');
  });

  it('lists organizations (every region: reference data), filtered, sorted, by id', async () => {
    expect(ids(await ok('/v1/organizations'))).toEqual(['org-carrier', 'org-crm-sm']);
    // Reference data: a key with no region sees them too.
    expect(ids(await ok('/v1/organizations?kind=red-crescent', nowhere))).toEqual(['org-crm-sm']);
    expect(ids(await ok('/v1/organizations?region=souss-massa'))).toEqual(['org-crm-sm']);
    expect(ids(await ok('/v1/organizations?acronym=CRM'))).toEqual(['org-crm-sm']);
    expect(ids(await ok('/v1/organizations?sort=-kind'))).toEqual(['org-crm-sm', 'org-carrier']);
    expect(await ok('/v1/organizations/org-crm-sm', souss)).toMatchObject({
      resourceType: 'Organization',
      id: 'org-crm-sm',
      kind: 'red-crescent',
      regionId: 'souss-massa',
    });
    expect((await get('/v1/organizations/nope')).statusCode).toBe(404);
    const bad = await get('/v1/organizations?kind=bank');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect((await get('/v1/organizations', null)).statusCode).toBe(401);
  });

  it('walks every list page by page through the Link header, nothing lost or repeated', async () => {
    for (const [path, expected] of [
      ['/v1/requests', ['rq-1', 'rq-2', 'rq-3']],
      ['/v1/shipments', ['sh-001', 'sh-002', 'sh-003', 'sh-004']],
      ['/v1/shipments?sort=-eta', ['sh-003', 'sh-002', 'sh-001', 'sh-004']],
      ['/v1/equipment', ['eq-gen-1', 'eq-pump-1']],
      ['/v1/incidents', ['inc-al-haouz']],
      ['/v1/products?sort=category', ['flour', 'amoxicillin', 'water-5l']],
      ['/v1/organizations?sort=name', ['org-crm-sm', 'org-carrier']],
    ] as const) {
      for (const limit of [1, 2, 3]) {
        const sep = path.includes('?') ? '&' : '?';
        const walked = await walkLinks(`${path}${sep}limit=${limit}`);
        expect(walked.ids, `${path} limit ${limit}`).toEqual(expected);
        expect(walked.pages).toBe(Math.ceil(expected.length / limit));
      }
    }
    const movements = await walkLinks('/v1/movements?limit=4');
    expect(movements.pages).toBe(4);
    expect(movements.ids).toHaveLength(15);
    expect(new Set(movements.ids).size).toBe(15);
    expect(movements.ids[0]).toBe('m15');
    const oldest = await walkLinks('/v1/movements?limit=6&sort=occurredAt&product=water-5l');
    expect(oldest.ids).toEqual(['m01', 'm02', 'm03', 'm04', 'm10', 'm11']);
  });

  it('reads requests, shipments (with history), equipment (with maintenance) and incidents by id', async () => {
    expect(await ok('/v1/requests/rq-2')).toMatchObject({ resourceType: 'SupplyRequest', status: 'active' });
    expect(ids(await ok('/v1/requests?status=active&priority=stat'))).toEqual(['rq-1']);
    expect(await ok('/v1/shipments/sh-002')).toMatchObject({ resourceType: 'Shipment', status: 'in-transit' });
    expect(ids(await ok('/v1/shipments?request=rq-2'))).toEqual(['sh-002']);
    const history = await ok('/v1/shipments/sh-002/history');
    expect(history).toEqual({
      shipmentId: 'sh-002',
      items: [
        { status: 'planned', at: '2026-02-11T21:00:00.000Z', changedBy: null },
        { status: 'dispatched', at: '2026-02-11T22:00:00.000Z', changedBy: null },
        { status: 'in-transit', at: '2026-02-11T22:30:00.000Z', changedBy: null },
      ],
    });
    expect((await get('/v1/shipments/nope/history')).statusCode).toBe(404);
    const pump = await ok('/v1/equipment/eq-pump-1');
    expect(pump.equipment).toMatchObject({ resourceType: 'Equipment', serialNumber: 'PMP-0001' });
    expect((pump.maintenanceEvents as { id: string }[]).map((e) => e.id)).toEqual(['me-1']);
    expect(ids(await ok('/v1/equipment?status=available'))).toEqual(['eq-gen-1']);
    expect(await ok('/v1/incidents/inc-al-haouz')).toMatchObject({ severity: 'Severe' });
    expect(ids(await ok('/v1/incidents?region=oriental'))).toEqual([]);
  });

  it('serves movements with lineage, and a lot with its stock and trace', async () => {
    const page = await ok('/v1/movements?lot=L-B');
    expect(ids(page)).toEqual(['m12', 'm08']);
    expect((page.items as Record<string, unknown>[])[1]).toMatchObject({
      movementType: 'receipt',
      quantity: 100,
      lineage: { connector: 'contract', sourceSystem: 'hand-written', sourceId: 'mv-m08' },
    });
    expect(ids(await ok('/v1/movements?from=2026-02-11T10:00:00Z&to=2026-02-11T10:00:02Z'))).toEqual(['m14', 'm13']);
    const lot = await ok(`/v1/lots/${GTIN_AMOX}/L-B`);
    expect(lot).toMatchObject({
      lotNumber: 'L-B',
      productId: 'amoxicillin',
      expiry: '2027-06-30',
      stock: [{ locationId: 'draa-tafilalet-wh1', onHand: 90 }],
      movements: 2,
    });
    expect((lot.record as { id: string }).id).toBe('amoxicillin-L-B');
    const trace = await ok(`/v1/lots/${GTIN_AMOX}/L-B/trace`);
    expect((trace.items as { id: string; locationName: string }[]).map((s) => [s.id, s.locationName])).toEqual([
      ['m08', "Entrepôt d'Errachidia"],
      ['m12', "Entrepôt d'Errachidia"],
    ]);
    const known = await ok(`/v1/lots/${GTIN_AMOX}/L-A`);
    expect(known).toMatchObject({ stock: [], movements: 2 });
    expect(known).not.toHaveProperty('record');
    expect((await get(`/v1/lots/${GTIN_AMOX}/L-Z`)).statusCode).toBe(404);
    expect((await get(`/v1/lots/${GTIN_AMOX}/L-Z/trace`)).statusCode).toBe(404);
    expect((await get('/v1/lots/not-a-gtin/L-B')).statusCode).toBe(400);
  });

  it('computes a KPI, with the region forced for a region-scoped caller', async () => {
    const all = await ok('/v1/kpis/stock_position?by=region&asOf=2026-02-12T12:00:00Z');
    const regionsOf = (body: Record<string, unknown>) =>
      [...new Set((body.items as { region: string }[]).map((r) => r.region))].sort();
    expect(regionsOf(all)).toEqual(['draa-tafilalet', 'souss-massa']);
    const mine = await ok('/v1/kpis/stock_position?by=region&asOf=2026-02-12T12:00:00Z', souss);
    expect(regionsOf(mine)).toEqual(['souss-massa']);
    // Asking for another region than one's own answers nothing rather than the other region.
    const other = await ok('/v1/kpis/stock_position?region=draa-tafilalet&asOf=2026-02-12T12:00:00Z', souss);
    expect(other.items).toEqual([]);
    // Several regions and none asked: once per region, each row tagged with its region.
    const south = await ok('/v1/kpis/stock_position?by=category&asOf=2026-02-12T12:00:00Z', both);
    expect(regionsOf(south)).toEqual(['draa-tafilalet', 'souss-massa']);
    expect((await ok('/v1/kpis/stock_position', nowhere)).items).toEqual([]);
    const unknown = await get('/v1/kpis/nope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('HUB_ERR_KPI_REQUEST');
    expect((await get('/v1/kpis/stock_position?by=colour')).json().code).toBe('HUB_ERR_KPI_REQUEST');
  });

  it('serves dead letters to admins only, none to a region-scoped admin', async () => {
    expect((await get('/v1/dead-letters', reader)).statusCode).toBe(403);
    const list = await ok('/v1/dead-letters', admin);
    expect(list.items).toHaveLength(1);
    const letter = (list.items as { id: string }[])[0] as { id: string };
    expect(letter).toMatchObject({ connector: 'contract', sourceId: 'row-17', failedAt: '2026-02-12T09:00:00.000Z' });
    expect(await ok(`/v1/dead-letters/${letter.id}`, admin)).toEqual(letter);
    expect((await get('/v1/dead-letters/nope', admin)).statusCode).toBe(404);
    expect((await ok('/v1/dead-letters', soussAdmin)).items).toEqual([]);
    expect((await get(`/v1/dead-letters/${letter.id}`, soussAdmin)).statusCode).toBe(404);
  });

  it('offers the sorts the warehouse accepts, no more, no fewer', async () => {
    const doc = app.swagger() as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }>;
    };
    for (const [path, kind] of [
      ['/v1/products', 'Product'],
      ['/v1/requests', 'SupplyRequest'],
      ['/v1/shipments', 'Shipment'],
      ['/v1/equipment', 'Equipment'],
      ['/v1/incidents', 'Incident'],
      ['/v1/organizations', 'Organization'],
    ] as const) {
      const params = doc.paths[path]?.get.parameters ?? [];
      const sorts = params.find((p) => p.name === 'sort')?.schema.enum ?? [];
      const fields = entityListFields(kind);
      expect(sorts.filter((s) => !s.startsWith('-')).sort(), path).toEqual([...fields.sorts].sort());
      const filters = params.map((p) => p.name).filter((n) => !['sort', 'limit', 'after'].includes(n));
      expect(filters.sort(), path).toEqual([...fields.filters].sort());
    }
  });
});

describe('read routes: ETag', () => {
  it('tags every read with a weak ETag and answers If-None-Match with 304', async () => {
    for (const url of [
      '/v1/products',
      '/v1/products/flour',
      '/v1/organizations',
      '/v1/organizations/org-carrier',
      '/v1/movements?limit=3',
      `/v1/lots/${GTIN_AMOX}/L-B`,
      `/v1/lots/${GTIN_AMOX}/L-B/trace`,
      '/v1/requests',
      '/v1/requests/rq-1',
      '/v1/shipments',
      '/v1/shipments/sh-001',
      '/v1/shipments/sh-001/history',
      '/v1/equipment',
      '/v1/equipment/eq-gen-1',
      '/v1/incidents',
      '/v1/incidents/inc-al-haouz',
      '/v1/kpis/equipment?asOf=2026-02-12T12:00:00Z',
      '/v1/stock',
      '/v1/locations',
    ]) {
      const first = await get(url);
      expect(first.statusCode, url).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, url).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await get(url, reader, { 'if-none-match': etag });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
      // A list of tags, a strong form of the same tag, and `*` match too; another tag does not.
      expect((await get(url, reader, { 'if-none-match': `W/"other", ${etag.slice(2)}` })).statusCode).toBe(304);
      expect((await get(url, reader, { 'if-none-match': '*' })).statusCode).toBe(304);
      expect((await get(url, reader, { 'if-none-match': 'W/"other"' })).statusCode).toBe(200);
    }
  });

  it('gives different bodies different tags, and no ETag to errors', async () => {
    const a = await get('/v1/products?category=water');
    const b = await get('/v1/products?category=food');
    expect(a.headers.etag).not.toBe(b.headers.etag);
    const missing = await get('/v1/products/nope', reader, { 'if-none-match': '*' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers.etag).toBeUndefined();
  });
});

describe('read routes: region scoping', () => {
  it('shows a Souss-Massa key no other region in any list', async () => {
    expect(ids(await ok('/v1/requests', souss))).toEqual(['rq-1', 'rq-3']);
    // Every shipment touches Souss-Massa (origin or destination) …
    expect(ids(await ok('/v1/shipments', souss))).toEqual(['sh-001', 'sh-002', 'sh-003', 'sh-004']);
    // … and only those with both ends there are Souss-Massa's alone.
    expect(ids(await ok('/v1/shipments?region=draa-tafilalet', souss))).toEqual(['sh-002', 'sh-003', 'sh-004']);
    expect(ids(await ok('/v1/equipment', souss))).toEqual(['eq-gen-1']);
    const movements = await walkLinks('/v1/movements?limit=3', souss);
    expect(movements.ids.sort()).toEqual(['m01', 'm02', 'm03', 'm04', 'm05', 'm06', 'm10', 'm13', 'm14', 'm15']);
    const body = await ok('/v1/movements?limit=1000', souss);
    expect((body.items as { regionId: string }[]).every((m) => m.regionId === 'souss-massa')).toBe(true);
    // Asking for another region's rows answers none.
    expect(ids(await ok('/v1/requests?region=draa-tafilalet', souss))).toEqual([]);
    expect(ids(await ok('/v1/movements?region=draa-tafilalet', souss))).toEqual([]);
    expect(ids(await ok('/v1/movements?warehouse=draa-tafilalet-wh1', souss))).toEqual([]);
    // A key with no region sees no region's rows.
    for (const path of ['/v1/requests', '/v1/shipments', '/v1/equipment', '/v1/incidents', '/v1/movements']) {
      expect(ids(await ok(path, nowhere)), path).toEqual([]);
    }
  });

  it("answers 404, not 403, for another region's entity by id", async () => {
    for (const path of [
      '/v1/requests/rq-2',
      '/v1/equipment/eq-pump-1',
      '/v1/requests/rq-1',
      '/v1/shipments/sh-001/history',
    ]) {
      const res = await get(path, nowhere);
      expect(res.statusCode, path).toBe(404);
      expect(res.json().code).toBe('HUB_ERR_API_NOT_FOUND');
    }
    const theirs = await get('/v1/requests/rq-2', souss);
    const absent = await get('/v1/requests/rq-999', souss);
    expect(theirs.statusCode).toBe(404);
    // Same answer as for an id that does not exist: nothing tells the two apart.
    expect({ ...theirs.json(), instance: '', detail: '' }).toEqual({ ...absent.json(), instance: '', detail: '' });
    expect((await get('/v1/equipment/eq-pump-1', souss)).statusCode).toBe(404);
    expect((await get('/v1/requests/rq-1', souss)).statusCode).toBe(200);
    expect((await get('/v1/equipment/eq-gen-1', souss)).statusCode).toBe(200);
    // A lot's trace and stock stop at the caller's regions.
    const trace = await ok(`/v1/lots/${GTIN_AMOX}/L-B/trace`, souss);
    expect(trace.items).toEqual([]);
    expect(await ok(`/v1/lots/${GTIN_AMOX}/L-B`, souss)).toMatchObject({ stock: [], movements: 0 });
    expect((await get(`/v1/lots/${GTIN_AMOX}/L-A`, souss)).statusCode).toBe(404);
  });
});

describe('read routes: hostile input', () => {
  const ATTACKS = [
    "' OR 1=1 --",
    "x' OR '1'='1",
    'x; DROP TABLE stock_movements',
    '\\',
    "\\' OR 1=1 --",
    '%00',
    'é à ü — 数据 🚚',
    'ￂ\u202e',
    '../../etc/passwd',
    '*',
    "') UNION SELECT doc FROM dead_letters --",
  ];

  const FILTERS: Record<string, string[]> = {
    '/v1/products': ['category', 'gtin', 'sku', 'criticality', 'storageClass', 'sort'],
    '/v1/requests': ['status', 'priority', 'requester', 'incident', 'deliverTo', 'supplier', 'region', 'sort'],
    '/v1/shipments': ['status', 'priority', 'origin', 'destination', 'carrier', 'incident', 'request', 'region'],
    '/v1/equipment': ['kind', 'status', 'location', 'product', 'owner', 'serialNumber', 'region'],
    '/v1/incidents': ['type', 'severity', 'status', 'region'],
    '/v1/movements': ['region', 'warehouse', 'product', 'gtin', 'lot', 'type', 'from', 'to', 'sort', 'limit'],
    '/v1/dead-letters': ['connector', 'stream', 'resourceType', 'sourceId'],
    '/v1/kpis/stock_position': ['by', 'region', 'warehouse', 'category', 'product', 'asOf'],
  };

  it('answers an injection attempt in any filter with 400 or an empty answer, never 500', async () => {
    for (const [path, names] of Object.entries(FILTERS)) {
      for (const name of [...names, 'after']) {
        for (const attack of ATTACKS) {
          const url = `${path}?${name}=${encodeURIComponent(attack)}`;
          const res = await get(url, admin);
          expect([200, 400], `${url}: ${res.body}`).toContain(res.statusCode);
          if (res.statusCode === 200) {
            expect(res.json().items, url).toEqual([]);
          } else {
            expect(['HUB_ERR_API_BAD_QUERY', 'HUB_ERR_API_CURSOR']).toContain(res.json().code);
          }
        }
      }
    }
  });

  it('answers hostile ids in paths with 400 or 404, never 500', async () => {
    for (const attack of ATTACKS) {
      const id = encodeURIComponent(attack);
      for (const url of [
        `/v1/products/${id}`,
        `/v1/requests/${id}`,
        `/v1/shipments/${id}`,
        `/v1/shipments/${id}/history`,
        `/v1/equipment/${id}`,
        `/v1/incidents/${id}`,
        `/v1/dead-letters/${id}`,
        `/v1/lots/${GTIN_AMOX}/${id}`,
        `/v1/lots/${GTIN_AMOX}/${id}/trace`,
        `/v1/lots/${id}/L-B`,
        `/v1/kpis/${id}`,
      ]) {
        const res = await get(url, admin);
        expect([400, 404], `${url}: ${res.body}`).toContain(res.statusCode);
      }
    }
  });

  it('refuses unknown parameters, bad sorts, bad limits and forged cursors', async () => {
    const bad = async (url: string, code = 'HUB_ERR_API_BAD_QUERY') => {
      const res = await get(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json().code, url).toBe(code);
    };
    await bad('/v1/shipments?colour=red');
    await bad('/v1/shipments?sort=doc');
    await bad('/v1/shipments?limit=0');
    await bad('/v1/shipments?limit=501');
    await bad('/v1/movements?limit=1001');
    await bad('/v1/movements?from=yesterday');
    await bad('/v1/shipments?after=bm9wZQ', 'HUB_ERR_API_CURSOR');
    // A real cursor, used under another sort or on another list.
    const page = await ok('/v1/shipments?sort=eta&limit=1');
    await bad(`/v1/shipments?sort=-eta&after=${page.next}`, 'HUB_ERR_API_CURSOR');
    await bad(`/v1/requests?after=${page.next}`, 'HUB_ERR_API_CURSOR');
    await bad(`/v1/movements?after=${page.next}`, 'HUB_ERR_API_CURSOR');
    // Tampered: the same cursor with its key changed still only reads past that key.
    const state = JSON.parse(Buffer.from(String(page.next), 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...state, k: "' OR 1=1 --" })).toString('base64url');
    await bad(`/v1/shipments?sort=eta&after=${forged}`, 'HUB_ERR_API_CURSOR');
  });

  it('requires a credential on every read route', async () => {
    for (const url of ['/v1/products', '/v1/movements', '/v1/requests/rq-1', '/v1/kpis/stock_position']) {
      expect((await get(url, null)).statusCode).toBe(401);
    }
  });
});
