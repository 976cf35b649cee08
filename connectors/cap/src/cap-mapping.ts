/**
 * One OASIS CAP 1.2 alert → one version of an Incident (README: "Mapping").
 *
 * The Incident's id comes from the first alert of the chain: an `Alert` names itself, an
 * `Update` or a `Cancel` names the earliest message of its `<references>`. So an update is a new
 * version of the same Incident (`meta.versionId` is the epoch milliseconds of `<sent>`, the
 * warehouse keeps the newest), a cancel closes it, and the same alert read twice gives the same
 * record: nothing doubles. Nothing is looked up: each alert is mapped on its own, pushed or read
 * from a file alike.
 */
import { createHash } from 'node:crypto';
import { epochMs, formatMessage, HubError, type Incident, isDateTime } from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { RecordError } from '../../sdk/connector.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import type { MappedDocument } from '../../sdk/document-files.js';
import {
  children,
  childText,
  elementPayload,
  elementXml,
  qualifiedName,
  textOf,
  type XmlDocument,
  type XmlElement,
} from '../../sdk/xml.js';
import {
  CAP_CATEGORY,
  CAP_CERTAINTY,
  CAP_MSG_TYPE,
  CAP_SCOPE,
  CAP_SEVERITY,
  CAP_STATUS,
  CAP_URGENCY,
  type IncidentType,
  incidentTypeOf,
  TYPE_NAMES,
} from './cap-vocabulary.js';
import { REGIONS, regionById, regionOfGeocode, regionsInText } from './morocco-areas.js';

export const CAP_CONNECTOR = 'cap';
export const CAP_STREAM = 'incidents';
export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';
/** Extensions carrying what the Incident model has no field for. */
export const CAP_EXTENSION = 'https://reserve-hub.ma/ext/cap';

export interface CapMappingConfig {
  /** The `<status>` values that are incidents (default `Actual`); others are logged and skipped. */
  readonly statuses: readonly string[];
  /** A partner's own geocodes: `{ valueName: { value: region slug } }`. */
  readonly geocode_map: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One alert message of a CAP `<references>` list: `sender,identifier,sent`. */
export interface CapReference {
  readonly sender: string;
  readonly identifier: string;
  readonly sent: string;
}

/** The system of an alert identifier: identifiers are unique per sender (CAP 1.2 §3.2.1). */
export function capIdentifierSystem(sender: string): string {
  return `urn:reserve-hub:cap-alert:${encodeURIComponent(sender)}`;
}

/** The Incident id of the chain that starts with alert `identifier` of `sender`. */
export function capIncidentId(sender: string, identifier: string): string {
  const hash = sha10(`${sender}\n${identifier}`);
  const slug = identifier
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug === '' ? `cap-${hash}` : `cap-${slug}-${hash}`;
}

function sha10(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 10);
}

/**
 * Maps a parsed document that should hold one CAP 1.2 alert. Throws `HUB_ERR_INGEST_DOCUMENT`
 * when its root is not `{urn:oasis:names:tc:emergency:cap:1.2}alert`; an alert it cannot map is
 * one `invalid` message, never a throw.
 */
export function mapCapDocument(doc: XmlDocument, config: CapMappingConfig): MappedDocument {
  const alert = doc.root;
  if (alert.local !== 'alert' || alert.ns !== CAP_NS) {
    throw new HubError('HUB_ERR_INGEST_DOCUMENT', {
      name: CAP_CONNECTOR,
      reason: `${doc.name}: its root element is ${qualifiedName(alert)}; a CAP 1.2 alert is <alert xmlns="${CAP_NS}">`,
    });
  }
  const messages = mapAlert(doc, alert, config);
  return { length: 1, unit: () => messages, finish: () => [] };
}

interface InfoBlock {
  readonly el: XmlElement;
  readonly language: string;
  readonly categories: readonly string[];
  readonly event: string;
  readonly urgency: string;
  readonly severity: string;
  readonly certainty: string;
  readonly eventCodes: readonly (readonly [string, string])[];
  readonly effective?: string;
  readonly onset?: string;
  readonly expires?: string;
  readonly headline?: string;
  readonly description?: string;
  readonly areas: readonly AreaBlock[];
}

interface AreaBlock {
  readonly desc: string;
  readonly polygons: readonly string[];
  readonly circles: readonly string[];
  readonly geocodes: readonly (readonly [string, string])[];
}

