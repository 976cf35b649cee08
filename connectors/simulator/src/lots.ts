/**
 * Lots of the perishable products (food, water, medical, hygiene): four production runs per
 * product, about two months apart, the oldest made half a year before the simulation starts.
 * Dates and lot numbers depend on the seed and the start date.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import { CATALOGUE, type CatalogueProduct } from './catalogue.js';
import { DAY_MS, formatDate } from './clock.js';
import { SUPPLIER_OF } from './organizations.js';
import { Random } from './random.js';

/** Production runs per perishable product. */
export const LOTS_PER_PRODUCT = 4;

export interface SimLot {
  readonly id: string;
  readonly product: CatalogueProduct;
  /** 1..LOTS_PER_PRODUCT, oldest first (so also by expiry). */
  readonly slot: number;
  readonly lotNumber: string;
  readonly manufacturedMs: number;
  readonly expiryMs: number;
  readonly manufactured: string;
  readonly expiry: string;
}

export interface LotTable {
  readonly lots: readonly SimLot[];
  /** Lots of each product by catalogue position (`index - 1`), oldest first; empty if not perishable. */
  readonly byProduct: readonly (readonly SimLot[])[];
}

const PURPOSE_LOTS = 2;

export function buildLots(seed: number, startMs: number): LotTable {
  const rnd = new Random(seed, PURPOSE_LOTS);
  const lots: SimLot[] = [];
  const byProduct: SimLot[][] = CATALOGUE.map(() => []);
  for (const p of CATALOGUE) {
    if (!p.perishable) continue;
    for (let g = 0; g < LOTS_PER_PRODUCT; g++) {
      const made = startMs - (180 - 60 * g) * DAY_MS + rnd.int(0, 20) * DAY_MS;
      const expiryMs = made + p.shelfLifeDays * DAY_MS;
      const manufactured = formatDate(made);
      const lotNumber = `L${manufactured.slice(2).replaceAll('-', '')}${'ABCDEFGH'[rnd.int(0, 7)]}`;
      const lot: SimLot = {
        id: `lot-${p.gtin}-${lotNumber}`,
        product: p,
        slot: g + 1,
        lotNumber,
        manufacturedMs: made,
        expiryMs,
        manufactured,
        expiry: formatDate(expiryMs),
      };
      lots.push(lot);
      (byProduct[p.index - 1] as SimLot[]).push(lot);
    }
  }
  return { lots, byProduct };
}

export function lotResource(l: SimLot): CanonicalResource {
  return {
    resourceType: 'Lot',
    id: l.id,
    product: { reference: `Product/${l.product.id}` },
    gtin: l.product.gtin,
    lotNumber: l.lotNumber,
    manufactured: l.manufactured,
    expiry: l.expiry,
    supplier: { reference: `Organization/${SUPPLIER_OF[l.product.category]}` },
    status: 'available',
  };
}
