import { HubError } from '../errors/hub-error.js';

/**
 * Units of measure the canonical model accepts: a curated subset of UN/ECE Recommendation 20
 * (common codes such as `KGM`, `LTR`, `EA`, plus the Recommendation 21 package codes that
 * Rec 20 carries with an `X` prefix, such as `XBX`) and of UCUM (case-sensitive codes such as
 * `kg`, `L`, `{each}`). The two code lists do not overlap, so a bare code names its system.
 *
 * Conversions are explicit: `convert(value, from, to)` between two units of one dimension,
 * with exact rational factors. Package units (box, carton, pallet…) have no fixed size: each is
 * its own dimension and converts only to itself; turning packs into pieces needs the product's
 * pack size and is the caller's explicit step.
 */
export type UnitSystem = 'unece-rec20' | 'ucum';

/** The `system` URIs used in codings that carry a unit. */
export const UNIT_SYSTEM_URIS: Readonly<Record<UnitSystem, string>> = Object.freeze({
  'unece-rec20': 'urn:un:unece:uncefact:codelist:standard:UNECE:MeasurementUnitCommonCode',
  ucum: 'http://unitsofmeasure.org',
});

export type Dimension =
  | 'mass'
  | 'volume'
  | 'length'
  | 'area'
  | 'time'
  | 'energy'
  | 'power'
  | 'temperature'
  | 'count'
  | `package:${string}`;

export interface UnitInfo {
  readonly code: string;
  readonly system: UnitSystem;
  readonly name: string;
  readonly dimension: Dimension;
  /** Size in the dimension's base unit (kg, L, m, m², s, J, W, K, piece) as an exact fraction. */
  readonly factor: readonly [bigint, bigint];
  /** Added before scaling to reach the base unit (only temperatures have one). */
  readonly offset: number;
}

type Row = readonly [code: string, name: string, dimension: Dimension, num: bigint, den: bigint, offset?: number];

const REC20: readonly Row[] = [
  ['KGM', 'kilogram', 'mass', 1n, 1n],
  ['GRM', 'gram', 'mass', 1n, 1000n],
  ['MGM', 'milligram', 'mass', 1n, 1_000_000n],
  ['TNE', 'tonne', 'mass', 1000n, 1n],
  ['LBR', 'pound', 'mass', 45_359_237n, 100_000_000n],
  ['LTR', 'litre', 'volume', 1n, 1n],
  ['MLT', 'millilitre', 'volume', 1n, 1000n],
  ['CLT', 'centilitre', 'volume', 1n, 100n],
  ['HLT', 'hectolitre', 'volume', 100n, 1n],
  ['MTQ', 'cubic metre', 'volume', 1000n, 1n],
  ['GLL', 'US gallon', 'volume', 3_785_411_784n, 1_000_000_000n],
  ['MTR', 'metre', 'length', 1n, 1n],
  ['CMT', 'centimetre', 'length', 1n, 100n],
  ['MMT', 'millimetre', 'length', 1n, 1000n],
  ['KMT', 'kilometre', 'length', 1000n, 1n],
  ['MTK', 'square metre', 'area', 1n, 1n],
  ['HAR', 'hectare', 'area', 10_000n, 1n],
  ['KMK', 'square kilometre', 'area', 1_000_000n, 1n],
  ['SEC', 'second', 'time', 1n, 1n],
  ['MIN', 'minute', 'time', 60n, 1n],
  ['HUR', 'hour', 'time', 3600n, 1n],
  ['DAY', 'day', 'time', 86_400n, 1n],
  ['WEE', 'week', 'time', 604_800n, 1n],
  ['JOU', 'joule', 'energy', 1n, 1n],
  ['WHR', 'watt hour', 'energy', 3600n, 1n],
  ['KWH', 'kilowatt hour', 'energy', 3_600_000n, 1n],
  ['WTT', 'watt', 'power', 1n, 1n],
  ['KWT', 'kilowatt', 'power', 1000n, 1n],
  ['KEL', 'kelvin', 'temperature', 1n, 1n],
  ['CEL', 'degree Celsius', 'temperature', 1n, 1n, 273.15],
  ['FAH', 'degree Fahrenheit', 'temperature', 5n, 9n, 459.67],
  ['EA', 'each', 'count', 1n, 1n],
  ['H87', 'piece', 'count', 1n, 1n],
  ['C62', 'one', 'count', 1n, 1n],
  ['NAR', 'number of articles', 'count', 1n, 1n],
  ['PR', 'pair', 'count', 2n, 1n],
  ['DZN', 'dozen', 'count', 12n, 1n],
  ['SET', 'set', 'package:set', 1n, 1n],
  ['KT', 'kit', 'package:kit', 1n, 1n],
  ['XBX', 'box', 'package:box', 1n, 1n],
  ['XCT', 'carton', 'package:carton', 1n, 1n],
  ['XPK', 'package', 'package:package', 1n, 1n],
  ['XPA', 'packet', 'package:packet', 1n, 1n],
  ['XBG', 'bag', 'package:bag', 1n, 1n],
  ['XSA', 'sack', 'package:sack', 1n, 1n],
  ['XBO', 'bottle', 'package:bottle', 1n, 1n],
  ['XCA', 'can', 'package:can', 1n, 1n],
  ['XDR', 'drum', 'package:drum', 1n, 1n],
  ['XJR', 'jerrican', 'package:jerrican', 1n, 1n],
  ['XPX', 'pallet', 'package:pallet', 1n, 1n],
];

