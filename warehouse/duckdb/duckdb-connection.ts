/**
 * The DuckDB file and its two connections. Node-specific; loaded lazily by the warehouse's
 * `init()` so that importing the adapter costs nothing.
 *
 * A DuckDB connection runs one statement at a time and a transaction spans every statement
 * sent on it, so each connection is used through a queue (`exclusive`): a sink batch's
 * BEGIN … COMMIT cannot interleave with anything else. Reads have their own connection, so
 * the API reads a consistent snapshot without waiting behind a long write.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { HubError, isHubError } from '../../core/errors/index.js';
import type { SqlFragment } from '../sql/literal.js';

type Task<T> = (conn: DuckDBConnection) => Promise<T>;

/** A connection used by one task at a time, in arrival order. */
export class SerialConnection {
  readonly #conn: DuckDBConnection;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(conn: DuckDBConnection) {
    this.#conn = conn;
  }

  exclusive<T>(task: Task<T>): Promise<T> {
    const run = this.#tail.then(() => task(this.#conn));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued tasks, then disconnects. */
  async close(): Promise<void> {
    await this.#tail;
    this.#conn.closeSync();
  }
}

/** Runs a rendered fragment and returns its rows as JSON-safe objects (64-bit ints as strings). */
export async function queryRows(conn: DuckDBConnection, query: SqlFragment): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(query.toSql('duckdb'));
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/** Runs a rendered fragment; returns the number of rows it changed. */
export async function execute(conn: DuckDBConnection, statement: SqlFragment): Promise<number> {
  const result = await conn.run(statement.toSql('duckdb'));
  return result.rowsChanged;
}

export interface OpenedDuckDb {
  readonly instance: DuckDBInstance;
  readonly writer: SerialConnection;
  readonly reader: SerialConnection;
}

/** Opens (creating if needed) the database file and its two connections. */
export async function openDuckDb(path: string): Promise<OpenedDuckDb> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (error) {
    throw duckdbError(error, `open ${path}`);
  }
  try {
    const writer = new SerialConnection(await instance.connect());
    const reader = new SerialConnection(await instance.connect());
    return { instance, writer, reader };
  } catch (error) {
    instance.closeSync();
    throw duckdbError(error, `connect to ${path}`);
  }
}

/**
 * Maps a DuckDB failure to the catalogue: a file that cannot be opened or locked (another
 * process holds it) is `HUB_ERR_WAREHOUSE_UNAVAILABLE`; anything else is
 * `HUB_ERR_WAREHOUSE_QUERY`, with the engine's message kept as internal detail.
 */
export function duckdbError(error: unknown, what: string): HubError {
  if (isHubError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/could not set lock|cannot open file|IO Error|Permission denied/i.test(message)) {
    return new HubError(
      'HUB_ERR_WAREHOUSE_UNAVAILABLE',
      { engine: 'duckdb', reason: 'the database file cannot be opened' },
      { cause: error, detail: `${what}: ${message}` },
    );
  }
  return new HubError('HUB_ERR_WAREHOUSE_QUERY', { engine: 'duckdb' }, { cause: error, detail: `${what}: ${message}` });
}
