/**
 * HL7 FHIR R5 Bundles (transaction, batch, collection) of SupplyRequest, SupplyDelivery and
 * InventoryReport → canonical SupplyRequest, StockMovement, Shipment and StockSnapshot. The
 * mapping tables are in the connector's README.
 *
 * - Record ids come from the source: the resource's `id`, else its first business identifier,
 *   else the entry's `fullUrl`, else a hash of the resource, all scoped by the config's
 *   `source_system`. A Bundle sent again gives the same ids.
 * - Lineage points at the exact entry: `<document>#/entry/3/resource` (or, for an inventory
 *   line, `…/inventoryListing/0/item/5`).
 * - Other entries of the Bundle (Location, Organization, Medication, Device, InventoryItem…)
 *   are context: references to them are resolved (GLN of a Location, GTIN of a Medication).
 * - A resource that cannot be mapped becomes one `invalid` message with the entry as payload
 *   and every problem, each with its JSON pointer from the root of the Bundle.
 */
import { createHash } from 'node:crypto';
import {
  canonicalJson,
  type ErrorCode,
  explainGs1,
  isDate,
  isDateTime,
  isKnownUnit,
  issue,
  isValidGln,
  knownUnits,
  normaliseGtin14,
  type Shipment,
  type StockMovement,
  type StockSnapshot,
  type SupplyRequest,
  UNIT_SYSTEM_URIS,
  type ValidationIssue,
} from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import type { MappedDocument } from '../../sdk/document-files.js';
import { isObject, unreadable } from '../../sdk/json-document.js';

export const FHIR_CONNECTOR = 'fhir';
export const FHIR_STREAM = 'fhir_resources';

/** The part of the connector's config the mapping reads. */
export interface FhirMappingConfig {
  /** Names the partner system; scopes record ids (`fhir:croissant-rouge-souss`). */
  readonly source_system: string;
  /** GLN → hub Location id. An unmapped GLN is kept as `Location/gln-<gln>`. */
  readonly gln_map: Readonly<Record<string, string>>;
  /** GTIN → hub Product id. An unmapped GTIN is kept as `Product/gtin-<gtin14>`. */
  readonly gtin_map: Readonly<Record<string, string>>;
  /** `<system>|<code>` of a partner's own product coding → hub Product id. */
  readonly product_code_map: Readonly<Record<string, string>>;
  /** A partner's `Location/<id>` or `Organization/<id>` → the hub's, e.g. `Location/souss-massa-ds1`. */
  readonly reference_map: Readonly<Record<string, string>>;
  /** Requester of a SupplyRequest that names none (an Organization id of the hub). */
  readonly default_requester?: string;
  /** Offset given to a date without time (`2025-09-10` → `2025-09-10T00:00:00+01:00`). */
  readonly default_offset: string;
}

/**
 * FHIR request priorities, most urgent first: stat > asap > urgent > routine
 * (http://hl7.org/fhir/request-priority). The canonical model keeps the same four codes.
 */
export const FHIR_PRIORITIES = ['stat', 'asap', 'urgent', 'routine'] as const;
export type FhirPriority = (typeof FHIR_PRIORITIES)[number];

/** The more urgent of two priorities, by `FHIR_PRIORITIES`. */
export function moreUrgent(a: FhirPriority, b: FhirPriority): FhirPriority {
  return FHIR_PRIORITIES.indexOf(a) <= FHIR_PRIORITIES.indexOf(b) ? a : b;
}

/** FHIR R5 SupplyRequest.status → canonical SupplyRequest.status. */
export const SUPPLY_REQUEST_STATUS: Readonly<Record<string, SupplyRequest['status']>> = Object.freeze({
  draft: 'draft',
  active: 'active',
  suspended: 'on-hold',
  cancelled: 'revoked',
  completed: 'completed',
  'entered-in-error': 'entered-in-error',
  unknown: 'unknown',
});

/** Code systems read as GS1 keys. `urn:oid:1.3.160` (GS1) is a GTIN on an item, a GLN on a place. */
const GTIN_SYSTEMS = new Set(['https://www.gs1.org/gtin', 'http://www.gs1.org/gtin', 'urn:oid:1.3.160']);
const GLN_SYSTEMS = new Set(['https://www.gs1.org/gln', 'http://www.gs1.org/gln', 'urn:oid:1.3.160']);
const GS1_DI_ISSUER = 'http://hl7.org/fhir/NamingSystem/gs1-di';
const REC20_URI = UNIT_SYSTEM_URIS['unece-rec20'];
const UCUM_URI = UNIT_SYSTEM_URIS.ucum;

/** Entries that are context for the mapped ones: resolved, never records of their own. */
const CONTEXT_TYPES = new Set([
  'Location',
  'Organization',
  'Medication',
  'Device',
  'DeviceDefinition',
  'InventoryItem',
  'Substance',
  'NutritionProduct',
  'BiologicallyDerivedProduct',
  'Practitioner',
  'PractitionerRole',
]);
const MAPPED_TYPES = new Set(['SupplyRequest', 'SupplyDelivery', 'InventoryReport']);

/**
 * UCUM codes written as their exact UN/ECE Rec 20 twin (`kg` → `KGM`, `{each}` → `EA`), so that
 * stock sums do not split by code system. A UCUM code with no exact twin is kept.
 */
