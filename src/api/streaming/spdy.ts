// SPDY/3.1, the multiplexing layer kubectl speaks for port-forward (and exec/attach when WebSockets
// are off): the frame codec and a server-side session over any byte transport (an upgraded socket,
// or a WebSocket carrying SPDY as a byte stream).
//
// The peer that matters is Go's github.com/moby/spdystream, which shapes what we do:
// - Header blocks are zlib-compressed with the SPDY/3 dictionary, one compression context per
//   direction for the whole connection, each block ending on a sync flush.
// - It never sends WINDOW_UPDATE and ignores the ones it gets (and SETTINGS): SPDY/3.1 flow-control
//   windows are not enforced by either side. We neither send nor honour them; backpressure is the
//   transport's (we stop reading it while a stream's reader is behind, as spdystream's frame workers
//   block on an unbuffered channel) and per stream on output (a stream's writer waits while the
//   transport is full).
// - A stream it opens waits for SYN_REPLY (30 s) before sending data; rejecting it is RST_STREAM
//   CANCEL. It sends PINGs with odd ids every 5 s (10 s over the WebSocket tunnel) and expects them
//   echoed. Closing a connection resets the open streams, sends GOAWAY and closes the transport.
// - Frames are read whole and then decoded; anything malformed ends the connection.
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
const FLAG_CLEAR_SETTINGS = 0x01;

/** The largest payload a frame's 24-bit length can describe. */
export const MAX_FRAME_LENGTH = 0xffffff;
const MAX_STREAM_ID = 0x7fffffff;

/** Header names (lower case) to values; a SPDY value holding NULs is several values. */
export type SpdyHeaders = Record<string, string[]>;

export type SpdyFrame =
  | { type: 'DATA'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'SYN_STREAM';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      slot: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
    }
  | { type: 'SYN_REPLY'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'RST_STREAM'; streamId: number; status: number }
  | { type: 'SETTINGS'; clearSettings: boolean; entries: { id: number; flags: number; value: number }[] }
  | { type: 'PING'; id: number }
  | { type: 'GOAWAY'; lastGoodStreamId: number; status: number }
  | { type: 'HEADERS'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'WINDOW_UPDATE'; streamId: number; delta: number };

export interface SpdyProtocolError extends Error {
  code: 'ERR_SPDY_PROTOCOL';
}

export function spdyProtocolError(message: string): SpdyProtocolError {
  return Object.assign(new Error(message), { code: 'ERR_SPDY_PROTOCOL' as const });
}

export function isSpdyProtocolError(err: unknown): err is SpdyProtocolError {
  return err instanceof Error && (err as { code?: unknown }).code === 'ERR_SPDY_PROTOCOL';
}

// ---------------------------------------------------------------------------------------------
// Name/value header blocks

