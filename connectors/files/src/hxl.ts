/**
 * HXL, the Humanitarian Exchange Language (hxlstandard.org, 1.1): a row of hashtags under or
 * instead of the header row tags each column, e.g. `#item+name+i_fr`, `#adm1+code`, `#value`.
 * A hashtag is `#tag` followed by `+attribute`s; both are case-insensitive, letters, digits and
 * `_`, and spaces may stand between the parts (`#item +name`).
 *
 * A pattern in a column mapping reads the same way, with `-attribute` for an attribute the
 * column must not have: `#item+name+i_fr` matches `#item+name+i_fr+label`; `#date-expiry`
 * matches `#date` and `#date+reported` but not `#date+expiry`.
 */

export interface HxlTag {
  /** The tag, lower case, without `#`. */
  readonly tag: string;
  readonly attributes: ReadonlySet<string>;
  /** Canonical text: `#tag+a+b`, attributes in their order in the cell. */
  readonly text: string;
}

export interface HxlPattern {
  readonly tag: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

const HASHTAG = /^#\s*([a-z][a-z0-9_]*)((?:\s*\+\s*[a-z][a-z0-9_]*)*)\s*$/i;
const PATTERN = /^#\s*([a-z][a-z0-9_]*)((?:\s*[+-]\s*[a-z][a-z0-9_]*)*)\s*$/i;

/** The hashtag of a cell, or `undefined` when the cell is not one. */
export function parseHxlTag(cell: string): HxlTag | undefined {
  const m = HASHTAG.exec(cell.trim());
  if (!m) return undefined;
  const tag = (m[1] as string).toLowerCase();
  const attributes = (m[2] ?? '')
    .split('+')
    .map((a) => a.trim().toLowerCase())
    .filter((a) => a !== '');
  return { tag, attributes: new Set(attributes), text: `#${tag}${attributes.map((a) => `+${a}`).join('')}` };
}

/** A mapping pattern (`#item+name-i_ar`), or `undefined` when `s` is not one. */
export function parseHxlPattern(s: string): HxlPattern | undefined {
  const m = PATTERN.exec(s.trim());
  if (!m) return undefined;
  const include: string[] = [];
  const exclude: string[] = [];
  for (const part of (m[2] ?? '').matchAll(/([+-])\s*([a-z][a-z0-9_]*)/gi)) {
    (part[1] === '+' ? include : exclude).push((part[2] as string).toLowerCase());
  }
  return { tag: (m[1] as string).toLowerCase(), include, exclude };
}

export function matchesHxl(pattern: HxlPattern, tag: HxlTag): boolean {
  if (pattern.tag !== tag.tag) return false;
  for (const a of pattern.include) if (!tag.attributes.has(a)) return false;
  for (const a of pattern.exclude) if (tag.attributes.has(a)) return false;
  return true;
}

/**
 * A hashtag row: at least one non-empty cell, and every non-empty cell a hashtag (HXL lets
 * some columns go untagged).
 */
export function isHashtagRow(cells: readonly string[]): boolean {
  let tagged = 0;
  for (const c of cells) {
    const t = c.trim();
    if (t === '') continue;
    if (!parseHxlTag(t)) return false;
    tagged++;
  }
  return tagged > 0;
}
