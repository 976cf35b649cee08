/** The connector SDK: the contract, the base class, the runtime. Test helpers: `./testing/`. */
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
export { isDocumentConnector, type DocumentConnector } from './document.js';
export {
  REDACTED,
  SECRET_KEYWORD,
  redactConfig,
  resolveConfig,
  secretPaths,
  secretRedactor,
  validateConfig,
  type ConfigResult,
} from './config.js';
export { backoffDelay, isTransient, withRetry, type RetryPolicy } from './retry.js';
export {
  RUNTIME_DEFAULTS,
  connectorStatus,
  resetConnectorStatus,
  runConnector,
  stampLineage,
  type ConnectorStatus,
  type FailureBudget,
  type RunOptions,
  type RunProgress,
  type RunReport,
  type RunStatus,
  type StreamRunReport,
} from './runtime.js';
