/**
 * HL7 FHIR R5 supply Bundles from partners (a regional hospital, the Red Crescent). Pull form:
 * the files of a `path` or `dir` (state kept per file); push form: `parseDocument`, for a
 * partner's POST. Both go through `FhirBundleMapper`, so a pushed and a pulled Bundle give the
 * same records. The file and JSON handling is shared with the other document connectors (`connectors/sdk/document-files.ts`).
 */
import { readFileSync } from 'node:fs';
import type { JSONSchema } from '../../sdk/connector.js';
import type { DocumentFilesConfig, MappedDocument } from '../../sdk/document-files.js';
import { DocumentFilesConnectorBase } from '../../sdk/document-files-connector.js';
import { type DocumentSource, readJsonDocument } from '../../sdk/json-document.js';
import { FHIR_CONNECTOR, FHIR_STREAM, FhirBundleMapper, type FhirMappingConfig } from './fhir-mapping.js';

export interface FhirConfig extends DocumentFilesConfig, FhirMappingConfig {}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Maps one Bundle (`HUB_ERR_INGEST_*` when it cannot be read as one). */
export function mapFhirBundle(source: DocumentSource, config: FhirConfig): MappedDocument {
  const value = readJsonDocument(FHIR_CONNECTOR, source, config.max_document_bytes);
  return new FhirBundleMapper(source.name, value, config);
}

export class FhirConnector extends DocumentFilesConnectorBase<FhirConfig> {
  readonly name = FHIR_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/fhir+json', 'application/json'] as const;
  protected readonly configSchema = SPEC;
  protected readonly stream = {
    name: FHIR_STREAM,
    resourceTypes: ['SupplyRequest', 'StockMovement', 'Shipment', 'StockSnapshot'],
    primaryKey: ['id'],
  };

  /** The config's `source_system` (`fhir` by default), which names the partner. */
  override sourceSystem(config: Partial<FhirConfig>): string {
    return this.resolve(config).source_system;
  }

  protected mapDocument(source: DocumentSource, config: FhirConfig): MappedDocument {
    return mapFhirBundle(source, config);
  }
}

export const fhir = new FhirConnector();
