/**
 * Dashboards as code (DESIGN.md §7): the YAML files of `dashboards/definitions/`, validated
 * against `dashboard.schema.json`, then checked for what a schema cannot say (unique keys, the
 * template tags the SQL uses are the ones declared, the ClickHouse 18.16 portability rules of
 * DESIGN.md §5). `renderCardSql` substitutes template tags the way Metabase does, so the tests
 * can run every card against a real ClickHouse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { HubError } from '../core/errors/index.js';

export type TagType = 'text' | 'number' | 'date';

export interface TagDefinition {
  readonly type: TagType;
  readonly label: string;
  readonly required?: boolean;
  readonly default?: string | number;
}

export interface CardDefinition {
  readonly key: string;
  readonly title: string;
  readonly title_ar?: string;
  readonly description?: string;
  readonly display: 'table' | 'bar' | 'row' | 'line' | 'area' | 'pie' | 'scalar' | 'map';
  readonly layout: { readonly row: number; readonly col: number; readonly width: number; readonly height: number };
  readonly visualization?: Readonly<Record<string, unknown>>;
  readonly tags?: Readonly<Record<string, TagDefinition>>;
  readonly columns: readonly string[];
  readonly sql: string;
}

export interface DashboardDefinition {
  readonly key: string;
  readonly name: string;
  readonly name_ar?: string;
  readonly description: string;
  readonly parameters?: readonly { readonly key: string; readonly label: string; readonly type: TagType }[];
  readonly cards: readonly CardDefinition[];
}

export const DEFINITIONS_DIR = join(import.meta.dirname, 'definitions');
export const DASHBOARD_SCHEMA: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'dashboard.schema.json'), 'utf8'),
);

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile(DASHBOARD_SCHEMA);

/**
 * Tables whose engine is a ReplacingMergeTree (clickhouse-migrations.ts): read with FINAL, or
 * a row stored twice before a merge counts twice.
 */
export const REPLACING_TABLES: readonly string[] = [
  'locations',
  'products',
  'lots',
  'resources',
  'stock_movements',
  'dead_letters',
  'movement_ids',
  'organizations',
  'supply_requests',
  'supply_request_lines',
  'shipments',
  'shipment_lines',
  'shipment_status_history',
  'incidents',
  'equipment',
  'maintenance_events',
  'stock_snapshots',
];

const TAG = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;
const OPTIONAL = /\[\[([\s\S]*?)\]\]/g;

function tagsIn(text: string): string[] {
  return [...text.matchAll(TAG)].map((m) => m[1] as string);
}

/**
 * What is wrong with one card beyond its schema: every problem, as text (empty when none).
 * Optional tags must sit inside `[[ … ]]`, required ones outside; no CTE, no window function,
 * at most one JOIN, FINAL after every ReplacingMergeTree table.
 */
