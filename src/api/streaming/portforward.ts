// pods/portforward, as the kubelet serves it (k8s.io/kubelet/pkg/cri/streaming/portforward), over
// the three transports clients use:
// - SPDY/3.1 after an HTTP upgrade (`X-Stream-Protocol-Version: portforward.k8s.io`): kubectl's
//   fallback. Per forwarded connection the client opens an error stream and a data stream, paired by
//   their `requestid` header; the server dials the Pod's port and pipes the data stream to it.
// - The same SPDY bytes inside WebSocket binary messages (subprotocol `SPDY/3.1+portforward.k8s.io`,
//   the apiserver's TunnelingHandler): kubectl's default since 1.31.
// - WebSocket channels (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`; ports from `?ports=`):
//   @kubernetes/client-node. Port i is data channel 2i and error channel 2i+1; the server's first
//   message on each carries the port, 16-bit little-endian.
// Plus the SPDY side of exec/attach (spdyRemoteCommand): the streams kubectl opens for them.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex, finished } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../log.js';
import type { ExecStatus, RemoteCommandOptions, RemoteCommandStreams, TerminalSize } from './remotecommand.js';
import {
  createSpdySession,
  RstStatus,
  type ByteTransport,
  type SpdySession,
  type SpdySessionOptions,
  type SpdyStream,
} from './spdy.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl's WebSocket subprotocols for SPDY tunnelled over WebSocket: this prefix + the SPDY protocol. */
export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const PORT_FORWARD_TUNNEL_PROTOCOL = SPDY_TUNNEL_PREFIX + PORT_FORWARD_PROTOCOL;
/** Channel subprotocols the kubelet accepts for port-forward ("" too: a client that offers none). */
export const PORT_FORWARD_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;
/** SPDY subprotocols of exec/attach, in the kubelet's order of preference. */
export const REMOTE_COMMAND_SPDY_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

