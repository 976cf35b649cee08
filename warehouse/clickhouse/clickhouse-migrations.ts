/**
 * ClickHouse schema migrations, in the SQL that both 18.16 (CI) and current releases accept.
 * ClickHouse has no transactional DDL, so every statement is idempotent on its own
 * (`CREATE … IF NOT EXISTS`) and a migration is recorded in `hub_migrations` only after all
 * its statements succeeded: a step interrupted halfway simply runs again. Two hubs migrating
 * at once is harmless for the same reason; `hub_migrations` is a ReplacingMergeTree on the
 * name, so a step recorded twice still reads once. A released migration is never edited.
 *
 * Engines (DESIGN.md §5):
 * - Entities that change (locations, products, lots, other resources) are
 *   `ReplacingMergeTree(version)` ordered by id: the newest version survives merges.
 * - Stock movements are immutable events, but delivery is at-least-once (Kafka), so the same
 *   movement id can arrive twice. They are a `ReplacingMergeTree()` whose sorting key ends
 *   with the id: a redelivered movement has the same location, product, time and id, hence the
 *   same key, and collapses with the first copy. Until a merge runs, readers use `FINAL`.
 *   Measured on 18.16.1 (2 cores; 2.02 M movements in 19 parts, 1 % redelivered), stock on hand
 *   by location × product × lot: `FINAL` 1.17 s; deduplicating with an inner `GROUP BY id`
 *   4.0 s; a plain MergeTree without dedup 0.18 s (but wrong by the duplicates); `FINAL`
 *   narrowed to one warehouse (a sorting-key prefix) 0.11 s. `FINAL` is the cheapest exact
 *   answer before merges; national dashboards should read KPI tables fed by materialized
 *   views rather than scan the movements (DESIGN.md §5).
 * - No `LowCardinality`, `DateTime64`, `Map`/JSON types (absent from 18.16): JSON documents
 *   are `String`, and times are `DateTime('UTC')` plus `occurred_at_ms UInt16` where the
 *   millisecond matters.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { MigrationStepResult } from '../../core/ports/index.js';
import { sql, sqlIdentifier } from '../sql/literal.js';
import { clickhouseCreateTable, RESOURCE_TABLE_NAMES, RESOURCE_TABLES } from '../sql/resource-tables.js';
import { clickhouseError, clickhouseErrorCode } from './clickhouse-client.js';

export interface ClickHouseMigration {
  readonly name: string;
  /** Each statement is sent alone (18.16 runs one statement per request). */
  readonly statements: readonly string[];
  /**
   * Server error codes that mean "already done" for this step's statements: 18.16 has no
   * `ADD COLUMN IF NOT EXISTS`, so a re-run `ADD COLUMN` answers 44 (ILLEGAL_COLUMN) or 15
   * (DUPLICATE_COLUMN), which keeps the step idempotent.
   */
  readonly alreadyDone?: readonly number[];
}

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    name: '0001_entities',
    statements: [
      `CREATE TABLE IF NOT EXISTS locations (
        id String,
        kind String,
        name_fr String,
        name_ar String,
        region_id String,
        parent_id Nullable(String),
        gln Nullable(String),
        latitude Nullable(Float64),
        longitude Nullable(Float64),
        version UInt64,
        doc String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS products (
        id String,
        sku Nullable(String),
        gtin Nullable(String),
        name_fr String,
        name_ar Nullable(String),
        name_en Nullable(String),
        category String,
        unit Nullable(String),
        storage_class Nullable(String),
        criticality Nullable(String),
        version UInt64,
        doc String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS lots (
        id String,
        product_id Nullable(String),
        gtin Nullable(String),
        lot_number Nullable(String),
        expiry Nullable(Date),
        manufactured Nullable(Date),
        version UInt64,
        doc String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS resources (
        resource_type String,
        id String,
        version UInt64,
        doc String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (resource_type, id)`,
    ],
  },
  {
    name: '0002_stock_movements',
    statements: [
      `CREATE TABLE IF NOT EXISTS stock_movements (
        id String,
        movement_type String,
        occurred_at DateTime('UTC'),
        occurred_at_ms UInt16,
        location_id String,
        counterpart_id Nullable(String),
        product_id String,
        gtin Nullable(String),
        lot_number Nullable(String),
        quantity Float64,
        unit String,
        reason Nullable(String),
        connector String,
        source_system String,
        source_id String,
        source_hash String,
        ingested_at DateTime('UTC')
      ) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (location_id, product_id, occurred_at, id)`,
    ],
  },
  {
    name: '0003_dead_letters',
    statements: [
      // Not partitioned by time: a dead letter re-read after a crash fails at a new time, and
      // must still meet its first copy (same id) in the same partition to collapse.
      `CREATE TABLE IF NOT EXISTS dead_letters (
        id String,
        connector String,
        stream String,
        source_id Nullable(String),
        resource_type Nullable(String),
        errors String,
        payload String,
        failed_at DateTime('UTC')
      ) ENGINE = ReplacingMergeTree() ORDER BY (connector, stream, id)`,
    ],
  },
  {
    // Requests, shipments (lines, status history), incidents, equipment, maintenance events,
    // stock snapshots, organizations: one table each, generated from the specs of
    // warehouse/sql/resource-tables.ts (the same columns in both engines).
    name: '0004_operational_resources',
    statements: RESOURCE_TABLE_NAMES.map((t) => clickhouseCreateTable(RESOURCE_TABLES[t])),
  },
  {
    // Dimensions denormalized into the movements at ingest (DESIGN.md §5): the region of the
    // location and the category of the product, as stored when the movement arrives. Rows
    // stored before this step keep '' (18.16 cannot backfill by lookup).
    name: '0005_movement_dimensions',
    statements: [
      `ALTER TABLE stock_movements ADD COLUMN region_id String DEFAULT ''`,
      `ALTER TABLE stock_movements ADD COLUMN category String DEFAULT ''`,
    ],
    alreadyDone: [15, 44],
  },
];