function mapAlert(doc: XmlDocument, alert: XmlElement, config: CapMappingConfig): StreamMessage[] {
  const errors: RecordError[] = [];
  const identifier = childText(alert, 'identifier', CAP_NS);
  const sender = childText(alert, 'sender', CAP_NS);
  const record = identifier === undefined ? `CAP alert of ${doc.name}` : `CAP alert ${identifier}`;
  const p = (el: XmlElement, local: string) => `${el.path}/${local}`;

  const required = (el: XmlElement, local: string): string | undefined => {
    const v = childText(el, local, CAP_NS);
    if (v === undefined) errors.push(missing(record, p(el, local)));
    return v;
  };
  const coded = (el: XmlElement, local: string, allowed: readonly string[]): string | undefined => {
    const v = required(el, local);
    if (v !== undefined && !allowed.includes(v)) errors.push(unknownCode(record, p(el, local), v, allowed));
    return v;
  };
  const time = (el: XmlElement, local: string, need: boolean): string | undefined => {
    const v = need ? required(el, local) : childText(el, local, CAP_NS);
    if (v !== undefined && !isDateTime(v)) errors.push(badTime(p(el, local), v));
    return v;
  };

  if (identifier === undefined) errors.push(missing(record, p(alert, 'identifier')));
  if (sender === undefined) errors.push(missing(record, p(alert, 'sender')));
  const sent = time(alert, 'sent', true);
  const status = coded(alert, 'status', CAP_STATUS);
  const msgType = coded(alert, 'msgType', CAP_MSG_TYPE);
  coded(alert, 'scope', CAP_SCOPE);

  const refsText = childText(alert, 'references', CAP_NS);
  const references: CapReference[] = [];
  if (refsText !== undefined) {
    for (const triple of refsText.split(/\s+/)) {
      const [s, i, t, ...rest] = triple.split(',');
      if (!s || !i || !t || rest.length > 0 || !isDateTime(t)) {
        errors.push(
          unsupported(record, p(alert, 'references'), `« ${triple} » is not sender,identifier,sent (CAP 1.2 §3.2.1)`),
        );
      } else references.push({ sender: s, identifier: i, sent: t });
    }
  } else if (msgType === 'Update' || msgType === 'Cancel') {
    errors.push(missing(record, p(alert, 'references')));
  }

  const infos = children(alert, 'info', CAP_NS).map((el): InfoBlock => {
    const categories = children(el, 'category', CAP_NS).map((c) => textOf(c) ?? '');
    if (categories.length === 0) errors.push(missing(record, p(el, 'category')));
    categories.forEach((c, i) => {
      if (!(CAP_CATEGORY as readonly string[]).includes(c)) {
        const at = categories.length > 1 ? `${p(el, 'category')}[${i + 1}]` : p(el, 'category');
        errors.push(unknownCode(record, at, c, CAP_CATEGORY));
      }
    });
    const pairs = (local: string) =>
      children(el, local, CAP_NS).map(
        (c) => [childText(c, 'valueName', CAP_NS) ?? '', childText(c, 'value', CAP_NS) ?? ''] as const,
      );
    const optional = <K extends string>(key: K, v: string | undefined): { [k in K]?: string } =>
      (v === undefined ? {} : { [key]: v }) as { [k in K]?: string };
    return {
      el,
      language: childText(el, 'language', CAP_NS) ?? 'en-US',
      categories,
      event: required(el, 'event') ?? '',
      urgency: coded(el, 'urgency', CAP_URGENCY) ?? '',
      severity: coded(el, 'severity', CAP_SEVERITY) ?? '',
      certainty: coded(el, 'certainty', CAP_CERTAINTY) ?? '',
      eventCodes: pairs('eventCode'),
      ...optional('effective', time(el, 'effective', false)),
      ...optional('onset', time(el, 'onset', false)),
      ...optional('expires', time(el, 'expires', false)),
      ...optional('headline', childText(el, 'headline', CAP_NS)),
      ...optional('description', childText(el, 'description', CAP_NS)),
      areas: children(el, 'area', CAP_NS).map((a) => ({
        desc: required(a, 'areaDesc') ?? '',
        polygons: children(a, 'polygon', CAP_NS).flatMap((x) => textOf(x) ?? []),
        circles: children(a, 'circle', CAP_NS).flatMap((x) => textOf(x) ?? []),
        geocodes: children(a, 'geocode', CAP_NS).map(
          (g) => [childText(g, 'valueName', CAP_NS) ?? '', childText(g, 'value', CAP_NS) ?? ''] as const,
        ),
      })),
    };
  });

  const sourceId =
    identifier !== undefined && sender !== undefined && sent !== undefined
      ? `${sender},${identifier},${sent}`
      : `${doc.name}#${alert.path}`;
  const refuse = (): StreamMessage[] => [
    { type: 'invalid', sourceId, resourceType: 'Incident', payload: elementPayload(doc, alert), errors },
  ];
  if (errors.length > 0) return refuse();

  // Only real events become incidents: exercises, tests and drafts are logged, not kept.
  if (!config.statuses.includes(status as string)) {
    return [
      log(
        'info',
        `${record} (${doc.name}) has status ${status}, not ${config.statuses.join(' or ')}: not an incident, skipped`,
      ),
    ];
  }
  if (msgType === 'Ack' || msgType === 'Error') {
    return [
      log('info', `${record} (${doc.name}) is an ${msgType} of ${refsText ?? 'no alert'}: nothing to record, skipped`),
    ];
  }
  if (infos.length === 0) {
    // A cancel or update without <info> cannot be mapped on its own: the hub keeps no copy of
    // the earlier alert to take the type and severity from.
    errors.push(missing(record, p(alert, 'info')));
    return refuse();
  }

  const incident = buildIncident({
    identifier: identifier as string,
    sender: sender as string,
    sent: sent as string,
    msgType: msgType as string,
    references,
    refsText,
    infos,
    config,
  });
  if ('error' in incident) {
    errors.push(incident.error);
    return refuse();
  }
  // The generated Incident type is exact; the port's base type is open to every resource.
  const data = incident.value as unknown as CanonicalResource;
  return [{ type: 'record', data, sourceId, sourcePayload: elementXml(doc, alert) }];
}

