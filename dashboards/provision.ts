/**
 * Provisions the dashboards of `dashboards/definitions/` into Metabase through its REST API,
 * idempotently: everything it creates carries a marker line `reserve-hub:key=<kind>/<key>` in
 * its description, and a later run finds it by that marker and updates it in place (or leaves
 * it alone when nothing changed) instead of creating a copy. Cards are native SQL against the
 * ClickHouse warehouse, a Metabase database found by its display name.
 *
 * Endpoints used: `POST /api/session`, `GET /api/database`, `GET/POST /api/collection`,
 * `GET /api/collection/:id/items`, `GET/POST/PUT /api/card[/:id]`,
 * `GET/POST/PUT /api/dashboard[/:id]` (the dashboard's cards go with `PUT … { dashcards }`).
 */
import { createHash } from 'node:crypto';
import { HubError } from '../core/errors/index.js';
import type { CardDefinition, DashboardDefinition, TagType } from './definitions.js';

export const COLLECTION_NAME = 'Reserve Hub';
export const DEFAULT_DATABASE_NAME = 'Reserve Hub (ClickHouse)';

export interface ProvisionOptions {
  /** Base URL of Metabase, e.g. `http://localhost:3000`. */
  readonly metabaseUrl: string;
  readonly user: string;
  readonly password: string;
  /** Display name of the ClickHouse warehouse in Metabase. Default `DEFAULT_DATABASE_NAME`. */
  readonly databaseName?: string;
  /** Read and compare only: report what would change, write nothing. Default false. */
  readonly dryRun?: boolean;
  /** For tests; default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged';

export interface ProvisionAction {
  readonly kind: 'collection' | 'card' | 'dashboard';
  readonly key: string;
  readonly outcome: ProvisionOutcome;
  /** Metabase id (undefined for an object a dry run would create). */
  readonly id?: number;
}

type Json = Record<string, unknown>;

/** The marker line a provisioned object's description ends with. */
export function marker(kind: ProvisionAction['kind'], key: string): string {
  return `reserve-hub:key=${kind}/${key}`;
}

function hasMarker(description: unknown, kind: ProvisionAction['kind'], key: string): boolean {
  return typeof description === 'string' && description.split('\n').some((l) => l.trim() === marker(kind, key));
}

function markedKey(description: unknown, kind: ProvisionAction['kind']): string | undefined {
  if (typeof description !== 'string') return undefined;
  const prefix = `reserve-hub:key=${kind}/`;
  const line = description.split('\n').find((l) => l.trim().startsWith(prefix));
  return line?.trim().slice(prefix.length);
}

/** A UUID-shaped id derived from a stable name (template tags need one that never changes). */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function stableParameterId(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 8);
}

/** JSON with sorted keys: two objects compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const PARAMETER_TYPES: Readonly<Record<TagType, { type: string; sectionId: string }>> = {
  text: { type: 'string/=', sectionId: 'string' },
  number: { type: 'number/=', sectionId: 'number' },
  date: { type: 'date/single', sectionId: 'date' },
};

function describe(text: string | undefined, arabic: string | undefined, mark: string): string {
  return [arabic, text?.trim(), mark].filter((s): s is string => s !== undefined && s !== '').join('\n\n');
}

/** The card as Metabase stores it: what we send, and what we compare against. */
export function cardBody(card: CardDefinition, databaseId: number, collectionId: number): Json {
  const tags: Json = {};
  for (const [name, tag] of Object.entries(card.tags ?? {})) {
    tags[name] = {
      id: stableUuid(`card/${card.key}/${name}`),
      name,
      'display-name': tag.label,
      type: tag.type,
      required: tag.required === true,
      ...(tag.default === undefined ? {} : { default: String(tag.default) }),
    };
  }
  return {
    name: card.title,
    description: describe(card.description, card.title_ar, marker('card', card.key)),
    display: card.display,
    collection_id: collectionId,
    visualization_settings: card.visualization ?? {},
    dataset_query: {
      type: 'native',
      database: databaseId,
      native: { query: card.sql.trimEnd(), 'template-tags': tags },
    },
  };
}

/** The part of a stored card that `cardBody` sets (Metabase adds many fields of its own). */
function cardView(card: Json): string {
  const query = (card.dataset_query ?? {}) as Json;
  const native = (query.native ?? {}) as Json;
  const tags = (native['template-tags'] ?? {}) as Record<string, Json>;
  const vis = (card.visualization_settings ?? {}) as Json;
  return canonical({
    name: card.name,
    description: card.description,
    display: card.display,
    collection_id: card.collection_id,
    visualization_settings: vis,
    database: query.database,
    query: native.query,
    tags: Object.fromEntries(
      Object.entries(tags).map(([n, t]) => [
        n,
        {
          id: t.id,
          name: t.name,
          'display-name': t['display-name'],
          type: t.type,
          required: t.required === true,
          default: t.default ?? null,
        },
      ]),
    ),
  });
}