/** kubelet's --streaming-connection-idle-timeout default. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;
/** remotecommand.DefaultStreamCreationTimeout, also the kubelet's port-forward pairing timeout. */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface PortForwardOptions {
  /** Connects to the Pod's port. A socket still connecting is waited for. Sockets made with
   *  `allowHalfOpen: true` let a client's half-close reach the Pod without closing its answer. */
  dial(port: number): Promise<Socket> | Socket;
  podName: string;
  namespace: string;
  uid: string;
  log?: Logger;
  /** Pairing timeout for a request's error and data streams (default 30 s). */
  streamCreationTimeoutMs?: number;
  /** Idle timeout of a session created here (default 4 h). */
  idleTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Upgrade helpers

export type NegotiationResult =
  | { ok: true; protocol: string }
  | { ok: false; status: 400 | 403; message: string; acceptedProtocols: string[] };

/**
 * httpstream.Handshake: the first protocol of the client's `X-Stream-Protocol-Version` values
 * (comma-separated, possibly repeated) that the server supports. On 403 upstream also sends one
 * `X-Accepted-Stream-Protocol-Versions` header per supported protocol.
 */
export function negotiateStreamProtocol(header: string | string[] | undefined, supported: readonly string[]): NegotiationResult {
  const client = (Array.isArray(header) ? header : header === undefined ? [] : [header])
    .flatMap((h) => h.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  if (!client.length) return { ok: false, status: 400, message: 'unable to upgrade: X-Stream-Protocol-Version is required', acceptedProtocols: [...supported] };
  const protocol = client.find((p) => supported.includes(p));
  if (protocol) return { ok: true, protocol };
  return {
    ok: false,
    status: 403,
    message: `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${supported.join(' ')}]`,
    acceptedProtocols: [...supported],
  };
}

/** The 101 answer of upstream's SPDY upgrader (headers as the kubelet sends them, via the apiserver). */
export function writeSpdyUpgradeResponse(socket: Duplex, protocol: string): void {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      'Upgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n` +
      `Date: ${new Date().toUTCString()}\r\n` +
      '\r\n',
  );
}

/** A SPDY session on an upgraded socket (after writeSpdyUpgradeResponse); `head` is what the HTTP
 *  parser read past the request, already SPDY. */
export function spdySessionOverSocket(socket: Duplex, head: Buffer | undefined, opts: SpdySessionOptions = {}): SpdySession {
  if (head?.length) socket.unshift(head);
  (socket as Partial<Socket>).setNoDelay?.(true);
  return createSpdySession(socket, opts);
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);

/**
 * A WebSocket as a byte pipe (the client's TunnelingConnection): every binary message is the next
 * piece of the stream, wherever frames begin or end. A text message is a protocol error, as for
 * the Go side. Writes report "full" past `highWaterMark` bytes not yet handed to the socket.
 */
export function webSocketTransport(ws: WebSocket, highWaterMark = 1 << 20): ByteTransport {
  let queued = 0;
  let closed = false;
  const drainCbs: (() => void)[] = [];
  const closeCbs: ((err?: Error) => void)[] = [];
  let full = false;
  const closeOnce = (err?: Error) => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs.splice(0)) cb(err);
  };
  ws.on('close', () => closeOnce());
  ws.on('error', (err) => closeOnce(err));
  return {
    write(buf) {
      if (closed || ws.readyState !== ws.OPEN) return false;
      queued += buf.length;
      ws.send(buf, { binary: true }, () => {
        queued -= buf.length;
        if (full && queued <= highWaterMark / 2) {
          full = false;
          for (const cb of drainCbs) cb();
        }
      });
      if (queued > highWaterMark) full = true;
      return !full;
    },
    end() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    },
    destroy() {
      ws.terminate();
    },
    onData(cb) {
      ws.on('message', (data, isBinary) => {
        if (closed) return;
        if (!isBinary) {
          closeOnce(new Error('invalid message type received'));
          ws.close(1003, 'binary messages only');
          return;
        }
        cb(toBuffer(data));
      });
    },
    onClose(cb) {
      if (closed) queueMicrotask(() => cb());
      else closeCbs.push(cb);
    },
    onDrain(cb) {
      drainCbs.push(cb);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

// The ws library only takes RFC 7230 tokens as subprotocol names and answers anything else with
// 400 "Invalid Sec-WebSocket-Protocol header"; kubectl's tunnel protocol has a '/'. For the
// handshake the names are rewritten to tokens, and the real one is put in the answer.
const tokenAlias = (p: string) => p.replace(/\//g, '_');
let tunnelServer: WebSocketServer | undefined;
const kTunnelProtocol = Symbol('tunnelProtocol');

/** The tunnel subprotocols (`SPDY/3.1+...k8s.io`) a WebSocket request offers, in its order. */
export function offeredTunnelProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  return (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(SPDY_TUNNEL_PREFIX) && p.endsWith('.k8s.io'));
}

/**
 * Completes kubectl's WebSocket upgrade for SPDY tunnelling, answering `protocol` (which the
 * client must offer: check with offeredTunnelProtocols first; upstream answers a request without
 * one 400 "unable to upgrade: no tunneling spdy protocols provided"). Resolves with the open
 * WebSocket, ready for spdySessionOverWebSocket.
 */
export function acceptSpdyTunnelWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string = PORT_FORWARD_TUNNEL_PROTOCOL): Promise<WebSocket> {
  tunnelServer ??= new WebSocketServer({
    noServer: true,
    // Binary SPDY frames gain nothing from permessage-deflate; upstream's gorilla upgrader has it off.
    perMessageDeflate: false,
    handleProtocols: (offered, r) => {
      const want = (r as IncomingMessage & { [kTunnelProtocol]?: string })[kTunnelProtocol];
      return want && offered.has(tokenAlias(want)) ? want : false;
    },
  });
  const h = req.headers['sec-websocket-protocol'];
  if (h !== undefined) req.headers['sec-websocket-protocol'] = tokenAlias(Array.isArray(h) ? h.join(',') : h);
  (req as IncomingMessage & { [kTunnelProtocol]?: string })[kTunnelProtocol] = protocol;
  const wss = tunnelServer;
  return new Promise((resolve, reject) => {
    // A handshake ws refuses is answered (400) and the socket closed, without calling back.
    const onClose = () => reject(new Error('WebSocket handshake failed'));
    socket.once('close', onClose);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', onClose);
      resolve(ws);
    });
  });
}

