/**
 * The warehouse contract scenario: a small, hand-written network whose stock on hand is
 * computed by hand below. Every engine loads it and must answer exactly `EXPECTED_*`.
 *
 * Two regions (Souss-Massa, Drâa-Tafilalet), three warehouses, three products; movements
 * include a transfer pair, fractional kilograms, a lot that goes back to zero, quantities that
 * cancel exactly only in exact arithmetic (0.1 + 0.2 − 0.3), a redelivered duplicate, a
 * location renamed in a later version (then its old version redelivered), a record of a type
 * with no table of its own, and a dead letter.
 */
import type {
  CanonicalResource,
  DeadLetter,
  LocationRow,
  SinkBatch,
  StockFilter,
  StockRow,
} from '../../core/ports/index.js';

const INGESTED = '2026-03-01T10:00:00.000Z';

function meta(sourceId: string, versionId = '1') {
  return {
    versionId,
    lastUpdated: INGESTED,
    source: 'contract-scenario',
    lineage: {
      connector: 'contract',
      sourceSystem: 'hand-written',
      sourceId,
      ingestedAt: INGESTED,
      sourceHash: `sha256:${sourceId.padEnd(64, '0').slice(0, 64)}`,
    },
  };
}

function region(id: string, fr: string, ar: string, gln: string): CanonicalResource {
  return {
    resourceType: 'Location',
    id,
    meta: meta(`loc-${id}`),
    identifier: [{ system: 'urn:gs1:gln', value: gln }],
    kind: 'region',
    name: { fr, ar },
    regionId: id,
    gln,
  };
}

function warehouse(
  id: string,
  regionId: string,
  fr: string,
  ar: string,
  position: { latitude: number; longitude: number },
  versionId = '1',
): CanonicalResource {
  return {
    resourceType: 'Location',
    id,
    meta: meta(`loc-${id}`, versionId),
    identifier: [],
    kind: 'warehouse',
    name: { fr, ar },
    regionId,
    partOf: { reference: `Location/${regionId}` },
    position,
  };
}

function product(
  id: string,
  gtin: string,
  category: string,
  unit: string,
  fr: string,
  ar: string,
  en: string,
): CanonicalResource {
  return {
    resourceType: 'Product',
    id,
    meta: meta(`prd-${id}`),
    identifier: [{ system: 'urn:gs1:gtin', value: gtin }],
    sku: id.toUpperCase(),
    gtin,
    name: { fr, ar, en },
    category,
    unit,
    storageClass: category === 'medical' ? 'cold-chain' : 'ambient',
    criticality: 'vital',
  };
}

const GTIN_WATER = '06111234000015';
const GTIN_FLOUR = '06111234000022';
const GTIN_AMOX = '06111234000039';

