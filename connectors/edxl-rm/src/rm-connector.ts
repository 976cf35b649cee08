/**
 * OASIS EDXL-RM 1.0 resource messages → SupplyRequests and Shipments. Pull form: the files of
 * a `path` or `dir` (state kept per file); push form: `parseDocument`, for a partner's POST.
 * Both read the XML with the SDK's safe reader (`sdk/xml.ts`: no DTD, no entity, bounded size
 * and depth) and map it with `mapRmDocument`, so a pushed and a pulled message give the same
 * records.
 */
import { readFileSync } from 'node:fs';
import type { JSONSchema } from '../../sdk/connector.js';
import type { DocumentFilesConfig, MappedDocument } from '../../sdk/document-files.js';
import { DocumentFilesConnectorBase } from '../../sdk/document-files-connector.js';
import type { DocumentSource } from '../../sdk/json-document.js';
import { parseXml, type XmlSource, xmlLimitsOf } from '../../sdk/xml.js';
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

export class EdxlRmConnector extends DocumentFilesConnectorBase<EdxlRmConfig> {
  readonly name = RM_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/xml', 'text/xml'] as const;
  protected readonly configSchema = SPEC;
  protected readonly stream = {
    name: RM_STREAM,
    resourceTypes: ['SupplyRequest', 'Shipment'],
    // A report is a new version of the shipment its commit created: the version is part of the key.
    primaryKey: ['resourceType', 'id', 'meta.versionId'],
  };
  protected override readonly documentNoun = 'messages';

  protected mapDocument(source: DocumentSource, config: EdxlRmConfig): MappedDocument {
    return mapRmSource(source, config);
  }
}

export const edxlRm = new EdxlRmConnector();
