// The DNS server's in-memory view of the cluster: Namespaces, Services, EndpointSlices and Pod
// IPs, kept current by the store's in-process subscriptions (no polling), so a change is answered
// on the very next query and a lookup is a map access. Each change bumps the generation of the
// cache buckets it touches; cached answers carry the generations they were built from.
// The index runs on the data-plane thread too (src/dataplane/), fed by a mirror of the store: it
// imports nothing of the registry but types, so that thread's bundle stays small.
import type { EndpointSliceObj, SlicePort } from '../registry/endpointslice.js';
import type { ServiceObj, ServicePort } from '../registry/service/strategy.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { StoreEvent } from '../storage/store.js';
import type { KubeObject } from '../apimachinery/types.js';
import { dashedIP, ipKey, parseIP } from './ip.js';

/** The storage key of EndpointSlices (registry/endpointslice.ts ENDPOINTSLICES; test/unit/dataplane-feed.test.ts checks they agree). */
export const SLICES = 'discovery.k8s.io/endpointslices';
/** The resources the index follows. */
export const INDEX_RESOURCES: readonly string[] = ['namespaces', 'services', SLICES, 'pods'];
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** An address with its wire bytes computed once. */
export interface Addr {
  text: string;
  raw: Uint8Array;
  family: 4 | 6;
  key: string;
}

export interface PortInfo {
  /** Lowercased port name ('' when unnamed). */
  name: string;
  /** Lowercased protocol (tcp, udp, sctp). */
  protocol: string;
  port: number;
}

export interface ServiceInfo {
  ns: string;
  name: string;
  kind: 'cluster' | 'headless' | 'external';
  clusterIPs: Addr[];
  ports: PortInfo[];
  /** ExternalName target, lowercased, without a trailing dot. */
  externalName?: string;
  publishNotReady: boolean;
}

export interface EndpointInfo {
  addr: Addr;
  /** The endpoint's hostname, or its dashed address (CoreDNS's endpointHostname). */
  host: string;
  /** Ports of its EndpointSlice; empty = none declared. */
  ports: PortInfo[];
}

/** An endpoint of an EndpointSlice as the index keeps it: its addresses parsed, its hostname lowercased. */
interface IndexedEndpoint {
  addrs: Addr[];
  hostname?: string;
  ready: boolean;
}

interface SliceInfo {
  ns: string;
  name: string;
  service?: string;
  endpoints: IndexedEndpoint[];
  ports: PortInfo[];
}

/** What a reverse lookup finds for one address. */
export interface ReverseHit {
  services: ServiceInfo[];
  endpoints: { host: string; service: string; ns: string }[];
  podNamespaces: string[];
}

/** The read side records.ts uses (a plain object in tests). */
export interface IndexView {
  namespaceExists(ns: string): boolean;
  service(ns: string, name: string): ServiceInfo | undefined;
  /** Ready endpoints of a service (all of them when it publishes not-ready addresses). */
  endpoints(ns: string, name: string): readonly EndpointInfo[];
  reverse(ip: Uint8Array): ReverseHit;
  /** Unix seconds of the last change (the SOA serial). */
  serial(): number;
}

const svcKey = (ns: string, name: string) => `${ns}/${name}`;
/** Cache bucket of everything under `<name>.<ns>.svc.<zone>`. */
export const serviceBucket = (ns: string, name: string) => `s:${ns}/${name}`;
/** Cache bucket of reverse (PTR) answers. */
export const REVERSE_BUCKET = 'rev';

/** Where the index reads objects from: the store, or the data-plane thread's mirror of it. */
export interface ObjectSource {
  subscribe(resource: string, fn: (ev: Pick<StoreEvent, 'type' | 'resource' | 'object'>) => void): () => void;
  listObjects(resource: string): readonly KubeObject[];
}

// Entries of a list that are objects (registry/define.ts objectsIn, kept here for the same reason as SLICES).
const objectsIn = <T extends object>(l: readonly (T | null | undefined)[] | null | undefined): T[] =>
  Array.isArray(l) ? l.filter((x): x is T => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];

function addr(text: string | null | undefined): Addr | undefined {
  if (typeof text !== 'string') return undefined;
  const raw = parseIP(text);
  if (!raw) return undefined;
  return { text, raw, family: raw.length === 4 ? 4 : 6, key: ipKey(raw) };
}

// Stored objects are decoded, but null stays where a client sent it (define.ts objectsIn): list
// entries and fields may be null.
function ports(list: readonly (ServicePort | SlicePort | null)[] | null | undefined): PortInfo[] {
  const out: PortInfo[] = [];
  for (const p of objectsIn(list)) {
    if (typeof p.port !== 'number') continue;
    out.push({
      name: p.name?.toLowerCase() ?? '',
      protocol: (p.protocol ?? 'TCP').toLowerCase(),
      port: p.port,
    });
  }
  return out;
}

