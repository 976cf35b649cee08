/**
 * The organisations the simulated flow refers to: suppliers (receipts, lot makers), the
 * partners that donate goods and ask for them, the Ministry of the Interior's civil
 * protection and its twelve regional crisis cells (who ask for goods when an incident
 * strikes), and the carriers that move them. Supplier and private carrier names are
 * fictitious; partners and public bodies are the real ones active in Moroccan disaster
 * response.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { Category } from './catalogue.js';
import { glnFor, REGIONS } from './network.js';

interface OrgRow {
  readonly id: string;
  readonly kind:
    | 'supplier'
    | 'red-crescent'
    | 'un-agency'
    | 'ngo'
    | 'ministry-service'
    | 'crisis-authority'
    | 'carrier';
  readonly fr: string;
  readonly ar: string;
  readonly en: string;
  readonly acronym?: string;
  /** Categories a supplier delivers. */
  readonly supplies?: readonly Category[];
  readonly regionId?: string;
  readonly partOf?: string;
}

const SUPPLIERS: readonly OrgRow[] = [
  {
    id: 'sup-atlas-agro',
    kind: 'supplier',
    fr: 'Atlas Agro Distribution',
    ar: 'أطلس أغرو للتوزيع',
    en: 'Atlas Agro Distribution',
    supplies: ['food'],
  },
  {
    id: 'sup-sources-sahara',
    kind: 'supplier',
    fr: 'Sources Sahara Eaux',
    ar: 'منابع الصحراء للمياه',
    en: 'Sahara Springs Water',
    supplies: ['water'],
  },
  {
    id: 'sup-maghreb-medical',
    kind: 'supplier',
    fr: 'Maghreb Médical Fournitures',
    ar: 'المغرب للمستلزمات الطبية',
    en: 'Maghreb Medical Supplies',
    supplies: ['medical'],
  },
  {
    id: 'sup-rif-textile',
    kind: 'supplier',
    fr: 'Rif Textile et Abris',
    ar: 'الريف للنسيج والإيواء',
    en: 'Rif Textile and Shelter',
    supplies: ['shelter'],
  },
  {
    id: 'sup-oasis-hygiene',
    kind: 'supplier',
    fr: 'Oasis Hygiène',
    ar: 'واحة للنظافة',
    en: 'Oasis Hygiene',
    supplies: ['hygiene'],
  },
  {
    id: 'sup-noor-energie',
    kind: 'supplier',
    fr: 'Noor Énergie Services',
    ar: 'نور لخدمات الطاقة',
    en: 'Noor Energy Services',
    supplies: ['energy'],
  },
  {
    id: 'sup-atlantique-equipements',
    kind: 'supplier',
    fr: 'Atlantique Équipements',
    ar: 'الأطلسي للتجهيزات',
    en: 'Atlantic Equipment',
    supplies: ['equipment', 'rescue'],
  },
  {
    id: 'sup-telecom-secours',
    kind: 'supplier',
    fr: 'Télécom Secours Maroc',
    ar: 'اتصالات الإغاثة المغرب',
    en: 'Telecom Relief Morocco',
    supplies: ['communication'],
  },
];

const PARTNERS: readonly OrgRow[] = [
  {
    id: 'org-crm',
    kind: 'red-crescent',
    fr: 'Croissant-Rouge marocain',
    ar: 'الهلال الأحمر المغربي',
    en: 'Moroccan Red Crescent',
    acronym: 'CRM',
  },
  {
    id: 'org-unicef',
    kind: 'un-agency',
    fr: 'UNICEF Maroc',
    ar: 'اليونيسف المغرب',
    en: 'UNICEF Morocco',
    acronym: 'UNICEF',
  },
  {
    id: 'org-pam',
    kind: 'un-agency',
    fr: 'Programme alimentaire mondial',
    ar: 'برنامج الأغذية العالمي',
    en: 'World Food Programme',
    acronym: 'PAM',
  },
  {
    id: 'org-oms',
    kind: 'un-agency',
    fr: 'Organisation mondiale de la santé',
    ar: 'منظمة الصحة العالمية',
    en: 'World Health Organization',
    acronym: 'OMS',
  },
  {
    id: 'org-solidarite-atlas',
    kind: 'ngo',
    fr: 'Association Solidarité Atlas',
    ar: 'جمعية التضامن الأطلسي',
    en: 'Atlas Solidarity Association',
  },
];

