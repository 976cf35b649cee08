import type { SwaggerOptions } from '@fastify/swagger';
import type { Options as AjvOptions } from 'ajv';
import { commonSchema, FORMATS, RESOURCE_TYPES, schemaOf } from '../core/model/index.js';
import { problemSchema } from './problems.js';

/**
 * The conventions that make the served OpenAPI document (`/openapi.json`, and
 * `openapi/openapi.yaml` through `scripts/gen-openapi.ts`) a contract that lints clean
 * (`redocly.yaml`) and generates usable clients (`scripts/gen-clients`):
 *
 * - the canonical JSON Schemas are registered with the server (`canonicalSchemas()`), so a route
 *   answers a canonical resource with `{ $ref: 'https://reserve-hub.ma/schemas/SupplyRequest/1' }`
 *   and the document carries it as `#/components/schemas/SupplyRequest` (its shared definitions as
 *   `common-Quantity`, `common-Meta`…);
 * - every operation has an `operationId`: the route's own, or one derived from the method and path
 *   (`GET /v1/lots/{gtin}/{lot}/trace` → `getLotsByGtinByLotTrace`); set one on the route for a
 *   better name in the clients;
 * - every tag a route uses is declared, with its description from `TAG_DESCRIPTIONS` (the lint
 *   fails on a tag without one);
 * - 4xx/5xx responses are `application/problem+json`, and the problem schema is one component.
 */

/** Descriptions of the tags the routes use. A route with a new tag needs an entry here. */
export const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  locations: 'Regions, platforms, warehouses, zones and delivery sites of the reserve network.',
  products: 'The catalogue: products with their GTIN, category, unit and storage class.',
  organizations:
    'The parties of the response: ministry services, crisis authorities, NGOs, UN agencies, the Red Crescent, suppliers and carriers.',
  stock: 'Stock on hand, available and reserved, by location, product, lot, category and region.',
  movements: 'Stock movements: receipts, dispatches, transfers, adjustments and write-offs.',
  lots: 'Lots of a product and their chain of custody, with lineage to the source records.',
  requests: 'Supply requests from crisis authorities and partners, and their status.',
  shipments: 'Shipments and their status history.',
  equipment: 'Serialised equipment and its maintenance.',
  incidents: 'Incidents (earthquakes, floods…) that supply requests answer.',
  kpis: 'Key performance indicators of the reserves.',
  connectors: 'Connector status and runs.',
  'dead-letters': 'Refused records kept with their reasons and source payload, to inspect and replay.',
  events: 'Live server-sent events: KPI changes, shipment status changes and new incidents.',
  exports: 'Bulk exports as an Apache Arrow IPC stream, NDJSON or CSV.',
  ingest: 'Push ingestion: partners push EPCIS, FHIR, CAP, EDXL-RM, CSV and signed webhook documents.',
  audit: 'The audit trail of writes (admin only).',
  keys: 'API keys and their scopes (admin only).',
};

const SCHEMA_ID = /^https:\/\/reserve-hub\.ma\/schemas\/([A-Za-z]+)\/\d+$/;
const PROBLEM_JSON = 'application/problem+json';

type Json = Record<string, unknown>;

/**
 * The canonical JSON Schemas (the common definitions first, then one per resource type) as the
 * server registers them with `app.addSchema`: `$schema` is dropped, since the OpenAPI 3.1 dialect
 * is JSON Schema 2020-12 already and the route compiler does not load that meta-schema.
 */
export function canonicalSchemas(): Json[] {
  return [commonSchema(), ...RESOURCE_TYPES.map((t) => schemaOf(t))].map((s) => {
    const { $schema: _dialect, ...rest } = s as Json;
    return rest;
  });
}

/** Route-compiler (Ajv) options that the canonical schemas need: their annotation keyword and formats. */
export const canonicalAjvOptions: Pick<AjvOptions, 'keywords' | 'formats'> = {
  keywords: ['x-label'],
  formats: { ...FORMATS },
};

/** `GET /v1/lots/{gtin}/{lot}/trace` → `getLotsByGtinByLotTrace`. */
export function defaultOperationId(method: string, url: string): string {
  const pascal = (s: string) =>
    s
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('');
  const parts = url
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') || p.startsWith('{') ? `By${pascal(p)}` : pascal(p)));
  return method.toLowerCase() + parts.join('');
}

function isProblemSchema(schema: unknown): boolean {
  return JSON.stringify(schema) === JSON.stringify(problemSchema);
}

/** Applies the document conventions above to the object `@fastify/swagger` built. */
export function finishDocument(doc: Json): Json {
  const components = (doc.components ?? {}) as Json & { schemas?: Record<string, unknown> };
  const schemas = { ...(components.schemas ?? {}) };
  // The common schema's own node is only a container of `$defs`, each already a component.
  delete schemas.common;
  schemas.Problem = { ...problemSchema, description: 'An RFC 9457 problem, with a stable `code` from the catalogue.' };
  const used = new Set<string>();
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      op.operationId ??= defaultOperationId(method, path);
      for (const tag of (op.tags as string[] | undefined) ?? []) used.add(tag);
      const responses = op.responses as Record<string, Json>;
      for (const [status, response] of Object.entries(responses)) {
        const content = response.content as Record<string, Json> | undefined;
        const isError = /^[45]/.test(status);
        if (response.description === 'Default Response') {
          response.description = isError ? 'A problem (RFC 9457)' : 'Success';
        }
        if (!isError || !content) continue;
        const json = content['application/json'];
        if (json && !content[PROBLEM_JSON] && isProblemSchema(json.schema)) {
          response.content = { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } };
        }
      }
    }
  }
  const tags = [...used].sort().map((name) => {
    const description = TAG_DESCRIPTIONS[name];
    return description ? { name, description } : { name };
  });
  // The reading order of the document: what it is, where and how to call it, then the operations.
  const { openapi, info, servers, security, paths: _paths, components: _components, ...rest } = doc;
  return { openapi, info, servers, security, tags, ...rest, paths, components: { ...components, schemas } };
}

/** The `@fastify/swagger` options of the API (OpenAPI 3.1). */
export function swaggerOptions(version: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Reserve Hub API',
        version,
        description:
          "Stock, movements and coordination data of Morocco's national emergency reserves, for partners " +
          '(NGOs, UN agencies, the Red Crescent, ministries) and crisis authorities. Every error is an RFC 9457 ' +
          'problem with a stable `code`; credentials are bearer API keys or OAuth2 client-credentials tokens.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        contact: { name: 'Reserve Hub maintainers' },
      },
      servers: [{ url: 'http://127.0.0.1:8080', description: 'A hub started with `hub start` (HUB_HOST, HUB_PORT)' }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`hub keys create`) or a JWT.' },
        },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => SCHEMA_ID.exec(String(json.$id ?? ''))?.[1] ?? `def-${i}`,
    },
    transformObject: (documentObject) => {
      const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      return finishDocument(doc as Json) as never;
    },
  };
}
