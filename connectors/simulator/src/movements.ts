/**
 * The flow of stock movements through the network, as a deterministic function of the seed
 * and the sequence number: movement n is the same whatever run, resume or batch produced it.
 *
 * The generator keeps each warehouse's balance per product and lot (in thousandths, so sums
 * are exact) and never lets one go negative: outbound quantities are capped by the balance.
 * Receipts come from suppliers, donations from partners, dispatches go to delivery sites in
 * the warehouse's region, transfers leave one warehouse and arrive at another after a
 * transit time (the transfer-in is emitted when the simulated clock reaches the arrival and
 * refers to its transfer-out). Perishables leave first-expired-first-out; a lot found expired
 * is written off. With `invalidRate`, some sequence numbers carry a malformed row instead,
 * drawn from a separate generator: they touch no balance and leave the valid flow unchanged.
 *
 * Whatever is due at a given simulated time (a transfer arriving, a request, a shipment
 * leaving, an incident, a maintenance) waits in an `Agenda`. The crisis operations
 * (`operations.ts`) reach the stock through the `StockEngine` this class implements: they
 * reserve goods for a shipment (reserved stock is out of reach of the rest of the flow) and
 * later ship them, which queues the movements; queued movements are emitted before the flow
 * draws anything new.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import { Agenda } from './agenda.js';
import { CATALOGUE, type CatalogueProduct } from './catalogue.js';
import { DAY_MS, formatDate, formatDateTime } from './clock.js';
import { LOTS_PER_PRODUCT, type LotTable, type SimLot } from './lots.js';
import { DELIVERY_SITES, WAREHOUSES, WAREHOUSES_BY_REGION } from './network.js';
import { type EventLog, Operations } from './operations.js';
import { PARTNER_IDS, SUPPLIER_OF } from './organizations.js';
import { cumulative, Random } from './random.js';

export type MovementType =
  | 'receipt'
  | 'dispatch'
  | 'transfer-out'
  | 'transfer-in'
  | 'donation-in'
  | 'return'
  | 'damage'
  | 'loss'
  | 'adjustment'
  | 'expiry-write-off';

/** One movement, in the generator's terms. */
export interface MovementDraft {
  readonly kind: 'movement';
  readonly seq: number;
  readonly type: MovementType;
  /** Simulated epoch ms. */
  readonly t: number;
  /** Warehouse position in `WAREHOUSES`. */
  readonly w: number;
  readonly product: CatalogueProduct;
  readonly lot: SimLot | undefined;
  /** Signed, from the warehouse's point of view, in thousandths of the product's unit. */
  readonly milli: number;
  /** `Location/…` or `Organization/…`, when the movement has another side. */
  readonly counterpart: string | undefined;
  readonly transfer: number | undefined;
  /** For a transfer-in: the sequence number of its transfer-out. */
  readonly outSeq: number | undefined;
  /** References to what the movement serves (`Shipment/…`, `SupplyRequest/…`, `Incident/…`). */
  readonly refs: readonly string[] | undefined;
}

/** A movement that an operation has made happen, waiting for its sequence number. */
export interface QueuedMovement {
  readonly type: MovementType;
  readonly w: number;
  readonly product: CatalogueProduct;
  readonly lot: SimLot | undefined;
  readonly milli: number;
  readonly counterpart: string;
  readonly transfer: number | undefined;
  readonly outSeq: number | undefined;
  readonly refs: readonly string[];
  /** Called with the movement's sequence number when it is emitted. */
  readonly onEmit: ((seq: number) => void) | undefined;
}

