import { join } from 'node:path';
import { ApiKeyStore } from '../../api/auth/api-key-store.js';
import { SCOPES, type Scope } from '../../api/auth/principal.js';
import { HubError } from '../../core/errors/index.js';
import { loadConfig } from '../config.js';

const list = (s: string | undefined): string[] | null =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : null;

export function openKeyStore(file: string | undefined): ApiKeyStore {
  const config = loadConfig({ file });
  return new ApiKeyStore(join(config.dataDir, 'hub-state.sqlite'), { bootstrapKey: config.bootstrapApiKey });
}

export async function keysCreate(opts: {
  file: string | undefined;
  name: string;
  scopes: string;
  regions?: string;
  organisations?: string;
}): Promise<void> {
  const scopes = list(opts.scopes) ?? [];
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', {
      variable: '--scopes',
      reason: `has unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`,
    });
  }
  const store = openKeyStore(opts.file);
  try {
    const { key, info } = store.create({
      name: opts.name,
      scopes: scopes as Scope[],
      regions: list(opts.regions),
      organisations: list(opts.organisations),
    });
    process.stdout.write(`${JSON.stringify({ ...info, key })}\n`);
    process.stderr.write('Store this key now: it is shown only once.\n');
  } finally {
    store.close();
  }
}

export async function keysList(opts: { file: string | undefined }): Promise<void> {
  const store = openKeyStore(opts.file);
  try {
    for (const info of store.list()) process.stdout.write(`${JSON.stringify(info)}\n`);
  } finally {
    store.close();
  }
}

export async function keysRevoke(opts: { file: string | undefined; id: string }): Promise<number> {
  const store = openKeyStore(opts.file);
  try {
    if (store.revoke(opts.id)) {
      process.stderr.write(`revoked ${opts.id}\n`);
      return 0;
    }
    process.stderr.write(`hub: no active key with id ${opts.id}\n`);
    return 1;
  } finally {
    store.close();
  }
}
