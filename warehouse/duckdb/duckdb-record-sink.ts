/**
 * The DuckDB write path. A batch's rows reach each table with one `INSERT … SELECT` whose rows
 * are the batch's columns, each bound as one text to one of the statement's parameters
 * (duckdb-column-params.ts): no SQL text holds a value, and the splitting, converting and
 * inserting run inside DuckDB, off the event loop (the appender this replaces filled its
 * vectors from JavaScript, one native call per string). Everything a sink batch writes, and
 * the connector's new state, commit in one transaction: after a crash there are either all of
 * them or none.
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
 * Movements: one query reads, inside the transaction, the ids already stored in the batch's
 * time (and id) range and the region and category of the batch's locations and products as
 * stored now; the new rows then go into `stock_movements` with their region and category, in
 * the same transaction. The table's columns are checked once per connection against the
 * migrations' (a drift is an error, not a slower path).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
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
  type ResourceTableName,
  shipmentLocationIds,
  type TableSpec,
  withShipmentRegions,
} from '../sql/resource-tables.js';
import {
  type ColumnKind,
  type EncodedColumns,
  encodeColumns,
  type ParamColumn,
  paramsSelect,
  rowParams,
} from './duckdb-column-params.js';
import { duckdbError } from './duckdb-connection.js';

/** Filled by a write for a live index (stock-index.ts): the movements it appended. */
export interface AppendedMovements {
  readonly rows: MovementDbRow[];
}

/** A table's insert: its columns (parameters in this order) and the statement around their rows. */
interface Stage {
  readonly table: string;
  readonly columns: readonly ParamColumn[];
  readonly statement: (select: string) => string;
}

const text = (name: string): ParamColumn => ({ name, kind: 'text' });
const double = (name: string): ParamColumn => ({ name, kind: 'double' });
const instant = (name: string): ParamColumn => ({ name, kind: 'instant' });
const day = (name: string): ParamColumn => ({ name, kind: 'day' });
const version: ParamColumn = { name: 'version', kind: 'uint' };

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

function stage(table: string, columns: ParamColumn[], onConflict: (names: string[]) => string): Stage {
  const names = columns.map((c) => c.name);
  const head = `INSERT INTO ${table} (${names.join(', ')})`;
  const tail = onConflict(names);
  return { table, columns, statement: (select) => `${head}\n${select}\n${tail}` };
}

const COLUMN_KIND: Readonly<Record<ColumnType, ColumnKind>> = {
  string: 'text',
  nstring: 'text',
  float: 'double',
  nfloat: 'double',
  uint: 'uint',
  datetime: 'instant',
  ndatetime: 'instant',
  ndate: 'day',
  strings: 'strings',
  doc: 'text',
};

/**
 * The insert of an operational table (resource-tables.ts). Tables with a `doc` keep the
 * newest version, as the entity tables above; the others (lines, status history) take a
 * higher version only.
 */
function tableStage(name: ResourceTableName): Stage & { readonly name: ResourceTableName; readonly hasDoc: boolean } {
  const spec: TableSpec = RESOURCE_TABLES[name];
  const columns = spec.columns.map(([column, type]): ParamColumn => ({ name: column, kind: COLUMN_KIND[type] }));
  const hasDoc = spec.columns.some(([, type]) => type === 'doc');
  const insert = stage(spec.name, columns, (names) => {
    if (hasDoc) return upsert(spec.name, spec.key.join(', '), names);
    const sets = names.filter((c) => !spec.key.includes(c)).map((c) => `${c} = excluded.${c}`);
    return `ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${sets.join(', ')}
    WHERE excluded.version > ${spec.name}.version`;
  });
  return { ...insert, name, hasDoc };
}

const TABLE_STAGES = RESOURCE_TABLE_NAMES.map(tableStage);

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

/** Every column of `stock_movements`, in table order (checked against the table once per connection). */
const MOVEMENT_COLUMNS: readonly ParamColumn[] = [
  text('id'),
  text('movement_type'),
  instant('occurred_at'),
  text('location_id'),
  text('counterpart_id'),
  text('product_id'),
  text('gtin'),
  text('lot_number'),
  double('quantity'),
  text('unit'),
  text('reason'),
  text('connector'),
  text('source_system'),
  text('source_id'),
  text('source_hash'),
  instant('ingested_at'),
  text('region_id'),
  text('category'),
];
/** The batch's own columns (MOVEMENT_COLUMNS less the two looked up at insert). */
const MOVEMENT_OWN_COLUMNS = MOVEMENT_COLUMNS.slice(0, -2);
const MOVEMENT_LOOKED_UP_COLUMNS = MOVEMENT_COLUMNS.slice(-2);

