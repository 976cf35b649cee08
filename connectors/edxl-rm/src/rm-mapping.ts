/**
 * One EDXL-RM 1.0 message → SupplyRequest or Shipment versions (README: "Mapping").
 *
 * - `RequestResource` → one SupplyRequest: its `ResourceInformation` elements are the lines.
 * - `CommitResource` → one Shipment per committed resource (`Resource/ResourceID`; elements that
 *   share a ResourceID are lines of one Shipment), status `planned`.
 * - `ReportResourceDeploymentStatus` → a new version of each of those Shipments, its status
 *   history read from the message: the schedule's `Committed`, `ActualDeparture` and
 *   `ActualArrival` times, then the reported `DeploymentStatus`.
 *
 * Ids come from the messages: a request from its `MessageID` (or the message a `MessageRecall`
 * updates or cancels), a shipment from the exchange's `OriginatingMessageID` and its ResourceID;
 * `meta.versionId` is the epoch milliseconds of `SentDateTime`. So a report is a new version of
 * the shipment its commit created, and the same message read twice gives the same records.
 * Each message is mapped on its own: nothing is looked up.
 */
import { createHash } from 'node:crypto';
import {
  epochMs,
  formatMessage,
  HubError,
  isDateTime,
  type Shipment,
  type SupplyRequest,
} from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { RecordError } from '../../sdk/connector.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import type { MappedDocument } from '../../sdk/document-files.js';
import {
  attribute,
  child,
  children,
  childText,
  descend,
  elementPayload,
  elementXml,
  qualifiedName,
  textOf,
  type XmlDocument,
  type XmlElement,
} from '../../sdk/xml.js';
import {
  DESTINATION_SCHEDULES,
  KNOWN_DEPLOYMENT_STATUSES,
  ORIGIN_SCHEDULES,
  priorityFromLeadTime,
  priorityOf,
  type RequestPriority,
  RM,
  RM_MAPPED_TYPES,
  RM_MESSAGE_TYPES,
  RM_MSG_NS,
  type ShipmentStatus,
  STATUS_RANK,
  shipmentStatusOf,
  unitOf,
} from './rm-vocabulary.js';

export const RM_CONNECTOR = 'edxl-rm';
export const RM_STREAM = 'resource_messages';
export const RM_EXTENSION = 'https://reserve-hub.ma/ext/edxl-rm';
export const RM_MESSAGE_ID_SYSTEM = 'urn:reserve-hub:edxl-rm:message-id';
export const RM_RESOURCE_ID_SYSTEM = 'urn:reserve-hub:edxl-rm:resource-id';

/** How names in a message become hub ids (README: "Places, products, organisations"). */
export interface RmMappingConfig {
  /** `LocationDescription` text → Location id. */
  readonly locations: Readonly<Record<string, string>>;
  /** Organisation name → Organization id. */
  readonly organizations: Readonly<Record<string, string>>;
  /** `Value`, `ValueListURN#Value` or resource `Name` → Product id. */
  readonly products: Readonly<Record<string, string>>;
  /** `TypeStructure/ValueListURN`s whose `Value` is a hub Product id. */
  readonly product_value_lists: readonly string[];
  /** `IncidentID` → Incident id, for ids that are not hub ids already. */
  readonly incidents: Readonly<Record<string, string>>;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
/** A hub id written as a slug with at least two parts (`marrakech-safi-ds1`), not a plain word. */
const SLUG_ID = /^[a-z0-9]+(?:[-.][a-z0-9]+)+$/;

function sha10(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 10);
}

function slug(s: string, max: number): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The SupplyRequest id of request message `messageId`. */
export function rmRequestId(messageId: string): string {
  const s = slug(messageId, 40);
  return s === '' ? `rmreq-${sha10(messageId)}` : `rmreq-${s}-${sha10(messageId)}`;
}

/** The Shipment id of resource `resourceId` committed in the exchange started by `originatingId`. */
export function rmShipmentId(originatingId: string, resourceId: string): string {
  const s = slug(resourceId, 40);
  const h = sha10(`${originatingId}\n${resourceId}`);
  return s === '' ? `rmshp-${h}` : `rmshp-${s}-${h}`;
}

