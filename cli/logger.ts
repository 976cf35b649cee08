import { type Logger, pino } from 'pino';
import { SECRET_KEYS } from './config.js';

/**
 * The process logger. Secrets never reach a log line: every secret config key, auth headers
 * and connector config fields marked secret are redacted by path.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'reserve-hub' },
    redact: {
      paths: [
        ...SECRET_KEYS.map((k) => `config.${k}`),
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'connectorConfig.url',
        'connectorConfig.password',
        '*.password',
        '*.secret',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
  });
}
