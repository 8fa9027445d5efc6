// The service proxy: what kube-proxy does with iptables, done in user space without root. Every
// Service port gets TCP or UDP sockets on its ClusterIPs, on the NodePort addresses, on its
// load-balancer ingress IPs and on the externalIPs that are addresses of this host; each accepted
// connection or UDP flow is forwarded to a backend chosen from the Service's EndpointSlices
// (endpoints.ts) as upstream chooses them. The Services, slices and Pods come from in-process
// informers; a change marks its Service, and all marked Services are brought up to date together
// on the next turn of the event loop (setImmediate), so listeners and backends follow the API
// within milliseconds and a burst of changes costs one pass.
//
// Connections that are open when their backend leaves the slices carry on, as conntrack keeps
// established flows when the rules change; they are reset when the backend is gone for good: its
// Pod is deleted, or its address is in no slice and no Pod has it.
//
// The pieces, each with its own state and tested alone: changes.ts (what the informers saw since
// the last pass), sync.ts (the pass: which listeners, routes, warnings, conditions and health
// counts each Service gets), routes.ts (the route table the two halves share), listeners.ts (the
// sockets: claims, conflicts, retries), connections.ts with tcp.ts and udp.ts (what flows through
// the sockets), healthcheck.ts (the health answers and the update clock). run.ts wires them to a
// source of the API, a timer and the event loop; startServiceProxy here gives it the informers of
// the main thread (the data-plane thread gives it its mirror: src/dataplane/proxy-view.ts).
import { ENDPOINTSLICES } from '../registry/endpointslice.js';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { createInformer, type Informer } from '../storage/informer.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { ServiceStatusWriter } from './conditions.js';
import { podIPs, sliceService } from './changes.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { NodeObj } from '../registry/node.js';
import { NETWORKPOLICIES, policyIndexHandlers } from '../registry/networking/policy-evaluation.js';
import { runServiceProxy, type ProxySettings, type ProxySource, type ServiceProxy } from './run.js';

export type { PortStats } from './stats.js';
export type { Endpoint, PortBackends } from './endpoints.js';
export { selectBackends, portEndpoints, categorize, trafficPolicy, localReadyEndpointCount } from './endpoints.js';
export { nodePortAddresses, parseNodePortCIDRs, hostAddresses, isLocalAddress, DEFAULT_NODEPORT_ADDRESSES } from './nodeport-addresses.js';
export { serviceHealthBody } from './healthcheck.js';
export { PORTS_BOUND, serviceStatusWriter, withPortsBound, type ServiceStatusWriter } from './conditions.js';
export {
  DEFAULT_UDP_IDLE_MS,
  runServiceProxy,
  type ListenerInfo,
  type ListenerReport,
  type ProxySettings,
  type ProxySource,
  type ServiceProxy,
} from './run.js';

export const SLICES = ENDPOINTSLICES;
/** Source component of the proxy's Events, as upstream's. */
export const PROXY_COMPONENT = 'kube-proxy';

export interface ProxyOptions extends ProxySettings {
  store: Store;
  log: Logger;
  recordEvent?: (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  /**
   * Writes Service status (serviceStatusWriter: the registry's status subresource, in process):
   * the proxy keeps the `tinykube.io/PortsBound` condition with it (conditions.ts). Absent: no
   * condition is written.
   */
  serviceStatus?: ServiceStatusWriter;
  /** Informers to share (the cluster's InformerFactory); default: the proxy makes its own. */
  informers?: { for(resource: string): Informer };
}

/**
 * The proxy's view of the API on the main thread: Services, their EndpointSlices, and Pods by
 * address, from the shared informers or its own (stopped with it; shared ones only lose the
 * proxy's handlers).
 */
function informerSource(o: ProxyOptions): ProxySource {
  const own: Informer[] = [];
  const informer = (resource: string) => {
    if (o.informers) return o.informers.for(resource);
    const i = createInformer(o.store, resource);
    own.push(i);
    return i;
  };
  const services = informer('services');
  const slices = informer(SLICES);
  const pods = informer('pods');
  const namespaces = informer('namespaces');
  const policies = informer(NETWORKPOLICIES);
  // Index names carry the proxy's prefix: a shared informer may have other users' indexes.
  const BY_SERVICE = 'proxy/service';
  const BY_IP = 'proxy/ip';
  slices.addIndex(BY_SERVICE, (s) => {
    const k = sliceService(s);
    return k ? [k] : [];
  });
  pods.addIndex(BY_IP, (p) => podIPs(p as PodObj));
  return {
    services: () => services.list(),
    service: (key: string) => services.get(...(key.split('/') as [string, string])) as ServiceObj | undefined,
    slicesOf: (key: string) => slices.byIndex(BY_SERVICE, key) as EndpointSliceObj[],
    podHas: (ip: string) => pods.byIndex(BY_IP, ip).length > 0,
    node: (name) => o.store.get('nodes', '', name) as NodeObj | undefined,
    settled: () => o.store.durable(),
    subscribe(h, policy) {
      const p = policyIndexHandlers(policy);
      const unsubscribe = [
        services.on(h.services),
        slices.on(h.slices),
        pods.on(h.pods),
        pods.on(p.pods),
        namespaces.on(p.namespaces),
        policies.on(p.networkpolicies),
      ];
      return () => {
        for (const u of unsubscribe) u();
        for (const i of own) i.stop();
      };
    },
  };
}

/** The proxy on this thread, fed by the informers (the data-plane thread runs it from its mirror instead). */
export function startServiceProxy(o: ProxyOptions): Promise<ServiceProxy> {
  const { store: _store, informers: _informers, ...rest } = o;
  return runServiceProxy({ ...rest, source: informerSource(o) });
}