const MINISTRY: readonly OrgRow[] = [
  {
    id: 'org-mi',
    kind: 'ministry-service',
    fr: 'Ministère de l\u2019Intérieur',
    ar: 'وزارة الداخلية',
    en: 'Ministry of the Interior',
  },
  {
    id: 'org-dgpc',
    kind: 'ministry-service',
    fr: 'Direction générale de la Protection civile',
    ar: 'المديرية العامة للوقاية المدنية',
    en: 'Directorate-General of Civil Protection',
    acronym: 'DGPC',
    partOf: 'org-mi',
  },
];

/** The regional crisis cells, one per region, in the order of `REGIONS`. */
const AUTHORITIES: readonly OrgRow[] = REGIONS.map((r) => ({
  id: `org-crisis-${r.id}`,
  kind: 'crisis-authority',
  fr: `Cellule régionale de crise ${r.name.fr}`,
  ar: `الخلية الجهوية لتدبير الأزمات ${r.name.ar}`,
  en: `${r.name.en} regional crisis cell`,
  regionId: r.id,
  partOf: 'org-mi',
}));

const CARRIERS: readonly OrgRow[] = [
  {
    id: 'org-carrier-sntl',
    kind: 'carrier',
    fr: 'Société nationale des transports et de la logistique',
    ar: 'الشركة الوطنية للنقل واللوجستيك',
    en: 'National Transport and Logistics Company',
    acronym: 'SNTL',
  },
  {
    id: 'org-carrier-far',
    kind: 'carrier',
    fr: 'Forces Armées Royales \u2014 Logistique',
    ar: 'القوات المسلحة الملكية \u2014 اللوجستيك',
    en: 'Royal Armed Forces \u2014 Logistics',
    acronym: 'FAR',
  },
  {
    id: 'org-carrier-atlas-express',
    kind: 'carrier',
    fr: 'Atlas Express Transport',
    ar: 'أطلس إكسبريس للنقل',
    en: 'Atlas Express Transport',
  },
];

/** The DGPC: owner of the equipment and of the reserves' own vehicles. */
export const CIVIL_PROTECTION_ID = 'org-dgpc';

/** The regional crisis cell of each region, by region position in `REGIONS`. */
export const CRISIS_AUTHORITY_IDS: readonly string[] = AUTHORITIES.map((a) => a.id);

/** Carriers other than the DGPC's own fleet: national logistics, the army, a private firm. */
export const CARRIER_IDS = {
  national: 'org-carrier-sntl',
  army: 'org-carrier-far',
  private: 'org-carrier-atlas-express',
};

/** The French name of every organisation, by id. */
export const ORGANIZATION_NAMES: ReadonlyMap<string, string> = new Map(
  [...SUPPLIERS, ...PARTNERS, ...MINISTRY, ...AUTHORITIES, ...CARRIERS].map((o) => [o.id, o.fr]),
);

/** Supplier id for each category. */
export const SUPPLIER_OF: Readonly<Record<Category, string>> = Object.fromEntries(
  SUPPLIERS.flatMap((s) => (s.supplies ?? []).map((c) => [c, s.id])),
) as Record<Category, string>;

/** Ids of the partners that donate goods. */
export const PARTNER_IDS: readonly string[] = PARTNERS.map((p) => p.id);

/** Every Organization the simulator refers to. */
export function organizations(): CanonicalResource[] {
  const suppliersAndPartners = [...SUPPLIERS, ...PARTNERS].map((o, i) =>
    organization(o, o.kind === 'supplier' ? glnFor(90_001 + i) : undefined),
  );
  return [
    ...suppliersAndPartners,
    ...MINISTRY.map((o) => organization(o, undefined)),
    ...AUTHORITIES.map((o) => organization(o, undefined)),
    ...CARRIERS.map((o, i) => organization(o, glnFor(95_001 + i))),
  ];
}

function organization(o: OrgRow, gln: string | undefined): CanonicalResource {
  return {
    resourceType: 'Organization',
    id: o.id,
    kind: o.kind,
    name: { fr: o.fr, ar: o.ar, en: o.en },
    ...(o.acronym ? { acronym: o.acronym } : {}),
    active: true,
    ...(o.regionId ? { regionId: o.regionId } : {}),
    ...(o.partOf ? { partOf: { reference: `Organization/${o.partOf}` } } : {}),
    ...(gln ? { gln } : {}),
    address: { country: 'MA' },
  };
}
