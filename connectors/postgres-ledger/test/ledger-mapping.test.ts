import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../core/index.js';
import { type LedgerRow, mapLedgerRow, type ReplacedRow, reversalOf } from '../src/ledger-mapping.js';
import { classifyPgError } from '../src/pg-errors.js';

const row = (over: Partial<LedgerRow> = {}): LedgerRow => ({
  id: '17',
  movement_uuid: '0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e',
  movement_type: 'dispatch',
  warehouse_code: 'souss-massa-wh1',
  counterpart_type: 'location',
  counterpart_code: 'souss-massa-ds1',
  product_code: 'water-bottled-water-1.5-l',
  gtin: '16118002000483',
  lot_number: 'L250110C',
  lot_expiry: '2026-01-10',
  quantity: '120.000',
  unit: 'XBO',
  occurred_at: '2025-01-08T09:15:00.000000Z',
  reason: null,
  reference: null,
  updated_at: '2025-01-08T09:15:02.123456Z',
  ...over,
});

describe('stock_ledger row → StockMovement', () => {
  it('maps a row, signing the quantity from the movement type', () => {
    const r = mapLedgerRow(row());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record).toEqual({
      resourceType: 'StockMovement',
      id: 'mv-0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e',
      identifier: [
        { system: 'urn:reserve-hub:ledger:movement', value: '0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e' },
        { system: 'urn:reserve-hub:ledger:row', value: '17' },
      ],
      movementType: 'dispatch',
      occurredAt: '2025-01-08T09:15:00.000000Z',
      location: { reference: 'Location/souss-massa-wh1' },
      counterpart: { reference: 'Location/souss-massa-ds1' },
      product: { reference: 'Product/water-bottled-water-1.5-l' },
      gtin: '16118002000483',
      lot: { lotNumber: 'L250110C', expiry: '2026-01-10' },
      quantity: { value: -120, unit: 'XBO' },
    });
    expect(validateResource(r.record).valid).toBe(true);
  });

  it.each([
    ['RECEIPT', '5', 5],
    ['transfer_out', '5', -5],
    ['transfer-out', '-5', -5],
    ['adjustment', '-2.5', -2.5],
    ['adjustment', '3', 3],
    ['donation-in', '1', 1],
  ])('%s of %s gives %d', (type, quantity, value) => {
    const r = mapLedgerRow(row({ movement_type: type, quantity }));
    expect(r.ok && r.record.quantity).toEqual({ value, unit: 'XBO' });
  });

  it('names an organisation counterpart, and keeps a reference it cannot type as an extension', () => {
    const r = mapLedgerRow(
      row({
        movement_type: 'receipt',
        counterpart_type: 'organization',
        counterpart_code: 'sup-x',
        reference: 'BL-2025/0042',
      }),
    );
    expect(r.ok && r.record.counterpart).toEqual({ reference: 'Organization/sup-x' });
    expect(r.ok && r.record.extension).toEqual([
      { url: 'https://reserve-hub.ma/ext/ledger-reference', valueString: 'BL-2025/0042' },
    ]);
    const typed = mapLedgerRow(row({ reference: 'SupplyRequest/sr-2025-0042' }));
    expect(typed.ok && typed.record.references).toEqual([{ reference: 'SupplyRequest/sr-2025-0042' }]);
  });

  it('refuses a row it cannot map, saying why for each column', () => {
    const r = mapLedgerRow(
      row({ movement_uuid: 'nope', movement_type: 'teleport', product_code: ' ', quantity: '12,5' }),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.pointer)).toEqual([
      '/movement_uuid',
      '/movement_type',
      '/product_code',
      '/quantity',
    ]);
  });

  it('leaves the rest to core validation: a bad check digit maps, then fails validation', () => {
    const r = mapLedgerRow(row({ gtin: '16118002000484' }));
    expect(r.ok).toBe(true);
    const v = r.ok ? validateResource(r.record) : undefined;
    expect(v?.valid === false && v.errors.map((e) => e.code)).toEqual(['HUB_ERR_MODEL_CHECK_DIGIT']);
  });
});

describe('revisions and reversals', () => {
  it('gives a corrected revision its own id, when it was recorded, and a reference to the original', () => {
    const r = mapLedgerRow(row({ revision: 3, quantity: '80', reference: 'Shipment/sh-42-7' }));
    expect(r.ok && r.record).toMatchObject({
      id: 'mv-0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e-r3',
      recordedAt: '2025-01-08T09:15:02.123456Z',
      quantity: { value: -80, unit: 'XBO' },
      references: [
        { reference: 'Shipment/sh-42-7' },
        { reference: 'StockMovement/mv-0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e', display: 'Révision 3 (correction)' },
      ],
      extension: [{ url: 'https://reserve-hub.ma/ext/ledger-revision', valueInteger: 3 }],
    });
    expect(r.ok && validateResource(r.record).valid).toBe(true);
  });

  it.each([
    ['dispatch', '120', 120],
    ['receipt', '5', -5],
    ['adjustment', '-2.5', 2.5],
  ])('reverses a %s of %s with an adjustment of %d that validates', (type, quantity, value) => {
    const replaced: ReplacedRow = {
      ...row({ movement_type: type, quantity }),
      revision: 2,
      operation: 'DELETE',
      superseded_at: '2025-02-01T10:00:00.000000Z',
    };
    const original = mapLedgerRow(replaced);
    if (!original.ok) throw new Error('unmapped');
    const reversal = reversalOf(original.record, replaced);
    expect(reversal).toMatchObject({
      id: 'mv-0b5e8c4e-6d1f-4c7a-9d1e-2f3a4b5c6d7e-x2',
      movementType: 'adjustment',
      occurredAt: '2025-01-08T09:15:00.000000Z',
      recordedAt: '2025-02-01T10:00:00.000000Z',
      location: { reference: 'Location/souss-massa-wh1' },
      lot: { lotNumber: 'L250110C', expiry: '2026-01-10' },
      quantity: { value, unit: 'XBO' },
      references: [{ reference: `StockMovement/${original.record.id}` }],
    });
    expect(validateResource(reversal).valid).toBe(true);
  });
});

describe('PostgreSQL errors', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'HUB_ERR_CONNECTOR_SOURCE', 'transient'],
    [
      { code: '57P01', message: 'terminating connection due to administrator command' },
      'HUB_ERR_CONNECTOR_SOURCE',
      'transient',
    ],
    [{ code: '40001', message: 'could not serialize access' }, 'HUB_ERR_CONNECTOR_SOURCE', 'transient'],
    [
      { code: '28P01', message: 'password authentication failed for user "hub"' },
      'HUB_ERR_CONNECTOR_SOURCE_REFUSED',
      'config',
    ],
    [
      { code: '42P01', message: 'relation "stock_ledger" does not exist' },
      'HUB_ERR_CONNECTOR_SOURCE_REFUSED',
      'config',
    ],
    [{ code: '22P02', message: 'invalid input syntax' }, 'HUB_ERR_CONNECTOR_CRASHED', 'system'],
    [
      { code: undefined, message: 'Client has encountered a connection error and is not queryable' },
      'HUB_ERR_CONNECTOR_SOURCE',
      'transient',
    ],
  ])('%o → %s', (err, code, kind) => {
    const e = classifyPgError('postgres-ledger', Object.assign(new Error(err.message), { code: err.code }));
    expect([e.code, e.kind]).toEqual([code, kind]);
  });
});
