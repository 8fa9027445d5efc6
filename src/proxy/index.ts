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
import { ENDPOINTSLICES } from '../registry/endpointslice.js';
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { createInformer, type Informer } from '../storage/informer.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { PodObj } from '../registry/pod/strategy.js';
import { hostPort, localReadyEndpointCount, selectBackends, type Endpoint, type NodeInfo, type PortBackends } from './endpoints.js';
import {
  DEFAULT_NODEPORT_ADDRESSES,
  externalIPAllowed,
  hostAddresses,
  isLocalAddress,
  isLoopback,
  nodePortAddresses,
  parseNodePortCIDRs,
  type HostAddress,
} from './nodeport-addresses.js';
import { backendOrder, DEFAULT_AFFINITY_SECONDS, newAffinity, remember, stickyBackend, sweepAffinity, type Affinity } from './affinity.js';
import {
  clusterIPsOf,
  createListenerSet,
  routeId,
  serviceKey,
  wantedListeners,
  type ListenerFailure,
  type ListenerSpec,
} from './listeners.js';
import { openTcpListener, reset, type Closable, type TcpTarget } from './tcp.js';
import { openUdpListener, type UdpListener, type UdpTarget } from './udp.js';
import { openServiceHealthListener, startHealthzServer, type HealthzServer } from './healthcheck.js';
import { newCounters, snapshot, type Counters, type PortStats } from './stats.js';
import { nextConditions, type ServiceStatusWriter } from './conditions.js';

export type { PortStats } from './stats.js';
export type { Endpoint, PortBackends } from './endpoints.js';
export { selectBackends, portEndpoints, categorize, trafficPolicy, localReadyEndpointCount } from './endpoints.js';
export { nodePortAddresses, parseNodePortCIDRs, hostAddresses, isLocalAddress, DEFAULT_NODEPORT_ADDRESSES } from './nodeport-addresses.js';
export { serviceHealthBody } from './healthcheck.js';
export { PORTS_BOUND, serviceStatusWriter, type ServiceStatusWriter } from './conditions.js';

export const SLICES = ENDPOINTSLICES;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Source component of the proxy's Events, as upstream's. */
export const PROXY_COMPONENT = 'kube-proxy';
/** conntrack's nf_conntrack_udp_timeout (30 s) for a flow without replies in both directions. */
export const DEFAULT_UDP_IDLE_MS = 30_000;
/** upstream: 2 × the 30 s sync period before /healthz reports a stuck proxy. */
const HEALTH_TIMEOUT_MS = 60_000;

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

interface Route {
  id: string;
  backends: Record<4 | 6, PortBackends>;
  affinity?: Affinity;
  counters: Counters;
}

const EMPTY: PortBackends = { clusterBackends: [], externalBackends: [] };

/** HOST:PORT with an IPv6 host in brackets. */
function parseBind(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[3]) > 65535) throw new Error(`healthzBind: invalid value "${v}": want HOST:PORT, e.g. 127.0.0.1:10256`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

function podIPs(pod: PodObj): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p?.ip).filter((ip): ip is string => !!ip);
  return ips.length ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

