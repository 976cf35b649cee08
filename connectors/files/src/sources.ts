/**
 * Where the bytes of a partner file come from: a file on disk (pull form) or a pushed body
 * (push form), behind one small interface so that both are read by the same code.
 */
import { createReadStream, type Dirent, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import unzipper from 'unzipper';
import { HubError } from '../../../core/errors/index.js';
import type { ZipEntry } from './xlsx-reader.js';

export interface ByteSource {
  /** The file's name as the partner gave it (relative to `dir`), for ids, lineage and messages. */
  readonly name: string;
  readonly size: number;
  /** The bytes from `offset` to the end. */
  open(offset: number): Readable;
  /** Up to `length` bytes from `offset`. */
  read(offset: number, length: number): Promise<Buffer>;
  /** The entries of the zip's central directory (an XLSX file); rejects when it has none. */
  directory(): Promise<readonly ZipEntry[]>;
}

export function fileSource(path: string, name: string, size: number): ByteSource {
  return {
    name,
    size,
    open: (offset) => createReadStream(path, { start: offset, highWaterMark: 1 << 20 }),
    async read(offset, length) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    directory: async () => (await unzipper.Open.file(path)).files,
  };
}

export function bufferSource(body: Buffer, name: string): ByteSource {
  return {
    name,
    size: body.length,
    // Slices of one buffer, a MiB each, so that the parser sees a stream as from a file.
    open: (offset) =>
      Readable.from(
        (function* () {
          for (let i = offset; i < body.length; i += 1 << 20)
            yield body.subarray(i, Math.min(body.length, i + (1 << 20)));
        })(),
        { objectMode: false },
      ),
    read: async (offset, length) => body.subarray(offset, offset + length),
    directory: async () => (await unzipper.Open.buffer(body)).files,
  };
}

/** A file of the pull form, with the fingerprint that tells whether it changed. */
export interface ListedFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  /** `<size>:<mtime ms>`: a finished file with the same fingerprint is not read again. */
  readonly fingerprint: string;
}

/**
 * A glob as a regular expression over `/`-separated relative names, case-insensitive:
 * `*` and `?` within a name, `**\/` any folders, `{a,b}` alternatives.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',' && re.lastIndexOf('(?:') > re.lastIndexOf(')')) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
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

export { fsError };

/** Spreadsheet lock files (`~$stock.xlsx`) and hidden files are never partner data. */
const IGNORED = /^(~\$|\.)/;

/**
 * The files of the config, in name order: `path`, or the files of `dir` whose relative name
 * matches `glob` (sub-folders are walked when the glob has a `/`). Throws a `HubError`.
 */
export function listFiles(connector: string, config: { path?: string; dir?: string; glob: string }): ListedFile[] {
  const entry = (path: string, name: string): ListedFile => {
    const st = statSync(path);
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
    return { name, path, size: st.size, fingerprint: `${st.size}:${Math.trunc(st.mtimeMs)}` };
  };
  if (config.path !== undefined) {
    try {
      return [entry(resolve(config.path), basename(config.path))];
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
  const root = resolve(config.dir);
  const pattern = globToRegExp(config.glob);
  const deep = config.glob.includes('/');
  const out: ListedFile[] = [];
  const walk = (rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (err) {
      throw fsError(connector, err, `cannot list ${join(root, rel)}`);
    }
    for (const d of entries) {
      if (IGNORED.test(d.name)) continue;
      const name = rel === '' ? d.name : posix.join(rel, d.name);
      if (d.isDirectory() && deep) walk(name);
      else if (d.isFile() && pattern.test(name)) {
        try {
          out.push(entry(join(root, name), name));
        } catch {
          // removed between the listing and the stat: it is not there to read
        }
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
