import { describe, expect, it } from 'vitest';
import { toKafkaMessage } from '../../core/index.js';
import type { CanonicalResource, DeadLetter } from '../../core/ports/index.js';
import {
  DEAD_LETTER_EVENT_TYPE,
  decodeMessage,
  encodeDeadLetter,
  encodeRecord,
  type OutgoingMessage,
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
});
