import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../../core/errors/index.js';
import type { IncomingDocument, IngestResult, IngestService } from '../../core/ports/index.js';
import type { IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store.js';
import { idempotencyHeader, idempotent, sendKept } from '../idempotency/idempotent.js';
import { problemSchema } from '../problems.js';

/** What a push connector accepts, when the service can tell before the body is read. */
export interface DocumentLimits {
  readonly maxDocumentBytes: number;
  readonly acceptedMediaTypes: readonly string[];
}

/**
 * The ingest port, optionally able to give a connector's limits (the connector layer's
 * service can): the body is then refused at the connector's own size, before it is read.
 */
export type PushService = IngestService & {
  documentLimits?(connector: string): DocumentLimits | undefined;
};

export interface IngestRouteOptions {
  readonly ingest: PushService;
  readonly idempotency: IdempotencyStore;
  /** Embedded writes are queryable when the push is answered (200); distributed ones are on
   * the stream, not yet in the warehouse (202). */
  readonly mode: 'embedded' | 'distributed';
  /** The body limit of a connector whose limits the service does not give. Default 16 MiB. */
  readonly defaultMaxBytes?: number;
}

/** How many dead-letter ids a `deadLetters.href` lists at most; `ids` always has them all. */
export const DEAD_LETTER_HREF_MAX_IDS = 100;

const EMPTY = Buffer.alloc(0);
/** Headers never handed to a connector: credentials stay in the API. */
const PRIVATE_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

const connectorParam = {
  type: 'string',
  pattern: '^[a-z][a-z0-9-]{0,63}$',
  description: 'A push connector, e.g. `epcis`, `files`, `webhook` (see `GET /v1/ingest`).',
} as const;

const resultSchema = {
  type: 'object',
  description: 'What became of the pushed records.',
  required: ['connector', 'accepted', 'rejected', 'deadLettered', 'deadLetters'],
  properties: {
    connector: { type: 'string' },
    accepted: { type: 'integer', minimum: 0, description: 'Valid records, now durable.' },
    rejected: { type: 'integer', minimum: 0, description: 'Records refused by mapping or validation.' },
    deadLettered: {
      type: 'integer',
      minimum: 0,
      description: 'Refused records kept, with their reasons and payload, in the dead letters.',
    },
    deadLetters: {
      type: 'object',
      required: ['ids'],
      properties: {
        href: {
          type: 'string',
          description: `Where to read them (present for 1 to ${DEAD_LETTER_HREF_MAX_IDS} ids).`,
        },
        ids: { type: 'array', items: { type: 'string' }, description: 'Ids of the dead letters, each once.' },
      },
    },
  },
} as const;

// Route-level validation: the body is raw bytes, never validated as JSON; params and headers
// are, with the same Ajv options as the rest of the API.
const ajv = new Ajv({ coerceTypes: true, allErrors: true, removeAdditional: false });

/**
 * `POST /v1/ingest/:connector` (scope `ingest`): a partner pushes a document (EPCIS, FHIR,
 * CAP, EDXL-RM, CSV, a signed webhook) to a push connector, as the raw body in any media type
 * the connector reads. Honours `Idempotency-Key`: a retry gets the first answer again, with
 * `Idempotent-Replayed: true`, and nothing is ingested twice. `GET /v1/ingest` lists the push
 * connectors and their limits.
 */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRouteOptions): Promise<void> {
  const defaultMax = opts.defaultMaxBytes ?? 16 * 1024 * 1024;
  const pushNames = new Set(opts.ingest.pushConnectors());
  const limitsOf = (name: string): DocumentLimits | undefined => {
    if (!pushNames.has(name)) return undefined;
    return opts.ingest.documentLimits?.(name) ?? { maxDocumentBytes: defaultMax, acceptedMediaTypes: ['*/*'] };
  };
  const catalogue = [...pushNames].sort().map((name) => ({ name, ...(limitsOf(name) as DocumentLimits) }));
  const mediaTypes = [...new Set(catalogue.flatMap((c) => c.acceptedMediaTypes))].sort();

  await app.register(async (scope) => {
    // Every body of this route is read as raw bytes, whatever its type: the connector parses it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const limits = limitsOf((request.params as { connector?: string }).connector ?? '');
      // Not a push connector: the handler answers 404 through the service; the body is not read.
      if (!limits) return done(null, EMPTY);
      const name = (request.params as { connector: string }).connector;
      const tooLarge = () =>
        new HubError('HUB_ERR_INGEST_TOO_LARGE', { name, limit: limits.maxDocumentBytes }) as Error;
      const declared = Number(request.headers['content-length']);
      if (declared > limits.maxDocumentBytes) return done(tooLarge(), undefined);
      const chunks: Buffer[] = [];
      let received = 0;
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxDocumentBytes) {
          stop();
          done(tooLarge(), undefined);
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        stop();
        done(null, Buffer.concat(chunks, received));
      };
      const onError = (err: Error) => {
        stop();
        done(err, undefined);
      };
      const stop = () => {
        payload.removeListener('data', onData);
        payload.removeListener('end', onEnd);
        payload.removeListener('error', onError);
      };
      payload.on('data', onData);
      payload.on('end', onEnd);
      payload.on('error', onError);
    });

    scope.get(
      '/v1/ingest',
      {
        config: { scope: 'ingest' },
        schema: {
          summary: 'Push connectors',
          description:
            'The connectors that accept pushed documents, with the media types they read and their size limit.',
          tags: ['ingest'],
          response: {
            200: {
              type: 'object',
              required: ['connectors'],
              properties: {
                connectors: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name', 'maxDocumentBytes', 'acceptedMediaTypes'],
                    properties: {
                      name: { type: 'string' },
                      maxDocumentBytes: { type: 'integer' },
                      acceptedMediaTypes: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
            '4xx': problemSchema,
          },
        },
      },
      async () => ({ connectors: catalogue }),
    );

    scope.post<{ Params: { connector: string } }>(
      '/v1/ingest/:connector',
      {
        config: { scope: 'ingest' },
        validatorCompiler: ({ schema, httpPart }) => (httpPart === 'body' ? () => true : ajv.compile(schema)),
        schema: {
          summary: 'Push a document to a connector',
          description:
            'The body is the document itself (not wrapped), in a media type the connector reads, up to its size ' +
            'limit. Valid records are stored; refused ones go to the dead letters with their reasons. Send an ' +
            '`Idempotency-Key` to retry safely: a retry with the same key and body returns the first answer with ' +
            '`Idempotent-Replayed: true` and ingests nothing again; keys are kept 24 hours per credential. ' +
            'A file name may be given with `Content-Disposition: attachment; filename="…"`.\n\n' +
            catalogue
              .map((c) => `- \`${c.name}\`: ${c.acceptedMediaTypes.join(', ')}; at most ${c.maxDocumentBytes} bytes`)
              .join('\n'),
          tags: ['ingest'],
          params: { type: 'object', required: ['connector'], properties: { connector: connectorParam } },
          headers: idempotencyHeader,
          body: {
            content: Object.fromEntries(
              (mediaTypes.length > 0 ? mediaTypes : ['*/*']).map((t) => [
                t,
                { schema: { type: 'string', format: 'binary' } },
              ]),
            ),
          },
          response: {
            200: { ...resultSchema, description: 'Ingested; the records are queryable (embedded mode).' },
            202: {
              ...resultSchema,
              description: 'Ingested; the records are durable on the stream (distributed mode).',
            },
            '4xx': problemSchema,
            '5xx': problemSchema,
          },
        },
      },
      async (request, reply) => {
        const name = request.params.connector;
        const document = incomingDocument(request);
        // For a name that is not a push connector (answered 404 by the service), there is
        // nothing to remember.
        if (!pushNames.has(name)) return sendKept(reply, resultResponse(await opts.ingest.ingest(name, document)));
        return idempotent(
          request,
          reply,
          opts.idempotency,
          async () => resultResponse(await opts.ingest.ingest(name, document)),
          fingerprint(name, document),
        );
      },
    );

    function resultResponse(result: IngestResult): StoredResponse {
      const ids = [...result.deadLetterIds];
      const body = {
        connector: result.connector,
        accepted: result.accepted,
        rejected: result.rejected,
        deadLettered: result.deadLettered,
        deadLetters: {
          ...(ids.length > 0 && ids.length <= DEAD_LETTER_HREF_MAX_IDS
            ? { href: `/v1/dead-letters?ids=${ids.join(',')}` }
            : {}),
          ids,
        },
      };
      return {
        status: opts.mode === 'embedded' ? 200 : 202,
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(body),
      };
    }
  });
}

