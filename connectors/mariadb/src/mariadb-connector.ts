/**
 * Ministry databases in MariaDB or MySQL, read incrementally with a SELECT per stream that the
 * ministry's DBA writes (a view of their own tables with their own column names).
 *
 * The query contract: the connector runs the stream's `query` as a derived table and adds the
 * cursor itself, every value bound as a parameter (never spliced into the SQL):
 *
 *   SELECT * FROM (<query>) AS hub_source
 *   WHERE hub_source.`<cursor_column>` > ? OR (hub_source.`<cursor_column>` = ? AND hub_source.`<id_column>` > ?)
 *   ORDER BY hub_source.`<cursor_column>`, hub_source.`<id_column>`
 *   LIMIT ?
 *
 * (the first page has `WHERE <cursor_column> IS NOT NULL AND <id_column> IS NOT NULL` instead).
 * One checkpoint follows each page: the stream's state is the last row's `(cursor, id)`, so a
 * resumed read neither skips nor repeats a row, and a row changed since (its cursor moved on)
 * is read again and replaces itself (ids come from the source). Rows whose cursor or id is NULL
 * can never be reached by such a cursor: `check` counts them, so they are not lost unseen.
 *
 * Values are read as the server stores them (DATETIME as text with its microseconds, DECIMAL as
 * text, BIGINT as bigint), so the cursor compares exactly. The `mariadb` driver is loaded on
 * first use: the embedded mode never pays for it.
 */
import { readFileSync } from 'node:fs';
import type { Connection } from 'mariadb';
import { HubError } from '../../../core/errors/index.js';
import { type MappingOptions, mapRow, type SourceValue } from '../../files/src/canonical-mapping.js';
import { type CanonicalType, fieldDefs } from '../../files/src/fields.js';
import { detectLayout, isLayoutProblem } from '../../files/src/layout.js';
import { normalizeKey } from '../../files/src/values.js';
import type { CheckResult, JSONSchema } from '../../sdk/connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../../sdk/connector-base.js';
import { classifyMariaDbError } from './mariadb-errors.js';

export interface MariaDbStreamConfig {
  readonly name: string;
  readonly resource_type: CanonicalType;
  readonly query: string;
  readonly cursor_column: string;
  readonly id_column: string;
  readonly mapping: Readonly<Record<string, string | readonly string[]>>;
  readonly defaults: Readonly<Record<string, string | number>>;
  readonly value_maps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface MariaDbConfig {
  readonly url: string;
  readonly streams: readonly MariaDbStreamConfig[];
  readonly page_size: number;
  readonly utc_offset: string;
  readonly safety_lag_seconds: number;
  readonly counterpart_kind: 'Location' | 'Organization';
  readonly source_system?: string;
  readonly connect_timeout_ms: number;
}

/** A SQL value kept in the state as JSON: big integers as `{ "bigint": "…" }`. */
export type CursorValue = string | number | { readonly bigint: string };

/** The state of one stream: the last row read, by (cursor, id). */
export interface MariaDbCursor {
  readonly cursor: CursorValue;
  readonly id: CursorValue;
}

const NAME = 'mariadb';
const SPEC = JSON.parse(readFileSync(new URL('../resources/spec.json', import.meta.url), 'utf8')) as JSONSchema;

type MariaDbModule = typeof import('mariadb');
let driver: Promise<MariaDbModule> | undefined;

function loadDriver(): Promise<MariaDbModule> {
  driver ??= import('mariadb').then(
    (m) => ((m as unknown as { default?: MariaDbModule }).default ?? m) as MariaDbModule,
  );
  return driver;
}

async function connect(config: MariaDbConfig): Promise<Connection> {
  const mariadb = await loadDriver();
  const u = new URL(config.url);
  let conn: Connection;
  try {
    conn = await mariadb.createConnection({
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port === '' ? 3306 : Number(u.port),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      connectTimeout: config.connect_timeout_ms,
      // Values exactly as stored: the cursor must compare equal to what it was read from.
      dateStrings: true,
      bigIntAsNumber: false,
      decimalAsNumber: false,
      connectAttributes: { program_name: `reserve-hub:${NAME}` },
    });
  } catch (err) {
    throw classifyMariaDbError(NAME, err);
  }
  // A connection the server drops also emits 'error'; the pending query rejects with it.
  conn.on('error', () => {});
  try {
    await conn.query('SET SESSION TRANSACTION READ ONLY');
    await conn.query('SET time_zone = ?', [config.utc_offset]);
  } catch (err) {
    await conn.end().catch(() => {});
    throw classifyMariaDbError(NAME, err);
  }
  return conn;
}

const quoteId = (column: string) => `\`${column}\``;

function toCursor(v: unknown): CursorValue {
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

function fromCursor(v: CursorValue): string | number | bigint {
  return typeof v === 'object' ? BigInt(v.bigint) : v;
}

function cursorOf(state: unknown): MariaDbCursor | undefined {
  const s = state as Partial<MariaDbCursor> | undefined;
  return s?.cursor !== undefined && s.id !== undefined ? { cursor: s.cursor, id: s.id } : undefined;
}

/** A row as JSON: big integers and binary values as text. */
function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('base64') : (v ?? null);
  }
  return out;
}