export function serviceInfo(o: ServiceObj): ServiceInfo {
  const spec = o.spec ?? {};
  const ns = o.metadata.namespace ?? '';
  const name = o.metadata.name ?? '';
  const base = { ns, name, ports: ports(spec.ports), publishNotReady: spec.publishNotReadyAddresses === true };
  if (spec.type === 'ExternalName') {
    let ext = (spec.externalName ?? '').toLowerCase();
    if (ext.endsWith('.')) ext = ext.slice(0, -1);
    return { ...base, kind: 'external', clusterIPs: [], externalName: ext };
  }
  if (spec.clusterIP === 'None') return { ...base, kind: 'headless', clusterIPs: [] };
  const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).map(addr).filter((a): a is Addr => !!a);
  return { ...base, kind: 'cluster', clusterIPs: ips };
}

function sliceInfo(s: EndpointSliceObj): SliceInfo {
  const endpoints: IndexedEndpoint[] = [];
  if (s.addressType === 'IPv4' || s.addressType === 'IPv6') {
    for (const e of objectsIn(s.endpoints)) {
      const addrs = (e.addresses ?? []).map(addr).filter((a): a is Addr => !!a);
      if (!addrs.length) continue;
      // A nil `ready` means ready (discovery/v1 EndpointConditions).
      const ready = e.conditions?.ready !== false;
      endpoints.push({ addrs, hostname: e.hostname ? e.hostname.toLowerCase() : undefined, ready });
    }
  }
  return {
    ns: s.metadata.namespace ?? '',
    name: s.metadata.name ?? '',
    service: s.metadata.labels?.[SERVICE_NAME_LABEL],
    endpoints,
    ports: ports(s.ports),
  };
}

function podAddrs(o: PodObj): Addr[] {
  const st = o.status ?? {};
  if (o.spec?.hostNetwork || st.phase === 'Succeeded' || st.phase === 'Failed') return [];
  const texts = st.podIPs?.length ? st.podIPs.map((p) => p.ip) : [st.podIP];
  return texts.map(addr).filter((a): a is Addr => !!a);
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (!s.size) m.delete(k);
}

export class ClusterIndex implements IndexView {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, ServiceInfo>();
  private readonly slices = new Map<string, SliceInfo>();
  private readonly slicesBySvc = new Map<string, Set<string>>();
  private readonly endpointMemo = new Map<string, EndpointInfo[]>();
  private readonly pods = new Map<string, { ns: string; addrs: Addr[] }>();
  // Reverse maps: address key → service keys / slice keys / pod keys.
  private readonly svcByIP = new Map<string, Set<string>>();
  private readonly sliceByIP = new Map<string, Set<string>>();
  private readonly podByIP = new Map<string, Set<string>>();

  private readonly gens = new Map<string, number>();
  private counter = 0;
  /** Bumped by changes that may affect any answer (namespaces come and go). */
  globalGen = 0;
  private lastChange = Date.now();
  private unsubscribe: (() => void)[] = [];
  /** Called after every applied change (the server's cache hook and tests). */
  onChange?: () => void;

  /**
   * Loads the current objects (from `list`: the store, or the cluster's shared informers, which
   * have parsed them already) and follows every later change through store subscriptions (or
   * the data-plane mirror's, which has the same shape).
   */
  static attach(store: ObjectSource, list: (resource: string) => readonly KubeObject[] = (r) => store.listObjects(r)): ClusterIndex {
    const idx = new ClusterIndex();
    // Subscribe first, then list: better-sqlite3 is synchronous, so nothing commits in between;
    // a change of the open group-commit batch is seen by the list and then arrives as an event
    // too, which applies idempotently.
    for (const r of INDEX_RESOURCES) {
      idx.unsubscribe.push(store.subscribe(r, (ev) => idx.apply(ev)));
    }
    // `list` may read shared informers (already parsed) instead of SQLite.
    for (const r of INDEX_RESOURCES) for (const o of list(r)) idx.upsert(r, o);
    return idx;
  }

