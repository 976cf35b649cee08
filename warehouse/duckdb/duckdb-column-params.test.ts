import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ColumnKind, columnParams, type ParamColumn, rowParams } from './duckdb-column-params.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

/** Sends one column through the parameters and reads it back as JSON-safe values. */
async function roundTrip(kind: ColumnKind, values: unknown[]): Promise<{ back: unknown[]; sql: string }> {
  const { select, params } = columnParams([{ name: 'v', kind }], [[...values]]);
  const reader = await conn.runAndReadAll(
    `SELECT ${kind === 'instant' || kind === 'day' ? 'CAST(v AS VARCHAR)' : 'v'} AS v FROM (${select})`,
    params,
  );
  return { back: reader.getRowObjectsJson().map((r) => r.v), sql: select };
}

describe('batch columns as DuckDB parameters', () => {
  it('carries strings exactly, telling null from empty, in row order', async () => {
    const values = [
      'plain',
      '',
      null,
      'quote \' " \\ back',
      'nul\u0000mid',
      'émoji 😀 عربي ⵜⴰⵎⴰⵣⵉⵖⵜ',
      'tab\tnl\n',
      'a,b;c|d',
    ];
    const { back, sql } = await roundTrip('text', values);
    expect(back).toEqual(values);
    expect(sql).toContain('string_split'); // the fast encoding
  });

  it('falls back to JSON when a value holds the separator or the null mark, and still carries it exactly', async () => {
    for (const odd of ['x\u001fy', '\u001e', 'a\u001e', '\u001f']) {
      const values = ['before', odd, null, 'after'];
      const { back, sql } = await roundTrip('text', values);
      expect(back).toEqual(values);
      expect(sql).toContain('from_json');
    }
  });

  it('replaces a lone surrogate by U+FFFD, as the appender does, in both encodings', async () => {
    expect((await roundTrip('text', ['lone\ud800x', null])).back).toEqual(['lone\ufffdx', null]);
    expect((await roundTrip('text', ['lone\udc00x', '\u001f'])).back).toEqual(['lone\ufffdx', '\u001f']);
    // a pair stays a pair
    expect((await roundTrip('text', ['pair \ud83d\ude00'])).back).toEqual(['pair 😀']);
  });

  it('carries numbers exactly, null included', async () => {
    const values = [0, -1.5, 0.1 + 0.2, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, null];
    expect((await roundTrip('double', values)).back).toEqual(values);
    const { back } = await roundTrip('double', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(back.map(String)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('turns epoch milliseconds into timestamps, days into dates, integers into UBIGINT, lists into VARCHAR[]', async () => {
    const at = Date.UTC(2026, 1, 3, 4, 5, 6, 789);
    expect((await roundTrip('instant', [at, null])).back).toEqual(['2026-02-03 04:05:06.789', null]);
    expect((await roundTrip('day', ['2026-02-29'.replace('29', '28'), null])).back).toEqual(['2026-02-28', null]);
    expect((await roundTrip('uint', [1_764_000_000_123, 0, null])).back).toEqual(['1764000000123', '0', null]);
    expect((await roundTrip('strings', [['a', 'b\u001f'], [], null])).back).toEqual([['a', 'b\u001f'], [], null]);
  });

  it('keeps the columns of a row together, whatever encoding each one took', async () => {
    const columns: ParamColumn[] = [
      { name: 'id', kind: 'text' },
      { name: 'note', kind: 'text' },
      { name: 'qty', kind: 'double' },
    ];
    const rows = [
      { id: 'a', note: 'x\u001fy', qty: 1 },
      { id: 'b', note: null, qty: null },
      { id: 'c', qty: 3 }, // a missing property is null
    ];
    const { select, params } = rowParams(columns, rows);
    const reader = await conn.runAndReadAll(`SELECT * FROM (${select})`, params);
    expect(reader.getRowObjectsJson()).toEqual([
      { id: 'a', note: 'x\u001fy', qty: 1 },
      { id: 'b', note: null, qty: null },
      { id: 'c', note: null, qty: 3 },
    ]);
  });

  it('refuses a non-number in a numeric column and a column name that is not an identifier', () => {
    expect(() => columnParams([{ name: 'q', kind: 'double' }], [['1']])).toThrow(/double column holds a string/);
    expect(() => columnParams([{ name: 'q; DROP TABLE x', kind: 'text' }], [['1']])).toThrow(/not a column name/);
  });
});
