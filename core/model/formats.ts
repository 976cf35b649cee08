import { isValidGln, isValidGtin, isValidSscc } from '../identifiers/gs1.js';
import { isKnownUnit } from '../units/units.js';
import { fastPattern, PATTERN_FORMAT_PREFIX } from './patterns.js';

/**
 * The string formats the schemas use, as cheap hand-written checks (no regular expressions,
 * no allocation): validation runs them for every record. `date-time` and `date` replace the
 * generic ones of ajv-formats; `gs1-*` add the GS1 check digit; `unit-code` looks the code up
 * in `core/units`.
 */

const ZERO = 48;

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - ZERO;
  return d >= 0 && d <= 9 ? d : -100;
}

function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (day <= DAYS[month]!) return true;
  return month === 2 && day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** True when `s` holds `YYYY-MM-DD`, a day that exists, from its first character. */
function dateAtStart(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const year = two(s, 0) * 100 + two(s, 2);
  return year >= 0 && validDay(year, two(s, 5), two(s, 8));
}

/** `YYYY-MM-DD` with a day that exists. */
export function isDate(s: string): boolean {
  return s.length === 10 && dateAtStart(s);
}

/**
 * RFC 3339 `date-time`: `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`. The offset is mandatory (a
 * local time without one is ambiguous across the hub's sources). `T` and `Z` may be lower
 * case, as RFC 3339 §5.6 allows. A leap second (`:60`) is refused: no source produces one and
 * JavaScript dates cannot hold it. Straight-line code: it runs for every timestamp of every record.
 */
export function isDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > 40) return false;
  const y0 = s.charCodeAt(0) - ZERO;
  const y1 = s.charCodeAt(1) - ZERO;
  const y2 = s.charCodeAt(2) - ZERO;
  const y3 = s.charCodeAt(3) - ZERO;
  const mo0 = s.charCodeAt(5) - ZERO;
  const mo1 = s.charCodeAt(6) - ZERO;
  const d0 = s.charCodeAt(8) - ZERO;
  const d1 = s.charCodeAt(9) - ZERO;
  const h0 = s.charCodeAt(11) - ZERO;
  const h1 = s.charCodeAt(12) - ZERO;
  const mi0 = s.charCodeAt(14) - ZERO;
  const mi1 = s.charCodeAt(15) - ZERO;
  const s0 = s.charCodeAt(17) - ZERO;
  const s1 = s.charCodeAt(18) - ZERO;
  // `x >>> 0 > 9` is true for a negative x too: one test per digit.
  if (
    y0 >>> 0 > 9 ||
    y1 >>> 0 > 9 ||
    y2 >>> 0 > 9 ||
    y3 >>> 0 > 9 ||
    mo0 >>> 0 > 1 ||
    mo1 >>> 0 > 9 ||
    d0 >>> 0 > 3 ||
    d1 >>> 0 > 9 ||
    h0 >>> 0 > 2 ||
    h1 >>> 0 > 9 ||
    mi0 >>> 0 > 5 ||
    mi1 >>> 0 > 9 ||
    s0 >>> 0 > 5 ||
    s1 >>> 0 > 9
  ) {
    return false;
  }
  const t = s.charCodeAt(10);
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (t !== 84 && t !== 116) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    h0 * 10 + h1 > 23 ||
    !validDay(y0 * 1000 + y1 * 100 + y2 * 10 + y3, mo0 * 10 + mo1, d0 * 10 + d1)
  ) {
    return false;
  }
  let i = 19;
  let c = s.charCodeAt(i);
  if (c === 46) {
    const start = ++i;
    c = s.charCodeAt(i);
    while (c >= 48 && c <= 57) c = s.charCodeAt(++i);
    if (i === start || i - start > 9) return false;
  }
  if (c === 90 || c === 122) return i === n - 1;
  if ((c !== 43 && c !== 45) || i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
  const oh0 = s.charCodeAt(i + 1) - ZERO;
  const oh1 = s.charCodeAt(i + 2) - ZERO;
  const om0 = s.charCodeAt(i + 4) - ZERO;
  const om1 = s.charCodeAt(i + 5) - ZERO;
  return oh0 >>> 0 <= 2 && oh1 >>> 0 <= 9 && om0 >>> 0 <= 5 && om1 >>> 0 <= 9 && oh0 * 10 + oh1 <= 23;
}

/**
 * The instant of an RFC 3339 date-time, in milliseconds since the epoch (sub-millisecond
 * digits are dropped), or `NaN` when `s` is not one.
 */
export function epochMs(s: string): number {
  if (!isDateTime(s)) return Number.NaN;
  const year = two(s, 0) * 100 + two(s, 2);
  let ms = Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17));
  // Date.UTC maps years 0..99 to 1900..1999.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  let i = 19;
  let c = s.charCodeAt(i);
  if (c === 46) {
    let scale = 100;
    for (c = s.charCodeAt(++i); c >= 48 && c <= 57; c = s.charCodeAt(++i)) {
      if (scale >= 1) ms += (c - ZERO) * scale;
      scale /= 10;
    }
  }
  if (c === 43 || c === 45) {
    const offset = (two(s, i + 1) * 60 + two(s, i + 4)) * 60_000;
    ms += c === 43 ? -offset : offset;
  }
  return ms;
}

/** True when `s` looks like a date-time that only lacks its offset (for a precise message). */
export function isDateTimeWithoutOffset(s: string): boolean {
  return isDateTime(`${s}Z`);
}

/** The format checks, by the name the schemas use. Passed to the compiled validators. */
export const FORMATS = Object.freeze({
  'date-time': isDateTime,
  date: isDate,
  'gs1-gtin': isValidGtin,
  'gs1-gln': isValidGln,
  'gs1-sscc': isValidSscc,
  'unit-code': isKnownUnit,
}) satisfies Readonly<Record<string, (s: string) => boolean>>;

export type FormatName = keyof typeof FORMATS;

/**
 * The check behind a format name of the compiled validators: a model format, or
 * `pattern:<expression>` for a pattern checked by hand. Throws for a name it does not know: the
 * generated validators and this module are out of step (run `npx tsx scripts/gen-validators.ts`).
 */
export function formatCheck(name: string): (s: string) => boolean {
  const known = (FORMATS as Readonly<Record<string, (s: string) => boolean>>)[name];
  if (known !== undefined) return known;
  const check = name.startsWith(PATTERN_FORMAT_PREFIX)
    ? fastPattern(name.slice(PATTERN_FORMAT_PREFIX.length))
    : undefined;
  if (check === undefined) throw new Error(`no check for format ${name}; regenerate core/model/validators.gen.js`);
  return check;
}
