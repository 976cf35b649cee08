/**
 * The partner API's reads (`ResourceQuery`) under the contract of warehouse-contract.test.ts:
 * the scenario goes into DuckDB through the embedded path and into ClickHouse through the
 * distributed path; every read gives the hand-computed answer on each engine, and the two
 * engines give identical answers for every list (walked page by page at several page sizes,
 * no row lost or repeated), every sort, every filter and every data scope.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import type { EntityKind, ListQuery, Page, ResourceQuery, Warehouse } from '../../core/ports/index.js';
import { describeWithService, randomName } from '../../test/services.js';
import { ClickHouseWarehouse } from '../clickhouse/clickhouse-warehouse.js';
import { DuckDbWarehouse } from '../duckdb/duckdb-warehouse.js';
import { entityListFields } from '../sql/resource-queries.js';
import { BATCHES } from './scenario.js';

type Engine = 'duckdb' | 'clickhouse';
type Reads = Warehouse & ResourceQuery;

interface Loaded {
  readonly warehouse: Reads;
  dispose(): Promise<void>;
}

async function loadDuckDb(): Promise<Loaded> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hub-resource-contract-'));
  const warehouse = new DuckDbWarehouse({ dataDir });
  await warehouse.init();
  for (const batch of BATCHES) await warehouse.write(batch);
  return {
    warehouse,
    async dispose() {
      await warehouse.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function loadClickHouse(url: string): Promise<Loaded> {
  const warehouse = new ClickHouseWarehouse({ url, database: randomName('hub_test'), migrateOnInit: true });
  await warehouse.init();
  for (const batch of BATCHES) {
    await warehouse.insertRecords(batch.records);
    await warehouse.insertDeadLetters(batch.deadLetters);
  }
  return {
    warehouse,
    async dispose() {
      await warehouse.dropDatabase();
      await warehouse.close();
    },
  };
}

const LOADERS: { readonly [E in Engine]: (url: string) => Promise<Loaded> } = {
  duckdb: () => loadDuckDb(),
  clickhouse: loadClickHouse,
};

/** Every page of a list, following `next`; fails on a repeated cursor or a runaway walk. */
async function walk<T>(fetch: (after: string | undefined) => Promise<Page<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (let pages = 1; pages <= 200; pages++) {
    const page = await fetch(after);
    items.push(...page.items);
    if (page.next === null) return { items, pages };
    expect(seen.has(page.next)).toBe(false);
    seen.add(page.next);
    after = page.next;
  }
  throw new Error('more than 200 pages');
}

const ids = (items: readonly unknown[]): string[] => items.map((i) => (i as { id: string }).id);

const KINDS: readonly EntityKind[] = ['Product', 'SupplyRequest', 'Shipment', 'Equipment', 'Incident', 'Organization'];
const SCOPES: readonly (readonly string[] | null)[] = [null, [], ['souss-massa'], ['draa-tafilalet'], ['oriental']];

/** Every list query the identical-answers block runs on both engines. */
function listCases(): { name: string; kind: EntityKind; query: ListQuery }[] {
  const cases: { name: string; kind: EntityKind; query: ListQuery }[] = [];
  for (const kind of KINDS) {
    for (const sort of entityListFields(kind).sorts) {
      for (const s of [sort, `-${sort}`]) cases.push({ name: `${kind} sort ${s}`, kind, query: { sort: s } });
    }
    for (const regions of SCOPES) {
      cases.push({ name: `${kind} regions ${JSON.stringify(regions)}`, kind, query: { regions } });
    }
  }
  const filtered: [EntityKind, Record<string, string>][] = [
    ['Product', { category: 'water' }],
    ['Product', { gtin: '06111234000039' }],
    ['SupplyRequest', { status: 'active' }],
    ['SupplyRequest', { region: 'souss-massa' }],
    ['SupplyRequest', { priority: 'stat', deliverTo: 'souss-massa-wh2' }],
    ['Shipment', { region: 'draa-tafilalet' }],
    ['Shipment', { request: 'rq-2' }],
    ['Shipment', { status: 'planned', destination: 'souss-massa-wh1' }],
    ['Equipment', { region: 'souss-massa' }],
    ['Equipment', { status: 'under-maintenance' }],
    ['Incident', { region: 'draa-tafilalet' }],
    ['Incident', { severity: 'Severe' }],
    ['Organization', { kind: 'carrier' }],
    ['SupplyRequest', { status: "x' OR '1'='1" }],
  ];
  for (const [kind, filters] of filtered) {
    cases.push({ name: `${kind} ${JSON.stringify(filters)}`, kind, query: { filters } });
  }
  return cases;
}

