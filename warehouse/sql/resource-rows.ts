/**
 * Canonical records → warehouse rows, engine-neutral. Both adapters store exactly these rows,
 * which is what lets the contract suite demand identical answers from DuckDB and ClickHouse.
 *
 * Records arrive already valid against the canonical model; fields are still read
 * defensively, because a schema may allow what a table cannot hold. A record that lacks what
 * its table needs (a movement without a location, say) is not dropped: it becomes a dead
 * letter with code `warehouse.unmappable`.
 *
 * Times are epoch milliseconds here (UTC); each engine writes them in its own type.
 */
import { deadLetterId } from '../../core/lineage/index.js';
import type { CanonicalResource, DeadLetter } from '../../core/ports/index.js';
import {
  RESOURCE_TABLE_NAMES,
  RESOURCE_TABLES,
  type ResourceTableName,
  type ResourceTableRow,
  resourceTableFor,
  resourceTableRows,
} from './resource-tables.js';

export type EntityTable = 'locations' | 'products' | 'lots';
export type RecordTable = EntityTable | 'stock_movements' | 'resources' | ResourceTableName;

export interface LocationDbRow {
  id: string;
  kind: string;
  name_fr: string;
  name_ar: string;
  region_id: string;
  parent_id: string | null;
  gln: string | null;
  latitude: number | null;
  longitude: number | null;
  version: number;
  doc: string;
}

export interface ProductDbRow {
  id: string;
  sku: string | null;
  gtin: string | null;
  name_fr: string;
  name_ar: string | null;
  name_en: string | null;
  category: string;
  unit: string | null;
  storage_class: string | null;
  criticality: string | null;
  version: number;
  doc: string;
}

export interface LotDbRow {
  id: string;
  product_id: string | null;
  gtin: string | null;
  lot_number: string | null;
  /** `YYYY-MM-DD` */
  expiry: string | null;
  /** `YYYY-MM-DD` */
  manufactured: string | null;
  version: number;
  doc: string;
}

export interface MovementDbRow {
  id: string;
  movement_type: string;
  /** epoch ms */
  occurred_at: number;
  location_id: string;
  counterpart_id: string | null;
  product_id: string;
  gtin: string | null;
  lot_number: string | null;
  quantity: number;
  unit: string;
  reason: string | null;
  connector: string;
  source_system: string;
  source_id: string;
  source_hash: string;
  /** epoch ms */
  ingested_at: number;
}

export interface ResourceDbRow {
  resource_type: string;
  id: string;
  version: number;
  doc: string;
}

export interface DeadLetterDbRow {
  /** sha256 over the dead letter's content: a redelivered dead letter is stored once. */
  id: string;
  connector: string;
  stream: string;
  source_id: string | null;
  resource_type: string | null;
  errors: string;
  payload: string;
  /** epoch ms */
  failed_at: number;
}

/** Rows for one write, grouped by table, deduplicated by id within the batch. */
export interface RecordRows {
  locations: LocationDbRow[];
  products: ProductDbRow[];
  lots: LotDbRow[];
  stock_movements: MovementDbRow[];
  resources: ResourceDbRow[];
  /** Rows of the operational tables (resource-tables.ts), by table. */
  tables: Record<ResourceTableName, ResourceTableRow[]>;
  /** Records no table could hold, as dead letters. */
  unmappable: DeadLetter[];
}

// ---------------------------------------------------------------------------------------------
// defensive readers

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

