/**
 * The distributed-mode warehouse on ClickHouse over HTTP: `Warehouse` (lifecycle, migrations,
 * health), `WarehouseQuery` for the API and `WarehouseWriter` for the Kafka sink.
 *
 * Writes are at-least-once and idempotent on the canonical id (ReplacingMergeTree, read with
 * FINAL: see clickhouse-migrations.ts). Rows are sent as JSONEachRow with
 * `input_format_skip_unknown_fields=1`, one INSERT per table.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { HubError, migrationFailure } from '../../core/errors/index.js';
import type {
  CanonicalResource,
  CanonicalResourceDoc,
  ComponentHealth,
  DeadLetter,
  DeadLetterEntry,
  EntityKind,
  ExportChunk,
  ExportDataset,
  ExportFilter,
  ExportOptions,
  ExportQuery,
  ExportStream,
  KpiOptions,
  KpiQuery,
  KpiRow,
  ListQuery,
  LocationFilter,
  LocationRow,
  LotSummary,
  LotTraceStep,
  MigrationStepResult,
  MovementEntry,
  Page,
  ShipmentStatusEvent,
  StockFilter,
  StockRow,
  Warehouse,
  WarehouseWriter,
} from '../../core/ports/index.js';
import { type FreshnessRow, freshnessJson } from '../freshness.js';
import { kpiSql, planKpi, toKpiRows } from '../kpis/kpi-definitions.js';
import { clickhouseKpi } from '../kpis/kpi-dialect.js';
import { exportChunkRows, exportColumns, exportSql, toExportValue } from '../sql/export-queries.js';
import { type SqlFragment, sql, sqlIdentifier, sqlList } from '../sql/literal.js';
import {
  clickhouseResourceSql,
  getDeadLetterSql,
  getEntitySql,
  listDeadLettersSql,
  listEntitiesSql,
  listMovementsSql,
  lotRecordSql,
  lotStockSql,
  lotTraceSql,
  maintenanceEventsSql,
  shipmentHistorySql,
  toDeadLetterEntry,
  toEntityDoc,
  toLotSummary,
  toLotTraceStep,
  toMovementEntry,
  toPage,
  toShipmentStatusEvent,
} from '../sql/resource-queries.js';
import {
  type DeadLetterDbRow,
  type MovementDbRow,
  type RecordRows,
  toDeadLetterRows,
  toRecordRows,
} from '../sql/resource-rows.js';
import {
  clickhouseRowJson,
  RESOURCE_TABLE_NAMES,
  RESOURCE_TABLES,
  shipmentLocationIds,
  withShipmentRegions,
} from '../sql/resource-tables.js';
import {
  clickhouseSql,
  listLocationsSql,
  stockOnHandSql,
  toLocationRow,
  toStockRow,
} from '../sql/warehouse-queries.js';
import {
  CLICKHOUSE_DEFAULT_DATABASE,
  type ClickHouseConnectionOptions,
  clickhouseError,
  createClickHouseClient,
} from './clickhouse-client.js';
import { clickhouseMigrations, MOVEMENT_ID_COLUMNS, migrateClickHouse } from './clickhouse-migrations.js';

export interface ClickHouseWarehouseOptions extends ClickHouseConnectionOptions {
  /**
   * Apply pending migrations in `init()`. Default `false`: in the distributed mode many hub
   * processes share the database, and migrations run once, by a command.
   */
  readonly migrateOnInit?: boolean;
  /**
   * Name of a `remote_servers` cluster: `migrate()` then runs the cluster variant of the
   * schema (`ON CLUSTER`, `Replicated*` local tables, `Distributed` tables under the names the
   * queries use; cluster-ddl.ts). Default: none, a single node.
   */
  readonly cluster?: string;
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, as ClickHouse's DateTime('UTC') reads it. */
function dateTimeText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

// A batch's movements mostly share their ingest time (and often their second): one-entry cache.
let lastDateTimeMs = Number.NaN;
let lastDateTimeText = '';
function cachedDateTimeText(ms: number): string {
  const second = ms - (((ms % 1000) + 1000) % 1000);
  if (second !== lastDateTimeMs) {
    lastDateTimeText = dateTimeText(second);
    lastDateTimeMs = second;
  }
  return lastDateTimeText;
}

