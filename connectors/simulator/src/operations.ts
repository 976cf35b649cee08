/**
 * The crisis side of the simulation, run inside the movement flow's simulated time:
 *
 * - incidents strike at a mean rate (a bag of hazards, weighted, so that every type comes up)
 *   in the regions their hazard threatens, with a severity, a duration and a population;
 * - supply requests arrive all the time from the regional crisis cells and the partners, and
 *   in a surge after an incident (the first within hours, then a rate that decays), with
 *   FHIR priorities, a needed-by time and lines drawn from what the hazard calls for;
 * - each request is planned onto shipments from the nearest warehouses that hold the goods
 *   (own region first, then the neighbours, then the rest; three origins at most), which
 *   reserve the stock; a shipment is picked, dispatched (its dispatch movements), in transit,
 *   delivered and received, or cancelled (its reservation released, the request planned
 *   again); some arrive after their ETA;
 * - a severe incident also triggers replenishment shipments from other regions'
 *   warehouses to the affected region (transfer-out, then transfer-in on receipt), and the
 *   deployment of equipment to the affected sites;
 * - the fleet wears: run hours and kilometres, preventive services on a calendar (some
 *   late, some very late), inspections, breakdowns and their repairs.
 *
 * Every change of an incident, request, shipment, asset or maintenance event is a new
 * version of its resource (`meta.versionId`, `meta.lastUpdated` in simulated time), appended
 * to the `EventLog` in the order it happened.
 */

import { gs1CheckDigit } from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { CatalogueProduct } from './catalogue.js';
import { DAY_MS, formatDate, formatDateTime } from './clock.js';
import { type Asset, type AssetModel, FLEET } from './fleet.js';
import {
  CAP_OID,
  HAZARD_BAG,
  HAZARDS,
  type Hazard,
  type HazardSite,
  ROUTINE_NEEDS,
  SEVERITIES,
  type Severity,
} from './hazards.js';
import type { SimLot } from './lots.js';
import type { StockEngine } from './movements.js';
import {
  DELIVERY_SITES,
  type DeliverySite,
  distanceKm,
  REGION_NEIGHBOURS,
  REGIONS,
  WAREHOUSES,
  WAREHOUSES_BY_REGION,
} from './network.js';
import {
  CARRIER_IDS,
  CIVIL_PROTECTION_ID,
  CRISIS_AUTHORITY_IDS,
  ORGANIZATION_NAMES,
  PARTNER_IDS,
} from './organizations.js';
import { Random } from './random.js';

/**
 * A version of a resource, built when it is read: the flow runs at 10⁵ movements a second
 * and most runs never read most versions (a resume replays the flow to its cursor). Kept
 * small: every version lives until the run ends.
 */
export interface Version {
  build(): CanonicalResource;
}

/** Every version of every event resource, in the order they happened. */
export interface EventLog {
  readonly incidents: Version[];
  readonly supplyRequests: Version[];
  readonly shipments: Version[];
  readonly equipment: Version[];
  readonly maintenance: Version[];
}

export type Priority = 'stat' | 'asap' | 'urgent' | 'routine';
type ShipmentStatus = 'planned' | 'picked' | 'dispatched' | 'in-transit' | 'delivered' | 'received' | 'cancelled';
type AssetStatus = 'available' | 'deployed' | 'under-maintenance' | 'out-of-service';

const HOUR = 3_600_000;
const PURPOSE_CRISIS = 5;
const PURPOSE_FLEET = 6;

/** Mean time between two everyday requests of the whole network. */
const ROUTINE_REQUEST_GAP_MS = 4 * HOUR;
/** Requests per day right after an incident strikes, by severity (Minor … Extreme). */
const SURGE_PER_DAY = [12, 30, 60, 120] as const;
/** Packs per requested line, by severity; everyday requests ask for 2 to 20. */
const PACKS = [
  [2, 15],
  [5, 30],
  [10, 60],
  [20, 120],
] as const;
const POPULATION = [800, 6_000, 40_000, 250_000] as const;
/** Hours from a request to its planning, and from planning to picking, by priority. */
const TRIAGE_H: Readonly<Record<Priority, readonly [number, number]>> = {
  stat: [0.1, 0.5],
  asap: [0.25, 1],
  urgent: [0.5, 3],
  routine: [2, 24],
};
const PICK_H: Readonly<Record<Priority, readonly [number, number]>> = {
  stat: [0.5, 1.5],
  asap: [1, 3],
  urgent: [2, 6],
  routine: [4, 24],
};
const NEEDED_BY_H: Readonly<Record<Priority, number>> = { stat: 6, asap: 12, urgent: 48, routine: 168 };
/** A perishable lot leaves only if it keeps this long before expiry. */
const MIN_SHELF_AT_SHIPPING_MS = 30 * DAY_MS;
const MAX_ORIGINS = 3;
const MAX_PLANNING_ATTEMPTS = 3;
/** Mean time between two breakdowns in the whole fleet. */
const FAILURE_GAP_MS = 1.5 * DAY_MS;

const SYSTEM = {
  incident: 'urn:reserve-hub:simulator:incident',
  request: 'urn:reserve-hub:simulator:supply-request',
  shipment: 'urn:reserve-hub:simulator:shipment',
  asset: 'urn:reserve-hub:simulator:asset',
  maintenance: 'urn:reserve-hub:simulator:maintenance',
};

const CANCEL_REASONS = [
  'Route coupée',
  'Véhicule indisponible',
  'Besoin couvert par un autre site',
  'Accès au site interdit par les autorités',
];
const LATE_REASONS = [
  'Route coupée, itinéraire de déviation',
  'Attente au barrage de gendarmerie',
  'Piste impraticable',
];
const SYMPTOMS: Readonly<Record<string, readonly string[]>> = {
  generator: ['Démarrage impossible', 'Surchauffe moteur', 'Fuite de gasoil'],
  'water-purifier': ['Pompe doseuse en panne', 'Membrane colmatée'],
  vehicle: ['Crevaison', 'Défaut de freinage', 'Batterie déchargée'],
  pump: ['Amorçage impossible', 'Joint mécanique défectueux'],
  'lighting-tower': ['Mât bloqué', 'Projecteur hors service'],
  forklift: ['Fuite hydraulique', 'Batterie de traction défaillante'],
};

