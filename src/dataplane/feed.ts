// The main thread's half of the data-plane feed: follows resources of the store and posts their
// current objects, then each turn's changes, to the data-plane thread (mirror.ts keeps them there).
//
// Changes are coalesced per key and posted once per tick (process.nextTick after the first one):
// the store publishes a whole commit batch in one synchronous loop, so one batch of the store is
// one message, posted before anything else runs, in particular before the API answers the writes
// (their promises settle after the nextTick queue). A batch is one JSON text (protocol.ts
// FeedBatch): the objects as the store wrote them when the store's event carries that text
// (`data`), else their JSON. Measured with an 800-byte Service on this machine, per object:
// posting the store's text in batches of 50 costs the main thread ~0.9 us, JSON.stringify and
// post ~3.1 us, a structured clone of the parsed object ~2.7 us.
//
// After posting, the seq of the batch goes to a shared counter: the data-plane thread compares it
// with what it applied before each query and takes what is waiting (receiveMessageOnPort), so a
// query sent after a write was answered (or published) sees that write, as on the main thread.
import type { MessagePort } from 'node:worker_threads';
import type { ListResult, StoreEvent } from '../storage/store.js';
import type { FeedBatch } from './protocol.js';

/** What the feed reads: the Store's live events and its current rows (as text). */
export interface FeedStore {
  subscribe(resource: string, fn: (ev: StoreEvent) => void): () => void;
  list(resource: string): Pick<ListResult, 'items'>;
}

type Pending = { r: number; text: string } | { r: number; event: StoreEvent } | { r: number; deleted: { namespace: string; name: string } };

export class StoreFeed {
  private readonly table = new Map<string, number>();
  private announce: string[] = [];
  private pending = new Map<string, Pending>();
  private scheduled = false;
  private seq = 0;
  private unsubscribe: (() => void)[] = [];
  private closed = false;
  /** Batches and entries posted (tests and the bench). */
  readonly stats = { batches: 0, entries: 0 };

  constructor(
    private readonly store: FeedStore,
    private readonly port: MessagePort,
    private readonly posted: Int32Array,
  ) {}

  /** Starts following `resources` (those not followed yet): their current objects are posted at once. */
  follow(resources: readonly string[]): void {
    for (const resource of resources) {
      if (this.table.has(resource) || this.closed) continue;
      const r = this.table.size;
      this.table.set(resource, r);
      this.announce.push(resource);
      // Subscribe, then list: the store is synchronous, nothing commits in between. A change of an
      // open group-commit batch is not listed (the read connection sees committed rows) and
      // arrives as an event when the batch commits.
      this.unsubscribe.push(this.store.subscribe(resource, (ev) => this.queue(r, ev)));
      for (const row of this.store.list(resource).items) this.pending.set(`${r}\0${row.namespace}\0${row.name}`, { r, text: row.data });
    }
    this.flush();
  }

  /**
   * Follows `resources` for a consumer that attaches now: those not followed yet as follow()
   * does; of those followed already the current objects are posted again as a relist batch,
   * which the mirror holds for the consumer's first listing (their earlier consumers keep
   * nothing of them, see mirror.ts).
   */
  attach(resources: readonly string[]): void {
    const known = resources.filter((r) => this.table.has(r));
    this.follow(resources.filter((r) => !this.table.has(r)));
    if (this.closed || !known.length) return;
    // What waits is older than the rows listed now: it goes first.
    this.flush();
    const parts: string[] = [];
    for (const resource of known) {
      const r = this.table.get(resource)!;
      for (const row of this.store.list(resource).items) parts.push(`[${r},${row.data}]`);
    }
    this.post({ seq: ++this.seq, resources: [], entries: `[${parts.join(',')}]`, relist: true }, parts.length);
  }

  private queue(r: number, ev: StoreEvent): void {
    const k = `${r}\0${ev.namespace}\0${ev.name}`;
    this.pending.set(k, ev.type === 'DELETED' ? { r, deleted: ev } : { r, event: ev });
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Posts what is pending as one batch. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || (!this.pending.size && !this.announce.length)) return;
    const parts: string[] = [];
    for (const p of this.pending.values()) {
      if ('text' in p) parts.push(`[${p.r},${p.text}]`);
      else if ('event' in p) parts.push(`[${p.r},${(p.event as StoreEvent & { data?: string }).data ?? JSON.stringify(p.event.object)}]`);
      else parts.push(`[${p.r},${JSON.stringify(p.deleted.namespace)},${JSON.stringify(p.deleted.name)}]`);
    }
    const batch: FeedBatch = { seq: ++this.seq, resources: this.announce, entries: `[${parts.join(',')}]` };
    this.pending = new Map();
    this.announce = [];
    this.post(batch, parts.length);
  }

  private post(batch: FeedBatch, entries: number): void {
    this.stats.batches++;
    this.stats.entries += entries;
    this.port.postMessage(batch);
    Atomics.store(this.posted, 0, batch.seq);
  }

  close(): void {
    this.closed = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.pending.clear();
    this.port.close();
  }
}
