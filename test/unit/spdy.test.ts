import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../src/streaming/spdy/dictionary.js';
import {
  createFrameEncoder,
  createFrameParser,
  createHeaderCompressor,
  createHeaderDecompressor,
  createSpdySession,
  decodeHeaderBlock,
  encodeHeaderBlock,
  encodeDataFrameHeader,
  encodeSimpleFrame,
  GoAwayStatus,
  RstStatus,
  type ByteTransport,
  type SpdyFrame,
  type SpdyStream,
} from '../../src/streaming/spdy/index.js';

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

const tick = () => new Promise((r) => setImmediate(r));

/** Parses everything in `bufs` with a fresh parser, waiting for header blocks to be inflated. */
async function parseAll(bufs: Buffer[], opts: { maxDataFrameSize?: number } = {}) {
  const frames: SpdyFrame[] = [];
  const errors: Error[] = [];
  const p = createFrameParser({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e), ...opts });
  for (const b of bufs) p.push(b);
  await p.whenIdle();
  return { frames, errors, parser: p };
}

/** Frames with payloads as base64: deep equality over big Buffers is slow in vitest. */
const norm = (frames: SpdyFrame[]) => frames.map((f) => (f.type === 'DATA' ? { ...f, data: f.data.toString('base64') } : f));

const sample = (): SpdyFrame[] => [
  {
    type: 'SYN_STREAM',
    streamId: 1,
    associatedStreamId: 0,
    priority: 3,
    slot: 0,
    fin: false,
    unidirectional: false,
    headers: { streamtype: ['error'], port: ['8080'], requestid: ['0'] },
  },
  { type: 'SYN_REPLY', streamId: 1, fin: false, headers: {} },
  { type: 'DATA', streamId: 1, fin: false, data: Buffer.from('hello') },
  { type: 'DATA', streamId: 1, fin: true, data: Buffer.alloc(0) },
  { type: 'HEADERS', streamId: 3, fin: true, headers: { 'x-multi': ['a', 'b', ''] } },
  { type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL },
  {
    type: 'SETTINGS',
    clearSettings: true,
    entries: [
      { id: 7, flags: 1, value: 65536 },
      { id: 4, flags: 0, value: 100 },
    ],
  },
  { type: 'PING', id: 0xfffffffe },
  { type: 'GOAWAY', lastGoodStreamId: 5, status: GoAwayStatus.PROTOCOL_ERROR },
  { type: 'WINDOW_UPDATE', streamId: 0, delta: 0x7fffffff },
  { type: 'DATA', streamId: 0x7fffffff, fin: false, data: Buffer.alloc(70_000, 7) },
];

describe('SPDY/3 dictionary', () => {
  it('is the 1423 bytes whose Adler-32 names it in every compressed header stream', async () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    const out = await createHeaderCompressor().compress(encodeHeaderBlock({ a: 'b' }));
    // zlib header: CMF, FLG with FDICT set, then DICTID.
    expect(out[1]! & 0x20).toBe(0x20);
    expect(out.readUInt32BE(2)).toBe(0xe3c6a7c2);
    // A sync flush ends every block.
    expect(out.subarray(-4)).toEqual(Buffer.from([0, 0, 0xff, 0xff]));
  });
});

