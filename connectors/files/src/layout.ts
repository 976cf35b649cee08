/**
 * Where the table starts in a partner file and which column holds which field. Partner files
 * often open with title lines (`Rapport de stock – Croissant-Rouge Souss-Massa`), then a header
 * row, and HXL files carry a hashtag row under the header or instead of it.
 *
 * - The hashtag row is the first row whose non-empty cells are all HXL hashtags; the row just
 *   above it, when it has text, is the header. Data follows the hashtag row.
 * - Without one, the header is the first row that names a column for every required field
 *   (or `header_row` when the config sets it).
 * - A field's column: the first of its candidates (the config's `mapping`, else the defaults
 *   of `fields.ts`) that matches a column; HXL patterns match hashtags, other candidates match
 *   headers (case, accents and punctuation ignored).
 */
import type { FieldDef } from './fields.js';
import { type HxlTag, isHashtagRow, matchesHxl, parseHxlPattern, parseHxlTag } from './hxl.js';
import { cellText, normalizeKey } from './values.js';

/** Rows searched for the header. */
export const HEADER_SEARCH_ROWS = 25;

export interface HeadRow {
  /** 1-based row number in the file (a sheet's row number for XLSX). */
  readonly row: number;
  readonly cells: readonly unknown[];
}

export interface Column {
  readonly index: number;
  /** Header text, trimmed ('' when none). */
  readonly header: string;
  readonly hxl?: HxlTag;
  /** The column's key in payloads: its header, else its hashtag, else its letter; unique. */
  readonly key: string;
}

export interface Layout {
  /** Row of the header text, 0 when the file has none (an HXL row alone). */
  readonly headerRow: number;
  /** Row of the HXL hashtags, 0 when none. */
  readonly hashtagRow: number;
  /** Data rows are those after this one. */
  readonly dataAfter: number;
  readonly columns: readonly Column[];
  /** Field name → its column. */
  readonly fields: ReadonlyMap<string, Column>;
  /** Fields the config maps explicitly that no column matched. */
  readonly unmatched: readonly string[];
}

export interface LayoutProblem {
  /** Required fields without a column or a default. */
  readonly missing: readonly string[];
  /** The row that came closest, and its headers, to say what was found. */
  readonly bestRow?: number;
  readonly bestHeaders?: readonly string[];
}

export interface LayoutOptions {
  readonly fields: readonly FieldDef[];
  /** The config's `mapping`: field → header or HXL pattern(s). */
  readonly mapping: Readonly<Record<string, string | readonly string[]>>;
  /** Fields with a default value: a missing column is no problem. */
  readonly defaulted: ReadonlySet<string>;
  /** 1-based row of the header, when the config fixes it. */
  readonly headerRow?: number;
}

/** `A`, `B`, … `Z`, `AA`: a column's letter, as spreadsheets name it. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function texts(row: HeadRow | undefined): string[] {
  return row ? row.cells.map((c) => cellText(c).trim()) : [];
}

function buildColumns(header: readonly string[], tags: readonly string[]): Column[] {
  const width = Math.max(header.length, tags.length);
  const used = new Map<string, number>();
  const out: Column[] = [];
  for (let i = 0; i < width; i++) {
    const h = header[i] ?? '';
    const hxl = tags[i] ? parseHxlTag(tags[i] as string) : undefined;
    let key = h !== '' ? h : (hxl?.text ?? columnLetter(i));
    const n = (used.get(key) ?? 0) + 1;
    used.set(key, n);
    if (n > 1) key = `${key} (${n})`;
    out.push({ index: i, header: h, ...(hxl ? { hxl } : {}), key });
  }
  return out;
}

function candidatesOf(def: FieldDef, mapping: LayoutOptions['mapping']): readonly string[] {
  const m = mapping[def.name];
  if (m === undefined) return def.candidates;
  return typeof m === 'string' ? [m] : m;
}

function findColumn(candidates: readonly string[], columns: readonly Column[]): Column | undefined {
  for (const cand of candidates) {
    if (cand.trim().startsWith('#')) {
      const p = parseHxlPattern(cand);
      if (!p) continue;
      const c = columns.find((col) => col.hxl !== undefined && matchesHxl(p, col.hxl));
      if (c) return c;
    } else {
      const k = normalizeKey(cand);
      if (k === '') continue;
      const c = columns.find((col) => col.header !== '' && normalizeKey(col.header) === k);
      if (c) return c;
    }
  }
  return undefined;
}

function resolve(
  columns: readonly Column[],
  options: LayoutOptions,
): { fields: Map<string, Column>; missing: string[]; unmatched: string[] } {
  const fields = new Map<string, Column>();
  const missing: string[] = [];
  const unmatched: string[] = [];
  for (const def of options.fields) {
    const c = findColumn(candidatesOf(def, options.mapping), columns);
    if (c) fields.set(def.name, c);
    else if (def.required && !options.defaulted.has(def.name)) missing.push(def.name);
    else if (options.mapping[def.name] !== undefined && !options.defaulted.has(def.name)) unmatched.push(def.name);
  }
  return { fields, missing, unmatched };
}

/** The layout of a table from its first rows (up to `HEADER_SEARCH_ROWS`). */
export function detectLayout(head: readonly HeadRow[], options: LayoutOptions): Layout | LayoutProblem {
  const rows = head.slice(0, HEADER_SEARCH_ROWS);
  const at = (row: number) => rows.find((r) => r.row === row);
  const nonEmpty = (t: readonly string[]) => t.filter((c) => c !== '').length;

  const layoutAt = (headerRow: number, hashtagRow: number): Layout | LayoutProblem => {
    const header = headerRow > 0 ? texts(at(headerRow)) : [];
    const tags = hashtagRow > 0 ? texts(at(hashtagRow)) : [];
    const columns = buildColumns(header, tags);
    const r = resolve(columns, options);
    if (r.missing.length > 0) {
      return { missing: r.missing, bestRow: hashtagRow || headerRow, bestHeaders: columns.map((c) => c.key) };
    }
    return {
      headerRow,
      hashtagRow,
      dataAfter: Math.max(headerRow, hashtagRow),
      columns,
      fields: r.fields,
      unmatched: r.unmatched,
    };
  };

  if (options.headerRow !== undefined) {
    const h = options.headerRow;
    if (isHashtagRow(texts(at(h)))) return layoutAt(0, h);
    return layoutAt(h, isHashtagRow(texts(at(h + 1))) ? h + 1 : 0);
  }

  const hashtag = rows.find((r) => isHashtagRow(texts(r)));
  if (hashtag) {
    const above = at(hashtag.row - 1);
    const aboveTexts = texts(above);
    const hasHeader = above !== undefined && nonEmpty(aboveTexts) >= 2 && !isHashtagRow(aboveTexts);
    return layoutAt(hasHeader ? hashtag.row - 1 : 0, hashtag.row);
  }

  let best: LayoutProblem | undefined;
  for (const r of rows) {
    if (nonEmpty(texts(r)) === 0) continue;
    const l = layoutAt(r.row, 0);
    if (!('missing' in l)) return l;
    if (best === undefined || l.missing.length < best.missing.length) best = l;
  }
  return (
    best ?? { missing: options.fields.filter((d) => d.required && !options.defaulted.has(d.name)).map((d) => d.name) }
  );
}

export function isLayoutProblem(l: Layout | LayoutProblem): l is LayoutProblem {
  return 'missing' in l;
}