const MOVEMENT_CASES: { name: string; query: ListQuery }[] = [
  { name: 'all, newest first', query: {} },
  { name: 'all, oldest first', query: { sort: 'occurredAt' } },
  { name: 'souss-massa scope', query: { regions: ['souss-massa'] } },
  { name: 'no region', query: { regions: [] } },
  { name: 'region filter draa-tafilalet', query: { filters: { region: 'draa-tafilalet' } } },
  { name: 'warehouse and product', query: { filters: { warehouse: 'souss-massa-wh1', product: 'water-5l' } } },
  { name: 'lot L-B', query: { filters: { lot: 'L-B' } } },
  { name: 'type receipt', query: { filters: { type: 'receipt' } } },
  { name: 'gtin', query: { filters: { gtin: '06111234000022' } } },
  {
    name: 'from (inclusive) to (exclusive), to the millisecond',
    query: { filters: { from: '2026-02-03T11:30:00.500Z', to: '2026-02-10T13:13:13.013Z' } },
  },
  { name: 'from with an offset', query: { filters: { from: '2026-02-11T11:00:01+01:00' } } },
];

function handChecked(engine: Engine, url: string): void {
  let loaded: Loaded;
  let w: Reads;
  beforeAll(async () => {
    loaded = await LOADERS[engine](url);
    w = loaded.warehouse;
  });
  afterAll(async () => {
    await loaded?.dispose();
  });

  it('lists entities with their stored documents, by id by default', async () => {
    const products = await w.listEntities('Product', {});
    expect(ids(products.items)).toEqual(['amoxicillin', 'flour', 'water-5l']);
    expect(products.next).toBeNull();
    expect(products.items[2]).toMatchObject({ resourceType: 'Product', gtin: '06111234000015', minLevel: 300 });
    // The newest version of sh-004 (one line), although version 1 was delivered after it.
    const sh4 = await w.getEntity('Shipment', 'sh-004');
    expect(sh4?.meta?.versionId).toBe('2');
    expect((sh4 as unknown as { lines: unknown[] }).lines).toHaveLength(1);
  });

  it('scopes requests, shipments, equipment and incidents by region; products are not scoped', async () => {
    const list = async (kind: EntityKind, regions: readonly string[] | null) =>
      ids((await w.listEntities(kind, { regions })).items);
    expect(await list('SupplyRequest', ['souss-massa'])).toEqual(['rq-1', 'rq-3']);
    expect(await list('SupplyRequest', ['draa-tafilalet'])).toEqual(['rq-2']);
    expect(await list('SupplyRequest', [])).toEqual([]);
    expect(await list('Shipment', ['draa-tafilalet'])).toEqual(['sh-002', 'sh-003', 'sh-004']);
    expect(await list('Shipment', ['oriental'])).toEqual([]);
    expect(await list('Equipment', ['souss-massa'])).toEqual(['eq-gen-1']);
    expect(await list('Incident', ['draa-tafilalet'])).toEqual(['inc-al-haouz']);
    expect(await list('Incident', ['oriental'])).toEqual([]);
    expect(await list('Product', [])).toEqual(['amoxicillin', 'flour', 'water-5l']);
    expect(await w.getEntity('SupplyRequest', 'rq-2', ['souss-massa'])).toBeUndefined();
    expect((await w.getEntity('SupplyRequest', 'rq-2', ['draa-tafilalet']))?.id).toBe('rq-2');
    expect(await w.getEntity('SupplyRequest', 'rq-2', [])).toBeUndefined();
    expect(await w.getEntity('Shipment', 'nope')).toBeUndefined();
  });

  it('sorts by a whitelisted field, NULLs first ascending, with the id as tie-breaker', async () => {
    const byEta = await w.listEntities('Shipment', { sort: 'eta' });
    expect(ids(byEta.items)).toEqual(['sh-004', 'sh-001', 'sh-002', 'sh-003']);
    const newest = await w.listEntities('SupplyRequest', { sort: '-authoredOn', limit: 2 });
    expect(ids(newest.items)).toEqual(['rq-2', 'rq-1']);
    const rest = await w.listEntities('SupplyRequest', { sort: '-authoredOn', limit: 2, after: newest.next as string });
    expect(ids(rest.items)).toEqual(['rq-3']);
    expect(rest.next).toBeNull();
    const error = await w.listEntities('Shipment', { sort: 'doc' }).catch((e: unknown) => e);
    expect(isHubError(error) && error.code).toBe('HUB_ERR_API_BAD_QUERY');
    const filter = await w.listEntities('Shipment', { filters: { doc: 'x' } }).catch((e: unknown) => e);
    expect(isHubError(filter) && filter.code).toBe('HUB_ERR_API_BAD_QUERY');
  });

  it('refuses a cursor that was altered or made for another sort', async () => {
    const first = await w.listEntities('Shipment', { sort: 'eta', limit: 1 });
    const other = await w
      .listEntities('Shipment', { sort: '-eta', limit: 1, after: first.next as string })
      .catch((e) => e);
    expect(isHubError(other) && other.code).toBe('HUB_ERR_API_CURSOR');
    const byId = await w.listEntities('Shipment', { limit: 1 });
    const kind = await w.listEntities('SupplyRequest', { after: byId.next as string }).catch((e) => e);
    expect(isHubError(kind) && kind.code).toBe('HUB_ERR_API_CURSOR');
    for (const bad of ['', '!!', "' OR 1=1 --", 'eyJ2IjoxfQ', `${first.next}x`]) {
      const e = await w.listEntities('Shipment', { sort: 'eta', after: bad }).catch((x: unknown) => x);
      expect(isHubError(e) && e.code).toBe('HUB_ERR_API_CURSOR');
    }
  });

  it('walks every movement page by page, newest first, with lineage', async () => {
    const { items, pages } = await walk((after) => w.listMovements({ limit: 4, ...(after ? { after } : {}) }));
    expect(pages).toBe(4);
    expect(ids(items)).toEqual([
      'm15',
      'm14',
      'm13',
      'm12',
      'm11',
      'm10',
      'm09',
      'm08',
      'm07',
      'm06',
      'm05',
      'm04',
      'm03',
      'm02',
      'm01',
    ]);
    expect(items.find((m) => m.id === 'm06')).toEqual({
      id: 'm06',
      movementType: 'loss',
      occurredAt: '2026-02-05T08:00:00.001Z',
      locationId: 'souss-massa-wh1',
      regionId: 'souss-massa',
      counterpartId: null,
      productId: 'flour',
      gtin: '06111234000022',
      lotNumber: null,
      quantity: -0.25,
      unit: 'KGM',
      reason: "sac déchiré ' -- /* */",
      lineage: {
        connector: 'contract',
        sourceSystem: 'hand-written',
        sourceId: 'mv-m06',
        sourceHash: `sha256:${'mv-m06'.padEnd(64, '0')}`,
        ingestedAt: '2026-03-01T10:00:00.000Z',
      },
    });
    const sm = await w.listMovements({ regions: ['souss-massa'] });
    expect(ids(sm.items).sort()).toEqual(['m01', 'm02', 'm03', 'm04', 'm05', 'm06', 'm10', 'm13', 'm14', 'm15']);
    const window = await w.listMovements({
      filters: { from: '2026-02-03T11:30:00.500Z', to: '2026-02-10T13:13:13.013Z' },
    });
    expect(ids(window.items)).toEqual(['m11', 'm10', 'm09', 'm08', 'm07', 'm06', 'm05', 'm04', 'm03']);
    expect((await w.listMovements({ filters: { lot: "L-B' OR '1'='1" } })).items).toEqual([]);
  });

  it('reads a lot: its record, stock, and trace to the source', async () => {
    const lotB = await w.getLot('06111234000039', 'L-B');
    expect(lotB).toMatchObject({
      gtin: '06111234000039',
      lotNumber: 'L-B',
      productId: 'amoxicillin',
      expiry: '2027-06-30',
      manufactured: '2025-06-30',
      stock: [{ locationId: 'draa-tafilalet-wh1', regionId: 'draa-tafilalet', unit: 'EA', onHand: 90 }],
      movements: 2,
      firstMovementAt: '2026-02-06T12:00:00.000Z',
      lastMovementAt: '2026-02-10T13:13:13.013Z',
    });
    expect(lotB?.record?.id).toBe('amoxicillin-L-B');
    // L-A has no Lot record and is back to zero.
    expect(await w.getLot('06111234000039', 'L-A')).toMatchObject({ record: null, stock: [], movements: 2 });
    expect(await w.getLot('06111234000039', 'L-Z')).toBeUndefined();
    // Another region's caller sees the record (reference data), none of the stock.
    expect(await w.getLot('06111234000039', 'L-B', ['souss-massa'])).toMatchObject({ stock: [], movements: 0 });
    const trace = await w.lotTrace('06111234000039', 'L-B');
    expect(trace.map((s) => [s.id, s.movementType, s.quantity, s.locationName, s.lineage.sourceId])).toEqual([
      ['m08', 'receipt', 100, "Entrepôt d'Errachidia", 'mv-m08'],
      ['m12', 'damage', -10, "Entrepôt d'Errachidia", 'mv-m12'],
    ]);
    expect(await w.lotTrace('06111234000039', 'L-B', ['souss-massa'])).toEqual([]);
  });

  it('reads a shipment history, maintenance events and dead letters', async () => {
    expect(await w.shipmentHistory('sh-001')).toEqual([
      { status: 'planned', at: '2026-02-02T08:30:00.000Z', changedBy: null },
      { status: 'dispatched', at: '2026-02-02T10:00:00.000Z', changedBy: null },
      { status: 'delivered', at: '2026-02-02T15:00:00.000Z', changedBy: null },
      { status: 'received', at: '2026-02-02T16:00:00.000Z', changedBy: null },
    ]);
    expect(await w.shipmentHistory('nope')).toEqual([]);
    expect((await w.listMaintenanceEvents('eq-pump-1')).map((e) => e.id)).toEqual(['me-1']);
    const letters = await w.listDeadLetters({});
    expect(letters.items).toHaveLength(1);
    const letter = letters.items[0];
    expect(letter).toMatchObject({
      connector: 'contract',
      stream: 'movements',
      sourceId: 'row-17',
      resourceType: 'StockMovement',
      failedAt: '2026-02-12T09:00:00.000Z',
      payload: { id: 'row-17', qty: 'douze', note: "l'entrepôt \\ n'a pas" },
    });
    expect(letter?.errors[0]?.code).toBe('model.type');
    expect(await w.getDeadLetter(letter?.id as string)).toEqual(letter);
    expect(await w.getDeadLetter('nope')).toBeUndefined();
    expect((await w.listDeadLetters({ regions: ['souss-massa'] })).items).toEqual([]);
  });
}

