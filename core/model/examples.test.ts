import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, type ResourceType } from './schemas.js';
import { validate } from './validate.js';
import { validateFile } from './validate-file.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);

interface Expected {
  readonly pointer: string;
  readonly code: string;
}
interface Example {
  readonly file: string;
  readonly resourceType: ResourceType;
  readonly valid: boolean;
  readonly reason?: string;
  readonly errors?: readonly Expected[];
}
interface FileExample {
  readonly file: string;
  readonly resourceType: ResourceType;
  readonly records: readonly { line: number; valid: boolean; errors?: readonly Expected[] }[];
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', EXAMPLES), 'utf8')) as {
  examples: Example[];
  files: FileExample[];
};

describe('partner examples', () => {
  it('lists every example file, and each resource has a valid and an invalid one', () => {
    const listed = new Set([...manifest.examples, ...manifest.files].map((e) => e.file));
    const onDisk = RESOURCE_TYPES.flatMap((t) => readdirSync(new URL(`${t}/`, EXAMPLES)).map((f) => `${t}/${f}`));
    expect(onDisk.filter((f) => !listed.has(f))).toEqual([]);
    for (const type of RESOURCE_TYPES) {
      const mine = manifest.examples.filter((e) => e.resourceType === type && e.file.startsWith(`${type}/`));
      expect(
        mine.some((e) => e.valid && /\/valid-[^/]+\.json$/.test(e.file)),
        type,
      ).toBe(true);
      expect(
        mine.some((e) => !e.valid && /\/invalid-[^/]+\.json$/.test(e.file) && e.reason),
        type,
      ).toBe(true);
    }
  });

  it.each(manifest.examples.map((e) => [e.file, e] as const))('%s', (_file, example) => {
    const result = validate(example.resourceType, JSON.parse(readFileSync(new URL(example.file, EXAMPLES), 'utf8')));
    const got = result.valid ? [] : result.errors.map((e) => ({ pointer: e.pointer, code: e.code }));
    expect(got).toEqual(example.errors ?? []);
    expect(result.valid).toBe(example.valid);
  });

  it.each(manifest.files.map((e) => [e.file, e] as const))('%s, record by record', async (_file, example) => {
    const got = [];
    for await (const r of validateFile(example.resourceType, new URL(example.file, EXAMPLES).pathname)) {
      got.push(
        r.valid
          ? { line: r.line, valid: true }
          : { line: r.line, valid: false, errors: r.errors.map((e) => ({ pointer: e.pointer, code: e.code })) },
      );
    }
    expect(got).toEqual(example.records);
  });
});
