/**
 * A connector's config contract is its spec (a JSON Schema, Singer's habit): it drives
 * validation, defaults and redaction. Nothing else decides what a valid config is.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { HubError } from '../../core/errors/index.js';
import type { JSONSchema } from './connector.js';

/** The keyword that marks a config field as secret: never logged, never echoed. */
export const SECRET_KEYWORD = 'x-secret';

const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' });

const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(spec: JSONSchema): ValidateFunction {
  let v = compiled.get(spec);
  if (!v) {
    v = ajv.compile(spec as object);
    compiled.set(spec, v);
  }
  return v;
}

/** Throws when `spec` is not a JSON Schema this SDK can compile. */
export function compileSpec(spec: JSONSchema): void {
  validatorFor(spec);
}

export type ConfigResult<Config> =
  | { readonly valid: true; readonly value: Config }
  | { readonly valid: false; readonly errors: readonly string[] };

/**
 * Validates `config` against `spec` and returns a frozen copy with the spec's defaults applied.
 * Error texts name the field and the rule, never the value (it may be a secret).
 */
export function validateConfig<Config>(spec: JSONSchema, config: unknown): ConfigResult<Config> {
  const validate = validatorFor(spec);
  const copy = structuredClone(config ?? {});
  if (validate(copy)) return { valid: true, value: deepFreeze(copy) as Config };
  const errors = (validate.errors ?? []).map((e) => {
    const where = e.instancePath === '' ? 'config' : e.instancePath.slice(1).replaceAll('/', '.');
    return `${where} ${e.message ?? 'is invalid'}`;
  });
  return { valid: false, errors };
}

/** Like `validateConfig`, but throws `HUB_ERR_CONNECTOR_CONFIG` (kind `config`). */
export function resolveConfig<Config>(name: string, spec: JSONSchema, config: unknown): Config {
  const r = validateConfig<Config>(spec, config);
  if (!r.valid) throw new HubError('HUB_ERR_CONNECTOR_CONFIG', { name, reason: r.errors.join('; ') });
  return r.value;
}

/** Dotted paths of the fields the spec marks secret (`x-secret: true`), through nested objects. */
export function secretPaths(spec: JSONSchema, prefix = ''): string[] {
  const out: string[] = [];
  const props = spec.properties as Record<string, JSONSchema> | undefined;
  if (!props) return out;
  for (const [key, sub] of Object.entries(props)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (sub[SECRET_KEYWORD] === true) out.push(path);
    else if (sub.type === 'object') out.push(...secretPaths(sub, path));
    // `*` stands for every element: `partners.*.secret`.
    else if (sub.type === 'array' && sub.items && typeof sub.items === 'object')
      out.push(...secretPaths(sub.items as JSONSchema, `${path}.*`));
  }
  return out;
}

/** Every (holder, key) a dotted path with `*` wildcards reaches in `obj`. */
function slots(obj: unknown, path: string): { holder: Record<string, unknown>; key: string }[] {
  const parts = path.split('.');
  const key = parts.pop() as string;
  let holders: unknown[] = [obj];
  for (const part of parts) {
    holders = holders.flatMap((h) => {
      if (h === null || typeof h !== 'object') return [];
      if (part === '*') return Array.isArray(h) ? h : [];
      return [(h as Record<string, unknown>)[part]];
    });
  }
  return holders
    .filter((h): h is Record<string, unknown> => h !== null && typeof h === 'object' && key in h)
    .map((holder) => ({ holder, key }));
}

export const REDACTED = '***';

/** A copy of `config` with every secret field replaced by `***`: safe to log or return. */
export function redactConfig(spec: JSONSchema, config: unknown): Record<string, unknown> {
  const copy = structuredClone((config ?? {}) as Record<string, unknown>);
  for (const path of secretPaths(spec)) {
    for (const { holder, key } of slots(copy, path)) holder[key] = REDACTED;
  }
  return copy;
}

/**
 * A function that removes every secret value of `config` from a text (log lines, error
 * messages). A secret URL also has its password removed on its own, since drivers often
 * echo the URL back in a reshaped form.
 */
export function secretRedactor(spec: JSONSchema, config: unknown): (text: string) => string {
  const needles = new Set<string>();
  for (const { holder, key } of secretPaths(spec).flatMap((path) => slots(config, path))) {
    const v = holder[key];
    if (typeof v !== 'string' || v === '') continue;
    needles.add(v);
    try {
      const u = new URL(v);
      if (u.password) {
        needles.add(u.password);
        needles.add(decodeURIComponent(u.password));
      }
    } catch {
      // not a URL: the whole value is the secret
    }
  }
  const list = [...needles].filter((n) => n.length > 0).sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const n of list) out = out.split(n).join(REDACTED);
    return out;
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