/** The page query of a stream (see the module's doc). */
export function pageSql(stream: MariaDbStreamConfig, first: boolean, safetyLag: boolean): string {
  const c = `hub_source.${quoteId(stream.cursor_column)}`;
  const id = `hub_source.${quoteId(stream.id_column)}`;
  const where = first ? `${c} IS NOT NULL AND ${id} IS NOT NULL` : `(${c} > ? OR (${c} = ? AND ${id} > ?))`;
  const lag = safetyLag ? ` AND ${c} <= NOW(6) - INTERVAL ? SECOND` : '';
  return `SELECT * FROM (${stream.query}) AS hub_source WHERE ${where}${lag} ORDER BY ${c}, ${id} LIMIT ?`;
}

function valueMaps(s: MariaDbStreamConfig): Map<string, Map<string, string>> {
  return new Map(
    Object.entries(s.value_maps).map(([f, m]) => [f, new Map(Object.entries(m).map(([k, v]) => [normalizeKey(k), v]))]),
  );
}

/** Field → column name, from the query's columns; throws `HUB_ERR_CONNECTOR_SOURCE_SCHEMA` when a required field has none. */
function resolveColumns(stream: MariaDbStreamConfig, columns: readonly string[]): Map<string, string> {
  const owns = stream.resource_type === 'StockMovement' || stream.resource_type === 'StockSnapshot';
  // A movement's or snapshot's id is the id column's, unless the mapping names another.
  const mapping =
    owns && stream.mapping.id === undefined ? { ...stream.mapping, id: stream.id_column } : stream.mapping;
  const layout = detectLayout([{ row: 1, cells: columns }], {
    fields: fieldDefs(stream.resource_type),
    mapping,
    defaulted: new Set(Object.keys(stream.defaults)),
    headerRow: 1,
  });
  const missing = isLayoutProblem(layout)
    ? layout.missing
    : [stream.cursor_column, stream.id_column].filter((c) => !columns.includes(c));
  if (isLayoutProblem(layout) || missing.length > 0) {
    throw new HubError('HUB_ERR_CONNECTOR_SOURCE_SCHEMA', {
      name: NAME,
      expected: missing.join(', '),
      reason: `stream ${stream.name}: the query's columns (${columns.join(', ')}) name none for ${missing.join(', ')}; map them in the stream's mapping or give defaults`,
    });
  }
  return new Map([...layout.fields].map(([field, col]) => [field, col.header]));
}

const escapePointer = (k: string) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;

export class MariaDbConnector extends ConnectorBase<MariaDbConfig> {
  readonly name = NAME;
  protected readonly configSchema = SPEC;

  /** `mariadb://host:port/database`, without credentials, or the config's `source_system`. */
  override sourceSystem(config: Partial<MariaDbConfig>): string {
    const c = this.resolve(config);
    return c.source_system ?? this.defaultSource(c);
  }

  private defaultSource(config: MariaDbConfig): string {
    const u = new URL(config.url);
    return `mariadb://${u.host}${u.pathname}`;
  }

