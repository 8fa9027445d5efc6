// TCP: one listening socket per Service address and port; each accepted connection is spliced to
// a backend connection. The backend connect starts the moment the client is accepted (no wait for
// client data); the client is not read until then, so nothing is buffered in this process beyond
// the sockets' own buffers, and the splice carries backpressure both ways. Half-close passes
// through (an end read on one side ends the other's writes), a reset passes through (an error on
// one side resets the other). A backend that refuses or does not answer in time is skipped for
// the next one before the client sees anything; with none left, or none at all, the client is
// reset at once, like iptables' REJECT with tcp-reset.
//
// The sockets themselves are a transport's (tcp-uv.ts: libuv's TCP handles; tcp-net.ts:
// net.Socket); this module holds what both share: the order backends are tried in, source
// addresses and ports, NetworkPolicy refusals, and the counters.
import type { ComponentLog } from '../base/log.js';
import type { Endpoint } from './endpoints.js';
import type { Counters } from './stats.js';
import { sourcePorts } from './source-ports.js';
import { netTransport } from './tcp-net.js';
import { uvTransport } from './tcp-uv.js';

/** Ports tried for one bound connection before bind() is left to pick. */
const PORT_TRIES = 8;
const ports = sourcePorts();

/**
 * One side of a proxied connection, as connections.ts and stats.ts read it: a net.Socket, or
 * tcp-uv.ts's connection on a bare handle.
 */
export interface ProxySocket {
  readonly remoteAddress?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly destroyed: boolean;
  once(event: 'close', fn: () => void): unknown;
  /** RST where the socket can send one, else a plain close. */
  resetAndDestroy(): unknown;
  destroy(): unknown;
}

export interface TcpTarget {
  /** Backends in the order to try them; empty = reject. */
  order: Endpoint[];
  /** Source address for the connection to this backend (the client's own, see index.ts). */
  localAddress(backend: Endpoint): string | undefined;
  /** Whether NetworkPolicies let the client reach this backend. */
  admits(backend: Endpoint): boolean;
  counters: Counters;
  /** The connection is spliced to this backend (affinity, connection tracking). */
  spliced(backend: Endpoint, client: ProxySocket, upstream: ProxySocket): void;
}

export interface TcpOptions {
  /** Per backend attempt. */
  connectTimeoutMs: number;
  log: ComponentLog;
}

export interface Closable {
  close(): Promise<void>;
}

/** Why a backend connection failed: the errno code, and whether bind() or connect() gave it. */
export interface DialError {
  code: string;
  syscall: 'bind' | 'connect';
}

/** Sockets of one kind: listen, connect to a backend, and splice two of them. */
export interface TcpTransport<S extends ProxySocket> {
  readonly name: 'uv' | 'net';
  /** Rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES). Accepted sockets are not read until spliced. */
  listen(address: string, port: number, accepted: (client: S) => void, log: ComponentLog): Promise<Closable>;
  /** Connects to ip:port, from local address and port when given; a timeout fails as ETIMEDOUT. */
  dial(
    ip: string,
    port: number,
    localAddress: string | undefined,
    localPort: number | undefined,
    timeoutMs: number,
    done: (err: DialError | undefined, upstream: S | undefined) => void,
  ): void;
  splice(client: S, upstream: S, c: Counters): void;
}

let chosen: TcpTransport<ProxySocket> | undefined;

/**
 * The transport in use: libuv's handles where this Node has them as expected, else net.Socket
 * (said once in the log, with why). TINYKUBE_PROXY_SOCKETS=net picks net.Socket: the way back
 * should a Node release change the handles in a way the probe does not see.
 */
export function tcpTransport(log?: ComponentLog): TcpTransport<ProxySocket> {
  if (chosen) return chosen;
  if (process.env.TINYKUBE_PROXY_SOCKETS === 'net') chosen = netTransport as TcpTransport<ProxySocket>;
  else {
    const uv = uvTransport();
    if ('reason' in uv)
      log?.warn({ reason: uv.reason }, "proxy: libuv's TCP handles are not as expected; TCP through net.Socket (more CPU per connection)");
    chosen = ('reason' in uv ? netTransport : uv) as TcpTransport<ProxySocket>;
  }
  log?.debug({ transport: chosen.name }, 'proxy: TCP transport');
  return chosen;
}

/**
 * Listens on address:port; route() picks the target for each accepted connection (undefined when
 * the Service is gone: reset). Rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES).
 */
export function openTcpListener(
  address: string,
  port: number,
  route: (client: ProxySocket) => TcpTarget | undefined,
  o: TcpOptions,
  transport: TcpTransport<ProxySocket> = tcpTransport(o.log),
): Promise<Closable> {
  return transport.listen(address, port, (client) => serveConnection(transport, client, route(client), o), o.log);
}

/** Resets a socket (RST), or just destroys it when it has no TCP handle to reset. */
export function reset(s: ProxySocket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

function serveConnection<S extends ProxySocket>(t: TcpTransport<S>, client: S, target: TcpTarget | undefined, o: TcpOptions): void {
  if (!target) {
    reset(client);
    return;
  }
  const c = target.counters;
  c.connections++;
  if (!target.order.length) {
    c.rejected++;
    reset(client);
    return;
  }
  let next = 0;
  // Cleared when the source address cannot be bound: the kernel then picks one.
  let withSource = true;
  // Source ports tried so far for this backend (source-ports.ts).
  let tries = 0;
  const attempt = () => {
    if (client.destroyed) return;
    const backend = target.order[next];
    // The backend the client was sent to is refused by a NetworkPolicy: the client is reset, as
    // a CNI that rejects; the next backend is not tried (upstream's DNAT has chosen already).
    if (!backend || !target.admits(backend)) {
      c.rejected++;
      reset(client);
      return;
    }
    const localAddress = withSource ? target.localAddress(backend) : undefined;
    const localPort = localAddress && tries < PORT_TRIES ? ports.next() || undefined : undefined;
    t.dial(backend.ip, backend.port, localAddress, localPort, o.connectTimeoutMs, (err, upstream) => {
      if (err || !upstream) {
        // The port chosen is taken at this address (a listener), or the address pair is in use
        // (another connection to this backend): the same backend from the next port.
        if (localPort && (err?.syscall === 'bind' || err?.code === 'EADDRNOTAVAIL')) {
          tries++;
          attempt();
          return;
        }
        c.backendFailures++;
        // The client's address could not be bound as the source: same backend, kernel's source.
        if (err?.syscall === 'bind' && withSource) withSource = false;
        else {
          next++;
          tries = 0;
        }
        o.log.debug({ backend: backend.key, code: err?.code }, 'proxy: backend connection failed, trying the next');
        attempt();
        return;
      }
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      t.splice(client, upstream, c);
      target.spliced(backend, client, upstream);
    });
  };
  attempt();
}
