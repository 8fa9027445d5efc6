// The data-plane thread's half of the feed: the followed resources, kept current by the main
// thread's batches (feed.ts), with the store's subscribe/listObjects shape, so that the DNS index
// (and later the proxy's and the ingress's tables) attach to it as they do to the store.
//
// It keeps the objects only of the resources it is told to retain. Consumers that keep what they
// need themselves (the DNS index: a few fields per Service) attach as to the store (subscribe,
// then listObjects): objects that arrived before a resource had a subscriber are held until then,
// that first listing hands them over, and from then on the parsed objects die young. Kept,
// every Service and Pod would live twice in the process (here and in the main thread's
// informers), and the thread's old generation would grow with the cluster: measured with 16
// clients creating Services, its heap went from 6 to 40 MB within seconds and its scavenges
// (copying the survivors) took 6-14 ms each, which became the DNS server's p99.
//
// A consumer that attaches to a resource that has subscribers already (the service proxy, started
// after the DNS index) has the main thread post that resource's current objects again (a relist
// batch, StoreFeed.attach): they are held, kept current by later changes, until its first
// listObjects hands them over.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { KubeObject } from '../apimachinery/types.js';
import type { FeedBatch } from './protocol.js';

export interface MirrorEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  namespace: string;
  name: string;
  /**
   * The object after the change; for DELETED its last state when the resource is retained, else
   * only its namespace and name.
   */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED of retained resources). */
  prev?: KubeObject;
}

type Entry = [number, unknown] | [number, string, string];

const key = (ns: string, name: string) => `${ns}/${name}`;

export class FeedMirror {
  private readonly resources: string[] = [];
  /** Per resource: the objects by key when retained, else the keys (null). */
  private readonly objects = new Map<string, Map<string, KubeObject | null>>();
  private readonly retain: Set<string>;
  /** Resources whose objects are held for a consumer attaching now (a relist arrived). */
  private readonly holding = new Set<string>();
  private readonly subs = new Map<string, Set<(ev: MirrorEvent) => void>>();
  private applied = 0;
  /** Called when a batch cannot be read (never expected: the texts are the store's). */
  onError?: (err: Error) => void;

  constructor(
    private readonly port: MessagePort,
    private readonly posted: Int32Array,
    opts: { retain?: Iterable<string> } = {},
  ) {
    this.retain = new Set(opts.retain);
    port.on('message', (b: FeedBatch) => this.apply(b));
  }

  /** Applies every batch the main thread has posted so far (before a query is answered). */
  sync(): void {
    if (Atomics.load(this.posted, 0) === this.applied) return;
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.apply(m.message as FeedBatch);
  }

  /** The seq of the last batch applied. */
  get seq(): number {
    return this.applied;
  }

  subscribe(resource: string, fn: (ev: MirrorEvent) => void): () => void {
    let set = this.subs.get(resource);
    if (!set) this.subs.set(resource, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /**
   * The current objects of a retained resource. Of another: those held because they arrived
   * before it had a subscriber; once it has one, this hands them over (a second call lists none).
   */
  listObjects(resource: string): KubeObject[] {
    const cache = this.objects.get(resource);
    if (!cache) return [];
    const out: KubeObject[] = [];
    for (const o of cache.values()) if (o) out.push(o);
    if (!this.retain.has(resource) && this.subs.get(resource)?.size) {
      for (const k of cache.keys()) cache.set(k, null);
      this.holding.delete(resource);
    }
    return out;
  }

  /** An object of a retained resource. */
  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(key(namespace, name)) ?? undefined;
  }

  close(): void {
    this.port.close();
    this.subs.clear();
  }

  private apply(b: FeedBatch): void {
    if (b.seq <= this.applied) return;
    this.applied = b.seq;
    for (const r of b.resources) {
      this.resources.push(r);
      if (!this.objects.has(r)) this.objects.set(r, new Map());
    }
    let entries: Entry[];
    try {
      entries = JSON.parse(b.entries) as Entry[];
    } catch (err) {
      this.onError?.(err as Error);
      return;
    }
    if (b.relist) return this.hold(entries);
    for (const e of entries) {
      const resource = this.resources[e[0]];
      if (resource === undefined) continue;
      const cache = this.objects.get(resource)!;
      if (e.length === 3) {
        const [, namespace, name] = e;
        const k = key(namespace, name);
        const old = cache.get(k);
        if (old === undefined) continue;
        cache.delete(k);
        const object = old ?? { metadata: { namespace: namespace || undefined, name } };
        this.emit({ type: 'DELETED', resource, namespace, name, object, prev: old ?? undefined });
        continue;
      }
      const o = e[1] as KubeObject;
      if (!o || typeof o !== 'object' || !o.metadata || typeof o.metadata !== 'object') continue;
      const namespace = o.metadata.namespace ?? '';
      const name = o.metadata.name ?? '';
      const k = key(namespace, name);
      const prev = cache.get(k);
      cache.set(k, this.retain.has(resource) || this.holding.has(resource) || !this.subs.get(resource)?.size ? o : null);
      this.emit({ type: prev === undefined ? 'ADDED' : 'MODIFIED', resource, namespace, name, object: o, prev: prev ?? undefined });
    }
  }

  /** A relist: the current objects, held until the next listObjects of their resource. */
  private hold(entries: Entry[]): void {
    for (const e of entries) {
      const resource = this.resources[e[0]];
      if (resource === undefined || e.length === 3) continue;
      const o = e[1] as KubeObject;
      if (!o || typeof o !== 'object' || !o.metadata || typeof o.metadata !== 'object') continue;
      this.holding.add(resource);
      this.objects.get(resource)!.set(key(o.metadata.namespace ?? '', o.metadata.name ?? ''), o);
    }
  }

  private emit(ev: MirrorEvent): void {
    const set = this.subs.get(ev.resource);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(ev);
      } catch (err) {
        // One failing subscriber must not stop the others (as the store's publish).
        this.onError?.(err as Error);
      }
    }
  }
}
