/**
 * OASIS EDXL-RM 1.0 resource messages → SupplyRequests and Shipments. Pull form: the files of
 * a `path` or `dir` (state kept per file); push form: `parseDocument`, for a partner's POST.
 * Both read the XML with the SDK's safe reader (`sdk/xml.ts`: no DTD, no entity, bounded size
 * and depth) and map it with `mapRmDocument`, so a pushed and a pulled message give the same
 * records.
 */
import { readFileSync } from 'node:fs';
import type { IncomingDocument } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema, Message } from '../../sdk/connector.js';
import { ConnectorBase, type Stream } from '../../sdk/connector-base.js';
import type { DocumentConnector } from '../../sdk/document.js';
import {
  type DocumentFilesConfig,
  documentMessages,
  listDocumentFiles,
  type MappedDocument,
  readDocumentFiles,
} from '../../sdk/document-files.js';
import { parseXml, type XmlSource, xmlLimitsOf, xmlSourceOf } from '../../sdk/xml.js';
import { mapRmDocument, RM_CONNECTOR, RM_STREAM, type RmMappingConfig } from './rm-mapping.js';

export interface EdxlRmConfig extends DocumentFilesConfig, RmMappingConfig {
  readonly max_depth: number;
  readonly max_elements: number;
}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Reads and maps one message; throws a `HubError` of kind `data` when it is no EDXL-RM message. */
export function mapRmSource(source: XmlSource, config: EdxlRmConfig): MappedDocument {
  return mapRmDocument(parseXml(RM_CONNECTOR, source, xmlLimitsOf(config)), config);
}

export class EdxlRmConnector extends ConnectorBase<EdxlRmConfig> implements DocumentConnector<EdxlRmConfig> {
  readonly name = RM_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/xml', 'text/xml'] as const;
  protected readonly configSchema = SPEC;

  /** Lists the files of the pull form; a push-only config (no path, no dir) has nothing to check. */
  protected async checkConnection(config: EdxlRmConfig): Promise<CheckResult> {
    if (config.path === undefined && config.dir === undefined) {
      return { status: 'failed', message: 'set path or dir to pull messages; a push-only config needs no check' };
    }
    const files = listDocumentFiles(this.name, config);
    return files.length > 0
      ? { status: 'succeeded' }
      : { status: 'succeeded', message: `no ${config.file_extensions.join(' or ')} file yet in ${config.dir}` };
  }

  /** `edxl-rm:<path or dir>` for the pull form, `edxl-rm` for pushed messages. */
  override sourceSystem(config: Partial<EdxlRmConfig>): string {
    const where = config.path ?? config.dir;
    return where === undefined ? this.name : `${this.name}:${where}`.slice(0, 256);
  }

  protected streams(): readonly Stream<EdxlRmConfig>[] {
    return [
      {
        name: RM_STREAM,
        resourceTypes: ['SupplyRequest', 'Shipment'],
        // A report is a new version of the shipment its commit created: the version is part of the key.
        primaryKey: ['resourceType', 'id', 'meta.versionId'],
        read: (config, state, options) =>
          readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => mapRmSource(source, config),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
      },
    ];
  }

  /**
   * Maps a pushed message. The whole document is read before anything is returned, so one that
   * cannot be read throws here (`HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_INGEST_DOCUMENT`,
   * `HUB_ERR_XML_UNSAFE`, `HUB_ERR_XML_MALFORMED`, `HUB_ERR_XML_LIMIT`).
   */
  parseDocument(document: IncomingDocument, config: Partial<EdxlRmConfig>): Iterable<Message> {
    const resolved = this.resolve(config);
    return [...documentMessages(RM_STREAM, mapRmSource(xmlSourceOf(document), resolved))];
  }
}

export const edxlRm = new EdxlRmConnector();
