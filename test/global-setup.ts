/**
 * Vitest global setup: finds the real servers the integration suites can use.
 *
 * If a HUB_TEST_* variable is already set (CI: .ci/run ran `scripts/services up` and exported
 * them), it is used as is. Otherwise this starts the services that are already installed on the
 * machine (`scripts/services up --if-installed`, which never installs anything) and reads their
 * URLs from `scripts/services env`.
 *
 * The URLs reach the tests twice: through process.env (set here before the workers start, so the
 * forked workers inherit it) and through provide/inject (`hubServices`). test/services.ts reads
 * both, environment first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export type ServiceName = 'clickhouse' | 'kafka' | 'postgres' | 'mariadb';

export const SERVICE_NAMES: readonly ServiceName[] = ['clickhouse', 'kafka', 'postgres', 'mariadb'];

/** The variable that carries each service's URL (broker list for Kafka). */
export const SERVICE_ENV: Readonly<Record<ServiceName, string>> = {
  clickhouse: 'HUB_TEST_CLICKHOUSE_URL',
  kafka: 'HUB_TEST_KAFKA_BROKERS',
  postgres: 'HUB_TEST_PG_URL',
  mariadb: 'HUB_TEST_MARIADB_URL',
};

export type ServiceUrls = Partial<Record<ServiceName, string>>;

declare module 'vitest' {
  export interface ProvidedContext {
    hubServices: ServiceUrls;
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = join(ROOT, 'scripts', 'services');
const UP_TIMEOUT_MS = 150_000;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      SCRIPT,
      args,
      { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Parses `export NAME=value` lines. */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

function currentUrls(): ServiceUrls {
  const urls: ServiceUrls = {};
  for (const name of SERVICE_NAMES) {
    const value = process.env[SERVICE_ENV[name]];
    if (value) urls[name] = value;
  }
  return urls;
}

export default async function setup(project: TestProject): Promise<void> {
  const missing = SERVICE_NAMES.filter((name) => !process.env[SERVICE_ENV[name]]);
  const skipStart = process.env.HUB_TEST_NO_SERVICES === '1';

  if (missing.length > 0 && !skipStart && existsSync(SCRIPT)) {
    const up = await run(['up', '--if-installed', ...missing], UP_TIMEOUT_MS);
    // Report only what changed: a start, a failure. "already running" lines are noise.
    const lines = up.stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('already running'));
    for (const line of lines) process.stderr.write(`[services] ${line}\n`);
    if (up.code !== 0) {
      process.stderr.write(
        `[services] scripts/services up --if-installed exited with ${up.code}; using what is running\n`,
      );
    }
    const env = await run(['env'], 15_000);
    const found = parseExports(env.stdout);
    for (const name of missing) {
      const key = SERVICE_ENV[name];
      const value = found[key];
      if (value && !process.env[key]) process.env[key] = value;
    }
  }

  const urls = currentUrls();
  project.provide('hubServices', urls);

  if (process.env.CI !== 'true') {
    for (const name of SERVICE_NAMES) {
      if (!urls[name]) {
        process.stderr.write(`[skip] ${name} not running: run scripts/services up ${name}\n`);
      }
    }
  }
}
