/**
 * Rows into DuckDB as column parameters: each column of a batch travels as one text bound to
 * one prepared-statement parameter, and the statement unnests them side by side
 * (`SELECT unnest(string_split($1, chr(31))) AS id, unnest(string_split($2, …)) …`).
 *
 * Why: the appender fills a vector one value at a time from JavaScript, one native call per
 * string, all of it on the event loop. Here JavaScript only joins each column into one string;
 * splitting, converting and inserting run inside DuckDB during the asynchronous `run`, off the
 * main thread, where they overlap with whatever the process does next.
 *
 * Values never enter SQL text: they are data bound to parameters, like the appender's
 * vectors. The SQL around them is built from the code's column specs only.
 *
 * Two encodings, chosen per column and batch:
 * - joined (the fast one, ~5× cheaper for DuckDB to take apart than JSON): the values joined
 *   with U+001F, a null written as U+001E alone, numbers in JavaScript's shortest round-trip
 *   form (`NaN` and `±Infinity` included, which DuckDB's DOUBLE cast reads back);
 * - JSON (`from_json($n, '["VARCHAR"]')`): lists, and any text column where a value contains
 *   U+001E or U+001F, so that no value can be mistaken for a separator or a null.
 * A lone UTF-16 surrogate becomes U+FFFD either way, as the appender's UTF-8 conversion makes
 * it (the binding converts the joined text; lone surrogates are replaced before JSON, which
 * DuckDB's reader would refuse).
 */

/** How a column travels and what SQL turns it into. */
export type ColumnKind =
  /** a string (or null) */
  | 'text'
  /** a number (or null) → DOUBLE */
  | 'double'
  /** epoch milliseconds → TIMESTAMP */
  | 'instant'
  /** `YYYY-MM-DD` → DATE */
  | 'day'
  /** a non-negative integer → UBIGINT */
  | 'uint'
  /** an array of strings → VARCHAR[] */
  | 'strings';

export interface ParamColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** A batch's columns as parameters, and the SELECT that turns them back into rows. */
export interface ColumnParams {
  /** `SELECT <columns, converted> FROM (<unnested parameters>)`, parameters `$1…$n`. */
  readonly select: string;
  readonly params: string[];
}

const SEPARATOR = '\u001f';
const NULL_MARK = '\u001e';
const NAME_RE = /^[a-z_][a-z0-9_]*$/;

const NUMERIC: Readonly<Record<ColumnKind, boolean>> = {
  text: false,
  double: true,
  instant: true,
  day: false,
  uint: true,
  strings: false,
};

const JSON_ELEMENT: Readonly<Record<ColumnKind, string>> = {
  text: '["VARCHAR"]',
  double: '["DOUBLE"]',
  instant: '["DOUBLE"]',
  day: '["VARCHAR"]',
  uint: '["DOUBLE"]',
  strings: '[["VARCHAR"]]',
};

