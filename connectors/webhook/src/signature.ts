/**
 * Signed webhooks in the Standard Webhooks form (https://www.standardwebhooks.com/), plus one
 * header of the hub's, `x-hub-partner`, that says whose secret to check with:
 *
 *   x-hub-partner:      crm-souss-massa
 *   webhook-id:         msg_2mWnBc7bq1XkF            (unique per delivery; a retry reuses it)
 *   webhook-timestamp:  1725728400                   (Unix seconds)
 *   webhook-signature:  v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">
 *
 * The signature header may carry several space-separated `v1,…` values (a sender rotating its
 * secret signs with both); one that matches is enough. A secret written `whsec_<base64>` is
 * the base64-decoded key, as Standard Webhooks libraries issue them; any other string is its
 * UTF-8 bytes. Signatures are compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../core/errors/index.js';

/** A partner as the config declares it. */
export interface WebhookPartner {
  /** snake/kebab id, sent as `x-hub-partner`; also the lineage's source system. */
  readonly id: string;
  /** The shared secret. */
  readonly secret: string;
  /** The partner's own Organization id: a SupplyRequest it sends must be requested by it. */
  readonly organisation?: string;
  /** The resource types it may send; all when absent. */
  readonly resource_types?: readonly string[];
}

/** A delivery whose signature and timestamp were checked. */
export interface VerifiedDelivery {
  readonly partner: WebhookPartner;
  readonly id: string;
  /** Unix seconds, as signed. */
  readonly timestamp: number;
}

export const HEADERS = {
  partner: 'x-hub-partner',
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** The `v1` signature of a delivery, base64. */
export function signature(secret: string, id: string, timestamp: number | string, body: Buffer | string): string {
  return createHmac('sha256', keyOf(secret))
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
}

/**
 * The headers a partner sends with `body`: what its webhook client does, here for tests and the
 * partners' guide.
 */
export function signDelivery(delivery: {
  readonly partner: string;
  readonly secret: string;
  readonly id: string;
  readonly timestamp: number;
  readonly body: Buffer | string;
}): Record<string, string> {
  return {
    [HEADERS.partner]: delivery.partner,
    [HEADERS.id]: delivery.id,
    [HEADERS.timestamp]: String(delivery.timestamp),
    [HEADERS.signature]: `v1,${signature(delivery.secret, delivery.id, delivery.timestamp, delivery.body)}`,
  };
}

/**
 * Checks a delivery's headers against `partners` and the clock `nowMs`. Throws a `HubError` of
 * kind `data`: `HUB_ERR_WEBHOOK_SIGNATURE` (a header missing, an unknown partner, no matching
 * signature) or `HUB_ERR_WEBHOOK_TIMESTAMP` (outside `toleranceSeconds` either way).
 */
export function verifyDelivery(options: {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly body: Buffer;
  readonly partners: readonly WebhookPartner[];
  readonly nowMs: number;
  readonly toleranceSeconds: number;
}): VerifiedDelivery {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  const absent = Object.values(HEADERS).filter((h) => (headers[h] ?? '').trim() === '');
  if (absent.length > 0) {
    throw new HubError('HUB_ERR_WEBHOOK_SIGNATURE', {
      reason: `the header${absent.length > 1 ? 's' : ''} ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} missing`,
    });
  }
  const partnerId = (headers[HEADERS.partner] as string).trim();
  const id = (headers[HEADERS.id] as string).trim();
  const ts = (headers[HEADERS.timestamp] as string).trim();
  const partner = options.partners.find((p) => p.id === partnerId);
  if (!partner) throw new HubError('HUB_ERR_WEBHOOK_SIGNATURE', { reason: `no partner ${partnerId} is configured` });
  if (!/^\d{1,12}$/.test(ts)) {
    throw new HubError('HUB_ERR_WEBHOOK_SIGNATURE', {
      reason: `webhook-timestamp ${ts.slice(0, 40)} of partner ${partnerId} is not Unix seconds`,
    });
  }
  const expected = Buffer.from(signature(partner.secret, id, ts, options.body), 'base64');
  let matched = false;
  for (const entry of (headers[HEADERS.signature] as string).split(/\s+/)) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const given = Buffer.from(value, 'base64');
    // timingSafeEqual needs equal lengths; a length differs for every wrong signature anyway.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) {
    throw new HubError('HUB_ERR_WEBHOOK_SIGNATURE', {
      reason: `no v1 signature of webhook ${id.slice(0, 128)} from partner ${partnerId} matches its body (a wrong secret, or a body changed on the way)`,
    });
  }
  const timestamp = Number(ts);
  const skew = Math.round(options.nowMs / 1000 - timestamp);
  if (Math.abs(skew) > options.toleranceSeconds) {
    throw new HubError('HUB_ERR_WEBHOOK_TIMESTAMP', {
      id,
      partner: partnerId,
      timestamp,
      skew: Math.abs(skew),
      direction: skew > 0 ? 'behind' : 'ahead of',
      tolerance: options.toleranceSeconds,
    });
  }
  return { partner, id, timestamp };
}