/**
 * Maps a parsed document that should hold one EDXL-RM 1.0 message. Throws
 * `HUB_ERR_INGEST_DOCUMENT` when its root is not an EDXL-RM message; a message the hub does not
 * map, or cannot map, becomes `invalid` messages, never a throw.
 */
export function mapRmDocument(doc: XmlDocument, config: RmMappingConfig): MappedDocument {
  const root = doc.root;
  const type = root.local as (typeof RM_MESSAGE_TYPES)[number];
  if (!(RM as readonly string[]).includes(root.ns) || !RM_MESSAGE_TYPES.includes(type)) {
    throw new HubError('HUB_ERR_INGEST_DOCUMENT', {
      name: RM_CONNECTOR,
      reason: `${doc.name}: its root element is ${qualifiedName(root)}, which is not an EDXL-RM 1.0 message (<RequestResource xmlns="${RM_MSG_NS}">, <CommitResource>, <ReportResourceDeploymentStatus>…)`,
    });
  }
  const units = new MessageMapper(doc, root, type, config).units();
  return { length: units.length, unit: (i) => units[i] ?? [], finish: () => [] };
}

interface Header {
  readonly messageId: string;
  readonly sent: string;
  readonly originating: string | undefined;
  readonly incident: { reference: string } | undefined;
  readonly incidentText: string | undefined;
  readonly description: string | undefined;
}

interface Schedule {
  readonly el: XmlElement;
  readonly type: string;
  readonly at: string | undefined;
  readonly location: XmlElement | undefined;
}

class MessageMapper {
  private readonly record: string;

  constructor(
    private readonly doc: XmlDocument,
    private readonly root: XmlElement,
    private readonly type: (typeof RM_MESSAGE_TYPES)[number],
    private readonly config: RmMappingConfig,
  ) {
    const id = childText(root, 'MessageID', RM);
    this.record = id === undefined ? `EDXL-RM ${type} of ${doc.name}` : `EDXL-RM ${type} ${id}`;
  }

  /** The messages of the document, one unit per record (a checkpoint may follow each). */
  units(): StreamMessage[][] {
    const errors: RecordError[] = [];
    const messageId = this.required(this.root, 'MessageID', errors);
    const sent = this.time(this.root, 'SentDateTime', true, errors);
    const contentType = childText(this.root, 'MessageContentType', RM);
    const resourceType = this.type === 'RequestResource' ? 'SupplyRequest' : 'Shipment';
    if (!(RM_MAPPED_TYPES as readonly string[]).includes(this.type)) {
      errors.push(
        unsupported(
          this.record,
          this.root.path,
          `the hub maps ${RM_MAPPED_TYPES.join(', ')}; a ${this.type} message is kept here, not mapped`,
        ),
      );
    }
    if (contentType !== undefined && contentType !== this.type) {
      errors.push(
        unsupported(
          this.record,
          `${this.root.path}/MessageContentType`,
          `it says ${contentType} but the message is a ${this.type}`,
        ),
      );
    }
    if (errors.length > 0 || messageId === undefined || sent === undefined) {
      return [[this.invalid(messageId ?? this.doc.name, [this.root], errors, resourceType)]];
    }
    const incidentEl = child(this.root, 'IncidentInformation', RM);
    const incidentId = childText(incidentEl, 'IncidentID', RM);
    const mappedIncident = incidentId === undefined ? undefined : (this.config.incidents[incidentId] ?? incidentId);
    const header: Header = {
      messageId,
      sent,
      originating: childText(this.root, 'OriginatingMessageID', RM),
      incident:
        mappedIncident !== undefined && ID.test(mappedIncident)
          ? { reference: `Incident/${mappedIncident}` }
          : undefined,
      incidentText: childText(incidentEl, 'IncidentDescription', RM) ?? incidentId,
      description: childText(this.root, 'MessageDescription', RM),
    };
    return this.type === 'RequestResource' ? [this.request(header)] : this.shipments(header);
  }

  // -------------------------------------------------------------------------------------------
  // RequestResource → SupplyRequest

