// The service proxy itself, wherever it runs: on the main thread fed by the cluster's informers
// (index.ts startServiceProxy), or on the data-plane thread fed by its mirror of the store
// (src/dataplane/proxy-view.ts). What it reads of the API comes through a ProxySource and what it
// writes (Events, the Service condition) through callbacks, so this module imports nothing of the
// registry or the store but types: the data-plane thread's bundle carries it.
//
// A change marks its Service, and all marked Services are brought up to date together on the next
// turn of the event loop (setImmediate), so listeners and backends follow the API within
// milliseconds and a burst of changes costs one pass.
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { NodeObj } from '../registry/node.js';
import type { InformerHandlers } from '../storage/informer.js';
import { createPolicyIndex, type PolicyIndex } from '../registry/networking/policy-evaluation.js';
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
import { changeHandlers, hasChanges, newChanges, serviceChanged } from './changes.js';
import { killAddress, killAll, newConnections, openListener, pruneFlows } from './connections.js';
import { routeStats, sweepRoutes } from './routes.js';
import { healthAnswer, listenerReports, newSyncState, syncChanges, type EventDeps, type SyncDeps } from './sync.js';
import type { ComponentLog } from '../base/log.js';

/** conntrack's nf_conntrack_udp_timeout (30 s) for a flow without replies in both directions. */
export const DEFAULT_UDP_IDLE_MS = 30_000;

/** The proxy's settings: plain data (they cross to the data-plane thread as they are). */
export interface ProxySettings {
  nodeName: string;
  /** The Node's `topology.kubernetes.io/zone`, for zone hints (trafficDistribution: PreferClose). */
  zone?: string;
  /** kube-proxy's --nodeport-addresses: CIDRs; NodePorts listen on every host address inside one. Default ['127.0.0.1/32']. */
  nodePortAddresses?: string[];
  /** CIDRs of non-loopback host addresses that Services' externalIPs may be served on (default none). */
  externalIPAddresses?: string[];
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
}

/** The change handlers the proxy registers (changes.ts changeHandlers). */
export interface ChangeHandlers {
  services: InformerHandlers;
  slices: InformerHandlers;
  pods: InformerHandlers;
}

/** The proxy's view of the API. */
export interface ProxySource {
  /** Every Service (all are synced again when the host's addresses change). */
  services(): Iterable<KubeObject>;
  /** The Service of a `namespace/name` key. */
  service(key: string): ServiceObj | undefined;
  /** The Service's EndpointSlices. */
  slicesOf(key: string): EndpointSliceObj[];
  /** Some Pod has this address now. */
  podHas(ip: string): boolean;
  /** The Node of this name (its eligibility is part of /healthz). */
  node(name: string): NodeObj | undefined;
  /**
   * Registers the handlers, replaying what the source holds as adds, and feeds the policy index
   * (Pods, Namespaces, NetworkPolicies); the returned function detaches the proxy.
   */
  subscribe(h: ChangeHandlers, policy: PolicyIndex): () => void;
  /** Resolves once the changes made so far have reached the source (idle() waits for it). */
  settled(): Promise<void>;
}

export interface RunOptions extends ProxySettings {
  source: ProxySource;
  log: ComponentLog;
  recordEvent?: (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  /**
   * Writes Service status: the proxy keeps the `tinykube.io/PortsBound` condition with it
   * (conditions.ts). Absent: no condition is written.
   */
  serviceStatus?: ServiceStatusWriter;
}

export interface ListenerInfo {
  address: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'health';
  service: string;
  role: ListenerSpec['role'];
}

export interface ListenerReport {
  open: ListenerInfo[];
  failed: (ListenerInfo & { code: string; message: string; attempts: number })[];
}

export interface ServiceProxy {
  /** The port /healthz and /livez answer on. */
  healthzPort: number;
  /** Counters per Service port, keyed `namespace/name:port/PROTOCOL`. */
  stats(): Record<string, PortStats>;
  /** The open listeners and the failed ones (with the reason). */
  listeners(): ListenerReport;
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

export async function runServiceProxy(o: RunOptions): Promise<ServiceProxy> {
  const { source: api, log } = o;
  const node: NodeInfo = { name: o.nodeName, zone: o.zone };
  const retryMaxMs = o.listenRetryMaxMs ?? 5_000;

  // Host addresses, read again by the periodic upkeep below.
  const host = newHostState(
    parseNodePortCIDRs(o.nodePortAddresses ?? DEFAULT_NODEPORT_ADDRESSES),
    parseNodePortCIDRs(o.externalIPAddresses ?? []),
  );

  const bind = parseBind(o.healthzBind ?? '127.0.0.1:0');

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
    service: (key) => api.service(key),
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
    slicesOf: (key) => api.slicesOf(key),
    podHas: (ip) => api.podHas(ip),
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
        for (const k of api.services()) serviceChanged(changes, k);
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
      nodeEligible: nodeEligible(api.node(node.name)),
    }));
  } catch (err) {
    clearInterval(tick);
    detach();
    throw err;
  }

  const idle = async () => {
    for (let i = 0; i < 10_000; i++) {
      await api.settled();
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
