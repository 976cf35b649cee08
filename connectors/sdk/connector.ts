/**
 * The connector contract, in the shape of Airbyte, Singer and Kafka Connect:
 * `spec` → `check` → `discover` → `read`. `read` yields a union of messages (records, refused
 * records, state checkpoints, logs) and never writes anywhere itself: the runtime
 * (`runtime.ts`) validates what it yields and hands it to a `RecordSink`.
 */
import type { CanonicalResource } from '../../core/ports/index.js';

/** A JSON Schema (2020-12) document. Config schemas mark secret fields with `"x-secret": true`. */
export type JSONSchema = { readonly [keyword: string]: unknown };

/** The outcome of `check`: a value, never a throw. */
export interface CheckResult {
  readonly status: 'succeeded' | 'failed';
  /** Why it failed, with every secret redacted. */
  readonly message?: string;
}

/** One stream as `discover` lists it. Stream names are snake_case. */
export interface StreamDescriptor {
  readonly name: string;
  /** Canonical resource types the stream's records have. */
  readonly resourceTypes: readonly string[];
  /** Paths into the record (`['id']`) that identify it; unique within the stream. */
  readonly primaryKey: readonly string[];
  /** Paths into the source record that the stream's cursor follows, when it is incremental. */
  readonly cursorField?: readonly string[];
}

export interface Catalog {
  readonly streams: readonly StreamDescriptor[];
}

/**
 * Connector state: one entry per stream, each an opaque JSON value owned by that stream. A
 * stream that reads several partitions (tables, files, webhook sources) keeps one cursor per
 * partition inside its entry, e.g. `{ partitions: { 'file-a.csv': { line: 120 } } }`.
 */
export type ConnectorState = { readonly [stream: string]: unknown };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Why a record was refused; the same shape core's validators return. */
export interface RecordError {
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
}

/** A canonical record. The runtime validates it and stamps `meta.lineage` when missing. */
export interface RecordMessage {
  readonly type: 'record';
  readonly stream: string;
  readonly data: CanonicalResource;
  /** The source's own id for the record (a row id, a line number…). Defaults to `data.id`. */
  readonly sourceId?: string;
  /** The source record as read, before mapping; hashed into the lineage, kept if refused. */
  readonly sourcePayload?: unknown;
}

/** A source record the connector could not map: it goes to the dead letters, never dropped. */
export interface InvalidMessage {
  readonly type: 'invalid';
  readonly stream: string;
  readonly sourceId?: string;
  /** The source record exactly as read (JSON value, or a string for a raw line). */
  readonly payload: unknown;
  readonly errors: readonly RecordError[];
  /** The resource type the record was meant to become, when known. */
  readonly resourceType?: string;
}

/**
 * A checkpoint: the state of `stream` once every message of that stream before it is durable.
 * `state` replaces the stream's previous entry whole.
 */
export interface StateMessage {
  readonly type: 'state';
  readonly stream: string;
  readonly state: unknown;
}

export interface LogMessage {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly message: string;
}

export type Message = RecordMessage | InvalidMessage | StateMessage | LogMessage;

export interface ReadOptions {
  /** Aborts a long or endless read (`continuous` sources); the iterator then returns. */
  readonly signal?: AbortSignal;
}

/**
 * A source connector. `Config` is the resolved config, defaults applied; callers may pass any
 * part of it and the spec's defaults fill the rest.
 */
export interface Connector<Config extends object = Record<string, unknown>> {
  /** Stable, kebab-case: `simulator`, `postgres-ledger`. Used in lineage, state and metrics. */
  readonly name: string;
  /** JSON Schema of the config: snake_case keys, defaults, secrets marked `"x-secret": true`. */
  spec(): JSONSchema;
  /** Tries the config against the source. Never throws. */
  check(config: Partial<Config>): Promise<CheckResult>;
  discover(config: Partial<Config>): Promise<Catalog>;
  /**
   * Reads from `state` (as last committed, keyed by stream) onwards. Throws a `HubError`:
   * kind `config` for a bad config, `transient` when a retry may succeed.
   */
  read(config: Partial<Config>, state: ConnectorState, options?: ReadOptions): AsyncIterable<Message>;
  /**
   * Names the source system in lineage (`postgres://host:5432/db/stock_ledger`), without
   * credentials, from a config that passes the spec. The connector name when absent.
   */
  sourceSystem?(config: Partial<Config>): string;
}
