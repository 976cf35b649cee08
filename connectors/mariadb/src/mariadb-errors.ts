/**
 * MariaDB / MySQL failures, split the Kafka Connect way into retriable and fatal:
 * - the server is unreachable, went away, killed the connection, is overloaded, or a
 *   transaction lost a lock race: `HUB_ERR_CONNECTOR_SOURCE` (transient, retried by the runtime);
 * - the server refuses the configured access (password, database, table, column, privilege, a
 *   query that does not parse): `HUB_ERR_CONNECTOR_SOURCE_REFUSED` (config, the run stops);
 * - anything else is a bug: `HUB_ERR_CONNECTOR_CRASHED`.
 */
import { HubError } from '../../../core/errors/index.js';

/** Node socket errors that a retry may cure. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Server and driver errors that a retry may cure. */
const TRANSIENT = new Set([
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  'ER_STATEMENT_TIMEOUT',
  'ER_CONNECTION_TIMEOUT',
  'ER_SOCKET_TIMEOUT',
  'ER_CMD_CONNECTION_CLOSED',
  'ER_CLOSING_POOL',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
]);

/** The configured access or query is wrong: retrying will not help. */
const REFUSED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_PARSE_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_DUP_FIELDNAME',
  'ER_NON_UNIQ_ERROR',
  'ER_WRONG_ARGUMENTS',
  'ER_DERIVED_MUST_HAVE_ALIAS',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
  'ER_PASSWORD_EXPIRED',
]);

export function classifyMariaDbError(name: string, err: unknown): HubError {
  const e = err as { code?: unknown; sqlState?: unknown; fatal?: unknown; message?: unknown; sqlMessage?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const sqlState = typeof e?.sqlState === 'string' ? e.sqlState : '';
  // The driver appends the statement to its message; the server's own text is enough.
  const text =
    typeof e?.sqlMessage === 'string' ? e.sqlMessage : typeof e?.message === 'string' ? e.message : String(err);
  const reason = code === '' ? text : `${text} (${code})`;
  if (REFUSED.has(code) || sqlState === '28000' || sqlState === '3D000' || sqlState.startsWith('42')) {
    return new HubError('HUB_ERR_CONNECTOR_SOURCE_REFUSED', { name, reason }, { cause: err });
  }
  if (NETWORK.has(code) || TRANSIENT.has(code) || sqlState.startsWith('08') || e?.fatal === true) {
    return new HubError('HUB_ERR_CONNECTOR_SOURCE', { name, reason }, { cause: err });
  }
  return new HubError('HUB_ERR_CONNECTOR_CRASHED', { name, reason }, { cause: err });
}