const UCUM: readonly Row[] = [
  ['kg', 'kilogram', 'mass', 1n, 1n],
  ['g', 'gram', 'mass', 1n, 1000n],
  ['mg', 'milligram', 'mass', 1n, 1_000_000n],
  ['ug', 'microgram', 'mass', 1n, 1_000_000_000n],
  ['t', 'tonne', 'mass', 1000n, 1n],
  ['[lb_av]', 'pound', 'mass', 45_359_237n, 100_000_000n],
  ['L', 'litre', 'volume', 1n, 1n],
  ['mL', 'millilitre', 'volume', 1n, 1000n],
  ['cL', 'centilitre', 'volume', 1n, 100n],
  ['dL', 'decilitre', 'volume', 1n, 10n],
  ['m3', 'cubic metre', 'volume', 1000n, 1n],
  ['cm3', 'cubic centimetre', 'volume', 1n, 1000n],
  ['m', 'metre', 'length', 1n, 1n],
  ['cm', 'centimetre', 'length', 1n, 100n],
  ['mm', 'millimetre', 'length', 1n, 1000n],
  ['km', 'kilometre', 'length', 1000n, 1n],
  ['m2', 'square metre', 'area', 1n, 1n],
  ['har', 'hectare', 'area', 10_000n, 1n],
  ['km2', 'square kilometre', 'area', 1_000_000n, 1n],
  ['s', 'second', 'time', 1n, 1n],
  ['min', 'minute', 'time', 60n, 1n],
  ['h', 'hour', 'time', 3600n, 1n],
  ['d', 'day', 'time', 86_400n, 1n],
  ['wk', 'week', 'time', 604_800n, 1n],
  ['J', 'joule', 'energy', 1n, 1n],
  ['kJ', 'kilojoule', 'energy', 1000n, 1n],
  ['W.h', 'watt hour', 'energy', 3600n, 1n],
  ['kW.h', 'kilowatt hour', 'energy', 3_600_000n, 1n],
  ['W', 'watt', 'power', 1n, 1n],
  ['kW', 'kilowatt', 'power', 1000n, 1n],
  ['K', 'kelvin', 'temperature', 1n, 1n],
  ['Cel', 'degree Celsius', 'temperature', 1n, 1n, 273.15],
  ['[degF]', 'degree Fahrenheit', 'temperature', 5n, 9n, 459.67],
  ['1', 'unity', 'count', 1n, 1n],
  ['{each}', 'each', 'count', 1n, 1n],
  ['{piece}', 'piece', 'count', 1n, 1n],
  ['{pair}', 'pair', 'count', 2n, 1n],
  ['{dozen}', 'dozen', 'count', 12n, 1n],
  ['{kit}', 'kit', 'package:kit', 1n, 1n],
  ['{box}', 'box', 'package:box', 1n, 1n],
  ['{carton}', 'carton', 'package:carton', 1n, 1n],
  ['{pack}', 'package', 'package:package', 1n, 1n],
  ['{bag}', 'bag', 'package:bag', 1n, 1n],
  ['{bottle}', 'bottle', 'package:bottle', 1n, 1n],
  ['{pallet}', 'pallet', 'package:pallet', 1n, 1n],
];

