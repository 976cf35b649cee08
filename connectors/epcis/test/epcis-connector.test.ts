import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../sdk/connector.js';
import { isDocumentConnector } from '../../sdk/document.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { type EpcisConfig, epcis } from '../src/epcis-connector.js';
import { SOUSS_MASSA } from './souss-massa.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BAD = join(FIXTURES, 'bad');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(files: string[], from = FIXTURES): string {
  const dir = mkdtempSync(join(tmpdir(), 'epcis-'));
  temps.push(dir);
  for (const f of files) copyFileSync(join(from, f), join(dir, f));
  return dir;
}

async function readAll(config: Partial<EpcisConfig>, state = {}): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of epcis.read(config, state)) out.push(m);
  return out;
}

describe('epcis: conformance kit', () => {
  it('passes every check on GS1 examples and a real convoy, resuming at each checkpoint', async () => {
    const report = await runConformance(epcis, { dir: FIXTURES, checkpoint_every: 3, ...SOUSS_MASSA });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('35 records');
    expect(report.checks.find((c) => c.name === 'resume')?.detail).toBe('12 of 12 checkpoints interrupted and resumed');
  });

  it('is a document connector: push and pull give the same records', async () => {
    expect(isDocumentConnector(epcis)).toBe(true);
    const file = '2025-09-08-souss-massa-relief-convoy.jsonld';
    const pulled = (await readAll({ path: join(FIXTURES, file), ...SOUSS_MASSA })).filter((m) => m.type === 'record');
    const pushed = [
      ...epcis.parseDocument(
        { body: readFileSync(join(FIXTURES, file)), filename: file, receivedAt: 'x' },
        SOUSS_MASSA,
      ),
    ].filter((m) => m.type === 'record');
    expect(pushed).toEqual(pulled);
    expect(epcis.sourceSystem({ dir: '/data/epcis' })).toBe('epcis:/data/epcis');
    expect(epcis.sourceSystem({})).toBe('epcis');
  });
});

describe('epcis: pull form, state per file', () => {
  it('does not read a finished file again, and reads a changed one from its start', async () => {
    const dir = tempDir(['gs1-example-9.6.1-object-events.jsonld', 'gs1-example-9.6.3-aggregation-event.jsonld']);
    const first = await readAll({ dir });
    expect(first.filter((m) => m.type === 'record')).toHaveLength(5);
    const state = first.filter((m) => m.type === 'state').at(-1);
    const files = (state as { state: { files: Record<string, { done: boolean }> } }).state.files;
    expect(Object.keys(files)).toEqual([
      'gs1-example-9.6.1-object-events.jsonld',
      'gs1-example-9.6.3-aggregation-event.jsonld',
    ]);
    expect(Object.values(files).every((f) => f.done)).toBe(true);

    const committed = { epcis_events: (state as { state: unknown }).state };
    expect((await readAll({ dir }, committed)).filter((m) => m.type !== 'state')).toEqual([]);

    const touched = join(dir, 'gs1-example-9.6.3-aggregation-event.jsonld');
    writeFileSync(touched, `${readFileSync(touched, 'utf8')}\n`);
    utimesSync(touched, new Date(), new Date(Date.now() + 5000));
    const again = (await readAll({ dir }, committed)).filter((m) => m.type === 'record');
    expect(again.map((m) => m.type === 'record' && m.sourceId?.split('#')[0])).toEqual([
      'gs1-example-9.6.3-aggregation-event.jsonld',
      'gs1-example-9.6.3-aggregation-event.jsonld',
      'gs1-example-9.6.3-aggregation-event.jsonld',
    ]);
  });

  it('checks its path: a missing folder fails check and read with a config error', async () => {
    expect(await epcis.check({ dir: FIXTURES })).toEqual({ status: 'succeeded' });
    expect((await epcis.check({})).status).toBe('failed');
    const missing = await epcis.check({ dir: join(FIXTURES, 'nope') });
    expect(missing.status).toBe('failed');
    expect(missing.message).toMatch(/cannot list .*nope/);
    await expect(readAll({})).rejects.toMatchObject({ code: 'HUB_ERR_CONNECTOR_CONFIG', kind: 'config' });
  });

  it('dead-letters every bad document and event, and reads on: nothing is lost', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const report = await runConnector({
      connector: epcis,
      config: { dir: BAD, ...SOUSS_MASSA },
      sink,
      failureBudget: false,
    });
    expect(report.status).toBe('succeeded');
    const files = readdirSync(BAD).sort();
    // Every file is done: the unreadable ones did not block the others.
    const state = (await sink.readState('epcis', 'epcis_events')) as { files: Record<string, { done: boolean }> };
    expect(Object.keys(state.files).sort()).toEqual(files);
    const byFile = new Map<string, string[]>();
    for (const d of sink.deadLetters) {
      const [file, where] = (d.sourceId ?? '').split('#');
      byFile.set(file as string, [...(byFile.get(file as string) ?? []), where ?? '(document)']);
    }
    expect(Object.fromEntries(byFile)).toEqual({
      'bad-gtin-check-digit.jsonld': ['/epcisBody/eventList/1'],
      'duplicate-event-id.jsonld': ['/epcisBody/eventList/3'],
      'latin1.jsonld': ['(document)'],
      'not-epcis.json': ['(document)'],
      'truncated.jsonld': ['(document)'],
      'unknown-bizstep.jsonld': ['/epcisBody/eventList/0', '/epcisBody/eventList/1'],
      'unmappable-events.jsonld': [0, 1, 2, 3, 4, 5].map((i) => `/epcisBody/eventList/${i}`),
    });
    const latin1 = sink.deadLetters.find((d) => d.sourceId === 'latin1.jsonld');
    expect(latin1?.errors[0]?.code).toBe('HUB_ERR_INGEST_DOCUMENT');
    // The bytes are kept as they came, to be fixed and replayed.
    const kept = Buffer.from((latin1?.payload as { base64: string } | undefined)?.base64 ?? '', 'base64');
    expect(kept.equals(readFileSync(join(BAD, 'latin1.jsonld')))).toBe(true);
    const truncated = sink.deadLetters.find((d) => d.sourceId === 'truncated.jsonld');
    expect((truncated?.payload as { text: string } | undefined)?.text).toBe(
      readFileSync(join(BAD, 'truncated.jsonld'), 'utf8'),
    );
    expect(report.recordsOut).toBe(sink.records.length);
  });

  it('dead-letters an oversized file with its size, and reads the next one', async () => {
    const dir = tempDir([
      '2025-09-08-souss-massa-relief-convoy.jsonld',
      'gs1-example-9.6.2-object-event-quantities.jsonld',
    ]);
    const ms = await readAll({ dir, max_document_bytes: 4096 });
    const [invalid] = ms.filter((m) => m.type === 'invalid');
    expect(invalid).toMatchObject({
      sourceId: '2025-09-08-souss-massa-relief-convoy.jsonld',
      errors: [{ pointer: '', code: 'HUB_ERR_INGEST_TOO_LARGE' }],
    });
    expect(ms.filter((m) => m.type === 'record')).toHaveLength(1);
  });
});
