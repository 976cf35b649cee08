/**
 * The postgres-ledger connector against a real PostgreSQL (scripts/services up postgres), in a
 * schema of its own per run. The ledger is filled with the simulator's movements, written the
 * way a ledger application would (unsigned quantities, codes, timestamps).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeWithService, randomName } from '../../../test/services.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { simulator } from '../../simulator/src/index.js';
import { LEDGER_DDL, postgresLedger } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read record fields freely
type Movement = Record<string, any>;

/** The simulator's first `n` movements. */
async function simulated(n: number): Promise<Movement[]> {
  const out: Movement[] = [];
  const skip = { locations: { seq: 1e6 }, organizations: { seq: 1e6 }, products: { seq: 1e6 }, lots: { seq: 1e6 } };
  for await (const m of simulator.read({ movements: n }, skip)) if (m.type === 'record') out.push(m.data);
  return out;
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
    await admin.query(`TRUNCATE ${table} RESTART IDENTITY`);
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
    const state = (await sink.readState('postgres-ledger', 'stock_movements')) as Record<string, { id: string }>;
    expect(state[table]?.id).toBe('120');
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
    expect(second).toMatchObject({ status: 'succeeded', recordsIn: 21, recordsOut: 21 });
    const corrected = sink.records.at(-1);
    expect(corrected?.reason).toBe('corrigé');
    expect(sink.byKey.size).toBe(140);

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
