import type { ClickHouseClient } from '@clickhouse/client';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import { describeWithService } from '../../test/services.js';
import { createClickHouseClient } from '../clickhouse/clickhouse-client.js';
import {
  formatLiteral,
  joinSql,
  raw,
  type SqlDialect,
  sql,
  sqlBoolean,
  sqlDate,
  sqlDateTime,
  sqlIdentifier,
  sqlList,
  sqlNumber,
  sqlString,
} from './literal.js';

const DIALECTS: readonly SqlDialect[] = ['clickhouse', 'duckdb'];

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isHubError(error)).toBe(true);
    if (isHubError(error)) {
      expect(error.code).toBe('HUB_ERR_SQL_LITERAL');
      expect(error.kind).toBe('data');
      return error.message;
    }
  }
  throw new Error('expected HUB_ERR_SQL_LITERAL');
}

/**
 * A reference reader for one rendered string literal: it must consume the whole text and
 * give back the value. If a payload could end the literal early, the reader fails here.
 */
function readLiteral(text: string, dialect: SqlDialect): string {
  if (dialect === 'duckdb') {
    // concat('a', chr(0), 'b') splices NULs between standard literals.
    const parts = text.startsWith('concat(') ? text.slice(7, -1).split(', chr(0), ') : [text];
    return parts.map((p) => readStandard(p)).join('\0');
  }
  expect(text.startsWith("'") && text.endsWith("'")).toBe(true);
  const parts: string[] = [];
  for (let i = 1; i < text.length - 1; i++) {
    const ch = text[i] as string;
    if (ch === "'") throw new Error(`unescaped quote at ${i}: the literal would end there`);
    if (ch !== '\\') {
      parts.push(ch);
      continue;
    }
    const next = text[++i] as string;
    const simple: Record<string, string> = { '\\': '\\', "'": "'", '0': '\0', n: '\n', r: '\r', t: '\t' };
    if (next in simple) parts.push(simple[next] as string);
    else if (next === 'x') {
      parts.push(String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16)));
      i += 2;
    } else throw new Error(`unexpected escape \\${next}`);
  }
  return parts.join('');
}

function readStandard(text: string): string {
  expect(text.startsWith("'") && text.endsWith("'")).toBe(true);
  const body = text.slice(1, -1);
  // Inside, every quote must come doubled.
  expect(body.replace(/''/g, '')).not.toContain("'");
  return body.replace(/''/g, "'");
}

const NASTY_STRINGS: readonly string[] = [
  '',
  'plain',
  "O'Brien",
  "'",
  "''",
  "\\'",
  '\\',
  '\\\\',
  'C:\\temp\\new',
  "'; DROP TABLE stock_movements; --",
  "x' OR '1'='1",
  "a'); DELETE FROM locations WHERE ('1'='1",
  '-- comment',
  '/* open comment',
  'close */ comment',
  '"double" `back` quotes',
  'line1\nline2\r\nline3\ttab',
  'nul\0inside',
  '\0',
  '\0\0 \0',
  'bell\x07 esc\x1b del\x7f',
  'é à ç ñ ü',
  'مستودع الرشيدية',
  '雪 🧊 💧👨‍👩‍👧',
  '\u2028\u2029 separators',
  '\uFEFF bom',
  '{x:String} $1 ? :name @p',
  '%s %d %%',
  "\\0 \\n literally, and a quote '",
  '\\x41 is A in ClickHouse',
];

