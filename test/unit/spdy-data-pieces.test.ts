// The frame parser's dataPieces mode (what sessions use): DATA payload passed on as it arrives,
// as views of the chunks it came in, FIN on the last piece, in order with the other frames.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFrameEncoder, createFrameParser, encodeDataFrameHeader, type SpdyFrame } from '../../src/streaming/spdy/index.js';

function parser() {
  const frames: SpdyFrame[] = [];
  const errors: Error[] = [];
  const p = createFrameParser({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e), dataPieces: true });
  return { p, frames, errors };
}

const dataFrame = (streamId: number, data: Buffer, fin = false) =>
  Buffer.concat([encodeDataFrameHeader({ type: 'DATA', streamId, fin, data }), data]);

const dataOf = (frames: SpdyFrame[], streamId: number) =>
  Buffer.concat(frames.flatMap((f) => (f.type === 'DATA' && f.streamId === streamId ? [f.data] : [])));

describe('frame parser, dataPieces', () => {
  it('delivers a frame split over chunks as pieces that are views of them, FIN on the last', () => {
    const payload = randomBytes(32768);
    const wire = dataFrame(1, payload, true);
    // kubectl through the tunnel: the header's two words apart, the payload in two halves.
    const chunks = [wire.subarray(0, 4), wire.subarray(4, 8), wire.subarray(8, 8 + 16384), wire.subarray(8 + 16384)].map((c) =>
      Buffer.from(c),
    );
    const { p, frames } = parser();
    for (const c of chunks) p.push(c);
    expect(frames.map((f) => f.type === 'DATA' && [f.streamId, f.data.length, f.fin])).toEqual([
      [1, 16384, false],
      [1, 16384, true],
    ]);
    const [a, b] = frames as Extract<SpdyFrame, { type: 'DATA' }>[];
    expect(a!.data.buffer).toBe(chunks[2]!.buffer);
    expect(b!.data.buffer).toBe(chunks[3]!.buffer);
    expect(dataOf(frames, 1).equals(payload)).toBe(true);
  });

  it('gives the same bytes and FINs as whole frames, for any split', () => {
    const streams = [1, 3, 1, 5, 3];
    const payloads = streams.map((_, i) => randomBytes([0, 1, 700, 5000, 33][i]!));
    const wire = Buffer.concat(streams.map((s, i) => dataFrame(s, payloads[i]!, i >= 3)));
    for (const size of [1, 2, 7, 100, 4096, wire.length]) {
      const { p, frames, errors } = parser();
      for (let off = 0; off < wire.length; off += size) p.push(Buffer.from(wire.subarray(off, off + size)));
      expect(errors).toEqual([]);
      for (const s of [1, 3, 5]) {
        const want = Buffer.concat(streams.flatMap((x, i) => (x === s ? [payloads[i]!] : [])));
        expect(dataOf(frames, s).equals(want)).toBe(true);
      }
      // FIN once for each frame that had it, on that frame's stream, after all of its bytes.
      expect(frames.filter((f) => f.type === 'DATA' && f.fin).map((f) => f.type === 'DATA' && f.streamId)).toEqual([5, 3]);
      const last = frames[frames.length - 1]!;
      expect(last.type === 'DATA' && last.fin && last.streamId).toBe(3);
    }
  });

  it('delivers a frame without payload at once, with its FIN', () => {
    const { p, frames } = parser();
    p.push(dataFrame(7, Buffer.alloc(0), true));
    expect(frames).toEqual([{ type: 'DATA', streamId: 7, fin: true, data: Buffer.alloc(0) }]);
  });

  it('copies a piece that is a small part of the chunk it came in', () => {
    const { p, frames } = parser();
    const big = dataFrame(1, randomBytes(60_000));
    const small = dataFrame(3, Buffer.from('tiny'));
    const chunk = Buffer.concat([big, small]);
    p.push(chunk);
    const [first, second] = frames as Extract<SpdyFrame, { type: 'DATA' }>[];
    expect(first!.data.buffer).toBe(chunk.buffer);
    expect(second!.data.buffer).not.toBe(chunk.buffer);
    expect(second!.data.toString()).toBe('tiny');
  });

  it('keeps pieces behind a header frame being inflated', async () => {
    const enc = createFrameEncoder();
    const syn = await enc.encode({
      type: 'SYN_STREAM',
      streamId: 1,
      associatedStreamId: 0,
      priority: 0,
      slot: 0,
      fin: false,
      unidirectional: false,
      headers: { streamtype: ['data'] },
    });
    enc.close();
    const { p, frames } = parser();
    const wire = Buffer.concat([syn, dataFrame(1, Buffer.from('after the headers'), true)]);
    p.push(wire.subarray(0, syn.length + 12));
    p.push(wire.subarray(syn.length + 12));
    await p.whenIdle();
    expect(frames.map((f) => f.type)).toEqual(['SYN_STREAM', 'DATA', 'DATA']);
    expect(dataOf(frames, 1).toString()).toBe('after the headers');
  });

  it('still refuses a frame over the size limit before its payload comes', () => {
    const errors: Error[] = [];
    const p = createFrameParser({ onFrame: () => undefined, onError: (e) => errors.push(e), dataPieces: true, maxDataFrameSize: 10 });
    p.push(dataFrame(1, Buffer.alloc(11)).subarray(0, 8));
    expect(errors.map((e) => e.message)).toEqual(['data frame of 11 bytes exceeds the limit of 10']);
  });
});
