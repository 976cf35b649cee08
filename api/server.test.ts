import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../core/errors/index.js';
import type { LocationFilter, LocationRow, StockFilter, StockRow, WarehouseQuery } from '../core/ports/index.js';
import { ApiKeyStore } from './auth/api-key-store.js';
import { buildApi } from './server.js';

/** A scripted read port: this suite tests the API's own logic (auth, scoping, problems). */
class ScriptedWarehouse implements WarehouseQuery {
  calls: StockFilter[] = [];
  failWith: Error | undefined;
  async listLocations(filter: LocationFilter): Promise<LocationRow[]> {
    return LOCATIONS.filter((l) => !filter.region || l.regionId === filter.region);
  }
  async stockOnHand(filter: StockFilter): Promise<StockRow[]> {
    if (this.failWith) throw this.failWith;
    this.calls.push(filter);
    return STOCK.filter((r) => !filter.region || r.regionId === filter.region);
  }
}

const LOCATIONS: LocationRow[] = [
  {
    id: 'souss-massa',
    kind: 'region',
    nameFr: 'Souss-Massa',
    nameAr: 'سوس-ماسة',
    regionId: 'souss-massa',
    parentId: null,
    gln: null,
    latitude: 30.4,
    longitude: -9.6,
  },
  {
    id: 'oriental',
    kind: 'region',
    nameFr: 'Oriental',
    nameAr: 'الشرق',
    regionId: 'oriental',
    parentId: null,
    gln: null,
    latitude: 34.7,
    longitude: -1.9,
  },
];
const row = (regionId: string, locationId: string, onHand: number): StockRow => ({
  locationId,
  locationName: locationId,
  regionId,
  productId: 'p-water-5l',
  productName: 'Eau 5 L',
  gtin: '06111234567892',
  category: 'water',
  lotNumber: null,
  unit: 'EA',
  onHand,
  lastMovementAt: '2026-11-28T10:00:00.000Z',
});
const STOCK = [row('souss-massa', 'souss-massa-wh1', 120), row('oriental', 'oriental-wh1', 40)];

