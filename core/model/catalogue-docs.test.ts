import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../errors/catalogue.js';

/**
 * The error catalogue and docs/errors.md stay in step: each code has a section giving its kind,
 * HTTP status and message template as the catalogue does, and no section names a missing code.
 * (Lives with the model, which owns most codes; it covers the whole catalogue.)
 */
const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const sections = new Map(
  [...doc.matchAll(/^### (HUB_ERR_\w+)\n\n`(\w+)` · HTTP (\d+) · `(.*)`$/gm)].map((m) => [
    m[1] as string,
    { kind: m[2], status: Number(m[3]), message: m[4] },
  ]),
);

describe('error catalogue docs', () => {
  it('documents every code of the catalogue, as the catalogue defines it', () => {
    const undocumented = Object.keys(ERRORS).filter((code) => !sections.has(code));
    expect(undocumented, 'codes without a section in docs/errors.md').toEqual([]);
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect(sections.get(code), code).toEqual({ kind: entry.kind, status: entry.status, message: entry.message });
    }
  });

  it('documents no code that the catalogue lacks', () => {
    const headings = [...doc.matchAll(/^#+ .*?(HUB_ERR_\w+)/gm)].map((m) => m[1] as string);
    expect(headings.length).toBeGreaterThan(0);
    expect(headings.filter((code) => !(code in ERRORS))).toEqual([]);
    expect(headings.length).toBe(sections.size);
  });

  it('names codes HUB_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERRORS)) expect(code).toMatch(/^HUB_ERR_[A-Z]+_[A-Z0-9_]+$/);
  });
});
