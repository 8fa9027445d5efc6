// Listening sockets: which ones a Service wants (a pure function of the Service and the host's
// addresses) and a reconciler that keeps the open ones equal to the wanted ones. Each socket is
// opened on its own; one that cannot be opened (another process holds the port, the address is
// not on this host, a privileged port) is reported once per failure state, retried with back-off
// and whenever its Service changes, and never affects the others.
import type { ServiceObj, ServicePort } from '../registry/service/strategy.js';
import { hostPort, trafficPolicy } from './endpoints.js';
import { familyOf } from './nodeport-addresses.js';
import type { Closable } from './tcp.js';

export type ListenerKind = 'TCP' | 'UDP' | 'health';
export type ListenerRole = 'clusterIP' | 'nodePort' | 'loadBalancer' | 'externalIP' | 'healthCheckNodePort';

export interface ListenerSpec {
  /** `TCP 127.96.0.5:80`: one socket; health checks share the TCP space (same ports). */
  key: string;
  kind: ListenerKind;
  address: string;
  port: number;
  family: 4 | 6;
  /** `namespace/name` of the Service. */
  service: string;
  /** The Service port it serves (`ns/name:port/PROTO`); the Service key for health checks. */
  route: string;
  /** NodePort, load-balancer and external IP traffic: externalTrafficPolicy applies. */
  external: boolean;
  role: ListenerRole;
  /** The Service port's name, for messages. */
  portName: string;
}

export interface WantedListeners {
  listeners: ListenerSpec[];
  /** Ports of a protocol the proxy does not serve (SCTP). */
  unsupported: ServicePort[];
  /** externalIPs that are not addresses of this host: nothing can be received for them here. */
  foreignExternalIPs: string[];
  /**
   * externalIPs that are non-loopback addresses of this host outside --external-ip-addresses:
   * any client that may create a Service could otherwise make tinykube listen on the host's
   * public address, so they are served only when the operator allowed them at start.
   */
  refusedExternalIPs: string[];
}

export const serviceKey = (svc: { metadata: { namespace?: string; name?: string } }) =>
  `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
export const routeId = (service: string, port: number, protocol: string) => `${service}:${port}/${protocol}`;

/** The ClusterIPs kube-proxy serves: none for headless (None) or ExternalName Services. */
export function clusterIPsOf(svc: ServiceObj): string[] {
  const s = svc.spec ?? {};
  if (s.type === 'ExternalName') return [];
  const ips = s.clusterIPs?.length ? s.clusterIPs : s.clusterIP ? [s.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

export function wantedListeners(
  svc: ServiceObj,
  host: { nodePortAddresses: readonly string[]; isLocal(ip: string): boolean; externalIPAllowed?(ip: string): boolean },
): WantedListeners {
  const out: WantedListeners = { listeners: [], unsupported: [], foreignExternalIPs: [], refusedExternalIPs: [] };
  const clusterIPs = clusterIPsOf(svc);
  if (!clusterIPs.length) return out;
  const s = svc.spec ?? {};
  const service = serviceKey(svc);
  // A family's traffic is served only if the Service has a ClusterIP of it (upstream runs one
  // proxier per family and each skips Services without a ClusterIP of its own).
  const families = new Set(clusterIPs.map(familyOf));
  const served = (ip: string) => families.has(familyOf(ip));
  const ingress =
    s.type === 'LoadBalancer'
      ? (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && i.ipMode !== 'Proxy').map((i) => i.ip!)
      : [];
  const externalIPs: string[] = [];
  for (const ip of s.externalIPs ?? []) {
    if (!host.isLocal(ip)) out.foreignExternalIPs.push(ip);
    else if (host.externalIPAllowed && !host.externalIPAllowed(ip)) out.refusedExternalIPs.push(ip);
    else externalIPs.push(ip);
  }
  const seen = new Set<string>();
  const add = (kind: ListenerKind, address: string, port: number, role: ListenerRole, route: string, portName: string) => {
    if (!served(address)) return;
    const key = `${kind === 'UDP' ? 'UDP' : 'TCP'} ${hostPort(address, port)}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.listeners.push({
      key,
      kind,
      address,
      port,
      family: familyOf(address),
      service,
      route,
      external: role !== 'clusterIP',
      role,
      portName,
    });
  };
  for (const p of s.ports ?? []) {
    const protocol = p.protocol || 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') {
      out.unsupported.push(p);
      continue;
    }
    const route = routeId(service, p.port, protocol);
    const name = p.name ?? '';
    for (const ip of clusterIPs) add(protocol, ip, p.port, 'clusterIP', route, name);
    if (p.nodePort) for (const a of host.nodePortAddresses) add(protocol, a, p.nodePort, 'nodePort', route, name);
    for (const ip of ingress) add(protocol, ip, p.port, 'loadBalancer', route, name);
    for (const ip of externalIPs) add(protocol, ip, p.port, 'externalIP', route, name);
  }
  if (s.healthCheckNodePort && trafficPolicy(svc).externalLocal) {
    for (const a of host.nodePortAddresses) add('health', a, s.healthCheckNodePort, 'healthCheckNodePort', service, '');
  }
  return out;
}

