// The answer builder: index + question → rcode and sections, as the Kubernetes DNS specification
// (kubernetes/dns docs/specification.md, schema 1.1.0) and CoreDNS's kubernetes plugin answer.
// Pure: no I/O, no clock (the SOA serial comes from the index), so every rule is unit-testable.
//
// Existence rules (NXDOMAIN vs NODATA), as CoreDNS's kubernetes plugin decides them:
// - the zone apex, `svc.<zone>`, `pod.<zone>`, and `<ns>.svc|pod.<zone>` of an existing namespace
//   exist (NODATA for types they lack); a missing namespace is NXDOMAIN;
// - `<svc>.<ns>.svc.<zone>` exists when the Service does, except: a headless Service without a
//   ready endpoint, and an ExternalName whose target is an IP address, are NXDOMAIN;
// - `<hostname>.<svc>...` and `_<port>._<proto>.<svc>...` exist when a ready endpoint / a port
//   matches; more labels than that are NXDOMAIN; Pod names `a-b-c-d.<ns>.pod.<zone>` exist when
//   the label parses as an address (CoreDNS `pods insecure`).
// - a name that exists but lacks the asked type is NODATA: glibc asks AAAA first and must get
//   NOERROR/empty for an IPv4-only Service, or it walks the whole search list.
// Two deliberate differences, both where CoreDNS answers NXDOMAIN for a name that has records
// below or at it: `dns-version.<zone>` for types other than TXT, and the empty non-terminal
// `_<proto>.<svc>.<ns>.svc.<zone>` of a Service with a named port of that protocol, are NODATA
// (RFC 8020 resolvers would otherwise treat every name below them as missing).
import { TYPE, RCODE, CLASS_IN, CLASS_ANY, txtData, splitName, nameWireLength, type RR, type Question } from './wire.js';
import { cidrContains, dashedIP, formatIP, ipKey, parsePodLabel, parseReverse, reverseZoneOf, type ByteCIDR } from './ip.js';
import { REVERSE_BUCKET, serviceBucket, type Addr, type IndexView, type PortInfo, type ServiceInfo } from './cluster-index.js';

export const SCHEMA_VERSION = '1.1.0';
const VERSION_TTL = 28800;
/** The Service whose ClusterIPs are the zone's name server (NS and `ns.dns.<zone>`). */
export const NAMESERVER_SERVICE = { ns: 'kube-system', name: 'kube-dns' };

export interface ZoneConfig {
  /** Cluster domain, lowercase, no trailing dot. */
  zone: string;
  /** TTL of cluster records (CoreDNS default 5 s). */
  ttl: number;
  /** CIDRs the cluster owns (service, pod): unknown addresses there are NXDOMAIN, not forwarded. */
  ownNets: ByteCIDR[];
}

export interface Answer {
  rcode: number;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** Cache buckets the answer was built from (see ClusterIndex.gen). */
  deps: string[];
  /** A CNAME target outside the zone: the server resolves it upstream and appends the result. */
  chase?: { name: string; type: number };
}

const MAX_CNAME_CHAIN = 8;

/**
 * The answer for a question, or undefined when the name is not ours (the server forwards it).
 * `q.key` is the lowercased name; owner names of the records that answer the question itself
 * use `q.name`, so they compress to the question and keep the client's case.
 */
export function buildAnswer(idx: IndexView, q: Question, cfg: ZoneConfig): Answer | undefined {
  return build(idx, q, cfg, 0);
}

function build(idx: IndexView, q: Question, cfg: ZoneConfig, depth: number): Answer | undefined {
  const labels = splitName(q.key);
  const zoneLabels = cfg.zone.split('.');
  if (endsWith(labels, zoneLabels)) {
    if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return refused();
    return zoneAnswer(idx, q, labels.slice(0, labels.length - zoneLabels.length), cfg, depth);
  }
  const ip = parseReverse(labels);
  if (ip) {
    if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return undefined;
    return reverseAnswer(idx, q, ip, cfg);
  }
  return undefined;
}

function endsWith(labels: string[], suffix: string[]): boolean {
  if (labels.length < suffix.length) return false;
  const off = labels.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (labels[off + i] !== suffix[i]) return false;
  return true;
}

function refused(): Answer {
  return { rcode: RCODE.REFUSED, answer: [], authority: [], additional: [], deps: [] };
}

