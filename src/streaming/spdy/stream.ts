// The streams of a SPDY session: each one a Duplex for the handler (SYN_REPLY, data and FIN both
// ways, RST_STREAM), and the table of open ones with the session's flow control. As spdystream,
// no SPDY/3.1 window is kept (WINDOW_UPDATE is neither sent nor honoured): inbound, the transport
// stops being read while any stream's reader is behind (its buffer past the high-water mark, or
// the Writable it forwards its data to full) and goes on once every reader has caught up;
// outbound, a stream's write completes once the transport can take more (FrameOutput.whenDrained),
// which holds its writer back.
import { Duplex, type Writable } from 'node:stream';
import { BatchedWriter } from '../batched-pipe.js';
import { headerValue } from './headers.js';
import { RstStatus, type SpdyHeaders } from './protocol.js';
import type { FrameOutput } from './output.js';

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
  /**
   * From now on the peer's data goes to `to` as it is read, what arrives in one event-loop turn in
   * one write (batched-pipe.ts), and `to` is ended after the peer's FIN; what the readable side
   * held goes first, and it carries nothing more (it ends at the FIN). Reading the transport
   * pauses while `to` is over its high-water mark. For a forwarded connection: each piece of data
   * through the readable side cost a push(), a 'data' event and a next-tick of its own.
   */
  forwardData(to: Writable): void;
}

export interface StreamState {
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
  /** Where forwardData() sends the peer's data, and whether it is over its high-water mark. */
  sink?: BatchedWriter;
  sinkFull: boolean;
  resetByPeer?: number;
  afterReply: (() => void)[];
}

export interface StreamTable {
  readonly states: Map<number, StreamState>;
  /** The same streams, as the session shows them. */
  readonly streams: Map<number, SpdyStream>;
  /** We stopped reading the transport (a reader is behind). */
  inboundPaused: boolean;
  readonly out: Pick<FrameOutput, 'send' | 'whenDrained' | 'closed'>;
  /** Stops and restarts reading the transport. */
  readonly inbound: { pause(): void; resume(): void };
  /** Per-stream buffering, each way, before backpressure. */
  readonly hwm: number;
  /** Largest data frame sent. */
  readonly maxOut: number;
  /** A stream left the table. */
  readonly onForget: () => void;
}

export function newStreamTable(
  out: StreamTable['out'],
  inbound: StreamTable['inbound'],
  o: { hwm: number; maxOut: number; onForget: () => void },
): StreamTable {
  return { states: new Map(), streams: new Map(), inboundPaused: false, out, inbound, ...o };
}

/** Pauses the transport while any stream's reader is behind, resumes it when none is. */
export function updateInbound(t: StreamTable): void {
  let congested = false;
  for (const st of t.states.values()) if (st.congested || st.sinkFull) congested = true;
  if (congested && !t.inboundPaused) {
    t.inboundPaused = true;
    t.inbound.pause();
  } else if (!congested && t.inboundPaused) {
    t.inboundPaused = false;
    if (!t.out.closed) t.inbound.resume();
  }
}

/** Removes the stream from the table (once). */
export function forgetStream(t: StreamTable, st: StreamState): void {
  if (st.gone) return;
  st.gone = true;
  t.states.delete(st.stream.id);
  t.streams.delete(st.stream.id);
  st.congested = false;
  st.sinkFull = false;
  updateInbound(t);
  t.onForget();
}

const maybeDone = (t: StreamTable, st: StreamState) => {
  if (st.localFin && st.remoteFin) forgetStream(t, st);
};

/** The peer's FIN (on DATA, HEADERS or SYN_STREAM). */
export function receiveFin(t: StreamTable, st: StreamState): void {
  st.remoteFin = true;
  st.stream.push(null);
  st.sink?.end();
  maybeDone(t, st);
}

/** A DATA frame for the stream; frames after the peer's FIN are dropped. */
export function receiveData(t: StreamTable, st: StreamState, data: Buffer, fin: boolean): void {
  if (st.remoteFin) return;
  if (st.sink) {
    if (data.length) st.sink.push(data);
  } else if (data.length && !st.stream.push(data)) {
    st.congested = true;
    updateInbound(t);
  }
  if (fin) receiveFin(t, st);
}

