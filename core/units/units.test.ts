import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHubError } from '../errors/hub-error.js';
import { areCompatible, convert, isKnownUnit, knownUnits, tryConvert, unitInfo } from './units.js';

describe('units', () => {
  it('knows Rec 20 and UCUM codes, case-sensitively', () => {
    for (const code of ['KGM', 'LTR', 'EA', 'H87', 'XBX', 'kg', 'L', 'mL', '{each}', 'Cel'])
      expect(isKnownUnit(code)).toBe(true);
    for (const code of ['kgm', 'PCS', 'BOUTEILLE', 'l', '', 'KG', 42]) expect(isKnownUnit(code)).toBe(false);
    expect(unitInfo('LTR')).toMatchObject({ system: 'unece-rec20', dimension: 'volume' });
    expect(unitInfo('L')).toMatchObject({ system: 'ucum', dimension: 'volume' });
  });

  it('converts exactly between units of one dimension', () => {
    expect(convert(1500, 'GRM', 'KGM')).toBe(1.5);
    expect(convert(1.5, 'kg', 'GRM')).toBe(1500);
    expect(convert(2, 'TNE', 'kg')).toBe(2000);
    expect(convert(1, 'LBR', 'GRM')).toBe(453.59237);
    expect(convert(250, 'MLT', 'LTR')).toBe(0.25);
    expect(convert(1, 'MTQ', 'L')).toBe(1000);
    expect(convert(3, 'DZN', 'EA')).toBe(36);
    expect(convert(5, 'PR', '{each}')).toBe(10);
    expect(convert(2, 'HUR', 'MIN')).toBe(120);
    expect(convert(1, 'KWH', 'J')).toBe(3_600_000);
    expect(convert(1, 'HAR', 'MTK')).toBe(10_000);
    expect(convert(20, 'CEL', 'KEL')).toBe(293.15);
    expect(convert(98.6, 'FAH', 'Cel')).toBe(37);
    expect(convert(-40, '[degF]', 'CEL')).toBe(-40);
    expect(convert(7, 'XBX', 'XBX')).toBe(7);
  });

  it('refuses conversions across dimensions, packages included, and unknown units', () => {
    const across = tryConvert(1, 'KGM', 'LTR');
    expect(across.ok).toBe(false);
    expect(!across.ok && across.code).toBe('HUB_ERR_MODEL_UNIT_INCOMPATIBLE');
    expect(!across.ok && across.error.message).toBe('Cannot convert KGM (mass) to LTR (volume)');
    // A box has no fixed size: turning boxes into pieces needs the product's pack size.
    expect(areCompatible('XBX', 'EA')).toBe(false);
    expect(areCompatible('XBX', '{box}')).toBe(true);
    const unknown = tryConvert(1, 'PCS', 'EA');
    expect(!unknown.ok && unknown.code).toBe('HUB_ERR_MODEL_UNIT_UNKNOWN');
    try {
      convert(1, 'EA', 'KGM');
      expect.unreachable();
    } catch (error) {
      expect(isHubError(error) && error.code).toBe('HUB_ERR_MODEL_UNIT_INCOMPATIBLE');
    }
  });

  it('round-trips any value through any compatible pair of units', () => {
    const units = knownUnits();
    fc.assert(
      fc.property(
        fc.constantFrom(...units),
        fc.nat(),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (from, seed, value) => {
          const peers = units.filter((u) => u.dimension === from.dimension);
          const to = peers[seed % peers.length];
          if (to === undefined) return;
          const there = convert(value, from.code, to.code);
          const back = convert(there, to.code, from.code);
          expect(back).toBeCloseTo(value, 6);
        },
      ),
    );
  });
});