export interface ListenerFailure {
  spec: ListenerSpec;
  /** errno code (EADDRINUSE, EADDRNOTAVAIL, EACCES, …) or CONFLICT (another Service has it). */
  code: string;
  message: string;
}

export interface ListenerSetDeps {
  /** Opens the socket; current() is the spec now in force (its route can change while open). */
  open(spec: ListenerSpec, current: () => ListenerSpec): Promise<Closable>;
  /** Called once per failure state change (a new failure, or a different reason). */
  failed(f: ListenerFailure): void;
  /** A listener that had failed is open now. */
  recovered(spec: ListenerSpec): void;
  /**
   * The state of a Service's sockets may have changed: one of its failures appeared, changed or
   * went away, or one of its listeners opened (see stateOf).
   */
  changed?(service: string): void;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface ListenerSet {
  /** Replaces the wanted listeners of one Service (an empty list removes them). */
  apply(service: string, specs: readonly ListenerSpec[]): void;
  /** Retries failed listeners whose back-off has passed. */
  retryDue(now?: number): void;
  /** Settles every open and close under way. */
  idle(): Promise<void>;
  open(): ListenerSpec[];
  /** Listeners failing now, with how many attempts failed so far. */
  failures(): (ListenerFailure & { attempts: number })[];
  /**
   * One Service's sockets: those failing now (by key), how many it wants, and whether every one
   * it wants is either open for it or failing (false while an open or a close is under way).
   */
  stateOf(service: string): { failures: ListenerFailure[]; wanted: number; settled: boolean };
  closeAll(): Promise<void>;
}

interface Entry {
  spec: ListenerSpec;
  state: 'opening' | 'open' | 'closing';
  handle?: Closable;
  /** Something changed while opening or closing: reconcile again when done. */
  again: boolean;
}

interface Failure extends ListenerFailure {
  attempts: number;
  nextAt: number;
}

/** Plain words for the errors a listen can meet, with the fix where there is one. */
export function listenErrorText(code: string | undefined, port: number, fallback: string): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use (another process on this host holds it: another cluster or any other program)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host (no network interface has it)';
    case 'EACCES':
    case 'EPERM':
      return port < 1024
        ? 'permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE (allow them with `sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0`, or run tinykube as root)'
        : 'permission denied';
    default:
      return fallback;
  }
}

/**
 * Who gets a socket several Services of this cluster want: addresses the cluster allocated
 * (ClusterIPs, NodePorts, health check node ports are unique per cluster) before load-balancer
 * ingress IPs, before externalIPs (which any Service may claim, even an address of another
 * Service: CVE-2020-8554). So a Service never takes over another's ClusterIP or NodePort traffic
 * by claiming its address, whichever Service came first.
 */
const claimRank = (role: ListenerRole) => (role === 'externalIP' ? 2 : role === 'loadBalancer' ? 1 : 0);

