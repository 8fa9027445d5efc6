// Whether this process may bind the ClusterIP ports below 1024 that every cluster has: kube-dns on
// 53 and the kubernetes Service on 443. On Linux that takes CAP_NET_BIND_SERVICE (root has it), or
// a port at or above net.ipv4.ip_unprivileged_port_start (1024 unless lowered). CI runners that
// run as a normal user have neither: the DNS server then listens on a free port and the proxy's
// listener for 443 fails (ListenFailed), so `up` says why and what helps.
import { readFileSync } from 'node:fs';

/** Linux's capability number of CAP_NET_BIND_SERVICE (bit 10 of CapEff). */
export const CAP_NET_BIND_SERVICE = 10;

/** What decides it, as read from this host (see readPortPrivileges); tests pass their own. */
export interface PortPrivileges {
  platform: NodeJS.Platform;
  /** process.getuid(); undefined where there is none (Windows). */
  uid: number | undefined;
  /** The `CapEff:` hex mask of /proc/self/status; undefined when unreadable. */
  capEff: string | undefined;
  /** /proc/sys/net/ipv4/ip_unprivileged_port_start; undefined when missing (kernels before 4.11). */
  unprivilegedPortStart: number | undefined;
}

export interface NamedPort {
  port: number;
  /** What listens there, as the notice names it. */
  what: string;
}

/** The privileged ports every cluster has. */
export const CLUSTER_PRIVILEGED_PORTS: readonly NamedPort[] = [
  { port: 53, what: 'kube-dns' },
  { port: 443, what: 'the kubernetes Service' },
];

export function readPortPrivileges(): PortPrivileges {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const start = read('/proc/sys/net/ipv4/ip_unprivileged_port_start')?.trim();
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    capEff: /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(read('/proc/self/status') ?? '')?.[1],
    unprivilegedPortStart: start && /^\d+$/.test(start) ? Number(start) : undefined,
  };
}

/** Whether the effective capabilities hold CAP_NET_BIND_SERVICE; undefined when they are not known. */
function hasNetBindService(capEff: string | undefined): boolean | undefined {
  if (capEff === undefined || !/^[0-9a-fA-F]+$/.test(capEff)) return undefined;
  return ((BigInt(`0x${capEff}`) >> BigInt(CAP_NET_BIND_SERVICE)) & 1n) === 1n;
}

/** Whether this process may bind `port` (on Linux by the rules above; elsewhere: root, or 1024 and up). */
export function mayBindPort(port: number, host: PortPrivileges = readPortPrivileges()): boolean {
  if (port >= 1024) return true;
  if (host.platform !== 'linux') return host.uid === 0;
  if (hasNetBindService(host.capEff) ?? host.uid === 0) return true;
  return port >= (host.unprivilegedPortStart ?? 1024);
}

/**
 * undefined when this process may bind `ports` (default: kube-dns's 53 and the kubernetes
 * Service's 443), else one line for the start banner that says which cannot be bound and how to
 * allow them, e.g. `ClusterIP ports below 1024 (kube-dns on 53, the kubernetes Service on 443)
 * need root or CAP_NET_BIND_SERVICE; to allow them for every user: sudo sysctl -w
 * net.ipv4.ip_unprivileged_port_start=0`. Only Linux is judged (elsewhere: undefined).
 */
export function privilegedPortsNotice(
  host: PortPrivileges = readPortPrivileges(),
  ports: readonly NamedPort[] = CLUSTER_PRIVILEGED_PORTS,
): string | undefined {
  if (host.platform !== 'linux') return undefined;
  // The kernel asks for the capability, not for uid 0; uid 0 stands in only when /proc says nothing.
  const start = host.unprivilegedPortStart ?? 1024;
  const blocked = ports.filter((p) => !mayBindPort(p.port, host)).sort((a, b) => a.port - b.port);
  if (blocked.length === 0) return undefined;
  const what = `ClusterIP ports below ${start} (${blocked.map((p) => `${p.what} on ${p.port}`).join(', ')}) need root or CAP_NET_BIND_SERVICE`;
  return host.unprivilegedPortStart === undefined
    ? `${what} (this kernel has no net.ipv4.ip_unprivileged_port_start to lower)`
    : `${what}; to allow them for every user: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0`;
}