/** What the crisis operations may do to the stock. Quantities in thousandths of the unit. */
export interface StockEngine {
  /** Simulated now, epoch ms. */
  readonly now: number;
  readonly lots: LotTable;
  /** Runs `run` at simulated time `at` (not before now). */
  schedule(at: number, run: () => void): void;
  /** Stock of a warehouse, product and lot that is neither reserved nor gone. */
  available(w: number, product: CatalogueProduct, lot: SimLot | undefined): number;
  reserve(w: number, product: CatalogueProduct, lot: SimLot | undefined, milli: number): void;
  release(w: number, product: CatalogueProduct, lot: SimLot | undefined, milli: number): void;
  /** Takes reserved stock out of `w` and queues its dispatch or transfer-out (`milli` > 0: what leaves). */
  ship(m: QueuedMovement): void;
  /** Puts stock into `w` and queues its transfer-in. */
  receive(m: QueuedMovement): void;
  /** A new transfer number (identifier `tr-<seed>-<n>` of a transfer-out and its transfer-in). */
  nextTransfer(): number;
}

/** A deliberately malformed row (`invalid_rate`), to exercise the dead-letter path. */
export interface MalformedDraft {
  readonly kind: 'malformed';
  readonly seq: number;
  readonly t: number;
  /**
   * 0: a raw line missing its product; 1: a GTIN with a wrong check digit; 2: a quantity
   * without unit; 3: a time without offset; 4: a dispatch with a positive quantity.
   */
  readonly flaw: Flaw;
  readonly w: number;
  readonly product: CatalogueProduct;
  readonly packs: number;
}

type Flaw = 0 | 1 | 2 | 3 | 4;

export type Draft = MovementDraft | MalformedDraft;

export interface FlowOptions {
  readonly seed: number;
  readonly startMs: number;
  readonly invalidRate: number;
  readonly lots: LotTable;
  /** Mean incidents per 30 simulated days (0: none). */
  readonly incidentsPer30Days: number;
}

/** Mean simulated time between two movements of the whole network. */
const MEAN_GAP_MS = 90_000;
const SLOTS = LOTS_PER_PRODUCT + 1;
const PURPOSE_FLOW = 3;
const PURPOSE_INVALID = 4;
/** A receipt takes a lot only if it keeps this long before expiry. */
const MIN_REMAINING_SHELF_MS = 90 * DAY_MS;

const TYPES: readonly MovementType[] = [
  'receipt',
  'dispatch',
  'transfer-out',
  'donation-in',
  'return',
  'damage',
  'loss',
  'adjustment',
];
const TYPE_WEIGHTS = cumulative([30, 36, 18, 5, 3, 3, 2, 3]);
const WAREHOUSE_WEIGHTS = cumulative(WAREHOUSES.map((w) => w.floorAreaM2));
const NON_PERISHABLE = CATALOGUE.filter((p) => !p.perishable);
const SITES_BY_REGION: readonly (readonly string[])[] = Array.from({ length: 12 }, (_, ri) =>
  DELIVERY_SITES.filter((s) => s.regionIndex === ri).map((s) => s.id),
);
const NO_REFS: readonly string[] = [];

export class MovementFlow implements StockEngine {
  private readonly rnd: Random;
  private readonly bad: Random;
  private readonly balances: Float64Array;
  /** Per key: the part of the balance set aside for planned shipments. */
  private readonly reserved: Float64Array;
  /** Per warehouse: keys with a positive balance (for drawing outbound movements). */
  private readonly stocked: number[][];
  /** Key → 1 + its position in its warehouse's `stocked` list; 0 when not stocked. */
  private readonly position: Int32Array;
  private readonly agenda = new Agenda();
  private readonly queue: (QueuedMovement | undefined)[] = [];
  private queueHead = 0;
  private readonly operations: Operations;
  private t: number;
  private nextSeq = 0;
  private transfers = 0;

  constructor(private readonly options: FlowOptions) {
    this.rnd = new Random(options.seed, PURPOSE_FLOW);
    this.bad = new Random(options.seed, PURPOSE_INVALID);
    const size = WAREHOUSES.length * CATALOGUE.length * SLOTS;
    this.balances = new Float64Array(size);
    this.reserved = new Float64Array(size);
    this.position = new Int32Array(size);
    this.stocked = WAREHOUSES.map(() => []);
    this.t = options.startMs;
    this.operations = new Operations(this, options.seed, options.incidentsPer30Days);
  }

