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
// the sockets), healthcheck.ts (the health answers and the update clock). startServiceProxy wires
// them to the informers, a timer and the event loop.
import { ENDPOINTSLICES } from '../registry/endpointslice.js';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { createInformer, type Informer, type InformerHandlers } from '../storage/informer.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import { hostPort, type NodeInfo } from './endpoints.js';
import {
  DEFAULT_NODEPORT_ADDRESSES,
  hostView,
  isLocalAddress,
  newHostState,
  parseNodePortCIDRs,
  refreshHost,
} from './nodeport-addresses.js';
import { createListenerSet, type ListenerSpec } from './listeners.js';
import {
  nodeEligible,
  proxierHealthy,
  queuedUpdate,
  startHealthzServer,
  updated,
  type HealthzServer,
  type UpdateClock,
} from './healthcheck.js';
import type { PortStats } from './stats.js';
import type { ServiceStatusWriter } from './conditions.js';
import { changeHandlers, hasChanges, newChanges, podIPs, serviceChanged, sliceService } from './changes.js';
import { killAddress, killAll, newConnections, openListener, pruneFlows } from './connections.js';
import { routeStats, sweepRoutes } from './routes.js';
import { healthAnswer, listenerReports, newSyncState, syncChanges, type EventDeps, type SyncDeps } from './sync.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { NodeObj } from '../registry/node.js';
import { NETWORKPOLICIES, createPolicyIndex, policyIndexHandlers, type PolicyIndex } from '../registry/networking/policy-evaluation.js';

export type { PortStats } from './stats.js';
export type { Endpoint, PortBackends } from './endpoints.js';
export { selectBackends, portEndpoints, categorize, trafficPolicy, localReadyEndpointCount } from './endpoints.js';
export { nodePortAddresses, parseNodePortCIDRs, hostAddresses, isLocalAddress, DEFAULT_NODEPORT_ADDRESSES } from './nodeport-addresses.js';
export { serviceHealthBody } from './healthcheck.js';
export { PORTS_BOUND, serviceStatusWriter, type ServiceStatusWriter } from './conditions.js';

export const SLICES = ENDPOINTSLICES;
/** Source component of the proxy's Events, as upstream's. */
export const PROXY_COMPONENT = 'kube-proxy';
/** conntrack's nf_conntrack_udp_timeout (30 s) for a flow without replies in both directions. */
export const DEFAULT_UDP_IDLE_MS = 30_000;

