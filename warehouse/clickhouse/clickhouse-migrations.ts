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
 * - Those real-time aggregates are exact under redelivery (step 0008): a view sees every
 *   insert, so the writer inserts a movement only if its id was never inserted before, and
 *   the views read `movement_ids` (the ids the writer inserted, with the columns the
 *   aggregates need), not `stock_movements`. The order and crash windows are explained at
 *   `ClickHouseWarehouse.insertRecords`.
 * - No `LowCardinality`, `DateTime64`, `Map`/JSON types (absent from 18.16): JSON documents
 *   are `String`, and times are `DateTime('UTC')` plus `occurred_at_ms UInt16` where the
 *   millisecond matters.
 *
 * The steps are definitions (`CLICKHOUSE_SCHEMA`) rendered by cluster-ddl.ts: as single-node
 * statements here (the exact text released steps ran, checked by cluster-ddl.test.ts), or as
 * the cluster variant (`ON CLUSTER`, `Replicated*`, `Distributed`) for `cluster` deployments.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { MigrationStepResult } from '../../core/ports/index.js';
import { FRESHNESS_COLUMNS } from '../freshness.js';
import { sql } from '../sql/literal.js';
import { RESOURCE_TABLE_NAMES, RESOURCE_TABLES, type TableSpec } from '../sql/resource-tables.js';
import { clickhouseError, clickhouseErrorCode } from './clickhouse-client.js';
import { type DdlTarget, renderCreateDatabase, renderDdl, type SchemaDef, type TableDef } from './cluster-ddl.js';

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

/** A migration step as definitions, rendered for one node or a cluster (cluster-ddl.ts). */
export interface ClickHouseSchemaStep {
  readonly name: string;
  readonly schema: readonly SchemaDef[];
  readonly alreadyDone?: readonly number[];
}

const CLICKHOUSE_TYPES: Readonly<Record<TableSpec['columns'][number][1], string>> = {
  string: 'String',
  nstring: 'Nullable(String)',
  float: 'Float64',
  nfloat: 'Nullable(Float64)',
  uint: 'UInt64',
  datetime: "DateTime('UTC')",
  ndatetime: "Nullable(DateTime('UTC'))",
  ndate: 'Nullable(Date)',
  strings: 'Array(String)',
  doc: 'String',
};

/** An operational table of resource-tables.ts (what `clickhouseCreateTable` renders). */
function resourceTable(spec: TableSpec): TableDef {
  return {
    kind: 'table',
    name: spec.name,
    columns: spec.columns.map(([name, type]) => [name, CLICKHOUSE_TYPES[type]] as const),
    engine: { kind: 'ReplacingMergeTree', version: 'version' },
    orderBy: spec.orderBy,
    shardBy: `cityHash64(${spec.key[0]})`,
  };
}

/** The columns of `movement_ids`: what the writer records per inserted movement. */
export const MOVEMENT_ID_COLUMNS = [
  'id',
  'location_id',
  'product_id',
  'lot_number',
  'unit',
  'quantity',
  'movement_type',
  'occurred_at',
  'region_id',
] as const;

const micro = (column: string) => `toInt64(round(${column} * 1000000))`;