describe('header blocks', () => {
  it('round-trip names, several values and empty values', () => {
    const h = { streamtype: ['data'], 'x-v': ['1', '', '3'], e: [''] };
    expect(decodeHeaderBlock(encodeHeaderBlock(h))).toEqual(h);
  });

  it('lower-cases names on the way out and refuses upper case, duplicates and junk on the way in', () => {
    expect(Object.keys(decodeHeaderBlock(encodeHeaderBlock({ StreamType: 'x' })))).toEqual(['streamtype']);
    const raw = (pairs: [string, string][], extra = Buffer.alloc(0)) => {
      const parts = [Buffer.alloc(4)];
      parts[0]!.writeUInt32BE(pairs.length);
      for (const [n, v] of pairs) {
        for (const s of [n, v]) {
          const l = Buffer.alloc(4);
          l.writeUInt32BE(Buffer.byteLength(s));
          parts.push(l, Buffer.from(s));
        }
      }
      return Buffer.concat([...parts, extra]);
    };
    expect(() => decodeHeaderBlock(raw([['Port', '1']]))).toThrow(/not lowercased/);
    expect(() =>
      decodeHeaderBlock(
        raw([
          ['port', '1'],
          ['port', '2'],
        ]),
      ),
    ).toThrow(/same name/);
    expect(() => decodeHeaderBlock(raw([['', '1']]))).toThrow(/empty header name/);
    expect(() => decodeHeaderBlock(raw([['port', '1']], Buffer.from('x')))).toThrow(/after its last header/);
    const truncated = raw([['port', '8080']]);
    truncated.writeUInt32BE(3, 0);
    expect(() => decodeHeaderBlock(truncated)).toThrow(/truncated/);
    expect(() => decodeHeaderBlock(truncated.subarray(0, 10))).toThrow(/truncated/);
  });

  it('share one compression context per direction across frames', async () => {
    const c = createHeaderCompressor();
    const d = createHeaderDecompressor();
    const h = { streamtype: ['data'], port: ['8080'], requestid: ['12'] };
    // Issued together: they must still come out in order, each a whole block.
    const blocks = await Promise.all([1, 2, 3].map(() => c.compress(encodeHeaderBlock(h))));
    // The repeats are back-references into the first block: far smaller.
    expect(blocks[1]!.length).toBeLessThan(blocks[0]!.length / 2);
    for (const b of blocks) expect(decodeHeaderBlock(await d.decompress(b))).toEqual(h);
    // A later block cannot be read without the earlier ones.
    await expect(createHeaderDecompressor().decompress(blocks[1]!)).rejects.toMatchObject({ code: 'ERR_SPDY_PROTOCOL' });
  });

  it('compress and inflate blocks larger than zlib chunks, many in a row', async () => {
    const c = createHeaderCompressor();
    const d = createHeaderDecompressor();
    let seed = 7;
    const noise = (n: number) =>
      Buffer.from(Array.from({ length: n }, () => (seed = (seed * 48271) % 2147483647) & 0xff)).toString('base64');
    const blocks = Array.from({ length: 30 }, (_, i) => ({ ['x-' + i]: [noise(i * 3000)], port: [String(i)] }));
    const compressed = await Promise.all(blocks.map((h) => c.compress(encodeHeaderBlock(h))));
    for (let i = 0; i < blocks.length; i++) expect(decodeHeaderBlock(await d.decompress(compressed[i]!))).toEqual(blocks[i]);
  });

  it('refuse a block that inflates past the limit', async () => {
    const big = await createHeaderCompressor().compress(encodeHeaderBlock({ a: 'x'.repeat(200_000) }));
    await expect(createHeaderDecompressor(64 * 1024).decompress(big)).rejects.toThrow(/exceeds 65536 bytes/);
  });

  it('read what another zlib with the dictionary compressed (sync flush per block)', async () => {
    const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    deflate.write(encodeHeaderBlock({ streamtype: 'error', port: '80' }));
    await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    expect(decodeHeaderBlock(await createHeaderDecompressor().decompress(Buffer.concat(chunks)))).toEqual({
      streamtype: ['error'],
      port: ['80'],
    });
  });
});

