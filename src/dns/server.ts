// The cluster DNS server's sockets: UDP and TCP on one address (and on the kube-dns ClusterIP,
// port 53, when this process may bind it), answering from a ClusterIndex and forwarding the rest.
// It runs where its caller runs: on the data-plane thread (src/dataplane/), fed by a mirror of
// the store, or on the main thread (startDnsServer in index.ts). Everything it is told crosses the
// thread boundary as plain data (DnsServePlan); it imports only the DNS modules and node builtins.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ClusterIndex } from './cluster-index.js';
import { QueryHandler } from './handler.js';
import { Forwarder, parseUpstream, readResolvConf, upstreamText, withoutSelf, type Upstream } from './forward.js';
import { parseByteCIDR, parseIP, type ByteCIDR } from './ip.js';
import { NAMESERVER_SERVICE } from './records.js';
import type { ComponentLog } from '../base/log.js';

/** What a Pod's resolv.conf needs (dnsPolicy ClusterFirst). */
export interface ClusterDNS {
  /**
   * An address this server answers on at port 53 (resolv.conf has no port): the kube-dns
   * ClusterIP when bound, else --dns-listen when it is port 53. Undefined when the server only
   * listens on another port: Pods then keep the host's resolvers.
   */
  nameserver?: string;
  /** The cluster domain: search `<ns>.svc.<domain> svc.<domain> <domain>`, options ndots:5. */
  domain: string;
  /** Without a nameserver: why (for the Pods' event and the start log). */
  unavailable?: string;
}

export interface DnsServer {
  /** The address of the main listener (--dns-listen, or the fallback). */
  host: string;
  udpPort: number;
  tcpPort: number;
  /** Every `HOST:PORT` served (UDP and TCP each). */
  addresses: string[];
  clusterDNS: ClusterDNS;
  /** The resolvers names outside the zone go to. */
  upstreams: string[];
  stop(): Promise<void>;
}

/** What the server is to do, as plain data (startDnsServer derives it from the cluster's config). */
export interface DnsServePlan {
  /** --dns-listen. */
  host: string;
  port: number;
  /** Where to listen instead when --dns-listen fails with EACCES or EADDRINUSE (a warning says so). */
  fallback?: { host: string; port: number };
  /** The cluster domain as configured. */
  domain: string;
  /** TTL of cluster records in seconds. */
  ttl: number;
  /** The cluster's own CIDRs (service, secondary service, Pod): reverse names there are ours. */
  ownNets: string[];
  /** The kube-dns ClusterIP by default (the tenth of the service CIDR), used while no Service holds it. */
  kubeDNSDefault: string;
  /** Whether this process may bind port 53 (base/privileged-ports.ts). */
  privileged: boolean;
  /** `HOST:PORT` upstreams as configured; undefined: the host's resolv.conf. */
  upstream?: string[];
  resolvConfPath?: string;
  upstreamTimeoutMs?: number;
  tcp?: Partial<TcpLimits>;
}

export interface DnsServeOptions extends DnsServePlan {
  /**
   * What the answers come from, attached to the store or to the data-plane thread's mirror and
   * loaded. The server owns it from here: it detaches it when it stops or fails to start.
   */
  index: ClusterIndex;
  log: ComponentLog;
  /** Runs before each query is answered: the data-plane mirror takes what the store published meanwhile. */
  beforeQuery?: () => void;
}

/** What answers a query (the QueryHandler, or it behind beforeQuery). */
type Answerer = Pick<QueryHandler, 'handle'>;

interface Listener {
  host: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
}

const isWildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
const hostPort = (h: string, p: number) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`);

export async function serveDns(o: DnsServeOptions): Promise<DnsServer> {
  const { log } = o;
  const { index } = o;
  const ownNets = o.ownNets.map(parseByteCIDR).filter((c): c is ByteCIDR => !!c);
  // The forwarder is made once the listeners are known (it must not forward to them).
  let forwarder: Forwarder | undefined;
  const handler = new QueryHandler({
    index,
    zone: { zone: o.domain.toLowerCase(), ttl: o.ttl, ownNets },
    forwarder: { resolve: (q, x) => (forwarder ? forwarder.resolve(q, x) : Promise.resolve(undefined)) },
    log,
  });
  const before = o.beforeQuery;
  const answerer: Answerer = before
    ? {
        handle: (msg, transport) => {
          before();
          return handler.handle(msg, transport);
        },
      }
    : handler;
  const listeners: Listener[] = [];
  const connections = new TcpConnections({ ...TCP_LIMITS, ...o.tcp });
  try {
    try {
      listeners.push(await listenPair(o.host, o.port, answerer, log, connections));
    } catch (err) {
      // Only the default address falls back: no privilege for port 53, or another cluster's
      // server already there (two clusters with the same service CIDR).
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EACCES' && code !== 'EADDRINUSE') || !o.fallback) throw err;
      const fb = o.fallback;
      listeners.push(await listenPair(fb.host, fb.port, answerer, log, connections));
      log.warn(
        { wanted: hostPort(o.host, o.port), reason: code, listening: hostPort(fb.host, listeners[0]!.port) },
        'dns: cannot listen on the default address; serving on the fallback address',
      );
    }
  } catch (err) {
    index.detach();
    const e = err as NodeJS.ErrnoException;
    const where = hostPort(o.host, o.port);
    if (e.code === 'EACCES')
      e.message = `cannot listen on ${where} for DNS: permission denied (port 53 needs root or CAP_NET_BIND_SERVICE; use --dns-listen 127.0.0.1:0 or another port)`;
    else if (e.code === 'EADDRINUSE') e.message = `cannot listen on ${where} for DNS: address already in use`;
    else if (e.code === 'EADDRNOTAVAIL') e.message = `cannot listen on ${where} for DNS: address not available on this host`;
    // The CLI names the flag at fault.
    (e as { flag?: string }).flag = '--dns-listen';
    throw e;
  }
  const main = listeners[0]!;

  // The kube-dns ClusterIP, port 53, when we may bind it and --dns-listen does not cover it.
  // Its address is the tenth of the service CIDR; without the Service (its address held by a
  // user's Service, see bootstrapDNSService) that address is only used while nothing else has it.
  const tenth = o.kubeDNSDefault;
  const tenthBytes = parseIP(tenth);
  const kubeDNS =
    index.service(NAMESERVER_SERVICE.ns, NAMESERVER_SERVICE.name)?.clusterIPs.map((a) => a.text) ??
    (tenthBytes && !index.reverse(tenthBytes).services.length ? [tenth] : []);
  const extraBound: string[] = [];
  const privileged = o.privileged;
  let bindError: string | undefined;
  if (privileged) {
    for (const ip of kubeDNS) {
      const covered = main.port === 53 && (main.host === ip || main.host === '::' || (main.host === '0.0.0.0' && !ip.includes(':')));
      if (covered) continue;
      try {
        listeners.push(await listenPair(ip, 53, answerer, log, connections));
        extraBound.push(ip);
      } catch (err) {
        bindError = `${hostPort(ip, 53)}: ${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use (another cluster or DNS server has it)' : (err as Error).message}`;
        log.warn({ err: (err as Error).message, address: hostPort(ip, 53) }, 'dns: not serving on the kube-dns ClusterIP');
      }
    }
  }

  const own: Upstream[] = listeners.map((l) => ({ host: l.host, port: l.port }));
  const configured = o.upstream;
  let ups: Upstream[];
  if (configured) {
    ups = [];
    for (const s of configured) {
      const u = parseUpstream(s);
      if (u) ups.push(u);
      else log.warn({ upstream: s }, 'dns: ignoring an upstream that is not HOST:PORT');
    }
  } else ups = readResolvConf(o.resolvConfPath);
  const filtered = withoutSelf(ups, own);
  if (filtered.length < ups.length)
    log.debug({ skipped: ups.filter((u) => !filtered.includes(u)).map(upstreamText) }, 'dns: skipped upstreams that are this server');
  if (!filtered.length) log.warn('dns: no upstream resolvers: names outside the cluster domain get SERVFAIL');
  forwarder = new Forwarder({ upstreams: filtered, timeoutMs: o.upstreamTimeoutMs, log });

  const nameserver = pickNameserver(main, extraBound, kubeDNS);
  const addresses = listeners.map((l) => hostPort(l.host, l.port));
  log.info({ addresses, upstreams: filtered.map(upstreamText), nameserver }, 'dns: serving');

  let stopped: Promise<void> | undefined;
  return {
    host: main.host,
    udpPort: main.port,
    tcpPort: main.port,
    addresses,
    clusterDNS: {
      nameserver,
      domain: o.domain,
      unavailable: nameserver
        ? undefined
        : !privileged
          ? 'port 53 needs root or CAP_NET_BIND_SERVICE'
          : bindError
            ? `cannot listen on ${bindError}`
            : 'the kube-dns Service has no address here',
    },
    upstreams: filtered.map(upstreamText),
    stop: () =>
      (stopped ??= (async () => {
        index.detach();
        forwarder?.close();
        connections.destroyAll();
        await Promise.all(
          listeners.map(
            (l) =>
              new Promise<void>((resolve) => {
                let n = 2;
                const one = () => --n === 0 && resolve();
                l.udp.close(one);
                l.tcp.close(() => one());
              }),
          ),
        );
      })()),
  };
}

