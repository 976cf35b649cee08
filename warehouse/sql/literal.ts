/**
 * The one audited SQL literal formatter. Every value that enters SQL, in both engines, goes
 * through here: ClickHouse 18.16 has no query parameters, so values are inlined, and one
 * formatter keeps the escaping rules in one place (DESIGN.md §5).
 *
 * Values become `SqlFragment`s, which compose through the `sql` tagged template and render
 * for one dialect at the very end (`fragment.toSql('clickhouse')`). The two dialects differ:
 *
 * - ClickHouse string literals treat backslash as an escape (`\\`, `\'`, `\0`, `\n`, `\xHH`).
 * - DuckDB string literals are SQL-standard: only `''` is special and backslash is an ordinary
 *   character. DuckDB has no escape for NUL inside a literal (and its `E'\0'` is not
 *   implemented), so a string with NULs becomes `concat('a', chr(0), 'b')`.
 *
 * Other defences, whatever the dialect:
 * - a negative number is parenthesised, so `a-${n}` can never render as the comment `a--5`;
 * - identifiers pass an allow-list (`^[A-Za-z_][A-Za-z0-9_]*$`) and are double-quoted, which
 *   both engines read as an identifier and which makes reserved words safe;
 * - strings must be well-formed Unicode (a lone surrogate cannot round-trip through UTF-8);
 * - non-finite numbers, `undefined`, plain objects, nested lists and empty lists are refused
 *   with `HUB_ERR_SQL_LITERAL` rather than guessed at.
 *
 * Limit to know: ClickHouse parses at most `max_query_size` bytes of query text (256 KiB by
 * default), literals included. Bulk data goes through INSERT … FORMAT bodies, not literals.
 */
import { HubError } from '../../core/errors/index.js';

export type SqlDialect = 'clickhouse' | 'duckdb';

/** Anything the `sql` template accepts as an interpolation. */
export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | SqlFragment
  | readonly (string | number | bigint | boolean | null | Date | SqlFragment)[];

type Render = (dialect: SqlDialect) => string;

/** A piece of SQL whose values are already formatted, rendered per dialect by `toSql`. */
export class SqlFragment {
  readonly #render: Render;

  /** @internal use `sql`, `raw` or one of the `sql*` formatters. */
  constructor(render: Render) {
    this.#render = render;
  }

  toSql(dialect: SqlDialect): string {
    return this.#render(dialect);
  }
}

function refuse(reason: string): never {
  throw new HubError('HUB_ERR_SQL_LITERAL', { reason });
}

// ---------------------------------------------------------------------------------------------
// strings

