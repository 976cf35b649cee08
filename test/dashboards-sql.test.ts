/**
 * Every card of dashboards/definitions runs against the real ClickHouse (18.16 on CI), on a
 * migrated random database loaded with the warehouse contract scenario: once with only its
 * required tags, once with every optional clause on. Each must run and return the columns its
 * definition declares; some answers are checked by hand against the scenario.
 *
 * Lives under test/ because it needs the warehouse (to migrate and load), which the
 * dashboards layer may not import.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalResource } from '../core/ports/index.js';
import { type CardDefinition, loadDashboards, renderCardSql } from '../dashboards/definitions.js';
import { createClickHouseClient } from '../warehouse/clickhouse/clickhouse-client.js';
import { ClickHouseWarehouse } from '../warehouse/clickhouse/clickhouse-warehouse.js';
import { BATCHES } from '../warehouse/contract/scenario.js';
import { freshnessRows } from '../warehouse/freshness.js';
import { type SqlFragment, sqlDate, sqlNumber, sqlString } from '../warehouse/sql/literal.js';
import { describeWithService, randomName } from './services.js';

const CARDS: readonly CardDefinition[] = loadDashboards().flatMap((d) => d.cards);

/** Values for every tag any card declares, as the filters a user would set. */
const ALL_TAGS: Readonly<Record<string, SqlFragment>> = {
  region: sqlString('souss-massa'),
  category: sqlString('water'),
  days: sqlNumber(100_000),
  from: sqlDate('2026-02-01'),
  to: sqlDate('2026-02-28'),
  lot: sqlString('L-B'),
  gtin: sqlString('06111234000039'),
  connector: sqlString('contract'),
};

function literals(card: CardDefinition, set: 'required' | 'all', over: Record<string, SqlFragment> = {}) {
  const out: Record<string, string> = {};
  for (const [name, tag] of Object.entries(card.tags ?? {})) {
    const value =
      over[name] ??
      (set === 'all' ? ALL_TAGS[name] : undefined) ??
      (tag.required === true && tag.default !== undefined
        ? tag.type === 'number'
          ? sqlNumber(Number(tag.default))
          : tag.type === 'date'
            ? sqlDate(String(tag.default))
            : sqlString(String(tag.default))
        : undefined);
    if (value !== undefined) out[name] = value.toSql('clickhouse');
  }
  return out;
}

const ACK_MS = Date.parse('2026-03-01T10:00:02.500Z');
const RECORDS = BATCHES.reduce((n, b) => n + b.records.length, 0);

describe('the cards under test', () => {
  it('cover the three dashboards and declare a value for each tag they use', () => {
    expect(CARDS.length).toBeGreaterThanOrEqual(12);
    for (const card of CARDS)
      for (const name of Object.keys(card.tags ?? {})) expect(ALL_TAGS[name], name).toBeDefined();
  });
});