/** SOA as CoreDNS's kubernetes plugin writes it: ns.dns / hostmaster, 7200 1800 86400, minimum = ttl. */
export function soaRecord(zone: string, serial: number, ttl: number): RR {
  return {
    name: zone,
    type: TYPE.SOA,
    class: CLASS_IN,
    ttl: Math.min(ttl, 300),
    data: [`ns.dns.${zone}`, `hostmaster.${zone}`, serial >>> 0, 7200, 1800, 86400, ttl],
  };
}

function negative(rcode: number, idx: IndexView, zone: string, cfg: ZoneConfig, deps: string[]): Answer {
  return { rcode, answer: [], authority: [soaRecord(zone, idx.serial(), cfg.ttl)], additional: [], deps };
}

function addrRR(name: string, a: Addr, ttl: number): RR {
  return { name, type: a.family === 4 ? TYPE.A : TYPE.AAAA, class: CLASS_IN, ttl, data: a.raw };
}

function zoneAnswer(idx: IndexView, q: Question, rel: string[], cfg: ZoneConfig, depth: number): Answer {
  const { zone, ttl } = cfg;
  const nodata = (deps: string[] = []) => negative(RCODE.NOERROR, idx, zone, cfg, deps);
  const nxdomain = (deps: string[] = []) => negative(RCODE.NXDOMAIN, idx, zone, cfg, deps);
  const ok = (answer: RR[], deps: string[] = [], additional: RR[] = []): Answer =>
    answer.length ? { rcode: RCODE.NOERROR, answer, authority: [], additional, deps } : nodata(deps);
  const n = rel.length;

  // The apex: SOA and NS; everything else is NODATA.
  if (n === 0) {
    if (q.type === TYPE.SOA) return ok([{ ...soaRecord(zone, idx.serial(), ttl), name: q.name }]);
    if (q.type === TYPE.NS) {
      const nsName = `ns.dns.${zone}`;
      const deps = [serviceBucket(NAMESERVER_SERVICE.ns, NAMESERVER_SERVICE.name)];
      const addrs = nameserverAddrs(idx);
      return ok(
        [{ name: q.name, type: TYPE.NS, class: CLASS_IN, ttl, data: [nsName] }],
        deps,
        addrs.map((a) => addrRR(nsName, a, ttl)),
      );
    }
    return nodata();
  }
  if (n === 1 && rel[0] === 'dns-version') {
    return ok(
      q.type === TYPE.TXT ? [{ name: q.name, type: TYPE.TXT, class: CLASS_IN, ttl: VERSION_TTL, data: txtData(SCHEMA_VERSION) }] : [],
    );
  }
  if (n === 1 && rel[0] === 'dns') return nodata();
  if (n === 2 && rel[0] === 'ns' && rel[1] === 'dns') {
    const deps = [serviceBucket(NAMESERVER_SERVICE.ns, NAMESERVER_SERVICE.name)];
    return ok(addressAnswer(q, nameserverAddrs(idx), ttl), deps);
  }

  const kind = rel[n - 1];
  if (kind !== 'svc' && kind !== 'pod') return nxdomain();
  if (n === 1) return nodata();
  const ns = rel[n - 2]!;
  if (!idx.namespaceExists(ns)) return nxdomain();
  if (n === 2) return nodata();

  if (kind === 'pod') {
    if (n > 3) return nxdomain();
    const ip = parsePodLabel(rel[0]!);
    if (!ip) return nxdomain();
    const a: Addr = { text: '', raw: ip, family: ip.length === 4 ? 4 : 6, key: ipKey(ip) };
    return ok(addressAnswer(q, [a], ttl));
  }

  const svcName = rel[n - 3]!;
  const svc = idx.service(ns, svcName);
  const deps = [serviceBucket(ns, svcName)];
  if (!svc) return nxdomain(deps);
  const rest = rel.slice(0, n - 3);
  if (rest.length > 2) return nxdomain(deps);

  if (svc.kind === 'external') return externalAnswer(idx, q, svc, rest, cfg, depth, deps);

  let portName: string | undefined;
  let proto: string | undefined;
  let endpoint: string | undefined;
  if (rest.length === 2) {
    if (!rest[0]!.startsWith('_') || !rest[1]!.startsWith('_')) return nxdomain(deps);
    portName = rest[0]!.slice(1);
    proto = rest[1]!.slice(1);
  } else if (rest.length === 1) {
    if (rest[0]!.startsWith('_')) {
      // `_<proto>.<svc>...`: an empty non-terminal when some named port uses that protocol.
      const p = rest[0]!.slice(1);
      const portsSeen = svc.kind === 'cluster' ? svc.ports : idx.endpoints(ns, svcName).flatMap((e) => e.ports);
      return portsSeen.some((x) => x.name !== '' && x.protocol === p) ? nodata(deps) : nxdomain(deps);
    }
    endpoint = rest[0]!;
  }

  const items = collect(idx, svc, portName, proto, endpoint);
  if (!items.exists) return nxdomain(deps);

  switch (q.type) {
    case TYPE.A:
    case TYPE.AAAA:
      return ok(
        addressAnswer(
          q,
          items.list.map((i) => i.addr),
          ttl,
        ),
        deps,
      );
    case TYPE.SRV: {
      const base = `${svcName}.${ns}.svc.${zone}`;
      const baseLen = nameWireLength(base);
      const seen = new Set<string>();
      const extraSeen = new Set<string>();
      const srv: { port: number; target: string }[] = [];
      // The targets' addresses go to the additional section (spec 2.3.2 / 2.4.2): every address
      // of a target (both families of a dual-stack ClusterIP), once.
      const additional: RR[] = [];
      for (const it of items.list) {
        if (it.port < 0) continue;
        // Targets too long for a name (long hostname and cluster domain) are left out.
        if (it.host !== undefined && baseLen + it.host.length + 1 > 255) continue;
        const host = it.host ?? '';
        const target = it.host === undefined ? base : `${it.host}.${base}`;
        const k = `${host}\u0000${it.port}`;
        if (!seen.has(k)) {
          seen.add(k);
          srv.push({ port: it.port, target });
        }
        const ek = `${host}\u0000${it.addr.key}`;
        if (!extraSeen.has(ek)) {
          extraSeen.add(ek);
          additional.push(addrRR(target, it.addr, ttl));
        }
      }
      // Weights as CoreDNS: 100 split evenly over the records of one priority, at least 1.
      const weight = Math.max(1, Math.floor(100 / Math.max(1, srv.length)));
      const answer: RR[] = new Array(srv.length);
      for (let i = 0; i < srv.length; i++)
        answer[i] = { name: q.name, type: TYPE.SRV, class: CLASS_IN, ttl, data: [0, weight, srv[i]!.port, srv[i]!.target] };
      return ok(answer, deps, additional);
    }
    default:
      return nodata(deps);
  }
}

