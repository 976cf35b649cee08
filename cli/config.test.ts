import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubError } from '../core/errors/index.js';
import { configTable, loadConfig, redactConfig } from './config.js';

const fail = (fn: () => unknown): HubError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
  throw new Error('expected a HubError');
};

describe('loadConfig', () => {
  it('applies defaults: port 8080, data dir ./.hub, embedded mode', () => {
    const c = loadConfig({ env: {} });
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe(resolve('./.hub'));
    expect(c.mode).toBe('embedded');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('layers defaults < file < HUB_* env < overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cfg-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'port: 9000\nlogLevel: debug\nsimulatorSeed: 7\n');
    const c = loadConfig({ env: { HUB_PORT: '9100', HUB_DATA_DIR: dir }, file, overrides: { simulatorSeed: 8 } });
    expect(c.port).toBe(9100);
    expect(c.logLevel).toBe('debug');
    expect(c.simulatorSeed).toBe(8);
    expect(c.dataDir).toBe(dir);
  });

  it('selects the distributed mode when Kafka and ClickHouse are both set', () => {
    const c = loadConfig({
      env: { HUB_KAFKA_BROKERS: '127.0.0.1:19092', HUB_CLICKHOUSE_URL: 'http://127.0.0.1:18123' },
    });
    expect(c.mode).toBe('distributed');
  });

  it('names the variable in one line when a value is bad', () => {
    const e = fail(() => loadConfig({ env: { HUB_PORT: 'eighty' } }));
    expect(e.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(e.message).toBe('Invalid configuration: HUB_PORT must be an integer >= 0 and <= 65535 (got "eighty")');
    expect(e.message).not.toContain('\n');
    expect(fail(() => loadConfig({ env: { HUB_KAFKA_BROKERS: 'no port here' } })).message).toContain(
      'HUB_KAFKA_BROKERS',
    );
    expect(fail(() => loadConfig({ env: { HUB_LOG_LEVEL: 'loud' } })).message).toContain(
      'HUB_LOG_LEVEL must be one of',
    );
  });

  it('reads the sink batch bounds, with defaults that keep the sink under its memory budget', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ sinkBatchSize: 10000, sinkBatchBytes: 4194304, sinkBatchMs: 50 });
    const c = loadConfig({
      env: { HUB_SINK_BATCH_SIZE: '2000', HUB_SINK_BATCH_BYTES: '1048576', HUB_SINK_BATCH_MS: '20' },
    });
    expect(c).toMatchObject({ sinkBatchSize: 2000, sinkBatchBytes: 1048576, sinkBatchMs: 20 });
    expect(fail(() => loadConfig({ env: { HUB_SINK_BATCH_BYTES: '1000' } })).message).toContain(
      'HUB_SINK_BATCH_BYTES must be an integer >= 65536',
    );
  });

  it('refuses half a distributed setup, naming the missing variable', () => {
    const e = fail(() => loadConfig({ env: { HUB_KAFKA_BROKERS: '127.0.0.1:19092' } }));
    expect(e.message).toMatch(/^Invalid configuration: HUB_CLICKHOUSE_URL must be set too/);
  });

  it('never echoes a secret value in an error', () => {
    const e = fail(() => loadConfig({ env: { HUB_LEDGER_PG_URL: 'mysql://user:s3cr3t@db/ledger' } }));
    expect(e.message).toContain('HUB_LEDGER_PG_URL');
    expect(e.message).not.toContain('s3cr3t');
  });

  it('refuses unknown keys in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cfg-'));
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(fail(() => loadConfig({ env: {}, file })).message).toContain(`${file}: prot is not a known setting`);
  });

  it('redacts secrets', () => {
    const c = loadConfig({
      env: {
        HUB_BOOTSTRAP_API_KEY: 'a-very-secret-bootstrap-key',
        HUB_LEDGER_PG_URL: 'postgres://hub:pw@127.0.0.1/hub',
      },
    });
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.toContain('a-very-secret-bootstrap-key');
    expect(shown).not.toContain('pw@');
    expect(shown).toContain('[redacted]');
  });

  it('documents every setting in the README configuration table', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const row of configTable()) expect(readme).toContain(`\`${row.env}\``);
  });
});

describe('loadConfig: schedules', () => {
  it('reads HUB_SCHEDULES as JSON and validates each entry', () => {
    const c = loadConfig({
      env: { HUB_SCHEDULES: '[{"connector":"files","every_ms":5000,"config":{"dir":"/srv/partners"}}]' },
    });
    expect(c.schedules).toEqual([{ connector: 'files', every_ms: 5000, config: { dir: '/srv/partners' } }]);
    expect(loadConfig({ env: {} }).schedules).toEqual([]);
  });

  it('names HUB_SCHEDULES when it is not a valid list, without echoing it', () => {
    for (const bad of ['not json', '[{"connector":"files"}]', '[{"connector":"files","every_ms":5}]']) {
      const e = fail(() => loadConfig({ env: { HUB_SCHEDULES: bad } }));
      expect(e.message).toMatch(/^Invalid configuration: HUB_SCHEDULES must be a JSON array/);
      expect(e.message).not.toContain(bad);
    }
  });
});
