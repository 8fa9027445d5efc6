// The proxy's data side: the sockets of a Service port (TCP, UDP, health check) and what goes
// through them. For each accepted TCP connection or new UDP flow, the target: the backends in the
// order to try them (affinity.ts), the source address towards the backend, the route's counters;
// the splicing itself is tcp.ts's and udp.ts's. Open connections are tracked by backend address,
// so those of a backend gone for good can be reset (killAddress), and UDP flows whose backend left
// their listener's backends can be ended (pruneFlows), as upstream clears stale conntrack entries.
// The route table is the sync's (sync.ts); nothing here decides which sockets exist.
//
// tcpTarget and udpTarget run once per connection and per flow: they stay plain code over the
// state below, without further indirection.
import type { ComponentLog } from '../base/log.js';
import type { Endpoint } from './endpoints.js';
import type { PolicyIndex } from '../registry/networking/policy-evaluation.js';
import { isLoopback } from './nodeport-addresses.js';
import { backendOrder, remember, stickyBackend } from './affinity.js';
import type { ListenerSpec } from './listeners.js';
import { backendsFor, type Route } from './routes.js';
import { openTcpListener, reset, type Closable, type ProxySocket, type TcpTarget } from './tcp.js';
import { openUdpListener, type UdpListener, type UdpTarget } from './udp.js';
import { openServiceHealthListener, type ServiceHealthAnswer } from './healthcheck.js';

export interface Connections {
  /** The sync's route table (read only here). */
  readonly routes: ReadonlyMap<string, Route>;
  readonly log: ComponentLog;
  /** Kill switches of open TCP connections by backend address. */
  readonly tracked: Map<string, Set<() => void>>;
  /** Open UDP listeners, each with the spec it serves now. */
  readonly udp: Set<{ current: () => ListenerSpec; l: UdpListener }>;
  /** See tcpSourceFor: cleared once the kernel is seen to choose another loopback source. */
  kernelPicksLoopbackSource: boolean;
  /** Implicit sources (127.0.0.1, ::1) already checked against the kernel's choice. */
  readonly sourceChecked: Set<string>;
  /** NetworkPolicy decisions; absent: every connection is allowed. */
  readonly policy?: PolicyIndex;
}

export function newConnections(routes: ReadonlyMap<string, Route>, log: ComponentLog, policy?: PolicyIndex): Connections {
  return { routes, log, tracked: new Map(), udp: new Set(), kernelPicksLoopbackSource: true, sourceChecked: new Set(), policy };
}

/** Whether the policies let `client` reach the backend (on the backend's own address and port, after translation). */
const admits = (c: Connections, client: string, protocol: 'TCP' | 'UDP') => (backend: Endpoint) =>
  !c.policy || c.policy.allows({ srcIP: client, dstIP: backend.ip, dstPort: backend.port, protocol });

const bareIP = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

