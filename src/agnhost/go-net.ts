// Go's net package as agnhost's servers and dialers meet it: LookupPort's reading of a port
// (decimal, or a service name from /etc/services), ResolveTCPAddr/ResolveUDPAddr picking the
// first IPv4 address of a name, and the texts of the system errors Go prints (`connect:
// connection refused`), which /dial's error lists and porter's log lines carry.
import { createSocket, type Socket as UDPSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** net.LookupPort: throws Go's `address 70000: invalid port` or `lookup tcp/foo: unknown port`. */
export function lookupPort(network: 'tcp' | 'udp', service: string): number {
  let port: number;
  const m = /^([+-]?)(\d*)$/.exec(service);
  if (service === '') port = 0;
  else if (m && m[2] !== '') {
    // Go clamps huge numbers instead of overflowing, then refuses them like any out-of-range port.
    const n = Math.min(Number(m[2]), 2 ** 30);
    port = m[1] === '-' ? -n : n;
  } else {
    const named = servicePort(network, service);
    if (named === undefined) throw new Error(`lookup ${network}/${service}: unknown port`);
    port = named;
  }
  if (port < 0 || port > 65535) throw new Error(`address ${service}: invalid port`);
  return port;
}

let services: string | undefined;

function servicePort(network: string, name: string): number | undefined {
  try {
    services ??= readFileSync('/etc/services', 'utf8');
  } catch {
    services = '';
  }
  for (const line of services.split('\n')) {
    const [entry] = line.split('#');
    const [service, portProto, ...aliases] = entry!.trim().split(/\s+/);
    if (!service || !portProto) continue;
    const [port, proto] = portProto.split('/');
    if (proto === network && (service === name || aliases.includes(name))) return Number(port);
  }
  return undefined;
}

export interface ResolvedAddr {
  /** Empty for an empty host: the local system, as Go dials it. */
  ip: string;
  port: number;
}

/** net.ResolveTCPAddr / ResolveUDPAddr of host and port (from net.JoinHostPort): an IP as it is, a name by lookup, IPv4 first. */
export async function resolveAddr(network: 'tcp' | 'udp', host: string, port: string): Promise<ResolvedAddr> {
  const p = lookupPort(network, port);
  if (host === '' || isIP(host)) return { ip: host, port: p };
  let addrs: { address: string; family: number }[];
  try {
    addrs = await lookup(host, { all: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`lookup ${host}: ${code === 'ENOTFOUND' || code === 'ENODATA' ? 'no such host' : (e as Error).message}`);
  }
  const first = addrs.find((a) => a.family === 4) ?? addrs[0];
  if (!first) throw new Error(`lookup ${host}: no such host`);
  return { ip: first.address, port: p };
}

/** UDPAddr/TCPAddr String(): `1.2.3.4:80`, `[::1]:80`, `:80` without an IP. */
export function addrString(a: ResolvedAddr): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EPIPE: 'broken pipe',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EMSGSIZE: 'message too long',
  EAFNOSUPPORT: 'address family not supported by protocol',
};

/** The text Go's syscall.Errno prints for a Node system error (its message when the code is not one Go names here). */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code && ERRNO_TEXT[code]) ?? (e as Error).message;
}

/** net.ListenUDP: on address, or on all interfaces (dual-stack where the host has IPv6) when it is empty. */
export function listenUDP(address: string, port: number): Promise<UDPSocket> {
  const attempt = (type: 'udp4' | 'udp6', host: string) =>
    new Promise<UDPSocket>((resolve, reject) => {
      const sock = createSocket({ type, ipv6Only: false });
      sock.once('error', (e) => {
        sock.close();
        reject(e);
      });
      sock.bind(port, host, () => {
        sock.removeAllListeners('error');
        resolve(sock);
      });
    });
  if (address !== '') return attempt(address.includes(':') ? 'udp6' : 'udp4', address);
  return attempt('udp6', '::').catch((e: NodeJS.ErrnoException) =>
    e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL' ? attempt('udp4', '0.0.0.0') : Promise.reject(e),
  );
}