describe('sqlString', () => {
  it('escapes quotes and backslashes per dialect', () => {
    expect(sqlString("O'Brien").toSql('clickhouse')).toBe("'O\\'Brien'");
    expect(sqlString("O'Brien").toSql('duckdb')).toBe("'O''Brien'");
    expect(sqlString('a\\b').toSql('clickhouse')).toBe("'a\\\\b'");
    expect(sqlString('a\\b').toSql('duckdb')).toBe("'a\\b'");
  });

  it('writes NUL as \\0 in ClickHouse and splices chr(0) in DuckDB', () => {
    expect(sqlString('a\0b').toSql('clickhouse')).toBe("'a\\0b'");
    expect(sqlString('a\0b').toSql('duckdb')).toBe("concat('a', chr(0), 'b')");
  });

  it('escapes control characters for ClickHouse', () => {
    expect(sqlString('a\nb\tc\x01\x7f').toSql('clickhouse')).toBe("'a\\nb\\tc\\x01\\x7f'");
  });

  it.each(DIALECTS)('renders every nasty string so that it reads back exactly (%s)', (dialect) => {
    for (const value of NASTY_STRINGS) {
      expect(readLiteral(sqlString(value).toSql(dialect), dialect)).toBe(value);
    }
  });

  it.each(DIALECTS)('keeps a 1 MB string intact (%s)', (dialect) => {
    const value = `${"'\\".repeat(100_000)}${'x'.repeat(800_000)}`;
    expect(readLiteral(sqlString(value).toSql(dialect), dialect)).toBe(value);
  });

  it('refuses lone surrogates, which cannot round-trip through UTF-8', () => {
    expect(refused(() => sqlString('a\uD800b'))).toMatch(/surrogate/);
    expect(refused(() => sqlString('\uDC00'))).toMatch(/surrogate/);
    expect(() => sqlString('\uD83D\uDCA7')).not.toThrow(); // a proper pair
  });

  it('refuses what is not a string', () => {
    refused(() => sqlString(42 as unknown as string));
  });
});

describe('sqlNumber', () => {
  it('writes finite numbers in their shortest exact form', () => {
    expect(sqlNumber(42).toSql('clickhouse')).toBe('42');
    expect(sqlNumber(0.1).toSql('duckdb')).toBe('0.1');
    expect(sqlNumber(1e21).toSql('duckdb')).toBe('1e+21');
    expect(sqlNumber(1e-7).toSql('clickhouse')).toBe('1e-7');
    expect(sqlNumber(-0).toSql('clickhouse')).toBe('0');
    expect(sqlNumber(12345678901234567890n).toSql('clickhouse')).toBe('12345678901234567890');
  });

  it('parenthesises negatives, so a minus before it cannot make a -- comment', () => {
    expect(sqlNumber(-5).toSql('duckdb')).toBe('(-5)');
    expect(sqlNumber(-5n).toSql('clickhouse')).toBe('(-5)');
    expect(sql`SELECT 1-${-5}`.toSql('clickhouse')).toBe('SELECT 1-(-5)');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s', (n) => {
    expect(refused(() => sqlNumber(n))).toMatch(/not finite/);
  });

  it('refuses numeric strings', () => {
    refused(() => sqlNumber('1; DROP' as unknown as number));
  });
});

describe('sqlBoolean', () => {
  it('writes 1/0 for ClickHouse 18.16 and TRUE/FALSE for DuckDB', () => {
    expect(sqlBoolean(true).toSql('clickhouse')).toBe('1');
    expect(sqlBoolean(false).toSql('clickhouse')).toBe('0');
    expect(sqlBoolean(true).toSql('duckdb')).toBe('TRUE');
  });
});

