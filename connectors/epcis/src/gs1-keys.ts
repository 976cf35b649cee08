/**
 * GS1 keys inside the identifiers EPCIS events carry, in both syntaxes EPCIS 2.0 allows:
 *
 * - EPC URNs (GS1 EPC Tag Data Standard): `urn:epc:id:sgtin:0614141.107346.2017`,
 *   `urn:epc:class:lgtin:4012345.012345.998877`, `urn:epc:idpat:sgtin:4012345.098765.*`,
 *   `urn:epc:id:sscc:0614141.1234567890`, `urn:epc:id:sgln:0614141.07346.1234`,
 *   `urn:epc:id:pgln:0614141.00777`. A URN has no check digit: it is computed here.
 * - GS1 Digital Link URIs, on any host: `https://id.gs1.org/01/09521568251204/10/LOT1`,
 *   `…/01/<gtin>/21/<serial>`, `…/00/<sscc>`, `…/414/<gln>/254/<extension>`, `…/417/<pgln>`.
 *   A Digital Link carries its check digit: it is verified with core's GS1 helpers.
 *
 * GTINs come out in their 14-digit form. A result is a value, never a throw.
 */
import {
  explainGs1,
  gs1CheckDigit,
  isValidGln,
  isValidGtin,
  isValidSscc,
  normaliseGtin14,
} from '../../../core/index.js';

export type Gs1Key =
  | { readonly kind: 'sgtin'; readonly gtin: string; readonly serial: string }
  | { readonly kind: 'lgtin'; readonly gtin: string; readonly lot: string }
  /** A product class without lot: `urn:epc:idpat:sgtin:…*` or a Digital Link `/01/<gtin>` alone. */
  | { readonly kind: 'gtin'; readonly gtin: string }
  | { readonly kind: 'sscc'; readonly sscc: string }
  | { readonly kind: 'sgln'; readonly gln: string; readonly extension?: string }
  | { readonly kind: 'pgln'; readonly gln: string }
  /** A well-formed EPC of a scheme that names neither a product nor a place (GIAI, GRAI, GSRN…). */
  | { readonly kind: 'other'; readonly scheme: string };

export type KeyResult =
  | { readonly ok: true; readonly key: Gs1Key }
  | { readonly ok: false; readonly scheme: string; readonly reason: string };

const DIGITS = /^[0-9]+$/;

function fail(scheme: string, reason: string): KeyResult {
  return { ok: false, scheme, reason };
}

