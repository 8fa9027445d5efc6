// SPDY/3 name/value header blocks and their zlib compression with the SPDY/3 dictionary: one
// context per direction for the connection's lifetime, each block ending on a sync flush.
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { MAX_FRAME_LENGTH, spdyProtocolError, type SpdyHeaders } from './protocol.js';

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
  /** A 32-bit length, then that many bytes of UTF-8. */
  const text = (what: string) => {
    need(4, `${what} length`);
    const len = block.readUInt32BE(off);
    off += 4;
    need(len, what);
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  need(4, 'count');
  const count = block.readUInt32BE(off);
  off += 4;
  // Every pair takes at least 8 bytes: refuse absurd counts before looping over them.
  if (count * 8 > block.length - off) throw spdyProtocolError(`truncated header block (${count} pairs announced)`);
  const headers: SpdyHeaders = Object.create(null) as SpdyHeaders;
  for (let i = 0; i < count; i++) {
    const name = text('name');
    const value = text('value');
    if (!name) throw spdyProtocolError('header block has an empty header name');
    if (name !== name.toLowerCase()) throw spdyProtocolError(`header was not lowercased: ${JSON.stringify(name)}`);
    if (Object.prototype.hasOwnProperty.call(headers, name))
      throw spdyProtocolError(`multiple headers with same name: ${JSON.stringify(name)}`);
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