  private request(h: Header): StreamMessage[] {
    const errors: RecordError[] = [];
    const items = children(this.root, 'ResourceInformation', RM);
    if (items.length === 0) errors.push(missing(this.record, `${this.root.path}/ResourceInformation`, 'SupplyRequest'));

    const requester = this.organisation(['Requester', 'Sender'], true, errors);
    const lines: SupplyRequest['lines'][number][] = [];
    let deliverTo: { reference: string; display?: string } | undefined;
    let neededBy: string | undefined;
    let priority: RequestPriority | undefined;
    items.forEach((ri, i) => {
      const resource = child(ri, 'Resource', RM);
      const product = this.product(ri, resource, errors);
      const quantity = this.quantity(ri, errors);
      const schedules = this.schedules(ri, errors);
      const arrival =
        schedules.find((s) => s.type === 'RequestedArrival' && s.location) ??
        schedules.find((s) => s.type === 'ReportTo' && s.location);
      let note = textOf(child(resource, 'Name', RM)) ?? textOf(child(resource, 'Description', RM));
      if (arrival?.location) {
        const place = this.location(arrival.location, errors);
        if (place && deliverTo === undefined) deliverTo = place;
        else if (place && place.reference !== deliverTo?.reference) {
          note = `${note ? `${note}; ` : ''}to be delivered to ${place.reference}`;
        }
      }
      for (const s of schedules) {
        if (s.type === 'RequestedArrival' && s.at && (neededBy === undefined || epochMs(s.at) < epochMs(neededBy))) {
          neededBy = s.at;
        }
      }
      priority ??= this.priority(resource, errors);
      if (product && quantity) {
        lines.push({ sequence: i + 1, product, quantity, ...(note === undefined ? {} : { note: clip(note, 1024) }) });
      }
    });
    if (
      items.length > 0 &&
      deliverTo === undefined &&
      !errors.some((e) => e.code === 'HUB_ERR_MAPPING_LOCATION_UNKNOWN')
    ) {
      errors.push(
        missing(
          this.record,
          `${this.root.path}/ResourceInformation/ScheduleInformation[ScheduleType=RequestedArrival]/Location`,
          'SupplyRequest',
        ),
      );
    }
    if (errors.length > 0 || requester === undefined || deliverTo === undefined) {
      return [this.invalid(h.messageId, [this.root], errors, 'SupplyRequest')];
    }

    // A recall updates or cancels the request it names: same id, a new version.
    const recall = child(this.root, 'MessageRecall', RM);
    const recalled = childText(recall, 'RecalledMessageID', RM);
    const recallType = childText(recall, 'RecallType', RM);
    const leadHours = neededBy === undefined ? undefined : (epochMs(neededBy) - epochMs(h.sent)) / 3_600_000;
    const reason = [h.description, h.incidentText].filter((x) => x !== undefined).join(' — ');
    const request: SupplyRequest = {
      resourceType: 'SupplyRequest',
      id: rmRequestId(recalled ?? h.messageId),
      meta: { versionId: String(epochMs(h.sent)), lastUpdated: h.sent },
      identifier: [
        { system: RM_MESSAGE_ID_SYSTEM, value: recalled ?? h.messageId, use: 'official' },
        ...(recalled === undefined
          ? []
          : [{ system: RM_MESSAGE_ID_SYSTEM, value: h.messageId, use: 'secondary' as const }]),
      ],
      status: recallType !== undefined && /^cancel/i.test(recallType) ? 'revoked' : 'active',
      priority: priority ?? priorityFromLeadTime(leadHours),
      requester,
      ...(h.incident ? { incident: h.incident } : {}),
      deliverTo,
      authoredOn: h.sent,
      ...(neededBy === undefined ? {} : { neededBy }),
      lines,
      ...(reason === '' ? {} : { reason: clip(reason, 2048) }),
    };
    return [
      {
        type: 'record',
        data: request as unknown as CanonicalResource,
        sourceId: `${h.messageId}#${this.root.path}`,
        sourcePayload: elementXml(this.doc, this.root),
      },
    ];
  }

  // -------------------------------------------------------------------------------------------
  // CommitResource, ReportResourceDeploymentStatus → Shipment versions

