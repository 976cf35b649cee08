/**
 * The DuckDB write path. Rows reach their tables through connection-local staging tables:
 * the DuckDB appender fills a TEMP table from column vectors (no SQL text, so no literal
 * escaping for bulk data and no parse cost), then one `INSERT … SELECT` per table moves them
 * in. Everything a sink batch writes, and the connector's new state, commit in one
 * transaction: after a crash there are either all of them or none.
 *
 * Redelivery:
 * - entities keep the newest version (upsert on the id primary key);
 * - dead letters are ignored when their content id is already stored (ON CONFLICT DO NOTHING);
 * - stock movements, the hot path, have no primary key: a movement whose id is already stored
 *   at the same `occurred_at` is left out, looked up in the batch's time range only.
 *   A redelivered event is identical, so it has the same time; the range lets DuckDB's zone
 *   maps skip every row group outside it, so the check stays cheap as the table grows,
 *   where a primary-key index cost ~40 ms per 5,000 rows (4× the insert itself). This is the
 *   same identity ClickHouse deduplicates on (sorting key … occurred_at, id).
 *
 * Movements skip the stage (the table's columns are checked once per connection against the
 * migrations'; a drift is an error, not a slower path): one query reads, inside the
 * transaction, the ids already stored in the batch's time (and id) range and the region and
 * category of the batch's locations and products as stored now; the new rows are then appended
 * straight into `stock_movements`, in the same transaction.
 */
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import type { CanonicalResource, DeadLetter, SinkBatch, SinkWriteResult } from '../../core/ports/index.js';
import { recordFreshnessDuckDb } from '../freshness-duckdb.js';
import { sql, sqlList } from '../sql/literal.js';
import {
  type DeadLetterDbRow,
  type MovementDbRow,
  type RecordRows,
  toDeadLetterRows,
  toRecordRows,
} from '../sql/resource-rows.js';
import {
  type ColumnType,
  RESOURCE_TABLE_NAMES,
  RESOURCE_TABLES,
  shipmentLocationIds,
  type TableSpec,
  withShipmentRegions,
} from '../sql/resource-tables.js';
import { duckdbError } from './duckdb-connection.js';

type DuckDbApi = typeof import('@duckdb/node-api');

/** Filled by a write for a live index (stock-index.ts): the movements it appended. */
export interface AppendedMovements {
  readonly rows: MovementDbRow[];
}

type StageType = 'VARCHAR' | 'DOUBLE';

interface StageColumn {
  readonly name: string;
  readonly type: StageType;
  /** How the staged value becomes the table's value; default: the column itself. */
  readonly convert?: (column: string) => string;
}

interface Stage {
  readonly table: string;
  readonly columns: readonly StageColumn[];
  /** What to do with ids already stored: an ON CONFLICT clause, or a WHERE on the stage. */
  readonly onConflict: string;
}

const text = (name: string): StageColumn => ({ name, type: 'VARCHAR' });
const double = (name: string): StageColumn => ({ name, type: 'DOUBLE' });
const instant = (name: string): StageColumn => ({
  name,
  type: 'DOUBLE',
  convert: (c) => `epoch_ms(CAST(${c} AS BIGINT))`,
});
const day = (name: string): StageColumn => ({
  name,
  type: 'VARCHAR',
  convert: (c) => `CAST(${c} AS DATE)`,
});
const version: StageColumn = {
  name: 'version',
  type: 'DOUBLE',
  convert: (c) => `CAST(${c} AS UBIGINT)`,
};

/**
 * Newest version wins, as in ClickHouse's ReplacingMergeTree(version); at an equal version a
 * different document replaces the stored one (the last write wins there too), while an
 * identical redelivery changes nothing and is not counted.
 */