/** A `stock_movements` row as JSONEachRow reads it, with the dimensions denormalized at ingest. */
function movementJson(row: MovementDbRow, regionId: string, category: string): Record<string, unknown> {
  return {
    ...row,
    occurred_at: dateTimeText(row.occurred_at),
    occurred_at_ms: row.occurred_at % 1000,
    ingested_at: cachedDateTimeText(row.ingested_at),
    region_id: regionId,
    category,
  };
}

/** The `movement_ids` columns (MOVEMENT_ID_COLUMNS) of a `movementJson` row. */
function movementIdJson(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of MOVEMENT_ID_COLUMNS) out[column] = row[column];
  return out;
}

function deadLetterJson(row: DeadLetterDbRow): Record<string, unknown> {
  return { ...row, failed_at: dateTimeText(row.failed_at) };
}

export class ClickHouseWarehouse implements Warehouse, WarehouseWriter, KpiQuery, ExportQuery {
  readonly engine = 'clickhouse';
  readonly database: string;
  readonly #options: ClickHouseWarehouseOptions;
  #client: ClickHouseClient | undefined;
  #opening: Promise<void> | undefined;

  constructor(options: ClickHouseWarehouseOptions) {
    this.#options = options;
    this.database = options.database ?? CLICKHOUSE_DEFAULT_DATABASE;
    sqlIdentifier(this.database); // refuses a name that is not a plain identifier, early
  }