  /** The sequence number `next()` produces. */
  get seq(): number {
    return this.nextSeq;
  }

  get now(): number {
    return this.t;
  }

  get lots(): LotTable {
    return this.options.lots;
  }

  /** Incidents, requests, shipments, equipment and maintenance, as they happened so far. */
  get events(): EventLog {
    return this.operations.log;
  }

  /** Balance of a warehouse, product and lot, in the product's unit (tests). */
  balance(w: number, product: CatalogueProduct, lot: SimLot | undefined): number {
    return (this.balances[this.key(w, product, lot)] as number) / 1000;
  }

  schedule(at: number, run: () => void): void {
    this.agenda.schedule(Math.max(at, this.t), run);
  }

  available(w: number, product: CatalogueProduct, lot: SimLot | undefined): number {
    const key = this.key(w, product, lot);
    return (this.balances[key] as number) - (this.reserved[key] as number);
  }

  reserve(w: number, product: CatalogueProduct, lot: SimLot | undefined, milli: number): void {
    const key = this.key(w, product, lot);
    const after = (this.reserved[key] as number) + milli;
    if (after > (this.balances[key] as number)) throw new Error(`simulator bug: over-reservation at key ${key}`);
    this.reserved[key] = after;
  }

  release(w: number, product: CatalogueProduct, lot: SimLot | undefined, milli: number): void {
    const key = this.key(w, product, lot);
    this.reserved[key] = Math.max(0, (this.reserved[key] as number) - milli);
  }

  ship(m: QueuedMovement): void {
    this.release(m.w, m.product, m.lot, m.milli);
    this.add(m.w, m.product, m.lot, -m.milli);
    this.queue.push({ ...m, milli: -m.milli });
  }

  receive(m: QueuedMovement): void {
    this.add(m.w, m.product, m.lot, m.milli);
    this.queue.push(m);
  }

  nextTransfer(): number {
    return ++this.transfers;
  }

  /** Replays the flow up to (excluding) `seq`, building no records. */
  skipTo(seq: number): void {
    while (this.nextSeq < seq) this.next();
  }

  next(): Draft {
    const seq = this.nextSeq++;
    if (this.options.invalidRate > 0 && this.bad.float() < this.options.invalidRate) {
      return {
        kind: 'malformed',
        seq,
        t: this.t,
        flaw: this.bad.int(0, 4) as Flaw,
        w: this.bad.int(0, WAREHOUSES.length - 1),
        product: CATALOGUE[this.bad.int(0, CATALOGUE.length - 1)] as CatalogueProduct,
        packs: this.bad.int(1, 40),
      };
    }
    for (;;) {
      if (this.queueHead < this.queue.length) return this.dequeue(seq);
      const candidate = this.t + this.rnd.exponential(MEAN_GAP_MS);
      // What is due before the next drawn movement happens first; if it moved stock, its
      // movements come out now and the drawn time is forgotten.
      while (this.agenda.nextAt() <= candidate && this.queueHead === this.queue.length) {
        const action = this.agenda.pop();
        this.t = action.at;
        action.run();
      }
      if (this.queueHead < this.queue.length) continue;
      this.t = candidate;
      return this.drawn(seq);
    }
  }

  private dequeue(seq: number): MovementDraft {
    const q = this.queue[this.queueHead] as QueuedMovement;
    this.queue[this.queueHead++] = undefined;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    q.onEmit?.(seq);
    return this.draft(seq, q.type, q.w, q.product, q.lot, q.milli, q.counterpart, q.transfer, q.outSeq, q.refs);
  }

  /** A movement of the everyday flow, drawn at the current time. */
  private drawn(seq: number): MovementDraft {
    const w = this.rnd.weighted(WAREHOUSE_WEIGHTS);
    const type = TYPES[this.rnd.weighted(TYPE_WEIGHTS)] as MovementType;
    switch (type) {
      case 'receipt':
      case 'donation-in':
        return this.inbound(seq, w, type);
      case 'return':
        return this.returned(seq, w);
      default:
        return this.outbound(seq, w, type) ?? this.inbound(seq, w, 'receipt');
    }
  }