describe('API: authentication, scoping and problems', () => {
  let app: FastifyInstance;
  let keys: ApiKeyStore;
  const warehouse = new ScriptedWarehouse();
  const bootstrap = 'test-bootstrap-key-0123456789';
  let regional: string;
  let ingestOnly: string;

  beforeAll(async () => {
    keys = new ApiKeyStore(join(mkdtempSync(join(tmpdir(), 'hub-api-')), 'state.sqlite'), { bootstrapKey: bootstrap });
    regional = keys.create({ name: 'CRM Souss-Massa', scopes: ['read'], regions: ['souss-massa'] }).key;
    ingestOnly = keys.create({ name: 'supplier', scopes: ['ingest'] }).key;
    app = await buildApi({
      warehouse,
      verifier: keys,
      mode: 'embedded',
      version: 'test',
      probe: async () => ({ warehouse: { status: 'up' } }),
    });
  });
  afterAll(async () => {
    await app.close();
    keys.close();
  });

  const get = (url: string, key?: string) =>
    app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('refuses /v1 without a key with 401 problem+json', async () => {
    const res = await get('/v1/stock');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json()).toMatchObject({ status: 401, code: 'HUB_ERR_AUTH_MISSING' });
  });

  it('refuses a wrong or revoked key', async () => {
    expect((await get('/v1/stock', 'rh_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).json().code).toBe(
      'HUB_ERR_AUTH_INVALID',
    );
    const { key, info } = keys.create({ name: 'temp', scopes: ['read'] });
    expect((await get('/v1/stock', key)).statusCode).toBe(200);
    keys.revoke(info.id);
    expect((await get('/v1/stock', key)).statusCode).toBe(401);
  });

  it('serves stock to the bootstrap admin key', async () => {
    const res = await get('/v1/stock?region=souss-massa&category=water', bootstrap);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [STOCK[0]], count: 1 });
    expect(warehouse.calls.at(-1)).toEqual({ region: 'souss-massa', category: 'water', limit: 1000 });
  });

  it('refuses a key without the read scope with 403', async () => {
    const res = await get('/v1/stock', ingestOnly);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('HUB_ERR_AUTH_FORBIDDEN');
  });

  it('answers an unknown filter with 400 and a pointer, never the whole table', async () => {
    const res = await get('/v1/stock?regoin=souss-massa', bootstrap);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.code).toBe('HUB_ERR_API_BAD_QUERY');
    expect(body.errors).toEqual([
      { pointer: '/querystring/regoin', code: 'HUB_ERR_API_BAD_QUERY', message: "unknown filter 'regoin'" },
    ]);
  });

  it('refuses malformed filter values (injection attempts) with 400', async () => {
    for (const bad of ["souss-massa' OR 1=1 --", 'x;DROP TABLE stock_movements', '../../etc']) {
      const res = await get(`/v1/stock?region=${encodeURIComponent(bad)}`, bootstrap);
      expect(res.statusCode, bad).toBe(400);
    }
  });

  it("keeps a regional key inside its region: no other region's rows, even when asked", async () => {
    const own = await get('/v1/stock', regional);
    expect(own.json().items.map((r: StockRow) => r.regionId)).toEqual(['souss-massa']);
    const other = await get('/v1/stock?region=oriental', regional);
    expect(other.statusCode).toBe(200);
    expect(other.json()).toEqual({ items: [], count: 0 });
    const locations = await get('/v1/locations', regional);
    expect(locations.json().items.map((l: LocationRow) => l.id)).toEqual(['souss-massa']);
  });

  it('answers 503 with Retry-After when the warehouse is unavailable', async () => {
    warehouse.failWith = new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', {
      engine: 'clickhouse',
      reason: 'connect ECONNREFUSED',
    });
    try {
      const res = await get('/v1/stock', bootstrap);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      warehouse.failWith = undefined;
    }
  });

  it('hides internals of unexpected errors behind an incident id', async () => {
    warehouse.failWith = new Error('Code: 62. Syntax error near SELECT secret FROM stock_movements');
    try {
      const res = await get('/v1/stock', bootstrap);
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('SELECT');
      expect(res.json().code).toBe('HUB_ERR_API_INTERNAL');
    } finally {
      warehouse.failWith = undefined;
    }
  });

  it('reports health and metrics without a key', async () => {
    const health = await get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'up',
      components: { api: { status: 'up' }, warehouse: { status: 'up' } },
    });
    const metrics = await get('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('hub_connector_records_in_total');
  });

  it('answers a known path asked with another method with 405 and Allow; an unknown path with 404', async () => {
    const auth = { authorization: `Bearer ${bootstrap}` };
    const res = await app.inject({ method: 'DELETE', url: '/v1/stock?region=oriental', headers: auth });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json()).toMatchObject({ status: 405, code: 'HUB_ERR_API_METHOD_NOT_ALLOWED' });
    expect((await app.inject({ method: 'DELETE', url: '/v1/nothing-here', headers: auth })).statusCode).toBe(404);
    // A method with a body and no Content-Type is refused for its method, not its media type.
    const query = await app.inject({ method: 'QUERY' as 'GET', url: '/v1/stock', headers: auth });
    expect(query.statusCode).toBe(405);
  });

  it('sets security headers', async () => {
    const res = await get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('API: documentation', () => {
  it('serves the OpenAPI 3.1 document and the Swagger UI', async () => {
    const keys = new ApiKeyStore(join(mkdtempSync(join(tmpdir(), 'hub-api-')), 'state.sqlite'));
    const app = await buildApi({
      warehouse: new ScriptedWarehouse(),
      verifier: keys,
      mode: 'embedded',
      version: '9.9.9',
      probe: async () => ({}),
    });
    try {
      const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(spec.openapi).toBe('3.1.0');
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/stock', '/v1/locations']));
      expect(spec.paths['/v1/stock'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['region', 'warehouse', 'product', 'category', 'lot']),
      );
      const ui = await app.inject({ method: 'GET', url: '/docs/' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger');
    } finally {
      await app.close();
      keys.close();
    }
  });
});
