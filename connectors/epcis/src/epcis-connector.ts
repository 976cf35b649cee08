/**
 * GS1 EPCIS 2.0 documents, JSON or JSON-LD, for chain of custody. Pull form: the files of a
 * `path` or `dir` (state kept per file, see `document-files.ts`); push form: `parseDocument`,
 * for a partner's POST. Both go through `EpcisDocumentMapper`, so a pushed and a pulled
 * document give the same records, with ids taken from the events themselves.
 */
import { readFileSync } from 'node:fs';
import type { JSONSchema } from '../../sdk/connector.js';
import type { DocumentFilesConfig, MappedDocument } from '../../sdk/document-files.js';
import { DocumentFilesConnectorBase } from '../../sdk/document-files-connector.js';
import { type DocumentSource, readJsonDocument } from '../../sdk/json-document.js';
import { EPCIS_CONNECTOR, EPCIS_STREAM, EpcisDocumentMapper, type EpcisMappingConfig } from './epcis-mapping.js';

export interface EpcisConfig extends DocumentFilesConfig, EpcisMappingConfig {}

const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;
const DEFAULT_MAX_BYTES = (SPEC.properties as { max_document_bytes: { default: number } }).max_document_bytes.default;

/** Maps one EPCIS document (`HUB_ERR_INGEST_*` when it cannot be read as one). */
export function mapEpcisDocument(source: DocumentSource, config: EpcisConfig): MappedDocument {
  const value = readJsonDocument(EPCIS_CONNECTOR, source, config.max_document_bytes);
  return new EpcisDocumentMapper(source.name, value, config);
}

export class EpcisConnector extends DocumentFilesConnectorBase<EpcisConfig> {
  readonly name = EPCIS_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/ld+json', 'application/json'] as const;
  protected readonly configSchema = SPEC;
  protected readonly stream = {
    name: EPCIS_STREAM,
    resourceTypes: ['StockMovement', 'Shipment'],
    primaryKey: ['id'],
  };

  protected mapDocument(source: DocumentSource, config: EpcisConfig): MappedDocument {
    return mapEpcisDocument(source, config);
  }
}

export const epcis = new EpcisConnector();
