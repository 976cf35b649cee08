import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHubError, validateResource } from '../../../core/index.js';
import type { InvalidMessage, LogMessage, Message, RecordMessage } from '../../sdk/connector.js';
import { type FhirConfig, fhir } from '../src/fhir-connector.js';
import { FHIR_PRIORITIES, moreUrgent, SUPPLY_REQUEST_STATUS } from '../src/fhir-mapping.js';
import { SOUSS_MASSA_FHIR } from './souss-massa.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const HOSPITAL = '2025-09-09-hopital-taroudant-supply-requests.json';
const CRM = '2025-09-10-croissant-rouge-deliveries.json';
const INVENTORY = '2025-09-11-entrepot-agadir-inventory.json';

function push(file: string, config: Partial<FhirConfig> = SOUSS_MASSA_FHIR): Message[] {
  const body = readFileSync(new URL(file, FIXTURES));
  return [...fhir.parseDocument({ body, filename: file.split('/').pop(), receivedAt: '2025-09-12T09:00:00Z' }, config)];
}
const records = (ms: Message[]) => ms.filter((m): m is RecordMessage => m.type === 'record');
const invalids = (ms: Message[]) => ms.filter((m): m is InvalidMessage => m.type === 'invalid');
const logs = (ms: Message[]) => ms.filter((m): m is LogMessage => m.type === 'log');
// biome-ignore lint/suspicious/noExplicitAny: test access to record fields
const data = (m: RecordMessage) => m.data as any;

describe('FHIR codes', () => {
  it('orders priorities stat > asap > urgent > routine', () => {
    expect(FHIR_PRIORITIES).toEqual(['stat', 'asap', 'urgent', 'routine']);
    expect(moreUrgent('routine', 'urgent')).toBe('urgent');
    expect(moreUrgent('urgent', 'asap')).toBe('asap');
    expect(moreUrgent('stat', 'asap')).toBe('stat');
    expect(moreUrgent('routine', 'routine')).toBe('routine');
    const shuffled = ['urgent', 'routine', 'stat', 'asap'] as const;
    expect([...shuffled].sort((a, b) => (moreUrgent(a, b) === a ? -1 : 1))).toEqual([...FHIR_PRIORITIES]);
  });

  it('maps SupplyRequest statuses onto the canonical ones', () => {
    expect(SUPPLY_REQUEST_STATUS).toEqual({
      draft: 'draft',
      active: 'active',
      suspended: 'on-hold',
      cancelled: 'revoked',
      completed: 'completed',
      'entered-in-error': 'entered-in-error',
      unknown: 'unknown',
    });
  });
});

describe('FHIR → canonical: a hospital transaction Bundle of SupplyRequests', () => {
  const ms = push(HOSPITAL);
  const recs = records(ms);

  it('makes one valid SupplyRequest per FHIR SupplyRequest, lineage to the entry', () => {
    expect(recs).toHaveLength(4);
    for (const m of recs) expect(validateResource(m.data).valid, m.sourceId).toBe(true);
    expect(recs.map((m) => m.sourceId)).toEqual([1, 2, 3, 4].map((i) => `${HOSPITAL}#/entry/${i}/resource`));
    expect(invalids(ms)).toEqual([]);
  });

  it('reads priority, GTIN, UCUM units as Rec 20, the GLN of a Location entry, requester and dates', () => {
    expect(data(recs[0] as RecordMessage)).toMatchObject({
      resourceType: 'SupplyRequest',
      status: 'active',
      priority: 'stat',
      requester: { reference: 'Organization/hopital-provincial-taroudant' },
      deliverTo: { reference: 'Location/souss-massa-ds1' },
      supplier: { reference: 'Location/souss-massa-pf' },
      authoredOn: '2025-09-09T07:20:00+01:00',
      neededBy: '2025-09-10T18:00:00+01:00',
      lines: [
        { sequence: 1, product: { reference: 'Product/gtin-16118002001343' }, quantity: { value: 200, unit: 'XBO' } },
      ],
      identifier: [{ system: 'https://hpt.sante.gov.ma/fhir/demandes', value: 'DEM-2025-09-0001' }],
      reason: 'Séisme Al Haouz — afflux de blessés',
    });
    expect(recs.map((m) => data(m).priority)).toEqual(['stat', 'asap', 'urgent', 'routine']);
    // No unit: a count of items.
    expect(data(recs[1] as RecordMessage).lines[0].quantity).toEqual({ value: 10, unit: 'EA' });
  });

  it("maps a partner's own product code through product_code_map, and the incident extension", () => {
    expect(data(recs[3] as RecordMessage)).toMatchObject({
      lines: [{ product: { reference: 'Product/medical-ors-20.5-g' }, quantity: { value: 500, unit: 'XPK' } }],
      incident: { reference: 'Incident/seisme-al-haouz-2025' },
    });
    const without = invalids(push(HOSPITAL, { ...SOUSS_MASSA_FHIR, product_code_map: {} }));
    expect(without.map((m) => m.errors[0]?.code)).toEqual(['HUB_ERR_MAPPING_PRODUCT_UNKNOWN']);
  });

  it('gives the same ids to the same Bundle, scoped by the partner', () => {
    expect(records(push(HOSPITAL)).map((m) => m.data)).toEqual(recs.map((m) => m.data));
    const other = records(push(HOSPITAL, { ...SOUSS_MASSA_FHIR, source_system: 'fhir:autre-partenaire' }));
    expect(other.map((m) => m.data.id)).not.toEqual(recs.map((m) => m.data.id));
  });
});

