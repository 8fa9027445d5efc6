// NetworkPolicy (networking.k8s.io/v1) decisions for the traffic tinykube carries itself: the
// service proxy, once it has chosen a backend, and the ingress controller. Pure (no I/O): an index
// fed with Pods, Namespaces and NetworkPolicies answers whether a connection may be made. The
// semantics are those of the API's own definitions (NetworkPolicySpec, NetworkPolicyPeer,
// NetworkPolicyPort) and the NetworkPolicy concept page:
// - a Pod is isolated for ingress when a policy of its namespace selects it (spec.podSelector)
//   and has Ingress in policyTypes (absent: Ingress, plus Egress when egress rules are given);
//   likewise for egress. A Pod that is not isolated accepts (sends) everything.
// - an isolated Pod accepts a connection when one rule of one policy selecting it matches:
//   policies and rules are additive. A rule matches when one of its peers (`from` for ingress,
//   `to` for egress; none listed = every peer) and one of its ports (none listed = every port)
//   match.
// - a peer: ipBlock matches the address (inside cidr, outside every except), whether or not a Pod
//   has it; podSelector alone selects Pods of the policy's own namespace; namespaceSelector alone
//   every Pod of the matching namespaces; both in one peer, the matching Pods of the matching
//   namespaces. An address that is no Pod's (the host, a client outside) matches ipBlock only.
// - a port: the protocol (TCP when absent) and the destination port: a number, a range
//   port..endPort, or a name looked up among the destination Pod's container ports of that
//   protocol (containers and sidecars, as upstream FindPort); no port: every port of the protocol.
// - a connection between two Pods needs both: the source's egress and the destination's ingress.
// - the concept page's exceptions: a Pod cannot block access to itself, and traffic between a Pod
//   and its node is always allowed, "regardless of the IP address of the Pod or the node". Which
//   addresses are the node's is the caller's to say (options.isNodeAddress); without it every
//   address that is no Pod's is judged by ipBlock rules, as a client outside the cluster.
//
// The proxy asks once per new connection or UDP flow, so decisions are remembered per
// (protocol, source, destination, port) until something that can change them does: a policy, a
// namespace's labels, or a Pod's addresses, labels, ports or phase.
import type { LabelSelector } from '../../api/generated/meta/v1.js';
import type { NetworkPolicyPeer, NetworkPolicyPort } from '../../api/generated/networking/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { parseCIDR, parseIP, type CIDR, type IP } from '../../apimachinery/ipnet.js';
import type { InformerHandlers } from '../../storage/informer.js';
import type { NamespaceObj } from '../namespace.js';
import type { PodObj } from '../pod/strategy.js';
import type { NetworkPolicyObj } from './networkpolicy-validation.js';

/** The informer resource of NetworkPolicies. */
export const NETWORKPOLICIES = 'networking.k8s.io/networkpolicies';

/** A new connection (TCP) or flow (UDP, SCTP), after Service translation: dst is the chosen backend. */
export interface PolicyConnection {
  srcIP: string;
  dstIP: string;
  dstPort: number;
  /** TCP, UDP or SCTP. */
  protocol: string;
}

export interface PolicyIndexOptions {
  /**
   * Whether an address is the node's (this host's): traffic between a Pod and its node is always
   * allowed. Asked only for addresses that are no Pod's.
   */
  isNodeAddress?: (ip: string) => boolean;
  /** Decisions remembered at most (default 16384); the memory starts over when full. */
  cacheSize?: number;
}

export interface PolicyIndex {
  setPod(pod: PodObj): void;
  deletePod(namespace: string, name: string): void;
  setNamespace(ns: NamespaceObj): void;
  deleteNamespace(name: string): void;
  setPolicy(np: NetworkPolicyObj): void;
  deletePolicy(namespace: string, name: string): void;
  /** Whether the policies allow the connection (both the source's egress and the destination's ingress). */
  allows(c: PolicyConnection): boolean;
  /** The same decision with its reason, uncached: for logs and events. */
  explain(c: PolicyConnection): PolicyDecision;
  /** Number of NetworkPolicies held: with none, every connection is allowed. */
  readonly policyCount: number;
}

export interface PolicyDecision {
  allowed: boolean;
  /** `namespace/name` of the source and destination Pods, when the addresses are Pods'. */
  srcPod?: string;
  dstPod?: string;
  /** Which side refused: the destination is isolated for ingress, or the source for egress. */
  deniedBy?: 'ingress' | 'egress';
}