describe('frame codec', () => {
  it('round-trips every frame type through one encoder and one parser', async () => {
    const enc = createFrameEncoder();
    const frames = sample();
    const { frames: out, errors } = await parseAll(await Promise.all(frames.map((f) => enc.encode(f))));
    expect(errors).toEqual([]);
    expect(norm(out)).toEqual(norm(frames));
  });

  it('parses the same bytes fed one byte at a time and in random splits', async () => {
    const enc = createFrameEncoder();
    const frames = [...sample(), ...sample(), ...sample()];
    const wire = Buffer.concat(await Promise.all(frames.map((f) => enc.encode(f))));
    // Each run needs a fresh decompression context: a new parser per feeding.
    const bytewise = await parseAll([...wire].map((b) => Buffer.of(b)));
    expect(bytewise.errors).toEqual([]);
    expect(norm(bytewise.frames)).toEqual(norm(frames));
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 20; round++) {
      const pieces: Buffer[] = [];
      for (let off = 0; off < wire.length;) {
        const n = 1 + rand(round % 2 ? 17 : 40_000);
        pieces.push(wire.subarray(off, off + n));
        off += n;
      }
      const r = await parseAll(pieces);
      expect(r.errors).toEqual([]);
      expect(norm(r.frames)).toEqual(norm(frames));
    }
  });

  it('keeps frames in order behind a header block being inflated', async () => {
    const enc = createFrameEncoder();
    const frames: SpdyFrame[] = [
      { type: 'DATA', streamId: 1, fin: false, data: Buffer.from('a') },
      {
        type: 'SYN_STREAM',
        streamId: 3,
        associatedStreamId: 0,
        priority: 0,
        slot: 0,
        fin: false,
        unidirectional: false,
        headers: { port: ['1'] },
      },
      { type: 'DATA', streamId: 3, fin: false, data: Buffer.from('b') },
      { type: 'PING', id: 1 },
    ];
    const seen: string[] = [];
    const p = createFrameParser({ onFrame: (f) => seen.push(f.type), onError: (e) => seen.push(e.message) });
    p.push(Buffer.concat(await Promise.all(frames.map((f) => enc.encode(f)))));
    expect(seen).toEqual(['DATA']); // the rest waits for zlib
    await p.whenIdle();
    expect(seen).toEqual(['DATA', 'SYN_STREAM', 'DATA', 'PING']);
  });

  it('waits for a whole frame before delivering it', async () => {
    const enc = createFrameEncoder();
    const wire = await enc.encode({ type: 'DATA', streamId: 1, fin: false, data: Buffer.alloc(100, 1) });
    const { frames, parser } = await parseAll([wire.subarray(0, 50)]);
    expect(frames).toEqual([]);
    expect(parser.buffered).toBe(50);
    parser.push(wire.subarray(50));
    expect(frames).toHaveLength(1);
    expect(parser.buffered).toBe(0);
  });

  it('passes a payload that is most of its chunk on as a view of it, and copies a small one out of a big chunk', async () => {
    const enc = createFrameEncoder();
    const big = await enc.encode({ type: 'DATA', streamId: 1, fin: false, data: Buffer.alloc(5000, 2) });
    const small = await enc.encode({ type: 'DATA', streamId: 3, fin: false, data: Buffer.alloc(10, 3) });
    const chunk = Buffer.concat([big, small]);
    const { frames } = await parseAll([chunk]);
    const [a, b] = frames as Extract<SpdyFrame, { type: 'DATA' }>[];
    expect(a!.data.equals(Buffer.alloc(5000, 2))).toBe(true);
    expect(b!.data.equals(Buffer.alloc(10, 3))).toBe(true);
    expect(a!.data.buffer).toBe(chunk.buffer);
    expect(b!.data.buffer).not.toBe(chunk.buffer);
  });

  it('encodes a DATA frame header as the first 8 bytes of the whole frame', () => {
    for (const f of [
      { type: 'DATA' as const, streamId: 5, fin: true, data: Buffer.from('payload') },
      { type: 'DATA' as const, streamId: 0x7fffffff, fin: false, data: Buffer.alloc(70_000, 1) },
    ]) {
      const whole = encodeSimpleFrame(f);
      expect(encodeDataFrameHeader(f).equals(whole.subarray(0, 8))).toBe(true);
      expect(whole.subarray(8).equals(f.data)).toBe(true);
    }
    expect(() => encodeDataFrameHeader({ type: 'DATA', streamId: 0, fin: false, data: Buffer.alloc(1) })).toThrow(/stream id 0/);
  });

  const control = (type: number, payload: Buffer, version = 3, flags = 0, length = payload.length) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8000 | version, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
    return Buffer.concat([h, payload]);
  };

  const malformed: [string, Buffer, RegExp][] = [
    ['a bad version', control(6, Buffer.from([0, 0, 0, 1]), 2), /unsupported SPDY version 2/],
    ['an unknown control frame type', control(5, Buffer.alloc(0)), /unknown control frame type 5/],
    ['a RST_STREAM of the wrong length', control(3, Buffer.from([0, 0, 0, 1])), /RST_STREAM frame has length 4, want 8/],
    ['a PING of the wrong length', control(6, Buffer.alloc(8, 1)), /PING frame has length 8/],
    [
      'a SETTINGS frame whose count disagrees with its length',
      control(4, Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1])),
      /SETTINGS frame has length 12, want 20/,
    ],
    ['a huge control frame', control(1, Buffer.alloc(0), 3, 0, 0xffffff), /exceeds the limit/],
    ['a data frame on stream 0', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), /stream id 0/],
    ['a SYN_STREAM on stream 0', control(1, Buffer.alloc(10)), /stream id 0/],
    [
      'a SYN_STREAM with a corrupt header block',
      control(1, Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('not zlib at all')])),
      /invalid compressed header block/,
    ],
  ];

  for (const [what, bytes, re] of malformed) {
    it(`reports ${what} once, as a protocol error, and reads nothing after`, async () => {
      const after = encodeSimpleFrame({ type: 'PING', id: 1 });
      const { frames, errors, parser } = await parseAll([bytes, after, after]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ERR_SPDY_PROTOCOL' });
      expect(errors[0]!.message).toMatch(re);
      expect(frames).toEqual([]);
      expect(parser.failed).toBe(true);
      expect(() => parser.push(after)).not.toThrow();
    });
  }

  it('reports a truncated header block inside a well-compressed SYN_STREAM', async () => {
    const block = encodeHeaderBlock({ port: '80', streamtype: 'data' });
    block.writeUInt32BE(5, 0); // announces 5 pairs, carries 2
    const compressed = await createHeaderCompressor().compress(block);
    const fixed = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const { errors } = await parseAll([control(1, Buffer.concat([fixed, compressed]))]);
    expect(errors[0]!.message).toMatch(/truncated header block/);
  });

  it('enforces a data frame size limit before buffering the payload', async () => {
    const h = Buffer.from([0, 0, 0, 1, 0, 0x10, 0, 0]); // 1 MiB announced
    const { errors } = await parseAll([h], { maxDataFrameSize: 64 * 1024 });
    expect(errors[0]!.message).toMatch(/exceeds the limit of 65536/);
  });
});

