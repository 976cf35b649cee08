import { describe, expect, it } from 'vitest';
import { canonicalJson, eventId, type Resource, toKafkaMessage } from '../../core/index.js';
import type { CanonicalResource, DeadLetter } from '../../core/ports/index.js';
import {
  DEAD_LETTER_EVENT_TYPE,
  decodeMessage,
  encodeDeadLetter,
  encodeRecord,
  encodeSinkDeadLetter,
  type OutgoingMessage,
  SINK_DEAD_LETTER_EVENT_TYPE,
} from './messages.js';

const movement: CanonicalResource = {
  resourceType: 'StockMovement',
  id: 'mv-1',
  movementType: 'dispatch',
  occurredAt: '2025-03-01T08:00:00+01:00',
  location: { reference: 'Location/souss-massa-wh1' },
  product: { reference: 'Product/water-5l' },
  quantity: { value: -12, unit: 'EA' },
};

const deadLetter: DeadLetter = {
  connector: 'partner-csv',
  stream: 'stock_movements',
  sourceId: 'line-4',
  errors: [{ pointer: '/quantity/value', code: 'HUB_ERR_MODEL_SCHEMA', message: 'must be a number' }],
  payload: '4;Eau 5L;douze',
  failedAt: '2025-03-01T08:00:00+01:00',
};

const consumed = (m: OutgoingMessage, offset = 7) => ({ ...m, partition: 2, offset });

describe('hub messages', () => {
  it('round-trips a record, keyed by its stock line', () => {
    const m = encodeRecord(movement, 'simulator', 'hub.');
    expect(m.topic).toBe('hub.stock-movements');
    expect(m.key).toBe('Location/souss-massa-wh1|Product/water-5l');
    expect(decodeMessage(consumed(m))).toEqual({ kind: 'record', record: movement });
  });

  it('sends the canonical JSON as the body, and its hash as the event id (one serialisation)', () => {
    const m = encodeRecord(movement, 'simulator', 'hub.');
    expect(m.value?.toString('utf8')).toBe(canonicalJson(movement));
    const id = (m.headers as Record<string, string>[]).find((h) => 'ce_id' in h)?.ce_id;
    expect(id).toBe(eventId(movement as unknown as Resource));
    // The same content with its members in another order is the same event.
    const reordered = Object.fromEntries(Object.entries(movement).reverse()) as unknown as CanonicalResource;
    const again = encodeRecord(reordered, 'simulator', 'hub.');
    expect(again.value).toEqual(m.value);
    expect((again.headers as Record<string, string>[]).find((h) => 'ce_id' in h)?.ce_id).toBe(id);
  });

  it('keys every other resource by its aggregate id', () => {
    const product = encodeRecord({ resourceType: 'Product', id: 'water-5l' }, 'simulator', 'hub.');
    expect([product.topic, product.key]).toEqual(['hub.products', 'Product/water-5l']);
  });

  it('round-trips a dead letter, with a content-derived event id', () => {
    const m = encodeDeadLetter(deadLetter, 'hub.');
    expect(m.topic).toBe('hub.dead-letters');
    expect(m.key).toBe('partner-csv/stock_movements');
    expect(encodeDeadLetter({ ...deadLetter }, 'hub.').headers).toEqual(m.headers);
    expect(decodeMessage(consumed(m))).toEqual({ kind: 'dead-letter', deadLetter });
  });

  it('turns a dead-letter event without its fields into a poison dead letter', () => {
    const m = toKafkaMessage({
      specversion: '1.0',
      id: 'x1',
      source: '/connectors/rogue',
      type: DEAD_LETTER_EVENT_TYPE,
      data: { connector: 'rogue' },
    });
    const decoded = decodeMessage({ ...m, topic: 'hub.dead-letters', partition: 0, offset: 3 });
    expect(decoded).toMatchObject({
      kind: 'poison',
      deadLetter: {
        connector: 'kafka-sink',
        stream: 'hub.dead-letters',
        sourceId: 'hub.dead-letters/0@3',
        errors: [{ code: 'HUB_ERR_STREAM_DECODE', pointer: '' }],
        payload: { value: '{"connector":"rogue"}', valueEncoding: 'utf8' },
      },
    });
  });

  it('encodes a sink dead letter with the original bytes, keyed by the original coordinates', () => {
    const original = {
      topic: 'hub.stock-movements',
      partition: 1,
      offset: 42,
      key: 'garbage',
      value: Buffer.from([0x7b, 0xff, 0x00]),
      headers: [{ ce_specversion: Buffer.from('1.0') }],
    };
    const reasons = [{ pointer: '/data', code: 'HUB_ERR_ENVELOPE_INVALID', message: 'is not valid JSON' }];
    const m = encodeSinkDeadLetter(original, reasons, '2025-03-01T07:00:00.000Z', 'hub.dead-letters');
    expect([m.topic, m.key]).toEqual(['hub.dead-letters', 'hub.stock-movements/1@42']);
    expect(m.headers).toContainEqual({ ce_type: SINK_DEAD_LETTER_EVENT_TYPE });
    expect(JSON.parse(m.value.toString())).toEqual({
      reasons,
      originalTopic: 'hub.stock-movements',
      originalPartition: 1,
      originalOffset: 42,
      originalKey: 'garbage',
      originalHeaders: [{ ce_specversion: '1.0' }],
      payloadBase64: Buffer.from([0x7b, 0xff, 0x00]).toString('base64'),
      failedAt: '2025-03-01T07:00:00.000Z',
    });
    // Read back from the dead-letter topic it is recognised; anywhere else it is poison.
    const back = { ...m, partition: 0, offset: 9 };
    expect(decodeMessage(back, { deadLetterTopic: 'hub.dead-letters' })).toEqual({ kind: 'sink-dead-letter' });
    expect(decodeMessage({ ...back, topic: 'hub.products' }, { deadLetterTopic: 'hub.dead-letters' }).kind).toBe(
      'poison',
    );
    const smaller = encodeSinkDeadLetter(original, reasons, '2025-03-01T07:00:00.000Z', 'hub.dead-letters', true);
    expect(JSON.parse(smaller.value.toString())).toMatchObject({
      payloadBase64: null,
      reasons: [reasons[0], { code: 'HUB_ERR_STREAM_MESSAGE_TOO_LARGE' }],
    });
  });

  it('treats a record on the dead-letter topic as poison, never as data', () => {
    const m = encodeRecord(movement, 'simulator', 'hub.');
    const decoded = decodeMessage(
      { ...m, topic: 'hub.dead-letters', partition: 0, offset: 1 },
      { deadLetterTopic: 'hub.dead-letters' },
    );
    expect(decoded).toMatchObject({ kind: 'poison', deadLetter: { errors: [{ code: 'HUB_ERR_STREAM_DECODE' }] } });
    const letter = encodeDeadLetter(deadLetter, 'hub.');
    expect(decodeMessage(consumed(letter), { deadLetterTopic: 'hub.dead-letters' })).toEqual({
      kind: 'dead-letter',
      deadLetter,
    });
  });
});
