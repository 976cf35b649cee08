/**
 * A `stock_ledger` row (resources/stock_ledger.sql) to a canonical StockMovement. Pure: no
 * database here. A row that cannot become a movement at all (no uuid, an unknown type, a
 * quantity that is not a number) is refused with its reasons; anything the mapping can carry
 * over is carried over, and core's validation judges the rest (check digits, units, dates).
 *
 * Each revision of a ledger row is its own event, never an edit of an earlier one:
 * - revision 1 is `mv-<uuid>`; revision r > 1 is `mv-<uuid>-r<r>`, refers to `mv-<uuid>` and
 *   carries `recordedAt` (when the ledger recorded the correction);
 * - a revision that was read and then replaced (an UPDATE, a DELETE, a soft delete) is undone
 *   by a reversal `mv-<uuid>-x<r>`: an adjustment of the opposite quantity at the same place,
 *   product and lot, at the same `occurredAt`, referring to the revision it cancels.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { RecordError } from '../../sdk/connector.js';

/** A ledger row as the connector selects it: every value as text (or null), exactly as stored. */
export interface LedgerRow {
  readonly id: string;
  readonly movement_uuid: string | null;
  readonly movement_type: string | null;
  readonly warehouse_code: string | null;
  readonly counterpart_type: string | null;
  readonly counterpart_code: string | null;
  readonly product_code: string | null;
  readonly gtin: string | null;
  readonly lot_number: string | null;
  readonly lot_expiry: string | null;
  readonly quantity: string | null;
  readonly unit: string | null;
  /** RFC 3339, UTC, microseconds. */
  readonly occurred_at: string | null;
  readonly reason: string | null;
  readonly reference: string | null;
  /** RFC 3339, UTC, microseconds: when this revision was written. */
  readonly updated_at: string;
  /** 1 for a new movement, then +1 per committed change (absent: 1). */
  readonly revision?: number;
}

/** A revision that a later change replaced, from `stock_ledger_history`. */
export interface ReplacedRow extends LedgerRow {
  readonly revision: number;
  /** What replaced it: a correction (`UPDATE`, a soft delete included) or a `DELETE`. */
  readonly operation: 'UPDATE' | 'DELETE';
  /** RFC 3339, UTC, microseconds: when it was replaced. */
  readonly superseded_at: string;
}

export const LEDGER_COLUMNS = [
  'id',
  'movement_uuid',
  'movement_type',
  'warehouse_code',
  'counterpart_type',
  'counterpart_code',
  'product_code',
  'gtin',
  'lot_number',
  'lot_expiry',
  'quantity',
  'unit',
  'occurred_at',
  'reason',
  'reference',
  'updated_at',
] as const;

export const LEDGER_MOVEMENT_SYSTEM = 'urn:reserve-hub:ledger:movement';
export const LEDGER_ROW_SYSTEM = 'urn:reserve-hub:ledger:row';
/** Extension: the ledger revision an event stands for (`valueInteger`). */
export const LEDGER_REVISION_EXTENSION = 'https://reserve-hub.ma/ext/ledger-revision';
/** Extension: the movement a reversal cancels (`valueReference`). */
export const REVERSAL_OF_EXTENSION = 'https://reserve-hub.ma/ext/reversal-of';

/** The canonical id of revision `revision` of ledger movement `uuid`. */
export function movementId(uuid: string, revision = 1): string {
  const base = `mv-${uuid.toLowerCase()}`;
  return revision === 1 ? base : `${base}-r${revision}`;
}

/** The canonical id of the reversal of revision `revision` of ledger movement `uuid`. */
export function reversalId(uuid: string, revision: number): string {
  return `mv-${uuid.toLowerCase()}-x${revision}`;
}

