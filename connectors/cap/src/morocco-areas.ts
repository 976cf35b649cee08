/**
 * Where an alert applies, as the hub's region slugs: the 12 regions of Morocco (2015 division)
 * with their ISO 3166-2:MA codes (MA-01 … MA-12, in the order of the decree), their names in
 * French, Arabic and English, and the provinces and prefectures of each, so that an `areaDesc`
 * such as « Province d'Al Haouz » or « إقليم الحوز » lands in `marrakech-safi`.
 *
 * Names are matched on a normalised text: no accents, no case, apostrophes and hyphens as
 * spaces, whole words for Latin script; Arabic without vowel marks, hamza forms folded, as a
 * substring (Arabic attaches prepositions and the article to the word: « بإقليم الحوز »).
 * Coordinates (`<polygon>`, `<circle>`) are not turned into regions: without the regions'
 * boundaries a point near a border would be guessed wrong.
 */

export interface RegionEntry {
  readonly id: string;
  readonly iso: string;
  readonly name: { readonly fr: string; readonly ar: string; readonly en: string };
  /** Other names of the region itself (former spellings, the region without its hyphen). */
  readonly aliases: readonly string[];
  /** Provinces and prefectures, in French and Arabic. */
  readonly provinces: readonly string[];
}

export const REGIONS: readonly RegionEntry[] = [
  {
    id: 'tanger-tetouan-al-hoceima',
    iso: 'MA-01',
    name: { fr: 'Tanger-Tétouan-Al Hoceïma', ar: 'طنجة-تطوان-الحسيمة', en: 'Tangier-Tetouan-Al Hoceima' },
    aliases: ['Tanger Tetouan Al Hoceima', 'Tangier Tetouan Al Hoceima'],
    provinces: [
      'Tanger-Assilah',
      'Tanger',
      'Tangier',
      "M'diq-Fnideq",
      'Tétouan',
      'Fahs-Anjra',
      'Larache',
      'Al Hoceïma',
      'Chefchaouen',
      'Ouezzane',
      'طنجة',
      'تطوان',
      'العرائش',
      'الحسيمة',
      'شفشاون',
      'وزان',
    ],
  },
  {
    id: 'oriental',
    iso: 'MA-02',
    name: { fr: "L'Oriental", ar: 'الشرق', en: 'Oriental' },
    aliases: ['Oriental', 'Région de l Oriental', 'جهة الشرق'],
    provinces: [
      'Oujda-Angad',
      'Oujda',
      'Berkane',
      'Driouch',
      'Figuig',
      'Guercif',
      'Jerada',
      'Nador',
      'Taourirt',
      'وجدة',
      'بركان',
      'الدريوش',
      'فجيج',
      'جرسيف',
      'جرادة',
      'الناظور',
      'تاوريرت',
    ],
  },
  {
    id: 'fes-meknes',
    iso: 'MA-03',
    name: { fr: 'Fès-Meknès', ar: 'فاس-مكناس', en: 'Fez-Meknes' },
    aliases: ['Fes Meknes'],
    provinces: [
      'Fès',
      'Fez',
      'Meknès',
      'Boulemane',
      'El Hajeb',
      'Ifrane',
      'Moulay Yacoub',
      'Sefrou',
      'Taounate',
      'Taza',
      'فاس',
      'مكناس',
      'بولمان',
      'الحاجب',
      'إفران',
      'مولاي يعقوب',
      'صفرو',
      'تاونات',
      'تازة',
    ],
  },
  {
    id: 'rabat-sale-kenitra',
    iso: 'MA-04',
    name: { fr: 'Rabat-Salé-Kénitra', ar: 'الرباط-سلا-القنيطرة', en: 'Rabat-Sale-Kenitra' },
    aliases: ['Rabat Sale Kenitra'],
    provinces: [
      'Rabat',
      'Skhirate-Témara',
      'Témara',
      'Kénitra',
      'Khémisset',
      'Sidi Kacem',
      'Sidi Slimane',
      'الرباط',
      'الصخيرات تمارة',
      'القنيطرة',
      'الخميسات',
      'سيدي قاسم',
      'سيدي سليمان',
    ],
  },
  {
    id: 'beni-mellal-khenifra',
    iso: 'MA-05',
    name: { fr: 'Béni Mellal-Khénifra', ar: 'بني ملال-خنيفرة', en: 'Beni Mellal-Khenifra' },
    aliases: ['Beni Mellal Khenifra'],
    provinces: [
      'Béni Mellal',
      'Azilal',
      'Fquih Ben Salah',
      'Khénifra',
      'Khouribga',
      'بني ملال',
      'أزيلال',
      'الفقيه بن صالح',
      'خنيفرة',
      'خريبكة',
    ],
  },
  {
    id: 'casablanca-settat',
    iso: 'MA-06',
    name: { fr: 'Casablanca-Settat', ar: 'الدار البيضاء-سطات', en: 'Casablanca-Settat' },
    aliases: ['Casablanca Settat'],
    provinces: [
      'Casablanca',
      'Mohammédia',
      'El Jadida',
      'Nouaceur',
      'Médiouna',
      'Benslimane',
      'Berrechid',
      'Settat',
      'Sidi Bennour',
      'الدار البيضاء',
      'المحمدية',
      'الجديدة',
      'النواصر',
      'مديونة',
      'بنسليمان',
      'برشيد',
      'سطات',
      'سيدي بنور',
    ],
  },
  {
    id: 'marrakech-safi',
    iso: 'MA-07',
    name: { fr: 'Marrakech-Safi', ar: 'مراكش-آسفي', en: 'Marrakesh-Safi' },
    aliases: ['Marrakech Safi', 'Marrakesh Safi'],
    provinces: [
      'Marrakech',
      'Marrakesh',
      'Al Haouz',
      'El Haouz',
      'Chichaoua',
      'El Kelâa des Sraghna',
      'Kelaa des Sraghna',
      'Essaouira',
      'Rehamna',
      'Safi',
      'Youssoufia',
      'مراكش',
      'الحوز',
      'شيشاوة',
      'قلعة السراغنة',
      'الصويرة',
      'الرحامنة',
      'آسفي',
      'اليوسفية',
    ],
  },
  {
    id: 'draa-tafilalet',
    iso: 'MA-08',
    name: { fr: 'Drâa-Tafilalet', ar: 'درعة-تافيلالت', en: 'Draa-Tafilalet' },
    aliases: ['Draa Tafilalet'],
    provinces: [
      'Errachidia',
      'Midelt',
      'Ouarzazate',
      'Tinghir',
      'Zagora',
      'الرشيدية',
      'ميدلت',
      'ورزازات',
      'تنغير',
      'زاكورة',
    ],
  },
  {
    id: 'souss-massa',
    iso: 'MA-09',
    name: { fr: 'Souss-Massa', ar: 'سوس-ماسة', en: 'Souss-Massa' },
    aliases: ['Souss Massa'],
    provinces: [
      'Agadir-Ida-Ou-Tanane',
      'Agadir',
      'Inezgane-Aït Melloul',
      'Inezgane',
      'Chtouka-Aït Baha',
      'Chtouka Ait Baha',
      'Taroudant',
      'Taroudannt',
      'Tiznit',
      'Tata',
      'أكادير',
      'إنزكان',
      'اشتوكة',
      'تارودانت',
      'تيزنيت',
      'طاطا',
    ],
  },
  {
    id: 'guelmim-oued-noun',
    iso: 'MA-10',
    name: { fr: 'Guelmim-Oued Noun', ar: 'كلميم-واد نون', en: 'Guelmim-Oued Noun' },
    aliases: ['Guelmim Oued Noun'],
    provinces: ['Guelmim', 'Assa-Zag', 'Tan-Tan', 'Sidi Ifni', 'كلميم', 'آسا الزاك', 'طانطان', 'سيدي إفني'],
  },
  {
    id: 'laayoune-sakia-el-hamra',
    iso: 'MA-11',
    name: { fr: 'Laâyoune-Sakia El Hamra', ar: 'العيون-الساقية الحمراء', en: 'Laayoune-Sakia El Hamra' },
    aliases: ['Laayoune Sakia El Hamra'],
    provinces: ['Laâyoune', 'Boujdour', 'Es-Semara', 'Smara', 'Tarfaya', 'العيون', 'بوجدور', 'السمارة', 'طرفاية'],
  },
  {
    id: 'dakhla-oued-ed-dahab',
    iso: 'MA-12',
    name: { fr: 'Dakhla-Oued Ed-Dahab', ar: 'الداخلة-وادي الذهب', en: 'Dakhla-Oued Ed-Dahab' },
    aliases: ['Dakhla Oued Ed Dahab'],
    provinces: ['Oued Ed-Dahab', 'Dakhla', 'Aousserd', 'الداخلة', 'أوسرد', 'وادي الذهب'],
  },
];