function dashboardParameters(dashboard: DashboardDefinition): Json[] {
  return (dashboard.parameters ?? []).map((p) => ({
    id: stableParameterId(`dashboard/${dashboard.key}/${p.key}`),
    name: p.label,
    slug: p.key,
    ...PARAMETER_TYPES[p.type],
  }));
}

function dashcards(
  dashboard: DashboardDefinition,
  cardIds: ReadonlyMap<string, number>,
  existing: readonly Json[],
): Json[] {
  const params = new Map(dashboardParameters(dashboard).map((p) => [p.slug as string, p.id as string]));
  let fresh = 0;
  return dashboard.cards.map((card) => {
    const cardId = cardIds.get(card.key) ?? -1;
    const kept = existing.find((d) => d.card_id === cardId && cardId > 0);
    return {
      id: typeof kept?.id === 'number' ? kept.id : -++fresh,
      card_id: cardId,
      row: card.layout.row,
      col: card.layout.col,
      size_x: card.layout.width,
      size_y: card.layout.height,
      parameter_mappings: Object.keys(card.tags ?? {})
        .filter((tag) => params.has(tag))
        .map((tag) => ({
          parameter_id: params.get(tag),
          card_id: cardId,
          target: ['variable', ['template-tag', tag]],
        })),
      visualization_settings: {},
    };
  });
}

function dashboardView(d: Json): string {
  const cards = ((d.dashcards ?? d.ordered_cards ?? []) as Json[])
    .map((c) => ({
      card_id: c.card_id,
      row: c.row,
      col: c.col,
      size_x: c.size_x,
      size_y: c.size_y,
      parameter_mappings: ((c.parameter_mappings ?? []) as Json[]).map((m) => ({
        parameter_id: m.parameter_id,
        card_id: m.card_id,
        target: m.target,
      })),
    }))
    .sort((a, b) => Number(a.card_id) - Number(b.card_id));
  return canonical({
    name: d.name,
    description: d.description,
    collection_id: d.collection_id,
    parameters: ((d.parameters ?? []) as Json[]).map((p) => ({ id: p.id, name: p.name, slug: p.slug, type: p.type })),
    cards,
  });
}

/** A minimal Metabase REST client: session login, JSON in and out, catalogue errors. */
export class MetabaseClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  #session: string | undefined;

  constructor(baseUrl: string, fetchImpl: typeof fetch = fetch) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchImpl;
  }

  async login(user: string, password: string): Promise<void> {
    const response = await this.#send('POST', '/api/session', { username: user, password });
    if (response.status === 400 || response.status === 401) {
      throw new HubError('HUB_ERR_DASHBOARDS_AUTH', { user });
    }
    const body = (await this.#json('POST', '/api/session', response)) as Json;
    if (typeof body.id !== 'string') {
      throw new HubError('HUB_ERR_DASHBOARDS_API', { method: 'POST', path: '/api/session', status: response.status });
    }
    this.#session = body.id;
  }

  async request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    return this.#json(method, path, await this.#send(method, path, body));
  }

  async #send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#session !== undefined) headers['x-metabase-session'] = this.#session;
    try {
      return await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? (error as Error).message;
      throw new HubError('HUB_ERR_DASHBOARDS_UNAVAILABLE', { url: this.#base, reason }, { cause: error });
    }
  }

  async #json(method: string, path: string, response: Response): Promise<unknown> {
    const text = await response.text();
    if (!response.ok) {
      throw new HubError(
        'HUB_ERR_DASHBOARDS_API',
        { method, path, status: response.status },
        { detail: text.slice(0, 2000) },
      );
    }
    try {
      return text === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw new HubError(
        'HUB_ERR_DASHBOARDS_API',
        { method, path, status: response.status },
        { cause: error, detail: `not JSON: ${text.slice(0, 200)}` },
      );
    }
  }
}

/** A list endpoint's rows: older Metabase answers an array, newer ones `{ data: [...] }`. */
function rows(body: unknown): Json[] {
  if (Array.isArray(body)) return body as Json[];
  const data = (body as Json | null)?.data;
  return Array.isArray(data) ? (data as Json[]) : [];
}

/**
 * Creates or updates the collection, cards and dashboards; returns what it did to each, in
 * order. Throws only catalogue errors (`HUB_ERR_DASHBOARDS_*`).
 */
