/**
 * The mariadb connector against a real MariaDB (scripts/services up mariadb), in a database of
 * its own per run: a ministry's tables with French column names (fixtures/ministere-stocks.sql),
 * read as four streams, incrementally, through the conformance kit, and with the server
 * killing the connection in the middle of a read.
 */
import { readFileSync } from 'node:fs';
import mariadbDriver, { type Connection, type ConnectionConfig } from 'mariadb';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { SinkBatch, SinkWriteResult } from '../../../core/ports/index.js';
import { describeWithService, randomName } from '../../../test/services.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { type MariaDbConfig, type MariaDbStreamConfig, mariadb, pageSql } from '../src/index.js';

const DDL = readFileSync(new URL('./fixtures/ministere-stocks.sql', import.meta.url), 'utf8');
const TYPES = ['Réception', 'Sortie', 'SORTIE', 'Transfert sortant', 'Perte', 'Don reçu', 'Ajustement', 'Retour'];
const ARTICLES = ['food-wheat-flour-5-kg', 'water-bottled-water-5-l', 'shelter-mosquito-net'];

// biome-ignore lint/suspicious/noExplicitAny: tests read record fields freely
type Rec = Record<string, any>;

const STREAMS: MariaDbStreamConfig[] = [
  {
    name: 'entrepots',
    resource_type: 'Location',
    query: 'SELECT * FROM entrepots',
    cursor_column: 'maj',
    id_column: 'id',
    mapping: { id: 'code_entrepot' },
    defaults: {},
    value_maps: {},
  },
  {
    name: 'articles',
    resource_type: 'Product',
    query: 'SELECT * FROM articles',
    cursor_column: 'maj',
    id_column: 'id',
    mapping: { id: 'code_article' },
    defaults: {},
    value_maps: {},
  },
  {
    name: 'mouvements_stock',
    resource_type: 'StockMovement',
    query: "SELECT m.*, 'note interne' AS commentaire_interne FROM mouvements_stock m",
    cursor_column: 'maj',
    id_column: 'id',
    mapping: {},
    defaults: {},
    value_maps: {},
  },
  {
    name: 'inventaires',
    resource_type: 'StockSnapshot',
    query: 'SELECT * FROM inventaires',
    cursor_column: 'maj',
    id_column: 'id',
    mapping: {},
    defaults: {},
    value_maps: {},
  },
];

