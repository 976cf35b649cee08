/**
 * The embedded mode's freshness hook: after the DuckDB sink transaction committed, measures
 * the batch's lags (warehouse/freshness.ts) and stores them in `freshness` with one INSERT, in
 * its own statement (a crash right after the commit loses this observation, never data).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CanonicalResource } from '../core/ports/index.js';
import { freshnessInsertSql, measureFreshness } from './freshness.js';

/** Never throws: a freshness row that cannot be stored must not fail the committed batch. */
export async function recordFreshnessDuckDb(
  conn: DuckDBConnection,
  records: readonly CanonicalResource[],
  connector: string,
): Promise<void> {
  if (records.length === 0) return;
  const ackMs = Date.now();
  const rows = measureFreshness(records, ackMs, 'duckdb-sink', connector);
  if (rows.length === 0) return;
  await conn.run(freshnessInsertSql(rows).toSql('duckdb')).catch(() => undefined);
}
