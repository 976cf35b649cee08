/** The connector SDK: the contract, the base class, the runtime. Test helpers: `./testing/`. */

export {
  type ConfigResult,
  REDACTED,
  redactConfig,
  resolveConfig,
  SECRET_KEYWORD,
  secretPaths,
  secretRedactor,
  validateConfig,
} from './config.js';
export type {
  Catalog,
  CheckResult,
  Connector,
  ConnectorState,
  InvalidMessage,
  JSONSchema,
  LogLevel,
  LogMessage,
  Message,
  ReadOptions,
  RecordError,
  RecordMessage,
  StateMessage,
  StreamDescriptor,
} from './connector.js';
export { ConnectorBase, type Stream, type StreamMessage } from './connector-base.js';
export { type DocumentConnector, isDocumentConnector } from './document.js';
export {
  acceptsMediaType,
  createIngestService,
  type DocumentIngestService,
  type DocumentLimits,
  INGEST_DEFAULTS,
  type IngestServiceOptions,
} from './ingest-service.js';
export { backoffDelay, isTransient, type RetryPolicy, withRetry } from './retry.js';
export {
  type AdmitContext,
  admitMessage,
  type ConnectorStatus,
  connectorStatus,
  type FailureBudget,
  noteCommit,
  RUNTIME_DEFAULTS,
  type RunOptions,
  type RunProgress,
  type RunReport,
  type RunStatus,
  resetConnectorStatus,
  runConnector,
  type StreamRunReport,
  stampLineage,
} from './runtime.js';
