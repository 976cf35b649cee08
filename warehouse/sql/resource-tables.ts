/**
 * The tables of the operational resources (requests, shipments, incidents, equipment,
 * maintenance, snapshots, organizations), described once: their columns, their key and how a
 * canonical record becomes their rows. Both engines' DDL, the DuckDB staging and the
 * ClickHouse JSONEachRow bodies are derived from these specs, so the two engines cannot drift
 * apart column by column.
 *
 * Rules shared by every table here:
 * - times are whole seconds in UTC in both engines (ClickHouse 18.16 has no DateTime64; the
 *   milliseconds stay in `doc`), so both store exactly the same value;
 * - every row carries `version` (the record's `rowVersion`): entities are
 *   `ReplacingMergeTree(version)` in ClickHouse and upserts on the key in DuckDB;
 * - child rows (request and shipment lines) carry their parent's version: readers keep only
 *   lines whose `(parent id, version)` is the parent's current one, so a new version with
 *   fewer lines leaves no stale line behind in either engine;
 * - status history entries are immutable events keyed on `(shipment_id, id)` where the id is
 *   deterministic (`<at>|<status>`): a redelivery collapses with the first copy.
 *
 * A released table spec is part of a released migration: never edit one, add a new step.
 */
import type { CanonicalResource } from '../../core/ports/index.js';
import { referenceId, rowVersion } from './resource-rows.js';

export type ColumnType =
  | 'string'
  | 'nstring'
  | 'float'
  | 'nfloat'
  | 'uint'
  | 'datetime'
  | 'ndatetime'
  | 'ndate'
  | 'strings'
  | 'doc';

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly (readonly [string, ColumnType])[];
  /** The identity of a row: DuckDB's primary key, the tail of ClickHouse's sorting key. */
  readonly key: readonly string[];
  /** ClickHouse sorting key (must end with the key columns). */
  readonly orderBy: readonly string[];
}

