/**
 * The thin dialect layer of the KPI definitions: the few spellings that differ between DuckDB
 * and ClickHouse 18.16. Everything else in a KPI's SQL is common to both, and written in what
 * 18.16 accepts (one JOIN per SELECT, no CTEs, no window functions, values inlined through
 * `literal.ts`).
 */
import { raw, type SqlFragment, sql } from '../sql/literal.js';
import { clickhouseSql, duckdbSql, type EngineSql } from '../sql/warehouse-queries.js';

export interface KpiDialect extends EngineSql {
  /** `INNER JOIN`; ClickHouse: `ANY INNER JOIN` (the right side is unique per key). */
  readonly innerJoin: SqlFragment;
  /** A LEFT JOIN keeping every matching right row (`ALL LEFT JOIN` in ClickHouse). */
  readonly allLeftJoin: SqlFragment;
  /** Epoch seconds of a timestamp column (milliseconds dropped), as a 64-bit integer; NULL stays NULL. */
  epochSeconds(column: string): SqlFragment;
  /** A quantity in integer micro-units (`round(q × 10⁶)`), per row, as a 64-bit integer. */
  micro(column: string): SqlFragment;
  /** An integer expression as a 64-bit integer (so UNION ALL branches have one type). */
  int64(expression: SqlFragment | string): SqlFragment;
  /** A number as a double, for a ratio. */
  double(expression: string): SqlFragment;
  /** The first element of a list column, `''` when the list is empty. */
  firstElement(column: string): SqlFragment;
  /** The UTC day of a timestamp, as `YYYY-MM-DD` text. */
  dayText(column: string): SqlFragment;
  /** A relation of one column `n`: the integers 0 … count − 1 (64-bit). */
  numbers(count: number): SqlFragment;
  /** A numeric top-level field of a JSON document column, `0` when absent. */
  jsonNumber(column: string, field: 'minLevel'): SqlFragment;
}

export const duckdbKpi: KpiDialect = {
  ...duckdbSql,
  innerJoin: raw('INNER JOIN'),
  allLeftJoin: raw('LEFT JOIN'),
  // floor, as ClickHouse's DateTime drops the milliseconds (a CAST would round them).
  epochSeconds: (c) => raw(`CAST(floor(epoch(${c})) AS BIGINT)`),
  micro: (c) => raw(`CAST(round(${c} * 1000000) AS BIGINT)`),
  int64: (e) => (typeof e === 'string' ? raw(`CAST(${e} AS BIGINT)`) : sql`CAST(${e} AS BIGINT)`),
  double: (e) => raw(`CAST(${e} AS DOUBLE)`),
  firstElement: (c) => raw(`coalesce(${c}[1], '')`),
  dayText: (c) => raw(`CAST(CAST(${c} AS DATE) AS VARCHAR)`),
  jsonNumber: (c, field) => raw(`coalesce(TRY_CAST(json_extract_string(${c}, '$.${field}') AS DOUBLE), 0)`),
  numbers: (count) => sql`SELECT range AS n FROM range(${count})`,
};

export const clickhouseKpi: KpiDialect = {
  ...clickhouseSql,
  innerJoin: raw('ANY INNER JOIN'),
  allLeftJoin: raw('ALL LEFT JOIN'),
  epochSeconds: (c) => raw(`toInt64(${c})`),
  micro: (c) => raw(`toInt64(round(${c} * 1000000))`),
  int64: (e) => (typeof e === 'string' ? raw(`toInt64(${e})`) : sql`toInt64(${e})`),
  double: (e) => raw(`toFloat64(${e})`),
  // An empty Array(String) gives '' for [1] already.
  firstElement: (c) => raw(`${c}[1]`),
  dayText: (c) => raw(`toString(toDate(${c}))`),
  // 18.16 has no JSONExtract*; visitParam reads a flat field of a JSON string (0 when absent).
  jsonNumber: (c, field) => raw(`visitParamExtractFloat(${c}, '${field}')`),
  numbers: (count) => sql`SELECT toInt64(number) AS n FROM system.numbers LIMIT ${count}`,
};
