/**
 * EPCIS 2.0 events → canonical StockMovements and Shipments. The table of what each business
 * step and disposition becomes is in `cbv.ts` and the connector's README.
 *
 * - Record ids come from the source: the event's `eventID`, or, for an event without one, a
 *   SHA-256 of the event's canonical JSON (RFC 8785) without `eventID` and `recordTime` (the
 *   EPCIS event-hash idea; not byte-compatible with CBV 2.0's own algorithm, which also rewrites
 *   identifiers, hence its own `ver`). A re-pushed document, or an event that two documents both
 *   carry, gives the same ids and replaces itself.
 * - Lineage points at the exact element: `<document>#/epcisBody/eventList/3/quantityList/1`.
 * - An event that cannot be mapped becomes one `invalid` message with the event as payload and
 *   every reason, each with its JSON pointer from the root of the document.
 * - A Shipment gathers the events of one despatch advice (`desadv`) or bill of lading (`bol`)
 *   business transaction of the document; its status history is theirs, oldest first.
 */
import { createHash } from 'node:crypto';
import {
  canonicalJson,
  type ErrorCode,
  isKnownUnit,
  issue,
  normaliseGtin14,
  type Shipment,
  type StockMovement,
  type ValidationIssue,
} from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import type { MappedDocument } from '../../sdk/document-files.js';
import { isObject, unreadable } from '../../sdk/json-document.js';
import {
  bizStepTerm,
  bizTransactionSystem,
  bizTransactionTypeTerm,
  dispositionTerm,
  type ShipmentStatus,
  stepMeaning,
  writeOffOf,
} from './cbv.js';
import { validateEnvelope, validateEvent } from './epcis-schema.js';
import { type KeyResult, parseGs1Uri } from './gs1-keys.js';

/** The part of the connector's config the mapping reads. */
export interface EpcisMappingConfig {
  /** GLN → hub Location id. An unmapped GLN is kept as `Location/gln-<gln>`. */
  readonly gln_map: Readonly<Record<string, string>>;
  /** GTIN → hub Product id. An unmapped GTIN is kept as `Product/gtin-<gtin14>`. */
  readonly gtin_map: Readonly<Record<string, string>>;
  /** A partner's own business step URI → the CBV 2.0 step it means. */
  readonly bizstep_map: Readonly<Record<string, string>>;
  /** GLNs of the hub's own sites: shipping and receiving between two of them are transfers. */
  readonly internal_glns: readonly string[];
  /** Validate against GS1's EPCIS 2.0 JSON Schema (default true). */
  readonly validate_schema: boolean;
}

export const EPCIS_CONNECTOR = 'epcis';
export const EPCIS_STREAM = 'epcis_events';

const EVENT_TYPES = new Set([
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
]);

type Json = Record<string, unknown>;

/** Schema warnings logged in full per document; the rest are counted. */
const MAX_WARNINGS = 10;

type Problem = ValidationIssue;

/** One line of goods an event moves. */
interface Goods {
  readonly gtin: string;
  readonly lot?: string;
  readonly serials?: string[];
  readonly sscc?: string[];
  readonly quantity: number;
  readonly unit: string;
  /** Pointer of the element(s) it comes from, from the document root. */
  readonly pointer: string;
}

/** What the pre-pass knows of an event. */
interface EventInfo {
  /** `eventID`, or the event hash. */
  readonly key: string;
  readonly pointer: string;
  /** Name of the event in messages: `event 3 (urn:uuid:…)`. */
  readonly label: string;
  /** Repeats event `of`: with the same content (`same`) or not (`conflict`). */
  duplicate?: { readonly of: number; readonly same: boolean };
  schemaErrors?: readonly Problem[];
  /** Despatch advice / bill of lading it belongs to: `system|value`. */
  shipmentKey?: string;
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** The hash that stands for a missing `eventID` (see the module doc). */
export function eventHash(event: Json): string {
  const { eventID: _id, recordTime: _rt, ...rest } = event;
  return `ni:///sha-256;${sha256(canonicalJson(rest))}?ver=hub-jcs-1`;
}

/** RFC 3339 time of the event at its own offset (`eventTimeZoneOffset`), the same instant. */
function localTime(eventTime: unknown, offset: unknown): string | undefined {
  if (typeof eventTime !== 'string') return undefined;
  const ms = Date.parse(eventTime);
  if (Number.isNaN(ms) || typeof offset !== 'string') return eventTime;
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!m) return eventTime;
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const iso = new Date(ms + minutes * 60_000).toISOString();
  return `${iso.slice(0, -1)}${minutes === 0 ? 'Z' : offset}`;
}

