/**
 * The deliveries seen recently, to refuse a replay: a `webhook-id` is remembered until its
 * signed timestamp leaves the tolerance window (after that the timestamp check refuses it
 * anyway), and at most `capacity` are kept, the oldest forgotten first. In memory, per process:
 * each hub process of a distributed deployment keeps its own (README: "Replays").
 */
export class ReplayCache {
  private readonly entries = new Map<string, { readonly firstSeenMs: number; readonly expiresMs: number }>();

  constructor(private readonly capacity: number) {}

  /** When `key` was first accepted, if it is still remembered at `nowMs`. */
  seen(key: string, nowMs: number): number | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.firstSeenMs;
  }

  /** Remembers `key` until `expiresMs`, forgetting expired and, past capacity, the oldest entries. */
  remember(key: string, nowMs: number, expiresMs: number): void {
    for (const [k, e] of this.entries) {
      if (e.expiresMs > nowMs) break;
      this.entries.delete(k);
    }
    this.entries.delete(key);
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { firstSeenMs: nowMs, expiresMs });
  }

  /** Forgets `key`: its records could not be made durable, so a retry must be accepted. */
  forget(key: string): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
