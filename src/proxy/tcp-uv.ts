// The TCP transport on libuv's TCP handles (tcp.ts), driven as Node's own net module drives them
// (the tcp_wrap and stream_wrap bindings), without net.Socket and its streams. Why: at thousands
// of short connections a second, two duplex streams per connection and their events cost more
// CPU than all of the connection's system calls. Measured on loopback (BENCH_ONLY=proxy, 64
// clients, each connection = connect + 1 KiB each way + close): 95-96 us of CPU per connection
// through net.Socket (a bare net.Socket pipe() alone 70-75 us), 48-52 us on the handles, haproxy
// 38-43 us.
//
// The bindings are Node internals (process.binding, deprecated as DEP0111, documentation-only in
// Node 20). uvTransport() checks every member used here and answers why not when one is missing
// or of another kind, or under --pending-deprecation (where process.binding warns); tcp.ts then
// uses net.Socket. test/unit/proxy-tcp.test.ts fails on a Node whose handles lose the shape, and
// runs the same behaviour checks through both transports.
//
// Data path: a read hands us a slice of libuv's buffer; it is written to the peer at once
// (writeBuffer tries the kernel first). A write the kernel does not take whole stays with libuv
// (the slice is kept alive by the request) and stops the reads of the side it came from until it
// completes: at most one read's worth is held per direction. An EOF read is a shutdown() of the
// peer (after its pending writes; libuv orders them); a side whose both directions are done is
// closed. An error on one side closes it and resets the other.
import { constants } from 'node:os';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import type { Closable, ProxySocket, TcpTransport } from './tcp.js';
import { closeConnection, type Counters } from './stats.js';

/** A libuv TCP handle (tcp_wrap's TCP); errors are negative errno values. */
interface Handle {
  onread: (this: Handle, buf: ArrayBuffer | undefined) => void;
  onconnection: (err: number, h: Handle | undefined) => void;
  conn?: Conn;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  shutdown(req: ShutdownReq): number;
  close(cb?: () => void): void;
  reset(cb?: () => void): number;
  setNoDelay(on: boolean): number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  getpeername(out: { address?: string; port?: number }): number;
  getsockname(out: { address?: string; port?: number }): number;
}
interface WriteReq {
  handle: Handle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  conn?: Conn;
  buffer?: Uint8Array;
}
interface ShutdownReq {
  handle: Handle;
  oncomplete: (this: ShutdownReq, status: number) => void;
  conn?: Conn;
}
interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number) => void;
}
interface Bindings {
  TCP: new (type: number) => Handle;
  TCPConnectWrap: new () => ConnectReq;
  ShutdownWrap: new () => ShutdownReq;
  WriteWrap: new () => WriteReq;
  constants: { SOCKET: number; SERVER: number };
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

const HANDLE_METHODS = [
  'readStart',
  'readStop',
  'writeBuffer',
  'shutdown',
  'close',
  'reset',
  'setNoDelay',
  'bind',
  'bind6',
  'listen',
  'connect',
  'connect6',
  'getpeername',
  'getsockname',
] as const;

/** The bindings, if this Node has every member used here in the expected kind; else why not. */
export function probeBindings(): { b: Bindings } | { reason: string } {
  const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
  if (typeof binding !== 'function') return { reason: 'process.binding is not a function' };
  if (process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? ''))
    return { reason: '--pending-deprecation: process.binding would warn' };
  let b: Record<string, unknown>;
  try {
    b = { ...binding('tcp_wrap'), ...binding('stream_wrap') };
  } catch (err) {
    return { reason: `process.binding: ${(err as Error).message}` };
  }
  for (const k of ['TCP', 'TCPConnectWrap', 'ShutdownWrap', 'WriteWrap'])
    if (typeof b[k] !== 'function') return { reason: `${k} is not a constructor` };
  for (const k of ['kReadBytesOrError', 'kArrayBufferOffset', 'kLastWriteWasAsync'])
    if (typeof b[k] !== 'number') return { reason: `${k} is not a number` };
  if (!(b.streamBaseState instanceof Int32Array)) return { reason: 'streamBaseState is not an Int32Array' };
  const c = b.constants as Record<string, unknown> | undefined;
  if (typeof c?.SOCKET !== 'number' || typeof c.SERVER !== 'number') return { reason: 'TCP constants SOCKET/SERVER missing' };
  const proto = (b.TCP as { prototype: Record<string, unknown> }).prototype;
  for (const m of HANDLE_METHODS) if (typeof proto[m] !== 'function') return { reason: `TCP.prototype.${m} is not a function` };
  return { b: b as unknown as Bindings };
}

