import { readFileSync } from 'node:fs';

/** The canonical resource types. Each has one JSON Schema (2020-12) in `core/model/schemas/`. */
export type ResourceType =
  | 'Location'
  | 'Organization'
  | 'Product'
  | 'Lot'
  | 'Equipment'
  | 'StockMovement'
  | 'StockSnapshot'
  | 'SupplyRequest'
  | 'Shipment'
  | 'MaintenanceEvent'
  | 'Incident';

export const RESOURCE_TYPES: readonly ResourceType[] = Object.freeze([
  'Location',
  'Organization',
  'Product',
  'Lot',
  'Equipment',
  'StockMovement',
  'StockSnapshot',
  'SupplyRequest',
  'Shipment',
  'MaintenanceEvent',
  'Incident',
] as const);

const RESOURCE_SET: ReadonlySet<string> = new Set(RESOURCE_TYPES);

export function isResourceType(value: unknown): value is ResourceType {
  return typeof value === 'string' && RESOURCE_SET.has(value);
}

/** Base of every schema `$id`; a schema's major version is the last path segment. */
export const SCHEMA_BASE = 'https://reserve-hub.ma/schemas';
/** Major version of the current schemas (the `/1` of their `$id`, the `.v1` of event types). */
export const SCHEMA_VERSION = 1;
export const COMMON_SCHEMA_ID = `${SCHEMA_BASE}/common/${SCHEMA_VERSION}`;

/** The stable `$id` of a resource's schema, e.g. `https://reserve-hub.ma/schemas/StockMovement/1`. */
export function schemaId(type: ResourceType): string {
  return `${SCHEMA_BASE}/${type}/${SCHEMA_VERSION}`;
}

const cache = new Map<string, object>();

function load(file: string): object {
  let schema = cache.get(file);
  if (schema === undefined) {
    schema = Object.freeze(JSON.parse(readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8')) as object);
    cache.set(file, schema);
  }
  return schema;
}

/**
 * A resource's JSON Schema, as committed (read on first use, then cached and frozen). Its
 * `$ref`s point into the common schema (`commonSchema()`), by absolute `$id`.
 */
export function schemaOf(type: ResourceType): object {
  if (!isResourceType(type)) throw new TypeError(`unknown resource type ${String(type)}`);
  return load(`${type}.schema.json`);
}

/** The schema of the shared definitions (`$defs`: Meta, Lineage, Identifier, Quantity…). */
export function commonSchema(): object {
  return load('common.schema.json');
}
