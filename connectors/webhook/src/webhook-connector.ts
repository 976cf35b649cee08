/**
 * Signed partner webhooks → canonical records. Push form: `parseDocument` checks a delivery's
 * Standard Webhooks signature with the partner's secret (`signature.ts`), its timestamp against
 * the hub's clock, and that it is no replay, then maps its body (`webhook-mapping.ts`). Pull
 * form: a spool of deliveries as received, one JSON file each
 * (`{ "receivedAt": "…", "headers": { … }, "body": "…" }`), checked the same way against the
 * time each was received.
 */
import { readFileSync } from 'node:fs';
import { HubError, isDateTime, RESOURCE_TYPES } from '../../../core/index.js';
import type { IncomingDocument } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema, Message } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import type { DocumentConnector } from '../../sdk/document.js';
import {
  type DocumentFilesConfig,
  documentMessages,
  listDocumentFiles,
  type MappedDocument,
  readDocumentFiles,
} from '../../sdk/document-files.js';
import { ReplayCache } from './replay-cache.js';
import { HEADERS, verifyDelivery, type WebhookPartner } from './signature.js';
import { mapDelivery, WEBHOOK_CONNECTOR, WEBHOOK_STREAM } from './webhook-mapping.js';

export interface WebhookConfig extends DocumentFilesConfig {
  readonly partners: readonly WebhookPartner[];
  readonly tolerance_seconds: number;
  readonly replay_cache_size: number;
}

/** One spooled delivery, as the API (or a relay) wrote it down. */
export interface SpooledDelivery {
  readonly receivedAt: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received, as text. */
  readonly body: string;
}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

export class WebhookConnector extends ConnectorBase<WebhookConfig> implements DocumentConnector<WebhookConfig> {
  readonly name = WEBHOOK_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/json'] as const;
  protected readonly configSchema = SPEC;
  private replays: ReplayCache | undefined;

  /** The partners are configured; for the pull form, the spool can be listed. */
  protected async checkConnection(config: WebhookConfig): Promise<CheckResult> {
    if (config.partners.length === 0) return { status: 'failed', message: 'no partner is configured (partners)' };
    if (config.path === undefined && config.dir === undefined) {
      return { status: 'succeeded', message: `push form ready for ${config.partners.map((p) => p.id).join(', ')}` };
    }
    listDocumentFiles(this.name, config);
    return { status: 'succeeded' };
  }

  protected streams(): readonly Stream<WebhookConfig>[] {
    return [
      {
        name: WEBHOOK_STREAM,
        resourceTypes: [...RESOURCE_TYPES],
        // Partners resend resources as they change: a record is one resource of one delivery.
        primaryKey: ['meta.lineage.sourceId'],
        read: (config, state, options) => {
          // A spool replays its own deliveries only: a fresh memory per read.
          const replays = new ReplayCache(config.replay_cache_size);
          return readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => this.spooled(source.name, source.bytes, config, replays),
            ...(options.signal ? { signal: options.signal } : {}),
          });
        },
      },
    ];
  }

  /**
   * Checks and maps one pushed delivery, before returning anything. Throws a `HubError` of kind
   * `data`: `HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_WEBHOOK_SIGNATURE`, `HUB_ERR_WEBHOOK_TIMESTAMP`,
   * `HUB_ERR_WEBHOOK_REPLAY` (a `webhook-id` already accepted within the window: refused, not
   * written twice), `HUB_ERR_INGEST_DOCUMENT` (a body that is not resources).
   */
  parseDocument(document: IncomingDocument, config: Partial<WebhookConfig>): Iterable<Message> {
    const resolved = this.resolve(config);
    this.replays ??= new ReplayCache(resolved.replay_cache_size);
    const now = Date.parse(document.receivedAt);
    const messages = this.deliver(
      document.filename ?? `webhook ${document.headers?.[HEADERS.id] ?? '(no id)'}`,
      document.body,
      document.headers,
      Number.isNaN(now) ? Date.now() : now,
      document.receivedAt,
      resolved,
      this.replays,
    );
    return [...documentMessages(WEBHOOK_STREAM, { length: 1, unit: () => messages, finish: () => [] })];
  }

  /**
   * Forgets an accepted delivery, so that the partner's retry of it is accepted: for a caller
   * whose write of its records failed after `parseDocument` returned.
   */
  releaseDelivery(partner: string, id: string): boolean {
    return this.replays?.forget(`${partner}\n${id}`) ?? false;
  }

  /** The ingest service's hook when a delivery's records could not be stored: accept its retry. */
  documentFailed(document: IncomingDocument): void {
    const partner = document.headers?.[HEADERS.partner];
    const id = document.headers?.[HEADERS.id];
    if (partner && id) this.releaseDelivery(partner, id);
  }

  private deliver(
    name: string,
    body: Buffer,
    headers: Readonly<Record<string, string>> | undefined,
    nowMs: number,
    receivedAt: string,
    config: WebhookConfig,
    replays: ReplayCache,
  ): StreamMessage[] {
    if (body.length > config.max_document_bytes) {
      throw new HubError(
        'HUB_ERR_INGEST_TOO_LARGE',
        { name: this.name, limit: config.max_document_bytes },
        { detail: `${name} is ${body.length} bytes` },
      );
    }
    const delivery = verifyDelivery({
      headers,
      body,
      partners: config.partners,
      nowMs,
      toleranceSeconds: config.tolerance_seconds,
    });
    const key = `${delivery.partner.id}\n${delivery.id}`;
    const firstSeen = replays.seen(key, nowMs);
    if (firstSeen !== undefined) {
      throw new HubError('HUB_ERR_WEBHOOK_REPLAY', {
        id: delivery.id,
        partner: delivery.partner.id,
        firstSeen: new Date(firstSeen).toISOString(),
      });
    }
    const mapped = mapDelivery({ document: name, delivery, body, receivedAt });
    const messages = Array.from({ length: mapped.length }, (_, i) => mapped.unit(i)).flat();
    replays.remember(key, nowMs, (delivery.timestamp + config.tolerance_seconds) * 1000);
    return messages;
  }

  /** One spooled delivery, checked against the time it was received. */
  private spooled(name: string, bytes: Buffer, config: WebhookConfig, replays: ReplayCache): MappedDocument {
    let spool: Partial<SpooledDelivery>;
    try {
      spool = JSON.parse(bytes.toString('utf8')) as Partial<SpooledDelivery>;
    } catch (err) {
      throw unreadable(name, `it is not a spooled delivery (JSON): ${(err as Error).message}`);
    }
    const headersOk =
      typeof spool?.headers === 'object' &&
      spool.headers !== null &&
      Object.values(spool.headers).every((v) => typeof v === 'string');
    if (
      typeof spool?.receivedAt !== 'string' ||
      !isDateTime(spool.receivedAt) ||
      !headersOk ||
      typeof spool.body !== 'string'
    ) {
      throw unreadable(
        name,
        'a spooled delivery is { "receivedAt": RFC 3339, "headers": { … }, "body": "<the body as received>" }',
      );
    }
    const messages = this.deliver(
      name,
      Buffer.from(spool.body, 'utf8'),
      spool.headers,
      Date.parse(spool.receivedAt),
      spool.receivedAt,
      config,
      replays,
    );
    // Already mapped, to check the whole delivery first: handed back as one unit.
    return { length: 1, unit: () => messages, finish: () => [] };
  }
}

function unreadable(document: string, reason: string): HubError {
  return new HubError('HUB_ERR_INGEST_DOCUMENT', { name: WEBHOOK_CONNECTOR, reason: `${document}: ${reason}` });
}

export const webhook = new WebhookConnector();
