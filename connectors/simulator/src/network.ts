/**
 * The national network of reserves: the 12 regions of Morocco (2015 division), one regional
 * platform each, and 36 warehouses (4 of 20,000 m² in each of the six large regions, 2 of
 * 10,000 m² in each of the six others), plus the delivery sites goods are dispatched to.
 * Names are the official French and Arabic ones; positions are those of each region's
 * capital (warehouses sit a few kilometres around it). Everything here is fixed data: the
 * seed does not change the network.
 */
import { gs1CheckDigit } from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';

export interface RegionInfo {
  readonly id: string;
  readonly name: { readonly fr: string; readonly ar: string; readonly en: string };
  readonly capital: { readonly fr: string; readonly ar: string; readonly en: string };
  readonly position: { readonly latitude: number; readonly longitude: number };
  readonly warehouses: 2 | 4;
  /** Delivery sites: [id suffix, site type, fr, ar, en, latitude, longitude]. */
  readonly sites: readonly (readonly [string, SiteType, string, string, string, number, number])[];
}

type SiteType = 'commune' | 'camp' | 'hospital' | 'health-centre' | 'douar';

/** The 12 regions, in the order (and numbering) of the 2015 decree. */
export const REGIONS: readonly RegionInfo[] = [
  {
    id: 'tanger-tetouan-al-hoceima',
    name: { fr: 'Tanger-Tétouan-Al Hoceima', ar: 'طنجة-تطوان-الحسيمة', en: 'Tangier-Tetouan-Al Hoceima' },
    capital: { fr: 'Tanger', ar: 'طنجة', en: 'Tangier' },
    position: { latitude: 35.7595, longitude: -5.834 },
    warehouses: 4,
    sites: [
      [
        'ds1',
        'hospital',
        'Hôpital provincial Mohammed V d\u2019Al Hoceima',
        'المستشفى الإقليمي محمد الخامس بالحسيمة',
        'Mohammed V Provincial Hospital, Al Hoceima',
        35.2446,
        -3.9321,
      ],
      ['ds2', 'commune', 'Commune de Chefchaouen', 'جماعة شفشاون', 'Chefchaouen commune', 35.1688, -5.2636],
    ],
  },
  {
    id: 'oriental',
    name: { fr: 'Oriental', ar: 'الشرق', en: 'Oriental' },
    capital: { fr: 'Oujda', ar: 'وجدة', en: 'Oujda' },
    position: { latitude: 34.6814, longitude: -1.9086 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune de Nador', 'جماعة الناظور', 'Nador commune', 35.1681, -2.9335],
      [
        'ds2',
        'health-centre',
        'Centre de santé de Figuig',
        'المركز الصحي بفجيج',
        'Figuig health centre',
        32.1093,
        -1.2286,
      ],
    ],
  },
  {
    id: 'fes-meknes',
    name: { fr: 'Fès-Meknès', ar: 'فاس-مكناس', en: 'Fez-Meknes' },
    capital: { fr: 'Fès', ar: 'فاس', en: 'Fez' },
    position: { latitude: 34.0331, longitude: -5.0003 },
    warehouses: 4,
    sites: [
      [
        'ds1',
        'hospital',
        'Hôpital provincial de Taza',
        'المستشفى الإقليمي بتازة',
        'Taza Provincial Hospital',
        34.2133,
        -4.0103,
      ],
      ['ds2', 'commune', 'Commune de Boulemane', 'جماعة بولمان', 'Boulemane commune', 33.3622, -4.7302],
    ],
  },
  {
    id: 'rabat-sale-kenitra',
    name: { fr: 'Rabat-Salé-Kénitra', ar: 'الرباط-سلا-القنيطرة', en: 'Rabat-Sale-Kenitra' },
    capital: { fr: 'Rabat', ar: 'الرباط', en: 'Rabat' },
    position: { latitude: 34.0209, longitude: -6.8416 },
    warehouses: 4,
    sites: [
      ['ds1', 'commune', 'Commune de Sidi Kacem', 'جماعة سيدي قاسم', 'Sidi Kacem commune', 34.2215, -5.7078],
      ['ds2', 'camp', 'Camp d\u2019hébergement du Gharb', 'مخيم الإيواء بالغرب', 'Gharb shelter camp', 34.7, -6.1],
    ],
  },
  {
    id: 'beni-mellal-khenifra',
    name: { fr: 'Béni Mellal-Khénifra', ar: 'بني ملال-خنيفرة', en: 'Beni Mellal-Khenifra' },
    capital: { fr: 'Béni Mellal', ar: 'بني ملال', en: 'Beni Mellal' },
    position: { latitude: 32.3373, longitude: -6.3498 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune d\u2019Azilal', 'جماعة أزيلال', 'Azilal commune', 31.9614, -6.5716],
      [
        'ds2',
        'hospital',
        'Hôpital provincial de Khénifra',
        'المستشفى الإقليمي بخنيفرة',
        'Khenifra Provincial Hospital',
        32.9394,
        -5.6675,
      ],
    ],
  },
  {
    id: 'casablanca-settat',
    name: { fr: 'Casablanca-Settat', ar: 'الدار البيضاء-سطات', en: 'Casablanca-Settat' },
    capital: { fr: 'Casablanca', ar: 'الدار البيضاء', en: 'Casablanca' },
    position: { latitude: 33.5731, longitude: -7.5898 },
    warehouses: 4,
    sites: [
      [
        'ds1',
        'hospital',
        'Hôpital provincial d\u2019El Jadida',
        'المستشفى الإقليمي بالجديدة',
        'El Jadida Provincial Hospital',
        33.2316,
        -8.5007,
      ],
      ['ds2', 'commune', 'Commune de Settat', 'جماعة سطات', 'Settat commune', 33.001, -7.6166],
    ],
  },
  {
    id: 'marrakech-safi',
    name: { fr: 'Marrakech-Safi', ar: 'مراكش-آسفي', en: 'Marrakesh-Safi' },
    capital: { fr: 'Marrakech', ar: 'مراكش', en: 'Marrakesh' },
    position: { latitude: 31.6295, longitude: -7.9811 },
    warehouses: 4,
    sites: [
      [
        'ds1',
        'douar',
        'Douar d\u2019Amizmiz (Al Haouz)',
        'دوار أمزميز (الحوز)',
        'Amizmiz douar (Al Haouz)',
        31.2167,
        -8.2333,
      ],
      [
        'ds2',
        'camp',
        'Camp d\u2019hébergement de Chichaoua',
        'مخيم الإيواء بشيشاوة',
        'Chichaoua shelter camp',
        31.5333,
        -8.7667,
      ],
    ],
  },
  {
    id: 'draa-tafilalet',
    name: { fr: 'Drâa-Tafilalet', ar: 'درعة-تافيلالت', en: 'Draa-Tafilalet' },
    capital: { fr: 'Errachidia', ar: 'الرشيدية', en: 'Errachidia' },
    position: { latitude: 31.9314, longitude: -4.4244 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune de Ouarzazate', 'جماعة ورزازات', 'Ouarzazate commune', 30.9335, -6.937],
      [
        'ds2',
        'health-centre',
        'Centre de santé de Tinghir',
        'المركز الصحي بتنغير',
        'Tinghir health centre',
        31.5147,
        -5.5328,
      ],
    ],
  },
  {
    id: 'souss-massa',
    name: { fr: 'Souss-Massa', ar: 'سوس-ماسة', en: 'Souss-Massa' },
    capital: { fr: 'Agadir', ar: 'أكادير', en: 'Agadir' },
    position: { latitude: 30.4278, longitude: -9.5981 },
    warehouses: 4,
    sites: [
      [
        'ds1',
        'hospital',
        'Hôpital provincial de Taroudant',
        'المستشفى الإقليمي بتارودانت',
        'Taroudant Provincial Hospital',
        30.4703,
        -8.8769,
      ],
      ['ds2', 'commune', 'Commune de Tiznit', 'جماعة تيزنيت', 'Tiznit commune', 29.6974, -9.7316],
    ],
  },
  {
    id: 'guelmim-oued-noun',
    name: { fr: 'Guelmim-Oued Noun', ar: 'كلميم-واد نون', en: 'Guelmim-Oued Noun' },
    capital: { fr: 'Guelmim', ar: 'كلميم', en: 'Guelmim' },
    position: { latitude: 28.987, longitude: -10.0574 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune de Tan-Tan', 'جماعة طانطان', 'Tan-Tan commune', 28.4378, -11.1032],
      ['ds2', 'commune', 'Commune de Sidi Ifni', 'جماعة سيدي إفني', 'Sidi Ifni commune', 29.3797, -10.1731],
    ],
  },
  {
    id: 'laayoune-sakia-el-hamra',
    name: { fr: 'Laâyoune-Sakia El Hamra', ar: 'العيون-الساقية الحمراء', en: 'Laayoune-Sakia El Hamra' },
    capital: { fr: 'Laâyoune', ar: 'العيون', en: 'Laayoune' },
    position: { latitude: 27.1253, longitude: -13.1625 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune de Boujdour', 'جماعة بوجدور', 'Boujdour commune', 26.1258, -14.4847],
      [
        'ds2',
        'hospital',
        'Hôpital provincial de Smara',
        'المستشفى الإقليمي بالسمارة',
        'Smara Provincial Hospital',
        26.7384,
        -11.6719,
      ],
    ],
  },
  {
    id: 'dakhla-oued-ed-dahab',
    name: { fr: 'Dakhla-Oued Ed-Dahab', ar: 'الداخلة-وادي الذهب', en: 'Dakhla-Oued Ed-Dahab' },
    capital: { fr: 'Dakhla', ar: 'الداخلة', en: 'Dakhla' },
    position: { latitude: 23.6848, longitude: -15.958 },
    warehouses: 2,
    sites: [
      ['ds1', 'commune', 'Commune d\u2019Aousserd', 'جماعة أوسرد', 'Aousserd commune', 22.5512, -14.3311],
      [
        'ds2',
        'health-centre',
        'Centre de santé de Bir Gandouz',
        'المركز الصحي ببئر كندوز',
        'Bir Gandouz health centre',
        21.6,
        -16.45,
      ],
    ],
  },
];