const UV_EOF = -4095;
const UV_ENOTCONN = -constants.errno.ENOTCONN;
const UV_EADDRINUSE = -constants.errno.EADDRINUSE;
const UV_ETIMEDOUT = -constants.errno.ETIMEDOUT;

/** An error as net's (`listen EADDRINUSE: address already in use 127.0.0.1:80`). */
const errnoError = (err: number, syscall: string, address: string, port: number) =>
  Object.assign(
    new Error(`${syscall} ${getSystemErrorName(err)}: ${getSystemErrorMap().get(err)?.[1] ?? 'unknown error'} ${address}:${port}`),
    {
      code: getSystemErrorName(err),
      errno: err,
      syscall,
      address,
      port,
    },
  );

let transport: TcpTransport<Conn> | { reason: string } | undefined;

/** The transport on libuv's handles, or why this Node does not have them as expected. */
export function uvTransport(): TcpTransport<Conn> | { reason: string } {
  if (!transport) {
    const p = probeBindings();
    transport = 'b' in p ? makeTransport(p.b) : p;
  }
  return transport;
}

/**
 * One side of a spliced connection: what connections.ts and stats.ts read of a socket
 * (addresses, byte counts, once('close'), resetAndDestroy()).
 */
class Conn implements ProxySocket {
  peer: Conn | undefined;
  bytesRead = 0;
  bytesWritten = 0;
  destroyed = false;
  /** EOF read: the peer has been (or is being) sent a FIN. */
  readEnded = false;
  /** Our FIN is out (shutdown complete). */
  writeEnded = false;
  /** Writes to this side the kernel has not taken yet. */
  pending = 0;
  /** Reads stopped until the peer's pending writes complete. */
  paused = false;
  private closeFns: (() => void)[] | undefined;
  private counters: Counters | undefined;
  constructor(readonly h: Handle) {
    h.conn = this;
  }
  get remoteAddress(): string | undefined {
    const out: { address?: string } = {};
    return this.h.getpeername(out) ? undefined : out.address;
  }
  get localAddress(): string | undefined {
    const out: { address?: string } = {};
    return this.h.getsockname(out) ? undefined : out.address;
  }
  once(_event: 'close', fn: () => void): this {
    (this.closeFns ??= []).push(fn);
    return this;
  }
  resetAndDestroy(): void {
    resetConn(this);
  }
  destroy(): void {
    closeConn(this);
  }
  /** The client of a spliced pair: its bytes move to the counters when it closes. */
  count(c: Counters): void {
    this.counters = c;
    c.open.add(this);
  }
  closed(): void {
    if (this.counters) closeConnection(this.counters, this);
    for (const fn of this.closeFns ?? []) fn();
  }
}

/** RST, or a plain close when the handle cannot be reset (a shutdown under way). */
function resetConn(conn: Conn): void {
  if (conn.destroyed) return;
  if (conn.h.reset()) {
    closeConn(conn);
    return;
  }
  released(conn);
}

/** Closes a connection; if it had not seen the other end's FIN, its peer is reset. */
function closeConn(conn: Conn): void {
  if (conn.destroyed) return;
  conn.h.close();
  released(conn);
}

function released(conn: Conn): void {
  conn.destroyed = true;
  conn.closed();
  const peer = conn.peer;
  if (peer && !peer.destroyed && !conn.readEnded) resetConn(peer);
}

/** A read or write error on one side: it closes and the other side is reset. */
function fault(conn: Conn): void {
  closeConn(conn);
  if (conn.peer) resetConn(conn.peer);
}

