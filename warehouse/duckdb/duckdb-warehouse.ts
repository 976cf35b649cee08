/**
 * The embedded warehouse: one DuckDB file at `<dataDir>/warehouse.duckdb`. It is the
 * `Warehouse` (lifecycle, migrations, health), the `WarehouseQuery` the API reads, the
 * exactly-once `RecordSink` of the connector runtime, and a `WarehouseWriter`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError, migrationFailure } from '../../core/errors/index.js';
import { sinkBatchSeconds } from '../../core/observability/metrics.js';
import type {
  CanonicalResource,
  ComponentHealth,
  DeadLetter,
  KpiOptions,
  KpiQuery,
  KpiRow,
  LocationFilter,
  LocationRow,
  MigrationStepResult,
  RecordSink,
  SinkBatch,
  SinkWriteResult,
  StockFilter,
  StockRow,
  Warehouse,
  WarehouseWriter,
} from '../../core/ports/index.js';
import { kpiSql, planKpi, toKpiRows } from '../kpis/kpi-definitions.js';
import { duckdbKpi } from '../kpis/kpi-dialect.js';
import { raw, type SqlFragment } from '../sql/literal.js';
import { duckdbSql, listLocationsSql, stockOnHandSql, toLocationRow, toStockRow } from '../sql/warehouse-queries.js';
import { duckdbError, type OpenedDuckDb, openDuckDb, queryRows } from './duckdb-connection.js';
import { migrateDuckDb } from './duckdb-migrations.js';
import { insertDeadLettersDuckDb, insertRecordsDuckDb, readStateDuckDb, writeSinkBatch } from './duckdb-record-sink.js';

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

export class DuckDbWarehouse implements Warehouse, RecordSink, WarehouseWriter, KpiQuery {
  readonly engine = 'duckdb';
  readonly name = 'duckdb';
  readonly path: string;
  readonly #options: DuckDbWarehouseOptions;
  #db: OpenedDuckDb | undefined;
  #opening: Promise<void> | undefined;

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
  }

  /** Waits for queued work, then closes the connections and the file. Idempotent. */
  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#opening = undefined;
    if (db === undefined) return;
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
    return this.#read('stock on hand', stockOnHandSql(duckdbSql, filter), toStockRow);
  }

  /** A KPI of warehouse/kpis (docs/kpis.md). Throws `HUB_ERR_KPI_REQUEST` for an unknown KPI or dimension. */
  async kpi(name: string, options?: KpiOptions): Promise<KpiRow[]> {
    const plan = planKpi(name, options);
    return toKpiRows(plan, await this.#read(`kpi ${name}`, kpiSql(duckdbKpi, plan), (r) => r));
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
      try {
        return await writeSinkBatch(conn, batch);
      } finally {
        stop();
      }
    });
  }

  // --- WarehouseWriter -----------------------------------------------------------------------

  async insertRecords(records: readonly CanonicalResource[]): Promise<number> {
    return this.#require().writer.exclusive((conn) => insertRecordsDuckDb(conn, records));
  }

  async insertDeadLetters(deadLetters: readonly DeadLetter[]): Promise<number> {
    return this.#require().writer.exclusive((conn) => insertDeadLettersDuckDb(conn, deadLetters));
  }
}