describeWithService('mariadb', 'mariadb connector (MariaDB)', (url) => {
  const database = randomName('ministere');
  const dbUrl = (() => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  })();
  const config: Partial<MariaDbConfig> = {
    url: dbUrl,
    streams: STREAMS,
    page_size: 10,
    source_system: 'ministere-test',
  };
  let admin: Connection;

  /** `n` movements, three per `maj` value so that the cursor's id tie-break is exercised. */
  async function insertMovements(n: number, from = 0): Promise<void> {
    for (let i = from; i < from + n; i++) {
      const maj = new Date(Date.UTC(2025, 0, 6, 9, 0, Math.floor(i / 3)))
        .toISOString()
        .replace('T', ' ')
        .replace('Z', '');
      await admin.query(
        `INSERT INTO mouvements_stock (type_mouvement, date_mouvement, code_entrepot, code_article, numero_lot, date_peremption, quantite, unite, motif, maj)
         VALUES (?, ?, 'souss-massa-wh1', ?, ?, ?, ?, ?, ?, ?)`,
        [
          TYPES[i % TYPES.length],
          `2025-01-${String(6 + (i % 20)).padStart(2, '0')} 08:30:00`,
          ARTICLES[i % 3],
          i % 2 === 0 ? `LOT-${i % 7}` : null,
          i % 2 === 0 ? '2026-06-30' : null,
          TYPES[i % TYPES.length] === 'Ajustement' ? -2.5 : 10 + i,
          ['kg', 'bouteille', 'unité'][i % 3],
          `mouvement ${i}`,
          `${maj}000`,
        ],
      );
    }
  }

  beforeAll(async () => {
    admin = await mariadbDriver.createConnection({ ...parse(url), multipleStatements: true });
    await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
    await admin.query(`USE ${database}`);
    await admin.query(DDL);
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  beforeEach(async () => {
    await admin.query('TRUNCATE mouvements_stock');
  });

  it('checks the connection, the queries and their columns, never echoing the password', async () => {
    await insertMovements(3);
    expect(await mariadb.check(config)).toEqual({ status: 'succeeded' });
    const missing = await mariadb.check({
      ...config,
      streams: [{ ...(STREAMS[2] as MariaDbStreamConfig), query: 'SELECT * FROM mouvements' }],
    });
    expect(missing.status).toBe('failed');
    expect(missing.message).toMatch(/mouvements' doesn't exist \(ER_NO_SUCH_TABLE\)/);
    const noQuantity = await mariadb.check({
      ...config,
      streams: [
        { ...(STREAMS[2] as MariaDbStreamConfig), query: 'SELECT id, maj, type_mouvement FROM mouvements_stock' },
      ],
    });
    expect(noQuantity.message).toMatch(/name none for occurred_at, location, product, quantity, unit/);
    await admin.query('ALTER TABLE inventaires MODIFY maj DATETIME(6) NULL');
    await admin.query(
      "INSERT INTO inventaires (date_inventaire, code_entrepot, code_article, quantite_comptee, unite, maj) VALUES ('2025-02-01', 'souss-massa-wh1', 'food-wheat-flour-5-kg', 1, 'kg', NULL)",
    );
    const nulls = await mariadb.check(config);
    expect(nulls.message).toMatch(
      /inventaires: 1 row\(s\) have a NULL maj or id, which an incremental read never reaches/,
    );
    await admin.query('DELETE FROM inventaires WHERE maj IS NULL');
    await admin.query(
      'ALTER TABLE inventaires MODIFY maj DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)',
    );
    const wrong = new URL(dbUrl);
    wrong.password = 'Wr0ng-Passw0rd';
    const refused = await mariadb.check({ ...config, url: wrong.toString() });
    expect(refused.status).toBe('failed');
    expect(refused.message).toMatch(/Access denied.*\(ER_ACCESS_DENIED_ERROR\)/);
    expect(refused.message).not.toContain('Wr0ng-Passw0rd');
  });

  it('reads French tables into locations, products, movements and snapshots, then only what changed', async () => {
    await insertMovements(45);
    const sink = new MemoryRecordSink();
    const first = await runConnector({ connector: mariadb, config, sink });
    expect(first).toMatchObject({ status: 'succeeded', recordsIn: 3 + 3 + 45 + 2, deadLettered: 0 });
    expect(first.streams.mouvements_stock).toMatchObject({ recordsOut: 45, checkpoints: 5 });
    const byType = (t: string) => sink.records.filter((r) => r.resourceType === t) as Rec[];
    expect(byType('Location')[1]).toMatchObject({
      id: 'souss-massa-wh1',
      kind: 'warehouse',
      name: { fr: "Entrepôt régional d'Agadir", ar: 'المستودع الجهوي أكادير' },
      regionId: 'souss-massa',
      partOf: { reference: 'Location/souss-massa-pf' },
      gln: '6118000090014',
      position: { latitude: 30.42, longitude: -9.58 },
      floorAreaM2: 20000,
    });
    expect(byType('Product')[0]).toMatchObject({
      id: 'food-wheat-flour-5-kg',
      sku: 'food-wheat-flour-5-kg',
      gtin: '16118002000018',
      category: 'food',
      unit: 'KGM',
      packSize: 5,
      criticality: 'vital',
    });
    const moves = byType('StockMovement');
    expect(moves.map((m) => m.movementType).slice(0, 8)).toEqual([
      'receipt',
      'dispatch',
      'dispatch',
      'transfer-out',
      'loss',
      'donation-in',
      'adjustment',
      'return',
    ]);
    expect(moves[1]).toMatchObject({
      occurredAt: '2025-01-07T08:30:00+01:00',
      location: { reference: 'Location/souss-massa-wh1' },
      product: { reference: 'Product/water-bottled-water-5-l' },
      quantity: { value: -11, unit: 'XBO' },
      identifier: [{ value: '2' }],
      meta: { lineage: { connector: 'mariadb', sourceSystem: 'ministere-test', sourceId: '2' } },
    });
    expect(moves[0]).toMatchObject({
      lot: { lotNumber: 'LOT-0', expiry: '2026-06-30' },
      quantity: { value: 10, unit: 'KGM' },
    });
    expect(moves[6]?.quantity).toEqual({ value: -2.5, unit: 'KGM' });
    expect(byType('StockSnapshot')[0]).toMatchObject({
      countedAt: '2025-01-31T00:00:00+01:00',
      quantity: { value: 1242.5, unit: 'KGM' },
      countedBy: 'Équipe inventaire Agadir',
    });
    expect(await sink.readState('mariadb', 'mouvements_stock')).toEqual({
      cursor: '2025-01-06 09:00:14.000000',
      id: { bigint: '45' },
    });

    // New rows and a corrected one (its maj moves on): only those are read again.
    await insertMovements(5, 45);
    await admin.query("UPDATE mouvements_stock SET motif = 'corrigé', maj = '2025-01-06 09:05:00.000000' WHERE id = 7");
    const second = await runConnector({ connector: mariadb, config, sink });
    expect(second).toMatchObject({ status: 'succeeded', recordsIn: 6, recordsOut: 6 });
    expect((sink.records.at(-1) as Rec).reason).toBe('corrigé');
    expect(byType('StockMovement').length).toBe(51);
    expect(new Set(byType('StockMovement').map((r) => r.id)).size).toBe(50);
    const third = await runConnector({ connector: mariadb, config, sink });
    expect(third).toMatchObject({ status: 'succeeded', recordsIn: 0, checkpoints: 0 });
  });

  it('dead-letters rows it cannot map, with the row as read and the column at fault', async () => {
    await insertMovements(4);
    await admin.query(
      `INSERT INTO mouvements_stock (type_mouvement, date_mouvement, code_entrepot, code_article, quantite, unite, maj)
       VALUES ('Téléportation', '2025-01-09 10:00:00', 'souss-massa-wh1', 'food-wheat-flour-5-kg', 3, 'kg', '2025-01-07 00:00:00'),
              ('Réception', '2025-01-09 10:00:00', 'entrepôt Agadir', 'food-wheat-flour-5-kg', 3, 'kg', '2025-01-07 00:00:01'),
              ('Réception', '2025-01-09 10:00:00', 'souss-massa-wh1', 'food-wheat-flour-5-kg', -3, 'kg', '2025-01-07 00:00:02')`,
    );
    const sink = new MemoryRecordSink();
    const only = { ...config, streams: [STREAMS[2] as MariaDbStreamConfig] };
    const report = await runConnector({ connector: mariadb, config: only, sink, failureBudget: false });
    expect(report).toMatchObject({ status: 'succeeded', recordsIn: 7, recordsOut: 4, deadLettered: 3 });
    const [teleport, place, negative] = sink.deadLetters;
    expect(teleport).toMatchObject({
      sourceId: '5',
      errors: [{ code: 'HUB_ERR_MAPPING_CODE_UNKNOWN', pointer: '/type_mouvement' }],
    });
    expect(teleport?.errors[0]?.message).toMatch(/^mouvements_stock id=5: \/type_mouvement is "Téléportation"/);
    expect(teleport?.payload).toMatchObject({
      id: '5',
      type_mouvement: 'Téléportation',
      quantite: '3.000',
      maj: '2025-01-07 00:00:00.000000',
    });
    expect(place?.errors[0]).toMatchObject({ code: 'HUB_ERR_MAPPING_LOCATION_UNKNOWN', pointer: '/code_entrepot' });
    expect(negative?.errors[0]).toMatchObject({ code: 'HUB_ERR_MODEL_QUANTITY_SIGN', pointer: '/quantity/value' });
  });

  it('passes the conformance kit', async () => {
    await insertMovements(40);
    const report = await runConformance(mariadb, { ...config, page_size: 7 });
    expect(report.failures).toEqual([]);
    // 3 + 3 + 40 + 2 rows in pages of 7: 1 + 1 + 6 + 1 checkpoints.
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toBe('9 of 9 checkpoints interrupted and resumed');
  });

  it('fails transiently when the server kills the connection mid-read, and resumes losing and repeating nothing', async () => {
    await insertMovements(60);
    const only = { ...config, streams: [STREAMS[2] as MariaDbStreamConfig] };
    /** Kills the connector's connection from another session once its 2nd page is durable. */
    class KillingSink extends MemoryRecordSink {
      commits = 0;
      override async write(batch: SinkBatch): Promise<SinkWriteResult> {
        const r = await super.write(batch);
        if (batch.state !== undefined && ++this.commits === 2) {
          const ids = (await admin.query(
            'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
            [database],
          )) as { ID: bigint | number }[];
          expect(ids.length).toBe(1);
          for (const { ID } of ids) await admin.query(`KILL ${ID}`);
        }
        return r;
      }
    }
    const sink = new KillingSink();
    const broken = await runConnector({ connector: mariadb, config: only, sink, retry: { retries: 0 } });
    expect(broken).toMatchObject({
      status: 'failed',
      error: { code: 'HUB_ERR_CONNECTOR_SOURCE', kind: 'transient' },
    });
    // The runtime reads the next page while a write is in flight: the page read before the
    // kill may be durable too (whole pages only, each with its checkpoint).
    expect([20, 30]).toContain(broken.recordsOut);
    expect(broken.checkpoints).toBe(broken.recordsOut / 10);
    expect(broken.error?.message).toMatch(
      /socket has unexpectedly been closed|Connection was killed|connection closed/,
    );
    const resumed = await runConnector({ connector: mariadb, config: only, sink });
    expect(resumed).toMatchObject({ status: 'succeeded', recordsOut: 60 - broken.recordsOut });
    const ids = sink.records.map((r) => r.identifier as { value: string }[]).map((i) => Number(i[0]?.value));
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    // With retries, the runtime rides over the kill within one run, from the last checkpoint.
    const again = new KillingSink();
    const retried = await runConnector({
      connector: mariadb,
      config: only,
      sink: again,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    expect(retried).toMatchObject({ status: 'succeeded', retries: 1, recordsOut: 60 });
    expect(new Set(again.records.map((r) => r.id)).size).toBe(60);
    expect(again.records).toHaveLength(60);
  });

  it('reports an unreachable server as transient, retried, then failed', async () => {
    const report = await runConnector({
      connector: mariadb,
      config: { ...config, url: 'mariadb://hub:hub@127.0.0.1:1/hub', connect_timeout_ms: 2000 },
      sink: new MemoryRecordSink(),
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    });
    expect(report).toMatchObject({
      status: 'failed',
      retries: 2,
      error: { code: 'HUB_ERR_CONNECTOR_SOURCE', kind: 'transient' },
    });
  });

  it('binds every cursor value: the page query holds placeholders only', () => {
    const sql = pageSql(STREAMS[2] as MariaDbStreamConfig, false, true);
    expect(sql).toBe(
      "SELECT * FROM (SELECT m.*, 'note interne' AS commentaire_interne FROM mouvements_stock m) AS hub_source WHERE (hub_source.`maj` > ? OR (hub_source.`maj` = ? AND hub_source.`id` > ?)) AND hub_source.`maj` <= NOW(6) - INTERVAL ? SECOND ORDER BY hub_source.`maj`, hub_source.`id` LIMIT ?",
    );
  });
});

function parse(url: string): ConnectionConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}
