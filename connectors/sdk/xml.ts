import { TextDecoder } from 'node:util';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { HubError } from '../../core/errors/index.js';

/** Bounds on one XML document. Defaults: `XML_DEFAULT_LIMITS`. */
export interface XmlLimits {
  /** Largest document, in bytes as received. */
  readonly maxBytes: number;
  /** Deepest element nesting (the root is depth 1). */
  readonly maxDepth: number;
  /** Most elements in the document. */
  readonly maxElements: number;
}

export const XML_DEFAULT_LIMITS: XmlLimits = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 100_000,
});

/** One document to read: its name (a file name, or a content hash) is used in every error. */
export interface XmlSource {
  readonly name: string;
  readonly bytes: Buffer;
  /** The `Content-Type` it came with, when pushed; its `charset` is honoured. */
  readonly contentType?: string;
}

export interface XmlAttribute {
  /** The name as written, prefix included. */
  readonly name: string;
  readonly local: string;
  /** Namespace URI; `''` for an unprefixed attribute. */
  readonly ns: string;
  readonly value: string;
}

export interface XmlElement {
  /** The name as written, prefix included. */
  readonly name: string;
  readonly local: string;
  /** Namespace URI; `''` for none. */
  readonly ns: string;
  /** Attributes, namespace declarations excluded. */
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlElement[];
  /** The element's own character data (text and CDATA), untrimmed; children's text excluded. */
  readonly text: string;
  /** `/alert/info[2]/area`: local names, with a 1-based index where a name repeats among siblings. */
  readonly path: string;
  /** Where the element starts (its `<`), 1-based. */
  readonly line: number;
  readonly column: number;
  /** Offsets of the element in `XmlDocument.text`: `text.slice(start, end)` is its XML as sent. */
  readonly start: number;
  readonly end: number;
}

export interface XmlDocument {
  readonly name: string;
  /** The decoded text. */
  readonly text: string;
  /** The encoding the bytes were decoded from (`utf-8`, `utf-16le`, `windows-1252`…). */
  readonly encoding: string;
  readonly root: XmlElement;
}

/** Which namespaces an element may be in: one URI, several, or `undefined` for any. */
export type NsMatch = string | readonly string[] | undefined;

/** The limits set by a document connector's config (`max_document_bytes`, `max_depth`, `max_elements`). */
export function xmlLimitsOf(config: {
  readonly max_document_bytes: number;
  readonly max_depth: number;
  readonly max_elements: number;
}): XmlLimits {
  return { maxBytes: config.max_document_bytes, maxDepth: config.max_depth, maxElements: config.max_elements };
}

interface MutableElement {
  name: string;
  local: string;
  ns: string;
  attributes: XmlAttribute[];
  children: MutableElement[];
  text: string;
  path: string;
  line: number;
  column: number;
  start: number;
  end: number;
}

const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';

/**
 * Decodes and parses `source` into an element tree. Throws a `HubError` of kind `data`:
 * `HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_INGEST_DOCUMENT` (encoding), `HUB_ERR_XML_UNSAFE`,
 * `HUB_ERR_XML_LIMIT`, `HUB_ERR_XML_MALFORMED`. `connector` names who is reading, for the
 * catalogue's messages.
 */
export function parseXml(connector: string, source: XmlSource, limits: Partial<XmlLimits> = {}): XmlDocument {
  const max: XmlLimits = { ...XML_DEFAULT_LIMITS, ...limits };
  if (source.bytes.length > max.maxBytes) {
    throw new HubError(
      'HUB_ERR_INGEST_TOO_LARGE',
      { name: connector, limit: max.maxBytes },
      { detail: `${source.name} is ${source.bytes.length} bytes` },
    );
  }
  const { text, encoding } = decodeXml(connector, source);
  const root = parseText(source.name, text, max);
  return { name: source.name, text, encoding, root };
}