/** Undoes the URN escaping of a serial or lot (`%2F` → `/`); `undefined` for a bad escape. */
function unescapeUrn(s: string): string | undefined {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** `CP.IR` of an SGTIN/LGTIN URN → GTIN-14 (indicator digit first, check digit computed). */
function gtinOf(cp: string, ir: string): string | undefined {
  if (!DIGITS.test(cp) || !DIGITS.test(ir) || cp.length + ir.length !== 13 || ir.length < 1) return undefined;
  const body = ir.charAt(0) + cp + ir.slice(1);
  return body + String(gs1CheckDigit(body));
}

function parseUrn(uri: string): KeyResult {
  const m = /^urn:epc:(id|class|idpat):([a-z0-9-]+):(.*)$/i.exec(uri);
  if (!m) return fail('EPC URN', 'not an EPC URN of the form urn:epc:id|class|idpat:<scheme>:<parts>');
  const ns = (m[1] as string).toLowerCase();
  const scheme = (m[2] as string).toLowerCase();
  const parts = (m[3] as string).split('.');
  const label = `${scheme.toUpperCase()} URN`;
  switch (`${ns}:${scheme}`) {
    case 'id:sgtin': {
      const [cp = '', ir = '', ...rest] = parts;
      const gtin = gtinOf(cp, ir);
      const serial = unescapeUrn(rest.join('.'));
      if (!gtin) return fail(label, 'the company prefix and item reference must be 13 digits in all');
      if (!serial) return fail(label, 'the serial number is missing or badly escaped');
      return { ok: true, key: { kind: 'sgtin', gtin, serial } };
    }
    case 'class:lgtin': {
      const [cp = '', ir = '', ...rest] = parts;
      const gtin = gtinOf(cp, ir);
      const lot = unescapeUrn(rest.join('.'));
      if (!gtin) return fail(label, 'the company prefix and item reference must be 13 digits in all');
      if (!lot) return fail(label, 'the lot number is missing or badly escaped');
      return { ok: true, key: { kind: 'lgtin', gtin, lot } };
    }
    case 'idpat:sgtin': {
      const [cp = '', ir = '', serial = ''] = parts;
      const gtin = gtinOf(cp, ir);
      if (!gtin || serial !== '*' || parts.length !== 3) {
        return fail(label, 'only the class pattern <company prefix>.<item reference>.* names a product');
      }
      return { ok: true, key: { kind: 'gtin', gtin } };
    }
    case 'id:sscc': {
      const [cp = '', sr = ''] = parts;
      if (parts.length !== 2 || !DIGITS.test(cp) || !DIGITS.test(sr) || cp.length + sr.length !== 17) {
        return fail(label, 'the company prefix and serial reference must be 17 digits in all');
      }
      const body = sr.charAt(0) + cp + sr.slice(1);
      return { ok: true, key: { kind: 'sscc', sscc: body + String(gs1CheckDigit(body)) } };
    }
    case 'id:sgln': {
      const [cp = '', lr = '', ...rest] = parts;
      if (!DIGITS.test(cp) || !(lr === '' || DIGITS.test(lr)) || cp.length + lr.length !== 12) {
        return fail(label, 'the company prefix and location reference must be 12 digits in all');
      }
      const body = cp + lr;
      const ext = unescapeUrn(rest.join('.'));
      const gln = body + String(gs1CheckDigit(body));
      // Extension "0" means the location itself (TDS §6.3.3).
      return { ok: true, key: ext && ext !== '0' ? { kind: 'sgln', gln, extension: ext } : { kind: 'sgln', gln } };
    }
    case 'id:pgln': {
      const [cp = '', pr = ''] = parts;
      if (parts.length !== 2 || !DIGITS.test(cp) || !(pr === '' || DIGITS.test(pr)) || cp.length + pr.length !== 12) {
        return fail(label, 'the company prefix and party reference must be 12 digits in all');
      }
      const body = cp + pr;
      return { ok: true, key: { kind: 'pgln', gln: body + String(gs1CheckDigit(body)) } };
    }
    default:
      if (ns === 'id' && /^[a-z0-9-]+$/.test(scheme)) return { ok: true, key: { kind: 'other', scheme: label } };
      return fail(label, `the scheme ${ns}:${scheme} names no product, logistic unit or location`);
  }
}

/** A checked key of a Digital Link: `undefined` when valid, else the reason. */
function checkKey(scheme: 'GTIN' | 'GLN' | 'SSCC', value: string): string | undefined {
  const ok = scheme === 'GTIN' ? isValidGtin(value) : scheme === 'GLN' ? isValidGln(value) : isValidSscc(value);
  if (ok) return undefined;
  const why = explainGs1(scheme, value);
  if (why?.problem === 'check-digit') return `${scheme} ${value} has a wrong check digit (expected ${why.expected})`;
  return `${value} is not a ${scheme} (${scheme === 'GTIN' ? '8, 12, 13 or 14' : scheme === 'GLN' ? '13' : '18'} digits)`;
}

/** Primary-key application identifiers of GS1 Digital Link, and what they name. */
const DL_PRIMARY: Readonly<Record<string, string>> = {
  '01': 'GTIN',
  '00': 'SSCC',
  '414': 'GLN',
  '417': 'PGLN',
  '8003': 'GRAI',
  '8004': 'GIAI',
  '8018': 'GSRN',
  '253': 'GDTI',
  '255': 'GCN',
  '401': 'GINC',
  '402': 'GSIN',
  '8006': 'ITIP',
  '8010': 'CPID',
  '8017': 'GSRNP',
};

function parseDigitalLink(uri: string): KeyResult {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail('GS1 Digital Link', 'not a URI');
  }
  const segs = url.pathname.split('/').filter((s) => s !== '');
  // The primary key may follow a custom path prefix (https://example.com/products/01/…).
  const i = segs.findIndex((s, k) => DL_PRIMARY[s] !== undefined && k + 1 < segs.length);
  if (i < 0) return fail('GS1 Digital Link', 'no GS1 primary key (01, 00, 414, 417…) in its path');
  const ai = segs[i] as string;
  const pairs = new Map<string, string>();
  for (let k = i; k + 1 < segs.length; k += 2) {
    let v: string;
    try {
      v = decodeURIComponent(segs[k + 1] as string);
    } catch {
      return fail('GS1 Digital Link', `the value of AI ${segs[k]} is badly escaped`);
    }
    pairs.set(segs[k] as string, v);
  }
  const value = pairs.get(ai) as string;
  switch (ai) {
    case '01': {
      const bad = checkKey('GTIN', value);
      if (bad) return fail('GTIN', bad);
      const gtin = normaliseGtin14(value) as string;
      const serial = pairs.get('21');
      const lot = pairs.get('10');
      if (serial !== undefined) return { ok: true, key: { kind: 'sgtin', gtin, serial } };
      if (lot !== undefined) return { ok: true, key: { kind: 'lgtin', gtin, lot } };
      return { ok: true, key: { kind: 'gtin', gtin } };
    }
    case '00': {
      const bad = checkKey('SSCC', value);
      return bad ? fail('SSCC', bad) : { ok: true, key: { kind: 'sscc', sscc: value } };
    }
    case '414': {
      const bad = checkKey('GLN', value);
      if (bad) return fail('GLN', bad);
      const ext = pairs.get('254');
      return {
        ok: true,
        key: ext && ext !== '0' ? { kind: 'sgln', gln: value, extension: ext } : { kind: 'sgln', gln: value },
      };
    }
    case '417': {
      const bad = checkKey('GLN', value);
      return bad ? fail('PGLN', bad) : { ok: true, key: { kind: 'pgln', gln: value } };
    }
    default:
      return { ok: true, key: { kind: 'other', scheme: DL_PRIMARY[ai] as string } };
  }
}

/** The GS1 key of an EPC URN or GS1 Digital Link URI. */
export function parseGs1Uri(uri: string): KeyResult {
  if (/^urn:epc:/i.test(uri)) return parseUrn(uri);
  if (/^https?:\/\//i.test(uri)) return parseDigitalLink(uri);
  return fail('GS1 identifier', 'neither an EPC URN (urn:epc:…) nor a GS1 Digital Link URI (https://…/01/…)');
}
