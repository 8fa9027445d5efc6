// exec/attach over SPDY (kubectl's fallback): waits for the streams kubectl opens (error, stdin,
// stdout, stderr, resize) and presents them as a RemoteCommandStreams.
import { Duplex, finished } from 'node:stream';
import type { Logger } from '../base/log.js';
import type { ExecStatus, RemoteCommandOptions, RemoteCommandStreams, TerminalSize } from './remotecommand.js';
import { RstStatus, type SpdySession, type SpdyStream } from './spdy/index.js';
import { DEFAULT_STREAM_CREATION_TIMEOUT_MS } from './stream-protocols.js';

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
