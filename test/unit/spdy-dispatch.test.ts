// What each frame from the peer does, alone: a stream table over a recording output, and the
// session's answers (refusing, delivering, the peer's GOAWAY) recorded.
import { describe, it, expect } from 'vitest';
import { RstStatus, type SpdyFrame } from '../../src/streaming/spdy/index.js';
import { dispatchFrame, type Dispatch } from '../../src/streaming/spdy/dispatch.js';
import type { SpdyStream } from '../../src/streaming/spdy/stream.js';
import { table, tick } from './spdy-fixtures.js';

function setup(maxConcurrent = 10) {
  const { t, out } = table();
  const delivered: SpdyStream[] = [];
  const s = { refusing: false, goAways: 0 };
  const d: Dispatch = {
    table: t,
    send: out.send,
    lastPeerStreamId: 0,
    refusing: () => s.refusing,
    maxConcurrent,
    deliver: (stream) => void delivered.push(stream),
    peerGoAway: () => void s.goAways++,
  };
  return { d, t, out, delivered, s };
}
const syn = (streamId: number, fin = false): SpdyFrame => ({
  type: 'SYN_STREAM',
  streamId,
  associatedStreamId: 0,
  priority: 0,
  slot: 0,
  fin,
  unidirectional: false,
  headers: { port: ['80'] },
});
const rst = (streamId: number, status: number) => ({ type: 'RST_STREAM', streamId, status });

describe('SPDY frame dispatch', () => {
  it('opens streams with odd, increasing ids and hands them over; answers others with PROTOCOL_ERROR', () => {
    const { d, out, delivered } = setup();
    dispatchFrame(d, syn(3));
    dispatchFrame(d, syn(4));
    dispatchFrame(d, syn(3));
    dispatchFrame(d, syn(1));
    dispatchFrame(d, syn(5));
    expect(delivered.map((s) => [s.id, s.header('port')])).toEqual([
      [3, '80'],
      [5, '80'],
    ]);
    expect(d.lastPeerStreamId).toBe(5);
    expect(out.frames).toEqual([rst(4, RstStatus.PROTOCOL_ERROR), rst(3, RstStatus.PROTOCOL_ERROR), rst(1, RstStatus.PROTOCOL_ERROR)]);
  });

  it('refuses new streams (REFUSED_STREAM) while refusing and past maxConcurrent, still counting their ids', () => {
    const { d, out, delivered, s, t } = setup(2);
    dispatchFrame(d, syn(1));
    dispatchFrame(d, syn(3));
    dispatchFrame(d, syn(5));
    expect(t.states.size).toBe(2);
    expect(out.frames).toEqual([rst(5, RstStatus.REFUSED_STREAM)]);
    s.refusing = true;
    t.states.get(1)!.stream.reset();
    out.frames.length = 0;
    dispatchFrame(d, syn(7));
    expect(out.frames).toEqual([rst(7, RstStatus.REFUSED_STREAM)]);
    expect(delivered).toHaveLength(2);
    expect(d.lastPeerStreamId).toBe(7);
  });

  it('gives DATA, HEADERS with FIN and RST_STREAM to their stream, and drops frames for unknown streams', async () => {
    const { d, t, out, delivered } = setup();
    dispatchFrame(d, syn(1));
    dispatchFrame(d, syn(3));
    const [a, b] = delivered as [SpdyStream, SpdyStream];
    const got: string[] = [];
    let ended = false;
    a.on('data', (c: Buffer) => got.push(c.toString()));
    a.on('end', () => (ended = true));
    dispatchFrame(d, { type: 'DATA', streamId: 1, fin: false, data: Buffer.from('hello') });
    dispatchFrame(d, { type: 'DATA', streamId: 9, fin: true, data: Buffer.from('nobody') });
    dispatchFrame(d, { type: 'HEADERS', streamId: 1, fin: true, headers: {} });
    dispatchFrame(d, { type: 'HEADERS', streamId: 9, fin: true, headers: {} });
    dispatchFrame(d, { type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL });
    dispatchFrame(d, { type: 'RST_STREAM', streamId: 9, status: RstStatus.CANCEL });
    await tick();
    expect(got).toEqual(['hello']);
    expect(ended).toBe(true);
    expect(t.states.get(1)?.remoteFin).toBe(true);
    expect(b.destroyed).toBe(true);
    expect(b.resetByPeer).toBe(RstStatus.CANCEL);
    expect(out.frames).toEqual([]);
  });

  it('echoes client PINGs (odd ids) only, passes the peer’s GOAWAY on, ignores SETTINGS, WINDOW_UPDATE and SYN_REPLY', () => {
    const { d, out, s } = setup();
    dispatchFrame(d, { type: 'PING', id: 7 });
    dispatchFrame(d, { type: 'PING', id: 8 });
    dispatchFrame(d, { type: 'SETTINGS', clearSettings: false, entries: [{ id: 7, flags: 0, value: 1 }] });
    dispatchFrame(d, { type: 'WINDOW_UPDATE', streamId: 1, delta: 1000 });
    dispatchFrame(d, { type: 'SYN_REPLY', streamId: 1, fin: false, headers: {} });
    expect(out.frames).toEqual([{ type: 'PING', id: 7 }]);
    dispatchFrame(d, { type: 'GOAWAY', lastGoodStreamId: 0, status: 0 });
    expect(s.goAways).toBe(1);
  });
});
