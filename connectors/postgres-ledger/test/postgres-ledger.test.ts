/**
 * The postgres-ledger connector against a real PostgreSQL (scripts/services up postgres), in a
 * schema of its own per run. The ledger is filled with the simulator's movements, written the
 * way a ledger application would (unsigned quantities, codes, timestamps), and corrected,
 * deleted, written by overlapping transactions and cut off the way a real one is.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isHubError } from '../../../core/errors/index.js';
import type { CanonicalResource, SinkBatch } from '../../../core/ports/index.js';
import { describeWithService, randomName } from '../../../test/services.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { simulator } from '../../simulator/src/index.js';
import { LEDGER_DDL, type LedgerCursor, postgresLedger } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read record fields freely
type Movement = Record<string, any>;

/** The simulator's first `n` movements. */
async function simulated(n: number): Promise<Movement[]> {
  const out: Movement[] = [];
  const skip = { locations: { seq: 1e6 }, organizations: { seq: 1e6 }, products: { seq: 1e6 }, lots: { seq: 1e6 } };
  for await (const m of simulator.read({ movements: n }, skip)) {
    if (m.type === 'record' && m.stream === 'stock_movements') out.push(m.data);
  }
  return out;
}

/** Stock on hand per location, product, lot and unit: the sum of the movements made durable. */
function stockOf(records: readonly CanonicalResource[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records as unknown as Movement[]) {
    const key = `${r.location.reference}|${r.product.reference}|${r.lot?.lotNumber ?? ''}|${r.quantity.unit}`;
    out.set(key, Math.round(((out.get(key) ?? 0) + r.quantity.value) * 1000) / 1000);
  }
  for (const [k, v] of out) if (v === 0) out.delete(k);
  return out;
}

/** A sink that runs `afterCommit` (awaited) after its n-th committed checkpoint. */
class HookedSink extends MemoryRecordSink {
  commits = 0;
  constructor(private readonly afterCommit: (n: number) => Promise<void>) {
    super();
  }
  override async write(batch: SinkBatch) {
    const r = await super.write(batch);
    if (batch.state !== undefined) await this.afterCommit(++this.commits);
    return r;
  }
}

function ledgerRow(m: Movement): unknown[] {
  const [kind, code] = (m.counterpart?.reference ?? '/').split('/');
  return [
    randomUUID(),
    m.movementType.toUpperCase().replaceAll('-', '_'),
    m.location.reference.slice('Location/'.length),
    kind === '' ? null : kind.toLowerCase(),
    code === '' ? null : code,
    m.product.reference.slice('Product/'.length),
    m.gtin,
    m.lot?.lotNumber ?? null,
    m.lot?.expiry ?? null,
    // The ledger stores magnitudes; only an adjustment carries its own sign.
    m.movementType === 'adjustment' ? m.quantity.value : Math.abs(m.quantity.value),
    m.quantity.unit,
    m.occurredAt,
    m.reason ?? null,
  ];
}

