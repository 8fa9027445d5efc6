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
//
// The sockets are in server.ts; this module derives what they need from the cluster's config and
// runs them on the calling thread. The cluster runs them on its data-plane thread instead
// (src/dataplane/), with the same plan.
import { mayBindPort } from '../base/privileged-ports.js';
import type { Store } from '../storage/store.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { serviceIP } from '../registry/bootstrap.js';
import { parseHostPort } from '../config/options.js';
import type { ComponentLog } from '../base/log.js';
import { ClusterIndex } from './cluster-index.js';
import { serveDns, type ClusterDNS, type DnsServePlan, type DnsServer, type TcpLimits } from './server.js';

export { ClusterIndex } from './cluster-index.js';
export { QueryHandler } from './handler.js';
export { Forwarder } from './forward.js';
export { buildAnswer } from './records.js';
export type { ClusterDNS, DnsServePlan, DnsServer, TcpLimits } from './server.js';

/** Default TTL of cluster records (CoreDNS kubernetes plugin). */
export const DEFAULT_DNS_TTL = 5;

export interface DnsServerOptions {
  store: Store;
  config: ClusterConfig;
  log: ComponentLog;
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

/** The resolv.conf of a ClusterFirst Pod, as the kubelet writes it; undefined without a port-53 nameserver. */
export function clusterFirstResolvConf(dns: ClusterDNS, namespace: string, hostSearch: string[] = []): string | undefined {
  if (!dns.nameserver) return undefined;
  const d = dns.domain;
  const search = [`${namespace}.svc.${d}`, `svc.${d}`, d, ...hostSearch].slice(0, 32);
  return [`search ${search.join(' ')}`, `nameserver ${dns.nameserver}`, 'options ndots:5', ''].join('\n');
}

/** Port 53 of the kube-dns address needs privilege (see base/privileged-ports.ts). */
export const canBindPrivileged = (): boolean => mayBindPort(53);

/** The server's plan from the cluster's config and the options (plain data: it may go to another thread). */
export function dnsServePlan(o: Omit<DnsServerOptions, 'store' | 'log' | 'informers'>): DnsServePlan {
  const { config } = o;
  return {
    host: config.dnsHost,
    port: config.dnsPort,
    fallback: o.fallbackListen ? parseHostPort('fallbackListen', o.fallbackListen) : undefined,
    domain: config.clusterDomain,
    ttl: o.ttl ?? config.dnsTTL ?? DEFAULT_DNS_TTL,
    ownNets: [config.serviceCIDR, config.secondaryServiceCIDR, config.podCIDR].filter((c): c is string => !!c),
    kubeDNSDefault: serviceIP(config, 9),
    privileged: canBindPrivileged(),
    upstream: o.upstream ?? config.dnsUpstream,
    resolvConfPath: o.resolvConfPath,
    upstreamTimeoutMs: o.upstreamTimeoutMs,
    tcp: o.tcp,
  };
}

/** The cluster DNS server on this thread, its index following the store. */
export function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const plan = dnsServePlan(o);
  const index = ClusterIndex.attach(o.store, o.informers ? (r) => o.informers!.list(r) : undefined);
  return serveDns({ ...plan, index, log: o.log });
}