/** The table's value of a column read back as VARCHAR (joined text) or as its JSON type. */
function convert(kind: ColumnKind, column: string, joined: boolean): string {
  const value = joined
    ? NUMERIC[kind]
      ? `CAST(nullif(${column}, '') AS DOUBLE)`
      : `nullif(${column}, chr(30))`
    : column;
  switch (kind) {
    case 'instant':
      return `epoch_ms(CAST(${value} AS BIGINT))`;
    case 'day':
      return `CAST(${value} AS DATE)`;
    case 'uint':
      return `CAST(${value} AS UBIGINT)`;
    default:
      return value;
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

const ESCAPED_SURROGATE = /\\ud[89a-f]/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\ufffd');
  if (Array.isArray(value)) return value.map(wellFormed);
  return value;
}

/** One column as JSON text (JSON.stringify writes lone surrogates, and only those, as `\udXXX`). */
function jsonText(values: readonly unknown[]): string {
  const text = JSON.stringify(values);
  // A literal backslash before "ud8…" matches too: that only costs the second stringify.
  return ESCAPED_SURROGATE.test(text) ? JSON.stringify(values.map(wellFormed)) : text;
}

/**
 * One column's parameter: the joined text, or JSON when a value holds a separator (or the
 * column is a list). `undefined` counts as null. Nulls of a text column are overwritten in
 * `values` by the null mark (the arrays are the caller's scratch: joining them in place spares
 * a copy of every column).
 */
function encode(kind: ColumnKind, values: unknown[]): { text: string; joined: boolean } {
  const n = values.length;
  if (kind === 'strings') return { text: jsonText(values.map((v) => v ?? null)), joined: false };
  if (NUMERIC[kind]) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number' && v !== null && v !== undefined)
        throw new Error(`a ${kind} column holds a ${typeof v}`);
    }
    // join writes numbers in their shortest round-trip form, and null or undefined as ''.
    return { text: values.join(SEPARATOR), joined: true };
  }
  let nulls: Uint8Array | undefined;
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      values[i] = NULL_MARK;
      nulls ??= new Uint8Array(n);
      nulls[i] = 1;
      nullCount++;
    } else if (typeof v !== 'string') values[i] = String(v);
  }
  const text = values.join(SEPARATOR);
  // Exactly n - 1 separators and one null mark per null: no value holds either character.
  if (count(text, SEPARATOR) === n - 1 && count(text, NULL_MARK) === nullCount) return { text, joined: true };
  return { text: jsonText(values.map((v, i) => (nulls?.[i] === 1 ? null : v))), joined: false };
}

/** Columns encoded, not yet assembled: `paramsSelect` joins any number of them into one SELECT. */
export interface EncodedColumns {
  readonly columns: readonly ParamColumn[];
  readonly joined: readonly boolean[];
  readonly texts: readonly string[];
}

/**
 * Encodes a batch given column by column (`values[i]` is `columns[i]`'s, arrays the call may
 * overwrite, see `encode`).
 */
export function encodeColumns(columns: readonly ParamColumn[], values: readonly unknown[][]): EncodedColumns {
  const joined: boolean[] = [];
  const texts: string[] = [];
  columns.forEach((c, i) => {
    if (!NAME_RE.test(c.name)) throw new Error(`not a column name: ${c.name}`);
    const encoded = encode(c.kind, values[i] ?? []);
    joined.push(encoded.joined);
    texts.push(encoded.text);
  });
  return { columns, joined, texts };
}

/** The SELECT of encoded columns side by side (all of one batch's rows), parameters in order. */
export function paramsSelect(...parts: readonly EncodedColumns[]): ColumnParams {
  const unnested: string[] = [];
  const converted: string[] = [];
  const params: string[] = [];
  for (const part of parts) {
    part.columns.forEach((c, i) => {
      params.push(part.texts[i] as string);
      const p = `$${params.length}`;
      unnested.push(
        part.joined[i]
          ? `unnest(string_split(${p}, chr(31))) AS ${c.name}`
          : `unnest(from_json(${p}, '${JSON_ELEMENT[c.kind]}')) AS ${c.name}`,
      );
      converted.push(`${convert(c.kind, c.name, part.joined[i] === true)} AS ${c.name}`);
    });
  }
  return { select: `SELECT ${converted.join(', ')} FROM (SELECT ${unnested.join(', ')})`, params };
}

/**
 * The parameters and SELECT of a batch given column by column (`values[i]` is `columns[i]`'s,
 * arrays the call may overwrite, see `encode`).
 */
export function columnParams(columns: readonly ParamColumn[], values: readonly unknown[][]): ColumnParams {
  return paramsSelect(encodeColumns(columns, values));
}

/** `columnParams` of rows read by property name (`undefined` as null). */
export function rowParams(columns: readonly ParamColumn[], rows: readonly object[]): ColumnParams {
  return columnParams(
    columns,
    columns.map(({ name }) => {
      const values = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Record<string, unknown>)[name];
      return values;
    }),
  );
}