const BY_ID = new Map(REGIONS.map((r) => [r.id, r]));

/** The region of slug `id`, if it is one of the 12. */
export function regionById(id: string): RegionEntry | undefined {
  return BY_ID.get(id);
}

/** Names meaning the whole country: an alert for « le Maroc » concerns every region. */
const COUNTRY = ['Maroc', 'Morocco', 'Royaume du Maroc', 'المغرب', 'المملكة المغربية'];

const ARABIC = /[\u0600-\u06ff]/;

/** Names too common as plain words to be read as a region on their own (« الشرق »: the east). */
const TOO_COMMON = new Set(['الشرق']);

/** Latin text: no accents, no case, punctuation as single spaces, padded for whole-word search. */
function latin(s: string): string {
  const t = s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9\u0600-\u06ff]+/g, ' ')
    .trim();
  return ` ${t} `;
}

/** Arabic text: vowel marks and tatweel removed, hamza carriers folded to their base letter. */
function arabic(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\p{M}\u0640]/gu, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/[-_]/g, ' ')
    .replace(/\s+/g, ' ');
}

interface Needle {
  readonly text: string;
  readonly arabic: boolean;
  readonly regions: readonly string[];
}

const NEEDLES: readonly Needle[] = (() => {
  const out: Needle[] = [];
  const add = (name: string, regions: readonly string[]) => {
    if (TOO_COMMON.has(name)) return;
    const isArabic = ARABIC.test(name);
    out.push({ text: isArabic ? arabic(name) : latin(name), arabic: isArabic, regions });
  };
  for (const r of REGIONS) {
    for (const n of [r.name.fr, r.name.ar, r.name.en, ...r.aliases, ...r.provinces]) add(n, [r.id]);
  }
  for (const n of COUNTRY)
    add(
      n,
      REGIONS.map((r) => r.id),
    );
  return out;
})();

