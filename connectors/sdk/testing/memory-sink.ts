/**
 * An in-memory `RecordSink` for tests and the conformance kit. A write is atomic: the
 * records and dead letters of a batch become visible together, and the batch's state is
 * committed only after them. Failures can be injected: a failed write keeps nothing of its
 * batch, like a rolled-back transaction.
 */
import type {
  CanonicalResource,
  DeadLetter,
  RecordSink,
  SinkBatch,
  SinkWriteResult,
} from '../../../core/ports/index.js';

export class MemoryRecordSink implements RecordSink {
  readonly name = 'memory';
  /** Every record written, in order, redeliveries included. */
  readonly records: CanonicalResource[] = [];
  /** Every dead letter written, in order. */
  readonly deadLetters: DeadLetter[] = [];
  /** Every successful write, in order. */
  readonly batches: SinkBatch[] = [];
  /** Records by `connector/resourceType/id`, last write wins (what a warehouse would hold). */
  readonly byKey = new Map<string, CanonicalResource>();
  private readonly states = new Map<string, unknown>();
  private readonly faults: unknown[] = [];
  private open = false;
  /** Called after a batch is durable and its state committed (tests use it to stop a run). */
  onCommitted?: (batch: SinkBatch) => void;

  async init(): Promise<void> {
    this.open = true;
  }

  async close(): Promise<void> {
    this.open = false;
  }

  /** The next write(s) throw these errors, in order, keeping nothing of their batches. */
  failNextWrites(...errors: unknown[]): void {
    this.faults.push(...errors);
  }

  async readState(connector: string, stream: string): Promise<unknown> {
    const s = this.states.get(`${connector}\u0000${stream}`);
    return s === undefined ? undefined : structuredClone(s);
  }

  /** Sets a state as if committed (tests). */
  setState(connector: string, stream: string, state: unknown): void {
    this.states.set(`${connector}\u0000${stream}`, structuredClone(state));
  }

  async write(batch: SinkBatch): Promise<SinkWriteResult> {
    if (this.faults.length > 0) throw this.faults.shift();
    // The runtime hands over fresh arrays and never touches a batch again, so records are kept
    // by reference (a deep copy would cost more than the rest of a run); the state is copied.
    const copy: SinkBatch = {
      ...batch,
      records: [...batch.records],
      deadLetters: [...batch.deadLetters],
      state: structuredClone(batch.state),
    };
    let written = 0;
    for (const r of copy.records) {
      const key = `${copy.connector}/${r.resourceType}/${r.id}`;
      if (!this.byKey.has(key)) written++;
      this.byKey.set(key, r);
      this.records.push(r);
    }
    this.deadLetters.push(...copy.deadLetters);
    // The state is committed only now that the records and dead letters above are durable.
    if (copy.state !== undefined) this.states.set(`${copy.connector}\u0000${copy.stream}`, copy.state);
    this.batches.push(copy);
    this.onCommitted?.(copy);
    return { written, deadLettered: copy.deadLetters.length };
  }

  get isOpen(): boolean {
    return this.open;
  }
}