/** `2026-03-31` from an ILMD expiry (`cbvmda:itemExpirationDate`, `…bestBeforeDate`), if any. */
function ilmdExpiry(ilmd: unknown): string | undefined {
  if (!isObject(ilmd)) return undefined;
  let best: string | undefined;
  for (const [k, v] of Object.entries(ilmd)) {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) continue;
    if (/itemExpirationDate$/.test(k)) return v.slice(0, 10);
    if (/bestBeforeDate$/.test(k)) best ??= v.slice(0, 10);
  }
  return best;
}

export class EpcisDocumentMapper implements MappedDocument {
  readonly length: number;
  private readonly events: readonly unknown[];
  private readonly listPointer: string;
  private readonly infos: EventInfo[] = [];
  private readonly glnMap: Map<string, string>;
  private readonly gtinMap: Map<string, string>;
  private readonly internal: Set<string>;
  /** SSCC → what an AggregationEvent of the document packed into it. */
  private readonly packed = new Map<string, { event: Json; pointer: string }[]>();
  private readonly shipments = new Map<string, CanonicalResource>();
  private readonly shipmentSources = new Map<string, { pointer: string; payload: unknown; log?: string }>();
  private readonly noStockChange = new Map<string, number>();
  private readonly header: StreamMessage[] = [];
  /** Schema warnings of the events: the first ones in full, then a count. */
  private readonly warnings: string[] = [];
  private warningCount = 0;
  private readonly keyCache = new Map<string, KeyResult>();

  constructor(
    private readonly name: string,
    doc: unknown,
    private readonly config: EpcisMappingConfig,
  ) {
    const invalid = (reason: string) => unreadable(EPCIS_CONNECTOR, name, `not an EPCIS 2.0 document: ${reason}`);
    if (!isObject(doc)) throw invalid(`it is ${Array.isArray(doc) ? 'an array' : `a ${typeof doc}`}, not an object`);
    const type = doc.type;
    let list: unknown;
    if (type === 'EPCISDocument') {
      list = (doc.epcisBody as Json | undefined)?.eventList;
      this.listPointer = '/epcisBody/eventList';
    } else if (type === 'EPCISQueryDocument') {
      list = (((doc.epcisBody as Json | undefined)?.queryResults as Json | undefined)?.resultsBody as Json | undefined)
        ?.eventList;
      this.listPointer = '/epcisBody/queryResults/resultsBody/eventList';
    } else {
      throw invalid(`/type is ${JSON.stringify(type)}; expected EPCISDocument or EPCISQueryDocument`);
    }
    if (!Array.isArray(list)) throw invalid(`${this.listPointer} is missing or not an array`);
    this.events = list;
    this.length = list.length;

    if (config.validate_schema) {
      const outcome = validateEnvelope(withoutEvents(doc, type === 'EPCISDocument'));
      if (outcome.errors.length > 0) {
        throw invalid(
          outcome.errors
            .slice(0, 5)
            .map((e) => `${e.pointer || '(root)'} ${e.reason}`)
            .join('; '),
        );
      }
      for (const w of outcome.warnings) {
        this.header.push({ type: 'log', level: 'warn', message: `${name}: ${w.pointer} ${w.reason}` });
      }
    }

    this.glnMap = new Map(Object.entries(config.gln_map));
    this.gtinMap = new Map(Object.entries(config.gtin_map).map(([g, id]) => [normaliseGtin14(g) ?? g, id]));
    this.internal = new Set(config.internal_glns);
    this.prepare();
  }

