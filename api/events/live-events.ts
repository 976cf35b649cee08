/**
 * Live events (issue 6 §3): a poller that reads the warehouse every `pollMs` through the ports
 * (`ExportQuery` for shipments and incidents, `KpiQuery` for KPIs), turns what changed since
 * the last poll into events, journals them (`EventJournal`, ids for `Last-Event-ID`) and fans
 * them out to subscribers, each of which only gets the events of its regions.
 *
 * Polling rather than a hook in the write path: it works the same whichever process wrote
 * (the embedded sink, the Kafka → ClickHouse sink of another hub process) and costs the write
 * path nothing. The first poll is a baseline: it records the current state and emits nothing,
 * so a restart does not replay history as news (changes made while the hub was down are not
 * reported as events; their current state is in the API).
 */
import type { ExportDataset, ExportQuery, KpiQuery } from '../../core/ports/index.js';
import { EventJournal, type LiveEvent, type LiveEventType } from './event-journal.js';

export interface LiveEventsOptions {
  readonly source: ExportQuery & KpiQuery;
  /** The journal, or the path of its SQLite file (then opened here and closed by `close()`). */
  readonly journal: EventJournal | string;
  /** Milliseconds between polls. Default 1000. */
  readonly pollMs?: number;
  /** Called with a failed poll's error (the next poll still runs). */
  readonly onError?: (error: unknown) => void;
}

/** A subscriber: its data scope and where its events go. */
export interface Subscriber {
  /** `null`: every region. */
  readonly regions: readonly string[] | null;
  send(event: LiveEvent): void;
}

/** True when a subscriber with `regions` may receive `event`. */
export function visibleTo(event: LiveEvent, regions: readonly string[] | null): boolean {
  return regions === null || event.regions.some((r) => regions.includes(r));
}

/** KPI values watched: per region, measures whose change is an event. */
const WATCHED_KPIS: readonly { name: string; measures: readonly string[]; key: readonly string[] }[] = [
  { name: 'stock_position', measures: ['on_hand', 'available'], key: ['region', 'unit'] },
  { name: 'priority_backlog', measures: ['requests'], key: ['region'] },
];

type Draft = Omit<LiveEvent, 'id'>;

export class LiveEvents {
  readonly #options: LiveEventsOptions;
  readonly #journal: EventJournal;
  readonly #subscribers = new Set<Subscriber>();
  #shipments: Map<string, string> | undefined;
  #incidents: Set<string> | undefined;
  #kpis: Map<string, number | null> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;

  constructor(options: LiveEventsOptions) {
    this.#options = options;
    this.#journal = typeof options.journal === 'string' ? new EventJournal(options.journal) : options.journal;
  }

