/**
 * The conformance kit: certifies a connector against the contract (Singer SDK's standard tap
 * tests, plus Kafka Connect's resume guarantee). Every check returns a value; the kit throws
 * only if the connector or the sink throws outside of what is being checked.
 *
 *   const report = await runConformance(connector, config);
 *   expect(report.failures).toEqual([]);
 */
import { isDeepStrictEqual } from 'node:util';
import { validateResource } from '../../../core/index.js';
import type { CanonicalResource, RecordSink, SinkBatch, SinkWriteResult } from '../../../core/ports/index.js';
import { compileSpec, validateConfig } from '../config.js';
import type { Catalog, Connector, ConnectorState, Message } from '../connector.js';
import { runConnector, stampLineage } from '../runtime.js';
import { MemoryRecordSink } from './memory-sink.js';

export interface ConformanceCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail?: string;
}

export interface ConformanceReport {
  readonly connector: string;
  readonly passed: boolean;
  readonly checks: readonly ConformanceCheck[];
  /** The failed checks, as `name: detail` lines (empty when `passed`). */
  readonly failures: readonly string[];
}

export interface ConformanceOptions {
  /** A fresh, empty sink per call. Default: a `MemoryRecordSink`. */
  readonly sinkFactory?: () => RecordSink | Promise<RecordSink>;
  /**
   * Checkpoints to interrupt at, at most; spread evenly over all of them when there are more.
   * Default: every checkpoint up to 40.
   */
  readonly maxResumePoints?: number;
  /** Batch size given to the runtime. Default: the runtime's. */
  readonly batchSize?: number;
}

const MAX_EXAMPLES = 5;

/**
 * Runs every check against `connector` with `config` (a finite config: a `continuous`
 * source must be configured to end). The checks:
 * `spec`, `check`, `discover`, `read_protocol`, `records_valid`, `primary_keys`,
 * `final_state`, `resume`.
 */
