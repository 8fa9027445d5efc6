// The cluster DNS server: UDP and TCP on --dns-listen (and on the kube-dns ClusterIP, port 53,
// when this process may bind it), authoritative for --cluster-domain and the reverse names of
// the cluster's addresses, forwarding everything else.
//
// Why not dns2 (the stack's named DNS package). Measured on this 2-core machine with dns2 3.0.0,
// the newest that runs on Node 20 (3.1.x requires Node 22):
// - Encoding: dns2 writes every message one bit at a time into a JS array, and rebuilds the whole
//   buffer after each record (Packet.Resource.encode ends in writer.toBuffer()): quadratic. One A
//   record takes ~0.1 ms, 60 records 6-11 ms, 400 records ~0.35 s, and the 1,000-endpoint headless
//   answer ~1.4 s, against a budget of 1 ms. Our encoder (wire.ts): ~5 µs for 1 record, ~0.11 ms
//   for 1,000; the whole 1,000-endpoint headless answer (build + encode) ~0.2 ms for A, ~0.8 ms
//   for SRV with its 1,000 additional addresses; a cached answer ~2.5 µs (parse + lookup + copy)
//   (test/unit/dns-perf.test.ts prints the current figures).
// - Parsing: the same bit-level reader; an unknown EDNS option (dig's COOKIE) is skipped by its
//   length in bits instead of octets, so every option after it is misread; a short packet throws
//   a RangeError from inside the reader, and errors within a section are swallowed, leaving a
//   half-read message that still gets answered: it has no way to produce FORMERR.
// - SRV targets are compressed (RFC 2782 forbids it), `::ffff:a.b.c.d` is encoded as garbage in
//   AAAA, answers to EDNS queries get no OPT, and its UDP server's truncation drops the OPT too.
// - Its servers bind `::` unless given an address and parse before the caller can reject anything.
// A wrapper or a patch would leave the bit-level codec on the hot path, so the wire codec
// (wire.ts) and the sockets (node:dgram and node:net, below) are our own, and dns2 is not used at
// run time. It stays a pinned devDependency: test/unit/dns-dns2.test.ts reproduces each bug
// against it next to the same case through our codec, so the decision can be revisited when
// dns2 changes.
import { mayBindPort } from '../base/privileged-ports.js';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { serviceIP } from '../registry/bootstrap.js';
import { parseHostPort } from '../config/options.js';
import { ClusterIndex } from './cluster-index.js';
import { QueryHandler } from './handler.js';
import { Forwarder, parseUpstream, readResolvConf, upstreamText, withoutSelf, type Upstream } from './forward.js';
import { parseByteCIDR, parseIP, type ByteCIDR } from './ip.js';
import { NAMESERVER_SERVICE } from './records.js';

export { ClusterIndex } from './cluster-index.js';
export { QueryHandler } from './handler.js';
export { Forwarder } from './forward.js';
export { buildAnswer } from './records.js';

/** Default TTL of cluster records (CoreDNS kubernetes plugin). */
export const DEFAULT_DNS_TTL = 5;

export interface DnsServerOptions {
  store: Store;
  config: ClusterConfig;
  log: Logger;
  /** `HOST:PORT` upstreams; default config.dnsUpstream, else the host's /etc/resolv.conf. */
  upstream?: string[];
  /** TTL of cluster records in seconds; default config.dnsTTL, else 5. */
  ttl?: number;
  /** Per-upstream timeout (default 2 s). */
  upstreamTimeoutMs?: number;
  /** Where to read the host's resolvers (tests). */
  resolvConfPath?: string;
  /**
   * `HOST:PORT` to listen on instead when --dns-listen cannot be bound for lack of privilege
   * (EACCES: port 53 without root) or because it is taken (EADDRINUSE); a warning says so.
   * Without it those failures are errors.
   */
  fallbackListen?: string;
  /** The cluster's shared informers: the index starts from their parsed objects. */
  informers?: { list(resource: string): KubeObject[] };
  /** TCP connection limits (tests shorten them); defaults are CoreDNS's (see TCP_LIMITS). */
  tcp?: Partial<TcpLimits>;
}

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

