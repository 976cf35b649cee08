/**
 * OASIS CAP 1.2 alerts → Incidents. Pull form: the files of a `path` or `dir` (state kept per
 * file); push form: `parseDocument`, for an alerting authority's POST. Both read the XML with
 * the SDK's safe reader (`sdk/xml.ts`: no DTD, no entity, bounded size and depth) and map it
 * with `mapCapDocument`, so a pushed and a pulled alert give the same record.
 */
import { readFileSync } from 'node:fs';
import type { JSONSchema } from '../../sdk/connector.js';
import type { DocumentFilesConfig, MappedDocument } from '../../sdk/document-files.js';
import { DocumentFilesConnectorBase } from '../../sdk/document-files-connector.js';
import type { DocumentSource } from '../../sdk/json-document.js';
import { parseXml, type XmlSource, xmlLimitsOf } from '../../sdk/xml.js';
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

export class CapConnector extends DocumentFilesConnectorBase<CapConfig> {
  readonly name = CAP_CONNECTOR;
  readonly maxDocumentBytes = DEFAULT_MAX_BYTES;
  readonly acceptedMediaTypes = ['application/cap+xml', 'application/xml', 'text/xml'] as const;
  protected readonly configSchema = SPEC;
  protected readonly stream = {
    name: CAP_STREAM,
    resourceTypes: ['Incident'],
    // An update is a new version of the same Incident: the version is part of the key.
    primaryKey: ['id', 'meta.versionId'],
  };
  protected override readonly documentNoun = 'alerts';

  protected mapDocument(source: DocumentSource, config: CapConfig): MappedDocument {
    return mapCapSource(source, config);
  }
}

export const cap = new CapConnector();