  /** Creates the HTTP client and checks that the server answers. Idempotent. */
  init(): Promise<void> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const client = await createClickHouseClient(this.#options, this.database);
    const ping = await client.ping();
    if (!ping.success) {
      await client.close();
      throw clickhouseError(ping.error, `ping ${this.#options.url}`);
    }
    this.#client = client;
    if (this.#options.migrateOnInit !== true) return;
    const failure = migrationFailure(await this.migrate(), 'clickhouse');
    if (failure !== undefined) {
      await this.close();
      throw failure;
    }
  }

  /** Closes the HTTP client. Idempotent. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#opening = undefined;
    if (client !== undefined) await client.close();
  }

  #require(): ClickHouseClient {
    if (this.#client === undefined) {
      throw new HubError('HUB_ERR_WAREHOUSE_CLOSED', { engine: 'clickhouse' });
    }
    return this.#client;
  }

  async migrate(): Promise<MigrationStepResult[]> {
    const client = this.#require();
    // The database may not exist yet, and a client bound to it would be refused: create it
    // through a client bound to `default`.
    const admin = await createClickHouseClient(this.#options, 'default');
    try {
      const cluster = this.#options.cluster;
      if (cluster === undefined) return await migrateClickHouse(admin, client, this.database);
      const target = { cluster, database: this.database };
      return await migrateClickHouse(admin, client, this.database, clickhouseMigrations(target), target);
    } finally {
      await admin.close();
    }
  }

  async health(): Promise<ComponentHealth> {
    if (this.#client === undefined) return { status: 'down', detail: 'not open' };
    try {
      const rows = await this.#rows('health', 'SELECT version() AS version');
      return { status: 'up', engine: 'clickhouse', version: String(rows[0]?.version ?? '') };
    } catch (error) {
      return { status: 'down', detail: clickhouseError(error, 'health').message };
    }
  }

  /** Drops the database and everything in it. For tests' per-run databases. */
  async dropDatabase(): Promise<void> {
    this.#require();
    const admin = await createClickHouseClient(this.#options, 'default');
    try {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(this.database).toSql('clickhouse')}` });
    } catch (error) {
      throw clickhouseError(error, `drop database ${this.database}`);
    } finally {
      await admin.close();
    }
  }

  // --- WarehouseQuery ------------------------------------------------------------------------

  async listLocations(filter: LocationFilter): Promise<LocationRow[]> {
    return (await this.#rows('list locations', listLocationsSql(clickhouseSql, filter))).map(toLocationRow);
  }

  async stockOnHand(filter: StockFilter): Promise<StockRow[]> {
    return (await this.#rows('stock on hand', stockOnHandSql(clickhouseSql, filter))).map(toStockRow);
  }

  /** A KPI of warehouse/kpis (docs/kpis.md). Throws `HUB_ERR_KPI_REQUEST` for an unknown KPI or dimension. */
  async kpi(name: string, options?: KpiOptions): Promise<KpiRow[]> {
    const plan = planKpi(name, options);
    return toKpiRows(plan, await this.#rows(`kpi ${name}`, kpiSql(clickhouseKpi, plan)));
  }

  // --- ResourceQuery (SQL in warehouse/sql/resource-queries.ts, shared with DuckDB) ----------

  async listEntities(kind: EntityKind, query: ListQuery): Promise<Page<CanonicalResourceDoc>> {
    const plan = listEntitiesSql(clickhouseResourceSql, kind, query);
    return toPage(plan, await this.#rows(`list ${kind}`, plan.sql), toEntityDoc);
  }

  async getEntity(
    kind: EntityKind,
    id: string,
    regions?: readonly string[] | null,
  ): Promise<CanonicalResourceDoc | undefined> {
    const rows = await this.#rows(`get ${kind}`, getEntitySql(clickhouseResourceSql, kind, id, regions));
    return rows.map(toEntityDoc)[0];
  }

  async listDeadLetters(query: ListQuery): Promise<Page<DeadLetterEntry>> {
    const plan = listDeadLettersSql(clickhouseResourceSql, query);
    return toPage(plan, await this.#rows('list dead letters', plan.sql), toDeadLetterEntry);
  }

  async getDeadLetter(id: string): Promise<DeadLetterEntry | undefined> {
    return (await this.#rows('get dead letter', getDeadLetterSql(clickhouseResourceSql, id))).map(toDeadLetterEntry)[0];
  }

  async listMovements(query: ListQuery): Promise<Page<MovementEntry>> {
    const plan = listMovementsSql(clickhouseResourceSql, query);
    return toPage(plan, await this.#rows('list movements', plan.sql), toMovementEntry);
  }

  async getLot(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotSummary | undefined> {
    const [record, stock] = await Promise.all([
      this.#rows('lot record', lotRecordSql(clickhouseResourceSql, gtin, lotNumber)),
      this.#rows('lot stock', lotStockSql(clickhouseResourceSql, gtin, lotNumber, regions)),
    ]);
    return toLotSummary(gtin, lotNumber, record, stock);
  }

  async lotTrace(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotTraceStep[]> {
    return (await this.#rows('lot trace', lotTraceSql(clickhouseResourceSql, gtin, lotNumber, regions))).map(
      toLotTraceStep,
    );
  }

  async shipmentHistory(id: string): Promise<ShipmentStatusEvent[]> {
    return (await this.#rows('shipment history', shipmentHistorySql(clickhouseResourceSql, id))).map(
      toShipmentStatusEvent,
    );
  }

  async listMaintenanceEvents(equipmentId: string): Promise<CanonicalResourceDoc[]> {
    return (await this.#rows('maintenance events', maintenanceEventsSql(clickhouseResourceSql, equipmentId))).map(
      toEntityDoc,
    );
  }

  /**
   * Streams an export (warehouse/sql/export-queries.ts) as JSONEachRow over one HTTP response
   * (18.16 has no Arrow output). The response is read only as fast as chunks are asked for, so
   * TCP backpressure holds the server back; ending the iteration early aborts the request.
   */
  async exportRows(dataset: ExportDataset, filter: ExportFilter, options?: ExportOptions): Promise<ExportStream> {
    const client = this.#require();
    const query = exportSql(clickhouseSql, dataset, filter, options?.regions).toSql('clickhouse');
    const columns = exportColumns(dataset);
    const size = exportChunkRows(options);
    let result: Awaited<ReturnType<ClickHouseClient['query']>>;
    try {
      result = await client.query({ query, format: 'JSONEachRow' });
    } catch (error) {
      throw clickhouseError(error, `export ${dataset}`);
    }
    const stream = result.stream<Record<string, unknown>>();
    async function* chunks(): AsyncGenerator<ExportChunk> {
      try {
        let values: (string | number | null)[][] = columns.map(() => []);
        let rows = 0;
        for await (const batch of stream) {
          for (const row of batch) {
            const r = row.json();
            for (let i = 0; i < columns.length; i++) {
              const c = columns[i] as (typeof columns)[number];
              (values[i] as (string | number | null)[]).push(toExportValue(c.type, r[c.name]));
            }
            if (++rows >= size) {
              yield { rowCount: rows, values };
              values = columns.map(() => []);
              rows = 0;
            }
          }
        }
        if (rows > 0) yield { rowCount: rows, values };
      } catch (error) {
        throw clickhouseError(error, `export ${dataset}`);
      } finally {
        stream.destroy();
      }
    }
    return { columns, chunks: chunks() };
  }

  async #rows(what: string, query: SqlFragment | string): Promise<Record<string, unknown>[]> {
    const client = this.#require();
    const text = typeof query === 'string' ? query : query.toSql('clickhouse');
    try {
      const result = await client.query({ query: text, format: 'JSONEachRow' });
      return await result.json<Record<string, unknown>>();
    } catch (error) {
      throw clickhouseError(error, what);
    }
  }

  // --- WarehouseWriter -----------------------------------------------------------------------

  /**
   * Inserts records, one INSERT per table. Idempotent on the record id: a redelivered entity
   * collapses with its first copy (ReplacingMergeTree, read with FINAL). Returns the number of
   * rows sent. Records no table can hold go to `dead_letters`.
   *
   * Movements are deduplicated on their id before the insert, so that the real-time
   * aggregates (materialized views, which see inserts, not merges) are exact under redelivery:
   * 1. the batch's ids, each kept once (its first copy), are looked up in `movement_ids` in one
   *    indexed query, and those found are dropped;
   * 2. the rest are inserted into `stock_movements` (no view reads it);
   * 3. then into `movement_ids`, which feeds the aggregates' views: the commit point.
   * A crash before 3 leaves ids unrecorded, so the redelivery inserts those movements again:
   * they collapse in `stock_movements FINAL` and reach the aggregates once, at 3. A crash after
   * 3 (even one that hid its success from us) makes the redelivery find the ids and drop them.
   * Recording the ids first would instead lose a movement on a crash between the two inserts.
   * What remains (docs/kpis.md): two writers handling one id at once (both look up before
   * either records), and ClickHouse writing a view's rows in its own step after the source's
   * (a server dying inside step 3 can record ids whose aggregate rows were never written).
   */
  async insertRecords(records: readonly CanonicalResource[]): Promise<number> {
    const rows = toRecordRows(records);
    const sent = await this.#insertRows(rows);
    await this.#insert('dead_letters', toDeadLetterRows(rows.unmappable).map(deadLetterJson));
    return sent;
  }

  /** Inserts dead letters; a redelivered one collapses with its first copy. Returns rows sent. */
  async insertDeadLetters(deadLetters: readonly DeadLetter[]): Promise<number> {
    return this.#insert('dead_letters', toDeadLetterRows(deadLetters).map(deadLetterJson));
  }

  /** Stores freshness rows (warehouse/freshness.ts). Returns rows sent. */
  async insertFreshness(rows: readonly FreshnessRow[]): Promise<number> {
    return this.#insert('freshness', rows.map(freshnessJson));
  }

  /** Location id → region, as stored now, for the given ids. */
  async #regions(ids: readonly string[]): Promise<Map<string, string>> {
    const regions = new Map<string, string>();
    if (ids.length === 0) return regions;
    const found = await this.#rows(
      'location regions',
      sql`SELECT id, region_id FROM ${clickhouseSql.table('locations')} WHERE id IN ${sqlList(ids)}`,
    );
    for (const r of found) regions.set(String(r.id), String(r.region_id));
    return regions;
  }

  async #insertRows(rows: RecordRows): Promise<number> {
    // Dimensions first, so a reader never sees movements whose location is not yet there
    // when both arrive in one batch.
    const counts = await Promise.all([
      this.#insert('locations', rows.locations),
      this.#insert('products', rows.products),
      this.#insert('lots', rows.lots),
      this.#insert('resources', rows.resources),
      ...RESOURCE_TABLE_NAMES.filter((t) => t !== 'shipments').map((t) =>
        this.#insert(
          t,
          rows.tables[t].map((row) => clickhouseRowJson(RESOURCE_TABLES[t], row)),
        ),
      ),
    ]);
    // Shipments after the locations, whose regions they carry.
    const regions = await this.#regions(shipmentLocationIds(rows.tables));
    const shipments = await this.#insert(
      'shipments',
      withShipmentRegions(rows.tables.shipments, regions).map((row) =>
        clickhouseRowJson(RESOURCE_TABLES.shipments, row),
      ),
    );
    // The lookup and the dimensions are independent reads: one round trip instead of two.
    const [unseen, dims] = await Promise.all([
      this.#unseenMovements(rows.stock_movements),
      this.#movementDimensions(rows.stock_movements),
    ]);
    const movementRows = unseen.map((m) =>
      movementJson(m, dims.regions.get(m.location_id) ?? '', dims.categories.get(m.product_id) ?? ''),
    );
    const movements = await this.#insert('stock_movements', movementRows);
    // Last, and only after the movements are stored (see insertRecords): the commit point.
    // Only its own columns: less JSON to write and for the server to parse.
    await this.#insert('movement_ids', movementRows.map(movementIdJson));
    return counts.reduce((a, b) => a + b, movements + shipments);
  }

  /**
   * The movements whose id was never recorded in `movement_ids`, each id once (its first
   * copy in the batch). One query on the sorting key; a batch's id list can outgrow the
   * default `max_query_size` (256 KiB, ~7,000 ids), so the query raises it for itself.
   */
  async #unseenMovements(movements: readonly MovementDbRow[]): Promise<MovementDbRow[]> {
    const first = new Map<string, MovementDbRow>();
    for (const m of movements) if (!first.has(m.id)) first.set(m.id, m);
    if (first.size === 0) return [];
    // Without FINAL: whether an id was recorded does not depend on its unmerged copies, and
    // FINAL (a single-threaded merge of every granule the ids touch, i.e. most of the table
    // for random ids) made this lookup grow with the table.
    const query = sql`SELECT id FROM movement_ids WHERE id IN ${sqlList([...first.keys()])}`.toSql('clickhouse');
    const client = this.#require();
    try {
      const result = await client.query({
        query,
        format: 'JSONEachRow',
        clickhouse_settings: { max_query_size: String(Math.max(262_144, query.length + 4096)) },
      });
      for (const r of await result.json<{ id: string }>()) first.delete(r.id);
    } catch (error) {
      throw clickhouseError(error, `look up ${first.size} movement id(s)`);
    }
    return [...first.values()];
  }

  /**
   * The region of each movement's location and the category of its product, as stored now
   * (the batch's own locations and products were inserted just before): the dimensions the
   * movements carry, denormalized at ingest. One small query per dimension and batch.
   */
  async #movementDimensions(
    movements: readonly MovementDbRow[],
  ): Promise<{ regions: Map<string, string>; categories: Map<string, string> }> {
    const regions = new Map<string, string>();
    const categories = new Map<string, string>();
    if (movements.length === 0) return { regions, categories };
    const locationIds = [...new Set(movements.map((m) => m.location_id))];
    const productIds = [...new Set(movements.map((m) => m.product_id))];
    const [locations, products] = await Promise.all([
      this.#rows(
        'movement regions',
        sql`SELECT id, region_id AS value FROM ${clickhouseSql.table('locations')} WHERE id IN ${sqlList(locationIds)}`,
      ),
      this.#rows(
        'movement categories',
        sql`SELECT id, category AS value FROM ${clickhouseSql.table('products')} WHERE id IN ${sqlList(productIds)}`,
      ),
    ]);
    for (const r of locations) regions.set(String(r.id), String(r.value));
    for (const r of products) categories.set(String(r.id), String(r.value));
    return { regions, categories };
  }

  async #insert(table: string, values: readonly object[]): Promise<number> {
    if (values.length === 0) return 0;
    const client = this.#require();
    try {
      await client.insert({
        table,
        values: values as Record<string, unknown>[],
        format: 'JSONEachRow',
        clickhouse_settings: { input_format_skip_unknown_fields: 1 },
      });
      return values.length;
    } catch (error) {
      throw clickhouseError(error, `insert ${values.length} row(s) into ${table}`);
    }
  }
}
