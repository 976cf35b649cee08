/**
 * The central stock ledger in PostgreSQL, read incrementally by transaction snapshots (the
 * way PgQ batches its event tables). One stream, `stock_movements`, whose state holds one
 * position per table read (the partition):
 *
 *   { "<table>": { "snapshot": "<pg_snapshot>", "batch"?: { "to": "<pg_snapshot>", "after": { "id", "revision" } } } }
 *
 * A batch reads what the transactions committed between two snapshots wrote: the revisions
 * they created (`stock_ledger.xact`) that are not already replaced, and the reversals of the
 * revisions they replaced (`stock_ledger_history.superseded_by`) that an earlier batch had read.
 * Visibility, not time, decides: a long transaction that commits after a later one is read in
 * the batch that first sees it committed, whatever its `updated_at`, and neither clock (the
 * database's or the hub's) is ever compared. Within a batch, pages of `page_size` are ordered
 * by (row id, revision), each followed by a checkpoint. The folder README argues the design.
 *
 * The `pg` driver is loaded on first use: the embedded mode never pays for it.
 */
import { readFileSync } from 'node:fs';
import type { Client, ClientConfig } from 'pg';
import { HubError } from '../../../core/errors/index.js';
import { validateResource } from '../../../core/index.js';
import type { CheckResult, JSONSchema } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import { LEDGER_COLUMNS, type LedgerRow, mapLedgerRow, type ReplacedRow, reversalOf } from './ledger-mapping.js';
import { classifyPgError } from './pg-errors.js';

export interface PostgresLedgerConfig {
  readonly url: string;
  readonly table: string;
  readonly history_table?: string;
  readonly page_size: number;
  readonly connect_timeout_ms: number;
}

/** Where a batch stopped: the last (row id, revision) read in it. */
export interface LedgerBatchCursor {
  /** bigint, as text. */
  readonly id: string;
  readonly revision: number;
}

/** The position of one table. */
export interface LedgerCursor {
  /** Every change committed as of this snapshot (`pg_snapshot` text) has been read; absent: none. */
  readonly snapshot?: string;
  /** A batch being read up to snapshot `to`, stopped after `after`. */
  readonly batch?: { readonly to: string; readonly after: LedgerBatchCursor };
}

const NAME = 'postgres-ledger';
const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;

/** The expected DDL of the ledger (`stock_ledger`, its history table and triggers). */
export const LEDGER_DDL = readFileSync(new URL('../resources/stock_ledger.sql', import.meta.url), 'utf8');

const UTC_MICROS = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The mapped columns, as text, of a ledger or history row aliased `t`. */
const MAPPED = LEDGER_COLUMNS.map((c) => {
  switch (c) {
    case 'occurred_at':
    case 'updated_at':
      return `${UTC_MICROS(`t.${c}`)} AS ${c}`;
    case 'lot_expiry':
      return `to_char(t.lot_expiry, 'YYYY-MM-DD') AS lot_expiry`;
    case 'id':
    case 'movement_uuid':
    case 'quantity':
      return `t.${c}::text AS ${c}`;
    default:
      return `t.${c}`;
  }
}).join(', ');

/**
 * Every column a change carries: `change` 1 is a revision to emit, 0 a revision to reverse;
 * `row_key` is the row id as a number, for ordering (`id` is selected as text).
 */
const LIVE_COLUMNS = `1 AS change, t.id AS row_key, ${MAPPED}, t.revision, NULL::text AS operation, NULL::text AS superseded_at`;
const HISTORY_COLUMNS = (change: string) =>
  `${change} AS change, t.id AS row_key, ${MAPPED}, t.revision, t.operation, ${UTC_MICROS('t.superseded_at')} AS superseded_at`;