  private shipments(h: Header): StreamMessage[][] {
    const items = children(this.root, 'ResourceInformation', RM);
    if (items.length === 0) {
      const errors = [missing(this.record, `${this.root.path}/ResourceInformation`, 'Shipment')];
      return [[this.invalid(h.messageId, [this.root], errors, 'Shipment')]];
    }
    // Elements that share a ResourceID travel together: one Shipment, one line each.
    const groups = new Map<string, XmlElement[]>();
    const units: StreamMessage[][] = [];
    for (const ri of items) {
      const resourceId = descend(ri, ['Resource', 'ResourceID'], RM);
      const key = textOf(resourceId);
      if (key === undefined) {
        const errors = [missing(this.record, `${ri.path}/Resource/ResourceID`, 'Shipment')];
        units.push([this.invalid(`${h.messageId}#${ri.path}`, [ri], errors, 'Shipment')]);
        continue;
      }
      const g = groups.get(key);
      if (g) g.push(ri);
      else groups.set(key, [ri]);
    }
    const carrier = this.organisation(['RespondingOrg', 'Sender'], false, []);
    for (const [resourceId, group] of groups) units.push([this.shipment(h, resourceId, group, carrier)]);
    return units;
  }

  private shipment(
    h: Header,
    resourceId: string,
    group: readonly XmlElement[],
    carrier: { reference: string; display?: string } | undefined,
  ): StreamMessage {
    const errors: RecordError[] = [];
    const sourceId = clip(`${h.messageId}#${group.map((g) => g.path).join('|')}`, 512);
    const lines: Shipment['lines'][number][] = [];
    const schedules: Schedule[] = [];
    const statuses: { status: ShipmentStatus; at: string }[] = [];
    for (const ri of group) {
      const resource = child(ri, 'Resource', RM);
      const product = this.product(ri, resource, errors);
      const quantity = this.quantity(ri, errors);
      if (product && quantity) lines.push({ product, quantity });
      schedules.push(...this.schedules(ri, errors));
      if (this.type === 'ReportResourceDeploymentStatus') {
        const status = child(resource, 'ResourceStatus', RM) ?? child(ri, 'ResourceStatus', RM);
        const deployment = child(status, 'DeploymentStatus', RM);
        const value = childText(deployment, 'Value', RM) ?? textOf(deployment);
        const pointer = `${ri.path}/Resource/ResourceStatus/DeploymentStatus`;
        if (value === undefined) errors.push(missing(this.record, `${pointer}/Value`, 'Shipment'));
        else {
          const mapped = shipmentStatusOf(value);
          if (mapped === undefined)
            errors.push(unknownCode(this.record, `${pointer}/Value`, value, KNOWN_DEPLOYMENT_STATUSES));
          const refreshed = this.time(status ?? ri, 'InventoryRefreshDateTime', false, errors);
          if (mapped) statuses.push({ status: mapped, at: refreshed ?? h.sent });
        }
      }
    }
    const find = (types: readonly string[]) => {
      for (const t of types) {
        const s = schedules.find((x) => x.type === t && x.location);
        if (s) return s;
      }
      return undefined;
    };
    const from = find(ORIGIN_SCHEDULES);
    const to = find(DESTINATION_SCHEDULES);
    const first = group[0] as XmlElement;
    if (!from) {
      errors.push(
        missing(
          this.record,
          `${first.path}/ScheduleInformation[ScheduleType=${ORIGIN_SCHEDULES.join('|')}]/Location`,
          'Shipment',
        ),
      );
    }
    if (!to) {
      errors.push(
        missing(
          this.record,
          `${first.path}/ScheduleInformation[ScheduleType=${DESTINATION_SCHEDULES.join('|')}]/Location`,
          'Shipment',
        ),
      );
    }
    const origin = from?.location ? this.location(from.location, errors) : undefined;
    const destination = to?.location ? this.location(to.location, errors) : undefined;
    if (errors.length > 0 || origin === undefined || destination === undefined) {
      return this.invalid(sourceId, group, errors, 'Shipment');
    }

    // The history this message tells: committed, departed, arrived, then the reported status.
    const history: { status: ShipmentStatus; at: string }[] = [];
    const at = (t: string) => schedules.find((s) => s.type === t && s.at)?.at;
    const committed = at('Committed');
    if (this.type === 'CommitResource') history.push({ status: 'planned', at: committed ?? h.sent });
    else {
      if (committed) history.push({ status: 'planned', at: committed });
      const departed = at('ActualDeparture');
      if (departed) history.push({ status: 'dispatched', at: departed });
      const arrived = at('ActualArrival');
      if (arrived) history.push({ status: 'delivered', at: arrived });
      // A resource group is as far as its least advanced element.
      const current = statuses.reduce((a, b) => (STATUS_RANK[b.status] < STATUS_RANK[a.status] ? b : a));
      const last = history[history.length - 1];
      if (!last || last.status !== current.status) history.push(current);
    }
    history.sort((a, b) => epochMs(a.at) - epochMs(b.at));
    const by = carrier?.display;
    const statusHistory = history.map((e) => ({ ...e, ...(by ? { by: clip(by, 256) } : {}) }));
    const eta = at('EstimatedArrival');
    const originating = h.originating ?? h.messageId;
    const shipment: Shipment = {
      resourceType: 'Shipment',
      id: rmShipmentId(originating, resourceId),
      meta: { versionId: String(epochMs(h.sent)), lastUpdated: h.sent },
      identifier: [{ system: RM_RESOURCE_ID_SYSTEM, value: resourceId }],
      status: (statusHistory[statusHistory.length - 1] as { status: ShipmentStatus }).status,
      ...(h.originating !== undefined && h.originating !== h.messageId
        ? { requests: [{ reference: `SupplyRequest/${rmRequestId(h.originating)}` }] }
        : {}),
      ...(h.incident ? { incident: h.incident } : {}),
      origin,
      destination,
      ...(carrier ? { carrier } : {}),
      ...(eta === undefined ? {} : { eta }),
      lines,
      statusHistory,
      extension: [{ url: `${RM_EXTENSION}/message-type`, valueCode: this.type }],
    };
    return {
      type: 'record',
      data: shipment as unknown as CanonicalResource,
      sourceId,
      sourcePayload: group.map((g) => elementXml(this.doc, g)).join('\n'),
    };
  }

