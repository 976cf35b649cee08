import type { ErrorObject } from 'ajv';
import { explainGs1, type Gs1Scheme } from '../identifiers/gs1.js';
import { formatCheck, isDateTimeWithoutOffset } from './formats.js';
import { escapePointerToken, issue, type ValidationIssue, type ValidationResult, valueAt } from './issues.js';
import { PATTERN_FORMAT_PREFIX } from './patterns.js';
import { RULES } from './rules.js';
import { isResourceType, type ResourceType } from './schemas.js';
import type { Resource, ResourceMap } from './types.gen.js';
import { createValidators, FORMAT_NAMES, type StandaloneValidator } from './validators.gen.js';

/**
 * Validation of canonical records against their schema and the model's rules.
 *
 * The validators are ajv standalone code generated ahead of time (`validators.gen.js`), bound
 * to the format checks once, when this module loads: nothing is compiled per record or at
 * start. A valid record costs one fast validator call and the resource's rules; only an invalid
 * record pays for the thorough pass that lists all its problems.
 */
const generated = createValidators(Object.fromEntries(FORMAT_NAMES.map((name) => [name, formatCheck(name)])));
// Maps, not the generated objects: `validate('constructor', x)` must not find Object's own members.
const FAST = new Map<string, StandaloneValidator>(Object.entries(generated.fast));
const FULL = new Map<string, StandaloneValidator>(Object.entries(generated.full));

const GS1: Readonly<Record<string, Gs1Scheme>> = { 'gs1-gtin': 'GTIN', 'gs1-gln': 'GLN', 'gs1-sscc': 'SSCC' };

/** Readable forms of the patterns our schemas use, for messages. */
function patternHint(pattern: string): string {
  const target = /^\^(\w+)\/\[/.exec(pattern);
  if (target) return `must reference a ${target[1]} as ${target[1]}/<id>`;
  if (pattern.startsWith('^(') && pattern.includes(')/[')) return 'must reference a resource as <ResourceType>/<id>';
  if (pattern === '^[A-Za-z0-9\\-.]{1,64}$') return 'must be an id of 1 to 64 letters, digits, "-" or "."';
  if (pattern === '^sha256:[0-9a-f]{64}$') return 'must be sha256: followed by 64 lower-case hex digits';
  if (pattern.startsWith('^[A-Za-z][A-Za-z0-9+.\\-]*:')) return 'must be an absolute URI or URN';
  if (pattern === '^[a-z0-9]+(-[a-z0-9]+)*$') return 'must be a lower-case slug such as souss-massa';
  return `must match ${pattern}`;
}

function fromAjv(error: ErrorObject, data: unknown): ValidationIssue {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return issue('HUB_ERR_MODEL_REQUIRED', `${at}/${escapePointerToken(String(params.missingProperty))}`);
    case 'additionalProperties':
    case 'x-closed':
      return issue('HUB_ERR_MODEL_UNKNOWN_FIELD', `${at}/${escapePointerToken(String(params.additionalProperty))}`);
    case 'format': {
      const format = String(params.format);
      if (format.startsWith(PATTERN_FORMAT_PREFIX)) {
        return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: patternHint(format.slice(PATTERN_FORMAT_PREFIX.length)) });
      }
      const value = String(valueAt(data, at));
      if (format === 'date-time') {
        return issue('HUB_ERR_MODEL_TIMESTAMP_OFFSET', at, {
          value: isDateTimeWithoutOffset(value) ? `${value} (no offset)` : value,
        });
      }
      if (format === 'date') return issue('HUB_ERR_MODEL_DATE', at, { value });
      if (format === 'unit-code') return issue('HUB_ERR_MODEL_UNIT_UNKNOWN', at, { unit: value });
      const scheme = GS1[format];
      if (scheme !== undefined) {
        const why = explainGs1(scheme, value);
        if (why?.problem === 'check-digit') {
          return issue('HUB_ERR_MODEL_CHECK_DIGIT', at, { scheme, value, expected: why.expected });
        }
        const shape = scheme === 'GTIN' ? '8, 12, 13 or 14 digits' : scheme === 'GLN' ? '13 digits' : '18 digits';
        return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: `must be a ${scheme} of ${shape}` });
      }
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: `must be a ${format}` });
    }
    case 'type':
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: `must be ${withArticle(String(params.type))}` });
    case 'enum':
      return issue('HUB_ERR_MODEL_SCHEMA', at, {
        reason: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`,
      });
    case 'const':
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: `must be ${JSON.stringify(params.allowedValue)}` });
    case 'pattern':
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: patternHint(String(params.pattern)) });
    case 'minProperties':
    case 'maxProperties':
      if (/\/extension\/\d+$/.test(at)) {
        return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: 'must have a url and exactly one value… field' });
      }
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: error.message ?? error.keyword });
    default:
      return issue('HUB_ERR_MODEL_SCHEMA', at, { reason: error.message ?? `fails ${error.keyword}` });
  }
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** All problems of a record the fast validator refused: every schema error, then the rules. */
function collect(type: ResourceType, data: unknown): ValidationIssue[] {
  const validator = FULL.get(type) as StandaloneValidator;
  const found: ValidationIssue[] = [];
  const seen = new Set<string>();
  const push = (i: ValidationIssue) => {
    const key = `${i.pointer}\u0000${i.code}\u0000${i.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      found.push(i);
    }
  };
  if (!validator(data)) {
    const errors = validator.errors ?? [];
    // An enum or const error on a value of the wrong type repeats what its `type` error says.
    const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const error of errors) {
      if ((error.keyword === 'enum' || error.keyword === 'const') && wrongType.has(error.instancePath)) continue;
      push(fromAjv(error, data));
    }
  }
  const rule = RULES[type];
  if (rule !== undefined) for (const i of rule(data) ?? []) push(i);
  return found;
}

