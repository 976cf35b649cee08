import { describe, expect, it } from 'vitest';
import { isHubError } from '../../../core/errors/index.js';
import { redactConfig, resolveConfig, secretPaths, secretRedactor, validateConfig } from '../config.js';
import type { Message } from '../connector.js';
import { backoffDelay } from '../retry.js';
import { location, SCRIPT_SPEC, ScriptedConnector } from './fixtures.js';

describe('ConnectorBase', () => {
  const c = new ScriptedConnector({ sites: [{ record: location(1) }, { checkpoint: true }], other: [] });

  it('checks: succeeded, or failed with a message that never shows a secret', async () => {
    expect(await c.check({ token: 'ok' })).toEqual({ status: 'succeeded' });
    const failed = await c.check({ token: 'wrong' });
    expect(failed.status).toBe('failed');
    expect(failed.message).toBe('token *** refused by upstream');
    const invalid = await c.check({});
    expect(invalid).toEqual({
      status: 'failed',
      message: "Invalid config: config must have required property 'token'",
    });
  });

  it('discovers its streams as plain, serialisable data', async () => {
    const catalog = await c.discover({ token: 'ok' });
    expect(catalog).toEqual({
      streams: [
        { name: 'sites', resourceTypes: ['Location'], primaryKey: ['id'] },
        { name: 'other', resourceTypes: ['Location'], primaryKey: ['id'] },
      ],
    });
    expect(JSON.parse(JSON.stringify(catalog))).toEqual(catalog);
  });

  it('reads every stream in order, tagging messages with their stream', async () => {
    const out: Message[] = [];
    for await (const m of c.read({ token: 'ok' }, {})) out.push(m);
    expect(out.map((m) => `${m.type}:${'stream' in m ? m.stream : ''}`)).toEqual(['record:sites', 'state:sites']);
  });

  it('refuses to read with an invalid config (kind config)', async () => {
    const it = c.read({ token: 42 } as never, {})[Symbol.asyncIterator]();
    const err = await it.next().catch((e: unknown) => e);
    expect(isHubError(err) && err.code === 'HUB_ERR_CONNECTOR_CONFIG' && err.kind === 'config').toBe(true);
  });

  it('turns a foreign error of a stream into HUB_ERR_CONNECTOR_CRASHED without the secret', async () => {
    const boom = new ScriptedConnector({ s: [{ fail: new Error('driver said: password s3cr3t rejected') }] });
    const err = await (async () => {
      for await (const _ of boom.read({ token: 's3cr3t' }, {})) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(isHubError(err) && err.code).toBe('HUB_ERR_CONNECTOR_CRASHED');
    expect(String((err as Error).message)).toBe('Connector scripted failed: driver said: password *** rejected');
    expect((err as { detail?: string }).detail).not.toContain('s3cr3t');
  });
});

describe('config', () => {
  it('applies defaults, freezes the result, and names the field without its value', () => {
    const r = validateConfig<{ token: string; label: string }>(SCRIPT_SPEC, { token: 'abc' });
    expect(r).toEqual({ valid: true, value: { token: 'abc', label: 'scripted' } });
    expect(r.valid && Object.isFrozen(r.value)).toBe(true);
    const bad = validateConfig(SCRIPT_SPEC, { token: 'abc', extra: 'x-value' });
    expect(bad.valid).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('x-value');
    expect(() => resolveConfig('scripted', SCRIPT_SPEC, {})).toThrow(/Invalid config for connector scripted/);
  });

  it('finds secrets, also nested, and redacts them from configs and texts', () => {
    const spec = {
      type: 'object',
      properties: {
        url: { type: 'string', 'x-secret': true },
        auth: { type: 'object', properties: { key: { type: 'string', 'x-secret': true }, user: { type: 'string' } } },
      },
    };
    expect(secretPaths(spec)).toEqual(['url', 'auth.key']);
    const config = { url: 'postgres://hub:p%40ss@db:5432/hub', auth: { key: 'k-123', user: 'ana' } };
    expect(redactConfig(spec, config)).toEqual({ url: '***', auth: { key: '***', user: 'ana' } });
    const redact = secretRedactor(spec, config);
    expect(redact('auth k-123 for user ana, password p@ss and p%40ss')).toBe(
      'auth *** for user ana, password *** and ***',
    );
  });

  it('finds secrets inside arrays of objects (per-partner webhook secrets)', () => {
    const spec = {
      type: 'object',
      properties: {
        partners: {
          type: 'array',
          items: {
            type: 'object',
            properties: { id: { type: 'string' }, secret: { type: 'string', 'x-secret': true } },
          },
        },
      },
    };
    expect(secretPaths(spec)).toEqual(['partners.*.secret']);
    const config = {
      partners: [
        { id: 'crm', secret: 'whsec_one' },
        { id: 'unicef', secret: 'whsec_two' },
      ],
    };
    expect(redactConfig(spec, config)).toEqual({
      partners: [
        { id: 'crm', secret: '***' },
        { id: 'unicef', secret: '***' },
      ],
    });
    expect(config.partners[0]?.secret).toBe('whsec_one');
    expect(secretRedactor(spec, config)('bad signature for crm with whsec_one / whsec_two')).toBe(
      'bad signature for crm with *** / ***',
    );
  });
});

describe('backoff', () => {
  it('is full jitter under an exponential, capped ceiling', () => {
    const policy = { retries: 10, minDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(799);
    expect(backoffDelay(8, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(8, policy, () => 0)).toBe(0);
  });
});
