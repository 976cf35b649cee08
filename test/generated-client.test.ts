import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../scripts/gen-openapi.js';
import { type HubProcess, startHub, waitFor } from './hub-process.js';
import { isCI } from './services.js';

/**
 * The running API, driven through the TypeScript client that OpenAPI Generator made from
 * openapi/openapi.yaml (`npm run gen:clients`): an embedded hub fed by the simulator, read and
 * written only through the client's classes.
 *
 * The operations being built alongside (create/list supply requests, exports) are found by their
 * method and path in the spec, and called by their `operationId` on the class of their first tag,
 * which is how the generator names them (`tags: [requests]` → `RequestsApi`).
 */

/** The part of the generated client this test names (the client itself is not type-checked:
 * generated code does not meet this project's tsconfig, and tsc follows static imports). */
interface ResponseError extends Error {
  readonly response: Response;
}
type InitOverrideFunction = (ctx: { init: RequestInit }) => Promise<RequestInit>;
interface Configuration {
  readonly basePath: string;
}
interface Page<T> {
  readonly items: T[];
  readonly count: number;
}
interface GeneratedClient {
  Configuration: new (params: { basePath: string; accessToken?: string }) => Configuration;
  ResponseError: new (...args: never[]) => ResponseError;
  ProblemFromJSON(json: unknown): { status: number; code: string };
  LocationsApi: new (
    c: Configuration,
  ) => {
    getLocations(q: { kind?: string; region?: string }): Promise<Page<{ id: string; kind: string }>>;
  };
  StockApi: new (
    c: Configuration,
  ) => {
    getStock(q: {
      region?: string;
      limit?: number;
    }): Promise<Page<{ regionId: string; locationId: string; productId: string; unit: string; onHand: number }>>;
  };
}
const CLIENT_MODULE = '../openapi/clients/typescript/src/index.js';
const client = (await import(CLIENT_MODULE)) as GeneratedClient;

type Operation = { operationId: string; tags?: string[] };
const spec = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, Operation>> };

type ApiMethod = (params: object, init?: InitOverrideFunction) => Promise<unknown>;