function unknownType(type: unknown): ValidationResult<never> {
  return {
    valid: false,
    errors: [issue('HUB_ERR_MODEL_UNKNOWN_RESOURCE', '/resourceType', { resourceType: String(type) })],
  };
}

/**
 * Validates `data` as a `type` resource: its schema, then the model's rules (quantity signs, lot
 * dates, status history…). Returns the typed record, or every problem found with its JSON
 * pointer and catalogue code. Never throws for bad data.
 */
export function validate<R extends ResourceType>(type: R, data: unknown): ValidationResult<ResourceMap[R]> {
  const validator = FAST.get(type);
  if (validator === undefined) return unknownType(type);
  if (validator(data)) {
    const rule = RULES[type];
    const problems = rule === undefined ? undefined : rule(data);
    if (problems === undefined) return { valid: true, value: data as ResourceMap[R] };
    return { valid: false, errors: problems };
  }
  return { valid: false, errors: collect(type, data) };
}

/**
 * True when `data` is a valid `type` resource. The allocation-free form of `validate` for hot
 * loops that only need the verdict (call `validate` on the failures to learn why).
 */
export function isValid(type: ResourceType, data: unknown): boolean {
  const validator = FAST.get(type);
  if (validator === undefined || !validator(data)) return false;
  const rule = RULES[type];
  return rule === undefined || rule(data) === undefined;
}

/**
 * Validates a record of any type, by its `resourceType`. A missing or unknown `resourceType`
 * is invalid at `/resourceType` (`HUB_ERR_MODEL_REQUIRED`, `HUB_ERR_MODEL_UNKNOWN_RESOURCE`).
 */
export function validateResource(data: unknown): ValidationResult<Resource> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      valid: false,
      errors: [issue('HUB_ERR_MODEL_SCHEMA', '', { reason: 'must be an object with a resourceType' })],
    };
  }
  const type = (data as { resourceType?: unknown }).resourceType;
  if (type === undefined) return { valid: false, errors: [issue('HUB_ERR_MODEL_REQUIRED', '/resourceType')] };
  if (!isResourceType(type)) return unknownType(type);
  return validate(type, data);
}
