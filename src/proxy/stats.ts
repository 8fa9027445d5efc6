// Per Service port counters, kept in memory and handed out as plain data by stats(). Bytes of
// open TCP connections are read from their sockets when asked, so the hot path only counts
// connections and packets.

export interface PortStats {
  /** TCP connections accepted (including rejected ones). */
  connections: number;
  /** TCP connections open now (spliced to a backend). */
  activeConnections: number;
  /** Payload bytes from clients to backends (TCP and UDP). */
  bytesIn: number;
  /** Payload bytes from backends to clients. */
  bytesOut: number;
  /** UDP datagrams from clients / back to clients. */
  packetsIn: number;
  packetsOut: number;
  /** UDP flows open now. */
  activeFlows: number;
  /** Connections reset and datagrams dropped because no backend was there or none answered. */
  rejected: number;
  /** Backend connection attempts that failed (each was followed by the next backend, if any). */
  backendFailures: number;
}

/** A client socket's byte counts (tcp.ts ProxySocket). */
export interface CountedSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface Counters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  rejected: number;
  backendFailures: number;
  /** Client sockets of open connections (their byte counts are added when they close). */
  open: Set<CountedSocket>;
  activeFlows: number;
}

export function newCounters(): Counters {
  return {
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    rejected: 0,
    backendFailures: 0,
    open: new Set(),
    activeFlows: 0,
  };
}

/** A connection closed: its bytes move into the totals. */
export function closeConnection(c: Counters, client: CountedSocket): void {
  if (!c.open.delete(client)) return;
  c.bytesIn += client.bytesRead;
  c.bytesOut += client.bytesWritten;
}

export function snapshot(c: Counters): PortStats {
  let bytesIn = c.bytesIn;
  let bytesOut = c.bytesOut;
  for (const s of c.open) {
    bytesIn += s.bytesRead;
    bytesOut += s.bytesWritten;
  }
  return {
    connections: c.connections,
    activeConnections: c.open.size,
    bytesIn,
    bytesOut,
    packetsIn: c.packetsIn,
    packetsOut: c.packetsOut,
    activeFlows: c.activeFlows,
    rejected: c.rejected,
    backendFailures: c.backendFailures,
  };
}