function movement(
  id: string,
  movementType: string,
  occurredAt: string,
  location: string,
  productId: string,
  gtin: string,
  value: number,
  unit: string,
  extra: { lot?: string; counterpart?: string; reason?: string } = {},
): CanonicalResource {
  return {
    resourceType: 'StockMovement',
    id,
    meta: meta(`mv-${id}`),
    identifier: [],
    movementType,
    occurredAt,
    location: { reference: `Location/${location}` },
    ...(extra.counterpart ? { counterpart: { reference: `Location/${extra.counterpart}` } } : {}),
    product: { reference: `Product/${productId}` },
    gtin,
    ...(extra.lot ? { lot: { lotNumber: extra.lot, expiry: '2027-06-30' } } : {}),
    quantity: { value, unit },
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
}

export const LOCATIONS: readonly CanonicalResource[] = [
  region('souss-massa', 'Souss-Massa', 'سوس ماسة', '6111234000007'),
  region('draa-tafilalet', 'Drâa-Tafilalet', 'درعة تافيلالت', '6111234000014'),
  warehouse('souss-massa-wh1', 'souss-massa', 'Entrepôt Agadir', 'مستودع أكادير', {
    latitude: 30.4202,
    longitude: -9.5982,
  }),
  warehouse('souss-massa-wh2', 'souss-massa', 'Entrepôt Tiznit', 'مستودع تزنيت', {
    latitude: 29.6974,
    longitude: -9.7316,
  }),
  warehouse('draa-tafilalet-wh1', 'draa-tafilalet', "Entrepôt d'Errachidia", 'مستودع الرشيدية', {
    latitude: 31.9314,
    longitude: -4.4244,
  }),
];

/** Version 2 of the Agadir warehouse: renamed. */
export const AGADIR_V2 = warehouse(
  'souss-massa-wh1',
  'souss-massa',
  'Plateforme Agadir',
  'منصة أكادير',
  { latitude: 30.4202, longitude: -9.5982 },
  '2',
);

export const PRODUCTS: readonly CanonicalResource[] = [
  { ...product('water-5l', GTIN_WATER, 'water', 'EA', 'Eau 5 L', 'ماء 5 لتر', 'Water 5 L'), minLevel: 300 },
  product('flour', GTIN_FLOUR, 'food', 'KGM', 'Farine', 'دقيق', 'Flour'),
  product('amoxicillin', GTIN_AMOX, 'medical', 'EA', "Amoxicilline 500 mg (O'Brien)", 'أموكسيسيلين', 'Amoxicillin'),
];

// Times carry offsets on purpose: the warehouse stores and answers in UTC.
export const MOVEMENTS: readonly CanonicalResource[] = [
  movement('m01', 'receipt', '2026-02-01T09:00:00.125+01:00', 'souss-massa-wh1', 'water-5l', GTIN_WATER, 1000, 'EA'),
  movement('m02', 'dispatch', '2026-02-02T10:00:00.000Z', 'souss-massa-wh1', 'water-5l', GTIN_WATER, -250, 'EA'),
  movement('m03', 'transfer-out', '2026-02-03T11:30:00.500Z', 'souss-massa-wh1', 'water-5l', GTIN_WATER, -300, 'EA', {
    counterpart: 'souss-massa-wh2',
  }),
  movement('m04', 'transfer-in', '2026-02-03T15:45:10.999Z', 'souss-massa-wh2', 'water-5l', GTIN_WATER, 300, 'EA', {
    counterpart: 'souss-massa-wh1',
  }),
  movement('m05', 'receipt', '2026-02-04T08:00:00.000Z', 'souss-massa-wh1', 'flour', GTIN_FLOUR, 500.5, 'KGM'),
  movement('m06', 'loss', '2026-02-05T08:00:00.001Z', 'souss-massa-wh1', 'flour', GTIN_FLOUR, -0.25, 'KGM', {
    reason: "sac déchiré ' -- /* */",
  }),
  movement('m07', 'receipt', '2026-02-06T12:00:00.000Z', 'draa-tafilalet-wh1', 'amoxicillin', GTIN_AMOX, 200, 'EA', {
    lot: 'L-A',
  }),
  movement('m08', 'receipt', '2026-02-06T12:00:00.000Z', 'draa-tafilalet-wh1', 'amoxicillin', GTIN_AMOX, 100, 'EA', {
    lot: 'L-B',
  }),
  movement('m09', 'dispatch', '2026-02-07T07:00:00.000Z', 'draa-tafilalet-wh1', 'amoxicillin', GTIN_AMOX, -200, 'EA', {
    lot: 'L-A',
  }),
  movement('m10', 'adjustment', '2026-02-08T16:20:00.000Z', 'souss-massa-wh2', 'water-5l', GTIN_WATER, -5, 'EA', {
    reason: 'inventaire',
  }),
  movement('m11', 'receipt', '2026-02-09T06:00:00.000+02:00', 'draa-tafilalet-wh1', 'water-5l', GTIN_WATER, 40, 'EA'),
  movement('m12', 'damage', '2026-02-10T13:13:13.013Z', 'draa-tafilalet-wh1', 'amoxicillin', GTIN_AMOX, -10, 'EA', {
    lot: 'L-B',
  }),
  movement('m13', 'donation-in', '2026-02-11T10:00:00.000Z', 'souss-massa-wh2', 'flour', GTIN_FLOUR, 0.1, 'KGM'),
  movement('m14', 'donation-in', '2026-02-11T10:00:01.000Z', 'souss-massa-wh2', 'flour', GTIN_FLOUR, 0.2, 'KGM'),
  movement('m15', 'dispatch', '2026-02-11T10:00:02.000Z', 'souss-massa-wh2', 'flour', GTIN_FLOUR, -0.3, 'KGM'),
];

export const LOT_B: CanonicalResource = {
  resourceType: 'Lot',
  id: 'amoxicillin-L-B',
  meta: meta('lot-L-B'),
  identifier: [],
  product: { reference: 'Product/amoxicillin' },
  gtin: GTIN_AMOX,
  lotNumber: 'L-B',
  expiry: '2027-06-30',
  manufactured: '2025-06-30',
};

/** A resource type without a table of its own: kept in `resources`. */
export const OTHER_RESOURCE: CanonicalResource = {
  resourceType: 'Observation',
  id: 'obs-001',
  meta: meta('obs-001'),
  identifier: [],
  status: 'final',
};

// ---------------------------------------------------------------------------------------------
// operational resources (the KPI tests of warehouse/kpis read these too)

export const ORGANIZATIONS: readonly CanonicalResource[] = [
  {
    resourceType: 'Organization',
    id: 'org-crm-sm',
    meta: meta('org-crm-sm'),
    identifier: [],
    kind: 'red-crescent',
    name: { fr: 'Croissant-Rouge Souss-Massa', ar: 'الهلال الأحمر سوس ماسة' },
    acronym: 'CRM',
    regionId: 'souss-massa',
  },
  {
    resourceType: 'Organization',
    id: 'org-carrier',
    meta: meta('org-carrier'),
    identifier: [],
    kind: 'carrier',
    name: { fr: 'Transports du Sud', ar: 'نقل الجنوب' },
  },
];

export const INCIDENT: CanonicalResource = {
  resourceType: 'Incident',
  id: 'inc-al-haouz',
  meta: meta('inc-al-haouz'),
  identifier: [],
  incidentType: 'earthquake',
  severity: 'Severe',
  status: 'active',
  name: { fr: 'Séisme du Haut Atlas', ar: 'زلزال الأطلس الكبير' },
  period: { start: '2026-02-01T00:00:00.000Z' },
  affectedRegions: ['souss-massa', 'draa-tafilalet'],
  populationAffected: 120000,
};

function request(
  id: string,
  status: string,
  priority: string,
  deliverTo: string,
  authoredOn: string,
  lines: readonly [string, number, string][],
): CanonicalResource {
  return {
    resourceType: 'SupplyRequest',
    id,
    meta: meta(id),
    identifier: [],
    status,
    priority,
    requester: { reference: 'Organization/org-crm-sm' },
    incident: { reference: 'Incident/inc-al-haouz' },
    deliverTo: { reference: `Location/${deliverTo}` },
    authoredOn,
    lines: lines.map(([p, value, unit], i) => ({
      sequence: i + 1,
      product: { reference: `Product/${p}` },
      quantity: { value, unit },
    })),
  };
}

export const REQUESTS: readonly CanonicalResource[] = [
  request('rq-1', 'active', 'stat', 'souss-massa-wh2', '2026-02-02T08:00:00.000Z', [
    ['water-5l', 300, 'EA'],
    ['flour', 100, 'KGM'],
  ]),
  request('rq-2', 'active', 'urgent', 'draa-tafilalet-wh1', '2026-02-11T20:00:00.000Z', [['amoxicillin', 50, 'EA']]),
  request('rq-3', 'completed', 'routine', 'souss-massa-wh2', '2026-02-01T10:00:00.000Z', [['water-5l', 100, 'EA']]),
];

function shipment(
  id: string,
  status: string,
  origin: string,
  destination: string,
  extra: {
    versionId?: string;
    requests?: string[];
    eta?: string;
    priority?: string;
    lines: readonly [string, number, string, string?][];
    history: readonly [string, string][];
  },
): CanonicalResource {
  return {
    resourceType: 'Shipment',
    id,
    meta: meta(id, extra.versionId ?? '1'),
    identifier: [],
    status,
    ...(extra.priority ? { priority: extra.priority } : {}),
    ...(extra.requests ? { requests: extra.requests.map((r) => ({ reference: `SupplyRequest/${r}` })) } : {}),
    origin: { reference: `Location/${origin}` },
    destination: { reference: `Location/${destination}` },
    carrier: { reference: 'Organization/org-carrier' },
    ...(extra.eta ? { eta: extra.eta } : {}),
    lines: extra.lines.map(([p, value, unit, lot]) => ({
      product: { reference: `Product/${p}` },
      quantity: { value, unit },
      ...(lot ? { lot: { lotNumber: lot } } : {}),
    })),
    statusHistory: extra.history.map(([s, at]) => ({ status: s, at })),
  };
}

export const SHIPMENTS: readonly CanonicalResource[] = [
  // The water of rq-1 (m02 is its dispatch): received, but delivered 1 h after its ETA.
  shipment('sh-001', 'received', 'souss-massa-wh1', 'souss-massa-wh2', {
    priority: 'stat',
    requests: ['rq-1'],
    eta: '2026-02-02T14:00:00.000Z',
    lines: [['water-5l', 250, 'EA']],
    history: [
      ['planned', '2026-02-02T08:30:00.000Z'],
      ['dispatched', '2026-02-02T10:00:00.000Z'],
      ['delivered', '2026-02-02T15:00:00.000Z'],
      ['received', '2026-02-02T16:00:00.000Z'],
    ],
  }),
  // In transit, its ETA already past at the KPI time (2026-02-12T12:00Z).
  shipment('sh-002', 'in-transit', 'draa-tafilalet-wh1', 'souss-massa-wh2', {
    priority: 'urgent',
    requests: ['rq-2'],
    eta: '2026-02-12T10:00:00.000Z',
    lines: [['amoxicillin', 20, 'EA', 'L-B']],
    history: [
      ['planned', '2026-02-11T21:00:00.000Z'],
      ['dispatched', '2026-02-11T22:00:00.000Z'],
      ['in-transit', '2026-02-11T22:30:00.000Z'],
    ],
  }),
  // Picked, not dispatched: its quantities are reserved at Agadir.
  shipment('sh-003', 'picked', 'souss-massa-wh1', 'draa-tafilalet-wh1', {
    eta: '2026-02-13T10:00:00.000Z',
    lines: [
      ['water-5l', 100, 'EA'],
      ['flour', 50.25, 'KGM'],
    ],
    history: [
      ['planned', '2026-02-12T09:00:00.000Z'],
      ['picked', '2026-02-12T10:00:00.000Z'],
    ],
  }),
];

/** sh-004, version 1: planned with two lines. */
export const SH4_V1 = shipment('sh-004', 'planned', 'draa-tafilalet-wh1', 'souss-massa-wh1', {
  lines: [
    ['amoxicillin', 30, 'EA', 'L-B'],
    ['water-5l', 10, 'EA'],
  ],
  history: [['planned', '2026-02-12T08:00:00.000Z']],
});

/** sh-004, version 2: the water line was dropped. Its v1 is redelivered after it. */
export const SH4_V2 = shipment('sh-004', 'planned', 'draa-tafilalet-wh1', 'souss-massa-wh1', {
  versionId: '2',
  lines: [['amoxicillin', 30, 'EA', 'L-B']],
  history: [['planned', '2026-02-12T08:00:00.000Z']],
});

export const EQUIPMENT: readonly CanonicalResource[] = [
  {
    resourceType: 'Equipment',
    id: 'eq-gen-1',
    meta: meta('eq-gen-1'),
    identifier: [],
    kind: 'generator',
    serialNumber: 'GEN-0001',
    status: 'available',
    location: { reference: 'Location/souss-massa-wh1' },
    commissionedOn: '2024-05-01',
    nextMaintenanceDue: '2026-02-10',
  },
  {
    resourceType: 'Equipment',
    id: 'eq-pump-1',
    meta: meta('eq-pump-1'),
    identifier: [],
    kind: 'pump',
    serialNumber: 'PMP-0001',
    status: 'under-maintenance',
    location: { reference: 'Location/draa-tafilalet-wh1' },
    nextMaintenanceDue: '2026-03-01',
  },
];

export const MAINTENANCE: readonly CanonicalResource[] = [
  {
    resourceType: 'MaintenanceEvent',
    id: 'me-1',
    meta: meta('me-1'),
    identifier: [],
    equipment: { reference: 'Equipment/eq-pump-1' },
    kind: 'corrective',
    status: 'in-progress',
    scheduledFor: '2026-02-11T08:00:00.000Z',
    performed: { start: '2026-02-11T08:30:00.000Z' },
    location: { reference: 'Location/draa-tafilalet-wh1' },
  },
  {
    resourceType: 'MaintenanceEvent',
    id: 'me-2',
    meta: meta('me-2'),
    identifier: [],
    equipment: { reference: 'Equipment/eq-gen-1' },
    kind: 'preventive',
    status: 'scheduled',
    scheduledFor: '2026-02-20T08:00:00.000Z',
  },
];

export const SNAPSHOTS: readonly CanonicalResource[] = [
  // Counted 445; the ledger says 1000 − 250 − 300 = 450 at that time.
  {
    resourceType: 'StockSnapshot',
    id: 'ss-1',
    meta: meta('ss-1'),
    identifier: [],
    location: { reference: 'Location/souss-massa-wh1' },
    product: { reference: 'Product/water-5l' },
    gtin: GTIN_WATER,
    countedAt: '2026-02-04T00:00:00.000Z',
    quantity: { value: 445, unit: 'EA' },
    method: 'physical-count',
  },
  // Counted 90; the ledger says 100 − 10 = 90.
  {
    resourceType: 'StockSnapshot',
    id: 'ss-2',
    meta: meta('ss-2'),
    identifier: [],
    location: { reference: 'Location/draa-tafilalet-wh1' },
    product: { reference: 'Product/amoxicillin' },
    lot: { lotNumber: 'L-B' },
    countedAt: '2026-02-11T00:00:00.000Z',
    quantity: { value: 90, unit: 'EA' },
    method: 'cycle-count',
  },
];

export const DEAD_LETTER: DeadLetter = {
  connector: 'contract',
  stream: 'movements',
  sourceId: 'row-17',
  resourceType: 'StockMovement',
  errors: [{ pointer: '/quantity/value', code: 'model.type', message: "must be a number, got 'douze'" }],
  payload: { id: 'row-17', qty: 'douze', note: "l'entrepôt \\ n'a pas" },
  failedAt: '2026-02-12T09:00:00.000Z',
};

/**
 * The scenario as sink batches, in order. The third batch redelivers m02 (already stored),
 * the old version of the Agadir warehouse, shipment sh-001, version 1 of sh-004 (after its
 * version 2) and the dead letter: none of them may change the answers.
 */
export const BATCHES: readonly SinkBatch[] = [
  {
    connector: 'contract',
    stream: 'reference',
    records: [...LOCATIONS, ...PRODUCTS, LOT_B, ...ORGANIZATIONS, INCIDENT, ...EQUIPMENT],
    deadLetters: [],
    state: { cursor: 'ref-1' },
  },
  {
    connector: 'contract',
    stream: 'movements',
    records: [...MOVEMENTS.slice(0, 8), AGADIR_V2, OTHER_RESOURCE, ...REQUESTS, ...SHIPMENTS, SH4_V2, ...MAINTENANCE],
    deadLetters: [DEAD_LETTER],
    state: { cursor: 'mv-8' },
  },
  {
    connector: 'contract',
    stream: 'movements',
    records: [
      MOVEMENTS[1] as CanonicalResource,
      ...MOVEMENTS.slice(8),
      LOCATIONS[2] as CanonicalResource,
      SH4_V1,
      SHIPMENTS[0] as CanonicalResource,
      ...SNAPSHOTS,
    ],
    deadLetters: [DEAD_LETTER],
    state: { cursor: 'mv-15' },
  },
];

/**
 * Distinct records stored after all batches: 15 movements, 5 locations, 3 products, 1 lot,
 * 1 other resource, 2 organizations, 1 incident, 2 equipment, 3 requests, 4 shipments,
 * 2 maintenance events, 2 snapshots.
 */
export const DISTINCT_RECORDS = 15 + 5 + 3 + 1 + 1 + 2 + 1 + 2 + 3 + 4 + 2 + 2;

/**
 * Rows per table as readers see them (after dedup). Child tables count stored rows: sh-004's
 * version-1 water line stays stored (2 + 1 + 1 + 2 = 6 shipment lines) but is not current.
 */
export const TABLE_COUNTS: Readonly<Record<string, number>> = {
  locations: 5,
  products: 3,
  lots: 1,
  stock_movements: 15,
  resources: 1,
  dead_letters: 1,
  organizations: 2,
  incidents: 1,
  equipment: 2,
  supply_requests: 3,
  supply_request_lines: 4,
  shipments: 4,
  shipment_lines: 6,
  shipment_status_history: 4 + 3 + 2 + 1,
  maintenance_events: 2,
  stock_snapshots: 2,
};

// ---------------------------------------------------------------------------------------------
// expected answers, computed by hand

const AGADIR = { locationId: 'souss-massa-wh1', locationName: 'Plateforme Agadir', regionId: 'souss-massa' };
const TIZNIT = { locationId: 'souss-massa-wh2', locationName: 'Entrepôt Tiznit', regionId: 'souss-massa' };
const ERRACHIDIA = {
  locationId: 'draa-tafilalet-wh1',
  locationName: "Entrepôt d'Errachidia",
  regionId: 'draa-tafilalet',
};
const WATER = { productId: 'water-5l', productName: 'Eau 5 L', gtin: GTIN_WATER, category: 'water' };
const FLOUR = { productId: 'flour', productName: 'Farine', gtin: GTIN_FLOUR, category: 'food' };
const AMOX = {
  productId: 'amoxicillin',
  productName: "Amoxicilline 500 mg (O'Brien)",
  gtin: GTIN_AMOX,
  category: 'medical',
};

// Ordered by location id, product id, lot, unit. Left out, because they net to zero: L-A at
// Errachidia (200 − 200) and flour at Tiznit (0.1 + 0.2 − 0.3).
export const ALL_STOCK: readonly StockRow[] = [
  // 100 − 10
  { ...ERRACHIDIA, ...AMOX, lotNumber: 'L-B', unit: 'EA', onHand: 90, lastMovementAt: '2026-02-10T13:13:13.013Z' },
  // m11 at 06:00+02:00
  { ...ERRACHIDIA, ...WATER, lotNumber: null, unit: 'EA', onHand: 40, lastMovementAt: '2026-02-09T04:00:00.000Z' },
  // 500.5 − 0.25
  { ...AGADIR, ...FLOUR, lotNumber: null, unit: 'KGM', onHand: 500.25, lastMovementAt: '2026-02-05T08:00:00.001Z' },
  // 1000 − 250 − 300 (m02 once, although delivered twice)
  { ...AGADIR, ...WATER, lotNumber: null, unit: 'EA', onHand: 450, lastMovementAt: '2026-02-03T11:30:00.500Z' },
  // 300 − 5
  { ...TIZNIT, ...WATER, lotNumber: null, unit: 'EA', onHand: 295, lastMovementAt: '2026-02-08T16:20:00.000Z' },
];

const [errachidiaAmox, errachidiaWater, agadirFlour, agadirWater, tiznitWater] = ALL_STOCK as [
  StockRow,
  StockRow,
  StockRow,
  StockRow,
  StockRow,
];

export const STOCK_CASES: readonly { name: string; filter: StockFilter; expected: readonly StockRow[] }[] = [
  { name: 'everything', filter: {}, expected: ALL_STOCK },
  { name: 'region souss-massa', filter: { region: 'souss-massa' }, expected: [agadirFlour, agadirWater, tiznitWater] },
  { name: 'region draa-tafilalet', filter: { region: 'draa-tafilalet' }, expected: [errachidiaAmox, errachidiaWater] },
  { name: 'warehouse souss-massa-wh2', filter: { warehouse: 'souss-massa-wh2' }, expected: [tiznitWater] },
  { name: 'product water-5l', filter: { product: 'water-5l' }, expected: [errachidiaWater, agadirWater, tiznitWater] },
  { name: 'category medical', filter: { category: 'medical' }, expected: [errachidiaAmox] },
  {
    name: 'category food in souss-massa',
    filter: { region: 'souss-massa', category: 'food' },
    expected: [agadirFlour],
  },
  { name: 'lot L-B', filter: { lot: 'L-B' }, expected: [errachidiaAmox] },
  { name: 'lot L-A (back to zero)', filter: { lot: 'L-A' }, expected: [] },
  { name: 'limit 2', filter: { limit: 2 }, expected: [errachidiaAmox, errachidiaWater] },
  { name: 'unknown region', filter: { region: "x' OR '1'='1" }, expected: [] },
];

const L_SM: LocationRow = {
  id: 'souss-massa',
  kind: 'region',
  nameFr: 'Souss-Massa',
  nameAr: 'سوس ماسة',
  regionId: 'souss-massa',
  parentId: null,
  gln: '6111234000007',
  latitude: null,
  longitude: null,
};
const L_DT: LocationRow = {
  id: 'draa-tafilalet',
  kind: 'region',
  nameFr: 'Drâa-Tafilalet',
  nameAr: 'درعة تافيلالت',
  regionId: 'draa-tafilalet',
  parentId: null,
  gln: '6111234000014',
  latitude: null,
  longitude: null,
};
const L_AGADIR: LocationRow = {
  id: 'souss-massa-wh1',
  kind: 'warehouse',
  nameFr: 'Plateforme Agadir',
  nameAr: 'منصة أكادير',
  regionId: 'souss-massa',
  parentId: 'souss-massa',
  gln: null,
  latitude: 30.4202,
  longitude: -9.5982,
};
const L_TIZNIT: LocationRow = {
  id: 'souss-massa-wh2',
  kind: 'warehouse',
  nameFr: 'Entrepôt Tiznit',
  nameAr: 'مستودع تزنيت',
  regionId: 'souss-massa',
  parentId: 'souss-massa',
  gln: null,
  latitude: 29.6974,
  longitude: -9.7316,
};
const L_ERRACHIDIA: LocationRow = {
  id: 'draa-tafilalet-wh1',
  kind: 'warehouse',
  nameFr: "Entrepôt d'Errachidia",
  nameAr: 'مستودع الرشيدية',
  regionId: 'draa-tafilalet',
  parentId: 'draa-tafilalet',
  gln: null,
  latitude: 31.9314,
  longitude: -4.4244,
};

export const LOCATION_CASES: readonly {
  name: string;
  filter: { kind?: LocationRow['kind']; region?: string };
  expected: readonly LocationRow[];
}[] = [
  { name: 'all', filter: {}, expected: [L_DT, L_ERRACHIDIA, L_SM, L_AGADIR, L_TIZNIT] },
  { name: 'warehouses', filter: { kind: 'warehouse' }, expected: [L_ERRACHIDIA, L_AGADIR, L_TIZNIT] },
  { name: 'region souss-massa', filter: { region: 'souss-massa' }, expected: [L_SM, L_AGADIR, L_TIZNIT] },
  { name: 'regions in draa-tafilalet', filter: { kind: 'region', region: 'draa-tafilalet' }, expected: [L_DT] },
];