/** `ledger.stock_ledger` → `"ledger"."stock_ledger"` (the spec's pattern already rules out quotes). */
function quoteTable(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** The history table: the config's, or `<table>_history` in the same schema. */
export function historyTable(config: Pick<PostgresLedgerConfig, 'table' | 'history_table'>): string {
  return config.history_table ?? `${config.table}_history`;
}

interface ChangeRow extends LedgerRow {
  readonly change: 0 | 1;
  readonly row_key: string;
  readonly revision: number;
  readonly operation: 'UPDATE' | 'DELETE' | null;
  readonly superseded_at: string | null;
}

/**
 * The query of one page of a batch. Parameters: $1 the batch's snapshot, $2 the previous
 * snapshot (incremental form only), then the (id, revision) to continue after and the page
 * size. Each branch is limited on its own so that the outer sort stays small.
 */
function batchQuery(config: PostgresLedgerConfig, incremental: boolean): string {
  const live = quoteTable(config.table);
  const history = quoteTable(historyTable(config));
  const [id, revision, limit] = incremental ? ['$3', '$4', '$5'] : ['$2', '$3', '$4'];
  const seen = (x: string, s: string) => `pg_visible_in_snapshot(${x}, ${s}::pg_snapshot)`;
  // Written in the batch: committed as of $1 and, incrementally, not as of $2.
  const inBatch = (x: string) =>
    incremental
      ? `${x} >= pg_snapshot_xmin($2::pg_snapshot) AND ${seen(x, '$1')} AND NOT ${seen(x, '$2')}`
      : seen(x, '$1');
  const after = `(t.id >= ${id}::bigint AND (t.id, t.revision) > (${id}::bigint, ${revision}::integer))`;
  const page = `ORDER BY row_key, revision LIMIT ${limit}`;
  const branches = [
    // Revisions written in the batch and still current.
    `SELECT ${LIVE_COLUMNS} FROM ${live} t WHERE t.deleted_at IS NULL AND ${inBatch('t.xact')} AND ${after} ${page}`,
    // Revisions written in the batch and replaced after it: they were current at its end.
    `SELECT ${HISTORY_COLUMNS('1')} FROM ${history} t WHERE t.deleted_at IS NULL AND ${inBatch('t.xact')}
       AND NOT ${seen('t.superseded_by', '$1')} AND ${after} ${page}`,
  ];
  if (incremental) {
    // Revisions replaced in the batch that an earlier batch read: their reversals.
    branches.push(
      `SELECT ${HISTORY_COLUMNS('0')} FROM ${history} t WHERE t.deleted_at IS NULL AND ${inBatch('t.superseded_by')}
         AND ${seen('t.xact', '$2')} AND ${after} ${page}`,
    );
  }
  return `SELECT * FROM (${branches.map((b) => `(${b})`).join(' UNION ALL ')}) changes ${page}`;
}

type PgModule = typeof import('pg')['default'];
let pgModule: Promise<PgModule> | undefined;

function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then((m) => m.default);
  return pgModule;
}

/**
 * A connection that remembers why it broke: once the server has dropped it (a restart,
 * `pg_terminate_backend`), `pg` answers every later query with "not queryable", and the
 * original error is what says whether a retry may help.
 */
class LedgerSession {
  private broken: unknown;

  private constructor(private readonly client: Client) {
    client.on('error', (err) => {
      this.broken ??= err;
    });
  }

  static async open(config: PostgresLedgerConfig): Promise<LedgerSession> {
    const pg = await loadPg();
    const options: ClientConfig = {
      connectionString: config.url,
      connectionTimeoutMillis: config.connect_timeout_ms,
      application_name: `reserve-hub:${NAME}`,
    };
    const client = new pg.Client(options);
    const session = new LedgerSession(client);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      throw classifyPgError(NAME, err);
    }
    return session;
  }

  async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.client.query<R>(sql, params)).rows;
    } catch (err) {
      throw schemaError(err) ?? classifyPgError(NAME, this.broken ?? err);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** A missing table or column: the ledger lacks (part of) resources/stock_ledger.sql. */
function schemaError(err: unknown): HubError | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code !== '42P01' && e?.code !== '42703') return undefined;
  return new HubError(
    'HUB_ERR_CONNECTOR_SOURCE_SCHEMA',
    {
      name: NAME,
      reason: `${String(e.message)} (${e.code})`,
      expected: 'connectors/postgres-ledger/resources/stock_ledger.sql',
    },
    { cause: err },
  );
}

function positionOf(state: unknown, table: string): LedgerCursor {
  const c = (state as Record<string, Partial<LedgerCursor> | undefined> | undefined)?.[table];
  const snapshot = typeof c?.snapshot === 'string' ? c.snapshot : undefined;
  const b = c?.batch;
  const batch =
    typeof b?.to === 'string' && typeof b.after?.id === 'string' && Number.isInteger(b.after.revision)
      ? { to: b.to, after: { id: b.after.id, revision: b.after.revision } }
      : undefined;
  return { ...(snapshot === undefined ? {} : { snapshot }), ...(batch === undefined ? {} : { batch }) };
}

