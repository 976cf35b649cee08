import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this command belongs to: where `connectors/` lives by default. */
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('../templates/connector/', import.meta.url));

/** kebab-case: lower-case letters and digits in words joined by single hyphens, a letter first. */
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export type ScaffoldResult =
  | {
      readonly ok: true;
      readonly dir: string;
      readonly files: readonly string[];
      /** Whether the checkout's Biome formatted the files (it is a dev dependency). */
      readonly formatted: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/** The placeholders of the templates, for `name` (kebab-case). */
export function templateValues(name: string): Record<string, string> {
  const words = name.split('-');
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  const pascal = words.map(cap).join('');
  return {
    name,
    Name: pascal,
    camelName: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    title: words.map(cap).join(' '),
  };
}

/**
 * Writes `connectors/<name>/` under `root` from `cli/templates/connector/`: a working connector
 * (pull and push forms), its spec, a fixture, a conformance test that passes as generated and a
 * README. Refuses a name that is not kebab-case, an existing folder, and a root without the SDK.
 * An outcome, not a throw.
 */
export function scaffoldConnector(name: string, root: string = CHECKOUT): ScaffoldResult {
  if (!NAME.test(name) || name.length > 40) {
    return {
      ok: false,
      reason: `"${name}" is not a connector name: use kebab-case, 1 to 40 lower-case letters, digits and single hyphens, a letter first (e.g. partner-stock)`,
    };
  }
  const connectors = join(resolve(root), 'connectors');
  if (!existsSync(join(connectors, 'sdk'))) {
    return { ok: false, reason: `${connectors} has no sdk/: --dir must be the root of a Reserve Hub checkout` };
  }
  const dir = join(connectors, name);
  if (existsSync(dir)) return { ok: false, reason: `${dir} already exists; pick another name or remove it` };

  const values = templateValues(name);
  const fill = (text: string) =>
    text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) =>
      Object.hasOwn(values, key) ? (values[key] as string) : whole,
    );
  const files: string[] = [];
  for (const template of walk(TEMPLATES)) {
    const target = join(
      dir,
      relative(TEMPLATES, template)
        .replaceAll('__name__', name)
        .replace(/\.tmpl$/, ''),
    );
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, fill(readFileSync(template, 'utf8')), { flag: 'wx' });
    files.push(target);
  }
  return { ok: true, dir, files: files.sort(), formatted: format(files) };
}

/**
 * Formats the new files (and sorts their imports) with the checkout's Biome and its config: line breaks depend on the
 * name's length, so no template can be formatted for every name. False without Biome.
 */
function format(files: readonly string[]): boolean {
  const biome = join(CHECKOUT, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return false;
  const run = spawnSync(biome, ['check', '--write', '--config-path', join(CHECKOUT, 'biome.json'), ...files], {
    encoding: 'utf8',
  });
  return run.status === 0;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** `hub connector new <name> [--dir <root>]`: scaffolds, then prints the files and next steps. */
export function connectorNewCommand(opts: {
  readonly name: string;
  readonly root?: string;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}): number {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  const err = opts.err ?? ((t: string) => process.stderr.write(t));
  const root = resolve(opts.root ?? CHECKOUT);
  const result = scaffoldConnector(opts.name, root);
  if (!result.ok) {
    err(`hub connector new: ${result.reason}\n`);
    return 2;
  }
  const { name, camelName } = templateValues(opts.name);
  const rel = (p: string) => relative(root, p);
  out(
    [
      `Created ${rel(result.dir)}/:`,
      ...result.files.map((f) => `  ${rel(f)}`),
      '',
      'Next steps:',
      `  1. npx vitest run connectors/${name}      # the conformance kit passes as generated`,
      `  2. Map your source: Row and mapRow in src/${name}-connector.ts, the config in resources/spec.json`,
      `  3. Register it in connectors/index.ts:`,
      `       import { ${camelName} } from './${name}/src/index.js';`,
      `       and add [${camelName}.name]: ${camelName} to builtinConnectors`,
      `  4. npx hub ingest ${name} --file connectors/${name}/test/fixtures/sample.json`,
      `     or, with the hub running: curl -X POST -H "Authorization: Bearer $KEY" \\`,
      `       -H 'Content-Type: application/json' --data-binary @connectors/${name}/test/fixtures/sample.json \\`,
      `       http://127.0.0.1:8080/v1/ingest/${name}`,
      '',
      ...(result.formatted ? [] : [`  (format it: npx biome check --write connectors/${name})`]),
      'The guide: docs/connector-sdk.md',
      '',
    ].join('\n'),
  );
  return 0;
}