export interface ProxyOptions {
  store: Store;
  log: Logger;
  nodeName: string;
  /** The Node's `topology.kubernetes.io/zone`, for zone hints (trafficDistribution: PreferClose). */
  zone?: string;
  /** kube-proxy's --nodeport-addresses: CIDRs; NodePorts listen on every host address inside one. Default ['127.0.0.1/32']. */
  nodePortAddresses?: string[];
  /** CIDRs of non-loopback host addresses that Services' externalIPs may be served on (default none). */
  externalIPAddresses?: string[];
  recordEvent?: (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  /**
   * Writes Service status (serviceStatusWriter: the registry's status subresource, in process):
   * the proxy keeps the `tinykube.io/PortsBound` condition with it (conditions.ts). Absent: no
   * condition is written.
   */
  serviceStatus?: ServiceStatusWriter;
  /** Idle time after which a UDP flow is forgotten (default 30 s). */
  udpIdleTimeoutMs?: number;
  /** HOST:PORT of /healthz and /livez (default 127.0.0.1:0: a free port, see healthzPort). */
  healthzBind?: string;
  /** Longest back-off between attempts to open a listener that failed (default 5 s; the first retry is after 0.5 s). */
  listenRetryMaxMs?: number;
  /** Time allowed for one backend connection attempt before the next backend is tried (default 1 s). */
  connectTimeoutMs?: number;
  /**
   * Sockets tinykube serves itself, as `PROTO ADDRESS:PORT` (the DNS server on the kube-dns
   * ClusterIP, port 53): the proxy opens no listener there.
   */
  reserved?: string[];
  /** Informers to share (the cluster's InformerFactory); default: the proxy makes its own. */
  informers?: { for(resource: string): Informer };
}

export interface ListenerInfo {
  address: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'health';
  service: string;
  role: ListenerSpec['role'];
}

export interface ServiceProxy {
  /** The port /healthz and /livez answer on. */
  healthzPort: number;
  /** Counters per Service port, keyed `namespace/name:port/PROTOCOL`. */
  stats(): Record<string, PortStats>;
  /** The open listeners and the failed ones (with the reason). */
  listeners(): { open: ListenerInfo[]; failed: (ListenerInfo & { code: string; message: string; attempts: number })[] };
  /** Resolves once every change seen so far is applied and every listener open/close settled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** HOST:PORT with an IPv6 host in brackets. */
function parseBind(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[3]) > 65535) throw new Error(`healthzBind: invalid value "${v}": want HOST:PORT, e.g. 127.0.0.1:10256`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

/**
 * The proxy's view of the API: Services, their EndpointSlices, and Pods by address, from the
 * shared informers or its own (stopped with it; shared ones only lose the proxy's handlers).
 */
function proxyInformers(o: ProxyOptions) {
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
    services,
    service: (key: string) => services.get(...(key.split('/') as [string, string])) as ServiceObj | undefined,
    slicesOf: (key: string) => slices.byIndex(BY_SERVICE, key) as EndpointSliceObj[],
    podHas: (ip: string) => pods.byIndex(BY_IP, ip).length > 0,
    /** Registers the handlers (changes.ts changeHandlers); the returned function detaches the proxy. */
    subscribe(h: { services: InformerHandlers; slices: InformerHandlers; pods: InformerHandlers }, policy: PolicyIndex): () => void {
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

export async function startServiceProxy(o: ProxyOptions): Promise<ServiceProxy> {
  const { store, log } = o;
  const node: NodeInfo = { name: o.nodeName, zone: o.zone };
  const retryMaxMs = o.listenRetryMaxMs ?? 5_000;

  // Host addresses, read again by the periodic upkeep below.
  const host = newHostState(
    parseNodePortCIDRs(o.nodePortAddresses ?? DEFAULT_NODEPORT_ADDRESSES),
    parseNodePortCIDRs(o.externalIPAddresses ?? []),
  );

  const bind = parseBind(o.healthzBind ?? '127.0.0.1:0');
  const api = proxyInformers(o);

  // State: what changed (changes.ts), the routes and what the sync keeps (sync.ts), the open
  // connections (connections.ts), the listening sockets (listeners.ts), the update clock.
  const changes = newChanges();
  const state = newSyncState();
  // NetworkPolicy: sources that are no Pod's and are this host's own addresses are the node,
  // whose traffic to its Pods is always allowed (the concept page's exception).
  const policy = createPolicyIndex({ isNodeAddress: (ip) => isLocalAddress(ip, host.addresses) });
  const conns = newConnections(state.table.routes, log, policy);
  const clock: UpdateClock = {};
  let scheduled = false;
  let stopped = false;
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    queuedUpdate(clock);
    setImmediate(flush);
  };

  const events: EventDeps = {
    log,
    node,
    service: api.service,
    recordEvent: o.recordEvent,
  };
  const listeners = createListenerSet({
    retryBaseMs: Math.min(500, retryMaxMs),
    retryMaxMs,
    open: (spec, current) =>
      openListener(conns, spec, current, {
        connectTimeoutMs: o.connectTimeoutMs ?? 1_000,
        udpIdleMs: o.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_MS,
        health: (service) => healthAnswer(state, service, proxierHealthy(clock)),
      }),
    ...listenerReports(events),
    changed(service) {
      if (!o.serviceStatus) return;
      changes.statusDirty.add(service);
      schedule();
    },
  });
  const deps: SyncDeps = {
    ...events,
    slicesOf: api.slicesOf,
    podHas: api.podHas,
    host: () => hostView(host),
    // `TCP 127.96.0.10:53` / `UDP 127.96.0.10:53`: served by tinykube itself, never by a listener here.
    reserved: new Set((o.reserved ?? []).map((r) => r.replace(/\[|\]/g, ''))),
    listeners,
    pruneFlows: (service) => pruneFlows(conns, service),
    killAddress: (ip) => killAddress(conns, ip),
    serviceStatus: o.serviceStatus,
  };

  function flush() {
    scheduled = false;
    if (stopped) return;
    syncChanges(state, deps, changes);
    updated(clock);
  }

  const detach = api.subscribe(changeHandlers(changes, schedule), policy);

  // Periodic upkeep: retry failed listeners, follow host address changes, forget lapsed affinity.
  const tick = setInterval(
    () => {
      listeners.retryDue();
      if (refreshHost(host)) {
        for (const k of api.services.list()) serviceChanged(changes, k);
        if (hasChanges(changes)) schedule();
      }
      sweepRoutes(state.table, Date.now());
    },
    Math.min(1_000, retryMaxMs),
  );
  tick.unref();

  let healthz: HealthzServer;
  try {
    healthz = await startHealthzServer(bind.host, bind.port, () => ({
      healthy: proxierHealthy(clock),
      lastUpdated: clock.lastUpdated,
      nodeEligible: nodeEligible(store.get('nodes', '', node.name) as NodeObj | undefined),
    }));
  } catch (err) {
    clearInterval(tick);
    detach();
    throw err;
  }

  const idle = async () => {
    for (let i = 0; i < 10_000; i++) {
      await store.durable();
      await new Promise((r) => setImmediate(r));
      if (scheduled) continue;
      await listeners.idle();
      if (!scheduled) return;
    }
  };

  const info = (s: ListenerSpec): ListenerInfo => ({
    address: s.address,
    port: s.port,
    protocol: s.kind,
    service: s.service,
    role: s.role,
  });
  let stopping: Promise<void> | undefined;
  const proxy: ServiceProxy = {
    healthzPort: healthz.port,
    stats: () => routeStats(state.table),
    listeners: () => ({
      open: listeners.open().map(info),
      failed: listeners.failures().map((f) => ({ ...info(f.spec), code: f.code, message: f.message, attempts: f.attempts })),
    }),
    idle,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        clearInterval(tick);
        detach();
        await listeners.closeAll();
        killAll(conns);
        await healthz.close();
      })()),
  };
  await idle();
  log.info({ healthz: hostPort(bind.host, healthz.port), nodePortAddresses: host.nodePortAddresses }, 'proxy: serving Services');
  return proxy;
}