  private inbound(seq: number, w: number, type: 'receipt' | 'donation-in'): MovementDraft {
    let product = this.rnd.pick(CATALOGUE);
    let lot: SimLot | undefined;
    for (let tries = 0; product.perishable && tries < 4; tries++) {
      lot = this.freshLot(product);
      if (lot) break;
      product = this.rnd.pick(CATALOGUE);
    }
    if (product.perishable && !lot) product = this.rnd.pick(NON_PERISHABLE);
    if (!product.perishable) lot = undefined;
    const packs = type === 'receipt' ? this.rnd.int(20, 120) : this.rnd.int(5, 40);
    const milli = packs * toMilli(product.packSize);
    this.add(w, product, lot, milli);
    const counterpart =
      type === 'receipt'
        ? `Organization/${SUPPLIER_OF[product.category]}`
        : `Organization/${this.rnd.pick(PARTNER_IDS)}`;
    return this.draft(seq, type, w, product, lot, milli, counterpart, undefined, undefined);
  }

  /** Unused equipment coming back from a delivery site. */
  private returned(seq: number, w: number): MovementDraft {
    const product = this.rnd.pick(NON_PERISHABLE);
    const milli = this.rnd.int(1, 5) * toMilli(product.packSize);
    this.add(w, product, undefined, milli);
    const site = this.rnd.pick(SITES_BY_REGION[WAREHOUSES[w]?.regionIndex ?? 0] as readonly string[]);
    return this.draft(seq, 'return', w, product, undefined, milli, `Location/${site}`, undefined, undefined);
  }

  /** An outbound movement from stock held in `w`, or `undefined` when `w` holds nothing. */
  private outbound(seq: number, w: number, type: MovementType): MovementDraft | undefined {
    const keys = this.stocked[w] as number[];
    if (keys.length === 0) return undefined;
    const picked = keys[Math.floor(this.rnd.float() * keys.length)] as number;
    const product = CATALOGUE[Math.floor(picked / SLOTS) % CATALOGUE.length] as CatalogueProduct;
    // First expired, first out: the oldest lot still held, whichever key was drawn.
    let lot: SimLot | undefined;
    if (product.perishable) {
      for (const l of this.options.lots.byProduct[product.index - 1] ?? []) {
        if (this.available(w, product, l) > 0) {
          lot = l;
          break;
        }
      }
    }
    // What is reserved for a shipment is out of reach.
    const held = this.available(w, product, lot);
    if (held <= 0) return undefined;
    const pack = toMilli(product.packSize);
    if (lot && lot.expiryMs <= this.t) {
      this.add(w, product, lot, -held);
      return this.draft(seq, 'expiry-write-off', w, product, lot, -held, undefined, undefined, undefined);
    }
    const region = WAREHOUSES[w]?.regionIndex ?? 0;
    switch (type) {
      case 'dispatch': {
        const milli = -Math.min(held, this.rnd.int(1, 25) * pack);
        this.add(w, product, lot, milli);
        const site = this.rnd.pick(SITES_BY_REGION[region] as readonly string[]);
        return this.draft(seq, 'dispatch', w, product, lot, milli, `Location/${site}`, undefined, undefined);
      }
      case 'transfer-out': {
        const share = Math.ceil((held * (0.2 + 0.3 * this.rnd.float())) / pack) * pack;
        const milli = -Math.min(held, Math.max(pack, share));
        const sameRegion = this.rnd.float() < 0.6;
        const peers = (WAREHOUSES_BY_REGION[region] as readonly number[]).filter((x) => x !== w);
        let dest = sameRegion && peers.length > 0 ? this.rnd.pick(peers) : this.rnd.int(0, WAREHOUSES.length - 2);
        if (!sameRegion && dest >= w) dest++;
        const transitH = sameRegion ? this.rnd.int(2, 8) : this.rnd.int(8, 36);
        const transfer = ++this.transfers;
        this.add(w, product, lot, milli);
        const arrival = this.t + transitH * 3_600_000 + this.rnd.int(0, 3_599) * 1000;
        this.agenda.schedule(arrival, () =>
          this.receive({
            type: 'transfer-in',
            w: dest,
            product,
            lot,
            milli: -milli,
            counterpart: `Location/${WAREHOUSES[w]?.id}`,
            transfer,
            outSeq: seq,
            refs: NO_REFS,
            onEmit: undefined,
          }),
        );
        return this.draft(
          seq,
          'transfer-out',
          w,
          product,
          lot,
          milli,
          `Location/${WAREHOUSES[dest]?.id}`,
          transfer,
          undefined,
        );
      }
      case 'adjustment': {
        const delta = this.rnd.int(1, Math.max(1, Math.round(pack / 1000))) * 1000;
        const milli = this.rnd.float() < 0.5 ? Math.min(delta, held) * -1 : delta;
        this.add(w, product, lot, milli);
        return this.draft(seq, 'adjustment', w, product, lot, milli, undefined, undefined, undefined);
      }
      default: {
        // damage, loss: a few units
        const milli = -Math.min(held, this.rnd.int(1, Math.max(1, Math.round((2 * pack) / 1000))) * 1000);
        this.add(w, product, lot, milli);
        return this.draft(seq, type, w, product, lot, milli, undefined, undefined, undefined);
      }
    }
  }

