/**
 * HL7 FHIR R5 supply Bundles from partners (a regional hospital, the Red Crescent). Pull form:
 * the files of a `path` or `dir` (state kept per file); push form: `parseDocument`, for a
 * partner's POST. Both go through `FhirBundleMapper`, so a pushed and a pulled Bundle give the
 * same records. The file and JSON handling is shared with the other document connectors (`connectors/sdk/document-files.ts`).
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
import { FHIR_CONNECTOR, FHIR_STREAM, FhirBundleMapper, type FhirMappingConfig } from './fhir-mapping.js';

export interface FhirConfig extends DocumentFilesConfig, FhirMappingConfig {}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Maps one Bundle (`HUB_ERR_INGEST_*` when it cannot be read as one). */
export function mapFhirBundle(source: DocumentSource, config: FhirConfig): MappedDocument {
  const value = readJsonDocument(FHIR_CONNECTOR, source, config.max_document_bytes);
  return new FhirBundleMapper(source.name, value, config);
}

export class FhirConnector extends ConnectorBase<FhirConfig> implements DocumentConnector<FhirConfig> {
  readonly name = FHIR_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/fhir+json', 'application/json'] as const;
  protected readonly configSchema = SPEC;

  /** Lists the files of the pull form; a push-only config (no path, no dir) has nothing to check. */
  protected async checkConnection(config: FhirConfig): Promise<CheckResult> {
    if (config.path === undefined && config.dir === undefined) {
      return { status: 'failed', message: 'set path or dir to pull files; a push-only config needs no check' };
    }
    const files = listDocumentFiles(this.name, config);
    return files.length > 0
      ? { status: 'succeeded' }
      : { status: 'succeeded', message: `no ${config.file_extensions.join(' or ')} file yet in ${config.dir}` };
  }

  /** The config's `source_system` (`fhir` by default), which names the partner. */
  override sourceSystem(config: Partial<FhirConfig>): string {
    return this.resolve(config).source_system;
  }

  protected streams(): readonly Stream<FhirConfig>[] {
    return [
      {
        name: FHIR_STREAM,
        resourceTypes: ['SupplyRequest', 'StockMovement', 'Shipment', 'StockSnapshot'],
        primaryKey: ['id'],
        read: (config, state, options) =>
          readDocumentFiles({
            connector: this.name,
            config,
            state,
            parse: (source) => mapFhirBundle(source, config),
            ...(options.signal ? { signal: options.signal } : {}),
          }),
      },
    ];
  }

  /**
   * Maps a pushed Bundle (or a single SupplyRequest, SupplyDelivery or InventoryReport). Reads
   * and checks the whole document before returning, so one that cannot be read throws here.
   */
  parseDocument(document: IncomingDocument, config: Partial<FhirConfig>): Iterable<Message> {
    const resolved = this.resolve(config);
    const source: DocumentSource = {
      name: pushedDocumentName(document),
      bytes: document.body,
      ...(document.contentType === undefined ? {} : { contentType: document.contentType }),
    };
    return documentMessages(FHIR_STREAM, mapFhirBundle(source, resolved));
  }
}

export const fhir = new FhirConnector();
