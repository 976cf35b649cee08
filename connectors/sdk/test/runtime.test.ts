import { beforeEach, describe, expect, it } from 'vitest';
import { HubError } from '../../../core/errors/index.js';
import { sourceHash } from '../../../core/index.js';
import { recordsDeadLettered, recordsIn, recordsOut } from '../../../core/observability/metrics.js';
import type { SinkBatch } from '../../../core/ports/index.js';
import { connectorStatus, resetConnectorStatus, runConnector } from '../runtime.js';
import { MemoryRecordSink } from '../testing/memory-sink.js';
import { badLocation, location, ScriptedConnector, type Step } from './fixtures.js';

const config = { token: 's3cr3t-token' };
const fast = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };
const checkpoint: Step = { checkpoint: true };
const rec = (n: number): Step => ({ record: location(n) });

async function counter(c: typeof recordsIn, connector: string, stream: string): Promise<number> {
  const m = await c.get();
  return m.values.find((v) => v.labels.connector === connector && v.labels.stream === stream)?.value ?? 0;
}

beforeEach(() => resetConnectorStatus());

describe('runConnector', () => {
  it('writes records with their lineage and commits the state with them', async () => {
    const payload = { row: 1, raw: 'as the source gave it' };
    const c = new ScriptedConnector({
      sites: [{ record: location(1), payload }, rec(2), checkpoint, rec(3), checkpoint],
    });
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: c, config, sink });

    expect(report).toMatchObject({
      connector: 'scripted',
      status: 'succeeded',
      recordsIn: 3,
      recordsOut: 3,
      deadLettered: 0,
      checkpoints: 2,
    });
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1', 'test-site-2', 'test-site-3']);
    expect(await sink.readState('scripted', 'sites')).toEqual({ step: 5 });
    const lineage = sink.records[0]?.meta?.lineage;
    expect(lineage).toMatchObject({ connector: 'scripted', sourceSystem: 'scripted', sourceId: 'test-site-1' });
    expect(lineage?.sourceHash).toBe(sourceHash(payload));
    expect(lineage?.ingestedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    // Without a source payload, the record as the connector gave it is what is hashed.
    expect(sink.records[1]?.meta?.lineage?.sourceHash).toBe(sourceHash(location(2)));
  });

  it('dead-letters refused records with their payload and reasons, and loses nothing else of the batch', async () => {
    const rawLine = 'souss-massa-wh1;;12,5;KGM';
    const badPayload = { source: 'row 7', name: null };
    const c = new ScriptedConnector({
      sites: [
        rec(1),
        rec(2),
        { record: badLocation(7), payload: badPayload },
        rec(3),
        { invalid: rawLine },
        rec(4),
        checkpoint,
      ],
    });
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: c, config, sink, failureBudget: false });

    expect(report).toMatchObject({ status: 'succeeded', recordsIn: 6, recordsOut: 4, deadLettered: 2 });
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1', 'test-site-2', 'test-site-3', 'test-site-4']);
    expect(sink.batches).toHaveLength(1);
    const [refused, unparsable] = sink.deadLetters;
    expect(refused).toMatchObject({
      connector: 'scripted',
      stream: 'sites',
      sourceId: 'bad-site-7',
      resourceType: 'Location',
      payload: badPayload,
    });
    expect(refused?.errors.map((e) => e.pointer)).toContain('/name');
    expect(refused?.errors.every((e) => e.code.startsWith('HUB_ERR_MODEL_') && e.message.length > 0)).toBe(true);
    expect(unparsable).toMatchObject({ payload: rawLine, errors: [{ code: 'unparsable' }] });
    expect(Date.parse(unparsable?.failedAt ?? '')).not.toBeNaN();
  });

  it('never hands the sink a state ahead of the records before it, however the batches split', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 23; i++) steps.push(rec(i), ...(i % 7 === 6 ? [checkpoint] : []));
    steps.push(checkpoint);
    const sink = new MemoryRecordSink();
    await runConnector({ connector: new ScriptedConnector({ sites: steps }), config, sink, batchSize: 2 });

    let durable = 0;
    for (const b of sink.batches) {
      durable += b.records.length;
      if (b.state !== undefined) {
        // The records before checkpoint `step` are exactly those of script positions < step.
        const before = steps.slice(0, (b.state as { step: number }).step).filter((s) => 'record' in s).length;
        expect(durable).toBe(before);
      } else {
        expect(b.records.length).toBe(2); // a full batch, flushed early, without moving the state
      }
    }
    expect(durable).toBe(23);
  });

  it('commits no state when the write that carries it fails', async () => {
    const c = new ScriptedConnector({ sites: [rec(1), checkpoint, rec(2), checkpoint, rec(3), checkpoint] });
    const sink = new MemoryRecordSink();
    let writes = 0;
    const inner = sink.write.bind(sink);
    sink.write = async (batch: SinkBatch) => {
      if (++writes === 2) throw new HubError('HUB_ERR_WAREHOUSE_QUERY', { engine: 'memory' });
      return inner(batch);
    };
    const report = await runConnector({ connector: c, config, sink, retry: fast });

    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('HUB_ERR_WAREHOUSE_QUERY');
    expect(report.retries).toBe(0); // a system error is not retried
    expect(await sink.readState('scripted', 'sites')).toEqual({ step: 2 });
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1']);
  });

  it('reads and admits the next batch while the previous one is written, keeping the order', async () => {
    // Each source payload says when it is hashed, i.e. admitted.
    const admitted: number[] = [];
    const tracked = (n: number): Step => ({
      record: location(n),
      payload: {
        get row() {
          admitted.push(n);
          return n;
        },
      },
    });
    const c = new ScriptedConnector({ sites: [tracked(1), tracked(2), tracked(3), tracked(4), checkpoint] });
    const sink = new MemoryRecordSink();
    const inner = sink.write.bind(sink);
    const seenDuringFirstWrite: number[][] = [];
    let writes = 0;
    sink.write = async (batch: SinkBatch) => {
      if (++writes === 1) {
        // Hold the first write until record 3 (next batch) has been admitted, or 2 s.
        const until = Date.now() + 2000;
        while (!admitted.includes(3) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        seenDuringFirstWrite.push([...admitted]);
      }
      return inner(batch);
    };
    const report = await runConnector({ connector: c, config, sink, batchSize: 2 });

    expect(report).toMatchObject({ status: 'succeeded', recordsOut: 4, checkpoints: 1 });
    expect(seenDuringFirstWrite[0]).toContain(3);
    expect(sink.batches.map((b) => b.records.map((r) => r.id))).toEqual([
      ['test-site-1', 'test-site-2'],
      ['test-site-3', 'test-site-4'],
      [],
    ]);
    expect(sink.batches.map((b) => b.state)).toEqual([undefined, undefined, { step: 5 }]);
  });

  it('fails on a write that fails while the next batch is read, and commits nothing after it', async () => {
    const c = new ScriptedConnector({ sites: [rec(1), rec(2), rec(3), rec(4), checkpoint, rec(5), checkpoint] });
    const sink = new MemoryRecordSink();
    const inner = sink.write.bind(sink);
    let writes = 0;
    sink.write = async (batch: SinkBatch) => {
      if (++writes === 1) {
        await new Promise((r) => setTimeout(r, 20));
        throw new HubError('HUB_ERR_WAREHOUSE_QUERY', { engine: 'memory' });
      }
      return inner(batch);
    };
    const report = await runConnector({ connector: c, config, sink, batchSize: 2, retry: fast });

    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('HUB_ERR_WAREHOUSE_QUERY');
    expect(writes).toBe(1);
    expect(sink.batches).toHaveLength(0);
    expect(await sink.readState('scripted', 'sites')).toBeUndefined();
  });

  it('retries a transient sink failure with the same batch', async () => {
    const sink = new MemoryRecordSink();
    sink.failNextWrites(
      new HubError('HUB_ERR_WAREHOUSE_UNAVAILABLE', { engine: 'memory', reason: 'busy' }),
      new HubError('HUB_ERR_STREAM_DELIVERY', { count: 2, reason: 'timeout' }),
    );
    const c = new ScriptedConnector({ sites: [rec(1), rec(2), checkpoint] });
    const report = await runConnector({ connector: c, config, sink, retry: fast });

    expect(report).toMatchObject({ status: 'succeeded', retries: 2, recordsOut: 2 });
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1', 'test-site-2']);
    expect(connectorStatus().scripted?.errorCount).toBe(2);
  });

  it('restarts a read that failed transiently from the last committed state, repeating nothing', async () => {
    const transient = new HubError('HUB_ERR_CONNECTOR_SOURCE', { name: 'scripted', reason: 'connection reset' });
    const c = new ScriptedConnector({
      sites: [rec(1), checkpoint, rec(2), { fail: transient, times: 2 }, rec(3), checkpoint],
    });
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: c, config, sink, retry: fast });

    expect(report).toMatchObject({ status: 'succeeded', retries: 2, recordsOut: 3 });
    expect(c.reads.get('sites')).toBe(3);
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1', 'test-site-2', 'test-site-3']);
  });

  it('gives up after the retry budget', async () => {
    const transient = new HubError('HUB_ERR_CONNECTOR_SOURCE', { name: 'scripted', reason: 'down' });
    const c = new ScriptedConnector({ sites: [rec(1), { fail: transient, times: 99 }] });
    const report = await runConnector({
      connector: c,
      config,
      sink: new MemoryRecordSink(),
      retry: { ...fast, retries: 2 },
    });

    expect(report).toMatchObject({
      status: 'failed',
      retries: 2,
      error: { code: 'HUB_ERR_CONNECTOR_SOURCE', kind: 'transient' },
    });
    expect(c.reads.get('sites')).toBe(3);
  });

  it('stops at once on a config error: an invalid config, or a source refusing the access', async () => {
    const c = new ScriptedConnector({ sites: [rec(1), checkpoint] });
    const sink = new MemoryRecordSink();
    const bad = await runConnector({ connector: c, config: { token: '', label: 7 } as never, sink, retry: fast });
    expect(bad).toMatchObject({
      status: 'failed',
      retries: 0,
      error: { code: 'HUB_ERR_CONNECTOR_CONFIG', kind: 'config' },
    });
    expect(bad.error?.message).toContain('token');
    expect(c.reads.size).toBe(0);
    expect(sink.batches).toHaveLength(0);

    const refused = new HubError('HUB_ERR_CONNECTOR_SOURCE_REFUSED', { name: 'scripted', reason: 'permission denied' });
    const c2 = new ScriptedConnector({ sites: [rec(1), { fail: refused, times: 99 }] });
    const r2 = await runConnector({ connector: c2, config, sink, retry: fast });
    expect(r2).toMatchObject({ status: 'failed', retries: 0, error: { code: 'HUB_ERR_CONNECTOR_SOURCE_REFUSED' } });
    expect(c2.reads.get('sites')).toBe(1);
  });

  it('fails past the failure budget (fraction), after committing what was read', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 40; i++)
      steps.push(i % 2 === 0 ? rec(i) : { invalid: `line ${i}` }, ...(i % 10 === 9 ? [checkpoint] : []));
    const sink = new MemoryRecordSink();
    const report = await runConnector({
      connector: new ScriptedConnector({ sites: steps }),
      config,
      sink,
      failureBudget: { maxFraction: 0.25, minSample: 20 },
    });

    expect(report).toMatchObject({
      status: 'failed',
      error: { code: 'HUB_ERR_CONNECTOR_FAILURE_BUDGET', kind: 'data' },
    });
    // Judged at the second checkpoint (20 read): both batches are durable, the rest is not read.
    expect(report).toMatchObject({ recordsIn: 20, recordsOut: 10, deadLettered: 10 });
    expect(sink.records).toHaveLength(10);
    expect(sink.deadLetters).toHaveLength(10);
    expect(await sink.readState('scripted', 'sites')).toEqual({ step: 22 });
  });

  it('fails past the failure budget (count) at once, keeping the valid records read so far', async () => {
    const steps: Step[] = [rec(1), { invalid: 'a' }, rec(2), { invalid: 'b' }, { invalid: 'c' }, rec(3), checkpoint];
    const sink = new MemoryRecordSink();
    const report = await runConnector({
      connector: new ScriptedConnector({ sites: steps }),
      config,
      sink,
      failureBudget: { maxCount: 2 },
    });

    expect(report).toMatchObject({ status: 'failed', error: { code: 'HUB_ERR_CONNECTOR_FAILURE_BUDGET' } });
    expect(report.error?.message).toContain('3 of 5');
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-1', 'test-site-2']);
    expect(sink.deadLetters.map((d) => d.payload)).toEqual(['a', 'b', 'c']);
    expect(await sink.readState('scripted', 'sites')).toBeUndefined();
  });

  it('judges the fraction at the end of a short run too', async () => {
    const report = await runConnector({
      connector: new ScriptedConnector({ sites: [rec(1), { invalid: 'x' }, checkpoint] }),
      config,
      sink: new MemoryRecordSink(),
    });
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('HUB_ERR_CONNECTOR_FAILURE_BUDGET');
  });

  it('resumes each stream from the state the sink committed', async () => {
    const c = new ScriptedConnector({ a: [rec(1), checkpoint, rec(2), checkpoint], b: [rec(10), checkpoint] });
    const sink = new MemoryRecordSink();
    sink.setState('scripted', 'a', { step: 2 });
    const report = await runConnector({ connector: c, config, sink });
    expect(report.streams).toEqual({
      a: { recordsIn: 1, recordsOut: 1, deadLettered: 0, checkpoints: 1 },
      b: { recordsIn: 1, recordsOut: 1, deadLettered: 0, checkpoints: 1 },
    });
    expect(sink.records.map((r) => r.id)).toEqual(['test-site-2', 'test-site-10']);
  });

  it('rejects a message for a stream the connector did not declare', async () => {
    const c = new ScriptedConnector({ a: [rec(1)] });
    const liar = {
      name: 'liar',
      spec: () => c.spec(),
      check: (x: never) => c.check(x),
      discover: (x: never) => c.discover(x),
      async *read() {
        yield { type: 'record' as const, stream: 'elsewhere', data: location(1) };
      },
    };
    const report = await runConnector({ connector: liar, config, sink: new MemoryRecordSink() });
    expect(report).toMatchObject({ status: 'failed', error: { code: 'HUB_ERR_CONNECTOR_PROTOCOL' } });
  });

  it('ends as aborted when the signal fires, with the last checkpoint committed', async () => {
    const controller = new AbortController();
    const endless = {
      name: 'endless',
      spec: () => ({ type: 'object' }),
      check: async () => ({ status: 'succeeded' as const }),
      discover: async () => ({ streams: [{ name: 'ticks', resourceTypes: ['Location'], primaryKey: ['id'] }] }),
      async *read() {
        for (let i = 0; ; i++) {
          yield { type: 'record' as const, stream: 'ticks', data: location(i) };
          yield { type: 'state' as const, stream: 'ticks', state: { i } };
          if (i === 2) controller.abort();
          await new Promise((r) => setTimeout(r, 5)); // a source that ignores the signal
        }
      },
    };
    const sink = new MemoryRecordSink();
    const report = await runConnector({ connector: endless, config: {}, sink, signal: controller.signal });
    expect(report.status).toBe('aborted');
    expect(await sink.readState('endless', 'ticks')).toEqual({ i: 2 });
    expect(sink.records).toHaveLength(3);
  });

  it('counts records in, out and dead-lettered per connector and stream', async () => {
    const before = await Promise.all(
      [recordsIn, recordsOut, recordsDeadLettered].map((m) => counter(m, 'metered', 'sites')),
    );
    const c = new ScriptedConnector({ sites: [rec(1), { invalid: 'x' }, rec(2), checkpoint] }, 'metered');
    await runConnector({ connector: c, config, sink: new MemoryRecordSink(), failureBudget: false });
    const after = await Promise.all(
      [recordsIn, recordsOut, recordsDeadLettered].map((m) => counter(m, 'metered', 'sites')),
    );
    expect(after.map((v, i) => v - (before[i] as number))).toEqual([3, 2, 1]);
  });

  it('keeps the last report, the lag and the error count per connector', async () => {
    const ok = new ScriptedConnector({ sites: [rec(1), checkpoint] }, 'healthy');
    await runConnector({ connector: ok, config, sink: new MemoryRecordSink() });
    await runConnector({ connector: ok, config: { token: '' }, sink: new MemoryRecordSink() });
    const status = connectorStatus();
    expect(status.healthy).toMatchObject({ connector: 'healthy', running: false, runs: 2, errorCount: 1 });
    expect(status.healthy?.lastRun?.status).toBe('failed');
    expect(status.healthy?.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(status.healthy?.lastCommitAt ?? '')).not.toBeNaN();
  });

  it('passes the connector logs on, with secrets redacted', async () => {
    const logs: string[] = [];
    const c = new ScriptedConnector({ sites: [{ log: `connected with s3cr3t-token` }, rec(1), checkpoint] });
    await runConnector({ connector: c, config, sink: new MemoryRecordSink(), onLog: (m) => logs.push(m.message) });
    expect(logs).toEqual(['connected with ***']);
  });
});