  // -------------------------------------------------------------------------------------------
  // parts

  private invalid(
    sourceId: string,
    els: readonly XmlElement[],
    errors: RecordError[],
    resourceType: string,
  ): StreamMessage {
    const payload =
      els.length === 1 ? elementPayload(this.doc, els[0] as XmlElement) : els.map((e) => elementPayload(this.doc, e));
    return { type: 'invalid', sourceId, resourceType, payload, errors };
  }

  private required(el: XmlElement, local: string, errors: RecordError[]): string | undefined {
    const v = childText(el, local, RM);
    if (v === undefined)
      errors.push(
        missing(this.record, `${el.path}/${local}`, this.type === 'RequestResource' ? 'SupplyRequest' : 'Shipment'),
      );
    return v;
  }

  private time(el: XmlElement, local: string, need: boolean, errors: RecordError[]): string | undefined {
    const v = need ? this.required(el, local, errors) : childText(el, local, RM);
    if (v !== undefined && !isDateTime(v)) {
      const pointer = `${el.path}/${local}`;
      errors.push({
        pointer,
        code: 'HUB_ERR_MODEL_TIMESTAMP_OFFSET',
        message: formatMessage('HUB_ERR_MODEL_TIMESTAMP_OFFSET', { pointer, value: v }),
      });
      return undefined;
    }
    return v;
  }

  private schedules(ri: XmlElement, errors: RecordError[]): Schedule[] {
    return children(ri, 'ScheduleInformation', RM).map((s) => {
      const at = this.time(s, 'DateTime', false, errors);
      return { el: s, type: childText(s, 'ScheduleType', RM) ?? '', at, location: child(s, 'Location', RM) };
    });
  }