  /** Keys, duplicates, schema outcomes, packing and shipment groups: the whole document at once. */
  private prepare(): void {
    const seen = new Map<string, number>();
    const groups = new Map<string, number[]>();
    for (let i = 0; i < this.events.length; i++) {
      const event = this.events[i];
      const pointer = `${this.listPointer}/${i}`;
      if (!isObject(event)) {
        this.infos.push({
          key: `#${i}`,
          pointer,
          label: `event ${i}`,
          schemaErrors: [
            problem('HUB_ERR_EPCIS_SCHEMA', pointer, { record: `event ${i}`, reason: 'must be an object' }),
          ],
        });
        continue;
      }
      const id = typeof event.eventID === 'string' && event.eventID !== '' ? event.eventID : undefined;
      const key = id ?? eventHash(event);
      const info: EventInfo = { key, pointer, label: id ? `event ${i} (${id})` : `event ${i}` };
      this.infos.push(info);
      const first = seen.get(key);
      if (first !== undefined) {
        const same = canonicalJson(event) === canonicalJson(this.events[first]);
        info.duplicate = { of: first, same };
        continue;
      }
      seen.set(key, i);
      if (this.config.validate_schema) {
        const outcome = validateEvent(event, pointer);
        if (outcome.errors.length > 0) {
          info.schemaErrors = outcome.errors.map((e) =>
            problem('HUB_ERR_EPCIS_SCHEMA', e.pointer, { record: info.label, reason: e.reason }),
          );
          continue;
        }
        for (const w of outcome.warnings) this.warn(`${w.pointer} ${w.reason}`);
      }
      if (event.type === 'AggregationEvent' && event.action !== 'DELETE' && typeof event.parentID === 'string') {
        const parent = this.key(event.parentID);
        if (parent.ok && parent.key.kind === 'sscc') {
          const list = this.packed.get(parent.key.sscc) ?? [];
          list.push({ event, pointer });
          this.packed.set(parent.key.sscc, list);
        }
      }
      const shipmentKey = shipmentKeyOf(event);
      if (shipmentKey !== undefined) {
        info.shipmentKey = shipmentKey;
        const g = groups.get(shipmentKey) ?? [];
        g.push(i);
        groups.set(shipmentKey, g);
      }
      const step = this.stepTerm(event);
      const mapsToNothing =
        EVENT_TYPES.has(String(event.type)) &&
        event.type !== 'TransformationEvent' &&
        step.ok &&
        this.kindOf(event, step.term) === 'none' &&
        !stepMeaning(step.term).status;
      if (mapsToNothing) {
        const label = `${String(event.type)}${step.term ? ` ${step.term}` : ''}`;
        this.noStockChange.set(label, (this.noStockChange.get(label) ?? 0) + 1);
      }
    }
    for (const [key, members] of groups) this.buildShipment(key, members);
  }

