// The service proxy's view of the API on the data-plane thread (proxy/run.ts ProxySource), kept
// from the mirror's events as the main thread's informers keep it, with the indexes the proxy
// asks for: EndpointSlices by Service and Pod addresses. It keeps only what the proxy reads, as
// everything kept here lives in this thread's old generation, whose collections delay the
// traffic it serves: Services and EndpointSlices whole but without managedFields and annotations
// (the proxy reads neither, and they are much of an object), and of a Service it serves nothing
// for (headless, ExternalName: upstream's ShouldSkipService) only its name, type, ClusterIPs,
// generation and conditions; of a Pod its addresses and whether it is on the host network (the
// NetworkPolicy index keeps its own summary of each Pod); and the Nodes (few).
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { NodeObj } from '../registry/node.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { InformerHandlers } from '../storage/informer.js';
import { NETWORKPOLICIES, policyIndexHandlers, type PolicyIndex } from '../registry/networking/policy-evaluation.js';
import { podIPs, sliceService } from '../proxy/changes.js';
import { clusterIPsOf } from '../proxy/listeners.js';
import type { ChangeHandlers, ProxySource } from '../proxy/run.js';
import { SLICES } from '../dns/cluster-index.js';
import type { FeedMirror, MirrorEvent } from './mirror.js';

/** The resources the proxy follows. */
export const PROXY_RESOURCES: readonly string[] = ['services', SLICES, 'pods', 'namespaces', NETWORKPOLICIES, 'nodes'];

const key = (ns: string, name: string) => `${ns}/${name}`;

/** The object without what the proxy never reads. */
function slim<T extends KubeObject>(o: T): T {
  const {
    managedFields: _m,
    annotations: _a,
    ...metadata
  } = o.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
    annotations?: unknown;
  };
  return { ...o, metadata };
}

/**
 * A Service as the proxy reads it: of one without ClusterIPs (headless, ExternalName) no more
 * than what its sync (clusterIPsOf: none, so no listeners) and its condition check read.
 */
function slimService(svc: ServiceObj): ServiceObj {
  if (clusterIPsOf(svc).length) return slim(svc);
  const { namespace, name, uid, resourceVersion, generation, deletionTimestamp } = svc.metadata;
  const spec = svc.spec ?? {};
  return {
    apiVersion: svc.apiVersion,
    kind: svc.kind,
    metadata: { namespace, name, uid, resourceVersion, generation, deletionTimestamp },
    spec: { type: spec.type, clusterIP: spec.clusterIP, clusterIPs: spec.clusterIPs },
    ...(svc.status?.conditions ? { status: { conditions: svc.status.conditions } } : {}),
  } as ServiceObj;
}

interface PodSummary {
  ips: string[];
  hostNetwork: boolean;
}

/** A store-like map of one resource that calls handlers as an informer does (update with the old object). */
class Kept<T extends KubeObject> {
  readonly items = new Map<string, T>();
  constructor(
    private readonly handlers: InformerHandlers,
    private readonly onSet?: (o: T, old: T | undefined) => void,
    private readonly onDelete?: (old: T) => void,
  ) {}

  set(o: T): void {
    const k = key(o.metadata.namespace ?? '', o.metadata.name ?? '');
    const old = this.items.get(k);
    this.items.set(k, o);
    this.onSet?.(o, old);
    if (old) this.handlers.update?.(o, old);
    else this.handlers.add?.(o);
  }

  delete(ns: string, name: string): void {
    const k = key(ns, name);
    const old = this.items.get(k);
    if (!old) return;
    this.items.delete(k);
    this.onDelete?.(old);
    this.handlers.delete?.(old);
  }
}

