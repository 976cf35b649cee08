import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHubError, validateResource } from '../../../core/index.js';
import type { IncomingDocument } from '../../../core/ports/index.js';
import type { Message } from '../../sdk/connector.js';
import { createIngestService } from '../../sdk/ingest-service.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { ReplayCache, signature, signDelivery, type WebhookConfig, WebhookConnector } from '../src/index.js';
import { PARTNERS } from './fixtures/partners.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const CONFIG: Partial<WebhookConfig> = { partners: PARTNERS.map((p) => ({ ...p })) };
const CRM = PARTNERS[0];
const NOW = Date.parse('2025-03-01T10:00:00Z');
const T = Math.floor(NOW / 1000);

const request = {
  resourceType: 'SupplyRequest',
  id: 'req-crm-sm-2025-0031',
  status: 'active',
  priority: 'asap',
  requester: { reference: 'Organization/crm-souss-massa' },
  deliverTo: { reference: 'Location/souss-massa-ds2' },
  authoredOn: '2025-03-01T10:55:00+01:00',
  lines: [{ product: { reference: 'Product/shelter-family-tent-16-m' }, quantity: { value: 40, unit: 'EA' } }],
};

function delivery(
  body: unknown,
  options: { id?: string; ts?: number; receivedAt?: number; headers?: Record<string, string>; raw?: string } = {},
): IncomingDocument {
  const text = options.raw ?? JSON.stringify(body);
  const headers = signDelivery({
    partner: CRM.id,
    secret: CRM.secret,
    id: options.id ?? 'msg_test_0001',
    timestamp: options.ts ?? T,
    body: text,
  });
  return {
    body: Buffer.from(text),
    contentType: 'application/json',
    headers: { ...headers, ...options.headers },
    receivedAt: new Date(options.receivedAt ?? NOW).toISOString(),
  };
}