export async function runConformance<Config extends object>(
  connector: Connector<Config>,
  config: Partial<Config>,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const checks: ConformanceCheck[] = [];
  const add = (name: string, problems: readonly string[], okDetail?: string) => {
    const detail = problems.length > 0 ? summarise(problems) : okDetail;
    checks.push({ name, passed: problems.length === 0, ...(detail === undefined ? {} : { detail }) });
    return problems.length === 0;
  };
  const finish = (): ConformanceReport => ({
    connector: connector.name,
    passed: checks.every((c) => c.passed),
    checks,
    failures: checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail ?? 'failed'}`),
  });
  const sinkFactory = options.sinkFactory ?? (() => new MemoryRecordSink());

  // spec: a compilable schema of an object config, which accepts this config
  const specProblems: string[] = [];
  const spec = connector.spec();
  if (spec.type !== 'object') specProblems.push('the spec is not a schema of type object');
  try {
    compileSpec(spec);
    const v = validateConfig(spec, config);
    if (!v.valid) specProblems.push(...v.errors.map((e) => `config: ${e}`));
  } catch (err) {
    specProblems.push(`the spec does not compile: ${message(err)}`);
  }
  for (const key of Object.keys((spec.properties as object | undefined) ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(key)) specProblems.push(`config key ${key} is not snake_case`);
  }
  if (!add('spec', specProblems)) return finish();

  // check
  const checked = await connector.check(config);
  if (!add('check', checked.status === 'succeeded' ? [] : [checked.message ?? 'check failed without a message'])) {
    return finish();
  }

  // discover: round-trips through JSON, unique snake_case names, keys and types declared
  const catalog = await connector.discover(config);
  const discoverProblems: string[] = [];
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(catalog)), catalog)) {
    discoverProblems.push('the catalog does not round-trip through JSON');
  }
  const names = catalog.streams.map((s) => s.name);
  if (new Set(names).size !== names.length) discoverProblems.push(`stream names repeat: ${names.join(', ')}`);
  if (names.length === 0) discoverProblems.push('no streams');
  for (const s of catalog.streams) {
    if (!/^[a-z][a-z0-9_]*$/.test(s.name)) discoverProblems.push(`stream ${s.name} is not snake_case`);
    if (s.primaryKey.length === 0) discoverProblems.push(`stream ${s.name} has no primary key`);
    if (s.resourceTypes.length === 0) discoverProblems.push(`stream ${s.name} declares no resource type`);
  }
  if (!add('discover', discoverProblems)) return finish();

  // one full read, straight from the connector
  const messages = await readAll(connector, config, {});
  const declared = new Map(catalog.streams.map((s) => [s.name, s]));
  const protocol: string[] = [];
  const statesSeen = new Set<string>();
  for (const m of messages) {
    if (m.type === 'log') continue;
    const s = declared.get(m.stream);
    if (!s) {
      protocol.push(`message for undeclared stream ${m.stream}`);
      continue;
    }
    if (m.type === 'state') {
      statesSeen.add(m.stream);
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(m.state ?? null)), m.state ?? null)) {
        protocol.push(`state of ${m.stream} does not round-trip through JSON`);
      }
    }
    if (m.type === 'record' && !s.resourceTypes.includes(m.data.resourceType)) {
      protocol.push(`${m.stream}: resourceType ${m.data.resourceType} is not declared`);
    }
  }
  for (const s of catalog.streams) if (!statesSeen.has(s.name)) protocol.push(`stream ${s.name} never checkpoints`);
  add('read_protocol', protocol);

  // records_valid: every record message passes core validation once its lineage is stamped
  const invalid: string[] = [];
  const records = messages.filter((m) => m.type === 'record');
  const ingestedAt = new Date().toISOString();
  for (const m of records) {
    const stamped = stampLineage(m.data, {
      connector: connector.name,
      sourceSystem: connector.sourceSystem?.(config) ?? connector.name,
      ...(m.sourceId === undefined ? {} : { sourceId: m.sourceId }),
      sourcePayload: m.sourcePayload,
      ingestedAt,
    });
    const v = validateResource(stamped);
    if (!v.valid) {
      const why = v.errors.map((e) => `${e.pointer} ${e.code}`).join(', ');
      invalid.push(`${m.stream} ${m.data.resourceType}/${m.data.id}: ${why}`);
    }
  }
  add('records_valid', invalid, `${records.length} records`);

  // primary_keys: present and unique within each stream
  const pkProblems: string[] = [];
  const seen = new Map<string, Set<string>>();
  for (const m of records) {
    const s = declared.get(m.stream);
    if (!s) continue;
    const values = s.primaryKey.map((p) => getPath(m.data, p));
    if (values.some((v) => v === undefined || v === null || v === '')) {
      pkProblems.push(`${m.stream}: a record lacks its primary key ${s.primaryKey.join('+')}`);
      continue;
    }
    const key = JSON.stringify(values);
    let set = seen.get(m.stream);
    if (!set) {
      set = new Set();
      seen.set(m.stream, set);
    }
    if (set.has(key)) pkProblems.push(`${m.stream}: primary key ${key} repeats`);
    set.add(key);
  }
  add('primary_keys', pkProblems);

  // an uninterrupted run through the runtime into a sink: the baseline for `resume`
  const baseline = await runThroughSink(connector, config, sinkFactory, options, undefined);
  const baselineProblems: string[] = [];
  if (baseline.status !== 'succeeded')
    baselineProblems.push(`an uninterrupted run ended ${baseline.status}: ${baseline.error ?? ''}`);

  // final_state: reading again from the committed state yields nothing new
  const again = await readAll(connector, config, baseline.finalState);
  const repeated = again.filter((m) => m.type === 'record' || m.type === 'invalid').length;
  add('final_state', [
    ...baselineProblems,
    ...(repeated > 0 ? [`a read from the final state yields ${repeated} records again`] : []),
  ]);

  // resume: interrupted after the k-th checkpoint, for each k, then resumed: same records
  const resumeProblems: string[] = [];
  const total = baseline.checkpoints;
  const points = spread(total, options.maxResumePoints ?? 40);
  for (const k of points) {
    const r = await runThroughSink(connector, config, sinkFactory, options, k);
    if (r.status !== 'succeeded') {
      resumeProblems.push(`k=${k}: the resumed run ended ${r.status}: ${r.error ?? ''}`);
      continue;
    }
    resumeProblems.push(
      ...compare(baseline.keys, r.keys, baseline.byKey, r.byKey, r.reasons).map((p) => `k=${k}: ${p}`),
    );
  }
  if (total === 0) resumeProblems.push('the run committed no checkpoint');
  add('resume', resumeProblems, `${points.length} of ${total} checkpoints interrupted and resumed`);

  return finish();
}

async function readAll<Config extends object>(
  connector: Connector<Config>,
  config: Partial<Config>,
  state: ConnectorState,
): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of connector.read(config, state)) out.push(m);
  return out;
}

interface SinkRun {
  status: string;
  error?: string;
  checkpoints: number;
  /** `stream|Type/id` per record and `dead|stream|sourceId` per dead letter, every delivery. */
  keys: string[];
  byKey: Map<string, unknown>;
  /** Why each dead letter was refused (its errors' messages), by key. */
  reasons: Map<string, string>;
  finalState: Record<string, unknown>;
}

/**
 * Runs the connector into a fresh sink. With `stopAfter = k`, the first run is aborted right
 * after its k-th checkpoint is committed and a second run resumes from the sink's state.
 */
async function runThroughSink<Config extends object>(
  connector: Connector<Config>,
  config: Partial<Config>,
  sinkFactory: () => RecordSink | Promise<RecordSink>,
  options: ConformanceOptions,
  stopAfter: number | undefined,
): Promise<SinkRun> {
  const inner = await sinkFactory();
  await inner.init();
  try {
    const sink = new RecordingSink(inner);
    const common = {
      connector,
      config,
      sink,
      failureBudget: false as const,
      retry: { retries: 0 },
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    };
    if (stopAfter !== undefined) {
      const controller = new AbortController();
      sink.onState = (n) => {
        if (n === stopAfter) controller.abort();
      };
      const first = await runConnector({ ...common, signal: controller.signal });
      sink.onState = undefined;
      if (first.status === 'failed') {
        return {
          status: 'failed',
          error: `interrupted run: ${first.error?.message}`,
          checkpoints: 0,
          keys: [],
          byKey: new Map(),
          reasons: new Map(),
          finalState: {},
        };
      }
    }
    const run = await runConnector(common);
    const status = run.status;
    const error = run.error?.message;
    const catalog: Catalog = await connector.discover(config);
    const finalState: Record<string, unknown> = {};
    for (const s of catalog.streams) {
      const st = await inner.readState(connector.name, s.name);
      if (st !== undefined) finalState[s.name] = st;
    }
    return {
      status,
      ...(error === undefined ? {} : { error }),
      checkpoints: sink.stateCommits,
      keys: sink.keys,
      byKey: sink.byKey,
      reasons: sink.reasons,
      finalState,
    };
  } finally {
    await inner.close();
  }
}

/** Passes writes through to a real sink and notes what it made durable. */
class RecordingSink implements RecordSink {
  readonly name: string;
  readonly keys: string[] = [];
  readonly byKey = new Map<string, unknown>();
  readonly reasons = new Map<string, string>();
  stateCommits = 0;
  onState: ((n: number) => void) | undefined;

  constructor(private readonly inner: RecordSink) {
    this.name = `recording(${inner.name})`;
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  readState(connector: string, stream: string): Promise<unknown> {
    return this.inner.readState(connector, stream);
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    const result = await this.inner.write(batch);
    for (const r of batch.records) {
      const key = `${batch.stream}|${r.resourceType}/${r.id}`;
      this.keys.push(key);
      this.byKey.set(key, withoutIngestTime(r));
    }
    for (const d of batch.deadLetters) {
      const key = `dead|${batch.stream}|${d.sourceId ?? ''}`;
      this.keys.push(key);
      this.byKey.set(key, d.payload);
      this.reasons.set(key, d.errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    }
    if (batch.state !== undefined) {
      this.stateCommits++;
      this.onState?.(this.stateCommits);
    }
    return result;
  }
}

/** The record without `meta.lineage.ingestedAt`, the one field that differs between runs. */
function withoutIngestTime(r: CanonicalResource): unknown {
  const lineage = r.meta?.lineage;
  if (!lineage) return r;
  const { ingestedAt: _ignored, ...rest } = lineage;
  return { ...r, meta: { ...r.meta, lineage: rest } };
}

function compare(
  expected: readonly string[],
  actual: readonly string[],
  expectedBy: Map<string, unknown>,
  actualBy: Map<string, unknown>,
  actualReasons: Map<string, string> = new Map(),
): string[] {
  const counts = new Map<string, number>();
  for (const k of expected) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const k of actual) counts.set(k, (counts.get(k) ?? 0) - 1);
  const lost: string[] = [];
  const repeated: string[] = [];
  for (const [k, n] of counts) {
    if (n > 0) lost.push(k);
    if (n < 0) repeated.push(k);
  }
  const out: string[] = [];
  if (lost.length > 0) out.push(`${lost.length} lost (e.g. ${lost.slice(0, 3).join(', ')})`);
  // A dead letter that should not be there says why it was refused: the clue to a flaky read.
  const shown = (k: string) => (actualReasons.has(k) ? `${k} [${actualReasons.get(k)}]` : k);
  if (repeated.length > 0) out.push(`${repeated.length} repeated (e.g. ${repeated.slice(0, 3).map(shown).join(', ')})`);
  const differing: string[] = [];
  for (const [k, v] of expectedBy) {
    if (actualBy.has(k) && !isDeepStrictEqual(actualBy.get(k), v)) differing.push(k);
  }
  if (differing.length > 0)
    out.push(`${differing.length} differ in content (e.g. ${differing.slice(0, 3).join(', ')})`);
  return out;
}

/** Up to `max` checkpoint numbers in 1..total, spread evenly, always including 1 and total. */
function spread(total: number, max: number): number[] {
  if (total <= max) return Array.from({ length: total }, (_, i) => i + 1);
  const out = new Set<number>();
  for (let i = 0; i < max; i++) out.add(1 + Math.round((i * (total - 1)) / (max - 1)));
  return [...out];
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function summarise(problems: readonly string[]): string {
  const head = problems.slice(0, MAX_EXAMPLES).join('; ');
  return problems.length > MAX_EXAMPLES ? `${head}; … ${problems.length - MAX_EXAMPLES} more` : head;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
