// TCP: one listening socket per Service address and port; each accepted connection is spliced to
// a backend connection. The backend connect starts the moment the client is accepted (no wait for
// client data); the client socket stays paused until then, so nothing is buffered in this process
// beyond the sockets' stream buffers, and forward() carries backpressure both ways. Half-close
// passes through (allowHalfOpen on both sockets, end() when the other side ends), a reset passes
// through (an error on one side resets the other). A backend that refuses or does not answer in
// time is skipped for the next one before the client sees anything; with none left, or none at
// all, the client is reset at once, like iptables' REJECT with tcp-reset.
import net from 'node:net';
import type { ProxyLog } from './log.js';
import type { Endpoint } from './endpoints.js';
import { closeConnection, type Counters } from './stats.js';
import { sourcePorts } from './source-ports.js';

/** Ports tried for one bound connection before bind() is left to pick. */
const PORT_TRIES = 8;
const ports = sourcePorts();

export interface TcpTarget {
  /** Backends in the order to try them; empty = reject. */
  order: Endpoint[];
  /** Source address for the connection to this backend (the client's own, see index.ts). */
  localAddress(backend: Endpoint): string | undefined;
  /** Whether NetworkPolicies let the client reach this backend. */
  admits(backend: Endpoint): boolean;
  counters: Counters;
  /** The connection is spliced to this backend (affinity, connection tracking). */
  spliced(backend: Endpoint, client: net.Socket, upstream: net.Socket): void;
}

export interface TcpOptions {
  /** Per backend attempt. */
  connectTimeoutMs: number;
  log: ProxyLog;
}

export interface Closable {
  close(): Promise<void>;
}

/**
 * Listens on address:port; route() picks the target for each accepted connection (undefined when
 * the Service is gone: reset). Rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES).
 */
export function openTcpListener(
  address: string,
  port: number,
  route: (client: net.Socket) => TcpTarget | undefined,
  o: TcpOptions,
): Promise<Closable> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) =>
      serveConnection(client, route(client), o),
    );
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true, backlog: 4096 }, () => {
      server.off('error', onError);
      server.on('error', (err) => o.log.warn({ err, address, port }, 'proxy: TCP listener error'));
      resolve({
        // Stop accepting; connections already spliced carry on (as conntrack keeps established
        // flows when the rules go). The listening socket is released at once.
        close: () =>
          new Promise<void>((r) => {
            server.close();
            setImmediate(r);
          }),
      });
    });
  });
}

/** Resets a socket (RST), or just destroys it when it has no TCP handle to reset. */
export function reset(s: net.Socket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

export function serveConnection(client: net.Socket, target: TcpTarget | undefined, o: TcpOptions): void {
  client.on('error', () => undefined);
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
    const upstream = net.connect({ host: backend.ip, port: backend.port, localAddress, localPort, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => fail(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), o.connectTimeoutMs);
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      upstream.removeAllListeners('connect');
      upstream.on('error', () => undefined);
      upstream.destroy();
      // The port chosen is taken at this address (a listener), or the address pair is in use
      // (another connection to this backend): the same backend from the next port.
      if (localPort && (err.syscall === 'bind' || err.code === 'EADDRNOTAVAIL')) {
        tries++;
        attempt();
        return;
      }
      c.backendFailures++;
      // The client's address could not be bound as the source: same backend, kernel's source.
      if (err.syscall === 'bind' && withSource) withSource = false;
      else {
        next++;
        tries = 0;
      }
      o.log.debug({ backend: backend.key, code: err.code }, 'proxy: backend connection failed, trying the next');
      attempt();
    };
    upstream.once('error', fail);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', fail);
      if (client.destroyed) {
        upstream.on('error', () => undefined);
        upstream.destroy();
        return;
      }
      splice(client, upstream, c);
      target.spliced(backend, client, upstream);
    });
  };
  attempt();
}

function splice(client: net.Socket, upstream: net.Socket, c: Counters): void {
  c.open.add(client);
  // A reset or error on either side resets the other (an RST seen by the client is what it
  // would have seen from the backend directly).
  client.on('error', () => reset(upstream));
  upstream.on('error', () => reset(client));
  client.once('close', () => {
    closeConnection(c, client);
    if (!upstream.destroyed && client.readableEnded === false) reset(upstream);
  });
  upstream.once('close', () => {
    if (!client.destroyed && upstream.readableEnded === false) reset(client);
  });
  forward(client, upstream);
  forward(upstream, client);
}

/**
 * src → dst as pipe() does it, with a third of its listeners (which count at thousands of
 * connections a second): the source pauses while the destination is full (backpressure) and
 * resumes on its 'drain'; the destination is ended when the source ends (half-close). Errors and
 * closes are splice()'s. Also starts the client, which was accepted paused.
 */
function forward(src: net.Socket, dst: net.Socket): void {
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.once('end', () => dst.end());
  src.resume();
}
