// A server-side SPDY/3.1 session: streams as Duplexes, SYN_REPLY, FIN both ways, RST, PING echo,
// GOAWAY, and backpressure through the transport (Go's spdystream enforces no windows).
import { Duplex } from 'node:stream';
import { createFrameEncoder, createFrameParser, encodeSimpleFrame, hasHeaderBlock } from './frames.js';
import { headerValue } from './headers.js';
import { GoAwayStatus, MAX_FRAME_LENGTH, RstStatus, isSpdyProtocolError, type SpdyFrame, type SpdyHeaders } from './protocol.js';
import { duplexTransport, isDuplex, type ByteTransport } from './transport.js';

/** A stream the peer opened: a Duplex of its data, with its SYN_STREAM headers. */
export interface SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  /** First value of a header (names are matched case-insensitively). */
  header(name: string): string | undefined;
  /** Accepts the stream (SYN_REPLY). Writes made before wait for it. */
  reply(headers?: SpdyHeaders): void;
  /** Refuses or aborts the stream (RST_STREAM, CANCEL unless told) and destroys it. */
  reset(status?: number): void;
  readonly replied: boolean;
  /** The status of the RST_STREAM the peer sent, if it reset the stream. */
  readonly resetByPeer: number | undefined;
}

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

interface StreamState {
  stream: SpdyStream;
  replied: boolean;
  /** We sent FIN (or the stream was unidirectional). */
  localFin: boolean;
  /** The peer sent FIN. */
  remoteFin: boolean;
  /** Removed from the session (both FINs, a reset either way, or session end). */
  gone: boolean;
  /** Its reader is behind: inbound reading is paused while any stream is. */
  congested: boolean;
  resetByPeer?: number;
  afterReply: (() => void)[];
}