// ClickHouse reads these escapes in quoted strings; control characters are escaped too so that
// a rendered query stays on one line in logs.
const CLICKHOUSE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function clickhouseString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
  const escaped = value.replace(/[\\'\x00-\x1f\x7f]/g, (ch) => {
    const named = CLICKHOUSE_ESCAPES[ch];
    if (named !== undefined) return named;
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `'${escaped}'`;
}

function duckdbString(value: string): string {
  const quoted = value.replace(/'/g, "''");
  if (!quoted.includes('\0')) return `'${quoted}'`;
  // concat(…) rather than a chain of ||: a chain nests one level per NUL and DuckDB's parser
  // stops at depth 1000, while concat's arguments stay flat.
  return `concat('${quoted.split('\0').join("', chr(0), '")}')`;
}

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(value: string): void {
  if (LONE_SURROGATE_RE.test(value)) refuse('the string is not well-formed Unicode (lone surrogate)');
}

/** A string literal. Any content that is well-formed Unicode round-trips exactly. */
export function sqlString(value: string): SqlFragment {
  if (typeof value !== 'string') refuse(`expected a string, got ${describe(value)}`);
  checkString(value);
  return new SqlFragment((dialect) => (dialect === 'clickhouse' ? clickhouseString(value) : duckdbString(value)));
}

// ---------------------------------------------------------------------------------------------
// numbers and booleans

function formatNumber(value: number | bigint): string {
  if (typeof value === 'bigint') {
    return value < 0n ? `(${value.toString()})` : value.toString();
  }
  if (!Number.isFinite(value)) refuse(`the number ${String(value)} is not finite`);
  // String() gives the shortest text that reads back as the same double; -0 becomes "0".
  const text = String(value);
  return value < 0 ? `(${text})` : text;
}

/** A numeric literal. Finite numbers and bigints only; negatives come parenthesised. */
export function sqlNumber(value: number | bigint): SqlFragment {
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    refuse(`expected a number, got ${describe(value)}`);
  }
  const text = formatNumber(value);
  return new SqlFragment(() => text);
}

/** A boolean: `1`/`0` in ClickHouse (18.16 has no Bool type), `TRUE`/`FALSE` in DuckDB. */
export function sqlBoolean(value: boolean): SqlFragment {
  if (typeof value !== 'boolean') refuse(`expected a boolean, got ${describe(value)}`);
  return new SqlFragment((dialect) => (dialect === 'clickhouse' ? (value ? '1' : '0') : value ? 'TRUE' : 'FALSE'));
}

// ---------------------------------------------------------------------------------------------
// dates and times (UTC)

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
// ClickHouse Date and DateTime are unsigned offsets from the Unix epoch.
const CLICKHOUSE_MIN_MS = 0;
const CLICKHOUSE_MAX_DATETIME_MS = Date.UTC(2106, 1, 7, 6, 28, 15);
const CLICKHOUSE_MAX_DATE_MS = Date.UTC(2105, 11, 31);

function toInstant(value: Date | string, what: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) refuse(`invalid ${what}: the Date is invalid`);
    return value;
  }
  if (typeof value === 'string' && RFC3339_RE.test(value)) {
    const parsed = new Date(value);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return refuse(`invalid ${what}: expected a Date or an RFC 3339 date-time, got ${describe(value)}`);
}

function checkClickHouseRange(ms: number, max: number, what: string): void {
  if (ms < CLICKHOUSE_MIN_MS || ms > max) {
    refuse(`the ${what} ${new Date(ms).toISOString()} is outside ClickHouse's range`);
  }
}

/**
 * A calendar date, from `YYYY-MM-DD` or from a Date (its UTC day). Renders
 * `toDate('…')` in ClickHouse and `DATE '…'` in DuckDB.
 */
export function sqlDate(value: Date | string): SqlFragment {
  let day: string;
  if (typeof value === 'string') {
    const m = DATE_RE.exec(value);
    const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
    // Date.UTC rolls 2024-02-30 over into March: a real date formats back to itself.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      refuse(`invalid date: expected YYYY-MM-DD, got ${describe(value)}`);
    }
    day = value;
  } else {
    day = toInstant(value, 'date').toISOString().slice(0, 10);
  }
  const dayMs = Date.parse(`${day}T00:00:00Z`);
  return new SqlFragment((dialect) => {
    if (dialect === 'clickhouse') {
      checkClickHouseRange(dayMs, CLICKHOUSE_MAX_DATE_MS, 'date');
      return `toDate('${day}')`;
    }
    return `DATE '${day}'`;
  });
}

/**
 * An instant, from a Date or an RFC 3339 string with offset, rendered in UTC:
 * `toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC')` in ClickHouse (whole seconds: 18.16 has no
 * DateTime64, so the milliseconds are dropped; keep them in a separate column) and
 * `TIMESTAMP 'YYYY-MM-DD hh:mm:ss.sss'` in DuckDB.
 */
export function sqlDateTime(value: Date | string): SqlFragment {
  const instant = toInstant(value, 'date-time');
  const ms = instant.getTime();
  const iso = instant.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ; years 0–9999 only
  if (iso.length !== 24) refuse(`the date-time ${iso} is outside years 0000–9999`);
  return new SqlFragment((dialect) => {
    if (dialect === 'clickhouse') {
      checkClickHouseRange(ms, CLICKHOUSE_MAX_DATETIME_MS, 'date-time');
      return `toDateTime('${iso.slice(0, 10)} ${iso.slice(11, 19)}', 'UTC')`;
    }
    return `TIMESTAMP '${iso.slice(0, 10)} ${iso.slice(11, 23)}'`;
  });
}

