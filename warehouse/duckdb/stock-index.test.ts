import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanonicalResource, SinkBatch, StockFilter, StockRow } from '../../core/ports/index.js';
import { duckdbSql, STOCK_LIMIT_MAX, stockOnHandSql, toStockRow } from '../sql/warehouse-queries.js';
import { queryRows } from './duckdb-connection.js';
import { DUCKDB_FILE, DuckDbWarehouse } from './duckdb-warehouse.js';
import { compareText, StockIndex, toMicro } from './stock-index.js';

let dataDir: string;
let open: DuckDbWarehouse[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-stock-index-'));
  open = [];
});

afterEach(async () => {
  for (const w of open) await w.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function warehouse(): Promise<DuckDbWarehouse> {
  const w = new DuckDbWarehouse({ dataDir });
  open.push(w);
  await w.init();
  return w;
}

/** Runs `fn` on a raw connection to the file (the warehouse must be closed). */
async function rawFile<T>(fn: (conn: import('@duckdb/node-api').DuckDBConnection) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(join(dataDir, DUCKDB_FILE));
  try {
    const conn = await instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** The SQL's answers (the path the index replaces), read from the closed file. */
async function sqlAnswers(filters: readonly StockFilter[]): Promise<StockRow[][]> {
  return rawFile(async (conn) => {
    const out: StockRow[][] = [];
    for (const f of filters) out.push((await queryRows(conn, stockOnHandSql(duckdbSql, f))).map(toStockRow));
    return out;
  });
}

const meta = (id: string, versionId = '1') => ({
  versionId,
  lastUpdated: '2026-03-01T10:00:00.000Z',
  source: 'stock-index-test',
  lineage: {
    connector: 'test',
    sourceSystem: 'test',
    sourceId: id,
    ingestedAt: '2026-03-01T10:00:00.000Z',
    sourceHash: `sha256:${'0'.repeat(64)}`,
  },
});

const location = (id: string, regionId: string, fr: string, versionId = '1'): CanonicalResource => ({
  resourceType: 'Location',
  id,
  meta: meta(id, versionId),
  identifier: [],
  kind: 'warehouse',
  name: { fr, ar: fr },
  regionId,
});

const product = (id: string, gtin: string | undefined, category: string, versionId = '1'): CanonicalResource => ({
  resourceType: 'Product',
  id,
  meta: meta(id, versionId),
  identifier: [],
  sku: id,
  ...(gtin ? { gtin } : {}),
  name: { fr: `Produit ${id} v${versionId}`, en: id },
  category,
  unit: 'EA',
});

let clock = Date.parse('2026-02-01T00:00:00.000Z');
const movement = (
  id: string,
  at: string,
  productId: string,
  value: number,
  unit = 'EA',
  extra: { lot?: string; gtin?: string; type?: string } = {},
): CanonicalResource => {
  clock += 60_007;
  return {
    resourceType: 'StockMovement',
    id,
    meta: meta(id),
    identifier: [],
    movementType: extra.type ?? (value >= 0 ? 'receipt' : 'dispatch'),
    occurredAt: new Date(clock).toISOString(),
    location: { reference: `Location/${at}` },
    product: { reference: `Product/${productId}` },
    ...(extra.gtin ? { gtin: extra.gtin } : {}),
    ...(extra.lot ? { lot: { lotNumber: extra.lot } } : {}),
    quantity: { value, unit },
  };
};

const batch = (records: CanonicalResource[], cursor: string): SinkBatch => ({
  connector: 'test',
  stream: 'movements',
  records,
  deadLetters: [],
  state: { cursor },
});

const LOCATIONS = [
  location('r1-wh1', 'r1', 'Agadir'),
  location('r1-wh2', 'r1', 'Tiznit'),
  location('r2-wh1', 'r2', 'Errachidia'),
  location('r2-wh2', 'r2', 'Ouarzazate'),
];
const PRODUCTS = [
  product('flour', '06111234000022', 'food'),
  product('water', undefined, 'water'), // no GTIN: the movements' GTIN shows
  product('amox', '06111234000039', 'medical'),
  product('tent', '06111234000046', 'shelter'),
];

const FILTERS: readonly StockFilter[] = [
  {},
  { region: 'r1' },
  { region: 'r2' },
  { region: 'nowhere' },
  { warehouse: 'r1-wh1' },
  { warehouse: 'r1-wh1', product: 'flour' },
  { warehouse: 'r1-wh2', product: 'water' },
  { warehouse: 'r2-wh1', product: 'amox', lot: 'L-1' },
  { warehouse: 'ghost-wh' },
  { warehouse: 'r1-wh2', region: 'r2' },
  { warehouse: 'r1-wh2', region: 'r1' },
  { product: 'flour' },
  { product: 'water' },
  { product: 'ghost-product' },
  { category: 'food' },
  { category: 'water' },
  { category: 'medical', region: 'r2' },
  { lot: 'L-1' },
  { lot: 'L-2', product: 'amox' },
  { lot: 'L-zero' },
  { limit: 1 },
  { limit: 3 },
  { limit: 0 },
  { limit: 2.7 },
  { limit: Number.NaN },
  { region: 'r1', limit: 2 },
  { category: 'water', product: 'water', warehouse: 'r1-wh1', limit: 5 },
];

/** A seeded pseudo-random movement stream over the four warehouses and products (and a ghost). */
function randomMovements(prefix: string, n: number, seed: number): CanonicalResource[] {
  let s = seed;
  const next = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  const warehouses = ['r1-wh1', 'r1-wh2', 'r2-wh1', 'r2-wh2', 'ghost-wh'];
  const products = ['flour', 'water', 'amox', 'tent', 'ghost-product'];
  const out: CanonicalResource[] = [];
  for (let i = 0; i < n; i++) {
    const at = warehouses[Math.floor(next() * warehouses.length)] as string;
    const productId = products[Math.floor(next() * products.length)] as string;
    const lot = next() < 0.4 ? `L-${1 + Math.floor(next() * 3)}` : undefined;
    const unit = next() < 0.8 ? 'EA' : 'KGM';
    // Fractions with many decimals, halves of a micro-unit, and whole numbers.
    const kind = next();
    const value =
      kind < 0.3
        ? Math.round(next() * 1000)
        : kind < 0.6
          ? Math.round(next() * 1e7) / 1e7
          : kind < 0.8
            ? (Math.floor(next() * 100) + 0.5) / 1e6
            : next() * 37.123456789;
    const sign = next() < 0.35 ? -1 : 1;
    const gtin = next() < 0.5 ? `0611123400${Math.floor(next() * 9000) + 1000}` : undefined;
    out.push(
      movement(`${prefix}-${i}`, at, productId, sign * value, unit, {
        ...(lot ? { lot } : {}),
        ...(gtin ? { gtin } : {}),
      }),
    );
  }
  return out;
}

describe('StockIndex helpers', () => {
  it('rounds micro-units half away from zero, as DuckDB round()', () => {
    expect(toMicro(0.0000025)).toBe(Math.round(0.0000025 * 1e6));
    expect(toMicro(-1.5e-6)).toBe(-2);
    expect(toMicro(1.5e-6)).toBe(2);
    expect(toMicro(-0.3)).toBe(-300_000);
    expect(toMicro(500.5)).toBe(500_500_000);
  });

  it('orders text by code point, as DuckDB compares UTF-8', () => {
    const words = ['b', 'a', '\u{1F600}', '\uFFFD', 'é', 'ab', ''];
    expect([...words].sort(compareText)).toEqual(['', 'a', 'ab', 'b', 'é', '\uFFFD', '\u{1F600}']);
  });

  it('declines (undefined) rather than answer a sum beyond exact integers', () => {
    const index = new StockIndex();
    index.applyMovements([
      { location_id: 'a', product_id: 'p', lot_number: null, unit: 'EA', quantity: 1, occurred_at: 0, gtin: null },
    ]);
    expect(index.query({})).toHaveLength(1);
    index.applyMovements([
      { location_id: 'a', product_id: 'p', lot_number: null, unit: 'EA', quantity: 1e12, occurred_at: 0, gtin: null },
    ]);
    expect(index.query({})).toBeUndefined();
  });
});

describe('StockIndex kept answers', () => {
  const m = (location: string, product: string, quantity: number) => ({
    location_id: location,
    product_id: product,
    lot_number: null,
    unit: 'EA',
    quantity,
    occurred_at: 1_000,
    gtin: null,
  });

  it('answers the same frozen array for the same filter until any change, then the new truth', () => {
    const index = new StockIndex();
    index.applyMovements([m('a', 'p', 5), m('b', 'p', 7)]);
    const first = index.query({ product: 'p' });
    expect(first?.map((r) => r.onHand)).toEqual([5, 7]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.[0])).toBe(true);
    expect(index.query({ product: 'p', limit: STOCK_LIMIT_MAX })).toBe(first); // the limit applied by default
    expect(index.query({ product: 'p', limit: 1 })).not.toBe(first);
    expect(index.query({ warehouse: 'a', product: 'p' })).not.toBe(first);

    index.applyMovements([m('a', 'p', 1)]);
    const moved = index.query({ product: 'p' });
    expect(moved).not.toBe(first);
    expect(moved?.map((r) => r.onHand)).toEqual([6, 7]);

    index.setLocation('a', { name: 'Agadir', regionId: 'souss-massa' });
    const located = index.query({ product: 'p' });
    expect(located).not.toBe(moved);
    expect(located?.[0]?.locationName).toBe('Agadir');
    expect(index.query({ region: 'souss-massa' })?.map((r) => r.locationId)).toEqual(['a']);

    index.setProduct('p', { name: 'Eau', gtin: '06111234000015', category: 'water' });
    const named = index.query({ product: 'p' });
    expect(named).not.toBe(located);
    expect(named?.map((r) => [r.productName, r.gtin])).toEqual([
      ['Eau', '06111234000015'],
      ['Eau', '06111234000015'],
    ]);
    expect(index.query({ product: 'p' })).toBe(named);
  });
});

describe('live stock index of the embedded warehouse', () => {
  it('answers exactly as the SQL after receipts, transfers, redeliveries and dimension updates', async () => {
    const w = await warehouse();
    expect(w.stockIndexPositions).toBe(0);
    await w.write({ ...batch([...LOCATIONS, ...PRODUCTS], 'ref'), stream: 'reference' });
    const first = [
      movement('m-1', 'r1-wh1', 'flour', 500.5, 'KGM'),
      movement('m-2', 'r1-wh1', 'flour', -0.25, 'KGM', { type: 'loss' }),
      movement('m-3', 'r1-wh1', 'water', 1000, 'EA', { gtin: '06111234000015' }),
      movement('m-4', 'r1-wh1', 'water', -300, 'EA', { type: 'transfer-out', gtin: '06111234000015' }),
      movement('m-5', 'r1-wh2', 'water', 300, 'EA', { type: 'transfer-in', gtin: '06111234000099' }),
      movement('m-6', 'r2-wh1', 'amox', 200, 'EA', { lot: 'L-1' }),
      movement('m-7', 'r2-wh1', 'amox', 100, 'EA', { lot: 'L-2' }),
      movement('m-8', 'r2-wh1', 'amox', 50, 'EA'),
      movement('m-9', 'r2-wh1', 'amox', 10, 'EA', { lot: 'L-zero' }),
      movement('m-10', 'r2-wh1', 'amox', -10, 'EA', { lot: 'L-zero' }), // back to zero: hidden
      movement('m-11', 'r1-wh2', 'flour', 0.1, 'KGM'),
      movement('m-12', 'r1-wh2', 'flour', 0.2, 'KGM'),
      movement('m-13', 'r1-wh2', 'flour', -0.3, 'KGM'), // exactly zero in micro-units
      movement('m-14', 'ghost-wh', 'ghost-product', 7, 'EA', { gtin: '06111234000107' }), // no dimensions
      movement('m-15', 'r1-wh1', 'flour', 3, 'EA'), // same product, another unit
    ];
    await w.write(batch(first, 'c1'));
    // The same batch again, then part of it with new movements: nothing counts twice.
    await w.write(batch(first, 'c1'));
    await w.write(
      batch([first[2] as CanonicalResource, first[5] as CanonicalResource, ...randomMovements('a', 400, 7)], 'c2'),
    );
    // Through the WarehouseWriter too, with a redelivered movement.
    await w.insertRecords([first[0] as CanonicalResource, ...randomMovements('b', 200, 11)]);
    // Dimension updates: a warehouse renamed and moved to r2, a product given a GTIN and a
    // new category; an older version redelivered afterwards changes nothing.
    await w.write(
      batch([location('r1-wh2', 'r2', 'Tiznit (r2)', '2'), product('water', '06111234000015', 'food', '2')], 'c3'),
    );
    await w.write(batch([location('r1-wh2', 'r1', 'Tiznit', '1'), ...randomMovements('c', 300, 13)], 'c4'));
    // The product the ghost movements name arrives late.
    await w.write(batch([product('ghost-product', undefined, 'food')], 'c5'));

    expect(w.stockIndexPositions).toBeGreaterThan(20);
    const live = await Promise.all(FILTERS.map((f) => w.stockOnHand(f)));
    expect(live[0]?.length).toBeGreaterThan(20);
    expect(live[0]?.some((r) => r.locationId === 'ghost-wh' && r.locationName === '' && r.regionId === '')).toBe(true);
    expect(live[5]?.length).toBeGreaterThan(0);
    await w.close();

    const expected = await sqlAnswers(FILTERS);
    for (let i = 0; i < FILTERS.length; i++)
      expect({ filter: FILTERS[i], rows: live[i] }).toEqual({ filter: FILTERS[i], rows: expected[i] });

    // Loaded from the file at init, the index gives the same answers.
    const again = await warehouse();
    expect(again.stockIndexPositions).toBeGreaterThan(20);
    for (let i = 0; i < FILTERS.length; i++)
      expect(await again.stockOnHand(FILTERS[i] as StockFilter)).toEqual(expected[i]);
  }, 60_000);

  it('loads what is already in the file: empty lots, NULL lots and non-ASCII ids in SQL order', async () => {
    const setup = await warehouse();
    await setup.write({ ...batch([...LOCATIONS, ...PRODUCTS], 'ref'), stream: 'reference' });
    await setup.close();
    await rawFile((conn) =>
      conn.run(`INSERT INTO stock_movements (id, movement_type, occurred_at, location_id, counterpart_id, product_id,
          gtin, lot_number, quantity, unit, reason, connector, source_system, source_id, source_hash, ingested_at, region_id, category)
        SELECT 'raw-' || i, 'receipt', TIMESTAMP '2025-01-01' + to_milliseconds(i * 37),
          ['r1-wh1', 'r2-wh1', 'wh-é', 'wh-😀', 'wh-\uFFFD'][1 + i % 5], NULL,
          ['flour', 'water', 'amox'][1 + i % 3], CASE WHEN i % 7 = 0 THEN NULL ELSE '0611123400' || (1000 + i % 11) END,
          [NULL, '', 'L-1', 'L-é'][1 + i % 4], (i % 13) * 0.0000015 + 0.25, ['EA', 'KGM'][1 + i % 2], NULL,
          'raw', 'raw', 'src-' || i, 'sha256:raw', TIMESTAMP '2025-06-01', '', ''
        FROM range(600) t(i)`),
    );
    const filters: StockFilter[] = [{}, { lot: 'L-1' }, { product: 'water' }, { warehouse: 'wh-😀', limit: 3 }];
    const expected = await sqlAnswers(filters);
    const w = await warehouse();
    expect(w.stockIndexPositions).toBeGreaterThan(0);
    expect(expected[0]?.some((r) => r.lotNumber === null)).toBe(true);
    for (let i = 0; i < filters.length; i++)
      expect(await w.stockOnHand(filters[i] as StockFilter)).toEqual(expected[i]);
    // Movements written afterwards are added to what was loaded.
    await w.write(batch(randomMovements('d', 200, 17), 'd'));
    const live = await Promise.all(filters.map((f) => w.stockOnHand(f)));
    await w.close();
    expect(live).toEqual(await sqlAnswers(filters));
  }, 60_000);

  it('drops the index after a failed write and reloads it from the file', async () => {
    const w = await warehouse();
    await w.write({ ...batch([...LOCATIONS, ...PRODUCTS], 'ref'), stream: 'reference' });
    await w.write(batch(randomMovements('e', 100, 19), 'e1'));
    expect(w.stockIndexPositions).toBeGreaterThan(0);
    const bad = { ...batch(randomMovements('f', 50, 23), 'f'), state: { cursor: 1n } };
    await expect(w.write(bad)).rejects.toThrow();
    expect(w.stockIndexPositions).toBeUndefined(); // the SQL answers meanwhile
    const meanwhile = await w.stockOnHand({});
    await w.readState('test', 'movements'); // queued behind the reload
    expect(w.stockIndexPositions).toBeGreaterThan(0);
    expect(await w.stockOnHand({})).toEqual(meanwhile);
    await w.write(batch(randomMovements('g', 100, 29), 'g'));
    const live = await Promise.all(FILTERS.map((f) => w.stockOnHand(f)));
    await w.close();
    expect(live).toEqual(await sqlAnswers(FILTERS));
  }, 60_000);
});
