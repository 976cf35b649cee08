/**
 * Validation against GS1's published EPCIS 2.0 JSON Schema (draft-07, vendored in
 * `resources/gs1/`), compiled once per process on first use, never per document.
 *
 * The document's envelope and each event are validated apart, so that a bad event refuses that
 * event only and its errors carry its pointer. A valid event costs one fast validator call; only
 * a failing one is validated again with every error listed.
 *
 * Accept what the standard means, flag what it forbids: a JSON-LD blank node (`"_:document1"`,
 * as GS1's own examples use for ids) fails the schema's strict `uri` format, yet names a node
 * exactly as JSON-LD intends; a CBV value written as its URN (`urn:epcglobal:cbv:bizstep:receiving`)
 * fails the schema's pattern, yet names the CBV term exactly. Such values are reported as
 * warnings, not errors.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { escapePointerToken } from '../../../core/index.js';

const SCHEMA_URL = new URL('../resources/gs1/EPCIS-JSON-Schema.json', import.meta.url);

interface Compiled {
  readonly docFast: ValidateFunction;
  readonly docFull: ValidateFunction;
  readonly eventFast: ValidateFunction;
  readonly eventFull: ValidateFunction;
}

let compiled: Compiled | undefined;

function build(allErrors: boolean): { doc: ValidateFunction; event: ValidateFunction } {
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as { $id: string };
  // GS1's schema uses keywords loosely (propertyNames over $ref, if without then): not strict.
  const ajv = new Ajv({ strict: false, allErrors, validateSchema: false });
  addFormats.default(ajv, ['uri', 'date-time']);
  ajv.addSchema(schema);
  const doc = ajv.getSchema(schema.$id);
  const event = ajv.getSchema(`${schema.$id}#/definitions/EPCIS-Document-Event`);
  if (!doc || !event) throw new Error('the GS1 EPCIS schema lacks its document or event definition');
  return { doc, event };
}

function validators(): Compiled {
  if (!compiled) {
    const fast = build(false);
    const full = build(true);
    compiled = { docFast: fast.doc, docFull: full.doc, eventFast: fast.event, eventFull: full.event };
  }
  return compiled;
}

/** A problem found by the GS1 schema, with its pointer from the root of the document. */
export interface SchemaProblem {
  readonly pointer: string;
  readonly reason: string;
}

export interface SchemaOutcome {
  readonly errors: readonly SchemaProblem[];
  /** Values the schema refuses but the standard means (blank-node ids), for a warning. */
  readonly warnings: readonly SchemaProblem[];
}

const OK: SchemaOutcome = Object.freeze({ errors: [], warnings: [] });

const BLANK_NODE = /^_:[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * CBV values in their URN or legacy Web URI form (`urn:epcglobal:cbv:bizstep:receiving`): the
 * JSON schema forbids them (JSON writes `receiving`), yet they name the CBV term exactly, as
 * EPCIS 1.x XML documents do. Accepted with a warning; `cbv.ts` reads both forms.
 */
const CBV_URI = /^(urn:epcglobal:cbv:|https?:\/\/ns\.gs1\.org\/cbv\/)/;

/** Wrapper keywords whose own message adds nothing to the errors under them. */
const WRAPPERS = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'not']);
const VALUE_KEYWORDS = new Set(['enum', 'format', 'pattern', 'const']);

function valueAtPath(data: unknown, path: string): unknown {
  let node = data;
  for (const raw of path.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function explain(errors: readonly ErrorObject[], data: unknown, base: string): SchemaOutcome {
  const byPointer = new Map<string, Set<string>>();
  const warnings: SchemaProblem[] = [];
  const shownValue = new Map<string, string>();
  // A value check (enum, format, pattern) reported on an object comes from inside
  // `propertyNames`: the `propertyNames` error, which names the property, says it better.
  const specific = errors.filter(
    (e) =>
      !WRAPPERS.has(e.keyword) &&
      !(VALUE_KEYWORDS.has(e.keyword) && typeof valueAtPath(data, e.instancePath) === 'object'),
  );
  for (const e of specific.length > 0 ? specific : errors) {
    const params = e.params as Record<string, unknown>;
    const name = typeof params.propertyName === 'string' ? params.propertyName : undefined;
    const pointer = `${base}${e.instancePath}${name === undefined ? '' : `/${escapePointerToken(name)}`}`;
    const value = name ?? valueAtPath(data, e.instancePath);
    if (warnings.some((w) => w.pointer === pointer)) continue;
    if (e.keyword === 'format' && params.format === 'uri' && typeof value === 'string' && BLANK_NODE.test(value)) {
      warnings.push({ pointer, reason: `is the JSON-LD blank node ${value}, not the URI the schema asks for` });
      continue;
    }
    if (typeof value === 'string' && CBV_URI.test(value) && name === undefined) {
      warnings.push({ pointer, reason: `is the CBV URI ${value}; EPCIS 2.0 JSON writes the bare CBV term` });
      continue;
    }
    let reason = e.message ?? 'is invalid';
    if (e.keyword === 'required') reason = `must have the property ${String(params.missingProperty)}`;
    else if (e.keyword === 'enum') {
      const allowed = params.allowedValues as unknown[];
      reason =
        allowed.length > 6
          ? `must be one of the ${allowed.length} terms of the standard (${allowed.slice(0, 3).join(', ')}…)`
          : `must be one of ${allowed.join(', ')}`;
    } else if (name !== undefined)
      reason = `is not a property of EPCIS 2.0 nor an extension named by a URI (${reason})`;
    if (typeof value === 'string' && e.keyword !== 'required' && name === undefined) shownValue.set(pointer, value);
    let set = byPointer.get(pointer);
    if (!set) {
      set = new Set();
      byPointer.set(pointer, set);
    }
    set.add(reason);
  }
  // A blank node inside an anyOf also fails the other branches there (`must be object`…):
  // once the value is known to be a blank node, those are no error either.
  for (const w of warnings) byPointer.delete(w.pointer);
  const errorsOut = [...byPointer].map(([pointer, reasons]) => {
    const value = shownValue.get(pointer);
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value.slice(0, 80))})`;
    return { pointer, reason: `${[...reasons].join('; or ')}${shown}` };
  });
  return { errors: errorsOut, warnings };
}

/** Validates one event; `pointer` is where it sits in its document (`/epcisBody/eventList/3`). */
export function validateEvent(event: unknown, pointer: string): SchemaOutcome {
  const v = validators();
  if (v.eventFast(event)) return OK;
  v.eventFull(event);
  return explain(v.eventFull.errors ?? [], event, pointer);
}

/**
 * Validates a document's envelope: `envelope` is the document with its event list emptied (the
 * events are validated one by one with `validateEvent`).
 */
export function validateEnvelope(envelope: unknown): SchemaOutcome {
  const v = validators();
  if (v.docFast(envelope)) return OK;
  v.docFull(envelope);
  return explain(v.docFull.errors ?? [], envelope, '');
}
