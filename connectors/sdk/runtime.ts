/**
 * The connector runtime: drives one connector run into a `RecordSink`.
 *
 * - State is read from the sink per stream, and a stream's new state is handed to the sink
 *   with the records before it: the sink commits it only once they are durable (Kafka
 *   Connect's rule). A crash therefore resumes from the last durable checkpoint.
 * - Every record is validated by core and stamped with its lineage. A refused record goes to
 *   the dead letters with its source payload and its reasons; it is never dropped, and it
 *   does not hold back the valid records around it.
 * - Transient errors (`HubError` kind `transient`) are retried with exponential backoff and
 *   full jitter: a sink write retries the same batch; a source error restarts the read from
 *   the last committed state, discarding the uncommitted tail (it will be read again).
 *   Any other error ends the run at once.
 * - A failure budget bounds the refused records of a run; past it the run fails with
 *   `HUB_ERR_CONNECTOR_FAILURE_BUDGET`, after committing what was read until then.
 */

import { HubError, isHubError } from '../../core/errors/index.js';
import { lineageOf, validateResource } from '../../core/index.js';
import {
  connectorLastRun,
  recordsDeadLettered,
  recordsIn as recordsInCounter,
  recordsOut as recordsOutCounter,
} from '../../core/observability/metrics.js';
import type { CanonicalResource, DeadLetter, RecordSink, SinkBatch } from '../../core/ports/index.js';
import { validateConfig } from './config.js';
import type {
  Connector,
  ConnectorState,
  InvalidMessage,
  LogMessage,
  Message,
  RecordError,
  RecordMessage,
} from './connector.js';
import { backoffDelay, isTransient, pause, type RetryPolicy, withRetry } from './retry.js';

/** Bounds on the records a run may refuse before it fails. */
export interface FailureBudget {
  /** Fail when more than this fraction of the records read was refused. */
  readonly maxFraction?: number;
  /** Fail as soon as more than this many records were refused. */
  readonly maxCount?: number;
  /** Judge `maxFraction` mid-run only after this many records (always at the end of a run). */
  readonly minSample?: number;
}

/** Every runtime default, in one place. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /** Records + dead letters per sink write, at most; a checkpoint may write fewer. */
  batchSize: 1000,
  failureBudget: Object.freeze({ maxFraction: 0.1, minSample: 100 }) as FailureBudget,
  retry: Object.freeze({ retries: 5, minDelayMs: 200, maxDelayMs: 15_000 }) as RetryPolicy,
  /** Run reports kept per connector for `connectorStatus()` (the API's `GET /v1/connectors`). */
  recentRuns: 20,
});

export interface RunProgress {
  readonly connector: string;
  readonly stream: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly deadLettered: number;
  /** Checkpoints committed so far in this run. */
  readonly checkpoints: number;
  /** The state committed with the last write, `undefined` when it did not move the state. */
  readonly state: unknown;
}

export interface RunOptions<Config extends object> {
  readonly connector: Connector<Config>;
  readonly config: Partial<Config>;
  readonly sink: RecordSink;
  /** Default `RUNTIME_DEFAULTS.batchSize`. */
  readonly batchSize?: number;
  /** Default `RUNTIME_DEFAULTS.failureBudget`; `false` for none. */
  readonly failureBudget?: FailureBudget | false;
  /** Default `RUNTIME_DEFAULTS.retry`. */
  readonly retry?: Partial<RetryPolicy>;
  /** Ends the run after the current write; what is not yet committed is read again next time. */
  readonly signal?: AbortSignal;
  /** Called after every durable write. */
  readonly onProgress?: (progress: RunProgress) => void;
  /** The connector's log messages (secrets already redacted). Default: ignored. */
  readonly onLog?: (message: LogMessage) => void;
}

export type RunStatus = 'succeeded' | 'failed' | 'aborted';

export interface StreamRunReport {
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly deadLettered: number;
  readonly checkpoints: number;
}

export interface RunReport {
  readonly connector: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly status: RunStatus;
  /** Records and refused source rows read, including any read again after a retry. */
  readonly recordsIn: number;
  /** Valid records made durable. */
  readonly recordsOut: number;
  /** Refused records made durable in the dead letters. */
  readonly deadLettered: number;
  /** Checkpoints committed. */
  readonly checkpoints: number;
  /** Transient errors retried. */
  readonly retries: number;
  readonly streams: Readonly<Record<string, StreamRunReport>>;
  readonly error?: { readonly code: string; readonly kind: string; readonly message: string };
}