  detach(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** The generation of a cache bucket (0 until first touched). */
  gen(bucket: string): number {
    return this.gens.get(bucket) ?? 0;
  }

  private bump(bucket: string): void {
    this.gens.set(bucket, ++this.counter);
  }

  apply(ev: Pick<StoreEvent, 'type' | 'resource' | 'object'>): void {
    if (ev.type === 'DELETED') this.remove(ev.resource, ev.object);
    else this.upsert(ev.resource, ev.object);
  }

  /** A stored object of `resource` changed (the store's events carry any kind as a KubeObject). */
  upsert(resource: string, o: KubeObject): void {
    const ns = o.metadata.namespace ?? '';
    const name = o.metadata.name ?? '';
    switch (resource) {
      case 'namespaces':
        if (this.namespaces.has(name)) return;
        this.namespaces.add(name);
        this.globalGen++;
        break;
      case 'services':
        this.setService(ns, name, serviceInfo(o as ServiceObj));
        break;
      case SLICES:
        this.setSlice(ns, name, sliceInfo(o as EndpointSliceObj));
        break;
      case 'pods':
        this.setPod(ns, name, podAddrs(o as PodObj));
        break;
      default:
        return;
    }
    this.changed();
  }

  remove(resource: string, o: KubeObject): void {
    const ns = o.metadata.namespace ?? '';
    const name = o.metadata.name ?? '';
    switch (resource) {
      case 'namespaces':
        if (!this.namespaces.delete(name)) return;
        this.globalGen++;
        break;
      case 'services':
        this.setService(ns, name, undefined);
        break;
      case SLICES:
        this.setSlice(ns, name, undefined);
        break;
      case 'pods':
        this.setPod(ns, name, []);
        break;
      default:
        return;
    }
    this.changed();
  }

  private changed(): void {
    this.lastChange = Date.now();
    this.onChange?.();
  }

  private setService(ns: string, name: string, info: ServiceInfo | undefined): void {
    const k = svcKey(ns, name);
    const old = this.services.get(k);
    for (const a of old?.clusterIPs ?? []) removeFrom(this.svcByIP, a.key, k);
    if (info) {
      this.services.set(k, info);
      for (const a of info.clusterIPs) addTo(this.svcByIP, a.key, k);
    } else this.services.delete(k);
    this.endpointMemo.delete(k);
    this.bump(serviceBucket(ns, name));
    this.bump(REVERSE_BUCKET);
  }

  private setSlice(ns: string, name: string, info: SliceInfo | undefined): void {
    const k = svcKey(ns, name);
    const old = this.slices.get(k);
    if (old) {
      for (const e of old.endpoints) for (const a of e.addrs) removeFrom(this.sliceByIP, a.key, k);
      if (old.service) {
        removeFrom(this.slicesBySvc, svcKey(ns, old.service), k);
        this.endpointMemo.delete(svcKey(ns, old.service));
        this.bump(serviceBucket(ns, old.service));
      }
    }
    if (info) {
      this.slices.set(k, info);
      for (const e of info.endpoints) for (const a of e.addrs) addTo(this.sliceByIP, a.key, k);
      if (info.service) {
        addTo(this.slicesBySvc, svcKey(ns, info.service), k);
        this.endpointMemo.delete(svcKey(ns, info.service));
        this.bump(serviceBucket(ns, info.service));
      }
    } else this.slices.delete(k);
    this.bump(REVERSE_BUCKET);
  }

  private setPod(ns: string, name: string, addrs: Addr[]): void {
    const k = svcKey(ns, name);
    const old = this.pods.get(k);
    const same = old && old.addrs.length === addrs.length && old.addrs.every((a, i) => a.key === addrs[i]!.key);
    if (same || (!old && !addrs.length)) return;
    for (const a of old?.addrs ?? []) removeFrom(this.podByIP, a.key, k);
    if (addrs.length) {
      this.pods.set(k, { ns, addrs });
      for (const a of addrs) addTo(this.podByIP, a.key, k);
    } else this.pods.delete(k);
    this.bump(REVERSE_BUCKET);
  }

  // ---- IndexView ----

  namespaceExists(ns: string): boolean {
    return this.namespaces.has(ns);
  }

  service(ns: string, name: string): ServiceInfo | undefined {
    return this.services.get(svcKey(ns, name));
  }

  endpoints(ns: string, name: string): readonly EndpointInfo[] {
    const k = svcKey(ns, name);
    const memo = this.endpointMemo.get(k);
    if (memo) return memo;
    const all = !!this.services.get(k)?.publishNotReady;
    const out: EndpointInfo[] = [];
    const sliceKeys = [...(this.slicesBySvc.get(k) ?? [])].sort();
    for (const sk of sliceKeys) {
      const s = this.slices.get(sk)!;
      for (const e of s.endpoints) {
        if (!e.ready && !all) continue;
        for (const a of e.addrs) out.push({ addr: a, host: e.hostname ?? dashedIP(a.text), ports: s.ports });
      }
    }
    this.endpointMemo.set(k, out);
    return out;
  }

  reverse(ip: Uint8Array): ReverseHit {
    const key = ipKey(ip);
    const services = [...(this.svcByIP.get(key) ?? [])].sort().map((k) => this.services.get(k)!);
    const endpoints: ReverseHit['endpoints'] = [];
    for (const sk of [...(this.sliceByIP.get(key) ?? [])].sort()) {
      const s = this.slices.get(sk)!;
      if (!s.service) continue;
      const all = !!this.services.get(svcKey(s.ns, s.service))?.publishNotReady;
      for (const e of s.endpoints) {
        if (!e.ready && !all) continue;
        for (const a of e.addrs) if (a.key === key) endpoints.push({ host: e.hostname ?? dashedIP(a.text), service: s.service, ns: s.ns });
      }
    }
    const podNamespaces = [...new Set([...(this.podByIP.get(key) ?? [])].map((k) => this.pods.get(k)!.ns))].sort();
    return { services, endpoints, podNamespaces };
  }

  serial(): number {
    return Math.floor(this.lastChange / 1000) >>> 0;
  }
}