describe('FHIR → canonical: Red Crescent deliveries', () => {
  const ms = push(CRM);
  const recs = records(ms);
  const of = (type: string) => recs.filter((m) => m.data.resourceType === type);

  it('a completed dispatch leaves the origin; a completed reception enters the destination', () => {
    for (const m of recs) expect(validateResource(m.data).valid, m.sourceId).toBe(true);
    expect(
      of('StockMovement').map((m) => [data(m).movementType, data(m).location.reference, data(m).quantity.value]),
    ).toEqual([
      ['dispatch', 'Location/souss-massa-wh1', -400],
      ['dispatch', 'Location/souss-massa-wh1', -60],
      ['receipt', 'Location/souss-massa-ds2', 396],
    ]);
    // The lot comes from the Medication entry the item references.
    expect(data(of('StockMovement')[0] as RecordMessage)).toMatchObject({
      gtin: '16118002000599',
      lot: { lotNumber: 'L2025-0611', expiry: '2030-06-30' },
      counterpart: { reference: 'Location/souss-massa-ds2' },
    });
  });

  it('gathers the deliveries of one shipment (partOf) into one Shipment, most urgent priority first', () => {
    const [shipment] = of('Shipment');
    expect(of('Shipment')).toHaveLength(1);
    expect(data(shipment as RecordMessage)).toMatchObject({
      status: 'received',
      origin: { reference: 'Location/souss-massa-wh1' },
      destination: { reference: 'Location/souss-massa-ds2' },
      priority: 'stat',
      proofOfDelivery: {
        receivedBy: 'Fatima Zahra Ait Ali, agente communale',
        receivedAt: '2025-09-10T13:45:00+01:00',
      },
    });
    expect(data(shipment as RecordMessage).statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'dispatched',
      'in-transit',
      'received',
    ]);
    expect(data(shipment as RecordMessage).requests).toHaveLength(2);
    const requestIds = of('SupplyRequest').map((m) => `SupplyRequest/${m.data.id}`);
    expect(data(shipment as RecordMessage).requests.map((r: { reference: string }) => r.reference)).toEqual(requestIds);
  });
});

describe('FHIR → canonical: an inventory Bundle', () => {
  const recs = records(push(INVENTORY));

  it('a snapshot count becomes StockSnapshots; a difference count, adjustments', () => {
    for (const m of recs) expect(validateResource(m.data).valid, m.sourceId).toBe(true);
    expect(recs.map((m) => [m.data.resourceType, data(m).location.reference, data(m).quantity])).toEqual([
      ['StockSnapshot', 'Location/souss-massa-wh1', { value: 2350, unit: 'EA' }],
      ['StockSnapshot', 'Location/souss-massa-wh1', { value: 840, unit: 'XBO' }],
      ['StockSnapshot', 'Location/souss-massa-wh1', { value: 118, unit: 'EA' }],
      ['StockSnapshot', 'Location/souss-massa-wh1', { value: 4120, unit: 'EA' }],
      ['StockSnapshot', 'Location/souss-massa-wh1', { value: 0, unit: 'KGM' }],
      ['StockMovement', 'Location/souss-massa-wh2', { value: -14, unit: 'EA' }],
      ['StockMovement', 'Location/souss-massa-wh2', { value: 3, unit: 'XBX' }],
    ]);
    expect(data(recs[2] as RecordMessage)).toMatchObject({
      gtin: '16118002000698',
      countedAt: '2025-09-11T17:00:00+01:00',
      countedBy: 'Youssef Benali, magasinier Agadir 1',
      method: 'physical-count',
    });
    // A date without time takes the configured offset.
    expect(data(recs[5] as RecordMessage).occurredAt).toBe('2025-09-11T00:00:00+01:00');
    expect(recs[2]?.sourceId).toBe(`${INVENTORY}#/entry/1/resource/inventoryListing/0/item/2`);
  });
});