function makeTransport(b: Bindings): TcpTransport<Conn> {
  const { TCP, TCPConnectWrap, ShutdownWrap, WriteWrap, streamBaseState } = b;

  const listen = (
    address: string,
    port: number,
    accepted: (client: Conn) => void,
    log: { warn(o: object, m: string): void },
  ): Promise<Closable> => {
    const server = new TCP(b.constants.SERVER);
    let err = address.includes(':') ? server.bind6(address, port, 0) : server.bind(address, port);
    if (!err) err = server.listen(4096);
    if (err) {
      server.close();
      return Promise.reject(errnoError(err, 'listen', address, port));
    }
    server.onconnection = (e, h) => {
      if (e || !h) {
        log.warn({ err: errnoError(e, 'accept', address, port), address, port }, 'proxy: TCP listener error');
        return;
      }
      h.setNoDelay(true);
      accepted(new Conn(h));
    };
    // Stop accepting; connections already spliced carry on (as conntrack keeps established
    // flows when the rules go). The listening socket is released at once.
    return Promise.resolve({ close: () => new Promise<void>((r) => server.close(r)) });
  };

  const dial: TcpTransport<Conn>['dial'] = (ip, port, localAddress, localPort, timeoutMs, done) => {
    const h = new TCP(b.constants.SOCKET);
    const v6 = ip.includes(':');
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: number, syscall: 'bind' | 'connect') => {
      clearTimeout(timer);
      h.close();
      done({ code: getSystemErrorName(err), syscall }, undefined);
    };
    if (localAddress) {
      let err = v6 ? h.bind6(localAddress, localPort ?? 0, 0) : h.bind(localAddress, localPort ?? 0);
      // libuv keeps a port-in-use error of bind() for connect(), and the socket is left unbound
      // meanwhile: check the port, so that it counts as bind's (the next port is tried).
      if (!err && localPort) {
        const out: { port?: number } = {};
        err = h.getsockname(out) || (out.port === localPort ? 0 : UV_EADDRINUSE);
      }
      if (err) return fail(err, 'bind');
    }
    const req = new TCPConnectWrap();
    req.oncomplete = (status) => {
      if (status) return fail(status, 'connect');
      clearTimeout(timer);
      done(undefined, new Conn(h));
    };
    const err = v6 ? h.connect6(req, ip, port) : h.connect(req, ip, port);
    if (err) return fail(err, 'connect');
    timer = setTimeout(() => {
      req.oncomplete = () => undefined;
      fail(UV_ETIMEDOUT, 'connect');
    }, timeoutMs);
  };

  const splice = (client: Conn, upstream: Conn, c: Counters): void => {
    client.count(c);
    client.peer = upstream;
    upstream.peer = client;
    upstream.h.setNoDelay(true);
    client.h.onread = onRead;
    upstream.h.onread = onRead;
    if (client.h.readStart()) return fault(client);
    if (upstream.h.readStart()) fault(upstream);
  };

  function onRead(this: Handle, buf: ArrayBuffer | undefined): void {
    const src = this.conn!;
    const n = streamBaseState[b.kReadBytesOrError]!;
    if (n > 0) {
      src.bytesRead += n;
      relay(src, new Uint8Array(buf!, streamBaseState[b.kArrayBufferOffset], n));
      return;
    }
    if (n === 0) return;
    if (n !== UV_EOF) {
      // A reset or error on either side resets the other (an RST seen by the client is what it
      // would have seen from the backend directly).
      fault(src);
      return;
    }
    src.readEnded = true;
    const dst = src.peer!;
    // Both ways have ended once the other side's EOF was read too: close() sends its FIN (nothing
    // is left unread there), one shutdown() and one turn of the loop fewer than ending it first.
    if (dst.readEnded && dst.pending === 0) closeConn(dst);
    else endWrites(dst);
    maybeDone(src);
  }

  /** src's bytes to its peer; a write left pending stops src's reads until it completes. */
  function relay(src: Conn, data: Uint8Array): void {
    const dst = src.peer!;
    if (dst.destroyed) return;
    const req = new WriteWrap();
    req.handle = dst.h;
    req.oncomplete = afterWrite;
    req.async = false;
    const err = dst.h.writeBuffer(req, data);
    if (err) {
      fault(dst);
      return;
    }
    dst.bytesWritten += data.length;
    if (!streamBaseState[b.kLastWriteWasAsync]) return;
    req.conn = dst;
    req.buffer = data;
    dst.pending++;
    if (!src.paused) {
      src.paused = true;
      src.h.readStop();
    }
  }

  function afterWrite(this: WriteReq, status: number): void {
    const dst = this.conn!;
    dst.pending--;
    if (dst.destroyed) return;
    if (status < 0) {
      fault(dst);
      return;
    }
    const src = dst.peer!;
    if (dst.pending === 0 && src.paused && !src.destroyed) {
      src.paused = false;
      if (!src.readEnded && src.h.readStart()) fault(src);
    }
    maybeDone(dst);
  }

  /** The other side has ended: FIN this one once its pending writes are out (libuv orders it). */
  function endWrites(conn: Conn): void {
    if (conn.destroyed) return;
    const req = new ShutdownWrap();
    req.handle = conn.h;
    req.oncomplete = afterShutdown;
    req.conn = conn;
    const err = conn.h.shutdown(req);
    // 1: libuv finished at once (synchronous shutdown); ENOTCONN: the peer is gone already.
    if (err === 1 || err === UV_ENOTCONN) {
      conn.writeEnded = true;
      maybeDone(conn);
    } else if (err) fault(conn);
  }

  function afterShutdown(this: ShutdownReq): void {
    const conn = this.conn!;
    conn.writeEnded = true;
    maybeDone(conn);
  }

  /** Both directions of this side are done: it closes (no reset of the peer, which ended too). */
  function maybeDone(conn: Conn): void {
    if (!conn.destroyed && conn.readEnded && conn.writeEnded && conn.pending === 0) closeConn(conn);
  }

  return { name: 'uv', listen, dial, splice };
}
