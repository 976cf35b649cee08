/**
 * The live stock position index of the embedded warehouse: what `stockOnHandSql` computes,
 * kept in memory so that `GET /v1/stock` for one warehouse and product is a couple of map
 * lookups instead of a scan of every movement.
 *
 * - A position is (location, product, lot, unit) → on hand in integer micro-units (each
 *   movement's `round(quantity × 10⁶)`, rounded half away from zero as DuckDB's `round`),
 *   the time of its last movement and the greatest movement GTIN; zero positions are kept
 *   (a later movement may revive them) and hidden by `query`, as the SQL's HAVING does.
 * - The dimensions are the stored locations (name, region) and products (name, GTIN,
 *   category); `query` joins them at read time exactly as the SQL's LEFT JOINs and
 *   `toStockRow` do (missing → '', `coalesce(product gtin, movement gtin)`, '' → null).
 * - Order is the SQL's `ORDER BY location_id, product_id, lot_number, unit` (code-point
 *   order, as DuckDB compares UTF-8 bytes; NULL lots last), then `stockLimit`.
 *
 * The warehouse loads it with one aggregate query and feeds it only committed, newly stored
 * movements and re-read dimension rows; whenever that is uncertain it drops the index and
 * reloads (duckdb-warehouse.ts). A sum that leaves the exact integer range of a double makes
 * `query` answer `undefined`, so the caller falls back to the SQL rather than round.
 *
 * Answers are kept per filter until the index next changes (any movement or dimension row
 * forgets them all), and are frozen: the same filter asked again between two writes gets the
 * same array back, which the API uses to reuse its serialized body and ETag (api/routes/stock.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StockFilter, StockRow } from '../../core/ports/index.js';
import { sql, sqlList } from '../sql/literal.js';
import { stockLimit } from '../sql/warehouse-queries.js';

/** The fields of a stored movement the index reads (a `MovementDbRow` has them). */
export interface IndexedMovement {
  readonly location_id: string;
  readonly product_id: string;
  readonly lot_number: string | null;
  readonly unit: string;
  readonly quantity: number;
  /** epoch ms */
  readonly occurred_at: number;
  readonly gtin: string | null;
}

export interface IndexedLocation {
  readonly name: string;
  readonly regionId: string;
}

export interface IndexedProduct {
  readonly name: string;
  readonly gtin: string | null;
  readonly category: string;
}

interface Position {
  readonly lot: string | null;
  readonly unit: string;
  micro: number;
  lastMs: number;
  gtin: string | null;
}

/** `round(q × 10⁶)` as DuckDB computes it: the same double product, rounded half away from zero. */
export function toMicro(quantity: number): number {
  const x = quantity * 1_000_000;
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Code-point order (UTF-8 byte order, as DuckDB compares VARCHARs), not UTF-16 unit order. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF: they sort after U+E000–FFFF.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** NULL sorts last (DuckDB's default `NULLS LAST`). */
function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareText(a, b);
}

function greater(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareText(a, b) >= 0 ? a : b;
}

interface Candidate {
  readonly locationId: string;
  readonly productId: string;
  readonly position: Position;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    compareText(a.locationId, b.locationId) ||
    compareText(a.productId, b.productId) ||
    compareNullable(a.position.lot, b.position.lot) ||
    compareText(a.position.unit, b.position.unit)
  );
}

