// pods/portforward over SPDY, as the kubelet serves it: per forwarded connection the client opens
// an error stream and a data stream paired by `requestid`; the data stream is piped to a dial of the
// Pod's port, and a failed dial is reported on the error stream in the kubelet's words.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSpdySession, RstStatus, type ByteTransport, type SpdySession, type SpdyStream } from './spdy/index.js';
import { DEFAULT_STREAM_CREATION_TIMEOUT_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS, type PortForwardOptions } from './stream-protocols.js';
import { goParseUint } from '../apimachinery/go-strconv.js';

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
export function portForwardErrorMessage(
  port: number,
  opts: Pick<PortForwardOptions, 'podName' | 'namespace' | 'uid'>,
  cause: unknown,
  dialing = true,
): string {
  const why = dialing
    ? `failed to connect to port ${port} of pod "${opts.namespace}/${opts.podName}": ${describeNetError(cause)}`
    : describeNetError(cause);
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

export async function dialPod(opts: PortForwardOptions, port: number): Promise<Socket> {
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
export function parseGoUint16(s: string): number | string {
  try {
    return Number(goParseUint(s, 16));
  } catch (e) {
    return (e as Error).message;
  }
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
  const session = isSession(target)
    ? target
    : createSpdySession(target, { idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS });
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
        // Client to Pod, ending the Pod socket's write side on the client's FIN; the frames of one
        // event-loop turn in one write (see batched-pipe.ts).
        data.forwardData(s);
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
