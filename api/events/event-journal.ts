import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

export type LiveEventType = 'kpi.changed' | 'shipment.status_changed' | 'incident.created';

/** One journaled event: `id` increases strictly, across restarts too. */
export interface LiveEvent {
  readonly id: number;
  readonly type: LiveEventType;
  /** Regions the event concerns; a region-scoped subscriber gets it when one of them is its own. */
  readonly regions: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  /** RFC 3339 time the change was seen. */
  readonly at: string;
}

/**
 * The journal behind `Last-Event-ID`: the newest `capacity` events in a SQLite file under the
 * data dir (the library of the API key store). SQLite's AUTOINCREMENT never reuses an id, even
 * after the oldest rows are pruned, so ids stay monotonic across restarts.
 */
export class EventJournal {
  readonly #db: BetterSqlite3.Database;
  readonly #insert: BetterSqlite3.Statement;
  readonly #prune: BetterSqlite3.Statement;
  readonly #after: BetterSqlite3.Statement;
  readonly #capacity: number;

  /** `path` may be `:memory:`. `capacity` defaults to 10 000 events. */
  constructor(path: string, options: { capacity?: number } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS live_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      type TEXT NOT NULL,
      regions TEXT NOT NULL,
      data TEXT NOT NULL,
      at TEXT NOT NULL
    )`);
    this.#capacity = Math.max(1, options.capacity ?? 10_000);
    this.#insert = this.#db.prepare('INSERT INTO live_events (type, regions, data, at) VALUES (?, ?, ?, ?)');
    this.#prune = this.#db.prepare('DELETE FROM live_events WHERE id <= ?');
    this.#after = this.#db.prepare('SELECT * FROM live_events WHERE id > ? ORDER BY id LIMIT ?');
  }

  /** Appends events in one transaction and returns them with their ids. */
  append(events: readonly Omit<LiveEvent, 'id'>[]): LiveEvent[] {
    if (events.length === 0) return [];
    return this.#db.transaction(() => {
      const out = events.map((e) => {
        const r = this.#insert.run(e.type, JSON.stringify(e.regions), JSON.stringify(e.data), e.at);
        return { ...e, id: Number(r.lastInsertRowid) };
      });
      this.#prune.run((out.at(-1)?.id ?? 0) - this.#capacity);
      return out;
    })();
  }

  /** Events with an id above `id`, oldest first, at most `limit`. */
  after(id: number, limit = 1000): LiveEvent[] {
    return (this.#after.all(id, limit) as Row[]).map((r) => ({
      id: r.id,
      type: r.type as LiveEventType,
      regions: JSON.parse(r.regions) as string[],
      data: JSON.parse(r.data) as Record<string, unknown>,
      at: r.at,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

interface Row {
  id: number;
  type: string;
  regions: string;
  data: string;
  at: string;
}
