import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalResource } from '../../core/ports/index.js';
import { describeWithService, randomName } from '../../test/services.js';
import { LOCATIONS, MOVEMENTS, PRODUCTS } from '../contract/scenario.js';
import { clickhouseCreateTable, RESOURCE_TABLE_NAMES, RESOURCE_TABLES } from '../sql/resource-tables.js';
import { createClickHouseClient } from './clickhouse-client.js';
import {
  CLICKHOUSE_MIGRATIONS,
  CLICKHOUSE_SCHEMA,
  clickhouseMigrations,
  clickhouseSchemaScript,
  migrateClickHouse,
} from './clickhouse-migrations.js';
import { ClickHouseWarehouse } from './clickhouse-warehouse.js';
import { renderDdl, type TableDef } from './cluster-ddl.js';

/** The single-node statements as released (git history of clickhouse-migrations.ts), verbatim. */
const RELEASED: Readonly<Record<string, readonly string[]>> = {
  '0001_entities': [
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
  '0002_stock_movements': [
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
  '0003_dead_letters': [
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
  '0005_movement_dimensions': [
    `ALTER TABLE stock_movements ADD COLUMN region_id String DEFAULT ''`,
    `ALTER TABLE stock_movements ADD COLUMN category String DEFAULT ''`,
  ],
};

/** Whitespace-insensitive form: the generator may indent differently, never say otherwise. */
const norm = (s: string): string =>
  s
    .replace(/\s+/g, ' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .replace(/ORDER BY \((\w+)\)/g, 'ORDER BY $1')
    .trim();

const CLUSTER = { cluster: 'hub_cluster', database: 'reserve_hub' };

const tables = (): TableDef[] =>
  CLICKHOUSE_SCHEMA.flatMap((s) => s.schema).filter((d): d is TableDef => d.kind === 'table');

describe('ClickHouse schema generator: single node', () => {
  it('renders exactly the released steps (no drift)', () => {
    for (const [name, statements] of Object.entries(RELEASED)) {
      const step = CLICKHOUSE_MIGRATIONS.find((m) => m.name === name);
      expect(step?.statements.map(norm), name).toEqual(statements.map(norm));
    }
    const resources = CLICKHOUSE_MIGRATIONS.find((m) => m.name === '0004_operational_resources');
    expect(resources?.statements.map(norm)).toEqual(
      RESOURCE_TABLE_NAMES.map((t) => norm(clickhouseCreateTable(RESOURCE_TABLES[t]))),
    );
    expect(CLICKHOUSE_MIGRATIONS.find((m) => m.name === '0005_movement_dimensions')?.alreadyDone).toEqual([15, 44]);
  });

  it('keeps step names sorted and unique, with the aggregates and freshness as new steps', () => {
    const names = CLICKHOUSE_MIGRATIONS.map((m) => m.name);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(-2)).toEqual(['0006_realtime_aggregates', '0007_freshness']);
  });

  it('maps every engine of the family', () => {
    const sqlOf = (name: string) => renderDdl(tables().find((t) => t.name === name) as TableDef)[0];
    expect(sqlOf('locations')).toContain('ENGINE = ReplacingMergeTree(version)');
    expect(sqlOf('stock_movements')).toContain('ENGINE = ReplacingMergeTree()');
    expect(sqlOf('stock_on_hand_agg')).toContain('ENGINE = SummingMergeTree((on_hand_micro, movements))');
    expect(sqlOf('freshness')).toContain('ENGINE = MergeTree()');
    const agg: TableDef = { ...tables()[0], name: 'a', engine: { kind: 'AggregatingMergeTree' } } as TableDef;
    expect(renderDdl(agg)[0]).toContain('ENGINE = AggregatingMergeTree()');
    expect(renderDdl(agg, CLUSTER)[0]).toContain(
      "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/reserve_hub.a', '{replica}')",
    );
  });
});

describe('ClickHouse schema generator: cluster', () => {
  const statements = clickhouseMigrations(CLUSTER).flatMap((m) => m.statements);

  it('puts ON CLUSTER on every statement, views and ALTERs included', () => {
    expect(statements.length).toBeGreaterThan(CLICKHOUSE_MIGRATIONS.flatMap((m) => m.statements).length);
    for (const s of statements) expect(s).toMatch(/^(CREATE|ALTER) [A-Z ]+ reserve_hub\.\w+ ON CLUSTER hub_cluster /);
    expect(statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))).toHaveLength(2);
    expect(statements.filter((s) => s.startsWith('ALTER TABLE'))).toHaveLength(4);
  });

  it('gives every table a Replicated local twin and a Distributed table under its own name', () => {
    for (const t of tables()) {
      const [local, distributed] = renderDdl(t, CLUSTER);
      const args = t.engine.kind === 'ReplacingMergeTree' && t.engine.version ? ', version' : '';
      expect(local).toContain(`CREATE TABLE IF NOT EXISTS reserve_hub.${t.name}_local ON CLUSTER hub_cluster (`);
      expect(local).toContain(
        `ENGINE = Replicated${t.engine.kind}('/clickhouse/tables/{shard}/reserve_hub.${t.name}', '{replica}'${args}`,
      );
      expect(distributed).toBe(
        `CREATE TABLE IF NOT EXISTS reserve_hub.${t.name} ON CLUSTER hub_cluster ${local?.slice(local.indexOf('('), local.indexOf('\n) ') + 2)} ENGINE = Distributed(hub_cluster, reserve_hub, ${t.name}_local, ${t.shardBy})`,
      );
    }
    expect(statements.join('\n')).toContain(
      'Distributed(hub_cluster, reserve_hub, stock_movements_local, cityHash64(location_id))',
    );
  });

  it('feeds each shard’s aggregate from its local movements', () => {
    const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views[0]).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS reserve_hub\.stock_on_hand_mv ON CLUSTER hub_cluster TO reserve_hub\.stock_on_hand_agg_local AS SELECT .* FROM reserve_hub\.stock_movements_local$/,
    );
    expect(views[1]).toContain('TO reserve_hub.movements_daily_agg_local');
  });

  it('prints a whole script, and refuses names that are not identifiers', () => {
    const script = clickhouseSchemaScript('reserve_hub', CLUSTER);
    expect(script).toContain('CREATE DATABASE IF NOT EXISTS reserve_hub ON CLUSTER hub_cluster;');
    expect(script).toContain('reserve_hub.hub_migrations_local ON CLUSTER hub_cluster');
    expect(script).toContain('-- 0007_freshness');
    expect(() => clickhouseMigrations({ cluster: 'x; DROP', database: 'd' })).toThrow(
      /HUB_CLICKHOUSE_CLUSTER must be a plain identifier/,
    );
  });
});

