import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const LAYERS = ['core', 'connectors', 'warehouse', 'api', 'dashboards', 'openapi', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import, besides itself and npm packages (DESIGN.md §2). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  core: [],
  connectors: ['core'],
  warehouse: ['core'],
  api: ['core'],
  dashboards: ['core'],
  openapi: [],
  cli: ['core', 'connectors', 'warehouse', 'api', 'dashboards'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // Generated API clients are products for partners, never imported by production code.
      if (relative(ROOT, path) === join('openapi', 'clients')) continue;
      out.push(...sourceFiles(path));
    } else if (/\.(ts|mts|js|mjs)$/.test(name) && !/\.d\.ts$/.test(name)) out.push(path);
  }
  return out;
}

function layerOf(path: string, root: string): Layer | undefined {
  const top = relative(root, path).split(sep)[0];
  return (LAYERS as readonly string[]).includes(top ?? '') ? (top as Layer) : undefined;
}

function violations(files: readonly string[], root = ROOT): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = layerOf(file, root);
    if (!from) continue;
    const isTest =
      /\.test\.ts$/.test(file) || file.includes(`${sep}test${sep}`) || file.includes(`${sep}testing${sep}`);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (relative(root, target).startsWith('..')) {
        found.push(`${relative(root, file)} imports ${spec}, outside the repository`);
        continue;
      }
      if (relative(root, target).startsWith(join('openapi', 'clients')) && !isTest) {
        found.push(`${relative(root, file)} imports the generated client ${spec}`);
        continue;
      }
      const to = layerOf(target, root);
      if (!to || to === from) continue;
      // Tests may reach the shared test helpers at the top-level test/ folder, nothing else extra.
      if (!ALLOWED[from].includes(to)) found.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  return found;
}

describe('layer rules', () => {
  it('no module imports across the layer rules', () => {
    const files = LAYERS.flatMap((l) => {
      try {
        return sourceFiles(join(ROOT, l));
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(10);
    expect(violations(files)).toEqual([]);
  });

  it('the check catches a forbidden import', () => {
    const root = mkdtempSync(join(tmpdir(), 'hub-layers-'));
    try {
      mkdirSync(join(root, 'core'));
      mkdirSync(join(root, 'api'));
      writeFileSync(
        join(root, 'core', 'probe.ts'),
        "import { x } from '../warehouse/index.js';\nexport const y = x;\n",
      );
      writeFileSync(
        join(root, 'api', 'ok.ts'),
        "import { y } from '../core/probe.js';\nimport Fastify from 'fastify';\n",
      );
      expect(violations([join(root, 'core', 'probe.ts'), join(root, 'api', 'ok.ts')], root)).toEqual([
        'core/probe.ts (core) imports ../warehouse/index.js (warehouse)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