const REC20_TWIN: ReadonlyMap<string, string> = (() => {
  const all = knownUnits();
  const out = new Map<string, string>();
  for (const u of all) {
    if (u.system !== 'ucum') continue;
    const twin = all.find(
      (r) =>
        r.system === 'unece-rec20' &&
        r.dimension === u.dimension &&
        r.factor[0] * u.factor[1] === u.factor[0] * r.factor[1] &&
        r.offset === u.offset,
    );
    if (twin) out.set(u.code, twin.code);
  }
  return out;
})();

type Json = Record<string, unknown>;
type Problem = ValidationIssue;
type Params = Readonly<Record<string, string | number | boolean | null | undefined>>;
const problem: (code: ErrorCode, pointer: string, params: Params) => Problem = issue;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

interface Entry {
  readonly entry: Json;
  readonly resource: Json | undefined;
  readonly type: string | undefined;
  /** Pointer of the resource from the root of the document. */
  readonly pointer: string;
  readonly label: string;
  readonly fullUrl: string | undefined;
}

interface Resolved {
  readonly resource?: Json;
  readonly entry?: Entry;
  readonly type?: string;
  readonly id?: string;
  readonly identifier?: { readonly system?: string; readonly value?: string };
  readonly display?: string;
}

interface Product {
  readonly product: string;
  readonly gtin?: string;
  readonly lot?: { lotNumber: string; expiry?: string };
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

function codings(concept: unknown): Json[] {
  return isObject(concept) && Array.isArray(concept.coding) ? concept.coding.filter(isObject) : [];
}

function textOf(concept: unknown): string | undefined {
  if (!isObject(concept)) return undefined;
  return str(concept.text) ?? codings(concept).map((c) => str(c.display) ?? str(c.code))[0];
}

export class FhirBundleMapper implements MappedDocument {
  readonly length: number;
  private readonly entries: Entry[] = [];
  private readonly byUrl = new Map<string, Entry>();
  private readonly skip = new Map<number, StreamMessage>();
  private readonly context = new Map<string, number>();
  private readonly timestamp: string | undefined;

  constructor(
    private readonly name: string,
    doc: unknown,
    private readonly config: FhirMappingConfig,
  ) {
    const invalid = (reason: string) => unreadable(FHIR_CONNECTOR, name, `not a FHIR R5 Bundle: ${reason}`);
    if (!isObject(doc)) throw invalid(`it is ${Array.isArray(doc) ? 'an array' : `a ${typeof doc}`}, not an object`);
    const rt = doc.resourceType;
    if (rt === 'Bundle') {
      if (doc.type !== 'transaction' && doc.type !== 'batch' && doc.type !== 'collection') {
        throw invalid(`/type is ${JSON.stringify(doc.type)}; expected transaction, batch or collection`);
      }
      if (doc.entry !== undefined && !Array.isArray(doc.entry)) throw invalid('/entry is not an array');
      const list = (doc.entry ?? []) as unknown[];
      list.forEach((e, i) => {
        this.addEntry(isObject(e) ? e : {}, `/entry/${i}/resource`, i);
      });
      this.timestamp = str(doc.timestamp);
    } else if (typeof rt === 'string' && MAPPED_TYPES.has(rt)) {
      // A single resource pushed on its own is read as a Bundle of one.
      this.addEntry({ resource: doc }, '', 0);
      this.timestamp = str((doc.meta as Json | undefined)?.lastUpdated);
    } else {
      throw invalid(`/resourceType is ${JSON.stringify(rt)}; expected Bundle`);
    }
    this.length = this.entries.length;
    this.findDuplicates();
  }

  private addEntry(entry: Json, pointer: string, i: number): void {
    const resource = isObject(entry.resource) ? entry.resource : undefined;
    const fullUrl = str(entry.fullUrl);
    const type = str(resource?.resourceType);
    const e: Entry = { entry, resource, type, pointer, fullUrl, label: `entry ${fullUrl ?? `#${i}`}` };
    this.entries.push(e);
    if (fullUrl) this.byUrl.set(fullUrl, e);
    const id = str(resource?.id);
    if (type && id) this.byUrl.set(`${type}/${id}`, e);
  }

  /** Two entries with one identity: an exact repeat is read once, a different one refused. */
  private findDuplicates(): void {
    const seen = new Map<string, number>();
    this.entries.forEach((e, i) => {
      if (!e.resource || !e.type || !MAPPED_TYPES.has(e.type)) return;
      const key = this.keyOf(e);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        return;
      }
      const prior = this.entries[first] as Entry;
      if (canonicalJson(e.resource) === canonicalJson(prior.resource)) {
        this.skip.set(i, {
          type: 'log',
          level: 'warn',
          message: `${this.name}: ${e.label} repeats ${prior.label} exactly; it is read once`,
        });
      } else {
        this.skip.set(
          i,
          this.invalid(e, [
            problem('HUB_ERR_MAPPING_DUPLICATE', e.pointer, { record: e.label, key, first: prior.pointer }),
          ]),
        );
      }
    });
  }

  /** The source identity of a resource: `Type/id`, else `Type|system|value`, else its fullUrl, else its hash. */
  private keyOf(e: Entry): string {
    const r = e.resource as Json;
    const id = str(r.id);
    if (id) return `${e.type}/${id}`;
    const ident = Array.isArray(r.identifier) ? r.identifier.find(isObject) : undefined;
    if (ident && str(ident.value)) return `${e.type}|${str(ident.system) ?? ''}|${ident.value}`;
    return e.fullUrl ?? `${e.type}#${sha256(canonicalJson(r))}`;
  }

  private idOf(prefix: string, key: string): string {
    return `fhir-${prefix}-${sha256(`${this.config.source_system}\n${key}`).slice(0, 32)}`;
  }