/** The uncompressed name/value block: count, then (length, name, length, value) pairs, 32-bit BE. */
export function encodeHeaderBlock(headers: Record<string, string | string[]>): Buffer {
  const parts: Buffer[] = [];
  const names = Object.keys(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(names.length, 0);
  parts.push(count);
  for (const name of names) {
    const raw = headers[name]!;
    const value = Buffer.from(Array.isArray(raw) ? raw.join('\0') : raw, 'utf8');
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length, 0);
    const vlen = Buffer.alloc(4);
    vlen.writeUInt32BE(value.length, 0);
    parts.push(len, n, vlen, value);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed name/value block; malformed blocks throw a SpdyProtocolError. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let off = 0;
  const need = (n: number, what: string) => {
    if (block.length - off < n) throw spdyProtocolError(`truncated header block (${what})`);
  };
  need(4, 'count');
  const count = block.readUInt32BE(off);
  off += 4;
  // Every pair takes at least 8 bytes: refuse absurd counts before looping over them.
  if (count * 8 > block.length - off) throw spdyProtocolError(`truncated header block (${count} pairs announced)`);
  const headers: SpdyHeaders = Object.create(null) as SpdyHeaders;
  for (let i = 0; i < count; i++) {
    need(4, 'name length');
    const nlen = block.readUInt32BE(off);
    off += 4;
    need(nlen, 'name');
    const name = block.toString('utf8', off, off + nlen);
    off += nlen;
    need(4, 'value length');
    const vlen = block.readUInt32BE(off);
    off += 4;
    need(vlen, 'value');
    const value = block.toString('utf8', off, off + vlen);
    off += vlen;
    if (!name) throw spdyProtocolError('header block has an empty header name');
    if (name !== name.toLowerCase()) throw spdyProtocolError(`header was not lowercased: ${JSON.stringify(name)}`);
    if (Object.prototype.hasOwnProperty.call(headers, name)) throw spdyProtocolError(`multiple headers with same name: ${JSON.stringify(name)}`);
    headers[name] = value.split('\0');
  }
  if (off !== block.length) throw spdyProtocolError(`header block has ${block.length - off} bytes after its last header`);
  return headers;
}

/** First value of a header, by case-insensitive name. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

// zlib with one context per direction for the connection's lifetime. Node's zlib streams are
// asynchronous (thread pool), so each block is one serialized operation: write it, sync-flush, and
// collect what came out before the flush completed. Callers keep frames in order around it.
interface ZlibRunner {
  run(input: Buffer): Promise<Buffer>;
  close(): void;
}

function zlibRunner(z: zlib.Deflate | zlib.Inflate, maxOutput: number): ZlibRunner {
  let chain: Promise<unknown> = Promise.resolve();
  let failure: Error | undefined;
  let collect: ((c: Buffer) => void) | undefined;
  let fail: ((err: Error) => void) | undefined;
  z.on('data', (c: Buffer) => collect?.(c));
  z.on('error', (err: Error) => {
    failure ??= err;
    fail?.(err);
  });
  const once = (input: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      if (failure || z.destroyed) return reject(failure ?? new Error('zlib stream closed'));
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (err?: Error | null) => {
        if (done) return;
        done = true;
        collect = undefined;
        fail = undefined;
        if (err) reject(err);
        else resolve(Buffer.concat(chunks, size));
      };
      collect = (c) => {
        size += c.length;
        chunks.push(c);
        if (size > maxOutput) {
          failure = new Error(`output exceeds ${maxOutput} bytes`);
          finish(failure);
          z.destroy();
        }
      };
      fail = finish;
      z.write(input);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => finish(failure));
    });
  return {
    run(input) {
      const p = chain.then(() => once(input));
      chain = p.catch(() => {});
      return p;
    },
    close() {
      failure ??= new Error('zlib stream closed');
      z.close();
    },
  };
}

export interface HeaderCompressor {
  /** Compressed blocks come back in call order. */
  compress(block: Buffer): Promise<Buffer>;
  close(): void;
}

export interface HeaderDecompressor {
  /** Rejects with a SpdyProtocolError on corrupt input or output larger than the limit. */
  decompress(data: Buffer): Promise<Buffer>;
  close(): void;
}

export function createHeaderCompressor(): HeaderCompressor {
  const r = zlibRunner(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION }), MAX_FRAME_LENGTH);
  return { compress: (block) => r.run(block), close: () => r.close() };
}

