// In-process informers: a cache of one resource kept current from the store's event stream,
// plus handlers. Controllers, DNS, the proxy and the node agent consume the store through these,
// never through HTTP. The cache is filled and subscribed in one synchronous step (no gap).
import type { Store, StoreEvent } from './store.js';
import type { KubeObject } from '../apimachinery/types.js';

export interface InformerHandlers {
  add?(obj: KubeObject): void;
  update?(obj: KubeObject, old: KubeObject): void;
  delete?(obj: KubeObject): void;
}

export interface Informer {
  readonly resource: string;
  get(namespace: string, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
  /** Registers handlers; `add` is called at once for every cached object (like client-go). */
  on(h: InformerHandlers): () => void;
  /** Objects by an index function's value (e.g. pods by node, slices by service). */
  addIndex(name: string, fn: (obj: KubeObject) => string[]): void;
  byIndex(name: string, value: string): KubeObject[];
  stop(): void;
}

const key = (ns: string, name: string) => (ns ? `${ns}/${name}` : name);

export function createInformer(store: Store, resource: string): Informer {
  const cache = new Map<string, KubeObject>();
  const handlers = new Set<InformerHandlers>();
  const indexes = new Map<string, { fn: (o: KubeObject) => string[]; map: Map<string, Set<string>> }>();
  // Built in: keys by namespace, so list(ns) costs the namespace's size, not the cluster's.
  const byNamespace = new Map<string, Set<string>>();
  const nsAdd = (k: string, obj: KubeObject) => {
    const ns = obj.metadata.namespace ?? '';
    let set = byNamespace.get(ns);
    if (!set) byNamespace.set(ns, (set = new Set()));
    set.add(k);
  };
  const nsRemove = (k: string, obj: KubeObject) => {
    const ns = obj.metadata.namespace ?? '';
    const set = byNamespace.get(ns);
    set?.delete(k);
    if (set && !set.size) byNamespace.delete(ns);
  };

  const indexAdd = (k: string, obj: KubeObject) => {
    for (const ix of indexes.values()) {
      for (const v of ix.fn(obj)) {
        let s = ix.map.get(v);
        if (!s) ix.map.set(v, (s = new Set()));
        s.add(k);
      }
    }
  };
  const indexRemove = (k: string, obj: KubeObject) => {
    for (const ix of indexes.values()) for (const v of ix.fn(obj)) ix.map.get(v)?.delete(k);
  };

  const onEvent = (ev: StoreEvent) => {
    const k = key(ev.namespace, ev.name);
    const old = cache.get(k);
    if (ev.type === 'DELETED') {
      if (!old) return;
      cache.delete(k);
      nsRemove(k, old);
      indexRemove(k, old);
      for (const h of handlers) h.delete?.(ev.object);
      return;
    }
    if (old) indexRemove(k, old);
    else nsAdd(k, ev.object);
    cache.set(k, ev.object);
    indexAdd(k, ev.object);
    for (const h of handlers) {
      if (old) h.update?.(ev.object, old);
      else h.add?.(ev.object);
    }
  };

  for (const obj of store.listObjects(resource)) {
    const k = key(obj.metadata.namespace ?? '', obj.metadata.name!);
    cache.set(k, obj);
    nsAdd(k, obj);
  }
  const unsubscribe = store.subscribe(resource, onEvent);

  return {
    resource,
    get: (ns, name) => cache.get(key(ns, name)),
    list(ns) {
      if (ns === undefined) return [...cache.values()];
      const out: KubeObject[] = [];
      for (const k of byNamespace.get(ns) ?? []) out.push(cache.get(k)!);
      return out;
    },
    on(h) {
      handlers.add(h);
      if (h.add) for (const o of [...cache.values()]) h.add(o);
      return () => handlers.delete(h);
    },
    addIndex(name, fn) {
      const ix = { fn, map: new Map<string, Set<string>>() };
      indexes.set(name, ix);
      for (const [k, o] of cache) {
        for (const v of fn(o)) {
          let s = ix.map.get(v);
          if (!s) ix.map.set(v, (s = new Set()));
          s.add(k);
        }
      }
    },
    byIndex(name, value) {
      const keys = indexes.get(name)?.map.get(value);
      if (!keys) return [];
      const out: KubeObject[] = [];
      for (const k of keys) {
        const o = cache.get(k);
        if (o) out.push(o);
      }
      return out;
    },
    stop() {
      unsubscribe();
      handlers.clear();
    },
  };
}

/** One informer per resource, shared by every consumer in the process. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  constructor(private readonly store: Store) {}
  for(resource: string): Informer {
    let inf = this.informers.get(resource);
    if (!inf) this.informers.set(resource, (inf = createInformer(this.store, resource)));
    return inf;
  }
  /**
   * Every object of a resource: from its informer when one runs (already parsed, shared: do not
   * mutate), else straight from the store.
   */
  list(resource: string, namespace?: string): KubeObject[] {
    const inf = this.informers.get(resource);
    return inf ? inf.list(namespace) : this.store.listObjects(resource, namespace);
  }
  stop(): void {
    for (const i of this.informers.values()) i.stop();
    this.informers.clear();
  }
}
