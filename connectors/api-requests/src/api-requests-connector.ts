/**
 * Partner supply requests: the connector behind `POST /v1/requests` and the status changes of
 * `PATCH /v1/requests/{id}`, so that a request a partner creates goes through the same path as
 * any source's records (lineage, core's validation, dead letters, the `RecordSink`). Push form:
 * one canonical SupplyRequest as JSON; pull form: JSON files holding a request or an array.
 *
 * Lineage: connector `api-requests`; source system `Organization/<requester>` (the requesting
 * organisation, which the API checks against the caller's data scope), followed by
 * `/pushed-by/<credential>` for a push; source id the request id; source hash over the document
 * as the partner sent it; ingest time the time the hub received it. Whatever `meta` the partner
 * sent other than `tag` is replaced: lineage and versions are the hub's, never the sender's.
 */
import { readFileSync } from 'node:fs';
import { lineageOf, withLineage } from '../../../core/index.js';
import type { CanonicalResource, IncomingDocument } from '../../../core/ports/index.js';
import type { JSONSchema, Message } from '../../sdk/connector.js';
import type { StreamMessage } from '../../sdk/connector-base.js';
import { type DocumentFilesConfig, documentMessages, type MappedDocument } from '../../sdk/document-files.js';
import { DocumentFilesConnectorBase } from '../../sdk/document-files-connector.js';
import { type DocumentSource, isObject, pushedDocumentSource, readJsonDocument } from '../../sdk/json-document.js';

export const API_REQUESTS_CONNECTOR = 'api-requests';
export const API_REQUESTS_STREAM = 'supply_requests';

export type ApiRequestsConfig = DocumentFilesConfig;

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/**
 * The canonical record of one submitted request: the partner's fields, `meta` reduced to its
 * `tag`s plus `lastUpdated` (the time received), and the lineage.
 */
export function canonicalRequest(
  submitted: Readonly<Record<string, unknown>>,
  at: { readonly receivedAt: string; readonly pushedBy?: string | undefined },
): CanonicalResource {
  const meta = isObject(submitted.meta) ? submitted.meta : {};
  const record = {
    ...submitted,
    meta: { ...(meta.tag === undefined ? {} : { tag: meta.tag }), lastUpdated: at.receivedAt },
  } as CanonicalResource;
  const requester = isObject(submitted.requester) ? submitted.requester.reference : undefined;
  const org = typeof requester === 'string' ? requester : 'Organization/unknown';
  return withLineage(
    record,
    lineageOf({
      connector: API_REQUESTS_CONNECTOR,
      sourceSystem: (at.pushedBy === undefined ? org : `${org}/pushed-by/${at.pushedBy}`).slice(0, 256),
      sourceId: typeof submitted.id === 'string' && submitted.id !== '' ? submitted.id : 'unknown',
      payload: submitted,
      ingestedAt: at.receivedAt,
    }),
  );
}

/** Maps a document of requests: one object, or an array of them. */
export function mapRequests(
  source: DocumentSource,
  config: ApiRequestsConfig,
  at: { readonly receivedAt: string; readonly pushedBy?: string | undefined },
): MappedDocument {
  const value = readJsonDocument(API_REQUESTS_CONNECTOR, source, config.max_document_bytes);
  const items = Array.isArray(value) ? value : [value];
  return {
    length: items.length,
    unit(i): StreamMessage[] {
      const item = items[i];
      if (!isObject(item) || item.resourceType !== 'SupplyRequest') {
        return [
          {
            type: 'invalid',
            payload: item ?? null,
            resourceType: 'SupplyRequest',
            ...(isObject(item) && typeof item.id === 'string' ? { sourceId: item.id } : {}),
            errors: [
              {
                pointer: isObject(item) ? '/resourceType' : '',
                code: 'HUB_ERR_MAPPING_UNSUPPORTED',
                message: `${source.name}: a supply request is a JSON object with "resourceType": "SupplyRequest"`,
              },
            ],
          },
        ];
      }
      const record = canonicalRequest(item, at);
      return [
        { type: 'record', data: record, sourceId: record.meta?.lineage?.sourceId ?? record.id, sourcePayload: item },
      ];
    },
    finish: () => [],
  };
}

export class ApiRequestsConnector extends DocumentFilesConnectorBase<ApiRequestsConfig> {
  readonly name = API_REQUESTS_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/json'] as const;
  protected readonly configSchema = SPEC;
  protected readonly stream = {
    name: API_REQUESTS_STREAM,
    resourceTypes: ['SupplyRequest'],
    // A status change is a new version of the same request.
    primaryKey: ['id', 'meta.lastUpdated'],
  };
  protected override readonly documentNoun = 'request files';

  /** A file's requests are dated by the file's read time. */
  protected mapDocument(source: DocumentSource, config: ApiRequestsConfig): MappedDocument {
    return mapRequests(source, config, { receivedAt: new Date().toISOString() });
  }

  /** A pushed request is dated by its receipt, and its lineage names who pushed it. */
  override parseDocument(document: IncomingDocument, config: Partial<ApiRequestsConfig>): Iterable<Message> {
    const mapped = mapRequests(pushedDocumentSource(document), this.resolve(config), {
      receivedAt: document.receivedAt,
      pushedBy: document.pushedBy,
    });
    return [...documentMessages(this.stream.name, mapped)];
  }
}

export const apiRequests = new ApiRequestsConnector();