interface SimIncident {
  readonly id: string;
  readonly n: number;
  readonly hazard: Hazard;
  readonly site: HazardSite;
  readonly severity: Severity;
  readonly level: number;
  readonly start: number;
  readonly end: number;
  readonly regions: readonly number[];
  readonly sites: readonly DeliverySite[];
  readonly population: number;
  closed: boolean;
  version: number;
}

interface RequestLine {
  readonly product: CatalogueProduct;
  readonly requested: number;
  allocated: number;
  received: number;
}

interface SimRequest {
  readonly id: string;
  readonly at: number;
  readonly requester: string;
  readonly incident: SimIncident | undefined;
  readonly site: DeliverySite;
  readonly priority: Priority;
  readonly lines: readonly RequestLine[];
  status: 'active' | 'partially-fulfilled' | 'fulfilled';
  attempts: number;
  version: number;
}

interface ShipmentLine {
  readonly product: CatalogueProduct;
  readonly lot: SimLot | undefined;
  readonly milli: number;
  readonly sscc: string;
  readonly of: RequestLine | undefined;
  transfer: number | undefined;
  outSeq: number | undefined;
}

interface StatusEntry {
  readonly status: ShipmentStatus;
  /** Epoch ms. */
  readonly at: number;
  readonly by: string | undefined;
  readonly note: string | undefined;
}

interface SimShipment {
  readonly id: string;
  readonly request: SimRequest | undefined;
  readonly incident: SimIncident | undefined;
  readonly origin: number;
  /** A delivery site, or a warehouse (replenishment). */
  readonly site: DeliverySite | undefined;
  readonly destW: number | undefined;
  readonly priority: Priority;
  readonly carrier: string;
  readonly vehicle: AssetState | undefined;
  readonly lines: readonly ShipmentLine[];
  readonly transitMs: number;
  readonly refs: readonly string[];
  /** Stage at which it is cancelled, if it is. */
  readonly cancelAt: 'picked' | 'dispatched' | undefined;
  readonly delayMs: number;
  readonly history: StatusEntry[];
  eta: number | undefined;
  received: { readonly by: string; readonly at: number } | undefined;
  version: number;
}

interface AssetState {
  readonly asset: Asset;
  readonly serial: string;
  readonly commissioned: string;
  status: AssetStatus;
  location: string;
  hours: number;
  /** Run hours per ms in the current status. */
  rate: number;
  since: number;
  km: number;
  nextDue: number;
  /** Declared beyond repair: no more services. */
  retired: boolean;
  version: number;
}

interface SimMaintenance {
  readonly id: string;
  readonly asset: AssetState;
  readonly kind: 'preventive' | 'corrective' | 'inspection';
  status: 'scheduled' | 'in-progress' | 'done' | 'cancelled';
  readonly scheduledFor: number;
  start: number | undefined;
  end: number | undefined;
  /** A breakdown: downtime counts from it. */
  readonly failedAt: number | undefined;
  outcome: 'operational' | 'needs-follow-up' | 'out-of-service' | undefined;
  cost: number | undefined;
  note: string | undefined;
  version: number;
}

/** How many warehouses an incident's request may draw on: its region's, the neighbours', the nearest others. */
const INCIDENT_ORIGINS = 12;

/**
 * Each delivery site's candidate origins, nearest first: for everyday requests its own
 * region's and the neighbouring regions' warehouses; for an incident's, also the nearest
 * others, up to `INCIDENT_ORIGINS`.
 */
const ORIGINS_BY_SITE: ReadonlyMap<
  string,
  { readonly routine: readonly number[]; readonly incident: readonly number[] }
> = new Map(
  DELIVERY_SITES.map((s) => {
    const tier = (w: number) => {
      const r = WAREHOUSES[w]?.regionIndex ?? -1;
      return r === s.regionIndex ? 0 : REGION_NEIGHBOURS[s.regionIndex]?.includes(r) ? 1 : 2;
    };
    const order = WAREHOUSES.map((_, w) => w).sort(
      (a, b) =>
        tier(a) - tier(b) ||
        distanceKm(WAREHOUSES[a]?.position ?? s.position, s.position) -
          distanceKm(WAREHOUSES[b]?.position ?? s.position, s.position),
    );
    const routine = order.filter((w) => tier(w) < 2);
    return [s.id, { routine, incident: order.slice(0, Math.max(routine.length, INCIDENT_ORIGINS)) }];
  }),
);

const SITES_OF_REGION: readonly (readonly DeliverySite[])[] = REGIONS.map((_, ri) =>
  DELIVERY_SITES.filter((s) => s.regionIndex === ri),
);

export class Operations {
  readonly log: EventLog = { incidents: [], supplyRequests: [], shipments: [], equipment: [], maintenance: [] };
  private readonly rnd: Random;
  private readonly fleetRnd: Random;
  private readonly assets: AssetState[];
  private bag: number[] = [];
  private incidents = 0;
  private requests = 0;
  private shipments = 0;
  private maintenances = 0;

  constructor(
    private readonly engine: StockEngine,
    private readonly seed: number,
    incidentsPer30Days: number,
  ) {
    this.rnd = new Random(seed, PURPOSE_CRISIS);
    this.fleetRnd = new Random(seed, PURPOSE_FLEET);
    const now = engine.now;
    this.assets = FLEET.map((asset) => this.commission(asset, now));
    for (const a of this.assets) this.recordAsset(a);
    for (const a of this.assets) this.planService(a);
    engine.schedule(now + this.fleetRnd.exponential(FAILURE_GAP_MS), () => this.breakdown());
    engine.schedule(now + this.rnd.exponential(ROUTINE_REQUEST_GAP_MS), () => this.routineRequest());
    if (incidentsPer30Days > 0) {
      const gap = (30 * DAY_MS) / incidentsPer30Days;
      // The first one strikes within the first days, so that even a short run shows a response.
      const first = now + this.uniform(0.75, Math.min(3, Math.max(1, gap / DAY_MS))) * DAY_MS;
      engine.schedule(first, () => this.strike(gap));
    }
  }

