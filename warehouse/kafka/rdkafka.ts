import { createRequire } from 'node:module';
import { HubError } from '../../core/errors/index.js';

/** The node-rdkafka module's type; a type-only import costs nothing at run time. */
export type Rdkafka = typeof import('node-rdkafka');

let loaded: Rdkafka | undefined;

/**
 * Loads node-rdkafka (a native addon, CommonJS) on first use. Only `init()` of the Kafka
 * adapters calls this, so the embedded mode never loads librdkafka.
 */
export function loadRdkafka(): Rdkafka {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('node-rdkafka') as Rdkafka;
    } catch (cause) {
      throw new HubError(
        'HUB_ERR_STREAM_UNAVAILABLE',
        { reason: 'node-rdkafka is not installed or its native build failed' },
        { cause },
      );
    }
  }
  return loaded;
}

/** librdkafka error codes this package acts on (values from node-rdkafka's `lib/error.js`). */
export const RdkafkaCode = {
  TIMED_OUT: -185,
  MSG_SIZE_TOO_LARGE: 10,
  QUEUE_FULL: -184,
  ASSIGN_PARTITIONS: -175,
  REVOKE_PARTITIONS: -174,
  TOPIC_ALREADY_EXISTS: 36,
} as const;

/** A librdkafka error as node-rdkafka reports it (its `LibrdKafkaError`), or anything thrown. */
export interface RdkafkaErrorLike {
  readonly message?: string;
  readonly code?: number;
  readonly isFatal?: boolean;
}

export function rdkafkaCode(err: unknown): number | undefined {
  const code = (err as RdkafkaErrorLike | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A short, log-safe description of a librdkafka error: `message (code)`. */
export function describeRdkafkaError(err: unknown): string {
  if (err === null || err === undefined) return 'unknown error';
  const e = err as RdkafkaErrorLike;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  return e.code === undefined ? message : `${message} (${e.code})`;
}

/** Brokers as librdkafka wants them: one comma-separated string. */
export function brokerList(brokers: string | readonly string[]): string {
  return typeof brokers === 'string' ? brokers : brokers.join(',');
}
