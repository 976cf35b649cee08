import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, schemaId } from '../model/schemas.js';
import { arbitraryResource } from '../model/testing/arbitraries.js';
import type { Resource } from '../model/types.gen.js';
import {
  aggregateId,
  eventId,
  eventType,
  fromKafkaMessage,
  resourceTypeOfEvent,
  toKafkaMessage,
  unwrap,
  wrap,
} from './cloudevents.js';

const anyResource = fc.oneof(...RESOURCE_TYPES.map((t) => arbitraryResource(t))) as unknown as fc.Arbitrary<Resource>;

const movement: Resource = {
  resourceType: 'StockMovement',
  id: 'mv-2023-09-09-000412',
  meta: { lastUpdated: '2023-09-09T06:12:40+01:00' },
  movementType: 'dispatch',
  occurredAt: '2023-09-09T05:40:00+01:00',
  location: { reference: 'Location/marrakech-safi-wh1' },
  product: { reference: 'Product/eau-minerale-1-5l' },
  quantity: { value: -2400, unit: 'XBO' },
};

describe('CloudEvents envelope', () => {
  it('names types per resource and version, and points dataschema at the $id', () => {
    const event = wrap(movement, { source: '/connectors/postgres-ledger' });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'ma.reserve-hub.stockmovement.v1',
      source: '/connectors/postgres-ledger',
      subject: 'StockMovement/mv-2023-09-09-000412',
      time: '2023-09-09T06:12:40+01:00',
      datacontenttype: 'application/json',
      dataschema: 'https://reserve-hub.ma/schemas/StockMovement/1',
      data: movement,
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventId(movement)).toBe(event.id);
    expect(eventId({ ...movement, quantity: { value: -2401, unit: 'XBO' } })).not.toBe(event.id);
    for (const t of RESOURCE_TYPES) expect(resourceTypeOfEvent(eventType(t))).toBe(t);
    expect(resourceTypeOfEvent('ma.reserve-hub.stockmovement.v2')).toBeUndefined();
  });

  it('round-trips any valid resource: wrap, unwrap', () => {
    fc.assert(
      fc.property(anyResource, (resource) => {
        const event = wrap(resource, { source: '/test', extensions: { region: 'soussmassa' } });
        expect(event.dataschema).toBe(schemaId(resource.resourceType));
        expect(unwrap(JSON.parse(JSON.stringify(event)))).toEqual({ valid: true, value: resource });
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips through the Kafka binary binding, with string or Buffer headers', () => {
    fc.assert(
      fc.property(anyResource, fc.boolean(), (resource, buffers) => {
        const event = wrap(resource, { source: '/connectors/simulator', time: '2024-01-01T00:00:00Z' });
        const message = toKafkaMessage(event);
        expect(message.key).toBe(aggregateId(resource));
        expect(message.headers.every((h) => Object.keys(h).length === 1)).toBe(true);
        const headers = buffers
          ? message.headers.map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)])))
          : message.headers;
        const back = fromKafkaMessage({ key: Buffer.from(message.key), value: message.value, headers });
        expect(back).toEqual({ valid: true, value: event });
        expect(back.valid && unwrap(back.value)).toEqual({ valid: true, value: resource });
      }),
      { numRuns: 100 },
    );
  });

  it('writes the ce_* headers of the spec', () => {
    const message = toKafkaMessage(wrap(movement, { source: '/connectors/postgres-ledger', id: 'e-1' }));
    expect(message.headers).toEqual([
      { 'content-type': 'application/json' },
      { ce_specversion: '1.0' },
      { ce_id: 'e-1' },
      { ce_source: '/connectors/postgres-ledger' },
      { ce_type: 'ma.reserve-hub.stockmovement.v1' },
      { ce_subject: 'StockMovement/mv-2023-09-09-000412' },
      { ce_time: '2023-09-09T06:12:40+01:00' },
      { ce_dataschema: 'https://reserve-hub.ma/schemas/StockMovement/1' },
    ]);
    expect(JSON.parse(message.value.toString('utf8'))).toEqual(movement);
  });

  it('reads structured mode and plain-object headers', () => {
    const event = wrap(movement, { source: '/x' });
    const structured = fromKafkaMessage({
      value: Buffer.from(JSON.stringify(event)),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    });
    expect(structured).toEqual({ valid: true, value: event });
  });

  it('reports what is wrong with an envelope or its data', () => {
    const event = wrap(movement, { source: '/x' });
    const codes = (r: ReturnType<typeof unwrap>) => (r.valid ? [] : r.errors.map((e) => `${e.pointer} ${e.code}`));
    expect(codes(unwrap({ ...event, specversion: '0.3' }))).toEqual(['/specversion HUB_ERR_ENVELOPE_INVALID']);
    expect(codes(unwrap({ ...event, type: 'ma.reserve-hub.patient.v1' }))).toEqual(['/type HUB_ERR_ENVELOPE_INVALID']);
    expect(codes(unwrap({ ...event, dataschema: schemaId('Lot') }))).toEqual(['/dataschema HUB_ERR_ENVELOPE_INVALID']);
    expect(codes(unwrap({ ...event, subject: 'StockMovement/other' }))).toEqual(['/subject HUB_ERR_ENVELOPE_INVALID']);
    expect(codes(unwrap({ ...event, data: { ...movement, quantity: { value: 5, unit: 'XBO' } } }))).toEqual([
      '/data/quantity/value HUB_ERR_MODEL_QUANTITY_SIGN',
    ]);
    expect(codes(unwrap('nope'))).toEqual([' HUB_ERR_ENVELOPE_INVALID']);
    const missing = fromKafkaMessage({ value: Buffer.from('{}'), headers: [{ ce_specversion: '1.0' }] });
    expect(missing.valid ? [] : missing.errors.map((e) => e.pointer)).toEqual(['/id', '/source', '/type']);
    const garbled = fromKafkaMessage({ value: Buffer.from('{"a":'), headers: [] });
    expect(garbled.valid).toBe(false);
    expect(() => wrap(movement, { source: '/x', extensions: { Bad_Name: 'x' } })).toThrow(TypeError);
  });
});