const UNITS = new Map<string, UnitInfo>();
for (const [system, rows] of [
  ['unece-rec20', REC20],
  ['ucum', UCUM],
] as const) {
  for (const [code, name, dimension, num, den, offset = 0] of rows) {
    if (UNITS.has(code)) throw new Error(`unit code ${code} is in both systems`);
    UNITS.set(code, Object.freeze({ code, system, name, dimension, factor: [num, den] as const, offset }));
  }
}

/** True for a unit code the model knows (either system). Cheap: one hash lookup. */
export function isKnownUnit(code: unknown): boolean {
  return typeof code === 'string' && UNITS.has(code);
}

/** What the model knows of a unit code, or `undefined`. */
export function unitInfo(code: string): UnitInfo | undefined {
  return UNITS.get(code);
}

/** Every known unit, Rec 20 first, in a stable order (for docs). */
export function knownUnits(): readonly UnitInfo[] {
  return [...UNITS.values()];
}

/** True when `from` and `to` are known units of the same dimension. */
export function areCompatible(from: string, to: string): boolean {
  const a = UNITS.get(from);
  const b = UNITS.get(to);
  return a !== undefined && b !== undefined && a.dimension === b.dimension;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export type ConversionResult =
  | { readonly ok: true; readonly value: number }
  | {
      readonly ok: false;
      readonly code: 'HUB_ERR_MODEL_UNIT_UNKNOWN' | 'HUB_ERR_MODEL_UNIT_INCOMPATIBLE';
      readonly error: HubError;
    };

/**
 * Converts `value` from one unit to another of the same dimension. Returns a value, never
 * throws: unknown units give `HUB_ERR_MODEL_UNIT_UNKNOWN`, different dimensions (kg to L, box
 * to piece) `HUB_ERR_MODEL_UNIT_INCOMPATIBLE`. Linear factors are applied as one reduced
 * fraction, so `convert(1500, 'GRM', 'KGM')` is exactly 1.5 and round trips are stable.
 */
export function tryConvert(value: number, from: string, to: string): ConversionResult {
  const a = UNITS.get(from);
  const b = UNITS.get(to);
  if (a === undefined || b === undefined) {
    const unit = a === undefined ? from : to;
    return {
      ok: false,
      code: 'HUB_ERR_MODEL_UNIT_UNKNOWN',
      error: new HubError('HUB_ERR_MODEL_UNIT_UNKNOWN', { unit }),
    };
  }
  if (a.dimension !== b.dimension) {
    return {
      ok: false,
      code: 'HUB_ERR_MODEL_UNIT_INCOMPATIBLE',
      error: new HubError('HUB_ERR_MODEL_UNIT_INCOMPATIBLE', {
        from,
        to,
        fromDimension: a.dimension,
        toDimension: b.dimension,
      }),
    };
  }
  if (a.code === b.code) return { ok: true, value };
  // value_b = (value_a + offset_a) * fa / fb - offset_b, with fa / fb reduced exactly.
  let num = a.factor[0] * b.factor[1];
  let den = a.factor[1] * b.factor[0];
  const g = gcd(num, den);
  num /= g;
  den /= g;
  const base = a.offset === 0 ? value : value + a.offset;
  const scaled = den === 1n ? base * Number(num) : (base * Number(num)) / Number(den);
  return { ok: true, value: b.offset === 0 ? scaled : roundOffset(scaled - b.offset) };
}

/** Affine (temperature) results lose a few ulps to the offsets; 12 decimals is far below any sensor. */
function roundOffset(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}

/** Like `tryConvert`, for callers to whom an impossible conversion is a bug: throws the `HubError`. */
export function convert(value: number, from: string, to: string): number {
  const result = tryConvert(value, from, to);
  if (!result.ok) throw result.error;
  return result.value;
}
