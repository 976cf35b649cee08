/**
 * Push ingestion: a partner POSTs a document (an EPCIS document, a FHIR Bundle, a CAP alert,
 * an EDXL-RM message, a CSV file, a signed webhook). The API hands it to this port; the
 * connector layer implements it by parsing the document with the named connector, validating
 * every record through core, and writing through the same `RecordSink` as any pull run.
 */
export interface IncomingDocument {
  /** The request body, exactly as received. */
  readonly body: Buffer;
  readonly contentType?: string;
  /** The original file name, for file uploads. */
  readonly filename?: string;
  /** Request headers (lower-case names) a connector may need, e.g. a webhook's signature. */
  readonly headers?: Readonly<Record<string, string>>;
  /** RFC 3339 time the hub received the document. */
  readonly receivedAt: string;
  /** Who pushed it (the API key or client id), for lineage. */
  readonly pushedBy?: string;
}

export interface IngestResult {
  readonly connector: string;
  /** Records that were valid and are now durable. */
  readonly accepted: number;
  /** Records refused by mapping or validation. */
  readonly rejected: number;
  /** Refused records kept in the dead-letter store (equal to `rejected`: nothing is dropped). */
  readonly deadLettered: number;
  /** Ids of the dead-letter entries, to inspect or replay them. */
  readonly deadLetterIds: readonly string[];
}

export interface IngestService {
  /** Connector names that accept pushed documents. */
  pushConnectors(): readonly string[];
  /** Throws `HubError`: unknown connector, unreadable/oversized/unsafe document, sink failure. */
  ingest(connector: string, document: IncomingDocument): Promise<IngestResult>;
}
