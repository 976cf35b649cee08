import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createModelAjv } from './compile.js';
import { RESOURCE_TYPES, type ResourceType, schemaId } from './schemas.js';
import { arbitraryResource, schemaHas, type Visited, visit } from './testing/arbitraries.js';
import { isValid, validate, validateResource } from './validate.js';

/** Registers the test only where the resource has such a field: a mutation that cannot apply is not a test. */
const itWhen = (applies: boolean): typeof it => (applies ? it : ((() => {}) as unknown as typeof it));

const RUNS = { numRuns: 100 };

type Obj = Record<string, unknown>;

/** Asserts that `data` is invalid with an error at `pointer` of `code`, and none elsewhere. */
function expectOnlyAt(type: ResourceType, data: unknown, pointer: string, code: string): void {
  const result = validate(type, data);
  expect(result.valid, `${type} ${pointer} should be invalid`).toBe(false);
  if (result.valid) return;
  expect(result.errors.map((e) => e.pointer)).toEqual(result.errors.map(() => pointer));
  expect(result.errors.map((e) => e.code)).toContain(code);
  for (const e of result.errors) expect(e.message.length).toBeGreaterThan(10);
}

/** The visited values that satisfy `keep`, outside extensions (whose one-value rule muddies pointers). */
function candidates(record: Obj, type: ResourceType, keep: (v: Visited) => boolean): Visited[] {
  return visit(type, record as never).filter((v) => !v.inExtension && v.parent !== undefined && keep(v));
}

function pick<T>(items: readonly T[], seed: number): T | undefined {
  return items.length === 0 ? undefined : items[seed % items.length];
}

/**
 * Runs a mutation property and checks that it mutated often enough to mean something (a record
 * may lack an optional field the mutation needs).
 */
function assertMutations<Ts extends unknown[]>(property: (hit: () => void) => fc.IProperty<Ts>): void {
  let hits = 0;
  fc.assert(
    property(() => hits++),
    RUNS,
  );
  expect(hits).toBeGreaterThan(RUNS.numRuns / 5);
}

const isGs1 = (n: { format?: string }) => typeof n.format === 'string' && n.format.startsWith('gs1-');

