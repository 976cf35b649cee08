import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainGs1, gs1CheckDigit, isValidGln, isValidGtin, isValidSscc, normaliseGtin14 } from './gs1.js';

describe('GS1 check digits', () => {
  it('computes the check digit of published keys', () => {
    // GS1 General Specifications worked example (GTIN-13) and common keys.
    expect(gs1CheckDigit('629104150021')).toBe(3);
    expect(isValidGtin('6291041500213')).toBe(true);
    expect(isValidGtin('4006381333931')).toBe(true); // EAN-13 of a retail item
    expect(isValidGtin('96385074')).toBe(true); // GTIN-8
    expect(isValidGtin('036000291452')).toBe(true); // UPC-A
    expect(isValidGtin('10614141000415')).toBe(true); // GTIN-14
    expect(isValidSscc('106141411234567897')).toBe(true);
    expect(isValidGln('6111000000014')).toBe(true);
  });

  it('accepts every key completed with its check digit, and refuses any other last digit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(7, 11, 12, 13, 17),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (bodyLength, seed, delta) => {
          const body = String(seed).padStart(bodyLength, '7').slice(-bodyLength);
          const check = gs1CheckDigit(body);
          const key = `${body}${check}`;
          const wrong = `${body}${(check + delta) % 10}`;
          const valid = bodyLength === 17 ? isValidSscc : bodyLength === 12 ? isValidGln : isValidGtin;
          expect(valid(key)).toBe(true);
          expect(valid(wrong)).toBe(false);
          const scheme = bodyLength === 17 ? 'SSCC' : bodyLength === 12 ? 'GLN' : 'GTIN';
          expect(explainGs1(scheme, wrong)).toEqual({ problem: 'check-digit', expected: check });
        },
      ),
    );
  });

  it('detects every single-digit substitution', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{13}$/), fc.nat(12), fc.integer({ min: 1, max: 9 }), (body, at, delta) => {
        const key = `${body}${gs1CheckDigit(body)}`;
        const typo = `${key.slice(0, at)}${(Number(key[at]) + delta) % 10}${key.slice(at + 1)}`;
        expect(isValidGtin(typo)).toBe(false);
      }),
    );
  });

  it('refuses wrong lengths, non-digits and non-strings', () => {
    for (const bad of ['', '611100000001', '61110000000144', '6111o00000014', ' 6111000000014', 6111000000014, null]) {
      expect(isValidGln(bad)).toBe(false);
    }
    expect(isValidGtin('123456789')).toBe(false);
    expect(() => gs1CheckDigit('12a')).toThrow(TypeError);
  });

  it('explains a refusal', () => {
    expect(explainGs1('GLN', '6111000000022')).toEqual({ problem: 'check-digit', expected: 1 });
    expect(explainGs1('GLN', '611100000002')).toEqual({ problem: 'shape' });
    expect(explainGs1('SSCC', '361110000000000015')).toBeUndefined();
  });

  it('normalises GTINs to 14 digits', () => {
    expect(normaliseGtin14('96385074')).toBe('00000096385074');
    expect(normaliseGtin14('6111000000014')).toBe('06111000000014');
    expect(normaliseGtin14('6111000000015')).toBeUndefined();
  });
});
