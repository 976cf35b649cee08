import { _, Ajv2020, type KeywordCxt, type Name, type Options, stringify } from 'ajv/dist/2020.js';
import { FORMATS, formatCheck } from './formats.js';
import { fastPattern, PATTERN_FORMAT_PREFIX } from './patterns.js';
import { commonSchema, RESOURCE_TYPES, schemaOf } from './schemas.js';

export interface ModelAjvOptions {
  /** `false`: stop at the first problem (the valid path); `true`: list them all (invalid records only). */
  readonly allErrors: boolean;
  /** Keep the generated source, for `standaloneCode` (scripts/gen-validators.ts). */
  readonly source?: boolean;
  /**
   * Compile the optimised copies of the schemas (see `optimiseSchema`) rather than the schemas
   * as published. What `validators.gen.js` holds; the verdicts are the same.
   */
  readonly optimised?: boolean;
  /** `code` options, e.g. `{ formats: _\`formats\` }` for standalone code. */
  readonly code?: Options['code'];
}

function quietDeprecation(message: unknown): void {
  if (typeof message === 'string' && message.startsWith('DEPRECATED: option unicode')) return;
  console.warn(message);
}

/**
 * An ajv 2020-12 instance holding every canonical schema, with the model's own formats. This is
 * what `scripts/gen-validators.ts` turns into standalone code; at run time the hub loads that
 * generated code instead and compiles nothing.
 */
export function createModelAjv(options: ModelAjvOptions): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: options.allErrors,
    strict: true,
    // Our id, sku and reference patterns are ASCII: the `u` flag only costs time.
    unicodeRegExp: false,
    // Lengths in UTF-16 units: our limits are generous, and this avoids a per-string code-point count.
    unicode: false,
    formats: FORMATS,
    // Only the thorough set's errors are read (`fromAjv`); the fast set only says valid or not.
    messages: options.allErrors,
    // `unicode: false` is deprecated but still honoured; keep its notice out of the logs.
    logger: { log: () => {}, warn: quietDeprecation, error: console.error },
    code: { source: options.source ?? false, esm: true, lines: false, optimize: true, ...options.code },
  });
  // Annotation keywords of our schemas: labels shown in docs, no validation.
  ajv.addKeyword({ keyword: 'x-label', schemaType: 'object' });
  ajv.addKeyword(CLOSED_KEYWORD);
  const common = commonSchema();
  ajv.addSchema(common);
  const formats = new Set<string>();
  for (const type of RESOURCE_TYPES) {
    const schema = schemaOf(type);
    ajv.addSchema(options.optimised ? optimiseSchema(schema, common, formats, !options.allErrors) : schema);
  }
  for (const name of formats) if (!(name in FORMATS)) ajv.addFormat(name, formatCheck(name));
  return ajv;
}

/**
 * `"x-closed": true`: what `additionalProperties: false` means, checked against a `Set` of the
 * declared properties. ajv checks more than 8 declared properties with
 * `hasOwnProperty.call(schema.properties, key)` per key, which costs a third of a
 * StockMovement's validation; a `Set` lookup is several times cheaper. Errors read as ajv's own
 * `additionalProperties` ones.
 */
const CLOSED_KEYWORD = {
  keyword: 'x-closed',
  type: 'object',
  schemaType: 'boolean',
  error: {
    message: 'must NOT have additional properties',
    params: ({ params }: { params: { additionalProperty?: Name } }) =>
      _`{additionalProperty: ${params.additionalProperty ?? ''}}`,
  },
  code(cxt: KeywordCxt) {
    const { gen, data, parentSchema, it } = cxt;
    const keys = Object.keys((parentSchema as { properties?: object }).properties ?? {});
    const declared = gen.scopeValue('obj', { ref: new Set(keys), code: _`new Set(${stringify(keys)})` });
    gen.forIn('key', data, (key) => {
      gen.if(_`!${declared}.has(${key})`, () => {
        cxt.setParams({ additionalProperty: key });
        cxt.error();
        if (!it.allErrors) gen.break();
      });
    });
  },
} as const;

/** Every format the optimised schemas use, sorted: what the generated validators need bound. */
export function optimisedFormatNames(): string[] {
  const common = commonSchema();
  const formats = new Set<string>();
  for (const type of RESOURCE_TYPES) optimiseSchema(schemaOf(type), common, formats, true);
  return [...formats].sort();
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A copy of a resource schema that validates the same records, faster:
 * - every `$ref` into the common schema is replaced by the definition itself (its siblings, such
 *   as `description`, kept). ajv calls a referenced schema that has references of its own as a
 *   separate function, with a fresh context object and path string per call; inlined, a
 *   resource validates in one function without allocating. The common definitions have no
 *   cycles, so this terminates;
 * - a `pattern` that has a hand-written equivalent (`patterns.ts`) becomes the format
 *   `pattern:<expression>`;
 * - with `closed`, `additionalProperties: false` on an object of more than 8 properties becomes
 *   `"x-closed": true` (see `CLOSED_KEYWORD`).
 * The names of the formats used are added to `formats`.
 */
export function optimiseSchema(schema: object, common: object, formats: Set<string>, closed = false): object {
  const prefix = `${(common as { $id: string }).$id}#/$defs/`;
  const defs = (common as { $defs: Record<string, Json> }).$defs;
  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith(prefix)) {
      const target = defs[ref.slice(prefix.length)];
      if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
      const { $ref: _, ...siblings } = node;
      return walk({ ...(target as { [key: string]: Json }), ...siblings });
    }
    const out: { [key: string]: Json } = {};
    const manyProperties = Object.keys((node.properties as object | undefined) ?? {}).length > 8;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' && typeof value === 'string' && node.format === undefined && fastPattern(value)) {
        out.format = `${PATTERN_FORMAT_PREFIX}${value}`;
      } else if (key === 'additionalProperties' && value === false && closed && manyProperties) {
        out['x-closed'] = true;
      } else out[key] = walk(value);
    }
    if (typeof out.format === 'string') formats.add(out.format);
    return out;
  };
  return walk(schema as Json) as object;
}