  /** The GS1 key of a URI, parsed once per document: read points and classes repeat a lot. */
  private key(uri: string): KeyResult {
    let r = this.keyCache.get(uri);
    if (r === undefined) {
      r = parseGs1Uri(uri);
      this.keyCache.set(uri, r);
    }
    return r;
  }

  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    this.warningCount++;
  }

  unit(i: number): readonly StreamMessage[] {
    const out: StreamMessage[] = i === 0 ? [...this.header] : [];
    const info = this.infos[i] as EventInfo;
    const event = this.events[i];
    if (info.duplicate) {
      const first = this.infos[info.duplicate.of] as EventInfo;
      if (info.duplicate.same) {
        out.push({
          type: 'log',
          level: 'warn',
          message: `${this.name}: ${info.label} repeats ${first.label} exactly; it is read once`,
        });
      } else {
        out.push(
          this.invalid(info, event, [
            problem('HUB_ERR_MAPPING_DUPLICATE', `${info.pointer}/eventID`, {
              record: info.label,
              key: info.key,
              first: first.pointer,
            }),
          ]),
        );
      }
      return out;
    }
    if (info.schemaErrors) {
      out.push(this.invalid(info, event, info.schemaErrors));
      return out;
    }
    const mapped = this.mapEvent(event as Json, info);
    if (mapped.problems.length > 0) out.push(this.invalid(info, event, mapped.problems));
    else
      for (const r of mapped.records) {
        out.push({ type: 'record', data: r.data, sourceId: `${this.name}#${r.pointer}`, sourcePayload: event });
      }
    return out;
  }

  finish(): readonly StreamMessage[] {
    const out: StreamMessage[] = this.length === 0 ? [...this.header] : [];
    for (const [key, shipment] of this.shipments) {
      const src = this.shipmentSources.get(key);
      if (!src) continue;
      out.push({ type: 'record', data: shipment, sourceId: `${this.name}#${src.pointer}`, sourcePayload: src.payload });
    }
    for (const src of this.shipmentSources.values()) {
      if (src.log) out.push({ type: 'log', level: 'warn', message: src.log });
    }
    for (const w of this.warnings) out.push({ type: 'log', level: 'warn', message: `${this.name}: ${w}` });
    if (this.warningCount > this.warnings.length) {
      const more = this.warningCount - this.warnings.length;
      out.push({ type: 'log', level: 'warn', message: `${this.name}: … and ${more} more warnings of the same kinds` });
    }
    if (this.noStockChange.size > 0) {
      const parts = [...this.noStockChange].map(([label, n]) => `${label} ×${n}`).join(', ');
      out.push({ type: 'log', level: 'info', message: `${this.name}: events that change no stock: ${parts}` });
    }
    return out;
  }

  private invalid(info: EventInfo, event: unknown, problems: readonly Problem[]): StreamMessage {
    const type = isObject(event) ? event.type : undefined;
    return {
      type: 'invalid',
      sourceId: `${this.name}#${info.pointer}`,
      payload: event,
      errors: problems,
      ...(type === 'TransactionEvent' ? { resourceType: 'Shipment' } : { resourceType: 'StockMovement' }),
    };
  }

  /** The CBV business step of an event (through `bizstep_map`), or why it has none. */
  private stepTerm(event: Json): { ok: true; term: string | undefined } | { ok: false; raw: string } {
    const raw = event.bizStep;
    if (typeof raw !== 'string') return { ok: true, term: undefined };
    const term = bizStepTerm(raw) ?? bizStepTerm(this.config.bizstep_map[raw] ?? '');
    return term === undefined ? { ok: false, raw } : { ok: true, term };
  }

  /** The movement an event makes, before the ends are known to be internal. */
  private kindOf(event: Json, term: string | undefined): 'inbound' | 'outbound' | 'write-off' | 'none' {
    if (event.type === 'TransactionEvent' || event.type === 'AssociationEvent') return 'none';
    if (event.type === 'AggregationEvent' && event.action === 'DELETE') return 'none';
    const meaning = stepMeaning(term);
    if (meaning.movement !== 'none') return meaning.movement;
    const disp = typeof event.disposition === 'string' ? dispositionTerm(event.disposition) : undefined;
    return meaning.status === undefined && writeOffOf(disp) ? 'write-off' : 'none';
  }

  private locationRef(gln: string): string {
    return `Location/${this.glnMap.get(gln) ?? `gln-${gln}`}`;
  }

  private productRef(gtin: string): string {
    return `Product/${this.gtinMap.get(gtin) ?? `gtin-${gtin}`}`;
  }

  /** The GLN of a location URI (`readPoint.id`, `bizLocation.id`, a source or destination). */
  private glnOf(uri: unknown, pointer: string, label: string, problems: Problem[]): string | undefined {
    if (typeof uri !== 'string') return undefined;
    const r = this.key(uri);
    if (r.ok && r.key.kind === 'sgln') return r.key.gln;
    problems.push(
      problem('HUB_ERR_MAPPING_LOCATION_UNKNOWN', pointer, {
        record: label,
        value: uri,
        reason: r.ok ? `a ${r.key.kind.toUpperCase()} is not a location` : r.reason,
      }),
    );
    return undefined;
  }

  /** The first `location` of a source or destination list. */
  private endOf(list: unknown, field: 'source' | 'destination', pointer: string, label: string): string | undefined {
    if (!Array.isArray(list)) return undefined;
    for (let k = 0; k < list.length; k++) {
      const e = list[k];
      if (!isObject(e) || typeof e[field] !== 'string') continue;
      const type = typeof e.type === 'string' ? e.type : '';
      if (type === 'location' || /SDT-location$|sdt:location$/.test(type)) {
        // A source or destination is context: one that names no GLN is left out, not refused.
        return this.glnOf(e[field], `${pointer}/${k}/${field}`, label, []);
      }
    }
    return undefined;
  }

  /** Goods named by an EPC list (instances): one line per GTIN, with serials. */
  private goodsOfEpcs(
    list: unknown,
    pointer: string,
    label: string,
    problems: Problem[],
    seen = new Set<string>(),
  ): Goods[] {
    if (!Array.isArray(list)) return [];
    const byGtin = new Map<string, { serials: string[]; sscc: Set<string> }>();
    const extra: Goods[] = [];
    for (let k = 0; k < list.length; k++) {
      const uri = list[k];
      const at = `${pointer}/${k}`;
      if (typeof uri !== 'string') continue;
      const r = this.key(uri);
      if (!r.ok) {
        problems.push(
          problem('HUB_ERR_MAPPING_IDENTIFIER', at, { record: label, scheme: r.scheme, value: uri, reason: r.reason }),
        );
        continue;
      }
      const key = r.key;
      if (key.kind === 'sgtin') {
        const g = byGtin.get(key.gtin) ?? { serials: [], sscc: new Set() };
        g.serials.push(key.serial);
        byGtin.set(key.gtin, g);
      } else if (key.kind === 'sscc') {
        const contents = this.packed.get(key.sscc);
        if (!contents || seen.has(key.sscc)) {
          problems.push(
            problem('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', at, {
              record: label,
              value: uri,
              reason: `no AggregationEvent of this document says what SSCC ${key.sscc} holds`,
            }),
          );
          continue;
        }
        seen.add(key.sscc);
        // The goods are the pallet's contents; their lineage is this event's mention of the pallet.
        for (const c of contents) {
          for (const g of this.goodsOfEvent(c.event, c.pointer, label, problems, seen)) {
            extra.push({ ...g, sscc: [...new Set([...(g.sscc ?? []), key.sscc])], pointer: at });
          }
        }
      } else {
        problems.push(
          problem('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', at, {
            record: label,
            value: uri,
            reason:
              key.kind === 'other'
                ? `a ${key.scheme} names no trade item`
                : `a ${key.kind.toUpperCase()} names no trade item instance`,
          }),
        );
      }
    }
    const out: Goods[] = [];
    for (const [gtin, g] of byGtin)
      out.push({ gtin, serials: g.serials, quantity: g.serials.length, unit: 'EA', pointer });
    return out.concat(extra);
  }

  /** Goods named by a quantity list (classes): one line per element. */
  private goodsOfQuantities(list: unknown, pointer: string, label: string, problems: Problem[]): Goods[] {
    if (!Array.isArray(list)) return [];
    const out: Goods[] = [];
    for (let k = 0; k < list.length; k++) {
      const q = list[k];
      const at = `${pointer}/${k}`;
      if (!isObject(q)) continue;
      const cls = typeof q.epcClass === 'string' ? q.epcClass : '';
      const r = this.key(cls);
      let gtin: string | undefined;
      let lot: string | undefined;
      if (!r.ok) {
        problems.push(
          problem('HUB_ERR_MAPPING_IDENTIFIER', `${at}/epcClass`, {
            record: label,
            scheme: r.scheme,
            value: cls,
            reason: r.reason,
          }),
        );
      } else if (r.key.kind === 'lgtin') {
        gtin = r.key.gtin;
        lot = r.key.lot;
      } else if (r.key.kind === 'gtin') {
        gtin = r.key.gtin;
      } else {
        problems.push(
          problem('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', `${at}/epcClass`, {
            record: label,
            value: cls,
            reason: 'an epcClass must name a product class (LGTIN, GTIN pattern or Digital Link /01/…)',
          }),
        );
      }
      const quantity = q.quantity;
      const uom = q.uom;
      if (typeof quantity !== 'number') {
        problems.push(
          problem('HUB_ERR_MAPPING_REQUIRED', `${at}/quantity`, { record: label, resourceType: 'StockMovement' }),
        );
        continue;
      }
      if (!(quantity > 0)) {
        problems.push(
          problem('HUB_ERR_MODEL_QUANTITY_SIGN', `${at}/quantity`, {
            value: quantity,
            expected: 'greater than 0',
            context: `in ${label}: the business step gives the direction`,
          }),
        );
        continue;
      }
      if (uom !== undefined && !isKnownUnit(uom)) {
        problems.push(problem('HUB_ERR_MODEL_UNIT_UNKNOWN', `${at}/uom`, { unit: String(uom) }));
        continue;
      }
      if (gtin !== undefined) {
        out.push({
          gtin,
          ...(lot === undefined ? {} : { lot }),
          quantity,
          unit: typeof uom === 'string' ? uom : 'EA',
          pointer: at,
        });
      }
    }
    return out;
  }

  /** Every line of goods an event names, in the lists its type has. */
  private goodsOfEvent(event: Json, pointer: string, label: string, problems: Problem[], seen?: Set<string>): Goods[] {
    switch (event.type) {
      case 'AggregationEvent':
        return [
          ...this.goodsOfEpcs(event.childEPCs, `${pointer}/childEPCs`, label, problems, seen),
          ...this.goodsOfQuantities(event.childQuantityList, `${pointer}/childQuantityList`, label, problems),
        ].map((g) => (typeof event.parentID === 'string' ? withParent(g, event.parentID) : g));
      case 'ObjectEvent':
      case 'TransactionEvent':
        return [
          ...this.goodsOfEpcs(event.epcList, `${pointer}/epcList`, label, problems, seen),
          ...this.goodsOfQuantities(event.quantityList, `${pointer}/quantityList`, label, problems),
        ];
      default:
        return [];
    }
  }

  private identifiers(event: Json): { system: string; value: string }[] {
    const out: { system: string; value: string }[] = [];
    if (typeof event.eventID === 'string' && event.eventID !== '') {
      out.push({ system: 'https://ref.gs1.org/epcis/eventID', value: event.eventID });
    }
    if (Array.isArray(event.bizTransactionList)) {
      for (const t of event.bizTransactionList) {
        if (!isObject(t) || typeof t.bizTransaction !== 'string' || t.bizTransaction.length > 256) continue;
        const system = bizTransactionSystem(typeof t.type === 'string' ? t.type : undefined);
        if (/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(system)) out.push({ system, value: t.bizTransaction });
      }
    }
    return out;
  }

  private mapEvent(
    event: Json,
    info: EventInfo,
  ): { records: { data: CanonicalResource; pointer: string }[]; problems: Problem[] } {
    const problems: Problem[] = [];
    const records: { data: CanonicalResource; pointer: string }[] = [];
    const { label, pointer } = info;
    if (!EVENT_TYPES.has(String(event.type))) {
      problems.push(
        problem('HUB_ERR_MAPPING_UNSUPPORTED', `${pointer}/type`, {
          record: label,
          reason: `the event type ${JSON.stringify(event.type)} is not one the hub maps (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent)`,
        }),
      );
      return { records, problems };
    }
    const step = this.stepTerm(event);
    if (!step.ok) {
      problems.push(
        problem('HUB_ERR_MAPPING_CODE_UNKNOWN', `${pointer}/bizStep`, {
          record: label,
          code: step.raw,
          expected: 'a CBV 2.0 business step, or an entry of the connector config bizstep_map',
        }),
      );
      return { records, problems };
    }
    const occurredAt = localTime(event.eventTime, event.eventTimeZoneOffset) as string;
    const recordedAt = typeof event.recordTime === 'string' ? event.recordTime : undefined;
    const identifier = this.identifiers(event);
    const shipmentRef =
      info.shipmentKey !== undefined && this.shipments.has(info.shipmentKey)
        ? [{ reference: `Shipment/${(this.shipments.get(info.shipmentKey) as CanonicalResource).id}` }]
        : undefined;
    const idBase = `epcis-${sha256(info.key).slice(0, 32)}`;

    if (event.type === 'TransformationEvent') {
      const gln = this.eventGln(event, pointer, label, problems);
      const inputs = [
        ...this.goodsOfEpcs(event.inputEPCList, `${pointer}/inputEPCList`, label, problems),
        ...this.goodsOfQuantities(event.inputQuantityList, `${pointer}/inputQuantityList`, label, problems),
      ];
      const outputs = [
        ...this.goodsOfEpcs(event.outputEPCList, `${pointer}/outputEPCList`, label, problems),
        ...this.goodsOfQuantities(event.outputQuantityList, `${pointer}/outputQuantityList`, label, problems),
      ];
      if (problems.length > 0 || gln === undefined) return { records, problems };
      const expiry = ilmdExpiry(event.ilmd);
      const why = typeof event.transformationID === 'string' ? ` ${event.transformationID}` : '';
      const lines = [
        ...inputs.map((g) => ({ g, sign: -1, reason: `transformation input${why}` })),
        ...outputs.map((g) => ({ g, sign: 1, reason: `transformation output${why}` })),
      ];
      lines.forEach(({ g, sign, reason }, n) => {
        records.push({
          pointer: g.pointer,
          data: this.movement({
            id: `${idBase}-${n}`,
            movementType: 'adjustment',
            occurredAt,
            recordedAt,
            gln,
            goods: g,
            sign,
            expiry: sign > 0 ? expiry : undefined,
            reason,
            identifier,
            references: shipmentRef,
          }),
        });
      });
      return { records, problems };
    }

    const kind = this.kindOf(event, step.term);
    if (kind === 'none') return { records, problems };
    const gln = this.eventGln(event, pointer, label, problems);
    const goods = this.goodsOfEvent(event, pointer, label, problems);
    if (problems.length > 0 || gln === undefined) return { records, problems };
    if (goods.length === 0) {
      problems.push(
        problem(
          'HUB_ERR_MAPPING_REQUIRED',
          `${pointer}/${event.type === 'AggregationEvent' ? 'childQuantityList' : 'quantityList'}`,
          {
            record: label,
            resourceType: 'StockMovement',
          },
        ),
      );
      return { records, problems };
    }
    const disp = typeof event.disposition === 'string' ? dispositionTerm(event.disposition) : undefined;
    let movementType: StockMovement['movementType'];
    let other: string | undefined;
    let reason: string | undefined;
    if (kind === 'inbound') {
      other = this.endOf(event.sourceList, 'source', `${pointer}/sourceList`, label);
      movementType =
        disp === 'returned'
          ? 'return'
          : other && this.internal.has(other) && this.internal.has(gln)
            ? 'transfer-in'
            : 'receipt';
    } else if (kind === 'outbound') {
      other = this.endOf(event.destinationList, 'destination', `${pointer}/destinationList`, label);
      movementType = other && this.internal.has(other) && this.internal.has(gln) ? 'transfer-out' : 'dispatch';
    } else {
      movementType = writeOffOf(disp) ?? 'loss';
      reason = `EPCIS ${step.term ?? 'event'}${disp ? `, disposition ${disp}` : ''}`;
    }
    const expiry = ilmdExpiry(event.ilmd);
    goods.forEach((g, n) => {
      records.push({
        pointer: g.pointer,
        data: this.movement({
          id: `${idBase}-${n}`,
          movementType,
          occurredAt,
          recordedAt,
          gln,
          other,
          goods: g,
          sign: kind === 'inbound' ? 1 : -1,
          expiry,
          reason,
          identifier,
          references: shipmentRef,
        }),
      });
    });
    return { records, problems };
  }

  /** The GLN of the site whose stock an event changes: its business location, else its read point. */
  private eventGln(event: Json, pointer: string, label: string, problems: Problem[]): string | undefined {
    const biz = isObject(event.bizLocation) ? event.bizLocation.id : undefined;
    const read = isObject(event.readPoint) ? event.readPoint.id : undefined;
    if (biz === undefined && read === undefined) {
      problems.push(
        problem('HUB_ERR_MAPPING_REQUIRED', `${pointer}/bizLocation`, { record: label, resourceType: 'StockMovement' }),
      );
      return undefined;
    }
    return biz !== undefined
      ? this.glnOf(biz, `${pointer}/bizLocation/id`, label, problems)
      : this.glnOf(read, `${pointer}/readPoint/id`, label, problems);
  }

  private movement(m: {
    id: string;
    movementType: StockMovement['movementType'];
    occurredAt: string;
    recordedAt: string | undefined;
    gln: string;
    other?: string | undefined;
    goods: Goods;
    sign: number;
    expiry: string | undefined;
    reason: string | undefined;
    identifier: { system: string; value: string }[];
    references: { reference: string }[] | undefined;
  }): CanonicalResource {
    const g = m.goods;
    const out: StockMovement = {
      resourceType: 'StockMovement',
      id: m.id,
      movementType: m.movementType,
      occurredAt: m.occurredAt,
      location: { reference: this.locationRef(m.gln) },
      product: { reference: this.productRef(g.gtin) },
      gtin: g.gtin,
      quantity: { value: m.sign * g.quantity, unit: g.unit },
    };
    if (m.recordedAt !== undefined) out.recordedAt = m.recordedAt;
    if (m.other !== undefined) out.counterpart = { reference: this.locationRef(m.other) };
    if (g.lot !== undefined)
      out.lot = m.expiry === undefined ? { lotNumber: g.lot } : { lotNumber: g.lot, expiry: m.expiry };
    if (g.serials !== undefined) out.serials = g.serials;
    if (g.sscc !== undefined) out.sscc = g.sscc;
    if (m.reason !== undefined) out.reason = m.reason;
    if (m.identifier.length > 0) out.identifier = m.identifier;
    if (m.references !== undefined) out.references = m.references;
    return out as unknown as CanonicalResource;
  }

  /**
   * One Shipment from the events of a despatch advice or bill of lading: origin, destination,
   * lines and status history. Lines come from its TransactionEvent, else its shipping event,
   * else its first event that names goods.
   */
  private buildShipment(key: string, members: readonly number[]): void {
    let origin: string | undefined;
    let destination: string | undefined;
    let lines: Goods[] | undefined;
    let linesRank = 9;
    const history: { status: ShipmentStatus; at: string; ms: number; note: string; gln?: string }[] = [];
    const sources: unknown[] = [];
    for (const i of members) {
      const event = this.events[i] as Json;
      const info = this.infos[i] as EventInfo;
      const step = this.stepTerm(event);
      if (!step.ok) continue;
      const problems: Problem[] = [];
      const gln =
        isObject(event.bizLocation) || isObject(event.readPoint)
          ? this.eventGln(event, info.pointer, info.label, problems)
          : undefined;
      const meaning = stepMeaning(step.term);
      if (meaning.movement === 'outbound' || meaning.status === 'picked') origin ??= gln;
      if (meaning.movement === 'inbound') destination ??= gln;
      origin ??= this.endOf(event.sourceList, 'source', `${info.pointer}/sourceList`, info.label);
      destination ??= this.endOf(event.destinationList, 'destination', `${info.pointer}/destinationList`, info.label);
      const goods = this.goodsOfEvent(event, info.pointer, info.label, problems);
      const rank = event.type === 'TransactionEvent' ? 0 : meaning.movement === 'outbound' ? 1 : 2;
      if (goods.length > 0 && problems.length === 0 && rank < linesRank) {
        lines = goods;
        linesRank = rank;
      }
      const at = localTime(event.eventTime, event.eventTimeZoneOffset);
      if (meaning.status && at !== undefined) {
        history.push({
          status: meaning.status,
          at,
          ms: Date.parse(at),
          note: `EPCIS ${String(event.type)} ${step.term} (${info.pointer})`,
          ...(gln === undefined ? {} : { gln }),
        });
      }
      sources.push(event);
    }
    const [system, value] = splitKey(key);
    const first = this.infos[members[0] as number] as EventInfo;
    if (history.length === 0) return;
    if (origin === undefined || destination === undefined || lines === undefined) {
      const missing = [
        origin === undefined && 'origin',
        destination === undefined && 'destination',
        lines === undefined && 'goods',
      ]
        .filter(Boolean)
        .join(', ');
      this.shipmentSources.set(key, {
        pointer: first.pointer,
        payload: sources,
        log: `${this.name}: no Shipment for ${value}: its events name no ${missing}`,
      });
      return;
    }
    // Arriving anywhere but the destination is a stop on the way.
    for (const h of history)
      if (h.status === 'delivered' && h.gln !== undefined && h.gln !== destination) h.status = 'in-transit';
    history.sort((a, b) => a.ms - b.ms);
    const shipment: Shipment = {
      resourceType: 'Shipment',
      id: `epcis-shp-${sha256(key).slice(0, 32)}`,
      identifier: [{ system, value }],
      status: (history[history.length - 1] as (typeof history)[number]).status,
      origin: { reference: this.locationRef(origin) },
      destination: { reference: this.locationRef(destination) },
      lines: lines.map((g) => {
        const line: Shipment['lines'][number] = {
          product: { reference: this.productRef(g.gtin) },
          quantity: { value: g.quantity, unit: g.unit },
        };
        if (g.lot !== undefined) line.lot = { lotNumber: g.lot };
        if (g.serials !== undefined) line.serials = g.serials;
        if (g.sscc?.[0] !== undefined) line.sscc = g.sscc[0];
        return line;
      }),
      statusHistory: history.map((h) => ({ status: h.status, at: h.at, note: h.note })),
    };
    const ssccs = [...new Set(lines.flatMap((g) => g.sscc ?? []))];
    if (ssccs.length > 0) shipment.sscc = ssccs;
    this.shipments.set(key, shipment as unknown as CanonicalResource);
    this.shipmentSources.set(key, { pointer: first.pointer, payload: sources });
  }
}