/** The generated method of `method path` (its `…Raw` form with `raw`), bound to an instance of its API class. */
function operation(config: Configuration, method: string, path: string, opts = { raw: false }): ApiMethod {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in openapi/openapi.yaml (the route is not served)`);
  const tag = op.tags?.[0] ?? 'default';
  const className = `${tag.replace(/(^|[^A-Za-z0-9])([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}Api`;
  const Api = (client as unknown as Record<string, new (c: Configuration) => Record<string, unknown>>)[className];
  if (!Api) throw new Error(`the generated client has no ${className}: run npm run gen:clients`);
  const api = new Api(config);
  const name = opts.raw ? `${op.operationId}Raw` : op.operationId;
  const fn = api[name];
  if (typeof fn !== 'function') throw new Error(`${className} has no ${name}: run npm run gen:clients`);
  return (fn as ApiMethod).bind(api);
}

const ARROW = 'application/vnd.apache.arrow.stream';

describe('the generated TypeScript client against a running embedded hub', { timeout: 180_000 }, () => {
  const adminKey = `rh-test-${randomBytes(16).toString('hex')}`;
  let hub: HubProcess;
  let config: Configuration;

  beforeAll(async () => {
    hub = await startHub({
      HUB_DATA_DIR: mkdtempSync(join(tmpdir(), 'hub-client-')),
      HUB_BOOTSTRAP_API_KEY: adminKey,
      HUB_SIMULATOR_MOVEMENTS: '2000',
      HUB_SIMULATOR_INTERVAL_MS: '0',
    });
    await waitFor('GET /health', async () => ((await hub.get('/health')).ok ? true : undefined), 60_000, hub);
    await waitFor(
      'the simulator history',
      async () => (/simulator history/.test(hub.output()) ? true : undefined),
      90_000,
      hub,
    );
    config = new client.Configuration({ basePath: hub.url, accessToken: adminKey });
  });
  afterAll(async () => {
    await hub?.stop('SIGKILL');
  });

  it('reads locations and stock', async () => {
    const locations = await new client.LocationsApi(config).getLocations({ kind: 'warehouse' });
    expect(locations.count).toBeGreaterThan(0);
    expect(locations.items.every((l) => l.kind === 'warehouse')).toBe(true);

    const stock = await new client.StockApi(config).getStock({ region: 'souss-massa', limit: 500 });
    expect(stock.count).toBeGreaterThan(0);
    expect(new Set(stock.items.map((r) => r.regionId))).toEqual(new Set(['souss-massa']));
    expect(stock.items.every((r) => typeof r.onHand === 'number' && r.unit.length > 0)).toBe(true);
  });

  it('surfaces a refused filter as a ResponseError carrying the RFC 9457 problem', async () => {
    const error = await new client.StockApi(config).getStock({ region: 'not a region!' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(client.ResponseError);
    const response = (error as ResponseError).response;
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(client.ProblemFromJSON(await response.json())).toMatchObject({ status: 400, code: 'HUB_ERR_API_BAD_QUERY' });
  });

  it('refuses a caller without a key', async () => {
    const anonymous = new client.Configuration({ basePath: hub.url });
    const error = await new client.StockApi(anonymous).getStock({}).catch((e: unknown) => e);
    expect((error as ResponseError).response.status).toBe(401);
  });

  it('creates a supply request and sees it in the list', async () => {
    const stock = await new client.StockApi(config).getStock({ region: 'souss-massa', limit: 1 });
    const row = stock.items[0]!;
    const id = `req-client-${randomBytes(4).toString('hex')}`;
    const supplyRequest = {
      resourceType: 'SupplyRequest',
      id,
      identifier: [{ system: 'urn:reserve-hub:partner:crm-souss-massa', value: id }],
      status: 'active',
      priority: 'urgent',
      requester: { reference: 'Organization/crm-souss-massa' },
      deliverTo: { reference: `Location/${row.locationId}` },
      // date-time properties are `Date`s in the generated models.
      authoredOn: new Date('2024-09-08T13:00:00Z'),
      neededBy: new Date('2024-09-09T07:00:00Z'),
      lines: [{ product: { reference: `Product/${row.productId}` }, quantity: { value: 10, unit: row.unit } }],
      reason: 'Generated-client test',
    };
    const create = operation(config, 'post', '/v1/requests');
    // The generator names the body parameter after its schema (`supplyRequest`).
    await create({ supplyRequest, idempotencyKey: id });

    const list = operation(config, 'get', '/v1/requests');
    const found = await waitFor(
      `request ${id} in GET /v1/requests`,
      async () => {
        const page = (await list({})) as { items: { id: string; status: string }[] };
        return page.items.find((r) => r.id === id);
      },
      30_000,
      hub,
    );
    expect(found).toMatchObject({ id, status: 'active' });
  });

  it('exports movements as an Arrow IPC stream', async () => {
    const path = spec.paths['/v1/exports/{dataset}'] ? '/v1/exports/{dataset}' : '/v1/exports/movements';
    // The `…Raw` method gives the fetch Response, so the bytes are read as they came; Accept chooses Arrow.
    const exportRaw = operation(config, 'get', path, { raw: true });
    const accept: InitOverrideFunction = async ({ init }) => ({
      headers: { ...(init.headers as Record<string, string>), Accept: ARROW },
    });
    const response = (await exportRaw({ dataset: 'movements' }, accept).catch(async (e: unknown) => {
      const r = (e as Partial<ResponseError>).response;
      throw r ? new Error(`GET /v1/exports/movements answered ${r.status}: ${await r.text()}`) : e;
    })) as { raw: Response };
    expect(response.raw.headers.get('content-type')).toContain(ARROW);
    const table = tableFromIPC(new Uint8Array(await response.raw.arrayBuffer()));
    expect(table.numRows).toBeGreaterThan(0);
    expect(table.schema.fields.length).toBeGreaterThan(0);
  });
});

/**
 * `scripts/gen-clients --check` regenerates both clients into a temporary folder and diffs them
 * with openapi/clients. It needs Java and the OpenAPI Generator jar: locally the suite is skipped
 * until both are there (`scripts/gen-clients --fetch`); on CI the script downloads the jar, and a
 * missing java fails.
 */
const ROOT = resolve(import.meta.dirname, '..');
const haveJava = spawnSync('java', ['-version']).status === 0;
const haveJar = (() => {
  try {
    return readdirSync(join(ROOT, '.cache/openapi-generator')).some((f) => f.endsWith('.jar'));
  } catch {
    return false;
  }
})();

if ((!haveJava || !haveJar) && !isCI()) {
  describe.skip('openapi/clients', () => {
    it(`needs ${haveJava ? 'the generator jar (run scripts/gen-clients --fetch)' : 'java 17'}`, () => {});
  });
} else {
  describe('openapi/clients', { timeout: 300_000 }, () => {
    it('are what OpenAPI Generator makes of openapi/openapi.yaml (run `npm run gen:clients` when this fails)', async () => {
      expect(existsSync(join(ROOT, 'openapi/clients/typescript/src/index.ts'))).toBe(true);
      const result = await promisify(execFile)(join(ROOT, 'scripts/gen-clients'), ['--check'], { cwd: ROOT }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? 1, stderr: e.stderr ?? '' }),
      );
      expect(result.code, result.stderr.slice(-4000)).toBe(0);
    });
  });
}