/** What `/health` shows of a connector: its last run, its freshness and its errors. */
export interface ConnectorStatus {
  readonly connector: string;
  readonly running: boolean;
  readonly runs: number;
  /** Failed runs plus transient errors retried, since the process started. */
  readonly errorCount: number;
  readonly lastRun?: RunReport;
  /** The last runs, newest first, at most `RUNTIME_DEFAULTS.recentRuns`. */
  readonly recentRuns: readonly RunReport[];
  /** RFC 3339 time of the last durable write of this connector. */
  readonly lastCommitAt?: string;
  /** Seconds since `lastCommitAt`, at the time of the call. */
  readonly lagSeconds?: number;
}

interface StatusEntry {
  running: number;
  runs: number;
  errorCount: number;
  lastRun?: RunReport;
  /** Oldest first; bounded, so a long-lived hub keeps constant memory. */
  recentRuns: RunReport[];
  lastCommitAt?: number;
}

const statuses = new Map<string, StatusEntry>();

function statusEntry(connector: string): StatusEntry {
  let e = statuses.get(connector);
  if (!e) {
    e = { running: 0, runs: 0, errorCount: 0, recentRuns: [] };
    statuses.set(connector, e);
  }
  return e;
}

/** The in-memory status of every connector that ran in this process, keyed by name. */
export function connectorStatus(now: Date = new Date()): Record<string, ConnectorStatus> {
  const out: Record<string, ConnectorStatus> = {};
  for (const [name, e] of [...statuses].sort(([a], [b]) => a.localeCompare(b))) {
    out[name] = {
      connector: name,
      running: e.running > 0,
      runs: e.runs,
      errorCount: e.errorCount,
      ...(e.lastRun ? { lastRun: e.lastRun } : {}),
      recentRuns: [...e.recentRuns].reverse(),
      ...(e.lastCommitAt === undefined
        ? {}
        : {
            lastCommitAt: new Date(e.lastCommitAt).toISOString(),
            lagSeconds: Math.max(0, (now.getTime() - e.lastCommitAt) / 1000),
          }),
    };
  }
  return out;
}

/**
 * Notes a durable write of `connector` made outside a run (a pushed document), so that
 * `connectorStatus()` shows its freshness like a pull connector's.
 */
export function noteCommit(connector: string, at: number = Date.now()): void {
  statusEntry(connector).lastCommitAt = at;
}

/** Forgets every status (tests). */
export function resetConnectorStatus(): void {
  statuses.clear();
}

/**
 * Stamps `meta.lineage` on `record` when it has none: connector, source system, source id,
 * ingest time, and the JCS SHA-256 of the source payload. Returns a new object.
 */
export function stampLineage(
  record: CanonicalResource,
  ctx: { connector: string; sourceSystem: string; sourceId?: string; sourcePayload?: unknown; ingestedAt: string },
): CanonicalResource {
  if (record.meta?.lineage) return record;
  const lineage = lineageOf({
    connector: ctx.connector,
    sourceSystem: ctx.sourceSystem,
    sourceId: ctx.sourceId ?? record.id,
    payload: ctx.sourcePayload === undefined ? record : ctx.sourcePayload,
    ingestedAt: ctx.ingestedAt,
  });
  // What withLineage does, without copying the lineage just built (this runs per record).
  return { ...record, meta: record.meta === undefined ? { lineage } : { ...record.meta, lineage } };
}

/** Who is admitting records, for lineage and dead letters. */
export interface AdmitContext {
  readonly connector: string;
  readonly sourceSystem: string;
  /** RFC 3339: the records' ingest time and the dead letters' failure time. */
  readonly ingestedAt: string;
}

/**
 * The one path from a connector's `record` or `invalid` message to what a sink stores,
 * shared by pull runs (`runConnector`) and pushed documents (`createIngestService`): a record
 * is stamped with its lineage and validated by core, then pushed to `into.records`; a row the
 * connector could not map, or a record core refuses, becomes a dead letter with the source
 * payload and every reason, pushed to `into.deadLetters`. Returns whether it was accepted.
 */
