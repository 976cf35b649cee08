/**
 * The push form of a connector: it maps one document (an EPCIS document, a FHIR Bundle, a CAP
 * alert, an EDXL-RM message, a CSV upload, a signed webhook) to messages. The same connector's
 * pull form reads such documents from a path in its config (`read`); both go through the same
 * mapping, so a pushed and a pulled document give the same canonical records.
 */
import type { IncomingDocument } from '../../core/ports/index.js';
import type { Connector, Message } from './connector.js';

export interface DocumentConnector<Config extends object = Record<string, unknown>> extends Connector<Config> {
  /** Upper bound on a pushed document, in bytes; the API refuses larger bodies with 413. */
  readonly maxDocumentBytes: number;
  /** Media types the push endpoint accepts for this connector, e.g. `application/ld+json`. */
  readonly acceptedMediaTypes: readonly string[];
  /**
   * Maps one document to `record` and `invalid` messages (no `state`: a push has no cursor).
   * Throws a `HubError` of kind `data` when the document as a whole is unreadable (truncated,
   * wrong encoding, XML with entities, bad signature), naming what is wrong.
   */
  parseDocument(document: IncomingDocument, config: Partial<Config>): AsyncIterable<Message> | Iterable<Message>;
  /**
   * Called when a document parsed but its records could not be made durable. A connector that
   * remembers documents (a webhook's replay cache) forgets this one here, so that the sender's
   * retry is accepted rather than refused as a replay. Default: nothing to forget.
   */
  documentFailed?(document: IncomingDocument): void;
}

export function isDocumentConnector(c: Connector<object>): c is DocumentConnector<object> {
  return typeof (c as Partial<DocumentConnector<object>>).parseDocument === 'function';
}
