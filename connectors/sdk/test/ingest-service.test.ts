import { beforeEach, describe, expect, it } from 'vitest';
import { HubError, isHubError } from '../../../core/errors/index.js';
import { deadLetterId } from '../../../core/lineage/index.js';
import type { CanonicalResource, IncomingDocument } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema, Message } from '../connector.js';
import { ConnectorBase, type Stream } from '../connector-base.js';
import type { DocumentConnector } from '../document.js';
import { acceptsMediaType, createIngestService, INGEST_DEFAULTS } from '../ingest-service.js';
import { connectorStatus, resetConnectorStatus } from '../runtime.js';
import { MemoryRecordSink } from '../testing/memory-sink.js';
import { ScriptedConnector } from './fixtures.js';

interface StockConfig {
  readonly api_token: string;
  readonly unit: string;
}

const SPEC: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    api_token: { type: 'string', default: 'tok-s3cr3t-value', 'x-secret': true },
    unit: { type: 'string', default: 'EA' },
  },
};

interface Row {
  ref?: string;
  warehouse?: string;
  product?: string;
  qty?: number;
  at?: string;
}

/**
 * A partner's JSON stock rows, pushed as one JSON array. Rows without a reference or a
 * quantity cannot be mapped (`invalid`); a receipt of a negative quantity maps, and core
 * refuses it. A `"boom"` body makes the mapping crash; a non-array is refused whole.
 */
class PartnerStock extends ConnectorBase<StockConfig> implements DocumentConnector<StockConfig> {
  readonly name = 'partner-stock';
  readonly maxDocumentBytes = 2_000;
  readonly acceptedMediaTypes = ['application/json', 'text/*'];
  protected readonly configSchema = SPEC;
  /** The configs `parseDocument` was called with. */
  readonly configs: unknown[] = [];

  protected async checkConnection(): Promise<CheckResult> {
    return { status: 'succeeded' };
  }

  protected streams(): readonly Stream<StockConfig>[] {
    return [{ name: 'stock_rows', resourceTypes: ['StockMovement'], primaryKey: ['id'], read: () => [] }];
  }

  *parseDocument(document: IncomingDocument, config: Partial<StockConfig>): Iterable<Message> {
    this.configs.push(config);
    const text = document.body.toString('utf8');
    if (text === 'boom') throw new Error(`upstream said no to token ${config.api_token}`);
    if (text === 'state') {
      yield { type: 'state', stream: 'stock_rows', state: { at: 1 } };
      return;
    }
    const rows = JSON.parse(text) as unknown;
    if (!Array.isArray(rows)) {
      throw new HubError('HUB_ERR_INGEST_DOCUMENT', { name: this.name, reason: 'the document is not a JSON array' });
    }
    yield { type: 'log', level: 'info', message: `${rows.length} rows` };
    for (const row of rows as Row[]) {
      if (row.ref === undefined || row.qty === undefined) {
        yield {
          type: 'invalid',
          stream: 'stock_rows',
          payload: row,
          errors: [{ pointer: '/qty', code: 'partner.missing', message: 'a row needs ref and qty' }],
          resourceType: 'StockMovement',
          ...(row.ref === undefined ? {} : { sourceId: row.ref }),
        };
        continue;
      }
      const data: CanonicalResource = {
        resourceType: 'StockMovement',
        id: `ps-${row.ref}`,
        movementType: 'receipt',
        occurredAt: row.at ?? '2025-03-01T09:00:00+01:00',
        location: { reference: `Location/${row.warehouse ?? 'souss-massa-wh1'}` },
        product: { reference: `Product/${row.product ?? 'p-water-5l'}` },
        quantity: { value: row.qty, unit: config.unit ?? 'EA' },
      };
      yield { type: 'record', stream: 'stock_rows', data, sourceId: row.ref, sourcePayload: row };
    }
  }
}

const ROWS: Row[] = [
  { ref: 'A1', qty: 120 },
  { ref: 'A2', qty: 40, warehouse: 'oriental-wh1' },
  { qty: 7 }, // no ref: cannot be mapped
  { ref: 'A4', qty: -5 }, // a receipt of -5: core refuses it
  { ref: 'A5', qty: 1 },
];

const doc = (body: string | Buffer, extra: Partial<IncomingDocument> = {}): IncomingDocument => ({
  body: typeof body === 'string' ? Buffer.from(body) : body,
  contentType: 'application/json',
  receivedAt: '2026-11-28T10:00:00.000Z',
  pushedBy: 'a1b2c3d4e5f6',
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHubError(err)) throw new Error(`expected a HubError, got ${String(err)}`);
  return err;
}

