/**
 * The one error catalogue. Codes read `HUB_ERR_<AREA>_<WHAT>`. Each entry has a kind (only
 * `transient` errors are retried), an HTTP status for the API's RFC 9457 problems, and a
 * message template whose `{name}` placeholders are filled from the error's params.
 *
 * `docs/errors.md` documents every entry; a test keeps the two in step.
 */
export type ErrorKind = 'config' | 'transient' | 'data' | 'system';

export interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  HUB_ERR_CONFIG_INVALID: {
    kind: 'config',
    status: 500,
    message: 'Invalid configuration: {variable} {reason}',
  },
  HUB_ERR_CONFIG_FILE: {
    kind: 'config',
    status: 500,
    message: 'Cannot read configuration file {path}: {reason}',
  },
  HUB_ERR_AUTH_MISSING: {
    kind: 'data',
    status: 401,
    message: 'Missing credentials: send Authorization: Bearer <api key>',
  },
  HUB_ERR_AUTH_INVALID: {
    kind: 'data',
    status: 401,
    message: 'Invalid or revoked credentials',
  },
  HUB_ERR_AUTH_FORBIDDEN: {
    kind: 'data',
    status: 403,
    message: 'This credential lacks the scope {scope}',
  },
  HUB_ERR_API_BAD_QUERY: {
    kind: 'data',
    status: 400,
    message: 'Invalid request: {reason}',
  },
  HUB_ERR_API_NOT_FOUND: {
    kind: 'data',
    status: 404,
    message: 'No route or resource at {path}',
  },
  HUB_ERR_API_METHOD_NOT_ALLOWED: {
    kind: 'data',
    status: 405,
    message: '{method} is not allowed on {path}; allowed: {allowed}',
  },
  HUB_ERR_API_INTERNAL: {
    kind: 'system',
    status: 500,
    message: 'Internal error; the incident id is {incident}',
  },
  HUB_ERR_API_CURSOR: {
    kind: 'data',
    status: 400,
    message: 'Invalid page cursor: {reason}',
  },
  HUB_ERR_API_NOT_ACCEPTABLE: {
    kind: 'data',
    status: 406,
    message: 'Cannot answer in {accept}; this resource offers {offered}',
  },
  HUB_ERR_AUTH_TOKEN: {
    kind: 'data',
    status: 401,
    message: 'Invalid bearer token: {reason}',
  },
  HUB_ERR_AUTH_DATA_SCOPE: {
    kind: 'data',
    status: 403,
    message: 'This credential may not act on {what}: its data scope is {scope}',
  },
  HUB_ERR_API_RATE_LIMITED: {
    kind: 'transient',
    status: 429,
    message: 'Too many requests: at most {max} per minute for this client; retry in {after} s',
  },
  HUB_ERR_REQUEST_INVALID: {
    kind: 'data',
    status: 422,
    message: 'The supply request is invalid ({count} problems); it was kept as dead letter {deadLetter}',
  },
  HUB_ERR_REQUEST_EXISTS: {
    kind: 'data',
    status: 409,
    message: 'Supply request {id} already exists; change its status with PATCH /v1/requests/{id}',
  },
  HUB_ERR_REQUEST_TRANSITION: {
    kind: 'data',
    status: 409,
    message: 'A supply request cannot go from {from} to {to}; allowed from {from}: {allowed}',
  },
  HUB_ERR_DEAD_LETTER_NOT_REPLAYABLE: {
    kind: 'data',
    status: 409,
    message: 'Dead letter {id} cannot be replayed: {reason}',
  },
  HUB_ERR_WAREHOUSE_UNAVAILABLE: {
    kind: 'transient',
    status: 503,
    message: 'The {engine} warehouse is unavailable: {reason}',
  },
  HUB_ERR_WAREHOUSE_QUERY: {
    kind: 'system',
    status: 500,
    message: 'A {engine} warehouse query failed',
  },
  HUB_ERR_WAREHOUSE_MIGRATION: {
    kind: 'system',
    status: 500,
    message: 'Migration {name} failed on {engine}: {reason}',
  },
  HUB_ERR_WAREHOUSE_CLOSED: {
    kind: 'system',
    status: 500,
    message: 'The {engine} warehouse is not open: init() was not called, or close() was',
  },
  HUB_ERR_SQL_LITERAL: {
    kind: 'data',
    status: 400,
    message: 'Value cannot be written as a SQL literal: {reason}',
  },
  HUB_ERR_KPI_REQUEST: {
    kind: 'data',
    status: 400,
    message: 'KPI {name} cannot be computed as asked: {reason}',
  },
  HUB_ERR_STREAM_UNAVAILABLE: {
    kind: 'transient',
    status: 503,
    message: 'The Kafka stream is unavailable: {reason}',
  },
  HUB_ERR_STREAM_DELIVERY: {
    kind: 'transient',
    status: 503,
    message: 'Kafka did not acknowledge {count} message(s): {reason}',
  },
  HUB_ERR_STREAM_DECODE: {
    kind: 'data',
    status: 422,
    message: 'Kafka message {topic}/{partition}@{offset} cannot be decoded: {reason}',
  },
  HUB_ERR_STREAM_MESSAGE_TOO_LARGE: {
    kind: 'data',
    status: 413,
    message: 'A message for {topic} (key {key}, {bytes} bytes) is larger than Kafka accepts',
  },
  HUB_ERR_STREAM_STATE: {
    kind: 'system',
    status: 500,
    message: 'Could not save the state of {connector}/{stream} after delivery: {reason}',
  },
  HUB_ERR_CONNECTOR_UNKNOWN: {
    kind: 'config',
    status: 404,
    message: 'Unknown connector {name}; known connectors: {known}',
  },
  HUB_ERR_CONNECTOR_CONFIG: {
    kind: 'config',
    status: 400,
    message: 'Invalid config for connector {name}: {reason}',
  },
  HUB_ERR_CONNECTOR_SOURCE: {
    kind: 'transient',
    status: 502,
    message: 'Connector {name} could not read its source: {reason}',
  },
  HUB_ERR_CONNECTOR_FAILURE_BUDGET: {
    kind: 'data',
    status: 422,
    message: 'Connector {name} exceeded its failure budget: {failed} of {total} records failed',
  },
  HUB_ERR_CONNECTOR_SOURCE_REFUSED: {
    kind: 'config',
    status: 502,
    message: 'Connector {name} was refused by its source: {reason}',
  },
  HUB_ERR_CONNECTOR_SOURCE_SCHEMA: {
    kind: 'config',
    status: 502,
    message: 'Connector {name} found its source without the expected tables or columns ({expected}): {reason}',
  },
  HUB_ERR_CONNECTOR_PROTOCOL: {
    kind: 'system',
    status: 500,
    message: 'Connector {name} broke the connector protocol: {reason}',
  },
  HUB_ERR_CONNECTOR_CRASHED: {
    kind: 'system',
    status: 500,
    message: 'Connector {name} failed: {reason}',
  },
  HUB_ERR_INGEST_NOT_PUSH: {
    kind: 'data',
    status: 404,
    message: 'Connector {name} does not accept pushed documents; push connectors: {known}',
  },
  HUB_ERR_INGEST_TOO_LARGE: {
    kind: 'data',
    status: 413,
    message: 'The document is larger than connector {name} accepts ({limit} bytes)',
  },
  HUB_ERR_INGEST_MEDIA_TYPE: {
    kind: 'data',
    status: 415,
    message: 'Connector {name} does not accept {mediaType}; send one of: {accepted}',
  },
  HUB_ERR_INGEST_DOCUMENT: {
    kind: 'data',
    status: 400,
    message: 'The document cannot be read by connector {name}: {reason}',
  },
  HUB_ERR_IDEMPOTENCY_KEY_REUSED: {
    kind: 'data',
    status: 422,
    message: 'Idempotency-Key {key} was already used for a different request',
  },
  HUB_ERR_IDEMPOTENCY_IN_PROGRESS: {
    kind: 'transient',
    status: 409,
    message: 'A request with Idempotency-Key {key} is still being processed; retry later',
  },
  HUB_ERR_MAPPING_REQUIRED: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} is required to build a {resourceType}',
  },
  HUB_ERR_MAPPING_CODE_UNKNOWN: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} is {code}, which the hub cannot map; expected {expected}',
  },
  HUB_ERR_MAPPING_IDENTIFIER: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} is not a valid {scheme}: {value} ({reason})',
  },
  HUB_ERR_MAPPING_PRODUCT_UNKNOWN: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} names no product: {value} ({reason})',
  },
  HUB_ERR_MAPPING_LOCATION_UNKNOWN: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} names no location: {value} ({reason})',
  },
  HUB_ERR_MAPPING_DUPLICATE: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} repeats {key}, already read at {first} with different content',
  },
  HUB_ERR_MAPPING_UNSUPPORTED: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} cannot be mapped: {reason}',
  },
  HUB_ERR_EPCIS_SCHEMA: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} {reason} (GS1 EPCIS 2.0 JSON Schema)',
  },
  HUB_ERR_XML_UNSAFE: {
    kind: 'data',
    status: 422,
    message: 'XML document {document} is refused: its DOCTYPE holds {reason}; DTDs and entities are never processed',
  },
  HUB_ERR_XML_MALFORMED: {
    kind: 'data',
    status: 400,
    message: 'XML document {document} is not well-formed at line {line}, column {column}: {reason}',
  },
  HUB_ERR_XML_LIMIT: {
    kind: 'data',
    status: 413,
    message: 'XML document {document} exceeds the {limit} limit ({value} > {max})',
  },
  HUB_ERR_WEBHOOK_SIGNATURE: {
    kind: 'data',
    status: 401,
    message: 'Webhook refused: {reason}',
  },
  HUB_ERR_WEBHOOK_TIMESTAMP: {
    kind: 'data',
    status: 401,
    message:
      'Webhook {id} from partner {partner} refused: its timestamp {timestamp} is {skew} s {direction} the hub clock (at most {tolerance} s accepted)',
  },
  HUB_ERR_WEBHOOK_REPLAY: {
    kind: 'data',
    status: 409,
    message: 'Webhook {id} from partner {partner} was already received at {firstSeen}: a replayed delivery is refused',
  },
  HUB_ERR_MAPPING_VALUE: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} is {value}, which is not {expected}',
  },
  HUB_ERR_FILES_FORMULA_CELL: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} starts with {lead} like a spreadsheet formula; a text cell may not',
  },
  HUB_ERR_FILES_ENCODING: {
    kind: 'data',
    status: 422,
    message: '{record}: {pointer} is not valid {encoding} text',
  },
  HUB_ERR_FILES_TRUNCATED: {
    kind: 'data',
    status: 422,
    message: '{record}: the file ends inside this row ({reason})',
  },
  HUB_ERR_FILES_ROW_UNREADABLE: {
    kind: 'data',
    status: 422,
    message: '{record}: the row cannot be parsed: {reason}',
  },
  HUB_ERR_FILES_UNREADABLE: {
    kind: 'data',
    status: 400,
    message: 'File {file} cannot be read as {format}: {reason}',
  },
  HUB_ERR_FILES_COLUMNS_MISSING: {
    kind: 'data',
    status: 400,
    message: 'File {file} has no header row naming a column for {fields} in its first {rows} rows',
  },
  HUB_ERR_MODEL_UNKNOWN_RESOURCE: {
    kind: 'data',
    status: 400,
    message: 'Unknown resource type {resourceType}',
  },
  HUB_ERR_MODEL_SCHEMA: {
    kind: 'data',
    status: 422,
    message: '{pointer} {reason}',
  },
  HUB_ERR_MODEL_REQUIRED: {
    kind: 'data',
    status: 422,
    message: '{pointer} is required',
  },
  HUB_ERR_MODEL_UNKNOWN_FIELD: {
    kind: 'data',
    status: 422,
    message: '{pointer} is not a field of the model; partner-specific data goes under extension',
  },
  HUB_ERR_MODEL_QUANTITY_SIGN: {
    kind: 'data',
    status: 422,
    message: '{pointer} is {value} but must be {expected} {context}',
  },
  HUB_ERR_MODEL_UNIT_UNKNOWN: {
    kind: 'data',
    status: 422,
    message: '{pointer}: unknown unit {unit}; use a UN/ECE Recommendation 20 or UCUM code the model knows',
  },
  HUB_ERR_MODEL_UNIT_INCOMPATIBLE: {
    kind: 'data',
    status: 422,
    message: 'Cannot convert {from} ({fromDimension}) to {to} ({toDimension})',
  },
  HUB_ERR_MODEL_CHECK_DIGIT: {
    kind: 'data',
    status: 422,
    message: '{pointer}: {scheme} {value} has a wrong check digit (expected {expected})',
  },
  HUB_ERR_MODEL_TIMESTAMP_OFFSET: {
    kind: 'data',
    status: 422,
    message: '{pointer}: {value} is not an RFC 3339 date-time with an offset, such as 2023-09-08T23:11:00+01:00',
  },
  HUB_ERR_MODEL_DATE: {
    kind: 'data',
    status: 422,
    message: '{pointer}: {value} is not a calendar date YYYY-MM-DD',
  },
  HUB_ERR_MODEL_LOT_DATES: {
    kind: 'data',
    status: 422,
    message: '{pointer}: expiry {expiry} is not after the manufacture date {manufactured}',
  },
  HUB_ERR_MODEL_PERIOD: {
    kind: 'data',
    status: 422,
    message: '{pointer}: the period ends ({end}) before it starts ({start})',
  },
  HUB_ERR_MODEL_STATUS_REGRESSION: {
    kind: 'data',
    status: 422,
    message: '{pointer}: the status history goes backwards ({reason})',
  },
  HUB_ERR_MODEL_STATUS_CURRENT: {
    kind: 'data',
    status: 422,
    message: '{pointer}: status {status} is not the last status of the history ({last})',
  },
  HUB_ERR_MODEL_JSON: {
    kind: 'data',
    status: 400,
    message: 'Line {line} is not valid JSON: {reason}',
  },
  HUB_ERR_ENVELOPE_INVALID: {
    kind: 'data',
    status: 400,
    message: 'Invalid CloudEvent: {reason}',
  },
  HUB_ERR_DASHBOARDS_INVALID: {
    kind: 'config',
    status: 500,
    message: 'Invalid dashboard definition {source}: {reason}',
  },
  HUB_ERR_DASHBOARDS_UNAVAILABLE: {
    kind: 'transient',
    status: 503,
    message: 'Metabase at {url} is unreachable: {reason}',
  },
  HUB_ERR_DASHBOARDS_AUTH: {
    kind: 'config',
    status: 500,
    message: 'Metabase refused the login of {user}: check --user and --password',
  },
  HUB_ERR_DASHBOARDS_DATABASE: {
    kind: 'config',
    status: 500,
    message: 'Metabase has no database named {name} (it has: {found})',
  },
  HUB_ERR_DASHBOARDS_API: {
    kind: 'system',
    status: 502,
    message: 'Metabase answered {method} {path} with HTTP {status}',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * The user message of a catalogue entry, with its `{name}` placeholders filled from `params`
 * (a placeholder without a param stays as written). `HubError` messages and validation issues
 * both read this way.
 */
export function formatMessage(
  code: ErrorCode,
  params: Readonly<Record<string, string | number | boolean | null | undefined>>,
): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (whole, key: string) =>
    params[key] === undefined ? whole : String(params[key]),
  );
}