export const RESOURCE_TABLES = {
  organizations: {
    name: 'organizations',
    columns: [
      ['id', 'string'],
      ['kind', 'string'],
      ['name_fr', 'string'],
      ['name_ar', 'nstring'],
      ['acronym', 'nstring'],
      ['region_id', 'nstring'],
      ['parent_id', 'nstring'],
      ['gln', 'nstring'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  supply_requests: {
    name: 'supply_requests',
    columns: [
      ['id', 'string'],
      ['status', 'string'],
      ['priority', 'string'],
      ['requester_id', 'string'],
      ['incident_id', 'nstring'],
      ['deliver_to_id', 'string'],
      ['supplier_id', 'nstring'],
      ['authored_at', 'ndatetime'],
      ['needed_by', 'ndatetime'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  supply_request_lines: {
    name: 'supply_request_lines',
    columns: [
      ['request_id', 'string'],
      ['line_no', 'uint'],
      ['product_id', 'string'],
      ['quantity', 'float'],
      ['unit', 'string'],
      ['version', 'uint'],
    ],
    key: ['request_id', 'line_no'],
    orderBy: ['request_id', 'line_no'],
  },
  shipments: {
    name: 'shipments',
    columns: [
      ['id', 'string'],
      ['status', 'string'],
      ['priority', 'nstring'],
      ['origin_id', 'string'],
      ['destination_id', 'string'],
      // Denormalized at ingest from the locations stored then ('' when not yet known).
      ['origin_region_id', 'string'],
      ['destination_region_id', 'string'],
      ['carrier_id', 'nstring'],
      ['incident_id', 'nstring'],
      ['request_ids', 'strings'],
      ['eta', 'ndatetime'],
      // The first time each milestone was reached, from statusHistory (lead times read these).
      ['planned_at', 'ndatetime'],
      ['dispatched_at', 'ndatetime'],
      ['delivered_at', 'ndatetime'],
      ['received_at', 'ndatetime'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  shipment_lines: {
    name: 'shipment_lines',
    columns: [
      ['shipment_id', 'string'],
      ['line_no', 'uint'],
      ['product_id', 'string'],
      ['lot_number', 'nstring'],
      ['quantity', 'float'],
      ['unit', 'string'],
      ['version', 'uint'],
    ],
    key: ['shipment_id', 'line_no'],
    orderBy: ['shipment_id', 'line_no'],
  },
  shipment_status_history: {
    name: 'shipment_status_history',
    columns: [
      ['shipment_id', 'string'],
      ['id', 'string'],
      ['status', 'string'],
      ['status_at', 'datetime'],
      ['changed_by', 'nstring'],
      ['version', 'uint'],
    ],
    key: ['shipment_id', 'id'],
    orderBy: ['shipment_id', 'id'],
  },
  incidents: {
    name: 'incidents',
    columns: [
      ['id', 'string'],
      ['incident_type', 'string'],
      ['severity', 'string'],
      ['status', 'nstring'],
      ['name_fr', 'nstring'],
      ['started_at', 'ndatetime'],
      ['ended_at', 'ndatetime'],
      ['affected_regions', 'strings'],
      ['population_affected', 'nfloat'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  equipment: {
    name: 'equipment',
    columns: [
      ['id', 'string'],
      ['kind', 'string'],
      ['serial_number', 'string'],
      ['product_id', 'nstring'],
      ['status', 'string'],
      ['location_id', 'nstring'],
      ['owner_id', 'nstring'],
      ['commissioned_on', 'ndate'],
      ['next_maintenance_due', 'ndate'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  maintenance_events: {
    name: 'maintenance_events',
    columns: [
      ['id', 'string'],
      ['equipment_id', 'string'],
      ['kind', 'string'],
      ['status', 'string'],
      ['scheduled_for', 'ndatetime'],
      ['performed_start', 'ndatetime'],
      ['performed_end', 'ndatetime'],
      ['downtime_hours', 'nfloat'],
      ['outcome', 'nstring'],
      ['location_id', 'nstring'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['id'],
  },
  stock_snapshots: {
    name: 'stock_snapshots',
    columns: [
      ['id', 'string'],
      ['location_id', 'string'],
      ['product_id', 'string'],
      ['gtin', 'nstring'],
      ['lot_number', 'nstring'],
      ['counted_at', 'datetime'],
      ['quantity', 'float'],
      ['unit', 'string'],
      ['method', 'nstring'],
      ['version', 'uint'],
      ['doc', 'doc'],
    ],
    key: ['id'],
    orderBy: ['location_id', 'product_id', 'id'],
  },
} as const satisfies Record<string, TableSpec>;

export type ResourceTableName = keyof typeof RESOURCE_TABLES;
export const RESOURCE_TABLE_NAMES = Object.keys(RESOURCE_TABLES) as ResourceTableName[];

/** A row of one of these tables: times in epoch ms (whole seconds), dates `YYYY-MM-DD`. */
export type ResourceTableRow = Record<string, string | number | null | readonly string[]>;

const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR NOT NULL',
  nstring: 'VARCHAR',
  float: 'DOUBLE NOT NULL',
  nfloat: 'DOUBLE',
  uint: 'UBIGINT NOT NULL',
  datetime: 'TIMESTAMP NOT NULL',
  ndatetime: 'TIMESTAMP',
  ndate: 'DATE',
  strings: 'VARCHAR[] NOT NULL',
  doc: 'JSON NOT NULL',
};

const CLICKHOUSE_TYPES: Readonly<Record<ColumnType, string>> = {
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

/** `CREATE TABLE IF NOT EXISTS` for DuckDB (the key is the primary key). */
export function duckdbCreateTable(spec: TableSpec): string {
  const columns = spec.columns.map(([name, type]) => `${name} ${DUCKDB_TYPES[type]}`);
  return `CREATE TABLE IF NOT EXISTS ${spec.name} (\n  ${[...columns, `PRIMARY KEY (${spec.key.join(', ')})`].join(',\n  ')}\n)`;
}

/** `CREATE TABLE IF NOT EXISTS` for ClickHouse: `ReplacingMergeTree(version)` on the sorting key. */
export function clickhouseCreateTable(spec: TableSpec): string {
  const columns = spec.columns.map(([name, type]) => `${name} ${CLICKHOUSE_TYPES[type]}`);
  return `CREATE TABLE IF NOT EXISTS ${spec.name} (\n  ${columns.join(',\n  ')}\n) ENGINE = ReplacingMergeTree(version) ORDER BY (${spec.orderBy.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// records → rows

type Obj = Readonly<Record<string, unknown>>;

function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const MAX_MS = Date.UTC(2105, 11, 31, 23, 59, 59);

/** An RFC 3339 instant as epoch ms truncated to the second, or null (outside 1970–2105 too). */
export function secondsMs(value: unknown): number | null {
  const text = str(value);
  if (text === null) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0 || ms > MAX_MS) return null;
  return Math.floor(ms / 1000) * 1000;
}

function day(value: unknown): string | null {
  const text = str(value);
  if (text === null || !/^\d{4}-\d{2}-\d{2}$/.test(text.slice(0, 10))) return null;
  const d = text.slice(0, 10);
  const ms = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(ms) && ms >= 0 && ms <= MAX_MS && new Date(ms).toISOString().slice(0, 10) === d ? d : null;
}

function refs(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((v) => referenceId(v)).filter((v): v is string => v !== null);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function lines(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(obj).filter((v): v is Obj => v !== undefined) : [];
}

/** The rows one record gives, per table (a shipment gives its lines and history too). */
export type ResourceRowsByTable = Partial<Record<ResourceTableName, ResourceTableRow[]>>;

/** The table a resource type goes to, or undefined when it has none here. */
export function resourceTableFor(resourceType: string): ResourceTableName | undefined {
  switch (resourceType) {
    case 'Organization':
      return 'organizations';
    case 'SupplyRequest':
      return 'supply_requests';
    case 'Shipment':
      return 'shipments';
    case 'Incident':
      return 'incidents';
    case 'Equipment':
      return 'equipment';
    case 'MaintenanceEvent':
      return 'maintenance_events';
    case 'StockSnapshot':
      return 'stock_snapshots';
    default:
      return undefined;
  }
}

/** The rows of one record of a type `resourceTableFor` knows. */
export function resourceTableRows(r: CanonicalResource): ResourceRowsByTable {
  const version = rowVersion(r);
  const doc = JSON.stringify(r);
  const name = obj(r.name);
  switch (r.resourceType) {
    case 'Organization':
      return {
        organizations: [
          {
            id: r.id,
            kind: str(r.kind) ?? '',
            name_fr: str(name?.fr) ?? str(name?.en) ?? '',
            name_ar: str(name?.ar),
            acronym: str(r.acronym),
            region_id: str(r.regionId),
            parent_id: referenceId(r.partOf),
            gln: str(r.gln),
            version,
            doc,
          },
        ],
      };
    case 'SupplyRequest':
      return {
        supply_requests: [
          {
            id: r.id,
            status: str(r.status) ?? '',
            priority: str(r.priority) ?? '',
            requester_id: referenceId(r.requester) ?? '',
            incident_id: referenceId(r.incident),
            deliver_to_id: referenceId(r.deliverTo) ?? '',
            supplier_id: referenceId(r.supplier),
            authored_at: secondsMs(r.authoredOn),
            needed_by: secondsMs(r.neededBy),
            version,
            doc,
          },
        ],
        supply_request_lines: lines(r.lines).map((line, i) => ({
          request_id: r.id,
          line_no: num(line.sequence) ?? i + 1,
          product_id: referenceId(line.product) ?? '',
          quantity: num(obj(line.quantity)?.value) ?? 0,
          unit: str(obj(line.quantity)?.unit) ?? '',
          version,
        })),
      };
    case 'Shipment': {
      // One pass over the history, each time parsed once: the first time each milestone was
      // reached, and one entry per distinct `<at>|<status>` (the last copy's fields, the first
      // copy's position).
      const milestones: Record<string, number | null> = {
        planned: null,
        dispatched: null,
        delivered: null,
        received: null,
      };
      const historyRows = new Map<string, ResourceTableRow>();
      for (const h of lines(r.statusHistory)) {
        const at = secondsMs(h.at);
        if (at === null) continue;
        const raw = h.status;
        if (typeof raw === 'string' && Object.hasOwn(milestones, raw)) {
          const best = milestones[raw] ?? null;
          if (best === null || at < best) milestones[raw] = at;
        }
        const status = str(raw);
        if (status === null) continue;
        const id = `${new Date(at).toISOString()}|${status}`;
        historyRows.set(id, { shipment_id: r.id, id, status, status_at: at, changed_by: str(h.by), version });
      }
      return {
        shipments: [
          {
            id: r.id,
            status: str(r.status) ?? '',
            priority: str(r.priority),
            origin_id: referenceId(r.origin) ?? '',
            destination_id: referenceId(r.destination) ?? '',
            origin_region_id: '',
            destination_region_id: '',
            carrier_id: referenceId(r.carrier),
            incident_id: referenceId(r.incident),
            request_ids: refs(r.requests),
            eta: secondsMs(r.eta),
            planned_at: milestones.planned ?? null,
            dispatched_at: milestones.dispatched ?? null,
            delivered_at: milestones.delivered ?? null,
            received_at: milestones.received ?? null,
            version,
            doc,
          },
        ],
        shipment_lines: lines(r.lines).map((line, i) => ({
          shipment_id: r.id,
          line_no: i + 1,
          product_id: referenceId(line.product) ?? '',
          lot_number: str(obj(line.lot)?.lotNumber),
          quantity: num(obj(line.quantity)?.value) ?? 0,
          unit: str(obj(line.quantity)?.unit) ?? '',
          version,
        })),
        shipment_status_history: [...historyRows.values()],
      };
    }
    case 'Incident': {
      const period = obj(r.period);
      return {
        incidents: [
          {
            id: r.id,
            incident_type: str(r.incidentType) ?? '',
            severity: str(r.severity) ?? '',
            status: str(r.status),
            name_fr: str(name?.fr) ?? str(name?.en),
            started_at: secondsMs(period?.start),
            ended_at: secondsMs(period?.end),
            affected_regions: strings(r.affectedRegions),
            population_affected: num(r.populationAffected),
            version,
            doc,
          },
        ],
      };
    }
    case 'Equipment':
      return {
        equipment: [
          {
            id: r.id,
            kind: str(r.kind) ?? '',
            serial_number: str(r.serialNumber) ?? '',
            product_id: referenceId(r.product),
            status: str(r.status) ?? '',
            location_id: referenceId(r.location),
            owner_id: referenceId(r.owner),
            commissioned_on: day(r.commissionedOn),
            next_maintenance_due: day(r.nextMaintenanceDue),
            version,
            doc,
          },
        ],
      };
    case 'MaintenanceEvent': {
      const performed = obj(r.performed);
      return {
        maintenance_events: [
          {
            id: r.id,
            equipment_id: referenceId(r.equipment) ?? '',
            kind: str(r.kind) ?? '',
            status: str(r.status) ?? '',
            scheduled_for: secondsMs(r.scheduledFor),
            performed_start: secondsMs(performed?.start),
            performed_end: secondsMs(performed?.end),
            downtime_hours: num(r.downtimeHours),
            outcome: str(r.outcome),
            location_id: referenceId(r.location),
            version,
            doc,
          },
        ],
      };
    }
    case 'StockSnapshot':
      return {
        stock_snapshots: [
          {
            id: r.id,
            location_id: referenceId(r.location) ?? '',
            product_id: referenceId(r.product) ?? '',
            gtin: str(r.gtin),
            lot_number: str(obj(r.lot)?.lotNumber),
            counted_at: secondsMs(r.countedAt) ?? 0,
            quantity: num(obj(r.quantity)?.value) ?? 0,
            unit: str(obj(r.quantity)?.unit) ?? '',
            method: str(r.method),
            version,
            doc,
          },
        ],
      };
    default:
      return {};
  }
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, as ClickHouse's DateTime('UTC') reads it. */
function dateTimeText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** A row as a ClickHouse JSONEachRow object. */
export function clickhouseRowJson(spec: TableSpec, row: ResourceTableRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of spec.columns) {
    const value = row[name] ?? null;
    out[name] =
      (type === 'datetime' || type === 'ndatetime') && typeof value === 'number' ? dateTimeText(value) : value;
  }
  return out;
}

/** The location ids whose region the batch's shipments need (see `withShipmentRegions`). */
export function shipmentLocationIds(rows: Readonly<Record<ResourceTableName, ResourceTableRow[]>>): string[] {
  const ids = new Set<string>();
  for (const row of rows.shipments) {
    for (const id of [row.origin_id, row.destination_id]) if (typeof id === 'string' && id !== '') ids.add(id);
  }
  return [...ids];
}

/** Fills the shipments' origin and destination regions from a location → region map. */
export function withShipmentRegions(
  rows: ResourceTableRow[],
  regions: ReadonlyMap<string, string>,
): ResourceTableRow[] {
  return rows.map((row) => ({
    ...row,
    origin_region_id: regions.get(String(row.origin_id)) ?? '',
    destination_region_id: regions.get(String(row.destination_id)) ?? '',
  }));
}
