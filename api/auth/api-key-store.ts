import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type CredentialVerifier, type Principal, SCOPES, type Scope } from './principal.js';

const require = createRequire(import.meta.url);

export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly regions: readonly string[] | null;
  readonly organisations: readonly string[] | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface CreateKeyInput {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly regions?: readonly string[] | null;
  readonly organisations?: readonly string[] | null;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * How long a verified key is trusted without reading SQLite again. A revocation in this process
 * takes effect at once (the cache is cleared); one made by another process (`hub keys revoke`)
 * within this delay.
 */
export const VERIFIED_KEY_TTL_MS = 2_000;
/** Bound on cached keys (cleared when full): unknown tokens are never cached. */
const VERIFIED_KEY_CACHE_MAX = 10_000;

/**
 * API keys kept in the hub's SQLite state file. Only a SHA-256 of each secret is stored; the
 * clear key (`rh_<id>_<secret>`) is shown once, at creation. Keys are high-entropy random
 * values, so a fast hash is the right tool (no password stretching needed).
 */
export class ApiKeyStore implements CredentialVerifier {
  readonly #db: BetterSqlite3.Database;
  readonly #bootstrapHash: Buffer | undefined;
  readonly #byId: BetterSqlite3.Statement;
  /** Verified keys by the SHA-256 of the whole token (base64); see VERIFIED_KEY_TTL_MS. */
  readonly #verified = new Map<string, { principal: Principal; until: number }>();

  constructor(path: string, options: { bootstrapKey?: string | undefined } = {}) {
    mkdirSync(dirname(path), { recursive: true });
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      secret_sha256 BLOB NOT NULL,
      scopes TEXT NOT NULL,
      regions TEXT,
      organisations TEXT,
      created_at TEXT NOT NULL,
      revoked_at TEXT
    )`);
    this.#bootstrapHash = options.bootstrapKey ? sha256(options.bootstrapKey) : undefined;
    this.#byId = this.#db.prepare('SELECT * FROM api_keys WHERE id = ?');
  }

  /** Creates a key and returns its clear value, which is never stored. */
  create(input: CreateKeyInput): { key: string; info: ApiKeyInfo } {
    for (const s of input.scopes) if (!SCOPES.includes(s)) throw new TypeError(`unknown scope ${s}`);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const key = `rh_${id}_${secret}`;
    const createdAt = new Date().toISOString();
    this.#db
      .prepare(
        'INSERT INTO api_keys (id, name, secret_sha256, scopes, regions, organisations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        input.name,
        sha256(key),
        JSON.stringify(input.scopes),
        input.regions ? JSON.stringify(input.regions) : null,
        input.organisations ? JSON.stringify(input.organisations) : null,
        createdAt,
      );
    return { key, info: this.get(id) as ApiKeyInfo };
  }

  list(): ApiKeyInfo[] {
    const rows = this.#db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as KeyRow[];
    return rows.map(toInfo);
  }

  get(id: string): ApiKeyInfo | undefined {
    const row = this.#byId.get(id) as KeyRow | undefined;
    return row ? toInfo(row) : undefined;
  }

  /** Revokes a key; returns false when no such active key exists. */
  revoke(id: string): boolean {
    const r = this.#db
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
      .run(new Date().toISOString(), id);
    this.#verified.clear();
    return r.changes > 0;
  }

  /** Number of keys that are not revoked. */
  activeCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  verify(token: string): Principal | undefined {
    // One-shot SHA-256 (no Hash object): this runs on every authenticated request.
    const cacheKey = hash('sha256', token, 'base64');
    // A hit needs the same SHA-256 as a token verified against SQLite less than the TTL ago
    // (only such tokens are cached: never the bootstrap key, never an unknown token).
    const now = Date.now();
    const cached = this.#verified.get(cacheKey);
    if (cached !== undefined && cached.until > now) return cached.principal;
    const digest = Buffer.from(cacheKey, 'base64');
    if (this.#bootstrapHash && timingSafeEqual(digest, this.#bootstrapHash)) {
      return { keyId: 'bootstrap', name: 'bootstrap', scopes: ['admin'], regions: null, organisations: null };
    }
    const m = /^rh_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(token);
    if (!m) return undefined;
    const row = this.#byId.get(m[1]) as KeyRow | undefined;
    if (!row || row.revoked_at !== null || !timingSafeEqual(row.secret_sha256, digest)) {
      this.#verified.delete(cacheKey);
      return undefined;
    }
    const info = toInfo(row);
    const principal: Principal = {
      keyId: info.id,
      name: info.name,
      scopes: info.scopes,
      regions: info.regions,
      organisations: info.organisations,
    };
    if (this.#verified.size >= VERIFIED_KEY_CACHE_MAX) this.#verified.clear();
    this.#verified.set(cacheKey, { principal, until: now + VERIFIED_KEY_TTL_MS });
    return principal;
  }

  close(): void {
    this.#verified.clear();
    if (this.#db.open) this.#db.close();
  }
}

interface KeyRow {
  id: string;
  name: string;
  secret_sha256: Buffer;
  scopes: string;
  regions: string | null;
  organisations: string | null;
  created_at: string;
  revoked_at: string | null;
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    regions: row.regions ? (JSON.parse(row.regions) as string[]) : null,
    organisations: row.organisations ? (JSON.parse(row.organisations) as string[]) : null,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