  /** The quantity of one element: `MeasuredQuantity` (Amount + UnitOfMeasure), else `QuantityText`. */
  private quantity(ri: XmlElement, errors: RecordError[]): { value: number; unit: string } | undefined {
    const q = descend(ri, ['AssignmentInformation', 'Quantity'], RM);
    const pointer = `${ri.path}/AssignmentInformation/Quantity`;
    const measured = child(q, 'MeasuredQuantity', RM);
    let amount: string | undefined;
    let unitText: string | undefined;
    if (measured) {
      amount = childText(measured, 'Amount', RM);
      const uom = child(measured, 'UnitOfMeasure', RM);
      unitText = childText(uom, 'Value', RM) ?? textOf(uom);
    } else {
      const text = childText(q, 'QuantityText', RM);
      const m = text === undefined ? null : /^\s*(\d+(?:[.,]\d+)?)\s*(.*)$/.exec(text);
      if (m) [amount, unitText] = [m[1]?.replace(',', '.'), m[2] === '' ? undefined : m[2]];
    }
    if (amount === undefined) {
      errors.push(
        missing(
          this.record,
          `${pointer}/MeasuredQuantity/Amount`,
          this.type === 'RequestResource' ? 'SupplyRequest' : 'Shipment',
        ),
      );
      return undefined;
    }
    const value = Number(amount);
    if (!Number.isFinite(value) || value <= 0) {
      errors.push(
        unsupported(
          this.record,
          `${pointer}/MeasuredQuantity/Amount`,
          `« ${amount} » is not a quantity greater than 0`,
        ),
      );
      return undefined;
    }
    const unit = unitText === undefined ? 'EA' : unitOf(unitText);
    if (unit === undefined) {
      errors.push(
        unknownCode(
          this.record,
          `${pointer}/MeasuredQuantity/UnitOfMeasure`,
          unitText as string,
          'a UN/ECE Rec 20 or UCUM code, or a unit word (each, kg, litre, box…)',
        ),
      );
      return undefined;
    }
    return { value, unit };
  }

  /** The Product of an element: a hub product list value, else the config's `products`. */
  private product(
    ri: XmlElement,
    resource: XmlElement | undefined,
    errors: RecordError[],
  ): { reference: string; display?: string } | undefined {
    const type = child(resource, 'TypeStructure', RM);
    const list = childText(type, 'ValueListURN', RM);
    const value = childText(type, 'Value', RM);
    const name = childText(resource, 'Name', RM);
    const pointer = `${ri.path}/Resource/TypeStructure/Value`;
    const display = name === undefined ? {} : { display: clip(name, 1024) };
    if (value !== undefined && list !== undefined && this.config.product_value_lists.includes(list) && ID.test(value)) {
      return { reference: `Product/${value}`, ...display };
    }
    const keys = [
      ...(value === undefined ? [] : [list === undefined ? value : `${list}#${value}`, value]),
      ...(name === undefined ? [] : [name]),
    ];
    const id = lookup(this.config.products, keys);
    if (id !== undefined) return { reference: `Product/${id}`, ...display };
    if (value === undefined && name === undefined) {
      errors.push(missing(this.record, pointer, this.type === 'RequestResource' ? 'SupplyRequest' : 'Shipment'));
    } else {
      errors.push({
        pointer,
        code: 'HUB_ERR_MAPPING_PRODUCT_UNKNOWN',
        message: formatMessage('HUB_ERR_MAPPING_PRODUCT_UNKNOWN', {
          record: this.record,
          pointer,
          value: [list, value ?? name].filter(Boolean).join('#'),
          reason: `use a ValueListURN of ${this.config.product_value_lists.join(', ') || '(none configured)'} with a hub Product id, or map it in config products`,
        }),
      });
    }
    return undefined;
  }

  /** A Location from an RM `Location`: the config's `locations`, else a hub id as description. */
  private location(loc: XmlElement, errors: RecordError[]): { reference: string; display?: string } | undefined {
    const desc = childText(loc, 'LocationDescription', RM);
    const address = addressText(child(loc, 'Address', RM));
    const pointer = `${loc.path}/LocationDescription`;
    const display = desc ?? address;
    const id =
      lookup(
        this.config.locations,
        [desc, address].filter((x): x is string => x !== undefined),
      ) ?? (desc !== undefined && SLUG_ID.test(desc) && desc.length <= 64 ? desc : undefined);
    if (id !== undefined)
      return { reference: `Location/${id}`, ...(display === undefined ? {} : { display: clip(display, 1024) }) };
    errors.push({
      pointer,
      code: 'HUB_ERR_MAPPING_LOCATION_UNKNOWN',
      message: formatMessage('HUB_ERR_MAPPING_LOCATION_UNKNOWN', {
        record: this.record,
        pointer,
        value: display ?? '(empty)',
        reason: 'give the hub Location id as LocationDescription, or map the text in config locations',
      }),
    });
    return undefined;
  }

