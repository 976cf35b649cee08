/**
 * The ClickHouse schema described once, rendered two ways:
 *
 * - **single node** (what `migrateClickHouse` runs by default): `CREATE TABLE IF NOT EXISTS t …`
 *   with the table's own engine, in the client's current database;
 * - **cluster**: every statement `ON CLUSTER <cluster>` and database-qualified (distributed DDL
 *   runs on every host, whatever its current database). A table `t` becomes a local table
 *   `t_local` with the `Replicated*` twin of its engine
 *   (`ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/<db>.t', '{replica}', version)`)
 *   plus a `Distributed(<cluster>, <db>, t_local, <sharding key>)` table named `t`, so the
 *   queries, the writer and the KPIs keep using `t`. A materialized view reads `src_local` and
 *   writes `agg_local` on each shard; the Distributed `agg` sums the shards at read time.
 *
 * Sharding keys keep together the rows that must meet: the copies of a redelivered row (same
 * key, so ReplacingMergeTree collapses them on one shard) and, for movements, a location's
 * whole ledger (`cityHash64(location_id)`), so FINAL and the stock aggregates stay per shard.
 * `movement_ids` (the writer's record of the movement ids it inserted, which feeds the exact
 * real-time aggregates: clickhouse-migrations.ts 0008) is sharded the same way, so a movement's
 * id, its row and its aggregate contribution share one shard.
 *
 * The hub's user profile on a cluster should set `insert_distributed_sync = 1` (an INSERT into a
 * Distributed table is otherwise acknowledged before the shards have it: the sink would commit
 * offsets, and measure freshness, too early) and, on more than one shard,
 * `distributed_product_mode = 'global'` (the KPIs join two Distributed tables).
 *
 * `replicated: false` and `onCluster: false` render the same topology with plain engines and
 * without distributed DDL: for a cluster without ZooKeeper, such as one-node test clusters.
 */
import { HubError } from '../../core/errors/index.js';

/** A table engine of the MergeTree family, as the single-node variant spells it. */
export type TableEngine =
  | { readonly kind: 'MergeTree' }
  /** `version`: the column whose highest value survives; none = the last inserted row. */
  | { readonly kind: 'ReplacingMergeTree'; readonly version?: string }
  /** `columns`: the columns summed; none = every numeric column outside the sorting key. */
  | { readonly kind: 'SummingMergeTree'; readonly columns?: readonly string[] }
  | { readonly kind: 'AggregatingMergeTree' };

export interface TableDef {
  readonly kind: 'table';
  readonly name: string;
  /** Column name → ClickHouse type (with its DEFAULT, if any). */
  readonly columns: readonly (readonly [name: string, type: string])[];
  readonly engine: TableEngine;
  readonly partitionBy?: string;
  readonly orderBy: readonly string[];
  /** The Distributed table's sharding key in the cluster variant. */
  readonly shardBy: string;
}

export interface AddColumnDef {
  readonly kind: 'add-column';
  readonly table: string;
  /** `name Type [DEFAULT …]`. */
  readonly column: string;
}

export interface MaterializedViewDef {
  readonly kind: 'materialized-view';
  readonly name: string;
  /** The table the view writes to (a `TableDef` of the same schema). */
  readonly to: string;
  /** The table whose inserts feed the view. */
  readonly from: string;
  /** The view's query, given the table it reads (`from`, or its local twin in a cluster). */
  select(from: string): string;
}

/** Drops a materialized view (or table) if it exists: `DROP TABLE IF EXISTS`. */
export interface DropDef {
  readonly kind: 'drop';
  readonly name: string;
}

/** Empties a table (its local twin in a cluster). With `fill`, a step rebuilds a table idempotently. */
export interface TruncateDef {
  readonly kind: 'truncate';
  readonly table: string;
}

/**
 * `INSERT INTO table SELECT …`: a backfill through the names the queries use (the Distributed
 * tables in a cluster, which shard the rows as the writer would). Not distributed DDL: it runs
 * once, on the node the migration talks to.
 */
export interface FillDef {
  readonly kind: 'fill';
  readonly table: string;
  /** The table read (its Distributed table in a cluster). */
  readonly from: string;
  select(from: string): string;
}

export type SchemaDef = TableDef | AddColumnDef | MaterializedViewDef | DropDef | TruncateDef | FillDef;