/** Bounds on kept answers and on their rows (all are forgotten when either is reached, and at every change). */
const ANSWERS_KEPT = 1024;
const ANSWER_ROWS_KEPT = 100_000;

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class StockIndex {
  /** location → product → positions (few: lots × units). */
  readonly #positions = new Map<string, Map<string, Position[]>>();
  /** product → locations holding a position of it. */
  readonly #byProduct = new Map<string, Set<string>>();
  readonly #locations = new Map<string, IndexedLocation>();
  readonly #products = new Map<string, IndexedProduct>();
  readonly #locationsByRegion = new Map<string, Set<string>>();
  /** False once a sum is no longer an exact integer: `query` then declines. */
  #exact = true;
  /** Frozen answers by filter (see `query`), valid until the next change (`#changed`). */
  readonly #answers = new Map<string, readonly StockRow[]>();
  /** Rows held by `#answers`. */
  #answerRows = 0;

  /** Loads positions (one aggregate query) and dimensions from the database. */
  static async load(conn: DuckDBConnection): Promise<StockIndex> {
    const index = new StockIndex();
    const positions = await conn.runAndReadAll(
      `SELECT location_id, product_id, lot_number, unit,
         CAST(sum(CAST(round(quantity * 1000000) AS BIGINT)) AS VARCHAR) AS micro,
         max(epoch_ms(occurred_at)) AS last_ms, max(gtin) AS gtin
       FROM stock_movements GROUP BY location_id, product_id, lot_number, unit`,
    );
    for (const [location, product, lot, unit, micro, lastMs, gtin] of positions.getRows()) {
      index.#add(
        text(location),
        text(product),
        nullable(lot),
        text(unit),
        Number(micro),
        Number(lastMs),
        nullable(gtin),
      );
    }
    const locations = await conn.runAndReadAll('SELECT id, name_fr, region_id FROM locations');
    for (const [id, name, region] of locations.getRows()) {
      index.setLocation(text(id), { name: text(name), regionId: text(region) });
    }
    const products = await conn.runAndReadAll('SELECT id, name_fr, gtin, category FROM products');
    for (const [id, name, gtin, category] of products.getRows()) {
      index.setProduct(text(id), { name: text(name), gtin: nullable(gtin), category: text(category) });
    }
    return index;
  }

  /** Re-reads the given locations and products as stored now (after a commit). */
  async refreshDimensions(
    conn: DuckDBConnection,
    locationIds: readonly string[],
    productIds: readonly string[],
  ): Promise<void> {
    if (locationIds.length > 0) {
      const query = sql`SELECT id, name_fr, region_id FROM locations WHERE id IN ${sqlList([...locationIds])}`;
      const found = new Set<string>();
      for (const [id, name, region] of (await conn.runAndReadAll(query.toSql('duckdb'))).getRows()) {
        found.add(text(id));
        this.setLocation(text(id), { name: text(name), regionId: text(region) });
      }
      for (const id of locationIds) if (!found.has(id)) this.setLocation(id, undefined);
    }
    if (productIds.length > 0) {
      const query = sql`SELECT id, name_fr, gtin, category FROM products WHERE id IN ${sqlList([...productIds])}`;
      const found = new Set<string>();
      for (const [id, name, gtin, category] of (await conn.runAndReadAll(query.toSql('duckdb'))).getRows()) {
        found.add(text(id));
        this.setProduct(text(id), { name: text(name), gtin: nullable(gtin), category: text(category) });
      }
      for (const id of productIds) if (!found.has(id)) this.setProduct(id, undefined);
    }
  }

  setLocation(id: string, location: IndexedLocation | undefined): void {
    this.#changed();
    const old = this.#locations.get(id);
    if (old !== undefined) this.#locationsByRegion.get(old.regionId)?.delete(id);
    if (location === undefined) {
      this.#locations.delete(id);
      return;
    }
    this.#locations.set(id, location);
    let ids = this.#locationsByRegion.get(location.regionId);
    if (ids === undefined) {
      ids = new Set();
      this.#locationsByRegion.set(location.regionId, ids);
    }
    ids.add(id);
  }

  setProduct(id: string, product: IndexedProduct | undefined): void {
    this.#changed();
    if (product === undefined) this.#products.delete(id);
    else this.#products.set(id, product);
  }

  /** Adds movements newly stored by a committed write (each exactly once). */
  applyMovements(rows: readonly IndexedMovement[]): void {
    for (const r of rows) {
      if (!Number.isFinite(r.quantity) || !Number.isFinite(r.occurred_at)) this.#exact = false;
      this.#add(
        r.location_id,
        r.product_id,
        r.lot_number,
        r.unit,
        toMicro(r.quantity),
        Math.round(r.occurred_at),
        r.gtin,
      );
    }
  }

  /** Number of positions, zero ones included. */
  get size(): number {
    let n = 0;
    for (const products of this.#positions.values()) for (const list of products.values()) n += list.length;
    return n;
  }

  #add(
    location: string,
    product: string,
    lot: string | null,
    unit: string,
    micro: number,
    lastMs: number,
    gtin: string | null,
  ): void {
    this.#changed();
    let products = this.#positions.get(location);
    if (products === undefined) {
      products = new Map();
      this.#positions.set(location, products);
    }
    let list = products.get(product);
    if (list === undefined) {
      list = [];
      products.set(product, list);
      let locations = this.#byProduct.get(product);
      if (locations === undefined) {
        locations = new Set();
        this.#byProduct.set(product, locations);
      }
      locations.add(location);
    }
    const position = list.find((p) => p.lot === lot && p.unit === unit);
    if (position === undefined) {
      list.push({ lot, unit, micro, lastMs, gtin });
      if (!Number.isSafeInteger(micro)) this.#exact = false;
      return;
    }
    position.micro += micro;
    if (!Number.isSafeInteger(position.micro) || !Number.isSafeInteger(micro)) this.#exact = false;
    if (lastMs > position.lastMs) position.lastMs = lastMs;
    position.gtin = greater(position.gtin, gtin);
  }

  /** Forgets the kept answers: called by every change to positions or dimensions. */
  #changed(): void {
    if (this.#answers.size > 0) {
      this.#answers.clear();
      this.#answerRows = 0;
    }
  }

  /**
   * `stockOnHandSql`'s rows for `filter`, or `undefined` when the index cannot answer exactly.
   * The array and its rows are frozen, and the same array is answered again for the same
   * filter until the index changes.
   */
  query(filter: StockFilter): StockRow[] | undefined {
    if (!this.#exact) return undefined;
    const limit = stockLimit(filter.limit);
    const key = JSON.stringify([filter.warehouse, filter.product, filter.lot, filter.region, filter.category, limit]);
    const kept = this.#answers.get(key);
    if (kept !== undefined) return kept as StockRow[];
    const rows = this.#compute(filter, limit);
    if (this.#answers.size >= ANSWERS_KEPT || this.#answerRows + rows.length > ANSWER_ROWS_KEPT) this.#changed();
    this.#answers.set(key, rows);
    this.#answerRows += rows.length;
    return rows as StockRow[];
  }

  #compute(filter: StockFilter, limit: number): readonly StockRow[] {
    const { warehouse, product, lot, region, category } = filter;
    let locationIds: Iterable<string>;
    if (warehouse !== undefined) locationIds = [warehouse];
    else if (region !== undefined) locationIds = this.#locationsByRegion.get(region) ?? [];
    else if (product !== undefined) locationIds = this.#byProduct.get(product) ?? [];
    else locationIds = this.#positions.keys();
    const found: Candidate[] = [];
    for (const locationId of locationIds) {
      if (region !== undefined && this.#locations.get(locationId)?.regionId !== region) continue;
      const products = this.#positions.get(locationId);
      if (products === undefined) continue;
      if (product !== undefined) {
        const list = products.get(product);
        if (list !== undefined) this.#take(found, locationId, product, list, category, lot);
      } else {
        for (const [productId, list] of products) this.#take(found, locationId, productId, list, category, lot);
      }
    }
    if (found.length > 1) found.sort(compareCandidates);
    const rows: StockRow[] = [];
    for (let i = 0; i < found.length && i < limit; i++) rows.push(Object.freeze(this.#row(found[i] as Candidate)));
    return Object.freeze(rows);
  }

  /** Adds the non-zero positions of one location and product that pass the category and lot filters. */
  #take(
    found: Candidate[],
    locationId: string,
    productId: string,
    list: readonly Position[],
    category: string | undefined,
    lot: string | undefined,
  ): void {
    if (category !== undefined && this.#products.get(productId)?.category !== category) return;
    for (const position of list) {
      if (position.micro === 0) continue;
      if (lot !== undefined && position.lot !== lot) continue;
      found.push({ locationId, productId, position });
    }
  }

  #row({ locationId, productId, position }: Candidate): StockRow {
    const location = this.#locations.get(locationId);
    const product = this.#products.get(productId);
    // coalesce(product_gtin, movement_gtin), then '' → null (toStockRow).
    const gtin = (product === undefined ? null : product.gtin) ?? position.gtin;
    return {
      locationId,
      locationName: location?.name ?? '',
      regionId: location?.regionId ?? '',
      productId,
      productName: product?.name ?? '',
      gtin: gtin === '' ? null : gtin,
      category: product?.category ?? '',
      lotNumber: position.lot === '' ? null : position.lot,
      unit: position.unit,
      onHand: position.micro / 1_000_000,
      lastMovementAt: new Date(position.lastMs).toISOString(),
    };
  }
}
