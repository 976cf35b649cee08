/**
 * The organisations the simulated flow refers to: suppliers (receipts, lot makers) and the
 * partners that donate goods. Supplier names are fictitious; partners are the real agencies
 * active in Moroccan disaster response.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { Category } from './catalogue.js';
import { glnFor } from './network.js';

interface OrgRow {
  readonly id: string;
  readonly kind: 'supplier' | 'red-crescent' | 'un-agency' | 'ngo';
  readonly fr: string;
  readonly ar: string;
  readonly en: string;
  readonly acronym?: string;
  /** Categories a supplier delivers. */
  readonly supplies?: readonly Category[];
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

/** Supplier id for each category. */
export const SUPPLIER_OF: Readonly<Record<Category, string>> = Object.fromEntries(
  SUPPLIERS.flatMap((s) => (s.supplies ?? []).map((c) => [c, s.id])),
) as Record<Category, string>;

/** Ids of the partners that donate goods. */
export const PARTNER_IDS: readonly string[] = PARTNERS.map((p) => p.id);

/** Every Organization the simulator refers to. */
export function organizations(): CanonicalResource[] {
  return [...SUPPLIERS, ...PARTNERS].map((o, i) => ({
    resourceType: 'Organization',
    id: o.id,
    kind: o.kind,
    name: { fr: o.fr, ar: o.ar, en: o.en },
    ...(o.acronym ? { acronym: o.acronym } : {}),
    active: true,
    ...(o.kind === 'supplier' ? { gln: glnFor(90_001 + i) } : {}),
    address: { country: 'MA' },
  }));
}