export function createHeaderDecompressor(maxOutput = 1 << 20): HeaderDecompressor {
  const r = zlibRunner(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }), maxOutput);
  return {
    decompress: (data) =>
      r.run(data).catch((err: Error) => {
        throw spdyProtocolError(`invalid compressed header block: ${err.message}`);
      }),
    close: () => r.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Frames

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

/** Serializes a frame that carries no header block (no compression context involved). */
export function encodeSimpleFrame(f: SimpleFrame): Buffer {
  switch (f.type) {
    case 'DATA': {
      if (f.data.length > MAX_FRAME_LENGTH) throw new RangeError('data frame payload too large');
      const b = Buffer.allocUnsafe(8 + f.data.length);
      b.writeUInt32BE(streamIdOf(f.streamId), 0);
      b.writeUInt32BE((((f.fin ? FLAG_FIN : 0) << 24) | f.data.length) >>> 0, 4);
      f.data.copy(b, 8);
      return b;
    }
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
 * Incremental reader. Frames are delivered whole and in order: synchronously from push() unless a
 * frame before them is having its header block inflated (zlib runs off the main thread).
 */
export function createFrameParser(opts: FrameParserOptions): FrameParser {
  const maxControl = opts.maxControlFrameSize ?? 1 << 20;
  const maxData = opts.maxDataFrameSize ?? MAX_FRAME_LENGTH;
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
  // Copies the first n buffered bytes out without consuming them (n is small: a frame header).
  const peek = (n: number): Buffer => {
    const first = chunks[head]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    for (let i = head; off < n; i++) {
      const c = chunks[i]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
    }
    return out;
  };
  const take = (n: number): Buffer => {
    if (n === 0) return Buffer.alloc(0);
    total -= n;
    const first = chunks[head]!;
    if (first.length >= n) {
      if (first.length === n) head++;
      else chunks[head] = first.subarray(n);
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

  const halt = () => {
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

  const sizeOf = (item: SpdyFrame | PendingHeaders) => ('block' in item ? item.block.length : item.type === 'DATA' ? item.data.length : 0) + 8;

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

  // Cuts whole frames out of the buffered bytes.
  const cut = () => {
    while (!stopped && !failed && total >= 8) {
      const h = peek(8);
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
        take(8);
        // Copy: the frame may wait in the queue and must not pin the chunk it came in.
        item = decodeControl(type, flags, Buffer.from(take(length)));
      } else {
        const streamId = w0 & MAX_STREAM_ID;
        if (streamId === 0) throw spdyProtocolError('data frame for stream id 0');
        if (length > maxData) throw spdyProtocolError(`data frame of ${length} bytes exceeds the limit of ${maxData}`);
        if (total < 8 + length) return;
        take(8);
        item = { type: 'DATA', streamId, fin: (flags & FLAG_FIN) !== 0, data: Buffer.from(take(length)) };
      }
      queue.push(item);
      queuedBytes += sizeOf(item);
      deliver();
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

// ---------------------------------------------------------------------------------------------
// Transports

/** Any ordered, reliable byte pipe. */
export interface ByteTransport {
  /** Queues bytes; returning false means "full": wait for onDrain before writing much more. */
  write(buf: Buffer): boolean | void;
  /** Flushes what is queued, then closes. */
  end(): void;
  /** Closes at once, dropping what is queued. */
  destroy?(): void;
  onData(cb: (buf: Buffer) => void): void;
  /** Called once when the transport is closed or failed, whichever side closed it. */
  onClose(cb: (err?: Error) => void): void;
  onDrain?(cb: () => void): void;
  /** Stop and restart delivering data (inbound backpressure). */
  pause?(): void;
  resume?(): void;
}

function isDuplex(t: ByteTransport | Duplex): t is Duplex {
  const d = t as Partial<Duplex>;
  return t instanceof Duplex || (typeof d.pipe === 'function' && typeof d.on === 'function');
}

/** Adapts a Node Duplex (an upgraded net/TLS socket). */
export function duplexTransport(d: Duplex): ByteTransport {
  return {
    write: (b) => d.write(b),
    end: () => {
      // Flush, then close both ways: a socket with allowHalfOpen would otherwise keep reading.
      if (d.writableFinished) return void d.destroy();
      d.once('finish', () => d.destroy());
      d.end();
    },
    destroy: () => d.destroy(),
    onData: (cb) => {
      d.on('data', cb);
    },
    onClose: (cb) => {
      let done = false;
      const once = (err?: Error) => {
        if (done) return;
        done = true;
        cb(err);
      };
      d.on('error', (err: Error) => once(err));
      d.on('end', () => once());
      d.on('close', () => once());
    },
    onDrain: (cb) => {
      d.on('drain', cb);
    },
    pause: () => d.pause(),
    resume: () => d.resume(),
  };
}

// ---------------------------------------------------------------------------------------------
// Session

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