  /** Starts polling every `pollMs` (the first poll is the baseline). Idempotent. */
  start(): void {
    if (this.#timer || this.#closed) return;
    const every = this.#options.pollMs ?? 1000;
    const tick = (): void => {
      this.poll()
        .catch((error: unknown) => this.#options.onError?.(error))
        .finally(() => {
          if (!this.#closed) this.#timer = setTimeout(tick, every);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops polling and forgets the subscribers (the route ends their responses). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling?.catch(() => undefined);
    this.#subscribers.clear();
    if (typeof this.#options.journal === 'string') this.#journal.close();
  }

  /**
   * Adds a subscriber. With `lastEventId`, the journaled events after it (of its regions) are
   * sent first; replay and subscription happen in one synchronous step, so no event falls in
   * between. Returns the unsubscribe function.
   */
  subscribe(subscriber: Subscriber, lastEventId?: number): () => void {
    if (lastEventId !== undefined) {
      let from = lastEventId;
      for (;;) {
        const page = this.#journal.after(from, 1000);
        for (const e of page) if (visibleTo(e, subscriber.regions)) subscriber.send(e);
        if (page.length < 1000) break;
        from = page.at(-1)?.id ?? from;
      }
    }
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** One poll: reads, diffs, journals and fans out. Concurrent calls share one run. */
  poll(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #poll(): Promise<void> {
    const at = new Date().toISOString();
    const drafts: Draft[] = [];
    const [shipments, incidents, kpis] = await Promise.all([
      this.#rows('shipments'),
      this.#rows('incidents'),
      this.#kpiValues(),
    ]);

    const seenShipments = new Map<string, string>();
    for (const s of shipments) {
      const id = String(s.id);
      const status = String(s.status);
      seenShipments.set(id, status);
      const before = this.#shipments?.get(id);
      if (this.#shipments && before !== status) {
        const regions = [...new Set([s.origin_region_id, s.destination_region_id].map(String))].filter((r) => r);
        drafts.push(
          event('shipment.status_changed', regions, at, {
            shipment: id,
            from: before ?? null,
            to: status,
            origin: s.origin_id,
            destination: s.destination_id,
            priority: s.priority,
          }),
        );
      }
    }
    const seenIncidents = new Set<string>();
    for (const i of incidents) {
      const id = String(i.id);
      seenIncidents.add(id);
      if (this.#incidents && !this.#incidents.has(id)) {
        const regions = String(i.affected_regions ?? '')
          .split(',')
          .filter((r) => r);
        drafts.push(
          event('incident.created', regions, at, {
            incident: id,
            type: i.incident_type,
            severity: i.severity,
            name: i.name_fr,
            affectedRegions: regions,
            startedAt: typeof i.started_at === 'number' ? new Date(i.started_at).toISOString() : null,
          }),
        );
      }
    }
    for (const [key, value] of kpis) {
      if (this.#kpis && this.#kpis.get(key) !== value) {
        const [kpi, measure, region, unit] = key.split('\u0000') as [string, string, string, string];
        drafts.push(
          event('kpi.changed', region ? [region] : [], at, {
            kpi,
            measure,
            region,
            ...(unit ? { unit } : {}),
            value,
            previous: this.#kpis.get(key) ?? null,
          }),
        );
      }
    }
    if (this.#kpis) {
      for (const [key, previous] of this.#kpis) {
        if (kpis.has(key)) continue;
        const [kpi, measure, region, unit] = key.split('\u0000') as [string, string, string, string];
        drafts.push(
          event('kpi.changed', region ? [region] : [], at, {
            kpi,
            measure,
            region,
            ...(unit ? { unit } : {}),
            value: 0,
            previous,
          }),
        );
      }
    }
    this.#shipments = seenShipments;
    this.#incidents = seenIncidents;
    this.#kpis = kpis;
    if (this.#closed) return;
    for (const e of this.#journal.append(drafts)) {
      for (const s of this.#subscribers) if (visibleTo(e, s.regions)) s.send(e);
    }
  }

  async #rows(dataset: ExportDataset): Promise<Record<string, unknown>[]> {
    const stream = await this.#options.source.exportRows(dataset, {});
    const rows: Record<string, unknown>[] = [];
    for await (const chunk of stream.chunks) {
      for (let r = 0; r < chunk.rowCount; r++) {
        const row: Record<string, unknown> = {};
        stream.columns.forEach((c, i) => {
          row[c.name] = chunk.values[i]?.[r] ?? null;
        });
        rows.push(row);
      }
    }
    return rows;
  }

  async #kpiValues(): Promise<Map<string, number | null>> {
    const values = new Map<string, number | null>();
    for (const watched of WATCHED_KPIS) {
      const rows = await this.#options.source.kpi(watched.name, { by: ['region'] });
      for (const row of rows) {
        for (const measure of watched.measures) {
          const key = [watched.name, measure, String(row.region ?? ''), String(row.unit ?? '')].join('\u0000');
          const v = row[measure];
          values.set(key, typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v));
        }
      }
    }
    return values;
  }
}

function event(type: LiveEventType, regions: readonly string[], at: string, data: Record<string, unknown>): Draft {
  return { type, regions, at, data };
}

/** The text of one event on the wire (`text/event-stream`). */
export function sseFrame(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, regions: e.regions, at: e.at })}\n\n`;
}