  unit(i: number): readonly StreamMessage[] {
    const skipped = this.skip.get(i);
    if (skipped) return [skipped];
    const e = this.entries[i] as Entry;
    const method = isObject(e.entry.request) ? e.entry.request.method : undefined;
    const at = e.pointer === '' ? '' : e.pointer.slice(0, -'/resource'.length);
    if (method === 'DELETE') {
      return [
        this.invalid(e, [
          problem('HUB_ERR_MAPPING_UNSUPPORTED', `${at}/request/method`, {
            record: e.label,
            reason: 'a DELETE entry retracts a record; the hub does not apply retractions from a Bundle',
          }),
        ]),
      ];
    }
    if (!e.resource || !e.type) {
      return [
        this.invalid(e, [
          problem('HUB_ERR_MAPPING_REQUIRED', `${e.pointer}/resourceType`, { record: e.label, resourceType: 'record' }),
        ]),
      ];
    }
    if (CONTEXT_TYPES.has(e.type)) {
      this.context.set(e.type, (this.context.get(e.type) ?? 0) + 1);
      return [];
    }
    switch (e.type) {
      case 'SupplyRequest':
        return this.supplyRequest(e);
      case 'SupplyDelivery':
        return this.supplyDelivery(e).out;
      case 'InventoryReport':
        return this.inventoryReport(e);
      default:
        return [
          this.invalid(e, [
            problem('HUB_ERR_MAPPING_UNSUPPORTED', `${e.pointer}/resourceType`, {
              record: e.label,
              reason: `${e.type} is not read by the fhir connector (it reads SupplyRequest, SupplyDelivery and InventoryReport, with Location, Organization, Medication, Device and InventoryItem as context)`,
            }),
          ]),
        ];
    }
  }

  /**
   * The Shipments of the document: every SupplyDelivery of one shipment (linked by `partOf`)
   * adds its status to one history, oldest first, whatever the resume point of the read.
   */
  finish(): readonly StreamMessage[] {
    const out: StreamMessage[] = [];
    const merged = new Map<string, { shipment: Shipment; entries: Entry[] }>();
    this.entries.forEach((e, i) => {
      if (e.type !== 'SupplyDelivery' || this.skip.has(i)) return;
      const part = this.supplyDelivery(e).shipment;
      if (!part) return;
      const prior = merged.get(part.id);
      if (!prior) merged.set(part.id, { shipment: part, entries: [e] });
      else {
        prior.entries.push(e);
        prior.shipment = mergeShipments(prior.shipment, part);
      }
    });
    for (const { shipment, entries } of merged.values()) {
      const first = entries[0] as Entry;
      out.push({
        type: 'record',
        data: shipment as unknown as CanonicalResource,
        sourceId: `${this.name}#${first.pointer}`,
        sourcePayload: entries.map((e) => e.entry),
      });
    }
    if (this.context.size > 0) {
      const parts = [...this.context].map(([t, n]) => `${t} ×${n}`).join(', ');
      out.push({
        type: 'log',
        level: 'debug',
        message: `${this.name}: context entries resolved, not stored: ${parts}`,
      });
    }
    return out;
  }

  private invalid(e: Entry, problems: readonly Problem[]): StreamMessage {
    return {
      type: 'invalid',
      sourceId: `${this.name}#${e.pointer}`,
      payload: e.entry,
      errors: problems,
      ...(e.type === 'SupplyRequest'
        ? { resourceType: 'SupplyRequest' }
        : e.type === 'InventoryReport'
          ? { resourceType: 'StockSnapshot' }
          : e.type === 'SupplyDelivery'
            ? { resourceType: 'StockMovement' }
            : {}),
    };
  }

  private record(e: Entry, data: unknown, pointer = e.pointer): StreamMessage {
    return {
      type: 'record',
      data: data as CanonicalResource,
      sourceId: `${this.name}#${pointer}`,
      sourcePayload: e.entry,
    };
  }

  // ---------------------------------------------------------------- references

  private resolve(ref: unknown): Resolved | undefined {
    if (!isObject(ref)) return undefined;
    const display = str(ref.display);
    const reference = str(ref.reference);
    if (reference) {
      const hit = this.byUrl.get(reference);
      if (hit?.resource)
        return {
          resource: hit.resource,
          entry: hit,
          ...(hit.type ? { type: hit.type } : {}),
          ...(display ? { display } : {}),
        };
      const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
      if (m) {
        const local = this.byUrl.get(`${m[1]}/${m[2]}`);
        if (local?.resource) return { resource: local.resource, entry: local, type: m[1] as string };
        return { type: m[1] as string, id: m[2] as string, ...(display ? { display } : {}) };
      }
      return display ? { display } : {};
    }
    if (isObject(ref.identifier)) {
      const ident = ref.identifier;
      return {
        ...(str(ref.type) ? { type: str(ref.type) as string } : {}),
        identifier: {
          ...(str(ident.system) ? { system: ident.system as string } : {}),
          ...(str(ident.value) ? { value: ident.value as string } : {}),
        },
        ...(display ? { display } : {}),
      };
    }
    return display ? { display } : undefined;
  }

  /** A hub id for a partner's `Type/id`, through `reference_map`. */
  private mapped(type: string, id: string): string | undefined {
    const to = this.config.reference_map[`${type}/${id}`];
    if (to !== undefined) return to.startsWith(`${type}/`) ? to : `${type}/${to}`;
    return ID.test(id) ? `${type}/${id}` : undefined;
  }

