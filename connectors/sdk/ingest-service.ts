/**
 * Push ingestion: core's `IngestService` port over the connectors' push form. A pushed document
 * goes through the runtime's own path (`admitMessage`: lineage, validation, dead letters) and
 * is made durable through the same `RecordSink` as a pull run, in one write with no state (a
 * push has no cursor). The API and `hub ingest --file` both call it.
 */

import { HubError, isHubError } from '../../core/errors/index.js';
import { deadLetterId } from '../../core/lineage/index.js';
import {
  recordsDeadLettered,
  recordsIn as recordsInCounter,
  recordsOut as recordsOutCounter,
} from '../../core/observability/metrics.js';
import type {
  CanonicalResource,
  DeadLetter,
  IncomingDocument,
  IngestResult,
  IngestService,
  RecordSink,
} from '../../core/ports/index.js';
import { secretRedactor, validateConfig } from './config.js';
import type { Connector, LogMessage, Message } from './connector.js';
import { type DocumentConnector, isDocumentConnector } from './document.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { admitMessage, noteCommit } from './runtime.js';

/** Every default of the push path, in one place. */
export const INGEST_DEFAULTS = Object.freeze({
  /** The stream of every record and dead letter of a pushed document. */
  stream: 'push',
  /** Short: a partner is waiting on the answer, and may retry with its Idempotency-Key. */
  retry: Object.freeze({ retries: 2, minDelayMs: 200, maxDelayMs: 2_000 }) as RetryPolicy,
});

/** What a push connector accepts, for the API to refuse a body before reading it. */
export interface DocumentLimits {
  readonly maxDocumentBytes: number;
  readonly acceptedMediaTypes: readonly string[];
}

export interface IngestServiceOptions {
  /** Connectors by name; those that are `DocumentConnector`s accept pushes. */
  readonly connectors: Readonly<Record<string, Connector>>;
  readonly sink: RecordSink;
  /** A connector's config (the spec's defaults fill the rest). Default: `{}`. */
  readonly configFor?: (name: string) => object;
  /** Retries of a transient sink failure. Default `INGEST_DEFAULTS.retry`. */
  readonly retry?: Partial<RetryPolicy>;
  /** The connectors' log messages (secrets already redacted). Default: ignored. */
  readonly onLog?: (connector: string, message: LogMessage) => void;
}

/** The port, plus what the API reads to bound a push before it reads the body. */
export interface DocumentIngestService extends IngestService {
  /** The limits of `connector`, or `undefined` when it is not a push connector. */
  documentLimits(connector: string): DocumentLimits | undefined;
}

/**
 * The `IngestService` over `connectors`. `ingest` throws a `HubError`: the connector is unknown
 * (`HUB_ERR_CONNECTOR_UNKNOWN`) or pull-only (`HUB_ERR_INGEST_NOT_PUSH`), the document is too
 * large (`HUB_ERR_INGEST_TOO_LARGE`) or of a media type the connector does not read
 * (`HUB_ERR_INGEST_MEDIA_TYPE`), the connector refuses the whole document (its own error, e.g.
 * `HUB_ERR_INGEST_DOCUMENT`), or the sink fails after its retries. Refused records are not
 * errors: they are dead letters, counted in the result.
 */
