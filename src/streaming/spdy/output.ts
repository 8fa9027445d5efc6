// A SPDY session's outbound frames, in order, with the transport's backpressure. A frame with a
// header block waits for zlib (off the main thread) and every frame sent after it waits behind it;
// the others are written at once. Writers (the streams) wait while the transport is full or frames
// are queued, and go on at its 'drain'. Ending the transport waits until what was sent is written.
import { hasHeaderBlock, encodeDataFrameHeader, encodeSimpleFrame, type FrameEncoder } from './frames.js';
import type { SpdyFrame } from './protocol.js';
import type { ByteTransport } from './transport.js';

export interface FrameOutput {
  /** Queues or writes one frame; nothing once the transport is closed. */
  send(frame: SpdyFrame): void;
  /** Calls cb once the transport can take more: at once when it can, or when it is closed. */
  whenDrained(cb: () => void): void;
  /** Ends the transport once everything sent so far has been written to it. */
  finish(): void;
  /** Ends the transport now (at most once); frames still waiting on zlib are not written. */
  end(): void;
  /** The transport is closed: nothing more is written, queued frames are dropped, the encoder is freed. */
  close(): void;
  /** Lets every waiting writer go on (after close()). */
  releaseWriters(): void;
  readonly closed: boolean;
}

export interface OutputHooks {
  /** Every write to the transport (the session's idle timer). */
  wrote(): void;
  /** A frame could not be encoded. */
  error(err: Error): void;
  /** The transport's write threw: the session is over. */
  failed(err: Error): void;
}

export function createFrameOutput(transport: ByteTransport, encoder: FrameEncoder, hooks: OutputHooks): FrameOutput {
  // Output in order: a header frame waits for zlib, and every frame sent after it waits behind it.
  const queue: { buf?: Buffer; payload?: Buffer; ready: boolean }[] = [];
  const drainWaiters: (() => void)[] = [];
  let endWhenFlushed = false;
  let full = false;
  let closed = false;
  let ended = false;

  // A DATA frame is its header and the payload as the stream wrote it, not copied into one buffer
  // here: the transport joins them where it copies anyway.
  const writeOut = (buf: Buffer, payload?: Buffer) => {
    hooks.wrote();
    let ok: boolean | void;
    try {
      if (payload === undefined) ok = transport.write(buf);
      else if (transport.writeFrame) ok = transport.writeFrame(buf, payload);
      else ok = transport.write(Buffer.concat([buf, payload]));
    } catch (err) {
      hooks.failed(err as Error);
      return;
    }
    if (ok === false) full = true;
  };

  // Writers wait while the transport is full or frames are queued behind a header block.
  const isFull = () => full || queue.length > 0;
  const notifyDrain = () => {
    if (isFull()) return;
    for (const w of drainWaiters.splice(0)) w();
  };

  const end = () => {
    if (ended) return;
    ended = true;
    try {
      transport.end();
    } catch {
      // already gone
    }
  };

  const flush = () => {
    while (queue.length && queue[0]!.ready) {
      const item = queue.shift()!;
      if (item.buf && !closed) writeOut(item.buf, item.payload);
    }
    if (queue.length) return;
    if (endWhenFlushed && !closed) end();
    notifyDrain();
  };

  transport.onDrain?.(() => {
    full = false;
    notifyDrain();
  });

  return {
    send(frame) {
      if (closed) return;
      if (hasHeaderBlock(frame)) {
        const item: { buf?: Buffer; ready: boolean } = { ready: false };
        queue.push(item);
        encoder
          .encodeHeaderFrame(frame)
          .then(
            (buf) => {
              item.buf = buf;
            },
            (err: Error) => {
              if (!closed) hooks.error(err);
            },
          )
          .finally(() => {
            item.ready = true;
            flush();
          });
        return;
      }
      let buf: Buffer;
      let payload: Buffer | undefined;
      try {
        if (frame.type === 'DATA' && frame.data.length) {
          buf = encodeDataFrameHeader(frame);
          payload = frame.data;
        } else buf = encodeSimpleFrame(frame);
      } catch (err) {
        hooks.error(err as Error);
        return;
      }
      if (queue.length) queue.push({ buf, payload, ready: true });
      else writeOut(buf, payload);
    },
    whenDrained(cb) {
      if (!isFull() || closed) cb();
      else drainWaiters.push(cb);
    },
    finish() {
      endWhenFlushed = true;
      if (!queue.length) end();
    },
    end,
    close() {
      closed = true;
      encoder.close();
      queue.length = 0;
    },
    releaseWriters() {
      for (const w of drainWaiters.splice(0)) w();
    },
    get closed() {
      return closed;
    },
  };
}
