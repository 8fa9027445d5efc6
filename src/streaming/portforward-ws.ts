// pods/portforward over WebSocket channels (@kubernetes/client-node): port i is data channel 2i and
// error channel 2i+1, and the server's first message on each carries the port, 16-bit little-endian.
import type { Socket } from 'node:net';
import { type WebSocket } from 'ws';
import { dialPod, portForwardErrorMessage } from './portforward-spdy.js';
import { PORT_FORWARD_CHANNEL_PROTOCOLS, type PortForwardOptions } from './stream-protocols.js';
import { toBuffer } from './transports.js';
import { FrameWriter } from './ws-frames.js';
import { goParseUint } from '../apimachinery/go-strconv.js';
import { goQuote } from '../apimachinery/go-format.js';

/** The channel subprotocol to answer with: the first the client offers that the kubelet knows;
 *  "" when it offers none; undefined when it offers only others (upstream: 403). */
export function selectPortForwardWebSocketProtocol(offered: readonly string[]): string | undefined {
  if (!offered.length) return '';
  return offered.find((p) => (PORT_FORWARD_CHANNEL_PROTOCOLS as readonly string[]).includes(p));
}

/**
 * The kubelet's portforward NewV4Options for a WebSocket request: its `port` values, each
 * comma-separated (the apiserver forwards the ports it decoded as one such value).
 */
export function parsePortForwardPorts(values: readonly string[]): number[] {
  if (!values.length) throw new Error('query parameter "port" is required');
  const ports: number[] = [];
  for (const v of values) {
    if (!v) throw new Error('query parameter "port" cannot be empty');
    for (const part of v.split(',')) {
      let port: number;
      try {
        port = Number(goParseUint(part, 16));
      } catch (e) {
        throw new Error(`unable to parse ${goQuote(v)} as a port: ${(e as Error).message}`);
      }
      if (port < 1) throw new Error(`port ${goQuote(v)} must be > 0`);
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
export function servePortForwardWebSocket(
  ws: WebSocket,
  protocol: string,
  ports: readonly number[],
  opts: PortForwardOptions,
): Promise<void> {
  const base64 = protocol.includes('base64');
  const highWater = 1 << 20;
  const log = opts.log;
  let queued = 0;
  let full = false;
  const drainCbs: (() => void)[] = [];
  const pausers = new Set<unknown>();
  let closed = ws.readyState !== ws.OPEN;
  // One frame per socket write: the Python client polls the socket before each frame it reads,
  // data and error channels alike (see ws-frames.ts).
  const out = new FrameWriter(ws);

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
    out.send(msg, !base64, () => {
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
    // After every queued frame (an error message included), in a write of its own.
    if (pairs.every((x) => x.done) && !closed) out.close(1000);
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
