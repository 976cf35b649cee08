/**
 * KPI parity on a simulated day: the simulator's network, catalogue, movements, requests,
 * shipments, incidents, equipment and maintenance go, batch by batch, into DuckDB (the embedded
 * record sink, one transaction per batch) and into ClickHouse (the distributed writer, as the
 * Kafka sink does). Every KPI, by every dimension it offers, must then give identical rows on
 * both engines at several moments of the day. The hand-computed answers are in
 * warehouse/kpis/kpis.test.ts; this checks that the two engines agree on realistic volume.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runConnector } from '../connectors/sdk/runtime.js';
import { simulator } from '../connectors/simulator/src/index.js';
import type { KpiDimension, KpiOptions, RecordSink, SinkBatch, SinkWriteResult } from '../core/ports/index.js';
import { ClickHouseWarehouse } from '../warehouse/clickhouse/clickhouse-warehouse.js';
import { DuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import { KPIS } from '../warehouse/kpis/kpi-definitions.js';
import { describeWithService, randomName } from './services.js';

/** Writes every batch to both engines; DuckDB holds the connector state. */
class TeeSink implements RecordSink {
  readonly name = 'tee';
  lastMovementMs = 0;
  constructor(
    readonly duck: DuckDbWarehouse,
    readonly click: ClickHouseWarehouse,
  ) {}
  async init(): Promise<void> {}
  async close(): Promise<void> {}
  readState(connector: string, stream: string): Promise<unknown> {
    return this.duck.readState(connector, stream);
  }
  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    for (const r of batch.records) {
      if (r.resourceType === 'StockMovement' && typeof r.occurredAt === 'string') {
        this.lastMovementMs = Math.max(this.lastMovementMs, Date.parse(r.occurredAt));
      }
    }
    await this.click.insertRecords(batch.records);
    await this.click.insertDeadLetters(batch.deadLetters);
    return this.duck.write(batch);
  }
}

// Measured KPIs (freshness) are wall-clock lags, different per engine by nature.
const CASES: readonly [string, KpiOptions][] = Object.values(KPIS)
  .filter((k) => k.measured !== true)
  .flatMap((k) => {
    const dims = Object.keys(k.dimensions) as KpiDimension[];
    return [
      [k.name, { by: [] }] as [string, KpiOptions],
      [k.name, {}] as [string, KpiOptions],
      ...dims.map((dim) => [k.name, { by: [dim] }] as [string, KpiOptions]),
      [k.name, { by: dims }] as [string, KpiOptions],
    ];
  });

describeWithService('clickhouse', 'KPI parity on a simulated day: duckdb and clickhouse', (url) => {
  let dataDir: string;
  let tee: TeeSink;
  const moments: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hub-kpi-parity-'));
    const duck = new DuckDbWarehouse({ dataDir });
    const click = new ClickHouseWarehouse({ url, database: randomName('hub_kpi_parity') });
    await duck.init();
    await click.init();
    await click.migrate();
    tee = new TeeSink(duck, click);
    const report = await runConnector({
      connector: simulator,
      config: { movements: 3000, invalid_rate: 0.01 },
      sink: tee,
    });
    expect(report.status).toBe('succeeded');
    const end = tee.lastMovementMs;
    // The end of the run, the middle of its last day, 90 days on (for the expiry horizons),
    // and now (records were ingested now, so data freshness has rows only then).
    moments.push(new Date(end).toISOString(), new Date(end - 12 * 3_600_000).toISOString());
    moments.push(new Date(end + 90 * 86_400_000).toISOString(), new Date(Date.now() + 60_000).toISOString());
  }, 240_000);

  afterAll(async () => {
    await tee?.click.dropDatabase();
    await tee?.click.close();
    await tee?.duck.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('has data behind the KPIs', async () => {
    const asOf = moments[0];
    const [equipment] = await tee.duck.kpi('equipment', { asOf, by: [] });
    expect(equipment?.equipment).toBeGreaterThan(0);
    const [fill] = await tee.duck.kpi('fill_rate', { asOf, by: [] });
    expect(fill?.lines).toBeGreaterThan(0);
    const [lead] = await tee.duck.kpi('lead_times', { asOf, by: [] });
    expect(lead?.shipments).toBeGreaterThan(0);
    expect((await tee.duck.kpi('stock_position', { asOf, by: [] })).length).toBeGreaterThan(0);
    expect(
      (await tee.duck.kpi('stock_position', { asOf, by: ['warehouse', 'product', 'lot'] })).length,
    ).toBeGreaterThan(10);
  });

  it.each(
    CASES.map(([name, options]) => [`${name} by ${JSON.stringify(options.by ?? 'default')}`, name, options] as const),
  )('%s', async (_, name, options) => {
    for (const asOf of moments) {
      const [duck, click] = await Promise.all([
        tee.duck.kpi(name, { ...options, asOf }),
        tee.click.kpi(name, { ...options, asOf }),
      ]);
      expect(click).toEqual(duck);
    }
  });
});
