// The SPDY session's outbound frames alone, over a fake transport and an encoder the test drives:
// order behind header blocks, the transport's backpressure, ending after what was sent.
import { describe, it, expect } from 'vitest';
import { createFrameOutput } from '../../src/streaming/spdy/output.js';
import { encodeSimpleFrame, type SpdyFrame } from '../../src/streaming/spdy/index.js';
import { fakeEncoder, fakeTransport, tick } from './spdy-fixtures.js';

const data = (streamId: number, text: string): SpdyFrame => ({ type: 'DATA', streamId, fin: false, data: Buffer.from(text) });
const reply = (streamId: number): SpdyFrame => ({ type: 'SYN_REPLY', streamId, fin: false, headers: {} });
const bytes = (f: SpdyFrame) => encodeSimpleFrame(f as Parameters<typeof encodeSimpleFrame>[0]).toString('hex');

function setup() {
  const tr = fakeTransport();
  const enc = fakeEncoder();
  const hooks = { wrote: 0, errors: [] as Error[], failed: [] as Error[] };
  const out = createFrameOutput(tr.transport, enc.encoder, {
    wrote: () => void hooks.wrote++,
    error: (e) => void hooks.errors.push(e),
    failed: (e) => void hooks.failed.push(e),
  });
  const written = () => tr.written.map((b) => (b.toString().startsWith('H') ? b.toString() : b.toString('hex')));
  return { tr, enc, hooks, out, written };
}

describe('SPDY output', () => {
  it('writes simple frames at once; a header frame waits for zlib and what is sent after it waits behind it', async () => {
    const { enc, out, written, hooks } = setup();
    out.send(data(1, 'a'));
    out.send(reply(3));
    out.send(data(3, 'b'));
    out.send(reply(5));
    expect(written()).toEqual([bytes(data(1, 'a'))]);
    // The second header block is ready first: it still waits for the first.
    enc.waiting[1]!.resolve();
    await tick();
    expect(written()).toHaveLength(1);
    enc.waiting[0]!.resolve();
    await tick();
    expect(written()).toEqual([bytes(data(1, 'a')), 'H3', bytes(data(3, 'b')), 'H5']);
    expect(hooks.wrote).toBe(4);
  });

  it('holds writers while the transport is full or frames are queued, and lets them go at drain', async () => {
    const { tr, enc, out } = setup();
    let released = 0;
    out.whenDrained(() => released++);
    expect(released).toBe(1);
    tr.full();
    out.send(data(1, 'x'));
    out.whenDrained(() => released++);
    expect(released).toBe(1);
    tr.drain();
    expect(released).toBe(2);

    out.send(reply(1));
    out.whenDrained(() => released++);
    tr.drain(); // the transport has room, but a frame is queued
    expect(released).toBe(2);
    enc.waiting[0]!.resolve();
    await tick();
    expect(released).toBe(3);
  });

  it('finish() ends the transport once what was sent is written; end() ends it once', async () => {
    const { tr, enc, out, written } = setup();
    out.send(reply(1));
    out.send(data(1, 'last'));
    out.finish();
    expect(tr.ends).toBe(0);
    enc.waiting[0]!.resolve();
    await tick();
    expect(written()).toEqual(['H1', bytes(data(1, 'last'))]);
    expect(tr.ends).toBe(1);
    out.end();
    out.finish();
    expect(tr.ends).toBe(1);
  });

  it('once closed writes nothing, drops what is queued, frees the encoder; writers go on at release or at once', async () => {
    const { tr, enc, out, written } = setup();
    tr.full();
    out.send(data(1, 'a'));
    out.send(reply(1));
    out.send(data(1, 'b'));
    let released = 0;
    out.whenDrained(() => released++);
    out.close();
    expect(out.closed).toBe(true);
    expect(enc.closed).toBe(1);
    out.send(data(1, 'c'));
    enc.waiting[0]!.resolve();
    await tick();
    expect(written()).toEqual([bytes(data(1, 'a'))]);
    expect(released).toBe(0);
    out.releaseWriters();
    expect(released).toBe(1);
    out.whenDrained(() => released++);
    expect(released).toBe(2);
  });

  it('reports a frame that cannot be encoded and goes on; a throwing transport fails the session', async () => {
    const { tr, enc, out, written, hooks } = setup();
    out.send(reply(1));
    out.send(data(1, 'after'));
    enc.waiting[0]!.reject(new Error('zlib'));
    await tick();
    expect(hooks.errors.map((e) => e.message)).toEqual(['zlib']);
    expect(written()).toEqual([bytes(data(1, 'after'))]);
    out.send({ type: 'RST_STREAM', streamId: 0, status: 5 }); // stream id 0 cannot be encoded
    expect(hooks.errors).toHaveLength(2);
    tr.throwOnWrite = new Error('EPIPE');
    out.send(data(1, 'x'));
    expect(hooks.failed.map((e) => e.message)).toEqual(['EPIPE']);
  });

  it('hands a DATA frame to a transport that takes frames as its header and the payload as written', () => {
    const { tr, out } = setup();
    const frames: [Buffer, Buffer][] = [];
    const transport = { ...tr.transport, writeFrame: (h: Buffer, p: Buffer) => void frames.push([h, p]) };
    const out2 = createFrameOutput(transport, fakeEncoder().encoder, { wrote: () => {}, error: () => {}, failed: () => {} });
    const payload = Buffer.from('payload');
    out2.send({ type: 'DATA', streamId: 3, fin: false, data: payload });
    out2.send({ type: 'DATA', streamId: 3, fin: true, data: Buffer.alloc(0) });
    expect(frames).toHaveLength(1);
    expect(frames[0]![0].toString('hex')).toBe(bytes(data(3, 'payload')).slice(0, 16));
    expect(frames[0]![1]).toBe(payload);
    // The empty FIN frame is one buffer; so is everything for a transport without writeFrame.
    expect(tr.written.map((b) => b.toString('hex'))).toEqual(['0000000301000000']);
    out.send(data(1, 'joined'));
    expect(tr.written.at(-1)!.toString('hex')).toBe(bytes(data(1, 'joined')));
  });
});