  /** The newest lot of `product` made by now and keeping 90 days of shelf life, if any. */
  private freshLot(product: CatalogueProduct): SimLot | undefined {
    const lots = this.options.lots.byProduct[product.index - 1] ?? [];
    for (let i = lots.length - 1; i >= 0; i--) {
      const l = lots[i] as SimLot;
      if (l.manufacturedMs <= this.t && l.expiryMs - this.t > MIN_REMAINING_SHELF_MS) return l;
    }
    return undefined;
  }

  private key(w: number, product: CatalogueProduct, lot: SimLot | undefined): number {
    return (w * CATALOGUE.length + (product.index - 1)) * SLOTS + (lot?.slot ?? 0);
  }

  private add(w: number, product: CatalogueProduct, lot: SimLot | undefined, milli: number): void {
    const key = this.key(w, product, lot);
    const after = (this.balances[key] as number) + milli;
    if (after < 0) throw new Error(`simulator bug: negative balance at key ${key}`);
    this.balances[key] = after;
    const list = this.stocked[w] as number[];
    const pos = this.position[key] as number;
    if (after > 0 && pos === 0) {
      list.push(key);
      this.position[key] = list.length;
    } else if (after === 0 && pos !== 0) {
      const last = list.pop() as number;
      if (last !== key) {
        list[pos - 1] = last;
        this.position[last] = pos;
      }
      this.position[key] = 0;
    }
  }

  private draft(
    seq: number,
    type: MovementType,
    w: number,
    product: CatalogueProduct,
    lot: SimLot | undefined,
    milli: number,
    counterpart: string | undefined,
    transfer: number | undefined,
    outSeq: number | undefined,
    refs: readonly string[] | undefined = undefined,
  ): MovementDraft {
    return { kind: 'movement', seq, type, t: this.t, w, product, lot, milli, counterpart, transfer, outSeq, refs };
  }
}

function toMilli(x: number): number {
  return Math.round(x * 1000);
}

const REASONS: Partial<Record<MovementType, string>> = {
  damage: 'Colis endommagé lors de la manutention',
  loss: 'Manquant constaté lors de l\u2019inventaire tournant',
  adjustment: 'Régularisation après inventaire',
  'expiry-write-off': 'Lot périmé retiré du stock',
  return: 'Retour de matériel non utilisé',
};

