/**
 * PostgreSQL failures, split the Kafka Connect way into retriable and fatal:
 * - the server is unreachable, restarting, overloaded, or a transaction lost a race:
 *   `HUB_ERR_CONNECTOR_SOURCE` (transient, retried by the runtime);
 * - the server refuses the configured access (password, database, schema, table, columns,
 *   privileges): `HUB_ERR_CONNECTOR_SOURCE_REFUSED` (config, the run stops);
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

/** SQLSTATE classes (first two characters): connection, resources, operator intervention, rollback. */
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '40']);
/** Authorisation, catalog/schema names, syntax or access rule (missing table, column, privilege). */
const REFUSED_CLASSES = new Set(['28', '3D', '3F', '42']);

export function classifyPgError(name: string, err: unknown): HubError {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  const reason = code === '' ? message : `${message} (${code})`;
  if (
    NETWORK.has(code) ||
    TRANSIENT_CLASSES.has(code.slice(0, 2)) ||
    // A connection the server dropped: `pg` says "terminated", then "not queryable".
    /timeout|terminated|not queryable/i.test(message)
  ) {
    return new HubError('HUB_ERR_CONNECTOR_SOURCE', { name, reason }, { cause: err });
  }
  if (code.length === 5 && REFUSED_CLASSES.has(code.slice(0, 2))) {
    return new HubError('HUB_ERR_CONNECTOR_SOURCE_REFUSED', { name, reason }, { cause: err });
  }
  return new HubError('HUB_ERR_CONNECTOR_CRASHED', { name, reason }, { cause: err });
}