function parseText(document: string, text: string, max: XmlLimits): XmlElement {
  const lines = lineStarts(text);
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  let count = 0;
  let pendingStart = 0;

  const malformed = (reason: string): HubError =>
    new HubError('HUB_ERR_XML_MALFORMED', {
      document,
      line: parser.line,
      // saxes counts the characters read on the line: 0 at the very start of one.
      column: Math.max(1, parser.column),
      reason,
    });

  parser.on('error', (err) => {
    // saxes prefixes "<line>:<column>: "; the catalogue message places them itself.
    const reason = err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    throw malformed(
      reason === 'undefined entity' ? `${reason} (only &lt; &gt; &amp; &quot; &apos; are known)` : reason,
    );
  });
  parser.on('doctype', (doctype) => {
    const found = doctypeHazards(doctype);
    if (found.length > 0) throw new HubError('HUB_ERR_XML_UNSAFE', { document, reason: found.join('; ') });
  });
  parser.on('opentagstart', (tag) => {
    // The parser has read "<" + the name + one delimiter (space, "/" or ">").
    pendingStart = parser.position - tag.name.length - 2;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    count++;
    if (count > max.maxElements) {
      throw new HubError('HUB_ERR_XML_LIMIT', { document, limit: 'element count', value: count, max: max.maxElements });
    }
    if (stack.length + 1 > max.maxDepth) {
      throw new HubError('HUB_ERR_XML_LIMIT', {
        document,
        limit: 'nesting depth',
        value: stack.length + 1,
        max: max.maxDepth,
      });
    }
    const attributes: XmlAttribute[] = [];
    for (const a of Object.values(tag.attributes)) {
      if (a.uri === XMLNS_URI || a.name === 'xmlns') continue;
      attributes.push({ name: a.name, local: a.local, ns: a.uri, value: a.value });
    }
    const [line, column] = lineColumn(lines, pendingStart);
    const el: MutableElement = {
      name: tag.name,
      local: tag.local,
      ns: tag.uri,
      attributes,
      children: [],
      text: '',
      path: '',
      line,
      column,
      start: pendingStart,
      end: pendingStart,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    const el = stack.pop();
    if (el) el.end = parser.position;
  });

  parser.write(text).close();
  if (!root) throw malformed('the document has no root element');
  assignPaths(root, `/${root.local}`);
  return root;
}

/** What makes a DOCTYPE unsafe, in words; empty for a bare `<!DOCTYPE name>`. */
function doctypeHazards(doctype: string): string[] {
  const found: string[] = [];
  const open = doctype.indexOf('[');
  const head = open === -1 ? doctype : doctype.slice(0, open);
  const subset = open === -1 ? '' : doctype.slice(open + 1, doctype.lastIndexOf(']') + 1 || undefined);
  const external = /\b(SYSTEM|PUBLIC)\s+("[^"]*"|'[^']*')(?:\s+("[^"]*"|'[^']*'))?/.exec(head);
  if (external) {
    const id = external[1] === 'PUBLIC' && external[3] ? external[3] : external[2];
    found.push(`an external DTD (${external[1]} ${id})`);
  }
  const entities: string[] = [];
  const externals: string[] = [];
  for (const m of subset.matchAll(
    /<!ENTITY\s+(%\s+)?([^\s>]+)\s*((?:SYSTEM|PUBLIC)\s+("[^"]*"|'[^']*')(?:\s+("[^"]*"|'[^']*'))?)?/g,
  )) {
    const name = `${m[1] ? '%' : ''}${m[2]}`;
    entities.push(name);
    if (m[3]) externals.push(`${name} → ${m[3].startsWith('PUBLIC') && m[5] ? `PUBLIC … ${m[5]}` : m[3]}`);
  }
  if (externals.length > 0) found.push(`external entities (${externals.join(', ')})`);
  const params = entities.filter((e) => e.startsWith('%'));
  if (params.length > 0) found.push(`parameter entities (${list(params)})`);
  if (entities.length > 0)
    found.push(`${entities.length} entity declaration(s) (${list(entities)}): entity expansion is refused`);
  if (entities.length === 0 && /<!/.test(subset)) found.push('an internal DTD subset');
  return found;
}

function list(names: readonly string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
}

function assignPaths(el: MutableElement, path: string): void {
  el.path = path;
  const seen = new Map<string, number>();
  for (const c of el.children) seen.set(c.local, (seen.get(c.local) ?? 0) + 1);
  const index = new Map<string, number>();
  for (const c of el.children) {
    const i = (index.get(c.local) ?? 0) + 1;
    index.set(c.local, i);
    assignPaths(c, (seen.get(c.local) ?? 0) > 1 ? `${path}/${c.local}[${i}]` : `${path}/${c.local}`);
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineColumn(starts: readonly number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo + 1, offset - (starts[lo] as number) + 1];
}

// ---------------------------------------------------------------------------------------------
// encodings

/**
 * The text of an XML document and the encoding it was read in. Order of precedence (RFC 7303):
 * a byte-order mark, the media type's `charset`, the XML declaration's `encoding`, UTF-8.
 * Throws `HUB_ERR_INGEST_DOCUMENT` for an unknown encoding or bytes that are not in it.
 */
export function decodeXml(connector: string, source: XmlSource): { text: string; encoding: string } {
  const b = source.bytes;
  let label: string;
  let why: string;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) [label, why] = ['utf-8', 'its byte-order mark'];
  else if (b[0] === 0xff && b[1] === 0xfe) [label, why] = ['utf-16le', 'its byte-order mark'];
  else if (b[0] === 0xfe && b[1] === 0xff) [label, why] = ['utf-16be', 'its byte-order mark'];
  else if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00)
    [label, why] = ['utf-16le', 'its first bytes'];
  else if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f)
    [label, why] = ['utf-16be', 'its first bytes'];
  else {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(source.contentType ?? '')?.[1];
    // The declaration is ASCII in every encoding this branch can meet.
    const declared = /^<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(
      b.subarray(0, 256).toString('latin1'),
    )?.[1];
    if (charset) [label, why] = [charset, `the charset of its media type (${charset})`];
    else if (declared) [label, why] = [declared, `its XML declaration (encoding="${declared}")`];
    else [label, why] = ['utf-8', 'the XML default (no encoding declared)'];
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label.toLowerCase(), { fatal: true });
  } catch {
    throw unreadable(connector, source.name, `its encoding ${label}, from ${why}, is not one the hub can read`);
  }
  try {
    return { text: decoder.decode(b), encoding: decoder.encoding };
  } catch {
    const detail =
      decoder.encoding === 'utf-8'
        ? (() => {
            const at = firstInvalidUtf8(b);
            const line = countLines(b, at);
            return `byte ${at} (0x${(b[at] ?? 0).toString(16).padStart(2, '0')}, line ${line}) starts no UTF-8 character; was it saved as Latin-1 or Windows-1252 without saying so in its XML declaration?`;
          })()
        : `some bytes are not valid ${decoder.encoding}`;
    throw unreadable(connector, source.name, `it is not ${decoder.encoding} as ${why} says: ${detail}`);
  }
}