/** A SPDY session tunnelled through an open WebSocket (subprotocol `SPDY/3.1+<protocol>`). */
export function spdySessionOverWebSocket(ws: WebSocket, opts: SpdySessionOptions = {}): SpdySession {
  return createSpdySession(webSocketTransport(ws), opts);
}

// ---------------------------------------------------------------------------------------------
// Errors as the client sees them

// Go's text for the errno values a dial commonly fails with (syscall.Errno.Error()).
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPIPE: 'broken pipe',
};

function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const text = e?.code ? ERRNO_TEXT[e.code] : undefined;
  if (text && e.syscall === 'connect' && e.address !== undefined) {
    const host = e.address.includes(':') ? `[${e.address}]` : e.address;
    return `dial tcp ${host}:${e.port}: connect: ${text}`;
  }
  if (text && e.syscall) return `${e.syscall}: ${text}`;
  return e instanceof Error ? e.message : String(err);
}

/**
 * The kubelet's message on the error stream when forwarding fails (`error forwarding port %d to
 * pod %s, uid %v: %v`); the cause is ours, in the shape of the runtime's Go error.
 */
export function portForwardErrorMessage(port: number, opts: Pick<PortForwardOptions, 'podName' | 'namespace' | 'uid'>, cause: unknown, dialing = true): string {
  const why = dialing ? `failed to connect to port ${port} of pod "${opts.namespace}/${opts.podName}": ${describeNetError(cause)}` : describeNetError(cause);
  return `error forwarding port ${port} to pod ${opts.podName}, uid ${opts.uid}: ${why}`;
}

function connected(sock: Socket): Promise<Socket> {
  if (sock.destroyed) return Promise.reject(new Error('connection closed before it was used'));
  if (!sock.connecting) return Promise.resolve(sock);
  return new Promise((resolve, reject) => {
    const onConnect = () => {
      sock.off('error', onError);
      resolve(sock);
    };
    const onError = (err: Error) => {
      sock.off('connect', onConnect);
      reject(err);
    };
    sock.once('connect', onConnect);
    sock.once('error', onError);
  });
}

async function dialPod(opts: PortForwardOptions, port: number): Promise<Socket> {
  const sock = await connected(await opts.dial(port));
  sock.setNoDelay(true);
  return sock;
}

// ---------------------------------------------------------------------------------------------
// portforward.k8s.io over SPDY