const BOOTSTRAP = `CREATE TABLE IF NOT EXISTS hub_migrations (
  name String,
  applied_at DateTime('UTC'),
  ms Float64
) ENGINE = ReplacingMergeTree() ORDER BY name`;

/**
 * Creates the database if missing, then applies pending migrations in name order. Returns one
 * result per migration (`skipped`, `applied`, or `failed`, after which the run stops). Only an
 * unreachable server throws (`HUB_ERR_WAREHOUSE_UNAVAILABLE`).
 */
export async function migrateClickHouse(
  admin: ClickHouseClient,
  client: ClickHouseClient,
  database: string,
  migrations: readonly ClickHouseMigration[] = CLICKHOUSE_MIGRATIONS,
): Promise<MigrationStepResult[]> {
  let applied: Set<string>;
  try {
    await admin.command({
      query: sql`CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)}`.toSql('clickhouse'),
    });
    await client.command({ query: BOOTSTRAP });
    const result = await client.query({
      query: 'SELECT DISTINCT name FROM hub_migrations',
      format: 'JSONEachRow',
    });
    applied = new Set((await result.json<{ name: string }>()).map((r) => r.name));
  } catch (error) {
    throw clickhouseError(error, 'read hub_migrations');
  }

  const results: MigrationStepResult[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    const started = performance.now();
    if (applied.has(migration.name)) {
      results.push({ name: migration.name, status: 'skipped', ms: 0 });
      continue;
    }
    try {
      for (const statement of migration.statements) {
        try {
          await client.command({ query: statement });
        } catch (error) {
          const code = clickhouseErrorCode(error);
          if (code === undefined || !migration.alreadyDone?.includes(code)) throw error;
        }
      }
      const ms = performance.now() - started;
      await client.command({
        query:
          sql`INSERT INTO hub_migrations (name, applied_at, ms) VALUES (${migration.name}, ${new Date()}, ${ms})`.toSql(
            'clickhouse',
          ),
      });
      results.push({ name: migration.name, status: 'applied', ms: performance.now() - started });
    } catch (error) {
      const failure = clickhouseError(error, `migration ${migration.name}`);
      // A server that went away is not a failed migration: the step runs again next time.
      if (failure.retriable) throw failure;
      results.push({
        name: migration.name,
        status: 'failed',
        ms: performance.now() - started,
        error: failure.detail ?? failure.message,
      });
      break;
    }
  }
  return results;
}