export const MOVEMENT_ID_SYSTEM = 'urn:reserve-hub:simulator:movement';
export const TRANSFER_ID_SYSTEM = 'urn:reserve-hub:simulator:transfer';

export function movementId(seed: number, seq: number): string {
  return `mv-${seed}-${seq}`;
}

/** The message for a draft: a StockMovement record, or a malformed row. */
export function movementMessage(seed: number, d: Draft): StreamMessage {
  if (d.kind === 'malformed') return malformedMessage(seed, d);
  const wh = WAREHOUSES[d.w] as (typeof WAREHOUSES)[number];
  // Built field by field rather than with spreads: this runs 100,000 times a second.
  const record: Record<string, unknown> = {
    resourceType: 'StockMovement',
    id: movementId(seed, d.seq),
    identifier:
      d.transfer === undefined
        ? [{ system: MOVEMENT_ID_SYSTEM, value: `${seed}-${d.seq}` }]
        : [
            { system: MOVEMENT_ID_SYSTEM, value: `${seed}-${d.seq}` },
            { system: TRANSFER_ID_SYSTEM, value: `tr-${seed}-${d.transfer}` },
          ],
    movementType: d.type,
    occurredAt: formatDateTime(d.t),
    location: { reference: `Location/${wh.id}`, display: wh.name.fr },
  };
  if (d.counterpart !== undefined) record.counterpart = { reference: d.counterpart };
  record.product = { reference: `Product/${d.product.id}`, display: d.product.name.fr };
  record.gtin = d.product.gtin;
  if (d.lot) record.lot = { lotNumber: d.lot.lotNumber, expiry: d.lot.expiry };
  record.quantity = { value: d.milli / 1000, unit: d.product.unit };
  const reason = REASONS[d.type];
  if (reason !== undefined) record.reason = reason;
  if (d.outSeq !== undefined || (d.refs !== undefined && d.refs.length > 0)) {
    const references: { reference: string }[] = [];
    if (d.outSeq !== undefined) references.push({ reference: `StockMovement/${movementId(seed, d.outSeq)}` });
    if (d.refs !== undefined) for (const reference of d.refs) references.push({ reference });
    record.references = references;
  }
  return { type: 'record', data: record as CanonicalResource };
}

function malformedMessage(seed: number, d: MalformedDraft): StreamMessage {
  const id = movementId(seed, d.seq);
  const wh = WAREHOUSES[d.w];
  const value = d.packs * d.product.packSize;
  if (d.flaw === 0) {
    // A ledger line that lost its product column: it cannot become a movement at all.
    return {
      type: 'invalid',
      sourceId: id,
      resourceType: 'StockMovement',
      payload: `${d.seq};${formatDate(d.t)};${wh?.id};;${String(value).replace('.', ',')};${d.product.unit}`,
      errors: [{ pointer: '/3', code: 'missing-field', message: 'the product column is empty' }],
    };
  }
  const base: Record<string, unknown> = {
    resourceType: 'StockMovement',
    id,
    movementType: 'receipt',
    occurredAt: formatDateTime(d.t),
    location: { reference: `Location/${wh?.id}` },
    counterpart: { reference: `Organization/${SUPPLIER_OF[d.product.category]}` },
    product: { reference: `Product/${d.product.id}` },
    gtin: d.product.gtin,
    quantity: { value, unit: d.product.unit },
  };
  if (d.flaw === 1) {
    const last = Number(d.product.gtin.slice(-1));
    base.gtin = `${d.product.gtin.slice(0, -1)}${(last + 1) % 10}`;
  } else if (d.flaw === 2) {
    base.quantity = { value };
  } else if (d.flaw === 3) {
    base.occurredAt = formatDateTime(d.t).slice(0, 19).replace('T', ' ');
  } else {
    base.movementType = 'dispatch';
    base.counterpart = { reference: `Location/${DELIVERY_SITES[d.w % DELIVERY_SITES.length]?.id}` };
  }
  return { type: 'record', data: base as CanonicalResource };
}
