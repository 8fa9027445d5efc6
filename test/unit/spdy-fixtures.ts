// Fakes for the SPDY session's parts: a byte transport and an encoder the test drives by hand, an
// output that records frames, and a stream table over it.
import type { ByteTransport, FrameEncoder, SpdyFrame } from '../../src/streaming/spdy/index.js';
import type { FrameOutput } from '../../src/streaming/spdy/output.js';
import { newStreamTable, type StreamTable } from '../../src/streaming/spdy/stream.js';

/** A transport that keeps what is written; full() makes write() answer false until drain(). */
export function fakeTransport() {
  let drainCb: (() => void) | undefined;
  let isFull = false;
  const t = {
    written: [] as Buffer[],
    ends: 0,
    paused: 0,
    resumed: 0,
    throwOnWrite: undefined as Error | undefined,
    full: () => void (isFull = true),
    drain: () => {
      isFull = false;
      drainCb?.();
    },
    transport: {
      write: (b: Buffer) => {
        if (t.throwOnWrite) throw t.throwOnWrite;
        t.written.push(b);
        return !isFull;
      },
      end: () => void t.ends++,
      onData: () => undefined,
      onClose: () => undefined,
      onDrain: (cb: () => void) => void (drainCb = cb),
      pause: () => void t.paused++,
      resume: () => void t.resumed++,
    } satisfies ByteTransport,
  };
  return t;
}

/** An encoder whose header frames are `H<streamId>`, each ready when the test resolves (or fails) it. */
export function fakeEncoder() {
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let closed = 0;
  const e = {
    waiting,
    get closed() {
      return closed;
    },
    encoder: {
      encode: () => Promise.reject(new Error('not used')),
      encodeHeaderFrame: (f) =>
        new Promise<Buffer>((resolve, reject) => {
          waiting.push({ resolve: () => resolve(Buffer.from(`H${f.streamId}`)), reject });
        }),
      close: () => void closed++,
    } satisfies FrameEncoder,
  };
  return e;
}

/** An output that records what the session asks of it. */
export function recordingOutput() {
  const o = {
    frames: [] as SpdyFrame[],
    calls: [] as string[],
    drainWaiters: [] as (() => void)[],
    /** whenDrained() holds callbacks instead of calling them. */
    holdWriters: false,
    closed: false,
    send: (f: SpdyFrame) => void o.frames.push(f),
    whenDrained: (cb: () => void) => (o.holdWriters ? void o.drainWaiters.push(cb) : cb()),
    finish: () => void o.calls.push('finish'),
    end: () => void o.calls.push('end'),
    close: () => {
      o.calls.push('close');
      o.closed = true;
    },
    releaseWriters: () => {
      o.calls.push('releaseWriters');
      for (const w of o.drainWaiters.splice(0)) w();
    },
  };
  return o satisfies FrameOutput;
}

/** A stream table over a recording output; inbound pauses and resumes are counted. */
export function table(o: { hwm?: number; maxOut?: number; onForget?: () => void } = {}) {
  const out = recordingOutput();
  const inbound = { paused: 0, resumed: 0, pause: () => void inbound.paused++, resume: () => void inbound.resumed++ };
  const t: StreamTable = newStreamTable(out, inbound, {
    hwm: o.hwm ?? 1024,
    maxOut: o.maxOut ?? 1024,
    onForget: o.onForget ?? (() => undefined),
  });
  return { t, out, inbound };
}

export const synOf = (streamId: number, more: { fin?: boolean; unidirectional?: boolean } = {}) => ({
  streamId,
  headers: { streamtype: ['data'] },
  fin: more.fin ?? false,
  unidirectional: more.unidirectional ?? false,
});

export const tick = () => new Promise((r) => setImmediate(r));
