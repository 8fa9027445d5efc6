// A SPDY session's lifecycle: new streams handed to the handler (or held, a bounded number, until
// there is one); GOAWAY, once, naming the last stream the peer opened; close(), as spdystream's
// Close (reset the streams we have not finished, GOAWAY, end the transport once what was sent is
// written); destroy(), at once (GOAWAY with the error's status if the transport still works); the
// peer's GOAWAY (close once no stream is left); the idle timer; and the teardown every end comes
// to: input stopped, streams destroyed, waiting writers released, close callbacks called once.
import { GoAwayStatus, RstStatus, isSpdyProtocolError } from './protocol.js';
import type { FrameOutput } from './output.js';
import { forgetStream, type SpdyStream, type StreamTable } from './stream.js';

export interface Lifecycle {
  readonly out: FrameOutput;
  readonly table: StreamTable;
  /** The frame parser: stopped at teardown. */
  readonly input: { stop(): void };
  /** GOAWAY's last good stream id: the highest the peer opened. */
  lastGoodStreamId(): number;
  readonly onError?: (err: Error) => void;
  /** No new streams: close() ran or the session is torn down. */
  closed: boolean;
  /** We sent GOAWAY. */
  goneAway: boolean;
  /** The peer sent GOAWAY: the session closes once no stream is left. */
  peerGoneAway: boolean;
  handler?: (stream: SpdyStream) => void;
  /** Streams that came before there was a handler. */
  readonly pending: SpdyStream[];
  readonly maxPending: number;
  readonly closeCbs: ((err?: Error) => void)[];
  /** Closes the session after idleTimeoutMs without a frame either way. */
  idleTimer?: NodeJS.Timeout;
  /** When a frame last went either way (Date.now()): what the idle timer checks when it fires. */
  lastFrameAt: number;
}

export function newLifecycle(
  parts: Pick<Lifecycle, 'out' | 'table' | 'input' | 'lastGoodStreamId' | 'onError' | 'handler' | 'maxPending'>,
  onClose?: (err?: Error) => void,
): Lifecycle {
  return {
    ...parts,
    closed: false,
    goneAway: false,
    peerGoneAway: false,
    pending: [],
    closeCbs: onClose ? [onClose] : [],
    lastFrameAt: Date.now(),
  };
}

/** Reports an error to onError, which may not throw out of the session. */
export function report(l: Pick<Lifecycle, 'onError'>, err: Error): void {
  try {
    l.onError?.(err);
  } catch {
    // a throwing error handler must not take the session's caller down
  }
}

/**
 * Starts the idle timer: close() after ms without a frame either way. Frames only note their time
 * (touch); the timer, when it fires, waits out what is left since the last one. Restarting the
 * timer itself for every frame (refresh()) was a timer-list insert per 16 KiB forwarded.
 */
export function startIdleTimer(l: Lifecycle, ms: number): void {
  const check = () => {
    const idle = Date.now() - l.lastFrameAt;
    if (idle >= ms) return closeSession(l);
    arm(ms - idle);
  };
  const arm = (wait: number) => {
    l.idleTimer = setTimeout(check, wait);
    l.idleTimer.unref();
  };
  l.lastFrameAt = Date.now();
  arm(ms);
}

/** A frame went either way: the idle time starts over. */
export function touch(l: Lifecycle): void {
  l.lastFrameAt = Date.now();
}

/** Hands a new stream to the handler, or holds it (refused past maxPending) until there is one. */
export function deliver(l: Lifecycle, stream: SpdyStream): void {
  if (!l.handler) {
    if (l.pending.length >= l.maxPending) return stream.reset(RstStatus.REFUSED_STREAM);
    l.pending.push(stream);
    return;
  }
  try {
    l.handler(stream);
  } catch (err) {
    report(l, err as Error);
    stream.reset(RstStatus.INTERNAL_ERROR);
  }
}

/** Sets the handler, handing it the streams that came before (and are still open). */
export function setStreamHandler(l: Lifecycle, cb: (stream: SpdyStream) => void): void {
  l.handler = cb;
  for (const s of l.pending.splice(0)) if (!s.destroyed) deliver(l, s);
}

export function onSessionClose(l: Lifecycle, cb: (err?: Error) => void): void {
  if (l.out.closed) queueMicrotask(() => cb());
  else l.closeCbs.push(cb);
}

export function sendGoAway(l: Lifecycle, status: number): void {
  if (l.goneAway) return;
  l.goneAway = true;
  l.out.send({ type: 'GOAWAY', lastGoodStreamId: l.lastGoodStreamId(), status });
}

/** The peer sent GOAWAY. */
export function peerGoAway(l: Lifecycle): void {
  l.peerGoneAway = true;
  if (l.table.states.size === 0) closeSession(l);
}

/** A stream left the table: after the peer's GOAWAY, the last one closes the session. */
export function streamGone(l: Lifecycle): void {
  if (l.peerGoneAway && l.table.states.size === 0) closeSession(l);
}

/** spdystream's Close: resets streams we have not finished, sends GOAWAY, ends the transport once written. */
export function closeSession(l: Lifecycle): void {
  if (l.closed) return;
  l.closed = true;
  for (const st of [...l.table.states.values()]) {
    if (!st.localFin && !st.gone) l.out.send({ type: 'RST_STREAM', streamId: st.stream.id, status: RstStatus.CANCEL });
    forgetStream(l.table, st);
    st.stream.destroy();
  }
  sendGoAway(l, GoAwayStatus.OK);
  l.out.finish();
}

/** Tears everything down at once (GOAWAY with the error's status if the transport still works). */
export function destroySession(l: Lifecycle, err?: Error): void {
  if (l.out.closed) return;
  sendGoAway(l, isSpdyProtocolError(err) ? GoAwayStatus.PROTOCOL_ERROR : err ? GoAwayStatus.INTERNAL_ERROR : GoAwayStatus.OK);
  // The GOAWAY goes out unless frames wait on zlib ahead of it; what is queued is dropped.
  l.out.end();
  teardown(l, err);
}

/** Ends all streams, closes the transport and reports the close, once. */
export function teardown(l: Lifecycle, err?: Error): void {
  const first = !l.out.closed;
  l.out.close();
  l.closed = true;
  l.input.stop();
  if (l.idleTimer) clearTimeout(l.idleTimer);
  for (const st of [...l.table.states.values()]) {
    forgetStream(l.table, st);
    st.stream.destroy();
  }
  for (const s of l.pending.splice(0)) s.destroy();
  l.out.releaseWriters();
  // The peer's EOF leaves a half-open socket: close our side too.
  l.out.end();
  if (first) {
    if (err) report(l, err);
    for (const cb of l.closeCbs.splice(0)) {
      try {
        cb(err);
      } catch (e) {
        report(l, e as Error);
      }
    }
  }
}
