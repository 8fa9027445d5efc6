// Getting a streaming session onto a connection: protocol negotiation (httpstream.Handshake), the
// SPDY upgrade answer, and SPDY over an upgraded socket or over a WebSocket (kubectl's tunnel).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { createSpdySession, type ByteTransport, type SpdySession, type SpdySessionOptions } from './spdy/index.js';
import { PORT_FORWARD_TUNNEL_PROTOCOL, SPDY_TUNNEL_PREFIX } from './stream-protocols.js';
import { FrameWriter } from './ws-frames.js';
import { takeBinaryInput, type TunnelInput } from './ws-tunnel-input.js';

export type NegotiationResult =
  { ok: true; protocol: string } | { ok: false; status: 400 | 403; message: string; acceptedProtocols: string[] };

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
  if (!client.length)
    return {
      ok: false,
      status: 400,
      message: 'unable to upgrade: X-Stream-Protocol-Version is required',
      acceptedProtocols: [...supported],
    };
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

export const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);

/** The sockets under tunnel WebSockets (no extensions): their transports write frames themselves (ws-frames.ts). */
const tunnelSockets = new WeakMap<WebSocket, Duplex>();
/** Their binary input, read as it arrives rather than as ws's messages (ws-tunnel-input.ts). */
const tunnelInputs = new WeakMap<WebSocket, TunnelInput>();

/** The largest message the tunnel sends: what is queued meanwhile goes out in messages up to this size. */
const TUNNEL_MESSAGE_MAX = 1 << 20;

/**
 * A WebSocket as a byte pipe (the client's TunnelingConnection): every binary message is the next
 * piece of the stream, wherever frames begin or end. A text message is a protocol error, as for
 * the Go side. Writes report "full" past `highWaterMark` bytes not yet handed to the socket.
 * Each message is a socket write of its own, the close frame too (see ws-frames.ts); what is
 * written while a message is on its way goes out together in the next one, since message
 * boundaries mean nothing here.
 */
export function webSocketTransport(ws: WebSocket, highWaterMark = 1 << 20): ByteTransport {
  const out = new FrameWriter(ws, tunnelSockets.get(ws));
  /** Bytes accepted and not written yet; `pending` holds those not handed to `out` yet. */
  let queued = 0;
  let pending: Buffer[] = [];
  let sending = false;
  let ending = false;
  let closed = false;
  const drainCbs: (() => void)[] = [];
  const closeCbs: ((err?: Error) => void)[] = [];
  let full = false;
  const closeOnce = (err?: Error) => {
    if (closed) return;
    closed = true;
    pending = [];
    for (const cb of closeCbs.splice(0)) cb(err);
  };
  ws.on('close', () => closeOnce());
  ws.on('error', (err) => closeOnce(err));
  const flush = () => {
    if (sending) return;
    if (!pending.length) {
      if (ending) out.close(1000);
      return;
    }
    let n = 0;
    let size = 0;
    while (n < pending.length && (n === 0 || size + pending[n]!.length <= TUNNEL_MESSAGE_MAX)) size += pending[n++]!.length;
    const pieces = pending.slice(0, n);
    pending = pending.slice(n);
    sending = true;
    out.sendPieces(pieces, size, () => {
      sending = false;
      queued -= size;
      if (full && queued <= highWaterMark / 2) {
        full = false;
        for (const cb of drainCbs) cb();
      }
      flush();
    });
  };
  const write = (bufs: Buffer[]): boolean => {
    if (closed || ending || ws.readyState !== ws.OPEN) return false;
    for (const b of bufs) {
      queued += b.length;
      pending.push(b);
    }
    flush();
    if (queued > highWaterMark) full = true;
    return !full;
  };
  return {
    write: (buf) => write([buf]),
    // Header and payload are joined with the rest of the message, in its one copy.
    writeFrame: (header, payload) => write([header, payload]),
    end() {
      if (ws.readyState === ws.CONNECTING) return void ws.close(1000);
      ending = true;
      if (ws.readyState === ws.OPEN) flush();
    },
    destroy() {
      ws.terminate();
    },
    onData(cb) {
      tunnelInputs.get(ws)?.onData((piece) => {
        if (!closed) cb(piece);
      });
      // Text messages always (a protocol error), binary ones where ws reads them.
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
export function acceptSpdyTunnelWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string = PORT_FORWARD_TUNNEL_PROTOCOL,
): Promise<WebSocket> {
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
      tunnelSockets.set(ws, socket);
      // Now, before the first frame is read (ws starts reading on the next tick).
      const input = takeBinaryInput(ws);
      if (input) tunnelInputs.set(ws, input);
      resolve(ws);
    });
  });
}

/** A SPDY session tunnelled through an open WebSocket (subprotocol `SPDY/3.1+<protocol>`). */
export function spdySessionOverWebSocket(ws: WebSocket, opts: SpdySessionOptions = {}): SpdySession {
  return createSpdySession(webSocketTransport(ws), opts);
}
