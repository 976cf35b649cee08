import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the distributed mode keeps connector state (cursors), keyed by connector and stream.
 * The Kafka record sink writes to it only after Kafka acknowledged every message of a batch.
 */
export interface StateStore {
  /** The last state put for this connector stream, or `undefined` if none. */
  get(connector: string, stream: string): Promise<unknown>;
  /** Replaces the state of this connector stream durably. */
  put(connector: string, stream: string, state: unknown): Promise<void>;
}

/**
 * A `StateStore` of JSON files under the data dir: `<dataDir>/stream-state/<connector>/<stream>.json`,
 * one per connector stream so that processes running different connectors never write the
 * same file. A put writes a temporary file, fsyncs it and renames it over the old one, so a
 * crash leaves either the old or the new state, never a torn file.
 */
export class FileStateStore implements StateStore {
  /** Where the files are: `<dataDir>/stream-state`, created on the first put. */
  readonly dir: string;
  // Puts to one key are chained so that a later put can never be overtaken by an earlier one.
  readonly #queues = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'stream-state');
  }

  async get(connector: string, stream: string): Promise<unknown> {
    await this.#queues.get(this.#file(connector, stream))?.catch(() => undefined);
    let text: string;
    try {
      text = await readFile(this.#file(connector, stream), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return (JSON.parse(text) as { state: unknown }).state;
  }

  put(connector: string, stream: string, state: unknown): Promise<void> {
    const file = this.#file(connector, stream);
    const previous = this.#queues.get(file) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#write(file, connector, stream, state));
    this.#queues.set(file, next);
    void next
      .finally(() => {
        if (this.#queues.get(file) === next) this.#queues.delete(file);
      })
      .catch(() => undefined);
    return next;
  }

  #file(connector: string, stream: string): string {
    return join(this.dir, encodeURIComponent(connector), `${encodeURIComponent(stream)}.json`);
  }

  async #write(file: string, connector: string, stream: string, state: unknown): Promise<void> {
    const folder = join(this.dir, encodeURIComponent(connector));
    await mkdir(folder, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const body = `${JSON.stringify({ connector, stream, updatedAt: new Date().toISOString(), state })}\n`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // The rename itself is durable only once the directory entry is.
    const dirHandle = await open(folder, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