/** A server-side SPDY/3.1 session: the peer opens streams (odd ids), we answer them. */
export function createSpdySession(transportOrDuplex: ByteTransport | Duplex, opts: SpdySessionOptions = {}): SpdySession {
  const transport = isDuplex(transportOrDuplex) ? duplexTransport(transportOrDuplex) : transportOrDuplex;
  const encoder = createFrameEncoder();
  const states = new Map<number, StreamState>();
  const streams = new Map<number, SpdyStream>();
  const closeCbs: ((err?: Error) => void)[] = [];
  if (opts.onClose) closeCbs.push(opts.onClose);
  let streamHandler = opts.onStream;
  const pendingStreams: SpdyStream[] = [];
  const drainWaiters: (() => void)[] = [];
  const maxConcurrent = opts.maxConcurrentStreams ?? 1000;
  const maxPending = opts.maxPendingStreams ?? 64;
  const hwm = opts.streamHighWaterMark ?? 256 * 1024;
  const maxOut = Math.min(opts.maxOutgoingFrame ?? 64 * 1024, MAX_FRAME_LENGTH);
  let lastPeerStreamId = 0;
  let goneAway = false; // we sent GOAWAY: no new streams
  let peerGoneAway = false;
  let closed = false;
  let transportClosed = false;
  let transportFull = false;
  let inboundPaused = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const touch = () => {
    if (!opts.idleTimeoutMs || closed) return;
    idleTimer?.refresh();
  };
  if (opts.idleTimeoutMs) {
    idleTimer = setTimeout(() => session.close(), opts.idleTimeoutMs);
    idleTimer.unref();
  }

  // Output in order: a header frame waits for zlib, and every frame sent after it waits behind it.
  const outQueue: { buf?: Buffer; ready: boolean }[] = [];
  let endWhenFlushed = false;

  const writeOut = (buf: Buffer) => {
    touch();
    let ok: boolean | void;
    try {
      ok = transport.write(buf);
    } catch (err) {
      teardown(err as Error);
      return;
    }
    if (ok === false) transportFull = true;
  };

  // Writers wait while the transport is full or frames are queued behind a header block.
  const isFull = () => transportFull || outQueue.length > 0;
  const notifyDrain = () => {
    if (isFull()) return;
    for (const w of drainWaiters.splice(0)) w();
  };
  const whenDrained = (cb: () => void) => {
    if (!isFull() || transportClosed) cb();
    else drainWaiters.push(cb);
  };

  let transportEnded = false;
  const endTransport = () => {
    if (transportEnded) return;
    transportEnded = true;
    try {
      transport.end();
    } catch {
      // already gone
    }
  };

  const flushOut = () => {
    while (outQueue.length && outQueue[0]!.ready) {
      const item = outQueue.shift()!;
      if (item.buf && !transportClosed) writeOut(item.buf);
    }
    if (outQueue.length) return;
    if (endWhenFlushed && !transportClosed) endTransport();
    notifyDrain();
  };

  const send = (frame: SpdyFrame): void => {
    if (transportClosed) return;
    if (hasHeaderBlock(frame)) {
      const item: { buf?: Buffer; ready: boolean } = { ready: false };
      outQueue.push(item);
      encoder
        .encodeHeaderFrame(frame)
        .then(
          (buf) => {
            item.buf = buf;
          },
          (err: Error) => {
            if (!transportClosed) report(err);
          },
        )
        .finally(() => {
          item.ready = true;
          flushOut();
        });
      return;
    }
    let buf: Buffer;
    try {
      buf = encodeSimpleFrame(frame);
    } catch (err) {
      report(err as Error);
      return;
    }
    if (outQueue.length) outQueue.push({ buf, ready: true });
    else writeOut(buf);
  };

  /** Ends the transport once everything sent so far has been written to it. */
  const finishOutput = () => {
    endWhenFlushed = true;
    if (!outQueue.length) endTransport();
  };

  transport.onDrain?.(() => {
    transportFull = false;
    notifyDrain();
  });

  const report = (err: Error) => {
    try {
      opts.onError?.(err);
    } catch {
      // a throwing error handler must not take the session's caller down
    }
  };

  const updateInbound = () => {
    let congested = false;
    for (const st of states.values()) if (st.congested) congested = true;
    if (congested && !inboundPaused) {
      inboundPaused = true;
      transport.pause?.();
    } else if (!congested && inboundPaused) {
      inboundPaused = false;
      if (!transportClosed) transport.resume?.();
    }
  };

  const forget = (st: StreamState) => {
    if (st.gone) return;
    st.gone = true;
    states.delete(st.stream.id);
    streams.delete(st.stream.id);
    st.congested = false;
    updateInbound();
    if (peerGoneAway && states.size === 0) session.close();
  };

  const maybeDone = (st: StreamState) => {
    if (st.localFin && st.remoteFin) forget(st);
  };

  const newStream = (id: number, headers: SpdyHeaders): StreamState => {
    // Filled in right below; the Duplex callbacks only run after construction.
    let st!: StreamState;
    const writeData = (chunk: Buffer, cb: (err?: Error | null) => void) => {
      // A stream already gone drops what is written to it, as a Go stream does after a reset: an
      // error here would surface as an 'error' event nobody asked for while tearing down.
      if (st.gone || transportClosed) return cb();
      let off = 0;
      while (off < chunk.length) {
        const piece = chunk.subarray(off, off + maxOut);
        off += piece.length;
        send({ type: 'DATA', streamId: id, fin: false, data: piece });
      }
      whenDrained(() => cb());
    };
    const d = new Duplex({
      allowHalfOpen: true,
      readableHighWaterMark: hwm,
      writableHighWaterMark: hwm,
      read() {
        if (st.congested) {
          st.congested = false;
          updateInbound();
        }
      },
      write(chunk: Buffer, _enc, cb) {
        if (!st.replied && !st.gone) st.afterReply.push(() => writeData(chunk, cb));
        else writeData(chunk, cb);
      },
      final(cb) {
        const fin = () => {
          if (!st.gone && !st.localFin) {
            st.localFin = true;
            send({ type: 'DATA', streamId: id, fin: true, data: Buffer.alloc(0) });
            maybeDone(st);
          }
          cb();
        };
        if (!st.replied && !st.gone) st.afterReply.push(fin);
        else fin();
      },
      destroy(err, cb) {
        // Like spdystream's Reset: a stream we have not finished is reset, so the peer stops waiting.
        if (!st.gone) {
          if (!st.localFin || !st.remoteFin) send({ type: 'RST_STREAM', streamId: id, status: RstStatus.CANCEL });
          forget(st);
        }
        st.afterReply.length = 0;
        cb(err);
      },
    });
    const stream = Object.defineProperties(d, {
      id: { value: id, enumerable: true },
      headers: { value: headers, enumerable: true },
      header: { value: (name: string) => headerValue(headers, name) },
      reply: {
        value: (h: SpdyHeaders = {}) => {
          if (st.replied || st.gone) return;
          st.replied = true;
          send({ type: 'SYN_REPLY', streamId: id, fin: false, headers: h });
          for (const f of st.afterReply.splice(0)) f();
        },
      },
      reset: {
        value: (status: number = RstStatus.CANCEL) => {
          if (!st.gone) {
            send({ type: 'RST_STREAM', streamId: id, status });
            forget(st);
          }
          d.destroy();
        },
      },
      replied: { get: () => st.replied },
      resetByPeer: { get: () => st.resetByPeer },
    }) as SpdyStream;
    st = { stream, replied: false, localFin: false, remoteFin: false, gone: false, congested: false, afterReply: [] };
    return st;
  };

  const deliver = (stream: SpdyStream) => {
    if (!streamHandler) {
      if (pendingStreams.length >= maxPending) return stream.reset(RstStatus.REFUSED_STREAM);
      pendingStreams.push(stream);
      return;
    }
    try {
      streamHandler(stream);
    } catch (err) {
      report(err as Error);
      stream.reset(RstStatus.INTERNAL_ERROR);
    }
  };

  const onFrame = (f: SpdyFrame) => {
    touch();
    switch (f.type) {
      case 'SYN_STREAM': {
        const id = f.streamId;
        // Ids from the client are odd and increasing (spdystream answers others with PROTOCOL_ERROR).
        if (id % 2 === 0 || id <= lastPeerStreamId) {
          send({ type: 'RST_STREAM', streamId: id, status: RstStatus.PROTOCOL_ERROR });
          return;
        }
        lastPeerStreamId = id;
        if (goneAway || closed || states.size >= maxConcurrent) {
          send({ type: 'RST_STREAM', streamId: id, status: RstStatus.REFUSED_STREAM });
          return;
        }
        const st = newStream(id, f.headers);
        states.set(id, st);
        streams.set(id, st.stream);
        if (f.unidirectional) {
          st.localFin = true;
          st.stream.end();
        }
        if (f.fin) {
          st.remoteFin = true;
          st.stream.push(null);
        }
        maybeDone(st);
        deliver(st.stream);
        return;
      }
      case 'DATA': {
        const st = states.get(f.streamId);
        // Frames for streams already gone are dropped (spdystream does the same).
        if (!st || st.remoteFin) return;
        if (f.data.length && !st.stream.push(f.data)) {
          st.congested = true;
          updateInbound();
        }
        if (f.fin) {
          st.remoteFin = true;
          st.stream.push(null);
          maybeDone(st);
        }
        return;
      }
      case 'HEADERS': {
        const st = states.get(f.streamId);
        if (st && f.fin && !st.remoteFin) {
          st.remoteFin = true;
          st.stream.push(null);
          maybeDone(st);
        }
        return;
      }
      case 'RST_STREAM': {
        const st = states.get(f.streamId);
        if (!st) return;
        st.resetByPeer = f.status;
        forget(st);
        st.stream.destroy();
        return;
      }
      case 'PING':
        // Odd ids are the client's: echo. Even ones would answer pings of ours (we send none).
        if (f.id % 2 === 1) send(f);
        return;
      case 'GOAWAY':
        peerGoneAway = true;
        if (states.size === 0) session.close();
        return;
      case 'SYN_REPLY': // we open no streams
      case 'SETTINGS': // nothing in them changes what we do (see the top of this file)
      case 'WINDOW_UPDATE':
        return;
    }
  };

  const parser = createFrameParser({
    onFrame: (f) => {
      if (!transportClosed) onFrame(f);
    },
    onError: (err) => session.destroy(err),
    maxControlFrameSize: opts.maxControlFrameSize,
    maxDataFrameSize: opts.maxDataFrameSize,
    maxHeaderBlockSize: opts.maxHeaderBlockSize,
  });

  // Ends all streams, closes the transport and reports the close, once.
  const teardown = (err?: Error) => {
    const first = !transportClosed;
    transportClosed = true;
    closed = true;
    parser.stop();
    encoder.close();
    outQueue.length = 0;
    if (idleTimer) clearTimeout(idleTimer);
    for (const st of [...states.values()]) {
      forget(st);
      st.stream.destroy();
    }
    for (const s of pendingStreams.splice(0)) s.destroy();
    for (const w of drainWaiters.splice(0)) w();
    // The peer's EOF leaves a half-open socket: close our side too.
    endTransport();
    if (first) {
      if (err) report(err);
      for (const cb of closeCbs.splice(0)) {
        try {
          cb(err);
        } catch (e) {
          report(e as Error);
        }
      }
    }
  };

  transport.onData((buf) => {
    if (transportClosed) return;
    parser.push(buf);
  });
  transport.onClose((err) => teardown(err));

  const sendGoAway = (status: number) => {
    if (goneAway) return;
    goneAway = true;
    send({ type: 'GOAWAY', lastGoodStreamId: lastPeerStreamId, status });
  };

  const session: SpdySession = {
    streams,
    get closed() {
      return closed;
    },
    onStream(cb) {
      streamHandler = cb;
      for (const s of pendingStreams.splice(0)) if (!s.destroyed) deliver(s);
    },
    onClose(cb) {
      if (transportClosed) queueMicrotask(() => cb());
      else closeCbs.push(cb);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const st of [...states.values()]) {
        if (!st.localFin && !st.gone) send({ type: 'RST_STREAM', streamId: st.stream.id, status: RstStatus.CANCEL });
        forget(st);
        st.stream.destroy();
      }
      sendGoAway(GoAwayStatus.OK);
      finishOutput();
    },
    destroy(err) {
      if (transportClosed) return;
      sendGoAway(isSpdyProtocolError(err) ? GoAwayStatus.PROTOCOL_ERROR : err ? GoAwayStatus.INTERNAL_ERROR : GoAwayStatus.OK);
      // The GOAWAY goes out unless frames wait on zlib ahead of it; what is queued is dropped.
      endTransport();
      teardown(err);
    },
  };
  return session;
}