export function admitMessage(
  m: RecordMessage | InvalidMessage,
  ctx: AdmitContext,
  into: { readonly records: CanonicalResource[]; readonly deadLetters: DeadLetter[] },
): boolean {
  if (m.type === 'invalid') {
    into.deadLetters.push({
      connector: ctx.connector,
      stream: m.stream,
      failedAt: ctx.ingestedAt,
      ...(m.sourceId === undefined ? {} : { sourceId: m.sourceId }),
      ...(m.resourceType === undefined ? {} : { resourceType: m.resourceType }),
      errors: m.errors,
      payload: m.payload,
    });
    return false;
  }
  const stamped = stampLineage(m.data, {
    connector: ctx.connector,
    sourceSystem: ctx.sourceSystem,
    ...(m.sourceId === undefined ? {} : { sourceId: m.sourceId }),
    sourcePayload: m.sourcePayload,
    ingestedAt: ctx.ingestedAt,
  });
  const v = validate(stamped);
  if (v.valid) {
    into.records.push(v.value);
    return true;
  }
  into.deadLetters.push({
    connector: ctx.connector,
    stream: m.stream,
    failedAt: ctx.ingestedAt,
    sourceId: m.sourceId ?? String(m.data.id),
    ...(typeof m.data.resourceType === 'string' ? { resourceType: m.data.resourceType } : {}),
    errors: v.errors,
    payload: m.sourcePayload === undefined ? m.data : m.sourcePayload,
  });
  return false;
}

let lastMs = 0;
let lastIso = '';

