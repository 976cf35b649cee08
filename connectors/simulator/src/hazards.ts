/**
 * The hazards Morocco's reserves are built for, where they strike, and what they call for.
 * Places follow the country's record: earthquakes in the High Atlas and the Souss (Al Haouz
 * 2023, Agadir 1960) and the Rif (Al Hoceima 2004); floods in the Souss, Guelmim (2014) and
 * the south-east (2024); landslides in the Rif; chemical and industrial accidents around the
 * phosphate and port complexes of Jorf Lasfar, Safi, Mohammedia, Casablanca and Tanger Med;
 * a radiological accident at the Maâmora nuclear research centre or on a source in transit;
 * Atlantic storms and Saharan sandstorms; forest fires in the Rif and the Middle Atlas.
 * Fixed data: the seed only chooses among them.
 */
import { CATALOGUE, type CatalogueProduct } from './catalogue.js';
import { REGIONS } from './network.js';

export type IncidentType =
  | 'earthquake'
  | 'flood'
  | 'landslide'
  | 'chemical'
  | 'industrial'
  | 'radiological'
  | 'storm'
  | 'fire';

export type Severity = 'Extreme' | 'Severe' | 'Moderate' | 'Minor';

type Name = { readonly fr: string; readonly ar: string; readonly en: string };

export interface HazardSite {
  readonly place: Name;
  /** Region positions in `REGIONS`: the first is where it strikes, the others are also hit when it is severe. */
  readonly regions: readonly number[];
  readonly latitude: number;
  readonly longitude: number;
}

export interface Hazard {
  readonly type: IncidentType;
  readonly label: Name;
  /** How often, relative to the others. */
  readonly weight: number;
  /** Response duration, in days, for a Minor and for an Extreme incident. */
  readonly days: readonly [number, number];
  readonly sites: readonly HazardSite[];
  /** Products the affected areas ask for. */
  readonly needs: readonly CatalogueProduct[];
  /** Equipment kinds deployed to the affected sites. */
  readonly deploys: readonly string[];
}

const region = (id: string): number => {
  const i = REGIONS.findIndex((r) => r.id === id);
  if (i < 0) throw new Error(`unknown region ${id}`);
  return i;
};

const site = (fr: string, ar: string, en: string, regions: readonly string[], latitude: number, longitude: number) => ({
  place: { fr, ar, en },
  regions: regions.map(region),
  latitude,
  longitude,
});

/** Catalogue products whose id starts with one of `prefixes`. */
function products(prefixes: readonly string[]): CatalogueProduct[] {
  const out = CATALOGUE.filter((p) => prefixes.some((x) => p.id.startsWith(x)));
  for (const x of prefixes) {
    if (!out.some((p) => p.id.startsWith(x))) throw new Error(`no catalogue product matches ${x}`);
  }
  return out;
}

