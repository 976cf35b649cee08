import { epochMs, isDate } from './formats.js';
import { issue, type ValidationIssue } from './issues.js';
import type { ResourceType } from './schemas.js';

/**
 * Rules beyond the shape that JSON Schema checks: quantity signs, lot dates, periods and the
 * shipment status history. Each rule returns `undefined` when the record passes (no allocation
 * on the valid path) or the issues it found. Rules run on records whose shape may be wrong too
 * (to report every problem at once), so they test every value they read.
 */
export type Rule = (data: unknown) => ValidationIssue[] | undefined;

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function add(out: ValidationIssue[] | undefined, found: ValidationIssue): ValidationIssue[] {
  if (out === undefined) return [found];
  out.push(found);
  return out;
}

/** +1: must be > 0; -1: must be < 0; 0: must be ≠ 0; undefined: unknown type (the schema reports it). */
function movementSign(type: string): 1 | -1 | 0 | undefined {
  switch (type) {
    case 'receipt':
    case 'transfer-in':
    case 'return':
    case 'donation-in':
      return 1;
    case 'dispatch':
    case 'transfer-out':
    case 'loss':
    case 'damage':
    case 'expiry-write-off':
      return -1;
    case 'adjustment':
      return 0;
    default:
      return undefined;
  }
}

const EXPECTED = { '1': 'greater than 0', '-1': 'less than 0', '0': 'other than 0' } as const;

/** `quantity.value` of `holder`, when it is a number. */
function quantityValue(holder: Obj, field = 'quantity'): number | undefined {
  const q = holder[field];
  return isObj(q) && typeof q.value === 'number' ? q.value : undefined;
}

function positiveQuantity(
  holder: unknown,
  pointer: string,
  context: string,
  out: ValidationIssue[] | undefined,
): ValidationIssue[] | undefined {
  if (!isObj(holder)) return out;
  const v = quantityValue(holder);
  if (v === undefined || v > 0) return out;
  return add(
    out,
    issue('HUB_ERR_MODEL_QUANTITY_SIGN', `${pointer}/quantity/value`, {
      value: v,
      expected: 'greater than 0',
      context,
    }),
  );
}

/** Expiry after manufacture, when both are valid dates. `expiryPointer` names the expiry field. */
function lotDates(
  lot: unknown,
  expiryPointer: string,
  out: ValidationIssue[] | undefined,
): ValidationIssue[] | undefined {
  if (!isObj(lot)) return out;
  const { expiry, manufactured } = lot;
  if (typeof expiry !== 'string' || typeof manufactured !== 'string') return out;
  // Valid YYYY-MM-DD strings compare in calendar order.
  if (expiry > manufactured || !isDate(expiry) || !isDate(manufactured)) return out;
  return add(out, issue('HUB_ERR_MODEL_LOT_DATES', expiryPointer, { expiry, manufactured }));
}

function period(p: unknown, pointer: string, out: ValidationIssue[] | undefined): ValidationIssue[] | undefined {
  if (!isObj(p)) return out;
  const { start, end } = p;
  if (typeof start !== 'string' || typeof end !== 'string') return out;
  // NaN (not a date-time: the schema reports it) compares false, so it passes here.
  if (!(epochMs(end) < epochMs(start))) return out;
  return add(out, issue('HUB_ERR_MODEL_PERIOD', `${pointer}/end`, { start, end }));
}

function forEachLine(
  lines: unknown,
  pointer: string,
  check: (line: unknown, at: string, out: ValidationIssue[] | undefined) => ValidationIssue[] | undefined,
  out: ValidationIssue[] | undefined,
): ValidationIssue[] | undefined {
  if (!Array.isArray(lines)) return out;
  let found = out;
  for (let i = 0; i < lines.length; i++) found = check(lines[i], `${pointer}/${i}`, found);
  return found;
}

const stockMovement: Rule = (d) => {
  if (!isObj(d)) return undefined;
  let out: ValidationIssue[] | undefined;
  const type = d.movementType;
  const v = quantityValue(d);
  if (typeof type === 'string' && v !== undefined) {
    const sign = movementSign(type);
    if (sign !== undefined && !(sign === 1 ? v > 0 : sign === -1 ? v < 0 : v !== 0)) {
      out = add(
        out,
        issue('HUB_ERR_MODEL_QUANTITY_SIGN', '/quantity/value', {
          value: v,
          expected: EXPECTED[sign],
          context: `for a movement of type ${type}`,
        }),
      );
    }
  }
  return lotDates(d.lot, '/lot/expiry', out);
};

const stockSnapshot: Rule = (d) => {
  if (!isObj(d)) return undefined;
  let out: ValidationIssue[] | undefined;
  const v = quantityValue(d);
  if (v !== undefined && !(v >= 0)) {
    out = add(
      out,
      issue('HUB_ERR_MODEL_QUANTITY_SIGN', '/quantity/value', {
        value: v,
        expected: '0 or more',
        context: 'for a counted quantity',
      }),
    );
  }
  return lotDates(d.lot, '/lot/expiry', out);
};

const lot: Rule = (d) => lotDates(d, '/expiry', undefined);

const supplyRequest: Rule = (d) => {
  if (!isObj(d)) return undefined;
  return forEachLine(
    d.lines,
    '/lines',
    (line, at, out) => positiveQuantity(line, at, 'for a requested quantity', out),
    undefined,
  );
};