function refusal(fn: () => unknown): { code: string; kind: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (isHubError(err)) return { code: err.code, kind: err.kind, status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a HubError');
}

describe('webhook: signatures', () => {
  it('accepts a good signature and stamps the lineage with the partner', () => {
    const hook = new WebhookConnector();
    const [m] = [...hook.parseDocument(delivery({ resources: [request] }), CONFIG)] as Message[];
    expect(m).toMatchObject({
      type: 'record',
      stream: 'deliveries',
      sourceId: 'crm-souss-massa/msg_test_0001#/resources/0',
      data: {
        id: 'req-crm-sm-2025-0031',
        meta: {
          lineage: {
            connector: 'webhook',
            sourceSystem: 'webhook:crm-souss-massa',
            sourceId: 'crm-souss-massa/msg_test_0001#/resources/0',
            ingestedAt: '2025-03-01T10:00:00.000Z',
          },
        },
      },
    });
    expect(validateResource((m as { data: unknown }).data).valid).toBe(true);
  });

  it('accepts a Standard Webhooks key rotation: any matching v1 signature', () => {
    const doc = delivery(request);
    const headers = { ...doc.headers, 'webhook-signature': `v1,AAAA ${doc.headers?.['webhook-signature']}` };
    expect([...new WebhookConnector().parseDocument({ ...doc, headers }, CONFIG)]).toHaveLength(1);
  });

  it('refuses a bad signature (wrong secret) and a tampered body, naming the partner, not the secret', () => {
    const wrong = delivery(request);
    const forged = signDelivery({
      partner: CRM.id,
      secret: 'an-attacker-guess-of-the-secret',
      id: 'x',
      timestamp: T,
      body: '{}',
    });
    const bad = refusal(() =>
      new WebhookConnector().parseDocument(
        { ...wrong, headers: { ...wrong.headers, 'webhook-signature': forged['webhook-signature'] as string } },
        CONFIG,
      ),
    );
    expect(bad).toMatchObject({ code: 'HUB_ERR_WEBHOOK_SIGNATURE', kind: 'data', status: 401 });
    expect(bad.message).toContain('from partner crm-souss-massa matches its body');
    expect(bad.message).not.toContain(CRM.secret);

    const signed = delivery(request);
    const tampered = { ...signed, body: Buffer.from(signed.body.toString().replace('"value":40', '"value":4000')) };
    expect(refusal(() => new WebhookConnector().parseDocument(tampered, CONFIG)).code).toBe(
      'HUB_ERR_WEBHOOK_SIGNATURE',
    );
  });

  it('refuses a stale timestamp and one too far in the future, and accepts skew within 5 minutes', () => {
    const stale = refusal(() => new WebhookConnector().parseDocument(delivery(request, { ts: T - 301 }), CONFIG));
    expect(stale).toMatchObject({ code: 'HUB_ERR_WEBHOOK_TIMESTAMP', status: 401 });
    expect(stale.message).toContain('is 301 s behind the hub clock (at most 300 s accepted)');
    const future = refusal(() => new WebhookConnector().parseDocument(delivery(request, { ts: T + 400 }), CONFIG));
    expect(future.message).toContain('is 400 s ahead of the hub clock');
    expect([...new WebhookConnector().parseDocument(delivery(request, { ts: T + 290 }), CONFIG)]).toHaveLength(1);
    expect([...new WebhookConnector().parseDocument(delivery(request, { ts: T - 290 }), CONFIG)]).toHaveLength(1);
  });

  it('refuses a replay within the window, and accepts a released delivery again', () => {
    const hook = new WebhookConnector();
    const doc = delivery(request, { id: 'msg_once' });
    expect([...hook.parseDocument(doc, CONFIG)]).toHaveLength(1);
    const again = refusal(() =>
      hook.parseDocument({ ...doc, receivedAt: new Date(NOW + 60_000).toISOString() }, CONFIG),
    );
    expect(again).toMatchObject({ code: 'HUB_ERR_WEBHOOK_REPLAY', status: 409 });
    expect(again.message).toBe(
      'Webhook msg_once from partner crm-souss-massa was already received at 2025-03-01T10:00:00.000Z: a replayed delivery is refused',
    );
    // The same id resent after the window is stale anyway.
    expect(
      refusal(() => hook.parseDocument({ ...doc, receivedAt: new Date(NOW + 301_000).toISOString() }, CONFIG)).code,
    ).toBe('HUB_ERR_WEBHOOK_TIMESTAMP');
    // A caller whose write failed releases the delivery: the partner's retry is accepted.
    expect(hook.releaseDelivery('crm-souss-massa', 'msg_once')).toBe(true);
    expect([...hook.parseDocument(doc, CONFIG)]).toHaveLength(1);
  });

  it('refuses missing headers and an unknown partner', () => {
    const doc = delivery(request);
    const { 'webhook-signature': _s, 'webhook-timestamp': _t, ...rest } = doc.headers as Record<string, string>;
    const missing = refusal(() => new WebhookConnector().parseDocument({ ...doc, headers: rest }, CONFIG));
    expect(missing.message).toBe('Webhook refused: the headers webhook-timestamp, webhook-signature are missing');
    const unknown = refusal(() =>
      new WebhookConnector().parseDocument({ ...doc, headers: { ...doc.headers, 'x-hub-partner': 'intrus' } }, CONFIG),
    );
    expect(unknown.message).toBe('Webhook refused: no partner intrus is configured');
  });

  it('refuses an oversized body before checking anything else', () => {
    const big = delivery({ resources: Array.from({ length: 2000 }, () => request) });
    const err = refusal(() => new WebhookConnector().parseDocument(big, { ...CONFIG, max_document_bytes: 100_000 }));
    expect(err).toMatchObject({ code: 'HUB_ERR_INGEST_TOO_LARGE', status: 413 });
  });

  it('refuses a body that is not JSON resources, naming why', () => {
    expect(
      refusal(() => new WebhookConnector().parseDocument(delivery(null, { raw: '{"resources": [' }), CONFIG)).message,
    ).toContain('the body is not JSON');
    expect(refusal(() => new WebhookConnector().parseDocument(delivery({ hello: 'world' }), CONFIG)).message).toContain(
      'neither a canonical resource, an array of them, nor { "resources": [ … ] }',
    );
  });
});

describe('webhook: push through the ingest service', () => {
  it('writes a signed delivery once: its replay is refused and nothing doubles', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const hook = new WebhookConnector();
    const ingest = createIngestService({ connectors: { webhook: hook }, sink, configFor: () => CONFIG });
    const doc = delivery({ resources: [request] }, { id: 'msg_ingest' });
    expect(await ingest.ingest('webhook', doc)).toMatchObject({ accepted: 1, rejected: 0 });
    await expect(ingest.ingest('webhook', doc)).rejects.toMatchObject({ code: 'HUB_ERR_WEBHOOK_REPLAY', status: 409 });
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]?.meta?.lineage?.sourceSystem).toBe('webhook:crm-souss-massa');
  });

  it("accepts the partner's retry when the first delivery could not be stored", async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const hook = new WebhookConnector();
    const ingest = createIngestService({
      connectors: { webhook: hook },
      sink,
      configFor: () => CONFIG,
      retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
    });
    const doc = delivery({ resources: [request] }, { id: 'msg_failed_write' });
    sink.failNextWrites(new Error('disk full'));
    await expect(ingest.ingest('webhook', doc)).rejects.toBeTruthy();
    expect(sink.records).toHaveLength(0);
    // Not a replay: nothing of the first attempt is stored.
    expect(await ingest.ingest('webhook', doc)).toMatchObject({ accepted: 1 });
    expect(sink.records).toHaveLength(1);
  });
});

