// Default address ranges per host slot. Every cluster on a host takes a slot (see host-registry.ts)
// and, for each range the user did not give, uses that slot's: so clusters started without options,
// in one process or many, never share a ClusterIP, Pod IP, load-balancer IP or NodePort.
//
// Slot 0 keeps the defaults tinykube always had (and upstream's NodePort range), so the first
// cluster on a host looks like the README's examples: kubernetes at 127.96.0.1, kube-dns at
// 127.96.0.10, NodePorts 30000-32767. Slots 1-80 each take one /16 of 127.100.0.0-127.179.255.255
// (a /18 each for Services, Pods and load balancers: 16,384 addresses, eight times --max-pods'
// default) and 250 NodePorts of 10000-29999, below Linux's ephemeral ports (32768-60999) so an
// outgoing connection's local port never takes a NodePort.
import { createHash } from 'node:crypto';
import { parseCIDR, type CIDR } from '../apimachinery/ipnet.js';

export const SLOT_COUNT = 81;

export interface SlotDefaults {
  serviceCIDR: string;
  podCIDR: string;
  loadBalancerCIDR: string;
  nodePortRange: string;
}

export function slotDefaults(slot: number): SlotDefaults {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is out of range 0-${SLOT_COUNT - 1}`);
  if (slot === 0)
    return { serviceCIDR: '127.96.0.0/16', podCIDR: '127.244.0.0/16', loadBalancerCIDR: '127.240.0.0/16', nodePortRange: '30000-32767' };
  const b = 99 + slot;
  const first = 10_000 + (slot - 1) * 250;
  return {
    serviceCIDR: `127.${b}.0.0/18`,
    podCIDR: `127.${b}.64.0/18`,
    loadBalancerCIDR: `127.${b}.128.0/18`,
    nodePortRange: `${first}-${first + 249}`,
  };
}

/** What of the host a cluster's ranges take: addresses it binds and NodePorts. */
export interface HostRanges {
  service: string[];
  pod: string;
  loadBalancer: string;
  nodePorts: { base: number; size: number };
  /** Where the NodePorts are bound (kube-proxy's --nodeport-addresses). */
  nodePortAddresses: string[];
}

export type RangeKind = 'service' | 'pod' | 'loadBalancer' | 'nodePorts';

export const RANGE_NAMES: Record<RangeKind, string> = {
  service: 'service CIDR',
  pod: 'pod CIDR',
  loadBalancer: 'load-balancer CIDR',
  nodePorts: 'NodePort range',
};

export const RANGE_FLAGS: Record<RangeKind, string> = {
  service: '--service-cidr',
  pod: '--pod-cidr',
  loadBalancer: '--loadbalancer-cidr',
  nodePorts: '--service-node-port-range',
};

const LOOPBACK = [parseCIDR('127.0.0.0/8')!, parseCIDR('::1/128')!];

function cidrOverlap(a: CIDR, b: CIDR): boolean {
  return a.family === b.family && a.base < b.base + b.size && b.base < a.base + a.size;
}

/**
 * Only what reaches this host's sockets can collide: loopback addresses (the proxy, DNS and Pods
 * bind them). A range elsewhere (10.96.0.0/12 in a test of API behaviour) is API data here, so two
 * clusters may both use it.
 */
export function bindable(text: string): boolean {
  const c = parseCIDR(text);
  return !!c && LOOPBACK.some((l) => cidrOverlap(c, l));
}

export interface Overlap {
  kind: RangeKind;
  mine: string;
  /** The other cluster's range that overlaps ours, and its kind. */
  theirKind: RangeKind;
  theirs: string;
}

const portText = (r: { base: number; size: number }) => `${r.base}-${r.base + r.size - 1}`;

/**
 * Where two clusters' ranges collide on this host. Each kind is compared with its own kind and with
 * the other address kinds too (a Pod CIDR inside another cluster's service CIDR collides as well).
 */
export function overlaps(mine: HostRanges, theirs: HostRanges): Overlap[] {
  const out: Overlap[] = [];
  const addr = (r: HostRanges): [RangeKind, string][] => [
    ...r.service.map((s): [RangeKind, string] => ['service', s]),
    ['pod', r.pod],
    ['loadBalancer', r.loadBalancer],
  ];
  const theirAddr = addr(theirs).filter(([, t]) => bindable(t));
  for (const [kind, m] of addr(mine)) {
    if (!bindable(m)) continue;
    const a = parseCIDR(m)!;
    for (const [theirKind, t] of theirAddr) if (cidrOverlap(a, parseCIDR(t)!)) out.push({ kind, mine: m, theirKind, theirs: t });
  }
  // NodePorts collide only where both bind them: the same port on overlapping addresses.
  const p = mine.nodePorts;
  const q = theirs.nodePorts;
  const sameAddresses = mine.nodePortAddresses.some((a) =>
    (theirs.nodePortAddresses ?? ['0.0.0.0/0', '::/0']).some((b) => cidrOverlap(parseCIDR(a)!, parseCIDR(b)!)),
  );
  if (sameAddresses && p.base < q.base + q.size && q.base < p.base + p.size)
    out.push({ kind: 'nodePorts', mine: portText(p), theirKind: 'nodePorts', theirs: portText(q) });
  return out;
}

/** A slot's ranges as a plain cluster on it has them (NodePorts on 127.0.0.1, kube-proxy's default here). */
export function slotRanges(slot: number): HostRanges {
  const d = slotDefaults(slot);
  const [from, to] = d.nodePortRange.split('-').map(Number) as [number, number];
  return {
    service: [d.serviceCIDR],
    pod: d.podCIDR,
    loadBalancer: d.loadBalancerCIDR,
    nodePorts: { base: from, size: to - from + 1 },
    nodePortAddresses: ['127.0.0.1/32'],
  };
}

/** Whether a cluster on this slot has exactly the slot's ranges (others may then know it by its slot alone). */
export function isPlain(slot: number | undefined, r: HostRanges): boolean {
  return slot !== undefined && JSON.stringify(r) === JSON.stringify(slotRanges(slot));
}

/**
 * The order in which a cluster tries the slots. Clusters that keep their ranges (a data dir's,
 * saved at its first start) and those that do not (in memory: test suites) draw from separate
 * pools, so a stopped data dir's ranges are not taken by the test clusters that come and go
 * meanwhile, and its restart finds them free: the default data dir (`tinykube up`) takes slot 0,
 * other data dirs 41-80, in-memory clusters 1-40; each spills over into the others' when its own
 * are full.
 */
export function slotOrder(kind: 'default-data-dir' | 'data-dir' | 'in-memory', dataDir = ''): number[] {
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const low = range(1, 40);
  let high = range(41, SLOT_COUNT - 1);
  if (kind === 'default-data-dir') return [0, ...high, ...low];
  if (kind === 'data-dir') {
    // Each data dir starts looking at a slot of its own (by its path), so two data dirs made
    // while the other was stopped rarely pick the same one.
    const first = createHash('sha256').update(dataDir).digest().readUInt32BE(0) % high.length;
    high = [...high.slice(first), ...high.slice(0, first)];
    return [...high, 0, ...low];
  }
  return [...low, ...high, 0];
}