describe('FHIR bad input: the entry (fullUrl) and the field (pointer), nothing lost', () => {
  const codes = (ms: Message[]) => invalids(ms).map((m) => [m.sourceId?.split('#')[1], m.errors.map((e) => e.code)]);

  it('wrong resource types are refused one by one; the good entries are read', () => {
    const ms = push('bad/wrong-resource-type.json');
    expect(records(ms)).toHaveLength(1);
    expect(codes(ms)).toEqual([
      ['/entry/1/resource', ['HUB_ERR_MAPPING_UNSUPPORTED']],
      ['/entry/2/resource', ['HUB_ERR_MAPPING_UNSUPPORTED']],
      ['/entry/3/resource', ['HUB_ERR_MAPPING_UNSUPPORTED']],
    ]);
    expect(invalids(ms)[0]?.errors[0]?.message).toMatch(
      /^entry urn:uuid:3f6c2a10-9d4b-4e7f-8a21-6b0e5c9d0030: \/entry\/1\/resource\/resourceType cannot be mapped: Patient is not read/,
    );
  });

  it('a SupplyRequest with no quantity', () => {
    const ms = push('bad/supply-request-no-quantity.json');
    const [bad] = invalids(ms);
    expect(bad).toMatchObject({
      stream: 'fhir_resources',
      resourceType: 'SupplyRequest',
      errors: [
        {
          pointer: '/entry/1/resource/quantity',
          code: 'HUB_ERR_MAPPING_REQUIRED',
          message:
            'entry urn:uuid:3f6c2a10-9d4b-4e7f-8a21-6b0e5c9d0032: /entry/1/resource/quantity is required to build a SupplyRequest',
        },
      ],
    });
    const doc = JSON.parse(readFileSync(new URL('bad/supply-request-no-quantity.json', FIXTURES), 'utf8'));
    expect(bad?.payload).toEqual(doc.entry[1]);
  });

  it('an unknown priority code', () => {
    const ms = push('bad/unknown-priority.json');
    expect(invalids(ms).map((m) => [m.errors[0]?.pointer, m.errors[0]?.code])).toEqual([
      ['/entry/0/resource/priority', 'HUB_ERR_MAPPING_CODE_UNKNOWN'],
      ['/entry/2/resource/priority', 'HUB_ERR_MAPPING_CODE_UNKNOWN'],
    ]);
    expect(records(ms)).toHaveLength(1);
  });

  it('bad GTIN, negative quantity, unknown code and unit, duplicates, DELETE, retraction, unknown place', () => {
    const ms = push('bad/unmappable-entries.json');
    expect(codes(ms)).toEqual([
      ['/entry/1/resource', ['HUB_ERR_MAPPING_IDENTIFIER']],
      ['/entry/2/resource', ['HUB_ERR_MODEL_QUANTITY_SIGN']],
      ['/entry/3/resource', ['HUB_ERR_MAPPING_PRODUCT_UNKNOWN']],
      ['/entry/4/resource', ['HUB_ERR_MODEL_UNIT_UNKNOWN']],
      ['/entry/6/resource', ['HUB_ERR_MAPPING_DUPLICATE']],
      ['/entry/7/resource', ['HUB_ERR_MAPPING_UNSUPPORTED']],
      ['/entry/8/resource', ['HUB_ERR_MAPPING_UNSUPPORTED']],
      ['/entry/9/resource', ['HUB_ERR_MAPPING_LOCATION_UNKNOWN']],
    ]);
    expect(invalids(ms)[0]?.errors[0]?.message).toMatch(/16118002001344 \(wrong check digit, expected 3\)/);
    expect(logs(ms).some((l) => /repeats entry .* exactly; it is read once/.test(l.message))).toBe(true);
    expect(records(ms)).toHaveLength(1);
  });

  it('truncated, Latin-1 and non-Bundle documents throw a data error naming the document', () => {
    const cases: [string, RegExp][] = [
      ['bad/truncated.json', /truncated\.json: not well-formed JSON: .*line \d+, column \d+/],
      ['bad/latin1.json', /latin1\.json: it is not UTF-8: byte \d+ \(0xf4\)/],
      ['bad/not-a-bundle.json', /not-a-bundle\.json: not a FHIR R5 Bundle: \/resourceType is "Parameters"/],
    ];
    for (const [file, message] of cases) {
      let err: unknown;
      try {
        push(file);
      } catch (e) {
        err = e;
      }
      expect(isHubError(err) && err.code === 'HUB_ERR_INGEST_DOCUMENT' && err.kind === 'data', file).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('a single resource pushed alone is read as a Bundle of one', () => {
    const doc = JSON.parse(readFileSync(new URL(HOSPITAL, FIXTURES), 'utf8'));
    const single = { ...doc.entry[2].resource, deliverTo: { reference: 'Location/souss-massa-ds1' } };
    const ms = [
      ...fhir.parseDocument({ body: Buffer.from(JSON.stringify(single)), receivedAt: 'x' }, SOUSS_MASSA_FHIR),
    ];
    expect(records(ms).map((m) => [m.data.resourceType, m.sourceId?.replace(/^sha256:[0-9a-f]{64}/, 'doc')])).toEqual([
      ['SupplyRequest', 'doc#'],
    ]);
  });
});