export async function provisionDashboards(
  dashboards: readonly DashboardDefinition[],
  options: ProvisionOptions,
): Promise<ProvisionAction[]> {
  const dryRun = options.dryRun === true;
  const client = new MetabaseClient(options.metabaseUrl, options.fetch);
  await client.login(options.user, options.password);
  const actions: ProvisionAction[] = [];

  const databaseName = options.databaseName ?? DEFAULT_DATABASE_NAME;
  const databases = rows(await client.request('GET', '/api/database'));
  const database = databases.find((d) => d.name === databaseName);
  if (typeof database?.id !== 'number') {
    throw new HubError('HUB_ERR_DASHBOARDS_DATABASE', {
      name: databaseName,
      found: databases.map((d) => String(d.name)).join(', ') || 'none',
    });
  }
  const databaseId = database.id;

  // The collection: by its marker, else by name (one made by hand is adopted).
  const collectionKey = 'reserve-hub';
  const collectionBody = {
    name: COLLECTION_NAME,
    description: describe(
      'Tableaux de bord provisionnés par `hub dashboards provision`.',
      undefined,
      marker('collection', collectionKey),
    ),
  };
  const collections = rows(await client.request('GET', '/api/collection')).filter((c) => c.archived !== true);
  const foundCollection =
    collections.find((c) => hasMarker(c.description, 'collection', collectionKey)) ??
    collections.find((c) => c.name === COLLECTION_NAME && c.personal_owner_id == null);
  let collectionId: number;
  if (typeof foundCollection?.id === 'number') {
    collectionId = foundCollection.id;
    const same =
      foundCollection.name === collectionBody.name && foundCollection.description === collectionBody.description;
    if (!same && !dryRun) await client.request('PUT', `/api/collection/${collectionId}`, collectionBody);
    actions.push({ kind: 'collection', key: collectionKey, outcome: same ? 'unchanged' : 'updated', id: collectionId });
  } else if (dryRun) {
    collectionId = -1;
    actions.push({ kind: 'collection', key: collectionKey, outcome: 'created' });
  } else {
    const created = (await client.request('POST', '/api/collection', collectionBody)) as Json;
    collectionId = Number(created.id);
    actions.push({ kind: 'collection', key: collectionKey, outcome: 'created', id: collectionId });
  }

  const items = async (model: 'card' | 'dashboard'): Promise<Json[]> =>
    collectionId < 0
      ? []
      : rows(await client.request('GET', `/api/collection/${collectionId}/items?models=${model}`)).filter(
          (i) => i.model === undefined || i.model === model,
        );

  // Cards, found by marker in the collection.
  const storedCards = new Map<string, number>();
  for (const item of await items('card')) {
    const key = markedKey(item.description, 'card');
    if (key !== undefined && typeof item.id === 'number' && !storedCards.has(key)) storedCards.set(key, item.id);
  }
  const cardIds = new Map<string, number>();
  for (const card of dashboards.flatMap((d) => d.cards)) {
    const body = cardBody(card, databaseId, collectionId);
    const id = storedCards.get(card.key);
    if (id !== undefined) {
      const stored = (await client.request('GET', `/api/card/${id}`)) as Json;
      const same = cardView(stored) === cardView(body);
      if (!same && !dryRun) await client.request('PUT', `/api/card/${id}`, body);
      cardIds.set(card.key, id);
      actions.push({ kind: 'card', key: card.key, outcome: same ? 'unchanged' : 'updated', id });
    } else if (dryRun) {
      actions.push({ kind: 'card', key: card.key, outcome: 'created' });
    } else {
      const created = (await client.request('POST', '/api/card', body)) as Json;
      cardIds.set(card.key, Number(created.id));
      actions.push({ kind: 'card', key: card.key, outcome: 'created', id: Number(created.id) });
    }
  }

  // Dashboards, found by marker; their cards and filters set with one PUT.
  const storedDashboards = new Map<string, number>();
  for (const item of await items('dashboard')) {
    const key = markedKey(item.description, 'dashboard');
    if (key !== undefined && typeof item.id === 'number' && !storedDashboards.has(key))
      storedDashboards.set(key, item.id);
  }
  for (const dashboard of dashboards) {
    const head = {
      name: dashboard.name,
      description: describe(dashboard.description, dashboard.name_ar, marker('dashboard', dashboard.key)),
      collection_id: collectionId,
      parameters: dashboardParameters(dashboard),
    };
    let id = storedDashboards.get(dashboard.key);
    let outcome: ProvisionOutcome = 'created';
    let existing: Json[] = [];
    if (id !== undefined) {
      const stored = (await client.request('GET', `/api/dashboard/${id}`)) as Json;
      existing = (stored.dashcards ?? stored.ordered_cards ?? []) as Json[];
      const wanted = { ...head, dashcards: dashcards(dashboard, cardIds, existing) };
      if (dashboardView(stored) === dashboardView(wanted)) {
        actions.push({ kind: 'dashboard', key: dashboard.key, outcome: 'unchanged', id });
        continue;
      }
      outcome = 'updated';
    } else if (!dryRun) {
      id = Number(((await client.request('POST', '/api/dashboard', head)) as Json).id);
    }
    if (!dryRun && id !== undefined) {
      await client.request('PUT', `/api/dashboard/${id}`, {
        ...head,
        dashcards: dashcards(dashboard, cardIds, existing),
      });
    }
    actions.push({ kind: 'dashboard', key: dashboard.key, outcome, ...(id === undefined ? {} : { id }) });
  }
  return actions;
}
