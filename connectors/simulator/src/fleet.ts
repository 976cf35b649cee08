/**
 * The serialised equipment of the reserves: generators, water treatment units, vehicles,
 * tent sets, forklifts, lighting towers, pumps, mobile kitchens and satellite kits, kept in
 * the warehouses and deployed to the affected sites during incidents. Which assets each
 * warehouse holds is fixed data (a large warehouse holds more); serial numbers, run hours
 * and odometers depend on the seed. Manufacturers are fictitious.
 */
import { CATALOGUE } from './catalogue.js';
import { WAREHOUSES, type Warehouse } from './network.js';

export type EquipmentKind =
  | 'generator'
  | 'water-purifier'
  | 'vehicle'
  | 'tent-set'
  | 'pump'
  | 'lighting-tower'
  | 'telecom-kit'
  | 'forklift'
  | 'mobile-kitchen';

export interface AssetModel {
  readonly kind: EquipmentKind;
  /** Short code in ids and serial numbers. */
  readonly code: string;
  readonly name: { readonly fr: string; readonly ar: string; readonly en: string };
  readonly productId?: string;
  readonly manufacturer: string;
  readonly model: string;
  /** What wears it: run hours, kilometres, or neither (inspected on a calendar). */
  readonly meter: 'hours' | 'km' | 'none';
  /** Days between two preventive services (inspections for unmetered assets). */
  readonly intervalDays: number;
  /** Run hours per day in the warehouse (test runs, handling) and when deployed. */
  readonly hoursPerDay: readonly [idle: number, deployed: number];
  /** Cost of a preventive service, MAD. */
  readonly serviceCost: readonly [number, number];
  /** Who services it: the DGPC's workshop or a supplier under contract. */
  readonly servicedBy: string;
}

const model = (m: AssetModel): AssetModel => {
  if (m.productId && !CATALOGUE.some((p) => p.id === m.productId)) throw new Error(`no product ${m.productId}`);
  return m;
};