/** The resolv.conf of a ClusterFirst Pod, as the kubelet writes it; undefined without a port-53 nameserver. */
export function clusterFirstResolvConf(dns: ClusterDNS, namespace: string, hostSearch: string[] = []): string | undefined {
  if (!dns.nameserver) return undefined;
  const d = dns.domain;
  const search = [`${namespace}.svc.${d}`, `svc.${d}`, d, ...hostSearch].slice(0, 32);
  return [`search ${search.join(' ')}`, `nameserver ${dns.nameserver}`, 'options ndots:5', ''].join('\n');
}

interface Listener {
  host: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
}

const isWildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
const hostPort = (h: string, p: number) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`);

/** Whether binding port 53 can work: root, CAP_NET_BIND_SERVICE, or a lowered unprivileged port start. */
/** Port 53 of the kube-dns address needs privilege (see base/privileged-ports.ts). */
export const canBindPrivileged = (): boolean => mayBindPort(53);

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const { store, config, log } = o;
  const ttl = o.ttl ?? config.dnsTTL ?? DEFAULT_DNS_TTL;
  const index = ClusterIndex.attach(store, o.informers ? (r) => o.informers!.list(r) : undefined);
  const ownNets = [config.serviceCIDR, config.secondaryServiceCIDR, config.podCIDR]
    .filter((c): c is string => !!c)
    .map(parseByteCIDR)
    .filter((c): c is ByteCIDR => !!c);
  // The forwarder is made once the listeners are known (it must not forward to them).
  let forwarder: Forwarder | undefined;
  const handler = new QueryHandler({
    index,
    zone: { zone: config.clusterDomain.toLowerCase(), ttl, ownNets },
    forwarder: { resolve: (q, x) => (forwarder ? forwarder.resolve(q, x) : Promise.resolve(undefined)) },
    log,
  });
  const listeners: Listener[] = [];
  const connections = new TcpConnections({ ...TCP_LIMITS, ...o.tcp });
  try {
    try {
      listeners.push(await listenPair(config.dnsHost, config.dnsPort, handler, log, connections));
    } catch (err) {
      // Only the default address falls back: no privilege for port 53, or another cluster's
      // server already there (two clusters with the same service CIDR).
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EACCES' && code !== 'EADDRINUSE') || !o.fallbackListen) throw err;
      const fb = parseHostPort('fallbackListen', o.fallbackListen);
      listeners.push(await listenPair(fb.host, fb.port, handler, log, connections));
      log.warn(
        { wanted: hostPort(config.dnsHost, config.dnsPort), reason: code, listening: hostPort(fb.host, listeners[0]!.port) },
        'dns: cannot listen on the default address; serving on the fallback address',
      );
    }
  } catch (err) {
    index.detach();
    const e = err as NodeJS.ErrnoException;
    const where = hostPort(config.dnsHost, config.dnsPort);
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
  const tenth = serviceIP(config, 9);
  const tenthBytes = parseIP(tenth);
  const kubeDNS =
    index.service(NAMESERVER_SERVICE.ns, NAMESERVER_SERVICE.name)?.clusterIPs.map((a) => a.text) ??
    (tenthBytes && !index.reverse(tenthBytes).services.length ? [tenth] : []);
  const extraBound: string[] = [];
  const privileged = canBindPrivileged();
  let bindError: string | undefined;
  if (privileged) {
    for (const ip of kubeDNS) {
      const covered = main.port === 53 && (main.host === ip || main.host === '::' || (main.host === '0.0.0.0' && !ip.includes(':')));
      if (covered) continue;
      try {
        listeners.push(await listenPair(ip, 53, handler, log, connections));
        extraBound.push(ip);
      } catch (err) {
        bindError = `${hostPort(ip, 53)}: ${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use (another cluster or DNS server has it)' : (err as Error).message}`;
        log.warn({ err: (err as Error).message, address: hostPort(ip, 53) }, 'dns: not serving on the kube-dns ClusterIP');
      }
    }
  }

  const own: Upstream[] = listeners.map((l) => ({ host: l.host, port: l.port }));
  const configured = o.upstream ?? config.dnsUpstream;
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
      domain: config.clusterDomain,
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
async function listenPair(host: string, port: number, handler: QueryHandler, log: Logger, connections: TcpConnections): Promise<Listener> {
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

function bindUdp(host: string, port: number, handler: QueryHandler, log: Logger): Promise<dgram.Socket> {
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

function listenTcp(host: string, port: number, handler: QueryHandler, log: Logger, connections: TcpConnections): Promise<net.Server> {
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
function serveTcp(sock: net.Socket, handler: QueryHandler, log: Logger, connections: TcpConnections): void {
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