/** GS1 company prefix for the network's locations: Morocco's 611 range. */
const GLN_PREFIX = '6118000';

/** A 13-digit GLN from the company prefix and a 5-digit location reference. */
export function glnFor(locationRef: number): string {
  const body = `${GLN_PREFIX}${String(locationRef).padStart(5, '0')}`;
  return `${body}${gs1CheckDigit(body)}`;
}

export interface Warehouse {
  readonly id: string;
  readonly regionIndex: number;
  readonly regionId: string;
  readonly name: { readonly fr: string; readonly ar: string };
  readonly floorAreaM2: number;
  readonly position: { readonly latitude: number; readonly longitude: number };
  readonly gln: string;
}

export interface DeliverySite {
  readonly id: string;
  readonly regionIndex: number;
  readonly name: string;
  readonly position: { readonly latitude: number; readonly longitude: number };
}

/** Offsets (degrees) of warehouses 1..4 around the capital: a few km to the N, E, S, W. */
const AROUND: readonly (readonly [number, number])[] = [
  [0.045, 0.01],
  [-0.012, 0.052],
  [-0.048, -0.015],
  [0.01, -0.055],
];

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The 36 warehouses, region by region. */
export const WAREHOUSES: readonly Warehouse[] = REGIONS.flatMap((r, ri) =>
  Array.from({ length: r.warehouses }, (_, i) => {
    const [dLat, dLon] = AROUND[i] as readonly [number, number];
    return {
      id: `${r.id}-wh${i + 1}`,
      regionIndex: ri,
      regionId: r.id,
      name: { fr: `Entrepôt ${r.capital.fr} ${i + 1}`, ar: `مستودع ${r.capital.ar} ${i + 1}` },
      floorAreaM2: r.warehouses === 4 ? 20_000 : 10_000,
      position: { latitude: round4(r.position.latitude + dLat), longitude: round4(r.position.longitude + dLon) },
      gln: glnFor((ri + 1) * 1000 + i + 1),
    };
  }),
);

