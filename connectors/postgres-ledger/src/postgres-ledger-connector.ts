/**
 * The central stock ledger in PostgreSQL, read incrementally (the minimal pull form; logical
 * replication comes later). One stream, `stock_movements`, whose state holds one cursor per
 * table read (the partition): `{ "<table>": { "updatedAt": "…Z", "id": "123" } }`. Each page
 * of `page_size` rows is ordered by (updated_at, id) and followed by a checkpoint. Timestamps
 * are read as text with their microseconds, so the cursor neither skips nor repeats rows.
 *
 * The `pg` driver is loaded on first use: the embedded mode never pays for it.
 */
import { readFileSync } from 'node:fs';
import type { Client, ClientConfig } from 'pg';
import type { CheckResult, JSONSchema } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import { LEDGER_COLUMNS, type LedgerRow, mapLedgerRow } from './ledger-mapping.js';
import { classifyPgError } from './pg-errors.js';

export interface PostgresLedgerConfig {
  readonly url: string;
  readonly table: string;
  readonly page_size: number;
  readonly safety_lag_seconds: number;
  readonly connect_timeout_ms: number;
}

/** The cursor of one table: the last row read, by (updated_at, id). */
export interface LedgerCursor {
  /** RFC 3339, UTC, microseconds. */
  readonly updatedAt: string;
  /** bigint, as text. */
  readonly id: string;
}

const NAME = 'postgres-ledger';
const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;

/** The expected DDL of the ledger table (`CREATE TABLE IF NOT EXISTS stock_ledger …`). */
export const LEDGER_DDL = readFileSync(new URL('../resources/stock_ledger.sql', import.meta.url), 'utf8');

const UTC_MICROS = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const SELECT_LIST = LEDGER_COLUMNS.map((c) => {
  switch (c) {
    case 'occurred_at':
    case 'updated_at':
      return `${UTC_MICROS(c)} AS ${c}`;
    case 'lot_expiry':
      return `to_char(lot_expiry, 'YYYY-MM-DD') AS lot_expiry`;
    case 'id':
    case 'movement_uuid':
    case 'quantity':
      return `${c}::text AS ${c}`;
    default:
      return c;
  }
}).join(', ');

/** `ledger.stock_ledger` → `"ledger"."stock_ledger"` (the spec's pattern already rules out quotes). */
function quoteTable(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

type PgModule = typeof import('pg')['default'];
let pgModule: Promise<PgModule> | undefined;

function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then((m) => m.default);
  return pgModule;
}

async function connect(config: PostgresLedgerConfig): Promise<Client> {
  const pg = await loadPg();
  const options: ClientConfig = {
    connectionString: config.url,
    connectionTimeoutMillis: config.connect_timeout_ms,
    application_name: `reserve-hub:${NAME}`,
  };
  const client = new pg.Client(options);
  // A dropped connection emits 'error' on the client; the pending query rejects too.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw classifyPgError(NAME, err);
  }
  return client;
}

function cursorOf(state: unknown, table: string): LedgerCursor | undefined {
  const c = (state as Record<string, Partial<LedgerCursor>> | undefined)?.[table];
  return typeof c?.updatedAt === 'string' && typeof c.id === 'string'
    ? { updatedAt: c.updatedAt, id: c.id }
    : undefined;
}

const movements: Stream<PostgresLedgerConfig> = {
  name: 'stock_movements',
  resourceTypes: ['StockMovement'],
  primaryKey: ['id'],
  cursorField: ['updated_at', 'id'],
  async *read(config, state, options): AsyncGenerator<StreamMessage> {
    const client = await connect(config);
    try {
      const sql =
        `SELECT ${SELECT_LIST} FROM ${quoteTable(config.table)}` +
        ' WHERE (updated_at, id) > ($1::timestamptz, $2::bigint)' +
        " AND updated_at <= now() - $3::double precision * interval '1 second'" +
        ' ORDER BY updated_at, id LIMIT $4';
      let cursor = cursorOf(state, config.table);
      // The partitions of other tables, kept as they are.
      const others = { ...((state as Record<string, unknown> | undefined) ?? {}) };
      for (;;) {
        if (options.signal?.aborted) return;
        let rows: LedgerRow[];
        try {
          const res = await client.query<LedgerRow>(sql, [
            cursor?.updatedAt ?? '-infinity',
            cursor?.id ?? '0',
            config.safety_lag_seconds,
            config.page_size,
          ]);
          rows = res.rows;
        } catch (err) {
          throw classifyPgError(NAME, err);
        }
        if (rows.length === 0) return;
        for (const row of rows) {
          const mapped = mapLedgerRow(row);
          if (mapped.ok) yield { type: 'record', data: mapped.record, sourceId: row.id, sourcePayload: row };
          else
            yield {
              type: 'invalid',
              sourceId: row.id,
              resourceType: 'StockMovement',
              payload: row,
              errors: mapped.errors,
            };
        }
        const last = rows[rows.length - 1] as LedgerRow;
        cursor = { updatedAt: last.updated_at, id: last.id };
        yield { type: 'state', state: { ...others, [config.table]: cursor } };
        if (rows.length < config.page_size) return;
      }
    } finally {
      await client.end().catch(() => {});
    }
  },
};

export class PostgresLedgerConnector extends ConnectorBase<PostgresLedgerConfig> {
  readonly name = NAME;
  protected readonly configSchema = SPEC;

  /** Connects and selects no row from the table with every expected column. */
  protected async checkConnection(config: PostgresLedgerConfig): Promise<CheckResult> {
    const client = await connect(config);
    try {
      await client.query(`SELECT ${SELECT_LIST} FROM ${quoteTable(config.table)} LIMIT 0`);
      return { status: 'succeeded' };
    } catch (err) {
      return { status: 'failed', message: classifyPgError(NAME, err).message };
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** `postgres://host:port/database/table`, without credentials. */
  override sourceSystem(config: Partial<PostgresLedgerConfig>): string {
    const { url, table } = this.resolve(config);
    const u = new URL(url);
    return `postgres://${u.host}${u.pathname}/${table}`;
  }

  protected streams(): readonly Stream<PostgresLedgerConfig>[] {
    return [movements];
  }
}

export const postgresLedger = new PostgresLedgerConnector();
