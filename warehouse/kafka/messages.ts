import { createHash } from 'node:crypto';
import {
  type CloudEvent,
  canonicalJson,
  EVENT_TYPE_PREFIX,
  eventIdOfCanonicalJson,
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
  // The canonical JSON is both what the event id hashes and the message body: serialised once.
  const text = canonicalJson(resource);
  const message = toKafkaMessage(
    wrap(resource as unknown as Resource, { source: `/connectors/${connector}`, id: eventIdOfCanonicalJson(text) }),
    text,
  );
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

/**
 * CloudEvents `type` of what the Kafka sink itself sends to the dead-letter topic: a message it
 * consumed and could not store (a poison message, or a record the warehouse refused), with its
 * reasons and its original bytes. Distinct from `DEAD_LETTER_EVENT_TYPE` (a connector's dead
 * letter, which the sink stores): the sink recognises its own and never stores or re-sends them.
 */
export const SINK_DEAD_LETTER_EVENT_TYPE = `${EVENT_TYPE_PREFIX}sink-dead-letter.v1`;

/** The value (JSON) of a `SINK_DEAD_LETTER_EVENT_TYPE` message. */
export interface SinkDeadLetter {
  readonly reasons: readonly { pointer: string; code: string; message: string }[];
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: number;
  /** The original key as UTF-8 text, `null` when the message had none. */
  readonly originalKey: string | null;
  /** The original headers, values as UTF-8 text. */
  readonly originalHeaders: Array<Record<string, string>>;
  /**
   * The original value, byte for byte, base64; `null` for a null value, or when the message
   * would be too large for Kafka with it (a reason then says so; the `dead_letters` row has it).
   */
  readonly payloadBase64: string | null;
  readonly failedAt: string;
}

/** The key of a sink dead letter: the original message's coordinates, `<topic>/<partition>@<offset>`. */
export function sinkDeadLetterKey(message: Pick<IncomingMessage, 'topic' | 'partition' | 'offset'>): string {
  return `${message.topic}/${message.partition}@${message.offset}`;
}

/**
 * A consumed message the sink could not store, as a CloudEvent (binary mode) on the dead-letter
 * topic. The id depends only on the original coordinates, so a dead letter sent again after a
 * redelivery is recognised downstream. `omitPayload` drops the original bytes (for a message
 * that would otherwise exceed Kafka's size limit) and adds a reason saying so.
 */
export function encodeSinkDeadLetter(
  message: IncomingMessage,
  reasons: readonly { pointer: string; code: string; message: string }[],
  failedAt: string,
  topic: string,
  omitPayload = false,
): OutgoingMessage {
  const key = sinkDeadLetterKey(message);
  const value: SinkDeadLetter = {
    reasons: [
      ...reasons.map(({ pointer, code, message: text }) => ({ pointer, code, message: text })),
      ...(omitPayload
        ? [
            {
              pointer: '',
              code: 'HUB_ERR_STREAM_MESSAGE_TOO_LARGE',
              message: 'payloadBase64 omitted: the dead letter would exceed the broker size limit',
            },
          ]
        : []),
    ],
    originalTopic: message.topic,
    originalPartition: message.partition,
    originalOffset: message.offset,
    originalKey: message.key === null || message.key === undefined ? null : message.key.toString(),
    originalHeaders: textHeaders(message),
    payloadBase64: omitPayload || message.value === null ? null : message.value.toString('base64'),
    failedAt,
  };
  const event: CloudEvent<SinkDeadLetter> = {
    specversion: '1.0',
    id: createHash('sha256').update(`sink-dead-letter|${key}`, 'utf8').digest('hex').slice(0, 32),
    source: '/sinks/kafka-sink',
    type: SINK_DEAD_LETTER_EVENT_TYPE,
    subject: key,
    time: failedAt,
    datacontenttype: JSON_CONTENT_TYPE,
    data: value,
  };
  return { topic, ...toKafkaMessage(event), key };
}

function textHeaders(message: IncomingMessage): Array<Record<string, string>> {
  return (message.headers ?? []).map((header) =>
    Object.fromEntries(Object.entries(header).map(([name, v]) => [name, v.toString()])),
  );
}

export type DecodedMessage =
  | { readonly kind: 'record'; readonly record: CanonicalResource }
  | { readonly kind: 'dead-letter'; readonly deadLetter: DeadLetter }
  /** Not a hub CloudEvent: `deadLetter` holds the raw message and the reason. */
  | { readonly kind: 'poison'; readonly deadLetter: DeadLetter }
  /** A dead letter the Kafka sink sent itself (`SINK_DEAD_LETTER_EVENT_TYPE`): already stored. */
  | { readonly kind: 'sink-dead-letter' };

export interface DecodeOptions {
  /**
   * The dead-letter topic: only dead letters belong there, so anything else read from it (a
   * record included) is poison, never data.
   */
  readonly deadLetterTopic?: string;
}

/**
 * Decodes a consumed message and validates it (core's `unwrap`: envelope, known type, data
 * valid against its schema). Never throws: what cannot be decoded or is not valid becomes a
 * poison dead letter carrying every problem found and the raw message.
 */
export function decodeMessage(message: IncomingMessage, options: DecodeOptions = {}): DecodedMessage {
  const opened = fromKafkaMessage(message);
  if (!opened.valid) return poison(message, opened.errors);
  const event = opened.value;
  const dlt = options.deadLetterTopic;
  if (event.type === SINK_DEAD_LETTER_EVENT_TYPE) {
    if (dlt === undefined || message.topic === dlt) return { kind: 'sink-dead-letter' };
    return poison(message, [decodeIssue(message, `a sink dead letter belongs on ${dlt} only`)]);
  }
  if (dlt !== undefined && message.topic === dlt && event.type !== DEAD_LETTER_EVENT_TYPE) {
    return poison(message, [
      decodeIssue(message, `only dead letters belong on the dead-letter topic, not ${event.type}`),
    ]);
  }
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
  const headers = textHeaders(message);
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
