import { hash } from 'node:crypto';
import { canonicalJson } from '../lineage/lineage.js';
import { issue, type ValidationIssue, type ValidationResult } from '../model/issues.js';
import { RESOURCE_TYPES, type ResourceType, SCHEMA_VERSION, schemaId } from '../model/schemas.js';
import type { Resource } from '../model/types.gen.js';
import { validate } from '../model/validate.js';

/**
 * CloudEvents 1.0 envelope of the hub's events, and its Kafka protocol binding (binary content
 * mode, `ce_*` headers). Implemented here against the spec rather than with the `cloudevents`
 * package: the binding is a dozen lines, and this keeps its headers in node-rdkafka's
 * `MessageHeader[]` form and its results as values.
 */
export interface CloudEvent<T = unknown> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly data?: T;
  /** Extension attributes: lower-case a-z0-9 names, string values. */
  readonly [extension: string]: unknown;
}

export const EVENT_TYPE_PREFIX = 'ma.reserve-hub.';
export const JSON_CONTENT_TYPE = 'application/json';
const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

const BY_LOWER = new Map(RESOURCE_TYPES.map((t) => [t.toLowerCase(), t]));
const CONTEXT_ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema'];
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/** The event type of a resource: `ma.reserve-hub.<lower-case type>.v<schema major>`. */
export function eventType(type: ResourceType): string {
  return `${EVENT_TYPE_PREFIX}${type.toLowerCase()}.v${SCHEMA_VERSION}`;
}

/** The resource type an event type carries, or `undefined` for a type (or version) the hub does not know. */
export function resourceTypeOfEvent(type: string): ResourceType | undefined {
  const match = /^ma\.reserve-hub\.([a-z]+)\.v(\d+)$/.exec(type);
  if (!match || Number(match[2]) !== SCHEMA_VERSION) return undefined;
  return BY_LOWER.get(match[1] as string);
}

/** The aggregate a resource belongs to, `<ResourceType>/<id>`: the event subject and the Kafka key. */
export function aggregateId(resource: Pick<Resource, 'resourceType' | 'id'>): string {
  return `${resource.resourceType}/${resource.id}`;
}

/**
 * A deterministic event id: a UUID (RFC 9562 version 8) from the SHA-256 of the resource's
 * canonical JSON. The same content always gives the same id, so a redelivered or re-ingested
 * record is recognised downstream (idempotent writes key on it), and any change gives a new one.
 */
export function eventId(resource: Resource): string {
  return eventIdOfCanonicalJson(canonicalJson(resource));
}

/**
 * `eventId` of the resource whose canonical JSON (`canonicalJson`) is `text`: for a producer
 * that needs that text anyway (as the message body), so the resource is serialised once.
 */
export function eventIdOfCanonicalJson(text: string): string {
  // One-shot hashing (Node ≥ 20.12, as package.json requires): no Hash object per event.
  const h = hash('sha256', text, 'buffer') as unknown as Buffer;
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export interface WrapOptions {
  /** The event source, a URI-reference naming the producer, e.g. `/connectors/postgres-ledger`. */
  readonly source: string;
  /** Default: `eventId(resource)`. */
  readonly id?: string;
  /** Default: `meta.lastUpdated`, else `meta.lineage.ingestedAt`, else now. */
  readonly time?: string;
  /** Extension attributes (lower-case alphanumeric names, at most 20 characters). */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** Puts a canonical resource in its CloudEvents envelope. The resource should already be valid. */
export function wrap<R extends Resource>(resource: R, options: WrapOptions): CloudEvent<R> {
  for (const name of Object.keys(options.extensions ?? {})) {
    if (!EXTENSION_NAME.test(name) || CONTEXT_ATTRIBUTES.includes(name) || name === 'data') {
      throw new TypeError(`invalid CloudEvents extension name ${name}`);
    }
  }
  return {
    ...options.extensions,
    specversion: '1.0',
    id: options.id ?? eventId(resource),
    source: options.source,
    type: eventType(resource.resourceType),
    subject: aggregateId(resource),
    time: options.time ?? resource.meta?.lastUpdated ?? resource.meta?.lineage?.ingestedAt ?? new Date().toISOString(),
    datacontenttype: JSON_CONTENT_TYPE,
    dataschema: schemaId(resource.resourceType),
    data: resource,
  };
}

function envelopeIssue(pointer: string, reason: string): ValidationIssue {
  return issue('HUB_ERR_ENVELOPE_INVALID', pointer, { reason: `${pointer === '' ? 'the event' : pointer} ${reason}` });
}

/** The problems of an envelope's context attributes (not of its data). */
function envelopeIssues(event: Record<string, unknown>): ValidationIssue[] {
  const found: ValidationIssue[] = [];
  if (event.specversion !== '1.0') found.push(envelopeIssue('/specversion', 'must be "1.0"'));
  for (const name of ['id', 'source', 'type'] as const) {
    const value = event[name];
    if (typeof value !== 'string' || value === '') found.push(envelopeIssue(`/${name}`, 'must be a non-empty string'));
  }
  for (const name of ['subject', 'time', 'datacontenttype', 'dataschema'] as const) {
    const value = event[name];
    if (value !== undefined && typeof value !== 'string') found.push(envelopeIssue(`/${name}`, 'must be a string'));
  }
  for (const [name, value] of Object.entries(event)) {
    if (CONTEXT_ATTRIBUTES.includes(name) || name === 'data') continue;
    if (!EXTENSION_NAME.test(name)) found.push(envelopeIssue(`/${name}`, 'is not a valid extension attribute name'));
    else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      found.push(envelopeIssue(`/${name}`, 'must be a string, number or boolean'));
    }
  }
  return found;
}

/**
 * Opens a hub event: checks the envelope (CloudEvents 1.0, a known type and version, the
 * matching `dataschema` and `subject`, JSON data) and validates its data as that resource.
 * Pointers are relative to the event (`/data/quantity/value`).
 */
export function unwrap(event: unknown): ValidationResult<Resource> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { valid: false, errors: [envelopeIssue('', 'must be a JSON object')] };
  }
  const e = event as Record<string, unknown>;
  const found = envelopeIssues(e);
  const type = typeof e.type === 'string' ? resourceTypeOfEvent(e.type) : undefined;
  if (type === undefined && typeof e.type === 'string' && e.type !== '') {
    found.push(
      envelopeIssue('/type', `${e.type} is not a hub event type (${EVENT_TYPE_PREFIX}<resource>.v${SCHEMA_VERSION})`),
    );
  }
  if (e.datacontenttype !== undefined && e.datacontenttype !== JSON_CONTENT_TYPE) {
    found.push(envelopeIssue('/datacontenttype', `must be ${JSON_CONTENT_TYPE}`));
  }
  if (!('data' in e)) found.push(envelopeIssue('/data', 'is missing'));
  if (type !== undefined) {
    if (e.dataschema !== undefined && e.dataschema !== schemaId(type)) {
      found.push(envelopeIssue('/dataschema', `must be ${schemaId(type)} for ${e.type}`));
    }
    if ('data' in e) {
      const result = validate(type, e.data);
      if (!result.valid) {
        for (const i of result.errors) found.push({ ...i, pointer: `/data${i.pointer}` });
      } else if (e.subject !== undefined && e.subject !== aggregateId(result.value)) {
        found.push(envelopeIssue('/subject', `must be ${aggregateId(result.value)}, the aggregate of its data`));
      }
      if (found.length === 0 && result.valid) return result;
    }
  }
  return { valid: false, errors: found };
}