function buildIncident(a: {
  identifier: string;
  sender: string;
  sent: string;
  msgType: string;
  references: readonly CapReference[];
  refsText: string | undefined;
  infos: readonly InfoBlock[];
  config: CapMappingConfig;
}): { value: Incident } | { error: RecordError } {
  const { infos } = a;
  // The chain starts at the earliest message referenced (an Alert starts its own chain).
  let root: CapReference = { sender: a.sender, identifier: a.identifier, sent: a.sent };
  if (a.msgType !== 'Alert' && a.references.length > 0) {
    root = a.references.reduce((first, r) => (epochMs(r.sent) < epochMs(first.sent) ? r : first));
  }

  const most = <T extends string>(order: readonly T[], values: readonly string[]): T =>
    order[Math.min(...values.map((v) => order.indexOf(v as T)))] as T;
  const severity = most(
    CAP_SEVERITY,
    infos.map((i) => i.severity),
  );
  const urgency = most(
    CAP_URGENCY,
    infos.map((i) => i.urgency),
  );
  const certainty = most(
    CAP_CERTAINTY,
    infos.map((i) => i.certainty),
  );

  const { type } = incidentTypeOf(
    infos.flatMap((i) => i.eventCodes),
    infos.map((i) => i.event),
    infos.flatMap((i) => i.categories),
  );

  const regions = new Set<string>();
  for (const area of infos.flatMap((i) => i.areas)) {
    for (const [name, value] of area.geocodes) {
      const r = regionOfGeocode(name, value, a.config.geocode_map);
      if (r !== undefined) regions.add(r);
    }
    for (const r of regionsInText(area.desc)) regions.add(r);
  }
  const affectedRegions = REGIONS.map((r) => r.id).filter((id) => regions.has(id));
  for (const r of regions) if (!affectedRegions.includes(r)) affectedRegions.push(r);

  // Period: the earliest onset, else effective, else when the chain began (the first alert's
  // <sent>, so that a cancel does not move the start); the end is the latest expiry, or the
  // cancel's own time.
  const earliest = (xs: readonly (string | undefined)[]) =>
    xs.filter((x): x is string => x !== undefined).sort((x, y) => epochMs(x) - epochMs(y))[0];
  const latest = (xs: readonly (string | undefined)[]) =>
    xs.filter((x): x is string => x !== undefined).sort((x, y) => epochMs(y) - epochMs(x))[0];
  const start = earliest(infos.map((i) => i.onset)) ?? earliest(infos.map((i) => i.effective)) ?? root.sent;
  let end = a.msgType === 'Cancel' ? a.sent : latest(infos.map((i) => i.expires));
  if (end !== undefined && epochMs(end) < epochMs(start)) end = a.msgType === 'Cancel' ? start : undefined;

  const byLang = (lang: string) => infos.find((i) => i.language.toLowerCase().split('-')[0] === lang);
  const title = (i: InfoBlock | undefined) => (i === undefined ? undefined : clip(i.headline ?? i.event, 512));
  const regionText = (lang: 'fr' | 'ar', sep: string) => {
    if (affectedRegions.length === 0) return '';
    if (affectedRegions.length === REGIONS.length) return lang === 'fr' ? ' — Maroc' : ' — المغرب';
    const names = affectedRegions.map((id) => regionById(id)?.name[lang] ?? id);
    return ` — ${names.length > 3 ? `${names.slice(0, 3).join(sep)}…` : names.join(sep)}`;
  };
  const en = title(byLang('en'));
  const name = {
    fr: title(byLang('fr')) ?? `${TYPE_NAMES[type].fr}${regionText('fr', ', ')}`,
    ar: title(byLang('ar')) ?? `${TYPE_NAMES[type].ar}${regionText('ar', '، ')}`,
    ...(en === undefined ? {} : { en }),
  };

  let epicentre: Incident['epicentre'];
  if (type === 'earthquake') {
    const circle = infos.flatMap((i) => i.areas).flatMap((x) => x.circles)[0];
    if (circle !== undefined) {
      const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s*$/.exec(circle);
      const [lat, lon] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
      if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) {
        return {
          error: unsupported(
            `CAP alert ${a.identifier}`,
            `${infos[0]?.el.path}/area/circle`,
            `« ${circle} » is not "latitude,longitude radius" in WGS 84 (CAP 1.2 §3.2.4)`,
          ),
        };
      }
      epicentre = { latitude: lat, longitude: lon };
    }
  }

  const descriptionOf = byLang('fr')?.description ?? infos.find((i) => i.description)?.description;
  const ext = (what: string, value: Record<string, string>) => ({ url: `${CAP_EXTENSION}/${what}`, ...value });
  const extension = [
    ext('msg-type', { valueCode: a.msgType }),
    ext('sender', { valueString: clip(a.sender, 8192) }),
    ext('urgency', { valueCode: urgency }),
    ext('certainty', { valueCode: certainty }),
    ...[...new Set(infos.map((i) => i.event))].map((e) => ext('event', { valueString: clip(e, 8192) })),
    ...(a.refsText === undefined ? [] : [ext('references', { valueString: clip(a.refsText, 8192) })]),
    ...[...new Set(infos.flatMap((i) => i.areas.map((x) => x.desc)))].map((d) =>
      ext('area', { valueString: clip(d, 8192) }),
    ),
    ...infos
      .flatMap((i) => i.areas.flatMap((x) => x.polygons))
      .filter((g) => g.length <= 8192)
      .map((g) => ext('polygon', { valueString: g })),
    ...infos
      .flatMap((i) => i.areas.flatMap((x) => x.circles))
      .filter((g) => g.length <= 8192)
      .map((g) => ext('circle', { valueString: g })),
  ];

  const identifiers: NonNullable<Incident['identifier']> = [
    { system: capIdentifierSystem(root.sender), value: root.identifier, use: 'official' },
  ];
  if (root.identifier !== a.identifier || root.sender !== a.sender) {
    identifiers.push({ system: capIdentifierSystem(a.sender), value: a.identifier, use: 'secondary' });
  }

  const status: Incident['status'] = a.msgType === 'Cancel' ? 'closed' : urgency === 'Past' ? 'monitoring' : 'active';
  const incident: Incident = {
    resourceType: 'Incident',
    id: capIncidentId(root.sender, root.identifier),
    meta: { versionId: String(epochMs(a.sent)), lastUpdated: a.sent },
    identifier: identifiers,
    incidentType: type as IncidentType,
    severity,
    status,
    name,
    period: end === undefined ? { start } : { start, end },
    ...(affectedRegions.length > 0 ? { affectedRegions } : {}),
    ...(epicentre === undefined ? {} : { epicentre }),
    capAlertId: a.identifier,
    ...(descriptionOf === undefined ? {} : { description: clip(descriptionOf, 8192) }),
    extension,
  };
  return { value: incident };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function log(level: 'info' | 'warn', message: string): StreamMessage {
  return { type: 'log', level, message };
}

function missing(record: string, pointer: string): RecordError {
  const params = { record, pointer, resourceType: 'Incident' };
  return { pointer, code: 'HUB_ERR_MAPPING_REQUIRED', message: formatMessage('HUB_ERR_MAPPING_REQUIRED', params) };
}

function unknownCode(record: string, pointer: string, code: string, expected: readonly string[]): RecordError {
  const params = { record, pointer, code, expected: `one of ${expected.join(', ')} (CAP 1.2)` };
  return {
    pointer,
    code: 'HUB_ERR_MAPPING_CODE_UNKNOWN',
    message: formatMessage('HUB_ERR_MAPPING_CODE_UNKNOWN', params),
  };
}

function badTime(pointer: string, value: string): RecordError {
  return {
    pointer,
    code: 'HUB_ERR_MODEL_TIMESTAMP_OFFSET',
    message: formatMessage('HUB_ERR_MODEL_TIMESTAMP_OFFSET', { pointer, value }),
  };
}

function unsupported(record: string, pointer: string, reason: string): RecordError {
  return {
    pointer,
    code: 'HUB_ERR_MAPPING_UNSUPPORTED',
    message: formatMessage('HUB_ERR_MAPPING_UNSUPPORTED', { record, pointer, reason }),
  };
}
