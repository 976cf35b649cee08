/**
 * EDXL-RM 1.0 names and value lists, and how the hub reads them (README: "Mapping"): the 16
 * message types, the schedule types, deployment statuses → Shipment statuses, priority words →
 * FHIR request priorities, and units of measure → UN/ECE Rec 20 codes.
 */
import { isKnownUnit } from '../../../core/index.js';

/** The message namespace (the root element and the message-level elements). */
export const RM_MSG_NS = 'urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg';
/** The namespace of the common types (`ValueListURN`, `Value`, `MeasuredQuantity`…). */
export const RM_NS = 'urn:oasis:names:tc:emergency:EDXL:RM:1.0';
/**
 * Senders qualify the elements of the types inconsistently (some put every element in the
 * message namespace): an RM element is matched by local name in either.
 */
export const RM = [RM_MSG_NS, RM_NS] as const;

/** Every message type of EDXL-RM 1.0 (OASIS Standard, §3.2–3.17). */
export const RM_MESSAGE_TYPES = [
  'RequestResource',
  'ResponseToRequestResource',
  'RequisitionResource',
  'CommitResource',
  'RequestInformation',
  'ResponseToRequestInformation',
  'OfferUnsolicitedResource',
  'ReleaseResource',
  'RequestReturn',
  'ResponseToRequestReturn',
  'RequestQuote',
  'ResponseToRequestQuote',
  'RequestResourceDeploymentStatus',
  'ReportResourceDeploymentStatus',
  'RequestExtendedDeploymentDuration',
  'ResponseToRequestExtendedDeploymentDuration',
] as const;

/** The message types the hub maps; the others are dead-lettered as not mapped. */
export const RM_MAPPED_TYPES = ['RequestResource', 'CommitResource', 'ReportResourceDeploymentStatus'] as const;

/** Schedule types (EDXL-RM `ScheduleTypeType`) that place a resource where it leaves from. */
export const ORIGIN_SCHEDULES = [
  'ActualDeparture',
  'EstimatedDeparture',
  'RequestedDeparture',
  'Current',
  'BeginAvailable',
] as const;
/** Schedule types that place a resource where it goes. */
export const DESTINATION_SCHEDULES = ['ActualArrival', 'EstimatedArrival', 'RequestedArrival', 'ReportTo'] as const;

export type ShipmentStatus =
  | 'planned'
  | 'picked'
  | 'dispatched'
  | 'in-transit'
  | 'delivered'
  | 'received'
  | 'cancelled';

/** Position on the one-way path; `cancelled` last so that a group is cancelled only when all are. */
export const STATUS_RANK: Readonly<Record<ShipmentStatus, number>> = {
  planned: 0,
  picked: 1,
  dispatched: 2,
  'in-transit': 3,
  delivered: 4,
  received: 5,
  cancelled: 6,
};

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/**
 * `DeploymentStatus` values (NIMS / DM-OPEN usage, free text in EDXL-RM) → Shipment status,
 * compared without case, accents, spaces or hyphens.
 */
const DEPLOYMENT_STATUS: Readonly<Record<string, ShipmentStatus>> = Object.fromEntries(
  (
    [
      ['planned', ['Requested', 'Committed', 'Assigned', 'Planned', 'Pending', 'Ordered', 'Accepted', 'Reserved']],
      [
        'picked',
        ['Mobilizing', 'Mobilising', 'Preparing', 'Picked', 'Packed', 'Staged', 'Staging', 'Loading', 'Ready'],
      ],
      ['dispatched', ['Dispatched', 'Departed', 'Shipped', 'Loaded']],
      ['in-transit', ['Enroute', 'En Route', 'In Transit', 'InTransit', 'Transit', 'Transporting']],
      ['delivered', ['Arrived', 'On Scene', 'OnScene', 'At Incident', 'Delivered', 'Checked In', 'CheckedIn']],
      ['received', ['Received', 'Deployed', 'In Use', 'Operational', 'Distributed']],
      ['cancelled', ['Cancelled', 'Canceled', 'Recalled', 'Not Delivered', 'Rejected']],
    ] as const
  ).flatMap(([status, words]) => words.map((w) => [fold(w), status] as const)),
);

