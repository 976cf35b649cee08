/**
 * The embedded warehouse: one DuckDB file at `<dataDir>/warehouse.duckdb`. It is the
 * `Warehouse` (lifecycle, migrations, health), the `WarehouseQuery` the API reads, the
 * exactly-once `RecordSink` of the connector runtime, and a `WarehouseWriter`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { HubError, migrationFailure } from '../../core/errors/index.js';
import { sinkBatchSeconds } from '../../core/observability/metrics.js';
import type {
  CanonicalResource,
  CanonicalResourceDoc,
  ColumnarExportQuery,
  ColumnarExportStream,
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
  RecordSink,
  ShipmentStatusEvent,
  SinkBatch,
  SinkWriteResult,
  StockFilter,
  StockRow,
  Warehouse,
  WarehouseWriter,
} from '../../core/ports/index.js';
import { type FreshnessRow, freshnessInsertSql } from '../freshness.js';
import { kpiSql, planKpi, toKpiRows } from '../kpis/kpi-definitions.js';
import { duckdbKpi } from '../kpis/kpi-dialect.js';
import { exportChunkRows, exportColumns, exportSql } from '../sql/export-queries.js';
import { raw, type SqlFragment } from '../sql/literal.js';
import {
  duckdbResourceSql,
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
import { tableFor } from '../sql/resource-rows.js';
import { duckdbSql, listLocationsSql, stockOnHandSql, toLocationRow, toStockRow } from '../sql/warehouse-queries.js';
import { duckdbError, type OpenedDuckDb, openDuckDb, queryRows } from './duckdb-connection.js';
import { duckdbColumnarExport } from './duckdb-export.js';
import { migrateDuckDb } from './duckdb-migrations.js';
import {
  type AppendedMovements,
  insertDeadLettersDuckDb,
  insertRecordsDuckDb,
  readStateDuckDb,
  writeSinkBatch,
} from './duckdb-record-sink.js';
import { StockIndex } from './stock-index.js';

export interface DuckDbWarehouseOptions {
  /** Directory of the hub's data; the file is `<dataDir>/warehouse.duckdb`. Created if missing. */
  readonly dataDir: string;
  /**
   * Apply pending migrations in `init()` (default `true`: the embedded file belongs to this
   * process alone, so there is nobody else to run them). A failed step makes `init()` throw
   * `HUB_ERR_WAREHOUSE_MIGRATION`.
   */
  readonly migrateOnInit?: boolean;
}

/** The file name inside `dataDir`. */
export const DUCKDB_FILE = 'warehouse.duckdb';

