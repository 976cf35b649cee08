/**
 * The ClickHouse HTTP client, configured to work with the 18.16 server of CI as well as with
 * current releases, and the mapping of its failures onto the error catalogue.
 *
 * What @clickhouse/client 1.x sends, checked against 18.16.1: `query_id` and `database` as URL
 * parameters, settings as URL parameters, the query in the POST body, JSONEachRow bodies for
 * INSERT. 18.16 accepts all of it, including the settings newer clients like to send
 * (`wait_end_of_query`, `send_progress_in_http_headers`, `http_headers_progress_interval_ms`,
 * `enable_http_compression`) and `session_id`. The one thing it refuses is `query_params`
 * (`param_x=…` → "Unknown setting param_x"): 18.16 has no `{name:Type}` substitution, so
 * every value is inlined by warehouse/sql/literal.ts and `query_params` is never used. The
 * client's own logger is silenced: failures reach the caller as `HubError`s instead.
 *
 * Also from 18.16: its exceptions read `Code: 60, e.displayText() = DB::Exception: …`, which
 * the client's parser does not recognise (it expects `Code: 60. DB::Exception:`), so the
 * code is parsed here from the message. And 18.16 parses floats in text formats (JSONEachRow)
 * with a fast, inexact parser: `29.6974` may be stored one ULP away. Sums are immune (they are
 * taken in integer micro-units) and coordinates are reported rounded (warehouse-queries.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { HubError, isHubError } from '../../core/errors/index.js';

/** Connection settings; every field documents its default. */
export interface ClickHouseConnectionOptions {
  /** HTTP endpoint, e.g. `http://127.0.0.1:8123`. Credentials may sit in the URL. */
  readonly url: string;
  /** Database of the hub's tables. Default `hub`. Letters, digits and `_` only. */
  readonly database?: string;
  /** Default: from the URL, else `default`. */
  readonly username?: string;
  /** Default: from the URL, else empty. */
  readonly password?: string;
  /** Milliseconds before a request is abandoned (→ `HUB_ERR_WAREHOUSE_UNAVAILABLE`). Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Concurrent HTTP connections. Default 10. */
  readonly maxOpenConnections?: number;
}

export const CLICKHOUSE_DEFAULT_DATABASE = 'hub';

/** Creates a client bound to `database` (the driver is loaded on first use). */
export async function createClickHouseClient(
  options: ClickHouseConnectionOptions,
  database: string,
): Promise<ClickHouseClient> {
  const { createClient, ClickHouseLogLevel } = await import('@clickhouse/client');
  const url = new URL(options.url);
  const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = '';
  url.password = '';
  return createClient({
    url: url.toString().replace(/\/$/, ''),
    database,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    request_timeout: options.requestTimeoutMs ?? 30_000,
    max_open_connections: options.maxOpenConnections ?? 10,
    compression: { request: false, response: false },
    log: { level: ClickHouseLogLevel.OFF },
    application: 'reserve-hub',
  });
}

// Server error codes that mean "try again later", not "this query is wrong".
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  252, // TOO_MANY_PARTS
  425, // SYSTEM_ERROR
]);

const TRANSIENT_NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE|socket hang up|Timeout error|timed out/i;

/** The server's numeric error code, from the client's error or from 18.16's message format. */
export function clickhouseErrorCode(error: unknown): number | undefined {
  const fromClient = Number((error as { code?: unknown } | null)?.code);
  if (Number.isInteger(fromClient) && fromClient > 0) return fromClient;
  const message = error instanceof Error ? error.message : String(error);
  const match = /^Code: (\d+)[,.]/.exec(message.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * Maps a client or server failure: unreachable server, timeouts and overload →
 * `HUB_ERR_WAREHOUSE_UNAVAILABLE` (transient); anything else → `HUB_ERR_WAREHOUSE_QUERY`.
 * The SQL and the server's message go to `detail` only, never to the user message.
 */
export function clickhouseError(error: unknown, what: string): HubError {
  if (isHubError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const errno = (error as { code?: unknown } | null)?.code;
  const code = clickhouseErrorCode(error);
  const detail = `${what}: ${code !== undefined ? `code ${code}: ` : ''}${message}`;
  const network = typeof errno === 'string' && TRANSIENT_NETWORK.test(errno);
  if (network || TRANSIENT_NETWORK.test(message) || (code !== undefined && TRANSIENT_CODES.has(code))) {
    const reason = typeof errno === 'string' && /^E[A-Z]+$/.test(errno) ? errno : 'no answer in time';
    return new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'clickhouse', reason }, { cause: error, detail });
  }
  return new HubError('HUB_ERR_WAREHOUSE_QUERY', { engine: 'clickhouse' }, { cause: error, detail });
}