export const MODELS = {
  generator20: model({
    kind: 'generator',
    code: 'ge20',
    name: { fr: 'Groupe électrogène 20 kVA', ar: 'مولد كهربائي 20 كيلوفولت أمبير', en: '20 kVA generator' },
    productId: 'energy-generator-20-kva',
    manufacturer: 'Atlas Énergie',
    model: 'AE-20D',
    meter: 'hours',
    intervalDays: 90,
    hoursPerDay: [0.1, 18],
    serviceCost: [1500, 4000],
    servicedBy: 'sup-noor-energie',
  }),
  generator100: model({
    kind: 'generator',
    code: 'ge100',
    name: { fr: 'Groupe électrogène 100 kVA', ar: 'مولد كهربائي 100 كيلوفولت أمبير', en: '100 kVA generator' },
    productId: 'energy-generator-100-kva',
    manufacturer: 'Atlas Énergie',
    model: 'AE-100D',
    meter: 'hours',
    intervalDays: 90,
    hoursPerDay: [0.1, 20],
    serviceCost: [4000, 9000],
    servicedBy: 'sup-noor-energie',
  }),
  purifier: model({
    kind: 'water-purifier',
    code: 'wtu',
    name: {
      fr: 'Unité de traitement d\u2019eau 10 m³/h',
      ar: 'وحدة معالجة المياه 10 م³/س',
      en: '10 m³/h water treatment unit',
    },
    productId: 'equipment-water-treatment-unit-10-m-h',
    manufacturer: 'Hydro Maghreb',
    model: 'HM-10',
    meter: 'hours',
    intervalDays: 60,
    hoursPerDay: [0.05, 16],
    serviceCost: [2000, 6000],
    servicedBy: 'sup-atlantique-equipements',
  }),
  truck: model({
    kind: 'vehicle',
    code: 'trk',
    name: { fr: 'Camion porteur 19 t', ar: 'شاحنة 19 طنا', en: '19 t rigid truck' },
    manufacturer: 'Sahara Trucks',
    model: 'ST-19',
    meter: 'km',
    intervalDays: 120,
    hoursPerDay: [0, 0],
    serviceCost: [3000, 8000],
    servicedBy: 'org-dgpc',
  }),
  van: model({
    kind: 'vehicle',
    code: 'van',
    name: { fr: 'Fourgon 3,5 t', ar: 'شاحنة صغيرة 3,5 أطنان', en: '3.5 t van' },
    manufacturer: 'Sahara Trucks',
    model: 'ST-35',
    meter: 'km',
    intervalDays: 120,
    hoursPerDay: [0, 0],
    serviceCost: [1500, 4000],
    servicedBy: 'org-dgpc',
  }),
  pickup: model({
    kind: 'vehicle',
    code: 'pu',
    name: { fr: 'Pick-up 4×4', ar: 'سيارة نفعية رباعية الدفع', en: '4×4 pickup' },
    manufacturer: 'Sahara Trucks',
    model: 'ST-4X4',
    meter: 'km',
    intervalDays: 120,
    hoursPerDay: [0, 0],
    serviceCost: [1200, 3500],
    servicedBy: 'org-dgpc',
  }),
  tentSet: model({
    kind: 'tent-set',
    code: 'tent',
    name: {
      fr: 'Lot de tentes polyvalentes 72 m²',
      ar: 'مجموعة خيام متعددة الاستعمال 72 م²',
      en: '72 m² multipurpose tent set',
    },
    productId: 'shelter-multipurpose-tent-72-m',
    manufacturer: 'Rif Textile et Abris',
    model: 'RTA-72',
    meter: 'none',
    intervalDays: 180,
    hoursPerDay: [0, 0],
    serviceCost: [500, 1500],
    servicedBy: 'org-dgpc',
  }),
  forklift: model({
    kind: 'forklift',
    code: 'fl',
    name: { fr: 'Chariot élévateur 2,5 t', ar: 'رافعة شوكية 2,5 طن', en: '2.5 t forklift' },
    productId: 'equipment-forklift-2.5-t',
    manufacturer: 'Atlas Handling',
    model: 'AH-25',
    meter: 'hours',
    intervalDays: 90,
    hoursPerDay: [3, 3],
    serviceCost: [1000, 3000],
    servicedBy: 'sup-atlantique-equipements',
  }),
  lightTower: model({
    kind: 'lighting-tower',
    code: 'lt',
    name: { fr: 'Tour d\u2019éclairage mobile', ar: 'برج إنارة متنقل', en: 'Mobile light tower' },
    productId: 'energy-light-tower',
    manufacturer: 'Atlas Énergie',
    model: 'AE-LT9',
    meter: 'hours',
    intervalDays: 90,
    hoursPerDay: [0.05, 12],
    serviceCost: [800, 2500],
    servicedBy: 'sup-noor-energie',
  }),
  pump: model({
    kind: 'pump',
    code: 'mp',
    name: { fr: 'Motopompe 4 pouces', ar: 'مضخة آلية 4 بوصات', en: '4-inch motor pump' },
    productId: 'equipment-motor-pump-4-inch',
    manufacturer: 'Hydro Maghreb',
    model: 'HM-P4',
    meter: 'hours',
    intervalDays: 90,
    hoursPerDay: [0.05, 14],
    serviceCost: [600, 2000],
    servicedBy: 'sup-atlantique-equipements',
  }),
  kitchen: model({
    kind: 'mobile-kitchen',
    code: 'mk',
    name: { fr: 'Cuisine mobile', ar: 'مطبخ متنقل', en: 'Mobile kitchen' },
    productId: 'equipment-mobile-kitchen',
    manufacturer: 'Atlas Handling',
    model: 'AH-MK500',
    meter: 'hours',
    intervalDays: 180,
    hoursPerDay: [0, 10],
    serviceCost: [1500, 5000],
    servicedBy: 'sup-atlantique-equipements',
  }),
  vsat: model({
    kind: 'telecom-kit',
    code: 'vsat',
    name: { fr: 'Kit de communication VSAT', ar: 'عدة اتصال VSAT', en: 'VSAT communication kit' },
    productId: 'communication-vsat-kit',
    manufacturer: 'Télécom Secours Maroc',
    model: 'TSM-V1',
    meter: 'none',
    intervalDays: 90,
    hoursPerDay: [0, 0],
    serviceCost: [700, 2000],
    servicedBy: 'sup-telecom-secours',
  }),
} as const;

/** One asset of the fleet. */
export interface Asset {
  /** Position in `FLEET`. */
  readonly index: number;
  readonly id: string;
  readonly model: AssetModel;
  /** Home warehouse, position in `WAREHOUSES`. */
  readonly w: number;
}

function holdings(w: Warehouse, position: number): AssetModel[] {
  const large = w.floorAreaM2 >= 20_000;
  const first = position === 0;
  const out: AssetModel[] = [MODELS.generator20];
  if (large && first) out.push(MODELS.generator100);
  else if (large) out.push(MODELS.generator20);
  out.push(MODELS.purifier, MODELS.truck, MODELS.pickup);
  if (large) out.push(MODELS.van);
  out.push(MODELS.tentSet, MODELS.forklift, MODELS.pump);
  if (large) out.push(MODELS.lightTower);
  if (first) out.push(MODELS.vsat);
  if (large && first) out.push(MODELS.kitchen);
  return out;
}

/** Every asset, warehouse by warehouse. */
export const FLEET: readonly Asset[] = (() => {
  const out: Asset[] = [];
  const seenInRegion = new Map<number, number>();
  for (const [w, wh] of WAREHOUSES.entries()) {
    const position = seenInRegion.get(wh.regionIndex) ?? 0;
    seenInRegion.set(wh.regionIndex, position + 1);
    const counts = new Map<string, number>();
    for (const m of holdings(wh, position)) {
      const n = (counts.get(m.code) ?? 0) + 1;
      counts.set(m.code, n);
      out.push({ index: out.length, id: `eq-${wh.id}-${m.code}-${n}`, model: m, w });
    }
  }
  return out;
})();