/** The new movements, every column (see `insertMovements`). */
function movementInsert(select: string): string {
  return `INSERT INTO stock_movements (${MOVEMENT_COLUMNS.map((c) => c.name).join(', ')})\n${select}`;
}

/** `stock_movements` as the migrations make it: every column, in table order. */
const MOVEMENT_TABLE: readonly string[] = MOVEMENT_COLUMNS.map(
  (c) => `${c.name} ${c.kind === 'instant' ? 'TIMESTAMP' : c.kind === 'double' ? 'DOUBLE' : 'VARCHAR'}`,
);
/** Connections whose `stock_movements` has exactly MOVEMENT_TABLE's columns. */
const checkedConnections = new WeakSet<DuckDBConnection>();

/** Checks, once per connection, the table the movements go to. */
async function ensureChecked(conn: DuckDBConnection): Promise<void> {
  if (checkedConnections.has(conn)) return;
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = 'main' AND table_name = 'stock_movements' ORDER BY ordinal_position`,
  );
  const actual = reader.getRows().map(([name, type]) => `${String(name)} ${String(type)}`);
  // The migrations make the table; a different one is a drift to fix, not to write around.
  if (actual.join(',') !== MOVEMENT_TABLE.join(',')) {
    throw duckdbError(
      new Error(`stock_movements does not have the columns of the migrations (${MOVEMENT_TABLE.join(', ')})`),
      'append movements',
    );
  }
  checkedConnections.add(conn);
}

/**
 * Rows per statement: each column of a statement is one string, so a statement's rows are
 * bounded (a string holds at most 2^29 characters; 4,096 documents of up to 128 KiB stay
 * below). A batch's rows have distinct keys, so splitting them changes nothing.
 */
const ROWS_PER_STATEMENT = 4096;
const MOVEMENTS_PER_STATEMENT = 16_384;

/** Inserts rows into a stage's table; returns the rows inserted or updated. */
async function insertRows(conn: DuckDBConnection, s: Stage, rows: readonly object[]): Promise<number> {
  let changed = 0;
  for (let offset = 0; offset < rows.length; offset += ROWS_PER_STATEMENT) {
    const part =
      offset === 0 && rows.length <= ROWS_PER_STATEMENT ? rows : rows.slice(offset, offset + ROWS_PER_STATEMENT);
    const { select, params } = rowParams(s.columns, part);
    changed += (await conn.run(s.statement(select), params)).rowsChanged;
  }
  return changed;
}

/**
 * Movements whose id is not yet stored at the same time (see the module comment), with the
 * region of their location and the category of their product as stored now (the batch's own
 * locations and products are already in). Returns the rows appended.
 */
async function insertMovements(
  conn: DuckDBConnection,
  rows: readonly MovementDbRow[],
  appended?: AppendedMovements,
): Promise<number> {
  if (rows.length === 0) return 0;
  await ensureChecked(conn);
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
  // the rest). Times as they are stored: whole milliseconds. The region and category are
  // looked up here rather than joined in the INSERT: a join on the parameters' rows makes
  // DuckDB's planning cost ~5× the insert itself.
  const query = sql`SELECT 0 AS k, id, NULL AS v FROM stock_movements
      WHERE occurred_at BETWEEN ${new Date(first)} AND ${new Date(last)} AND id BETWEEN ${minId} AND ${maxId}
    UNION ALL SELECT 1, id, region_id FROM locations WHERE id IN ${sqlList([...locationIds])}
    UNION ALL SELECT 2, id, category FROM products WHERE id IN ${sqlList([...productIds])}`;
  const lookup = conn.runAndReadAll(query.toSql('duckdb'));
  // While DuckDB looks up, the batch's own columns are encoded as if none of its movements
  // were stored yet (the usual case; a redelivery encodes its fresh rows again below).
  let parts: MovementPart[];
  try {
    parts = movementParts(rows);
  } finally {
    // Never leave the connection busy behind a failure: the caller's ROLLBACK needs it.
    await lookup.catch(() => undefined);
  }
  const found = (await lookup).getRows();
  const stored = new Set<string>();
  const regions = new Map<string, string>();
  const categories = new Map<string, string>();
  for (const [k, id, v] of found) {
    if (k === 0) stored.add(String(id));
    else (k === 1 ? regions : categories).set(String(id), v === null ? '' : String(v));
  }
  const fresh = stored.size === 0 ? rows : rows.filter((row) => !stored.has(row.id));
  if (fresh.length === 0) return 0;
  if (fresh !== rows) parts = movementParts(fresh);
  for (const part of parts) {
    const region = part.rows.map((r) => regions.get(r.location_id) ?? '');
    const category = part.rows.map((r) => categories.get(r.product_id) ?? '');
    const lookedUp = encodeColumns(MOVEMENT_LOOKED_UP_COLUMNS, [region, category]);
    const { select, params } = paramsSelect(part.own, lookedUp);
    await conn.run(movementInsert(select), params);
  }
  if (appended) for (const row of fresh) appended.rows.push(row);
  return fresh.length;
}

/** Movements of one statement, their own columns encoded. */
interface MovementPart {
  readonly rows: readonly MovementDbRow[];
  readonly own: EncodedColumns;
}

/** `rows` in statements, each with its own columns (MOVEMENT_OWN_COLUMNS) encoded. */
function movementParts(rows: readonly MovementDbRow[]): MovementPart[] {
  const parts: MovementPart[] = [];
  for (let offset = 0; offset < rows.length; offset += MOVEMENTS_PER_STATEMENT) {
    const part = rows.length <= MOVEMENTS_PER_STATEMENT ? rows : rows.slice(offset, offset + MOVEMENTS_PER_STATEMENT);
    parts.push({ rows: part, own: encodeColumns(MOVEMENT_OWN_COLUMNS, movementColumns(part)) });
  }
  return parts;
}

/**
 * The batch's own columns (MOVEMENT_OWN_COLUMNS order) for `rows`, in one pass: the hot path
 * reads each field by name instead of by a computed key.
 */
function movementColumns(rows: readonly MovementDbRow[]): unknown[][] {
  const n = rows.length;
  const columns = MOVEMENT_OWN_COLUMNS.map(() => new Array<unknown>(n));
  const [id, type, occurred, location, counterpart, product, gtin, lot, quantity, unit, reason] = columns;
  const [, , , , , , , , , , , connector, system, sourceId, hash, ingested] = columns;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as MovementDbRow;
    (id as unknown[])[i] = r.id;
    (type as unknown[])[i] = r.movement_type;
    (occurred as unknown[])[i] = r.occurred_at;
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
    (ingested as unknown[])[i] = r.ingested_at;
  }
  return columns;
}

async function insertRecordRows(
  conn: DuckDBConnection,
  rows: RecordRows,
  appended?: AppendedMovements,
): Promise<number> {
  let written = 0;
  written += await insertRows(conn, STAGES.locations, rows.locations);
  written += await insertRows(conn, STAGES.products, rows.products);
  written += await insertRows(conn, STAGES.lots, rows.lots);
  written += await insertRows(conn, STAGES.resources, rows.resources);
  for (const s of TABLE_STAGES) {
    let tableRows = rows.tables[s.name];
    if (tableRows.length === 0) continue;
    if (s.name === 'shipments') {
      // The shipments' regions, from the locations stored now (this batch's included).
      const regions = new Map<string, string>();
      const locationIds = shipmentLocationIds(rows.tables);
      if (locationIds.length > 0) {
        const reader = await conn.runAndReadAll(
          sql`SELECT id, region_id FROM locations WHERE id IN ${sqlList(locationIds)}`.toSql('duckdb'),
        );
        for (const [id, region] of reader.getRows()) regions.set(String(id), String(region));
      }
      tableRows = withShipmentRegions(tableRows, regions);
    }
    const changed = await insertRows(conn, s, tableRows);
    // Lines and history entries are parts of a record, not records: `written` counts records.
    if (s.hasDoc) written += changed;
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
      const deadLettered = await insertRows(conn, STAGES.dead_letters, letters);
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
    await insertRows(conn, STAGES.dead_letters, letters);
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
  return inTransaction(conn, 'insert dead letters', () => insertRows(conn, STAGES.dead_letters, rows));
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
