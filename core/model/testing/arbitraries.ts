/**
 * Test support: fast-check arbitraries of valid canonical records, derived from the schemas
 * themselves (so every resource and every field is covered, and a schema change needs no
 * test change), plus a walker that pairs each value of a record with its schema node. Used by
 * the model's property tests; other layers may use `arbitraryResource` for their own.
 */
import fc from 'fast-check';
import { gs1CheckDigit } from '../../identifiers/gs1.js';
import { knownUnits } from '../../units/units.js';
import { optimiseSchema } from '../compile.js';
import { epochMs } from '../formats.js';
import { PATTERN_FORMAT_PREFIX } from '../patterns.js';
import { commonSchema, type ResourceType, schemaOf } from '../schemas.js';

export type SchemaNode = {
  readonly type?: string;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly items?: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly minProperties?: number;
  readonly maxProperties?: number;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const cache = new Map<ResourceType, SchemaNode>();

/** The resource schema with every reference inlined (the optimised copy the validators use). */
export function inlinedSchema(type: ResourceType): SchemaNode {
  let schema = cache.get(type);
  if (schema === undefined) {
    schema = optimiseSchema(schemaOf(type), commonSchema(), new Set()) as SchemaNode;
    cache.set(type, schema);
  }
  return schema;
}

/** Text people write in this model: French, Arabic, Tifinagh, digits and punctuation (BMP, one UTF-16 unit each). */
const TEXT_CHARS = [..."abcdeéèàçôxyzABCZ0129 -_.,'’/()ماءعنبطاقةحوزⵜⵉⴼⵉⵏⴰⵖ"];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function digitsArb(minLength: number, maxLength = minLength): fc.Arbitrary<string> {
  return fc.array(fc.integer({ min: 0, max: 9 }), { minLength, maxLength }).map((ds) => ds.join(''));
}

const dateArb = fc
  .tuple(fc.integer({ min: 1990, max: 2045 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
  .map(([y, m, d]) => {
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return `${y}-${pad(m)}-${pad(Math.min(d, last))}`;
  });

const offsetArb = fc.oneof(
  fc.constantFrom('Z', '+01:00', '+00:00', '-05:00', 'z'),
  fc
    .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`),
);

export const dateTimeArb = fc
  .tuple(
    dateArb,
    fc.constantFrom('T', 't'),
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.option(digitsArb(1, 9)),
    offsetArb,
  )
  .map(
    ([date, t, h, mi, s, frac, offset]) =>
      `${date}${t}${pad(h)}:${pad(mi)}:${pad(s)}${frac ? `.${frac}` : ''}${offset}`,
  );

function gs1Arb(lengths: readonly number[]): fc.Arbitrary<string> {
  return fc.oneof(...lengths.map((n) => digitsArb(n - 1))).map((body) => `${body}${gs1CheckDigit(body)}`);
}

const UNIT_CODES = knownUnits().map((u) => u.code);

function stringArb(node: SchemaNode): fc.Arbitrary<string> {
  const format = node.format;
  if (format === 'date-time') return dateTimeArb;
  if (format === 'date') return dateArb;
  if (format === 'gs1-gtin') return gs1Arb([8, 12, 13, 14]);
  if (format === 'gs1-gln') return gs1Arb([13]);
  if (format === 'gs1-sscc') return gs1Arb([18]);
  if (format === 'unit-code') return fc.constantFrom(...UNIT_CODES);
  const pattern = format?.startsWith(PATTERN_FORMAT_PREFIX) ? format.slice(PATTERN_FORMAT_PREFIX.length) : node.pattern;
  const max = Math.min(node.maxLength ?? 40, 40);
  const min = node.minLength ?? 0;
  if (pattern !== undefined) {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length >= min && s.length <= (node.maxLength ?? 1e9));
  }
  return fc.string({ unit: fc.constantFrom(...TEXT_CHARS), minLength: min, maxLength: Math.max(min, max) });
}

function numberArb(node: SchemaNode): fc.Arbitrary<number> {
  const min = node.minimum ?? node.exclusiveMinimum ?? -1e6;
  const max = node.maximum ?? 1e6;
  const base =
    node.type === 'integer'
      ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
      : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
  return node.exclusiveMinimum === undefined ? base : base.filter((x) => x > (node.exclusiveMinimum as number));
}

/** An arbitrary of values valid against `node` (shape and formats; the resource rules come after). */
export function arbitraryOf(node: SchemaNode): fc.Arbitrary<Json> {
  if (node.const !== undefined) return fc.constant(node.const as Json);
  if (node.enum !== undefined) return fc.constantFrom(...(node.enum as Json[]));
  switch (node.type) {
    case 'string':
      return stringArb(node);
    case 'number':
    case 'integer':
      return numberArb(node);
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = node.minItems ?? 0;
      return fc.array(arbitraryOf(node.items ?? {}), {
        minLength,
        maxLength: Math.min(node.maxItems ?? 3, minLength + 2),
      });
    }
    case 'object': {
      const properties = node.properties ?? {};
      const required = node.required ?? [];
      // An Extension: `url` and exactly one `value…`.
      if (node.maxProperties !== undefined && required.length < node.maxProperties) {
        const optional = Object.keys(properties).filter((k) => !required.includes(k));
        return fc.oneof(
          ...optional.map((key) =>
            fc.record(Object.fromEntries([...required, key].map((k) => [k, arbitraryOf(properties[k] as SchemaNode)]))),
          ),
        ) as fc.Arbitrary<Json>;
      }
      const model = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, arbitraryOf(v)]));
      const arb = fc.record(model, { requiredKeys: [...required] }) as fc.Arbitrary<{ [key: string]: Json }>;
      const minProperties = node.minProperties ?? 0;
      return minProperties > 0 ? arb.filter((o) => Object.keys(o).length >= minProperties) : arb;
    }
    default:
      return fc.constant(null);
  }
}

type Obj = { [key: string]: Json };
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

const INBOUND = ['receipt', 'transfer-in', 'return', 'donation-in'];
const RANK: Record<string, number> = {
  planned: 0,
  picked: 1,
  dispatched: 2,
  'in-transit': 3,
  delivered: 4,
  received: 5,
};

function positive(q: Json | undefined): void {
  if (isObj(q) && typeof q.value === 'number') q.value = Math.abs(q.value) || 1;
}

function fixLotDates(lot: Json | undefined): void {
  if (
    isObj(lot) &&
    typeof lot.expiry === 'string' &&
    typeof lot.manufactured === 'string' &&
    lot.expiry <= lot.manufactured
  ) {
    delete lot.manufactured;
  }
}

function fixPeriod(p: Json | undefined): void {
  if (isObj(p) && typeof p.start === 'string' && typeof p.end === 'string' && epochMs(p.end) < epochMs(p.start)) {
    [p.start, p.end] = [p.end, p.start];
  }
}

/** Makes a shape-valid record follow the resource rules too (signs, dates, status history). */
function followRules(type: ResourceType, record: Obj): Obj {
  switch (type) {
    case 'StockMovement': {
      const q = record.quantity as Obj;
      const v = Math.abs(q.value as number) || 1;
      const t = record.movementType as string;
      q.value = t === 'adjustment' ? (q.value as number) || 1 : INBOUND.includes(t) ? v : -v;
      fixLotDates(record.lot);
      break;
    }
    case 'StockSnapshot':
      (record.quantity as Obj).value = Math.abs((record.quantity as Obj).value as number);
      fixLotDates(record.lot);
      break;
    case 'Lot':
      fixLotDates(record);
      break;
    case 'SupplyRequest':
      for (const line of record.lines as Obj[]) positive(line.quantity);
      break;
    case 'Shipment': {
      for (const line of record.lines as Obj[]) {
        positive(line.quantity);
        fixLotDates(line.lot);
      }
      const history = record.statusHistory as Obj[];
      const ats = history.map((e) => e.at as string).sort((a, b) => epochMs(a) - epochMs(b));
      let statuses = history.map((e) => e.status as string);
      const cancelled = statuses.includes('cancelled');
      statuses = [...new Set(statuses.filter((s) => s !== 'cancelled'))].sort(
        (a, b) => (RANK[a] ?? 0) - (RANK[b] ?? 0),
      );
      if (cancelled && !statuses.includes('received')) statuses.push('cancelled');
      record.statusHistory = statuses.map((status, i) => ({ ...(history[i] as Obj), status, at: ats[i] as string }));
      record.status = statuses[statuses.length - 1] as string;
      break;
    }
    case 'MaintenanceEvent':
      fixPeriod(record.performed);
      break;
    case 'Incident':
      fixPeriod(record.period);
      break;
    default:
      break;
  }
  return record;
}

/** Valid records of a resource type: schema-valid and following the resource's rules. */
export function arbitraryResource(type: ResourceType): fc.Arbitrary<Obj> {
  return (arbitraryOf(inlinedSchema(type)) as fc.Arbitrary<Obj>).map((r) => followRules(type, structuredClone(r)));
}

/** One value of a record with the schema node that governs it. */
export interface Visited {
  readonly pointer: string;
  readonly node: SchemaNode;
  readonly value: Json;
  /** The containing object and this value's key in it, for mutation; `undefined` at the root and in arrays. */
  readonly parent?: Obj;
  readonly key?: string;
  /** Under `extension`: values whose mutation also breaks their Extension's one-value rule. */
  readonly inExtension: boolean;
}

/** Every value of `record`, depth first, paired with its schema node. */
export function visit(type: ResourceType, record: Json): Visited[] {
  const out: Visited[] = [];
  const walk = (node: SchemaNode, value: Json, pointer: string, inExtension: boolean, parent?: Obj, key?: string) => {
    out.push({ pointer, node, value, inExtension, ...(parent ? { parent, key } : {}) });
    if (Array.isArray(value) && node.items) {
      value.forEach((item, i) => {
        walk(node.items as SchemaNode, item, `${pointer}/${i}`, inExtension);
      });
    } else if (isObj(value) && node.properties) {
      for (const [k, v] of Object.entries(value)) {
        const child = node.properties[k];
        if (child) walk(child, v, `${pointer}/${k}`, inExtension || k === 'extension', value, k);
      }
    }
  };
  walk(inlinedSchema(type), record, '', false);
  return out;
}

/** True when a resource's schema has, outside `extension`, a node that satisfies `test`. */
export function schemaHas(type: ResourceType, test: (node: SchemaNode) => boolean): boolean {
  const seen = (node: SchemaNode): boolean =>
    test(node) ||
    (node.items !== undefined && seen(node.items)) ||
    Object.entries(node.properties ?? {}).some(([key, child]) => key !== 'extension' && seen(child));
  return seen(inlinedSchema(type));
}