/** The peer reset the stream: it is destroyed, silently. */
export function receiveReset(t: StreamTable, st: StreamState, status: number): void {
  st.resetByPeer = status;
  forgetStream(t, st);
  st.stream.destroy();
}

/** A stream the peer opened (SYN_STREAM), in the table; the caller hands it to the handler. */
export function openStream(
  t: StreamTable,
  f: { streamId: number; headers: SpdyHeaders; fin: boolean; unidirectional: boolean },
): StreamState {
  const st = newStream(t, f.streamId, f.headers);
  t.states.set(f.streamId, st);
  t.streams.set(f.streamId, st.stream);
  if (f.unidirectional) {
    st.localFin = true;
    st.stream.end();
  }
  if (f.fin) {
    st.remoteFin = true;
    st.stream.push(null);
  }
  maybeDone(t, st);
  return st;
}

function newStream(t: StreamTable, id: number, headers: SpdyHeaders): StreamState {
  const { out } = t;
  // Filled in right below; the Duplex callbacks only run after construction.
  let st!: StreamState;
  const writeData = (chunk: Buffer, cb: (err?: Error | null) => void) => {
    // A stream already gone drops what is written to it, as a Go stream does after a reset: an
    // error here would surface as an 'error' event nobody asked for while tearing down.
    if (st.gone || out.closed) return cb();
    let off = 0;
    while (off < chunk.length) {
      const piece = chunk.subarray(off, off + t.maxOut);
      off += piece.length;
      out.send({ type: 'DATA', streamId: id, fin: false, data: piece });
    }
    out.whenDrained(() => cb());
  };
  const d = new Duplex({
    allowHalfOpen: true,
    readableHighWaterMark: t.hwm,
    writableHighWaterMark: t.hwm,
    read() {
      if (st.congested) {
        st.congested = false;
        updateInbound(t);
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
          out.send({ type: 'DATA', streamId: id, fin: true, data: Buffer.alloc(0) });
          maybeDone(t, st);
        }
        cb();
      };
      if (!st.replied && !st.gone) st.afterReply.push(fin);
      else fin();
    },
    destroy(err, cb) {
      // Like spdystream's Reset: a stream we have not finished is reset, so the peer stops waiting.
      if (!st.gone) {
        if (!st.localFin || !st.remoteFin) out.send({ type: 'RST_STREAM', streamId: id, status: RstStatus.CANCEL });
        forgetStream(t, st);
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
        out.send({ type: 'SYN_REPLY', streamId: id, fin: false, headers: h });
        for (const f of st.afterReply.splice(0)) f();
      },
    },
    reset: {
      value: (status: number = RstStatus.CANCEL) => {
        if (!st.gone) {
          out.send({ type: 'RST_STREAM', streamId: id, status });
          forgetStream(t, st);
        }
        d.destroy();
      },
    },
    replied: { get: () => st.replied },
    resetByPeer: { get: () => st.resetByPeer },
    forwardData: {
      value: (to: Writable) => {
        if (st.sink) throw new Error(`stream ${id} already forwards its data`);
        const sink = new BatchedWriter(
          to,
          () => {
            st.sinkFull = true;
            updateInbound(t);
          },
          () => {
            st.sinkFull = false;
            updateInbound(t);
          },
        );
        for (let held = d.read() as Buffer | null; held !== null; held = d.read() as Buffer | null) sink.push(held);
        st.sink = sink;
        if (st.congested) {
          st.congested = false;
          updateInbound(t);
        }
        // Flowing, so that the readable side ends (and says so) at the FIN.
        d.resume();
        if (st.remoteFin) sink.end();
      },
    },
  }) as SpdyStream;
  st = { stream, replied: false, localFin: false, remoteFin: false, gone: false, congested: false, sinkFull: false, afterReply: [] };
  return st;
}
