// SPDY/3.1 frames: the encoder and the incremental parser (any split of the input, malformed
// input reported once as a protocol error, never thrown out of push()).
import {
  createHeaderCompressor,
  createHeaderDecompressor,
  decodeHeaderBlock,
  encodeHeaderBlock,
  type HeaderCompressor,
} from './headers.js';
import {
  FLAG_CLEAR_SETTINGS,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameType,
  MAX_FRAME_LENGTH,
  MAX_STREAM_ID,
  SPDY_VERSION,
  isSpdyProtocolError,
  spdyProtocolError,
  type SpdyFrame,
  type SpdyHeaders,
  type SpdyProtocolError,
} from './protocol.js';

const CONTROL_TYPES = new Set<number>(Object.values(FrameType));

function controlHeader(type: number, flags: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE((((flags & 0xff) << 24) | length) >>> 0, 4);
  return b;
}

function u31(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_STREAM_ID) throw new RangeError(`${what} out of range: ${n}`);
  return n;
}

function streamIdOf(n: number): number {
  if (u31(n, 'stream id') === 0) throw new RangeError('stream id 0 is not allowed');
  return n;
}

export type HeaderFrame = Extract<SpdyFrame, { type: 'SYN_STREAM' | 'SYN_REPLY' | 'HEADERS' }>;
export type SimpleFrame = Exclude<SpdyFrame, HeaderFrame>;

export function hasHeaderBlock(f: SpdyFrame): f is HeaderFrame {
  return f.type === 'SYN_STREAM' || f.type === 'SYN_REPLY' || f.type === 'HEADERS';
}

/** The 8 bytes before a DATA frame's payload (the payload follows unchanged). */
export function encodeDataFrameHeader(f: Extract<SpdyFrame, { type: 'DATA' }>): Buffer {
  if (f.data.length > MAX_FRAME_LENGTH) throw new RangeError('data frame payload too large');
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(streamIdOf(f.streamId), 0);
  b.writeUInt32BE((((f.fin ? FLAG_FIN : 0) << 24) | f.data.length) >>> 0, 4);
  return b;
}

/** Serializes a frame that carries no header block (no compression context involved). */
export function encodeSimpleFrame(f: SimpleFrame): Buffer {
  switch (f.type) {
    case 'DATA':
      return Buffer.concat([encodeDataFrameHeader(f), f.data]);
    case 'RST_STREAM': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(streamIdOf(f.streamId), 0);
      p.writeUInt32BE(f.status >>> 0, 4);
      return Buffer.concat([controlHeader(FrameType.RST_STREAM, 0, 8), p]);
    }
    case 'SETTINGS': {
      const p = Buffer.alloc(4 + 8 * f.entries.length);
      p.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        p.writeUInt32BE((((e.flags & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + 8 * i);
        p.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
      });
      return Buffer.concat([controlHeader(FrameType.SETTINGS, f.clearSettings ? FLAG_CLEAR_SETTINGS : 0, p.length), p]);
    }
    case 'PING': {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(f.id >>> 0, 0);
      return Buffer.concat([controlHeader(FrameType.PING, 0, 4), p]);
    }
    case 'GOAWAY': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(u31(f.lastGoodStreamId, 'last good stream id'), 0);
      p.writeUInt32BE(f.status >>> 0, 4);
      return Buffer.concat([controlHeader(FrameType.GOAWAY, 0, 8), p]);
    }
    case 'WINDOW_UPDATE': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(u31(f.streamId, 'stream id'), 0);
      p.writeUInt32BE(u31(f.delta, 'window delta'), 4);
      return Buffer.concat([controlHeader(FrameType.WINDOW_UPDATE, 0, 8), p]);
    }
  }
}