  private uniform(lo: number, hi: number, rnd: Random = this.rnd): number {
    return lo + (hi - lo) * rnd.float();
  }

  // ---------------------------------------------------------------------------------------
  // incidents

  private strike(gap: number): void {
    const now = this.engine.now;
    this.engine.schedule(now + this.rnd.exponential(gap), () => this.strike(gap));
    if (this.bag.length === 0) {
      this.bag = [...HAZARD_BAG];
      for (let i = this.bag.length - 1; i > 0; i--) {
        const j = this.rnd.int(0, i);
        [this.bag[i], this.bag[j]] = [this.bag[j] as number, this.bag[i] as number];
      }
    }
    const hazard = HAZARDS[this.bag.pop() as number] as Hazard;
    const site = this.rnd.pick(hazard.sites);
    const x = this.rnd.float();
    const level = x < 0.2 ? 0 : x < 0.6 ? 1 : x < 0.88 ? 2 : 3;
    const [minDays, maxDays] = hazard.days;
    const days = (minDays + ((maxDays - minDays) * level) / 3) * this.uniform(0.8, 1.2);
    const regions = level >= 2 ? site.regions : site.regions.slice(0, 1);
    const n = ++this.incidents;
    const incident: SimIncident = {
      id: `inc-${this.seed}-${n}`,
      n,
      hazard,
      site,
      severity: SEVERITIES[level] as Severity,
      level,
      start: now,
      end: now + Math.round((days * DAY_MS) / 1000) * 1000,
      regions,
      sites: regions.flatMap((r) => SITES_OF_REGION[r] ?? []),
      population: Math.round(POPULATION[level] * this.uniform(0.5, 1.5)),
      closed: false,
      version: 0,
    };
    this.recordIncident(incident);
    this.engine.schedule(incident.end, () => {
      incident.closed = true;
      this.recordIncident(incident);
    });
    // The crisis cell of the struck region asks first, within hours, for its nearest site.
    const primary = incident.regions[0] as number;
    const first = now + this.uniform(0.5, 2) * HOUR;
    this.engine.schedule(first, () =>
      this.request(CRISIS_AUTHORITY_IDS[primary] as string, incident.sites[0] as DeliverySite, 'stat', incident),
    );
    this.engine.schedule(first + this.uniform(0.5, 2) * HOUR, () => this.surge(incident));
    if (level >= 2) this.engine.schedule(now + this.uniform(2, 6) * HOUR, () => this.replenish(incident));
    this.engine.schedule(now + this.uniform(3, 8) * HOUR, () => this.deploy(incident));
  }

  /** One request of the surge, then the next, at a rate that decays over the incident. */
  private surge(incident: SimIncident): void {
    const now = this.engine.now;
    if (now >= incident.end) return;
    const age = now - incident.start;
    const x = this.rnd.float();
    const priority: Priority =
      age < 12 * HOUR
        ? x < 0.4
          ? 'stat'
          : x < 0.8
            ? 'asap'
            : 'urgent'
        : age < 3 * DAY_MS
          ? x < 0.3
            ? 'asap'
            : x < 0.8
              ? 'urgent'
              : 'routine'
          : x < 0.5
            ? 'urgent'
            : 'routine';
    const region = this.rnd.pick(incident.regions);
    const requester = this.rnd.float() < 0.6 ? (CRISIS_AUTHORITY_IDS[region] as string) : this.rnd.pick(PARTNER_IDS);
    this.request(requester, this.rnd.pick(incident.sites), priority, incident);
    const tau = Math.max(DAY_MS, (incident.end - incident.start) / 3);
    const perDay = SURGE_PER_DAY[incident.level as 0 | 1 | 2 | 3] * Math.exp(-age / tau);
    this.engine.schedule(now + this.rnd.exponential(DAY_MS / perDay), () => this.surge(incident));
  }

  private routineRequest(): void {
    const now = this.engine.now;
    this.engine.schedule(now + this.rnd.exponential(ROUTINE_REQUEST_GAP_MS), () => this.routineRequest());
    const site = this.rnd.pick(DELIVERY_SITES);
    const requester =
      this.rnd.float() < 0.6 ? (CRISIS_AUTHORITY_IDS[site.regionIndex] as string) : this.rnd.pick(PARTNER_IDS);
    this.request(requester, site, this.rnd.float() < 0.25 ? 'urgent' : 'routine', undefined);
  }