const sliceIPs = (s: EndpointSliceObj) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []);
const sliceService = (s: KubeObject) => {
  const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${s.metadata.namespace ?? ''}/${svc}` : undefined;
};
const bareIP = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

export async function startServiceProxy(o: ProxyOptions): Promise<ServiceProxy> {
  // `TCP 127.96.0.10:53` / `UDP 127.96.0.10:53`: served by tinykube itself, never by a listener here.
  const reserved = new Set((o.reserved ?? []).map((r) => r.replace(/\[|\]/g, '')));
  const { store, log } = o;
  const node: NodeInfo = { name: o.nodeName, zone: o.zone };
  const cidrs = parseNodePortCIDRs(o.nodePortAddresses ?? DEFAULT_NODEPORT_ADDRESSES);
  const extCIDRs = parseNodePortCIDRs(o.externalIPAddresses ?? []);
  const extAllowed = (ip: string) => externalIPAllowed(ip, extCIDRs);
  const bind = parseBind(o.healthzBind ?? '127.0.0.1:0');
  const udpIdleMs = o.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_MS;
  const connectTimeoutMs = o.connectTimeoutMs ?? 1_000;
  const retryMaxMs = o.listenRetryMaxMs ?? 5_000;

  let host: HostAddress[] = hostAddresses();
  let npAddrs = nodePortAddresses(cidrs, host);
  const isLocal = (ip: string) => isLocalAddress(ip, host);

  const routes = new Map<string, Route>();
  const routesOf = new Map<string, Set<string>>();
  const healthCounts = new Map<string, number>();
  /** Warnings already given per Service (SCTP ports, foreign externalIPs): once per state. */
  const warned = new Map<string, Set<string>>();
  /** Kill switches of open TCP connections by backend address. */
  const tracked = new Map<string, Set<() => void>>();
  const udpOpen = new Set<{ current: () => ListenerSpec; l: UdpListener }>();
  /** How many slice endpoints carry each address (all slices, all Services). */
  const sliceRefs = new Map<string, number>();
  const dirty = new Set<string>();
  /** Addresses that may have gone for good: 'pod' (its Pod was deleted) or 'slice' (left the last slice). */
  const gone = new Map<string, 'pod' | 'slice'>();
  /** Services whose listener state may have changed: their status condition is checked on the next flush. */
  const statusDirty = new Set<string>();
  let scheduled = false;
  let stopped = false;

  // Proxier health (upstream QueuedUpdate/Updated): unhealthy when a change waits too long.
  let oldestPending: number | undefined;
  let lastUpdated: { wall: number; mono: number } | undefined;
  const proxyHealthy = () => oldestPending === undefined || performance.now() - oldestPending < HEALTH_TIMEOUT_MS;

  const event = (service: string, type: 'Normal' | 'Warning', reason: string, message: string) => {
    if (!o.recordEvent) return;
    const [ns, name] = service.split('/') as [string, string];
    const svc = services.get(ns, name);
    if (!svc) return;
    try {
      o.recordEvent(svc, type, reason, message);
    } catch (err) {
      log.debug({ err }, 'proxy: event not recorded');
    }
  };

  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    oldestPending ??= performance.now();
    setImmediate(flush);
  };
  const mark = (key: string | undefined) => {
    if (!key) return;
    dirty.add(key);
    schedule();
  };
  const refAdd = (ips: string[]) => {
    for (const ip of ips) sliceRefs.set(ip, (sliceRefs.get(ip) ?? 0) + 1);
  };
  const refRemove = (ips: string[]) => {
    for (const ip of ips) {
      const n = (sliceRefs.get(ip) ?? 0) - 1;
      if (n > 0) sliceRefs.set(ip, n);
      else {
        sliceRefs.delete(ip);
        if (!gone.has(ip)) gone.set(ip, 'slice');
        schedule();
      }
    }
  };

  // Own informers are stopped with the proxy; shared ones only lose the proxy's handlers.
  const own: Informer[] = [];
  const informer = (resource: string) => {
    if (o.informers) return o.informers.for(resource);
    const i = createInformer(store, resource);
    own.push(i);
    return i;
  };
  const unsubscribe: (() => void)[] = [];
  const services = informer('services');
  const slices = informer(SLICES);
  const pods = informer('pods');
  // Index names carry the proxy's prefix: a shared informer may have other users' indexes.
  const BY_SERVICE = 'proxy/service';
  const BY_IP = 'proxy/ip';
  slices.addIndex(BY_SERVICE, (s) => {
    const k = sliceService(s);
    return k ? [k] : [];
  });
  pods.addIndex(BY_IP, (p) => podIPs(p as PodObj));

  // ---- connections ----

  /** The client's own address as the source towards the backend, so the backend sees who called. */
  const sourceFor = (client: string) => (backend: Endpoint) => {
    // A loopback client can be any 127/8 address and the kernel lets us bind it; from another
    // local address towards a loopback backend, or across families, keep the kernel's choice.
    const c = bareIP(client);
    return isLoopback(c) && isLoopback(backend.ip) && c.includes(':') === backend.ip.includes(':') ? c : undefined;
  };

  // Towards a loopback backend the kernel's own source is 127.0.0.1 (::1 for IPv6), so a client
  // calling from there needs no bind before connect: the backend sees the same address either
  // way. Binding would cost dearly under a high connection rate: bind() picks a free port for the
  // address alone (it cannot know the destination), so with thousands of TIME_WAIT sockets on
  // 127.0.0.1 it scans the whole ephemeral range and then fails (~300 connections/s measured),
  // while connect() picks its port by the whole address pair. The first such connection of each
  // family checks the kernel's choice (getsockname); were it another address, binding resumes.
  let kernelPicksLoopbackSource = true;
  const sourceChecked = new Set<string>();
  const implicitSource = (ip: string | undefined) => ip === '127.0.0.1' || ip === '::1';
  const tcpSourceFor = (client: string) => {
    const bind = sourceFor(client);
    return (backend: Endpoint) => {
      const s = bind(backend);
      return kernelPicksLoopbackSource && implicitSource(s) ? undefined : s;
    };
  };
  const checkImplicitSource = (clientIP: string, backend: Endpoint, upstream: net.Socket) => {
    if (sourceChecked.size === 2) return;
    const want = sourceFor(clientIP)(backend);
    if (!want || !implicitSource(want) || sourceChecked.has(want)) return;
    const got = upstream.localAddress && bareIP(upstream.localAddress);
    if (!got) return;
    sourceChecked.add(want);
    if (got !== want) {
      kernelPicksLoopbackSource = false;
      log.warn(
        { want, got, backend: backend.key },
        'proxy: the kernel chose another source address towards a loopback backend; binding the client address from now on',
      );
    }
  };

  const backendsFor = (spec: ListenerSpec): { r: Route; list: Endpoint[] } | undefined => {
    const r = routes.get(spec.route);
    if (!r) return undefined;
    const b = r.backends[spec.family];
    return { r, list: spec.external ? b.externalBackends : b.clusterBackends };
  };

  const trackConnection = (ip: string, kill: () => void, client: net.Socket) => {
    let s = tracked.get(ip);
    if (!s) tracked.set(ip, (s = new Set()));
    s.add(kill);
    client.once('close', () => {
      const cur = tracked.get(ip);
      cur?.delete(kill);
      if (cur && !cur.size) tracked.delete(ip);
    });
  };

  const tcpTarget = (spec: ListenerSpec, client: net.Socket): TcpTarget | undefined => {
    const found = backendsFor(spec);
    if (!found) return undefined;
    const { r, list } = found;
    const clientIP = client.remoteAddress ?? '';
    const sticky = r.affinity ? stickyBackend(r.affinity, clientIP, Date.now()) : undefined;
    return {
      order: backendOrder(list, sticky),
      localAddress: tcpSourceFor(clientIP),
      counters: r.counters,
      spliced(backend, c, upstream) {
        checkImplicitSource(clientIP, backend, upstream);
        if (r.affinity) remember(r.affinity, clientIP, backend.key, Date.now());
        trackConnection(
          backend.ip,
          () => {
            reset(upstream);
            reset(c);
          },
          c,
        );
      },
    };
  };

  const udpTarget = (spec: ListenerSpec, client: { address: string }): UdpTarget | undefined => {
    const found = backendsFor(spec);
    if (!found) return undefined;
    const { r, list } = found;
    const sticky = r.affinity ? stickyBackend(r.affinity, client.address, Date.now()) : undefined;
    return {
      order: backendOrder(list, sticky),
      localAddress: sourceFor(client.address),
      counters: r.counters,
      started(backend) {
        if (r.affinity) remember(r.affinity, client.address, backend.key, Date.now());
      },
    };
  };

  const healthAnswer = (service: string) => {
    if (!routesOf.has(service)) return undefined;
    const [namespace, name] = service.split('/') as [string, string];
    return { namespace, name, localEndpoints: healthCounts.get(service) ?? 0, proxyHealthy: proxyHealthy() };
  };

  const describe = (s: ListenerSpec) => {
    const proto = s.kind === 'UDP' ? 'UDP' : 'TCP';
    const what = s.role === 'healthCheckNodePort' ? 'health check node port' : `${s.role}${s.portName ? ` of port "${s.portName}"` : ''}`;
    return `${hostPort(s.address, s.port)}/${proto} (${what})`;
  };

  const listeners = createListenerSet({
    retryBaseMs: Math.min(500, retryMaxMs),
    retryMaxMs,
    async open(spec, current): Promise<Closable> {
      const opts = { connectTimeoutMs, idleMs: udpIdleMs, log };
      if (spec.kind === 'TCP') return openTcpListener(spec.address, spec.port, (c) => tcpTarget(current(), c), opts);
      if (spec.kind === 'health') return openServiceHealthListener(spec.address, spec.port, () => healthAnswer(current().service));
      const l = await openUdpListener(spec.address, spec.port, spec.family, (c) => udpTarget(current(), c), opts);
      const h = { current, l };
      udpOpen.add(h);
      return {
        close: () => {
          udpOpen.delete(h);
          return l.close();
        },
      };
    },
    // Once per failure (a new one, or another cause), never per retry: one warn line, one event.
    failed(f: ListenerFailure) {
      const s = f.spec;
      // A socket another Service of this cluster has is not retried on a timer: it passes to
      // this Service when that one lets it go.
      const next = f.code === 'CONFLICT' ? 'served for this Service once that one no longer wants it' : 'retrying';
      log.warn(
        { service: s.service, address: s.address, port: s.port, protocol: s.kind, code: f.code },
        `proxy: cannot listen on ${describe(s)}: ${f.message}; ${next}`,
      );
      if (s.kind === 'health')
        event(
          s.service,
          'Warning',
          'FailedToStartServiceHealthcheck',
          `node ${node.name} failed to start healthcheck "${s.service}" on ${hostPort(s.address, s.port)}: ${f.message}; ${next}`,
        );
      else event(s.service, 'Warning', 'ListenFailed', `Failed to listen on ${describe(s)}: ${f.message}; ${next}`);
    },
    recovered(s) {
      log.info(
        { service: s.service, address: s.address, port: s.port, protocol: s.kind },
        `proxy: listening on ${describe(s)} after earlier failures`,
      );
    },
    changed(service) {
      if (!o.serviceStatus) return;
      statusDirty.add(service);
      schedule();
    },
  });

  /** Brings the Service's tinykube.io/PortsBound condition in line with its listeners (conditions.ts). */
  const checkStatus = (key: string) => {
    if (!o.serviceStatus) return;
    const [ns, name] = key.split('/') as [string, string];
    const svc = services.get(ns, name) as ServiceObj | undefined;
    if (!svc || svc.metadata.deletionTimestamp) return;
    const state = listeners.stateOf(key);
    const opts = (s: KubeObject) => ({
      generation: s.metadata.generation,
      now: new Date(),
      describe: (f: ListenerFailure) => describe(f.spec),
    });
    // The informer's copy first: most checks end here without touching the store.
    if (!nextConditions(svc.status?.conditions, state, opts(svc))) return;
    try {
      o.serviceStatus(ns, name, (cur) => {
        const status = { ...((cur.status as Record<string, unknown> | undefined) ?? {}) };
        const conditions = nextConditions(status.conditions as unknown[] | undefined, state, opts(cur));
        if (!conditions) return undefined;
        if (conditions.length) status.conditions = conditions;
        else delete status.conditions;
        return status;
      });
    } catch (err) {
      log.warn({ err, service: key }, 'proxy: cannot write the Service status condition');
    }
  };

  // ---- sync ----

  const warnOnce = (service: string, keys: Map<string, () => void>) => {
    const before = warned.get(service) ?? new Set<string>();
    for (const [k, emit] of keys) if (!before.has(k)) emit();
    if (keys.size) warned.set(service, new Set(keys.keys()));
    else warned.delete(service);
  };

  const dropService = (key: string) => {
    listeners.apply(key, []);
    for (const id of routesOf.get(key) ?? []) routes.delete(id);
    routesOf.delete(key);
    healthCounts.delete(key);
    warned.delete(key);
  };

  const syncService = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const svc = services.get(ns, name) as ServiceObj | undefined;
    if (!svc || !clusterIPsOf(svc).length) {
      dropService(key);
      return;
    }
    const svcSlices = slices.byIndex(BY_SERVICE, key) as EndpointSliceObj[];
    const want = wantedListeners(svc, { nodePortAddresses: npAddrs, isLocal, externalIPAllowed: extAllowed });

    const warnings = new Map<string, () => void>();
    for (const p of want.unsupported) {
      const label = `${p.name ? `port "${p.name}" ` : ''}${p.port}/${p.protocol}`;
      warnings.set(`proto:${p.port}/${p.protocol}`, () =>
        event(
          key,
          'Warning',
          'UnsupportedProtocol',
          `${label}: ${p.protocol} is not supported by the service proxy (only TCP and UDP); the port is not served`,
        ),
      );
    }
    for (const ip of want.foreignExternalIPs) {
      warnings.set(`extip:${ip}`, () =>
        event(key, 'Warning', 'ExternalIPNotLocal', `externalIP ${ip} is not an address of this host: no listener is opened for it`),
      );
    }
    for (const ip of want.refusedExternalIPs) {
      warnings.set(`extip-refused:${ip}`, () => {
        event(
          key,
          'Warning',
          'ExternalIPNotAllowed',
          `externalIP ${ip} is an address of this host outside --external-ip-addresses: no listener is opened for it (start tinykube with --external-ip-addresses ${ip.includes(':') ? `${ip}/128` : `${ip}/32`} to serve it)`,
        );
        log.warn(
          { service: key, externalIP: ip },
          'proxy: externalIP on a non-loopback host address not served (see --external-ip-addresses)',
        );
      });
    }
    warnOnce(key, warnings);

    const keep = new Set<string>();
    const sa =
      svc.spec?.sessionAffinity === 'ClientIP'
        ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
        : undefined;
    for (const p of svc.spec?.ports ?? []) {
      const protocol = p.protocol || 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      const id = routeId(key, p.port, protocol);
      keep.add(id);
      let r = routes.get(id);
      if (!r) routes.set(id, (r = { id, backends: { 4: EMPTY, 6: EMPTY }, counters: newCounters() }));
      r.backends = { 4: selectBackends(svc, p, svcSlices, node, 4), 6: selectBackends(svc, p, svcSlices, node, 6) };
      if (sa === undefined) r.affinity = undefined;
      else if (r.affinity?.timeoutMs !== sa * 1000) r.affinity = newAffinity(sa);
    }
    for (const id of routesOf.get(key) ?? []) if (!keep.has(id)) routes.delete(id);
    routesOf.set(key, keep);
    healthCounts.set(key, localReadyEndpointCount(svcSlices, node));

    // UDP flows whose backend is no longer one of their listener's backends end now (upstream
    // clears the conntrack entries of stale UDP endpoints).
    for (const u of udpOpen) {
      const spec = u.current();
      if (spec.service !== key) continue;
      const found = backendsFor(spec);
      const live = new Set((found?.list ?? []).map((b) => b.key));
      u.l.prune((b) => !live.has(b.key));
    }
    listeners.apply(key, reserved.size ? want.listeners.filter((l) => !reserved.has(`${l.kind} ${l.address}:${l.port}`)) : want.listeners);
  };

  const killAddress = (ip: string) => {
    const s = tracked.get(ip);
    if (s) {
      tracked.delete(ip);
      log.debug({ ip, connections: s.size }, 'proxy: backend gone, resetting its connections');
      for (const kill of s) kill();
    }
    for (const u of udpOpen) u.l.prune((b) => b.ip === ip);
  };

  function flush() {
    scheduled = false;
    if (stopped) return;
    const t0 = performance.now();
    const keys = [...dirty];
    dirty.clear();
    for (const key of keys) {
      try {
        syncService(key);
      } catch (err) {
        log.error({ err, service: key }, 'proxy: sync failed');
      }
    }
    if (o.serviceStatus) {
      for (const key of keys) statusDirty.add(key);
      const check = [...statusDirty];
      statusDirty.clear();
      for (const key of check) checkStatus(key);
    }
    for (const [ip, why] of gone) {
      if (pods.byIndex(BY_IP, ip).length) continue;
      if (why === 'pod' || !sliceRefs.has(ip)) killAddress(ip);
    }
    gone.clear();
    oldestPending = undefined;
    lastUpdated = { wall: Date.now(), mono: performance.now() };
    const ms = performance.now() - t0;
    if (keys.length) log.debug({ services: keys.length, ms: Math.round(ms * 100) / 100 }, 'proxy: synced');
  }

  unsubscribe.push(
    services.on({ add: (s) => mark(serviceKey(s)), update: (s) => mark(serviceKey(s)), delete: (s) => mark(serviceKey(s)) }),
    slices.on({
      add(s) {
        refAdd(sliceIPs(s as EndpointSliceObj));
        mark(sliceService(s));
      },
      update(s, old) {
        // Count the new addresses before dropping the old: one still listed never looks gone.
        refAdd(sliceIPs(s as EndpointSliceObj));
        refRemove(sliceIPs(old as EndpointSliceObj));
        mark(sliceService(s));
        if (sliceService(old) !== sliceService(s)) mark(sliceService(old));
      },
      delete(s) {
        refRemove(sliceIPs(s as EndpointSliceObj));
        mark(sliceService(s));
      },
    }),
    pods.on({
      delete(p) {
        const pod = p as PodObj;
        // A host-network Pod's address is the host's, shared with everything else on it.
        if (pod.spec?.hostNetwork) return;
        for (const ip of podIPs(pod)) gone.set(ip, 'pod');
        schedule();
      },
    }),
  );
  const detach = () => {
    for (const u of unsubscribe) u();
    for (const i of own) i.stop();
  };

  // Periodic upkeep: retry failed listeners, follow host address changes, forget lapsed affinity.
  const tick = setInterval(
    () => {
      listeners.retryDue();
      const h = hostAddresses();
      const np = nodePortAddresses(cidrs, h);
      const changed = h.length !== host.length || h.some((a, i) => a.address !== host[i]!.address) || np.join() !== npAddrs.join();
      host = h;
      npAddrs = np;
      if (changed) for (const k of services.list()) mark(serviceKey(k));
      const now = Date.now();
      for (const r of routes.values()) if (r.affinity) sweepAffinity(r.affinity, now);
    },
    Math.min(1_000, retryMaxMs),
  );
  tick.unref();

  let healthz: HealthzServer;
  try {
    healthz = await startHealthzServer(bind.host, bind.port, () => {
      const n = store.get('nodes', '', node.name) as
        { metadata: { deletionTimestamp?: string }; spec?: { taints?: { key: string }[] } } | undefined;
      const nodeEligible =
        !n || (!n.metadata.deletionTimestamp && !(n.spec?.taints ?? []).some((t) => t.key === 'ToBeDeletedByClusterAutoscaler'));
      return { healthy: proxyHealthy(), lastUpdated, nodeEligible };
    });
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
    stats() {
      const out: Record<string, PortStats> = {};
      for (const r of routes.values()) out[r.id] = snapshot(r.counters);
      return out;
    },
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
        for (const ip of [...tracked.keys()]) killAddress(ip);
        await healthz.close();
      })()),
  };
  await idle();
  log.info({ healthz: hostPort(bind.host, healthz.port), nodePortAddresses: npAddrs }, 'proxy: serving Services');
  return proxy;
}
