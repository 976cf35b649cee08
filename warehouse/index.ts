/**
 * The warehouse adapters behind the core ports. The composition root (cli) builds one of
 * these from configuration; nothing else names an engine.
 */
import type { RecordSink, Warehouse, WarehouseWriter } from '../core/ports/index.js';
import { ClickHouseWarehouse, type ClickHouseWarehouseOptions } from './clickhouse/clickhouse-warehouse.js';
import { DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb/duckdb-warehouse.js';

export { CLICKHOUSE_MIGRATIONS } from './clickhouse/clickhouse-migrations.js';
export { ClickHouseWarehouse, type ClickHouseWarehouseOptions } from './clickhouse/clickhouse-warehouse.js';
export { DUCKDB_MIGRATIONS } from './duckdb/duckdb-migrations.js';
export { DUCKDB_FILE, DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb/duckdb-warehouse.js';
export { KPI_NAMES } from './kpis/kpi-definitions.js';
export { STOCK_LIMIT_MAX } from './sql/warehouse-queries.js';

/**
 * The embedded warehouse: DuckDB at `<dataDir>/warehouse.duckdb`. It is also the exactly-once
 * record sink (records, dead letters and connector state in one transaction). Call `init()`
 * before use; it migrates unless `migrateOnInit: false`.
 */
export function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Warehouse & RecordSink & WarehouseWriter {
  return new DuckDbWarehouse(options);
}

/**
 * The distributed warehouse: ClickHouse over HTTP (18.16 and current releases). Call
 * `init()`, then `migrate()` once per deployment (or pass `migrateOnInit: true`).
 */
export function createClickHouseWarehouse(options: ClickHouseWarehouseOptions): Warehouse & WarehouseWriter {
  return new ClickHouseWarehouse(options);
}

// Distributed-mode stream adapters. node-rdkafka itself loads lazily inside their `init()`, so
// importing them here costs the embedded mode nothing.
export * from './kafka/index.js';
export * from './sink/index.js';