  private glnRef(gln: string): string {
    return `Location/${this.config.gln_map[gln] ?? `gln-${gln}`}`;
  }

  /** A canonical `Location/<id>` for a reference, or a problem. */
  private location(
    ref: unknown,
    pointer: string,
    label: string,
    problems: Problem[],
    resourceType = 'StockMovement',
  ): string | undefined {
    const r = this.resolve(ref);
    if (r === undefined) {
      problems.push(problem('HUB_ERR_MAPPING_REQUIRED', pointer, { record: label, resourceType }));
      return undefined;
    }
    const identifiers =
      r.resource && Array.isArray(r.resource.identifier) ? r.resource.identifier.filter(isObject) : [];
    if (r.identifier) identifiers.push(r.identifier);
    for (const ident of identifiers) {
      const system = str(ident.system);
      const value = str(ident.value);
      if (!system || !value || !GLN_SYSTEMS.has(system)) continue;
      if (isValidGln(value)) return this.glnRef(value);
      const why = explainGs1('GLN', value);
      problems.push(
        problem('HUB_ERR_MAPPING_IDENTIFIER', `${pointer}/identifier`, {
          record: label,
          scheme: 'GLN',
          value,
          reason: why?.problem === 'check-digit' ? `wrong check digit, expected ${why.expected}` : '13 digits expected',
        }),
      );
      return undefined;
    }
    const type = r.type ?? (r.resource ? str(r.resource.resourceType) : undefined);
    const id = r.id ?? (r.resource ? str(r.resource.id) : undefined);
    if (type === 'Location' && id) {
      const out = this.mapped('Location', id);
      if (out) return out;
    }
    problems.push(
      problem('HUB_ERR_MAPPING_LOCATION_UNKNOWN', pointer, {
        record: label,
        value: str((ref as Json).reference) ?? r.display ?? JSON.stringify(ref),
        reason: 'a Location with a GLN identifier, or a Location id of the hub or of reference_map, is expected',
      }),
    );
    return undefined;
  }

  /** A canonical `Organization/<id>` for a reference, when it names one. */
  private organization(ref: unknown): string | undefined {
    const r = this.resolve(ref);
    const type = r?.type ?? (r?.resource ? str(r.resource.resourceType) : undefined);
    const id = r?.id ?? (r?.resource ? str(r.resource.id) : undefined);
    if (type === 'Organization' && id) return this.mapped('Organization', id);
    if (type === 'PractitionerRole' && r?.resource) return this.organization(r.resource.organization);
    return undefined;
  }

  // ---------------------------------------------------------------- values

  /** A product from a CodeableReference / CodeableConcept (`item`), or a problem. */
  private product(item: unknown, pointer: string, label: string, problems: Problem[]): Product | undefined {
    if (!isObject(item)) {
      problems.push(problem('HUB_ERR_MAPPING_REQUIRED', pointer, { record: label, resourceType: 'product line' }));
      return undefined;
    }
    const candidates: { coding: Json; at: string }[] = [];
    let lot: Product['lot'];
    const concept = isObject(item.concept)
      ? item.concept
      : isObject(item.coding) || Array.isArray(item.coding)
        ? item
        : undefined;
    const conceptAt = concept === item ? pointer : `${pointer}/concept`;
    codings(concept).forEach((c, k) => {
      candidates.push({ coding: c, at: `${conceptAt}/coding/${k}` });
    });
    const target = this.resolve(item.reference ?? (isObject(item.itemReference) ? item.itemReference : undefined));
    if (target?.resource) {
      const r = target.resource;
      const at = `${pointer}/reference`;
      for (const c of codings(r.code)) candidates.push({ coding: c, at });
      if (Array.isArray(r.code))
        for (const cc of r.code) for (const c of codings(cc)) candidates.push({ coding: c, at });
      if (Array.isArray(r.identifier)) {
        for (const i of r.identifier.filter(isObject))
          candidates.push({ coding: { system: i.system, code: i.value }, at });
      }
      if (Array.isArray(r.udiCarrier)) {
        for (const u of r.udiCarrier.filter(isObject)) {
          if (u.issuer === GS1_DI_ISSUER)
            candidates.push({ coding: { system: 'https://www.gs1.org/gtin', code: u.deviceIdentifier }, at });
        }
      }
      const batch = isObject(r.batch) ? r.batch : isObject(r.instance) ? r.instance : undefined;
      const lotNumber = str(batch?.lotNumber);
      if (lotNumber) {
        const expiry = str(batch?.expirationDate) ?? str(batch?.expiry);
        lot = expiry && isDate(expiry.slice(0, 10)) ? { lotNumber, expiry: expiry.slice(0, 10) } : { lotNumber };
      }
    }
    for (const { coding, at } of candidates) {
      const system = str(coding.system);
      const code = str(coding.code);
      if (!system || !code) continue;
      if (GTIN_SYSTEMS.has(system)) {
        const gtin = normaliseGtin14(code);
        if (!gtin) {
          const why = explainGs1('GTIN', code);
          problems.push(
            problem('HUB_ERR_MAPPING_IDENTIFIER', `${at}/code`, {
              record: label,
              scheme: 'GTIN',
              value: code,
              reason:
                why?.problem === 'check-digit'
                  ? `wrong check digit, expected ${why.expected}`
                  : '8, 12, 13 or 14 digits expected',
            }),
          );
          return undefined;
        }
        const id = this.config.gtin_map[gtin] ?? this.config.gtin_map[gtin.replace(/^0+(?=\d{8})/, '')];
        return { product: `Product/${id ?? `gtin-${gtin}`}`, gtin, ...(lot ? { lot } : {}) };
      }
      const mapped = this.config.product_code_map[`${system}|${code}`];
      if (mapped !== undefined) return { product: `Product/${mapped}`, ...(lot ? { lot } : {}) };
    }
    const first = candidates[0]?.coding;
    problems.push(
      problem('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', pointer, {
        record: label,
        value: first
          ? `${str(first.system) ?? '(no system)'}|${str(first.code) ?? ''}`
          : (textOf(concept) ?? JSON.stringify(item)),
        reason: 'a GTIN coding (https://www.gs1.org/gtin) or a code of product_code_map is expected',
      }),
    );
    return undefined;
  }