/** The Shipment status a deployment status means, `undefined` when the hub does not know it. */
export function shipmentStatusOf(value: string): ShipmentStatus | undefined {
  return DEPLOYMENT_STATUS[fold(value)];
}

/** Every deployment status word the hub knows, for error messages and the README. */
export const KNOWN_DEPLOYMENT_STATUSES =
  'Committed, Mobilizing, Dispatched, Enroute, Arrived, Received, Cancelled (and synonyms)';

export type RequestPriority = 'stat' | 'asap' | 'urgent' | 'routine';

const PRIORITY_WORDS: Readonly<Record<string, RequestPriority>> = Object.fromEntries(
  (
    [
      ['stat', ['stat', 'immediate', 'flash', 'critical', 'vital', 'tres urgent', 'emergency', 'P1']],
      ['asap', ['asap', 'high', 'expected', 'haute', 'elevee', 'P2']],
      ['urgent', ['urgent', 'priority', 'medium', 'moyenne', 'P3']],
      ['routine', ['routine', 'low', 'normal', 'future', 'basse', 'faible', 'P4']],
    ] as const
  ).flatMap(([p, words]) => words.map((w) => [fold(w), p] as const)),
);

/** The priority a `Keyword` value means (FHIR codes, CAP urgencies, plain words), if known. */
export function priorityOf(value: string): RequestPriority | undefined {
  return PRIORITY_WORDS[fold(value)];
}

/**
 * The priority of a request that states none, from how soon it asks for delivery against the
 * hub's mobilisation target of 6 hours: ≤ 6 h stat, ≤ 24 h asap, ≤ 72 h urgent, else routine.
 */
export function priorityFromLeadTime(hours: number | undefined): RequestPriority {
  if (hours === undefined) return 'routine';
  if (hours <= 6) return 'stat';
  if (hours <= 24) return 'asap';
  if (hours <= 72) return 'urgent';
  return 'routine';
}

/** Unit words partners write in `UnitOfMeasure` → UN/ECE Rec 20 code. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  each: 'EA',
  ea: 'EA',
  unit: 'EA',
  units: 'EA',
  unite: 'EA',
  unites: 'EA',
  piece: 'EA',
  pieces: 'EA',
  pcs: 'EA',
  item: 'EA',
  items: 'EA',
  kg: 'KGM',
  kilogram: 'KGM',
  kilograms: 'KGM',
  kilogramme: 'KGM',
  kilogrammes: 'KGM',
  l: 'LTR',
  litre: 'LTR',
  litres: 'LTR',
  liter: 'LTR',
  liters: 'LTR',
  t: 'TNE',
  tonne: 'TNE',
  tonnes: 'TNE',
  ton: 'TNE',
  tons: 'TNE',
  m: 'MTR',
  metre: 'MTR',
  metres: 'MTR',
  meter: 'MTR',
  meters: 'MTR',
  m3: 'MTQ',
  box: 'XBX',
  boxes: 'XBX',
  boite: 'XBX',
  boites: 'XBX',
  carton: 'XCT',
  cartons: 'XCT',
  pallet: 'XPX',
  pallets: 'XPX',
  palette: 'XPX',
  palettes: 'XPX',
  kit: 'KT',
  kits: 'KT',
  bottle: 'XBO',
  bottles: 'XBO',
  bouteille: 'XBO',
  bouteilles: 'XBO',
  bag: 'XBG',
  bags: 'XBG',
  sac: 'XBG',
  sacs: 'XBG',
  set: 'SET',
  sets: 'SET',
};

/** The hub unit code of a `UnitOfMeasure` value: a code the model knows, or a known word. */
export function unitOf(value: string): string | undefined {
  const v = value.trim();
  if (isKnownUnit(v)) return v;
  if (isKnownUnit(v.toUpperCase())) return v.toUpperCase();
  return UNIT_WORDS[fold(v)];
}
