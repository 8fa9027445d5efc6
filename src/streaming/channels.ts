// The WebSocket channel protocols of exec and attach (k8s.io/apimachinery wsstream and
// remotecommand): every message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr,
// 3 error (the final Status), 4 resize — and v5.channel.k8s.io adds 255, "close this channel"
// (the client's end of stdin). The base64 variants carry the channel as an ASCII digit and the
// data base64-encoded.
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecStatus, RemoteCommandOptions, RemoteCommandStreams, TerminalSize } from './remotecommand.js';
import { FrameWriter } from './ws-frames.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

interface Protocol {
  base64: boolean;
  /** v4+: the error channel carries a Status as JSON; before, a plain message on failure. */
  jsonStatus: boolean;
  /** v5: the client may close its stdin with a CLOSE message. */
  closeSignal: boolean;
}

/** Subprotocols we speak, newest first (the order in which we pick from what the client offers). */
export const CHANNEL_PROTOCOLS: Record<string, Protocol> = {
  'v5.channel.k8s.io': { base64: false, jsonStatus: true, closeSignal: true },
  'v4.channel.k8s.io': { base64: false, jsonStatus: true, closeSignal: false },
  'v4.base64.channel.k8s.io': { base64: true, jsonStatus: true, closeSignal: false },
  'v3.channel.k8s.io': { base64: false, jsonStatus: false, closeSignal: false },
  'v2.channel.k8s.io': { base64: false, jsonStatus: false, closeSignal: false },
  'channel.k8s.io': { base64: false, jsonStatus: false, closeSignal: false },
  'base64.channel.k8s.io': { base64: true, jsonStatus: false, closeSignal: false },
};

/** The protocol to answer with: the first of ours the client offers (none offered: plain channels). */
export function pickChannelProtocol(offered: string[]): string | undefined {
  if (!offered.length) return 'channel.k8s.io';
  return Object.keys(CHANNEL_PROTOCOLS).find((p) => offered.includes(p));
}

/** Bytes a stream may queue on the WebSocket before its writer waits for the socket to drain. */
const HIGH_WATER = 1 << 20;

/** Wires one exec/attach session onto an open WebSocket speaking `protocol`. */
export function serveChannels(ws: WebSocket, protocol: string, opts: RemoteCommandOptions): RemoteCommandStreams {
  const p = CHANNEL_PROTOCOLS[protocol] ?? CHANNEL_PROTOCOLS['channel.k8s.io']!;
  let finished = false;
  let gone: (() => void) | undefined;
  const resizeCbs: ((s: TerminalSize) => void)[] = [];
  const stdin = opts.stdin ? new PassThrough() : undefined;
  // One frame per socket write, the Status and the close frame included (see ws-frames.ts).
  const out = new FrameWriter(ws);

  const frame = (ch: number, data: Buffer): Buffer | string =>
    p.base64 ? String.fromCharCode(48 + ch) + data.toString('base64') : Buffer.concat([Buffer.of(ch), data]);
  const send = (ch: number, data: Buffer, done?: (err?: Error) => void) => {
    if (ws.readyState !== ws.OPEN) return done?.(new Error('connection closed'));
    out.send(frame(ch, data), !p.base64, done);
  };
  const writer = (ch: number) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (ws.readyState !== ws.OPEN) return cb();
        // Queue the chunk at once; only wait for the socket when much is queued already.
        if (out.pendingBytes < HIGH_WATER) {
          send(ch, chunk);
          cb();
        } else send(ch, chunk, () => cb());
      },
    });

  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    let data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (!data.length) return;
    let ch = data[0]!;
    data = data.subarray(1);
    if (p.base64) {
      ch -= 48;
      data = Buffer.from(data.toString('latin1'), 'base64');
    }
    if (ch === STDIN) {
      if (stdin && !stdin.writableEnded && data.length) stdin.write(data);
    } else if (ch === RESIZE) {
      for (const m of data.toString('utf8').matchAll(/\{[^{}]*\}/g)) {
        try {
          const s = JSON.parse(m[0]) as { Width?: number; Height?: number };
          const size = { width: Number(s.Width) || 0, height: Number(s.Height) || 0 };
          if (size.width > 0 && size.height > 0) for (const cb of resizeCbs) cb(size);
        } catch {
          // a bad resize message is ignored, as upstream's decoder stops on it
        }
      }
    } else if (ch === CLOSE && p.closeSignal) {
      if (data[0] === STDIN) stdin?.end();
    }
    // Other channels are ignored (upstream: "frame is targeted for a reader that is not valid").
  });
  ws.on('close', () => {
    stdin?.end();
    if (!finished) gone?.();
  });
  ws.on('error', () => ws.terminate());

  // Upstream sends an empty message on the lowest writable channel: the client knows the
  // session is established.
  send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  return {
    stdin,
    stdout: opts.stdout ? writer(STDOUT) : undefined,
    stderr: opts.stderr ? writer(STDERR) : undefined,
    onResize: (cb) => resizeCbs.push(cb),
    onClientGone: (cb) => (gone = cb),
    finish(status: ExecStatus) {
      if (finished) return;
      finished = true;
      stdin?.end();
      if (ws.readyState !== ws.OPEN) return;
      if (p.jsonStatus) send(ERROR, Buffer.from(JSON.stringify(status)));
      else if (status.status === 'Failure') send(ERROR, Buffer.from(status.message ?? ''));
      // Close politely, in a write of its own after the Status, and let the client read
      // everything before it answers the close.
      out.close(1000);
    },
  };
}