describe('sqlDate and sqlDateTime', () => {
  it('writes dates per dialect', () => {
    expect(sqlDate('2024-02-29').toSql('clickhouse')).toBe("toDate('2024-02-29')");
    expect(sqlDate('2024-02-29').toSql('duckdb')).toBe("DATE '2024-02-29'");
    expect(sqlDate(new Date('2024-03-01T23:30:00-02:00')).toSql('duckdb')).toBe("DATE '2024-03-02'");
  });

  it.each(['2023-02-29', '2024-1-01', '2024-01-01T00:00:00Z', "2024-01-01' OR 1=1", ''])(
    'refuses the date %j',
    (text) => {
      refused(() => sqlDate(text));
    },
  );

  it('writes instants in UTC; ClickHouse gets whole seconds, DuckDB milliseconds', () => {
    const t = '2026-02-01T09:00:00.125+01:00';
    expect(sqlDateTime(t).toSql('clickhouse')).toBe("toDateTime('2026-02-01 08:00:00', 'UTC')");
    expect(sqlDateTime(t).toSql('duckdb')).toBe("TIMESTAMP '2026-02-01 08:00:00.125'");
    expect(sql`${new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))}`.toSql('duckdb')).toBe(
      "TIMESTAMP '2026-01-02 03:04:05.006'",
    );
  });

  it('refuses invalid instants and, for ClickHouse, times outside its range', () => {
    refused(() => sqlDateTime(new Date(Number.NaN)));
    refused(() => sqlDateTime('yesterday'));
    refused(() => sqlDateTime("2024-01-01T00:00:00Z' --"));
    const old = sqlDateTime('1969-12-31T23:59:59Z');
    expect(old.toSql('duckdb')).toBe("TIMESTAMP '1969-12-31 23:59:59.000'");
    expect(refused(() => old.toSql('clickhouse'))).toMatch(/outside ClickHouse's range/);
    refused(() => sqlDate('1969-12-31').toSql('clickhouse'));
  });
});

describe('sqlIdentifier', () => {
  it('double-quotes allowed names and joins qualified ones', () => {
    expect(sqlIdentifier('stock_movements').toSql('clickhouse')).toBe('"stock_movements"');
    expect(sqlIdentifier('hub_test_1', 'locations').toSql('duckdb')).toBe('"hub_test_1"."locations"');
    expect(sqlIdentifier('order').toSql('duckdb')).toBe('"order"'); // reserved words are safe
  });

  it.each(['', 'a b', 'a"b', "a'b", 'a`b', '1abc', 'a;drop', 'a-b', 'tab\tle', 'ünï', 'a.b', 'x--'])(
    'refuses %j',
    (name) => {
      refused(() => sqlIdentifier(name));
    },
  );

  it('refuses no parts at all', () => {
    refused(() => sqlIdentifier());
  });
});

describe('sqlList', () => {
  it('formats each item by type', () => {
    expect(sqlList([1, "it's", null, -2]).toSql('clickhouse')).toBe("(1, 'it\\'s', NULL, (-2))");
    expect(sqlList(['a\\', true]).toSql('duckdb')).toBe("('a\\', TRUE)");
  });

  it('refuses empty and nested lists', () => {
    expect(refused(() => sqlList([]))).toMatch(/empty list/);
    refused(() => sqlList([[1] as unknown as number]));
  });
});

describe('sql template', () => {
  it('formats interpolations by type and nests fragments', () => {
    const where = sql`region_id = ${"x' OR '1'='1"} AND qty > ${-1}`;
    const query = sql`SELECT * FROM ${sqlIdentifier('locations')} WHERE ${where} AND id IN ${['a', 'b']}`;
    expect(query.toSql('clickhouse')).toBe(
      `SELECT * FROM "locations" WHERE region_id = 'x\\' OR \\'1\\'=\\'1' AND qty > (-1) AND id IN ('a', 'b')`,
    );
    expect(query.toSql('duckdb')).toBe(
      `SELECT * FROM "locations" WHERE region_id = 'x'' OR ''1''=''1' AND qty > (-1) AND id IN ('a', 'b')`,
    );
  });

  it('passes raw() and joinSql() through as trusted text', () => {
    expect(sql`SELECT ${raw('count()')} FROM t`.toSql('clickhouse')).toBe('SELECT count() FROM t');
    expect(joinSql([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ').toSql('duckdb')).toBe("a = 1 AND b = 'x'");
  });

  it('refuses values it cannot type', () => {
    refused(() => sql`${undefined as unknown as string}`);
    refused(() => sql`${{ a: 1 } as unknown as string}`);
    refused(() => sql`${(() => 1) as unknown as string}`);
    refused(() => sql`${Symbol('s') as unknown as string}`);
    refused(() => formatLiteral(Number.NaN, 'duckdb'));
  });
});

// ---------------------------------------------------------------------------------------------
// round trips through the real engines: SELECT <literal> must give back exactly the input

const NUMBERS: readonly number[] = [0, 1, -1, 42, -5, 0.1, -0.25, 500.5, 1e-7, 1e21, 2 ** 53, -(2 ** 53), 123456.789];
const LONG = `${"'\\\0".repeat(5_000)}${'مستودع '.repeat(5_000)}${'x'.repeat(100_000)}`;

interface Engine {
  /** Each expression evaluated, as text (so that types do not get in the way). */
  selectText(expressions: readonly string[]): Promise<string[]>;
  /** Each expression evaluated, as a number. */
  selectNumber(expressions: readonly string[]): Promise<number[]>;
}

const utf8Hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

function roundTrips(dialect: SqlDialect, engine: () => Engine): void {
  // Compared as bytes (hex of the UTF-8), so that no client-side decoding can hide a
  // difference: DuckDB's Node client, for one, drops a leading BOM when it reads a VARCHAR.
  it('round-trips every nasty string, byte for byte', async () => {
    const literals = NASTY_STRINGS.map((s) => `upper(hex(${sqlString(s).toSql(dialect)}))`);
    expect(await engine().selectText(literals)).toEqual(NASTY_STRINGS.map(utf8Hex));
  });

  it('round-trips every nasty string as text', async () => {
    const literals = NASTY_STRINGS.map((s) => sqlString(s).toSql(dialect));
    const expected = NASTY_STRINGS.map((s) => (dialect === 'duckdb' ? s.replace(/^\uFEFF/, '') : s));
    expect(await engine().selectText(literals)).toEqual(expected);
  });

  it('round-trips a long string of quotes, backslashes, NULs and Arabic', async () => {
    expect(await engine().selectText([sqlString(LONG).toSql(dialect)])).toEqual([LONG]);
  });

  it('round-trips numbers, negatives included', async () => {
    expect(await engine().selectNumber(NUMBERS.map((n) => sqlNumber(n).toSql(dialect)))).toEqual(NUMBERS);
  });

  it('keeps a nasty string whole inside IN lists and comparisons', async () => {
    const nasty = "'; DROP TABLE t; --";
    const e = engine();
    const hit = sql`${nasty} IN ${['a', nasty]}`.toSql(dialect);
    const miss = sql`${`${nasty}x`} = ${nasty}`.toSql(dialect);
    expect(await e.selectNumber([hit, miss])).toEqual([1, 0]);
  });

  it('round-trips dates and instants (in UTC)', async () => {
    const e = engine();
    const [day, instant] = await e.selectText(
      dialect === 'clickhouse'
        ? [
            `toString(${sqlDate('2024-02-29').toSql(dialect)})`,
            `toString(${sqlDateTime('2026-02-01T09:00:00.125+01:00').toSql(dialect)})`,
          ]
        : [
            `CAST(${sqlDate('2024-02-29').toSql(dialect)} AS VARCHAR)`,
            `CAST(${sqlDateTime('2026-02-01T09:00:00.125+01:00').toSql(dialect)} AS VARCHAR)`,
          ],
    );
    expect(day).toBe('2024-02-29');
    expect(instant).toBe(dialect === 'clickhouse' ? '2026-02-01 08:00:00' : '2026-02-01 08:00:00.125');
  });
}

describe('literal round trips: duckdb', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });
  const select = async (expressions: readonly string[]): Promise<unknown[]> => {
    const list = expressions.map((e, i) => `${e} AS v${i}`).join(', ');
    const reader = await conn.runAndReadAll(`SELECT ${list}`);
    return reader.getRowsJS()[0] ?? [];
  };
  roundTrips('duckdb', () => ({
    selectText: async (expressions) => (await select(expressions)).map(String),
    selectNumber: async (expressions) => (await select(expressions)).map(Number),
  }));
});

describeWithService('clickhouse', 'literal round trips: clickhouse', (url) => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    client = await createClickHouseClient({ url }, 'default');
  });
  afterAll(async () => {
    await client?.close();
  });
  const select = async (expressions: readonly string[]): Promise<unknown[]> => {
    const list = expressions.map((e, i) => `${e} AS v${i}`).join(', ');
    const result = await client.query({
      query: `SELECT ${list}`,
      format: 'JSONEachRow', // 18.16 has no JSONCompactEachRow
      // Long literals are parsed as query text, limited by max_query_size (256 KiB default).
      clickhouse_settings: { max_query_size: '10000000' },
    });
    const row = (await result.json<Record<string, unknown>>())[0] ?? {};
    return expressions.map((_, i) => row[`v${i}`]);
  };
  roundTrips('clickhouse', () => ({
    selectText: async (expressions) => (await select(expressions)).map(String),
    selectNumber: async (expressions) => (await select(expressions)).map(Number),
  }));
});
