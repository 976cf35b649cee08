import type { CanonicalResource } from './resource.js';

/**
 * A record that failed mapping or validation. It is never dropped: it is kept with the
 * reasons it was refused and the payload exactly as the source gave it.
 */
export interface DeadLetter {
  /** Connector name, e.g. `simulator`, `postgres-ledger`. */
  readonly connector: string;
  /** Stream name within the connector, snake_case. */
  readonly stream: string;
  /** The source's own id for the record, when it has one. */
  readonly sourceId?: string;
  /** Canonical resource type the record was meant to become, when known. */
  readonly resourceType?: string;
  /** Machine-readable reasons, one per problem found. */
  readonly errors: readonly { pointer: string; code: string; message: string }[];
  /** The original source payload, untouched (JSON-serialisable, or a string for raw lines). */
  readonly payload: unknown;
  /** RFC 3339 time at which the record was refused. */
  readonly failedAt: string;
}

/**
 * One unit of durable progress: the valid records and the dead letters read since the last
 * checkpoint, and the connector state that becomes true once they are durable.
 */
export interface SinkBatch {
  readonly connector: string;
  readonly stream: string;
  readonly records: readonly CanonicalResource[];
  readonly deadLetters: readonly DeadLetter[];
  /**
   * The connector state after this batch. The sink persists it only once every record and
   * dead letter of the batch is durable downstream (same DuckDB transaction in embedded mode,
   * after the Kafka delivery reports in distributed mode). `undefined` keeps the old state.
   */
  readonly state: unknown;
}

/**
 * Where connector output goes. The connector runtime only knows this port: never DuckDB or
 * Kafka by name.
 */
export interface RecordSink {
  readonly name: string;
  init(): Promise<void>;
  close(): Promise<void>;
  /** The last state committed for a connector stream, or `undefined` if none. */
  readState(connector: string, stream: string): Promise<unknown>;
  /** Makes the batch durable, then commits its state. Throws a `HubError` on failure. */
  write(batch: SinkBatch): Promise<SinkWriteResult>;
}

export interface SinkWriteResult {
  /** Records newly stored (a redelivered record with a known id is not counted again). */
  readonly written: number;
  readonly deadLettered: number;
}
