import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../api/auth/api-key-store.js';
import { EventJournal } from '../api/events/event-journal.js';
import { LiveEvents } from '../api/events/live-events.js';
import { buildApi } from '../api/server.js';
import type { CanonicalResource } from '../core/ports/index.js';
import { BATCHES, INCIDENT, LOCATIONS, MOVEMENTS, SHIPMENTS } from '../warehouse/contract/scenario.js';
import { DuckDbWarehouse } from '../warehouse/index.js';

const BOOTSTRAP = 'test-bootstrap-key-events-0123456789';

interface Received {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** A real SSE client over fetch: parses frames as they arrive. */
class SseClient {
  readonly events: Received[] = [];
  readonly comments: string[] = [];
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];
  status = 0;
  contentType = '';

  static async open(base: string, key: string, lastEventId?: number): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(`${base}/v1/events`, {
      headers: {
        authorization: `Bearer ${key}`,
        ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
      },
      signal: client.#abort.signal,
    });
    client.status = res.status;
    client.contentType = res.headers.get('content-type') ?? '';
    if (res.body) void client.#read(res.body);
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const bytes of body) {
        buffer += decoder.decode(bytes, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line);
            const m = /^(\w+): ?(.*)$/.exec(line);
            if (m) fields[m[1] as string] = m[2] as string;
          }
          if (fields.data !== undefined) {
            this.events.push({
              id: Number(fields.id),
              event: fields.event ?? 'message',
              data: JSON.parse(fields.data),
            });
          }
          end = buffer.indexOf('\n\n');
        }
        for (const w of this.#waiters.splice(0)) w();
      }
    } catch {
      // aborted
    }
  }

  /** Waits until `predicate` holds on the events received (fails after 20 s, never on timing alone). */
  async until(predicate: (events: Received[]) => boolean): Promise<Received[]> {
    const deadline = Date.now() + 20_000;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) throw new Error(`events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.events;
  }

  close(): void {
    this.#abort.abort();
  }
}

const ORIENTAL: CanonicalResource[] = [
  {
    ...(LOCATIONS[0] as CanonicalResource),
    id: 'oriental',
    regionId: 'oriental',
    name: { fr: 'Oriental', ar: 'الشرق' },
  },
];

describe('GET /v1/events on a real DuckDB', () => {
  let dataDir: string;
  let warehouse: DuckDbWarehouse;
  let keys: ApiKeyStore;
  let journal: EventJournal;
  let live: LiveEvents;
  let app: FastifyInstance;
  let base: string;
  let souss: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hub-events-'));
    warehouse = new DuckDbWarehouse({ dataDir });
    await warehouse.init();
    for (const batch of BATCHES) await warehouse.write(batch);
    keys = new ApiKeyStore(join(dataDir, 'state.sqlite'), { bootstrapKey: BOOTSTRAP });
    souss = keys.create({ name: 'CRM Souss-Massa', scopes: ['read'], regions: ['souss-massa'] }).key;
    journal = new EventJournal(join(dataDir, 'events.sqlite'));
    // Polls only when the test asks (poll()), so each step is deterministic.
    live = new LiveEvents({ source: warehouse, journal, pollMs: 3_600_000 });
    app = await buildApi({
      warehouse,
      events: live,
      verifier: keys,
      mode: 'embedded',
      version: 'test',
      probe: async () => ({}),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    await live.poll(); // the baseline: the scenario as it stands is not news
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.close();
    journal?.close();
    keys?.close();
    await warehouse?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('pushes shipment status changes, new incidents and KPI changes, each to the right regions, and resumes', async () => {
    const all = await SseClient.open(base, BOOTSTRAP);
    const regional = await SseClient.open(base, souss);
    clients.push(all, regional);
    expect(all.status).toBe(200);
    expect(all.contentType).toMatch(/^text\/event-stream/);
    // Both subscribed before anything changes.
    await new Promise((r) => setTimeout(r, 100));
    while (live.subscriberCount < 2) await new Promise((r) => setTimeout(r, 50));

    const delivered = {
      ...(SHIPMENTS[1] as CanonicalResource),
      meta: { ...(SHIPMENTS[1] as CanonicalResource).meta, versionId: '5' },
      status: 'delivered',
    };
    const orientalQuake = {
      ...INCIDENT,
      id: 'inc-oriental',
      meta: { ...INCIDENT.meta, versionId: '1' },
      affectedRegions: ['oriental'],
    };
    const sousFlood = { ...INCIDENT, id: 'inc-souss-flood', incidentType: 'flood', affectedRegions: ['souss-massa'] };
    const receipt = { ...(MOVEMENTS[0] as CanonicalResource), id: 'm-live-1', quantity: { value: 10, unit: 'EA' } };
    await warehouse.write({
      connector: 'contract',
      stream: 'live',
      records: [...ORIENTAL, delivered, orientalQuake, sousFlood, receipt],
      deadLetters: [],
      state: {},
    });
    await live.poll();

    const events = await all.until(
      (e) =>
        e.some((x) => x.event === 'shipment.status_changed') &&
        e.filter((x) => x.event === 'incident.created').length === 2 &&
        e.some((x) => x.event === 'kpi.changed'),
    );
    const shipment = events.find((e) => e.event === 'shipment.status_changed');
    expect(shipment?.data).toMatchObject({ shipment: 'sh-002', from: 'in-transit', to: 'delivered' });
    expect([...((shipment?.data.regions as string[] | undefined) ?? [])].sort()).toEqual([
      'draa-tafilalet',
      'souss-massa',
    ]);
    expect(
      events
        .filter((e) => e.event === 'incident.created')
        .map((e) => e.data.incident)
        .sort(),
    ).toEqual(['inc-oriental', 'inc-souss-flood']);
    expect(events.find((e) => e.event === 'kpi.changed' && e.data.measure === 'on_hand')?.data).toMatchObject({
      kpi: 'stock_position',
      region: 'souss-massa',
      unit: 'EA',
    });
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // The Souss-Massa key: the same shipment, KPI and incident of its region, never the Oriental one.
    const mine = await regional.until((e) => e.some((x) => x.data.incident === 'inc-souss-flood'));
    expect(mine.some((e) => e.data.incident === 'inc-oriental')).toBe(false);
    expect(mine.every((e) => (e.data.regions as string[]).includes('souss-massa'))).toBe(true);
    expect(mine.some((e) => e.event === 'shipment.status_changed')).toBe(true);
    // Exactly the visible subset of what the unscoped stream got.
    expect(mine.map((e) => e.id)).toEqual(
      events.filter((e) => (e.data.regions as string[]).includes('souss-massa')).map((e) => e.id),
    );

    // Resume after the first event: exactly the later ones, in order.
    const first = ids[0] as number;
    const resumed = await SseClient.open(base, BOOTSTRAP, first);
    clients.push(resumed);
    const again = await resumed.until((e) => e.length >= ids.length - 1);
    expect(again.map((e) => e.id)).toEqual(ids.slice(1));
    // A regional resume replays only its regions too.
    const resumedRegional = await SseClient.open(base, souss, 0);
    clients.push(resumedRegional);
    const replayed = await resumedRegional.until((e) => e.length >= mine.length);
    expect(replayed.map((e) => e.id)).toEqual(mine.map((e) => e.id));

    // Nothing changed: a poll emits nothing.
    const before = all.events.length;
    await live.poll();
    await new Promise((r) => setTimeout(r, 200));
    expect(all.events.length).toBe(before);
  }, 60_000);

  it('refuses a malformed Last-Event-ID and unauthenticated callers with problems', async () => {
    const bad = await fetch(`${base}/v1/events`, {
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'last-event-id': 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const anonymous = await fetch(`${base}/v1/events`);
    expect(anonymous.status).toBe(401);
  });
});

describe('EventJournal', () => {
  it('keeps the newest events only, with ids that never go back', () => {
    const journal = new EventJournal(':memory:', { capacity: 3 });
    const draft = (n: number) => ({ type: 'incident.created' as const, regions: ['oriental'], data: { n }, at: 'now' });
    const first = journal.append([draft(1), draft(2), draft(3), draft(4)]);
    expect(first.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(journal.after(0).map((e) => e.data.n)).toEqual([2, 3, 4]);
    const more = journal.append([draft(5)]);
    expect(more[0]?.id).toBe(5);
    expect(journal.after(3).map((e) => e.id)).toEqual([4, 5]);
    journal.close();
  });
});
