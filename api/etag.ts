/**
 * Weak entity tags for the read routes: `ETag: W/"…"` over the body as sent, and `304 Not
 * Modified` (empty body) when `If-None-Match` names it. A route opts in with
 * `onSend: etagOnSend`. The tag hashes the serialized body, so two callers whose data scopes
 * give the same body share a tag, and a change to any row of the answer changes it.
 *
 * Responses stay private to the caller (`Cache-Control: private, no-cache`: a cache may keep
 * them but must revalidate, and `Vary: Authorization`, since the body depends on the caller).
 */
import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The weak tag of a body. */
export function weakEtag(body: string | Buffer): string {
  return `W/"${hash('sha256', body, 'base64url').slice(0, 32)}"`;
}

/**
 * True when an `If-None-Match` header matches the tag: `*`, or any listed tag equal to it by
 * the weak comparison of RFC 9110 §8.8.3.2 (the `W/` prefixes are ignored).
 */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return true;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return text.split(',').some((tag) => opaque(tag) === wanted);
}

/** A body and its tag, as a route that keeps both hands them over (`sendTagged`). */
export interface TaggedBody {
  readonly body: string | Buffer;
  readonly etag: string;
}

/** Tags computed by the route, used by `etagOnSend` only for that very body. */
const taggedBodies = new WeakMap<FastifyReply, TaggedBody>();

/** A serialized JSON body and its weak tag (for a route that keeps them between requests). */
export function taggedBody(body: string | Buffer): TaggedBody {
  return { body, etag: weakEtag(body) };
}

/**
 * Sends an already serialized JSON body whose tag is known (`taggedBody`), so that
 * `etagOnSend` need not hash it again. The tag is used only if the body sent is that one.
 */
export function sendTagged(reply: FastifyReply, tagged: TaggedBody): FastifyReply {
  taggedBodies.set(reply, tagged);
  return reply.type('application/json; charset=utf-8').send(tagged.body);
}

/**
 * An `onSend` hook: tags 200 answers to GET/HEAD and turns a matching conditional GET into a
 * 304. A callback hook (it never waits on anything), so no promise is made per response.
 */
export function etagOnSend(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: Error | null, payload?: unknown) => void,
): void {
  done(null, conditional(request, reply, payload));
}

function conditional(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if (request.method !== 'GET' && request.method !== 'HEAD') return payload;
  if (reply.statusCode !== 200) return payload;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
  const tagged = taggedBodies.get(reply);
  const etag = tagged !== undefined && tagged.body === payload ? tagged.etag : weakEtag(payload);
  reply.header('ETag', etag);
  reply.header('Cache-Control', 'private, no-cache');
  reply.header('Vary', 'Authorization');
  if (ifNoneMatchHits(request.headers['if-none-match'], etag)) {
    reply.code(304);
    reply.removeHeader('Content-Type');
    reply.removeHeader('Content-Length');
    return '';
  }
  return payload;
}