/** The messages of one change: a revision's movement, or the reversal of a replaced one. */
function messagesOf(row: ChangeRow): StreamMessage[] {
  const { change, row_key: _key, operation, superseded_at, ...source } = row;
  if (change === 1) {
    const sourceId = row.revision === 1 ? row.id : `${row.id}/r${row.revision}`;
    const mapped = mapLedgerRow(source);
    if (mapped.ok) return [{ type: 'record', data: mapped.record, sourceId, sourcePayload: source }];
    return [{ type: 'invalid', sourceId, resourceType: 'StockMovement', payload: source, errors: mapped.errors }];
  }
  const replaced: ReplacedRow = {
    ...source,
    operation: operation ?? 'UPDATE',
    superseded_at: superseded_at ?? source.updated_at,
  };
  const original = mapLedgerRow(source);
  // Only a movement that was made durable is reversed: a revision that was refused (it could
  // not be mapped, or failed validation) went to the dead letters and never counted.
  if (!original.ok || !validateResource(original.record).valid) {
    return [
      {
        type: 'log',
        level: 'info',
        message: `ledger row ${row.id} revision ${row.revision} was refused when read; its ${replaced.operation} has nothing to reverse`,
      },
    ];
  }
  const payload = { ...source, operation: replaced.operation, superseded_at: replaced.superseded_at };
  return [
    {
      type: 'record',
      data: reversalOf(original.record, replaced),
      sourceId: `${row.id}/x${row.revision}`,
      sourcePayload: payload,
    },
  ];
}

const movements: Stream<PostgresLedgerConfig> = {
  name: 'stock_movements',
  resourceTypes: ['StockMovement'],
  primaryKey: ['id'],
  cursorField: ['xact'],
  async *read(config, state, options): AsyncGenerator<StreamMessage> {
    const session = await LedgerSession.open(config);
    try {
      const first = batchQuery(config, false);
      const incremental = batchQuery(config, true);
      let position = positionOf(state, config.table);
      // The partitions of other tables, kept as they are.
      const others = { ...((state as Record<string, unknown> | undefined) ?? {}) };
      const checkpoint = (p: LedgerCursor): StreamMessage => ({
        type: 'state',
        state: { ...others, [config.table]: p },
      });
      for (;;) {
        const resumed = position.batch !== undefined;
        const to =
          position.batch?.to ??
          ((await session.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s'))[0]?.s as string);
        let after: LedgerBatchCursor = position.batch?.after ?? { id: '0', revision: 0 };
        let read = 0;
        for (;;) {
          if (options.signal?.aborted) return;
          const rows =
            position.snapshot === undefined
              ? await session.query<ChangeRow>(first, [to, after.id, after.revision, config.page_size])
              : await session.query<ChangeRow>(incremental, [
                  to,
                  position.snapshot,
                  after.id,
                  after.revision,
                  config.page_size,
                ]);
          for (const row of rows) yield* messagesOf(row);
          read += rows.length;
          if (rows.length < config.page_size) break;
          const last = rows[rows.length - 1] as ChangeRow;
          after = { id: last.id, revision: last.revision };
          position = { ...position, batch: { to, after } };
          yield checkpoint(position);
        }
        position = { snapshot: to };
        if (read > 0 || resumed) yield checkpoint(position);
        // Caught up: what was committed since is for the next run.
        if (read < config.page_size) return;
      }
    } finally {
      await session.close();
    }
  },
};

export class PostgresLedgerConnector extends ConnectorBase<PostgresLedgerConfig> {
  readonly name = NAME;
  protected readonly configSchema = SPEC;

  /** Connects and selects no row from the ledger and its history, with every expected column. */
  protected async checkConnection(config: PostgresLedgerConfig): Promise<CheckResult> {
    const session = await LedgerSession.open(config);
    try {
      await session.query(`SELECT ${LIVE_COLUMNS}, t.xact FROM ${quoteTable(config.table)} t LIMIT 0`);
      await session.query(
        `SELECT ${HISTORY_COLUMNS('0')}, t.xact, t.superseded_by FROM ${quoteTable(historyTable(config))} t LIMIT 0`,
      );
      return { status: 'succeeded' };
    } catch (err) {
      return { status: 'failed', message: err instanceof Error ? err.message : String(err) };
    } finally {
      await session.close();
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
