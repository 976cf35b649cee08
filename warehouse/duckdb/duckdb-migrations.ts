/**
 * DuckDB schema migrations: sortable names, applied in order, each in one transaction with its
 * row in `hub_migrations` (DuckDB DDL is transactional), so a step is either fully applied and
 * recorded or not at all. A migration, once released, is never edited: add a new one.
 *
 * The tables hold the same columns as their ClickHouse twins (clickhouse-migrations.ts), with
 * two differences: `TIMESTAMP` keeps milliseconds, so there is no `occurred_at_ms`; and
 * entity and dead-letter ids are primary keys (upserts and INSERT … ON CONFLICT need them).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { MigrationStepResult } from '../../core/ports/index.js';
import { DUCKDB_FRESHNESS_TABLE } from '../freshness.js';
import { sql } from '../sql/literal.js';
import { duckdbCreateTable, RESOURCE_TABLE_NAMES, RESOURCE_TABLES } from '../sql/resource-tables.js';
import { duckdbError } from './duckdb-connection.js';

export interface DuckDbMigration {
  readonly name: string;
  readonly statements: readonly string[];
}

export const DUCKDB_MIGRATIONS: readonly DuckDbMigration[] = [
  {
    name: '0001_entities',
    statements: [
      `CREATE TABLE IF NOT EXISTS locations (
        id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        name_fr VARCHAR NOT NULL,
        name_ar VARCHAR NOT NULL,
        region_id VARCHAR NOT NULL,
        parent_id VARCHAR,
        gln VARCHAR,
        latitude DOUBLE,
        longitude DOUBLE,
        version UBIGINT NOT NULL,
        doc JSON NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS products (
        id VARCHAR PRIMARY KEY,
        sku VARCHAR,
        gtin VARCHAR,
        name_fr VARCHAR NOT NULL,
        name_ar VARCHAR,
        name_en VARCHAR,
        category VARCHAR NOT NULL,
        unit VARCHAR,
        storage_class VARCHAR,
        criticality VARCHAR,
        version UBIGINT NOT NULL,
        doc JSON NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS lots (
        id VARCHAR PRIMARY KEY,
        product_id VARCHAR,
        gtin VARCHAR,
        lot_number VARCHAR,
        expiry DATE,
        manufactured DATE,
        version UBIGINT NOT NULL,
        doc JSON NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS resources (
        resource_type VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        version UBIGINT NOT NULL,
        doc JSON NOT NULL,
        PRIMARY KEY (resource_type, id)
      )`,
    ],
  },
  {
    name: '0002_stock_movements',
    statements: [
      // No primary key: an index on the id costs ~4× the insert itself; redeliveries are
      // filtered by an anti-join on the id within the batch's time range instead
      // (duckdb-record-sink.ts).
      `CREATE TABLE IF NOT EXISTS stock_movements (
        id VARCHAR NOT NULL,
        movement_type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        location_id VARCHAR NOT NULL,
        counterpart_id VARCHAR,
        product_id VARCHAR NOT NULL,
        gtin VARCHAR,
        lot_number VARCHAR,
        quantity DOUBLE NOT NULL,
        unit VARCHAR NOT NULL,
        reason VARCHAR,
        connector VARCHAR NOT NULL,
        source_system VARCHAR NOT NULL,
        source_id VARCHAR NOT NULL,
        source_hash VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL
      )`,
    ],
  },
  {
    name: '0003_dead_letters_and_state',
    statements: [
      `CREATE TABLE IF NOT EXISTS dead_letters (
        id VARCHAR PRIMARY KEY,
        connector VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        source_id VARCHAR,
        resource_type VARCHAR,
        errors JSON NOT NULL,
        payload JSON NOT NULL,
        failed_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS connector_state (
        connector VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        state JSON NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (connector, stream)
      )`,
    ],
  },
  {
    // Requests, shipments (lines, status history), incidents, equipment, maintenance events,
    // stock snapshots, organizations: one table each, generated from the specs of
    // warehouse/sql/resource-tables.ts (the same columns in both engines).
    name: '0004_operational_resources',
    statements: RESOURCE_TABLE_NAMES.map((t) => duckdbCreateTable(RESOURCE_TABLES[t])),
  },
  {
    // Dimensions denormalized into the movements at ingest (DESIGN.md §5): the region of the
    // location and the category of the product, as stored when the movement arrives. Rows
    // stored before this step keep '' (ClickHouse 18.16 cannot backfill them by lookup, and
    // both engines must hold the same rows).
    name: '0005_movement_dimensions',
    statements: [
      `ALTER TABLE stock_movements ADD COLUMN IF NOT EXISTS region_id VARCHAR DEFAULT ''`,
      `ALTER TABLE stock_movements ADD COLUMN IF NOT EXISTS category VARCHAR DEFAULT ''`,
    ],
  },
  {
    // The real-time aggregates of ClickHouse (materialized views into SummingMergeTree tables,
    // clickhouse-migrations.ts 0006) as plain views with the same names and columns, so the
    // same KPI SQL runs here. DuckDB deduplicates movements at insert, so these are exact;
    // so are ClickHouse's since its step 0008 (the writer deduplicates on the movement id).
    name: '0006_realtime_aggregates',
    statements: [
      `CREATE VIEW IF NOT EXISTS stock_on_hand_agg AS
        SELECT location_id, product_id, coalesce(lot_number, '') AS lot, unit,
          CAST(sum(CAST(round(quantity * 1000000) AS BIGINT)) AS BIGINT) AS on_hand_micro,
          CAST(count(*) AS UBIGINT) AS movements
        FROM stock_movements
        GROUP BY location_id, product_id, coalesce(lot_number, ''), unit`,
      `CREATE VIEW IF NOT EXISTS movements_daily_agg AS
        SELECT CAST(occurred_at AS DATE) AS day, region_id, movement_type, unit,
          CAST(count(*) AS UBIGINT) AS movements,
          CAST(sum(CAST(round(quantity * 1000000) AS BIGINT)) AS BIGINT) AS quantity_micro
        FROM stock_movements
        GROUP BY CAST(occurred_at AS DATE), region_id, movement_type, unit`,
    ],
  },
  {
    // Freshness per connector and source (warehouse/freshness.ts), the same columns as ClickHouse's.
    name: '0007_freshness',
    statements: [DUCKDB_FRESHNESS_TABLE],
  },
];

const BOOTSTRAP = `CREATE TABLE IF NOT EXISTS hub_migrations (
  name VARCHAR PRIMARY KEY,
  applied_at TIMESTAMP NOT NULL,
  ms DOUBLE NOT NULL
)`;

/**
 * Applies the pending migrations in name order. Returns one result per migration: `skipped`
 * (already recorded), `applied`, or `failed` — after a failure the run stops, so later
 * migrations are not listed. Only an unreachable database throws.
 */
