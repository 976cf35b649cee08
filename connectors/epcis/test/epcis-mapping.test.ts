import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHubError, validateResource } from '../../../core/index.js';
import type { InvalidMessage, LogMessage, Message, RecordMessage } from '../../sdk/connector.js';
import { CBV_BIZ_STEPS, CBV_DISPOSITIONS, STEP_MEANINGS, writeOffOf } from '../src/cbv.js';
import { type EpcisConfig, epcis } from '../src/epcis-connector.js';
import { eventHash } from '../src/epcis-mapping.js';
import { SOUSS_MASSA } from './souss-massa.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const CONVOY = '2025-09-08-souss-massa-relief-convoy.jsonld';

function push(
  file: string,
  config: Partial<EpcisConfig> = SOUSS_MASSA,
  extra: { contentType?: string } = {},
): Message[] {
  const body = readFileSync(new URL(file, FIXTURES));
  return [
    ...epcis.parseDocument(
      { body, filename: file.split('/').pop(), receivedAt: '2025-09-08T18:00:00Z', ...extra },
      config,
    ),
  ];
}

const records = (ms: Message[]) => ms.filter((m): m is RecordMessage => m.type === 'record');
const invalids = (ms: Message[]) => ms.filter((m): m is InvalidMessage => m.type === 'invalid');
const logs = (ms: Message[]) => ms.filter((m): m is LogMessage => m.type === 'log');
// biome-ignore lint/suspicious/noExplicitAny: test access to record fields
const data = (m: RecordMessage) => m.data as any;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('CBV vocabulary, from GS1 context', () => {
  it('knows every CBV 2.0 business step and disposition', () => {
    expect(CBV_BIZ_STEPS.size).toBe(41);
    expect(CBV_BIZ_STEPS.has('receiving') && CBV_BIZ_STEPS.has('sensor_reporting')).toBe(true);
    expect(CBV_DISPOSITIONS.size).toBe(33);
    for (const step of Object.keys(STEP_MEANINGS)) expect(CBV_BIZ_STEPS.has(step), step).toBe(true);
  });

  it('maps business steps and dispositions as the README table says', () => {
    expect(STEP_MEANINGS).toMatchObject({
      receiving: { movement: 'inbound', status: 'received' },
      accepting: { movement: 'inbound', status: 'received' },
      shipping: { movement: 'outbound', status: 'dispatched' },
      departing: { movement: 'outbound', status: 'dispatched' },
      arriving: { movement: 'none', status: 'delivered' },
      destroying: { movement: 'write-off' },
    });
    expect(STEP_MEANINGS.inspecting).toBeUndefined();
    expect(['expired', 'damaged', 'destroyed', 'disposed', 'stolen', 'in_transit'].map(writeOffOf)).toEqual([
      'expiry-write-off',
      'damage',
      'loss',
      'loss',
      'loss',
      undefined,
    ]);
  });

  it('keeps GS1 vendored files unmodified', () => {
    const hash = (f: string) =>
      createHash('sha256')
        .update(readFileSync(new URL(`../resources/gs1/${f}`, import.meta.url)))
        .digest('hex');
    const readme = readFileSync(new URL('../resources/gs1/README.md', import.meta.url), 'utf8');
    for (const f of ['EPCIS-JSON-Schema.json', 'epcis-context.jsonld']) expect(readme).toContain(hash(f));
  });
});