/** What the kubelet's stream handler rejects a port-forward stream for, or undefined if valid. */
export function checkPortForwardStreamHeaders(header: (name: string) => string | undefined): string | undefined {
  const portString = header('port');
  if (!portString) return '"port" header is required';
  const port = parseGoUint16(portString);
  if (typeof port === 'string') return `unable to parse ${JSON.stringify(portString)} as a port: ${port}`;
  if (port < 1) return `port ${JSON.stringify(portString)} must be > 0`;
  const type = header('streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type ${JSON.stringify(type)}`;
  return undefined;
}

/** strconv.ParseUint(s, 10, 16): the number, or Go's error text. */
function parseGoUint16(s: string): number | string {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (n > 0xffff) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

function isSession(t: SpdySession | ByteTransport | Duplex): t is SpdySession {
  return typeof (t as SpdySession).onStream === 'function' && 'streams' in t;
}

interface StreamPair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

let sessionCounter = 0;

/**
 * Serves portforward.k8s.io on a SPDY session (or creates one on a transport): pairs each
 * request's error and data streams and forwards the data stream to the Pod's port. Half-closes
 * travel both ways (client FIN ends the Pod socket's write side, Pod EOF sends FIN); when the
 * forwarding ends the error stream is closed, carrying the error message first if it failed.
 */
export function servePortForwardSpdy(target: SpdySession | ByteTransport | Duplex, opts: PortForwardOptions): SpdySession {
  const session = isSession(target) ? target : createSpdySession(target, { idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS });
  const conn = `spdy-${++sessionCounter}`;
  const log = opts.log;
  const pairs = new Map<string, StreamPair>();
  const aborts = new Set<() => void>();
  const timeout = opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;

  const printError = (p: StreamPair, msg: string) => {
    if (p.error && !p.error.writableEnded && !p.error.destroyed) p.error.write(msg);
  };

  session.onClose(() => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
    for (const abort of [...aborts]) abort();
  });

  session.onStream((stream) => {
    const invalid = checkPortForwardStreamHeaders((n) => stream.header(n));
    if (invalid) {
      log?.warn({ conn, stream: stream.id }, `Stream rejected: ${invalid}`);
      stream.reset(RstStatus.CANCEL);
      return;
    }
    stream.reply();
    const type = stream.header('streamtype') as 'error' | 'data';
    // Clients older than request ids: error and data streams of one connection have consecutive ids.
    const requestId = stream.header('requestid') || String(type === 'error' ? stream.id : stream.id - 2);
    let p = pairs.get(requestId);
    if (!p) {
      const pair: StreamPair = {
        requestId,
        timer: setTimeout(() => {
          if (pairs.get(requestId) !== pair) return;
          pairs.delete(requestId);
          const msg = `(conn=${conn}, request=${requestId}) timed out waiting for streams`;
          log?.warn({ conn }, msg);
          printError(pair, msg);
          pair.error?.end();
          pair.data?.reset();
        }, timeout),
      };
      pair.timer.unref();
      pairs.set(requestId, pair);
      p = pair;
    }
    if (p[type]) {
      const msg = `error processing stream for request ${requestId}: ${type} stream already assigned`;
      log?.warn({ conn }, msg);
      printError(p, msg);
      stream.reset();
      return;
    }
    p[type] = stream;
    if (type === 'error') {
      // The client only reads it (it half-closes it at once); drain anything it sends anyway.
      stream.resume();
    }
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(requestId);
      forward(p.data, p.error);
    }
  });

  const forward = (data: SpdyStream, error: SpdyStream) => {
    const port = Number(data.header('port'));
    let sock: Socket | undefined;
    let done = false;
    const finish = (message?: string) => {
      if (done) return;
      done = true;
      aborts.delete(abort);
      if (message && !error.destroyed) error.write(message);
      if (!error.destroyed) error.end();
    };
    const abort = () => {
      sock?.destroy();
      finish();
    };
    aborts.add(abort);
    data.on('error', () => {}); // never emitted by the session; belt and braces for pipe()

    log?.debug({ conn, port, request: data.header('requestid') }, 'port-forward: dialing');
    dialPod(opts, port).then(
      (s) => {
        if (done || data.destroyed) {
          s.destroy();
          return finish();
        }
        sock = s;
        s.on('error', (err: NodeJS.ErrnoException) => {
          // The Pod reset or broke the connection: reset the data stream (no message, so the client
          // keeps its other connections, as kubelets since 1.33 do for ECONNRESET/EPIPE).
          log?.debug({ conn, port, err: err.message }, 'port-forward: pod connection failed');
          data.reset(RstStatus.CANCEL);
        });
        // Client → Pod, ending the Pod socket's write side on the client's FIN.
        data.pipe(s);
        // Pod → client, sending FIN on the Pod's EOF.
        s.pipe(data);
        // The client reset the data stream (it is done with this connection) or the session ended.
        data.on('close', () => {
          if (!data.readableEnded || !data.writableFinished) s.destroy();
        });
        s.on('close', () => {
          if (!data.writableEnded && !data.destroyed) data.reset(RstStatus.CANCEL);
          finish();
        });
      },
      (err: unknown) => {
        const message = portForwardErrorMessage(port, opts, err);
        log?.debug({ conn, port }, message);
        data.resume();
        if (!data.destroyed) data.end();
        finish(message);
      },
    );
  };

  return session;
}

