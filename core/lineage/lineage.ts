import { hash } from 'node:crypto';
import type { Lineage } from '../ports/resource.js';

/**
 * The RFC 8785 (JSON Canonicalization Scheme) serialisation of `payload`: object members
 * sorted by UTF-16 code units, no whitespace, ECMAScript number formatting. The same value
 * gives the same text on every run and machine, whatever the key order it arrived with.
 * Throws a `TypeError` for what JSON cannot hold (undefined, NaN, Infinity, functions).
 *
 * Hand-written rather than the `canonicalize` package (same output, checked by
 * lineage.test.ts), as it runs for every record the hub admits: plain loops, no closures, and
 * no sort when the keys already come in order (`Array.prototype.sort` with no comparator
 * orders strings by UTF-16 code units, as §3.2.3 asks).
 */
export function canonicalJson(payload: unknown): string {
  const text = serialize(payload);
  if (text === undefined) throw new TypeError('payload cannot be canonicalised: it has no JSON form');
  return text;
}

/** `undefined` for what JSON leaves out (undefined, symbols): a member is skipped, an item is null. */
function serialize(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`payload cannot be canonicalised: ${value} is not allowed`);
      }
      // ECMAScript Number::toString, as §3.2.2.3 asks (-0 gives "0").
      return `${value}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : serializeObject(value as object);
    case 'undefined':
    case 'symbol':
      return undefined;
    default:
      // functions; a bigint has no JSON form either.
      throw new TypeError(`payload cannot be canonicalised: a ${typeof value} has no JSON form`);
  }
}

/** Characters a JSON string cannot hold as they are (and lone surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string: as is when nothing needs escaping, else JSON.stringify's escapes (§3.2.2.2). */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function serializeObject(value: object): string | undefined {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialize(toJSON.call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += serialize(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = serialize((value as Record<string, unknown>)[key]);
    if (member === undefined) continue;
    if (first) first = false;
    else out += ',';
    out += `${quote(key)}:${member}`;
  }
  return `${out}}`;
}

// One-shot hashing (Node ≥ 20.12, as package.json requires): no Hash object per record.
const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/**
 * `sha256:<hex>` over the canonical JSON of the source payload, as the source gave it (a
 * parsed row, a document, or a raw line as a string). Stable across runs, machines and key
 * orders, so a record can be traced back to, and matched with, the exact source row.
 */
export function sourceHash(payload: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(payload))}`;
}

/** A resource with `meta.lineage` set (a new object; the input is left untouched). */
export function withLineage<T extends { readonly meta?: object }>(resource: T, lineage: Lineage): T {
  return { ...resource, meta: { ...resource.meta, lineage: { ...lineage } } };
}

/**
 * The lineage of a record read now from `sourceSystem` by `connector`: hashes `payload` and
 * stamps the ingest time (`ingestedAt` may be given, e.g. for reproducible tests).
 */
export function lineageOf(input: {
  readonly connector: string;
  readonly sourceSystem: string;
  readonly sourceId: string;
  readonly payload: unknown;
  readonly ingestedAt?: Date | string;
}): Lineage {
  const at = input.ingestedAt ?? new Date();
  return {
    connector: input.connector,
    sourceSystem: input.sourceSystem,
    sourceId: input.sourceId,
    ingestedAt: typeof at === 'string' ? at : at.toISOString(),
    sourceHash: sourceHash(input.payload),
  };
}