type Labels = Readonly<Record<string, string>>;
type Matcher = (labels: Labels | undefined) => boolean;

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const never: Matcher = () => false;
const always: Matcher = () => true;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A metav1.LabelSelector as a function, as LabelSelectorAsSelector reads it: nil selects nothing,
 * empty selects everything, an unknown operator nothing.
 */
export function compileSelector(sel: LabelSelector | null | undefined): Matcher {
  if (!sel) return never;
  const pairs = Object.entries(sel.matchLabels ?? {});
  const exprs = (sel.matchExpressions ?? []).map((e) => ({ key: e.key, op: e.operator, values: new Set(e.values ?? []) }));
  if (exprs.some((e) => !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.op))) return never;
  if (!pairs.length && !exprs.length) return always;
  return (labels) => {
    for (const [k, v] of pairs) if (!labels || labels[k] !== v || !hasOwn.call(labels, k)) return false;
    for (const e of exprs) {
      const has = !!labels && hasOwn.call(labels, e.key);
      switch (e.op) {
        case 'In':
          if (!has || !e.values.has(labels[e.key]!)) return false;
          break;
        case 'NotIn':
          if (has && e.values.has(labels[e.key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        default:
          if (has) return false;
      }
    }
    return true;
  };
}

// ---- compiled policies ----

interface Block {
  cidr: CIDR;
  except: CIDR[];
}

interface Peer {
  /** Set: the peer is an ipBlock and nothing else counts. */
  block?: Block;
  pods?: Matcher;
  namespaces?: Matcher;
}

interface Port {
  protocol: string;
  /** Neither number nor name: every port of the protocol. */
  number?: number;
  end?: number;
  name?: string;
}

interface Rule {
  /** Undefined: every peer. */
  peers?: Peer[];
  /** Undefined: every port. */
  ports?: Port[];
}

interface Policy {
  namespace: string;
  selects: Matcher;
  /** Undefined when the policy is not of that type. */
  ingress?: Rule[];
  egress?: Rule[];
}

function compileBlock(b: { cidr: string; except?: string[] }): Block | undefined {
  const cidr = parseCIDR(b.cidr);
  if (!cidr) return undefined;
  const except = (b.except ?? []).map((e) => parseCIDR(e)).filter((e): e is CIDR => !!e);
  return { cidr, except };
}

function compilePeer(p: NetworkPolicyPeer): Peer {
  if (p.ipBlock) {
    // A CIDR that does not parse (stored before stricter validation) matches no address.
    const block = compileBlock(p.ipBlock);
    return block ? { block } : { pods: never };
  }
  return {
    pods: p.podSelector ? compileSelector(p.podSelector) : undefined,
    namespaces: p.namespaceSelector ? compileSelector(p.namespaceSelector) : undefined,
  };
}

function compilePort(p: NetworkPolicyPort): Port {
  const protocol = p.protocol || 'TCP';
  if (typeof p.port === 'number') return { protocol, number: p.port, end: typeof p.endPort === 'number' ? p.endPort : undefined };
  if (typeof p.port === 'string' && p.port !== '') return { protocol, name: p.port };
  return { protocol };
}

function compileRule(peers: (NetworkPolicyPeer | null)[] | undefined, ports: (NetworkPolicyPort | null)[] | undefined): Rule {
  return {
    peers: peers?.length ? peers.map((p) => compilePeer(p ?? {})) : undefined,
    ports: ports?.length ? ports.map((p) => compilePort(p ?? {})) : undefined,
  };
}

function compilePolicy(np: NetworkPolicyObj): Policy {
  const spec = np.spec ?? ({} as NonNullable<NetworkPolicyObj['spec']>);
  // SetDefaults_NetworkPolicy, for objects that did not come through the registry.
  const types = spec.policyTypes?.length ? spec.policyTypes : spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
  return {
    namespace: np.metadata.namespace ?? '',
    selects: compileSelector(spec.podSelector),
    ingress: types.includes('Ingress') ? (spec.ingress ?? []).map((r) => compileRule(r?.from, r?.ports)) : undefined,
    egress: types.includes('Egress') ? (spec.egress ?? []).map((r) => compileRule(r?.to, r?.ports)) : undefined,
  };
}

// ---- Pods as the policies see them ----

interface PodPort {
  name: string;
  port: number;
  protocol: string;
}

interface PodInfo {
  key: string;
  namespace: string;
  labels: Labels;
  ips: string[];
  ports: PodPort[];
  /** What the decisions depend on: an update with the same fingerprint changes none. */
  fingerprint: string;
}

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a dual-stack socket reports) as IPv4. */
const bareIP = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

function podInfo(pod: PodObj): PodInfo | undefined {
  const spec = pod.spec;
  const phase = pod.status?.phase;
  // Host-network Pods have the node's address, and a finished Pod's address may be another's soon.
  if (spec?.hostNetwork || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const fromList = (pod.status?.podIPs ?? []).map((p) => p?.ip).filter((ip): ip is string => !!ip);
  const ips = (fromList.length ? fromList : pod.status?.podIP ? [pod.status.podIP] : []).map(bareIP);
  if (!ips.length) return undefined;
  const ports: PodPort[] = [];
  const sidecars = (spec?.initContainers ?? []).filter((c) => c?.restartPolicy === 'Always');
  for (const c of [...(spec?.containers ?? []), ...sidecars])
    for (const p of c?.ports ?? []) if (p?.name) ports.push({ name: p.name, port: p.containerPort, protocol: p.protocol || 'TCP' });
  const namespace = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  return {
    key: `${namespace}/${pod.metadata.name ?? ''}`,
    namespace,
    labels,
    ips,
    ports,
    fingerprint: JSON.stringify([ips, labels, ports]),
  };
}

/** The address as a number, IPv4-mapped IPv6 as IPv4 (Go's IPNet.Contains reads it so). */
function addressOf(ip: string): IP | undefined {
  const a = parseIP(ip);
  if (a && a.family === 6 && a.value >> 32n === 0xffffn) return { family: 4, value: a.value & 0xffffffffn };
  return a;
}

const inside = (c: CIDR, a: IP) => a.family === c.family && a.value >= c.base && a.value < c.base + c.size;

// ---- the index ----

export function createPolicyIndex(o: PolicyIndexOptions = {}): PolicyIndex {
  const cacheSize = o.cacheSize ?? 16384;
  const pods = new Map<string, PodInfo>();
  /** Pod keys by address: two Pods may hold one address for a moment (one leaving, one coming). */
  const byIP = new Map<string, string[]>();
  const nsLabels = new Map<string, Labels>();
  const policies = new Map<string, Policy>();
  /** Policies by namespace, in a stable order. */
  const byNamespace = new Map<string, Policy[]>();
  let cache = new Map<string, boolean>();
  const forget = () => {
    if (cache.size) cache = new Map();
  };

  const labelsOfNamespace = (name: string): Labels => nsLabels.get(name) ?? { [NAMESPACE_NAME_LABEL]: name };

  const podAt = (ip: string): PodInfo | undefined => {
    const keys = byIP.get(ip);
    return keys ? pods.get(keys[keys.length - 1]!) : undefined;
  };

  const unindexPod = (p: PodInfo) => {
    for (const ip of p.ips) {
      const keys = byIP.get(ip)?.filter((k) => k !== p.key);
      if (keys?.length) byIP.set(ip, keys);
      else byIP.delete(ip);
    }
  };

  const rebuildNamespace = (ns: string) => {
    const list = [...policies.entries()].filter(([, p]) => p.namespace === ns).map(([, p]) => p);
    if (list.length) byNamespace.set(ns, list);
    else byNamespace.delete(ns);
  };

  function peerMatches(peer: Peer, policyNs: string, addr: () => IP | undefined, pod: PodInfo | undefined): boolean {
    if (peer.block) {
      const a = addr();
      if (!a || !inside(peer.block.cidr, a)) return false;
      for (const e of peer.block.except) if (inside(e, a)) return false;
      return true;
    }
    if (!pod || (!peer.pods && !peer.namespaces)) return false;
    if (peer.namespaces) {
      if (!peer.namespaces(labelsOfNamespace(pod.namespace))) return false;
    } else if (pod.namespace !== policyNs) return false;
    return !peer.pods || peer.pods(pod.labels);
  }

  function portMatches(port: Port, c: PolicyConnection, dst: PodInfo | undefined): boolean {
    if (port.protocol !== c.protocol) return false;
    if (port.name !== undefined)
      return !!dst && dst.ports.some((p) => p.name === port.name && p.protocol === port.protocol && p.port === c.dstPort);
    if (port.number === undefined) return true;
    return port.end === undefined ? c.dstPort === port.number : c.dstPort >= port.number && c.dstPort <= port.end;
  }

  /**
   * Whether `pod`'s policies of one direction let the connection through: `peer` is the other end
   * (the source for ingress, the destination for egress); ports are always the destination's.
   */
  function directionAllows(
    dir: 'ingress' | 'egress',
    pod: PodInfo,
    c: PolicyConnection,
    peerAddr: () => IP | undefined,
    peerPod: PodInfo | undefined,
    dst: PodInfo | undefined,
  ): boolean {
    let isolated = false;
    for (const p of byNamespace.get(pod.namespace) ?? []) {
      const rules = p[dir];
      if (!rules || !p.selects(pod.labels)) continue;
      isolated = true;
      for (const r of rules) {
        if (r.ports && !r.ports.some((port) => portMatches(port, c, dst))) continue;
        if (!r.peers || r.peers.some((peer) => peerMatches(peer, p.namespace, peerAddr, peerPod))) return true;
      }
    }
    return !isolated;
  }

  function decide(c: PolicyConnection): PolicyDecision {
    const srcIP = bareIP(c.srcIP);
    const dstIP = bareIP(c.dstIP);
    const src = podAt(srcIP);
    const dst = podAt(dstIP);
    const d: PolicyDecision = { allowed: true, srcPod: src?.key, dstPod: dst?.key };
    // A Pod cannot block access to itself.
    if (src && src === dst) return d;
    // Traffic between a Pod and its node is always allowed.
    if ((!src && o.isNodeAddress?.(srcIP)) || (!dst && o.isNodeAddress?.(dstIP))) return d;
    let srcAddr: IP | undefined | null = null;
    let dstAddr: IP | undefined | null = null;
    const srcAddrOf = () => (srcAddr === null ? (srcAddr = addressOf(srcIP)) : srcAddr);
    const dstAddrOf = () => (dstAddr === null ? (dstAddr = addressOf(dstIP)) : dstAddr);
    if (dst && !directionAllows('ingress', dst, c, srcAddrOf, src, dst)) return { ...d, allowed: false, deniedBy: 'ingress' };
    if (src && !directionAllows('egress', src, c, dstAddrOf, dst, dst)) return { ...d, allowed: false, deniedBy: 'egress' };
    return d;
  }

  return {
    setPod(pod) {
      const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
      const old = pods.get(key);
      const next = podInfo(pod);
      if (old?.fingerprint === next?.fingerprint) return;
      if (old) {
        unindexPod(old);
        pods.delete(key);
      }
      if (next) {
        pods.set(key, next);
        for (const ip of next.ips) byIP.set(ip, [...(byIP.get(ip) ?? []), key]);
      }
      forget();
    },
    deletePod(namespace, name) {
      const old = pods.get(`${namespace}/${name}`);
      if (!old) return;
      unindexPod(old);
      pods.delete(old.key);
      forget();
    },
    setNamespace(ns) {
      const name = ns.metadata.name ?? '';
      // The API always sets this label (SetDefaults_Namespace); objects from elsewhere may lack it.
      const labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
      const old = nsLabels.get(name);
      nsLabels.set(name, labels);
      if (!old || JSON.stringify(old) !== JSON.stringify(labels)) forget();
    },
    deleteNamespace(name) {
      if (nsLabels.delete(name)) forget();
    },
    setPolicy(np) {
      const ns = np.metadata.namespace ?? '';
      policies.set(`${ns}/${np.metadata.name ?? ''}`, compilePolicy(np));
      rebuildNamespace(ns);
      forget();
    },
    deletePolicy(namespace, name) {
      if (!policies.delete(`${namespace}/${name}`)) return;
      rebuildNamespace(namespace);
      forget();
    },
    allows(c) {
      if (!policies.size) return true;
      const key = `${c.protocol} ${c.srcIP} ${c.dstIP} ${c.dstPort}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const allowed = decide(c).allowed;
      if (cache.size >= cacheSize) cache = new Map();
      cache.set(key, allowed);
      return allowed;
    },
    explain: (c) => decide(c),
    get policyCount() {
      return policies.size;
    },
  };
}

/**
 * Informer handlers that keep an index current: Pods, Namespaces and NetworkPolicies (each
 * informer's `on()`, which also replays what it holds).
 */
export function policyIndexHandlers(index: PolicyIndex): {
  pods: InformerHandlers;
  namespaces: InformerHandlers;
  networkpolicies: InformerHandlers;
} {
  const ns = (o: KubeObject) => o.metadata.namespace ?? '';
  return {
    pods: {
      add: (p) => index.setPod(p as PodObj),
      update: (p) => index.setPod(p as PodObj),
      delete: (p) => index.deletePod(ns(p), p.metadata.name ?? ''),
    },
    namespaces: {
      add: (n) => index.setNamespace(n as NamespaceObj),
      update: (n) => index.setNamespace(n as NamespaceObj),
      delete: (n) => index.deleteNamespace(n.metadata.name ?? ''),
    },
    networkpolicies: {
      add: (np) => index.setPolicy(np as NetworkPolicyObj),
      update: (np) => index.setPolicy(np as NetworkPolicyObj),
      delete: (np) => index.deletePolicy(ns(np), np.metadata.name ?? ''),
    },
  };
}