// ---------------------------------------------------------------------------------------------
// portforward over WebSocket channels

/** The channel subprotocol to answer with: the first the client offers that the kubelet knows;
 *  "" when it offers none; undefined when it offers only others (upstream: 403). */
export function selectPortForwardWebSocketProtocol(offered: readonly string[]): string | undefined {
  if (!offered.length) return '';
  return offered.find((p) => (PORT_FORWARD_CHANNEL_PROTOCOLS as readonly string[]).includes(p));
}

/** The kubelet's reading of `port` query values (the apiserver's `ports`): repeated and/or comma-separated. */
export function parsePortForwardPorts(values: readonly string[]): number[] {
  if (!values.length) throw new Error('query parameter "port" is required');
  const ports: number[] = [];
  for (const v of values) {
    if (!v) throw new Error('query parameter "port" cannot be empty');
    for (const part of v.split(',')) {
      const port = parseGoUint16(part);
      if (typeof port === 'string') throw new Error(`unable to parse ${JSON.stringify(v)} as a port: ${port}`);
      if (port < 1) throw new Error(`port ${JSON.stringify(v)} must be > 0`);
      ports.push(port);
    }
  }
  return ports;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Serves port-forward on an open WebSocket speaking a channel protocol ("" or v4.channel.k8s.io:
 * binary, v4.base64.channel.k8s.io: text). Every port is dialled at once; a port whose Pod
 * connection ends is done; when all are, the WebSocket is closed. Resolves when it is closed.
 */
export function servePortForwardWebSocket(ws: WebSocket, protocol: string, ports: readonly number[], opts: PortForwardOptions): Promise<void> {
  const base64 = protocol.includes('base64');
  const highWater = 1 << 20;
  const log = opts.log;
  let queued = 0;
  let full = false;
  const drainCbs: (() => void)[] = [];
  const pausers = new Set<unknown>();
  let closed = ws.readyState !== ws.OPEN;

  const block = (who: unknown) => {
    if (!pausers.size) ws.pause();
    pausers.add(who);
  };
  const unblock = (who: unknown) => {
    if (pausers.delete(who) && !pausers.size) ws.resume();
  };

  const send = (channel: number, data: Buffer): boolean => {
    if (closed || ws.readyState !== ws.OPEN) return true;
    const msg = base64 ? String.fromCharCode(48 + channel) + data.toString('base64') : Buffer.concat([Buffer.of(channel), data]);
    queued += msg.length;
    ws.send(msg, { binary: !base64 }, () => {
      queued -= msg.length;
      if (full && queued <= highWater / 2) {
        full = false;
        for (const cb of drainCbs.splice(0)) cb();
      }
    });
    if (queued > highWater) full = true;
    return !full;
  };

  interface Pair {
    port: number;
    sock?: Socket;
    pending: Buffer[];
    pendingBytes: number;
    done: boolean;
  }
  const pairs: Pair[] = ports.map((port) => ({ port, pending: [], pendingBytes: 0, done: false }));

  const pairDone = (p: Pair) => {
    if (p.done) return;
    p.done = true;
    p.pending = [];
    unblock(p);
    if (pairs.every((x) => x.done) && !closed) ws.close(1000);
  };

  pairs.forEach((p, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(p.port, 0);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
  });

  ws.on('message', (raw) => {
    let buf = toBuffer(raw);
    if (!buf.length) return;
    let channel = buf[0]!;
    if (base64) {
      channel -= 48;
      const text = buf.subarray(1).toString('latin1');
      // Upstream drops a message that is not valid base64.
      if (!BASE64.test(text)) return;
      buf = Buffer.from(text, 'base64');
    } else {
      // x/net/websocket reads text frames as bytes too: the binary protocol accepts both.
      buf = buf.subarray(1);
    }
    // Error channels are the server's to write; unknown channels are ignored, as upstream does.
    if (channel % 2 === 1 || channel >= 2 * pairs.length) return;
    const p = pairs[channel / 2]!;
    if (p.done || !buf.length) return;
    if (!p.sock) {
      p.pending.push(buf);
      p.pendingBytes += buf.length;
      if (p.pendingBytes > highWater) block(p);
      return;
    }
    if (!p.sock.write(buf)) {
      block(p);
      p.sock.once('drain', () => unblock(p));
    }
  });

  const done = new Promise<void>((resolve) => {
    const onClose = () => {
      closed = true;
      for (const p of pairs) {
        p.sock?.destroy();
        p.done = true;
      }
      for (const cb of drainCbs.splice(0)) cb();
      resolve();
    };
    if (closed) onClose();
    else ws.on('close', onClose);
  });
  ws.on('error', (err) => log?.debug({ err: err.message }, 'port-forward: websocket error'));

  pairs.forEach((p, i) => {
    dialPod(opts, p.port).then(
      (sock) => {
        if (p.done) return void sock.destroy();
        p.sock = sock;
        for (const b of p.pending) sock.write(b);
        p.pending = [];
        p.pendingBytes = 0;
        if (sock.writableNeedDrain) sock.once('drain', () => unblock(p));
        else unblock(p);
        sock.on('data', (d: Buffer) => {
          if (!send(2 * i, d)) {
            sock.pause();
            drainCbs.push(() => sock.resume());
          }
        });
        // No half-close exists on these channels: the Pod's EOF ends this port.
        sock.on('end', () => {
          sock.end();
          pairDone(p);
        });
        sock.on('error', (err) => {
          if (!p.done) send(2 * i + 1, Buffer.from(portForwardErrorMessage(p.port, opts, err, false)));
        });
        sock.on('close', () => pairDone(p));
      },
      (err: unknown) => {
        const message = portForwardErrorMessage(p.port, opts, err);
        log?.debug({ port: p.port }, message);
        send(2 * i + 1, Buffer.from(message));
        pairDone(p);
      },
    );
  });

  return done;
}

// ---------------------------------------------------------------------------------------------
// exec / attach over SPDY

/** Splits a byte stream of concatenated JSON objects (Go's json.Decoder input) into values. */
function jsonObjectSplitter(onValue: (v: unknown) => void): (chunk: Buffer) => void {
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  return (chunk) => {
    buf += chunk.toString('utf8');
    for (let i = scanned; i < buf.length; i++) {
      const c = buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}' && depth > 0 && --depth === 0) {
        try {
          onValue(JSON.parse(buf.slice(start, i + 1)));
        } catch {
          // not a value kubectl sends; skip it
        }
        buf = buf.slice(i + 1);
        i = -1;
        start = -1;
      }
    }
    scanned = buf.length;
    if (depth === 0) {
      buf = '';
      scanned = 0;
    } else if (buf.length > 64 * 1024) {
      // An endless object is not a terminal size: drop it.
      buf = '';
      scanned = 0;
      depth = 0;
      inString = false;
    }
  };
}

