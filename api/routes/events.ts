import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { LiveEvent } from '../events/event-journal.js';
import { type LiveEvents, sseFrame } from '../events/live-events.js';
import { badRequest, problemSchema } from '../problems.js';

// A subscriber that has not taken this much is too slow: it is dropped and may resume with
// Last-Event-ID, rather than growing the server's memory.
const MAX_BUFFERED = 1 << 20;

/**
 * `GET /v1/events`: server-sent events (`kpi.changed`, `shipment.status_changed`,
 * `incident.created`) of the caller's regions, resumable with `Last-Event-ID`, with a heartbeat
 * comment every `heartbeatMs` (default 15 s). Streams end when the server closes.
 */
export async function eventRoutes(
  app: FastifyInstance,
  opts: { live: LiveEvents; heartbeatMs?: number },
): Promise<void> {
  const open = new Set<ServerResponse>();
  app.addHook('onReady', async () => opts.live.start());
  app.addHook('preClose', async () => {
    await opts.live.close();
    for (const res of open) res.end();
    open.clear();
  });

  app.get<{ Headers: { 'last-event-id'?: string } }>(
    '/v1/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Live events',
        description:
          'Server-sent events: `kpi.changed` (stock on hand and available per region and unit, open requests per ' +
          'region), `shipment.status_changed` and `incident.created`, each with the regions it concerns; a ' +
          'region-scoped key only gets events of its regions. Each event has an `id`: reconnect with ' +
          '`Last-Event-ID` to receive the events after it (from a journal of the newest 10 000). A comment line ' +
          'is sent every 15 s as a heartbeat.',
        tags: ['events'],
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } },
        },
        response: {
          200: {
            description: 'The event stream',
            // Each server-sent event (the stream's items, as schemathesis and readers parse them).
            content: {
              'text/event-stream': {
                schema: {
                  type: 'object',
                  required: ['id', 'event', 'data'],
                  properties: {
                    id: { type: 'string', description: 'Resume from here with `Last-Event-ID`.' },
                    event: { type: 'string', enum: ['kpi.changed', 'shipment.status_changed', 'incident.created'] },
                    data: {
                      type: 'string',
                      description: 'The event as a JSON object, with the `regions` it concerns.',
                    },
                    retry: { type: 'integer' },
                  },
                },
              },
            },
          },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const lastEventId = header === undefined ? undefined : Number(header);
      if (lastEventId !== undefined && !Number.isSafeInteger(lastEventId)) {
        throw badRequest('Last-Event-ID must be an event id');
      }
      const regions = request.principal?.regions ?? null;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
      });
      res.write('retry: 3000\n\n');
      open.add(res);
      let unsubscribe = (): void => {};
      const stop = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      };
      const write = (text: string): void => {
        if (res.writableEnded || res.destroyed) return;
        res.write(text);
        if (res.writableLength > MAX_BUFFERED) {
          stop();
          res.destroy();
        }
      };
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
      res.on('close', stop);
      unsubscribe = opts.live.subscribe({ regions, send: (e: LiveEvent) => write(sseFrame(e)) }, lastEventId);
    },
  );
}
