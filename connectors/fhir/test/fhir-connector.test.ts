import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../sdk/connector.js';
import { isDocumentConnector } from '../../sdk/document.js';
import { runConnector } from '../../sdk/runtime.js';
import { runConformance } from '../../sdk/testing/conformance.js';
import { MemoryRecordSink } from '../../sdk/testing/memory-sink.js';
import { fhir } from '../src/fhir-connector.js';
import { SOUSS_MASSA_FHIR } from './souss-massa.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BAD = join(FIXTURES, 'bad');

describe('fhir: conformance kit', () => {
  it('passes every check on partner Bundles, resuming at each checkpoint', async () => {
    const report = await runConformance(fhir, { dir: FIXTURES, checkpoint_every: 2, ...SOUSS_MASSA_FHIR });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'records_valid')?.detail).toBe('17 records');
  });

  it('is a document connector: push and pull give the same records', async () => {
    expect(isDocumentConnector(fhir)).toBe(true);
    expect(fhir.acceptedMediaTypes).toEqual(['application/fhir+json', 'application/json']);
    const file = '2025-09-10-croissant-rouge-deliveries.json';
    const pulled: Message[] = [];
    for await (const m of fhir.read({ path: join(FIXTURES, file), ...SOUSS_MASSA_FHIR }, {})) {
      if (m.type === 'record') pulled.push(m);
    }
    const pushed = [
      ...fhir.parseDocument(
        { body: readFileSync(join(FIXTURES, file)), filename: file, receivedAt: 'x' },
        SOUSS_MASSA_FHIR,
      ),
    ].filter((m) => m.type === 'record');
    expect(pushed).toEqual(pulled);
    expect(fhir.sourceSystem(SOUSS_MASSA_FHIR)).toBe('fhir:souss-massa-partners');
  });
});

describe('fhir: pull form over bad Bundles', () => {
  it('dead-letters every bad document and entry, reads the good entries, and finishes every file', async () => {
    const sink = new MemoryRecordSink();
    await sink.init();
    const report = await runConnector({
      connector: fhir,
      config: { dir: BAD, ...SOUSS_MASSA_FHIR },
      sink,
      failureBudget: false,
    });
    expect(report.status).toBe('succeeded');
    const state = (await sink.readState('fhir', 'fhir_resources')) as { files: Record<string, { done: boolean }> };
    expect(Object.keys(state.files).sort()).toEqual(readdirSync(BAD).sort());
    const count = new Map<string, number>();
    for (const d of sink.deadLetters) {
      const file = (d.sourceId ?? '').split('#')[0] as string;
      count.set(file, (count.get(file) ?? 0) + 1);
    }
    expect(Object.fromEntries(count)).toEqual({
      'latin1.json': 1,
      'not-a-bundle.json': 1,
      'supply-request-no-quantity.json': 1,
      'truncated.json': 1,
      'unknown-priority.json': 2,
      'unmappable-entries.json': 8,
      'wrong-resource-type.json': 3,
    });
    // The same good SupplyRequest is in several files: one record in the warehouse.
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(1);
  });
});
