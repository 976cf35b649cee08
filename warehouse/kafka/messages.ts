import { createHash } from 'node:crypto';
import {
  type CloudEvent,
  canonicalJson,
  EVENT_TYPE_PREFIX,
  fromKafkaMessage,
  HubError,
  JSON_CONTENT_TYPE,
  type Resource,
  toKafkaMessage,
  unwrap,
  type ValidationIssue,
  wrap,
} from '../../core/index.js';
import type { CanonicalResource, DeadLetter } from '../../core/ports/index.js';
import { deadLetterTopic, recordTopic } from './topics.js';

/** A message ready for `produce`: CloudEvents binary binding (`ce_*` headers, JSON data as value). */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Array<Record<string, string>>;
}

/** A consumed message, as node-rdkafka delivers it. */
export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers?: Array<Record<string, Buffer | string>>;
}

/**
 * CloudEvents `type` of a dead letter on `<prefix>dead-letters`. Resource types have no `-`,
 * so this never reads as a resource's event type.
 */
export const DEAD_LETTER_EVENT_TYPE = `${EVENT_TYPE_PREFIX}dead-letter.v1`;

/**
 * The message key of a resource, when it is not core's aggregate id (`<ResourceType>/<id>`).
 * A StockMovement is keyed by its stock line, `Location/<id>|Product/<id>`: every movement that
 * changes one on-hand quantity lands on one partition in the order it was produced, so a
 * consumer keeping a running balance (stock-out alerts) sees them in order. Keyed by its own
 * id, each movement would be an aggregate of one and nothing would be ordered. Movements are
 * never compacted (event topic), so a key shared by many messages loses nothing; every other
 * family is keyed by its id, which is also what compaction keeps the latest version of.
 */
export function stockLineKey(resource: CanonicalResource): string | undefined {
  if (resource.resourceType !== 'StockMovement') return undefined;
  const location = referenceOf(resource.location);
  const product = referenceOf(resource.product);
  return location !== undefined && product !== undefined ? `${location}|${product}` : undefined;
}

function referenceOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  const reference = (value as { reference?: unknown } | null | undefined)?.reference;
  return typeof reference === 'string' && reference !== '' ? reference : undefined;
}

/**
 * A canonical record as its CloudEvent (core's envelope: deterministic id, subject = aggregate
 * id) on its family's topic. `connector` names the event source, `/connectors/<connector>`.
 */
export function encodeRecord(resource: CanonicalResource, connector: string, prefix: string): OutgoingMessage {
  const message = toKafkaMessage(wrap(resource as unknown as Resource, { source: `/connectors/${connector}` }));
  return { topic: recordTopic(resource.resourceType, prefix), ...message, key: stockLineKey(resource) ?? message.key };
}

/** A dead letter as a CloudEvent on the dead-letter topic, keyed by its connector stream. */
export function encodeDeadLetter(deadLetter: DeadLetter, prefix: string): OutgoingMessage {
  const event: CloudEvent<DeadLetter> = {
    specversion: '1.0',
    // Same dead letter, same id, as for records: a re-sent batch can be recognised downstream.
    id: createHash('sha256').update(canonicalJson(deadLetter), 'utf8').digest('hex').slice(0, 32),
    source: `/connectors/${deadLetter.connector}`,
    type: DEAD_LETTER_EVENT_TYPE,
    subject: deadLetter.stream,
    time: deadLetter.failedAt,
    datacontenttype: JSON_CONTENT_TYPE,
    data: deadLetter,
  };
  return {
    topic: deadLetterTopic(prefix),
    ...toKafkaMessage(event),
    key: `${deadLetter.connector}/${deadLetter.stream}`,
  };
}

export type DecodedMessage =
  | { readonly kind: 'record'; readonly record: CanonicalResource }
  | { readonly kind: 'dead-letter'; readonly deadLetter: DeadLetter }
  /** Not a hub CloudEvent: `deadLetter` holds the raw message and the reason. */
  | { readonly kind: 'poison'; readonly deadLetter: DeadLetter };

/**
 * Decodes a consumed message and validates it (core's `unwrap`: envelope, known type, data
 * valid against its schema). Never throws: what cannot be decoded or is not valid becomes a
 * poison dead letter carrying every problem found and the raw message.
 */
export function decodeMessage(message: IncomingMessage): DecodedMessage {
  const opened = fromKafkaMessage(message);
  if (!opened.valid) return poison(message, opened.errors);
  const event = opened.value;
  if (event.type === DEAD_LETTER_EVENT_TYPE) {
    const deadLetter = event.data as Partial<DeadLetter> | null | undefined;
    if (
      typeof deadLetter?.connector !== 'string' ||
      typeof deadLetter.stream !== 'string' ||
      !Array.isArray(deadLetter.errors) ||
      typeof deadLetter.failedAt !== 'string'
    ) {
      return poison(message, [
        decodeIssue(message, 'a dead-letter event needs connector, stream, errors and failedAt'),
      ]);
    }
    return { kind: 'dead-letter', deadLetter: deadLetter as DeadLetter };
  }
  const record = unwrap(event);
  if (!record.valid) return poison(message, record.errors);
  return { kind: 'record', record: record.value as unknown as CanonicalResource };
}

function decodeIssue(message: IncomingMessage, reason: string): ValidationIssue {
  const error = new HubError('HUB_ERR_STREAM_DECODE', {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    reason,
  });
  return { pointer: '', code: error.code, message: error.message };
}

/**
 * A dead letter for a message that could not be decoded, with every problem found (pointers
 * relative to the event, e.g. `/data/quantity`). The payload keeps the message whole:
 * coordinates, key, headers, and the value as UTF-8 text, or base64 when it is not UTF-8.
 */
function poison(message: IncomingMessage, problems: readonly ValidationIssue[]): DecodedMessage {
  const value = message.value ?? Buffer.alloc(0);
  const text = value.toString('utf8');
  const isUtf8 = Buffer.from(text, 'utf8').equals(value);
  const headers = (message.headers ?? []).map((header) =>
    Object.fromEntries(Object.entries(header).map(([name, v]) => [name, v.toString()])),
  );
  return {
    kind: 'poison',
    deadLetter: {
      connector: 'kafka-sink',
      stream: message.topic,
      sourceId: `${message.topic}/${message.partition}@${message.offset}`,
      errors: problems.map(({ pointer, code, message: text }) => ({ pointer, code, message: text })),
      payload: {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        key: message.key === null || message.key === undefined ? null : message.key.toString(),
        headers,
        value: isUtf8 ? text : value.toString('base64'),
        valueEncoding: isUtf8 ? 'utf8' : 'base64',
      },
      failedAt: new Date().toISOString(),
    },
  };
}
