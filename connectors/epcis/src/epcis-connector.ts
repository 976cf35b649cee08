/**
 * GS1 EPCIS 2.0 documents, JSON or JSON-LD, for chain of custody. Pull form: the files of a
 * `path` or `dir` (state kept per file, see `document-files.ts`); push form: `parseDocument`,
 * for a partner's POST. Both go through `EpcisDocumentMapper`, so a pushed and a pulled
 * document give the same records, with ids taken from the events themselves.
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
import { type DocumentSource, pushedDocumentName, readJsonDocument } from '../../sdk/json-document.js';
import { EPCIS_CONNECTOR, EPCIS_STREAM, EpcisDocumentMapper, type EpcisMappingConfig } from './epcis-mapping.js';

export interface EpcisConfig extends DocumentFilesConfig, EpcisMappingConfig {}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Maps one EPCIS document (`HUB_ERR_INGEST_*` when it cannot be read as one). */
export function mapEpcisDocument(source: DocumentSource, config: EpcisConfig): MappedDocument {
  const value = readJsonDocument(EPCIS_CONNECTOR, source, config.max_document_bytes);
  return new EpcisDocumentMapper(source.name, value, config);
}

export class EpcisConnector extends ConnectorBase<EpcisConfig> implements DocumentConnector<EpcisConfig> {
  readonly name = EPCIS_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/ld+json', 'application/json'] as const;
  protected readonly configSchema = SPEC;

  /** Lists the files of the pull form; a push-only config (no path, no dir) has nothing to check. */
  protected async checkConnection(config: EpcisConfig): Promise<CheckResult> {
    if (config.path === undefined && config.dir === undefined) {
      return { status: 'failed', message: 'set path or dir to pull files; a push-only config needs no check' };
    }
    const files = listDocumentFiles(this.name, config);
    return files.length > 0
      ? { status: 'succeeded' }
      : { status: 'succeeded', message: `no ${config.file_extensions.join(' or ')} file yet in ${config.dir}` };
  }

  /** `epcis:<path or dir>` for the pull form, `epcis` for pushed documents. */
  override sourceSystem(config: Partial<EpcisConfig>): string {
    const where = config.path ?? config.dir;
    return where === undefined ? this.name : `${this.name}:${where}`.slice(0, 256);
  }

  protected streams(): readonly Stream<EpcisConfig>[] {
    return [
      {
        name: EPCIS_STREAM,
        resourceTypes: ['StockMovement', 'Shipment'],
        primaryKey: ['id'],
        read: (config, state, options) =>
          readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => mapEpcisDocument(source, config),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
      },
    ];
  }

  /**
   * Maps a pushed document. Reads and checks the whole document before returning, so a document
   * that cannot be read throws here (`HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_INGEST_DOCUMENT`).
   */
  parseDocument(document: IncomingDocument, config: Partial<EpcisConfig>): Iterable<Message> {
    const resolved = this.resolve(config);
    const source: DocumentSource = {
      name: pushedDocumentName(document),
      bytes: document.body,
      ...(document.contentType === undefined ? {} : { contentType: document.contentType }),
    };
    return documentMessages(EPCIS_STREAM, mapEpcisDocument(source, resolved));
  }
}

export const epcis = new EpcisConnector();