export class DuckDbWarehouse
  implements Warehouse, RecordSink, WarehouseWriter, KpiQuery, ExportQuery, ColumnarExportQuery
{
  readonly engine = 'duckdb';
  readonly name = 'duckdb';
  readonly path: string;
  readonly #options: DuckDbWarehouseOptions;
  #db: OpenedDuckDb | undefined;
  #opening: Promise<void> | undefined;
  /** Connections of running exports, closed by `close()`. */
  readonly #exports = new Set<{ closeSync(): void }>();
  /** Live stock positions (stock-index.ts); `undefined` while not loaded: the SQL answers. */
  #stock: StockIndex | undefined;
  #stockReloading = false;
  #stockRetryAt = 0;

  constructor(options: DuckDbWarehouseOptions) {
    this.#options = options;
    this.path = join(options.dataDir, DUCKDB_FILE);
  }

  /** Opens the file (and migrates, unless `migrateOnInit: false`). Idempotent. */
  init(): Promise<void> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    try {
      await mkdir(this.#options.dataDir, { recursive: true });
    } catch (error) {
      throw duckdbError(error, `create ${this.#options.dataDir}`);
    }
    const db = await openDuckDb(this.path);
    this.#db = db;
    if (this.#options.migrateOnInit === false) return;
    const failure = migrationFailure(await this.migrate(), 'duckdb');
    if (failure !== undefined) {
      await this.close();
      throw failure;
    }
    await this.#reloadStock();
  }

  /** Waits for queued work, then closes the connections and the file. Idempotent. */
  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#opening = undefined;
    this.#stock = undefined;
    if (db === undefined) return;
    for (const conn of this.#exports) conn.closeSync();
    this.#exports.clear();
    await Promise.all([db.writer.close(), db.reader.close()]);
    db.instance.closeSync();
  }

  #require(): OpenedDuckDb {
    if (this.#db === undefined) throw new HubError('HUB_ERR_WAREHOUSE_CLOSED', { engine: 'duckdb' });
    return this.#db;
  }

  async migrate(): Promise<MigrationStepResult[]> {
    return this.#require().writer.exclusive((conn) => migrateDuckDb(conn));
  }

  async health(): Promise<ComponentHealth> {
    if (this.#db === undefined) return { status: 'down', detail: 'not open' };
    try {
      await this.#db.reader.exclusive((conn) => queryRows(conn, raw('SELECT 1 AS ok')));
      return { status: 'up', engine: 'duckdb', path: this.path };
    } catch (error) {
      return { status: 'down', detail: duckdbError(error, 'health').message };
    }
  }

  // --- WarehouseQuery ------------------------------------------------------------------------

  async listLocations(filter: LocationFilter): Promise<LocationRow[]> {
    return this.#read('list locations', listLocationsSql(duckdbSql, filter), toLocationRow);
  }

  async stockOnHand(filter: StockFilter): Promise<StockRow[]> {
    this.#require();
    const rows = this.#stock?.query(filter);
    if (rows !== undefined) return rows;
    if (this.#stock === undefined && Date.now() >= this.#stockRetryAt) void this.#reloadStock();
    return this.#read('stock on hand', stockOnHandSql(duckdbSql, filter), toStockRow);
  }

  /** A KPI of warehouse/kpis (docs/kpis.md). Throws `HUB_ERR_KPI_REQUEST` for an unknown KPI or dimension. */
  async kpi(name: string, options?: KpiOptions): Promise<KpiRow[]> {
    const plan = planKpi(name, options);
    return toKpiRows(plan, await this.#read(`kpi ${name}`, kpiSql(duckdbKpi, plan), (r) => r));
  }

  /**
   * Streams an export (warehouse/sql/export-queries.ts) on a connection of its own, so a long
   * export neither waits behind nor holds up the API's other reads. DuckDB's streaming result
   * is pulled one 2048-row vector at a time, only as fast as the consumer asks for chunks.
   */
  async exportRows(dataset: ExportDataset, filter: ExportFilter, options?: ExportOptions): Promise<ExportStream> {
    const db = this.#require();
    const query = exportSql(duckdbSql, dataset, filter, options?.regions).toSql('duckdb');
    const columns = exportColumns(dataset);
    const size = exportChunkRows(options);
    const conn = await db.instance.connect();
    this.#exports.add(conn);
    const release = (): void => {
      if (this.#exports.delete(conn)) conn.closeSync();
    };
    let result: Awaited<ReturnType<typeof conn.stream>>;
    try {
      result = await conn.stream(query);
    } catch (error) {
      release();
      throw duckdbError(error, `export ${dataset}`);
    }
    async function* chunks(): AsyncGenerator<ExportChunk> {
      try {
        let values: (string | number | null)[][] = columns.map(() => []);
        let rows = 0;
        for (;;) {
          const chunk = await result.fetchChunk().catch((error: unknown) => {
            throw duckdbError(error, `export ${dataset}`);
          });
          if (chunk === null || chunk.rowCount === 0) break;
          const read = chunk.getColumns() as (string | number | null)[][];
          for (let i = 0; i < read.length; i++) {
            const into = values[i] as (string | number | null)[];
            for (const v of read[i] as (string | number | null)[]) into.push(v);
          }
          rows += chunk.rowCount;
          if (rows >= size) {
            yield { rowCount: rows, values };
            values = columns.map(() => []);
            rows = 0;
          }
        }
        if (rows > 0) yield { rowCount: rows, values };
      } finally {
        release();
      }
    }
    return { columns, chunks: chunks() };
  }

  /**
   * The same export, columnar (Arrow-ready typed arrays and per-export dictionaries), on a
   * connection of its own (warehouse/duckdb/duckdb-export.ts).
   */
  async exportColumnar(
    dataset: ExportDataset,
    filter: ExportFilter,
    options?: ExportOptions,
  ): Promise<ColumnarExportStream> {
    const db = this.#require();
    const conn = await db.instance.connect();
    this.#exports.add(conn);
    const release = (): void => {
      if (this.#exports.delete(conn)) conn.closeSync();
    };
    return duckdbColumnarExport(conn, release, dataset, filter, options);
  }

  // --- ResourceQuery (SQL in warehouse/sql/resource-queries.ts, shared with ClickHouse) -------

  async listEntities(kind: EntityKind, query: ListQuery): Promise<Page<CanonicalResourceDoc>> {
    const plan = listEntitiesSql(duckdbResourceSql, kind, query);
    return toPage(plan, await this.#read(`list ${kind}`, plan.sql, (r) => r), toEntityDoc);
  }

  async getEntity(
    kind: EntityKind,
    id: string,
    regions?: readonly string[] | null,
  ): Promise<CanonicalResourceDoc | undefined> {
    const rows = await this.#read(`get ${kind}`, getEntitySql(duckdbResourceSql, kind, id, regions), toEntityDoc);
    return rows[0];
  }

  async listDeadLetters(query: ListQuery): Promise<Page<DeadLetterEntry>> {
    const plan = listDeadLettersSql(duckdbResourceSql, query);
    return toPage(plan, await this.#read('list dead letters', plan.sql, (r) => r), toDeadLetterEntry);
  }

  async getDeadLetter(id: string): Promise<DeadLetterEntry | undefined> {
    return (await this.#read('get dead letter', getDeadLetterSql(duckdbResourceSql, id), toDeadLetterEntry))[0];
  }

  async listMovements(query: ListQuery): Promise<Page<MovementEntry>> {
    const plan = listMovementsSql(duckdbResourceSql, query);
    return toPage(plan, await this.#read('list movements', plan.sql, (r) => r), toMovementEntry);
  }

  async getLot(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotSummary | undefined> {
    const record = await this.#read('lot record', lotRecordSql(duckdbResourceSql, gtin, lotNumber), (r) => r);
    const stock = await this.#read('lot stock', lotStockSql(duckdbResourceSql, gtin, lotNumber, regions), (r) => r);
    return toLotSummary(gtin, lotNumber, record, stock);
  }

  async lotTrace(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotTraceStep[]> {
    return this.#read('lot trace', lotTraceSql(duckdbResourceSql, gtin, lotNumber, regions), toLotTraceStep);
  }

  async shipmentHistory(id: string): Promise<ShipmentStatusEvent[]> {
    return this.#read('shipment history', shipmentHistorySql(duckdbResourceSql, id), toShipmentStatusEvent);
  }

  async listMaintenanceEvents(equipmentId: string): Promise<CanonicalResourceDoc[]> {
    return this.#read('maintenance events', maintenanceEventsSql(duckdbResourceSql, equipmentId), toEntityDoc);
  }

  async #read<T>(what: string, query: SqlFragment, map: (row: Record<string, unknown>) => T): Promise<T[]> {
    return this.#require().reader.exclusive(async (conn) => {
      try {
        return (await queryRows(conn, query)).map(map);
      } catch (error) {
        throw duckdbError(error, what);
      }
    });
  }

  // --- RecordSink ----------------------------------------------------------------------------

  async readState(connector: string, stream: string): Promise<unknown> {
    return this.#require().writer.exclusive((conn) => readStateDuckDb(conn, connector, stream));
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    return this.#require().writer.exclusive(async (conn) => {
      const stop = sinkBatchSeconds.startTimer({ sink: 'duckdb' });
      const appended: AppendedMovements = { rows: [] };
      try {
        const result = await writeSinkBatch(conn, batch, undefined, appended);
        await this.#applyStock(conn, batch.records, appended);
        return result;
      } catch (error) {
        this.#dropStock(); // committed or not: reload rather than guess
        throw error;
      } finally {
        stop();
      }
    });
  }

  // --- live stock index (stock-index.ts) -----------------------------------------------------

  /** Positions in the live stock index, or `undefined` while the SQL answers (tests, diagnostics). */
  get stockIndexPositions(): number | undefined {
    return this.#stock?.size;
  }

  /** Loads the index on the writer's queue, so that no write falls between the load and its use. */
  #reloadStock(): Promise<void> {
    const db = this.#db;
    if (db === undefined || this.#stockReloading) return Promise.resolve();
    this.#stockReloading = true;
    return db.writer
      .exclusive(async (conn) => {
        const index = await StockIndex.load(conn);
        if (this.#db === db) this.#stock = index;
      })
      .catch(() => {
        this.#stockRetryAt = Date.now() + 1000; // the SQL answers meanwhile
      })
      .finally(() => {
        this.#stockReloading = false;
      });
  }

  #dropStock(): void {
    if (this.#stock === undefined) return;
    this.#stock = undefined;
    this.#stockRetryAt = 0;
    void this.#reloadStock();
  }

  /** After a commit, on the writer's queue: the movements it appended and its dimensions as stored now. */
  async #applyStock(
    conn: DuckDBConnection,
    records: readonly CanonicalResource[],
    appended: AppendedMovements,
  ): Promise<void> {
    const index = this.#stock;
    if (index === undefined) return;
    const locations = new Set<string>();
    const products = new Set<string>();
    for (const r of records) {
      if (typeof r?.id !== 'string' || typeof r.resourceType !== 'string') continue;
      const table = tableFor(r.resourceType);
      if (table === 'locations') locations.add(r.id);
      else if (table === 'products') products.add(r.id);
    }
    try {
      await index.refreshDimensions(conn, [...locations], [...products]);
      index.applyMovements(appended.rows);
    } catch {
      this.#dropStock();
    }
  }

  // --- WarehouseWriter -----------------------------------------------------------------------

  async insertRecords(records: readonly CanonicalResource[]): Promise<number> {
    return this.#require().writer.exclusive(async (conn) => {
      const appended: AppendedMovements = { rows: [] };
      try {
        const written = await insertRecordsDuckDb(conn, records, undefined, appended);
        await this.#applyStock(conn, records, appended);
        return written;
      } catch (error) {
        this.#dropStock();
        throw error;
      }
    });
  }

  async insertDeadLetters(deadLetters: readonly DeadLetter[]): Promise<number> {
    return this.#require().writer.exclusive((conn) => insertDeadLettersDuckDb(conn, deadLetters));
  }

  /** Stores freshness rows (warehouse/freshness.ts; the sink's own are stored after each commit). */
  async insertFreshness(rows: readonly FreshnessRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const text = freshnessInsertSql(rows).toSql('duckdb');
    await this.#require().writer.exclusive(async (conn) => {
      try {
        await conn.run(text);
      } catch (error) {
        throw duckdbError(error, 'insert freshness');
      }
    });
    return rows.length;
  }
}