/** The current time in RFC 3339, formatted at most once per millisecond. */
function now(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Records admitted between two turns of the event loop while a write is in flight. */
const YIELD_EVERY = 64;

/** Lets pending I/O callbacks (the sink's) run, then continues. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Signals that the run was aborted; never leaves this module. */
class Aborted extends Error {}

interface Buffer {
  records: CanonicalResource[];
  deadLetters: DeadLetter[];
}

interface StreamCounts {
  recordsIn: number;
  recordsOut: number;
  deadLettered: number;
  checkpoints: number;
}

/**
 * Runs `connector` once into `sink` and returns the run's report; never throws for a
 * failed run (the report says why). With a `continuous` source, runs until `signal` aborts.
 */
export async function runConnector<Config extends object>(options: RunOptions<Config>): Promise<RunReport> {
  const { connector, sink, signal } = options;
  const name = connector.name;
  const batchSize = Math.max(1, options.batchSize ?? RUNTIME_DEFAULTS.batchSize);
  const budget =
    options.failureBudget === false ? undefined : (options.failureBudget ?? RUNTIME_DEFAULTS.failureBudget);
  const policy: RetryPolicy = { ...RUNTIME_DEFAULTS.retry, ...options.retry };
  const status = statusEntry(name);
  const startedAt = new Date();
  const counts = new Map<string, StreamCounts>();
  // pendingDead: refused records still buffered; submittedDead: handed to a write (durable or in flight).
  const totals = {
    recordsIn: 0,
    recordsOut: 0,
    deadLettered: 0,
    checkpoints: 0,
    retries: 0,
    pendingDead: 0,
    submittedDead: 0,
  };
  let buffers = new Map<string, Buffer>();
  let streamNames = new Set<string>();

  status.running++;
  status.runs++;

  const countsOf = (stream: string): StreamCounts => {
    let c = counts.get(stream);
    if (!c) {
      c = { recordsIn: 0, recordsOut: 0, deadLettered: 0, checkpoints: 0 };
      counts.set(stream, c);
    }
    return c;
  };
  const bufferOf = (stream: string): Buffer => {
    let b = buffers.get(stream);
    if (!b) {
      b = { records: [], deadLetters: [] };
      buffers.set(stream, b);
    }
    return b;
  };
  const onRetry = () => {
    totals.retries++;
    status.errorCount++;
  };
  const budgetError = () =>
    new HubError('HUB_ERR_CONNECTOR_FAILURE_BUDGET', {
      name,
      failed: totals.submittedDead + totals.pendingDead,
      total: totals.recordsIn,
    });
  const overFraction = (atEnd: boolean): boolean => {
    if (budget?.maxFraction === undefined || totals.recordsIn === 0) return false;
    if (!atEnd && totals.recordsIn < (budget.minSample ?? 0)) return false;
    return totals.submittedDead / totals.recordsIn > budget.maxFraction;
  };

  /**
   * Writes one batch (with its retries) and counts it. Called in order, one at a time, by
   * `flush`, so at most one write is in flight while the next batch is read and admitted.
   */
  const write = async (batch: SinkBatch): Promise<void> => {
    try {
      await withRetry(() => sink.write(batch), policy, { ...(signal ? { signal } : {}), onRetry });
    } catch (err) {
      if (typeof err === 'object' && err !== null) sinkErrors.add(err);
      throw err;
    }
    const { stream, state } = batch;
    const c = countsOf(stream);
    c.recordsOut += batch.records.length;
    c.deadLettered += batch.deadLetters.length;
    totals.recordsOut += batch.records.length;
    totals.deadLettered += batch.deadLetters.length;
    if (state !== undefined) {
      c.checkpoints++;
      totals.checkpoints++;
    }
    recordsOutCounter.labels(name, stream).inc(batch.records.length);
    recordsDeadLettered.labels(name, stream).inc(batch.deadLetters.length);
    status.lastCommitAt = Date.now();
    options.onProgress?.({
      connector: name,
      stream,
      recordsIn: c.recordsIn,
      recordsOut: c.recordsOut,
      deadLettered: c.deadLettered,
      checkpoints: c.checkpoints,
      state,
    });
  };
  /** The write in flight (settled when none); a failed one is rethrown by the next `flush` or `drain`. */
  let inFlight: Promise<void> = Promise.resolve();
  /** Whether a write is in flight (its I/O callbacks need the event loop: see `handle`). */
  let writing = false;
  let sinceYield = 0;
  /** Waits for the write in flight; throws its error. */
  const drain = async (): Promise<void> => {
    await inFlight;
  };
  /**
   * Hands a stream's buffer to the sink with `state` (`undefined`: state unchanged), after the
   * previous write: batches reach the sink in the order they were cut, one at a time, and a
   * state is committed only with (or after) every record read before it. Returns once the
   * PREVIOUS write is durable, so reading goes on while this one is written (a pipeline of
   * depth one); `drain` waits for this one too.
   */
  const flush = async (stream: string, state: unknown): Promise<void> => {
    const buf = bufferOf(stream);
    if (buf.records.length === 0 && buf.deadLetters.length === 0 && state === undefined) return;
    const batch: SinkBatch = { connector: name, stream, records: buf.records, deadLetters: buf.deadLetters, state };
    buffers.set(stream, { records: [], deadLetters: [] });
    // The records-in metric moves per batch cut (a label lookup per record costs more than the record).
    const admitted = batch.records.length + batch.deadLetters.length;
    if (admitted > 0) recordsInCounter.labels(name, stream).inc(admitted);
    totals.pendingDead -= batch.deadLetters.length;
    totals.submittedDead += batch.deadLetters.length;
    const previous = inFlight;
    const next = previous.then(() => {
      writing = true;
      return write(batch).finally(() => {
        writing = false;
      });
    });
    // Observed here so that a failure is never unhandled; it is rethrown by whoever awaits it.
    next.catch(() => {});
    inFlight = next;
    await previous;
  };
  const flushAll = async () => {
    for (const stream of [...buffers.keys()]) await flush(stream, undefined);
    await drain();
  };

  // One context for the run, its time refreshed per message: no allocation per record.
  const admission = { connector: name, sourceSystem: name, ingestedAt: '' };

  const checkpoint = async (stream: string, state: unknown): Promise<void> => {
    await flush(stream, state);
    if (overFraction(false)) throw budgetError();
    if (signal?.aborted) throw new Aborted();
  };
  const overCount = async (): Promise<never> => {
    await flushAll();
    throw budgetError();
  };

  /**
   * Handles one message. Synchronous for a record that does not fill its batch (the common
   * case, once per record): a promise only when there is something to wait for.
   */
  const handle = (m: Message): Promise<void> | undefined => {
    if (m.type === 'log') {
      options.onLog?.(m);
      return undefined;
    }
    if (!streamNames.has(m.stream)) {
      throw new HubError('HUB_ERR_CONNECTOR_PROTOCOL', { name, reason: `message for undeclared stream ${m.stream}` });
    }
    if (m.type === 'state') return checkpoint(m.stream, m.state);
    const c = countsOf(m.stream);
    c.recordsIn++;
    totals.recordsIn++;
    admission.ingestedAt = now();
    const buf = bufferOf(m.stream);
    if (!admitMessage(m, admission, buf)) totals.pendingDead++;
    if (budget?.maxCount !== undefined && totals.submittedDead + totals.pendingDead > budget.maxCount) {
      return overCount();
    }
    // A full batch is made durable without moving the state: bounded memory, and a resume
    // re-reads these records, which sinks store idempotently by id.
    if (buf.records.length + buf.deadLetters.length >= batchSize) return flush(m.stream, undefined);
    // Admitting records is synchronous work, and a source that yields at once (a generator,
    // a buffered file) never lets the event loop turn: the write in flight would wait for
    // its I/O callbacks until the next batch is full. Give them a turn every few records.
    if (writing && ++sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      return yieldToIo();
    }
    return undefined;
  };

  let outcome: { status: RunStatus; error?: unknown };
  try {
    const checked = validateConfig<Config>(connector.spec(), options.config);
    if (!checked.valid) {
      throw new HubError('HUB_ERR_CONNECTOR_CONFIG', { name, reason: checked.errors.join('; ') });
    }
    admission.sourceSystem = connector.sourceSystem?.(options.config) ?? name;
    const catalog = await connector.discover(options.config);
    streamNames = new Set(catalog.streams.map((s) => s.name));

    let attempt = 0;
    for (;;) {
      const state: Record<string, unknown> = {};
      for (const s of streamNames) {
        const st = await withRetry(() => sink.readState(name, s), policy, { ...(signal ? { signal } : {}), onRetry });
        if (st !== undefined) state[s] = st;
      }
      const checkpointsBefore = totals.checkpoints;
      try {
        await consume(
          connector.read(options.config, state as ConnectorState, signal ? { signal } : {}),
          handle,
          signal,
        );
        await flushAll();
        break;
      } catch (err) {
        if (!isTransient(err) || isSinkError(err)) throw err;
        // The write in flight ends first (its failure wins): the state is re-read after it.
        await drain();
        if (totals.checkpoints > checkpointsBefore) attempt = 0;
        if (attempt >= policy.retries) throw err;
        // The uncommitted tail is dropped: the restarted read produces it again.
        totals.pendingDead = 0;
        buffers = new Map();
        onRetry();
        await pause(backoffDelay(attempt, policy), signal, new Aborted());
        attempt++;
      }
    }
    if (overFraction(true)) throw budgetError();
    outcome = { status: 'succeeded' };
  } catch (err) {
    // No write outlives the run: the report counts what the sink holds.
    await inFlight.catch(() => {});
    // A transient error seen while aborting is the abort cutting a retry short.
    const aborted = err instanceof Aborted || (signal?.aborted === true && (isTransient(err) || !isHubError(err)));
    outcome = aborted ? { status: 'aborted' } : { status: 'failed', error: err };
  }

  const endedAt = new Date();
  if (outcome.status === 'failed') status.errorCount++;
  const streams: Record<string, StreamRunReport> = {};
  for (const [s, c] of counts) streams[s] = { ...c };
  const report: RunReport = {
    connector: name,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    status: outcome.status,
    recordsIn: totals.recordsIn,
    recordsOut: totals.recordsOut,
    deadLettered: totals.deadLettered,
    checkpoints: totals.checkpoints,
    retries: totals.retries,
    streams,
    ...(outcome.status === 'failed' ? { error: describeError(name, outcome.error) } : {}),
  };
  status.running--;
  status.lastRun = report;
  status.recentRuns.push(report);
  if (status.recentRuns.length > RUNTIME_DEFAULTS.recentRuns) status.recentRuns.shift();
  connectorLastRun.labels(name, outcome.status).set(endedAt.getTime() / 1000);
  return report;
}

/**
 * Iterates `source` until it ends, handing each message to `handle`. An abort ends the wait
 * for the next message at once (an endless source may be sleeping) and closes the iterator.
 */
async function consume(
  source: AsyncIterable<Message>,
  handle: (m: Message) => Promise<void> | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let aborted: Promise<never> | undefined;
  let onAbort: (() => void) | undefined;
  if (signal) {
    aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Aborted());
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
  }
  let finished = false;
  try {
    for (;;) {
      const next = it.next();
      const r = aborted ? await Promise.race([next, aborted]) : await next;
      if (r.done) {
        finished = true;
        return;
      }
      const pending = handle(r.value);
      if (pending !== undefined) await pending;
    }
  } finally {
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    // Closing runs the source's `finally` blocks (connections, cursors). Not awaited when the
    // source is stuck in a wait that the abort already cut short elsewhere.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => {});
  }
}

/** Errors a sink raised have already had their retries inside `flush`. */
const sinkErrors = new WeakSet<object>();
function isSinkError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && sinkErrors.has(err);
}

function validate(
  record: CanonicalResource,
): { valid: true; value: CanonicalResource } | { valid: false; errors: readonly RecordError[] } {
  try {
    const r = validateResource(record);
    return r.valid
      ? { valid: true, value: r.value as unknown as CanonicalResource }
      : { valid: false, errors: r.errors };
  } catch (err) {
    if (isHubError(err) && err.kind === 'data') {
      return { valid: false, errors: [{ pointer: '', code: err.code, message: err.message }] };
    }
    throw err;
  }
}

function describeError(name: string, err: unknown): { code: string; kind: string; message: string } {
  if (isHubError(err)) return { code: err.code, kind: err.kind, message: err.message };
  const reason = err instanceof Error ? err.message : String(err);
  const wrapped = new HubError('HUB_ERR_CONNECTOR_CRASHED', { name, reason });
  return { code: wrapped.code, kind: wrapped.kind, message: wrapped.message };
}