function upsert(table: string, key: string, columns: readonly string[]): string {
  const keys = key.split(',').map((k) => k.trim());
  const sets = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = excluded.${c}`);
  return `ON CONFLICT (${key}) DO UPDATE SET ${sets.join(', ')}
    WHERE excluded.version > ${table}.version
       OR (excluded.version = ${table}.version AND CAST(excluded.doc AS VARCHAR) <> CAST(${table}.doc AS VARCHAR))`;
}

function stage(table: string, columns: StageColumn[], onConflict: (names: string[]) => string): Stage {
  return { table, columns, onConflict: onConflict(columns.map((c) => c.name)) };
}

const STAGE_COLUMN: Readonly<Record<ColumnType, (name: string) => StageColumn>> = {
  string: text,
  nstring: text,
  float: double,
  nfloat: double,
  uint: (name) => ({ name, type: 'DOUBLE', convert: (c) => `CAST(${c} AS UBIGINT)` }),
  datetime: instant,
  ndatetime: instant,
  ndate: day,
  // Lists are staged as JSON text, as the appender here fills flat columns only.
  strings: (name) => ({ name, type: 'VARCHAR', convert: (c) => `CAST(CAST(${c} AS JSON) AS VARCHAR[])` }),
  doc: text,
};

/**
 * The stage of an operational table (resource-tables.ts). Tables with a `doc` keep the
 * newest version, as the entity tables above; the others (lines, status history) take a
 * higher version only.
 */
function tableStage(spec: TableSpec): Stage {
  const columns = spec.columns.map(([name, type]) => STAGE_COLUMN[type](name));
  const hasDoc = spec.columns.some(([, type]) => type === 'doc');
  return stage(spec.name, columns, (names) => {
    if (hasDoc) return upsert(spec.name, spec.key.join(', '), names);
    const sets = names.filter((c) => !spec.key.includes(c)).map((c) => `${c} = excluded.${c}`);
    return `ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${sets.join(', ')}
    WHERE excluded.version > ${spec.name}.version`;
  });
}

const TABLE_STAGES: readonly Stage[] = RESOURCE_TABLE_NAMES.map((t) => tableStage(RESOURCE_TABLES[t]));

const STAGES = {
  locations: stage(
    'locations',
    [
      text('id'),
      text('kind'),
      text('name_fr'),
      text('name_ar'),
      text('region_id'),
      text('parent_id'),
      text('gln'),
      double('latitude'),
      double('longitude'),
      version,
      text('doc'),
    ],
    (names) => upsert('locations', 'id', names),
  ),
  products: stage(
    'products',
    [
      text('id'),
      text('sku'),
      text('gtin'),
      text('name_fr'),
      text('name_ar'),
      text('name_en'),
      text('category'),
      text('unit'),
      text('storage_class'),
      text('criticality'),
      version,
      text('doc'),
    ],
    (names) => upsert('products', 'id', names),
  ),
  lots: stage(
    'lots',
    [
      text('id'),
      text('product_id'),
      text('gtin'),
      text('lot_number'),
      day('expiry'),
      day('manufactured'),
      version,
      text('doc'),
    ],
    (names) => upsert('lots', 'id', names),
  ),
  resources: stage('resources', [text('resource_type'), text('id'), version, text('doc')], (names) =>
    upsert('resources', 'resource_type, id', names),
  ),
  dead_letters: stage(
    'dead_letters',
    [
      text('id'),
      text('connector'),
      text('stream'),
      text('source_id'),
      text('resource_type'),
      text('errors'),
      text('payload'),
      instant('failed_at'),
    ],
    () => 'ON CONFLICT DO NOTHING',
  ),
} as const satisfies Record<string, Stage>;

const stagedConnections = new WeakSet<DuckDBConnection>();
// The appender reads DuckDB types; they are resolved once, when the driver is loaded.
let stageTypes: Record<StageType, DuckDBType> | undefined;
let duck: DuckDbApi | undefined;

/** `stock_movements` as the direct append writes it: every column, in table order. */
const MOVEMENT_TABLE: readonly (readonly [string, 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE'])[] = [
  ['id', 'VARCHAR'],
  ['movement_type', 'VARCHAR'],
  ['occurred_at', 'TIMESTAMP'],
  ['location_id', 'VARCHAR'],
  ['counterpart_id', 'VARCHAR'],
  ['product_id', 'VARCHAR'],
  ['gtin', 'VARCHAR'],
  ['lot_number', 'VARCHAR'],
  ['quantity', 'DOUBLE'],
  ['unit', 'VARCHAR'],
  ['reason', 'VARCHAR'],
  ['connector', 'VARCHAR'],
  ['source_system', 'VARCHAR'],
  ['source_id', 'VARCHAR'],
  ['source_hash', 'VARCHAR'],
  ['ingested_at', 'TIMESTAMP'],
  ['region_id', 'VARCHAR'],
  ['category', 'VARCHAR'],
];
/** Connections whose `stock_movements` has exactly MOVEMENT_TABLE's columns (the migrations' table). */
const directMovements = new WeakSet<DuckDBConnection>();

/** Creates the TEMP staging tables of this connection (outside any transaction). */
async function ensureStaging(conn: DuckDBConnection): Promise<void> {
  if (stagedConnections.has(conn)) return;
  const api = await import('@duckdb/node-api');
  duck = api;
  stageTypes = { VARCHAR: api.VARCHAR, DOUBLE: api.DOUBLE };
  for (const s of [...Object.values(STAGES), ...TABLE_STAGES]) {
    const columns = s.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    await conn.run(`CREATE OR REPLACE TEMP TABLE stage_${s.table} (${columns})`);
  }
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = 'main' AND table_name = 'stock_movements' ORDER BY ordinal_position`,
  );
  const actual = reader.getRows().map(([name, type]) => `${String(name)} ${String(type)}`);
  const expected = MOVEMENT_TABLE.map(([name, type]) => `${name} ${type}`);
  if (actual.join(',') === expected.join(',')) directMovements.add(conn);
  stagedConnections.add(conn);
}