describe('EPCIS → canonical: a relief convoy in Souss-Massa', () => {
  const ms = push(CONVOY);
  const recs = records(ms);
  const movements = recs.filter((m) => m.data.resourceType === 'StockMovement');
  const shipments = recs.filter((m) => m.data.resourceType === 'Shipment');

  it('produces valid canonical records with lineage to the exact element', () => {
    expect(movements).toHaveLength(19);
    expect(shipments).toHaveLength(2);
    for (const m of recs) expect(validateResource(m.data).valid, m.sourceId).toBe(true);
    expect(movements[0]?.sourceId).toBe(`${CONVOY}#/epcisBody/eventList/0/quantityList/0`);
    expect(invalids(ms)).toEqual([]);
  });

  it('maps business steps to movement types, signed from the warehouse', () => {
    const byType = new Map<string, number>();
    for (const m of movements) byType.set(data(m).movementType, (byType.get(data(m).movementType) ?? 0) + 1);
    expect(Object.fromEntries(byType)).toEqual({
      receipt: 4 + 5 + 1,
      dispatch: 5,
      'transfer-out': 1,
      'transfer-in': 1,
      damage: 1,
      'expiry-write-off': 1,
    });
    for (const m of movements) {
      const inbound = ['receipt', 'transfer-in'].includes(data(m).movementType);
      expect(Math.sign(data(m).quantity.value)).toBe(inbound ? 1 : -1);
    }
  });

  it('reads quantities with their unit, lots with the ILMD expiry, and SSCC contents from AggregationEvents', () => {
    const first = data(movements[0] as RecordMessage);
    expect(first).toMatchObject({
      movementType: 'receipt',
      occurredAt: '2025-09-08T06:40:00.000+01:00',
      location: { reference: 'Location/souss-massa-pf' },
      product: { reference: 'Product/gtin-16118002000599' },
      gtin: '16118002000599',
      lot: { lotNumber: 'L2025-0611', expiry: '2027-05-31' },
      quantity: { value: 600, unit: 'EA' },
      identifier: [
        { system: 'https://ref.gs1.org/epcis/eventID', value: 'urn:uuid:5b0c1e7a-2f4d-4c8e-9a61-0d3e8f2a0001' },
      ],
    });
    const tents = movements.map(data).find((d) => d.movementType === 'dispatch' && d.serials);
    expect(tents).toMatchObject({
      gtin: '16118002000698',
      serials: ['TNT-000451', 'TNT-000452', 'TNT-000453', 'TNT-000454', 'TNT-000455'],
      quantity: { value: -5, unit: 'EA' },
      sscc: ['161180020000004580'],
      counterpart: { reference: 'Location/souss-massa-ds1' },
    });
    const dispatched = movements.filter((m) => data(m).movementType === 'dispatch');
    expect(dispatched.every((m) => m.sourceId?.startsWith(`${CONVOY}#/epcisBody/eventList/4/epcList/`))).toBe(true);
  });

  it('gathers the events of a despatch advice into one Shipment with its status history', () => {
    const desadv = data(shipments[0] as RecordMessage);
    expect(desadv).toMatchObject({
      identifier: [
        {
          system: 'https://ref.gs1.org/cbv/BTT-desadv',
          value: 'urn:epcglobal:cbv:bt:6118000090007:DESADV-SM-2025-0457',
        },
      ],
      status: 'received',
      origin: { reference: 'Location/souss-massa-pf' },
      destination: { reference: 'Location/souss-massa-ds1' },
      sscc: ['161180020000004573', '161180020000004580'],
    });
    expect(desadv.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'dispatched',
      'dispatched',
      'delivered',
      'received',
    ]);
    expect(desadv.lines).toHaveLength(5);
    const dispatch = movements.find((m) => data(m).movementType === 'dispatch') as RecordMessage;
    expect(data(dispatch).references).toEqual([{ reference: `Shipment/${desadv.id}` }]);
    expect(data(shipments[1] as RecordMessage).statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'dispatched',
      'received',
    ]);
  });

  it('writes off damaged and expired goods; an inspection that finds them conformant changes nothing', () => {
    const offs = movements.map(data).filter((d) => ['damage', 'expiry-write-off'].includes(d.movementType));
    expect(offs.map((d) => [d.movementType, d.quantity.value, d.reason])).toEqual([
      ['damage', -12, 'EPCIS inspecting, disposition damaged'],
      ['expiry-write-off', -48, 'EPCIS destroying, disposition expired'],
    ]);
    expect(logs(ms).map((l) => l.message)).toContain(
      `${CONVOY}: events that change no stock: AggregationEvent packing ×2, ObjectEvent inspecting ×1`,
    );
  });

  it('accepts what the standard means and flags what its schema forbids', () => {
    const warnings = logs(ms)
      .filter((l) => l.level === 'warn')
      .map((l) => l.message);
    expect(warnings).toEqual([
      `${CONVOY}: /id is the JSON-LD blank node _:document1, not the URI the schema asks for`,
      `${CONVOY}: /epcisBody/eventList/12/bizStep is the CBV URI urn:epcglobal:cbv:bizstep:receiving; EPCIS 2.0 JSON writes the bare CBV term`,
      `${CONVOY}: /epcisBody/eventList/12/disposition is the CBV URI urn:epcglobal:cbv:disp:in_progress; EPCIS 2.0 JSON writes the bare CBV term`,
    ]);
    // The event without an eventID is still read, with an id from its hash.
    const last = movements.at(-1) as RecordMessage;
    expect(last.sourceId).toBe(`${CONVOY}#/epcisBody/eventList/12/epcList`);
    const doc = JSON.parse(readFileSync(new URL(CONVOY, FIXTURES), 'utf8'));
    const hash = eventHash(doc.epcisBody.eventList[12]);
    expect(hash).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=hub-jcs-1$/);
    expect(data(last).id).toBe(`epcis-${createHash('sha256').update(hash).digest('hex').slice(0, 32)}-0`);
  });

  it('gives the same ids every time: a re-pushed document replaces itself', () => {
    const again = records(push(CONVOY)).map((m) => m.data);
    expect(again).toEqual(recs.map((m) => m.data));
    expect(new Set(again.map((r) => r.id)).size).toBe(again.length);
  });

  it('keeps a GLN or GTIN the hub does not map as the reference', () => {
    const bare = records(push(CONVOY, {}));
    expect(data(bare[0] as RecordMessage)).toMatchObject({
      location: { reference: 'Location/gln-6118000090007' },
      product: { reference: 'Product/gtin-16118002000599' },
    });
    // Without internal GLNs, a move between two hub sites is a dispatch and a receipt.
    expect(bare.map(data).filter((d) => d.movementType?.startsWith('transfer'))).toEqual([]);
    const mapped = records(push(CONVOY, { ...SOUSS_MASSA, gtin_map: { '16118002000599': 'water-jerrycan-20-l' } }));
    expect(data(mapped[0] as RecordMessage).product).toEqual({ reference: 'Product/water-jerrycan-20-l' });
  });
});

