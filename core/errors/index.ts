export { type CatalogueEntry, ERRORS, type ErrorCode, type ErrorKind, formatMessage } from './catalogue.js';
export { type ErrorParams, HubError, isHubError } from './hub-error.js';
export { migrationFailure } from './migration-failure.js';