  /**
   * Connects, runs each stream's query for no row to see its columns (cursor, id and every
   * required field), and counts the rows whose cursor or id is NULL, which no run could read.
   */
  protected async checkConnection(config: MariaDbConfig): Promise<CheckResult> {
    const conn = await connect(config);
    try {
      const problems: string[] = [];
      for (const s of config.streams) {
        const probe = `SELECT * FROM (${s.query}) AS hub_source LIMIT 0`;
        let columns: string[];
        try {
          const res = (await conn.query(probe)) as { meta?: { name(): string }[] };
          columns = (res.meta ?? []).map((m) => m.name());
        } catch (err) {
          problems.push(`stream ${s.name}: ${classifyMariaDbError(NAME, err).message}`);
          continue;
        }
        try {
          resolveColumns(s, columns);
        } catch (err) {
          problems.push((err as Error).message);
          continue;
        }
        const c = `hub_source.${quoteId(s.cursor_column)}`;
        const id = `hub_source.${quoteId(s.id_column)}`;
        const [row] = (await conn.query(
          `SELECT COUNT(*) AS n FROM (${s.query}) AS hub_source WHERE ${c} IS NULL OR ${id} IS NULL`,
        )) as { n: bigint | number }[];
        const n = Number(row?.n ?? 0);
        if (n > 0) {
          problems.push(
            `stream ${s.name}: ${n} row(s) have a NULL ${s.cursor_column} or ${s.id_column}, which an incremental read never reaches (give them a value, or COALESCE in the query)`,
          );
        }
      }
      return problems.length === 0 ? { status: 'succeeded' } : { status: 'failed', message: problems.join('; ') };
    } finally {
      await conn.end().catch(() => {});
    }
  }

  protected streams(config: MariaDbConfig): readonly Stream<MariaDbConfig>[] {
    return config.streams.map((s) => this.stream(config, s));
  }

  private stream(config: MariaDbConfig, s: MariaDbStreamConfig): Stream<MariaDbConfig> {
    const namespace = `${config.source_system ?? this.defaultSource(config)}/${s.name}`;
    const mappingOptions: MappingOptions = {
      resourceType: s.resource_type,
      defaults: s.defaults,
      valueMaps: valueMaps(s),
      utcOffset: config.utc_offset,
      dateOrder: 'dmy',
      decimal: 'auto',
      delimiter: ';',
      counterpartKind: config.counterpart_kind,
      refuseFormulas: false,
      idNamespace: namespace,
      identifierSystem: `urn:reserve-hub:mariadb:${encodeURIComponent(namespace)}`,
    };
    return {
      name: s.name,
      resourceTypes: [s.resource_type],
      primaryKey: ['id'],
      cursorField: [s.cursor_column, s.id_column],
      async *read(cfg, state, options): AsyncGenerator<StreamMessage> {
        const conn = await connect(cfg);
        try {
          let cursor = cursorOf(state);
          let columns: Map<string, string> | undefined;
          const lag = cfg.safety_lag_seconds > 0;
          for (;;) {
            if (options.signal?.aborted) return;
            const params: unknown[] = cursor
              ? [fromCursor(cursor.cursor), fromCursor(cursor.cursor), fromCursor(cursor.id)]
              : [];
            if (lag) params.push(cfg.safety_lag_seconds);
            params.push(cfg.page_size);
            let rows: Record<string, unknown>[];
            try {
              rows = (await conn.query(pageSql(s, cursor === undefined, lag), params)) as Record<string, unknown>[];
            } catch (err) {
              throw classifyMariaDbError(NAME, err);
            }
            if (rows.length === 0) return;
            columns ??= resolveColumns(s, Object.keys(rows[0] as object));
            const byField = columns;
            for (const row of rows) {
              const payload = jsonRow(row);
              const sourceId = String(payload[s.id_column]);
              const cells = new Map<string, SourceValue>();
              for (const [field, column] of byField) {
                cells.set(field, { value: row[column] ?? null, pointer: escapePointer(column) });
              }
              const result = mapRow({ cells, record: `${s.name} ${s.id_column}=${sourceId}` }, mappingOptions);
              if (result.ok) yield { type: 'record', data: result.record, sourceId, sourcePayload: payload };
              else yield { type: 'invalid', sourceId, resourceType: s.resource_type, payload, errors: result.errors };
            }
            const last = rows[rows.length - 1] as Record<string, unknown>;
            cursor = { cursor: toCursor(last[s.cursor_column]), id: toCursor(last[s.id_column]) };
            yield { type: 'state', state: cursor };
            if (rows.length < cfg.page_size) return;
          }
        } finally {
          await conn.end().catch(() => {});
        }
      },
    };
  }
}

export const mariadb = new MariaDbConnector();
