// UDP: one socket per Service address and port. Each client address:port is a flow with its own
// socket towards one backend (bound to an ephemeral port), so replies can be told apart and sent
// back to the client from the Service address, as conntrack's reverse NAT does. A flow lives
// while datagrams pass either way and is dropped after idleMs without any (conntrack's UDP
// timeout), when its backend stops being a backend (kube-proxy clears those conntrack entries),
// or when the listener closes. With no backend the datagram is dropped.
import dgram from 'node:dgram';
import type { ComponentLog } from '../base/log.js';
import type { Endpoint } from './endpoints.js';
import type { Counters } from './stats.js';
import type { Closable } from './tcp.js';

export interface UdpTarget {
  /** Backends in the order of preference; only the first is used (UDP cannot tell a refusal). */
  order: Endpoint[];
  localAddress(backend: Endpoint): string | undefined;
  /** Whether NetworkPolicies let the client reach this backend. */
  admits(backend: Endpoint): boolean;
  counters: Counters;
  /** A flow to this backend started (affinity). */
  started(backend: Endpoint): void;
}

export interface UdpListener extends Closable {
  /** Drops the flows whose backend matches. */
  prune(drop: (backend: Endpoint) => boolean): void;
  readonly flowCount: number;
}

export interface UdpOptions {
  idleMs: number;
  log: ComponentLog;
}

interface Flow {
  backend: Endpoint;
  sock: dgram.Socket;
  last: number;
  counters: Counters;
}

export function openUdpListener(
  address: string,
  port: number,
  family: 4 | 6,
  route: (client: { address: string; port: number }) => UdpTarget | undefined,
  o: UdpOptions,
): Promise<UdpListener> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    const flows = new Map<string, Flow>();
    let sweeper: NodeJS.Timeout | undefined;
    let closed = false;

    const closeFlow = (key: string, f: Flow) => {
      if (flows.get(key) !== f) return;
      flows.delete(key);
      f.counters.activeFlows--;
      try {
        f.sock.close();
      } catch {
        /* already closed */
      }
      if (!flows.size && sweeper) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    };
    const sweep = () => {
      const now = Date.now();
      for (const [k, f] of flows) if (now - f.last >= o.idleMs) closeFlow(k, f);
    };

    const newFlow = (key: string, client: dgram.RemoteInfo): Flow | undefined => {
      const target = route({ address: client.address, port: client.port });
      if (!target) return undefined;
      const backend = target.order[0];
      // A backend refused by a NetworkPolicy: the datagram is dropped; the next one asks again.
      if (!backend || !target.admits(backend)) {
        target.counters.rejected++;
        return undefined;
      }
      const out = dgram.createSocket({ type: backend.ip.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      const f: Flow = { backend, sock: out, last: Date.now(), counters: target.counters };
      out.on('error', (err) => {
        o.log.debug({ err, backend: backend.key }, 'proxy: UDP flow socket error');
        closeFlow(key, f);
      });
      out.on('message', (msg, from) => {
        // Only the backend's own replies belong to this flow.
        if (from.port !== backend.port || from.address !== backend.ip || closed) return;
        f.last = Date.now();
        f.counters.packetsOut++;
        f.counters.bytesOut += msg.length;
        sock.send(msg, client.port, client.address, () => undefined);
      });
      // Sends made before the bind completes are queued by dgram.
      const source = target.localAddress(backend);
      out.bind({ address: source ?? (backend.ip.includes(':') ? '::' : '0.0.0.0'), port: 0, exclusive: true });
      flows.set(key, f);
      target.counters.activeFlows++;
      target.started(backend);
      sweeper ??= setInterval(sweep, Math.max(10, Math.floor(o.idleMs / 4))).unref();
      return f;
    };

    const onError = (err: Error) => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', onError);
      sock.on('error', (err) => o.log.warn({ err, address, port }, 'proxy: UDP listener error'));
      sock.on('message', (msg, client) => {
        const key = `${client.address}|${client.port}`;
        const f = flows.get(key) ?? newFlow(key, client);
        if (!f) return;
        f.last = Date.now();
        f.counters.packetsIn++;
        f.counters.bytesIn += msg.length;
        f.sock.send(msg, f.backend.port, f.backend.ip, () => undefined);
      });
      resolve({
        get flowCount() {
          return flows.size;
        },
        prune(drop) {
          for (const [k, f] of flows) if (drop(f.backend)) closeFlow(k, f);
        },
        close: () =>
          new Promise<void>((r) => {
            closed = true;
            for (const [k, f] of flows) closeFlow(k, f);
            if (sweeper) clearInterval(sweeper);
            sock.close(() => r());
          }),
      });
    });
  });
}
