import { type ErrorCode, formatMessage } from '../errors/catalogue.js';

/** One problem found in a record: where (RFC 6901 JSON pointer), what (a catalogue code), and a readable message. */
export interface ValidationIssue {
  readonly pointer: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * A validation outcome, as a value: the record (typed) when it is valid, or every problem found.
 * Validation never throws for bad data.
 */
export type ValidationResult<T = unknown> =
  | { readonly valid: true; readonly value: T }
  | { readonly valid: false; readonly errors: readonly ValidationIssue[] };

export function issue(
  code: ErrorCode,
  pointer: string,
  params: Readonly<Record<string, string | number | boolean | null | undefined>> = {},
): ValidationIssue {
  return { pointer, code, message: formatMessage(code, { pointer: pointer === '' ? '(root)' : pointer, ...params }) };
}

/** Escapes one reference token of a JSON pointer (RFC 6901 §3). */
export function escapePointerToken(token: string | number): string {
  const s = String(token);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/** The value a JSON pointer designates in `data`, or `undefined`. */
export function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
