/**
 * The pull form of a document connector: the documents are files, one `path` or every file of a
 * `dir` (by extension, in name order), and the stream's state keeps one entry per file:
 *
 *   { "files": { "2025-09-08-agadir.jsonld": { "fingerprint": "48213:1757322000000", "done": true } } }
 *
 * A finished file whose size and modification time are unchanged is not read again; a changed
 * file is read again from its start (record ids come from the source, so what it repeats
 * replaces itself). Inside a long file a checkpoint follows every `checkpoint_every` source
 * records (`next`: the first record not yet durable), and a resumed read skips what is behind it.
 *
 * A file that cannot be read as a document (too large, not UTF-8, truncated, not the expected
 * kind of document) is not allowed to block the files after it: it becomes one `invalid`
 * message naming the file, with its content as payload when it can be kept, and is marked done.
 * The push form (`parseDocument`) throws those same errors instead, so the sender hears of them.
 */
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { HubError, isHubError } from '../../core/errors/index.js';
import type { Message } from './connector.js';
import type { StreamMessage } from './connector-base.js';
import type { DocumentSource } from './json-document.js';

/** The config fields of the pull form, shared by the document connectors' specs. */
export interface DocumentFilesConfig {
  readonly path?: string;
  readonly dir?: string;
  readonly file_extensions: readonly string[];
  readonly checkpoint_every: number;
  readonly max_document_bytes: number;
}

/** A document mapped to messages, one source record (event, bundle entry) at a time. */
export interface MappedDocument {
  /** How many source records the document holds. */
  readonly length: number;
  /** The `record`, `invalid` and `log` messages of source record `i`. */
  unit(i: number): readonly StreamMessage[];
  /** What needs the whole document (records built from several source records, a summary log). */
  finish(): readonly StreamMessage[];
}

export interface FileEntry {
  readonly fingerprint: string;
  /** The first source record not yet durable, while the file is being read. */
  readonly next?: number;
  readonly done?: boolean;
}

export interface FilesState {
  readonly files: Readonly<Record<string, FileEntry>>;
}

/** The state entry of a stream read by `readDocumentFiles`, whatever was committed. */
export function filesState(state: unknown): Record<string, FileEntry> {
  const files = (state as Partial<FilesState> | undefined)?.files;
  return typeof files === 'object' && files !== null ? { ...files } : {};
}

interface Listed {
  readonly name: string;
  readonly path: string;
  readonly fingerprint: string;
  readonly size: number;
}

function fsError(connector: string, err: unknown, what: string): HubError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  // A missing or forbidden path is a config problem; anything else (EIO, EMFILE) may pass.
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
    return new HubError('HUB_ERR_CONNECTOR_SOURCE_REFUSED', { name: connector, reason }, { cause: err });
  }
  return new HubError('HUB_ERR_CONNECTOR_SOURCE', { name: connector, reason }, { cause: err });
}

/** The files the config names, in the order they are read. Throws a `HubError`. */
export function listDocumentFiles(connector: string, config: DocumentFilesConfig): Listed[] {
  const at = (path: string, name: string): Listed => {
    const st = statSync(path);
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
    return { name, path, size: st.size, fingerprint: `${st.size}:${Math.trunc(st.mtimeMs)}` };
  };
  if (config.path !== undefined) {
    try {
      return [at(config.path, basename(config.path))];
    } catch (err) {
      throw fsError(connector, err, `cannot read ${config.path}`);
    }
  }
  if (config.dir === undefined) {
    throw new HubError('HUB_ERR_CONNECTOR_CONFIG', {
      name: connector,
      reason: 'the pull form needs path (one file) or dir (a folder of files)',
    });
  }
  const dir = config.dir;
  const exts = new Set(config.file_extensions.map((e) => e.toLowerCase()));
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && exts.has(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort()
      .map((name) => at(join(dir, name), name));
  } catch (err) {
    throw isHubError(err) ? err : fsError(connector, err, `cannot list ${dir}`);
  }
}