  /** A canonical quantity from a FHIR Quantity: UCUM or Rec 20 code, Rec 20 preferred; no unit = each. */
  private quantity(
    q: unknown,
    pointer: string,
    label: string,
    problems: Problem[],
    sign: 'positive' | 'non-negative' | 'non-zero',
    resourceType: string,
  ): { value: number; unit: string } | undefined {
    if (!isObject(q)) {
      problems.push(problem('HUB_ERR_MAPPING_REQUIRED', pointer, { record: label, resourceType }));
      return undefined;
    }
    const value = q.value;
    if (typeof value !== 'number') {
      problems.push(problem('HUB_ERR_MAPPING_REQUIRED', `${pointer}/value`, { record: label, resourceType }));
      return undefined;
    }
    const ok = sign === 'positive' ? value > 0 : sign === 'non-negative' ? value >= 0 : value !== 0;
    if (!ok) {
      problems.push(
        problem('HUB_ERR_MODEL_QUANTITY_SIGN', `${pointer}/value`, {
          value,
          expected: sign === 'positive' ? 'greater than 0' : sign === 'non-negative' ? '0 or more' : 'other than 0',
          context: `in ${label}`,
        }),
      );
      return undefined;
    }
    const system = str(q.system);
    const code = str(q.code);
    const raw = code ?? str(q.unit);
    if (raw === undefined) return { value, unit: 'EA' };
    const known = (system === undefined || system === UCUM_URI || system === REC20_URI) && isKnownUnit(raw);
    if (!known) {
      problems.push(problem('HUB_ERR_MODEL_UNIT_UNKNOWN', `${pointer}/${code ? 'code' : 'unit'}`, { unit: raw }));
      return undefined;
    }
    return { value, unit: REC20_TWIN.get(raw) ?? raw };
  }

  /** An RFC 3339 time from a FHIR dateTime; a date alone takes `default_offset` at midnight. */
  private time(v: unknown, pointer: string, problems: Problem[]): string | undefined {
    if (typeof v !== 'string') return undefined;
    if (isDateTime(v)) return v;
    if (isDate(v)) return `${v}T00:00:00${this.config.default_offset}`;
    problems.push(problem('HUB_ERR_MODEL_TIMESTAMP_OFFSET', pointer, { value: v }));
    return undefined;
  }

  private identifiers(r: Json): { system: string; value: string }[] {
    if (!Array.isArray(r.identifier)) return [];
    const out: { system: string; value: string }[] = [];
    for (const i of r.identifier.filter(isObject)) {
      const system = str(i.system);
      const value = str(i.value);
      if (system && value && URI.test(system) && system.length <= 2048 && value.length <= 256)
        out.push({ system, value });
    }
    return out;
  }

  /** The canonical id of the SupplyRequest a reference names (in the Bundle or not). */
  private requestId(ref: unknown): string | undefined {
    const r = this.resolve(ref);
    if (r?.entry?.resource && r.entry.type === 'SupplyRequest') return this.idOf('sr', this.keyOf(r.entry));
    if (r?.type === 'SupplyRequest' && r.id) return this.idOf('sr', `SupplyRequest/${r.id}`);
    if (r?.identifier?.value)
      return this.idOf('sr', `SupplyRequest|${r.identifier.system ?? ''}|${r.identifier.value}`);
    return undefined;
  }

  private priority(v: unknown, pointer: string, label: string, problems: Problem[]): FhirPriority | undefined {
    if (v === undefined) return 'routine';
    if (typeof v === 'string' && (FHIR_PRIORITIES as readonly string[]).includes(v)) return v as FhirPriority;
    problems.push(
      problem('HUB_ERR_MAPPING_CODE_UNKNOWN', pointer, {
        record: label,
        code: JSON.stringify(v),
        expected: 'a FHIR request priority: stat, asap, urgent or routine',
      }),
    );
    return undefined;
  }

  // ---------------------------------------------------------------- resources

