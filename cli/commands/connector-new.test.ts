import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorNewCommand, scaffoldConnector, templateValues } from './connector-new.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NAMES = ['partner-stock', 'croissant-rouge-souss-massa-stock-feed'] as const;

/** A project root in a temp dir: the real core, SDK and packages, and no connector of its own. */
function tempCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'hub-scaffold-'));
  mkdirSync(join(root, 'connectors'));
  symlinkSync(join(ROOT, 'core'), join(root, 'core'));
  symlinkSync(join(ROOT, 'connectors', 'sdk'), join(root, 'connectors', 'sdk'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  return root;
}

describe('hub connector new', { timeout: 120_000 }, () => {
  let root = '';
  const out: string[] = [];
  const err: string[] = [];
  const run = (name: string, at = root) =>
    connectorNewCommand({ name, root: at, out: (t) => out.push(t), err: (t) => err.push(t) });

  beforeAll(() => {
    root = tempCheckout();
    for (const name of NAMES) expect(run(name)).toBe(0);
  });
  // The links go, not what they point to: rm does not follow symbolic links.
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the connector folder and prints the next steps', () => {
    const dir = join(root, 'connectors', 'partner-stock');
    for (const file of [
      'src/partner-stock-connector.ts',
      'src/index.ts',
      'resources/spec.json',
      'test/partner-stock.test.ts',
      'test/fixtures/sample.json',
      'README.md',
    ]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\{\{|__name__/);
    }
    const source = readFileSync(join(dir, 'src/partner-stock-connector.ts'), 'utf8');
    expect(source).toMatch(/export class PartnerStockConnector\s+extends ConnectorBase<PartnerStockConfig>/);
    expect(source).toContain("const NAME = 'partner-stock';");
    expect(JSON.parse(readFileSync(join(dir, 'resources/spec.json'), 'utf8')).title).toBe('Partner Stock');
    const printed = out.join('');
    expect(printed).toContain('Created connectors/partner-stock/:');
    expect(printed).toContain('npx vitest run connectors/partner-stock');
    expect(printed).toContain("import { partnerStock } from './partner-stock/src/index.js';");
    expect(printed).toContain('npx hub ingest partner-stock --file connectors/partner-stock/test/fixtures/sample.json');
    expect(err).toEqual([]);
  });

  it('generates a connector whose conformance test passes as generated', () => {
    const vitest = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        ...NAMES.map((n) => `connectors/${n}/`),
        '--root',
        root,
        '--reporter',
        'json',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: '' } },
    );
    const report = JSON.parse(vitest.stdout.slice(vitest.stdout.indexOf('{'))) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { name: string }[];
    };
    expect(vitest.status, vitest.stderr).toBe(0);
    expect(report.testResults.map((t) => t.name.replace(`${root}/`, '')).sort()).toEqual([
      'connectors/croissant-rouge-souss-massa-stock-feed/test/croissant-rouge-souss-massa-stock-feed.test.ts',
      'connectors/partner-stock/test/partner-stock.test.ts',
    ]);
    expect(report).toMatchObject({ numFailedTests: 0, numPassedTests: 8 });
  });

  it('generates code that type-checks and passes the linter, whatever the length of the name', () => {
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: NAMES.map((n) => `connectors/${n}`) }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const biome = spawnSync(
      join(ROOT, 'node_modules/.bin/biome'),
      ['check', '--config-path', join(ROOT, 'biome.json'), ...NAMES.map((n) => join(root, 'connectors', n))],
      { encoding: 'utf8' },
    );
    expect(biome.status, biome.stdout + biome.stderr).toBe(0);
  });

  it('refuses an existing folder, a name that is not kebab-case, and a root without the SDK', () => {
    expect(scaffoldConnector('partner-stock', root)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('already exists'),
    });
    expect(scaffoldConnector('sdk', root)).toMatchObject({ ok: false });
    for (const bad of [
      'PartnerStock',
      'partner_stock',
      '-stock',
      'stock-',
      'a--b',
      '1stock',
      '',
      'x'.repeat(41),
      '../evil',
    ]) {
      expect(scaffoldConnector(bad, root), bad).toMatchObject({
        ok: false,
        reason: expect.stringContaining('kebab-case'),
      });
    }
    const empty = mkdtempSync(join(tmpdir(), 'hub-scaffold-'));
    expect(scaffoldConnector('partner-stock', empty)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no sdk/'),
    });
    expect(existsSync(join(empty, 'connectors'))).toBe(false);
  });

  it('exits 2 with one line from the hub command for a refused name', () => {
    const hub = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hub.mjs'), 'connector', 'new', 'Bad_Name', '--dir', root],
      {
        encoding: 'utf8',
      },
    );
    expect(hub.status).toBe(2);
    expect(hub.stderr.trim()).toMatch(/^hub connector new: "Bad_Name" is not a connector name/);
    expect(existsSync(join(root, 'connectors', 'Bad_Name'))).toBe(false);
  });

  it('derives the names of the code from the kebab-case name', () => {
    expect(templateValues('edxl-rm2')).toEqual({
      name: 'edxl-rm2',
      Name: 'EdxlRm2',
      camelName: 'edxlRm2',
      title: 'Edxl Rm2',
    });
  });
});