describe.each(RESOURCE_TYPES)('%s', (type) => {
  const records = arbitraryResource(type);

  it('accepts generated valid records', () => {
    fc.assert(
      fc.property(records, (record) => {
        const result = validate(type, record);
        expect(result).toEqual({ valid: true, value: record });
        expect(isValid(type, record)).toBe(true);
        expect(validateResource(record).valid).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses a value of the wrong type, at its pointer', () => {
    assertMutations((hit) =>
      fc.property(records, fc.nat(), (record, seed) => {
        const target = pick(
          candidates(record, type, (v) => v.value !== null && typeof v.value !== 'object'),
          seed,
        );
        if (!target?.parent || target.key === undefined) return;
        target.parent[target.key] = typeof target.value === 'string' ? 42 : 'not-a-number';
        hit();
        expectOnlyAt(type, record, target.pointer, 'HUB_ERR_MODEL_SCHEMA');
      }),
    );
  });

  it('refuses a record missing a required field, at the field', () => {
    assertMutations((hit) =>
      fc.property(records, fc.nat(), (record, seed) => {
        const required = visit(type, record as never).flatMap((v) =>
          !v.inExtension && v.value !== null && typeof v.value === 'object' && !Array.isArray(v.value)
            ? (v.node.required ?? []).map((key) => ({ holder: v.value as Obj, key, pointer: `${v.pointer}/${key}` }))
            : [],
        );
        const target = pick(required, seed);
        if (!target) return;
        delete target.holder[target.key];
        hit();
        expectOnlyAt(type, record, target.pointer, 'HUB_ERR_MODEL_REQUIRED');
      }),
    );
  });

  itWhen(schemaHas(type, isGs1))('refuses a GS1 key with a bad check digit, at its pointer', () => {
    assertMutations((hit) =>
      fc.property(records, fc.nat(), fc.integer({ min: 1, max: 9 }), (record, seed, delta) => {
        const target = pick(
          candidates(record, type, (v) => typeof v.node.format === 'string' && v.node.format.startsWith('gs1-')),
          seed,
        );
        if (!target?.parent || target.key === undefined) return;
        const s = target.value as string;
        const bad = `${s.slice(0, -1)}${(Number(s.at(-1)) + delta) % 10}`;
        target.parent[target.key] = bad;
        hit();
        expectOnlyAt(type, record, target.pointer, 'HUB_ERR_MODEL_CHECK_DIGIT');
      }),
    );
  });

  itWhen(schemaHas(type, (n) => n.format === 'unit-code'))('refuses an unknown unit, at its pointer', () => {
    assertMutations((hit) =>
      fc.property(
        records,
        fc.nat(),
        fc.constantFrom('BOUTEILLE', 'pcs', 'Kg', 'litres', 'u', ''),
        (record, seed, unit) => {
          const target = pick(
            candidates(record, type, (v) => v.node.format === 'unit-code'),
            seed,
          );
          if (!target?.parent || target.key === undefined) return;
          target.parent[target.key] = unit;
          hit();
          expectOnlyAt(type, record, target.pointer, 'HUB_ERR_MODEL_UNIT_UNKNOWN');
        },
      ),
    );
  });

  itWhen(schemaHas(type, (n) => n.format === 'date-time'))(
    'refuses a timestamp without an offset, at its pointer',
    () => {
      assertMutations((hit) =>
        fc.property(records, fc.nat(), (record, seed) => {
          const target = pick(
            candidates(record, type, (v) => v.node.format === 'date-time'),
            seed,
          );
          if (!target?.parent || target.key === undefined) return;
          target.parent[target.key] = (target.value as string).replace(/([Zz]|[+-]\d\d:\d\d)$/, '');
          hit();
          expectOnlyAt(type, record, target.pointer, 'HUB_ERR_MODEL_TIMESTAMP_OFFSET');
        }),
      );
    },
  );

  it('gives the same verdict as ajv compiling the published schema', () => {
    const published = createModelAjv({ allErrors: false }).getSchema(schemaId(type));
    if (!published) throw new Error(`no schema ${type}`);
    fc.assert(
      fc.property(records, fc.nat(), fc.boolean(), (record, seed, mutate) => {
        if (mutate) {
          const target = pick(
            candidates(record, type, () => true),
            seed,
          );
          if (target?.parent && target.key !== undefined) target.parent[target.key] = seed % 2 ? 'x' : -1;
        }
        // The generated code checks the schema; the rules come on top of it.
        const verdict = validate(type, record).valid;
        expect(published(record) || !verdict).toBe(true);
        if (published(record)) {
          const issues = validate(type, record);
          if (!issues.valid) for (const e of issues.errors) expect(e.code).not.toMatch(/SCHEMA|REQUIRED|UNKNOWN_FIELD/);
        }
      }),
      RUNS,
    );
  });
});

describe('quantity signs', () => {
  it('refuses a movement whose sign disagrees with its type', () => {
    fc.assert(
      fc.property(arbitraryResource('StockMovement'), (record) => {
        const q = record.quantity as { value: number };
        q.value = record.movementType === 'adjustment' ? 0 : -q.value;
        expectOnlyAt('StockMovement', record, '/quantity/value', 'HUB_ERR_MODEL_QUANTITY_SIGN');
      }),
      RUNS,
    );
  });

  it.each(['SupplyRequest', 'Shipment'] as const)('refuses a %s line with a quantity ≤ 0', (type) => {
    fc.assert(
      fc.property(arbitraryResource(type), fc.nat(), fc.boolean(), (record, seed, zero) => {
        const lines = record.lines as { quantity: { value: number } }[];
        const i = seed % lines.length;
        (lines[i] as { quantity: { value: number } }).quantity.value = zero
          ? 0
          : -(lines[i] as { quantity: { value: number } }).quantity.value;
        expectOnlyAt(type, record, `/lines/${i}/quantity/value`, 'HUB_ERR_MODEL_QUANTITY_SIGN');
      }),
      RUNS,
    );
  });

  it('refuses a negative counted quantity', () => {
    fc.assert(
      fc.property(arbitraryResource('StockSnapshot'), (record) => {
        const q = record.quantity as { value: number };
        q.value = -q.value - 1;
        expectOnlyAt('StockSnapshot', record, '/quantity/value', 'HUB_ERR_MODEL_QUANTITY_SIGN');
      }),
      RUNS,
    );
  });
});

describe('dates and histories', () => {
  const shipment = {
    resourceType: 'Shipment',
    id: 'shp-1',
    status: 'delivered',
    origin: { reference: 'Location/souss-massa-wh1' },
    destination: { reference: 'Location/tata-centre-accueil' },
    lines: [{ product: { reference: 'Product/kit-hygiene-familial' }, quantity: { value: 400, unit: 'KT' } }],
    statusHistory: [
      { status: 'planned', at: '2024-09-08T15:00:00+01:00' },
      { status: 'dispatched', at: '2024-09-08T16:00:00+01:00' },
      { status: 'delivered', at: '2024-09-08T21:00:00+01:00' },
    ],
  };

  it('accepts a history that skips steps, and a cancellation', () => {
    expect(validate('Shipment', shipment).valid).toBe(true);
    const cancelled = structuredClone(shipment);
    cancelled.statusHistory[2] = { status: 'cancelled', at: '2024-09-08T17:00:00+01:00' };
    cancelled.status = 'cancelled';
    expect(validate('Shipment', cancelled).valid).toBe(true);
  });

  it('refuses a status after a final one, a step back, time going back and a stale current status', () => {
    const afterFinal = structuredClone(shipment);
    afterFinal.statusHistory.splice(2, 0, { status: 'cancelled', at: '2024-09-08T17:00:00+01:00' });
    expectOnlyAt('Shipment', afterFinal, '/statusHistory/3/status', 'HUB_ERR_MODEL_STATUS_REGRESSION');

    const back = structuredClone(shipment);
    back.statusHistory[1] = { status: 'delivered', at: '2024-09-08T16:00:00+01:00' };
    back.statusHistory[2] = { status: 'picked', at: '2024-09-08T21:00:00+01:00' };
    back.status = 'picked';
    expectOnlyAt('Shipment', back, '/statusHistory/2/status', 'HUB_ERR_MODEL_STATUS_REGRESSION');

    const earlier = structuredClone(shipment);
    // 15:30 UTC is 16:30 in Morocco's +01:00, after 16:00 +01:00: only the 2nd entry goes back in time.
    earlier.statusHistory[2] = { status: 'delivered', at: '2024-09-08T14:30:00Z' };
    expectOnlyAt('Shipment', earlier, '/statusHistory/2/at', 'HUB_ERR_MODEL_STATUS_REGRESSION');

    const stale = structuredClone(shipment);
    stale.status = 'in-transit';
    expectOnlyAt('Shipment', stale, '/status', 'HUB_ERR_MODEL_STATUS_CURRENT');
  });

  it('refuses a lot that expires on or before its manufacture date', () => {
    const lot = {
      resourceType: 'Lot',
      id: 'l1',
      product: { reference: 'Product/p' },
      lotNumber: 'A1',
      manufactured: '2024-02-29',
      expiry: '2024-02-29',
    };
    expectOnlyAt('Lot', lot, '/expiry', 'HUB_ERR_MODEL_LOT_DATES');
    expect(validate('Lot', { ...lot, expiry: '2024-03-01' }).valid).toBe(true);
    expectOnlyAt('Lot', { ...lot, expiry: '2023-02-29' }, '/expiry', 'HUB_ERR_MODEL_DATE');
  });
});

describe('validateResource', () => {
  it('dispatches on resourceType and reports an unknown or missing one at /resourceType', () => {
    expect(
      validateResource({ resourceType: 'Lot', id: 'l', product: { reference: 'Product/p' }, lotNumber: 'x' }).valid,
    ).toBe(true);
    expect(validateResource({ resourceType: 'Patient', id: 'p' })).toEqual({
      valid: false,
      errors: [
        { pointer: '/resourceType', code: 'HUB_ERR_MODEL_UNKNOWN_RESOURCE', message: 'Unknown resource type Patient' },
      ],
    });
    const missing = validateResource({ id: 'x' });
    expect(!missing.valid && missing.errors.map((e) => [e.pointer, e.code])).toEqual([
      ['/resourceType', 'HUB_ERR_MODEL_REQUIRED'],
    ]);
    const notObject = validateResource([1]);
    expect(!notObject.valid && notObject.errors[0]?.pointer).toBe('');
    for (const type of ['Patient', 'constructor', 'toString', '__proto__']) {
      const unknown = validate(type as ResourceType, {});
      expect(!unknown.valid && unknown.errors[0]?.code, type).toBe('HUB_ERR_MODEL_UNKNOWN_RESOURCE');
      expect(isValid(type as ResourceType, {}), type).toBe(false);
    }
    expect(validateResource({ resourceType: 'constructor' }).valid).toBe(false);
  });

  it('reports every problem of a record at once, with readable messages', () => {
    const result = validate('StockMovement', {
      resourceType: 'StockMovement',
      id: 'mv 1',
      movementType: 'dispatch',
      occurredAt: '2024-09-08T09:58:00',
      location: { reference: 'Product/x' },
      product: { reference: 'Product/eau' },
      gtin: '06111000000018',
      quantity: { value: 12, unit: 'BOTTLES' },
      partnerCode: 'X1',
    });
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.errors.map((e) => `${e.pointer} ${e.code}`).sort()).toEqual(
      [
        '/id HUB_ERR_MODEL_SCHEMA',
        '/occurredAt HUB_ERR_MODEL_TIMESTAMP_OFFSET',
        '/location/reference HUB_ERR_MODEL_SCHEMA',
        '/gtin HUB_ERR_MODEL_CHECK_DIGIT',
        '/quantity/unit HUB_ERR_MODEL_UNIT_UNKNOWN',
        '/quantity/value HUB_ERR_MODEL_QUANTITY_SIGN',
        '/partnerCode HUB_ERR_MODEL_UNKNOWN_FIELD',
      ].sort(),
    );
    const byPointer = Object.fromEntries(result.errors.map((e) => [e.pointer, e.message]));
    expect(byPointer['/location/reference']).toContain('must reference a Location');
    expect(byPointer['/gtin']).toContain('expected 4');
    expect(byPointer['/occurredAt']).toContain('(no offset)');
    expect(byPointer['/partnerCode']).toContain('extension');
  });
});