describe("EPCIS → canonical: GS1's own examples", () => {
  it('9.6.1: shipping and receiving of SGTINs at GLNs it does not map', () => {
    const recs = records(push('gs1-example-9.6.1-object-events.jsonld', {}));
    expect(recs.map((m) => [data(m).movementType, data(m).location.reference, data(m).quantity.value])).toEqual([
      ['dispatch', 'Location/gln-0614141073467', -2],
      ['receipt', 'Location/gln-0012345111112', 1],
    ]);
    expect(data(recs[0] as RecordMessage).serials).toEqual(['2017', '2018']);
  });

  it('the same events in a query document give the same records (ids from eventID)', () => {
    const capture = records(push('gs1-example-9.6.1-object-events.jsonld', {})).map((m) => m.data);
    const query = records(push('query/gs1-example-query-document.jsonld', {})).map((m) => m.data);
    expect(query).toEqual(capture);
  });

  it('9.6.1 in Digital Link form', () => {
    const recs = records(push('gs1-example-9.6.1-digital-link.jsonld', {}));
    expect(recs.map((m) => [data(m).gtin, data(m).serials])).toEqual([
      ['70614141123451', ['2017', '2018']],
      ['70614141123451', ['2018']],
    ]);
  });

  it('9.6.2 and 9.6.3: quantities by class, in kilograms and pieces, and children of an aggregation', () => {
    const q = records(push('gs1-example-9.6.2-object-event-quantities.jsonld', {}));
    expect(q.map((m) => [data(m).movementType, data(m).lot, data(m).quantity, data(m).counterpart])).toEqual([
      ['receipt', { lotNumber: '998877' }, { value: 200, unit: 'KGM' }, { reference: 'Location/gln-4012345002256' }],
    ]);
    const agg = records(push('gs1-example-9.6.3-aggregation-event.jsonld', {}));
    expect(agg.map((m) => [data(m).gtin, data(m).quantity.value, data(m).sscc])).toEqual([
      ['10614141073464', 2, ['106141412345678908']],
      ['04012345987652', 10, ['106141412345678908']],
      ['04012345123456', 200.5, ['106141412345678908']],
    ]);
  });

  it('9.6.4: a transformation consumes its inputs and produces its outputs where it happens', () => {
    const recs = records(push('gs1-example-9.6.4-transformation-event.jsonld', {}));
    expect(recs.every((m) => data(m).movementType === 'adjustment')).toBe(true);
    expect(recs.map((m) => data(m).quantity.value)).toEqual([-1, -1, -10, -30, -220, 4]);
    expect(data(recs.at(-1) as RecordMessage)).toMatchObject({
      location: { reference: 'Location/gln-4012345000016' },
      reason: 'transformation output',
    });
  });

  it('an event with no stock meaning (sensor_reporting) maps to nothing, and says so', () => {
    const ms = push('gs1-example-sensor-no-event-id.jsonld', {});
    expect(records(ms)).toEqual([]);
    expect(invalids(ms)).toEqual([]);
    expect(logs(ms).at(-1)?.message).toMatch(/events that change no stock: ObjectEvent sensor_reporting ×1/);
  });
});