const SIGN: Readonly<Record<string, 1 | -1 | 0>> = {
  receipt: 1,
  'transfer-in': 1,
  return: 1,
  'donation-in': 1,
  dispatch: -1,
  'transfer-out': -1,
  loss: -1,
  damage: -1,
  'expiry-write-off': -1,
  adjustment: 0,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A reference `<Type>/<ledger reference>` the ledger may carry, e.g. `SupplyRequest/sr-2025-0042`. */
const REFERENCE = /^(SupplyRequest|Shipment|Incident|StockMovement)\/[A-Za-z0-9\-.]{1,64}$/;

export type MappingResult =
  | { readonly ok: true; readonly record: CanonicalResource }
  | { readonly ok: false; readonly errors: readonly RecordError[] };

function missing(column: string): RecordError {
  return { pointer: `/${column}`, code: 'HUB_ERR_MODEL_REQUIRED', message: `/${column} is empty` };
}

export function mapLedgerRow(row: LedgerRow): MappingResult {
  const errors: RecordError[] = [];
  const uuid = row.movement_uuid?.trim() ?? '';
  if (!UUID.test(uuid))
    errors.push(
      uuid === ''
        ? missing('movement_uuid')
        : { pointer: '/movement_uuid', code: 'HUB_ERR_MODEL_SCHEMA', message: `/movement_uuid ${uuid} is not a UUID` },
    );
  const type = (row.movement_type ?? '').trim().toLowerCase().replaceAll('_', '-');
  const sign = SIGN[type];
  if (sign === undefined) {
    errors.push(
      type === ''
        ? missing('movement_type')
        : {
            pointer: '/movement_type',
            code: 'HUB_ERR_MODEL_SCHEMA',
            message: `/movement_type ${row.movement_type} is not a movement type`,
          },
    );
  }
  for (const c of ['warehouse_code', 'product_code', 'unit', 'occurred_at'] as const) {
    if ((row[c] ?? '').trim() === '') errors.push(missing(c));
  }
  const magnitude = row.quantity === null ? Number.NaN : Number(row.quantity);
  if (!Number.isFinite(magnitude)) {
    errors.push(
      row.quantity === null
        ? missing('quantity')
        : { pointer: '/quantity', code: 'HUB_ERR_MODEL_SCHEMA', message: `/quantity ${row.quantity} is not a number` },
    );
  }
  if (errors.length > 0 || sign === undefined) return { ok: false, errors };

  const value = sign === 0 || magnitude < 0 ? magnitude : sign * magnitude;
  const revision = row.revision ?? 1;
  const record: Record<string, unknown> = {
    resourceType: 'StockMovement',
    id: movementId(uuid, revision),
    identifier: [
      { system: LEDGER_MOVEMENT_SYSTEM, value: uuid.toLowerCase() },
      { system: LEDGER_ROW_SYSTEM, value: row.id },
    ],
    movementType: type,
    occurredAt: row.occurred_at,
  };
  if (revision > 1) record.recordedAt = row.updated_at;
  record.location = { reference: `Location/${row.warehouse_code?.trim()}` };
  const cpCode = row.counterpart_code?.trim();
  if (cpCode) {
    const kind = row.counterpart_type === 'organization' ? 'Organization' : 'Location';
    record.counterpart = { reference: `${kind}/${cpCode}` };
  }
  record.product = { reference: `Product/${row.product_code?.trim()}` };
  if (row.gtin?.trim()) record.gtin = row.gtin.trim();
  if (row.lot_number?.trim()) {
    record.lot = row.lot_expiry
      ? { lotNumber: row.lot_number.trim(), expiry: row.lot_expiry }
      : { lotNumber: row.lot_number.trim() };
  }
  record.quantity = { value, unit: row.unit?.trim() };
  if (row.reason?.trim()) record.reason = row.reason.trim();
  const references: { reference: string; display?: string }[] = [];
  const extension: Record<string, unknown>[] = [];
  const ref = row.reference?.trim();
  if (ref) {
    if (REFERENCE.test(ref)) references.push({ reference: ref });
    else extension.push({ url: 'https://reserve-hub.ma/ext/ledger-reference', valueString: ref });
  }
  if (revision > 1) {
    references.push({ reference: `StockMovement/${movementId(uuid)}`, display: `Révision ${revision} (correction)` });
    extension.push({ url: LEDGER_REVISION_EXTENSION, valueInteger: revision });
  }
  if (references.length > 0) record.references = references;
  if (extension.length > 0) record.extension = extension;
  return { ok: true, record: record as CanonicalResource };
}

/**
 * The reversal of `original`, the movement that revision `replaced.revision` of a ledger row
 * gave: an adjustment of the opposite quantity, same place, product, lot and `occurredAt`
 * (so that totals over a period are corrected in that period), recorded when the revision
 * was replaced.
 */
export function reversalOf(original: CanonicalResource, replaced: ReplacedRow): CanonicalResource {
  const o = original as unknown as Record<string, unknown> & { quantity: { value: number; unit: string } };
  const uuid = (replaced.movement_uuid ?? '').trim();
  // A soft delete is an UPDATE too: the revision that replaced this one says which it was.
  const what = replaced.operation === 'DELETE' ? 'supprimée' : 'corrigée ou annulée';
  const record: Record<string, unknown> = {
    resourceType: 'StockMovement',
    id: reversalId(uuid, replaced.revision),
    identifier: o.identifier,
    movementType: 'adjustment',
    occurredAt: o.occurredAt,
    recordedAt: replaced.superseded_at,
    location: o.location,
  };
  if (o.counterpart !== undefined) record.counterpart = o.counterpart;
  record.product = o.product;
  if (o.gtin !== undefined) record.gtin = o.gtin;
  if (o.lot !== undefined) record.lot = o.lot;
  // `0 - x`, not `-x`: a reversal never carries a negative zero.
  record.quantity = { value: 0 - o.quantity.value, unit: o.quantity.unit };
  record.reason = `Annulation de ${original.id} : ligne ${what} dans le grand livre`;
  record.references = [{ reference: `StockMovement/${original.id}` }];
  record.extension = [
    { url: REVERSAL_OF_EXTENSION, valueReference: { reference: `StockMovement/${original.id}` } },
    { url: LEDGER_REVISION_EXTENSION, valueInteger: replaced.revision },
  ];
  return record as CanonicalResource;
}
