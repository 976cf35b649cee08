import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isHubError } from '../core/errors/index.js';
import {
  type CardDefinition,
  cardProblems,
  DASHBOARD_SCHEMA,
  DEFINITIONS_DIR,
  loadDashboards,
  parseDashboard,
  renderCardSql,
} from './definitions.js';

const FILES = readdirSync(DEFINITIONS_DIR).filter((f) => f.endsWith('.yaml'));

function card(sql: string, tags: CardDefinition['tags'] = {}): CardDefinition {
  return {
    key: 'probe',
    title: 'Probe',
    display: 'table',
    layout: { row: 0, col: 0, width: 6, height: 4 },
    columns: ['x'],
    sql,
    tags,
  };
}

describe('dashboard definitions', () => {
  it('the schema is a valid JSON Schema 2020-12 and every YAML file is valid against it', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    const validate = ajv.compile(DASHBOARD_SCHEMA);
    expect(FILES.length).toBeGreaterThanOrEqual(3);
    for (const file of FILES) {
      const ok = validate(parse(readFileSync(join(DEFINITIONS_DIR, file), 'utf8')));
      expect(validate.errors ?? [], file).toEqual([]);
      expect(ok).toBe(true);
    }
    expect(validate({ key: 'x', name: 'X', description: 'd', cards: [] })).toBe(false);
  });

  it('loads the three dashboards for analysts and crisis authorities, with unique keys', () => {
    const dashboards = loadDashboards();
    expect(dashboards.map((d) => d.name).sort()).toEqual([
      'Qualité des données',
      'Situation nationale',
      'Traçabilité des lots',
    ]);
    const keys = dashboards.flatMap((d) => d.cards.map((c) => c.key));
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of dashboards.flatMap((d) => d.cards)) expect(cardProblems(c), c.key).toEqual([]);
  });

  it('refuses a document that breaks the schema, naming the place', () => {
    const error = (() => {
      try {
        parseDashboard(
          'key: x\nname: X\ndescription: d\ncards:\n  - key: c1\n    title: T\n    display: pie3d\n',
          'bad.yaml',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(isHubError(error) && error.code).toBe('HUB_ERR_DASHBOARDS_INVALID');
    expect(String((error as Error).message)).toMatch(/bad\.yaml: .*\/cards\/0/);
  });

  it('catches SQL that ClickHouse 18.16 cannot run, and tags misused', () => {
    expect(cardProblems(card('WITH t AS (SELECT 1) SELECT * FROM t'))).toContain(
      'uses WITH (no CTEs on ClickHouse 18.16)',
    );
    expect(cardProblems(card('SELECT x FROM stock_movements'))).toContain('reads stock_movements without FINAL');
    expect(cardProblems(card('SELECT x FROM stock_on_hand_agg'))).toEqual([]);
    expect(cardProblems(card('SELECT a FROM t ANY LEFT JOIN u USING a ANY LEFT JOIN v USING a'))).toContain(
      'has more than one JOIN (ClickHouse 18.16 allows one)',
    );
    expect(cardProblems(card('SELECT row_number() OVER (ORDER BY x) FROM t'))).toHaveLength(1);
    expect(cardProblems(card('SELECT x FROM t WHERE y = {y:String}'))).toContain('uses a query parameter {name:Type}');
    expect(cardProblems(card('SELECT x FROM t WHERE r = {{region}}'))).toContain(
      'uses {{region}} without declaring it under tags',
    );
    expect(
      cardProblems(card('SELECT x FROM t WHERE r = {{region}}', { region: { type: 'text', label: 'R' } })),
    ).toContain('tag region is used outside [[ ]], so it must be required');
    expect(cardProblems(card('SELECT x FROM t', { region: { type: 'text', label: 'R' } }))).toContain(
      'declares tag region but its SQL never uses it',
    );
  });

  it('renders template tags as Metabase does: optional clauses kept only with all their values', () => {
    const text = 'SELECT x FROM t WHERE a = {{a}} [[ AND r = {{region}} ]] [[ AND d >= {{from}} AND d <= {{to}} ]]';
    expect(renderCardSql(text, { a: "'A'" })).toBe("SELECT x FROM t WHERE a = 'A'  ");
    expect(renderCardSql(text, { a: "'A'", region: "'souss-massa'", from: "toDate('2026-02-01')" })).toBe(
      "SELECT x FROM t WHERE a = 'A'  AND r = 'souss-massa'  ",
    );
    expect(() => renderCardSql(text, {})).toThrow(/required tag \{\{a\}\}/);
  });
});
