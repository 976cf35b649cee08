/**
 * CAP 1.2 code lists and how the hub reads them: the enumerations of `status`, `msgType`,
 * `scope`, `category`, `urgency`, `severity` and `certainty`, and the mapping of an alert's
 * `<eventCode>`, `<event>` and `<category>` to an Incident's `incidentType` (README: "Incident
 * type"). The first that decides wins: an event code, then the event text, then the category.
 */
import type { Incident } from '../../../core/index.js';

export type IncidentType = Incident['incidentType'];

export const CAP_STATUS = ['Actual', 'Exercise', 'System', 'Test', 'Draft'] as const;
export const CAP_MSG_TYPE = ['Alert', 'Update', 'Cancel', 'Ack', 'Error'] as const;
export const CAP_SCOPE = ['Public', 'Restricted', 'Private'] as const;
export const CAP_CATEGORY = [
  'Geo',
  'Met',
  'Safety',
  'Security',
  'Rescue',
  'Fire',
  'Health',
  'Env',
  'Transport',
  'Infra',
  'CBRNE',
  'Other',
] as const;
/** Most urgent first. */
export const CAP_URGENCY = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
/** Most severe first; the same words as `Incident.severity`. */
export const CAP_SEVERITY = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const;
/** Most certain first. */
export const CAP_CERTAINTY = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;

export type CapSeverity = (typeof CAP_SEVERITY)[number];

/**
 * US SAME / NWS event codes (`<valueName>SAME</valueName>`), the most common `<eventCode>` in
 * published CAP feeds, for the hazards the hub tracks.
 */
const SAME_CODES: Readonly<Record<string, IncidentType>> = {
  EQW: 'earthquake',
  FFW: 'flood',
  FFA: 'flood',
  FFS: 'flood',
  FLW: 'flood',
  FLA: 'flood',
  FLS: 'flood',
  CFW: 'flood',
  CFA: 'flood',
  TSW: 'flood',
  TSA: 'flood',
  SVR: 'storm',
  SVA: 'storm',
  SVS: 'storm',
  TOR: 'storm',
  TOA: 'storm',
  HUW: 'storm',
  HUA: 'storm',
  TRW: 'storm',
  TRA: 'storm',
  HWW: 'storm',
  HWA: 'storm',
  EWW: 'storm',
  DSW: 'storm',
  SSW: 'storm',
  BZW: 'storm',
  WSW: 'storm',
  FRW: 'fire',
  HMW: 'chemical',
  NUW: 'radiological',
  RHW: 'radiological',
};

const TYPES = new Set<string>([
  'earthquake',
  'flood',
  'landslide',
  'chemical',
  'industrial',
  'radiological',
  'storm',
  'fire',
  'drought',
  'other',
]);

/**
 * Words of an `<event>` text, in French, Arabic and English, by the type they mean. Tried in
 * this order: the more specific hazards first (« incendie chimique » is chemical).
 */
const EVENT_WORDS: readonly (readonly [IncidentType, RegExp])[] = [
  ['earthquake', /s[ée]isme|tremblement de terre|secousse|earthquake|seismic|quake|زلزال|هزة ارضية|هزة أرضية/i],
  [
    'landslide',
    /glissement de terrain|[ée]boulement|coul[ée]e de boue|landslide|mudslide|rockfall|انزلاق|انهيار صخري/i,
  ],
  ['radiological', /radiolog|nucl[ée]aire|nuclear|radiation|radioacti|إشعاع|نووي/i],
  [
    'chemical',
    /chimique|chemical|hazmat|mati[èe]res? dangereuses?|toxique|toxic|gas leak|fuite de gaz|كيميائي|كيماوي|تسرب غاز/i,
  ],
  ['industrial', /industriel|industrial|explosion|usine|factory|plant accident|صناعي|انفجار/i],
  ['flood', /inondation|crue|flood|tsunami|submersion|فيضان|فيضانات|سيول|سيل/i],
  ['fire', /incendie|feu de for[êe]t|feux|fire|wildfire|حريق|حرائق/i],
  [
    'storm',
    /temp[êe]te|orage|vent violent|vents violents|rafales|gr[êe]le|storm|thunder|wind|cyclone|hurricane|tornado|blizzard|chute de neige|snow|عاصفة|عواصف|رياح قوية|زوابع/i,
  ],
  ['drought', /s[ée]cheresse|drought|canicule|heat ?wave|جفاف|موجة حر/i],
];

/** The type a CAP `<category>` means when nothing more precise is said. */
const CATEGORY_TYPES: Readonly<Record<string, IncidentType>> = {
  Fire: 'fire',
  CBRNE: 'chemical',
  Met: 'storm',
};

/**
 * The `incidentType` of an alert, with what decided it. `eventCodes` are `[valueName, value]`
 * pairs; a code whose valueName is `incidentType` or `reserve-hub` may name a type directly.
 */
export function incidentTypeOf(
  eventCodes: readonly (readonly [string, string])[],
  events: readonly string[],
  categories: readonly string[],
): { type: IncidentType; from: string } {
  for (const [name, value] of eventCodes) {
    const v = value.trim();
    if (/^(incident-?type|reserve-hub)$/i.test(name.trim()) && TYPES.has(v.toLowerCase())) {
      return { type: v.toLowerCase() as IncidentType, from: `eventCode ${name}=${v}` };
    }
    if (/^same$/i.test(name.trim())) {
      const t = SAME_CODES[v.toUpperCase()];
      if (t) return { type: t, from: `eventCode SAME=${v}` };
    }
  }
  for (const e of events) {
    for (const [type, re] of EVENT_WORDS) if (re.test(e)) return { type, from: `event « ${e} »` };
  }
  for (const c of categories) {
    const t = CATEGORY_TYPES[c];
    if (t) return { type: t, from: `category ${c}` };
  }
  return { type: 'other', from: categories.length > 0 ? `category ${categories.join(', ')}` : 'nothing' };
}

/** An incident type in words, for a name the alert does not give in that language. */
export const TYPE_NAMES: Readonly<Record<IncidentType, { fr: string; ar: string; en: string }>> = {
  earthquake: { fr: 'Séisme', ar: 'زلزال', en: 'Earthquake' },
  flood: { fr: 'Inondations', ar: 'فيضانات', en: 'Floods' },
  landslide: { fr: 'Glissement de terrain', ar: 'انزلاق أرضي', en: 'Landslide' },
  chemical: { fr: 'Accident chimique', ar: 'حادث كيميائي', en: 'Chemical accident' },
  industrial: { fr: 'Accident industriel', ar: 'حادث صناعي', en: 'Industrial accident' },
  radiological: { fr: 'Incident radiologique', ar: 'حادث إشعاعي', en: 'Radiological incident' },
  storm: { fr: 'Tempête', ar: 'عاصفة', en: 'Storm' },
  fire: { fr: 'Incendie', ar: 'حريق', en: 'Fire' },
  drought: { fr: 'Sécheresse', ar: 'جفاف', en: 'Drought' },
  other: { fr: 'Incident', ar: 'حادث', en: 'Incident' },
};