export function cardProblems(card: CardDefinition): string[] {
  const problems: string[] = [];
  const declared = card.tags ?? {};
  const outside = card.sql.replace(OPTIONAL, ' ');
  const inside = [...card.sql.matchAll(OPTIONAL)].flatMap((m) => tagsIn(m[1] as string));
  for (const name of new Set([...tagsIn(card.sql)])) {
    if (!(name in declared)) problems.push(`uses {{${name}}} without declaring it under tags`);
  }
  for (const [name, tag] of Object.entries(declared)) {
    const out = tagsIn(outside).includes(name);
    if (!out && !inside.includes(name)) problems.push(`declares tag ${name} but its SQL never uses it`);
    if (out && tag.required !== true) problems.push(`tag ${name} is used outside [[ ]], so it must be required`);
    if (tag.required === true && tag.default === undefined) problems.push(`required tag ${name} needs a default`);
  }
  const upper = card.sql.toUpperCase();
  if (/^\s*WITH\b/.test(upper) || /\(\s*WITH\b/.test(upper)) problems.push('uses WITH (no CTEs on ClickHouse 18.16)');
  if (/\bOVER\s*\(/.test(upper)) problems.push('uses a window function (absent from ClickHouse 18.16)');
  if ((upper.match(/\bJOIN\b/g) ?? []).length > 1)
    problems.push('has more than one JOIN (ClickHouse 18.16 allows one)');
  if (/\{\s*[a-z_]+\s*:\s*[A-Za-z]/.test(card.sql.replace(TAG, '')))
    problems.push('uses a query parameter {name:Type}');
  for (const m of card.sql.matchAll(/\bFROM\s+([a-z_]+)(\s+FINAL\b)?/gi)) {
    if (REPLACING_TABLES.includes((m[1] as string).toLowerCase()) && m[2] === undefined) {
      problems.push(`reads ${m[1]} without FINAL`);
    }
  }
  const shown = card.sql.trim().toLowerCase();
  if (!shown.startsWith('select')) problems.push('is not a SELECT');
  if (card.sql.includes(';')) problems.push('contains a semicolon (one statement per card)');
  return problems;
}

/** Parses and checks one dashboard document; throws HUB_ERR_DASHBOARDS_INVALID naming every problem. */
export function parseDashboard(text: string, source: string): DashboardDefinition {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new HubError('HUB_ERR_DASHBOARDS_INVALID', { source, reason: (error as Error).message }, { cause: error });
  }
  if (!validateSchema(doc)) {
    const reason = (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new HubError('HUB_ERR_DASHBOARDS_INVALID', { source, reason });
  }
  const dashboard = doc as DashboardDefinition;
  const problems: string[] = [];
  const params = new Map((dashboard.parameters ?? []).map((p) => [p.key, p]));
  for (const card of dashboard.cards) {
    for (const p of cardProblems(card)) problems.push(`card ${card.key} ${p}`);
    for (const [name, tag] of Object.entries(card.tags ?? {})) {
      const param = params.get(name);
      if (param && param.type !== tag.type) {
        problems.push(`card ${card.key}: tag ${name} is ${tag.type} but the dashboard parameter is ${param.type}`);
      }
    }
  }
  if (problems.length > 0) throw new HubError('HUB_ERR_DASHBOARDS_INVALID', { source, reason: problems.join('; ') });
  return dashboard;
}

/** Every dashboard of a folder (default `dashboards/definitions`), by file name; card keys unique across them. */
export function loadDashboards(dir: string = DEFINITIONS_DIR): DashboardDefinition[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const dashboards = files.map((f) => parseDashboard(readFileSync(join(dir, f), 'utf8'), f));
  const seen = new Map<string, string>();
  for (const d of dashboards) {
    for (const key of [`dashboard/${d.key}`, ...d.cards.map((c) => `card/${c.key}`)]) {
      const other = seen.get(key);
      if (other !== undefined) {
        throw new HubError('HUB_ERR_DASHBOARDS_INVALID', {
          source: d.key,
          reason: `${key} is also defined in ${other}`,
        });
      }
      seen.set(key, d.key);
    }
  }
  return dashboards;
}

/**
 * The SQL Metabase runs for a card given tag values, each already rendered as a SQL literal
 * (the caller formats them, e.g. with warehouse/sql/literal.ts): an optional clause `[[ … ]]`
 * is kept, without its brackets, when every tag inside has a value, and dropped otherwise; a
 * tag outside any clause must have a value.
 */
export function renderCardSql(sqlText: string, literals: Readonly<Record<string, string>>): string {
  const fill = (text: string) =>
    text.replace(TAG, (_whole, name: string) => {
      const value = literals[name];
      if (value === undefined) throw new Error(`no value for required tag {{${name}}}`);
      return value;
    });
  const kept = sqlText.replace(OPTIONAL, (_whole, body: string) =>
    tagsIn(body).every((t) => literals[t] !== undefined) ? fill(body) : '',
  );
  return fill(kept);
}
