export {
  LEDGER_DDL,
  PostgresLedgerConnector,
  postgresLedger,
  type LedgerCursor,
  type PostgresLedgerConfig,
} from './postgres-ledger-connector.js';
export { LEDGER_COLUMNS, mapLedgerRow, type LedgerRow, type MappingResult } from './ledger-mapping.js';
export { classifyPgError } from './pg-errors.js';
