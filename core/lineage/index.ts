export { deadLetterId } from './dead-letter-id.js';
export { canonicalJson, lineageOf, sourceHash, withLineage } from './lineage.js';
