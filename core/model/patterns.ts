/**
 * Hand-written equivalents of the hottest `pattern`s of the schemas (ids, references, source
 * hashes). A regular expression test costs more than the rest of a field's validation; these
 * checks are exact equivalents (a property test compares them with the expressions on random
 * strings). The published schemas keep their `pattern`s; only the copy compiled into
 * `validators.gen.js` uses these, as `format: "pattern:<the expression>"`.
 */

const ID_CLASS = '[A-Za-z0-9\\-.]';
const ID_PATTERN = `^${ID_CLASS}{1,64}$`;
const SHA256_PATTERN = '^sha256:[0-9a-f]{64}$';
const REFERENCE_PATTERN =
  /^\^(?:\(((?:[A-Z][A-Za-z]*\|)*[A-Z][A-Za-z]*)\)|([A-Z][A-Za-z]*))\/\[A-Za-z0-9\\-\.\]\{1,64\}\$$/;

const ID_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ID_CHAR[c] = /[A-Za-z0-9\-.]/.test(ch) ? 1 : 0;
}
const HEX_LOWER = new Uint8Array(128);
for (const ch of '0123456789abcdef') HEX_LOWER[ch.charCodeAt(0)] = 1;

/** True when `s` from `start` to its end is 1 to 64 id characters. */
function idFrom(s: string, start: number): boolean {
  const n = s.length - start;
  if (n < 1 || n > 64) return false;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || ID_CHAR[c] === 0) return false;
  }
  return true;
}

/** `^[A-Za-z0-9\-.]{1,64}$` */
export function isId(s: string): boolean {
  return idFrom(s, 0);
}

/** `^sha256:[0-9a-f]{64}$` */
export function isSha256Digest(s: string): boolean {
  if (s.length !== 71 || !s.startsWith('sha256:')) return false;
  for (let i = 7; i < 71; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || HEX_LOWER[c] === 0) return false;
  }
  return true;
}

/** A check for `^(<T1>|<T2>…)/[A-Za-z0-9\-.]{1,64}$`: `<type>/<id>` with one of `types`. */
function referenceTo(types: readonly string[]): (s: string) => boolean {
  if (types.length === 1) {
    const prefix = `${types[0]}/`;
    return (s) => s.startsWith(prefix) && idFrom(s, prefix.length);
  }
  const prefixes = types.map((t) => `${t}/`);
  return (s) => {
    for (const prefix of prefixes) if (s.startsWith(prefix)) return idFrom(s, prefix.length);
    return false;
  };
}

/**
 * The hand-written check equivalent to `pattern`, or `undefined` when there is none (the
 * pattern then stays a regular expression).
 */
export function fastPattern(pattern: string): ((s: string) => boolean) | undefined {
  if (pattern === ID_PATTERN) return isId;
  if (pattern === SHA256_PATTERN) return isSha256Digest;
  const ref = REFERENCE_PATTERN.exec(pattern);
  if (ref) return referenceTo((ref[1] ?? ref[2] ?? '').split('|'));
  return undefined;
}

/** The format name under which the compiled validators check `pattern` by hand. */
export const PATTERN_FORMAT_PREFIX = 'pattern:';