/** remotecommand.TerminalSize, decoded as Go does (field names case-insensitive, uint16). */
function terminalSize(v: unknown): TerminalSize | undefined {
  if (!v || typeof v !== 'object') return undefined;
  let width: unknown;
  let height: unknown;
  for (const [k, x] of Object.entries(v)) {
    if (k.toLowerCase() === 'width') width = x;
    else if (k.toLowerCase() === 'height') height = x;
  }
  const ok = (n: unknown) => n === undefined || (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff);
  if (!ok(width) || !ok(height)) return undefined;
  return { width: (width as number | undefined) ?? 0, height: (height as number | undefined) ?? 0 };
}

export interface SpdyRemoteCommandOptions extends RemoteCommandOptions {
  /** How long the client has to open its streams (default 30 s). */
  streamCreationTimeoutMs?: number;
  log?: Logger;
}

/**
 * Waits for the streams kubectl opens for exec/attach over SPDY (kubelet's remotecommand
 * httpstream handlers): `streamtype` error, plus stdin/stdout/stderr as the request asked
 * (stderr never with a tty) and resize for a tty on v3+. Each is accepted as it comes. Rejects
 * (and closes the session) if they are not all there in time or the client goes away first.
 * v4/v5 write the final Status as JSON on the error stream; v1–v3 its message, on failure only.
 */
