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
    expect(names.slice(-3)).toEqual(['0006_realtime_aggregates', '0007_freshness', '0008_exact_realtime_aggregates']);
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

  it('puts ON CLUSTER on every DDL statement, views, ALTERs, DROPs and TRUNCATEs included', () => {
    expect(statements.length).toBeGreaterThan(CLICKHOUSE_MIGRATIONS.flatMap((m) => m.statements).length);
    const ddl = statements.filter((s) => !s.startsWith('INSERT'));
    for (const s of ddl) {
      expect(s).toMatch(/^(CREATE|ALTER|DROP|TRUNCATE) [A-Z ]+ reserve_hub\.\w+ ON CLUSTER hub_cluster( |$)/);
    }
    expect(statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))).toHaveLength(4);
    expect(statements.filter((s) => s.startsWith('ALTER TABLE'))).toHaveLength(4);
    expect(statements.filter((s) => s.startsWith('DROP TABLE IF EXISTS reserve_hub.'))).toHaveLength(2);
    // The truncations empty the local tables; the backfill (not DDL) goes through the
    // Distributed tables, which shard it as the writer would.
    expect(statements.filter((s) => s.startsWith('TRUNCATE'))).toEqual([
      'TRUNCATE TABLE IF EXISTS reserve_hub.stock_on_hand_agg_local ON CLUSTER hub_cluster',
      'TRUNCATE TABLE IF EXISTS reserve_hub.movements_daily_agg_local ON CLUSTER hub_cluster',
      'TRUNCATE TABLE IF EXISTS reserve_hub.movement_ids_local ON CLUSTER hub_cluster',
    ]);
    expect(statements.filter((s) => s.startsWith('INSERT'))).toEqual([
      'INSERT INTO reserve_hub.movement_ids SELECT id, location_id, product_id, lot_number, unit, quantity, movement_type, occurred_at, region_id FROM reserve_hub.stock_movements FINAL',
    ]);
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

  it('feeds each shard’s aggregate from its local movement ids (0006’s views on the movements dropped)', () => {
    const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views[0]).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS reserve_hub\.stock_on_hand_mv ON CLUSTER hub_cluster TO reserve_hub\.stock_on_hand_agg_local AS SELECT .* FROM reserve_hub\.stock_movements_local$/,
    );
    expect(views[1]).toContain('TO reserve_hub.movements_daily_agg_local');
    expect(views[2]).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS reserve_hub\.stock_on_hand_ids_mv ON CLUSTER hub_cluster TO reserve_hub\.stock_on_hand_agg_local AS SELECT .* FROM reserve_hub\.movement_ids_local$/,
    );
    expect(views[3]).toMatch(
      /TO reserve_hub\.movements_daily_agg_local AS SELECT .* FROM reserve_hub\.movement_ids_local$/,
    );
    const drops = statements.filter((s) => s.startsWith('DROP'));
    expect(drops).toEqual([
      'DROP TABLE IF EXISTS reserve_hub.stock_on_hand_mv ON CLUSTER hub_cluster',
      'DROP TABLE IF EXISTS reserve_hub.movements_daily_mv ON CLUSTER hub_cluster',
    ]);
    expect(statements.join('\n')).toContain(
      'Distributed(hub_cluster, reserve_hub, movement_ids_local, cityHash64(location_id))',
    );
  });

  it('prints a whole script, and refuses names that are not identifiers', () => {
    const script = clickhouseSchemaScript('reserve_hub', CLUSTER);
    expect(script).toContain('CREATE DATABASE IF NOT EXISTS reserve_hub ON CLUSTER hub_cluster;');
    expect(script).toContain('reserve_hub.hub_migrations_local ON CLUSTER hub_cluster');
    expect(script).toContain('-- 0007_freshness');
    expect(script).toContain('-- 0008_exact_realtime_aggregates');
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

  /** movements_daily_agg against FINAL, and the movement counts of both aggregates. */
  async function compareDaily(): Promise<{ agg: unknown[]; final: unknown[]; counts: number[] }> {
    const daily = async (table: string, count: string) =>
      (
        await (
          await client.query({
            query: `SELECT toString(day) AS d, region_id, movement_type, unit, ${count} AS n FROM ${table} GROUP BY d, region_id, movement_type, unit ORDER BY d, region_id, movement_type, unit`,
            format: 'JSONEachRow',
          })
        ).json()
      ).map((r) => JSON.stringify(r));
    const final = `(SELECT toDate(occurred_at) AS day, region_id, movement_type, unit, quantity FROM stock_movements FINAL)`;
    const counts = await Promise.all(
      ['SELECT sum(movements) AS n FROM stock_on_hand_agg', 'SELECT sum(movements) AS n FROM movements_daily_agg'].map(
        async (query) =>
          Number(((await (await client.query({ query, format: 'JSONEachRow' })).json()) as { n: string }[])[0]?.n),
      ),
    );
    return {
      agg: await daily('movements_daily_agg', "concat(toString(sum(movements)), '/', toString(sum(quantity_micro)))"),
      final: await daily(final, "concat(toString(count()), '/', toString(sum(toInt64(round(quantity * 1000000)))))"),
      counts,
    };
  }

  async function expectExact(movements: number): Promise<void> {
    const stock = await compareAggregates(client);
    expect(stock.agg.length).toBeGreaterThan(3);
    expect(stock.agg).toEqual(stock.final);
    const daily = await compareDaily();
    expect(daily.agg).toEqual(daily.final);
    expect(daily.counts).toEqual([movements, movements]);
    expect(await count(client, 'stock_movements FINAL')).toBe(movements);
  }

  it('equals the FINAL answer: a batch delivered twice, a duplicate inside a batch, a later redelivery', async () => {
    const all = movementsOf(MOVEMENTS);
    expect(all).toHaveLength(15);
    await w.insertRecords([...LOCATIONS, ...PRODUCTS]);
    const first = all.slice(0, 8);
    await w.insertRecords(first);
    await w.insertRecords(first); // the same batch delivered twice
    await expectExact(8);
    // A duplicate inside a batch (m09 twice), plus m02 redelivered in this later batch.
    await w.insertRecords([...all.slice(8), all[8] as CanonicalResource, all[1] as CanonicalResource]);
    await expectExact(15);
    // m02 (−250 water at souss-massa-wh1) counted once: 1000 − 250 − 300.
    const water = (await compareAggregates(client)).agg.find((r) => r.startsWith('souss-massa-wh1|water-5l||EA|'));
    expect(water).toBe('souss-massa-wh1|water-5l||EA|450000000');
    // Nothing but the first copies reached stock_movements: no redelivery was inserted.
    expect(await count(client, 'stock_movements')).toBe(15);
    expect(await count(client, 'movement_ids')).toBe(15);
  });

  it('stays exact when a crash fell between the movements insert and the ids insert', async () => {
    // What a writer that died after inserting into stock_movements left: the row, no id.
    const columns =
      'movement_type, occurred_at, occurred_at_ms, location_id, counterpart_id, product_id, gtin, lot_number, quantity, unit, reason, connector, source_system, source_id, source_hash, ingested_at, region_id, category';
    await client.command({
      query: `INSERT INTO stock_movements (id, ${columns}) SELECT 'm01-crash', ${columns} FROM stock_movements FINAL WHERE id = 'm01'`,
    });
    expect(await count(client, 'stock_movements FINAL')).toBe(16);
    expect((await compareDaily()).counts).toEqual([15, 15]); // not in the aggregates yet
    // The redelivery: inserted again (collapsing in FINAL), and recorded, once.
    const redelivered = { ...(MOVEMENTS[0] as CanonicalResource), id: 'm01-crash' };
    await w.insertRecords([redelivered]);
    await w.insertRecords([redelivered]);
    expect(await count(client, 'stock_movements')).toBe(17);
    await expectExact(16);
    // And after the merges.
    await client.command({ query: 'OPTIMIZE TABLE stock_movements FINAL' });
    expect(await count(client, 'stock_movements')).toBe(16);
    await expectExact(16);
  });

  it('rebuilds exact aggregates from FINAL when the step runs again after an interruption', async () => {
    const step = CLICKHOUSE_MIGRATIONS.find((m) => m.name === '0008_exact_realtime_aggregates');
    expect(step).toBeDefined();
    const admin = await createClickHouseClient({ url }, 'default');
    try {
      const again = await migrateClickHouse(admin, client, w.database, [
        { ...(step as (typeof CLICKHOUSE_MIGRATIONS)[number]), name: '0008_rerun' },
      ]);
      expect(again.find((s) => s.name === '0008_rerun')?.status).toBe('applied');
    } finally {
      await admin.close();
    }
    await expectExact(16);
    expect(await count(client, 'movement_ids')).toBe(16);
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
      for (let i = 0; i < 200 && (await count(client, 'movement_ids_local')) < 15; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      // The same batch again: its ids are found through the Distributed movement_ids (FINAL).
      await w.insertRecords(movementsOf(MOVEMENTS));
      await new Promise((r) => setTimeout(r, 500)); // anything forwarded would have arrived
      const { agg, final } = await compareAggregates(client);
      expect(agg.length).toBeGreaterThan(3);
      expect(agg).toEqual(final);
      expect(await count(client, 'stock_movements_local')).toBe(15);
      expect(await count(client, 'stock_movements')).toBe(15);
      expect(await count(client, 'movement_ids_local')).toBe(15);
    } finally {
      await w.close();
    }
  });
});