async function encodeHeaderFrame(f: HeaderFrame, compressor: HeaderCompressor): Promise<Buffer> {
  let type: number;
  let flags = f.fin ? FLAG_FIN : 0;
  let fixed: Buffer;
  if (f.type === 'SYN_STREAM') {
    type = FrameType.SYN_STREAM;
    fixed = Buffer.alloc(10);
    fixed.writeUInt32BE(streamIdOf(f.streamId), 0);
    fixed.writeUInt32BE(u31(f.associatedStreamId, 'associated stream id'), 4);
    fixed.writeUInt8((f.priority & 0x7) << 5, 8);
    fixed.writeUInt8(f.slot & 0xff, 9);
    if (f.unidirectional) flags |= FLAG_UNIDIRECTIONAL;
  } else {
    type = f.type === 'SYN_REPLY' ? FrameType.SYN_REPLY : FrameType.HEADERS;
    fixed = Buffer.alloc(4);
    fixed.writeUInt32BE(streamIdOf(f.streamId), 0);
  }
  const block = await compressor.compress(encodeHeaderBlock(f.headers));
  const length = fixed.length + block.length;
  if (length > MAX_FRAME_LENGTH) throw new RangeError('header block too large for a frame');
  return Buffer.concat([controlHeader(type, flags, length), fixed, block]);
}

export interface FrameEncoder {
  /** Serializes frames, resolving in call order; header blocks share this encoder's zlib context. */
  encode(frame: SpdyFrame): Promise<Buffer>;
  /** Compresses through this encoder's context: header frames only, for callers that order frames themselves. */
  encodeHeaderFrame(frame: HeaderFrame): Promise<Buffer>;
  close(): void;
}

/** One per connection direction: header compression state carries from frame to frame. */
export function createFrameEncoder(): FrameEncoder {
  const compressor = createHeaderCompressor();
  let last: Promise<unknown> = Promise.resolve();
  return {
    encode(f) {
      const p = last.then(() => (hasHeaderBlock(f) ? encodeHeaderFrame(f, compressor) : encodeSimpleFrame(f)));
      last = p.catch(() => {});
      return p;
    },
    encodeHeaderFrame: (f) => encodeHeaderFrame(f, compressor),
    close: () => compressor.close(),
  };
}

export interface FrameParserOptions {
  onFrame(frame: SpdyFrame): void;
  /** Called once with the first SpdyProtocolError; the parser then ignores all further input. */
  onError(err: SpdyProtocolError): void;
  /** Largest control frame payload accepted (default 1 MiB; kubectl's are tens of bytes). */
  maxControlFrameSize?: number;
  /** Largest data frame payload accepted (default: what the 24-bit length allows). */
  maxDataFrameSize?: number;
  /** Largest decompressed header block (default 1 MiB). */
  maxHeaderBlockSize?: number;
  /**
   * Pass DATA payload on as it arrives: a frame whose payload comes in several chunks is delivered
   * as several DATA frames of the same stream, in order, views of those chunks, FIN on the last.
   * Whole frames would be joined into a new buffer whenever the transport split them (the tunnel
   * WebSocket brings kubectl's 32 KiB frames in 16 KiB TLS records: every byte copied once more).
   */
  dataPieces?: boolean;
}

export interface FrameParser {
  /** Feeds bytes as they arrive, split anywhere. Never throws. */
  push(chunk: Buffer): void;
  /** Stops delivering frames (the connection is going away) and frees the zlib context. */
  stop(): void;
  readonly failed: boolean;
  /** Bytes received and not yet delivered as frames. */
  readonly buffered: number;
  /** Resolves once every whole frame received so far has been delivered (or the parser failed). */
  whenIdle(): Promise<void>;
}

/** A control frame checked and decoded up to its header block, which still needs inflating. */
interface PendingHeaders {
  block: Buffer;
  complete(headers: SpdyHeaders): SpdyFrame;
}

/**
 * Incremental reader. Frames are delivered whole (DATA payload in pieces with `dataPieces`) and in
 * order: synchronously from push() unless a frame before them is having its header block inflated
 * (zlib runs off the main thread).
 */