export function spdyRemoteCommand(session: SpdySession, protocol: string, opts: SpdyRemoteCommandOptions): Promise<RemoteCommandStreams> {
  const version = /^v(\d)\./.exec(protocol)?.[1];
  const jsonStatus = version === '4' || version === '5';
  const resizable = version === '3' || jsonStatus;
  const want = { stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr && !opts.tty, resize: opts.tty && resizable };
  const expected = 1 + [want.stdin, want.stdout, want.stderr, want.resize].filter(Boolean).length;
  const got: Partial<Record<'error' | 'stdin' | 'stdout' | 'stderr' | 'resize', SpdyStream>> = {};
  let count = 0;
  let settled = false;
  let finished = false;
  const goneCbs: (() => void)[] = [];
  const resizeCbs: ((s: TerminalSize) => void)[] = [];

  return new Promise<RemoteCommandStreams>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      opts.log?.warn('timed out waiting for client to create streams');
      session.close();
      reject(new Error('timed out waiting for client to create streams'));
    }, opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS);
    timer.unref();

    session.onClose(() => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        reject(new Error('connection closed before the client created its streams'));
        return;
      }
      if (!finished) for (const cb of goneCbs.splice(0)) cb();
    });

    session.onStream((stream) => {
      if (settled) return stream.reset(RstStatus.REFUSED_STREAM);
      const type = stream.header('streamtype') ?? '';
      if (type !== 'error' && type !== 'stdin' && type !== 'stdout' && type !== 'stderr' && type !== 'resize') {
        // Upstream accepts it and never looks at it again.
        opts.log?.warn(`unexpected stream type: ${JSON.stringify(type)}`);
        stream.reply();
        stream.resume();
        return;
      }
      if (got[type]) return stream.reset(RstStatus.PROTOCOL_ERROR);
      got[type] = stream;
      stream.reply();
      if (type === 'error' || type === 'stdout' || type === 'stderr') stream.resume(); // the client writes nothing on these
      if (type === 'resize') {
        const split = jsonObjectSplitter((v) => {
          const size = terminalSize(v);
          if (size) for (const cb of resizeCbs) cb(size);
        });
        stream.on('data', split);
      }
      if (++count < expected) return;
      settled = true;
      clearTimeout(timer);
      resolve(streamsOf());
    });

    const streamsOf = (): RemoteCommandStreams => ({
      stdin: want.stdin ? got.stdin : undefined,
      stdout: want.stdout ? got.stdout : undefined,
      stderr: want.stderr ? got.stderr : undefined,
      onResize(cb) {
        resizeCbs.push(cb);
      },
      onClientGone(cb) {
        if (session.closed && !finished) queueMicrotask(cb);
        else goneCbs.push(cb);
      },
      finish(status: ExecStatus) {
        if (finished) return;
        finished = true;
        const err = got.error;
        if (err && !err.destroyed) {
          if (jsonStatus) err.write(JSON.stringify(status));
          else if (status.status !== 'Success') err.write(status.message ?? '');
        }
        // FIN what we write, and once that has left, close like the kubelet: reset the rest, GOAWAY.
        const ours = [err, got.stdout, got.stderr].filter((s): s is SpdyStream => !!s && !s.destroyed);
        let left = ours.length;
        const closeWhenFlushed = () => {
          if (--left <= 0) session.close();
        };
        if (!ours.length) return session.close();
        for (const s of ours) {
          finishedOnce(s, closeWhenFlushed);
          s.end();
        }
      },
    });
  });
}

function finishedOnce(s: Duplex, cb: () => void): void {
  let called = false;
  finished(s, { readable: false }, () => {
    if (called) return;
    called = true;
    cb();
  });
}
