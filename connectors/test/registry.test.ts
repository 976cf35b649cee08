import { describe, expect, it } from 'vitest';
import { isHubError } from '../../core/errors/index.js';
import { builtinConnectors, getConnector } from '../index.js';
import { secretPaths } from '../sdk/config.js';

/** Every built-in connector, sorted: a new one must be added here on purpose. */
const BUILTINS = [
  'api-requests',
  'cap',
  'edxl-rm',
  'epcis',
  'fhir',
  'files',
  'mariadb',
  'postgres-ledger',
  'simulator',
  'webhook',
];

describe('connector registry', () => {
  it('lists the built-in connectors by name', () => {
    expect(Object.keys(builtinConnectors).sort()).toEqual(BUILTINS);
    for (const [name, c] of Object.entries(builtinConnectors)) expect(c.name).toBe(name);
    expect(getConnector('simulator')).toBe(builtinConnectors.simulator);
  });

  it('refuses an unknown name with a config error that lists the known ones', () => {
    const err = (() => {
      try {
        getConnector('toString');
      } catch (e) {
        return e;
      }
    })();
    expect(isHubError(err) && err.code === 'HUB_ERR_CONNECTOR_UNKNOWN' && err.kind === 'config').toBe(true);
    expect((err as Error).message).toBe(`Unknown connector toString; known connectors: ${BUILTINS.join(', ')}`);
  });

  it('gives every connector a snake_case config spec, secrets marked', () => {
    for (const c of Object.values(builtinConnectors)) {
      const spec = c.spec();
      expect(spec.type).toBe('object');
      for (const key of Object.keys(spec.properties as object)) expect(key).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    const secrets = Object.fromEntries(
      Object.entries(builtinConnectors)
        .map(([name, c]) => [name, secretPaths(c.spec())])
        .filter(([, paths]) => (paths?.length ?? 0) > 0),
    );
    expect(secrets).toEqual({ 'postgres-ledger': ['url'], mariadb: ['url'], webhook: ['partners.*.secret'] });
  });
});
