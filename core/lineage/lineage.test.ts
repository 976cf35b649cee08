import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validate } from '../model/validate.js';
import { canonicalJson, lineageOf, sourceHash, withLineage } from './lineage.js';

describe('canonical JSON (RFC 8785)', () => {
  it('serialises as the RFC does', () => {
    // RFC 8785 §3.2.3 sorts by UTF-16 code units; §3.2.2.3 formats numbers as ECMAScript does.
    expect(canonicalJson({ b: 2, a: [1.0, 'é', true, null], '€': 1, '\r': 0, '1': 'x' })).toBe(
      '{"\\r":0,"1":"x","a":[1,"é",true,null],"b":2,"€":1}',
    );
    // RFC 8785 §3.2.2.3 examples (333333333.33333329 in the RFC is this same double).
    expect(canonicalJson({ n: [1e21, 1e-7, -0, 0.000001, 333333333.3333333] })).toBe(
      '{"n":[1e+21,1e-7,0,0.000001,333333333.3333333]}',
    );
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(sourceHash(reversed)).toBe(sourceHash(object));
      }),
    );
  });
});

describe('source hash', () => {
  it('is sha256:<hex> of the canonical JSON, stable across runs and machines', () => {
    // Fixed vector: any change of algorithm or serialisation breaks the traces already stored.
    expect(sourceHash({ id: 412, qte: -2400, article: 'EAU-1.5L', lot: 'L230815' })).toBe(
      // printf '%s' '{"article":"EAU-1.5L","id":412,"lot":"L230815","qte":-2400}' | sha256sum
      'sha256:4f675ecc6c702263284f8a7dcd3d5b9e5e6e54504922cde5d15b5263e9933dc7',
    );
    expect(sourceHash('raw;csv;line')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('puts lineage on a record without touching the original', () => {
    const movement = {
      resourceType: 'StockMovement' as const,
      id: 'mv-1',
      meta: { versionId: '2' },
      movementType: 'receipt' as const,
      occurredAt: '2024-09-14T10:05:00+01:00',
      location: { reference: 'Location/souss-massa-wh1' },
      product: { reference: 'Product/eau-minerale-1-5l' },
      quantity: { value: 12, unit: 'XBO' },
    };
    const lineage = lineageOf({
      connector: 'postgres-ledger',
      sourceSystem: 'ledger.central',
      sourceId: 'mouvements:77',
      payload: { id: 77 },
      ingestedAt: '2024-09-14T10:06:00+01:00',
    });
    const traced = withLineage(movement, lineage);
    expect(traced.meta).toEqual({ versionId: '2', lineage });
    expect(movement.meta).toEqual({ versionId: '2' });
    expect(validate('StockMovement', traced).valid).toBe(true);
    expect(lineageOf({ connector: 'c', sourceSystem: 's', sourceId: '1', payload: 1 }).ingestedAt).toMatch(/Z$/);
  });
});

describe('canonical JSON, against the reference implementation', () => {
  it('gives the text of the canonicalize package for any JSON value', async () => {
    const reference = (await import('canonicalize')).default as unknown as (input: unknown) => string;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
    // Escapes, lone surrogates, skipped members, toJSON, and keys out of UTF-16 order.
    const tricky = {
      é: '\u0001"\\\u2028',
      '\ud800': 'x\udc00y',
      a: [undefined, 1e21, -0, 5e-7, Number.MIN_VALUE],
      b: undefined,
      d: new Date(0),
      '\u{1F600}': '\u{1F600}',
      '\uFB01': 1,
    };
    expect(canonicalJson(tricky)).toBe(reference(tricky));
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(TypeError);
  });
});
