/**
 * Every KPI on the contract scenario (warehouse/contract/scenario.ts), with the expected rows
 * worked out by hand below, on DuckDB and on ClickHouse; then both engines' rows compared
 * exactly for every KPI and every dimension it offers.
 *
 * The KPI time is 2026-02-12T12:00Z unless a case says otherwise. What the scenario holds then
 * (see scenario.ts): on hand Agadir water 450, flour 500.25; Tiznit water 295, flour 0;
 * Errachidia amoxicillin L-B 90, water 40. Shipments: sh-001 received (water 250 for rq-1),
 * sh-002 in transit (ETA 10:00, late), sh-003 picked (water 100, flour 50.25 from Agadir),
 * sh-004 planned (v2: amoxicillin L-B 30 from Errachidia; its v1 water line is stale).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import type { KpiDimension, KpiOptions, KpiQuery, KpiRow } from '../../core/ports/index.js';
import { describeWithService, randomName } from '../../test/services.js';
import { ClickHouseWarehouse } from '../clickhouse/clickhouse-warehouse.js';
import { BATCHES } from '../contract/scenario.js';
import { DuckDbWarehouse } from '../duckdb/duckdb-warehouse.js';
import { KPIS } from './kpi-definitions.js';

const AS_OF = '2026-02-12T12:00:00.000Z';

interface Case {
  readonly name: string;
  readonly kpi: string;
  readonly options?: KpiOptions;
  readonly expected: readonly KpiRow[];
}

const CASES: readonly Case[] = [
  {
    name: 'stock position by region and category',
    kpi: 'stock_position',
    expected: [
      // 100 − 10 on hand; sh-004 v2 reserves 30 (its stale v1 water line reserves nothing)
      { region: 'draa-tafilalet', category: 'medical', unit: 'EA', on_hand: 90, reserved: 30, available: 60 },
      { region: 'draa-tafilalet', category: 'water', unit: 'EA', on_hand: 40, reserved: 0, available: 40 },
      // 500.25 at Agadir + 0 at Tiznit; sh-003 (picked) reserves 50.25 → 450
      { region: 'souss-massa', category: 'food', unit: 'KGM', on_hand: 500.25, reserved: 50.25, available: 450 },
      // 450 + 295 = 745; sh-003 reserves 100; sh-002 is dispatched, so reserves nothing → 645
      { region: 'souss-massa', category: 'water', unit: 'EA', on_hand: 745, reserved: 100, available: 645 },
    ],
  },
  {
    name: 'stock position by warehouse and lot, for one product',
    kpi: 'stock_position',
    options: { by: ['warehouse', 'lot'], filters: { product: 'amoxicillin' } },
    expected: [
      // L-A: 200 − 200 = 0 and nothing reserved: left out. L-B: 100 − 10 = 90, 30 reserved.
      { warehouse: 'draa-tafilalet-wh1', lot: 'L-B', unit: 'EA', on_hand: 90, reserved: 30, available: 60 },
    ],
  },
  {
    name: 'stock position before sh-003 was planned (asOf 2026-02-12T08:30Z)',
    kpi: 'stock_position',
    options: { by: ['warehouse', 'product'], filters: { warehouse: 'souss-massa-wh1' }, asOf: '2026-02-12T08:30:00Z' },
    expected: [
      { warehouse: 'souss-massa-wh1', product: 'flour', unit: 'KGM', on_hand: 500.25, reserved: 0, available: 500.25 },
      { warehouse: 'souss-massa-wh1', product: 'water-5l', unit: 'EA', on_hand: 450, reserved: 0, available: 450 },
    ],
  },
  {
    name: 'a filter value is a literal, never SQL',
    kpi: 'stock_position',
    options: { filters: { region: "x' OR '1'='1", category: "water'; DROP TABLE products; --" } },
    expected: [],
  },
  {
    name: 'priority backlog by priority and age',
    kpi: 'priority_backlog',
    expected: [
      // rq-1 authored 2026-02-02T08:00: 10 days 4 h = 244 h before 12:00 on the 12th
      { priority: 'stat', age: '7d+', requests: 1, oldest_age_hours: 244 },
      // rq-2 authored 2026-02-11T20:00: 16 h. rq-3 is completed: not open.
      { priority: 'urgent', age: '6-24h', requests: 1, oldest_age_hours: 16 },
    ],
  },
  {
    name: 'shipments in transit and late, by destination region',
    kpi: 'shipments',
    expected: [
      // sh-003 (picked) and sh-004 (planned) go nowhere yet
      { region: 'draa-tafilalet', in_transit: 0, late: 0, delivered: 0, delivered_late: 0 },
      // sh-002: dispatched 11th 22:00, ETA 12th 10:00 < 12:00 → late; sh-001 delivered 15:00 > ETA 14:00
      { region: 'souss-massa', in_transit: 1, late: 1, delivered: 1, delivered_late: 1 },
    ],
  },
  {
    name: 'fill rate per partner',
    kpi: 'fill_rate',
    expected: [
      // 4 lines: rq-1 water 250/300 = 0.833333, rq-1 flour 0/100, rq-2 amoxicillin 0/50
      // (sh-002 not delivered yet), rq-3 water 0/100 → (833333 + 0 + 0 + 0) / 4 = 208333 ppm
      { partner: 'org-crm-sm', lines: 4, lines_filled: 0, fill_rate: 0.208333, requested: null, delivered: null },
    ],
  },
  {
    name: 'fill rate per request line',
    kpi: 'fill_rate',
    options: { by: ['request', 'product'], filters: { product: 'water-5l' } },
    expected: [
      {
        request: 'rq-1',
        product: 'water-5l',
        lines: 1,
        lines_filled: 0,
        fill_rate: 0.833333,
        requested: 300,
        delivered: 250,
      },
      { request: 'rq-3', product: 'water-5l', lines: 1, lines_filled: 0, fill_rate: 0, requested: 100, delivered: 0 },
    ],
  },
  {
    name: 'lead times by priority',
    kpi: 'lead_times',
    expected: [
      // sh-001 (rq-1): requested 08:00, dispatched 10:00 (2 h), delivered 15:00 (5 h), received 16:00 (1 h)
      {
        priority: 'stat',
        shipments: 1,
        request_to_dispatch_hours: 2,
        dispatch_to_delivery_hours: 5,
        delivery_to_receipt_hours: 1,
        mobilised: 1,
        within_6h: 1,
        within_6h_share: 1,
      },
      // sh-002 (rq-2): requested 20:00, dispatched 22:00 (2 h); not delivered yet
      {
        priority: 'urgent',
        shipments: 1,
        request_to_dispatch_hours: 2,
        dispatch_to_delivery_hours: null,
        delivery_to_receipt_hours: null,
        mobilised: 1,
        within_6h: 1,
        within_6h_share: 1,
      },
    ],
  },
  {
    name: 'nothing expires within 180 days of 2026-02-12',
    kpi: 'expiry',
    expected: [],
  },
  {
    name: 'expiry seen from 2027-03-01',
    kpi: 'expiry',
    options: { by: ['horizon', 'warehouse', 'lot'], asOf: '2027-03-01T00:00:00Z' },
    // L-B expires 2027-06-30: 121 days after 2027-03-01 → the 91–180 day horizon; 90 on hand
    expected: [
      { horizon: '91-180d', warehouse: 'draa-tafilalet-wh1', lot: 'L-B', unit: 'EA', quantity: 90, positions: 1 },
    ],
  },
  {
    name: 'losses over 30 days by type',
    kpi: 'losses',
    expected: [
      { movement_type: 'damage', unit: 'EA', quantity: 10, movements: 1 }, // m12: −10
      { movement_type: 'loss', unit: 'KGM', quantity: 0.25, movements: 1 }, // m06: −0.25
    ],
  },
  {
    name: 'stock-outs and below minimum by region',
    kpi: 'stock_outs',
    expected: [
      // Errachidia: amoxicillin 90, water 40 < minLevel 300
      { region: 'draa-tafilalet', positions: 2, stock_outs: 0, stock_out_days: 0, below_minimum: 1 },
      // Agadir water 450, flour 500.25; Tiznit water 295 < 300, flour 0.1 + 0.2 − 0.3 = 0 (a stock-out).
      // Stock-out days over the 30 whole days before 2026-02-12: Tiznit flour first appears on
      // the 11th and ends that day at 0 → 1 day.
      { region: 'souss-massa', positions: 4, stock_outs: 1, stock_out_days: 1, below_minimum: 1 },
    ],
  },
  {
    name: 'equipment by kind',
    kpi: 'equipment',
    expected: [
      // available, due 2026-02-10 (overdue); me-2 scheduled for the 20th (planned)
      {
        kind: 'generator',
        equipment: 1,
        available: 1,
        availability: 1,
        maintenance_overdue: 1,
        maintenance_planned: 1,
      },
      // under maintenance (me-1 in progress): neither overdue nor planned
      { kind: 'pump', equipment: 1, available: 0, availability: 0, maintenance_overdue: 0, maintenance_planned: 0 },
    ],
  },
  {
    name: 'equipment availability nationally',
    kpi: 'equipment',
    options: { by: [] },
    expected: [{ equipment: 2, available: 1, availability: 0.5, maintenance_overdue: 1, maintenance_planned: 1 }],
  },
  {
    name: 'days of supply by region and category',
    kpi: 'days_of_supply',
    expected: [
      // 90 ÷ (200 dispatched (m09) ÷ 30) = 13.5 days
      {
        region: 'draa-tafilalet',
        category: 'medical',
        unit: 'EA',
        on_hand: 90,
        consumed_30d: 200,
        daily_consumption: 6.666667,
        days_of_supply: 13.5,
      },
      {
        region: 'draa-tafilalet',
        category: 'water',
        unit: 'EA',
        on_hand: 40,
        consumed_30d: 0,
        daily_consumption: 0,
        days_of_supply: null,
      },
      // 500.25 ÷ (0.3 (m15) ÷ 30) = 50,025 days
      {
        region: 'souss-massa',
        category: 'food',
        unit: 'KGM',
        on_hand: 500.25,
        consumed_30d: 0.3,
        daily_consumption: 0.01,
        days_of_supply: 50025,
      },
      // 745 ÷ (250 (m02) ÷ 30) = 89.4 days
      {
        region: 'souss-massa',
        category: 'water',
        unit: 'EA',
        on_hand: 745,
        consumed_30d: 250,
        daily_consumption: 8.333333,
        days_of_supply: 89.4,
      },
    ],
  },
  {
    name: 'inventory accuracy by warehouse',
    kpi: 'inventory_accuracy',
    expected: [
      // ss-2: counted 90; ledger at 2026-02-11 = 100 − 10 = 90 → exact
      {
        warehouse: 'draa-tafilalet-wh1',
        unit: 'EA',
        counts: 1,
        exact: 1,
        accuracy: 1,
        counted: 90,
        ledger: 90,
        absolute_difference: 0,
      },
      // ss-1: counted 445; ledger at 2026-02-04 = 1000 − 250 − 300 = 450 → off by 5
      {
        warehouse: 'souss-massa-wh1',
        unit: 'EA',
        counts: 1,
        exact: 0,
        accuracy: 0,
        counted: 445,
        ledger: 450,
        absolute_difference: 5,
      },
    ],
  },
  {
    name: 'data freshness per connector and source, a day after ingestion',
    kpi: 'data_freshness',
    options: { asOf: '2026-03-02T10:00:00Z' },
    expected: [
      // All 15 movements were ingested at 2026-03-01T10:00Z (24 h before asOf); the newest,
      // m15, occurred 2026-02-11T10:00:02Z: 18 days − 2 s = (18 × 86,400 − 2) / 3,600 = 431.9994 h
      {
        connector: 'contract',
        source: 'hand-written',
        records: 15,
        last_ingested_at: '2026-03-01T10:00:00.000Z',
        last_occurred_at: '2026-02-11T10:00:02.000Z',
        staleness_hours: 24,
        lag_hours: 431.9994,
      },
    ],
  },
  {
    name: 'stock on hand now from the real-time aggregate, by region and category',
    kpi: 'stock_on_hand_live',
    expected: [
      // the same on hand as stock_position (every movement is before AS_OF), with movement counts
      { region: 'draa-tafilalet', category: 'medical', unit: 'EA', on_hand: 90, movements: 4 },
      { region: 'draa-tafilalet', category: 'water', unit: 'EA', on_hand: 40, movements: 1 },
      { region: 'souss-massa', category: 'food', unit: 'KGM', on_hand: 500.25, movements: 5 },
      // m02 is redelivered in the third batch and still counts once: 1000 − 250 − 300 + 295, 5
      // movements (m01, m02, m03 at Agadir; m04, m10 at Tiznit), in both engines
      { region: 'souss-massa', category: 'water', unit: 'EA', on_hand: 745, movements: 5 },
    ],
  },
  {
    name: 'movements per type over the 30 days up to AS_OF, from the real-time aggregate',
    kpi: 'movements_daily',
    options: { by: ['movement_type'] },
    expected: [
      { movement_type: 'adjustment', unit: 'EA', movements: 1, quantity: -5 },
      { movement_type: 'damage', unit: 'EA', movements: 1, quantity: -10 },
      // m02 −250 (once, although redelivered in the third batch), m09 −200
      { movement_type: 'dispatch', unit: 'EA', movements: 2, quantity: -450 },
      { movement_type: 'dispatch', unit: 'KGM', movements: 1, quantity: -0.3 },
      { movement_type: 'donation-in', unit: 'KGM', movements: 2, quantity: 0.3 },
      { movement_type: 'loss', unit: 'KGM', movements: 1, quantity: -0.25 },
      // m01 1000 + m07 200 + m08 100 + m11 40
      { movement_type: 'receipt', unit: 'EA', movements: 4, quantity: 1340 },
      { movement_type: 'receipt', unit: 'KGM', movements: 1, quantity: 500.5 },
      { movement_type: 'transfer-in', unit: 'EA', movements: 1, quantity: 300 },
      { movement_type: 'transfer-out', unit: 'EA', movements: 1, quantity: -300 },
    ],
  },
];

type Engine = 'duckdb' | 'clickhouse';

interface Loaded {
  readonly kpis: KpiQuery;
  dispose(): Promise<void>;
}

async function load(engine: Engine, url: string): Promise<Loaded> {
  if (engine === 'duckdb') {
    const dataDir = await mkdtemp(join(tmpdir(), 'hub-kpi-'));
    const w = new DuckDbWarehouse({ dataDir });
    await w.init();
    for (const batch of BATCHES) await w.write(batch);
    return {
      kpis: w,
      async dispose() {
        await w.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const w = new ClickHouseWarehouse({ url, database: randomName('hub_kpi') });
  await w.init();
  await w.migrate();
  for (const batch of BATCHES) await w.insertRecords(batch.records);
  return {
    kpis: w,
    async dispose() {
      await w.dropDatabase();
      await w.close();
    },
  };
}

function kpiSuite(engine: Engine, url: string): void {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await load(engine, url);
  });
  afterAll(async () => {
    await loaded?.dispose();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expect(await loaded.kpis.kpi(c.kpi, { asOf: AS_OF, ...c.options })).toEqual(c.expected);
  });

  it('refuses an unknown KPI, dimension or filter with HUB_ERR_KPI_REQUEST', async () => {
    for (const [name, options] of [
      ['nope', {}],
      ['stock_position', { by: ['priority'] }],
      ['equipment', { filters: { product: 'x' } }],
      ['shipments', { asOf: 'yesterday' }],
    ] as const) {
      const error = await loaded.kpis.kpi(name, options as KpiOptions).catch((e: unknown) => e);
      expect(isHubError(error) && error.code).toBe('HUB_ERR_KPI_REQUEST');
    }
  });
}

describe('KPIs: duckdb', () => kpiSuite('duckdb', ''));

describeWithService('clickhouse', 'KPIs: clickhouse', (url) => kpiSuite('clickhouse', url));

/** Every KPI, by each dimension it offers alone and by all of them at once. */
const PARITY: readonly [string, KpiOptions][] = Object.values(KPIS)
  .filter((k) => k.measured !== true)
  .flatMap((k) => {
    const dims = Object.keys(k.dimensions) as KpiDimension[];
    return [
      [k.name, {}] as [string, KpiOptions],
      [k.name, { by: [] }] as [string, KpiOptions],
      [k.name, { by: dims }] as [string, KpiOptions],
      ...dims.map((dim) => [k.name, { by: [dim] }] as [string, KpiOptions]),
    ];
  });

describeWithService('clickhouse', 'KPIs: duckdb and clickhouse give identical rows', (url) => {
  const engines: Partial<Record<Engine, Loaded>> = {};
  beforeAll(async () => {
    engines.duckdb = await load('duckdb', '');
    engines.clickhouse = await load('clickhouse', url);
  });
  afterAll(async () => {
    await Promise.all(Object.values(engines).map((e) => e.dispose()));
  });

  it.each(
    PARITY.map(([name, options]) => [`${name} by ${JSON.stringify(options.by ?? 'default')}`, name, options] as const),
  )('%s', async (_, name, options) => {
    for (const asOf of [AS_OF, '2027-03-01T00:00:00Z']) {
      const duck = await engines.duckdb?.kpis.kpi(name, { ...options, asOf });
      const click = await engines.clickhouse?.kpis.kpi(name, { ...options, asOf });
      expect(duck).toBeDefined();
      expect(click).toEqual(duck);
    }
  });
});