function withParent(g: Goods, parentID: string): Goods {
  const parent = parseGs1Uri(parentID);
  if (!parent.ok || parent.key.kind !== 'sscc') return g;
  return { ...g, sscc: [...new Set([...(g.sscc ?? []), parent.key.sscc])] };
}

/** `system|value` of the despatch advice or bill of lading an event belongs to. */
function shipmentKeyOf(event: Json): string | undefined {
  if (!Array.isArray(event.bizTransactionList)) return undefined;
  let bol: string | undefined;
  for (const t of event.bizTransactionList) {
    if (!isObject(t) || typeof t.bizTransaction !== 'string' || typeof t.type !== 'string') continue;
    const term = bizTransactionTypeTerm(t.type);
    if (term === 'desadv') return `${bizTransactionSystem(t.type)}|${t.bizTransaction}`;
    if (term === 'bol') bol ??= `${bizTransactionSystem(t.type)}|${t.bizTransaction}`;
  }
  return bol;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** The document with its event list emptied, to validate its envelope alone. */
function withoutEvents(doc: Json, capture: boolean): Json {
  const body = doc.epcisBody as Json;
  if (capture) return { ...doc, epcisBody: { ...body, eventList: [] } };
  const qr = body.queryResults as Json;
  return {
    ...doc,
    epcisBody: { ...body, queryResults: { ...qr, resultsBody: { ...(qr.resultsBody as Json), eventList: [] } } },
  };
}

const problem: (
  code: ErrorCode,
  pointer: string,
  params: Readonly<Record<string, string | number | boolean | null | undefined>>,
) => Problem = issue;