/** A Kafka message in node-rdkafka's shapes: `headers` is its `MessageHeader[]`. */
export interface KafkaMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Array<Record<string, string>>;
}

/** What a consumer hands back: rdkafka's header list (or a plain object), values as strings or Buffers. */
export interface IncomingKafkaMessage {
  readonly key?: string | Buffer | null;
  readonly value: Buffer | string | null;
  readonly headers?:
    | ReadonlyArray<Readonly<Record<string, string | Buffer>>>
    | Readonly<Record<string, string | Buffer | undefined>>;
}

/**
 * The Kafka binding of an event, binary content mode: the data (JSON) is the value, each
 * context attribute and extension a `ce_<name>` header, `datacontenttype` the `content-type`
 * header, and the key the event subject (the aggregate id), so order is kept per aggregate.
 * `dataJson`, when given, is the data already serialised (e.g. its canonical JSON).
 */
export function toKafkaMessage(event: CloudEvent, dataJson?: string): KafkaMessage {
  const headers: Array<Record<string, string>> = [{ 'content-type': event.datacontenttype ?? JSON_CONTENT_TYPE }];
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype' || value === undefined) continue;
    headers.push({ [`ce_${name}`]: String(value) });
  }
  const key = event.subject ?? event.id;
  return { key, value: Buffer.from(dataJson ?? JSON.stringify(event.data ?? null), 'utf8'), headers };
}

function headerMap(headers: IncomingKafkaMessage['headers']): Map<string, string> {
  const map = new Map<string, string>();
  const put = (name: string, value: string | Buffer | undefined) => {
    if (value !== undefined) map.set(name.toLowerCase(), typeof value === 'string' ? value : value.toString('utf8'));
  };
  if (Array.isArray(headers)) {
    for (const header of headers as ReadonlyArray<Readonly<Record<string, string | Buffer>>>) {
      for (const [name, value] of Object.entries(header)) put(name, value);
    }
  } else if (headers) {
    for (const [name, value] of Object.entries(headers)) put(name, value as string | Buffer | undefined);
  }
  return map;
}

/**
 * The event a Kafka message carries, binary mode (`ce_*` headers) or structured mode
 * (`content-type: application/cloudevents+json`). Checks the envelope only; `unwrap` the
 * result to validate its data.
 */
export function fromKafkaMessage(message: IncomingKafkaMessage): ValidationResult<CloudEvent> {
  const headers = headerMap(message.headers);
  const contentType = headers.get('content-type');
  const text =
    message.value === null
      ? undefined
      : typeof message.value === 'string'
        ? message.value
        : message.value.toString('utf8');
  let parsed: unknown;
  if (text !== undefined) {
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      return { valid: false, errors: [envelopeIssue('/data', `is not valid JSON: ${(cause as Error).message}`)] };
    }
  }
  let event: Record<string, unknown>;
  if (contentType?.startsWith(STRUCTURED_CONTENT_TYPE)) {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { valid: false, errors: [envelopeIssue('', 'must be a JSON object in structured mode')] };
    }
    event = parsed as Record<string, unknown>;
  } else {
    event = {};
    for (const [name, value] of headers) if (name.startsWith('ce_')) event[name.slice(3)] = value;
    if (contentType !== undefined) event.datacontenttype = contentType;
    if (text !== undefined) event.data = parsed;
  }
  const found = envelopeIssues(event);
  if (found.length > 0) return { valid: false, errors: found };
  return { valid: true, value: event as unknown as CloudEvent };
}
