import type { ExportQuery } from './export.js';

/** Health of one component, as reported by `GET /health`. */
export interface ComponentHealth {
  readonly status: 'up' | 'down' | 'degraded';
  readonly detail?: string;
  readonly [extra: string]: unknown;
}

/** The outcome of one migration step: returned, never thrown (Kysely's migrator habit). */
export interface MigrationStepResult {
  readonly name: string;
  readonly status: 'applied' | 'skipped' | 'failed';
  readonly ms: number;
  readonly error?: string;
}

export type LocationKind = 'region' | 'platform' | 'warehouse' | 'zone' | 'delivery-site';

export interface LocationRow {
  readonly id: string;
  readonly kind: LocationKind;
  readonly nameFr: string;
  readonly nameAr: string;
  readonly regionId: string;
  readonly parentId: string | null;
  readonly gln: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

export interface LocationFilter {
  readonly kind?: LocationKind;
  readonly region?: string;
}

export interface StockFilter {
  /** Region slug, e.g. `souss-massa`. */
  readonly region?: string;
  /** Warehouse location id. */
  readonly warehouse?: string;
  /** Product id. */
  readonly product?: string;
  /** Product category code, e.g. `water`. */
  readonly category?: string;
  /** Lot number. */
  readonly lot?: string;
  /** Maximum number of rows; the adapter caps it. */
  readonly limit?: number;
}

/** On-hand quantity of one product (and lot) in one warehouse. */
export interface StockRow {
  readonly locationId: string;
  readonly locationName: string;
  readonly regionId: string;
  readonly productId: string;
  readonly productName: string;
  readonly gtin: string | null;
  readonly category: string;
  readonly lotNumber: string | null;
  readonly unit: string;
  readonly onHand: number;
  /** RFC 3339 time of the newest movement counted. */
  readonly lastMovementAt: string;
}

/**
 * Read side of the warehouse, as the API sees it. Both adapters (DuckDB, ClickHouse) answer
 * these with identical rows for identical data.
 */
export interface WarehouseQuery {
  listLocations(filter: LocationFilter): Promise<LocationRow[]>;
  stockOnHand(filter: StockFilter): Promise<StockRow[]>;
}

/** Lifecycle and schema management of a warehouse adapter. `init`/`close` are idempotent. */
/** Both engines answer every read of the API: stock, resources, KPIs and exports. */
export interface Warehouse extends WarehouseQuery, ResourceQuery, KpiQuery, ExportQuery {
  readonly engine: 'duckdb' | 'clickhouse';
  init(): Promise<void>;
  close(): Promise<void>;
  migrate(): Promise<MigrationStepResult[]>;
  health(): Promise<ComponentHealth>;
}

/**
 * Write side of the warehouse, used by the Kafka sink in distributed mode (the embedded
 * mode writes through its `RecordSink`, which also commits connector state in the same
 * transaction). Inserts are idempotent on the canonical record id: a redelivered record is
 * harmless.
 */
export interface WarehouseWriter {
  insertRecords(records: readonly import('./resource.js').CanonicalResource[]): Promise<number>;
  insertDeadLetters(deadLetters: readonly import('./record-sink.js').DeadLetter[]): Promise<number>;
}

/** A dimension a KPI can be broken down by (each KPI lists the ones it offers: docs/kpis.md). */
export type KpiDimension =
  | 'region'
  | 'platform'
  | 'warehouse'
  | 'category'
  | 'product'
  | 'lot'
  | 'day'
  | 'priority'
  | 'age'
  | 'partner'
  | 'request'
  | 'kind'
  | 'horizon'
  | 'movement_type'
  | 'connector'
  | 'source';

export interface KpiOptions {
  /** Dimensions to group by, in output order. Default: the KPI's own default breakdown. */
  readonly by?: readonly KpiDimension[];
  /** Restrict to one region, warehouse, category or product (where the KPI has that dimension). */
  readonly filters?: {
    readonly region?: string;
    readonly warehouse?: string;
    readonly category?: string;
    readonly product?: string;
  };
  /** RFC 3339 instant the KPI is computed at. Default: now. */
  readonly asOf?: string;
}

/** One KPI row: its dimensions (text) and its measures (numbers, or null when undefined). */
export type KpiRow = Readonly<Record<string, string | number | null>>;

/**
 * The KPIs of DESIGN.md §8, defined once (warehouse/kpis) and computed by each engine. Both
 * engines return identical rows for identical data. An unknown KPI or dimension is a
 * `HUB_ERR_KPI_REQUEST`.
 */
export interface KpiQuery {
  kpi(name: string, options?: KpiOptions): Promise<KpiRow[]>;
}

// ---------------------------------------------------------------------------------------------
// Partner API reads (issue 6). Both adapters implement `ResourceQuery` with identical answers.

/** Canonical entities the API lists and reads by id, each from its own table's `doc`. */
export type EntityKind = 'Product' | 'SupplyRequest' | 'Shipment' | 'Equipment' | 'Incident' | 'Organization';

/** A list request: equality filters, the caller's data scope, a sort, and a keyset cursor. */
export interface ListQuery {
  /** Equality filters by API field name (the route validates names and values first). */
  readonly filters?: Readonly<Record<string, string>>;
  /** Regions the caller may see: `null`/absent means every region; `[]` means none. */
  readonly regions?: readonly string[] | null;
  /** Sort field, `-` prefixed for descending; the adapter appends the id as tie-breaker. */
  readonly sort?: string;
  /** Page size; the adapter caps it. */
  readonly limit?: number;
  /** Opaque cursor returned as `next` by the previous page. */
  readonly after?: string;
}

/** One page of a list; `next` is `null` on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** A dead-letter entry as stored, with its reasons and the untouched source payload. */
export interface DeadLetterEntry {
  readonly id: string;
  readonly connector: string;
  readonly stream: string;
  readonly sourceId: string | null;
  readonly resourceType: string | null;
  readonly errors: readonly { pointer: string; code: string; message: string }[];
  readonly payload: unknown;
  readonly failedAt: string;
}

/**
 * The reads behind `/v1` beyond stock and locations. Implemented by both warehouse adapters
 * with the SQL written once (warehouse/sql); every list is keyset-paginated and honours
 * `regions` so that a region-scoped caller never sees, nor counts, another region's rows.
 */
export interface ResourceQuery {
  listEntities(kind: EntityKind, query: ListQuery): Promise<Page<CanonicalResourceDoc>>;
  /**
   * The entity, or undefined when absent — or outside `regions` when given (a region-scoped
   * caller must not learn that another region's entity exists: the API answers 404).
   */
  getEntity(
    kind: EntityKind,
    id: string,
    regions?: readonly string[] | null,
  ): Promise<CanonicalResourceDoc | undefined>;
  listDeadLetters(query: ListQuery): Promise<Page<DeadLetterEntry>>;
  getDeadLetter(id: string): Promise<DeadLetterEntry | undefined>;
  /**
   * Stock movements, newest first (or oldest first with `sort: 'occurredAt'`), keyset-paginated.
   * Filters: region, warehouse, product, gtin, lot, type, from (inclusive), to (exclusive).
   */
  listMovements(query: ListQuery): Promise<Page<MovementEntry>>;
  /** A lot by GTIN and lot number, with its stock in `regions`; undefined when nothing is known. */
  getLot(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotSummary | undefined>;
  /** Every movement of a lot (in `regions`), oldest first, with lineage to the source record. */
  lotTrace(gtin: string, lotNumber: string, regions?: readonly string[] | null): Promise<LotTraceStep[]>;
  /** The status events of a shipment, oldest first (`[]` when none is stored). */
  shipmentHistory(id: string): Promise<ShipmentStatusEvent[]>;
  /** The maintenance events of one piece of equipment, by scheduled time then id. */
  listMaintenanceEvents(equipmentId: string): Promise<CanonicalResourceDoc[]>;
}

/** Where a stored row came from (the canonical record's `meta.lineage`). */
export interface MovementLineage {
  readonly connector: string;
  readonly sourceSystem: string;
  readonly sourceId: string;
  readonly sourceHash: string;
  /** RFC 3339, whole seconds in ClickHouse: both engines report whole seconds. */
  readonly ingestedAt: string;
}

/** One stock movement as stored. Quantities are signed (receipts +, dispatches −). */
export interface MovementEntry {
  readonly id: string;
  readonly movementType: string;
  /** RFC 3339 in UTC, to the millisecond. */
  readonly occurredAt: string;
  readonly locationId: string;
  /** The location's region when the movement was stored (`''` if it was not known then). */
  readonly regionId: string;
  readonly counterpartId: string | null;
  readonly productId: string;
  readonly gtin: string | null;
  readonly lotNumber: string | null;
  readonly quantity: number;
  readonly unit: string;
  readonly reason: string | null;
  readonly lineage: MovementLineage;
}

/** One step of a lot's trace: a movement, where it happened, and where the record came from. */
export interface LotTraceStep extends MovementEntry {
  /** The location's current French name (`''` when the location is unknown). */
  readonly locationName: string;
}

/** A lot: its master data (from a `Lot` record when one was ingested) and its stock. */
export interface LotSummary {
  readonly gtin: string;
  readonly lotNumber: string;
  readonly productId: string | null;
  /** `YYYY-MM-DD`, from the Lot record. */
  readonly expiry: string | null;
  readonly manufactured: string | null;
  /** The stored Lot record, or null when the lot is only known from movements. */
  readonly record: CanonicalResourceDoc | null;
  /** Non-zero on-hand quantity per location and unit (in the caller's regions). */
  readonly stock: readonly { locationId: string; regionId: string; unit: string; onHand: number }[];
  readonly movements: number;
  readonly firstMovementAt: string | null;
  readonly lastMovementAt: string | null;
}

/** A status a shipment reached, from its `statusHistory`. Times are whole seconds. */
export interface ShipmentStatusEvent {
  readonly status: string;
  readonly at: string;
  readonly changedBy: string | null;
}

/** The stored canonical document of an entity (its newest version). */
export type CanonicalResourceDoc = import('./resource.js').CanonicalResource;
