export { type FhirConfig, FhirConnector, fhir, mapFhirBundle } from './fhir-connector.js';
export {
  FHIR_PRIORITIES,
  FHIR_STREAM,
  FhirBundleMapper,
  type FhirMappingConfig,
  type FhirPriority,
  moreUrgent,
  SUPPLY_REQUEST_STATUS,
} from './fhir-mapping.js';
