export { CBV_BIZ_STEPS, CBV_DISPOSITIONS, STEP_MEANINGS, writeOffOf } from './cbv.js';
export { type EpcisConfig, EpcisConnector, epcis, mapEpcisDocument } from './epcis-connector.js';
export { EPCIS_STREAM, EpcisDocumentMapper, type EpcisMappingConfig, eventHash } from './epcis-mapping.js';
export { type Gs1Key, type KeyResult, parseGs1Uri } from './gs1-keys.js';
