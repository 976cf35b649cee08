export {
  LEDGER_COLUMNS,
  type LedgerRow,
  type MappingResult,
  mapLedgerRow,
  movementId,
  type ReplacedRow,
  reversalId,
  reversalOf,
} from './ledger-mapping.js';
export { classifyPgError } from './pg-errors.js';
export {
  historyTable,
  LEDGER_DDL,
  type LedgerBatchCursor,
  type LedgerCursor,
  type PostgresLedgerConfig,
  PostgresLedgerConnector,
  postgresLedger,
} from './postgres-ledger-connector.js';
