import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '..');

/** A free loopback port, picked by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export interface HubProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr and stdout so far. */
  output(): string;
  get(path: string, key?: string): Promise<Response>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `hub <args>` (default `start`) as a real child process with the given environment. */
export async function startHub(env: Record<string, string>, args: string[] = ['start']): Promise<HubProcess> {
  const port = env.HUB_PORT ? Number(env.HUB_PORT) : await freePort();
  let out = '';
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/hub.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, HUB_LOG_LEVEL: 'info', ...env, HUB_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    output: () => out,
    get: (path, key) => fetch(url + path, key ? { headers: { authorization: `Bearer ${key}` } } : {}),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `fn` until it returns a value other than `undefined`, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms: number,
  hub?: HubProcess,
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hub && hub.child.exitCode !== null)
      throw new Error(`hub exited (${hub.child.exitCode}) while waiting for ${what}:\n${hub.output().slice(-3000)}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(
    `timed out after ${ms} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}\n${hub?.output().slice(-3000) ?? ''}`,
  );
}