interface Item {
  addr: Addr;
  /** -1 when the endpoint's slice declares no ports (CoreDNS's sentinel). */
  port: number;
  /** The endpoint's hostname (SRV target `<host>.<svc>...`); undefined for a ClusterIP (target `<svc>...`). */
  host?: string;
}

const NO_PORT: PortInfo = { name: '', protocol: '', port: -1 };

function portMatches(p: PortInfo, name: string | undefined, proto: string | undefined): boolean {
  return (name === undefined || p.name === name) && (proto === undefined || p.protocol === proto);
}

/** CoreDNS findServices: the (address, port, target) triples a name stands for. */
function collect(
  idx: IndexView,
  svc: ServiceInfo,
  portName: string | undefined,
  proto: string | undefined,
  endpoint: string | undefined,
): { exists: boolean; list: Item[] } {
  const list: Item[] = [];
  if (svc.kind === 'headless' || endpoint !== undefined) {
    for (const ep of idx.endpoints(svc.ns, svc.name)) {
      if (endpoint !== undefined && ep.host !== endpoint) continue;
      const ports = ep.ports.length ? ep.ports : [NO_PORT];
      for (const p of ports) if (portMatches(p, portName, proto)) list.push({ addr: ep.addr, port: p.port, host: ep.host });
    }
    return { exists: list.length > 0, list };
  }
  let exists = false;
  for (const p of svc.ports) {
    if (!portMatches(p, portName, proto)) continue;
    exists = true;
    for (const a of svc.clusterIPs) list.push({ addr: a, port: p.port });
  }
  return { exists, list };
}