/** Appends rows to a stage in chunks of 2048 (DuckDB's vector size), column by column. */
async function fillStage(conn: DuckDBConnection, s: Stage, rows: readonly object[]): Promise<void> {
  const { DuckDBDataChunk } = await import('@duckdb/node-api');
  const types = s.columns.map((c) => (stageTypes as Record<StageType, DuckDBType>)[c.type]);
  await conn.run(`DELETE FROM stage_${s.table}`);
  const appender = await conn.createAppender(`stage_${s.table}`, 'main', 'temp');
  try {
    for (let offset = 0; offset < rows.length; offset += 2048) {
      const slice = rows.slice(offset, offset + 2048);
      const chunk = DuckDBDataChunk.create(types, slice.length);
      chunk.setColumns(
        s.columns.map((c) =>
          slice.map((row) => ((row as Record<string, unknown>)[c.name] ?? null) as string | number | null),
        ),
      );
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Stages rows and moves them into their table; returns the rows inserted or updated. */
async function stageAndInsert(
  conn: DuckDBConnection,
  s: Stage,
  rows: readonly object[],
  onConflict = s.onConflict,
): Promise<number> {
  if (rows.length === 0) return 0;
  await fillStage(conn, s, rows);
  const names = s.columns.map((c) => c.name);
  const values = s.columns.map((c) => (c.convert ? c.convert(c.name) : c.name));
  const result = await conn.run(
    `INSERT INTO ${s.table} (${names.join(', ')})
     SELECT ${values.join(', ')} FROM stage_${s.table}
     ${onConflict}`,
  );
  return result.rowsChanged;
}

/**
 * Movements whose id is not yet stored at the same time (see the module comment), with the
 * region of their location and the category of their product as stored now (the batch's own
 * locations and products are already in).
 */
async function insertMovements(
  conn: DuckDBConnection,
  rows: readonly MovementDbRow[],
  appended?: AppendedMovements,
): Promise<number> {
  if (rows.length === 0) return 0;
  if (directMovements.has(conn) && duck !== undefined) return appendMovements(conn, duck, rows, appended);
  // The migrations make the table; a different one is a drift to fix, not to write around.
  throw duckdbError(
    new Error(
      `stock_movements does not have the columns of the migrations (${MOVEMENT_TABLE.map(([n]) => n).join(', ')})`,
    ),
    'append movements',
  );
}

/**
 * The direct path of `insertMovements` (see the module comment): same rows as the stage's
 * INSERT … SELECT, appended in this transaction. Returns the rows appended.
 */
async function appendMovements(
  conn: DuckDBConnection,
  api: DuckDbApi,
  rows: readonly MovementDbRow[],
  appended?: AppendedMovements,
): Promise<number> {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let minId = (rows[0] as MovementDbRow).id;
  let maxId = minId;
  const locationIds = new Set<string>();
  const productIds = new Set<string>();
  for (const row of rows) {
    if (row.occurred_at < first) first = row.occurred_at;
    if (row.occurred_at > last) last = row.occurred_at;
    if (row.id < minId) minId = row.id;
    if (row.id > maxId) maxId = row.id;
    locationIds.add(row.location_id);
    productIds.add(row.product_id);
  }
  // A stored duplicate has the same id and time, so it lies in both ranges (zone maps skip
  // the rest). Times as the stage path compares them: whole milliseconds.
  const query = sql`SELECT 0 AS k, id, NULL AS v FROM stock_movements
      WHERE occurred_at BETWEEN ${new Date(first)} AND ${new Date(last)} AND id BETWEEN ${minId} AND ${maxId}
    UNION ALL SELECT 1, id, region_id FROM locations WHERE id IN ${sqlList([...locationIds])}
    UNION ALL SELECT 2, id, category FROM products WHERE id IN ${sqlList([...productIds])}`;
  const found = (await conn.runAndReadAll(query.toSql('duckdb'))).getRows();
  const stored = new Set<string>();
  const regions = new Map<string, string>();
  const categories = new Map<string, string>();
  for (const [k, id, v] of found) {
    if (k === 0) stored.add(String(id));
    else (k === 1 ? regions : categories).set(String(id), v === null ? '' : String(v));
  }
  const fresh = stored.size === 0 ? rows : rows.filter((row) => !stored.has(row.id));
  if (fresh.length === 0) return 0;

  const types = MOVEMENT_TABLE.map(([, type]) => api[type]);
  const at = (ms: number) => new api.DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);
  const appender = await conn.createAppender('stock_movements');
  try {
    for (let offset = 0; offset < fresh.length; offset += 2048) {
      const n = Math.min(2048, fresh.length - offset);
      const columns = MOVEMENT_TABLE.map(() => new Array<unknown>(n));
      const [id, type, occurred, location, counterpart, product, gtin, lot, quantity, unit, reason] = columns;
      const [, , , , , , , , , , , connector, system, sourceId, hash, ingested, region, category] = columns;
      for (let i = 0; i < n; i++) {
        const r = fresh[offset + i] as MovementDbRow;
        (id as unknown[])[i] = r.id;
        (type as unknown[])[i] = r.movement_type;
        (occurred as unknown[])[i] = at(r.occurred_at);
        (location as unknown[])[i] = r.location_id;
        (counterpart as unknown[])[i] = r.counterpart_id;
        (product as unknown[])[i] = r.product_id;
        (gtin as unknown[])[i] = r.gtin;
        (lot as unknown[])[i] = r.lot_number;
        (quantity as unknown[])[i] = r.quantity;
        (unit as unknown[])[i] = r.unit;
        (reason as unknown[])[i] = r.reason;
        (connector as unknown[])[i] = r.connector;
        (system as unknown[])[i] = r.source_system;
        (sourceId as unknown[])[i] = r.source_id;
        (hash as unknown[])[i] = r.source_hash;
        (ingested as unknown[])[i] = at(r.ingested_at);
        (region as unknown[])[i] = regions.get(r.location_id) ?? '';
        (category as unknown[])[i] = categories.get(r.product_id) ?? '';
      }
      const chunk = api.DuckDBDataChunk.create(types, n);
      chunk.setColumns(columns as Parameters<typeof chunk.setColumns>[0]);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  if (appended) for (const row of fresh) appended.rows.push(row);
  return fresh.length;
}

async function insertRecordRows(
  conn: DuckDBConnection,
  rows: RecordRows,
  appended?: AppendedMovements,
): Promise<number> {
  let written = 0;
  written += await stageAndInsert(conn, STAGES.locations, rows.locations);
  written += await stageAndInsert(conn, STAGES.products, rows.products);
  written += await stageAndInsert(conn, STAGES.lots, rows.lots);
  written += await stageAndInsert(conn, STAGES.resources, rows.resources);
  // The shipments' regions, from the locations stored now (this batch's included).
  const locationIds = shipmentLocationIds(rows.tables);
  const regions = new Map<string, string>();
  if (locationIds.length > 0) {
    const reader = await conn.runAndReadAll(
      sql`SELECT id, region_id FROM locations WHERE id IN ${sqlList(locationIds)}`.toSql('duckdb'),
    );
    for (const r of reader.getRowObjectsJson()) regions.set(String(r.id), String(r.region_id));
  }
  for (const s of TABLE_STAGES) {
    const tableRows =
      s.table === 'shipments'
        ? withShipmentRegions(rows.tables.shipments, regions)
        : rows.tables[s.table as keyof RecordRows['tables']];
    const staged = s.columns.some((c) => c.name === 'request_ids' || c.name === 'affected_regions')
      ? tableRows.map((row) => ({
          ...row,
          ...('request_ids' in row ? { request_ids: JSON.stringify(row.request_ids) } : {}),
          ...('affected_regions' in row ? { affected_regions: JSON.stringify(row.affected_regions) } : {}),
        }))
      : tableRows;
    const changed = await stageAndInsert(conn, s, staged);
    // Lines and history entries are parts of a record, not records: `written` counts records.
    if (s.columns.some((c) => c.name === 'doc')) written += changed;
  }
  written += await insertMovements(conn, rows.stock_movements, appended);
  return written;
}

/** `last`: a statement run after `work`, right before the COMMIT. */
async function inTransaction<T>(
  conn: DuckDBConnection,
  what: string,
  work: () => Promise<T>,
  last?: string,
): Promise<T> {
  try {
    await ensureStaging(conn);
    await conn.run('BEGIN TRANSACTION');
  } catch (error) {
    throw duckdbError(error, what);
  }
  try {
    const result = await work();
    if (last !== undefined) await conn.run(last);
    await conn.run('COMMIT');
    return result;
  } catch (error) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw duckdbError(error, what);
  }
}

/**
 * One sink batch in one transaction: records, dead letters (including records no table could
 * hold), then the connector state. `written` and `deadLettered` count rows newly stored.
 */
export async function writeSinkBatch(
  conn: DuckDBConnection,
  batch: SinkBatch,
  now = Date.now(),
  appended?: AppendedMovements,
): Promise<SinkWriteResult> {
  const rows = toRecordRows(batch.records, now, { connector: batch.connector, stream: batch.stream });
  const letters: DeadLetterDbRow[] = toDeadLetterRows([...batch.deadLetters, ...rows.unmappable], now);
  let stateJson: string | undefined;
  if (batch.state !== undefined) {
    try {
      stateJson = JSON.stringify(batch.state);
    } catch (error) {
      throw duckdbError(error, `connector state of ${batch.connector}/${batch.stream} is not JSON`);
    }
  }
  const saveState =
    stateJson === undefined
      ? undefined
      : sql`INSERT INTO connector_state (connector, stream, state, updated_at)
            VALUES (${batch.connector}, ${batch.stream}, ${stateJson}, ${new Date(now)})
            ON CONFLICT (connector, stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`.toSql(
          'duckdb',
        );
  const result = await inTransaction(
    conn,
    `write batch ${batch.connector}/${batch.stream}`,
    async () => {
      const written = await insertRecordRows(conn, rows, appended);
      const deadLettered = await stageAndInsert(conn, STAGES.dead_letters, letters);
      return { written, deadLettered };
    },
    saveState,
  );
  await recordFreshnessDuckDb(conn, batch.records, batch.connector); // freshness: after the commit
  return result;
}

/** Records without connector state (the `WarehouseWriter` side). Returns rows newly stored. */
export async function insertRecordsDuckDb(
  conn: DuckDBConnection,
  records: readonly CanonicalResource[],
  now = Date.now(),
  appended?: AppendedMovements,
): Promise<number> {
  const rows = toRecordRows(records, now);
  const letters = toDeadLetterRows(rows.unmappable, now);
  return inTransaction(conn, 'insert records', async () => {
    const written = await insertRecordRows(conn, rows, appended);
    await stageAndInsert(conn, STAGES.dead_letters, letters);
    return written;
  });
}

/** Dead letters alone; returns the ones newly stored. */
export async function insertDeadLettersDuckDb(
  conn: DuckDBConnection,
  letters: readonly DeadLetter[],
  now = Date.now(),
): Promise<number> {
  const rows = toDeadLetterRows(letters, now);
  return inTransaction(conn, 'insert dead letters', () => stageAndInsert(conn, STAGES.dead_letters, rows));
}

/** The committed state of a connector stream, or `undefined`. */
export async function readStateDuckDb(conn: DuckDBConnection, connector: string, stream: string): Promise<unknown> {
  try {
    const reader = await conn.runAndReadAll(
      sql`SELECT CAST(state AS VARCHAR) AS state FROM connector_state WHERE connector = ${connector} AND stream = ${stream}`.toSql(
        'duckdb',
      ),
    );
    const row = reader.getRowObjectsJson()[0];
    return row === undefined ? undefined : JSON.parse(String(row.state));
  } catch (error) {
    throw duckdbError(error, `read state ${connector}/${stream}`);
  }
}
