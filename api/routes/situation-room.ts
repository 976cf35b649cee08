import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const DIR = resolve(import.meta.dirname, '../situation-room');

/**
 * The page's policy: every resource from this origin only (no CDN, no inline script or style),
 * nothing may frame it, and forms post only here.
 */
export const SITUATION_ROOM_CSP =
  "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const ASSETS = {
  '/situation-room': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/situation-room/situation-room.js': { file: 'situation-room.js', type: 'text/javascript; charset=utf-8' },
  '/situation-room/situation-room.css': { file: 'situation-room.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * The situation room (DESIGN.md §7): a static page, its script and its style, served without
 * authentication (they hold no data). The page asks for an API key and reads `/v1` with it,
 * live through `GET /v1/events`. `/` redirects to it. None of these routes is in the spec.
 */
export async function situationRoomRoutes(app: FastifyInstance): Promise<void> {
  // Read once at start-up: three small files, and a missing one fails the start, not a request.
  const bodies = new Map<string, { body: Buffer; type: string }>();
  for (const [path, asset] of Object.entries(ASSETS)) {
    bodies.set(path, { body: readFileSync(resolve(DIR, asset.file)), type: asset.type });
  }
  const send = (reply: FastifyReply, path: string) => {
    const asset = bodies.get(path) as { body: Buffer; type: string };
    return reply
      .header('Content-Security-Policy', SITUATION_ROOM_CSP)
      .header('Cache-Control', 'no-cache')
      .type(asset.type)
      .send(asset.body);
  };
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/situation-room', 302));
  // Browsers ask for it; answering 204 keeps their consoles free of a 404.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.code(204).send());
  for (const path of Object.keys(ASSETS)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => send(reply, path));
  }
}
