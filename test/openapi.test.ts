import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_FILE, renderOpenApi } from '../scripts/gen-openapi.js';

describe('openapi/openapi.yaml', () => {
  it('is the document the server serves (run `npx tsx scripts/gen-openapi.ts` when this fails)', async () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(await renderOpenApi());
  });

  it('is OpenAPI 3.1 with every /v1 operation behind the bearer scheme', () => {
    const doc = parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
      openapi: string;
      security: unknown[];
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ apiKey: [] }]);
    const v1 = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/'));
    expect(v1).toEqual(expect.arrayContaining(['/v1/stock', '/v1/locations', '/v1/ingest/{connector}']));
    for (const p of v1) for (const op of Object.values(doc.paths[p] ?? {})) expect(op.security).toBeUndefined();
  });
});
