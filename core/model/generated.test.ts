import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderModelDocs } from '../../scripts/gen-model-docs.js';
import { renderTypes } from '../../scripts/gen-types.js';
import { renderValidators } from '../../scripts/gen-validators.js';

/**
 * The generated files are derived from the schemas: a schema change without regenerating them
 * fails here. Fix: `npx tsx scripts/gen-types.ts && npx tsx scripts/gen-validators.ts && npx tsx scripts/gen-model-docs.ts`.
 */
describe('generated files are up to date with the schemas', () => {
  const cases: [string, () => Promise<Map<string, string>> | Map<string, string>][] = [
    ['core/model/types.gen.ts (scripts/gen-types.ts)', renderTypes],
    ['core/model/validators.gen.js + .d.ts (scripts/gen-validators.ts)', renderValidators],
    ['docs/model.md (scripts/gen-model-docs.ts)', renderModelDocs],
  ];
  it.each(cases)('%s', async (_name, render) => {
    for (const [path, content] of await render()) {
      const current = readFileSync(path, 'utf8');
      // Compare sizes first: a diff of a megabyte of generated code is no help.
      expect(current.length, `${path} is stale`).toBe(content.length);
      expect(current === content, `${path} is stale`).toBe(true);
    }
  });
});
