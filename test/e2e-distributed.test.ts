import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LEDGER_DDL } from '../connectors/postgres-ledger/src/index.js';
import { CATALOGUE } from '../connectors/simulator/src/index.js';
import { type HubProcess, startHub, waitFor } from './hub-process.js';
import { describeWithServices, randomName } from './services.js';

interface StockRow {
  locationId: string;
  locationName: string;
  regionId: string;
  productId: string;
  lotNumber: string | null;
  onHand: number;
}

/**
 * The distributed walking skeleton, through real engines: a row written into a PostgreSQL
 * ledger table is read by the postgres-ledger connector, produced to Kafka as a CloudEvent,
 * consumed by the sink into ClickHouse, and served by `/v1/stock`.
 */
describeWithServices(
  ['postgres', 'kafka', 'clickhouse'] as const,
  'Postgres ledger → Kafka → ClickHouse → /v1/stock',
  ([pgUrl, brokers, clickhouseUrl]) => {
    const schema = randomName('e2e_ledger');
    const database = randomName('e2e_hub');
    const lot = `E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
    const key = `e2e-bootstrap-${randomUUID()}`;
    const product = CATALOGUE.find((p) => p.category === 'water') ?? CATALOGUE[0];
    const client = new pg.Client({ connectionString: pgUrl });
    let hub: HubProcess | undefined;

    const insert = (row: { type: string; quantity: number; warehouse?: string }) =>
      client.query(
        `INSERT INTO ${schema}.stock_ledger (movement_uuid, movement_type, warehouse_code, product_code, gtin, lot_number, lot_expiry, quantity, unit, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
        [
          randomUUID(),
          row.type,
          row.warehouse ?? 'souss-massa-wh1',
          product?.id,
          product?.gtin,
          lot,
          '2028-06-30',
          row.quantity,
          product?.unit,
        ],
      );

    beforeAll(async () => {
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path TO ${schema}`);
      await client.query(LEDGER_DDL);
      await insert({ type: 'receipt', quantity: 480 });
      // A malformed ledger row: it must reach the dead letters, and nothing else is lost.
      await insert({ type: 'teleport', quantity: 5 });
      hub = await startHub({
        HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-e2e-dist-')),
        HUB_KAFKA_BROKERS: brokers,
        HUB_KAFKA_TOPIC_PREFIX: `${randomName('e2e')}.`,
        HUB_KAFKA_PARTITIONS: '2',
        HUB_CLICKHOUSE_URL: clickhouseUrl,
        HUB_CLICKHOUSE_DATABASE: database,
        HUB_LEDGER_PG_URL: pgUrl,
        HUB_LEDGER_TABLE: `${schema}.stock_ledger`,
        HUB_LEDGER_POLL_MS: '500',
        // The simulator brings the national network and catalogue (the dimensions).
        HUB_SIMULATOR_MOVEMENTS: '200',
        HUB_SIMULATOR_INTERVAL_MS: '0',
        HUB_BOOTSTRAP_API_KEY: key,
      });
    }, 120_000);

    afterAll(async () => {
      await hub?.stop();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await client.end();
      await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, {
        method: 'POST',
      }).catch(() => {});
    });

    const stockOfLot = async (): Promise<StockRow[]> => {
      const res = await (hub as HubProcess).get(`/v1/stock?lot=${lot}`, key);
      if (!res.ok) return [];
      return ((await res.json()) as { items: StockRow[] }).items;
    };

    it('serves the ledger row through Kafka and ClickHouse, and keeps following the ledger', {
      timeout: 150_000,
    }, async () => {
      const h = hub as HubProcess;
      await waitFor('GET /health', async () => ((await h.get('/health')).ok ? true : undefined), 90_000, h);
      const health = await (await h.get('/health')).json();
      expect(health).toMatchObject({
        mode: 'distributed',
        components: { warehouse: { status: 'up' }, stream: { status: 'up' } },
      });

      const first = await waitFor(
        'the ledger receipt in /v1/stock',
        async () => {
          const rows = await stockOfLot();
          return rows.length > 0 ? rows : undefined;
        },
        90_000,
        h,
      );
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        locationId: 'souss-massa-wh1',
        locationName: 'Entrepôt Agadir 1',
        regionId: 'souss-massa',
        productId: product?.id,
        lotNumber: lot,
        onHand: 480,
      });

      const inRegion = (await (await h.get(`/v1/stock?region=souss-massa&lot=${lot}`, key)).json()) as {
        count: number;
      };
      expect(inRegion.count).toBe(1);
      const elsewhere = (await (await h.get(`/v1/stock?region=oriental&lot=${lot}`, key)).json()) as { count: number };
      expect(elsewhere.count).toBe(0);

      // A dispatch written while the hub runs is followed within the poll interval.
      await insert({ type: 'dispatch', quantity: 80 });
      await waitFor(
        'the dispatch',
        async () => ((await stockOfLot())[0]?.onHand === 400 ? true : undefined),
        60_000,
        h,
      );

      const metrics = await (await h.get('/metrics')).text();
      expect(metrics).toMatch(
        /hub_connector_records_dead_lettered_total\{connector="postgres-ledger",stream="[a-z_]+"\} 1\b/,
      );
      expect(metrics).toMatch(/hub_connector_records_out_total\{connector="postgres-ledger",stream="[a-z_]+"\} 2\b/);

      // The refused row is kept in ClickHouse with its reasons and its original payload.
      const dl = await waitFor(
        'the dead letter in ClickHouse',
        async () => {
          const q = `SELECT errors, payload FROM ${database}.dead_letters FINAL WHERE connector = 'postgres-ledger' FORMAT JSONEachRow`;
          const text = await (await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(q)}`)).text();
          const rows = text.trim()
            ? text
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l) as { errors: string; payload: string })
            : [];
          return rows.length > 0 ? rows : undefined;
        },
        30_000,
        h,
      );
      expect(dl).toHaveLength(1);
      expect(dl[0]?.errors).toContain('movement_type');
      expect(JSON.parse(dl[0]?.payload ?? '{}')).toMatchObject({ movement_type: 'teleport', lot_number: lot });

      expect((await h.get(`/v1/stock?lot=${lot}`)).status).toBe(401);
    });
  },
);