/** Delivery sites (communes, camps, hospitals), two per region. */
export const DELIVERY_SITES: readonly DeliverySite[] = REGIONS.flatMap((r, ri) =>
  r.sites.map(([suffix, , fr, , , latitude, longitude]) => ({
    id: `${r.id}-${suffix}`,
    regionIndex: ri,
    name: fr,
    position: { latitude, longitude },
  })),
);

/** Warehouse positions in `WAREHOUSES`, by region position in `REGIONS`. */
export const WAREHOUSES_BY_REGION: readonly (readonly number[])[] = REGIONS.map((_, ri) =>
  WAREHOUSES.flatMap((w, i) => (w.regionIndex === ri ? [i] : [])),
);

/** Regions that share a border, by region position in `REGIONS`. */
export const REGION_NEIGHBOURS: readonly (readonly number[])[] = (() => {
  const borders: readonly (readonly [string, string])[] = [
    ['tanger-tetouan-al-hoceima', 'oriental'],
    ['tanger-tetouan-al-hoceima', 'fes-meknes'],
    ['tanger-tetouan-al-hoceima', 'rabat-sale-kenitra'],
    ['oriental', 'fes-meknes'],
    ['oriental', 'draa-tafilalet'],
    ['fes-meknes', 'rabat-sale-kenitra'],
    ['fes-meknes', 'beni-mellal-khenifra'],
    ['fes-meknes', 'draa-tafilalet'],
    ['rabat-sale-kenitra', 'beni-mellal-khenifra'],
    ['rabat-sale-kenitra', 'casablanca-settat'],
    ['beni-mellal-khenifra', 'casablanca-settat'],
    ['beni-mellal-khenifra', 'marrakech-safi'],
    ['beni-mellal-khenifra', 'draa-tafilalet'],
    ['casablanca-settat', 'marrakech-safi'],
    ['marrakech-safi', 'draa-tafilalet'],
    ['marrakech-safi', 'souss-massa'],
    ['draa-tafilalet', 'souss-massa'],
    ['souss-massa', 'guelmim-oued-noun'],
    ['guelmim-oued-noun', 'laayoune-sakia-el-hamra'],
    ['laayoune-sakia-el-hamra', 'dakhla-oued-ed-dahab'],
  ];
  const index = (id: string) => REGIONS.findIndex((r) => r.id === id);
  const out: number[][] = REGIONS.map(() => []);
  for (const [a, b] of borders) {
    out[index(a)]?.push(index(b));
    out[index(b)]?.push(index(a));
  }
  return out;
})();

