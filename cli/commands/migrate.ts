import { composeHub } from '../compose.js';
import { loadConfig, redactConfig } from '../config.js';
import { createLogger } from '../logger.js';

/** `hub migrate`: prints one JSON line per step; exit 1 when any step failed. */
export async function migrateCommand(opts: { file: string | undefined }): Promise<number> {
  const config = loadConfig({ file: opts.file });
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  logger.debug({ config: redactConfig(config) }, 'configuration');
  const hub = await composeHub(config, logger);
  try {
    const steps = await hub.migrate();
    for (const step of steps) process.stdout.write(`${JSON.stringify(step)}\n`);
    return steps.some((s) => s.status === 'failed') ? 1 : 0;
  } finally {
    await hub.close();
  }
}
