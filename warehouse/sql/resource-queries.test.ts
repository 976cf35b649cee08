import { describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import {
  clickhouseResourceSql,
  decodeCursor,
  duckdbResourceSql,
  encodeCursor,
  entityListFields,
  getEntitySql,
  listDeadLettersSql,
  listEntitiesSql,
  listMovementsSql,
  lotTraceSql,
  PAGE_LIMITS,
  pageLimit,
  toLotSummary,
  toMovementEntry,
  toPage,
} from './resource-queries.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isHubError(error)) return error.code;
    throw error;
  }
  return 'none';
}

/** One line per SQL text, whitespace collapsed: easier to match fragments. */
const flat = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('cursors', () => {
  it('round-trip the list, sort, key and id as opaque base64url', () => {
    const cursor = encodeCursor({ list: 'Shipment', sort: '-eta', key: 1770000000, id: 'sh-001' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'Shipment', '-eta', 'int')).toEqual({ key: 1770000000, id: 'sh-001' });
    const text = encodeCursor({
      list: 'Product',
      sort: 'name',
      key: "Amoxicilline (O'Brien) 数据 🚚",
      id: 'amoxicillin',
    });
    expect(decodeCursor(text, 'Product', 'name', 'text')).toEqual({
      key: "Amoxicilline (O'Brien) 数据 🚚",
      id: 'amoxicillin',
    });
  });

  it('refuse anything else with HUB_ERR_API_CURSOR', () => {
    const good = encodeCursor({ list: 'Shipment', sort: 'eta', key: 5, id: 'sh-1' });
    const forge = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
    const cases: [string, string, string, 'text' | 'int'][] = [
      ['', 'Shipment', 'eta', 'int'],
      ['not base64!', 'Shipment', 'eta', 'int'],
      ["' OR 1=1 --", 'Shipment', 'eta', 'int'],
      [good, 'SupplyRequest', 'eta', 'int'], // another list
      [good, 'Shipment', '-eta', 'int'], // another sort
      [good, 'Shipment', 'eta', 'text'], // the key is not of the sort's kind
      [`${good}AAAA`, 'Shipment', 'eta', 'int'],
      ['A'.repeat(3000), 'Shipment', 'eta', 'int'],
      [forge([1, 2]), 'Shipment', 'eta', 'int'],
      [forge(null), 'Shipment', 'eta', 'int'],
      [forge({ v: 2, l: 'Shipment', s: 'eta', k: 5, i: 'a' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: 1.5, i: 'a' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: -2, i: 'a' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: 2 ** 60, i: 'a' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: 5, i: '' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: 5, i: 7 }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Shipment', s: 'eta', k: 5, i: '\uD800' }), 'Shipment', 'eta', 'int'],
      [forge({ v: 1, l: 'Product', s: 'name', k: '\uDC00x', i: 'a' }), 'Product', 'name', 'text'],
      [forge({ v: 1, l: 'Product', s: 'name', k: 'x'.repeat(2000), i: 'a' }), 'Product', 'name', 'text'],
    ];
    for (const [cursor, list, sort, kind] of cases) {
      expect(
        code(() => decodeCursor(cursor, list, sort, kind)),
        cursor.slice(0, 40),
      ).toBe('HUB_ERR_API_CURSOR');
    }
  });
});

describe('entity lists: generated SQL', () => {
  it('keyset-paginates by the sort key then the id, one row more than the page', () => {
    const after = encodeCursor({ list: 'Shipment', sort: '-eta', key: 1770000000, id: 'sh-002' });
    const plan = listEntitiesSql(duckdbResourceSql, 'Shipment', { sort: '-eta', limit: 10, after });
    expect(flat(plan.sql.toSql('duckdb'))).toBe(
      flat(`SELECT id, doc, coalesce(CAST(floor(epoch(eta)) AS BIGINT), -1) AS k_sort
FROM shipments
WHERE (coalesce(CAST(floor(epoch(eta)) AS BIGINT), -1) < 1770000000
  OR (coalesce(CAST(floor(epoch(eta)) AS BIGINT), -1) = 1770000000 AND id < 'sh-002'))
ORDER BY k_sort DESC, id DESC
LIMIT 11`),
    );
    expect(plan).toMatchObject({ list: 'Shipment', sort: '-eta', keyKind: 'int', limit: 10 });
    const click = flat(
      listEntitiesSql(clickhouseResourceSql, 'Shipment', { sort: '-eta', limit: 10, after }).sql.toSql('clickhouse'),
    );
    expect(click).toContain('FROM shipments FINAL');
    expect(click).toContain('coalesce(toInt64(eta), -1) AS k_sort');
  });

  it('sorts by id with a plain id comparison, ascending by default', () => {
    const after = encodeCursor({ list: 'Product', sort: 'id', key: 'flour', id: 'flour' });
    const text = flat(listEntitiesSql(duckdbResourceSql, 'Product', { after }).sql.toSql('duckdb'));
    expect(text).toBe(
      "SELECT id, doc, id AS k_sort FROM products WHERE id > 'flour' ORDER BY k_sort ASC, id ASC LIMIT 51",
    );
  });

  it('scopes by region through the locations, and reads nothing for no region', () => {
    const sm = flat(
      listEntitiesSql(duckdbResourceSql, 'SupplyRequest', { regions: ['souss-massa', 'oriental'] }).sql.toSql('duckdb'),
    );
    expect(sm).toContain(
      "WHERE deliver_to_id IN (SELECT id FROM locations WHERE region_id IN ('souss-massa', 'oriental'))",
    );
    const shipment = flat(
      listEntitiesSql(clickhouseResourceSql, 'Shipment', { regions: ['souss-massa'] }).sql.toSql('clickhouse'),
    );
    expect(shipment).toContain(
      "WHERE (origin_id IN (SELECT id FROM locations FINAL WHERE region_id IN ('souss-massa')) OR destination_id IN (SELECT id FROM locations FINAL WHERE region_id IN ('souss-massa')))",
    );
    const incident = flat(
      listEntitiesSql(clickhouseResourceSql, 'Incident', { regions: ['a', 'b'] }).sql.toSql('clickhouse'),
    );
    expect(incident).toContain("WHERE (has(affected_regions, 'a') OR has(affected_regions, 'b'))");
    const incidentDuck = flat(listEntitiesSql(duckdbResourceSql, 'Incident', { regions: ['a'] }).sql.toSql('duckdb'));
    expect(incidentDuck).toContain("WHERE (list_contains(affected_regions, 'a'))");
    for (const kind of ['SupplyRequest', 'Shipment', 'Equipment', 'Incident'] as const) {
      expect(flat(listEntitiesSql(duckdbResourceSql, kind, { regions: [] }).sql.toSql('duckdb'))).toContain(
        'WHERE 1 = 0',
      );
      expect(flat(listEntitiesSql(duckdbResourceSql, kind, { regions: null }).sql.toSql('duckdb'))).not.toContain(
        'WHERE',
      );
    }
    // Reference data is every region's.
    expect(flat(listEntitiesSql(duckdbResourceSql, 'Product', { regions: [] }).sql.toSql('duckdb'))).not.toContain(
      'WHERE',
    );
    expect(flat(listEntitiesSql(duckdbResourceSql, 'Organization', { regions: [] }).sql.toSql('duckdb'))).not.toContain(
      'WHERE',
    );
    // Dead letters are nobody's region: a scoped caller reads none.
    expect(flat(listDeadLettersSql(duckdbResourceSql, { regions: ['souss-massa'] }).sql.toSql('duckdb'))).toContain(
      'WHERE 1 = 0',
    );
    expect(flat(getEntitySql(duckdbResourceSql, 'Equipment', 'eq-1', []).toSql('duckdb'))).toBe(
      "SELECT id, doc FROM equipment WHERE id = 'eq-1' AND 1 = 0 LIMIT 1",
    );
  });

  it('inlines filter values as escaped literals, per dialect', () => {
    const filters = { status: "x' OR '1'='1", region: "\\' OR 1=1 --" };
    const duck = flat(listEntitiesSql(duckdbResourceSql, 'SupplyRequest', { filters }).sql.toSql('duckdb'));
    expect(duck).toContain("status = 'x'' OR ''1''=''1'");
    expect(duck).toContain("region_id IN ('\\'' OR 1=1 --')");
    const click = flat(listEntitiesSql(clickhouseResourceSql, 'SupplyRequest', { filters }).sql.toSql('clickhouse'));
    expect(click).toContain("status = 'x\\' OR \\'1\\'=\\'1'");
    expect(click).toContain("region_id IN ('\\\\\\' OR 1=1 --')");
  });

  it('refuses unknown filters, sorts and kinds; caps the page size', () => {
    expect(code(() => listEntitiesSql(duckdbResourceSql, 'Shipment', { filters: { doc: 'x' } }))).toBe(
      'HUB_ERR_API_BAD_QUERY',
    );
    expect(code(() => listEntitiesSql(duckdbResourceSql, 'Shipment', { filters: { toString: 'x' } }))).toBe(
      'HUB_ERR_API_BAD_QUERY',
    );
    expect(code(() => listEntitiesSql(duckdbResourceSql, 'Shipment', { sort: 'doc' }))).toBe('HUB_ERR_API_BAD_QUERY');
    expect(code(() => listEntitiesSql(duckdbResourceSql, 'Shipment', { sort: '-constructor' }))).toBe(
      'HUB_ERR_API_BAD_QUERY',
    );
    expect(code(() => listEntitiesSql(duckdbResourceSql, 'Lot' as never, {}))).toBe('HUB_ERR_API_BAD_QUERY');
    expect(pageLimit(undefined, PAGE_LIMITS.entities)).toBe(50);
    expect(pageLimit(10_000, PAGE_LIMITS.entities)).toBe(500);
    expect(pageLimit(0, PAGE_LIMITS.entities)).toBe(1);
    expect(pageLimit(Number.NaN, PAGE_LIMITS.movements)).toBe(100);
    expect(entityListFields('Shipment').sorts[0]).toBe('id');
  });
});

describe('movements: generated SQL', () => {
  it('bounds time to the millisecond, with whole-second bounds ClickHouse can prune partitions by', () => {
    const query = { filters: { from: '2026-02-03T11:30:00.500Z', to: '2026-02-10T13:13:13.013+01:00' } };
    const click = flat(listMovementsSql(clickhouseResourceSql, query).sql.toSql('clickhouse'));
    expect(click).toContain("occurred_at >= toDateTime('2026-02-03 11:30:00', 'UTC')");
    expect(click).toContain('toUInt64(occurred_at) * 1000 + occurred_at_ms >= 1770118200500');
    expect(click).toContain("occurred_at <= toDateTime('2026-02-10 12:13:13', 'UTC')");
    expect(click).toContain('toUInt64(occurred_at) * 1000 + occurred_at_ms < 1770725593013');
    expect(click).toContain('ORDER BY k_sort DESC, id DESC');
    const duck = flat(listMovementsSql(duckdbResourceSql, query).sql.toSql('duckdb'));
    expect(duck).toContain('epoch_ms(occurred_at) >= 1770118200500');
    // Out of range instants are clamped, not refused with a 500.
    expect(
      code(() =>
        listMovementsSql(clickhouseResourceSql, { filters: { from: '0001-01-01T00:00:00Z' } }).sql.toSql('clickhouse'),
      ),
    ).toBe('none');
    expect(code(() => listMovementsSql(duckdbResourceSql, { filters: { from: 'yesterday' } }))).toBe(
      'HUB_ERR_API_BAD_QUERY',
    );
    expect(code(() => listMovementsSql(duckdbResourceSql, { filters: { colour: 'red' } }))).toBe(
      'HUB_ERR_API_BAD_QUERY',
    );
    expect(code(() => listMovementsSql(duckdbResourceSql, { sort: 'quantity' }))).toBe('HUB_ERR_API_BAD_QUERY');
  });

  it('continues after the last row with the same time bounds', () => {
    const after = encodeCursor({ list: 'StockMovement', sort: '-occurredAt', key: 1770118200500, id: 'm03' });
    const click = flat(
      listMovementsSql(clickhouseResourceSql, { after, regions: ['souss-massa'] }).sql.toSql('clickhouse'),
    );
    expect(click).toContain("location_id IN (SELECT id FROM locations FINAL WHERE region_id IN ('souss-massa'))");
    expect(click).toContain("occurred_at <= toDateTime('2026-02-03 11:30:00', 'UTC')");
    expect(click).toContain(
      "(toUInt64(occurred_at) * 1000 + occurred_at_ms < 1770118200500 OR (toUInt64(occurred_at) * 1000 + occurred_at_ms = 1770118200500 AND id < 'm03'))",
    );
    const bad = encodeCursor({ list: 'StockMovement', sort: '-occurredAt', key: -1, id: 'm03' });
    expect(code(() => listMovementsSql(duckdbResourceSql, { after: bad }))).toBe('HUB_ERR_API_CURSOR');
  });

  it('finds a lot by its GTIN on the movement or on the product', () => {
    const text = flat(lotTraceSql(duckdbResourceSql, '06111234000039', 'L-B', ['x']).toSql('duckdb'));
    expect(text).toContain(
      "WHERE lot_number = 'L-B' AND (gtin = '06111234000039' OR product_id IN (SELECT id FROM products WHERE gtin = '06111234000039')) AND location_id IN (SELECT id FROM locations WHERE region_id IN ('x'))",
    );
    expect(text).toContain('ORDER BY occurred_ms, id LIMIT 10000');
  });
});

describe('rows', () => {
  it('make a page and its next cursor from one row too many', () => {
    const plan = listEntitiesSql(duckdbResourceSql, 'Shipment', { sort: 'eta', limit: 2 });
    const rows = [
      { id: 'a', doc: '{"id":"a"}', k_sort: '-1' },
      { id: 'b', doc: '{"id":"b"}', k_sort: '17' },
      { id: 'c', doc: '{"id":"c"}', k_sort: '18' },
    ];
    const page = toPage(plan, rows, (r) => JSON.parse(String(r.doc)));
    expect(page.items).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(decodeCursor(page.next as string, 'Shipment', 'eta', 'int')).toEqual({ key: 17, id: 'b' });
    expect(toPage(plan, rows.slice(0, 2), (r) => r.id).next).toBeNull();
  });

  it('map a movement, quantities from integer micro-units and times to the millisecond', () => {
    expect(
      toMovementEntry({
        id: 'm1',
        movement_type: 'loss',
        occurred_ms: '1770278400001',
        location_id: 'wh',
        region_id: 'r',
        counterpart_id: '',
        product_id: 'p',
        gtin: null,
        lot_number: '',
        quantity_micro: '-250000',
        unit: 'KGM',
        reason: null,
        connector: 'c',
        source_system: 's',
        source_id: 'id',
        source_hash: 'h',
        ingested_s: '1772359200',
      }),
    ).toEqual({
      id: 'm1',
      movementType: 'loss',
      occurredAt: '2026-02-05T08:00:00.001Z',
      locationId: 'wh',
      regionId: 'r',
      counterpartId: null,
      productId: 'p',
      gtin: null,
      lotNumber: null,
      quantity: -0.25,
      unit: 'KGM',
      reason: null,
      lineage: {
        connector: 'c',
        sourceSystem: 's',
        sourceId: 'id',
        sourceHash: 'h',
        ingestedAt: '2026-03-01T10:00:00.000Z',
      },
    });
  });

  it('summarise a lot, or nothing when it is unknown', () => {
    expect(toLotSummary('g', 'l', [], [])).toBeUndefined();
    const summary = toLotSummary(
      'g',
      'l',
      [],
      [
        {
          location_id: 'a',
          location_region: 'r',
          product_id: 'p',
          unit: 'EA',
          on_hand_micro: '0',
          movements: '2',
          first_ms: '1000',
          last_ms: '5000',
        },
        {
          location_id: 'b',
          location_region: null,
          product_id: 'p',
          unit: 'EA',
          on_hand_micro: '1500000',
          movements: '1',
          first_ms: '3000',
          last_ms: '3000',
        },
      ],
    );
    expect(summary).toEqual({
      gtin: 'g',
      lotNumber: 'l',
      productId: 'p',
      expiry: null,
      manufactured: null,
      record: null,
      stock: [{ locationId: 'b', regionId: '', unit: 'EA', onHand: 1.5 }],
      movements: 3,
      firstMovementAt: '1970-01-01T00:00:01.000Z',
      lastMovementAt: '1970-01-01T00:00:05.000Z',
    });
  });
});
