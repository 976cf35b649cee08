import { describe, expect, it } from 'vitest';
import { isKnownUnit, isValidGln, isValidGtin, validateResource } from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { Message } from '../../sdk/connector.js';
import { runConnector } from '../../sdk/runtime.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { CATALOGUE, CATEGORIES } from '../src/catalogue.js';
import { formatDateTime } from '../src/clock.js';
import { simulator } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read record fields freely
type Rec = Record<string, any>;

async function read(config: Record<string, unknown>, state: Record<string, unknown> = {}): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of simulator.read(config, state)) out.push(m);
  return out;
}

const records = (messages: Message[], type?: string): Rec[] =>
  messages.flatMap((m) =>
    m.type === 'record' && (type === undefined || m.data.resourceType === type) ? [m.data as Rec] : [],
  );

describe('simulator: the network', async () => {
  const locations = records(await read({ movements: 0 }), 'Location');
  const byKind = (k: string) => locations.filter((l) => l.kind === k);

  it('has the 12 regions with their official French and Arabic names', () => {
    const regions = byKind('region');
    expect(regions).toHaveLength(12);
    const names = Object.fromEntries(regions.map((r) => [r.id, [r.name.fr, r.name.ar]]));
    expect(names).toEqual({
      'casablanca-settat': ['Casablanca-Settat', 'الدار البيضاء-سطات'],
      'rabat-sale-kenitra': ['Rabat-Salé-Kénitra', 'الرباط-سلا-القنيطرة'],
      'marrakech-safi': ['Marrakech-Safi', 'مراكش-آسفي'],
      'fes-meknes': ['Fès-Meknès', 'فاس-مكناس'],
      'tanger-tetouan-al-hoceima': ['Tanger-Tétouan-Al Hoceima', 'طنجة-تطوان-الحسيمة'],
      'souss-massa': ['Souss-Massa', 'سوس-ماسة'],
      oriental: ['Oriental', 'الشرق'],
      'beni-mellal-khenifra': ['Béni Mellal-Khénifra', 'بني ملال-خنيفرة'],
      'draa-tafilalet': ['Drâa-Tafilalet', 'درعة-تافيلالت'],
      'guelmim-oued-noun': ['Guelmim-Oued Noun', 'كلميم-واد نون'],
      'laayoune-sakia-el-hamra': ['Laâyoune-Sakia El Hamra', 'العيون-الساقية الحمراء'],
      'dakhla-oued-ed-dahab': ['Dakhla-Oued Ed-Dahab', 'الداخلة-وادي الذهب'],
    });
    // Capitals, roughly: Morocco spans 21°–36° N and 17°–1° W.
    for (const r of regions) {
      expect(r.position.latitude).toBeGreaterThan(21);
      expect(r.position.latitude).toBeLessThan(36);
      expect(r.position.longitude).toBeGreaterThan(-17.5);
      expect(r.position.longitude).toBeLessThan(-1);
    }
    expect(names['souss-massa']).toBeDefined();
    const agadir = regions.find((r) => r.id === 'souss-massa');
    expect(agadir?.position.latitude).toBeCloseTo(30.43, 1);
  });

  it('has one platform per region and 36 warehouses, 4 × 20,000 m² in six regions and 2 × 10,000 m² in the others', () => {
    const platforms = byKind('platform');
    expect(platforms).toHaveLength(12);
    for (const p of platforms) {
      expect(p.id).toBe(`${p.regionId}-pf`);
      expect(p.partOf).toEqual({ reference: `Location/${p.regionId}` });
    }
    const warehouses = byKind('warehouse');
    expect(warehouses).toHaveLength(36);
    const perRegion = new Map<string, Rec[]>();
    for (const w of warehouses) perRegion.set(w.regionId, [...(perRegion.get(w.regionId) ?? []), w]);
    const large = [
      'casablanca-settat',
      'rabat-sale-kenitra',
      'marrakech-safi',
      'fes-meknes',
      'tanger-tetouan-al-hoceima',
      'souss-massa',
    ];
    for (const [region, list] of perRegion) {
      const n = large.includes(region) ? 4 : 2;
      expect(list.map((w) => w.id)).toEqual(Array.from({ length: n }, (_, i) => `${region}-wh${i + 1}`));
      for (const w of list) {
        expect(w.floorAreaM2).toBe(n === 4 ? 20_000 : 10_000);
        expect(w.partOf).toEqual({ reference: `Location/${region}-pf` });
      }
    }
    expect(perRegion.size).toBe(12);
    const agadir1 = warehouses.find((w) => w.id === 'souss-massa-wh1');
    expect(agadir1?.name).toEqual({ fr: 'Entrepôt Agadir 1', ar: 'مستودع أكادير 1' });
  });

  it('gives every site a valid, unique Moroccan GLN', () => {
    const glns = locations.filter((l) => l.gln).map((l) => l.gln as string);
    expect(glns.length).toBe(locations.length - 12); // all but the regions
    expect(glns.every((g) => isValidGln(g) && g.startsWith('611'))).toBe(true);
    expect(new Set(glns).size).toBe(glns.length);
    expect(byKind('delivery-site').length).toBeGreaterThanOrEqual(12);
  });
});