/** A or AAAA records for the question's name, one per distinct address of the asked family. */
function addressAnswer(q: Question, addrs: readonly Addr[], ttl: number): RR[] {
  const want = q.type === TYPE.A ? 4 : q.type === TYPE.AAAA ? 6 : 0;
  if (!want) return [];
  const type = want === 4 ? TYPE.A : TYPE.AAAA;
  const out: RR[] = [];
  const seen = new Set<string>();
  for (const a of addrs) {
    if (a.family !== want || seen.has(a.key)) continue;
    seen.add(a.key);
    out.push({ name: q.name, type, class: CLASS_IN, ttl, data: a.raw });
  }
  return out;
}

function nameserverAddrs(idx: IndexView): Addr[] {
  return idx.service(NAMESERVER_SERVICE.ns, NAMESERVER_SERVICE.name)?.clusterIPs ?? [];
}

function externalAnswer(
  idx: IndexView,
  q: Question,
  svc: ServiceInfo,
  rest: string[],
  cfg: ZoneConfig,
  depth: number,
  deps: string[],
): Answer {
  const nxdomain = () => negative(RCODE.NXDOMAIN, idx, cfg.zone, cfg, deps);
  const target = svc.externalName ?? '';
  // Names below an ExternalName Service, an empty target, or an IP address target: NXDOMAIN
  // (CoreDNS only answers ExternalName targets that are names).
  if (rest.length || !target || nameWireLength(target) === Infinity || /^[0-9.]+$/.test(target) || target.includes(':')) return nxdomain();
  if (target === q.key) return negative(RCODE.NOERROR, idx, cfg.zone, cfg, deps); // x CNAME x: a loop, nothing to say
  const cname: RR = { name: q.name, type: TYPE.CNAME, class: CLASS_IN, ttl: cfg.ttl, data: [target] };
  if (q.type === TYPE.CNAME) return { rcode: RCODE.NOERROR, answer: [cname], authority: [], additional: [], deps };
  const zoneSuffix = `.${cfg.zone}`;
  if (target.endsWith(zoneSuffix) || target === cfg.zone) {
    if (depth >= MAX_CNAME_CHAIN) return { rcode: RCODE.NOERROR, answer: [cname], authority: [], additional: [], deps };
    const next = build(idx, { name: target, key: target, type: q.type, class: q.class }, cfg, depth + 1)!;
    return {
      rcode: next.rcode,
      answer: [cname, ...next.answer],
      authority: next.authority,
      additional: next.additional,
      deps: [...deps, ...next.deps],
      chase: next.chase,
    };
  }
  return { rcode: RCODE.NOERROR, answer: [cname], authority: [], additional: [], deps, chase: { name: target, type: q.type } };
}

function reverseAnswer(idx: IndexView, q: Question, ip: Uint8Array, cfg: ZoneConfig): Answer | undefined {
  const net = cfg.ownNets.find((c) => cidrContains(c, ip));
  const zone = net ? reverseZoneOf(net) : ip.length === 4 ? 'in-addr.arpa' : 'ip6.arpa';
  const deps = [REVERSE_BUCKET];
  const hit = idx.reverse(ip);
  const names: string[] = [];
  if (hit.services.length) {
    // A ClusterIP names its Service (the first one, as CoreDNS); endpoints only when no Service has it.
    const s = hit.services[0]!;
    names.push(`${s.name}.${s.ns}.svc.${cfg.zone}`);
  } else if (hit.endpoints.length) {
    for (const e of hit.endpoints) names.push(`${e.host}.${e.service}.${e.ns}.svc.${cfg.zone}`);
  } else {
    const dashed = dashedIP(formatIP(ip));
    for (const ns of hit.podNamespaces) names.push(`${dashed}.${ns}.pod.${cfg.zone}`);
  }
  const unique = [...new Set(names)].filter((x) => nameWireLength(x) !== Infinity);
  if (!unique.length) {
    // Not ours: unknown addresses of the cluster's own ranges are NXDOMAIN, the rest is forwarded.
    return net ? negative(RCODE.NXDOMAIN, idx, zone, cfg, deps) : undefined;
  }
  if (q.type !== TYPE.PTR) return negative(RCODE.NOERROR, idx, zone, cfg, deps);
  return {
    rcode: RCODE.NOERROR,
    answer: unique.map((target) => ({ name: q.name, type: TYPE.PTR, class: CLASS_IN, ttl: cfg.ttl, data: [target] })),
    authority: [],
    additional: [],
    deps,
  };
}
