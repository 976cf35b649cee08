import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import type { CanonicalResource, SinkBatch } from '../../core/ports/index.js';
import { BATCHES, DEAD_LETTER, MOVEMENTS, STOCK_CASES } from '../contract/scenario.js';
import { createDuckDbWarehouse } from '../index.js';
import { DUCKDB_FILE, DuckDbWarehouse } from './duckdb-warehouse.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, 'duckdb-crash.fixture.ts');

let dataDir: string;
let open: DuckDbWarehouse[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-duckdb-'));
  open = [];
});

afterEach(async () => {
  for (const w of open) await w.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function warehouse(): Promise<DuckDbWarehouse> {
  const w = new DuckDbWarehouse({ dataDir });
  open.push(w);
  await w.init();
  return w;
}

/** Counts rows with a raw read-only instance (the warehouse must be closed). */
async function countRows(table: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const raw = await DuckDBInstance.create(join(dataDir, DUCKDB_FILE), { access_mode: 'READ_ONLY' });
  try {
    const conn = await raw.connect();
    const reader = await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`);
    conn.closeSync();
    return Number(reader.getRowObjectsJson()[0]?.n);
  } finally {
    raw.closeSync();
  }
}

function child(mode: 'crash' | 'hold'): {
  proc: ChildProcess;
  output: Promise<string>;
  exit: Promise<NodeJS.Signals | number | null>;
} {
  // One process (node with tsx's loader), so that a signal reaches the process holding the file.
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exit = new Promise<NodeJS.Signals | number | null>((resolve) => {
    proc.on('exit', (code, signal) => resolve(signal ?? code));
  });
  return { proc, output: exit.then(() => out), exit };
}

describe('DuckDbWarehouse as the embedded record sink', () => {
  it('keeps its file at <dataDir>/warehouse.duckdb and migrates on init', async () => {
    const w = createDuckDbWarehouse({ dataDir: join(dataDir, 'nested', 'dir') });
    open.push(w as DuckDbWarehouse);
    await w.init();
    expect(existsSync(join(dataDir, 'nested', 'dir', 'warehouse.duckdb'))).toBe(true);
    expect((await w.migrate()).every((s) => s.status === 'skipped')).toBe(true);
    expect(await w.health()).toMatchObject({ status: 'up', engine: 'duckdb' });
  });

  it('counts what each batch newly stores; a redelivery counts nothing', async () => {
    const w = await warehouse();
    const results = [];
    for (const batch of BATCHES) results.push(await w.write(batch));
    // batch 1: 5 locations, 3 products, 1 lot, 2 organizations, 1 incident, 2 equipment;
    // batch 2: 8 movements, Agadir v2 (an update), 1 other resource, 3 requests, 4 shipments,
    // 2 maintenance events; batch 3: 7 new movements and 2 snapshots, while m02, Agadir v1,
    // sh-001 and sh-004 v1 (older than its stored v2) are all ignored; the dead letter of
    // batch 3 is a repeat. Lines and status history entries are parts of records, not counted.
    expect(results).toEqual([
      { written: 14, deadLettered: 0 },
      { written: 19, deadLettered: 1 },
      { written: 9, deadLettered: 0 },
    ]);
    for (const batch of BATCHES) expect(await w.write(batch)).toEqual({ written: 0, deadLettered: 0 });
    expect(await w.stockOnHand({})).toEqual(STOCK_CASES[0]?.expected);
  });

  it('commits the connector state with the batch, and keeps the old one when state is undefined', async () => {
    const w = await warehouse();
    expect(await w.readState('contract', 'movements')).toBeUndefined();
    await w.write(BATCHES[1] as SinkBatch);
    expect(await w.readState('contract', 'movements')).toEqual({ cursor: 'mv-8' });
    expect(await w.readState('contract', 'reference')).toBeUndefined();
    await w.write({ ...(BATCHES[2] as SinkBatch), state: undefined });
    expect(await w.readState('contract', 'movements')).toEqual({ cursor: 'mv-8' });
    await w.write({ connector: 'contract', stream: 'movements', records: [], deadLetters: [], state: null });
    expect(await w.readState('contract', 'movements')).toBeNull();
    const nasty = { cursor: "2026-02-01T00:00:00Z' --", nested: { list: [1, 'é', '\\', '\0'] } };
    await w.write({ connector: "o'brien", stream: 'x\\y', records: [], deadLetters: [], state: nasty });
    expect(await w.readState("o'brien", 'x\\y')).toEqual(nasty);
  });

  it('dead-letters a record no table can hold instead of dropping it, and commits the rest', async () => {
    const w = await warehouse();
    const broken = { ...(MOVEMENTS[0] as CanonicalResource), id: 'broken', quantity: { unit: 'EA' } };
    const result = await w.write({
      connector: 'contract',
      stream: 'movements',
      records: [broken, MOVEMENTS[1] as CanonicalResource],
      deadLetters: [DEAD_LETTER],
      state: { cursor: 2 },
    });
    expect(result).toEqual({ written: 1, deadLettered: 2 });
    await w.close();
    expect(await countRows("dead_letters WHERE (errors->>'$[0].code') = 'warehouse.unmappable'")).toBe(1);
    expect(await countRows('stock_movements')).toBe(1);
  });

  it('keeps every resource type: known ones in their tables, unknown ones in the generic resources table', async () => {
    const w = await warehouse();
    const other = { resourceType: 'Observation', id: 'obs-1', status: 'final', components: [{ qty: 3 }] };
    const request = {
      resourceType: 'SupplyRequest',
      id: 'sr-1',
      status: 'active',
      priority: 'stat',
      authoredOn: '2026-02-01T10:00:00.999Z',
      lines: [{ product: { reference: 'Product/water-5l' }, quantity: { value: 3, unit: 'EA' } }],
    };
    expect(await w.insertRecords([other, other, request])).toBe(2);
    await w.close();
    expect(
      await countRows("resources WHERE resource_type = 'Observation' AND (doc->>'$.components[0].qty') = '3'"),
    ).toBe(1);
    expect(await countRows("supply_requests WHERE id = 'sr-1' AND authored_at = TIMESTAMP '2026-02-01 10:00:00'")).toBe(
      1,
    );
    expect(await countRows("supply_request_lines WHERE request_id = 'sr-1' AND line_no = 1 AND quantity = 3")).toBe(1);
    expect(await countRows('resources')).toBe(1);
  });

  it('after a crash inside a batch, neither its rows nor its state exist', async () => {
    const { output, exit } = child('crash');
    expect(await exit).toBe('SIGKILL');
    expect(await output).toContain('dying before COMMIT');
    const w = await warehouse();
    expect(await w.readState('crash', 'movements')).toEqual({ cursor: 'A' });
    const rows = await w.stockOnHand({});
    expect(rows.map((r) => r.onHand)).toEqual([1000]); // batch A's 1,000 units, none of B's
    await w.close();
    expect(await countRows('stock_movements')).toBe(1000);
    expect(await countRows('dead_letters')).toBe(0);
  }, 60_000);

  it('reports a file held by another process as unavailable (transient)', async () => {
    const holder = child('hold');
    try {
      await new Promise<void>((resolve, reject) => {
        holder.proc.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        holder.exit.then(() => reject(new Error('the holder exited early')));
      });
      const error = await new DuckDbWarehouse({ dataDir }).init().catch((e: unknown) => e);
      expect(isHubError(error) && error.code).toBe('HUB_ERR_WAREHOUSE_UNAVAILABLE');
      expect(isHubError(error) && error.retriable).toBe(true);
      expect(isHubError(error) && error.detail).toMatch(/lock/i);
    } finally {
      holder.proc.kill('SIGKILL');
      await holder.exit;
    }
  }, 60_000);

  it('stores batches larger than one statement whole, once, with values that look like separators', async () => {
    const w = await warehouse();
    const base = MOVEMENTS[0] as CanonicalResource;
    // 17,000 movements (two statements) and 4,100 organizations (two statements), one batch.
    const movements = Array.from({ length: 17_000 }, (_, i) => ({
      ...base,
      id: `big-${String(i).padStart(5, '0')}`,
      reason: i === 16_999 ? 'odd \u001f reason \u001e' : i % 2 === 0 ? null : `r${i}`,
    }));
    const organizations = Array.from({ length: 4_100 }, (_, i) => ({
      resourceType: 'Organization',
      id: `org-${i}`,
      kind: 'ngo',
      name: { fr: i === 4_099 ? 'nom \u001f étrange' : `Org ${i}` },
      meta: { versionId: '1' },
    }));
    const batch: SinkBatch = {
      connector: 'contract',
      stream: 'big',
      records: [...organizations, ...movements],
      deadLetters: [],
      state: { cursor: 'big' },
    };
    expect(await w.write(batch)).toEqual({ written: 21_100, deadLettered: 0 });
    expect(await w.write(batch)).toEqual({ written: 0, deadLettered: 0 });
    await w.close();
    expect(await countRows("stock_movements WHERE id LIKE 'big-%'")).toBe(17_000);
    expect(await countRows("stock_movements WHERE id LIKE 'big-%' AND reason IS NULL")).toBe(8_500);
    expect(await countRows("stock_movements WHERE reason = 'odd ' || chr(31) || ' reason ' || chr(30)")).toBe(1);
    expect(await countRows("organizations WHERE name_fr = 'nom ' || chr(31) || ' étrange'")).toBe(1);
    expect(await countRows('organizations')).toBe(4_100);
  }, 60_000);

  it('serialises concurrent writes and reads on one warehouse', async () => {
    const w = await warehouse();
    const writes = BATCHES.map((batch) => w.write(batch));
    const reads = [w.stockOnHand({}), w.listLocations({})];
    await Promise.all([...writes, ...reads]);
    expect(await w.stockOnHand({})).toEqual(STOCK_CASES[0]?.expected);
  });
});