// ---------------------------------------------------------------------------------------------
// Session, against a peer that speaks through the same codec (as kubectl's spdystream would).

interface Peer {
  transport: ByteTransport;
  /** Frames the session sent (sync PINGs left out). */
  frames: SpdyFrame[];
  errors: Error[];
  send(f: SpdyFrame): Promise<void>;
  sendRaw(b: Buffer): void;
  /** Round trip: once our PING comes back, the session has handled and answered all before it. */
  sync(): Promise<void>;
  closePeer(): void;
  ended: boolean;
  paused: boolean;
  full: boolean;
  drain(): void;
  waitFor(pred: (f: SpdyFrame) => boolean): Promise<SpdyFrame>;
}

function memoryPeer(): Peer {
  const enc = createFrameEncoder();
  let onData: (b: Buffer) => void = () => {};
  let onClose: (err?: Error) => void = () => {};
  let onDrain: () => void = () => {};
  let nextSync = 1_000_001;
  const syncIds = new Set<number>();
  const waiters: { pred: (f: SpdyFrame) => boolean; resolve: (f: SpdyFrame) => void }[] = [];
  const all: SpdyFrame[] = [];
  const peer: Peer = {
    frames: [],
    errors: [],
    ended: false,
    paused: false,
    full: false,
    transport: {
      write(b) {
        parser.push(b);
        return !peer.full;
      },
      end() {
        peer.ended = true;
        queueMicrotask(() => onClose());
      },
      onData: (cb) => (onData = cb),
      onClose: (cb) => (onClose = cb),
      onDrain: (cb) => (onDrain = cb),
      pause: () => (peer.paused = true),
      resume: () => (peer.paused = false),
    },
    send: async (f) => onData(await enc.encode(f)),
    sendRaw: (b) => onData(b),
    async sync() {
      const id = (nextSync += 2);
      syncIds.add(id);
      await peer.send({ type: 'PING', id });
      await waitAll((f) => f.type === 'PING' && f.id === id);
    },
    closePeer: () => onClose(),
    drain: () => {
      peer.full = false;
      onDrain();
    },
    waitFor: (pred) => waitAll(pred),
  };
  const waitAll = (pred: (f: SpdyFrame) => boolean) => {
    const seen = all.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<SpdyFrame>((resolve) => waiters.push({ pred, resolve }));
  };
  const parser = createFrameParser({
    onFrame: (f) => {
      all.push(f);
      if (!(f.type === 'PING' && syncIds.has(f.id))) peer.frames.push(f);
      for (const w of [...waiters]) {
        if (w.pred(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    },
    onError: (e) => peer.errors.push(e),
  });
  return peer;
}

const syn = (streamId: number, headers: Record<string, string[]> = {}, fin = false): SpdyFrame => ({
  type: 'SYN_STREAM',
  streamId,
  associatedStreamId: 0,
  priority: 0,
  slot: 0,
  fin,
  unidirectional: false,
  headers,
});

describe('SPDY session', () => {
  it('hands streams over with their headers, replies, and carries data and FIN both ways', async () => {
    const peer = memoryPeer();
    const got: SpdyStream[] = [];
    createSpdySession(peer.transport, {
      onStream: (s) => {
        got.push(s);
        s.reply();
      },
    });
    await peer.send(syn(1, { streamtype: ['data'], port: ['80'] }));
    await peer.sync();
    expect(got).toHaveLength(1);
    const s = got[0]!;
    expect(s.id).toBe(1);
    expect(s.header('streamType')).toBe('data');
    expect(peer.frames).toEqual([{ type: 'SYN_REPLY', streamId: 1, fin: false, headers: {} }]);

    const received: Buffer[] = [];
    let ended = false;
    s.on('data', (c: Buffer) => received.push(c));
    s.on('end', () => (ended = true));
    await peer.send({ type: 'DATA', streamId: 1, fin: false, data: Buffer.from('ping ') });
    await peer.send({ type: 'DATA', streamId: 1, fin: true, data: Buffer.from('pong') });
    await tick();
    expect(Buffer.concat(received).toString()).toBe('ping pong');
    expect(ended).toBe(true);

    // Half-closed by the peer, the stream still writes; end() sends FIN and the stream is done.
    s.write(Buffer.alloc(150_000, 1));
    s.end(Buffer.from('!'));
    await peer.waitFor((f) => f.type === 'DATA' && f.fin);
    const data = peer.frames.filter((f): f is Extract<SpdyFrame, { type: 'DATA' }> => f.type === 'DATA');
    expect(Buffer.concat(data.map((f) => f.data)).length).toBe(150_001);
    expect(Math.max(...data.map((f) => f.data.length))).toBeLessThanOrEqual(64 * 1024);
    await new Promise((r) => s.once('close', r));
    expect(peer.frames.some((f) => f.type === 'RST_STREAM')).toBe(false);
    expect(peer.errors).toEqual([]);
  });

  it('waits with writes until the stream is replied to, then sends them after the SYN_REPLY', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    createSpdySession(peer.transport, { onStream: (s) => (stream = s) });
    await peer.send(syn(1));
    await peer.sync();
    stream.write('early');
    await peer.sync();
    expect(peer.frames).toEqual([]);
    stream.reply({ 'x-a': ['1'] });
    await peer.waitFor((f) => f.type === 'DATA');
    expect(peer.frames.map((f) => f.type)).toEqual(['SYN_REPLY', 'DATA']);
    expect(peer.frames[0]).toMatchObject({ headers: { 'x-a': ['1'] } });
  });

  it('queues streams until a handler is set', async () => {
    const peer = memoryPeer();
    const session = createSpdySession(peer.transport);
    await peer.send(syn(1));
    await peer.send(syn(3));
    await peer.sync();
    const ids: number[] = [];
    session.onStream((s) => ids.push(s.id));
    expect(ids).toEqual([1, 3]);
  });

  it('rejects with RST_STREAM: reset() by the handler, stream ids that do not increase or are even', async () => {
    const peer = memoryPeer();
    createSpdySession(peer.transport, { onStream: (s) => (s.header('ok') ? s.reply() : s.reset()) });
    await peer.send(syn(3));
    await peer.send(syn(1, { ok: ['1'] }));
    await peer.send(syn(6, { ok: ['1'] }));
    await peer.send(syn(7, { ok: ['1'] }));
    await peer.sync();
    expect(peer.frames).toEqual([
      { type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL },
      { type: 'RST_STREAM', streamId: 1, status: RstStatus.PROTOCOL_ERROR },
      { type: 'RST_STREAM', streamId: 6, status: RstStatus.PROTOCOL_ERROR },
      { type: 'SYN_REPLY', streamId: 7, fin: false, headers: {} },
    ]);
  });

  it('a handler that throws resets its stream and reports, without throwing out of the transport', async () => {
    const peer = memoryPeer();
    const errors: Error[] = [];
    createSpdySession(peer.transport, {
      onStream: () => {
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    await expect(peer.send(syn(1))).resolves.toBeUndefined();
    await peer.sync();
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    expect(peer.frames).toEqual([{ type: 'RST_STREAM', streamId: 1, status: RstStatus.INTERNAL_ERROR }]);
  });

  it('echoes the client PINGs (odd ids) only', async () => {
    const peer = memoryPeer();
    createSpdySession(peer.transport);
    await peer.send({ type: 'PING', id: 7 });
    await peer.send({ type: 'PING', id: 8 });
    await peer.sync();
    expect(peer.frames).toEqual([{ type: 'PING', id: 7 }]);
  });

  it('ignores WINDOW_UPDATE and SETTINGS, and data for streams it does not know', async () => {
    const peer = memoryPeer();
    const errors: Error[] = [];
    createSpdySession(peer.transport, { onError: (e) => errors.push(e) });
    await peer.send({ type: 'SETTINGS', clearSettings: false, entries: [{ id: 7, flags: 0, value: 1 }] });
    await peer.send({ type: 'WINDOW_UPDATE', streamId: 0, delta: 100 });
    await peer.send({ type: 'DATA', streamId: 99, fin: false, data: Buffer.from('x') });
    await peer.sync();
    expect(peer.frames).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a peer reset destroys the stream, silently, and writes to it are dropped', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    createSpdySession(peer.transport, {
      onStream: (s) => {
        stream = s;
        s.reply();
      },
    });
    await peer.send(syn(1));
    await peer.sync();
    let errored = false;
    stream.on('error', () => (errored = true));
    await peer.send({ type: 'RST_STREAM', streamId: 1, status: RstStatus.CANCEL });
    await peer.sync();
    expect(stream.destroyed).toBe(true);
    expect(stream.resetByPeer).toBe(RstStatus.CANCEL);
    stream.write('late');
    await peer.sync();
    expect(errored).toBe(false);
    expect(peer.frames.filter((f) => f.type !== 'SYN_REPLY')).toEqual([]);
  });

  it('close() resets streams it has not finished, sends GOAWAY with the last stream id and ends the transport', async () => {
    const peer = memoryPeer();
    const streams: SpdyStream[] = [];
    const session = createSpdySession(peer.transport, {
      onStream: (s) => {
        streams.push(s);
        s.reply();
      },
    });
    await peer.send(syn(1));
    await peer.send(syn(3));
    await peer.sync();
    streams[1]!.end();
    await peer.waitFor((f) => f.type === 'DATA' && f.fin);
    let closed = false;
    session.onClose(() => (closed = true));
    session.close();
    await peer.waitFor((f) => f.type === 'GOAWAY');
    await tick();
    expect(peer.frames.slice(2)).toEqual([
      { type: 'DATA', streamId: 3, fin: true, data: Buffer.alloc(0) },
      { type: 'RST_STREAM', streamId: 1, status: RstStatus.CANCEL },
      { type: 'GOAWAY', lastGoodStreamId: 3, status: GoAwayStatus.OK },
    ]);
    expect(peer.ended).toBe(true);
    expect(closed).toBe(true);
    expect(streams.every((s) => s.destroyed)).toBe(true);
  });

  it('refuses streams opened after its GOAWAY', async () => {
    const peer = memoryPeer();
    const opened: number[] = [];
    const session = createSpdySession(
      {
        ...peer.transport,
        end: () => {}, // keep the transport up to see what follows the GOAWAY
      },
      { onStream: (s) => opened.push(s.id) },
    );
    session.close();
    await peer.send(syn(5));
    await peer.sync();
    expect(opened).toEqual([]);
    expect(peer.frames).toEqual([
      { type: 'GOAWAY', lastGoodStreamId: 0, status: GoAwayStatus.OK },
      { type: 'RST_STREAM', streamId: 5, status: RstStatus.REFUSED_STREAM },
    ]);
  });

  it('malformed input: reported, GOAWAY PROTOCOL_ERROR, transport ended, streams destroyed, nothing thrown', async () => {
    const peer = memoryPeer();
    const errors: Error[] = [];
    let stream!: SpdyStream;
    let closeErr: Error | undefined;
    createSpdySession(peer.transport, {
      onStream: (s) => {
        stream = s;
        s.reply();
      },
      onError: (e) => errors.push(e),
      onClose: (e) => (closeErr = e),
    });
    await peer.send(syn(1));
    await peer.sync();
    expect(() => peer.sendRaw(Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]))).not.toThrow();
    await peer.waitFor((f) => f.type === 'GOAWAY');
    await tick();
    expect(errors.map((e) => e.message)).toEqual(['unsupported SPDY version 2']);
    expect(closeErr?.message).toBe('unsupported SPDY version 2');
    expect(peer.frames.at(-1)).toEqual({ type: 'GOAWAY', lastGoodStreamId: 1, status: GoAwayStatus.PROTOCOL_ERROR });
    expect(peer.ended).toBe(true);
    expect(stream.destroyed).toBe(true);
    // More bytes after the failure are ignored.
    expect(() => peer.sendRaw(encodeSimpleFrame({ type: 'PING', id: 1 }))).not.toThrow();
    await tick();
    expect(peer.frames.filter((f) => f.type === 'PING')).toEqual([]);
  });

  it('a corrupt header block ends the session the same way', async () => {
    const peer = memoryPeer();
    const errors: Error[] = [];
    createSpdySession(peer.transport, { onError: (e) => errors.push(e) });
    const bad = Buffer.concat([Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('garbage!garb')]);
    peer.sendRaw(bad);
    await peer.waitFor((f) => f.type === 'GOAWAY');
    expect(errors[0]?.message).toMatch(/invalid compressed header block/);
    expect(peer.frames).toEqual([{ type: 'GOAWAY', lastGoodStreamId: 0, status: GoAwayStatus.PROTOCOL_ERROR }]);
  });

  it('the transport closing ends the session and its streams', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    const session = createSpdySession(peer.transport, { onStream: (s) => (stream = s) });
    await peer.send(syn(1));
    await peer.sync();
    peer.closePeer();
    await tick();
    expect(session.closed).toBe(true);
    expect(stream.destroyed).toBe(true);
    expect(session.streams.size).toBe(0);
  });

  it('GOAWAY from the peer closes the session once its streams are done', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    const session = createSpdySession(peer.transport, {
      onStream: (s) => {
        stream = s;
        s.reply();
      },
    });
    await peer.send(syn(1));
    await peer.send({ type: 'GOAWAY', lastGoodStreamId: 0, status: 0 });
    await peer.sync();
    expect(session.closed).toBe(false);
    stream.resume();
    stream.end();
    await peer.send({ type: 'DATA', streamId: 1, fin: true, data: Buffer.alloc(0) });
    await peer.waitFor((f) => f.type === 'GOAWAY');
    await tick();
    expect(session.closed).toBe(true);
    expect(peer.ended).toBe(true);
  });

  it('stops reading the transport while a stream reader is behind, and resumes when it catches up', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    createSpdySession(peer.transport, {
      streamHighWaterMark: 1024,
      onStream: (s) => {
        stream = s;
        s.reply();
      },
    });
    await peer.send(syn(1));
    for (let i = 0; i < 4; i++) await peer.send({ type: 'DATA', streamId: 1, fin: false, data: Buffer.alloc(512) });
    await peer.sync(); // (the memory transport keeps delivering while "paused")
    expect(peer.paused).toBe(true);
    let n = 0;
    stream.on('data', (c: Buffer) => (n += c.length));
    await tick();
    expect(n).toBe(2048);
    expect(peer.paused).toBe(false);
  });

  it('holds a writer back while the transport is full', async () => {
    const peer = memoryPeer();
    let stream!: SpdyStream;
    createSpdySession(peer.transport, {
      streamHighWaterMark: 1024,
      onStream: (s) => {
        stream = s;
        s.reply();
      },
    });
    await peer.send(syn(1));
    await peer.sync();
    peer.full = true;
    let calls = 0;
    stream.write(Buffer.alloc(4096), () => calls++);
    await peer.sync();
    expect(calls).toBe(0);
    expect(stream.write(Buffer.alloc(4096))).toBe(false);
    peer.drain();
    await tick();
    expect(calls).toBe(1);
  });

  it('closes after the idle timeout', async () => {
    const peer = memoryPeer();
    const session = createSpdySession(peer.transport, { idleTimeoutMs: 30 });
    await peer.waitFor((f) => f.type === 'GOAWAY');
    expect(session.closed).toBe(true);
    expect(peer.frames).toEqual([{ type: 'GOAWAY', lastGoodStreamId: 0, status: GoAwayStatus.OK }]);
  });
});