/** The released steps and the new ones, as definitions. Never edit a released step. */
export const CLICKHOUSE_SCHEMA: readonly ClickHouseSchemaStep[] = [
  {
    name: '0001_entities',
    schema: [
      {
        kind: 'table',
        name: 'locations',
        columns: [
          ['id', 'String'],
          ['kind', 'String'],
          ['name_fr', 'String'],
          ['name_ar', 'String'],
          ['region_id', 'String'],
          ['parent_id', 'Nullable(String)'],
          ['gln', 'Nullable(String)'],
          ['latitude', 'Nullable(Float64)'],
          ['longitude', 'Nullable(Float64)'],
          ['version', 'UInt64'],
          ['doc', 'String'],
        ],
        engine: { kind: 'ReplacingMergeTree', version: 'version' },
        orderBy: ['id'],
        shardBy: 'cityHash64(id)',
      },
      {
        kind: 'table',
        name: 'products',
        columns: [
          ['id', 'String'],
          ['sku', 'Nullable(String)'],
          ['gtin', 'Nullable(String)'],
          ['name_fr', 'String'],
          ['name_ar', 'Nullable(String)'],
          ['name_en', 'Nullable(String)'],
          ['category', 'String'],
          ['unit', 'Nullable(String)'],
          ['storage_class', 'Nullable(String)'],
          ['criticality', 'Nullable(String)'],
          ['version', 'UInt64'],
          ['doc', 'String'],
        ],
        engine: { kind: 'ReplacingMergeTree', version: 'version' },
        orderBy: ['id'],
        shardBy: 'cityHash64(id)',
      },
      {
        kind: 'table',
        name: 'lots',
        columns: [
          ['id', 'String'],
          ['product_id', 'Nullable(String)'],
          ['gtin', 'Nullable(String)'],
          ['lot_number', 'Nullable(String)'],
          ['expiry', 'Nullable(Date)'],
          ['manufactured', 'Nullable(Date)'],
          ['version', 'UInt64'],
          ['doc', 'String'],
        ],
        engine: { kind: 'ReplacingMergeTree', version: 'version' },
        orderBy: ['id'],
        shardBy: 'cityHash64(id)',
      },
      {
        kind: 'table',
        name: 'resources',
        columns: [
          ['resource_type', 'String'],
          ['id', 'String'],
          ['version', 'UInt64'],
          ['doc', 'String'],
        ],
        engine: { kind: 'ReplacingMergeTree', version: 'version' },
        orderBy: ['resource_type', 'id'],
        shardBy: 'cityHash64(resource_type, id)',
      },
    ],
  },
  {
    name: '0002_stock_movements',
    schema: [
      {
        kind: 'table',
        name: 'stock_movements',
        columns: [
          ['id', 'String'],
          ['movement_type', 'String'],
          ['occurred_at', "DateTime('UTC')"],
          ['occurred_at_ms', 'UInt16'],
          ['location_id', 'String'],
          ['counterpart_id', 'Nullable(String)'],
          ['product_id', 'String'],
          ['gtin', 'Nullable(String)'],
          ['lot_number', 'Nullable(String)'],
          ['quantity', 'Float64'],
          ['unit', 'String'],
          ['reason', 'Nullable(String)'],
          ['connector', 'String'],
          ['source_system', 'String'],
          ['source_id', 'String'],
          ['source_hash', 'String'],
          ['ingested_at', "DateTime('UTC')"],
        ],
        engine: { kind: 'ReplacingMergeTree' },
        partitionBy: 'toYYYYMM(occurred_at)',
        orderBy: ['location_id', 'product_id', 'occurred_at', 'id'],
        // A location's whole ledger on one shard: a redelivery meets its first copy, and the
        // stock aggregates of a position are per shard.
        shardBy: 'cityHash64(location_id)',
      },
    ],
  },
  {
    name: '0003_dead_letters',
    schema: [
      // Not partitioned by time: a dead letter re-read after a crash fails at a new time, and
      // must still meet its first copy (same id) in the same partition to collapse.
      {
        kind: 'table',
        name: 'dead_letters',
        columns: [
          ['id', 'String'],
          ['connector', 'String'],
          ['stream', 'String'],
          ['source_id', 'Nullable(String)'],
          ['resource_type', 'Nullable(String)'],
          ['errors', 'String'],
          ['payload', 'String'],
          ['failed_at', "DateTime('UTC')"],
        ],
        engine: { kind: 'ReplacingMergeTree' },
        orderBy: ['connector', 'stream', 'id'],
        shardBy: 'cityHash64(id)',
      },
    ],
  },
  {
    // Requests, shipments (lines, status history), incidents, equipment, maintenance events,
    // stock snapshots, organizations: one table each, generated from the specs of
    // warehouse/sql/resource-tables.ts (the same columns in both engines).
    name: '0004_operational_resources',
    schema: RESOURCE_TABLE_NAMES.map((t) => resourceTable(RESOURCE_TABLES[t])),
  },
  {
    // Dimensions denormalized into the movements at ingest (DESIGN.md §5): the region of the
    // location and the category of the product, as stored when the movement arrives. Rows
    // stored before this step keep '' (18.16 cannot backfill by lookup).
    name: '0005_movement_dimensions',
    schema: [
      { kind: 'add-column', table: 'stock_movements', column: `region_id String DEFAULT ''` },
      { kind: 'add-column', table: 'stock_movements', column: `category String DEFAULT ''` },
    ],
    alreadyDone: [15, 44],
  },
  {
    // Real-time aggregates fed by materialized views on every insert into stock_movements
    // (docs/kpis.md: stock_on_hand_live, movements_daily). A view sees inserts, not merges:
    // a movement redelivered in a later batch (at-least-once) is added twice here, while
    // `stock_movements FINAL` counts it once. As released, these tables were the fast but
    // approximate dashboard source, and rows inserted before this step were not in them.
    // Step 0008 replaces these views, rebuilds the tables, and makes them exact.
    name: '0006_realtime_aggregates',
    schema: [
      {
        kind: 'table',
        name: 'stock_on_hand_agg',
        columns: [
          ['location_id', 'String'],
          ['product_id', 'String'],
          ['lot', 'String'],
          ['unit', 'String'],
          ['on_hand_micro', 'Int64'],
          ['movements', 'UInt64'],
        ],
        engine: { kind: 'SummingMergeTree', columns: ['on_hand_micro', 'movements'] },
        orderBy: ['location_id', 'product_id', 'lot', 'unit'],
        shardBy: 'cityHash64(location_id)',
      },
      {
        kind: 'materialized-view',
        name: 'stock_on_hand_mv',
        to: 'stock_on_hand_agg',
        from: 'stock_movements',
        select: (from) =>
          `SELECT location_id, product_id, ifNull(lot_number, '') AS lot, unit, ${micro('quantity')} AS on_hand_micro, toUInt64(1) AS movements FROM ${from}`,
      },
      {
        kind: 'table',
        name: 'movements_daily_agg',
        columns: [
          ['day', 'Date'],
          ['region_id', 'String'],
          ['movement_type', 'String'],
          ['unit', 'String'],
          ['movements', 'UInt64'],
          ['quantity_micro', 'Int64'],
        ],
        engine: { kind: 'SummingMergeTree', columns: ['movements', 'quantity_micro'] },
        partitionBy: 'toYYYYMM(day)',
        orderBy: ['day', 'region_id', 'movement_type', 'unit'],
        shardBy: 'cityHash64(region_id)',
      },
      {
        kind: 'materialized-view',
        name: 'movements_daily_mv',
        to: 'movements_daily_agg',
        from: 'stock_movements',
        select: (from) =>
          `SELECT toDate(occurred_at) AS day, region_id, movement_type, unit, toUInt64(1) AS movements, ${micro('quantity')} AS quantity_micro FROM ${from}`,
      },
    ],
  },
  {
    // Freshness per connector and source (warehouse/freshness.ts): rows that add up.
    name: '0007_freshness',
    schema: [
      {
        kind: 'table',
        name: 'freshness',
        columns: FRESHNESS_COLUMNS.map(([name, type]) => [name, type] as const),
        engine: { kind: 'MergeTree' },
        partitionBy: 'toYYYYMM(minute)',
        orderBy: ['connector', 'source_system', 'minute'],
        shardBy: 'cityHash64(connector, source_system)',
      },
    ],
  },
  {
    // Exact real-time aggregates under redelivery (issue 5 §3). The writer
    // (ClickHouseWarehouse.insertRecords) now inserts into stock_movements only movements
    // whose id is not in `movement_ids`, then records them there; that second insert is the
    // commit point, and the views feeding the aggregates move onto it. A movement whose
    // stock_movements insert ran but whose `movement_ids` insert did not (a crash between the
    // two) is inserted again on redelivery: it collapses in `stock_movements FINAL`, and the
    // aggregates see it once, from `movement_ids`.
    // The 0006 views are dropped first (never two feeds at once), then the aggregates are
    // rebuilt from `stock_movements FINAL` through the new views: truncating before filling
    // keeps the step idempotent if it is interrupted and runs again. Run it with the sinks
    // stopped (`hub migrate`): a batch landing between the truncation and the fill would be
    // counted twice, and one landing with the old views gone but the new ones not yet there,
    // not at all.
    name: '0008_exact_realtime_aggregates',
    schema: [
      { kind: 'drop', name: 'stock_on_hand_mv' },
      { kind: 'drop', name: 'movements_daily_mv' },
      {
        kind: 'table',
        name: 'movement_ids',
        columns: [
          ['id', 'String'],
          ['location_id', 'String'],
          ['product_id', 'String'],
          ['lot_number', 'Nullable(String)'],
          ['unit', 'String'],
          ['quantity', 'Float64'],
          ['movement_type', 'String'],
          ['occurred_at', "DateTime('UTC')"],
          ['region_id', 'String'],
        ],
        engine: { kind: 'ReplacingMergeTree' },
        orderBy: ['id'],
        // With the movement's own rows and aggregates (stock_movements, stock_on_hand_agg).
        shardBy: 'cityHash64(location_id)',
      },
      {
        kind: 'materialized-view',
        name: 'stock_on_hand_ids_mv',
        to: 'stock_on_hand_agg',
        from: 'movement_ids',
        select: (from) =>
          `SELECT location_id, product_id, ifNull(lot_number, '') AS lot, unit, ${micro('quantity')} AS on_hand_micro, toUInt64(1) AS movements FROM ${from}`,
      },
      {
        kind: 'materialized-view',
        name: 'movements_daily_ids_mv',
        to: 'movements_daily_agg',
        from: 'movement_ids',
        select: (from) =>
          `SELECT toDate(occurred_at) AS day, region_id, movement_type, unit, toUInt64(1) AS movements, ${micro('quantity')} AS quantity_micro FROM ${from}`,
      },
      { kind: 'truncate', table: 'stock_on_hand_agg' },
      { kind: 'truncate', table: 'movements_daily_agg' },
      { kind: 'truncate', table: 'movement_ids' },
      {
        kind: 'fill',
        table: 'movement_ids',
        from: 'stock_movements',
        select: (from) => `SELECT ${MOVEMENT_ID_COLUMNS.join(', ')} FROM ${from} FINAL`,
      },
    ],
  },
];

