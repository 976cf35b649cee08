/**
 * The provisioning logic against a scripted Metabase: a node:http server on loopback that keeps
 * the few endpoints provisioning uses in memory (a unit test of our own logic; Metabase itself
 * runs in docker compose, never here).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isHubError } from '../core/errors/index.js';
import { type DashboardDefinition, loadDashboards } from './definitions.js';
import { COLLECTION_NAME, DEFAULT_DATABASE_NAME, type ProvisionAction, provisionDashboards } from './provision.js';

type Obj = Record<string, unknown>;

class FakeMetabase {
  collections: Obj[] = [{ id: 1, name: 'Analyses', description: null, archived: false }];
  cards = new Map<number, Obj>();
  dashboards = new Map<number, Obj>();
  writes: string[] = [];
  #next = 10;
  #dashcard = 100;

  handle(method: string, path: string, body: Obj, session: string | undefined): [number, unknown] {
    if (method === 'POST' && path === '/api/session') {
      return body.username === 'admin@hub.ma' && body.password === 'secret'
        ? [200, { id: 'sess-1' }]
        : [401, { errors: {} }];
    }
    if (session !== 'sess-1') return [401, 'Unauthenticated'];
    const [base, query = ''] = path.split('?');
    const parts = (base as string).split('/').filter(Boolean); // api, x, id, sub
    const id = Number(parts[2]);
    if (method !== 'GET') this.writes.push(`${method} ${parts.slice(1, 2).join('/')}`);
    switch (`${method} ${parts[1]}${parts.length > 2 ? '/:id' : ''}${parts[3] ? `/${parts[3]}` : ''}`) {
      case 'GET database':
        return [200, { data: [{ id: 3, name: DEFAULT_DATABASE_NAME, engine: 'clickhouse' }], total: 1 }];
      case 'GET collection':
        return [200, this.collections];
      case 'POST collection': {
        const c = { ...body, id: this.#next++, archived: false };
        this.collections.push(c);
        return [200, c];
      }
      case 'GET collection/:id/items': {
        const model = new URLSearchParams(query).get('models');
        const pool = model === 'card' ? this.cards : this.dashboards;
        const data = [...pool.values()]
          .filter((x) => x.collection_id === id)
          .map((x) => ({ id: x.id, name: x.name, description: x.description, model }));
        return [200, { data, total: data.length }];
      }
      case 'GET card/:id':
        return this.cards.has(id) ? [200, this.cards.get(id)] : [404, 'Not found.'];
      case 'POST card': {
        const c = { ...body, id: this.#next++, entity_id: `e${this.#next}`, archived: false };
        this.cards.set(c.id, c);
        return [200, c];
      }
      case 'PUT card/:id':
        this.cards.set(id, { ...this.cards.get(id), ...body });
        return [200, this.cards.get(id)];
      case 'GET dashboard/:id':
        return this.dashboards.has(id) ? [200, this.dashboards.get(id)] : [404, 'Not found.'];
      case 'POST dashboard': {
        const d = { ...body, id: this.#next++, dashcards: [] };
        this.dashboards.set(d.id, d);
        return [200, d];
      }
      case 'PUT dashboard/:id': {
        const dashcards = ((body.dashcards ?? []) as Obj[]).map((dc) => ({
          ...dc,
          id: Number(dc.id) < 0 ? this.#dashcard++ : dc.id,
          dashboard_id: id,
        }));
        this.dashboards.set(id, { ...this.dashboards.get(id), ...body, dashcards });
        return [200, this.dashboards.get(id)];
      }
      default:
        return [404, `no route ${method} ${path}`];
    }
  }
}

async function readBody(req: IncomingMessage): Promise<Obj> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Obj);
}

describe('provisionDashboards against a scripted Metabase', () => {
  let fake: FakeMetabase;
  let server: Server;
  let url: string;
  const dashboards = loadDashboards();
  const cardCount = dashboards.reduce((n, d) => n + d.cards.length, 0);
  const options = () => ({ metabaseUrl: url, user: 'admin@hub.ma', password: 'secret' });
  const count = (actions: ProvisionAction[], outcome: string) => actions.filter((a) => a.outcome === outcome).length;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const [status, answer] = fake.handle(
          req.method ?? 'GET',
          req.url ?? '/',
          body,
          req.headers['x-metabase-session'] as string | undefined,
        );
        res.writeHead(status, { 'content-type': typeof answer === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  beforeEach(() => {
    fake = new FakeMetabase();
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('creates everything on the first run, then changes nothing on the second', async () => {
    const first = await provisionDashboards(dashboards, options());
    expect(count(first, 'created')).toBe(1 + cardCount + dashboards.length);
    expect(fake.collections.filter((c) => c.name === COLLECTION_NAME)).toHaveLength(1);
    expect(fake.cards.size).toBe(cardCount);
    expect(fake.dashboards.size).toBe(3);

    const card = [...fake.cards.values()].find((c) => String(c.description).includes('card/stock_by_region_category'));
    if (card === undefined) throw new Error('card stock_by_region_category not created');
    const native = (card.dataset_query as Obj).native as Obj;
    expect((card.dataset_query as Obj).database).toBe(3);
    expect(native.query).toContain('[[ AND region_id = {{region}} ]]');
    expect((native['template-tags'] as Obj).region).toMatchObject({ name: 'region', type: 'text', required: false });

    const situation = [...fake.dashboards.values()].find((d) => d.name === 'Situation nationale') as Obj;
    const dashcards = situation.dashcards as Obj[];
    expect(dashcards).toHaveLength(6);
    const regionParam = (situation.parameters as Obj[]).find((p) => p.slug === 'region') as Obj;
    expect(regionParam.type).toBe('string/=');
    for (const dc of dashcards) {
      expect(dc.parameter_mappings).toContainEqual({
        parameter_id: regionParam.id,
        card_id: dc.card_id,
        target: ['variable', ['template-tag', 'region']],
      });
    }

    fake.writes = [];
    const second = await provisionDashboards(dashboards, options());
    expect(second.every((a) => a.outcome === 'unchanged')).toBe(true);
    expect(second).toHaveLength(first.length);
    expect(fake.writes).toEqual([]);
    expect(fake.cards.size).toBe(cardCount);
  });

  it('updates an edited card in place instead of duplicating it, and keeps its dashboard slot', async () => {
    await provisionDashboards(dashboards, options());
    const before = new Map(fake.cards);
    const situation = [...fake.dashboards.values()].find((d) => d.name === 'Situation nationale') as Obj;
    const slots = (situation.dashcards as Obj[]).map((d) => d.id);

    const edited: DashboardDefinition[] = dashboards.map((d) => ({
      ...d,
      cards: d.cards.map((c) =>
        c.key === 'requests_open_by_priority'
          ? { ...c, sql: c.sql.replace('count() AS requests', 'count() AS requests ') }
          : c,
      ),
    }));
    fake.writes = [];
    const actions = await provisionDashboards(edited, options());
    expect(actions.filter((a) => a.outcome !== 'unchanged').map((a) => `${a.kind}/${a.key}/${a.outcome}`)).toEqual([
      'card/requests_open_by_priority/updated',
    ]);
    expect(fake.writes).toEqual(['PUT card']);
    expect(fake.cards.size).toBe(before.size);
    const id = actions.find((a) => a.key === 'requests_open_by_priority')?.id as number;
    expect(((fake.cards.get(id)?.dataset_query as Obj | undefined)?.native as Obj | undefined)?.query).toContain(
      'count() AS requests ',
    );
    expect((situation.dashcards as Obj[]).map((d) => d.id)).toEqual(slots);
  });

  it('moves a card in its dashboard by updating the dashboard, and a dry run writes nothing', async () => {
    await provisionDashboards(dashboards, options());
    const moved = dashboards.map((d) => ({
      ...d,
      cards: d.cards.map((c) => (c.key === 'lot_trace' ? { ...c, layout: { ...c.layout, row: 20 } } : c)),
    }));
    fake.writes = [];
    const dry = await provisionDashboards(moved, { ...options(), dryRun: true });
    expect(dry.filter((a) => a.outcome !== 'unchanged').map((a) => `${a.kind}/${a.key}`)).toEqual([
      'dashboard/tracabilite-lots',
    ]);
    expect(fake.writes).toEqual([]);
    const real = await provisionDashboards(moved, options());
    expect(count(real, 'updated')).toBe(1);
    expect(fake.dashboards.size).toBe(3);
    expect(count(await provisionDashboards(moved, options()), 'unchanged')).toBe(real.length);
  });

  it('reports a refused login, a missing database and an unreachable Metabase with catalogue codes', async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => (isHubError(e) ? e.code : String(e)),
      );
    expect(await codeOf(provisionDashboards(dashboards, { ...options(), password: 'wrong' }))).toBe(
      'HUB_ERR_DASHBOARDS_AUTH',
    );
    expect(await codeOf(provisionDashboards(dashboards, { ...options(), databaseName: 'Nope' }))).toBe(
      'HUB_ERR_DASHBOARDS_DATABASE',
    );
    expect(await codeOf(provisionDashboards(dashboards, { ...options(), metabaseUrl: 'http://127.0.0.1:1' }))).toBe(
      'HUB_ERR_DASHBOARDS_UNAVAILABLE',
    );
    expect(fake.cards.size).toBe(0);
  });
});
