/**
 * Reading one JSON document (an EPCIS document, a FHIR Bundle) the same way whether it was
 * pushed to the API or found in a folder: size first, then strict UTF-8, then JSON. Each
 * problem is a `HubError` of kind `data` (`HUB_ERR_INGEST_TOO_LARGE`, `HUB_ERR_INGEST_DOCUMENT`
 * with the document's name first in its reason), so a partner can fix and resend it. Shared by the document connectors.
 */
import { createHash } from 'node:crypto';
import { HubError } from '../../core/errors/index.js';
import type { IncomingDocument } from '../../core/ports/index.js';

/** How a document is named in errors and lineage: a file name, or the document's own id. */
export interface DocumentSource {
  readonly name: string;
  readonly bytes: Buffer;
  /** The `Content-Type` it came with, when pushed. */
  readonly contentType?: string;
}

/** Refuses a document larger than `limit` bytes (`HUB_ERR_INGEST_TOO_LARGE`). */
export function checkSize(connector: string, document: string, bytes: number, limit: number): void {
  if (bytes > limit) {
    throw new HubError(
      'HUB_ERR_INGEST_TOO_LARGE',
      { name: connector, limit },
      { detail: `${document} is ${bytes} bytes` },
    );
  }
}

/** `HUB_ERR_INGEST_DOCUMENT` for `document`, the reason prefixed with its name. */
export function unreadable(connector: string, document: string, reason: string): HubError {
  return new HubError('HUB_ERR_INGEST_DOCUMENT', { name: connector, reason: `${document}: ${reason}` });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The text of a UTF-8 document, without its byte-order mark. Refuses (`HUB_ERR_INGEST_DOCUMENT`)
 * a declared charset other than UTF-8, a UTF-16/32 byte-order mark, and any byte sequence that
 * is not UTF-8 (a Latin-1 export, say), naming the offset of the first bad byte.
 */
export function decodeUtf8(connector: string, source: DocumentSource): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(source.contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unreadable(
      connector,
      source.name,
      `it was sent as charset=${charset}; JSON documents are exchanged in UTF-8`,
    );
  }
  const b = source.bytes;
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) {
    throw unreadable(connector, source.name, 'it is UTF-16 (byte-order mark), not UTF-8');
  }
  try {
    // TextDecoder drops a leading UTF-8 BOM itself.
    return UTF8.decode(b);
  } catch {
    const at = firstInvalidUtf8(b);
    const hex = (b[at] ?? 0).toString(16).padStart(2, '0');
    throw unreadable(
      connector,
      source.name,
      `it is not UTF-8: byte ${at} (0x${hex}) starts no UTF-8 character; was it saved as Latin-1 or Windows-1252?`,
    );
  }
}

/** Offset of the first byte that breaks UTF-8 (off the hot path: only for the message). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

/**
 * Parses the text as JSON; a syntax error (a truncated upload, a trailing comma) becomes
 * `HUB_ERR_INGEST_DOCUMENT` with the line and column where parsing stopped.
 */
export function parseJson(connector: string, document: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(raw)?.[1];
    const offset = pos === undefined ? (/end of JSON input/.test(raw) ? text.length : undefined) : Number(pos);
    const where = offset === undefined ? '' : ` (${lineColumn(text, offset)})`;
    const truncated = /end of JSON input/.test(raw) ? '; the document looks truncated' : '';
    const what = raw.replace(/, "[\s\S]*" is not valid JSON$/, '');
    throw unreadable(connector, document, `not well-formed JSON: ${what}${where}${truncated}`);
  }
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `line ${line}, column ${offset - last}`;
}

/** Size, encoding and syntax checks in that order, then the parsed JSON value. */
export function readJsonDocument(connector: string, source: DocumentSource, limit: number): unknown {
  checkSize(connector, source.name, source.bytes.length, limit);
  return parseJson(connector, source.name, decodeUtf8(connector, source));
}

/** True for a non-null object that is not an array. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** How a pushed document is named in lineage and errors: its file name, else its content hash. */
export function pushedDocumentName(document: IncomingDocument): string {
  return document.filename ?? `sha256:${createHash('sha256').update(document.body).digest('hex')}`;
}

/** A pushed document as a `DocumentSource`: its file name, or the hash of its body. */
export function pushedDocumentSource(document: IncomingDocument): DocumentSource {
  return {
    name: pushedDocumentName(document),
    bytes: document.body,
    ...(document.contentType === undefined ? {} : { contentType: document.contentType }),
  };
}
