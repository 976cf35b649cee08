import { ERRORS, type ErrorCode, type ErrorKind, formatMessage } from './catalogue.js';

export type ErrorParams = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * The hub's error: a catalogue code, its kind and status, a user message rendered from the
 * catalogue (safe to show), and internal detail kept apart in `cause`/`detail` (never shown
 * to API callers).
 */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly status: number;
  readonly params: ErrorParams;
  /** Internal detail for logs: never sent to API callers. */
  readonly detail?: string;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { cause?: unknown; detail?: string } = {}) {
    const entry = ERRORS[code];
    super(formatMessage(code, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.kind = entry.kind;
    this.status = entry.status;
    this.params = params;
    if (options.detail !== undefined) this.detail = options.detail;
  }

  get retriable(): boolean {
    return this.kind === 'transient';
  }
}

export function isHubError(value: unknown): value is HubError {
  return value instanceof HubError;
}