  /** Equipment from the affected regions' warehouses to the affected sites, back after the incident. */
  private deploy(incident: SimIncident): void {
    const deployed: AssetState[] = [];
    const kinds = incident.hazard.deploys;
    for (let i = 0; i <= incident.level; i++) {
      const kind = kinds[i % kinds.length];
      const a = this.assets.find(
        (x) =>
          x.asset.model.kind === kind &&
          x.status === 'available' &&
          incident.regions.includes(WAREHOUSES[x.asset.w]?.regionIndex ?? -1),
      );
      if (!a) continue;
      const site = incident.sites[i % incident.sites.length] as DeliverySite;
      this.setStatus(a, 'deployed', site.id);
      deployed.push(a);
    }
    if (deployed.length === 0) return;
    this.engine.schedule(incident.end + this.uniform(0.5, 2, this.fleetRnd) * DAY_MS, () => {
      for (const a of deployed) {
        if (a.status !== 'deployed') continue;
        this.setStatus(a, 'available', WAREHOUSES[a.asset.w]?.id as string);
        // Equipment comes back from the field worn, sometimes broken.
        if (this.fleetRnd.float() < 0.25) this.fail(a);
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // requests and shipments

  private request(requester: string, site: DeliverySite, priority: Priority, incident: SimIncident | undefined): void {
    const now = this.engine.now;
    const pool = incident ? incident.hazard.needs : ROUTINE_NEEDS;
    const [lo, hi] = incident ? PACKS[incident.level as 0 | 1 | 2 | 3] : [2, 20];
    const count = incident ? this.rnd.int(2, 5) : this.rnd.int(1, 3);
    const products = new Set<CatalogueProduct>();
    for (let i = 0; i < count * 3 && products.size < count; i++) products.add(this.rnd.pick(pool));
    const lines: RequestLine[] = [...products].map((product) => {
      let packs = this.rnd.int(lo, hi);
      // Big single items (generators, pumps, boats…) come in tens, not hundreds.
      if (product.packSize === 1 && ['energy', 'equipment', 'rescue', 'communication'].includes(product.category)) {
        packs = Math.max(1, Math.ceil(packs / 10));
      }
      return { product, requested: packs * Math.round(product.packSize * 1000), allocated: 0, received: 0 };
    });
    const n = ++this.requests;
    const req: SimRequest = {
      id: `sr-${this.seed}-${n}`,
      at: now,
      requester,
      incident,
      site,
      priority,
      lines,
      status: 'active',
      attempts: 0,
      version: 0,
    };
    this.recordRequest(req);
    const [a, b] = TRIAGE_H[priority];
    this.engine.schedule(now + this.uniform(a, b) * HOUR, () => this.plan(req));
  }

  /** Reserves what the nearest warehouses hold for the request, one shipment per origin. */
  private plan(req: SimRequest): void {
    const now = this.engine.now;
    req.attempts++;
    const byOrigin = new Map<number, ShipmentLine[]>();
    let missing = false;
    for (const line of req.lines) {
      let remaining = line.requested - line.allocated;
      if (remaining <= 0) continue;
      const origins = ORIGINS_BY_SITE.get(req.site.id);
      for (const w of (req.incident ? origins?.incident : origins?.routine) ?? []) {
        if (!byOrigin.has(w) && byOrigin.size >= MAX_ORIGINS) continue;
        remaining -= this.take(w, line.product, remaining, line, byOrigin, now);
        if (remaining <= 0) break;
      }
      if (remaining > 0) missing = true;
    }
    for (const [w, lines] of byOrigin) {
      this.ship(w, lines, { site: req.site, destW: undefined }, req.priority, req, req.incident);
    }
    if (missing && req.attempts < MAX_PLANNING_ATTEMPTS) {
      this.engine.schedule(now + (req.incident ? 6 : 12) * HOUR, () => this.plan(req));
    }
  }

  /** Reserves up to `wanted` of `product` in `w`, oldest lot first; returns what it took. */
  private take(
    w: number,
    product: CatalogueProduct,
    wanted: number,
    of: RequestLine | undefined,
    byOrigin: Map<number, ShipmentLine[]>,
    now: number,
  ): number {
    let taken = 0;
    const lots = product.perishable ? (this.engine.lots.byProduct[product.index - 1] ?? []) : [undefined];
    for (const lot of lots) {
      if (lot && lot.expiryMs < now + MIN_SHELF_AT_SHIPPING_MS) continue;
      const milli = Math.min(this.engine.available(w, product, lot), wanted - taken);
      if (milli <= 0) continue;
      this.engine.reserve(w, product, lot, milli);
      if (of) of.allocated += milli;
      let list = byOrigin.get(w);
      if (!list) {
        list = [];
        byOrigin.set(w, list);
      }
      list.push({ product, lot, milli, sscc: '', of, transfer: undefined, outSeq: undefined });
      taken += milli;
      if (taken >= wanted) break;
    }
    return taken;
  }

  /** A severe incident: goods the region will need, from other regions' best-stocked warehouses. */
  private replenish(incident: SimIncident): void {
    const now = this.engine.now;
    const destW = WAREHOUSES_BY_REGION[incident.regions[0] as number]?.[0] as number;
    const byOrigin = new Map<number, ShipmentLine[]>();
    const products = new Set<CatalogueProduct>();
    for (let i = 0; i < 12 && products.size < 4; i++) products.add(this.rnd.pick(incident.hazard.needs));
    for (const product of products) {
      let best = -1;
      let bestHeld = 0;
      for (let w = 0; w < WAREHOUSES.length; w++) {
        if (incident.regions.includes(WAREHOUSES[w]?.regionIndex ?? -1)) continue;
        if (!byOrigin.has(w) && byOrigin.size >= MAX_ORIGINS) continue;
        const held = this.shippable(w, product, now);
        if (held > bestHeld) {
          best = w;
          bestHeld = held;
        }
      }
      // Two fifths of what the donor holds, in whole packs.
      const pack = Math.round(product.packSize * 1000);
      const wanted = Math.floor((bestHeld * 0.4) / pack) * pack;
      if (best >= 0 && wanted > 0) this.take(best, product, wanted, undefined, byOrigin, now);
    }
    for (const [w, lines] of byOrigin) this.ship(w, lines, { site: undefined, destW }, 'asap', undefined, incident);
  }

  private shippable(w: number, product: CatalogueProduct, now: number): number {
    if (!product.perishable) return this.engine.available(w, product, undefined);
    let held = 0;
    for (const lot of this.engine.lots.byProduct[product.index - 1] ?? []) {
      if (lot.expiryMs >= now + MIN_SHELF_AT_SHIPPING_MS) held += this.engine.available(w, product, lot);
    }
    return held;
  }

  private ship(
    origin: number,
    reserved: readonly ShipmentLine[],
    dest: { site: DeliverySite | undefined; destW: number | undefined },
    priority: Priority,
    request: SimRequest | undefined,
    incident: SimIncident | undefined,
  ): void {
    const now = this.engine.now;
    const n = ++this.shipments;
    const id = `sh-${this.seed}-${n}`;
    const lines = reserved.map((l, i) => ({ ...l, sscc: sscc(n * 100 + i) }));
    const wh = WAREHOUSES[origin] as (typeof WAREHOUSES)[number];
    const to = dest.site?.position ?? (WAREHOUSES[dest.destW as number] as (typeof WAREHOUSES)[number]).position;
    const roadKm = distanceKm(wh.position, to) * 1.3;
    const vehicle =
      this.rnd.float() < 0.45
        ? this.assets.find((a) => a.asset.w === origin && a.asset.model.kind === 'vehicle' && a.status === 'available')
        : undefined;
    const y = this.rnd.float();
    const carrier = vehicle
      ? CIVIL_PROTECTION_ID
      : incident && incident.level >= 2 && y < 0.35
        ? CARRIER_IDS.army
        : y < 0.75
          ? CARRIER_IDS.national
          : CARRIER_IDS.private;
    const refs = [`Shipment/${id}`];
    if (request) refs.push(`SupplyRequest/${request.id}`);
    if (incident) refs.push(`Incident/${incident.id}`);
    const cancelled = this.rnd.float() < (incident ? 0.05 : 0.03);
    const late = this.rnd.float() < (incident ? 0.25 : 0.1);
    const speed = incident ? 40 : 60;
    const sh: SimShipment = {
      id,
      request,
      incident,
      origin,
      site: dest.site,
      destW: dest.destW,
      priority,
      carrier,
      vehicle,
      lines,
      transitMs: Math.round(((roadKm / speed + 0.5) * HOUR) / 60_000) * 60_000,
      refs,
      cancelAt: cancelled ? (this.rnd.float() < 0.5 ? 'picked' : 'dispatched') : undefined,
      delayMs: late ? Math.round(this.uniform(1, 12) * 60) * 60_000 : 0,
      history: [],
      eta: undefined,
      received: undefined,
      version: 0,
    };
    this.step(sh, 'planned', wh.name.fr);
    const [a, b] = PICK_H[priority];
    this.engine.schedule(now + this.uniform(a, b) * HOUR, () => this.pick(sh));
  }

  private pick(sh: SimShipment): void {
    if (sh.cancelAt === 'picked') {
      this.cancel(sh);
      return;
    }
    this.step(sh, 'picked', WAREHOUSES[sh.origin]?.name.fr);
    this.engine.schedule(this.engine.now + this.uniform(0.25, 1) * HOUR, () => this.dispatch(sh));
  }

  private dispatch(sh: SimShipment): void {
    if (sh.cancelAt === 'dispatched') {
      this.cancel(sh);
      return;
    }
    const now = this.engine.now;
    const toWarehouse = sh.destW !== undefined;
    const counterpart = `Location/${toWarehouse ? WAREHOUSES[sh.destW as number]?.id : sh.site?.id}`;
    sh.eta = now + sh.transitMs;
    if (sh.vehicle) sh.vehicle.km += 2 * (sh.transitMs / HOUR - 0.5) * (sh.incident ? 40 : 60);
    sh.lines.forEach((line, i) => {
      const last = i === sh.lines.length - 1;
      if (toWarehouse) line.transfer = this.engine.nextTransfer();
      this.engine.ship({
        type: toWarehouse ? 'transfer-out' : 'dispatch',
        w: sh.origin,
        product: line.product,
        lot: line.lot,
        milli: line.milli,
        counterpart,
        transfer: line.transfer,
        outSeq: undefined,
        refs: sh.refs,
        // The shipment is dispatched once all its movements are out.
        onEmit: (seq) => {
          line.outSeq = seq;
          if (last) this.step(sh, 'dispatched', carrierName(sh));
        },
      });
    });
    this.engine.schedule(now + this.uniform(0.1, 0.5) * HOUR, () => this.step(sh, 'in-transit', carrierName(sh)));
    const arrival = sh.delayMs > 0 ? sh.eta + sh.delayMs : sh.eta - Math.round(this.uniform(0, 0.1) * sh.transitMs);
    this.engine.schedule(Math.max(arrival, now + HOUR / 2), () => this.deliver(sh));
  }

  private deliver(sh: SimShipment): void {
    const note =
      sh.delayMs > 0
        ? `${this.rnd.pick(LATE_REASONS)} : ${Math.round(sh.delayMs / 60_000)} min après l\u2019ETA`
        : undefined;
    this.step(sh, 'delivered', carrierName(sh), note);
    this.engine.schedule(this.engine.now + this.uniform(0.25, 2) * HOUR, () => this.receive(sh));
  }

  private receive(sh: SimShipment): void {
    const now = this.engine.now;
    const place = sh.destW !== undefined ? (WAREHOUSES[sh.destW]?.name.fr as string) : (sh.site as DeliverySite).name;
    sh.received = { by: `Responsable réception \u2014 ${place}`, at: now };
    if (sh.destW === undefined) {
      this.step(sh, 'received', place);
    } else {
      const origin = `Location/${WAREHOUSES[sh.origin]?.id}`;
      sh.lines.forEach((line, i) => {
        const last = i === sh.lines.length - 1;
        this.engine.receive({
          type: 'transfer-in',
          w: sh.destW as number,
          product: line.product,
          lot: line.lot,
          milli: line.milli,
          counterpart: origin,
          transfer: line.transfer,
          outSeq: line.outSeq,
          refs: sh.refs,
          onEmit: last ? () => this.step(sh, 'received', place) : undefined,
        });
      });
    }
    const req = sh.request;
    if (!req) return;
    for (const line of sh.lines) if (line.of) line.of.received += line.milli;
    const status = req.lines.every((l) => l.received >= l.requested) ? 'fulfilled' : 'partially-fulfilled';
    if (status !== req.status) {
      req.status = status;
      this.recordRequest(req);
    }
  }

  private cancel(sh: SimShipment): void {
    for (const line of sh.lines) {
      this.engine.release(sh.origin, line.product, line.lot, line.milli);
      if (line.of) line.of.allocated -= line.milli;
    }
    this.step(sh, 'cancelled', WAREHOUSES[sh.origin]?.name.fr, this.rnd.pick(CANCEL_REASONS));
    const req = sh.request;
    if (req && req.attempts < MAX_PLANNING_ATTEMPTS)
      this.engine.schedule(this.engine.now + 2 * HOUR, () => this.plan(req));
  }

  private step(sh: SimShipment, status: ShipmentStatus, by: string | undefined, note?: string): void {
    sh.history.push({ status, at: this.engine.now, by, note });
    this.recordShipment(sh);
  }

  // ---------------------------------------------------------------------------------------
  // the fleet

  private commission(asset: Asset, now: number): AssetState {
    const r = this.fleetRnd;
    const m = asset.model;
    const ageDays = this.uniform(200, 2500, r);
    const commissionedMs = now - ageDays * DAY_MS;
    const commissioned = formatDate(commissionedMs);
    return {
      asset,
      serial: `${m.code.toUpperCase()}-${commissioned.slice(0, 4)}-${String(r.int(0, 99_999)).padStart(5, '0')}`,
      commissioned,
      status: 'available',
      location: WAREHOUSES[asset.w]?.id as string,
      hours: m.meter === 'hours' ? Math.round(ageDays * this.uniform(0.3, 1.2, r)) : 0,
      rate: m.hoursPerDay[0] / DAY_MS,
      since: now,
      km: m.meter === 'km' ? Math.round(ageDays * this.uniform(40, 120, r)) : 0,
      // About one in five is already past due when the simulation starts.
      nextDue: now + this.uniform(-0.25, 1, r) * m.intervalDays * DAY_MS,
      retired: false,
      version: 0,
    };
  }

  private setStatus(a: AssetState, status: AssetStatus, location: string): void {
    const now = this.engine.now;
    a.hours += a.rate * (now - a.since);
    a.since = now;
    const [idle, deployed] = a.asset.model.hoursPerDay;
    a.rate = (status === 'deployed' ? deployed : status === 'available' ? idle : 0) / DAY_MS;
    a.status = status;
    a.location = location;
    this.recordAsset(a);
  }

  /** Announces the next preventive service (or inspection) two weeks ahead, then does it, on time or late. */
  private planService(a: AssetState): void {
    const r = this.fleetRnd;
    const due = a.nextDue;
    this.engine.schedule(due - 14 * DAY_MS, () => {
      const m = this.maintenance(a, a.asset.model.meter === 'none' ? 'inspection' : 'preventive', due, undefined);
      const x = r.float();
      const slipDays = x < 0.7 ? this.uniform(-1, 2, r) : x < 0.9 ? this.uniform(3, 15, r) : this.uniform(20, 60, r);
      this.engine.schedule(due + slipDays * DAY_MS, () => this.startWork(m));
    });
  }

  private maintenance(
    a: AssetState,
    kind: SimMaintenance['kind'],
    scheduledFor: number,
    failedAt: number | undefined,
  ): SimMaintenance {
    const m: SimMaintenance = {
      id: `mt-${this.seed}-${++this.maintenances}`,
      asset: a,
      kind,
      status: 'scheduled',
      scheduledFor,
      start: undefined,
      end: undefined,
      failedAt,
      outcome: undefined,
      cost: undefined,
      note:
        failedAt === undefined
          ? undefined
          : `Panne signalée : ${this.fleetRnd.pick(SYMPTOMS[a.asset.model.kind] ?? ['Panne mécanique'])}`,
      version: 0,
    };
    this.recordMaintenance(m);
    return m;
  }

  private startWork(m: SimMaintenance): void {
    const a = m.asset;
    const now = this.engine.now;
    if (a.retired) {
      m.status = 'cancelled';
      m.note = 'Équipement réformé';
      this.recordMaintenance(m);
      return;
    }
    // A service waits for the asset to come back from the field or out of another repair.
    if (m.kind !== 'corrective' && a.status !== 'available') {
      this.engine.schedule(now + DAY_MS, () => this.startWork(m));
      return;
    }
    m.status = 'in-progress';
    m.start = now;
    this.recordMaintenance(m);
    this.setStatus(a, 'under-maintenance', WAREHOUSES[a.asset.w]?.id as string);
    const hours =
      m.kind === 'corrective'
        ? this.uniform(3, 48, this.fleetRnd)
        : m.kind === 'inspection'
          ? this.uniform(0.5, 2, this.fleetRnd)
          : this.uniform(2, 8, this.fleetRnd);
    this.engine.schedule(now + Math.round(hours * 60) * 60_000, () => this.endWork(m));
  }

  private endWork(m: SimMaintenance): void {
    const a = m.asset;
    const r = this.fleetRnd;
    const now = this.engine.now;
    const x = r.float();
    m.outcome =
      m.kind === 'corrective'
        ? x < 0.8
          ? 'operational'
          : x < 0.95
            ? 'needs-follow-up'
            : 'out-of-service'
        : x < 0.92
          ? 'operational'
          : 'needs-follow-up';
    const [lo, hi] = a.asset.model.serviceCost;
    m.cost = Math.round(m.kind === 'corrective' ? this.uniform(1000, 15_000, r) : this.uniform(lo, hi, r));
    m.status = 'done';
    m.end = now;
    a.hours += a.rate * (now - a.since);
    a.since = now;
    this.recordMaintenance(m);
    if (m.outcome === 'out-of-service') {
      a.retired = true;
      this.setStatus(a, 'out-of-service', WAREHOUSES[a.asset.w]?.id as string);
      return;
    }
    if (m.kind !== 'corrective') {
      a.nextDue = now + a.asset.model.intervalDays * DAY_MS;
      this.planService(a);
    }
    this.setStatus(a, 'available', WAREHOUSES[a.asset.w]?.id as string);
  }

  private breakdown(): void {
    const now = this.engine.now;
    this.engine.schedule(now + this.fleetRnd.exponential(FAILURE_GAP_MS), () => this.breakdown());
    const a = this.assets[this.fleetRnd.int(0, this.assets.length - 1)] as AssetState;
    if (a.status === 'available') this.fail(a);
  }

  private fail(a: AssetState): void {
    const now = this.engine.now;
    this.setStatus(a, 'out-of-service', a.location);
    const m = this.maintenance(
      a,
      'corrective',
      now + Math.round(this.uniform(2, 24, this.fleetRnd) * 60) * 60_000,
      now,
    );
    this.engine.schedule(m.scheduledFor, () => this.startWork(m));
  }

  // ---------------------------------------------------------------------------------------
  // resources: each change is recorded as what it needs to be built later

  private recordIncident(i: SimIncident): void {
    const version = ++i.version;
    const at = this.engine.now;
    const closed = i.closed;
    const seed = this.seed;
    this.log.incidents.push({ build: () => incidentResource(i, version, at, closed, seed) });
  }

  private recordRequest(r: SimRequest): void {
    const version = ++r.version;
    const at = this.engine.now;
    const status = r.status;
    this.log.supplyRequests.push(new RequestVersion(r, version, at, status));
  }

  private recordShipment(sh: SimShipment): void {
    const version = ++sh.version;
    const at = this.engine.now;
    const steps = sh.history.length;
    const eta = sh.eta;
    this.log.shipments.push(new ShipmentVersion(sh, version, at, steps, eta));
  }

  private recordAsset(a: AssetState): void {
    const now = this.engine.now;
    const snapshot: AssetSnapshot = {
      version: ++a.version,
      at: now,
      status: a.status,
      location: a.location,
      hours: a.hours + a.rate * (now - a.since),
      km: a.km,
      nextDue: a.nextDue,
    };
    this.log.equipment.push({ build: () => assetResource(a, snapshot) });
  }

  private recordMaintenance(m: SimMaintenance): void {
    const a = m.asset;
    const snapshot: MaintenanceSnapshot = {
      version: ++m.version,
      at: this.engine.now,
      status: m.status,
      start: m.start,
      end: m.end,
      outcome: m.outcome,
      cost: m.cost,
      note: m.note,
      hours: a.hours + a.rate * (this.engine.now - a.since),
    };
    this.log.maintenance.push({ build: () => maintenanceResource(m, snapshot) });
  }
}

class RequestVersion implements Version {
  constructor(
    private readonly r: SimRequest,
    private readonly version: number,
    private readonly at: number,
    private readonly status: SimRequest['status'],
  ) {}

  build(): CanonicalResource {
    return requestResource(this.r, this.version, this.at, this.status);
  }
}

class ShipmentVersion implements Version {
  constructor(
    private readonly sh: SimShipment,
    private readonly version: number,
    private readonly at: number,
    private readonly steps: number,
    private readonly eta: number | undefined,
  ) {}

  build(): CanonicalResource {
    return shipmentResource(this.sh, this.version, this.at, this.steps, this.eta);
  }
}

function meta(version: number, at: number): { versionId: string; lastUpdated: string } {
  return { versionId: String(version), lastUpdated: formatDateTime(at) };
}

function incidentResource(
  i: SimIncident,
  version: number,
  at: number,
  closed: boolean,
  seed: number,
): CanonicalResource {
  const region = REGIONS[i.regions[0] as number] as (typeof REGIONS)[number];
  const year = formatDate(i.start).slice(0, 4);
  return {
    resourceType: 'Incident',
    id: i.id,
    meta: meta(version, at),
    identifier: [{ system: SYSTEM.incident, value: i.id }],
    incidentType: i.hazard.type,
    severity: i.severity,
    status: closed ? 'closed' : 'active',
    name: {
      fr: `${i.hazard.label.fr} \u2014 ${i.site.place.fr} (${region.name.fr})`,
      ar: `${i.hazard.label.ar} \u2014 ${i.site.place.ar} (${region.name.ar})`,
      en: `${i.hazard.label.en} \u2014 ${i.site.place.en} (${region.name.en})`,
    },
    period: closed
      ? { start: formatDateTime(i.start), end: formatDateTime(i.end) }
      : { start: formatDateTime(i.start) },
    affectedRegions: i.regions.map((r) => REGIONS[r]?.id as string),
    affectedLocations: i.sites.map((s) => ({ reference: `Location/${s.id}`, display: s.name })),
    epicentre: { latitude: i.site.latitude, longitude: i.site.longitude },
    populationAffected: i.population,
    capAlertId: `urn:oid:${CAP_OID}.${year}.${seed}.${i.n}`,
    description: `${i.hazard.label.fr} (${i.severity}) à ${i.site.place.fr} : environ ${i.population} personnes touchées.`,
  };
}

function requestResource(r: SimRequest, version: number, at: number, status: SimRequest['status']): CanonicalResource {
  const region = REGIONS[r.site.regionIndex]?.id as string;
  return {
    resourceType: 'SupplyRequest',
    id: r.id,
    meta: meta(version, at),
    identifier: [{ system: SYSTEM.request, value: r.id }],
    status,
    priority: r.priority,
    requester: { reference: `Organization/${r.requester}` },
    ...(r.incident ? { incident: { reference: `Incident/${r.incident.id}` } } : {}),
    deliverTo: { reference: `Location/${r.site.id}`, display: r.site.name },
    supplier: { reference: `Location/${region}-pf` },
    authoredOn: formatDateTime(r.at),
    neededBy: formatDateTime(r.at + NEEDED_BY_H[r.priority] * HOUR),
    lines: r.lines.map((l, i) => ({
      sequence: i + 1,
      product: { reference: `Product/${l.product.id}`, display: l.product.name.fr },
      quantity: { value: l.requested / 1000, unit: l.product.unit },
    })),
    reason: r.incident ? `Réponse à l\u2019incident ${r.incident.id}` : 'Besoins courants du site',
  };
}

function shipmentResource(
  sh: SimShipment,
  version: number,
  at: number,
  steps: number,
  eta: number | undefined,
): CanonicalResource {
  const origin = WAREHOUSES[sh.origin] as (typeof WAREHOUSES)[number];
  const destination =
    sh.destW !== undefined
      ? { reference: `Location/${WAREHOUSES[sh.destW]?.id}`, display: WAREHOUSES[sh.destW]?.name.fr as string }
      : { reference: `Location/${sh.site?.id}`, display: sh.site?.name as string };
  const history = sh.history.slice(0, steps);
  const last = history[history.length - 1] as StatusEntry;
  const record: Record<string, unknown> = {
    resourceType: 'Shipment',
    id: sh.id,
    meta: meta(version, at),
    identifier: [{ system: SYSTEM.shipment, value: sh.id }],
    status: last.status,
    priority: sh.priority,
  };
  if (sh.request) record.requests = [{ reference: `SupplyRequest/${sh.request.id}` }];
  if (sh.incident) record.incident = { reference: `Incident/${sh.incident.id}` };
  record.origin = { reference: `Location/${origin.id}`, display: origin.name.fr };
  record.destination = destination;
  record.carrier = { reference: `Organization/${sh.carrier}`, display: ORGANIZATION_NAMES.get(sh.carrier) };
  if (sh.vehicle) record.vehicle = { reference: `Equipment/${sh.vehicle.asset.id}`, display: sh.vehicle.serial };
  if (eta !== undefined) record.eta = formatDateTime(eta);
  record.lines = sh.lines.map((l) => ({
    product: { reference: `Product/${l.product.id}`, display: l.product.name.fr },
    quantity: { value: l.milli / 1000, unit: l.product.unit },
    ...(l.lot ? { lot: { lotNumber: l.lot.lotNumber, expiry: l.lot.expiry } } : {}),
    sscc: l.sscc,
  }));
  record.statusHistory = history.map((h) => ({
    status: h.status,
    at: formatDateTime(h.at),
    ...(h.by === undefined ? {} : { by: h.by }),
    ...(h.note === undefined ? {} : { note: h.note }),
  }));
  if (sh.received && last.status === 'received') {
    record.proofOfDelivery = { receivedBy: sh.received.by, receivedAt: formatDateTime(sh.received.at) };
  }
  return record as CanonicalResource;
}

interface AssetSnapshot {
  readonly version: number;
  readonly at: number;
  readonly status: AssetStatus;
  readonly location: string;
  readonly hours: number;
  readonly km: number;
  readonly nextDue: number;
}

function assetResource(a: AssetState, s: AssetSnapshot): CanonicalResource {
  const m: AssetModel = a.asset.model;
  return {
    resourceType: 'Equipment',
    id: a.asset.id,
    meta: meta(s.version, s.at),
    identifier: [{ system: SYSTEM.asset, value: a.serial }],
    kind: m.kind,
    serialNumber: a.serial,
    ...(m.productId ? { product: { reference: `Product/${m.productId}` } } : {}),
    name: { ...m.name },
    manufacturer: m.manufacturer,
    model: m.model,
    status: s.status,
    location: { reference: `Location/${s.location}` },
    owner: { reference: `Organization/${CIVIL_PROTECTION_ID}` },
    ...(m.meter === 'hours' ? { hoursRun: Math.round(s.hours * 10) / 10 } : {}),
    ...(m.meter === 'km' ? { odometerKm: Math.round(s.km) } : {}),
    commissionedOn: a.commissioned,
    nextMaintenanceDue: formatDate(s.nextDue),
  };
}

interface MaintenanceSnapshot {
  readonly version: number;
  readonly at: number;
  readonly status: SimMaintenance['status'];
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly outcome: SimMaintenance['outcome'];
  readonly cost: number | undefined;
  readonly note: string | undefined;
  readonly hours: number;
}

function maintenanceResource(m: SimMaintenance, s: MaintenanceSnapshot): CanonicalResource {
  const a = m.asset;
  const record: Record<string, unknown> = {
    resourceType: 'MaintenanceEvent',
    id: m.id,
    meta: meta(s.version, s.at),
    identifier: [{ system: SYSTEM.maintenance, value: m.id }],
    equipment: { reference: `Equipment/${a.asset.id}`, display: a.asset.model.name.fr },
    kind: m.kind,
    status: s.status,
    scheduledFor: formatDateTime(m.scheduledFor),
  };
  if (s.start !== undefined) {
    record.performed =
      s.end === undefined
        ? { start: formatDateTime(s.start) }
        : { start: formatDateTime(s.start), end: formatDateTime(s.end) };
  }
  if (s.end !== undefined) {
    record.downtimeHours = Math.round(((s.end - (m.failedAt ?? s.start ?? s.end)) / HOUR) * 10) / 10;
    record.outcome = s.outcome;
  }
  record.performer = { reference: `Organization/${a.asset.model.servicedBy}` };
  record.location = { reference: `Location/${WAREHOUSES[a.asset.w]?.id}` };
  if (s.end !== undefined && a.asset.model.meter === 'hours') record.hoursRunAtService = Math.round(s.hours * 10) / 10;
  if (s.cost !== undefined) record.cost = { value: s.cost, currency: 'MAD' };
  if (s.note !== undefined) record.note = s.note;
  return record as CanonicalResource;
}

/** A GS1 SSCC: extension digit 0, Morocco's 611 company prefix of the network, a serial. */
function sscc(serial: number): string {
  const body = `06118000${String(serial).padStart(9, '0')}`;
  return `${body}${gs1CheckDigit(body)}`;
}

function carrierName(sh: SimShipment): string {
  return sh.vehicle
    ? `${sh.vehicle.asset.model.name.fr} ${sh.vehicle.serial}`
    : (ORGANIZATION_NAMES.get(sh.carrier) ?? sh.carrier);
}
