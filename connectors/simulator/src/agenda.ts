/**
 * What is due to happen in simulated time: transfers arriving, requests, shipment steps,
 * incidents, maintenance. A binary min-heap on (time, order of scheduling), so that two
 * actions due at the same instant run in the order they were scheduled: the flow stays a
 * deterministic function of the seed.
 */
interface Entry {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export class Agenda {
  private readonly heap: Entry[] = [];
  private scheduled = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Time of the next action; `Infinity` when there is none. */
  nextAt(): number {
    return this.heap.length === 0 ? Number.POSITIVE_INFINITY : (this.heap[0] as Entry).at;
  }

  schedule(at: number, run: () => void): void {
    const entry: Entry = { at, order: this.scheduled++, run };
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry)) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the next action (the caller checked `size > 0`). */
  pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const child = r < heap.length && before(heap[r] as Entry, heap[l] as Entry) ? r : l;
        if (!before(heap[child] as Entry, last)) break;
        heap[i] = heap[child] as Entry;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