/**
 * The regions an `areaDesc` names, in the order of the 12 regions. A text that names Morocco
 * itself gives all 12.
 */
export function regionsInText(text: string): string[] {
  const l = latin(text);
  const a = arabic(text);
  const found = new Set<string>();
  for (const n of NEEDLES) {
    if (n.arabic ? a.includes(n.text) : l.includes(n.text)) for (const r of n.regions) found.add(r);
  }
  return REGIONS.map((r) => r.id).filter((id) => found.has(id));
}

/** Geocode names that carry ISO 3166-2 codes. */
const ISO_NAMES = new Set(['iso 3166 2', 'iso3166 2', 'iso 3166', 'iso3166']);
/** Geocode names whose values are the hub's own region slugs. */
const SLUG_NAMES = new Set(['region', 'reserve hub region', 'reserve hub:region', 'urn reserve hub region']);

/**
 * The region a `<geocode>` names: an ISO 3166-2 region code (`MA-07`), a hub region slug under
 * `valueName` « region », or an entry of `map` (`{ valueName: { value: slug } }`, the partner's
 * own codes). `undefined` when the code is not known.
 */
export function regionOfGeocode(
  valueName: string,
  value: string,
  map: Readonly<Record<string, Readonly<Record<string, string>>>>,
): string | undefined {
  const mapped = map[valueName]?.[value];
  if (mapped !== undefined) return mapped;
  const name = latin(valueName).trim();
  if (ISO_NAMES.has(name)) return REGIONS.find((r) => r.iso === value.trim().toUpperCase())?.id;
  if (SLUG_NAMES.has(name)) return BY_ID.has(value.trim()) ? value.trim() : undefined;
  return undefined;
}