const movementsOf = (records: readonly CanonicalResource[]) =>
  records.filter((r) => r.resourceType === 'StockMovement');

/** The aggregate against FINAL, as (position → micro-units), through the names queries use. */
async function compareAggregates(client: ClickHouseClient): Promise<{ agg: string[]; final: string[] }> {
  const read = async (query: string) =>
    (await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()).map((r) =>
      Object.values(r).map(String).join('|'),
    );
  const agg = await read(
    `SELECT location_id, product_id, lot, unit, sum(on_hand_micro) AS q FROM stock_on_hand_agg
     GROUP BY location_id, product_id, lot, unit HAVING q <> 0 ORDER BY location_id, product_id, lot, unit`,
  );
  const final = await read(
    `SELECT location_id, product_id, ifNull(lot_number, '') AS lot, unit, sum(toInt64(round(quantity * 1000000))) AS q
     FROM stock_movements FINAL GROUP BY location_id, product_id, lot, unit HAVING q <> 0
     ORDER BY location_id, product_id, lot, unit`,
  );
  return { agg, final };
}

describeWithService('clickhouse', 'ClickHouse 18.16: real-time aggregates against FINAL', (url) => {
  const w = new ClickHouseWarehouse({ url, database: randomName('hub_agg') });
  let client: ClickHouseClient;
  beforeAll(async () => {
    await w.init();
    expect((await w.migrate()).every((s) => s.status !== 'failed')).toBe(true);
    client = await createClickHouseClient({ url }, w.database);
  });
  afterAll(async () => {
    await client?.close();
    await w.dropDatabase();
    await w.close();
  });

  it('equals the FINAL answer, then counts a redelivery across batches twice (the documented approximation)', async () => {
    await w.insertRecords([...LOCATIONS, ...PRODUCTS]);
    await w.insertRecords(movementsOf(MOVEMENTS).slice(0, 8));
    await w.insertRecords(movementsOf(MOVEMENTS).slice(8));
    const before = await compareAggregates(client);
    expect(before.agg.length).toBeGreaterThan(3);
    expect(before.agg).toEqual(before.final);
    const daily = async (table: string, count: string) =>
      (
        await (
          await client.query({
            query: `SELECT toString(day) AS d, region_id, movement_type, ${count} AS n FROM ${table} GROUP BY d, region_id, movement_type ORDER BY d, region_id, movement_type`,
            format: 'JSONEachRow',
          })
        ).json()
      ).map((r) => JSON.stringify(r));
    const dailyFinal = `(SELECT toDate(occurred_at) AS day, region_id, movement_type FROM stock_movements FINAL)`;
    expect(await daily('movements_daily_agg', 'sum(movements)')).toEqual(await daily(dailyFinal, 'count()'));

    // m02 (−250 water at souss-massa-wh1) delivered again in a later batch.
    await w.insertRecords([MOVEMENTS[1] as CanonicalResource]);
    const after = await compareAggregates(client);
    expect(after.final).toEqual(before.final);
    expect(after.agg).not.toEqual(after.final);
    const row = (rows: unknown, key: string) => (rows as string[]).find((r) => r.startsWith(key));
    const key = 'souss-massa-wh1|water-5l||EA|';
    const q = (r: string | undefined) => Number(r?.split('|')[4]);
    expect(q(row(after.agg, key)) - q(row(after.final, key))).toBe(-250_000_000);
  });
});