/** How to render. Absent `cluster`: single node. */
export interface DdlTarget {
  /** Cluster name of `remote_servers`; absent for the single-node variant. */
  readonly cluster?: string;
  /** Database the cluster statements qualify names with. Required with `cluster`. */
  readonly database?: string;
  /** Cluster only: `Replicated*` engines (need ZooKeeper). Default true. */
  readonly replicated?: boolean;
  /** Cluster only: `ON CLUSTER` on every statement (distributed DDL, needs ZooKeeper). Default true. */
  readonly onCluster?: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws `HUB_ERR_CONFIG_INVALID` for a name that is not a plain identifier. */
function identifier(name: string, what: 'cluster' | 'database'): string {
  if (!IDENTIFIER.test(name)) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', {
      variable: what === 'cluster' ? 'HUB_CLICKHOUSE_CLUSTER' : 'HUB_CLICKHOUSE_DATABASE',
      reason: 'must be a plain identifier (letters, digits, _)',
    });
  }
  return name;
}

function engineArgs(engine: TableEngine): string[] {
  switch (engine.kind) {
    case 'ReplacingMergeTree':
      return engine.version === undefined ? [] : [engine.version];
    case 'SummingMergeTree':
      return engine.columns === undefined ? [] : [`(${engine.columns.join(', ')})`];
    default:
      return [];
  }
}

function engineSql(engine: TableEngine, replicatedPath?: string): string {
  const args = engineArgs(engine);
  if (replicatedPath === undefined) return `${engine.kind}(${args.join(', ')})`;
  return `Replicated${engine.kind}(${[`'${replicatedPath}'`, `'{replica}'`, ...args].join(', ')})`;
}

function tableBody(def: TableDef): string {
  return `(\n  ${def.columns.map(([name, type]) => `${name} ${type}`).join(',\n  ')}\n)`;
}

function storage(def: TableDef, engine: string): string {
  const partition = def.partitionBy === undefined ? '' : `\nPARTITION BY ${def.partitionBy}`;
  return `ENGINE = ${engine}${partition}\nORDER BY ${def.orderBy.length === 1 ? def.orderBy[0] : `(${def.orderBy.join(', ')})`}`;
}

/** The statements of one definition, for a target. Each is sent alone. */
export function renderDdl(def: SchemaDef, target: DdlTarget = {}): string[] {
  if (target.cluster === undefined) {
    switch (def.kind) {
      case 'table':
        return [`CREATE TABLE IF NOT EXISTS ${def.name} ${tableBody(def)} ${storage(def, engineSql(def.engine))}`];
      case 'add-column':
        return [`ALTER TABLE ${def.table} ADD COLUMN ${def.column}`];
      case 'materialized-view':
        return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${def.name} TO ${def.to} AS ${def.select(def.from)}`];
      case 'drop':
        return [`DROP TABLE IF EXISTS ${def.name}`];
      case 'truncate':
        return [`TRUNCATE TABLE IF EXISTS ${def.table}`];
      case 'fill':
        return [`INSERT INTO ${def.table} ${def.select(def.from)}`];
    }
  }
  const cluster = identifier(target.cluster, 'cluster');
  const db = identifier(target.database ?? '', 'database');
  const on = target.onCluster === false ? '' : ` ON CLUSTER ${cluster}`;
  const local = (name: string) => `${db}.${name}_local`;
  switch (def.kind) {
    case 'table': {
      const path = target.replicated === false ? undefined : `/clickhouse/tables/{shard}/${db}.${def.name}`;
      return [
        `CREATE TABLE IF NOT EXISTS ${local(def.name)}${on} ${tableBody(def)} ${storage(def, engineSql(def.engine, path))}`,
        `CREATE TABLE IF NOT EXISTS ${db}.${def.name}${on} ${tableBody(def)} ENGINE = Distributed(${cluster}, ${db}, ${def.name}_local, ${def.shardBy})`,
      ];
    }
    case 'add-column':
      // The local table first: the Distributed one only mirrors its columns.
      return [
        `ALTER TABLE ${local(def.table)}${on} ADD COLUMN ${def.column}`,
        `ALTER TABLE ${db}.${def.table}${on} ADD COLUMN ${def.column}`,
      ];
    case 'materialized-view':
      return [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${def.name}${on} TO ${local(def.to)} AS ${def.select(local(def.from))}`,
      ];
    case 'drop':
      return [`DROP TABLE IF EXISTS ${db}.${def.name}${on}`];
    case 'truncate':
      return [`TRUNCATE TABLE IF EXISTS ${local(def.table)}${on}`];
    case 'fill':
      return [`INSERT INTO ${db}.${def.table} ${def.select(`${db}.${def.from}`)}`];
  }
}

/** `CREATE DATABASE` for a target (the cluster variant creates it on every host). */
export function renderCreateDatabase(database: string, target: DdlTarget = {}): string {
  const on =
    target.cluster === undefined || target.onCluster === false
      ? ''
      : ` ON CLUSTER ${identifier(target.cluster, 'cluster')}`;
  return `CREATE DATABASE IF NOT EXISTS ${identifier(database, 'database')}${on}`;
}
