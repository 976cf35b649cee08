import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from './state-store.js';

describe('FileStateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns undefined for a stream never put', async () => {
    expect(await new FileStateStore(dir).get('simulator', 'stock_movements')).toBeUndefined();
  });

  it('keeps state per connector and stream, across instances', async () => {
    const store = new FileStateStore(dir);
    await store.put('simulator', 'stock_movements', { cursor: 42 });
    await store.put('simulator', 'locations', { cursor: 'a' });
    await store.put('postgres-ledger', 'stock_movements', { lsn: '0/16B3748' });
    const reopened = new FileStateStore(dir);
    expect(await reopened.get('simulator', 'stock_movements')).toEqual({ cursor: 42 });
    expect(await reopened.get('simulator', 'locations')).toEqual({ cursor: 'a' });
    expect(await reopened.get('postgres-ledger', 'stock_movements')).toEqual({ lsn: '0/16B3748' });
  });

  it('applies concurrent puts in call order and leaves no temporary file', async () => {
    const store = new FileStateStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('sim', 's', { n: i })));
    expect(await store.get('sim', 's')).toEqual({ n: 19 });
    expect(await readdir(join(dir, 'stream-state', 'sim'))).toEqual(['s.json']);
  });

  it('keeps names that are not safe as file names apart', async () => {
    const store = new FileStateStore(dir);
    await store.put('a/b', 'c', 1);
    await store.put('a', 'b/c', 2);
    expect(await store.get('a/b', 'c')).toBe(1);
    expect(await store.get('a', 'b/c')).toBe(2);
  });
});