function unreadable(connector: string, document: string, reason: string): HubError {
  return new HubError('HUB_ERR_INGEST_DOCUMENT', { name: connector, reason: `${document}: ${reason}` });
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length) {
    const c = b[i] as number;
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

function countLines(b: Buffer, upTo: number): number {
  let n = 1;
  for (let i = 0; i < upTo; i++) if (b[i] === 0x0a) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// reading the tree

function nsMatches(ns: string, match: NsMatch): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? ns === match : match.includes(ns);
}

/** The child elements of `el` called `local` in a namespace of `ns`. */
export function children(el: XmlElement, local: string, ns?: NsMatch): XmlElement[] {
  return el.children.filter((c) => c.local === local && nsMatches(c.ns, ns));
}

/** The first child element of `el` called `local` in a namespace of `ns`. */
export function child(el: XmlElement | undefined, local: string, ns?: NsMatch): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && nsMatches(c.ns, ns));
}

/** Follows `locals` from `el`, one child each step (the first that matches). */
export function descend(el: XmlElement | undefined, locals: readonly string[], ns?: NsMatch): XmlElement | undefined {
  let cur = el;
  for (const l of locals) cur = child(cur, l, ns);
  return cur;
}

/** The trimmed text of `el`, `undefined` when absent or blank. */
export function textOf(el: XmlElement | undefined): string | undefined {
  const t = el?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** The trimmed text of the first child called `local`, `undefined` when absent or blank. */
export function childText(el: XmlElement | undefined, local: string, ns?: NsMatch): string | undefined {
  return textOf(child(el, local, ns));
}

/** The value of the attribute called `local` (any namespace unless `ns` is given). */
export function attribute(el: XmlElement | undefined, local: string, ns?: NsMatch): string | undefined {
  return el?.attributes.find((a) => a.local === local && nsMatches(a.ns, ns))?.value;
}

/** The element's XML exactly as sent (namespace declarations of its ancestors not included). */
export function elementXml(doc: XmlDocument, el: XmlElement): string {
  return doc.text.slice(el.start, el.end);
}

/** What a dead letter keeps of an element: where it was, and its XML as sent. */
export interface XmlElementPayload {
  readonly document: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly xml: string;
}

export function elementPayload(doc: XmlDocument, el: XmlElement): XmlElementPayload {
  return { document: doc.name, path: el.path, line: el.line, column: el.column, xml: elementXml(doc, el) };
}

/** `{uri}local`, how errors name an element whatever its prefix. */
export function qualifiedName(el: XmlElement): string {
  return el.ns === '' ? el.local : `{${el.ns}}${el.local}`;
}