/** Position of each shipment status on its one-way path; `cancelled` may follow any non-final status. */
const SHIPMENT_RANK: Readonly<Record<string, number>> = {
  planned: 0,
  picked: 1,
  dispatched: 2,
  'in-transit': 3,
  delivered: 4,
  received: 5,
};
const FINAL = new Set(['received', 'cancelled']);

function statusHistory(history: unknown, out: ValidationIssue[] | undefined): ValidationIssue[] | undefined {
  if (!Array.isArray(history)) return out;
  let found = out;
  let prevStatus: string | undefined;
  let prevAt: number | undefined;
  for (let i = 0; i < history.length; i++) {
    const entry: unknown = history[i];
    if (!isObj(entry)) continue;
    const { status, at } = entry;
    if (typeof status === 'string' && (status in SHIPMENT_RANK || status === 'cancelled')) {
      if (prevStatus !== undefined) {
        const backwards =
          FINAL.has(prevStatus) ||
          (status !== 'cancelled' && (SHIPMENT_RANK[status] as number) < (SHIPMENT_RANK[prevStatus] as number));
        if (backwards) {
          found = add(
            found,
            issue('HUB_ERR_MODEL_STATUS_REGRESSION', `/statusHistory/${i}/status`, {
              reason: FINAL.has(prevStatus)
                ? `${status} follows the final status ${prevStatus}`
                : `${status} follows ${prevStatus}`,
            }),
          );
        }
      }
      prevStatus = status;
    }
    const t = typeof at === 'string' ? epochMs(at) : Number.NaN;
    if (!Number.isNaN(t)) {
      if (prevAt !== undefined && t < prevAt) {
        found = add(
          found,
          issue('HUB_ERR_MODEL_STATUS_REGRESSION', `/statusHistory/${i}/at`, {
            reason: `${at} is earlier than the entry before it`,
          }),
        );
      }
      prevAt = t;
    }
  }
  return found;
}

const shipment: Rule = (d) => {
  if (!isObj(d)) return undefined;
  let out = forEachLine(
    d.lines,
    '/lines',
    (line, at, found) => {
      const withSign = positiveQuantity(line, at, 'for a shipped quantity', found);
      return isObj(line) ? lotDates(line.lot, `${at}/lot/expiry`, withSign) : withSign;
    },
    undefined,
  );
  out = statusHistory(d.statusHistory, out);
  const history = d.statusHistory;
  if (typeof d.status === 'string' && Array.isArray(history) && history.length > 0) {
    const last: unknown = history[history.length - 1];
    if (isObj(last) && typeof last.status === 'string' && last.status !== d.status) {
      out = add(out, issue('HUB_ERR_MODEL_STATUS_CURRENT', '/status', { status: d.status, last: last.status }));
    }
  }
  return out;
};

const maintenanceEvent: Rule = (d) => (isObj(d) ? period(d.performed, '/performed', undefined) : undefined);

const incident: Rule = (d) => (isObj(d) ? period(d.period, '/period', undefined) : undefined);

/** The rules of each resource type beyond its schema (none for the others). */
export const RULES: Readonly<Partial<Record<ResourceType, Rule>>> = Object.freeze({
  StockMovement: stockMovement,
  StockSnapshot: stockSnapshot,
  Lot: lot,
  SupplyRequest: supplyRequest,
  Shipment: shipment,
  MaintenanceEvent: maintenanceEvent,
  Incident: incident,
});

/** What each resource's rules check, for the model reference (`docs/model.md`). Keep beside `RULES`. */
export const RULE_DOCS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = Object.freeze({
  StockMovement: [
    '`quantity.value` > 0 for receipt, transfer-in, return and donation-in; < 0 for dispatch, transfer-out, loss, damage and expiry-write-off; ≠ 0 for an adjustment (`HUB_ERR_MODEL_QUANTITY_SIGN`).',
    '`lot.expiry` after `lot.manufactured` when both are given (`HUB_ERR_MODEL_LOT_DATES`).',
  ],
  StockSnapshot: [
    '`quantity.value` ≥ 0 (`HUB_ERR_MODEL_QUANTITY_SIGN`).',
    '`lot.expiry` after `lot.manufactured` (`HUB_ERR_MODEL_LOT_DATES`).',
  ],
  Lot: ['`expiry` after `manufactured` when both are given (`HUB_ERR_MODEL_LOT_DATES`).'],
  SupplyRequest: ['every `lines[].quantity.value` > 0 (`HUB_ERR_MODEL_QUANTITY_SIGN`).'],
  Shipment: [
    'every `lines[].quantity.value` > 0 (`HUB_ERR_MODEL_QUANTITY_SIGN`); line lots as for StockMovement.',
    '`statusHistory` never goes backwards: planned → picked → dispatched → in-transit → delivered → received, steps may be skipped or repeated, `cancelled` may follow any status but `received`, and nothing follows `received` or `cancelled`; its times do not decrease (`HUB_ERR_MODEL_STATUS_REGRESSION`).',
    '`status` is the status of the last `statusHistory` entry (`HUB_ERR_MODEL_STATUS_CURRENT`).',
  ],
  MaintenanceEvent: ['`performed.end` not before `performed.start` (`HUB_ERR_MODEL_PERIOD`).'],
  Incident: ['`period.end` not before `period.start` (`HUB_ERR_MODEL_PERIOD`).'],
});