/** The client's own address as the source towards the backend, so the backend sees who called. */
export const sourceFor = (client: string) => (backend: Endpoint) => {
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
const implicitSource = (ip: string | undefined) => ip === '127.0.0.1' || ip === '::1';

export function tcpSourceFor(c: Connections, client: string): (backend: Endpoint) => string | undefined {
  const bind = sourceFor(client);
  return (backend: Endpoint) => {
    const s = bind(backend);
    return c.kernelPicksLoopbackSource && implicitSource(s) ? undefined : s;
  };
}

function checkImplicitSource(c: Connections, clientIP: string, backend: Endpoint, upstream: ProxySocket): void {
  if (c.sourceChecked.size === 2) return;
  const want = sourceFor(clientIP)(backend);
  if (!want || !implicitSource(want) || c.sourceChecked.has(want)) return;
  const got = upstream.localAddress && bareIP(upstream.localAddress);
  if (!got) return;
  c.sourceChecked.add(want);
  if (got !== want) {
    c.kernelPicksLoopbackSource = false;
    c.log.warn(
      { want, got, backend: backend.key },
      'proxy: the kernel chose another source address towards a loopback backend; binding the client address from now on',
    );
  }
}

function trackConnection(c: Connections, ip: string, kill: () => void, client: ProxySocket): void {
  let s = c.tracked.get(ip);
  if (!s) c.tracked.set(ip, (s = new Set()));
  s.add(kill);
  client.once('close', () => {
    const cur = c.tracked.get(ip);
    cur?.delete(kill);
    if (cur && !cur.size) c.tracked.delete(ip);
  });
}

/** Where an accepted TCP connection goes; undefined when the listener's route is gone (reset). */
export function tcpTarget(c: Connections, spec: ListenerSpec, client: ProxySocket): TcpTarget | undefined {
  const found = backendsFor(c.routes, spec);
  if (!found) return undefined;
  const { r, list } = found;
  const clientIP = client.remoteAddress ?? '';
  const sticky = r.affinity ? stickyBackend(r.affinity, clientIP, Date.now()) : undefined;
  return {
    order: backendOrder(list, sticky),
    localAddress: tcpSourceFor(c, clientIP),
    admits: admits(c, clientIP, 'TCP'),
    counters: r.counters,
    spliced(backend, cl, upstream) {
      checkImplicitSource(c, clientIP, backend, upstream);
      if (r.affinity) remember(r.affinity, clientIP, backend.key, Date.now());
      trackConnection(
        c,
        backend.ip,
        () => {
          reset(upstream);
          reset(cl);
        },
        cl,
      );
    },
  };
}

/** Where a new UDP flow goes; undefined when the listener's route is gone (dropped). */
export function udpTarget(c: Connections, spec: ListenerSpec, client: { address: string }): UdpTarget | undefined {
  const found = backendsFor(c.routes, spec);
  if (!found) return undefined;
  const { r, list } = found;
  const sticky = r.affinity ? stickyBackend(r.affinity, client.address, Date.now()) : undefined;
  return {
    order: backendOrder(list, sticky),
    localAddress: sourceFor(client.address),
    admits: admits(c, client.address, 'UDP'),
    counters: r.counters,
    started(backend) {
      if (r.affinity) remember(r.affinity, client.address, backend.key, Date.now());
    },
  };
}

export interface OpenOptions {
  connectTimeoutMs: number;
  udpIdleMs: number;
  /** The answer of a health check node port (sync.ts healthAnswer). */
  health(service: string): ServiceHealthAnswer | undefined;
}

/**
 * Opens the socket of one listener (listeners.ts ListenerSetDeps.open); current() is the spec in
 * force, read per connection, flow or health request.
 */
export async function openListener(c: Connections, spec: ListenerSpec, current: () => ListenerSpec, o: OpenOptions): Promise<Closable> {
  const opts = { connectTimeoutMs: o.connectTimeoutMs, idleMs: o.udpIdleMs, log: c.log };
  if (spec.kind === 'TCP') return openTcpListener(spec.address, spec.port, (cl) => tcpTarget(c, current(), cl), opts);
  if (spec.kind === 'health') return openServiceHealthListener(spec.address, spec.port, () => o.health(current().service));
  const l = await openUdpListener(spec.address, spec.port, spec.family, (cl) => udpTarget(c, current(), cl), opts);
  const h = { current, l };
  c.udp.add(h);
  return {
    close: () => {
      c.udp.delete(h);
      return l.close();
    },
  };
}

/**
 * Ends the UDP flows of a Service whose backend is no longer one of their listener's backends
 * (upstream clears the conntrack entries of stale UDP endpoints).
 */
export function pruneFlows(c: Connections, service: string): void {
  for (const u of c.udp) {
    const spec = u.current();
    if (spec.service !== service) continue;
    const found = backendsFor(c.routes, spec);
    const live = new Set((found?.list ?? []).map((b) => b.key));
    u.l.prune((b) => !live.has(b.key));
  }
}

/** Resets the TCP connections and ends the UDP flows to a backend address gone for good. */
export function killAddress(c: Connections, ip: string): void {
  const s = c.tracked.get(ip);
  if (s) {
    c.tracked.delete(ip);
    c.log.debug({ ip, connections: s.size }, 'proxy: backend gone, resetting its connections');
    for (const kill of s) kill();
  }
  for (const u of c.udp) u.l.prune((b) => b.ip === ip);
}

/** Resets every tracked connection (the proxy stops). */
export function killAll(c: Connections): void {
  for (const ip of [...c.tracked.keys()]) killAddress(c, ip);
}