describeWithService('clickhouse', 'dashboard cards on a real ClickHouse', (url) => {
  let w: ClickHouseWarehouse;
  let client: ClickHouseClient;

  beforeAll(async () => {
    w = new ClickHouseWarehouse({ url, database: randomName('hub_test'), migrateOnInit: true });
    await w.init();
    for (const batch of BATCHES) {
      await w.insertRecords(batch.records);
      await w.insertDeadLetters(batch.deadLetters);
      await w.insertFreshness(freshnessRows(batch.records as CanonicalResource[], ACK_MS, 'test'));
    }
    client = await createClickHouseClient({ url }, w.database);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await w?.dropDatabase();
    await w?.close();
  });

  async function run(card: CardDefinition, set: 'required' | 'all', over: Record<string, SqlFragment> = {}) {
    const query = renderCardSql(card.sql, literals(card, set, over));
    const result = await client.query({ query, format: 'JSON' });
    const body = await result.json<Record<string, unknown>>();
    const rows = (body.data as Record<string, unknown>[]).map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
      ),
    );
    return { columns: (body.meta ?? []).map((m) => m.name), rows };
  }

  for (const card of CARDS) {
    for (const set of ['required', 'all'] as const) {
      it(`${card.key} runs with ${set === 'all' ? 'every optional clause' : 'its required tags only'}`, async () => {
        const { columns } = await run(card, set);
        expect(columns).toEqual(card.columns);
      });
    }
  }

  const card = (key: string): CardDefinition => {
    const found = CARDS.find((c) => c.key === key);
    if (!found) throw new Error(`no card ${key}`);
    return found;
  };

  it('stock by region and category: the scenario by hand, zero positions left out', async () => {
    const { rows } = await run(card('stock_by_region_category'), 'required');
    expect(rows.map((r) => [r.region_id, r.region_name, r.category, r.unit, r.on_hand])).toEqual([
      ['draa-tafilalet', 'Drâa-Tafilalet', 'medical', 'EA', 90],
      ['draa-tafilalet', 'Drâa-Tafilalet', 'water', 'EA', 40],
      ['souss-massa', 'Souss-Massa', 'food', 'KGM', 500.25],
      ['souss-massa', 'Souss-Massa', 'water', 'EA', 745], // 450 at Agadir + 295 at Tiznit
    ]);
    const filtered = await run(card('stock_by_region_category'), 'all');
    expect(filtered.rows.map((r) => [r.region_id, r.category, r.on_hand])).toEqual([['souss-massa', 'water', 745]]);
  });

  it('warehouse map: positive positions per warehouse, with coordinates', async () => {
    const { rows } = await run(card('stock_map_warehouses'), 'required');
    // 18.16 prints Float64 with 17 significant digits: compare at the data's precision.
    const at4 = (v: unknown) => Math.round(Number(v) * 1e4) / 1e4;
    expect(rows.map((r) => [r.location_id, r.positions, at4(r.latitude)])).toEqual([
      ['draa-tafilalet-wh1', 2, 31.9314], // L-B and water; L-A back to zero
      ['souss-massa-wh1', 2, 30.4202],
      ['souss-massa-wh2', 1, 29.6974], // flour 0.1 + 0.2 − 0.3 is zero
    ]);
    expect((await run(card('stock_map_warehouses'), 'all')).rows.map((r) => r.location_id)).toEqual([
      'souss-massa-wh1',
      'souss-massa-wh2',
    ]);
  });

  it('open requests by priority, nationally and for one region', async () => {
    const all = await run(card('requests_open_by_priority'), 'required');
    expect(all.rows).toEqual([
      { priority: 'stat', requests: 1 },
      { priority: 'urgent', requests: 1 },
    ]);
    expect((await run(card('requests_open_by_priority'), 'all')).rows).toEqual([{ priority: 'stat', requests: 1 }]);
  });

  it('shipments in transit: sh-002 only, late against its ETA', async () => {
    expect((await run(card('shipments_in_transit_count'), 'required')).rows).toEqual([{ in_transit: 1, late: 1 }]);
    const detail = await run(card('shipments_in_transit'), 'all');
    expect(detail.rows.map((r) => [r.id, r.origin_region_id, r.destination_region_id, r.late])).toEqual([
      ['sh-002', 'draa-tafilalet', 'souss-massa', 1],
    ]);
    const elsewhere = await run(card('shipments_in_transit_count'), 'all', { region: sqlString('oriental') });
    expect(elsewhere.rows).toEqual([{ in_transit: 0, late: 0 }]);
  });

  it('lots near expiry and the trace of lot L-B', async () => {
    const lots = await run(card('lots_near_expiry'), 'required');
    expect(lots.rows.map((r) => [r.product_id, r.lot, r.on_hand, r.expiry])).toEqual([
      ['amoxicillin', 'L-B', 90, '2027-06-30'],
    ]);
    const none = await run(card('lots_near_expiry'), 'required', { days: sqlNumber(-100_000) });
    expect(none.rows).toEqual([]);
    const trace = await run(card('lot_trace'), 'all');
    expect(trace.rows.map((r) => [r.movement_type, r.quantity, r.location_name])).toEqual([
      ['receipt', 100, "Entrepôt d'Errachidia"],
      ['damage', -10, "Entrepôt d'Errachidia"],
    ]);
  });

  it('movements per day count each movement once, redelivery included', async () => {
    const { rows } = await run(card('movements_by_type_per_day'), 'required');
    expect(rows.reduce((n, r) => n + Number(r.n_movements), 0)).toBe(15);
    expect(rows.filter((r) => r.day === '2026-02-11')).toEqual([
      { day: '2026-02-11', movement_type: 'dispatch', n_movements: 1 },
      { day: '2026-02-11', movement_type: 'donation-in', n_movements: 2 },
    ]);
  });

  it('data quality: freshness, dead letters and ingestion volume', async () => {
    const fresh = await run(card('freshness_by_source'), 'all');
    expect(fresh.rows.map((r) => [r.connector, r.source_system, r.n_records, r.lag_max_s])).toEqual([
      ['contract', 'hand-written', RECORDS, 2.5],
    ]);
    expect((await run(card('dead_letters_by_connector'), 'required')).rows).toEqual([
      { connector: 'contract', stream: 'movements', dead_letters: 1, last_failed_at: '2026-02-12 09:00:00' },
    ]);
    const volume = await run(card('ingestion_volume_per_day'), 'all');
    expect(volume.rows).toEqual([{ day: '2026-03-01', connector: 'contract', n_movements: 15 }]);
  });
});
