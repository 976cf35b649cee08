import { describe, expect, it } from 'vitest';
import { describeWithService, hostPort, randomName, tcpConnect } from './services.js';

describe('test service helpers', () => {
  it('randomName gives distinct names usable as database and topic names', () => {
    const a = randomName('Hub-Test.db');
    const b = randomName('Hub-Test.db');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^hub_test_db_\d+_[0-9a-f]{8}$/);
    expect(a.length).toBeLessThan(63);
  });

  it('hostPort reads URLs and broker lists', () => {
    expect(hostPort('postgres://hub:hub@127.0.0.1:15432/hub')).toEqual({ host: '127.0.0.1', port: 15432 });
    expect(hostPort('127.0.0.1:19092,127.0.0.1:19093')).toEqual({ host: '127.0.0.1', port: 19092 });
    expect(hostPort('http://[::1]:18123')).toEqual({ host: '::1', port: 18123 });
  });
});

describeWithService('clickhouse', 'real ClickHouse', (url) => {
  it('answers SELECT version() over HTTP', async () => {
    const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT version()')}`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toMatch(/^\d+\.\d+/);
  });
});

for (const name of ['kafka', 'postgres', 'mariadb'] as const) {
  describeWithService(name, `real ${name}`, (url) => {
    it('accepts a TCP connection', async () => {
      const { host, port } = hostPort(url);
      await tcpConnect(host, port);
    });
  });
}
