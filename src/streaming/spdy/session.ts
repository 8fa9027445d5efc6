// A server-side SPDY/3.1 session: streams as Duplexes, SYN_REPLY, FIN both ways, RST, PING echo,
// GOAWAY, and backpressure through the transport (Go's spdystream enforces no windows). The
// pieces, each with its own state: output.ts (outbound frames in order, the transport's
// backpressure), stream.ts (the streams and inbound flow control), dispatch.ts (what each frame
// from the peer does), lifecycle.ts (handler, GOAWAY, close, destroy, idle timer, teardown).
// createSpdySession wires them to the transport and the frame parser.
import type { Duplex } from 'node:stream';
import { createFrameEncoder, createFrameParser } from './frames.js';
import { MAX_FRAME_LENGTH } from './protocol.js';
import { duplexTransport, isDuplex, type ByteTransport } from './transport.js';
import { createFrameOutput } from './output.js';
import { newStreamTable, type SpdyStream } from './stream.js';
import { dispatchFrame, type Dispatch } from './dispatch.js';
import {
  closeSession,
  deliver,
  destroySession,
  newLifecycle,
  onSessionClose,
  peerGoAway,
  report,
  setStreamHandler,
  startIdleTimer,
  streamGone,
  teardown,
  touch,
} from './lifecycle.js';

export type { SpdyStream } from './stream.js';

export interface SpdySessionOptions {
  /** New streams. Without a handler they wait (at most maxPendingStreams) for session.onStream(). */
  onStream?: (stream: SpdyStream) => void;
  /** Protocol errors and transport failures (the session is closed after). */
  onError?: (err: Error) => void;
  onClose?: (err?: Error) => void;
  /** Close after this long without a frame either way (kubelet: 4 h). 0 or absent: never. */
  idleTimeoutMs?: number;
  maxControlFrameSize?: number;
  maxDataFrameSize?: number;
  maxHeaderBlockSize?: number;
  /** Streams open at once before new ones are refused (REFUSED_STREAM). Default 1000. */
  maxConcurrentStreams?: number;
  maxPendingStreams?: number;
  /** Per-stream buffering, each way, before backpressure (default 256 KiB). */
  streamHighWaterMark?: number;
  /** Largest data frame we send (default 64 KiB). */
  maxOutgoingFrame?: number;
}

export interface SpdySession {
  /** Open streams by id. */
  readonly streams: ReadonlyMap<number, SpdyStream>;
  readonly closed: boolean;
  /** Sets the new-stream handler, handing it any streams that arrived before. */
  onStream(cb: (stream: SpdyStream) => void): void;
  onClose(cb: (err?: Error) => void): void;
  /** Like spdystream's Close: resets streams we have not finished, sends GOAWAY, ends the transport. */
  close(): void;
  /** Tears everything down at once (GOAWAY with the error's status if the transport still works). */
  destroy(err?: Error): void;
}

/** A server-side SPDY/3.1 session: the peer opens streams (odd ids), we answer them. */
export function createSpdySession(transportOrDuplex: ByteTransport | Duplex, opts: SpdySessionOptions = {}): SpdySession {
  const transport = isDuplex(transportOrDuplex) ? duplexTransport(transportOrDuplex) : transportOrDuplex;
  // The parts refer to each other through `life` and `d`, only from callbacks that run later.
  const out = createFrameOutput(transport, createFrameEncoder(), {
    wrote: () => touch(life),
    error: (err) => report(life, err),
    failed: (err) => teardown(life, err),
  });
  const table = newStreamTable(
    out,
    { pause: () => transport.pause?.(), resume: () => transport.resume?.() },
    {
      hwm: opts.streamHighWaterMark ?? 256 * 1024,
      maxOut: Math.min(opts.maxOutgoingFrame ?? 64 * 1024, MAX_FRAME_LENGTH),
      onForget: () => streamGone(life),
    },
  );
  const d: Dispatch = {
    table,
    send: out.send,
    lastPeerStreamId: 0,
    refusing: () => life.goneAway || life.closed,
    maxConcurrent: opts.maxConcurrentStreams ?? 1000,
    deliver: (stream) => deliver(life, stream),
    peerGoAway: () => peerGoAway(life),
  };
  const parser = createFrameParser({
    onFrame: (f) => {
      if (out.closed) return;
      touch(life);
      dispatchFrame(d, f);
    },
    onError: (err) => destroySession(life, err),
    maxControlFrameSize: opts.maxControlFrameSize,
    maxDataFrameSize: opts.maxDataFrameSize,
    maxHeaderBlockSize: opts.maxHeaderBlockSize,
    dataPieces: true,
  });
  const life = newLifecycle(
    {
      out,
      table,
      input: parser,
      lastGoodStreamId: () => d.lastPeerStreamId,
      onError: opts.onError,
      handler: opts.onStream,
      maxPending: opts.maxPendingStreams ?? 64,
    },
    opts.onClose,
  );
  if (opts.idleTimeoutMs) startIdleTimer(life, opts.idleTimeoutMs);

  transport.onData((buf) => {
    if (out.closed) return;
    parser.push(buf);
  });
  transport.onClose((err) => teardown(life, err));

  return {
    streams: table.streams,
    get closed() {
      return life.closed;
    },
    onStream: (cb) => setStreamHandler(life, cb),
    onClose: (cb) => onSessionClose(life, cb),
    close: () => closeSession(life),
    destroy: (err) => destroySession(life, err),
  };
}
