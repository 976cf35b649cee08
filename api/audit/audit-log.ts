/**
 * The audit trail of every write to the API: who (the API key id, or `oauth:<sub>` for a JWT
 * client), what (method, route, resource id, outcome status), when, and from where (client IP,
 * user agent). Entries are appended, never changed; `GET /v1/audit` (scope `admin`) reads them,
 * newest first.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** One audited request. */
export interface AuditEntry {
  /** Increasing; the order entries were written in. */
  readonly id: number;
  /** RFC 3339 time the response was sent. */
  readonly at: string;
  /** Credential id (`keyId`), or `null` when the request was refused before authentication. */
  readonly principal: string | null;
  /** The credential's display name. */
  readonly principalName: string | null;
  readonly method: string;
  /** The route pattern, e.g. `/v1/requests/:id` (the path when no route matched). */
  readonly route: string;
  /** The path as requested, without the query string. */
  readonly path: string;
  /** The resource written (a request id, a connector, a dead letter), when known. */
  readonly resourceId: string | null;
  /** The HTTP status answered. */
  readonly status: number;
  readonly ip: string;
  readonly userAgent: string | null;
  /** The `Idempotency-Key` sent, if any. */
  readonly idempotencyKey: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  /** Only this credential's entries. */
  readonly principal?: string;
  /** Page size, 1 to 1000. Default 100. */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string;
}

/** Where audit entries go. Synchronous appends: an entry is written before the next request. */
export interface AuditLog {
  append(entry: NewAuditEntry): void;
  /** Newest first, keyset-paginated; `next` is `null` on the last page. */
  list(query: AuditQuery): { items: AuditEntry[]; next: string | null };
  close(): void;
}

interface Row {
  id: number;
  at: string;
  principal: string | null;
  principal_name: string | null;
  method: string;
  route: string;
  path: string;
  resource_id: string | null;
  status: number;
  ip: string;
  user_agent: string | null;
  idempotency_key: string | null;
}

/** The audit log in the hub's SQLite state file (beside the API keys), or `':memory:'`. */
export class SqliteAuditLog implements AuditLog {
  readonly #db: BetterSqlite3.Database;
  readonly #insert: BetterSqlite3.Statement;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    this.#db = new Database(path);
    if (path !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      principal TEXT,
      principal_name TEXT,
      method TEXT NOT NULL,
      route TEXT NOT NULL,
      path TEXT NOT NULL,
      resource_id TEXT,
      status INTEGER NOT NULL,
      ip TEXT NOT NULL,
      user_agent TEXT,
      idempotency_key TEXT
    );
    CREATE INDEX IF NOT EXISTS audit_log_principal ON audit_log (principal, id)`);
    this.#insert = this.#db.prepare(
      `INSERT INTO audit_log (at, principal, principal_name, method, route, path, resource_id, status, ip, user_agent, idempotency_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  append(e: NewAuditEntry): void {
    this.#insert.run(
      e.at,
      e.principal,
      e.principalName,
      e.method,
      e.route,
      e.path,
      e.resourceId,
      e.status,
      e.ip,
      e.userAgent,
      e.idempotencyKey,
    );
  }

  list(query: AuditQuery): { items: AuditEntry[]; next: string | null } {
    const limit = Math.min(1000, Math.max(1, query.limit ?? 100));
    const before = query.after === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.after);
    const rows = (
      query.principal === undefined
        ? this.#db.prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?').all(before, limit + 1)
        : this.#db
            .prepare('SELECT * FROM audit_log WHERE principal = ? AND id < ? ORDER BY id DESC LIMIT ?')
            .all(query.principal, before, limit + 1)
    ) as Row[];
    const page = rows.slice(0, limit).map(toEntry);
    const last = page.at(-1);
    return { items: page, next: rows.length > limit && last ? encodeCursor(last.id) : null };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    principal: r.principal,
    principalName: r.principal_name,
    method: r.method,
    route: r.route,
    path: r.path,
    resourceId: r.resource_id,
    status: r.status,
    ip: r.ip,
    userAgent: r.user_agent,
    idempotencyKey: r.idempotency_key,
  };
}

const encodeCursor = (id: number): string => Buffer.from(`a${id}`).toString('base64url');

/** The entry id a cursor stands for; `NaN`-free: a forged cursor is a 400, not a full scan. */
export function decodeCursor(cursor: string): number {
  const m = /^a(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new TypeError('not an audit cursor');
  return Number(m[1]);
}