/** The proxy's source on the data-plane thread; `subscribe` attaches it to the mirror. */
export function mirrorSource(mirror: FeedMirror): ProxySource {
  let services: Kept<ServiceObj> | undefined;
  let slices: Kept<EndpointSliceObj> | undefined;
  const bySvc = new Map<string, Map<string, EndpointSliceObj>>();
  const pods = new Map<string, PodSummary>();
  const ipRefs = new Map<string, number>();
  const nodes = new Map<string, NodeObj>();

  const indexSlice = (s: EndpointSliceObj, add: boolean) => {
    const svc = sliceService(s);
    if (!svc) return;
    const k = key(s.metadata.namespace ?? '', s.metadata.name ?? '');
    let m = bySvc.get(svc);
    if (add) {
      if (!m) bySvc.set(svc, (m = new Map()));
      m.set(k, s);
    } else if (m) {
      m.delete(k);
      if (!m.size) bySvc.delete(svc);
    }
  };
  const refIPs = (ips: readonly string[], by: 1 | -1) => {
    for (const ip of ips) {
      const n = (ipRefs.get(ip) ?? 0) + by;
      if (n > 0) ipRefs.set(ip, n);
      else ipRefs.delete(ip);
    }
  };

  return {
    services: () => services?.items.values() ?? [],
    service: (k) => services?.items.get(k),
    slicesOf: (k) => [...(bySvc.get(k)?.values() ?? [])],
    podHas: (ip) => ipRefs.has(ip),
    node: (name) => nodes.get(name),
    settled: async () => mirror.sync(),
    subscribe(h: ChangeHandlers, policy: PolicyIndex) {
      const p = policyIndexHandlers(policy);
      services = new Kept<ServiceObj>(h.services);
      slices = new Kept<EndpointSliceObj>(
        h.slices,
        (s, old) => {
          if (old) indexSlice(old, false);
          indexSlice(s, true);
        },
        (old) => indexSlice(old, false),
      );
      const s = services;
      const sl = slices;
      const apply: Record<string, (ev: MirrorEvent) => void> = {
        services: (ev) => (ev.type === 'DELETED' ? s.delete(ev.namespace, ev.name) : s.set(slimService(ev.object as ServiceObj))),
        [SLICES]: (ev) => (ev.type === 'DELETED' ? sl.delete(ev.namespace, ev.name) : sl.set(slim(ev.object as EndpointSliceObj))),
        pods: (ev) => {
          const k = key(ev.namespace, ev.name);
          const old = pods.get(k);
          if (old) refIPs(old.ips, -1);
          if (ev.type === 'DELETED') {
            pods.delete(k);
            p.pods.delete!(ev.object);
            // What the proxy reads of a deleted Pod (changes.ts podDeleted).
            if (old)
              h.pods.delete?.({
                metadata: { namespace: ev.namespace, name: ev.name },
                spec: { hostNetwork: old.hostNetwork },
                status: { podIPs: old.ips.map((ip) => ({ ip })) },
              } as KubeObject);
            return;
          }
          const pod = ev.object as PodObj;
          const now = { ips: podIPs(pod), hostNetwork: !!pod.spec?.hostNetwork };
          pods.set(k, now);
          refIPs(now.ips, 1);
          p.pods.add!(pod);
        },
        namespaces: (ev) => (ev.type === 'DELETED' ? p.namespaces.delete!(ev.object) : p.namespaces.add!(ev.object)),
        [NETWORKPOLICIES]: (ev) => (ev.type === 'DELETED' ? p.networkpolicies.delete!(ev.object) : p.networkpolicies.add!(ev.object)),
        nodes: (ev) => {
          if (ev.type === 'DELETED') nodes.delete(ev.name);
          else nodes.set(ev.name, ev.object as NodeObj);
        },
      };
      // Subscribed, then listed: nothing is applied in between (the mirror applies batches on
      // this thread's turns), and the listing hands over what the mirror held for the proxy.
      const unsubscribe = PROXY_RESOURCES.map((r) => mirror.subscribe(r, apply[r]!));
      for (const r of PROXY_RESOURCES) {
        for (const o of mirror.listObjects(r)) {
          apply[r]!({ type: 'ADDED', resource: r, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '', object: o });
        }
      }
      return () => {
        for (const u of unsubscribe) u();
      };
    },
  };
}