describe('webhook: records', () => {
  it('dead-letters bad records with their index and field, keeps the good ones, and binds partners to their data', () => {
    const other = { ...request, id: 'req-x', requester: { reference: 'Organization/org-unicef' } };
    const negative = {
      ...request,
      id: 'req-neg',
      lines: [{ ...request.lines[0], quantity: { value: -3, unit: 'EA' } }],
    };
    const msgs = [
      ...new WebhookConnector().parseDocument(delivery([request, negative, other, 42]), CONFIG),
    ] as Message[];
    expect(msgs.map((m) => m.type)).toEqual(['record', 'invalid', 'invalid', 'invalid']);
    expect(msgs[1]).toMatchObject({
      sourceId: 'crm-souss-massa/msg_test_0001#/1',
      payload: negative,
      errors: [{ pointer: '/1/lines/0/quantity/value', code: 'HUB_ERR_MODEL_QUANTITY_SIGN' }],
    });
    expect(msgs[2]).toMatchObject({ errors: [{ pointer: '/2/requester', code: 'HUB_ERR_MAPPING_UNSUPPORTED' }] });
    expect(msgs[3]).toMatchObject({ payload: 42, errors: [{ pointer: '/3', code: 'HUB_ERR_MODEL_SCHEMA' }] });
  });

  it('reads a repeated resource once, and refuses one that repeats with other content', () => {
    const changed = { ...request, priority: 'stat' };
    const msgs = [...new WebhookConnector().parseDocument(delivery([request, request, changed]), CONFIG)] as Message[];
    expect(msgs.map((m) => m.type)).toEqual(['record', 'log', 'invalid']);
    expect(msgs[2]).toMatchObject({ errors: [{ code: 'HUB_ERR_MAPPING_DUPLICATE', pointer: '/2/id' }] });
  });

  it('replaces a lineage the partner wrote itself', () => {
    const lying = {
      ...request,
      meta: {
        versionId: '7',
        lineage: {
          connector: 'ledger',
          sourceSystem: 'x',
          sourceId: 'y',
          ingestedAt: '2020-01-01T00:00:00Z',
          sourceHash: `sha256:${'0'.repeat(64)}`,
        },
      },
    };
    const [m] = [...new WebhookConnector().parseDocument(delivery(lying), CONFIG)] as Message[];
    expect(m).toMatchObject({
      type: 'record',
      data: { meta: { versionId: '7', lineage: { connector: 'webhook', sourceSystem: 'webhook:crm-souss-massa' } } },
    });
  });
});

describe('webhook: spool (pull form)', () => {
  it('reads bad deliveries as dead letters, one per refused file or record, without stopping', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const run = await runConnector({
      connector: new WebhookConnector(),
      config: { ...CONFIG, dir: join(FIXTURES, 'bad-spool') },
      sink,
      failureBudget: false,
    });
    expect(run.status).toBe('succeeded');
    expect(sink.deadLetters.map((d) => `${d.sourceId} ${d.errors[0]?.code}`)).toEqual([
      'a-tampered-body.json HUB_ERR_WEBHOOK_SIGNATURE',
      'b-stale.json HUB_ERR_WEBHOOK_TIMESTAMP',
      'd-replay-again.json HUB_ERR_WEBHOOK_REPLAY',
      'e-missing-headers.json HUB_ERR_WEBHOOK_SIGNATURE',
      'unicef-maroc/unicef-2024-09-08-0043#/1 HUB_ERR_MODEL_QUANTITY_SIGN',
      'unicef-maroc/unicef-2024-09-08-0043#/2 HUB_ERR_AUTH_FORBIDDEN',
    ]);
    // The first of the replayed pair and the good snapshot are records.
    expect(sink.records.map((r) => r.id)).toEqual(['req-crm-sm-2024-0112', 'unicef-snap-2024-09-08-sm-wh2-jerrycan']);
  });

  it('passes the conformance kit on a spool of good deliveries', async () => {
    const report = await runConformance(new WebhookConnector(), { ...CONFIG, dir: join(FIXTURES, 'spool') });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('4 records');
  });

  it('has spool fixtures signed with the test partners’ secrets (make-spool.ts)', () => {
    for (const f of readdirSync(join(FIXTURES, 'spool'))) {
      const { headers, body } = JSON.parse(readFileSync(join(FIXTURES, 'spool', f), 'utf8'));
      const partner = PARTNERS.find((p) => p.id === headers['x-hub-partner']);
      expect(headers['webhook-signature'], f).toBe(
        `v1,${signature(partner?.secret ?? '', headers['webhook-id'], headers['webhook-timestamp'], body)}`,
      );
    }
  });
});

describe('webhook: replay cache', () => {
  it('forgets entries at expiry and the oldest past capacity', () => {
    const cache = new ReplayCache(2);
    cache.remember('a', 0, 1000);
    cache.remember('b', 10, 1000);
    expect(cache.seen('a', 500)).toBe(0);
    cache.remember('c', 20, 1000);
    expect([cache.seen('a', 500), cache.seen('b', 500), cache.seen('c', 500)]).toEqual([undefined, 10, 20]);
    expect(cache.seen('b', 1000)).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});
