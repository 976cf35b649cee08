export { type CapConfig, CapConnector, cap, mapCapSource } from './cap-connector.js';
export {
  CAP_CONNECTOR,
  CAP_EXTENSION,
  CAP_NS,
  CAP_STREAM,
  type CapMappingConfig,
  type CapReference,
  capIdentifierSystem,
  capIncidentId,
  mapCapDocument,
} from './cap-mapping.js';
export { incidentTypeOf, TYPE_NAMES } from './cap-vocabulary.js';
export { REGIONS, regionOfGeocode, regionsInText } from './morocco-areas.js';