/** `{reference: "Location/x"}`, `"Location/x"`, `"x"` or `{id: "x"}` → `x`. */
export function referenceId(value: unknown): string | null {
  const text = typeof value === 'string' ? value : (str(obj(value)?.reference) ?? str(obj(value)?.id));
  if (text === null || text === '') return null;
  const slash = text.lastIndexOf('/');
  return slash >= 0 ? text.slice(slash + 1) || null : text;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instants both engines can store: ClickHouse's Date and DateTime count unsigned from the
 * Unix epoch and end in 2106. Outside this range a time is treated as missing, in both
 * engines alike.
 */
export const MIN_STORABLE_MS = 0;
export const MAX_STORABLE_MS = Date.UTC(2105, 11, 31, 23, 59, 59, 999);

function storable(ms: number): number | null {
  return Number.isNaN(ms) || ms < MIN_STORABLE_MS || ms > MAX_STORABLE_MS ? null : ms;
}

function dateOnly(value: unknown): string | null {
  const text = str(value);
  if (text === null) return null;
  const day = text.slice(0, 10);
  if (!DATE_RE.test(day)) return null;
  const ms = storable(Date.parse(`${day}T00:00:00Z`));
  // A non-existent day (2024-02-30) parses by rolling over: it must format back to itself.
  return ms !== null && new Date(ms).toISOString().slice(0, 10) === day ? day : null;
}

// Two one-entry caches: a movement reads its own time, then its ingest time, which repeats
// from one record to the next; one shared entry would miss on both.
let lastInstantText = '';
let lastInstantMs: number | null = null;
let lastIngestText = '';
let lastIngestMs: number | null = null;

function instantMs(value: unknown): number | null {
  const text = str(value);
  if (text === null) return null;
  if (text !== lastInstantText) {
    lastInstantMs = storable(Date.parse(text));
    lastInstantText = text;
  }
  return lastInstantMs;
}

/** `instantMs` of an ingest time (its own cache entry). */
function ingestMs(value: unknown): number | null {
  const text = str(value);
  if (text === null) return null;
  if (text !== lastIngestText) {
    lastIngestMs = storable(Date.parse(text));
    lastIngestText = text;
  }
  return lastIngestMs;
}

/**
 * The row version, for "newest wins" (ClickHouse `ReplacingMergeTree(version)`, DuckDB upsert):
 * a numeric `meta.versionId`, else `meta.lastUpdated`, else the lineage's ingest time (epoch
 * ms), else 0.
 */
export function rowVersion(record: CanonicalResource): number {
  const meta = obj(record.meta);
  const versionId = meta?.versionId;
  if (typeof versionId === 'string' && /^\d{1,15}$/.test(versionId)) return Number(versionId);
  if (typeof versionId === 'number' && Number.isSafeInteger(versionId) && versionId >= 0) {
    return versionId;
  }
  return instantMs(meta?.lastUpdated) ?? instantMs(obj(meta?.lineage)?.ingestedAt) ?? 0;
}

function nameOf(record: Obj, lang: string): string | null {
  return str(obj(record.name)?.[lang]);
}

// ---------------------------------------------------------------------------------------------
// one record → one row

type Mapped<T> = { row: T } | { problems: { pointer: string; message: string }[] };

export function locationRow(r: CanonicalResource): LocationDbRow {
  const kind = str(r.kind) ?? '';
  const position = obj(r.position);
  return {
    id: r.id,
    kind,
    name_fr: nameOf(r, 'fr') ?? nameOf(r, 'en') ?? '',
    name_ar: nameOf(r, 'ar') ?? '',
    region_id: str(r.regionId) ?? (kind === 'region' ? r.id : ''),
    parent_id: referenceId(r.partOf),
    gln: str(r.gln),
    latitude: num(position?.latitude),
    longitude: num(position?.longitude),
    version: rowVersion(r),
    doc: JSON.stringify(r),
  };
}

export function productRow(r: CanonicalResource): ProductDbRow {
  return {
    id: r.id,
    sku: str(r.sku),
    gtin: str(r.gtin),
    name_fr: nameOf(r, 'fr') ?? nameOf(r, 'en') ?? '',
    name_ar: nameOf(r, 'ar'),
    name_en: nameOf(r, 'en'),
    category: str(r.category) ?? '',
    unit: str(r.unit),
    storage_class: str(r.storageClass),
    criticality: str(r.criticality),
    version: rowVersion(r),
    doc: JSON.stringify(r),
  };
}

export function lotRow(r: CanonicalResource): LotDbRow {
  return {
    id: r.id,
    product_id: referenceId(r.product),
    gtin: str(r.gtin),
    lot_number: str(r.lotNumber),
    expiry: dateOnly(r.expiry),
    manufactured: dateOnly(r.manufactured),
    version: rowVersion(r),
    doc: JSON.stringify(r),
  };
}

export function movementRow(r: CanonicalResource, now: number): Mapped<MovementDbRow> {
  // The hot path of every batch: no closure or array per record unless something is missing.
  const quantity = obj(r.quantity);
  const lineage = obj(obj(r.meta)?.lineage);
  const movementType = str(r.movementType);
  const occurredAt = instantMs(r.occurredAt);
  const locationId = referenceId(r.location);
  const productId = referenceId(r.product);
  const value = num(quantity?.value);
  const unit = str(quantity?.unit);
  if (
    movementType === null ||
    occurredAt === null ||
    locationId === null ||
    productId === null ||
    value === null ||
    unit === null
  ) {
    const problems: { pointer: string; message: string }[] = [];
    const need = (missing: boolean, pointer: string, what: string): void => {
      if (missing) problems.push({ pointer, message: `a stock movement needs ${what}` });
    };
    need(movementType === null, '/movementType', 'a movement type');
    need(occurredAt === null, '/occurredAt', 'an occurredAt between 1970 and 2105');
    need(locationId === null, '/location', 'a location');
    need(productId === null, '/product', 'a product');
    need(value === null, '/quantity/value', 'a finite quantity');
    need(unit === null, '/quantity/unit', 'a unit');
    return { problems };
  }
  const row: MovementDbRow = {
    id: r.id,
    movement_type: movementType,
    occurred_at: occurredAt,
    location_id: locationId,
    counterpart_id: referenceId(r.counterpart),
    product_id: productId,
    gtin: str(r.gtin),
    lot_number: str(obj(r.lot)?.lotNumber),
    quantity: value,
    unit,
    reason: str(r.reason),
    connector: str(lineage?.connector) ?? '',
    source_system: str(lineage?.sourceSystem) ?? '',
    source_id: str(lineage?.sourceId) ?? '',
    source_hash: str(lineage?.sourceHash) ?? '',
    ingested_at: ingestMs(lineage?.ingestedAt) ?? now,
  };
  return { row };
}

export function resourceRow(r: CanonicalResource): ResourceDbRow {
  return {
    resource_type: r.resourceType,
    id: r.id,
    version: rowVersion(r),
    doc: JSON.stringify(r),
  };
}

/** The table a resource type is stored in; unknown and future types go to `resources`. */
export function tableFor(resourceType: string): RecordTable {
  switch (resourceType) {
    case 'Location':
      return 'locations';
    case 'Product':
      return 'products';
    case 'Lot':
      return 'lots';
    case 'StockMovement':
      return 'stock_movements';
    default:
      return resourceTableFor(resourceType) ?? 'resources';
  }
}

// ---------------------------------------------------------------------------------------------
// a batch

function keepNewest<T extends { id: string; version: number }>(map: Map<string, T>, key: string, row: T): void {
  const old = map.get(key);
  // Ties go to the later record, as ReplacingMergeTree keeps the last inserted row.
  if (old === undefined || row.version >= old.version) map.set(key, row);
}

/**
 * Maps a batch to rows per table. Within the batch an id appears once: the first occurrence
 * of a movement (events are immutable), the newest version of an entity.
 */
export function toRecordRows(
  records: readonly CanonicalResource[],
  now = Date.now(),
  origin?: { readonly connector: string; readonly stream: string },
): RecordRows {
  const locations = new Map<string, LocationDbRow>();
  const products = new Map<string, ProductDbRow>();
  const lots = new Map<string, LotDbRow>();
  const movements = new Map<string, MovementDbRow>();
  const resources = new Map<string, ResourceDbRow>();
  const tables = Object.fromEntries(
    RESOURCE_TABLE_NAMES.map((t) => [t, new Map<string, ResourceTableRow>()]),
  ) as Record<ResourceTableName, Map<string, ResourceTableRow>>;
  const unmappable: DeadLetter[] = [];
  const failedAt = new Date(now).toISOString();

  for (const record of records) {
    const resourceType = typeof record?.resourceType === 'string' ? record.resourceType : '';
    if (typeof record?.id !== 'string' || record.id === '' || resourceType === '') {
      const problem = { pointer: '/id', message: 'a record needs a resourceType and an id' };
      unmappable.push(unmappableLetter(record, [problem], failedAt, origin));
      continue;
    }
    switch (tableFor(resourceType)) {
      case 'locations':
        keepNewest(locations, record.id, locationRow(record));
        break;
      case 'products':
        keepNewest(products, record.id, productRow(record));
        break;
      case 'lots':
        keepNewest(lots, record.id, lotRow(record));
        break;
      case 'stock_movements': {
        if (movements.has(record.id)) break;
        const mapped = movementRow(record, now);
        if ('row' in mapped) movements.set(record.id, mapped.row);
        else unmappable.push(unmappableLetter(record, mapped.problems, failedAt, origin));
        break;
      }
      case 'resources':
        keepNewest(resources, `${resourceType}\u0000${record.id}`, resourceRow(record));
        break;
      default:
        for (const [table, rows] of Object.entries(resourceTableRows(record)) as [
          ResourceTableName,
          ResourceTableRow[],
        ][]) {
          const key: readonly string[] = RESOURCE_TABLES[table].key;
          for (const row of rows) {
            const id =
              key.length === 1
                ? String(row[key[0] as string])
                : key.length === 2
                  ? `${String(row[key[0] as string])}\u0000${String(row[key[1] as string])}`
                  : key.map((k) => String(row[k])).join('\u0000');
            const old = tables[table].get(id);
            if (old === undefined || Number(row.version) >= Number(old.version)) tables[table].set(id, row);
          }
        }
        break;
    }
  }
  return {
    locations: [...locations.values()],
    products: [...products.values()],
    lots: [...lots.values()],
    stock_movements: [...movements.values()],
    resources: [...resources.values()],
    tables: Object.fromEntries(RESOURCE_TABLE_NAMES.map((t) => [t, [...tables[t].values()]])) as Record<
      ResourceTableName,
      ResourceTableRow[]
    >,
    unmappable,
  };
}

function unmappableLetter(
  record: CanonicalResource,
  problems: { pointer: string; message: string }[],
  failedAt: string,
  origin: { readonly connector: string; readonly stream: string } | undefined,
): DeadLetter {
  const lineage = obj(obj(record?.meta)?.lineage);
  const resourceType = typeof record?.resourceType === 'string' ? record.resourceType : undefined;
  // Without a sink batch's origin (the WarehouseWriter path), the lineage names the connector.
  return {
    connector: origin?.connector ?? str(lineage?.connector) ?? 'unknown',
    stream: origin?.stream ?? 'warehouse',
    ...(str(lineage?.sourceId) !== null ? { sourceId: str(lineage?.sourceId) as string } : {}),
    ...(resourceType !== undefined ? { resourceType } : {}),
    errors: problems.map((p) => ({ ...p, code: 'warehouse.unmappable' })),
    payload: record,
    failedAt,
  };
}

/**
 * A dead letter as a row. Its id hashes everything but the failure time, so a redelivered
 * (or re-read) dead letter is stored once.
 */
export function deadLetterRow(letter: DeadLetter, now = Date.now()): DeadLetterDbRow {
  const errors = JSON.stringify(letter.errors ?? []);
  // A raw line stays a string: JSON.stringify turns it into a JSON string value.
  const payload = JSON.stringify(letter.payload === undefined ? null : letter.payload);
  const failedAt = instantMs(letter.failedAt) ?? now;
  // core's id, which leaves the time out: a row refused again after a crash is the same letter.
  const id = deadLetterId(letter);
  return {
    id,
    connector: letter.connector,
    stream: letter.stream,
    source_id: letter.sourceId ?? null,
    resource_type: letter.resourceType ?? null,
    errors,
    payload,
    failed_at: failedAt,
  };
}

/** Dead letters as rows, one per distinct id. */
export function toDeadLetterRows(letters: readonly DeadLetter[], now = Date.now()): DeadLetterDbRow[] {
  const rows = new Map<string, DeadLetterDbRow>();
  for (const letter of letters) {
    const row = deadLetterRow(letter, now);
    if (!rows.has(row.id)) rows.set(row.id, row);
  }
  return [...rows.values()];
}
