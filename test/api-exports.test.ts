import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader, tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../api/auth/api-key-store.js';
import { csvCell, negotiateExport } from '../api/routes/exports.js';
import { buildApi } from '../api/server.js';
import type { CanonicalResource, ExportQuery, WarehouseQuery } from '../core/ports/index.js';
import { BATCHES, MOVEMENTS } from '../warehouse/contract/scenario.js';
import { createClickHouseWarehouse, DuckDbWarehouse } from '../warehouse/index.js';
import { describeWithService, randomName } from './services.js';

const BOOTSTRAP = 'test-bootstrap-key-exports-0123456789';

/** Movements whose text a spreadsheet would run as a formula, written like any other. */
const INJECTIONS = ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd', 'a "quoted", b'];
const injected: CanonicalResource[] = INJECTIONS.map((reason, i) => ({
  ...(MOVEMENTS[5] as CanonicalResource),
  id: `inj-${i}`,
  reason,
}));

async function setup(
  warehouse: WarehouseQuery & ExportQuery,
): Promise<{ app: FastifyInstance; keys: ApiKeyStore; regional: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-exports-'));
  const keys = new ApiKeyStore(join(dir, 'state.sqlite'), { bootstrapKey: BOOTSTRAP });
  const regional = keys.create({ name: 'CRM Souss-Massa', scopes: ['read'], regions: ['souss-massa'] }).key;
  const app = await buildApi({
    warehouse,
    exports: warehouse,
    verifier: keys,
    mode: 'embedded',
    version: 'test',
    probe: async () => ({}),
  });
  return { app, keys, regional, dir };
}

