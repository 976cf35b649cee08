/**
 * `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header): the first request with a
 * key claims it; its response is kept, and a retry with the same key and the same request gets
 * that response again without the request being executed twice. The key is scoped to the
 * credential that sent it, so two partners cannot collide or read each other's answers.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** A response as it was sent, kept for replays. */
export interface StoredResponse {
  readonly status: number;
  readonly contentType: string;
  /** The body exactly as sent. */
  readonly body: string;
}

export type IdempotencyClaim =
  /** The key is new (or its earlier holder gave it up): execute, then `complete` or `release`. */
  | { readonly outcome: 'claimed'; readonly token: string }
  /** The same request was answered before: send this again. */
  | { readonly outcome: 'replay'; readonly response: StoredResponse }
  /** The key was used for a different request (422). */
  | { readonly outcome: 'mismatch' }
  /** The first request with this key is still running (409). */
  | { readonly outcome: 'in-progress' };

/** Where idempotency keys and their responses are kept. Async, so a shared store can back it. */
export interface IdempotencyStore {
  /**
   * Claims `key` within `scope` (the credential) for the request `fingerprint`, or says why
   * not. Expired keys are forgotten first.
   */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Keeps the response of a claimed key; replays return it until the key expires. */
  complete(scope: string, key: string, token: string, response: StoredResponse): Promise<void>;
  /** Gives a claimed key up without a response (the request failed in a way a retry may fix). */
  release(scope: string, key: string, token: string): Promise<void>;
  close(): void;
}

export interface SqliteIdempotencyOptions {
  /** How long a key and its response are kept. Default 24 h. */
  readonly ttlMs?: number;
  /** How long a claim without a response holds before another request may take it over (a
   * crashed process never completes it). Default 5 min, well above the API's request timeout. */
  readonly leaseMs?: number;
  /** The clock (tests). Default `Date.now`. */
  readonly now?: () => number;
}

interface Row {
  fingerprint: string;
  token: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
  created_at: number;
}

/**
 * The store in the hub's SQLite state file (`hub-state.sqlite`, beside the API keys), or in
 * memory for `':memory:'`. A claim is one immediate transaction, so two processes sharing the
 * file cannot both claim a key.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #db: BetterSqlite3.Database;
  readonly #ttlMs: number;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #claim: (scope: string, key: string, fingerprint: string) => IdempotencyClaim;
  readonly #complete: BetterSqlite3.Statement;
  readonly #release: BetterSqlite3.Statement;

  constructor(path: string, options: SqliteIdempotencyOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.#leaseMs = options.leaseMs ?? 5 * 60 * 1000;
    this.#now = options.now ?? Date.now;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    this.#db = new Database(path);
    if (path !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope TEXT NOT NULL,
      key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      token TEXT NOT NULL,
      status INTEGER,
      content_type TEXT,
      body TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key)
    );
    CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at)`);

    const purge = this.#db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
    const find = this.#db.prepare(
      'SELECT fingerprint, token, status, content_type, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
    );
    const insert = this.#db.prepare(
      'INSERT INTO idempotency_keys (scope, key, fingerprint, token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const takeOver = this.#db.prepare(
      'UPDATE idempotency_keys SET token = ?, created_at = ?, expires_at = ? WHERE scope = ? AND key = ?',
    );
    const claim = this.#db.transaction((scope: string, key: string, fingerprint: string): IdempotencyClaim => {
      const now = this.#now();
      purge.run(now);
      const row = find.get(scope, key) as Row | undefined;
      const token = randomUUID();
      if (!row) {
        insert.run(scope, key, fingerprint, token, now, now + this.#ttlMs);
        return { outcome: 'claimed', token };
      }
      if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      if (row.status === null) {
        if (row.created_at + this.#leaseMs > now) return { outcome: 'in-progress' };
        takeOver.run(token, now, now + this.#ttlMs, scope, key);
        return { outcome: 'claimed', token };
      }
      return {
        outcome: 'replay',
        response: { status: row.status, contentType: row.content_type ?? 'application/json', body: row.body ?? '' },
      };
    });
    this.#claim = (scope, key, fingerprint) => claim.immediate(scope, key, fingerprint);
    this.#complete = this.#db.prepare(
      'UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE scope = ? AND key = ? AND token = ?',
    );
    this.#release = this.#db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND token = ?');
  }

  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    return this.#claim(scope, key, fingerprint);
  }

  async complete(scope: string, key: string, token: string, response: StoredResponse): Promise<void> {
    this.#complete.run(response.status, response.contentType, response.body, scope, key, token);
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    this.#release.run(scope, key, token);
  }

  /** Keys currently kept (tests, metrics). */
  size(): number {
    const now = this.#now();
    return (
      this.#db.prepare('SELECT count(*) AS n FROM idempotency_keys WHERE expires_at > ?').get(now) as { n: number }
    ).n;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
