// Source ports of the proxy's backend connections that carry a client's address (connections.ts
// sourceFor: the backend sees who called). Node cannot set IP_BIND_ADDRESS_NO_PORT, and a port
// that bind() picks itself (port 0) is costly twice over: it is found by a scan for the address
// alone, and until its socket's TIME_WAIT ends no connect() of the host that lets the kernel pick
// may use it. Pods opening connections through a Service at a few thousand a second ran the
// whole host out of ports in under a minute (every connect() of every program: EADDRNOTAVAIL).
// So the proxy picks these ports itself, in turn, above the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), where the kernel's own choices never go; a port whose address
// pair is still in use elsewhere is skipped for the next (tcp.ts). Loopback TIME_WAIT pairs are
// reused by the kernel (net.ipv4.tcp_tw_reuse, 2 by default: loopback only).
import { readFileSync } from 'node:fs';

/** Fewer ports than this above the ephemeral range: bind() picks (port 0), as before. */
const MIN_PORTS = 1024;

export interface SourcePorts {
  /** The next port to try, or 0: let bind() pick. */
  next(): number;
}

/** Ports above `range` (the ephemeral range as ip_local_port_range has it: "low high"), in turn. */
export function sourcePorts(range: string | undefined = readRange()): SourcePorts {
  const high = Number(range?.trim().split(/\s+/)[1]);
  const first = high + 1;
  const size = 65536 - first;
  if (!Number.isInteger(high) || size < MIN_PORTS) return { next: () => 0 };
  // A random start: two proxies of one host (two clusters) seldom walk in step.
  let i = Math.floor(Math.random() * size);
  return {
    next() {
      i = (i + 1) % size;
      return first + i;
    },
  };
}

function readRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  } catch {
    return undefined;
  }
}