async function get(app: FastifyInstance, url: string, key: string, accept?: string) {
  return app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${key}`, ...(accept ? { accept } : {}) },
  });
}

/** Parses an RFC 4180 CSV (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

interface Digest {
  rows: number;
  quantityMicro: number;
  ids: string;
}

function digest(rows: readonly { id: unknown; quantity: unknown }[]): Digest {
  let micro = 0;
  for (const r of rows) micro += Math.round(Number(r.quantity) * 1e6);
  return { rows: rows.length, quantityMicro: micro, ids: rows.map((r) => String(r.id)).join('|') };
}

function ndjson(body: string): Record<string, unknown>[] {
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function csvObjects(body: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(body);
  return rows.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ''])));
}

describe('export format negotiation and CSV cells', () => {
  it('picks by Accept with q-values, NDJSON for */* or none, nothing for an unknown type', () => {
    expect(negotiateExport(undefined)).toBe('ndjson');
    expect(negotiateExport('*/*')).toBe('ndjson');
    expect(negotiateExport('application/vnd.apache.arrow.stream')).toBe('arrow');
    expect(negotiateExport('text/csv;q=0.5, application/x-ndjson;q=0.9')).toBe('ndjson');
    expect(negotiateExport('text/*')).toBe('csv');
    expect(negotiateExport('application/xml')).toBeUndefined();
    expect(negotiateExport('text/csv;q=0')).toBeUndefined();
  });

  it("neutralises formula cells with a leading ' and quotes per RFC 4180", () => {
    expect(csvCell('=1+1', 'string')).toBe("'=1+1");
    expect(csvCell('@x', 'string')).toBe("'@x");
    expect(csvCell('\tx', 'string')).toBe("'\tx");
    expect(csvCell('\rx', 'string')).toBe(`"'\rx"`);
    expect(csvCell('a "b", c', 'string')).toBe('"a ""b"", c"');
    expect(csvCell('plain', 'string')).toBe('plain');
    expect(csvCell(-250, 'float')).toBe('-250');
    expect(csvCell(null, 'string')).toBe('');
    expect(csvCell(Date.UTC(2026, 1, 2, 10), 'timestamp')).toBe('2026-02-02T10:00:00.000Z');
  });
});

const BULK = 70_000;
const SITES = ['souss-massa-wh1', 'souss-massa-wh2', 'draa-tafilalet-wh1'];

/** A generated receipt, like the scenario's, at one of its three warehouses. */
function bulkMovement(n: number): CanonicalResource {
  const base = MOVEMENTS[0] as CanonicalResource;
  return {
    ...base,
    id: `bulk-${String(n).padStart(6, '0')}`,
    occurredAt: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
    location: { reference: `Location/${SITES[n % 3]}` },
    quantity: { value: (n % 97) + 0.5, unit: 'EA' },
  };
}

describe('GET /v1/exports on a real DuckDB', () => {
  let dataDir: string;
  let warehouse: DuckDbWarehouse;
  let ctx: Awaited<ReturnType<typeof setup>>;
  let simulated = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hub-exports-wh-'));
    warehouse = new DuckDbWarehouse({ dataDir });
    await warehouse.init();
    for (const batch of BATCHES) await warehouse.write(batch);
    await warehouse.write({ connector: 'contract', stream: 'inj', records: injected, deadLetters: [], state: {} });
    // Enough movements for two 64k-row Arrow record batches.
    for (let start = 0; start < BULK; start += 10_000) {
      const records = Array.from({ length: Math.min(10_000, BULK - start) }, (_, i) => bulkMovement(start + i));
      await warehouse.write({ connector: 'contract', stream: 'bulk', records, deadLetters: [], state: {} });
    }
    simulated = BULK;
    ctx = await setup(warehouse);
  }, 180_000);

  afterAll(async () => {
    await ctx?.app.close();
    ctx?.keys.close();
    await warehouse?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (ctx) rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('gives the same rows as Arrow (several record batches), NDJSON and CSV', async () => {
    const arrow = await get(ctx.app, '/v1/exports/movements', BOOTSTRAP, 'application/vnd.apache.arrow.stream');
    expect(arrow.statusCode).toBe(200);
    expect(arrow.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const batches = [...RecordBatchReader.from(arrow.rawPayload)];
    expect(batches.length).toBe(2);
    expect(batches[0]?.numRows).toBe(65_536);
    const table = tableFromIPC(arrow.rawPayload);
    const total = MOVEMENTS.length + INJECTIONS.length + simulated;
    expect(table.numRows).toBe(total);
    expect(table.schema.fields.find((f) => f.name === 'occurred_at')?.type.toString()).toMatch(/Timestamp/);
    const fromArrow = digest(table.toArray().map((r) => ({ id: r.id, quantity: r.quantity })));

    const nd = await get(ctx.app, '/v1/exports/movements', BOOTSTRAP, 'application/x-ndjson');
    expect(nd.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const fromNdjson = digest(ndjson(nd.body) as { id: unknown; quantity: unknown }[]);
    const csv = await get(ctx.app, '/v1/exports/movements?format=csv', BOOTSTRAP, 'application/xml');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const fromCsv = digest(csvObjects(csv.body) as { id: string; quantity: string }[]);

    expect(fromArrow.rows).toBe(total);
    expect(fromNdjson).toEqual(fromArrow);
    expect(fromCsv).toEqual(fromArrow);
  });

  it('gives every value of every dataset identical in columnar Arrow (dictionaries) and NDJSON', async () => {
    for (const dataset of ['movements', 'stock', 'shipments', 'requests', 'incidents'] as const) {
      const table = tableFromIPC((await get(ctx.app, `/v1/exports/${dataset}?format=arrow`, BOOTSTRAP)).rawPayload);
      const rows = ndjson((await get(ctx.app, `/v1/exports/${dataset}`, BOOTSTRAP)).body);
      const fromArrow = table.toArray().map((r) =>
        Object.fromEntries(
          table.schema.fields.map((f) => {
            const v = r[f.name] as unknown;
            if (v === null || v === undefined) return [f.name, null];
            if (/Timestamp/.test(String(f.type))) return [f.name, new Date(Number(v)).toISOString()];
            return [f.name, typeof v === 'bigint' ? Number(v) : v];
          }),
        ),
      );
      expect(fromArrow, dataset).toEqual(rows);
    }
    const movements = tableFromIPC((await get(ctx.app, '/v1/exports/movements?format=arrow', BOOTSTRAP)).rawPayload);
    const type = (name: string) => String(movements.schema.fields.find((f) => f.name === name)?.type);
    expect(type('location_id')).toMatch(/^Dictionary<Int8, Utf8>$/);
    expect(type('id')).toBe('Utf8');
  });

  it('keeps times and nulls: Arrow timestamps equal the NDJSON instants', async () => {
    const url = '/v1/exports/movements?warehouse=souss-massa-wh1&from=2026-02-02T00:00:00Z&to=2026-02-05T00:00:00Z';
    const table = tableFromIPC((await get(ctx.app, `${url}&format=arrow`, BOOTSTRAP)).rawPayload);
    const rows = ndjson((await get(ctx.app, url, BOOTSTRAP)).body);
    expect(rows.map((r) => r.id)).toEqual(['m02', 'm03', 'm05']);
    expect(rows[1]).toMatchObject({
      occurred_at: '2026-02-03T11:30:00.500Z',
      counterpart_id: 'souss-massa-wh2',
      lot_number: null,
    });
    expect(table.toArray().map((r) => Number(r.occurred_at))).toEqual(
      rows.map((r) => Date.parse(String(r.occurred_at))),
    );
    expect(table.getChild('lot_number')?.nullCount).toBe(3);
  });

  it('neutralises formula injection in CSV cells, and NDJSON keeps the text as stored', async () => {
    const csv = csvObjects(
      (await get(ctx.app, '/v1/exports/movements?format=csv&warehouse=souss-massa-wh1', BOOTSTRAP)).body,
    );
    const reasons = csv.filter((r) => r.id?.startsWith('inj-')).map((r) => r.reason);
    expect(reasons).toEqual([
      '\'=HYPERLINK("http://evil","x")',
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\tcmd",
      "'\rcmd",
      'a "quoted", b',
    ]);
    for (const r of csv) expect(r.reason ?? '').not.toMatch(/^[=+\-@\t\r]/);
    const nd = ndjson((await get(ctx.app, '/v1/exports/movements?warehouse=souss-massa-wh1', BOOTSTRAP)).body);
    expect(nd.filter((r) => String(r.id).startsWith('inj-')).map((r) => r.reason)).toEqual(INJECTIONS);
  });

  it("gives a region-scoped key its regions' rows only, in every dataset and format", async () => {
    const locations = await warehouse.listLocations({});
    const regionOf = new Map(locations.map((l) => [l.id, l.regionId]));
    const all = ndjson((await get(ctx.app, '/v1/exports/movements', BOOTSTRAP)).body);
    const mine = ndjson((await get(ctx.app, '/v1/exports/movements', ctx.regional)).body);
    const expected = all.filter((r) => regionOf.get(String(r.location_id)) === 'souss-massa');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(all.length);
    expect(mine.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    const arrow = tableFromIPC((await get(ctx.app, '/v1/exports/movements?format=arrow', ctx.regional)).rawPayload);
    expect(arrow.numRows).toBe(mine.length);
    // Asking for another region gives nothing at all, not an error that would confirm it exists.
    const other = await get(ctx.app, '/v1/exports/movements?region=draa-tafilalet', ctx.regional);
    expect(other.statusCode).toBe(200);
    expect(other.body).toBe('');
    const stock = ndjson((await get(ctx.app, '/v1/exports/stock', ctx.regional)).body);
    expect(stock.length).toBeGreaterThan(0);
    expect(stock.every((r) => regionOf.get(String(r.location_id)) === 'souss-massa')).toBe(true);
    const shipments = ndjson((await get(ctx.app, '/v1/exports/shipments', ctx.regional)).body);
    expect(shipments.map((s) => s.id).filter((id) => String(id).startsWith('sh-'))).toEqual([
      'sh-001',
      'sh-002',
      'sh-003',
      'sh-004',
    ]);
    for (const s of shipments) {
      expect([s.origin_region_id, s.destination_region_id]).toContain('souss-massa');
    }
    const requests = ndjson((await get(ctx.app, '/v1/exports/requests', ctx.regional)).body);
    expect(requests.every((r) => regionOf.get(String(r.deliver_to_id)) === 'souss-massa')).toBe(true);
    expect(requests.map((r) => r.id)).toContain('rq-1');
    expect(requests.map((r) => r.id)).not.toContain('rq-2');
  });

  it('exports stock equal to the stock route, and honours dataset filters', async () => {
    const route = await get(ctx.app, '/v1/stock?warehouse=draa-tafilalet-wh1&product=amoxicillin', BOOTSTRAP);
    const expected = (route.json() as { items: { lotNumber: string | null; onHand: number }[] }).items;
    const exported = ndjson(
      (await get(ctx.app, '/v1/exports/stock?warehouse=draa-tafilalet-wh1&product=amoxicillin', BOOTSTRAP)).body,
    );
    expect(exported.map((r) => [r.lot_number, r.on_hand])).toEqual(expected.map((r) => [r.lotNumber, r.onHand]));
    const active = ndjson((await get(ctx.app, '/v1/exports/requests?status=active&priority=urgent', BOOTSTRAP)).body);
    expect(active.map((r) => r.id)).toEqual(['rq-2']);
  });

  it('answers 406 for an unacceptable type, 400 for a filter the dataset lacks or a bad value', async () => {
    const r406 = await get(ctx.app, '/v1/exports/movements', BOOTSTRAP, 'application/xml');
    expect(r406.statusCode).toBe(406);
    expect(r406.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r406.json()).toMatchObject({ code: 'HUB_ERR_API_NOT_ACCEPTABLE', status: 406 });
    const wrong = await get(ctx.app, '/v1/exports/stock?status=active', BOOTSTRAP);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors).toEqual([expect.objectContaining({ pointer: '/querystring/status' })]);
    const inject = await get(
      ctx.app,
      `/v1/exports/movements?warehouse=${encodeURIComponent("x' OR 1=1 --")}`,
      BOOTSTRAP,
    );
    expect(inject.statusCode).toBe(400);
    expect(inject.body).not.toMatch(/SELECT|stock_movements/);
    expect((await get(ctx.app, '/v1/exports/secrets', BOOTSTRAP)).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/exports/movements' })).statusCode).toBe(401);
  });
});

describeWithService('clickhouse', 'GET /v1/exports on a real ClickHouse', (url) => {
  const database = randomName('hub_exports');
  const warehouse = createClickHouseWarehouse({ url, database, migrateOnInit: true }) as ReturnType<
    typeof createClickHouseWarehouse
  > &
    ExportQuery;
  let ctx: Awaited<ReturnType<typeof setup>>;
  const duck = new DuckDbWarehouse({ dataDir: mkdtempSync(join(tmpdir(), 'hub-exports-duck-')) });

  beforeAll(async () => {
    await warehouse.init();
    await duck.init();
    for (const batch of BATCHES) {
      await warehouse.insertRecords(batch.records);
      await duck.write(batch);
    }
    await warehouse.insertRecords(injected);
    await duck.write({ connector: 'contract', stream: 'inj', records: injected, deadLetters: [], state: {} });
    ctx = await setup(warehouse);
  }, 60_000);

  afterAll(async () => {
    await ctx?.app.close();
    ctx?.keys.close();
    await (warehouse as unknown as { dropDatabase(): Promise<void> }).dropDatabase().catch(() => undefined);
    await warehouse.close();
    await duck.close();
  });

  it('streams every dataset with the same rows as DuckDB, in Arrow, NDJSON and CSV', async () => {
    for (const dataset of ['movements', 'stock', 'shipments', 'requests', 'incidents'] as const) {
      const nd = ndjson((await get(ctx.app, `/v1/exports/${dataset}`, BOOTSTRAP)).body);
      const fromDuck: Record<string, unknown>[] = [];
      const stream = await duck.exportRows(dataset, {});
      for await (const chunk of stream.chunks) {
        for (let r = 0; r < chunk.rowCount; r++) {
          fromDuck.push(
            Object.fromEntries(
              stream.columns.map((c, i) => {
                const v = chunk.values[i]?.[r] ?? null;
                return [c.name, c.type === 'timestamp' && v !== null ? new Date(Number(v)).toISOString() : v];
              }),
            ),
          );
        }
      }
      expect(nd, dataset).toEqual(fromDuck);
      const arrow = tableFromIPC((await get(ctx.app, `/v1/exports/${dataset}?format=arrow`, BOOTSTRAP)).rawPayload);
      expect(arrow.numRows, dataset).toBe(nd.length);
      const csv = csvObjects((await get(ctx.app, `/v1/exports/${dataset}?format=csv`, BOOTSTRAP)).body);
      expect(csv.length, dataset).toBe(nd.length);
    }
  });

  it('scopes a regional key in ClickHouse too', async () => {
    const all = ndjson((await get(ctx.app, '/v1/exports/movements', BOOTSTRAP)).body);
    const mine = ndjson((await get(ctx.app, '/v1/exports/movements?format=ndjson', ctx.regional)).body);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(all.length);
    expect(mine.every((r) => String(r.location_id).startsWith('souss-massa'))).toBe(true);
    const incidents = ndjson((await get(ctx.app, '/v1/exports/incidents', ctx.regional)).body);
    expect(incidents.map((r) => r.id)).toEqual(['inc-al-haouz']);
  });
});