export function createIngestService(options: IngestServiceOptions): DocumentIngestService {
  const policy: RetryPolicy = { ...INGEST_DEFAULTS.retry, ...options.retry };
  const stream = INGEST_DEFAULTS.stream;
  const push = Object.keys(options.connectors)
    .filter((name) => isDocumentConnector(options.connectors[name] as Connector))
    .sort();

  const lookup = (name: string): DocumentConnector<object> => {
    const c = Object.hasOwn(options.connectors, name) ? options.connectors[name] : undefined;
    if (!c) throw new HubError('HUB_ERR_CONNECTOR_UNKNOWN', { name, known: push.join(', ') });
    if (!isDocumentConnector(c)) throw new HubError('HUB_ERR_INGEST_NOT_PUSH', { name, known: push.join(', ') });
    return c;
  };

  return {
    pushConnectors: () => [...push],

    documentLimits(name) {
      const c = Object.hasOwn(options.connectors, name) ? options.connectors[name] : undefined;
      if (!c || !isDocumentConnector(c)) return undefined;
      return { maxDocumentBytes: c.maxDocumentBytes, acceptedMediaTypes: [...c.acceptedMediaTypes] };
    },

    async ingest(name: string, document: IncomingDocument): Promise<IngestResult> {
      const connector = lookup(name);
      if (document.body.length > connector.maxDocumentBytes) {
        throw new HubError('HUB_ERR_INGEST_TOO_LARGE', { name, limit: connector.maxDocumentBytes });
      }
      if (document.contentType && !acceptsMediaType(connector.acceptedMediaTypes, document.contentType)) {
        throw new HubError('HUB_ERR_INGEST_MEDIA_TYPE', {
          name,
          mediaType: essence(document.contentType),
          accepted: connector.acceptedMediaTypes.join(', '),
        });
      }
      const config = options.configFor?.(name) ?? {};
      const checked = validateConfig<object>(connector.spec(), config);
      if (!checked.valid) throw new HubError('HUB_ERR_CONNECTOR_CONFIG', { name, reason: checked.errors.join('; ') });
      const base = connector.sourceSystem?.(config) ?? name;
      const ctx = {
        connector: name,
        // Who pushed it is part of where it came from: a trace leads back to the credential.
        sourceSystem: document.pushedBy === undefined ? base : `${base}/pushed-by/${document.pushedBy}`,
        ingestedAt: document.receivedAt,
      };
      const batch = { records: [] as CanonicalResource[], deadLetters: [] as DeadLetter[] };
      const handle = (m: Message): void => {
        if (m.type === 'log') {
          options.onLog?.(name, m);
          return;
        }
        if (m.type === 'state') {
          throw new HubError('HUB_ERR_CONNECTOR_PROTOCOL', { name, reason: 'parseDocument yielded a state message' });
        }
        recordsInCounter.labels(name, stream).inc();
        // One stream for everything pushed: the dead letters of a push are found under `push`.
        admitMessage(m.stream === stream ? m : { ...m, stream }, ctx, batch);
      };
      try {
        const messages = connector.parseDocument(document, checked.value);
        if (Symbol.asyncIterator in messages) for await (const m of messages) handle(m);
        else for (const m of messages) handle(m);
      } catch (err) {
        throw asHubError(err, name, secretRedactor(connector.spec(), checked.value));
      }

      if (batch.records.length > 0 || batch.deadLetters.length > 0) {
        try {
          await withRetry(
            () =>
              options.sink.write({
                connector: name,
                stream,
                records: batch.records,
                deadLetters: batch.deadLetters,
                state: undefined,
              }),
            policy,
          );
        } catch (err) {
          // Nothing of this document is durable: let the sender's retry through.
          connector.documentFailed?.(document);
          throw err;
        }
        recordsOutCounter.labels(name, stream).inc(batch.records.length);
        recordsDeadLettered.labels(name, stream).inc(batch.deadLetters.length);
        noteCommit(name);
      }
      return {
        connector: name,
        accepted: batch.records.length,
        rejected: batch.deadLetters.length,
        deadLettered: batch.deadLetters.length,
        // Two identical refused rows are one stored dead letter: each id once.
        deadLetterIds: [...new Set(batch.deadLetters.map(deadLetterId))],
      };
    },
  };
}

/** The media type without parameters, lower-cased: `text/csv; charset=utf-8` → `text/csv`. */
function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Whether `contentType` matches one of `accepted` (which may hold `type/*` or `*\/*`). */
export function acceptsMediaType(accepted: readonly string[], contentType: string): boolean {
  const type = essence(contentType);
  return accepted.some((a) => {
    const want = essence(a);
    if (want === '*/*' || want === type) return true;
    return want.endsWith('/*') && type.startsWith(want.slice(0, -1));
  });
}

/** A connector's own `HubError` keeps its code; anything else is a crash. Secrets removed. */
function asHubError(err: unknown, name: string, redact: (s: string) => string): HubError {
  if (isHubError(err)) {
    const params: Record<string, string | number | boolean | null | undefined> = {};
    for (const [k, v] of Object.entries(err.params)) params[k] = typeof v === 'string' ? redact(v) : v;
    const detail = err.detail === undefined ? undefined : redact(err.detail);
    const same = Object.entries(params).every(([k, v]) => v === err.params[k]) && detail === err.detail;
    return same
      ? err
      : new HubError(err.code, params, { cause: err.cause, ...(detail === undefined ? {} : { detail }) });
  }
  const reason = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error ? (err.stack ?? reason) : reason;
  return new HubError('HUB_ERR_CONNECTOR_CRASHED', { name, reason: redact(reason) }, { detail: redact(stack) });
}