describe('simulator: the catalogue', () => {
  it('has at least 200 products over the nine categories, with valid unique GTIN-14s and known units', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(200);
    expect(new Set(CATALOGUE.map((p) => p.category))).toEqual(new Set(CATEGORIES));
    expect(CATALOGUE.every((p) => p.gtin.length === 14 && isValidGtin(p.gtin))).toBe(true);
    for (const key of ['gtin', 'id', 'sku'] as const)
      expect(new Set(CATALOGUE.map((p) => p[key])).size).toBe(CATALOGUE.length);
    expect(CATALOGUE.filter((p) => !isKnownUnit(p.unit))).toEqual([]);
    expect(CATALOGUE.every((p) => p.name.fr && p.name.ar && p.name.en && p.packSize > 0 && p.minLevel > 0)).toBe(true);
    expect(new Set(CATALOGUE.map((p) => p.storageClass))).toEqual(new Set(['ambient', 'cold-chain', 'hazardous']));
  });

  it('tracks lots, with expiries after manufacture, for the perishables only', async () => {
    const lots = records(await read({ movements: 0 }), 'Lot');
    const perishable = CATALOGUE.filter((p) => p.perishable);
    expect(perishable.every((p) => ['food', 'water', 'medical', 'hygiene'].includes(p.category))).toBe(true);
    expect(lots.length).toBe(perishable.length * 4);
    expect(lots.every((l) => l.expiry > l.manufactured)).toBe(true);
    const gtins = new Set(perishable.map((p) => p.gtin));
    expect(lots.every((l) => gtins.has(l.gtin))).toBe(true);
  });
});

describe('simulator: the movement flow', async () => {
  const N = 20_000;
  const all = await read({ movements: N });
  const movements = records(all, 'StockMovement');

  it('passes core validation, every record of every stream', () => {
    const refused = records(all).flatMap((r) => {
      const v = validateResource(r);
      return v.valid ? [] : [{ id: r.id, errors: v.errors }];
    });
    expect(refused).toEqual([]);
    expect(movements).toHaveLength(N);
    const streams = new Set(all.flatMap((m) => (m.type === 'record' ? [m.stream] : [])));
    expect([...streams]).toEqual([
      'locations',
      'organizations',
      'products',
      'lots',
      'stock_movements',
      'incidents',
      'supply_requests',
      'shipments',
      'equipment',
      'maintenance_events',
    ]);
  });

  it('is deterministic: the same seed gives the same messages, another seed others', async () => {
    const upToMovements = (messages: Message[], n: number) =>
      messages.slice(
        0,
        messages.findIndex((m) => m.type === 'state' && m.stream === 'stock_movements' && (m.state as Rec).seq === n) +
          1,
      );
    expect(upToMovements(await read({ movements: 2000 }), 2000)).toEqual(upToMovements(all, 2000));
    const other = records(await read({ movements: 2000, seed: 7 }), 'StockMovement');
    const same = other.filter(
      (m, i) =>
        JSON.stringify({ ...m, id: '', identifier: [] }) ===
        JSON.stringify({ ...movements[i], id: '', identifier: [] }),
    );
    expect(same.length).toBeLessThan(20);
  });

  it('never drives a warehouse stock of a product and lot below zero', () => {
    const balance = new Map<string, number>();
    let lowest = 0;
    for (const m of movements) {
      const key = `${m.location.reference}|${m.product.reference}|${m.lot?.lotNumber ?? ''}|${m.quantity.unit}`;
      const after = Math.round(((balance.get(key) ?? 0) + m.quantity.value) * 1000) / 1000;
      balance.set(key, after);
      lowest = Math.min(lowest, after);
    }
    expect(lowest).toBe(0);
    expect([...balance.values()].some((v) => v > 0)).toBe(true);
  });

  it('mixes receipts, dispatches, transfers and more, with advancing RFC 3339 times', () => {
    const types = new Set(movements.map((m) => m.movementType));
    for (const t of ['receipt', 'dispatch', 'transfer-out', 'transfer-in', 'donation-in', 'damage', 'adjustment'])
      expect(types).toContain(t);
    const backwards = movements.filter((m, i) => i > 0 && m.occurredAt < movements[i - 1]?.occurredAt);
    expect(backwards).toEqual([]);
    expect(movements[0]?.occurredAt).toMatch(/^2025-01-06T\d{2}:\d{2}:\d{2}\+01:00$/);
    const receipts = movements.filter((m) => m.movementType === 'receipt');
    expect(receipts.every((m) => m.counterpart.reference.startsWith('Organization/sup-'))).toBe(true);
    const dispatches = movements.filter((m) => m.movementType === 'dispatch');
    expect(dispatches.every((m) => /^Location\/.+-ds\d$/.test(m.counterpart.reference))).toBe(true);
  });

  it('matches every transfer-in with an earlier transfer-out of the same goods', () => {
    const byId = new Map(movements.map((m) => [m.id, m]));
    const ins = movements.filter((m) => m.movementType === 'transfer-in');
    expect(ins.length).toBeGreaterThan(100);
    for (const t of ins) {
      const out = byId.get(t.references[0].reference.replace('StockMovement/', ''));
      expect(out?.movementType).toBe('transfer-out');
      expect(out?.counterpart.reference).toBe(t.location.reference);
      expect(t.counterpart.reference).toBe(out?.location.reference);
      expect([t.product, t.lot, t.quantity.value]).toEqual([out?.product, out?.lot, -out?.quantity.value]);
      expect(t.occurredAt > out?.occurredAt).toBe(true);
      expect(t.identifier[1]).toEqual(out?.identifier[1]);
    }
    const outs = movements.filter((m) => m.movementType === 'transfer-out');
    // Those without a transfer-in yet are still in transit at the end of the run: only the last day's.
    const inTransit = outs.length - ins.length;
    expect(inTransit).toBeGreaterThanOrEqual(0);
    expect(inTransit).toBeLessThan(outs.length / 10);
  });

  it('resumes from a movement cursor exactly where it stopped', async () => {
    const resumed = records(
      await read(
        { movements: N },
        {
          locations: { seq: 1e6 },
          organizations: { seq: 1e6 },
          products: { seq: 1e6 },
          lots: { seq: 1e6 },
          stock_movements: { seq: 12_345 },
        },
      ),
    );
    expect(resumed.filter((r) => r.resourceType === 'StockMovement')).toEqual(movements.slice(12_345));
    // The event streams, not yet read, come whole after the movements.
    expect(resumed.filter((r) => r.resourceType !== 'StockMovement')).toEqual(
      records(all).filter((r) =>
        ['Incident', 'SupplyRequest', 'Shipment', 'Equipment', 'MaintenanceEvent'].includes(r.resourceType),
      ),
    );
  });
});

