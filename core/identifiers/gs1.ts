/**
 * GS1 identification keys and their check digit (GS1 General Specifications §7.9.1): the
 * digits are weighted 3, 1, 3, 1… from the right, excluding the check digit, and the check
 * digit brings the sum up to a multiple of ten. The same rule covers GTIN-8/12/13/14, GLN
 * (13 digits) and SSCC (18 digits).
 */

const ZERO = 48;

/** True when every character of `s` is an ASCII digit (and there is at least one). */
function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - ZERO;
    if (c < 0 || c > 9) return false;
  }
  return true;
}

/** Check digit over the first `length` digits of `s` (the caller guarantees digits). */
function checkDigitOf(s: string, length: number): number {
  let sum = 0;
  let weight = 3;
  for (let i = length - 1; i >= 0; i--) {
    sum += (s.charCodeAt(i) - ZERO) * weight;
    weight = 4 - weight;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * The GS1 check digit for a key given without its check digit, e.g. `gs1CheckDigit('611100000001')`
 * for a GLN. Throws a `TypeError` when `digitsWithoutCheck` is not all digits: that is a programming
 * error, not a data outcome.
 */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  if (!allDigits(digitsWithoutCheck)) throw new TypeError(`not a digit string: ${JSON.stringify(digitsWithoutCheck)}`);
  return checkDigitOf(digitsWithoutCheck, digitsWithoutCheck.length);
}

/** True when `s` is all digits, of one of the lengths, with a correct last (check) digit. One pass. */
function isValidKey(s: unknown, a: number, b = a, c = a, d = a): boolean {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n !== a && n !== b && n !== c && n !== d) return false;
  let sum = 0;
  let weight = 3;
  for (let i = n - 2; i >= 0; i--) {
    const digit = s.charCodeAt(i) - ZERO;
    if (digit >>> 0 > 9) return false;
    sum += digit * weight;
    weight = 4 - weight;
  }
  const check = s.charCodeAt(n - 1) - ZERO;
  return check >>> 0 <= 9 && (10 - (sum % 10)) % 10 === check;
}

/** GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) or GTIN-14, with its check digit. */
export function isValidGtin(s: unknown): s is string {
  return isValidKey(s, 8, 12, 13, 14);
}

/** GLN: 13 digits with its check digit. */
export function isValidGln(s: unknown): s is string {
  return isValidKey(s, 13);
}

/** SSCC: 18 digits (extension digit, company prefix, serial reference, check digit). */
export function isValidSscc(s: unknown): s is string {
  return isValidKey(s, 18);
}

/**
 * A valid GTIN of any length, left-padded with zeros to its 14-digit form (the form the
 * warehouse stores and joins on). Returns `undefined` for an invalid GTIN.
 */
export function normaliseGtin14(s: string): string | undefined {
  return isValidGtin(s) ? s.padStart(14, '0') : undefined;
}

export type Gs1Scheme = 'GTIN' | 'GLN' | 'SSCC';

/**
 * Why `s` is not a valid key of `scheme`: `'shape'` (not digits, or the wrong length) or
 * `'check-digit'` (with the digit it should have had); `undefined` when it is valid. For
 * error messages, off the hot path.
 */
export function explainGs1(
  scheme: Gs1Scheme,
  s: string,
): { problem: 'shape' } | { problem: 'check-digit'; expected: number } | undefined {
  const lengths = scheme === 'GTIN' ? [8, 12, 13, 14] : scheme === 'GLN' ? [13] : [18];
  if (!lengths.includes(s.length) || !allDigits(s)) return { problem: 'shape' };
  const expected = checkDigitOf(s, s.length - 1);
  return expected === s.charCodeAt(s.length - 1) - ZERO ? undefined : { problem: 'check-digit', expected };
}