/** The migrations as statements for a target: one node (default) or a cluster. */
export function clickhouseMigrations(target: DdlTarget = {}): ClickHouseMigration[] {
  return CLICKHOUSE_SCHEMA.map((step) => ({
    name: step.name,
    statements: step.schema.flatMap((def) => renderDdl(def, target)),
    ...(step.alreadyDone === undefined ? {} : { alreadyDone: step.alreadyDone }),
  }));
}

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = clickhouseMigrations();

const HUB_MIGRATIONS_TABLE: TableDef = {
  kind: 'table',
  name: 'hub_migrations',
  columns: [
    ['name', 'String'],
    ['applied_at', "DateTime('UTC')"],
    ['ms', 'Float64'],
  ],
  engine: { kind: 'ReplacingMergeTree' },
  orderBy: ['name'],
  shardBy: 'cityHash64(name)',
};

/**
 * The whole schema as one script for a target (`hub migrate --cluster <name> --print`):
 * the database, `hub_migrations`, then every step, each statement ending with `;`.
 */
export function clickhouseSchemaScript(database: string, target: DdlTarget = {}): string {
  const lines = [`-- Reserve Hub ClickHouse schema${target.cluster ? ` for cluster ${target.cluster}` : ''}`];
  lines.push(`${renderCreateDatabase(database, target)};`, '');
  lines.push(...renderDdl(HUB_MIGRATIONS_TABLE, target).map((s) => `${s};\n`));
  for (const step of clickhouseMigrations(target)) {
    lines.push(`-- ${step.name}`, ...step.statements.map((s) => `${s};\n`));
  }
  return `${lines.join('\n')}\n`;
}

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
  target: DdlTarget = {},
): Promise<MigrationStepResult[]> {
  let applied: Set<string>;
  try {
    await admin.command({ query: renderCreateDatabase(database, target) });
    for (const statement of renderDdl(HUB_MIGRATIONS_TABLE, target)) await client.command({ query: statement });
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