/** Great-circle distance in km (haversine). */
export function distanceKm(
  a: { readonly latitude: number; readonly longitude: number },
  b: { readonly latitude: number; readonly longitude: number },
): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 12_742 * Math.asin(Math.sqrt(h));
}

/**
 * Every Location of the network: regions, platforms, warehouses and delivery sites, parents
 * before children.
 */
export function networkLocations(): CanonicalResource[] {
  const out: CanonicalResource[] = [];
  REGIONS.forEach((r, ri) => {
    out.push({
      resourceType: 'Location',
      id: r.id,
      kind: 'region',
      status: 'active',
      name: { ...r.name },
      regionId: r.id,
      position: { ...r.position },
    });
    out.push({
      resourceType: 'Location',
      id: `${r.id}-pf`,
      kind: 'platform',
      status: 'active',
      name: {
        fr: `Plateforme régionale ${r.name.fr}`,
        ar: `المنصة الجهوية ${r.name.ar}`,
        en: `${r.name.en} regional platform`,
      },
      regionId: r.id,
      partOf: { reference: `Location/${r.id}` },
      gln: glnFor((ri + 1) * 1000),
      position: { ...r.position },
      floorAreaM2: r.warehouses * (r.warehouses === 4 ? 20_000 : 10_000),
    });
    for (const w of WAREHOUSES) {
      if (w.regionIndex !== ri) continue;
      out.push({
        resourceType: 'Location',
        id: w.id,
        kind: 'warehouse',
        status: 'active',
        name: { ...w.name },
        regionId: r.id,
        partOf: { reference: `Location/${r.id}-pf` },
        gln: w.gln,
        position: { ...w.position },
        floorAreaM2: w.floorAreaM2,
      });
    }
    r.sites.forEach(([suffix, siteType, fr, ar, en, latitude, longitude], si) => {
      out.push({
        resourceType: 'Location',
        id: `${r.id}-${suffix}`,
        kind: 'delivery-site',
        siteType,
        status: 'active',
        name: { fr, ar, en },
        regionId: r.id,
        partOf: { reference: `Location/${r.id}` },
        gln: glnFor((ri + 1) * 1000 + 101 + si),
        position: { latitude, longitude },
      });
    });
  });
  return out;
}
