import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocationRow, StockFilter, StockRow, WarehouseQuery } from '../../core/ports/index.js';
import { ApiKeyStore } from '../auth/api-key-store.js';
import { weakEtag } from '../etag.js';
import { buildApi } from '../server.js';

const row = (locationId: string, onHand: number): StockRow => ({
  locationId,
  locationName: `Entrepôt ${locationId}`,
  regionId: 'souss-massa',
  productId: 'p-water-5l',
  productName: 'Eau 5 L',
  gtin: null,
  category: 'water',
  lotNumber: null,
  unit: 'EA',
  onHand,
  lastMovementAt: '2026-11-28T10:00:00.000Z',
});

/** Answers `answer` as it is: frozen (shared, as the live index does) or a plain array. */
class Warehouse implements WarehouseQuery {
  answer: StockRow[] = [];
  async listLocations(): Promise<LocationRow[]> {
    return [];
  }
  async stockOnHand(_filter: StockFilter): Promise<StockRow[]> {
    return this.answer;
  }
}

describe('GET /v1/stock: bodies and tags of shared (frozen) answers', () => {
  let app: FastifyInstance;
  let keys: ApiKeyStore;
  let key: string;
  const warehouse = new Warehouse();

  beforeAll(async () => {
    keys = new ApiKeyStore(join(mkdtempSync(join(tmpdir(), 'hub-stock-')), 'state.sqlite'));
    key = keys.create({ name: 'reader', scopes: ['read'] }).key;
    app = await buildApi({ warehouse, verifier: keys, mode: 'embedded', version: 'test', probe: async () => ({}) });
  });
  afterAll(async () => {
    await app.close();
    keys.close();
  });

  const get = (headers: Record<string, string> = {}) =>
    app.inject({
      method: 'GET',
      url: '/v1/stock?warehouse=wh1',
      headers: { authorization: `Bearer ${key}`, ...headers },
    });

  it('answers a frozen answer again with the same body and tag, and 304 to its tag', async () => {
    warehouse.answer = Object.freeze([Object.freeze(row('wh1', 12.5))]) as StockRow[];
    const first = await get();
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.json()).toEqual({ items: [row('wh1', 12.5)], count: 1 });
    expect(first.headers.etag).toBe(weakEtag(first.body));
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    const again = await get();
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(first.headers.etag);
    const conditional = await get({ 'if-none-match': first.headers.etag as string });
    expect(conditional.statusCode).toBe(304);
    expect(conditional.body).toBe('');

    // A new answer (the stock changed): a new body and tag; the old tag no longer matches.
    warehouse.answer = Object.freeze([Object.freeze(row('wh1', 13))]) as StockRow[];
    const changed = await get({ 'if-none-match': first.headers.etag as string });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().items[0].onHand).toBe(13);
    expect(changed.headers.etag).toBe(weakEtag(changed.body));
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('serializes a plain (mutable) answer on every request', async () => {
    const answer = [row('wh1', 1)];
    warehouse.answer = answer;
    const first = await get();
    expect(first.json().items[0].onHand).toBe(1);
    answer[0] = row('wh1', 2); // the same array, changed in place
    const second = await get();
    expect(second.json().items[0].onHand).toBe(2);
    expect(second.headers.etag).toBe(weakEtag(second.body));
    expect(second.headers.etag).not.toBe(first.headers.etag);
  });
});