export const HAZARDS: readonly Hazard[] = [
  {
    type: 'earthquake',
    label: { fr: 'Séisme', ar: 'زلزال', en: 'Earthquake' },
    weight: 2,
    days: [6, 21],
    sites: [
      site('Al Haouz', 'الحوز', 'Al Haouz', ['marrakech-safi', 'souss-massa'], 31.07, -8.41),
      site('Agadir', 'أكادير', 'Agadir', ['souss-massa'], 30.42, -9.6),
      site('Al Hoceima', 'الحسيمة', 'Al Hoceima', ['tanger-tetouan-al-hoceima', 'oriental'], 35.25, -3.93),
      site('Taroudant', 'تارودانت', 'Taroudant', ['souss-massa', 'marrakech-safi'], 30.47, -8.88),
    ],
    needs: products([
      'shelter-family-tent',
      'shelter-blanket',
      'shelter-tarpaulin',
      'food-food-ration',
      'water-bottled-water',
      'medical-trauma-kit',
      'medical-first-aid-kit',
      'energy-generator',
      'rescue-hydraulic-rescue-kit',
      'hygiene-hygiene-kit',
    ]),
    deploys: ['generator', 'water-purifier', 'lighting-tower', 'mobile-kitchen', 'tent-set'],
  },
  {
    type: 'flood',
    label: { fr: 'Inondation', ar: 'فيضان', en: 'Flood' },
    weight: 3,
    days: [4, 12],
    sites: [
      site('Guelmim', 'كلميم', 'Guelmim', ['guelmim-oued-noun', 'souss-massa'], 28.99, -10.06),
      site('Vallée du Souss', 'سهل سوس', 'Souss valley', ['souss-massa'], 30.4, -9.2),
      site('Tata', 'طاطا', 'Tata', ['souss-massa', 'draa-tafilalet'], 29.74, -7.97),
      site('Zagora', 'زاكورة', 'Zagora', ['draa-tafilalet'], 30.33, -5.84),
      site('Plaine du Gharb', 'سهل الغرب', 'Gharb plain', ['rabat-sale-kenitra'], 34.6, -6.0),
      site('Tétouan', 'تطوان', 'Tetouan', ['tanger-tetouan-al-hoceima'], 35.57, -5.37),
    ],
    needs: products([
      'water-purification-tablets',
      'water-bottled-water',
      'water-jerrycan',
      'hygiene-hygiene-kit',
      'food-food-ration',
      'shelter-blanket',
      'shelter-tarpaulin',
      'equipment-motor-pump',
      'equipment-sandbags',
      'rescue-life-jacket',
      'rescue-inflatable-boat',
      'medical-ors',
    ]),
    deploys: ['pump', 'water-purifier', 'generator'],
  },
  {
    type: 'landslide',
    label: { fr: 'Glissement de terrain', ar: 'انزلاق أرضي', en: 'Landslide' },
    weight: 1,
    days: [3, 8],
    sites: [
      site('Chefchaouen', 'شفشاون', 'Chefchaouen', ['tanger-tetouan-al-hoceima'], 35.17, -5.27),
      site('Targuist', 'تارجيست', 'Targuist', ['tanger-tetouan-al-hoceima'], 34.94, -4.31),
      site('Taounate', 'تاونات', 'Taounate', ['fes-meknes'], 34.54, -4.64),
    ],
    needs: products([
      'shelter-family-tent',
      'shelter-blanket',
      'food-food-ration',
      'equipment-shovel',
      'equipment-pickaxe',
      'rescue-search-camera',
      'medical-first-aid-kit',
    ]),
    deploys: ['generator', 'lighting-tower'],
  },
  {
    type: 'chemical',
    label: { fr: 'Accident chimique', ar: 'حادث كيميائي', en: 'Chemical accident' },
    weight: 1,
    days: [1, 4],
    sites: [
      site('Jorf Lasfar', 'الجرف الأصفر', 'Jorf Lasfar', ['casablanca-settat'], 33.11, -8.63),
      site('Safi', 'آسفي', 'Safi', ['marrakech-safi'], 32.23, -9.25),
      site('Mohammedia', 'المحمدية', 'Mohammedia', ['casablanca-settat', 'rabat-sale-kenitra'], 33.69, -7.39),
    ],
    needs: products([
      'rescue-cbrn-suit',
      'rescue-gas-mask',
      'rescue-decontamination-tent',
      'rescue-gas-detector',
      'medical-saline',
      'medical-ffp2-masks',
      'hygiene-soap',
      'water-bottled-water',
    ]),
    deploys: ['water-purifier', 'lighting-tower'],
  },
  {
    type: 'industrial',
    label: { fr: 'Accident industriel', ar: 'حادث صناعي', en: 'Industrial accident' },
    weight: 1,
    days: [1, 4],
    sites: [
      site('Port de Casablanca', 'ميناء الدار البيضاء', 'Port of Casablanca', ['casablanca-settat'], 33.61, -7.6),
      site('Tanger Med', 'طنجة المتوسط', 'Tanger Med', ['tanger-tetouan-al-hoceima'], 35.88, -5.5),
      site('Kénitra', 'القنيطرة', 'Kenitra', ['rabat-sale-kenitra'], 34.26, -6.58),
      site('Port de Safi', 'ميناء آسفي', 'Port of Safi', ['marrakech-safi'], 32.31, -9.24),
    ],
    needs: products([
      'medical-burn-kit',
      'medical-trauma-kit',
      'rescue-hydraulic-rescue-kit',
      'energy-floodlight',
      'equipment-fire-extinguisher',
      'medical-saline',
    ]),
    deploys: ['lighting-tower', 'generator'],
  },
  {
    type: 'radiological',
    label: { fr: 'Accident radiologique', ar: 'حادث إشعاعي', en: 'Radiological accident' },
    weight: 0.5,
    days: [2, 6],
    sites: [
      site(
        'Centre d\u2019études nucléaires de la Maâmora',
        'مركز الدراسات النووية بالمعمورة',
        'Maamora nuclear studies centre',
        ['rabat-sale-kenitra'],
        34.2,
        -6.5,
      ),
      site('Berrechid', 'برشيد', 'Berrechid', ['casablanca-settat'], 33.27, -7.59),
    ],
    needs: products([
      'rescue-dosimeter',
      'rescue-cbrn-suit',
      'rescue-decontamination-tent',
      'water-bottled-water',
      'food-ready-meal',
      'medical-surgical-masks',
    ]),
    deploys: ['lighting-tower'],
  },
  {
    type: 'storm',
    label: { fr: 'Tempête', ar: 'عاصفة', en: 'Storm' },
    weight: 1.5,
    days: [2, 5],
    sites: [
      site('Larache', 'العرائش', 'Larache', ['tanger-tetouan-al-hoceima'], 35.19, -6.16),
      site('Casablanca', 'الدار البيضاء', 'Casablanca', ['casablanca-settat'], 33.57, -7.59),
      site('Essaouira', 'الصويرة', 'Essaouira', ['marrakech-safi'], 31.51, -9.77),
      site('Laâyoune', 'العيون', 'Laayoune', ['laayoune-sakia-el-hamra'], 27.15, -13.2),
      site('Dakhla', 'الداخلة', 'Dakhla', ['dakhla-oued-ed-dahab'], 23.68, -15.96),
    ],
    needs: products([
      'shelter-tarpaulin',
      'shelter-blanket',
      'energy-generator',
      'energy-torch',
      'energy-solar-lamp',
      'food-food-ration',
      'communication-satellite-phone',
    ]),
    deploys: ['generator', 'lighting-tower'],
  },
  {
    type: 'fire',
    label: { fr: 'Feu de forêt', ar: 'حريق غابوي', en: 'Forest fire' },
    weight: 1.5,
    days: [2, 7],
    sites: [
      site('Forêt de Larache', 'غابة العرائش', 'Larache forest', ['tanger-tetouan-al-hoceima'], 35.05, -6.05),
      site('Bab Taza', 'باب تازة', 'Bab Taza', ['tanger-tetouan-al-hoceima'], 35.05, -5.2),
      site('Ifrane', 'إفران', 'Ifrane', ['fes-meknes'], 33.53, -5.11),
      site('Khénifra', 'خنيفرة', 'Khenifra', ['beni-mellal-khenifra', 'fes-meknes'], 32.93, -5.67),
    ],
    needs: products([
      'medical-burn-kit',
      'water-bottled-water',
      'shelter-family-tent',
      'shelter-blanket',
      'food-ready-meal',
      'equipment-fire-extinguisher',
      'medical-ffp2-masks',
    ]),
    deploys: ['water-purifier', 'generator', 'tent-set'],
  },
];

/** What delivery sites ask for outside of incidents: food, water, hygiene, medical supplies. */
export const ROUTINE_NEEDS: readonly CatalogueProduct[] = CATALOGUE.filter((p) =>
  ['food', 'water', 'hygiene', 'medical'].includes(p.category),
);

/**
 * A bag of hazard positions, each as often as its weight in halves, drawn without
 * replacement and refilled when empty: every type comes up within one bag (23 incidents),
 * the frequent ones more often.
 */
export const HAZARD_BAG: readonly number[] = HAZARDS.flatMap((h, i) => Array.from({ length: h.weight * 2 }, () => i));

export const SEVERITIES: readonly Severity[] = ['Minor', 'Moderate', 'Severe', 'Extreme'];

/** CAP 1.2 identifier prefix of the simulated alerts: the WMO register's OID for Morocco (504). */
export const CAP_OID = '2.49.0.1.504.0';