  /** The organisation of the first `ContactInformation` with one of `roles`. */
  private organisation(
    roles: readonly string[],
    need: boolean,
    errors: RecordError[],
  ): { reference: string; display?: string } | undefined {
    const contacts = children(this.root, 'ContactInformation', RM);
    let contact: XmlElement | undefined;
    for (const r of roles) {
      contact = contacts.find((c) => childText(c, 'ContactRole', RM)?.toLowerCase() === r.toLowerCase());
      if (contact) break;
    }
    const pointer = `${contact?.path ?? `${this.root.path}/ContactInformation`}/AdditionalContactInformation/PartyName/OrganisationName`;
    if (!contact) {
      if (need)
        errors.push(
          missing(this.record, `${this.root.path}/ContactInformation[ContactRole=${roles.join('|')}]`, 'SupplyRequest'),
        );
      return undefined;
    }
    const party = descend(contact, ['AdditionalContactInformation', 'PartyName']);
    const org = child(party, 'OrganisationName');
    const name =
      org === undefined
        ? childText(contact, 'ContactDescription', RM)
        : children(org, 'NameElement')
            .map((n) => textOf(n) ?? '')
            .filter(Boolean)
            .join(' ') || undefined;
    const given = [
      attribute(org, 'Identifier'),
      attribute(org, 'NameID'),
      attribute(org, 'ID'),
      attribute(party, 'ID'),
    ].find((v) => v !== undefined && ID.test(v));
    const id =
      given ??
      lookup(
        this.config.organizations,
        [name, childText(contact, 'ContactDescription', RM)].filter((x): x is string => x !== undefined),
      );
    if (id !== undefined)
      return { reference: `Organization/${id}`, ...(name === undefined ? {} : { display: clip(name, 1024) }) };
    if (need) {
      errors.push(
        unknownCode(
          this.record,
          pointer,
          name ?? '(no name)',
          'an Organization id in xnl:OrganisationName/@xnl:Identifier, or an entry of config organizations',
        ),
      );
    }
    return undefined;
  }

  /** The priority a `Keyword` of a priority list states, if any. */
  private priority(resource: XmlElement | undefined, errors: RecordError[]): RequestPriority | undefined {
    for (const k of children(resource ?? this.root, 'Keyword', RM)) {
      const list = childText(k, 'ValueListURN', RM) ?? '';
      const value = childText(k, 'Value', RM);
      if (!/priorit|urgen|precedence/i.test(list) || value === undefined) continue;
      const p = priorityOf(value);
      if (p === undefined) {
        errors.push(
          unknownCode(
            this.record,
            `${k.path}/Value`,
            value,
            'stat, asap, urgent or routine (or Immediate, High, Low…)',
          ),
        );
      }
      return p;
    }
    return undefined;
  }
}

function addressText(address: XmlElement | undefined): string | undefined {
  if (!address) return undefined;
  const parts: string[] = [];
  const walk = (el: XmlElement) => {
    const t = textOf(el);
    if (t !== undefined && el.children.length === 0) parts.push(t);
    for (const c of el.children) walk(c);
  };
  walk(address);
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** The value of the first key found in `map`, exactly, then without case, accents or punctuation. */
function lookup(map: Readonly<Record<string, string>>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (Object.hasOwn(map, k)) return map[k];
  const folded = new Map(Object.entries(map).map(([k, v]) => [fold(k), v]));
  for (const k of keys) {
    const v = folded.get(fold(k));
    if (v !== undefined) return v;
  }
  return undefined;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function missing(record: string, pointer: string, resourceType: string): RecordError {
  return {
    pointer,
    code: 'HUB_ERR_MAPPING_REQUIRED',
    message: formatMessage('HUB_ERR_MAPPING_REQUIRED', { record, pointer, resourceType }),
  };
}

function unknownCode(record: string, pointer: string, code: string, expected: string): RecordError {
  return {
    pointer,
    code: 'HUB_ERR_MAPPING_CODE_UNKNOWN',
    message: formatMessage('HUB_ERR_MAPPING_CODE_UNKNOWN', { record, pointer, code, expected }),
  };
}

function unsupported(record: string, pointer: string, reason: string): RecordError {
  return {
    pointer,
    code: 'HUB_ERR_MAPPING_UNSUPPORTED',
    message: formatMessage('HUB_ERR_MAPPING_UNSUPPORTED', { record, pointer, reason }),
  };
}
