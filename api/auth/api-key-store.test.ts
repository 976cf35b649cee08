import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiKeyStore, VERIFIED_KEY_TTL_MS } from './api-key-store.js';

let dir: string;
const stores: ApiKeyStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-keys-'));
});

afterEach(async () => {
  vi.useRealTimers();
  for (const s of stores.splice(0)) s.close();
  await rm(dir, { recursive: true, force: true });
});

function store(): ApiKeyStore {
  const s = new ApiKeyStore(join(dir, 'state.sqlite'));
  stores.push(s);
  return s;
}

describe('ApiKeyStore verified-key cache', () => {
  it('refuses a key revoked in this process at once', () => {
    const keys = store();
    const { key, info } = keys.create({ name: 'partner', scopes: ['read'], regions: ['souss-massa'] });
    expect(keys.verify(key)?.regions).toEqual(['souss-massa']);
    expect(keys.verify(key)?.keyId).toBe(info.id); // from the cache
    expect(keys.revoke(info.id)).toBe(true);
    expect(keys.verify(key)).toBeUndefined();
  });

  it('refuses a key revoked by another process once the cache delay has passed', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
    const api = store();
    const cli = store(); // `hub keys revoke`, as another process would, on the same file
    const { key, info } = api.create({ name: 'partner', scopes: ['read'] });
    expect(api.verify(key)?.keyId).toBe(info.id);
    expect(cli.revoke(info.id)).toBe(true);
    vi.setSystemTime(Date.now() + VERIFIED_KEY_TTL_MS + 1);
    expect(api.verify(key)).toBeUndefined();
    expect(VERIFIED_KEY_TTL_MS).toBeLessThanOrEqual(5_000);
  });

  it('never accepts a token that only shares the key id', () => {
    const keys = store();
    const { key } = keys.create({ name: 'partner', scopes: ['read'] });
    expect(keys.verify(key)).toBeDefined();
    const forged = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(keys.verify(forged)).toBeUndefined();
  });
});
