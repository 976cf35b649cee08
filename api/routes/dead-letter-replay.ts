import type { FastifyInstance } from 'fastify';
import { HubError, isHubError } from '../../core/errors/index.js';
import type { IngestService, ResourceQuery } from '../../core/ports/index.js';
import type { Principal } from '../auth/principal.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { idempotencyHeader, idempotent } from '../idempotency/idempotent.js';
import { problemSchema } from '../problems.js';
import type { DocumentLimits } from './ingest.js';

export interface ReplayRouteOptions {
  readonly ingest: IngestService & { documentLimits?(connector: string): DocumentLimits | undefined };
  readonly idempotency: IdempotencyStore;
  readonly resources: Pick<ResourceQuery, 'getDeadLetter'>;
  readonly mode: 'embedded' | 'distributed';
}

const resultSchema = {
  type: 'object',
  required: ['replayOf', 'connector', 'accepted', 'rejected', 'deadLetters'],
  properties: {
    replayOf: { type: 'string', description: 'The dead letter replayed; it is kept, never removed.' },
    connector: { type: 'string' },
    accepted: { type: 'integer', description: 'Records admitted this time.' },
    rejected: { type: 'integer', description: 'Records refused again, each kept as a dead letter.' },
    deadLetters: {
      type: 'object',
      required: ['ids'],
      properties: { ids: { type: 'array', items: { type: 'string' } } },
    },
  },
} as const;

/** Whether `accepted` (media types, maybe `type/*` or `*\/*`) takes JSON. */
const readsJson = (accepted: readonly string[]): boolean =>
  accepted.some((t) => ['application/json', 'application/*', '*/*'].includes(t.split(';')[0]?.trim() ?? ''));

/**
 * `POST /v1/dead-letters/{id}/replay` (scope `admin`): re-admits a dead letter's stored payload
 * through the connector that refused it, as a push (same lineage, validation and sink), once the
 * cause is fixed (a product added to the catalogue, a corrected mapping). The old dead letter is
 * kept whatever happens; a replay refused again is a dead letter again (the same entry when the
 * reasons are the same, since a dead letter's id is its content). 409 when the entry cannot be
 * replayed: its connector has no push form, or the payload is not a document the connector reads
 * on its own (one row of a CSV file, one event of an EPCIS document, a signed webhook body).
 */
export async function deadLetterReplayRoutes(app: FastifyInstance, opts: ReplayRouteOptions): Promise<void> {
  app.post<{ Params: { id: string } }>(
    '/v1/dead-letters/:id/replay',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Replay a dead letter',
        description:
          'Re-admits the stored payload through the connector that refused it, when that connector has a push ' +
          'form and reads the payload as a document of its own. The dead letter is kept; a replay refused again ' +
          'produces a dead letter again. 409 with the reason when the entry cannot be replayed.',
        tags: ['dead-letters'],
        operationId: 'replayDeadLetter',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
        headers: idempotencyHeader,
        response: {
          200: { ...resultSchema, description: 'Replayed; the records are queryable (embedded mode).' },
          202: { ...resultSchema, description: 'Replayed; the records are durable on the stream (distributed mode).' },
          '4xx': problemSchema,
          '5xx': problemSchema,
        },
      },
    },
    async (request, reply) =>
      idempotent(request, reply, opts.idempotency, async () => {
        const { id } = request.params;
        const entry = await opts.resources.getDeadLetter(id);
        if (!entry) throw new HubError('HUB_ERR_API_NOT_FOUND', { path: request.url });
        const cannot = (reason: string) => new HubError('HUB_ERR_DEAD_LETTER_NOT_REPLAYABLE', { id, reason });
        if (!opts.ingest.pushConnectors().includes(entry.connector)) {
          throw cannot(`its connector ${entry.connector} has no push form; run the connector again instead`);
        }
        const limits = opts.ingest.documentLimits?.(entry.connector);
        const payload = entry.payload;
        if (typeof payload !== 'object' || payload === null || (limits && !readsJson(limits.acceptedMediaTypes))) {
          throw cannot(
            `the stored payload is one record of a larger ${entry.connector} document, not a document of its own; ` +
              'send the corrected document again',
          );
        }
        let result: Awaited<ReturnType<IngestService['ingest']>>;
        try {
          result = await opts.ingest.ingest(entry.connector, {
            body: Buffer.from(JSON.stringify(payload), 'utf8'),
            contentType: 'application/json',
            receivedAt: new Date().toISOString(),
            pushedBy: (request.principal as Principal).keyId,
            headers: { 'x-hub-replay-of': id },
          });
        } catch (err) {
          // The connector refuses the payload as a whole: it is a part of a document, not one.
          if (isHubError(err) && err.kind === 'data' && err.status !== 404) {
            throw cannot(`${entry.connector} does not read the stored payload as a document: ${err.message}`);
          }
          throw err;
        }
        const body = {
          replayOf: id,
          connector: result.connector,
          accepted: result.accepted,
          rejected: result.rejected,
          deadLetters: { ids: [...result.deadLetterIds] },
        };
        return {
          status: opts.mode === 'embedded' ? 200 : 202,
          contentType: 'application/json; charset=utf-8',
          body: JSON.stringify(body),
        };
      }),
  );
}