describe('simulator: malformed rows', () => {
  it('sends them to the dead letters with their payload, and leaves the valid flow unchanged', async () => {
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: simulator, config: { movements: 4000, invalid_rate: 0.05 }, sink });
    expect(report.status).toBe('succeeded');
    const dead = sink.deadLetters;
    expect(dead.length).toBeGreaterThan(120);
    expect(dead.length).toBeLessThan(280);
    expect(dead.every((d) => d.stream === 'stock_movements' && d.errors.length > 0 && d.payload !== undefined)).toBe(
      true,
    );
    const codes = new Set(dead.flatMap((d) => d.errors.map((e) => e.code)));
    for (const c of [
      'missing-field',
      'HUB_ERR_MODEL_CHECK_DIGIT',
      'HUB_ERR_MODEL_REQUIRED',
      'HUB_ERR_MODEL_TIMESTAMP_OFFSET',
      'HUB_ERR_MODEL_QUANTITY_SIGN',
    ]) {
      expect(codes).toContain(c);
    }
    expect(dead.some((d) => typeof d.payload === 'string')).toBe(true);
    // Same movements as without malformed rows, only numbered around them.
    const strip = (r: CanonicalResource) =>
      JSON.stringify({ ...r, id: '', identifier: [], meta: undefined, references: undefined });
    const valid = sink.records.filter((r) => r.resourceType === 'StockMovement');
    const clean = records(await read({ movements: valid.length }), 'StockMovement');
    expect(valid.map(strip)).toEqual(clean.map((r) => strip(r as CanonicalResource)));
  });
});

describe('simulator: continuous mode', () => {
  it('keeps producing checkpointed batches until aborted', async () => {
    const sink = new MemoryRecordSink();
    const controller = new AbortController();
    let batches = 0;
    const report = await runConnector({
      connector: simulator,
      config: { movements: 100, continuous: true, interval_ms: 5, movements_per_interval: 20 },
      sink,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stream === 'stock_movements' && p.state !== undefined && ++batches === 4) controller.abort();
      },
    });
    expect(report.status).toBe('aborted');
    expect(await sink.readState('simulator', 'stock_movements')).toEqual({ seq: 160 });
    expect(sink.records.filter((r) => r.resourceType === 'StockMovement')).toHaveLength(160);
  });
});

describe('simulator: clock', () => {
  it('formats simulated times as RFC 3339 at +01:00', () => {
    for (const ms of [0, 1_736_146_800_000, 1_736_146_800_999, 1_740_000_000_123, 1_767_225_599_000]) {
      const expected = `${new Date(Math.floor(ms / 1000) * 1000 + 3_600_000).toISOString().slice(0, 19)}+01:00`;
      expect(formatDateTime(ms)).toBe(expected);
      expect(Date.parse(formatDateTime(ms))).toBe(Math.floor(ms / 1000) * 1000);
    }
  });
});