/**
 * Reads the files of the config from `state` on, mapping each with `parse`. Yields the
 * messages of each file, its checkpoints, and a final checkpoint. `parse` throws a `HubError`
 * of kind `data` for a document it cannot read at all.
 */
export function* readDocumentFiles(options: {
  readonly connector: string;
  readonly config: DocumentFilesConfig;
  readonly state: unknown;
  readonly parse: (source: DocumentSource) => MappedDocument;
  readonly signal?: AbortSignal;
}): Generator<StreamMessage> {
  const { connector, config } = options;
  const listed = listDocumentFiles(connector, config);
  const before = filesState(options.state);
  // Entries of files no longer listed are dropped, so the state does not grow for ever.
  const files: Record<string, FileEntry> = {};
  for (const f of listed) if (before[f.name]) files[f.name] = before[f.name] as FileEntry;
  const snapshot = (): FilesState => ({ files: { ...files } });

  for (const file of listed) {
    if (options.signal?.aborted) return;
    const prior = files[file.name];
    if (prior?.done && prior.fingerprint === file.fingerprint) continue;
    const from = prior?.fingerprint === file.fingerprint ? (prior.next ?? 0) : 0;

    let doc: MappedDocument | undefined;
    let refused: HubError | undefined;
    let bytes: Buffer | undefined;
    if (file.size > config.max_document_bytes) {
      refused = new HubError(
        'HUB_ERR_INGEST_TOO_LARGE',
        { name: connector, limit: config.max_document_bytes },
        { detail: `${file.name} is ${file.size} bytes` },
      );
    } else {
      try {
        bytes = readFileSync(file.path);
      } catch (err) {
        throw fsError(connector, err, `cannot read ${file.path}`);
      }
      try {
        doc = options.parse({ name: file.name, bytes });
      } catch (err) {
        if (!isHubError(err) || err.kind !== 'data') throw err;
        refused = err;
      }
    }
    if (doc === undefined) {
      yield* refuseFile(file, refused as HubError, bytes);
      files[file.name] = { fingerprint: file.fingerprint, done: true };
      yield { type: 'state', state: snapshot() };
      continue;
    }

    const every = Math.max(1, config.checkpoint_every);
    for (let i = from; i < doc.length; i++) {
      yield* doc.unit(i);
      const next = i + 1;
      if (next < doc.length && next % every === 0) {
        files[file.name] = { fingerprint: file.fingerprint, next };
        yield { type: 'state', state: snapshot() };
        if (options.signal?.aborted) return;
      }
    }
    yield* doc.finish();
    files[file.name] = { fingerprint: file.fingerprint, done: true };
    yield { type: 'state', state: snapshot() };
  }
  yield { type: 'state', state: snapshot() };
}

/** A file that is no document: one `invalid` message with what can be kept of it, and a log. */
function* refuseFile(file: Listed, err: HubError, bytes: Buffer | undefined): Generator<StreamMessage> {
  const payload: Record<string, unknown> = { document: file.name, bytes: file.size };
  // The content is kept as read: as text when it is UTF-8, else in base64.
  if (bytes !== undefined) {
    if (isUtf8(bytes)) payload.text = bytes.toString('utf8');
    else payload.base64 = bytes.toString('base64');
  }
  const message = err.detail === undefined ? err.message : `${err.message}: ${err.detail}`;
  yield { type: 'log', level: 'error', message };
  yield {
    type: 'invalid',
    sourceId: file.name,
    payload,
    errors: [{ pointer: '', code: err.code, message }],
  };
}

/** The push form: every message of one mapped document, tagged with its stream. */
export function* documentMessages(stream: string, doc: MappedDocument): Generator<Message> {
  for (let i = 0; i < doc.length; i++) for (const m of doc.unit(i)) yield tag(stream, m);
  for (const m of doc.finish()) yield tag(stream, m);
}

function tag(stream: string, m: StreamMessage): Message {
  switch (m.type) {
    case 'log':
      return m;
    case 'state':
      throw new HubError('HUB_ERR_CONNECTOR_PROTOCOL', { name: stream, reason: 'a pushed document has no state' });
    default:
      return { ...m, stream };
  }
}