export function createFrameParser(opts: FrameParserOptions): FrameParser {
  const maxControl = opts.maxControlFrameSize ?? 1 << 20;
  const maxData = opts.maxDataFrameSize ?? MAX_FRAME_LENGTH;
  const pieces = opts.dataPieces === true;
  const decompressor = createHeaderDecompressor(opts.maxHeaderBlockSize ?? 1 << 20);
  const chunks: Buffer[] = [];
  let total = 0;
  // Frames cut out of the byte stream, waiting behind a header block being inflated.
  const queue: (SpdyFrame | PendingHeaders)[] = [];
  let queuedBytes = 0;
  let inflating = false;
  let stopped = false;
  let failed = false;
  let draining = false;
  const idleWaiters: (() => void)[] = [];
  const notifyIdle = () => {
    if ((queue.length && !stopped && !failed) || inflating) return;
    for (const w of idleWaiters.splice(0)) w();
  };

  // Received chunks from `head` on (an index, not shift(): a frame arriving in thousands of tiny
  // pieces must not cost a quadratic number of moves).
  let head = 0;
  const dropConsumed = () => {
    if (head > 64 && head * 2 > chunks.length) {
      chunks.splice(0, head);
      head = 0;
    }
  };
  // The 8 bytes of the next frame header, without consuming them: a view when they are in one
  // chunk, else copied into one buffer kept for it (kubectl's header words come in chunks of their own).
  const headerScratch = Buffer.alloc(8);
  const peekHeader = (): Buffer => {
    const first = chunks[head]!;
    if (first.length >= 8) return first;
    let off = 0;
    for (let i = head; off < 8; i++) {
      const c = chunks[i]!;
      for (let j = 0; j < c.length && off < 8; j++) headerScratch[off++] = c[j]!;
    }
    return headerScratch;
  };
  // Consumes n buffered bytes that were read already (a frame header).
  const skip = (n: number) => {
    total -= n;
    while (n > 0) {
      const c = chunks[head]!;
      if (c.length > n) {
        chunks[head] = c.subarray(n);
        break;
      }
      n -= c.length;
      head++;
    }
    dropConsumed();
  };
  // take()'s last result was a view of memory this big (the ArrayBuffer under the chunk it came
  // in, which it keeps alive), or 0: a fresh buffer of its own.
  let takenFrom = 0;
  const take = (n: number): Buffer => {
    takenFrom = 0;
    if (n === 0) return Buffer.alloc(0);
    total -= n;
    const first = chunks[head]!;
    if (first.length >= n) {
      takenFrom = first.buffer.byteLength;
      if (first.length === n) {
        head++;
        dropConsumed();
        return first;
      }
      chunks[head] = first.subarray(n);
      dropConsumed();
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = chunks[head]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) head++;
      else chunks[head] = c.subarray(k);
    }
    dropConsumed();
    return out;
  };

  // With `pieces`: the DATA frame whose payload is being passed on, and how much of it is still to
  // come (-1: none is).
  let dataStream = 0;
  let dataFin = false;
  let dataLeft = -1;

  const halt = () => {
    dataLeft = -1;
    chunks.length = 0;
    head = 0;
    total = 0;
    queue.length = 0;
    queuedBytes = 0;
    decompressor.close();
  };

  const fail = (err: unknown) => {
    if (failed || stopped) return;
    failed = true;
    halt();
    const e = isSpdyProtocolError(err) ? err : spdyProtocolError(`malformed frame: ${(err as Error)?.message ?? String(err)}`);
    try {
      opts.onError(e);
    } catch {
      // the error report is the last thing this parser does; a throwing handler changes nothing
    }
    notifyIdle();
  };

  const sizeOf = (item: SpdyFrame | PendingHeaders) =>
    ('block' in item ? item.block.length : item.type === 'DATA' ? item.data.length : 0) + 8;

  // Delivers queued frames until one needs inflating; that one resumes the loop when done.
  const deliver = () => {
    while (!inflating && queue.length && !stopped && !failed) {
      const item = queue[0]!;
      if ('block' in item) {
        inflating = true;
        decompressor.decompress(item.block).then(
          (block) => {
            inflating = false;
            if (stopped || failed) return notifyIdle();
            try {
              queue[0] = item.complete(decodeHeaderBlock(block));
            } catch (err) {
              fail(err);
              return notifyIdle();
            }
            deliver();
          },
          (err: unknown) => {
            inflating = false;
            fail(err);
            notifyIdle();
          },
        );
        return;
      }
      queue.shift();
      queuedBytes -= sizeOf(item);
      try {
        opts.onFrame(item);
      } catch (err) {
        return fail(err);
      }
    }
    notifyIdle();
  };

  const decodeControl = (type: number, flags: number, p: Buffer): SpdyFrame | PendingHeaders => {
    const fin = (flags & FLAG_FIN) !== 0;
    const exact = (n: number, name: string) => {
      if (p.length !== n) throw spdyProtocolError(`${name} frame has length ${p.length}, want ${n}`);
    };
    const atLeast = (n: number, name: string) => {
      if (p.length < n) throw spdyProtocolError(`${name} frame has length ${p.length}, want at least ${n}`);
    };
    const nonZero = (id: number, name: string) => {
      if (id === 0) throw spdyProtocolError(`${name} frame for stream id 0`);
      return id;
    };
    switch (type) {
      case FrameType.SYN_STREAM: {
        atLeast(10, 'SYN_STREAM');
        const streamId = nonZero(p.readUInt32BE(0) & MAX_STREAM_ID, 'SYN_STREAM');
        const associatedStreamId = p.readUInt32BE(4) & MAX_STREAM_ID;
        const priority = p[8]! >> 5;
        const slot = p[9]!;
        const unidirectional = (flags & FLAG_UNIDIRECTIONAL) !== 0;
        return {
          block: p.subarray(10),
          complete: (headers) => ({ type: 'SYN_STREAM', streamId, associatedStreamId, priority, slot, fin, unidirectional, headers }),
        };
      }
      case FrameType.SYN_REPLY:
      case FrameType.HEADERS: {
        const name = type === FrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS';
        atLeast(4, name);
        const streamId = nonZero(p.readUInt32BE(0) & MAX_STREAM_ID, name);
        return { block: p.subarray(4), complete: (headers) => ({ type: name, streamId, fin, headers }) };
      }
      case FrameType.RST_STREAM: {
        exact(8, 'RST_STREAM');
        const streamId = nonZero(p.readUInt32BE(0) & MAX_STREAM_ID, 'RST_STREAM');
        const status = p.readUInt32BE(4);
        if (status === 0) throw spdyProtocolError('RST_STREAM frame with status 0');
        return { type: 'RST_STREAM', streamId, status };
      }
      case FrameType.SETTINGS: {
        atLeast(4, 'SETTINGS');
        const n = p.readUInt32BE(0);
        exact(4 + 8 * n, 'SETTINGS');
        const entries: { id: number; flags: number; value: number }[] = [];
        for (let i = 0; i < n; i++) {
          const w = p.readUInt32BE(4 + 8 * i);
          entries.push({ flags: w >>> 24, id: w & 0xffffff, value: p.readUInt32BE(8 + 8 * i) });
        }
        return { type: 'SETTINGS', clearSettings: (flags & FLAG_CLEAR_SETTINGS) !== 0, entries };
      }
      case FrameType.PING: {
        exact(4, 'PING');
        const id = p.readUInt32BE(0);
        if (id === 0) throw spdyProtocolError('PING frame with id 0');
        return { type: 'PING', id };
      }
      case FrameType.GOAWAY: {
        exact(8, 'GOAWAY');
        return { type: 'GOAWAY', lastGoodStreamId: p.readUInt32BE(0) & MAX_STREAM_ID, status: p.readUInt32BE(4) };
      }
      case FrameType.WINDOW_UPDATE: {
        exact(8, 'WINDOW_UPDATE');
        return { type: 'WINDOW_UPDATE', streamId: p.readUInt32BE(0) & MAX_STREAM_ID, delta: p.readUInt32BE(4) & MAX_STREAM_ID };
      }
    }
    throw spdyProtocolError(`unknown control frame type ${type}`);
  };

  const enqueue = (item: SpdyFrame | PendingHeaders) => {
    // Nothing waiting before it (the usual case): straight on.
    if (!queue.length && !inflating && !('block' in item)) {
      try {
        opts.onFrame(item);
      } catch (err) {
        return fail(err);
      }
      if (idleWaiters.length) notifyIdle();
      return;
    }
    queue.push(item);
    queuedBytes += sizeOf(item);
    deliver();
  };

  // The current DATA frame's payload as far as it came, one piece per chunk; false if more is to come.
  const cutPayload = (): boolean => {
    while (dataLeft >= 0 && !stopped && !failed) {
      if (dataLeft > 0 && total === 0) return false;
      const n = Math.min(dataLeft, chunks[head]?.length ?? 0);
      let data = take(n);
      // As for whole frames below, a piece small beside the memory it came in is copied.
      if (takenFrom > 4 * n) data = Buffer.from(data);
      dataLeft -= n;
      const last = dataLeft === 0;
      if (last) dataLeft = -1;
      enqueue({ type: 'DATA', streamId: dataStream, fin: last && dataFin, data });
    }
    return true;
  };

  // Cuts whole frames out of the buffered bytes.
  const cut = () => {
    for (;;) {
      if (dataLeft >= 0 && !cutPayload()) return;
      if (stopped || failed || total < 8) return;
      const h = peekHeader();
      const w0 = h.readUInt32BE(0);
      const flags = h[4]!;
      const length = h.readUInt32BE(4) & 0xffffff;
      let item: SpdyFrame | PendingHeaders;
      // Header checks come before waiting for the payload: a bad or huge frame fails at once.
      if ((w0 & 0x80000000) !== 0) {
        const version = (w0 >>> 16) & 0x7fff;
        const type = w0 & 0xffff;
        if (version !== SPDY_VERSION) throw spdyProtocolError(`unsupported SPDY version ${version}`);
        if (!CONTROL_TYPES.has(type)) throw spdyProtocolError(`unknown control frame type ${type}`);
        if (length > maxControl) throw spdyProtocolError(`control frame of ${length} bytes exceeds the limit of ${maxControl}`);
        if (total < 8 + length) return;
        skip(8);
        // Copy: the frame may wait in the queue and must not pin the chunk it came in.
        item = decodeControl(type, flags, Buffer.from(take(length)));
      } else {
        const streamId = w0 & MAX_STREAM_ID;
        if (streamId === 0) throw spdyProtocolError('data frame for stream id 0');
        if (length > maxData) throw spdyProtocolError(`data frame of ${length} bytes exceeds the limit of ${maxData}`);
        if (pieces) {
          skip(8);
          dataStream = streamId;
          dataFin = (flags & FLAG_FIN) !== 0;
          dataLeft = length;
          continue;
        }
        if (total < 8 + length) return;
        skip(8);
        // A payload that is most of the memory it came in is passed on as a view (no copy of every
        // forwarded byte); a small one is copied so that it does not pin a big chunk while it waits.
        let data = take(length);
        if (takenFrom > 2 * length) data = Buffer.from(data);
        item = { type: 'DATA', streamId, fin: (flags & FLAG_FIN) !== 0, data };
      }
      enqueue(item);
    }
  };

  return {
    push(chunk) {
      if (stopped || failed || !chunk.length) return;
      chunks.push(chunk);
      total += chunk.length;
      // onFrame may feed us again (an in-memory loopback): the outer loop picks the bytes up.
      if (draining) return;
      draining = true;
      try {
        cut();
      } catch (err) {
        fail(err);
      } finally {
        draining = false;
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      halt();
      notifyIdle();
    },
    get failed() {
      return failed;
    },
    get buffered() {
      return total + queuedBytes;
    },
    whenIdle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyIdle();
      });
    },
  };
}
