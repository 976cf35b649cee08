import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../core/index.js';
import type { Message } from '../../sdk/connector.js';
import { simulator } from '../src/index.js';
import { buildLots } from '../src/lots.js';
import { MovementFlow } from '../src/movements.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read record fields freely
type Rec = Record<string, any>;

const DAY = 86_400_000;

async function read(config: Record<string, unknown>): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of simulator.read(config, {})) out.push(m);
  return out;
}

const ofStream = (messages: Message[], stream: string): Rec[] =>
  messages.flatMap((m) => (m.type === 'record' && m.stream === stream ? [m.data as Rec] : []));

/** The last version of each resource, in order of first appearance. */
function latest(versions: Rec[]): Rec[] {
  const byId = new Map<string, Rec>();
  for (const v of versions) byId.set(v.id, v);
  return [...byId.values()];
}

function versionsById(versions: Rec[]): Map<string, Rec[]> {
  const out = new Map<string, Rec[]>();
  for (const v of versions) {
    const list = out.get(v.id);
    if (list) list.push(v);
    else out.set(v.id, [v]);
  }
  return out;
}

const regionOf = (locationRef: string) => locationRef.replace(/^Location\//, '').replace(/-(ds|wh|pf)\d*$/, '');

/** Where each hazard may strike first, from the country's record (not from the simulator's data). */
const PLAUSIBLE: Record<string, string[]> = {
  earthquake: ['marrakech-safi', 'souss-massa', 'tanger-tetouan-al-hoceima'],
  flood: ['guelmim-oued-noun', 'souss-massa', 'draa-tafilalet', 'rabat-sale-kenitra', 'tanger-tetouan-al-hoceima'],
  landslide: ['tanger-tetouan-al-hoceima', 'fes-meknes'],
  chemical: ['casablanca-settat', 'marrakech-safi'],
  industrial: ['casablanca-settat', 'tanger-tetouan-al-hoceima', 'rabat-sale-kenitra', 'marrakech-safi'],
  radiological: ['rabat-sale-kenitra', 'casablanca-settat'],
  storm: [
    'tanger-tetouan-al-hoceima',
    'casablanca-settat',
    'marrakech-safi',
    'laayoune-sakia-el-hamra',
    'dakhla-oued-ed-dahab',
  ],
  fire: ['tanger-tetouan-al-hoceima', 'fes-meknes', 'beni-mellal-khenifra'],
};

describe('simulator: incidents of every type, where they strike', () => {
  it('brings every type within a bag of incidents, in the regions each hazard threatens', () => {
    const startMs = Date.parse('2025-01-06T08:00:00+01:00');
    const flow = new MovementFlow({
      seed: 42,
      startMs,
      invalidRate: 0,
      lots: buildLots(42, startMs),
      incidentsPer30Days: 60,
    });
    const struck = () => flow.events.incidents.map((v) => v.build() as Rec).filter((i) => i.meta.versionId === '1');
    while (struck().length < 23) for (let i = 0; i < 500; i++) flow.next();
    const incidents = struck().slice(0, 23);
    expect(new Set(incidents.map((i) => i.incidentType))).toEqual(new Set(Object.keys(PLAUSIBLE)));
    for (const i of incidents) {
      expect(PLAUSIBLE[i.incidentType], `${i.id} ${i.incidentType}`).toContain(i.affectedRegions[0]);
      expect(i.affectedLocations.every((l: Rec) => i.affectedRegions.includes(regionOf(l.reference)))).toBe(true);
      expect(validateResource(i).valid).toBe(true);
    }
    expect(new Set(incidents.map((i) => i.severity)).size).toBeGreaterThanOrEqual(3);
  });
});

describe('simulator: a full simulated day', async () => {
  const all = await read({ movements: 2500, incidents_per_30_days: 30 });
  const records = all.flatMap((m) => (m.type === 'record' ? [m.data as Rec] : []));

  it('passes core validation, every record of every stream', () => {
    const moves = ofStream(all, 'stock_movements');
    const span = Date.parse(moves.at(-1)?.occurredAt) - Date.parse(moves[0]?.occurredAt);
    expect(span).toBeGreaterThan(DAY);
    const invalid = records.flatMap((r) => {
      const v = validateResource(r);
      return v.valid ? [] : [{ id: r.id, version: r.meta?.versionId, errors: v.errors }];
    });
    expect(invalid).toEqual([]);
    for (const s of ['incidents', 'supply_requests', 'shipments', 'equipment', 'maintenance_events']) {
      expect(ofStream(all, s).length, s).toBeGreaterThan(0);
    }
  });
});

describe('simulator: requests, shipments and stock under incidents', async () => {
  const all = await read({ movements: 20_000, incidents_per_30_days: 16 });
  const movements = ofStream(all, 'stock_movements');
  const incidents = latest(ofStream(all, 'incidents'));
  const requestVersions = ofStream(all, 'supply_requests');
  const requests = latest(requestVersions);
  const shipmentVersions = ofStream(all, 'shipments');
  const shipments = latest(shipmentVersions);
  const end = movements.at(-1)?.occurredAt as string;
  const startMs = Date.parse(movements[0]?.occurredAt);
  const days = (Date.parse(end) - startMs) / DAY;

  it('has incidents, each answered by at least one request in an affected region', () => {
    expect(incidents.length).toBeGreaterThanOrEqual(5);
    // Those struck in the run's last two hours may not have asked yet.
    for (const i of incidents.filter((x) => Date.parse(x.period.start) < Date.parse(end) - 2 * 3_600_000)) {
      const answered = requests.filter(
        (r) =>
          r.incident?.reference === `Incident/${i.id}` && i.affectedRegions.includes(regionOf(r.deliverTo.reference)),
      );
      expect(answered.length, i.id).toBeGreaterThanOrEqual(1);
      // The first comes from the struck region's crisis cell, within hours, at priority stat.
      const first = answered[0] as Rec;
      expect(first.requester.reference).toBe(`Organization/org-crisis-${i.affectedRegions[0]}`);
      expect(first.priority).toBe('stat');
      expect(Date.parse(first.authoredOn) - Date.parse(i.period.start)).toBeLessThan(4 * 3_600_000);
    }
  });

  it('surges: requests per day in an incident’s first two days far above the everyday rate', () => {
    const everyday = requests.filter((r) => !r.incident).length / days;
    expect(everyday).toBeGreaterThan(3);
    const serious = incidents.filter(
      (i) => i.severity !== 'Minor' && Date.parse(i.period.start) + 2 * DAY < Date.parse(end),
    );
    expect(serious.length).toBeGreaterThanOrEqual(2);
    for (const i of serious) {
      const t0 = Date.parse(i.period.start);
      const firstTwoDays = requests.filter(
        (r) => r.incident?.reference === `Incident/${i.id}` && Date.parse(r.authoredOn) < t0 + 2 * DAY,
      ).length;
      expect(firstTwoDays / 2, `${i.id} (${i.severity})`).toBeGreaterThan(2 * everyday);
    }
    const perDay =
      serious.reduce(
        (n, i) =>
          n +
          requests.filter(
            (r) =>
              r.incident?.reference === `Incident/${i.id}` &&
              Date.parse(r.authoredOn) < Date.parse(i.period.start) + 2 * DAY,
          ).length,
        0,
      ) /
      (2 * serious.length);
    expect(perDay).toBeGreaterThan(4 * everyday);
  });

  it('uses the four FHIR priorities, with needed-by times that follow them', () => {
    expect(new Set(requests.map((r) => r.priority))).toEqual(new Set(['stat', 'asap', 'urgent', 'routine']));
    const hours = { stat: 6, asap: 12, urgent: 48, routine: 168 } as Record<string, number>;
    for (const r of requests) {
      expect(Date.parse(r.neededBy) - Date.parse(r.authoredOn)).toBe((hours[r.priority] as number) * 3_600_000);
    }
    const statuses = new Set(requests.map((r) => r.status));
    for (const s of ['active', 'partially-fulfilled', 'fulfilled']) expect(statuses).toContain(s);
  });

  it('never moves a shipment’s status backwards, from one version to the next', () => {
    const seen = new Set<string>();
    const broken: string[] = [];
    for (const [id, versions] of versionsById(shipmentVersions)) {
      versions.forEach((v, k) => {
        if (v.meta.versionId !== String(k + 1) || v.status !== v.statusHistory.at(-1).status)
          broken.push(`${id} v${k + 1}`);
        if (k === 0) return;
        const before = versions[k - 1] as Rec;
        // Each version extends the history of the one before by one step, later.
        if (JSON.stringify(v.statusHistory.slice(0, -1)) !== JSON.stringify(before.statusHistory))
          broken.push(`${id} v${k + 1}`);
        if (Date.parse(v.meta.lastUpdated) < Date.parse(before.meta.lastUpdated)) broken.push(`${id} v${k + 1} time`);
      });
      for (const s of (versions.at(-1) as Rec).statusHistory) seen.add(s.status);
    }
    expect(broken).toEqual([]);
    for (const s of ['planned', 'picked', 'dispatched', 'in-transit', 'delivered', 'received', 'cancelled']) {
      expect(seen).toContain(s);
    }
  });

  it('ships with carriers and ETAs, some late, some cancelled', () => {
    const carriers = new Set(shipments.map((s) => s.carrier.reference));
    for (const c of ['org-dgpc', 'org-carrier-sntl', 'org-carrier-far', 'org-carrier-atlas-express']) {
      expect(carriers).toContain(`Organization/${c}`);
    }
    expect(shipments.filter((s) => s.vehicle).every((s) => s.carrier.reference === 'Organization/org-dgpc')).toBe(true);
    const delivered = shipments.filter((s) => s.statusHistory.some((h: Rec) => h.status === 'delivered'));
    const late = delivered.filter(
      (s) => Date.parse(s.statusHistory.find((h: Rec) => h.status === 'delivered').at) > Date.parse(s.eta),
    );
    expect(late.length / delivered.length).toBeGreaterThan(0.05);
    expect(late.length / delivered.length).toBeLessThan(0.4);
    const cancelled = shipments.filter((s) => s.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((s) => !s.statusHistory.some((h: Rec) => h.status === 'dispatched'))).toBe(true);
    expect(shipments.filter((s) => s.status === 'received').every((s) => s.proofOfDelivery)).toBe(true);
  });

  it('moves the stock a dispatched shipment carries, line by line, and nothing for a cancelled one', () => {
    const byShipment = new Map<string, Rec[]>();
    for (const m of movements) {
      for (const r of m.references ?? []) {
        if (r.reference.startsWith('Shipment/'))
          byShipment.set(r.reference, [...(byShipment.get(r.reference) ?? []), m]);
      }
    }
    let replenishments = 0;
    for (const s of shipments) {
      const moves = byShipment.get(`Shipment/${s.id}`) ?? [];
      const steps = new Set(s.statusHistory.map((h: Rec) => h.status));
      if (!steps.has('dispatched')) {
        expect(moves, s.id).toEqual([]);
        continue;
      }
      const toWarehouse = /-wh\d$/.test(s.destination.reference);
      const out = moves.filter((m) => m.movementType === (toWarehouse ? 'transfer-out' : 'dispatch'));
      expect(
        out.map((m) => [m.location.reference, m.counterpart.reference, m.product, m.lot, -m.quantity.value]),
        s.id,
      ).toEqual(
        s.lines.map((l: Rec) => [
          s.origin.reference,
          s.destination.reference,
          { reference: l.product.reference, display: l.product.display },
          l.lot,
          l.quantity.value,
        ]),
      );
      expect(out.every((m) => m.occurredAt === s.statusHistory.find((h: Rec) => h.status === 'dispatched').at)).toBe(
        true,
      );
      if (toWarehouse) {
        replenishments++;
        const ins = moves.filter((m) => m.movementType === 'transfer-in');
        expect(ins).toHaveLength(steps.has('received') ? s.lines.length : 0);
      }
      if (s.requests)
        expect(out.every((m) => m.references.some((r: Rec) => r.reference === s.requests[0].reference))).toBe(true);
    }
    expect(replenishments).toBeGreaterThan(0);
  });

  it('never drives a stock below zero, shipments included', () => {
    const balance = new Map<string, number>();
    let lowest = 0;
    for (const m of movements) {
      const key = `${m.location.reference}|${m.product.reference}|${m.lot?.lotNumber ?? ''}`;
      const after = Math.round(((balance.get(key) ?? 0) + m.quantity.value) * 1000) / 1000;
      balance.set(key, after);
      lowest = Math.min(lowest, after);
    }
    expect(lowest).toBe(0);
  });

  it('wears the equipment: hours and kilometres only grow; services on schedule, late, and after breakdowns', () => {
    const equipment = ofStream(all, 'equipment');
    const assets = latest(equipment);
    expect(new Set(assets.map((a) => a.kind))).toEqual(
      new Set([
        'generator',
        'water-purifier',
        'vehicle',
        'tent-set',
        'pump',
        'lighting-tower',
        'telecom-kit',
        'forklift',
        'mobile-kitchen',
      ]),
    );
    expect(new Set(assets.map((a) => a.serialNumber)).size).toBe(assets.length);
    for (const [id, versions] of versionsById(equipment)) {
      for (let k = 1; k < versions.length; k++) {
        const [a, b] = [versions[k - 1] as Rec, versions[k] as Rec];
        expect((b.hoursRun ?? 0) >= (a.hoursRun ?? 0) && (b.odometerKm ?? 0) >= (a.odometerKm ?? 0), id).toBe(true);
      }
    }
    expect(
      assets.some((a) => a.status === 'deployed' || equipment.some((v) => v.id === a.id && v.status === 'deployed')),
    ).toBe(true);
    const maintenance = latest(ofStream(all, 'maintenance_events'));
    const kinds = (k: string, s: string) => maintenance.filter((m) => m.kind === k && m.status === s).length;
    expect(kinds('preventive', 'done')).toBeGreaterThan(10);
    expect(kinds('corrective', 'done')).toBeGreaterThan(0);
    expect(kinds('inspection', 'done')).toBeGreaterThan(0);
    const overdue = maintenance.filter((m) => m.status === 'scheduled' && m.scheduledFor < end);
    expect(overdue.length).toBeGreaterThan(0);
    for (const m of maintenance.filter((x) => x.status === 'done')) {
      expect(m.performed.end >= m.performed.start).toBe(true);
      expect(m.downtimeHours).toBeGreaterThan(0);
    }
  });
});