// ---------------------------------------------------------------------------------------------
// identifiers, lists, raw fragments

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An identifier, double-quoted (both engines read `"name"` as an identifier). Several parts
 * make a qualified name: `sqlIdentifier('hub', 'locations')` → `"hub"."locations"`.
 */
export function sqlIdentifier(...parts: string[]): SqlFragment {
  if (parts.length === 0) refuse('an identifier needs at least one part');
  for (const part of parts) {
    if (typeof part !== 'string' || !IDENTIFIER_RE.test(part)) {
      refuse(`invalid identifier ${describe(part)}: allowed are letters, digits and _`);
    }
  }
  const text = parts.map((p) => `"${p}"`).join('.');
  return new SqlFragment(() => text);
}

/** A parenthesised, comma-separated list for `IN`: `(v1, v2, …)`. Empty lists are refused. */
export function sqlList(
  values: readonly (string | number | bigint | boolean | null | Date | SqlFragment)[],
): SqlFragment {
  if (!Array.isArray(values)) refuse(`expected a list, got ${describe(values)}`);
  if (values.length === 0) refuse('an empty list has no SQL form (IN () is invalid)');
  const items = values.map((v) => {
    if (Array.isArray(v)) refuse('nested lists are not supported');
    return toFragment(v as SqlValue);
  });
  return new SqlFragment((dialect) => `(${items.map((f) => f.toSql(dialect)).join(', ')})`);
}

/**
 * Trusted SQL text, inserted verbatim. Only for fragments written in the code itself (never
 * for data): every use is a place to audit.
 */
export function raw(text: string): SqlFragment {
  if (typeof text !== 'string') refuse(`raw() expects a string, got ${describe(text)}`);
  return new SqlFragment(() => text);
}

/** Joins fragments with a trusted separator (default `, `). */
export function joinSql(fragments: readonly SqlFragment[], separator = ', '): SqlFragment {
  const parts = fragments.map(toFragment);
  return new SqlFragment((dialect) => parts.map((f) => f.toSql(dialect)).join(separator));
}

// ---------------------------------------------------------------------------------------------
// the template

/** Formats one value by its type (see `SqlValue`). */
export function toFragment(value: SqlValue): SqlFragment {
  if (value instanceof SqlFragment) return value;
  if (value === null) return new SqlFragment(() => 'NULL');
  switch (typeof value) {
    case 'string':
      return sqlString(value);
    case 'number':
    case 'bigint':
      return sqlNumber(value);
    case 'boolean':
      return sqlBoolean(value);
  }
  if (value instanceof Date) return sqlDateTime(value);
  if (Array.isArray(value)) return sqlList(value);
  return refuse(`unsupported value ${describe(value)}`);
}

/**
 * SQL with interpolated values, each formatted by its type: strings, numbers, bigints,
 * booleans, null, Dates (as date-times), arrays (as `IN` lists) and fragments (nested `sql`,
 * `raw`, `sqlIdentifier`, `sqlDate` …). The template's own text is trusted code.
 *
 * @example sql`SELECT id FROM ${sqlIdentifier('locations')} WHERE region_id = ${region}`
 */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  const parts = values.map(toFragment);
  return new SqlFragment((dialect) => {
    let out = strings[0] ?? '';
    for (let i = 0; i < parts.length; i++) {
      out += (parts[i] as SqlFragment).toSql(dialect) + (strings[i + 1] ?? '');
    }
    return out;
  });
}

/** Formats one value as a literal for a dialect (shorthand for `toFragment(v).toSql(d)`). */
export function formatLiteral(value: SqlValue, dialect: SqlDialect): string {
  return toFragment(value).toSql(dialect);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value);
  }
  if (typeof value === 'object') {
    return value instanceof Date ? 'a Date' : `an object (${value.constructor?.name ?? 'Object'})`;
  }
  return `${typeof value} ${String(value)}`;
}