describe('EPCIS bad input: a clear error naming the event and the field, nothing lost', () => {
  it('a wrong GTIN check digit refuses that event only, with the event as payload', () => {
    const ms = push('bad/bad-gtin-check-digit.jsonld');
    expect(records(ms)).toHaveLength(2);
    const [bad] = invalids(ms);
    expect(bad).toMatchObject({
      stream: 'epcis_events',
      sourceId: 'bad-gtin-check-digit.jsonld#/epcisBody/eventList/1',
      resourceType: 'StockMovement',
      errors: [
        {
          pointer: '/epcisBody/eventList/1/quantityList/0/epcClass',
          code: 'HUB_ERR_MAPPING_IDENTIFIER',
          message:
            'event 1 (urn:uuid:7d1f4a2c-8b3e-4f6a-b2c9-1e5d0c7b0002): /epcisBody/eventList/1/quantityList/0/epcClass is not a valid GTIN: https://id.gs1.org/01/16118002000598/10/L2025-0611 (GTIN 16118002000598 has a wrong check digit (expected 9))',
        },
      ],
    });
    const doc = JSON.parse(readFileSync(new URL('bad/bad-gtin-check-digit.jsonld', FIXTURES), 'utf8'));
    expect(bad?.payload).toEqual(doc.epcisBody.eventList[1]);
  });

  it('an unknown business step: a partner URI without a mapping, a misspelt CBV term', () => {
    const ms = push('bad/unknown-bizstep.jsonld');
    expect(invalids(ms).map((m) => m.errors.map((e) => [e.pointer, e.code]))).toEqual([
      [['/epcisBody/eventList/0/bizStep', 'HUB_ERR_MAPPING_CODE_UNKNOWN']],
      [['/epcisBody/eventList/1/bizStep', 'HUB_ERR_EPCIS_SCHEMA']],
    ]);
    expect(records(ms)).toHaveLength(1);
    // The connector config can say what a partner's step means.
    const mapped = push('bad/unknown-bizstep.jsonld', {
      bizstep_map: { 'https://croissant-rouge.example.ma/epcis/bizstep/distribution': 'shipping' },
    });
    expect(records(mapped).map((m) => data(m).movementType)).toEqual(['dispatch', 'receipt']);
  });

  it('a duplicated eventID: an exact repeat is read once, a different one refused', () => {
    const ms = push('bad/duplicate-event-id.jsonld');
    expect(records(ms)).toHaveLength(2);
    expect(logs(ms).map((l) => l.message)).toContain(
      'duplicate-event-id.jsonld: event 2 (urn:uuid:7d1f4a2c-8b3e-4f6a-b2c9-1e5d0c7b0001) repeats event 0 (urn:uuid:7d1f4a2c-8b3e-4f6a-b2c9-1e5d0c7b0001) exactly; it is read once',
    );
    expect(invalids(ms).map((m) => [m.sourceId, m.errors[0]?.code, m.errors[0]?.pointer])).toEqual([
      [
        'duplicate-event-id.jsonld#/epcisBody/eventList/3',
        'HUB_ERR_MAPPING_DUPLICATE',
        '/epcisBody/eventList/3/eventID',
      ],
    ]);
  });

  it('unknown products, negative quantities, unknown pallets and units, no location: each refused with its pointer', () => {
    const ms = push('bad/unmappable-events.jsonld');
    expect(invalids(ms).map((m) => m.errors.map((e) => [e.pointer, e.code]))).toEqual([
      [['/epcisBody/eventList/0/epcList/0', 'HUB_ERR_MAPPING_PRODUCT_UNKNOWN']],
      [['/epcisBody/eventList/1/quantityList/0/quantity', 'HUB_ERR_MODEL_QUANTITY_SIGN']],
      [['/epcisBody/eventList/2/epcList/0', 'HUB_ERR_MAPPING_PRODUCT_UNKNOWN']],
      [['/epcisBody/eventList/3/quantityList/0/uom', 'HUB_ERR_MODEL_UNIT_UNKNOWN']],
      [['/epcisBody/eventList/4/bizLocation', 'HUB_ERR_MAPPING_REQUIRED']],
      [['/epcisBody/eventList/5/quantityList/0/epcClass', 'HUB_ERR_MAPPING_IDENTIFIER']],
    ]);
    expect(records(ms).map((m) => m.sourceId)).toEqual([
      'unmappable-events.jsonld#/epcisBody/eventList/6/quantityList/0',
    ]);
  });

  it('a document that cannot be read throws a data error naming it', () => {
    const cases: [string, RegExp][] = [
      [
        'bad/truncated.jsonld',
        /^The document cannot be read by connector epcis: truncated\.jsonld: not well-formed JSON: .*line \d+, column \d+/,
      ],
      ['bad/latin1.jsonld', /latin1\.jsonld: it is not UTF-8: byte \d+ \(0xe9\)/],
      ['bad/not-epcis.json', /not-epcis\.json: not an EPCIS 2\.0 document: \/type is "collection"/],
    ];
    for (const [file, message] of cases) {
      const err = thrown(() => push(file));
      expect(isHubError(err) && err.code === 'HUB_ERR_INGEST_DOCUMENT' && err.kind === 'data', file).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
    const charset = thrown(() => push(CONVOY, SOUSS_MASSA, { contentType: 'application/ld+json; charset=ISO-8859-1' }));
    expect((charset as Error).message).toMatch(/sent as charset=iso-8859-1/);
  });

  it('refuses an oversized document before reading it', () => {
    const err = thrown(() => push(CONVOY, { max_document_bytes: 1024 }));
    expect(isHubError(err) && err.code === 'HUB_ERR_INGEST_TOO_LARGE' && err.status === 413).toBe(true);
    expect(epcis.maxDocumentBytes).toBe(64 * 1024 * 1024);
    expect(epcis.acceptedMediaTypes).toEqual(['application/ld+json', 'application/json']);
  });
});
