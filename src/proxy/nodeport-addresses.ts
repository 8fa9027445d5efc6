// Which host addresses NodePorts (and health check node ports) are served on: upstream
// kube-proxy's --nodeport-addresses (pkg/proxy/util/nodeport_addresses.go), a list of CIDRs of
// which every host interface address inside any one is used; a zero CIDR (0.0.0.0/0, ::/0) means
// every address of its family. And which addresses count as "on this host" for externalIPs and
// for the source-address rule. Pure functions of the CIDR list and os.networkInterfaces(), and the
// host as the proxy last read it (HostState: read again on its periodic upkeep).
//
// One deliberate difference: upstream adds the zero CIDR of a family the list does not mention
// (so its IPv6 proxier would serve NodePorts on every IPv6 address when the list only has IPv4
// CIDRs). Here a family the list leaves out gets no NodePorts: the default ['127.0.0.1/32'] is
// meant to keep NodePorts on loopback, and silently opening them on the host's public IPv6
// addresses would defeat that. An empty list still means every address of both families.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import { contains, parseCIDR, type CIDR } from '../apimachinery/ipnet.js';

export const DEFAULT_NODEPORT_ADDRESSES = ['127.0.0.1/32'];

export interface HostAddress {
  address: string;
  family: 4 | 6;
  /** The interface name, for IPv6 link-local addresses (binding needs `fe80::1%eth0`). */
  scope?: string;
}

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Every address of every host interface. */
export function hostAddresses(ifaces: Interfaces = networkInterfaces()): HostAddress[] {
  const out: HostAddress[] = [];
  for (const [name, list] of Object.entries(ifaces)) {
    for (const a of list ?? []) {
      const family = a.family === 'IPv6' || (a.family as unknown) === 6 ? 6 : 4;
      const linkLocal = family === 6 && /^fe[89ab]/i.test(a.address);
      out.push(linkLocal ? { address: a.address, family, scope: name } : { address: a.address, family });
    }
  }
  return out;
}

/** Parses the option; an entry that is not a CIDR is an error naming it (as kube-proxy's flag check). */
export function parseNodePortCIDRs(list: readonly string[]): CIDR[] {
  return list.map((text) => {
    const c = parseCIDR(text.trim());
    if (!c) throw new Error(`nodePortAddresses: invalid CIDR "${text}": want ADDRESS/PREFIX, e.g. 127.0.0.1/32 or 0.0.0.0/0`);
    return c;
  });
}

/**
 * The addresses to listen on for NodePorts: the host addresses inside any CIDR, deduplicated,
 * in a stable order; link-local IPv6 addresses carry their `%interface` scope.
 */
export function nodePortAddresses(cidrs: readonly CIDR[], host: readonly HostAddress[]): string[] {
  const all = cidrs.length === 0;
  const out = new Set<string>();
  for (const h of host) {
    if (all || cidrs.some((c) => c.family === h.family && (c.prefix === 0 || contains(c, h.address)))) {
      out.add(h.scope ? `${h.address}%${h.scope}` : h.address);
    }
  }
  return [...out].sort(compareAddresses);
}

/** IPv4 before IPv6, then textual order: only for stable listings and tests. */
function compareAddresses(a: string, b: string): number {
  const fa = a.includes(':') ? 6 : 4;
  const fb = b.includes(':') ? 6 : 4;
  return fa !== fb ? fa - fb : a < b ? -1 : a > b ? 1 : 0;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(ip: string): boolean {
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  if (isIP(ip) === 4) return ip.startsWith('127.');
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

/**
 * Whether this host can listen on (and receive traffic for) the address: any loopback address
 * (all of 127.0.0.0/8 is local on Linux without configuration) or an address of an interface.
 */
export function isLocalAddress(ip: string, host: readonly HostAddress[]): boolean {
  if (isLoopback(ip)) return true;
  const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return host.some((h) => h.address === bare);
}

export const familyOf = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);

/** Loopback always; other addresses only inside one of the CIDRs (--external-ip-addresses). */
export function externalIPAllowed(ip: string, cidrs: readonly CIDR[]): boolean {
  if (isLoopback(ip)) return true;
  const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = familyOf(bare);
  return cidrs.some((c) => c.family === family && (c.prefix === 0 || contains(c, bare)));
}

/** What the sync needs to know of the host (listeners.ts wantedListeners' host). */
export interface HostView {
  nodePortAddresses: readonly string[];
  isLocal(ip: string): boolean;
  externalIPAllowed(ip: string): boolean;
}

/** The host's addresses as last read, and the NodePort addresses they give. */
export interface HostState {
  readonly cidrs: readonly CIDR[];
  /** --external-ip-addresses. */
  readonly externalCIDRs: readonly CIDR[];
  addresses: HostAddress[];
  nodePortAddresses: string[];
}

export function newHostState(cidrs: readonly CIDR[], externalCIDRs: readonly CIDR[], addresses = hostAddresses()): HostState {
  return { cidrs, externalCIDRs, addresses, nodePortAddresses: nodePortAddresses(cidrs, addresses) };
}

/** Takes the host's addresses as they are now; true when they or the NodePort addresses changed. */
export function refreshHost(h: HostState, now = hostAddresses()): boolean {
  const np = nodePortAddresses(h.cidrs, now);
  const prev = h.addresses;
  const changed =
    now.length !== prev.length || now.some((a, i) => a.address !== prev[i]!.address) || np.join() !== h.nodePortAddresses.join();
  h.addresses = now;
  h.nodePortAddresses = np;
  return changed;
}

export function hostView(h: HostState): HostView {
  const { addresses, externalCIDRs } = h;
  return {
    nodePortAddresses: h.nodePortAddresses,
    isLocal: (ip) => isLocalAddress(ip, addresses),
    externalIPAllowed: (ip) => externalIPAllowed(ip, externalCIDRs),
  };
}