export async function migrateDuckDb(
  conn: DuckDBConnection,
  migrations: readonly DuckDbMigration[] = DUCKDB_MIGRATIONS,
): Promise<MigrationStepResult[]> {
  let applied: Set<string>;
  try {
    await conn.run(BOOTSTRAP);
    const reader = await conn.runAndReadAll('SELECT name FROM hub_migrations');
    applied = new Set(reader.getRowObjectsJson().map((r) => String(r.name)));
  } catch (error) {
    throw duckdbError(error, 'read hub_migrations');
  }

  const results: MigrationStepResult[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    const started = performance.now();
    if (applied.has(migration.name)) {
      results.push({ name: migration.name, status: 'skipped', ms: 0 });
      continue;
    }
    try {
      await conn.run('BEGIN TRANSACTION');
      for (const statement of migration.statements) await conn.run(statement);
      const ms = performance.now() - started;
      await conn.run(
        sql`INSERT INTO hub_migrations (name, applied_at, ms) VALUES (${migration.name}, ${new Date()}, ${ms})`.toSql(
          'duckdb',
        ),
      );
      await conn.run('COMMIT');
      results.push({ name: migration.name, status: 'applied', ms: performance.now() - started });
    } catch (error) {
      await conn.run('ROLLBACK').catch(() => undefined);
      results.push({
        name: migration.name,
        status: 'failed',
        ms: performance.now() - started,
        error: error instanceof Error ? error.message : String(error),
      });
      break;
    }
  }
  return results;
}
