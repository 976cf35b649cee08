/**
 * Test-side access to the real servers started by scripts/services (see test/global-setup.ts).
 *
 *   describeWithService('clickhouse', 'ClickHouse warehouse', (url) => { ... });
 *
 * Without the service the suite is skipped (one hint per missing service is printed by the global
 * setup), except on CI (`CI=true`), where a missing service fails the suite instead: CI must
 * exercise every adapter.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, inject, it } from 'vitest';
import { SERVICE_ENV, type ServiceName, type ServiceUrls } from './global-setup.js';

export { SERVICE_ENV, SERVICE_NAMES, type ServiceName } from './global-setup.js';

function provided(): ServiceUrls {
  try {
    return inject('hubServices') ?? {};
  } catch {
    return {}; // not inside a Vitest worker
  }
}

/** The service's URL (for Kafka: the broker list), or undefined when it is not running. */
export function serviceUrl(name: ServiceName): string | undefined {
  const fromEnv = process.env[SERVICE_ENV[name]];
  if (fromEnv) return fromEnv;
  return provided()[name] || undefined;
}

export const isCI = (): boolean => process.env.CI === 'true';

function missingMessage(name: ServiceName): string {
  return `${name} is not running (${SERVICE_ENV[name]} is not set): run scripts/services up ${name}`;
}

/** The service's URL, or throws naming the service. For use inside a test or hook. */
export function requireService(name: ServiceName): string {
  const url = serviceUrl(name);
  if (!url) throw new Error(missingMessage(name));
  return url;
}

/**
 * A `describe` that runs when the service is up. When it is not: skipped locally, and on CI a
 * suite with one failing test that names the missing service.
 */
export function describeWithService(name: ServiceName, title: string, fn: (url: string) => void): void {
  const url = serviceUrl(name);
  if (url) {
    describe(title, () => fn(url));
  } else if (isCI()) {
    describe(title, () => {
      it(`needs ${name}`, () => {
        throw new Error(missingMessage(name));
      });
    });
  } else {
    describe.skip(title, () => {
      it(`needs ${name} (not running)`, () => {});
    });
  }
}

/** Several services at once; `fn` gets the URLs in the order asked for. */
export function describeWithServices<const N extends readonly ServiceName[]>(
  names: N,
  title: string,
  fn: (urls: { [K in keyof N]: string }) => void,
): void {
  const urls = names.map((n) => serviceUrl(n));
  const missing = names.filter((_, i) => !urls[i]);
  if (missing.length === 0) {
    describe(title, () => fn(urls as { [K in keyof N]: string }));
  } else if (isCI()) {
    describe(title, () => {
      it(`needs ${names.join(', ')}`, () => {
        throw new Error(missing.map(missingMessage).join('; '));
      });
    });
  } else {
    describe.skip(title, () => {
      it(`needs ${missing.join(', ')} (not running)`, () => {});
    });
  }
}

/**
 * A fresh name for a per-run database, table or topic, in the style of clickhouse-js's tests:
 * `${prefix}_${timestamp}_${random}`; lower case letters, digits and `_` only, so it is valid
 * unquoted in ClickHouse, PostgreSQL and MariaDB and as a Kafka topic, and under 63 characters.
 */
export function randomName(prefix = 'test'): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 32);
  return `${clean}_${Date.now()}_${randomBytes(4).toString('hex')}`;
}

/** host and port of a service URL, or of the first broker of a Kafka broker list. */
export function hostPort(urlOrBrokers: string): { host: string; port: number } {
  const first = urlOrBrokers.split(',')[0]?.trim() ?? '';
  const url = new URL(first.includes('://') ? first : `tcp://${first}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port) };
}

/** Resolves when a TCP connection to host:port opens; rejects on error or after timeoutMs. */
export function tcpConnect(host: string, port: number, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${host}:${port}`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