function pickNameserver(main: Listener, extraBound: string[], kubeDNS: string[]): string | undefined {
  if (extraBound.length) return extraBound.find((ip) => !ip.includes(':')) ?? extraBound[0];
  if (main.port !== 53) return undefined;
  if (!isWildcard(main.host)) return main.host;
  // A wildcard listener answers on every local address: the kube-dns ClusterIP when it is one of
  // them (the loopback service CIDR), else loopback.
  const local = kubeDNS.find((ip) => ip.startsWith('127.') || ip === '::1');
  if (local && (main.host === '::' || !local.includes(':'))) return local;
  return main.host === '::' ? '::1' : '127.0.0.1';
}

/** UDP and TCP on one address and port; port 0 picks one free for both. */
async function listenPair(
  host: string,
  port: number,
  handler: Answerer,
  log: ComponentLog,
  connections: TcpConnections,
): Promise<Listener> {
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(host, port, handler, log);
    const actual = udp.address().port;
    try {
      const tcp = await listenTcp(host, actual, handler, log, connections);
      return { host, port: actual, udp, tcp };
    } catch (err) {
      udp.close();
      // With port 0 the UDP port may be taken for TCP: pick another pair.
      if (port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
      throw err;
    }
  }
}

function bindUdp(host: string, port: number, handler: Answerer, log: ComponentLog): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const onError = (err: Error) => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.off('error', onError);
      // Room for bursts: queries queue in the kernel while the event loop is busy elsewhere (the
      // API, a GC pause); the default ~200 KB holds a few milliseconds at high rates. The kernel
      // caps the size at net.core.rmem_max.
      try {
        sock.setRecvBufferSize(8 << 20);
        sock.setSendBufferSize(4 << 20);
      } catch {
        /* refused: keep the defaults */
      }
      sock.on('error', (err) => log.warn({ err }, 'dns: UDP socket error'));
      sock.on('message', (msg, rinfo) => {
        const send = (reply: Buffer | undefined) => {
          if (!reply) return;
          try {
            sock.send(reply, rinfo.port, rinfo.address, () => undefined);
          } catch {
            // Closed meanwhile (an answer from upstream after stop()).
          }
        };
        let r: ReturnType<QueryHandler['handle']>;
        try {
          r = handler.handle(msg, 'udp');
        } catch (err) {
          log.error({ err }, 'dns: handler failed');
          return;
        }
        if (r instanceof Promise) r.then(send, (err) => log.error({ err }, 'dns: handler failed'));
        else send(r);
      });
      resolve(sock);
    });
  });
}

/**
 * TCP limits. The timeouts are CoreDNS's (core/dnsserver/server.go: ReadTimeout 3 s, IdleTimeout
 * 10 s) as miekg/dns applies them (server.go serveTCPConn/readTCP): the deadline is set once per
 * message, before its length prefix is read, so a client must deliver a whole message within it;
 * bytes trickling in do not extend it (a timer reset on any activity, as before, let 1,030
 * connections sending a byte every 6 s hold every slot forever). The first message gets the read
 * timeout, the following ones the idle timeout, counted from the previous message (or answer).
 * CoreDNS has no connection cap (a goroutine each); a Node server must have one, and Node's own
 * (server.maxConnections) refuses newcomers when full. Instead a newcomer evicts the connection
 * that made progress least recently and has no query in flight: attackers that never complete a
 * message go first, and a client that sends its query when it connects (dig +tcp, resolvers) is
 * served even while the table is full.
 */
export interface TcpLimits {
  readTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}
