export { ERRORS, type CatalogueEntry, type ErrorCode, type ErrorKind } from './catalogue.js';
export { HubError, isHubError, type ErrorParams } from './hub-error.js';