async function count(client: ClickHouseClient, table: string): Promise<number> {
  const rows = await (await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{
    n: string;
  }>();
  return Number(rows[0]?.n);
}

describeWithService('clickhouse', 'ClickHouse 18.16: the cluster topology on a one-node cluster', (url) => {
  // ON CLUSTER and Replicated* need ZooKeeper; the topology (local tables, Distributed tables,
  // views per shard) runs with plain engines on the server's one-node `hub_local` cluster.
  const database = randomName('hub_cluster');
  let admin: ClickHouseClient;
  let client: ClickHouseClient;
  let cluster: string | undefined;
  beforeAll(async () => {
    admin = await createClickHouseClient({ url }, 'default');
    const rows = await (
      await admin.query({
        query: 'SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster',
        format: 'JSONEachRow',
      })
    ).json<{ cluster: string }>();
    cluster = rows.find((r) => r.cluster === 'hub_local')?.cluster ?? rows[0]?.cluster;
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    client = await createClickHouseClient({ url }, database);
  });
  afterAll(async () => {
    await admin?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
    await admin?.close();
  });

  it('migrates, takes inserts through the Distributed tables, and aggregates per shard', async () => {
    expect(cluster, 'the server defines no remote_servers cluster').toBeDefined();
    const target = { cluster: cluster as string, database, replicated: false, onCluster: false };
    const steps = await migrateClickHouse(admin, client, database, clickhouseMigrations(target), target);
    expect(steps.map((s) => s.status)).toEqual(CLICKHOUSE_MIGRATIONS.map(() => 'applied'));
    const again = await migrateClickHouse(admin, client, database, clickhouseMigrations(target), target);
    expect(again.every((s) => s.status === 'skipped')).toBe(true);

    const w = new ClickHouseWarehouse({ url, database });
    await w.init();
    try {
      await w.insertRecords([...LOCATIONS, ...PRODUCTS, ...movementsOf(MOVEMENTS)]);
      // An insert into a Distributed table is forwarded to the shards in the background
      // (unless the profile sets insert_distributed_sync = 1): wait until all 15 arrived.
      for (let i = 0; i < 200 && (await count(client, 'stock_movements_local')) < 15; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const { agg, final } = await compareAggregates(client);
      expect(agg.length).toBeGreaterThan(3);
      expect(agg).toEqual(final);
      expect(await count(client, 'stock_movements_local')).toBe(15);
      expect(await count(client, 'stock_movements')).toBe(15);
    } finally {
      await w.close();
    }
  });
});