describe('createIngestService', () => {
  let sink: MemoryRecordSink;
  let connector: PartnerStock;
  let logs: string[];
  const service = () =>
    createIngestService({
      connectors: { [connector.name]: connector, scripted: new ScriptedConnector({ s: [] }) },
      sink,
      configFor: (name) => (name === 'partner-stock' ? { unit: 'EA' } : {}),
      retry: { minDelayMs: 1, maxDelayMs: 2 },
      onLog: (name, m) => logs.push(`${name}: ${m.message}`),
    });

  beforeEach(async () => {
    sink = new MemoryRecordSink();
    await sink.init();
    connector = new PartnerStock();
    logs = [];
    resetConnectorStatus();
  });

  it('lists only the connectors that accept documents, with their limits', () => {
    const s = service();
    expect(s.pushConnectors()).toEqual(['partner-stock']);
    expect(s.documentLimits('partner-stock')).toEqual({
      maxDocumentBytes: 2_000,
      acceptedMediaTypes: ['application/json', 'text/*'],
    });
    expect(s.documentLimits('scripted')).toBeUndefined();
    expect(s.documentLimits('nope')).toBeUndefined();
  });

  it('counts accepted and refused records, and makes them durable in one write without state', async () => {
    const result = await service().ingest('partner-stock', doc(JSON.stringify(ROWS)));
    expect(result).toEqual({
      connector: 'partner-stock',
      accepted: 3,
      rejected: 2,
      deadLettered: 2,
      deadLetterIds: sink.deadLetters.map(deadLetterId),
    });
    expect(result.deadLetterIds).toHaveLength(2);
    expect(sink.batches).toHaveLength(1);
    const [batch] = sink.batches;
    expect(batch).toMatchObject({ connector: 'partner-stock', stream: INGEST_DEFAULTS.stream, state: undefined });
    // Nothing lost: every row is a record or a dead letter.
    expect(sink.records.length + sink.deadLetters.length).toBe(ROWS.length);
    expect(sink.records.map((r) => r.id)).toEqual(['ps-A1', 'ps-A2', 'ps-A5']);
    expect(await sink.readState('partner-stock', 'push')).toBeUndefined();
    expect(logs).toEqual(['partner-stock: 5 rows']);
  });

  it('keeps each dead letter with its source payload and every reason', async () => {
    await service().ingest('partner-stock', doc(JSON.stringify(ROWS)));
    expect(sink.deadLetters).toEqual([
      {
        connector: 'partner-stock',
        stream: 'push',
        failedAt: '2026-11-28T10:00:00.000Z',
        resourceType: 'StockMovement',
        errors: [{ pointer: '/qty', code: 'partner.missing', message: 'a row needs ref and qty' }],
        payload: { qty: 7 },
      },
      {
        connector: 'partner-stock',
        stream: 'push',
        failedAt: '2026-11-28T10:00:00.000Z',
        sourceId: 'A4',
        resourceType: 'StockMovement',
        errors: [expect.objectContaining({ pointer: '/quantity/value', code: 'HUB_ERR_MODEL_QUANTITY_SIGN' })],
        payload: { ref: 'A4', qty: -5 },
      },
    ]);
  });

  it('stamps lineage with the pushing credential, the receive time and the source row hash', async () => {
    await service().ingest('partner-stock', doc(JSON.stringify(ROWS)));
    const lineage = sink.records[0]?.meta?.lineage;
    expect(lineage).toMatchObject({
      connector: 'partner-stock',
      sourceSystem: 'partner-stock/pushed-by/a1b2c3d4e5f6',
      sourceId: 'A1',
      ingestedAt: '2026-11-28T10:00:00.000Z',
    });
    expect(lineage?.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await service().ingest('partner-stock', doc(JSON.stringify(ROWS), { pushedBy: undefined }));
    expect(again.accepted).toBe(3);
    expect(sink.records[3]?.meta?.lineage?.sourceSystem).toBe('partner-stock');
  });

  it('gives the same dead-letter ids when the same document is pushed again later', async () => {
    const first = await service().ingest('partner-stock', doc(JSON.stringify(ROWS)));
    const second = await service().ingest(
      'partner-stock',
      doc(JSON.stringify(ROWS), { receivedAt: '2026-11-29T08:00:00.000Z' }),
    );
    expect(second.deadLetterIds).toEqual(first.deadLetterIds);
  });

  it("passes the connector's config, with its spec's defaults, to parseDocument", async () => {
    await service().ingest('partner-stock', doc('[]'));
    expect(connector.configs).toEqual([{ api_token: 'tok-s3cr3t-value', unit: 'EA' }]);
    const bad = createIngestService({ connectors: { 'partner-stock': connector }, sink, configFor: () => ({ x: 1 }) });
    expect((await rejection(bad.ingest('partner-stock', doc('[]')))).code).toBe('HUB_ERR_CONNECTOR_CONFIG');
  });

  it('writes nothing for a document without records', async () => {
    expect(await service().ingest('partner-stock', doc('[]'))).toEqual({
      connector: 'partner-stock',
      accepted: 0,
      rejected: 0,
      deadLettered: 0,
      deadLetterIds: [],
    });
    expect(sink.batches).toEqual([]);
  });

  it('refuses an unknown or pull-only connector with a 404 code listing the push connectors', async () => {
    const unknown = await rejection(service().ingest('nope', doc('[]')));
    expect(unknown).toMatchObject({ code: 'HUB_ERR_CONNECTOR_UNKNOWN', status: 404 });
    expect(unknown.message).toBe('Unknown connector nope; known connectors: partner-stock');
    const pull = await rejection(service().ingest('scripted', doc('[]')));
    expect(pull).toMatchObject({ code: 'HUB_ERR_INGEST_NOT_PUSH', status: 404 });
    expect(pull.message).toBe('Connector scripted does not accept pushed documents; push connectors: partner-stock');
    // Own properties only: no prototype member passes for a connector.
    expect((await rejection(service().ingest('toString', doc('[]')))).code).toBe('HUB_ERR_CONNECTOR_UNKNOWN');
  });

  it('refuses a document over the connector limit (413) or of a media type it does not read (415)', async () => {
    const big = await rejection(service().ingest('partner-stock', doc(Buffer.alloc(2_001, 0x20))));
    expect(big).toMatchObject({ code: 'HUB_ERR_INGEST_TOO_LARGE', status: 413 });
    const xml = await rejection(service().ingest('partner-stock', doc('[]', { contentType: 'application/xml' })));
    expect(xml).toMatchObject({ code: 'HUB_ERR_INGEST_MEDIA_TYPE', status: 415 });
    expect(xml.message).toBe(
      'Connector partner-stock does not accept application/xml; send one of: application/json, text/*',
    );
    for (const contentType of ['application/json; charset=utf-8', 'Text/CSV', undefined]) {
      expect((await service().ingest('partner-stock', doc('[]', { contentType }))).accepted).toBe(0);
    }
    expect(sink.batches).toEqual([]);
  });

  it("propagates a document-level HubError as the connector's own, writing nothing", async () => {
    const err = await rejection(service().ingest('partner-stock', doc('{"not":"an array"}')));
    expect(err).toMatchObject({ code: 'HUB_ERR_INGEST_DOCUMENT', status: 400 });
    expect(sink.batches).toEqual([]);
  });

  it('turns a crash of the mapping into HUB_ERR_CONNECTOR_CRASHED without the secret', async () => {
    const err = await rejection(service().ingest('partner-stock', doc('boom')));
    expect(err.code).toBe('HUB_ERR_CONNECTOR_CRASHED');
    expect(err.message).not.toContain('tok-s3cr3t-value');
    expect(err.detail).not.toContain('tok-s3cr3t-value');
    expect(sink.batches).toEqual([]);
  });

  it('refuses a state message: a push has no cursor', async () => {
    expect((await rejection(service().ingest('partner-stock', doc('state')))).code).toBe('HUB_ERR_CONNECTOR_PROTOCOL');
  });

  it('retries a transient sink failure with the same batch, and gives up on a fatal one', async () => {
    sink.failNextWrites(new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'duckdb', reason: 'locked' }));
    expect((await service().ingest('partner-stock', doc(JSON.stringify(ROWS)))).accepted).toBe(3);
    expect(sink.batches).toHaveLength(1);

    sink.failNextWrites(new HubError('HUB_ERR_WAREHOUSE_QUERY', { engine: 'duckdb' }));
    expect((await rejection(service().ingest('partner-stock', doc(JSON.stringify(ROWS))))).code).toBe(
      'HUB_ERR_WAREHOUSE_QUERY',
    );
    expect(sink.batches).toHaveLength(1);
  });

  it("shows a push connector's last durable write in connectorStatus", async () => {
    await service().ingest('partner-stock', doc(JSON.stringify(ROWS)));
    expect(connectorStatus()['partner-stock']).toMatchObject({ runs: 0, lastCommitAt: expect.any(String) });
  });
});

describe('acceptsMediaType', () => {
  it('matches the essence of the media type, case-insensitively, with wildcards', () => {
    expect(acceptsMediaType(['application/ld+json'], 'application/ld+json; charset=utf-8')).toBe(true);
    expect(acceptsMediaType(['text/*'], 'text/csv')).toBe(true);
    expect(acceptsMediaType(['*/*'], 'application/octet-stream')).toBe(true);
    expect(acceptsMediaType(['text/csv'], 'text/plain')).toBe(false);
    expect(acceptsMediaType(['application/*'], 'text/csv')).toBe(false);
  });
});
