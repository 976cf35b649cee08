import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterId } from '../core/lineage/index.js';
import type { DeadLetter } from '../core/ports/index.js';
import { deadLetterRow } from '../warehouse/sql/resource-rows.js';
import { type HubProcess, startHub, waitFor } from './hub-process.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'connectors/epcis/test/fixtures');
const CONVOY = readFileSync(join(FIXTURES, '2025-09-08-souss-massa-relief-convoy.jsonld'));
const UNMAPPABLE = readFileSync(join(FIXTURES, 'bad/unmappable-events.jsonld'));

interface StockRow {
  locationId: string;
  productId: string;
  lotNumber: string | null;
  unit: string;
  onHand: number;
}

/**
 * Push ingestion as a partner uses it, against the real hub in embedded mode: a partner key
 * created with `hub keys create`, an EPCIS document pushed to `POST /v1/ingest/epcis` with an
 * `Idempotency-Key`, a retry that must not count anything twice, and dead letters whose ids
 * are the ones DuckDB stores.
 */
describe('hub start, embedded mode: push ingestion end to end', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-e2e-ingest-'));
  const admin = 'e2e-ingest-bootstrap-key-0123456789';
  const env = {
    HUB_DATA_DIR: dataDir,
    HUB_SIMULATOR_MOVEMENTS: '200',
    HUB_SIMULATOR_INTERVAL_MS: '0',
    HUB_BOOTSTRAP_API_KEY: admin,
  };
  let hub: HubProcess | undefined;
  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  const running = (): HubProcess => {
    if (!hub) throw new Error('the hub is not started');
    return hub;
  };
  let partnerKey = '';
  let partnerId = '';
  let deadIds: string[] = [];
  let cliDeadIds: string[] = [];

  const push = (body: Buffer, idempotencyKey: string, key = partnerKey) =>
    fetch(`${running().url}/v1/ingest/epcis`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/ld+json',
        'idempotency-key': idempotencyKey,
      },
      body,
    });
  const stock = async (): Promise<Map<string, number>> => {
    const res = await running().get('/v1/stock?limit=10000', admin);
    const { items } = (await res.json()) as { items: StockRow[] };
    return new Map(items.map((r) => [`${r.locationId}|${r.productId}|${r.lotNumber}|${r.unit}`, r.onHand]));
  };
  const recordsOut = async (): Promise<number> => {
    const metrics = await (await running().get('/metrics')).text();
    const m = /hub_connector_records_out_total\{connector="epcis",stream="push"\} (\d+)/.exec(metrics);
    return m ? Number(m[1]) : 0;
  };

  it('serves the push endpoint for the registered push connectors', async () => {
    const created = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hub.mjs'), 'keys', 'create', '--name', 'Croissant-Rouge Souss-Massa', '--scopes', 'ingest'],
      { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    expect(created.status, created.stderr).toBe(0);
    const match = /\b(rh_([0-9a-f]{12})_[A-Za-z0-9_-]{32})\b/.exec(created.stdout + created.stderr);
    partnerKey = match?.[1] ?? '';
    partnerId = match?.[2] ?? '';
    expect(partnerKey).not.toBe('');

    hub = await startHub(env);
    const h = hub;
    await waitFor('GET /health', async () => ((await h.get('/health')).ok ? true : undefined), 60_000, h);
    await waitFor(
      'the simulator history',
      async () => (/simulator history/.test(h.output()) ? true : undefined),
      90_000,
      h,
    );

    const list = (await (await hub.get('/v1/ingest', partnerKey)).json()) as { connectors: { name: string }[] };
    expect(list.connectors.map((c) => c.name)).toContain('epcis');
    const spec = (await (await hub.get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(spec.paths).toHaveProperty('/v1/ingest/{connector}');
    const unknownKey = await push(CONVOY, 'e2e-unknown-key', admin.replace('e2e', 'bad'));
    expect(unknownKey.status).toBe(401);
  });

  it('ingests a pushed EPCIS document once, however often it is retried with its Idempotency-Key', async () => {
    const before = await stock();
    const first = await push(CONVOY, 'convoy-2025-09-08');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();
    const result = JSON.parse(firstBody) as { connector: string; accepted: number; rejected: number };
    expect(result).toMatchObject({ connector: 'epcis', rejected: 0 });
    expect(result.accepted).toBeGreaterThan(0);
    expect(await recordsOut()).toBe(result.accepted);
    const after = await stock();
    expect(after).not.toEqual(before);

    for (let i = 0; i < 2; i++) {
      const retry = await push(CONVOY, 'convoy-2025-09-08');
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await retry.text()).toBe(firstBody);
    }
    // Nothing was written again: the same stock, and the sink saw one batch of records.
    expect(await stock()).toEqual(after);
    expect(await recordsOut()).toBe(result.accepted);

    const reused = await push(UNMAPPABLE, 'convoy-2025-09-08');
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    expect(((await reused.json()) as { code: string }).code).toBe('HUB_ERR_IDEMPOTENCY_KEY_REUSED');
  });

  it('keeps refused events as dead letters and answers their ids', async () => {
    const res = await push(UNMAPPABLE, 'unmappable-1');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      rejected: number;
      deadLettered: number;
      deadLetters: { href: string; ids: string[] };
    };
    expect(body.rejected).toBeGreaterThan(0);
    expect(body.deadLettered).toBe(body.rejected);
    deadIds = body.deadLetters.ids;
    expect(deadIds.length).toBeGreaterThan(0);
    expect(body.deadLetters.href).toBe(`/v1/dead-letters?ids=${deadIds.join(',')}`);
    expect(await running().stop()).toBe(0);
  });

  it('ingests the same document from a file with `hub ingest epcis --file`, through the same service', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hub.mjs'), 'ingest', 'epcis', '--file', join(FIXTURES, 'bad/unmappable-events.jsonld')],
      { cwd: ROOT, env: { ...process.env, ...env, HUB_LOG_LEVEL: 'error' }, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
      connector: string;
      deadLetterIds: string[];
    };
    expect(result.connector).toBe('epcis');
    // The file's name is part of each event's source id, so these are other dead letters.
    expect(result.deadLetterIds).toHaveLength(deadIds.length);
    cliDeadIds = result.deadLetterIds;
  });

  it('stored the dead letters under the ids the API answered, and each movement once', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(dataDir, 'warehouse.duckdb'));
    const conn = await db.connect();
    try {
      const rows = async (sql: string) =>
        (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      const letters = await rows(`SELECT id, stream, payload FROM dead_letters WHERE connector = 'epcis'`);
      expect(letters.map((l) => l.id).sort()).toEqual([...deadIds, ...cliDeadIds].sort());
      expect(new Set(letters.map((l) => l.stream))).toEqual(new Set(['push']));
      const movements = await rows(
        `SELECT id, count(*) AS n FROM stock_movements WHERE id LIKE 'epcis-%' GROUP BY id HAVING count(*) > 1`,
      );
      expect(movements).toEqual([]);
      // The lineage names the credential that pushed the document.
      const systems = await rows(`SELECT DISTINCT source_system FROM stock_movements WHERE id LIKE 'epcis-%'`);
      expect(systems).toEqual([{ source_system: `epcis/pushed-by/${partnerId}` }]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

describe('dead-letter ids', () => {
  it('are the ids the warehouses store: core and the warehouse rows agree', () => {
    const letters: DeadLetter[] = [
      {
        connector: 'epcis',
        stream: 'push',
        sourceId: 'doc#/epcisBody/eventList/0',
        resourceType: 'StockMovement',
        errors: [{ pointer: '/quantity/value', code: 'HUB_ERR_MODEL_QUANTITY_SIGN', message: 'must be > 0' }],
        payload: { eventID: 'urn:uuid:1', quantityList: [{ quantity: -1 }], nested: { b: 1, a: [null, 'x'] } },
        failedAt: '2026-11-28T10:00:00Z',
      },
      {
        connector: 'files',
        stream: 'rows',
        errors: [],
        payload: 'raw;line;with "quotes"\t',
        failedAt: '2026-11-28T10:00:00Z',
      },
      { connector: 'webhook', stream: 'push', errors: [], payload: undefined, failedAt: 'not a time' },
    ];
    for (const letter of letters) expect(deadLetterId(letter)).toBe(deadLetterRow(letter).id);
  });
});
