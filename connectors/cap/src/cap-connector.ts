/**
 * OASIS CAP 1.2 alerts → Incidents. Pull form: the files of a `path` or `dir` (state kept per
 * file); push form: `parseDocument`, for an alerting authority's POST. Both read the XML with
 * the SDK's safe reader (`sdk/xml.ts`: no DTD, no entity, bounded size and depth) and map it
 * with `mapCapDocument`, so a pushed and a pulled alert give the same record.
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
import { CAP_CONNECTOR, CAP_STREAM, type CapMappingConfig, mapCapDocument } from './cap-mapping.js';

export interface CapConfig extends DocumentFilesConfig, CapMappingConfig {
  readonly max_depth: number;
  readonly max_elements: number;
}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Reads and maps one alert document; throws a `HubError` of kind `data` when it is no alert. */
export function mapCapSource(source: XmlSource, config: CapConfig): MappedDocument {
  return mapCapDocument(parseXml(CAP_CONNECTOR, source, xmlLimitsOf(config)), config);
}

export class CapConnector extends ConnectorBase<CapConfig> implements DocumentConnector<CapConfig> {
  readonly name = CAP_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/cap+xml', 'application/xml', 'text/xml'] as const;
  protected readonly configSchema = SPEC;

  /** Lists the files of the pull form; a push-only config (no path, no dir) has nothing to check. */
  protected async checkConnection(config: CapConfig): Promise<CheckResult> {
    if (config.path === undefined && config.dir === undefined) {
      return { status: 'failed', message: 'set path or dir to pull alerts; a push-only config needs no check' };
    }
    const files = listDocumentFiles(this.name, config);
    return files.length > 0
      ? { status: 'succeeded' }
      : { status: 'succeeded', message: `no ${config.file_extensions.join(' or ')} file yet in ${config.dir}` };
  }

  /** `cap:<path or dir>` for the pull form, `cap` for pushed alerts. */
  override sourceSystem(config: Partial<CapConfig>): string {
    const where = config.path ?? config.dir;
    return where === undefined ? this.name : `${this.name}:${where}`.slice(0, 256);
  }

  protected streams(): readonly Stream<CapConfig>[] {
    return [
      {
        name: CAP_STREAM,
        resourceTypes: ['Incident'],
        // An update is a new version of the same Incident: the version is part of the key.
        primaryKey: ['id', 'meta.versionId'],
        read: (config, state, options) =>
          readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => mapCapSource(source, config),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
      },
    ];
  }

  /**
   * Maps a pushed alert. The whole document is read before anything is returned, so one that
   * cannot be read throws here (`HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_INGEST_DOCUMENT`,
   * `HUB_ERR_XML_UNSAFE`, `HUB_ERR_XML_MALFORMED`, `HUB_ERR_XML_LIMIT`).
   */
  parseDocument(document: IncomingDocument, config: Partial<CapConfig>): Iterable<Message> {
    const resolved = this.resolve(config);
    return [...documentMessages(CAP_STREAM, mapCapSource(xmlSourceOf(document), resolved))];
  }
}

export const cap = new CapConnector();