export function createListenerSet(deps: ListenerSetDeps): ListenerSet {
  const desired = new Map<string, Map<string, ListenerSpec>>();
  const claimants = new Map<string, Set<string>>();
  const actual = new Map<string, Entry>();
  const failures = new Map<string, Failure>();
  const pending = new Set<Promise<void>>();
  const failKey = (s: ListenerSpec) => `${s.key}|${s.service}`;

  // The Service that holds the socket: of those with the best claim (claimRank), the one holding
  // it now while it still wants it, else the first that asked for it.
  const wanted = (key: string): ListenerSpec | undefined => {
    const cs = claimants.get(key);
    if (!cs?.size) return undefined;
    let best: ListenerSpec | undefined;
    for (const svc of cs) {
      const s = desired.get(svc)?.get(key);
      if (s && (!best || claimRank(s.role) < claimRank(best.role))) best = s;
    }
    const holder = actual.get(key)?.spec.service;
    const held = holder && cs.has(holder) ? desired.get(holder)?.get(key) : undefined;
    return held && best && claimRank(held.role) === claimRank(best.role) ? held : best;
  };

  const fail = (spec: ListenerSpec, code: string, message: string, retry: boolean, now = Date.now()) => {
    const k = failKey(spec);
    const prev = failures.get(k);
    const attempts = (prev?.attempts ?? 0) + 1;
    const delay = Math.min(deps.retryBaseMs * 2 ** Math.min(attempts - 1, 20), deps.retryMaxMs);
    failures.set(k, { spec, code, message, attempts, nextAt: retry ? now + delay : Infinity });
    if (!prev || prev.code !== code) deps.failed({ spec, code, message });
    if (!prev || prev.code !== code || prev.message !== message) deps.changed?.(spec.service);
  };
  const forget = (k: string) => {
    const f = failures.get(k);
    if (!f) return false;
    failures.delete(k);
    deps.changed?.(f.spec.service);
    return true;
  };

  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const reconcile = (key: string, force: boolean) => {
    const spec = wanted(key);
    for (const svc of claimants.get(key) ?? []) {
      if (spec && svc !== spec.service)
        fail(
          desired.get(svc)!.get(key)!,
          'CONFLICT',
          `Service ${spec.service} of this cluster already has it (as its ${spec.role})`,
          false,
        );
    }
    const e = actual.get(key);
    if (e && e.state !== 'open') {
      e.again = true;
      return;
    }
    if (!spec) {
      if (e) close(key, e);
      return;
    }
    if (e) {
      // A health check server cannot carry a TCP Service port or the reverse: reopen.
      if (e.spec.kind !== spec.kind) {
        close(key, e);
        return;
      }
      if (e.spec.service !== spec.service && !forget(failKey(spec))) deps.changed?.(spec.service);
      e.spec = spec;
      return;
    }
    const f = failures.get(failKey(spec));
    if (f && !force && Date.now() < f.nextAt) return;
    openEntry(key, spec);
  };

  const openEntry = (key: string, spec: ListenerSpec) => {
    const e: Entry = { spec, state: 'opening', again: false };
    actual.set(key, e);
    track(
      deps
        .open(spec, () => e.spec)
        .then(
          (handle) => {
            e.handle = handle;
            e.state = 'open';
            const k = failKey(e.spec);
            if (forget(k)) deps.recovered(e.spec);
            else deps.changed?.(e.spec.service);
            if (e.again) {
              e.again = false;
              reconcile(key, true);
            }
          },
          (err: NodeJS.ErrnoException) => {
            actual.delete(key);
            // Report it only if the listener is still wanted (its Service may have gone meanwhile).
            const still = wanted(key);
            if (still && failKey(still) === failKey(e.spec)) {
              const code = err.code ?? 'ERROR';
              fail(still, code, listenErrorText(code, still.port, err.message), true);
            }
            if (e.again) reconcile(key, false);
          },
        ),
    );
  };

  const close = (key: string, e: Entry) => {
    e.state = 'closing';
    track(
      (e.handle ? e.handle.close() : Promise.resolve())
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          actual.delete(key);
          reconcile(key, true);
        }),
    );
  };

  return {
    apply(service, specs) {
      const old = desired.get(service) ?? new Map<string, ListenerSpec>();
      const next = new Map(specs.map((s) => [s.key, s]));
      if (next.size) desired.set(service, next);
      else desired.delete(service);
      for (const k of old.keys()) {
        if (next.has(k)) continue;
        const cs = claimants.get(k);
        cs?.delete(service);
        if (cs && !cs.size) claimants.delete(k);
        forget(`${k}|${service}`);
      }
      for (const k of next.keys()) {
        let cs = claimants.get(k);
        if (!cs) claimants.set(k, (cs = new Set()));
        cs.add(service);
        // A spec that changed role or family is a new failure state, not a repeat.
        const f = failures.get(`${k}|${service}`);
        if (f) f.spec = next.get(k)!;
      }
      for (const k of new Set([...old.keys(), ...next.keys()])) reconcile(k, true);
    },
    retryDue(now = Date.now()) {
      for (const f of [...failures.values()]) if (f.nextAt <= now) reconcile(f.spec.key, true);
    },
    async idle() {
      while (pending.size) await Promise.all([...pending]);
    },
    open: () => [...actual.values()].filter((e) => e.state === 'open').map((e) => e.spec),
    failures: () => [...failures.values()].map(({ spec, code, message, attempts }) => ({ spec, code, message, attempts })),
    stateOf(service) {
      const want = desired.get(service);
      const out: ListenerFailure[] = [];
      let settled = true;
      for (const k of [...(want?.keys() ?? [])].sort()) {
        const f = failures.get(`${k}|${service}`);
        if (f) out.push({ spec: f.spec, code: f.code, message: f.message });
        else {
          const e = actual.get(k);
          if (!e || e.state !== 'open' || e.spec.service !== service) settled = false;
        }
      }
      return { failures: out, wanted: want?.size ?? 0, settled };
    },
    async closeAll() {
      desired.clear();
      claimants.clear();
      failures.clear();
      for (;;) {
        for (const [k, e] of actual) if (e.state === 'open') close(k, e);
        if (!pending.size) break;
        await Promise.all([...pending]);
      }
    },
  };
}
