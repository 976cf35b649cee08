export {
  type MappingOptions,
  type MappingResult,
  mapRow,
  type ProductCatalogue,
  type RowInput,
  type SourceValue,
} from './canonical-mapping.js';
export { CANONICAL_TYPES, type CanonicalType, FIELDS, type FieldDef, fieldDefs } from './fields.js';
export {
  type FileEntry,
  type FilesConfig,
  FilesConnector,
  type FilesState,
  files,
  MAX_DOCUMENT_BYTES,
  XLSX_MEDIA_TYPE,
} from './files-connector.js';
export { type HxlTag, isHashtagRow, matchesHxl, parseHxlPattern, parseHxlTag } from './hxl.js';
export { movementType, normalizeKey, parseDate, parseDateTime, parseNumber } from './values.js';
