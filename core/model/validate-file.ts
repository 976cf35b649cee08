import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { issue, type ValidationIssue, type ValidationResult } from './issues.js';
import type { ResourceType } from './schemas.js';
import { validate, validateResource } from './validate.js';

/** The verdict on one record of a file: where it is (1-based line, 0-based index) and its problems. */
export type RecordResult =
  | { readonly index: number; readonly line: number; readonly id?: string; readonly valid: true }
  | {
      readonly index: number;
      readonly line: number;
      readonly id?: string;
      readonly valid: false;
      readonly errors: readonly ValidationIssue[];
    };

function check(type: ResourceType | undefined, record: unknown): ValidationResult {
  return type === undefined ? validateResource(record) : validate(type, record);
}

function toResult(index: number, line: number, record: unknown, result: ValidationResult): RecordResult {
  const rawId = typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  const id = typeof rawId === 'string' ? { id: rawId } : {};
  return result.valid
    ? { index, line, ...id, valid: true }
    : { index, line, ...id, valid: false, errors: result.errors };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function parseFailure(index: number, line: number, reason: string): RecordResult {
  return { index, line, valid: false, errors: [issue('HUB_ERR_MODEL_JSON', '', { line, reason })] };
}

/**
 * The extent of each element of the top-level JSON array that opens at `open`, found by a
 * scan that tracks strings and nesting only, so a broken element does not hide the others.
 * `undefined` when the brackets or quotes do not balance (then nothing can be split).
 */
function splitArray(text: string, open: number): { start: number; end: number }[] | undefined {
  const parts: { start: number; end: number }[] = [];
  let depth = 0;
  let start = -1;
  const close = (at: number) => {
    if (start !== -1) parts.push({ start, end: at });
    start = -1;
  };
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    if (depth === 1 && start === -1 && c !== 44 && c !== 93) start = i;
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      if (i >= text.length) return undefined;
    } else if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) {
      if (depth === 1) {
        close(i);
        return text.slice(i + 1).trim() === '' ? parts : undefined;
      }
      depth--;
    } else if (c === 44 && depth === 1) close(i);
  }
  return undefined;
}

function* arrayElements(type: ResourceType | undefined, text: string, open: number): Generator<RecordResult> {
  const parts = splitArray(text, open);
  if (parts === undefined) {
    const line = 1 + countNewlines(text, 0, open);
    yield parseFailure(0, line, 'the array is not closed, or a string in it is not');
    return;
  }
  let line = 1;
  let at = 0;
  for (let index = 0; index < parts.length; index++) {
    const { start, end } = parts[index] as { start: number; end: number };
    line += countNewlines(text, at, start);
    at = start;
    let record: unknown;
    try {
      record = JSON.parse(text.slice(start, end));
    } catch (cause) {
      yield parseFailure(index, line, (cause as Error).message);
      continue;
    }
    yield toResult(index, line, record, check(type, record));
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function* ndjson(type: ResourceType | undefined, lines: Iterable<string>, firstLine = 1): Generator<RecordResult> {
  let index = 0;
  let lineNo = firstLine - 1;
  for (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (cause) {
      yield parseFailure(index++, lineNo, (cause as Error).message);
      continue;
    }
    yield toResult(index++, lineNo, record, check(type, record));
  }
}

/**
 * Validates every record of a text: a JSON array of resources, one JSON resource, or NDJSON (one
 * resource per line, blank lines ignored). Never stops at a bad record: a line that is not
 * JSON is reported (`HUB_ERR_MODEL_JSON`) and the next line is read. `type` undefined: each
 * record is validated as its own `resourceType` says. In a JSON array, a broken element is
 * reported and the others are still validated.
 */
export function validateText(type: ResourceType | undefined, input: string): RecordResult[] {
  const text = stripBom(input);
  const start = text.search(/\S/);
  if (start === -1) return [];
  const first = text.charCodeAt(start);
  if (first === 91) return [...arrayElements(type, text, start)];
  if (first === 123) {
    // One resource (possibly over several lines), or the first line of NDJSON.
    let whole: unknown;
    try {
      whole = JSON.parse(text);
    } catch {
      return [...ndjson(type, text.split('\n'))];
    }
    return [toResult(0, 1 + countNewlines(text, 0, start), whole, check(type, whole))];
  }
  return [...ndjson(type, text.split('\n'))];
}

/**
 * `validateText` for a file, streaming NDJSON line by line (files of any size); a JSON array,
 * or a single resource spread over several lines, is read whole.
 */
export async function* validateFile(type: ResourceType | undefined, path: string): AsyncGenerator<RecordResult> {
  const handle = await open(path, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = stripBom(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
  const firstLine =
    head
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  let streamable = false;
  if (firstLine.startsWith('{')) {
    try {
      JSON.parse(firstLine);
      streamable = true;
    } catch {
      streamable = false;
    }
  } else if (firstLine !== '' && !firstLine.startsWith('[')) streamable = true;
  if (!streamable) {
    yield* validateText(type, await readFile(path, 'utf8'));
    return;
  }
  const lines = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let index = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const text = lineNo === 1 ? stripBom(raw) : raw;
    for (const result of ndjson(type, [text], lineNo)) yield { ...result, index: index++ };
  }
}