  private supplyRequest(e: Entry): StreamMessage[] {
    const r = e.resource as Json;
    const p = e.pointer;
    const problems: Problem[] = [];
    const status = typeof r.status === 'string' ? SUPPLY_REQUEST_STATUS[r.status] : undefined;
    if (r.status === undefined)
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/status`, { record: e.label, resourceType: 'SupplyRequest' }),
      );
    else if (!status) {
      problems.push(
        problem('HUB_ERR_MAPPING_CODE_UNKNOWN', `${p}/status`, {
          record: e.label,
          code: JSON.stringify(r.status),
          expected: `a SupplyRequest status: ${Object.keys(SUPPLY_REQUEST_STATUS).join(', ')}`,
        }),
      );
    }
    const priority = this.priority(r.priority, `${p}/priority`, e.label, problems);
    const product = this.product(r.item, `${p}/item`, e.label, problems);
    const quantity = this.quantity(r.quantity, `${p}/quantity`, e.label, problems, 'positive', 'SupplyRequest');
    const deliverTo = this.location(r.deliverTo, `${p}/deliverTo`, e.label, problems, 'SupplyRequest');
    const supplier =
      r.deliverFrom === undefined
        ? undefined
        : this.location(r.deliverFrom, `${p}/deliverFrom`, e.label, problems, 'SupplyRequest');
    const requester =
      this.organization(r.requester) ??
      (this.config.default_requester === undefined ? undefined : `Organization/${this.config.default_requester}`);
    if (!requester)
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/requester`, { record: e.label, resourceType: 'SupplyRequest' }),
      );
    const authoredOn = this.time(r.authoredOn, `${p}/authoredOn`, problems) ?? this.timestamp;
    if (!authoredOn)
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/authoredOn`, { record: e.label, resourceType: 'SupplyRequest' }),
      );
    const period = isObject(r.occurrencePeriod) ? r.occurrencePeriod : undefined;
    const neededBy =
      this.time(r.occurrenceDateTime, `${p}/occurrenceDateTime`, problems) ??
      this.time(period?.end ?? period?.start, `${p}/occurrencePeriod`, problems);
    if (
      problems.length > 0 ||
      !status ||
      !priority ||
      !product ||
      !quantity ||
      !deliverTo ||
      !requester ||
      !authoredOn
    ) {
      return [this.invalid(e, problems)];
    }
    const out: SupplyRequest = {
      resourceType: 'SupplyRequest',
      id: this.idOf('sr', this.keyOf(e)),
      status,
      priority,
      requester: { reference: requester },
      deliverTo: { reference: deliverTo },
      authoredOn,
      lines: [{ sequence: 1, product: { reference: product.product }, quantity }],
    };
    const identifier = this.identifiers(r);
    if (identifier.length > 0) out.identifier = identifier;
    if (supplier) out.supplier = { reference: supplier };
    if (neededBy) out.neededBy = neededBy;
    const reasons = Array.isArray(r.reason)
      ? r.reason.map((x) => textOf(isObject(x) ? x.concept : undefined)).filter(Boolean)
      : [];
    if (reasons.length > 0) out.reason = reasons.join('; ').slice(0, 2048);
    const incident = this.incident(r);
    if (incident) out.incident = { reference: incident };
    return [this.record(e, out)];
  }

  /** The hub Incident a resource is for: extension `https://reserve-hub.ma/fhir/StructureDefinition/incident`. */
  private incident(r: Json): string | undefined {
    if (!Array.isArray(r.extension)) return undefined;
    for (const x of r.extension.filter(isObject)) {
      if (x.url !== 'https://reserve-hub.ma/fhir/StructureDefinition/incident') continue;
      const ref = isObject(x.valueReference) ? str(x.valueReference.reference) : undefined;
      if (ref && /^Incident\/[A-Za-z0-9\-.]{1,64}$/.test(ref)) return ref;
    }
    return undefined;
  }

  /** `dispatch` or `reception` (R5 has no `stage`; later versions and IHE SUPPLY do). */
  private stage(r: Json): 'dispatch' | 'reception' | undefined {
    for (const c of codings(r.stage)) {
      const code = str(c.code);
      if (code === 'dispatch' || code === 'shipment') return 'dispatch';
      if (code === 'reception') return 'reception';
    }
    return undefined;
  }

