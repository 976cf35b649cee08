/**
 * `Idempotency-Key` for every write (IETF draft-ietf-httpapi-idempotency-key-header): the first
 * request with a key claims it and its answer is kept; a retry with the same key and the same
 * request gets that answer again (`Idempotent-Replayed: true`) without running twice; the same
 * key on another request is 422, a retry while the first runs is 409. Refusals (4xx) are kept as
 * the answer; a failure a retry may fix (5xx, an unexpected error) gives the key back. Keys are
 * kept per credential.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError, isHubError } from '../../core/errors/index.js';
import { badRequest, problemOf } from '../problems.js';
import type { IdempotencyStore, StoredResponse } from './idempotency-store.js';

/** The `Idempotency-Key` request header, as every write route declares it. */
export const idempotencyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'A unique value per request, e.g. a UUID; the same value on every retry.',
    },
  },
} as const;

/** A kept answer, with the `Location` of what it created. */
export type IdempotentResponse = StoredResponse & { readonly location?: string };

/** What makes two requests the same by default: method, URL and parsed body. */
export function requestFingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.method, request.url, request.body ?? null]))
    .digest('hex');
}

/** Runs `run` under the request's `Idempotency-Key` (or simply runs it without one). */
export async function idempotent(
  request: FastifyRequest,
  reply: FastifyReply,
  store: IdempotencyStore,
  run: () => Promise<IdempotentResponse>,
  fingerprint: string = requestFingerprint(request),
): Promise<FastifyReply> {
  const raw = request.headers['idempotency-key'];
  const key = typeof raw === 'string' ? unquote(raw) : undefined;
  if (key === undefined) return sendKept(reply, await run());
  if (key === '') throw badRequest('Idempotency-Key is empty');
  const owner = request.principal?.keyId ?? 'anonymous';
  const claim = await store.claim(owner, key, fingerprint);
  switch (claim.outcome) {
    case 'replay':
      reply.header('Idempotent-Replayed', 'true');
      return sendKept(reply, claim.response);
    case 'mismatch':
      throw new HubError('HUB_ERR_IDEMPOTENCY_KEY_REUSED', { key });
    case 'in-progress':
      throw new HubError('HUB_ERR_IDEMPOTENCY_IN_PROGRESS', { key });
  }
  let response: IdempotentResponse;
  try {
    response = await run();
  } catch (err) {
    if (!isHubError(err) || err.status >= 500) {
      await store.release(owner, key, claim.token);
      throw err;
    }
    response = {
      status: err.status,
      contentType: 'application/problem+json',
      body: JSON.stringify(problemOf(err, request.url)),
    };
  }
  await store.complete(owner, key, claim.token, response);
  return sendKept(reply, response);
}

/** Sends a response kept as text, so that a replay is byte for byte the first answer. */
export function sendKept(reply: FastifyReply, response: IdempotentResponse): FastifyReply {
  if (response.location) reply.header('Location', response.location);
  return reply.code(response.status).type(response.contentType).send(response.body);
}

/** The draft standard sends the key as a structured-field string (`"…"`); plain values work too. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