describeWithService('postgres', 'postgres-ledger connector (PostgreSQL)', (url) => {
  const schema = randomName('ledger');
  const table = `${schema}.stock_ledger`;
  const admin = new pg.Client({ connectionString: url });
  const config = { url, table, page_size: 25 };

  async function insert(movements: Movement[]): Promise<void> {
    for (const m of movements) {
      await admin.query(
        `INSERT INTO ${table} (movement_uuid, movement_type, warehouse_code, counterpart_type, counterpart_code, product_code, gtin, lot_number, lot_expiry, quantity, unit, occurred_at, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        ledgerRow(m),
      );
    }
  }

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`SET search_path TO ${schema}`);
    await admin.query(LEDGER_DDL);
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  beforeEach(async () => {
    await admin.query(`TRUNCATE ${table}, ${table}_history RESTART IDENTITY`);
  });

  it('checks the connection and the table, never echoing the password', async () => {
    expect(await postgresLedger.check(config)).toEqual({ status: 'succeeded' });
    const missing = await postgresLedger.check({ ...config, table: `${schema}.no_such_table` });
    expect(missing.status).toBe('failed');
    expect(missing.message).toMatch(/does not exist \(42P01\)/);
    // The test server may trust loopback logins, so aim the credentials at a missing database.
    const wrong = new URL(url);
    wrong.password = 'Wr0ng-Passw0rd';
    wrong.pathname = '/no_such_database';
    const refused = await postgresLedger.check({ ...config, url: wrong.toString() });
    expect(refused.status).toBe('failed');
    expect(refused.message).toMatch(/no_such_database.*\(3D000\)/);
    expect(refused.message).not.toContain('Wr0ng-Passw0rd');
  });

  it('names the DDL to apply when the ledger predates its revisions and history', async () => {
    // The ledger as an earlier version of stock_ledger.sql made it: no revision, no history.
    await admin.query(`CREATE TABLE ${schema}.old_ledger (LIKE ${table})`);
    await admin.query(
      `ALTER TABLE ${schema}.old_ledger DROP COLUMN revision, DROP COLUMN xact, DROP COLUMN deleted_at`,
    );
    const old = { ...config, table: `${schema}.old_ledger` };
    const checked = await postgresLedger.check(old);
    expect(checked.status).toBe('failed');
    expect(checked.message).toMatch(/without the expected tables or columns \(.*stock_ledger\.sql\).*42703/);
    const report = await runConnector({ connector: postgresLedger, config: old, sink: new MemoryRecordSink() });
    expect(report).toMatchObject({
      status: 'failed',
      error: { code: 'HUB_ERR_CONNECTOR_SOURCE_SCHEMA', kind: 'config' },
    });
  });

  it('reads the ledger page by page into canonical movements, then only what changed', async () => {
    const movements = await simulated(140);
    await insert(movements.slice(0, 120));
    const sink = new MemoryRecordSink();
    const first = await runConnector({ connector: postgresLedger, config, sink });
    expect(first).toMatchObject({
      status: 'succeeded',
      recordsIn: 120,
      recordsOut: 120,
      deadLettered: 0,
      checkpoints: 5,
    });
    const state = (await sink.readState('postgres-ledger', 'stock_movements')) as Record<string, LedgerCursor>;
    expect(state[table]?.snapshot).toMatch(/^\d+:\d+:/);
    expect(state[table]?.batch).toBeUndefined();
    // Same goods, quantities and signs as the simulator's movements.
    const strip = (m: Movement) => [
      m.movementType,
      m.location,
      m.counterpart?.reference,
      m.product.reference,
      m.gtin,
      m.lot,
      m.quantity,
      Date.parse(m.occurredAt),
    ];
    expect(sink.records.map((r) => strip(r as Movement))).toEqual(
      movements.slice(0, 120).map((m) => strip({ ...m, location: { reference: m.location.reference } })),
    );
    const lineage = sink.records[0]?.meta?.lineage;
    expect(lineage).toMatchObject({ connector: 'postgres-ledger', sourceId: '1' });
    expect(lineage?.sourceSystem).toBe(`postgres://${new URL(url).host}${new URL(url).pathname}/${table}`);

    await insert(movements.slice(120));
    await admin.query(`UPDATE ${table} SET reason = 'corrigé' WHERE id = 7`);
    const second = await runConnector({ connector: postgresLedger, config, sink });
    // 20 new rows, and the correction: the reversal of revision 1 and revision 2.
    expect(second).toMatchObject({ status: 'succeeded', recordsIn: 22, recordsOut: 22 });
    const seven = sink.records.filter((r) => r.meta?.lineage?.sourceId.startsWith('7/'));
    expect(seven.map((r) => [r.meta?.lineage?.sourceId, r.movementType, r.reason])).toEqual([
      ['7/x1', 'adjustment', expect.stringMatching(/^Annulation de mv-/)],
      ['7/r2', sink.records[6]?.movementType, 'corrigé'],
    ]);
    expect(sink.byKey.size).toBe(142);

    const third = await runConnector({ connector: postgresLedger, config, sink });
    expect(third).toMatchObject({ status: 'succeeded', recordsIn: 0, checkpoints: 0 });
  });

  it('dead-letters malformed rows with the row as it was read', async () => {
    await insert(await simulated(10));
    await admin.query(
      `INSERT INTO ${table} (movement_uuid, movement_type, warehouse_code, product_code, gtin, quantity, unit, occurred_at)
       VALUES ($1, 'TELEPORT', 'souss-massa-wh1', 'food-rice-1-kg', NULL, 3, 'KGM', now()),
              ($2, 'RECEIPT', 'souss-massa-wh1', 'food-rice-1-kg', '16118002000071', 3, 'KGM', now()),
              ($3, 'RECEIPT', 'souss-massa-wh1', 'food-rice-1-kg', NULL, 3, 'BUSHEL', now())`,
      [randomUUID(), randomUUID(), randomUUID()],
    );
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: postgresLedger, config, sink, failureBudget: false });
    expect(report).toMatchObject({ status: 'succeeded', recordsIn: 13, recordsOut: 10, deadLettered: 3 });
    const [teleport, badGtin, badUnit] = sink.deadLetters;
    expect(teleport).toMatchObject({ sourceId: '11', errors: [{ pointer: '/movement_type' }] });
    expect(teleport?.payload).toMatchObject({
      id: '11',
      movement_type: 'TELEPORT',
      quantity: '3.000',
      warehouse_code: 'souss-massa-wh1',
    });
    expect(badGtin?.errors.map((e) => e.code)).toEqual(['HUB_ERR_MODEL_CHECK_DIGIT']);
    expect(badGtin?.payload).toMatchObject({ id: '12', gtin: '16118002000071' });
    expect(badUnit?.errors.map((e) => e.code)).toEqual(['HUB_ERR_MODEL_UNIT_UNKNOWN']);
  });

  describe('corrections and deletions', () => {
    const uuid = randomUUID();
    const receipt = (quantity: number) =>
      admin.query(
        `INSERT INTO ${table} (movement_uuid, movement_type, warehouse_code, counterpart_type, counterpart_code, product_code, gtin, lot_number, lot_expiry, quantity, unit, occurred_at)
         VALUES ($1, 'RECEIPT', 'souss-massa-wh1', 'organization', 'sup-sources-sahara', 'water-bottled-water-1.5-l', '16118002000483', 'L250110C', '2026-01-10', $2, 'XBO', '2025-01-08T09:15:00+01:00')`,
        [uuid, quantity],
      );

    it('turns a correction into a reversal and a new revision, and a deletion into a reversal, never editing an event', async () => {
      const sink = new MemoryRecordSink();
      const run = () => runConnector({ connector: postgresLedger, config, sink });
      const stock = () => [...stockOf(sink.records).values()];
      const emitted = new Map<string, string>();
      /** The run's new events, checking that no event id comes back and none was changed. */
      const newEvents = () => {
        const fresh = sink.records.filter((r) => !emitted.has(r.id));
        for (const r of sink.records) {
          const before = emitted.get(r.id);
          if (before !== undefined) expect(JSON.stringify({ ...r, meta: undefined })).toBe(before);
        }
        expect(new Set(sink.records.map((r) => r.id)).size).toBe(sink.records.length);
        for (const r of fresh) emitted.set(r.id, JSON.stringify({ ...r, meta: undefined }));
        return fresh as Movement[];
      };

      await receipt(100);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 1 });
      expect(newEvents().map((m) => [m.id, m.movementType, m.quantity.value])).toEqual([
        [`mv-${uuid}`, 'receipt', 100],
      ]);
      expect(stock()).toEqual([100]);

      await admin.query(`UPDATE ${table} SET quantity = 80 WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 2 });
      const corrected = newEvents();
      expect(corrected.map((m) => [m.id, m.movementType, m.quantity.value])).toEqual([
        [`mv-${uuid}-x1`, 'adjustment', -100],
        [`mv-${uuid}-r2`, 'receipt', 80],
      ]);
      const [reversal, revision] = corrected;
      expect(reversal).toMatchObject({
        occurredAt: '2025-01-08T08:15:00.000000Z',
        location: { reference: 'Location/souss-massa-wh1' },
        lot: { lotNumber: 'L250110C', expiry: '2026-01-10' },
        references: [{ reference: `StockMovement/mv-${uuid}` }],
        extension: [
          { url: 'https://reserve-hub.ma/ext/reversal-of', valueReference: { reference: `StockMovement/mv-${uuid}` } },
          { url: 'https://reserve-hub.ma/ext/ledger-revision', valueInteger: 1 },
        ],
      });
      expect(reversal?.recordedAt).toMatch(/Z$/);
      expect(revision?.references).toEqual([
        { reference: `StockMovement/mv-${uuid}`, display: 'Révision 2 (correction)' },
      ]);
      expect(stock()).toEqual([80]);

      // Nothing the hub reads changed: no new revision, nothing to read.
      await admin.query(`UPDATE ${table} SET quantity = 80 WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsIn: 0 });

      await admin.query(`DELETE FROM ${table} WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 1 });
      expect(newEvents().map((m) => [m.id, m.movementType, m.quantity.value, m.reason])).toEqual([
        [`mv-${uuid}-x2`, 'adjustment', -80, `Annulation de mv-${uuid}-r2 : ligne supprimée dans le grand livre`],
      ]);
      expect(stock()).toEqual([]);

      // The same movement keyed in again: a new revision number, so a new event.
      await receipt(30);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 1 });
      expect(newEvents().map((m) => m.id)).toEqual([`mv-${uuid}-r3`]);
      expect(stock()).toEqual([30]);
      expect(await run()).toMatchObject({ recordsIn: 0 });
    });

    it('follows a soft delete and its undoing, and moves stock when the warehouse, product or lot is corrected', async () => {
      const sink = new MemoryRecordSink();
      const run = () => runConnector({ connector: postgresLedger, config, sink });
      const stock = () => Object.fromEntries(stockOf(sink.records));
      await receipt(100);
      await run();
      await admin.query(`UPDATE ${table} SET deleted_at = now() WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ recordsOut: 1 });
      expect(stock()).toEqual({});
      await admin.query(`UPDATE ${table} SET deleted_at = NULL WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ recordsOut: 1 });
      expect(sink.records.at(-1)?.id).toBe(`mv-${uuid}-r3`);
      expect(stock()).toEqual({ 'Location/souss-massa-wh1|Product/water-bottled-water-1.5-l|L250110C|XBO': 100 });
      await admin.query(
        `UPDATE ${table} SET warehouse_code = 'guelmim-oued-noun-wh2', lot_number = 'L250301A', movement_type = 'donation-in' WHERE movement_uuid = $1`,
        [uuid],
      );
      expect(await run()).toMatchObject({ recordsOut: 2 });
      expect(stock()).toEqual({ 'Location/guelmim-oued-noun-wh2|Product/water-bottled-water-1.5-l|L250301A|XBO': 100 });
      expect(sink.records.at(-1)?.movementType).toBe('donation-in');
    });

    it('emits only the last revision of a row corrected before it was read, and nothing for one deleted before', async () => {
      const sink = new MemoryRecordSink();
      await receipt(100);
      await admin.query(`UPDATE ${table} SET quantity = 90 WHERE movement_uuid = $1`, [uuid]);
      await admin.query(`UPDATE ${table} SET quantity = 70 WHERE movement_uuid = $1`, [uuid]);
      const other = randomUUID();
      await admin.query(
        `INSERT INTO ${table} (movement_uuid, movement_type, warehouse_code, product_code, quantity, unit, occurred_at)
         VALUES ($1, 'RECEIPT', 'oriental-wh1', 'food-rice-1-kg', 5, 'KGM', now())`,
        [other],
      );
      await admin.query(`DELETE FROM ${table} WHERE movement_uuid = $1`, [other]);
      expect(await runConnector({ connector: postgresLedger, config, sink })).toMatchObject({ recordsOut: 1 });
      expect(sink.records.map((r) => [r.id, (r as Movement).quantity.value])).toEqual([[`mv-${uuid}-r3`, 70]]);
    });

    it('reverses nothing for a refused row that is corrected: its dead letter never counted', async () => {
      const sink = new MemoryRecordSink();
      const logs: string[] = [];
      const run = () =>
        runConnector({
          connector: postgresLedger,
          config,
          sink,
          failureBudget: false,
          onLog: (m) => logs.push(m.message),
        });
      await receipt(100);
      await admin.query(`UPDATE ${table} SET gtin = '16118002000484' WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ recordsOut: 0, deadLettered: 1 });
      await admin.query(`UPDATE ${table} SET gtin = '16118002000483' WHERE movement_uuid = $1`, [uuid]);
      expect(await run()).toMatchObject({ recordsOut: 1, deadLettered: 0 });
      expect(sink.records.map((r) => r.id)).toEqual([`mv-${uuid}-r3`]);
      expect(logs).toEqual([expect.stringMatching(/revision 2 was refused when read/)]);
      expect([...stockOf(sink.records).values()]).toEqual([100]);
    });
  });

  describe('overlapping transactions and clocks', () => {
    const insertOn = (client: pg.Client, over: { updatedAt?: string } = {}) => {
      const id = randomUUID();
      return client
        .query(
          `INSERT INTO ${table} (movement_uuid, movement_type, warehouse_code, product_code, quantity, unit, occurred_at, updated_at)
           VALUES ($1, 'RECEIPT', 'fes-meknes-wh2', 'food-rice-1-kg', 10, 'KGM', now(), coalesce($2::timestamptz, now()))`,
          [id, over.updatedAt ?? null],
        )
        .then(() => `mv-${id}`);
    };
    const connections: pg.Client[] = [];
    const open = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      connections.push(c);
      return c;
    };
    afterAll(async () => {
      for (const c of connections) await c.end().catch(() => {});
    });

    it('reads a long transaction that commits after a later one exactly once', async () => {
      const [a, b] = [await open(), await open()];
      const sink = new MemoryRecordSink();
      const run = () => runConnector({ connector: postgresLedger, config, sink });
      await a.query('BEGIN');
      // A started first and stamps its row with its start time, long before B's.
      const fromA = await insertOn(a, { updatedAt: '2024-06-01T00:00:00Z' });
      const fromB = await insertOn(b);
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 1 });
      expect(sink.records.map((r) => r.id)).toEqual([fromB]);
      // A corrects its own row before committing: still one revision, nobody saw the first.
      await a.query(`UPDATE ${table} SET quantity = 12 WHERE id = 1`);
      await a.query('COMMIT');
      expect(await run()).toMatchObject({ status: 'succeeded', recordsOut: 1 });
      expect(await run()).toMatchObject({ status: 'succeeded', recordsIn: 0 });
      expect(sink.records.map((r) => r.id)).toEqual([fromB, fromA]);
      expect((sink.records[1] as Movement).quantity.value).toBe(12);
    });

    it('reads a correction made by a transaction that began before the previous run, once', async () => {
      const [a] = [await open()];
      const sink = new MemoryRecordSink();
      const run = () => runConnector({ connector: postgresLedger, config, sink });
      const id = await insertOn(admin);
      await run();
      await a.query('BEGIN');
      // A takes its transaction id now, before the row that the next run reads.
      await a.query('SELECT pg_current_xact_id()');
      const later = await insertOn(admin);
      await a.query(`UPDATE ${table} SET quantity = 4 WHERE id = 1`);
      expect(await run()).toMatchObject({ recordsOut: 1 });
      await a.query('COMMIT');
      expect(await run()).toMatchObject({ recordsOut: 2 });
      expect(await run()).toMatchObject({ recordsIn: 0 });
      expect(sink.records.map((r) => r.id)).toEqual([id, later, `${id}-x1`, `${id}-r2`]);
      expect([...stockOf(sink.records).values()]).toEqual([14]);
    });

    it('never compares clocks: rows stamped in the future or the past are read once each', async () => {
      const sink = new MemoryRecordSink();
      const run = () => runConnector({ connector: postgresLedger, config, sink });
      // A ledger server whose clock runs a year ahead, then one a year behind, then right.
      const ahead = await insertOn(admin, { updatedAt: new Date(Date.now() + 365 * 86_400_000).toISOString() });
      expect(await run()).toMatchObject({ recordsOut: 1 });
      const behind = await insertOn(admin, { updatedAt: '2000-01-01T00:00:00Z' });
      const now = await insertOn(admin);
      expect(await run()).toMatchObject({ recordsOut: 2 });
      expect(await run()).toMatchObject({ recordsIn: 0 });
      expect(sink.records.map((r) => r.id)).toEqual([ahead, behind, now]);
    });
  });

  describe('a server that disappears mid-read', () => {
    // This run's connector session: other suites may run the connector on the same server.
    const ours = `application_name = 'reserve-hub:postgres-ledger' AND query LIKE '%${schema}%' AND pid <> pg_backend_pid()`;
    const terminate = async () => {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${ours}`);
      for (let i = 0; i < 100; i++) {
        const left = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE ${ours}`);
        if (left.rowCount === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    it('fails with a transient error, and a resume from the last checkpoint loses and repeats nothing', async () => {
      await insert(await simulated(100));
      const sink = new HookedSink(async (n) => {
        if (n === 3) await terminate();
      });
      const small = { ...config, page_size: 10 };
      const cut = await runConnector({ connector: postgresLedger, config: small, sink, retry: { retries: 0 } });
      expect(cut).toMatchObject({
        status: 'failed',
        error: { code: 'HUB_ERR_CONNECTOR_SOURCE', kind: 'transient' },
      });
      // The runtime reads the next page while a write is in flight: the page read before the
      // termination may be durable too (whole pages only).
      expect([30, 40]).toContain(cut.recordsOut);
      expect(cut.error?.message).toMatch(/57P01|terminat/);
      const resumed = await runConnector({ connector: postgresLedger, config: small, sink });
      expect(resumed).toMatchObject({ status: 'succeeded', recordsOut: 100 - cut.recordsOut });
      const ids = sink.records.map((r) => r.id);
      expect(new Set(ids).size).toBe(100);
      expect(ids).toHaveLength(100);

      // Read directly, the error is a HubError the runtime retries: one run gets it all.
      const direct = new HookedSink(async (n) => {
        if (n === 2) await terminate();
      });
      const retried = await runConnector({
        connector: postgresLedger,
        config: small,
        sink: direct,
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
      });
      expect(retried).toMatchObject({ status: 'succeeded', retries: 1, recordsOut: 100 });
      expect(direct.records.map((r) => r.id)).toEqual(ids);
    });

    it('throws the transient HubError itself to a direct reader', async () => {
      await insert(await simulated(30));
      let thrown: unknown;
      let states = 0;
      try {
        for await (const m of postgresLedger.read({ ...config, page_size: 10 }, {})) {
          if (m.type === 'state' && ++states === 1) await terminate();
        }
      } catch (err) {
        thrown = err;
      }
      expect(isHubError(thrown) && [thrown.code, thrown.kind]).toEqual(['HUB_ERR_CONNECTOR_SOURCE', 'transient']);
    });
  });

  it('upgrades a ledger made by the earlier DDL in place, keeping its rows', async () => {
    const old = randomName('ledger_old');
    await admin.query(`CREATE SCHEMA ${old}`);
    try {
      // stock_ledger.sql before revisions: the same columns, a trigger that touched updated_at.
      await admin.query(`CREATE TABLE ${old}.stock_ledger (LIKE ${table} INCLUDING DEFAULTS)`);
      await admin.query(
        `ALTER TABLE ${old}.stock_ledger DROP COLUMN revision, DROP COLUMN xact, DROP COLUMN deleted_at`,
      );
      await admin.query(
        `INSERT INTO ${old}.stock_ledger (id, movement_uuid, movement_type, warehouse_code, product_code, quantity, unit, occurred_at)
         VALUES (1, $1, 'RECEIPT', 'oriental-wh1', 'food-rice-1-kg', 7, 'KGM', now())`,
        [randomUUID()],
      );
      await admin.query(`SET search_path TO ${old}`);
      await admin.query(LEDGER_DDL);
      await admin.query(`SET search_path TO ${schema}`);
      const sink = new MemoryRecordSink();
      const upgraded = { ...config, table: `${old}.stock_ledger` };
      expect(await runConnector({ connector: postgresLedger, config: upgraded, sink })).toMatchObject({
        recordsOut: 1,
      });
      await admin.query(`UPDATE ${old}.stock_ledger SET quantity = 9`);
      expect(await runConnector({ connector: postgresLedger, config: upgraded, sink })).toMatchObject({
        recordsOut: 2,
      });
      expect([...stockOf(sink.records).values()]).toEqual([9]);
    } finally {
      await admin.query(`SET search_path TO ${schema}`);
      await admin.query(`DROP SCHEMA ${old} CASCADE`);
    }
  });

  it('passes the conformance kit', async () => {
    await insert(await simulated(60));
    const report = await runConformance(postgresLedger, { ...config, page_size: 7 });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toBe('9 of 9 checkpoints interrupted and resumed');
  });

  it('reports an unreachable server as transient, retried, then failed', async () => {
    const down = { ...config, url: 'postgres://hub:hub@127.0.0.1:1/hub', connect_timeout_ms: 2000 };
    const report = await runConnector({
      connector: postgresLedger,
      config: down,
      sink: new MemoryRecordSink(),
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    expect(report).toMatchObject({
      status: 'failed',
      retries: 2,
      error: { code: 'HUB_ERR_CONNECTOR_SOURCE', kind: 'transient' },
    });
  });
});