  /** The movements of a SupplyDelivery (or why it is refused), and its part of a Shipment. */
  private supplyDelivery(e: Entry): { out: StreamMessage[]; shipment?: Shipment } {
    const r = e.resource as Json;
    const p = e.pointer;
    const problems: Problem[] = [];
    const status = r.status;
    if (status === 'entered-in-error') {
      return {
        out: [
          this.invalid(e, [
            problem('HUB_ERR_MAPPING_UNSUPPORTED', `${p}/status`, {
              record: e.label,
              reason: 'entered-in-error retracts an earlier delivery; the hub does not apply retractions automatically',
            }),
          ]),
        ],
      };
    }
    if (status !== 'in-progress' && status !== 'completed' && status !== 'abandoned') {
      problems.push(
        problem(status === undefined ? 'HUB_ERR_MAPPING_REQUIRED' : 'HUB_ERR_MAPPING_CODE_UNKNOWN', `${p}/status`, {
          record: e.label,
          resourceType: 'StockMovement',
          code: JSON.stringify(status),
          expected: 'a SupplyDelivery status: in-progress, completed, abandoned',
        }),
      );
      return { out: [this.invalid(e, problems)] };
    }
    const stage = this.stage(r) ?? 'reception';
    const destination = this.location(r.destination, `${p}/destination`, e.label, problems);
    // The origin is the place the requests it fulfils ask to deliver from (R5 has no origin of its own).
    const basedOn = Array.isArray(r.basedOn) ? r.basedOn : [];
    let origin: string | undefined;
    let priority: FhirPriority | undefined;
    const requests: string[] = [];
    basedOn.forEach((ref, k) => {
      const id = this.requestId(ref);
      if (id && !requests.includes(id)) requests.push(id);
      const target = this.resolve(ref)?.resource;
      if (!target) return;
      if (target.deliverFrom !== undefined && origin === undefined) {
        origin = this.location(target.deliverFrom, `${p}/basedOn/${k}`, e.label, []);
      }
      const pr =
        typeof target.priority === 'string' && (FHIR_PRIORITIES as readonly string[]).includes(target.priority)
          ? (target.priority as FhirPriority)
          : undefined;
      if (pr) priority = priority ? moreUrgent(priority, pr) : pr;
    });
    const period = isObject(r.occurrencePeriod) ? r.occurrencePeriod : undefined;
    const at =
      this.time(r.occurrenceDateTime, `${p}/occurrenceDateTime`, problems) ??
      this.time(period?.end ?? period?.start, `${p}/occurrencePeriod`, problems) ??
      this.timestamp;
    if (!at)
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/occurrenceDateTime`, {
          record: e.label,
          resourceType: 'StockMovement',
        }),
      );
    const items = Array.isArray(r.suppliedItem) ? r.suppliedItem : [];
    if (items.length === 0)
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/suppliedItem`, { record: e.label, resourceType: 'StockMovement' }),
      );
    const lines = items.map((it, k) => {
      const ip = `${p}/suppliedItem/${k}`;
      const item = isObject(it) ? it : {};
      const product = this.product(
        isObject(item.itemCodeableConcept)
          ? item.itemCodeableConcept
          : isObject(item.itemReference)
            ? { reference: item.itemReference }
            : undefined,
        `${ip}/item`,
        e.label,
        problems,
      );
      const quantity = this.quantity(item.quantity, `${ip}/quantity`, e.label, problems, 'positive', 'StockMovement');
      return { product, quantity, pointer: ip };
    });
    const moves = status === 'completed';
    const where = stage === 'dispatch' ? origin : destination;
    if (moves && stage === 'dispatch' && origin === undefined) {
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/basedOn`, {
          record: e.label,
          resourceType: 'dispatch: the deliverFrom of a SupplyRequest it is based on',
        }),
      );
    }
    const needsShipment = !moves;
    if (needsShipment && origin === undefined) {
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/basedOn`, {
          record: e.label,
          resourceType: 'Shipment: an origin, the deliverFrom of a SupplyRequest it is based on',
        }),
      );
    }
    if (problems.length > 0 || !at || !destination) return { out: [this.invalid(e, problems)] };

    const key = this.keyOf(e);
    const out: StreamMessage[] = [];
    const identifier = this.identifiers(r);
    const partOf = Array.isArray(r.partOf) ? this.resolve(r.partOf[0]) : undefined;
    const shipmentKey =
      partOf?.entry?.type === 'SupplyDelivery'
        ? this.keyOf(partOf.entry)
        : partOf?.type === 'SupplyDelivery' && partOf.id
          ? `SupplyDelivery/${partOf.id}`
          : key;
    const shipmentId = this.idOf('shp', shipmentKey);
    const counterpart = stage === 'dispatch' ? destination : (origin ?? this.organization(r.supplier));
    if (moves && where) {
      lines.forEach((l, n) => {
        const product = l.product as Product;
        const quantity = l.quantity as { value: number; unit: string };
        const m: StockMovement = {
          resourceType: 'StockMovement',
          id: `${this.idOf('sd', key)}-${n}`,
          movementType: stage === 'dispatch' ? 'dispatch' : 'receipt',
          occurredAt: at,
          location: { reference: where },
          product: { reference: product.product },
          quantity: { value: (stage === 'dispatch' ? -1 : 1) * quantity.value, unit: quantity.unit },
        };
        if (product.gtin) m.gtin = product.gtin;
        if (product.lot) m.lot = product.lot;
        if (counterpart) m.counterpart = { reference: counterpart };
        if (identifier.length > 0) m.identifier = identifier;
        const refs = [
          ...(origin !== undefined ? [{ reference: `Shipment/${shipmentId}` }] : []),
          ...requests.map((id) => ({ reference: `SupplyRequest/${id}` })),
        ];
        if (refs.length > 0) m.references = refs;
        out.push(this.record(e, m, l.pointer));
      });
    }
    if (origin !== undefined) {
      const shipmentStatus: Shipment['status'] =
        status === 'abandoned'
          ? 'cancelled'
          : status === 'completed'
            ? stage === 'dispatch'
              ? 'dispatched'
              : 'received'
            : stage === 'dispatch'
              ? 'picked'
              : 'in-transit';
      const s: Shipment = {
        resourceType: 'Shipment',
        id: shipmentId,
        status: shipmentStatus,
        origin: { reference: origin },
        destination: { reference: destination },
        lines: lines.map((l) => {
          const product = l.product as Product;
          return {
            product: { reference: product.product },
            quantity: l.quantity as { value: number; unit: string },
            ...(product.lot ? { lot: product.lot } : {}),
          };
        }),
        statusHistory: [{ status: shipmentStatus, at, note: `FHIR SupplyDelivery ${String(status)} (${stage})` }],
      };
      if (identifier.length > 0) s.identifier = identifier;
      if (priority) s.priority = priority;
      if (requests.length > 0) s.requests = requests.map((id) => ({ reference: `SupplyRequest/${id}` }));
      const receiver = Array.isArray(r.receiver) ? this.resolve(r.receiver[0]) : undefined;
      const receivedBy = receiver?.display ?? (receiver?.resource ? textOf(receiver.resource.name) : undefined);
      if (shipmentStatus === 'received' && receivedBy)
        s.proofOfDelivery = { receivedBy: receivedBy.slice(0, 256), receivedAt: at };
      return { out, shipment: s };
    }
    return { out };
  }

  private inventoryReport(e: Entry): StreamMessage[] {
    const r = e.resource as Json;
    const p = e.pointer;
    if (r.status !== 'active') {
      const known = r.status === 'draft' || r.status === 'requested' || r.status === 'entered-in-error';
      return [
        this.invalid(e, [
          known
            ? problem('HUB_ERR_MAPPING_UNSUPPORTED', `${p}/status`, {
                record: e.label,
                reason: `an InventoryReport ${String(r.status)} is not a final count; only active reports are read`,
              })
            : problem('HUB_ERR_MAPPING_CODE_UNKNOWN', `${p}/status`, {
                record: e.label,
                code: JSON.stringify(r.status),
                expected: 'an InventoryReport status: draft, requested, active, entered-in-error',
              }),
        ]),
      ];
    }
    const snapshot = r.countType !== 'difference';
    if (r.countType !== 'snapshot' && r.countType !== 'difference') {
      return [
        this.invalid(e, [
          problem('HUB_ERR_MAPPING_CODE_UNKNOWN', `${p}/countType`, {
            record: e.label,
            code: JSON.stringify(r.countType),
            expected: 'snapshot or difference',
          }),
        ]),
      ];
    }
    const head: Problem[] = [];
    const reported = this.time(r.reportedDateTime, `${p}/reportedDateTime`, head);
    if (!reported && head.length === 0)
      head.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${p}/reportedDateTime`, {
          record: e.label,
          resourceType: 'StockSnapshot',
        }),
      );
    if (head.length > 0) return [this.invalid(e, head)];
    const key = this.keyOf(e);
    const reporter = this.resolve(r.reporter);
    const countedBy =
      reporter?.display ??
      (reporter?.resource ? (textOf(reporter.resource.name) ?? str(reporter.resource.name)) : undefined);
    const out: StreamMessage[] = [];
    const listings = Array.isArray(r.inventoryListing) ? r.inventoryListing : [];
    listings.forEach((listing, l) => {
      const lp = `${p}/inventoryListing/${l}`;
      const li = isObject(listing) ? listing : {};
      const lineProblems: Problem[] = [];
      const location = this.location(li.location, `${lp}/location`, e.label, lineProblems, 'StockSnapshot');
      const countedAt = this.time(li.countingDateTime, `${lp}/countingDateTime`, lineProblems) ?? reported;
      const items = Array.isArray(li.item) ? li.item : [];
      items.forEach((it, k) => {
        const ip = `${lp}/item/${k}`;
        const item = isObject(it) ? it : {};
        const problems = [...lineProblems];
        const product = this.product(item.item, `${ip}/item`, e.label, problems);
        const quantity = this.quantity(
          item.quantity,
          `${ip}/quantity`,
          e.label,
          problems,
          snapshot ? 'non-negative' : 'non-zero',
          snapshot ? 'StockSnapshot' : 'StockMovement',
        );
        if (problems.length > 0 || !product || !quantity || !location || !countedAt) {
          out.push({ ...this.invalid(e, problems), sourceId: `${this.name}#${ip}` } as StreamMessage);
          return;
        }
        const id = `${this.idOf('inv', key)}-${l}-${k}`;
        if (snapshot) {
          const s: StockSnapshot = {
            resourceType: 'StockSnapshot',
            id,
            location: { reference: location },
            product: { reference: product.product },
            countedAt,
            quantity,
            method: 'physical-count',
          };
          if (product.gtin) s.gtin = product.gtin;
          if (product.lot) s.lot = product.lot;
          if (countedBy) s.countedBy = countedBy.slice(0, 256);
          const status = textOf(li.itemStatus);
          if (status) s.note = status.slice(0, 2048);
          out.push(this.record(e, s, ip));
        } else {
          const m: StockMovement = {
            resourceType: 'StockMovement',
            id,
            movementType: 'adjustment',
            occurredAt: countedAt,
            location: { reference: location },
            product: { reference: product.product },
            quantity,
            reason: 'FHIR InventoryReport difference count',
          };
          if (product.gtin) m.gtin = product.gtin;
          if (product.lot) m.lot = product.lot;
          out.push(this.record(e, m, ip));
        }
      });
    });
    if (out.length === 0) {
      return [
        this.invalid(e, [
          problem('HUB_ERR_MAPPING_REQUIRED', `${p}/inventoryListing`, {
            record: e.label,
            resourceType: 'StockSnapshot',
          }),
        ]),
      ];
    }
    return out;
  }
}

/** Two parts of one Shipment: their histories in time order, the dispatch's lines, the most urgent priority. */
function mergeShipments(a: Shipment, b: Shipment): Shipment {
  const history = [...a.statusHistory, ...b.statusHistory].sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  const dispatchLines = [a, b].find((s) =>
    s.statusHistory.some((h) => h.status === 'dispatched' || h.status === 'picked'),
  );
  const out: Shipment = {
    ...a,
    status: (history[history.length - 1] as Shipment['statusHistory'][number]).status,
    lines: (dispatchLines ?? a).lines,
    statusHistory: history,
  };
  const priority = a.priority && b.priority ? moreUrgent(a.priority, b.priority) : (a.priority ?? b.priority);
  if (priority) out.priority = priority;
  const requests = [...new Map([...(a.requests ?? []), ...(b.requests ?? [])].map((r) => [r.reference, r])).values()];
  if (requests.length > 0) out.requests = requests;
  const identifier = a.identifier ?? b.identifier;
  if (identifier) out.identifier = identifier;
  const pod = a.proofOfDelivery ?? b.proofOfDelivery;
  if (pod) out.proofOfDelivery = pod;
  return out;
}
