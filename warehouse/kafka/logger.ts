/** A structured log call in pino's shape (`logger.warn({ topic }, 'message')`); Fastify's logger fits. */
export type LogFn = (fields: Record<string, unknown>, message?: string) => void;

/** The logging the Kafka adapters need. Pass the hub's pino logger, or omit to log nothing. */
export interface StreamLogger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

const ignore: LogFn = () => undefined;

/** The logger used when none is given. */
export const silentLogger: StreamLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
