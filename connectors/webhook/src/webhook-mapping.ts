/**
 * The body of a verified delivery → records. The body is JSON: one canonical resource, an
 * array of them, or `{ "resources": [ … ] }`. Each resource is validated by core here, so that
 * a refusal names its place in the body (`/resources/2/lines/0/quantity/value`), and gets the
 * lineage of the partner that signed it (a lineage the partner wrote itself is replaced: it is
 * not the partner's to say).
 */
import { isUtf8 } from 'node:buffer';
import {
  canonicalJson,
  formatMessage,
  HubError,
  lineageOf,
  validateResource,
  withLineage,
} from '../../../core/index.js';
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { RecordError } from '../../sdk/connector.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import type { MappedDocument } from '../../sdk/document-files.js';
import type { VerifiedDelivery } from './signature.js';

export const WEBHOOK_CONNECTOR = 'webhook';
export const WEBHOOK_STREAM = 'deliveries';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The lineage's source system of a partner's records. */
export function partnerSourceSystem(partner: string): string {
  return `${WEBHOOK_CONNECTOR}:${partner}`;
}

/** The resources of a body, with the JSON pointer of each. Throws `HUB_ERR_INGEST_DOCUMENT`. */
export function resourcesOf(document: string, body: Buffer): { items: Json[]; pointerOf: (i: number) => string } {
  if (!isUtf8(body)) throw unreadable(document, 'the body is not UTF-8 JSON');
  let value: Json;
  try {
    value = JSON.parse(body.toString('utf8')) as Json;
  } catch (err) {
    throw unreadable(document, `the body is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(value)) return { items: value, pointerOf: (i) => `/${i}` };
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value.resources)) return { items: value.resources, pointerOf: (i) => `/resources/${i}` };
    if (typeof value.resourceType === 'string') return { items: [value], pointerOf: () => '' };
  }
  throw unreadable(document, 'the body is neither a canonical resource, an array of them, nor { "resources": [ … ] }');
}

function unreadable(document: string, reason: string): HubError {
  return new HubError('HUB_ERR_INGEST_DOCUMENT', { name: WEBHOOK_CONNECTOR, reason: `${document}: ${reason}` });
}

/**
 * Maps the body of `delivery`: one unit per resource. `receivedAt` is the records' ingest time.
 */
export function mapDelivery(options: {
  readonly document: string;
  readonly delivery: VerifiedDelivery;
  readonly body: Buffer;
  readonly receivedAt: string;
}): MappedDocument {
  const { delivery, receivedAt } = options;
  const { items, pointerOf } = resourcesOf(options.document, options.body);
  const partner = delivery.partner;
  const record = `webhook ${delivery.id} from ${partner.id}`;
  const seen = new Map<string, { pointer: string; text: string }>();

  const unit = (i: number): StreamMessage[] => {
    const item = items[i] as Json;
    const pointer = pointerOf(i);
    const sourceId = `${partner.id}/${delivery.id}#${pointer === '' ? '/' : pointer}`;
    const refuse = (errors: RecordError[]): StreamMessage[] => [
      {
        type: 'invalid',
        sourceId,
        payload: item,
        errors,
        ...(isObject(item) && typeof item.resourceType === 'string' ? { resourceType: item.resourceType } : {}),
      },
    ];
    if (!isObject(item)) {
      return refuse([
        issue('HUB_ERR_MODEL_SCHEMA', pointer, {
          pointer: pointer || '/',
          reason: 'must be an object with a resourceType',
        }),
      ]);
    }
    const type = item.resourceType;
    if (typeof type === 'string' && partner.resource_types && !partner.resource_types.includes(type)) {
      return refuse([issue('HUB_ERR_AUTH_FORBIDDEN', `${pointer}/resourceType`, { scope: `webhook:${type}` })]);
    }
    const requester = isObject(item.requester) ? item.requester.reference : undefined;
    if (type === 'SupplyRequest' && partner.organisation && requester !== `Organization/${partner.organisation}`) {
      return refuse([
        issue('HUB_ERR_MAPPING_UNSUPPORTED', `${pointer}/requester`, {
          record,
          pointer: `${pointer}/requester`,
          reason: `a partner requests in its own name: requester must be Organization/${partner.organisation}, not ${String(requester)}`,
        }),
      ]);
    }
    // The same resource twice in one delivery: once is enough, twice different is an error.
    const key = `${String(type)}/${String(item.id)}`;
    const text = canonicalJson(item);
    const first = seen.get(key);
    if (first !== undefined) {
      if (first.text === text) {
        return [
          {
            type: 'log',
            level: 'info',
            message: `${record}: ${pointer} repeats ${key} of ${first.pointer}; read once`,
          },
        ];
      }
      return refuse([
        issue('HUB_ERR_MAPPING_DUPLICATE', `${pointer}/id`, {
          record,
          pointer: `${pointer}/id`,
          key,
          first: first.pointer,
        }),
      ]);
    }
    seen.set(key, { pointer: pointer || '/', text });

    const { meta, ...rest } = item;
    const ownMeta = isObject(meta)
      ? Object.fromEntries(Object.entries(meta).filter(([k]) => k !== 'lineage'))
      : undefined;
    const resource = {
      ...rest,
      ...(ownMeta && Object.keys(ownMeta).length > 0 ? { meta: ownMeta } : {}),
    } as unknown as CanonicalResource;
    const stamped = withLineage(
      resource,
      lineageOf({
        connector: WEBHOOK_CONNECTOR,
        sourceSystem: partnerSourceSystem(partner.id),
        sourceId,
        payload: item,
        ingestedAt: receivedAt,
      }),
    );
    const v = validateResource(stamped);
    if (!v.valid) return refuse(v.errors.map((e) => ({ ...e, pointer: `${pointer}${e.pointer}` })));
    return [{ type: 'record', data: stamped, sourceId, sourcePayload: item }];
  };
  return { length: items.length, unit, finish: () => [] };
}

function isObject(x: Json | undefined): x is { [k: string]: Json } {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function issue(
  code: 'HUB_ERR_MODEL_SCHEMA' | 'HUB_ERR_AUTH_FORBIDDEN' | 'HUB_ERR_MAPPING_UNSUPPORTED' | 'HUB_ERR_MAPPING_DUPLICATE',
  pointer: string,
  params: Record<string, string>,
): RecordError {
  return { pointer, code, message: formatMessage(code, params) };
}
