/**
 * PRIVATE ClickHouse + Kafka servers for the fault tests (test/faults/), which stop, kill and
 * restart them. They run as a named `scripts/services` instance (`HUB_SERVICES_INSTANCE`): own
 * data dir under .services/<instance>/, every port shifted by `offset`, so the shared servers
 * on the default ports, which other suites use at the same time, are never touched.
 *
 *   describeWithFaultServices('ClickHouse outage', { instance: 'faults', offset: 10000 }, (svc) => {
 *     it('…', async () => { await svc().stop('clickhouse'); … await svc().start('clickhouse'); });
 *   });
 *
 * Brought up in `beforeAll` (through the script), torn down (and its data removed) in `afterAll`.
 * Without the binaries: skipped locally with a one-line hint, a failing suite on CI.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { isCI } from './services.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = resolve(ROOT, 'scripts/services');

export type FaultServiceName = 'clickhouse' | 'kafka';
const NAMES: readonly FaultServiceName[] = ['clickhouse', 'kafka'];

export interface FaultInstance {
  /** `scripts/services` instance name: lower-case letters, digits, `-`, `_`. */
  readonly instance: string;
  /** Added to every default port (ClickHouse 18123, Kafka 19092, …); distinct per instance. */
  readonly offset: number;
}

export interface FaultServices {
  readonly clickhouseUrl: string;
  readonly brokers: string;
  /** Stops the server (SIGTERM, waits for it to exit). */
  stop(name: FaultServiceName): Promise<void>;
  /** Starts it again and waits until it is healthy. */
  start(name: FaultServiceName): Promise<void>;
  /** SIGKILLs the server and waits until the process is gone. */
  kill(name: FaultServiceName): Promise<void>;
}

function scriptEnv(fault: FaultInstance): NodeJS.ProcessEnv {
  return { ...process.env, HUB_SERVICES_INSTANCE: fault.instance, HUB_SERVICES_PORT_OFFSET: String(fault.offset) };
}

async function services(fault: FaultInstance, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(SCRIPT, args, { env: scriptEnv(fault), timeout: 240_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/services ${args.join(' ')} (instance ${fault.instance}) failed: ${e.stderr ?? e.message}`);
  }
}

/** Why the servers cannot run here, or undefined when the binaries are installed. */
function missingBinaries(fault: FaultInstance): string | undefined {
  let status: string;
  try {
    status = execFileSync(SCRIPT, ['status'], { env: scriptEnv(fault), encoding: 'utf8', timeout: 30_000 });
  } catch (error) {
    return `scripts/services status failed: ${(error as Error).message}`;
  }
  const missing = NAMES.filter((name) =>
    status.split('\n').some((line) => line.startsWith(`${name} `) && line.includes('not installed')),
  );
  return missing.length > 0
    ? `${missing.join(' and ')} not installed: run scripts/services up ${missing.join(' ')} once`
    : undefined;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function describeWithFaultServices(
  title: string,
  fault: FaultInstance,
  fn: (services: () => FaultServices) => void,
): void {
  const missing = missingBinaries(fault);
  if (missing !== undefined) {
    if (isCI()) {
      describe(title, () => {
        it('needs private ClickHouse and Kafka servers', () => {
          throw new Error(missing);
        });
      });
    } else {
      console.warn(`[faults] skipping "${title}": ${missing}`);
      describe.skip(title, () => {
        it(`needs private ClickHouse and Kafka (${missing})`, () => {});
      });
    }
    return;
  }
  const dir = resolve(ROOT, '.services', fault.instance);
  const handle: FaultServices = {
    clickhouseUrl: `http://127.0.0.1:${18123 + fault.offset}`,
    brokers: `127.0.0.1:${19092 + fault.offset}`,
    stop: async (name) => {
      await services(fault, 'stop', name);
    },
    start: async (name) => {
      await services(fault, 'start', name);
    },
    kill: async (name) => {
      const pid = Number(readFileSync(resolve(dir, name, 'pid'), 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid for the private ${name}`);
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (alive(pid)) throw new Error(`the private ${name} (pid ${pid}) survived SIGKILL`);
    },
  };
  let up = false;
  describe(title, () => {
    beforeAll(async () => {
      await services(fault, 'up', ...NAMES);
      up = true;
    }, 240_000);
    afterAll(async () => {
      await services(fault, 'down', ...NAMES);
      rmSync(dir, { recursive: true, force: true });
    }, 120_000);
    fn(() => {
      if (!up) throw new Error(`the private servers (instance ${fault.instance}) are not up`);
      return handle;
    });
  });
}
