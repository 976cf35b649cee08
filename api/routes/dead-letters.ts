import type { FastifyInstance } from 'fastify';
import type { ResourceQuery } from '../../core/ports/index.js';
import { etagOnSend } from '../etag.js';
import {
  callerRegions,
  errorResponses,
  listQueryOf,
  notFound,
  pageSchema,
  pagingProperties,
  sendPage,
  tokenSchema,
} from './resource-common.js';

export const deadLetterSchema = {
  type: 'object',
  required: ['id', 'connector', 'stream', 'sourceId', 'resourceType', 'errors', 'payload', 'failedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    connector: { type: 'string' },
    stream: { type: 'string' },
    sourceId: { type: ['string', 'null'] },
    resourceType: { type: ['string', 'null'] },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'code', 'message'],
        properties: { pointer: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
    payload: { description: 'The source payload, untouched (any JSON value; a raw line is a string).' },
    failedAt: { type: 'string', format: 'date-time', description: 'When it was refused (whole seconds, UTC).' },
  },
} as const;

const FILTERS = ['connector', 'stream', 'resourceType', 'sourceId'] as const;

/**
 * `GET /v1/dead-letters` and `GET /v1/dead-letters/{id}` (scope `admin`): refused records with
 * their reasons and source payload. A dead letter may hold any region's data, so a
 * region-scoped credential sees none. The replay is in dead-letter-replay.ts.
 */
export async function deadLetterRoutes(app: FastifyInstance, opts: { resources: ResourceQuery }): Promise<void> {
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/v1/dead-letters',
    {
      config: { scope: 'admin' },
      onSend: etagOnSend,
      schema: {
        summary: 'List dead letters',
        description:
          'Newest first by default. Keyset-paginated: follow `next` or the `Link: rel="next"` header. Sends a weak ETag; `If-None-Match` gives 304.',
        tags: ['dead-letters'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            connector: tokenSchema,
            stream: tokenSchema,
            resourceType: { type: 'string', pattern: '^[A-Z][A-Za-z]{0,63}$' },
            sourceId: { type: 'string', minLength: 1, maxLength: 256 },
            ...pagingProperties(['failedAt', 'id', 'connector'], 500, 50),
          },
        },
        response: { 200: pageSchema(deadLetterSchema, 'A page of dead letters.'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const page = await opts.resources.listDeadLetters(listQueryOf(request, FILTERS));
      return sendPage(request, reply, page);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/dead-letters/:id',
    {
      config: { scope: 'admin' },
      onSend: etagOnSend,
      schema: {
        summary: 'One dead letter',
        tags: ['dead-letters'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[A-Za-z0-9:._-]{1,128}$' } },
        },
        response: { 200: deadLetterSchema, ...errorResponses },
      },
    },
    async (request) => {
      if (callerRegions(request) !== null) throw notFound(request);
      const letter = await opts.resources.getDeadLetter(request.params.id);
      if (letter === undefined) throw notFound(request);
      return letter;
    },
  );
}
