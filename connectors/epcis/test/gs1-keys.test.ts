import { describe, expect, it } from 'vitest';
import { isValidGln, isValidGtin, isValidSscc } from '../../../core/index.js';
import { parseGs1Uri } from '../src/gs1-keys.js';

describe('GS1 keys in EPC URNs (check digit computed)', () => {
  it('reads an SGTIN as GTIN-14 + serial, the indicator digit first', () => {
    expect(parseGs1Uri('urn:epc:id:sgtin:0614141.107346.2017')).toEqual({
      ok: true,
      key: { kind: 'sgtin', gtin: '10614141073464', serial: '2017' },
    });
    // The hub's own catalogue: 6118002 is the company prefix, 1 the indicator.
    const r = parseGs1Uri('urn:epc:id:sgtin:6118002.100069.TNT-000451');
    expect(r).toEqual({ ok: true, key: { kind: 'sgtin', gtin: '16118002000698', serial: 'TNT-000451' } });
    expect(r.ok && r.key.kind === 'sgtin' && isValidGtin(r.key.gtin)).toBe(true);
  });

  it('undoes URN escaping in serials and lots', () => {
    expect(parseGs1Uri('urn:epc:id:sgtin:0614141.107346.A%2FB')).toMatchObject({ key: { serial: 'A/B' } });
    expect(parseGs1Uri('urn:epc:class:lgtin:4012345.012345.998877')).toEqual({
      ok: true,
      key: { kind: 'lgtin', gtin: '04012345123456', lot: '998877' },
    });
  });

  it('reads a GTIN class pattern, an SSCC, an SGLN with and without extension, a PGLN', () => {
    expect(parseGs1Uri('urn:epc:idpat:sgtin:4012345.098765.*')).toEqual({
      ok: true,
      key: { kind: 'gtin', gtin: '04012345987652' },
    });
    const sscc = parseGs1Uri('urn:epc:id:sscc:0614141.1234567890');
    expect(sscc).toEqual({ ok: true, key: { kind: 'sscc', sscc: '106141412345678908' } });
    expect(sscc.ok && sscc.key.kind === 'sscc' && isValidSscc(sscc.key.sscc)).toBe(true);
    expect(parseGs1Uri('urn:epc:id:sgln:6118000.09001.0')).toEqual({
      ok: true,
      key: { kind: 'sgln', gln: '6118000090014' },
    });
    expect(parseGs1Uri('urn:epc:id:sgln:0614141.07346.1234')).toEqual({
      ok: true,
      key: { kind: 'sgln', gln: '0614141073467', extension: '1234' },
    });
    expect(isValidGln('0614141073467')).toBe(true);
    expect(parseGs1Uri('urn:epc:id:pgln:6118000.00900')).toEqual({
      ok: true,
      key: { kind: 'pgln', gln: '6118000009009' },
    });
  });

  it('knows other EPC schemes as names of no product', () => {
    expect(parseGs1Uri('urn:epc:id:giai:6118000.GEN-0042')).toEqual({
      ok: true,
      key: { kind: 'other', scheme: 'GIAI URN' },
    });
  });

  it('refuses malformed URNs with a reason', () => {
    expect(parseGs1Uri('urn:epc:id:sgtin:0614141.10734.2017')).toMatchObject({ ok: false, scheme: 'SGTIN URN' });
    expect(parseGs1Uri('urn:epc:id:sscc:0614141.123')).toMatchObject({ ok: false, scheme: 'SSCC URN' });
    expect(parseGs1Uri('urn:epc:idpat:sgtin:4012345.*.*')).toMatchObject({ ok: false });
    expect(parseGs1Uri('urn:epc:id:sgtin:0614141.107346.%E0%A4%A')).toMatchObject({ ok: false });
    expect(parseGs1Uri('product-42')).toMatchObject({ ok: false, scheme: 'GS1 identifier' });
  });
});

describe('GS1 Digital Link URIs (check digit verified)', () => {
  it('reads GTIN + lot, GTIN + serial and GTIN alone, padding to GTIN-14', () => {
    expect(parseGs1Uri('https://id.gs1.org/01/09521568251204/10/LOT1')).toEqual({
      ok: true,
      key: { kind: 'lgtin', gtin: '09521568251204', lot: 'LOT1' },
    });
    expect(parseGs1Uri('https://id.gs1.org/01/70614141123451/21/2017')).toEqual({
      ok: true,
      key: { kind: 'sgtin', gtin: '70614141123451', serial: '2017' },
    });
    expect(parseGs1Uri('https://example.ma/produits/01/9521568251204')).toEqual({
      ok: true,
      key: { kind: 'gtin', gtin: '09521568251204' },
    });
  });

  it('reads SSCC, GLN with extension and PGLN', () => {
    expect(parseGs1Uri('https://id.gs1.org/00/106141412345678908')).toEqual({
      ok: true,
      key: { kind: 'sscc', sscc: '106141412345678908' },
    });
    expect(parseGs1Uri('https://id.gs1.org/414/6118000090014/254/quai-3')).toEqual({
      ok: true,
      key: { kind: 'sgln', gln: '6118000090014', extension: 'quai-3' },
    });
    expect(parseGs1Uri('https://id.gs1.org/417/6118000009009')).toEqual({
      ok: true,
      key: { kind: 'pgln', gln: '6118000009009' },
    });
  });

  it('refuses a wrong check digit, saying which digit was expected', () => {
    expect(parseGs1Uri('https://id.gs1.org/01/16118002000598/10/L1')).toEqual({
      ok: false,
      scheme: 'GTIN',
      reason: 'GTIN 16118002000598 has a wrong check digit (expected 9)',
    });
    expect(parseGs1Uri('https://id.gs1.org/414/6118000090015')).toMatchObject({ ok: false, scheme: 'GLN' });
    expect(parseGs1Uri('https://id.gs1.org/00/106141412345678909')).toMatchObject({ ok: false, scheme: 'SSCC' });
    expect(parseGs1Uri('https://partner.example.ma/articles/JER-20L')).toMatchObject({ ok: false });
  });
});