describe('resource reads: duckdb', () => handChecked('duckdb', ''));

describeWithService('clickhouse', 'resource reads: clickhouse', (url) => handChecked('clickhouse', url));

describeWithService('clickhouse', 'resource reads: duckdb and clickhouse give identical answers', (url) => {
  const engines: Partial<Record<Engine, Loaded>> = {};
  beforeAll(async () => {
    const [duck, click] = await Promise.all([loadDuckDb(), loadClickHouse(url)]);
    engines.duckdb = duck;
    engines.clickhouse = click;
  });
  afterAll(async () => {
    await Promise.all(Object.values(engines).map((e) => e.dispose()));
  });

  /** Runs a read on both engines; both must succeed with equal answers (or fail with one code). */
  async function both<T>(read: (w: Reads) => Promise<T>): Promise<T> {
    const run = (w: Reads) =>
      read(w).then(
        (value) => ({ value }),
        (error: unknown) => ({ error: isHubError(error) ? error.code : String(error) }),
      );
    const [duck, click] = await Promise.all([
      run((engines.duckdb as Loaded).warehouse),
      run((engines.clickhouse as Loaded).warehouse),
    ]);
    expect(click).toEqual(duck);
    if ('error' in duck) throw new Error(`both engines failed: ${duck.error}`);
    return duck.value;
  }

  it.each(listCases().map((c) => [c.name, c] as const))('entities: %s, walked at page sizes 1, 2, 3', async (_, c) => {
    const whole = await both((w) => w.listEntities(c.kind, c.query));
    expect(whole.next).toBeNull();
    for (const limit of [1, 2, 3]) {
      const walked = await both((w) =>
        walk((after) => w.listEntities(c.kind, { ...c.query, limit, ...(after ? { after } : {}) })),
      );
      expect(walked.items).toEqual(whole.items);
      expect(walked.pages).toBe(Math.max(1, Math.ceil(whole.items.length / limit)));
      expect(new Set(ids(walked.items)).size).toBe(walked.items.length);
    }
  });

  it.each(KINDS.flatMap((kind) => SCOPES.map((regions) => [kind, JSON.stringify(regions), regions] as const)))(
    'entity by id: %s in %s',
    async (kind, _, regions) => {
      const all = await both((w) => w.listEntities(kind, {}));
      for (const item of all.items) {
        const id = (item as { id: string }).id;
        await both((w) => w.getEntity(kind, id, regions));
      }
    },
  );

  it.each(MOVEMENT_CASES.map((c) => [c.name, c.query] as const))('movements: %s, walked', async (_, query) => {
    const whole = await both((w) => w.listMovements(query));
    for (const limit of [1, 4, 7]) {
      const walked = await both((w) =>
        walk((after) => w.listMovements({ ...query, limit, ...(after ? { after } : {}) })),
      );
      expect(walked.items).toEqual(whole.items);
      expect(new Set(ids(walked.items)).size).toBe(walked.items.length);
    }
  });

  it('lots, traces, shipment histories, maintenance events, dead letters', async () => {
    for (const regions of SCOPES) {
      for (const [gtin, lot] of [
        ['06111234000039', 'L-B'],
        ['06111234000039', 'L-A'],
        ['06111234000015', 'L-B'],
      ] as const) {
        await both((w) => w.getLot(gtin, lot, regions));
        await both((w) => w.lotTrace(gtin, lot, regions));
      }
    }
    for (const id of ['sh-001', 'sh-002', 'sh-003', 'sh-004', 'nope']) await both((w) => w.shipmentHistory(id));
    for (const id of ['eq-gen-1', 'eq-pump-1']) await both((w) => w.listMaintenanceEvents(id));
    for (const sort of ['-failedAt', 'failedAt', 'id', 'connector']) {
      const letters = await both((w) => w.listDeadLetters({ sort, limit: 1 }));
      for (const letter of letters.items) await both((w) => w.getDeadLetter(letter.id));
    }
    await both((w) => w.listDeadLetters({ filters: { connector: 'contract', stream: 'movements' } }));
  });

  it('refuse the same bad requests with the same codes', async () => {
    const code = async (read: (w: Reads) => Promise<unknown>) => {
      const errors = await Promise.all(
        (['duckdb', 'clickhouse'] as const).map((e) =>
          read((engines[e] as Loaded).warehouse).then(
            () => 'none',
            (error: unknown) => (isHubError(error) ? error.code : String(error)),
          ),
        ),
      );
      expect(errors[1]).toBe(errors[0]);
      return errors[0];
    };
    expect(await code((w) => w.listEntities('Shipment', { after: 'bm9wZQ' }))).toBe('HUB_ERR_API_CURSOR');
    expect(await code((w) => w.listMovements({ sort: 'id' }))).toBe('HUB_ERR_API_BAD_QUERY');
    expect(await code((w) => w.listMovements({ filters: { from: 'yesterday' } }))).toBe('HUB_ERR_API_BAD_QUERY');
    expect(await code((w) => w.listMovements({ filters: { from: '0001-01-01T00:00:00Z' } }))).toBe('none');
  });
});