function incomingDocument(request: FastifyRequest): IncomingDocument {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) {
    if (v === undefined || PRIVATE_HEADERS.has(k)) continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const contentType = request.headers['content-type'];
  const filename = filenameOf(request.headers['content-disposition']);
  return {
    body: Buffer.isBuffer(request.body) ? request.body : EMPTY,
    ...(contentType === undefined ? {} : { contentType }),
    ...(filename === undefined ? {} : { filename }),
    headers,
    receivedAt: new Date().toISOString(),
    ...(request.principal ? { pushedBy: request.principal.keyId } : {}),
  };
}

/** What makes two pushes the same request: connector, media type, file name and bytes. */
function fingerprint(name: string, document: IncomingDocument): string {
  return createHash('sha256')
    .update(JSON.stringify([name, document.contentType ?? null, document.filename ?? null]))
    .update('\n')
    .update(document.body)
    .digest('hex');
}

/** The file name of `Content-Disposition: attachment; filename="…"` (or `filename*=UTF-8''…`), without any path. */
function filenameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)?.[1];
  let name: string | undefined;
  if (extended !== undefined) {
    try {
      name = decodeURIComponent(extended.trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/
    .exec(header)
    ?.slice(1)
    .find((v) => v !== undefined);
  if (name === undefined) return undefined;
  const base = basename(name.replaceAll('\\', '/'));
  return base === '' || base === '.' || base === '..' ? undefined : base;
}