const TCP_LIMITS: TcpLimits = { readTimeoutMs: 3_000, idleTimeoutMs: 10_000, maxConnections: 1024 };
const TCP_MAX_INFLIGHT = 64;
/** Answers a client has not read; beyond this it is not reading (miekg/dns: WriteTimeout). */
const TCP_MAX_UNREAD = 1 << 20;

interface TcpConn {
  inflight: number;
}

/** Every open TCP connection, in order of last progress (accept, a whole query, an answer). */
class TcpConnections {
  private readonly conns = new Map<net.Socket, TcpConn>();
  constructor(readonly limits: TcpLimits) {}

  /** Takes a new connection, evicting the longest idle one when full; false if it was refused. */
  admit(sock: net.Socket, c: TcpConn): boolean {
    if (this.conns.size >= this.limits.maxConnections) {
      let victim: net.Socket | undefined;
      for (const [s, x] of this.conns) {
        if (x.inflight === 0) {
          victim = s;
          break;
        }
      }
      if (!victim) return false;
      this.drop(victim);
      victim.destroy();
    }
    this.conns.set(sock, c);
    return true;
  }

  /** Progress: the connection moves to the end (the most recently active). */
  touch(sock: net.Socket): void {
    const c = this.conns.get(sock);
    if (!c) return;
    this.conns.delete(sock);
    this.conns.set(sock, c);
  }

  drop(sock: net.Socket): void {
    this.conns.delete(sock);
  }

  destroyAll(): void {
    for (const s of [...this.conns.keys()]) s.destroy();
    this.conns.clear();
  }
}

function listenTcp(host: string, port: number, handler: Answerer, log: ComponentLog, connections: TcpConnections): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true }, (sock) => serveTcp(sock, handler, log, connections));
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      server.on('error', (err) => log.warn({ err }, 'dns: TCP server error'));
      resolve(server);
    });
  });
}

/**
 * RFC 7766: length-prefixed messages, pipelined, answered as they complete. Each message must
 * arrive whole within its deadline (TcpLimits); a connection with queries in flight has none.
 */
function serveTcp(sock: net.Socket, handler: Answerer, log: ComponentLog, connections: TcpConnections): void {
  const conn: TcpConn = { inflight: 0 };
  if (!connections.admit(sock, conn)) {
    sock.destroy();
    return;
  }
  const { readTimeoutMs, idleTimeoutMs } = connections.limits;
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  let deadline: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(deadline);
    deadline = setTimeout(() => sock.destroy(), ms);
  };
  arm(readTimeoutMs);
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  sock.on('close', () => {
    clearTimeout(deadline);
    connections.drop(sock);
  });
  const maybeEnd = () => {
    if (ended && conn.inflight === 0) sock.end();
  };
  const write = (reply: Buffer | undefined) => {
    if (!reply || sock.destroyed) return;
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(reply.length);
    sock.write(Buffer.concat([len, reply]));
    if (sock.writableLength > TCP_MAX_UNREAD) sock.destroy();
  };
  sock.on('end', () => {
    ended = true;
    maybeEnd();
  });
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let progressed = false;
    while (buf.length >= 2) {
      const n = buf.readUInt16BE(0);
      if (buf.length < 2 + n) break;
      const msg = buf.subarray(2, 2 + n);
      buf = buf.subarray(2 + n);
      progressed = true;
      if (conn.inflight >= TCP_MAX_INFLIGHT) {
        // A client that pipelines without reading: stop serving it.
        sock.destroy();
        return;
      }
      let r: ReturnType<QueryHandler['handle']>;
      try {
        r = handler.handle(Buffer.from(msg), 'tcp');
      } catch (err) {
        log.error({ err }, 'dns: handler failed');
        continue;
      }
      if (r instanceof Promise) {
        conn.inflight++;
        r.then(write, (err) => log.error({ err }, 'dns: handler failed')).finally(() => {
          conn.inflight--;
          if (sock.destroyed) return;
          connections.touch(sock);
          if (conn.inflight === 0) arm(idleTimeoutMs);
          maybeEnd();
        });
      } else write(r);
    }
    if (!progressed || sock.destroyed) return;
    connections.touch(sock);
    // The next message gets the idle timeout from now; none while answers are pending.
    if (conn.inflight === 0) arm(idleTimeoutMs);
    else clearTimeout(deadline);
  });
}
