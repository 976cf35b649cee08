import { describe, expect, it } from 'vitest';
import type { CanonicalResource, DeadLetter } from '../../core/ports/index.js';
import { MOVEMENTS } from '../contract/scenario.js';
import { deadLetterRow, referenceId, rowVersion, tableFor, toRecordRows } from './resource-rows.js';
import { STOCK_LIMIT_MAX, stockLimit } from './warehouse-queries.js';

const NOW = Date.UTC(2026, 2, 1);
const m01 = MOVEMENTS[0] as CanonicalResource;

describe('resource rows', () => {
  it('reads references in every spelling', () => {
    expect(referenceId({ reference: 'Location/souss-massa-wh1' })).toBe('souss-massa-wh1');
    expect(referenceId('Product/flour')).toBe('flour');
    expect(referenceId('flour')).toBe('flour');
    expect(referenceId({ id: 'x' })).toBe('x');
    expect(referenceId({ reference: 'Location/' })).toBeNull();
    expect(referenceId(undefined)).toBeNull();
  });

  it('versions by numeric versionId, else lastUpdated, else ingest time, else 0', () => {
    const base = { resourceType: 'Location', id: 'x' };
    expect(rowVersion({ ...base, meta: { versionId: '7', lastUpdated: '2026-01-01T00:00:00Z' } })).toBe(7);
    expect(rowVersion({ ...base, meta: { versionId: 'W/"abc"', lastUpdated: '2026-01-01T00:00:00Z' } })).toBe(
      Date.UTC(2026, 0, 1),
    );
    expect(rowVersion(base)).toBe(0);
  });

  it('routes resource types to their tables, unknown ones to resources', () => {
    const types = ['Location', 'Product', 'Lot', 'StockMovement', 'Shipment', 'SupplyRequest', 'Incident'];
    expect([...types, 'Equipment', 'MaintenanceEvent', 'StockSnapshot', 'Organization', 'Nope'].map(tableFor)).toEqual([
      'locations',
      'products',
      'lots',
      'stock_movements',
      'shipments',
      'supply_requests',
      'incidents',
      'equipment',
      'maintenance_events',
      'stock_snapshots',
      'organizations',
      'resources',
    ]);
  });

  it('splits a shipment into its row, its lines and its status history (whole seconds, first time per status)', () => {
    const shipment = {
      resourceType: 'Shipment',
      id: 'sh-1',
      meta: { versionId: '3' },
      status: 'delivered',
      origin: { reference: 'Location/a' },
      destination: { reference: 'Location/b' },
      requests: [{ reference: 'SupplyRequest/rq-1' }],
      lines: [{ product: { reference: 'Product/p' }, quantity: { value: 2.5, unit: 'KGM' }, lot: { lotNumber: 'L1' } }],
      statusHistory: [
        { status: 'dispatched', at: '2026-02-02T10:00:00.900+01:00' },
        { status: 'dispatched', at: '2026-02-02T11:00:00Z' },
        { status: 'delivered', at: '2026-02-02T12:00:00Z' },
      ],
    };
    const { tables } = toRecordRows([shipment, shipment], NOW);
    expect(tables.shipments).toMatchObject([
      { id: 'sh-1', version: 3, request_ids: ['rq-1'], dispatched_at: Date.parse('2026-02-02T09:00:00Z') },
    ]);
    expect(tables.shipment_lines).toEqual([
      { shipment_id: 'sh-1', line_no: 1, product_id: 'p', lot_number: 'L1', quantity: 2.5, unit: 'KGM', version: 3 },
    ]);
    expect(tables.shipment_status_history.map((h) => h.id)).toEqual([
      '2026-02-02T09:00:00.000Z|dispatched',
      '2026-02-02T11:00:00.000Z|dispatched',
      '2026-02-02T12:00:00.000Z|delivered',
    ]);
  });

  it('maps a movement to UTC epoch milliseconds and keeps its lineage', () => {
    const [row] = toRecordRows([m01], NOW).stock_movements;
    expect(row).toMatchObject({
      id: 'm01',
      occurred_at: Date.parse('2026-02-01T08:00:00.125Z'),
      location_id: 'souss-massa-wh1',
      product_id: 'water-5l',
      quantity: 1000,
      unit: 'EA',
      lot_number: null,
      connector: 'contract',
      source_id: 'mv-m01',
    });
  });

  it('keeps the first copy of a movement and the newest version of an entity within a batch', () => {
    const v1 = { resourceType: 'Product', id: 'p', meta: { versionId: '1' }, name: { fr: 'un' } };
    const v2 = { ...v1, meta: { versionId: '2' }, name: { fr: 'deux' } };
    const rows = toRecordRows([m01, { ...m01, quantity: { value: 1, unit: 'EA' } }, v2, v1], NOW);
    expect(rows.stock_movements.map((r) => r.quantity)).toEqual([1000]);
    expect(rows.products.map((r) => r.name_fr)).toEqual(['deux']);
  });

  it('turns what a table cannot hold into dead letters with its reasons', () => {
    const rows = toRecordRows(
      [
        { ...m01, id: 'a', quantity: { value: Number.NaN, unit: 'EA' } },
        { ...m01, id: 'b', occurredAt: '1969-12-31T23:59:59Z', location: undefined },
        { resourceType: '', id: 'c' },
      ],
      NOW,
      { connector: 'csv', stream: 'partner_rows' },
    );
    expect(rows.stock_movements).toEqual([]);
    expect(rows.unmappable.map((d) => [d.connector, d.stream, d.errors.map((e) => e.pointer)])).toEqual([
      ['csv', 'partner_rows', ['/quantity/value']],
      ['csv', 'partner_rows', ['/occurredAt', '/location']],
      ['csv', 'partner_rows', ['/id']],
    ]);
    expect(rows.unmappable[0]?.errors[0]?.code).toBe('warehouse.unmappable');
  });

  it('drops lot dates that do not exist or that ClickHouse cannot hold', () => {
    const lot = (expiry: string) =>
      toRecordRows([{ resourceType: 'Lot', id: 'l', expiry, manufactured: '2024-02-29' }], NOW).lots[0];
    expect(lot('2027-06-30')).toMatchObject({ expiry: '2027-06-30', manufactured: '2024-02-29' });
    expect(lot('2027-02-30')?.expiry).toBeNull();
    expect(lot('1960-01-01')?.expiry).toBeNull();
    expect(lot('2200-01-01')?.expiry).toBeNull();
  });

  it('gives a dead letter the same id whenever it is re-read, whatever the failure time', () => {
    const letter: DeadLetter = {
      connector: 'csv',
      stream: 'rows',
      sourceId: 'line-3',
      errors: [{ pointer: '/qty', code: 'x', message: 'bad' }],
      payload: 'a;b;c',
      failedAt: '2026-02-01T00:00:00Z',
    };
    const first = deadLetterRow(letter, NOW);
    expect(deadLetterRow({ ...letter, failedAt: '2026-02-02T00:00:00Z' }, NOW).id).toBe(first.id);
    expect(deadLetterRow({ ...letter, sourceId: 'line-4' }, NOW).id).not.toBe(first.id);
    expect(first.payload).toBe('"a;b;c"');
  });
});

describe('stockLimit', () => {
  it('defaults to and caps at 10,000, and keeps at least one row', () => {
    expect(STOCK_LIMIT_MAX).toBe(10_000);
    expect([undefined, Number.NaN, 50, 2.9, 0, -3, 1e9].map(stockLimit)).toEqual([10_000, 10_000, 50, 2, 1, 1, 10_000]);
  });
});
