import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochMs, isDate, isDateTime } from './formats.js';
import { fastPattern } from './patterns.js';
import { dateTimeArb } from './testing/arbitraries.js';

/** RFC 3339 §5.6 `date-time`, with our stricter seconds (no leap second) as a reference expression. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function reference(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

describe('date-time', () => {
  it('accepts RFC 3339 date-times with an offset', () => {
    for (const s of [
      '2023-09-08T23:11:00+01:00',
      '2023-09-08T22:11:00Z',
      '2024-02-29T00:00:00.5-00:00',
      '2024-10-01t08:00:00.123456789z',
      '0099-12-31T23:59:59+14:00',
    ]) {
      expect(isDateTime(s), s).toBe(true);
    }
  });

  it('refuses local times, other layouts and impossible dates', () => {
    for (const s of [
      '2023-09-08T23:11:00',
      '2023-09-08 23:11:00+01:00',
      '2023-09-08T23:11+01:00',
      '2023-09-08T23:11:00+0100',
      '2023-09-08T23:11:00.+01:00',
      '2023-09-08T23:11:00.1234567890Z',
      '2023-02-29T00:00:00Z',
      '2023-13-01T00:00:00Z',
      '2023-09-08T24:00:00Z',
      '2023-09-08T23:11:60Z',
      '2023-09-08T23:11:00+24:00',
      '2023-09-08T23:11:00Z ',
      '٢٠٢٣-09-08T23:11:00Z',
    ]) {
      expect(isDateTime(s), s).toBe(false);
    }
  });

  it('agrees with a reference expression on generated and arbitrary strings', () => {
    const nearMiss = dateTimeArb.chain((s) =>
      fc
        .tuple(fc.nat(s.length), fc.constantFrom('', '9', ':', 'T', '+', '.', ' '))
        .map(([i, c]) => s.slice(0, i) + c + s.slice(i + 1)),
    );
    fc.assert(
      fc.property(fc.oneof(dateTimeArb, nearMiss, fc.string()), (s) => {
        expect(isDateTime(s)).toBe(reference(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the instant, offset included', () => {
    expect(epochMs('2023-09-08T23:11:00+01:00')).toBe(Date.parse('2023-09-08T22:11:00Z'));
    expect(epochMs('2023-09-08T22:11:00.250Z')).toBe(Date.parse('2023-09-08T22:11:00.250Z'));
    expect(epochMs('2023-09-08T17:41:00-04:30')).toBe(Date.parse('2023-09-08T22:11:00Z'));
    expect(epochMs('not a date')).toBeNaN();
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (d) => {
        expect(epochMs(d.toISOString())).toBe(d.getTime());
      }),
    );
  });
});

describe('date', () => {
  it('accepts real calendar days only', () => {
    expect(isDate('2024-02-29')).toBe(true);
    expect(isDate('2000-02-29')).toBe(true);
    for (const s of ['1900-02-29', '2023-02-29', '2024-04-31', '2024-4-01', '2024-04-01T00:00:00Z', '20240401']) {
      expect(isDate(s), s).toBe(false);
    }
  });
});

describe('hand-written patterns', () => {
  const patterns = [
    '^[A-Za-z0-9\\-.]{1,64}$',
    '^sha256:[0-9a-f]{64}$',
    '^Location/[A-Za-z0-9\\-.]{1,64}$',
    '^(Location|Organization)/[A-Za-z0-9\\-.]{1,64}$',
  ];

  it.each(patterns)('%s checks exactly what the expression matches', (pattern) => {
    const check = fastPattern(pattern);
    if (!check) throw new Error(`no fast check for ${pattern}`);
    const regex = new RegExp(pattern);
    const matching = fc.stringMatching(regex);
    const nearMiss = matching.chain((s) =>
      fc
        .tuple(fc.nat(s.length), fc.constantFrom('', '/', ' ', 'é', 'A', '-', 'x'.repeat(60), '\n'))
        .map(([i, c]) => s.slice(0, i) + c + s.slice(i + 1)),
    );
    fc.assert(
      fc.property(fc.oneof(matching, nearMiss, fc.string()), (s) => {
        expect(check(s)).toBe(regex.test(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves other patterns to regular expressions', () => {
    expect(fastPattern('^[0-9]{5}$')).toBeUndefined();
  });
});
