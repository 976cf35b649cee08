import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Lineage } from '../ports/resource.js';

/**
 * The RFC 8785 (JSON Canonicalization Scheme) serialisation of `payload`: object members
 * sorted by UTF-16 code units, no whitespace, ECMAScript number formatting. The same value
 * gives the same text on every run and machine, whatever the key order it arrived with.
 * Throws a `TypeError` for what JSON cannot hold (undefined, NaN, Infinity, functions).
 */
export function canonicalJson(payload: unknown): string {
  let text: string | undefined;
  try {
    text = (canonicalize as unknown as (input: unknown) => string | undefined)(payload);
  } catch (cause) {
    throw new TypeError(`payload cannot be canonicalised: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined) throw new TypeError('payload cannot be canonicalised: it has no JSON form');
  return text;
}

/**
 * `sha256:<hex>` over the canonical JSON of the source payload, as the source gave it (a
 * parsed row, a document, or a raw line as a string). Stable across runs, machines and key
 * orders, so a record can be traced back to, and matched with, the exact source row.
 */
export function sourceHash(payload: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(payload), 'utf8').digest('hex')}`;
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
