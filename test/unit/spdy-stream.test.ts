// SPDY streams and flow control alone, over a recording output: reply before data, data cut into
// frames, writers held until the output drains, FIN both ways, resets, and the transport paused
// while a reader is behind.
import { describe, it, expect } from 'vitest';
import { RstStatus, type SpdyFrame } from '../../src/streaming/spdy/index.js';
import { forgetStream, openStream, receiveData, receiveFin, receiveReset } from '../../src/streaming/spdy/stream.js';
import { synOf, table, tick } from './spdy-fixtures.js';

const summary = (frames: SpdyFrame[]) =>
  frames.map((f) =>
    f.type === 'DATA'
      ? `DATA ${f.streamId} ${f.data.toString()}${f.fin ? ' FIN' : ''}`
      : f.type === 'RST_STREAM'
        ? `RST ${f.streamId} ${f.status}`
        : `${f.type} ${'streamId' in f ? f.streamId : ''}`,
  );

describe('SPDY streams', () => {
  it('hold writes until reply(), then send SYN_REPLY and the data in frames of at most maxOut bytes', async () => {
    const { t, out } = table({ maxOut: 4 });
    const st = openStream(t, synOf(1));
    expect(t.streams.get(1)).toBe(st.stream);
    expect(st.stream.header('StreamType')).toBe('data');
    st.stream.write('abcdefghij');
    await tick();
    expect(out.frames).toEqual([]);
    st.stream.reply({ a: ['b'] });
    st.stream.reply(); // once
    await tick();
    expect(summary(out.frames)).toEqual(['SYN_REPLY 1', 'DATA 1 abcd', 'DATA 1 efgh', 'DATA 1 ij']);
    expect(st.stream.replied).toBe(true);
  });

  it('complete a write only once the output can take more', async () => {
    const { t, out } = table();
    const st = openStream(t, synOf(1));
    st.stream.reply();
    out.holdWriters = true;
    let done = false;
    st.stream.write('x', () => (done = true));
    await tick();
    expect(done).toBe(false);
    out.releaseWriters();
    await tick();
    expect(done).toBe(true);
  });

  it('leave the table once FIN went both ways, without a reset', async () => {
    let forgotten = 0;
    const { t, out } = table({ onForget: () => forgotten++ });
    const st = openStream(t, synOf(1));
    st.stream.reply();
    const got: string[] = [];
    st.stream.on('data', (b: Buffer) => got.push(b.toString()));
    receiveData(t, st, Buffer.from('hi'), true);
    receiveData(t, st, Buffer.from('late'), false); // after the peer's FIN: dropped
    await tick();
    expect(got).toEqual(['hi']);
    expect(t.states.has(1)).toBe(true);
    st.stream.end();
    await new Promise((r) => st.stream.once('close', r));
    expect(t.states.size + t.streams.size).toBe(0);
    forgetStream(t, st);
    expect(forgotten).toBe(1);
    expect(summary(out.frames)).toEqual(['SYN_REPLY 1', 'DATA 1  FIN']);
  });

  it('unidirectional, or with FIN on SYN_STREAM: half closed from the start, both: gone at once', () => {
    const { t } = table();
    const uni = openStream(t, synOf(1, { unidirectional: true }));
    expect([uni.localFin, uni.remoteFin, uni.gone]).toEqual([true, false, false]);
    const fin = openStream(t, synOf(3, { fin: true }));
    expect([fin.localFin, fin.remoteFin, fin.gone]).toEqual([false, true, false]);
    const both = openStream(t, synOf(5, { fin: true, unidirectional: true }));
    expect(both.gone).toBe(true);
    expect([...t.states.keys()]).toEqual([1, 3]);
    receiveFin(t, uni);
    expect([...t.states.keys()]).toEqual([3]);
  });

  it('destroying an unfinished stream resets it (CANCEL) once; reset(status) sends that status; then writes are dropped', async () => {
    const { t, out } = table();
    const a = openStream(t, synOf(1));
    a.stream.destroy();
    a.stream.destroy();
    const b = openStream(t, synOf(3));
    b.stream.reply();
    b.stream.reset(RstStatus.REFUSED_STREAM);
    await tick();
    expect(summary(out.frames)).toEqual([`RST 1 ${RstStatus.CANCEL}`, 'SYN_REPLY 3', `RST 3 ${RstStatus.REFUSED_STREAM}`]);
    expect(t.states.size).toBe(0);
  });

  it('a reset by the peer destroys the stream silently and keeps its status', async () => {
    const { t, out } = table();
    const st = openStream(t, synOf(1));
    const errors: Error[] = [];
    st.stream.on('error', (e) => errors.push(e));
    receiveReset(t, st, RstStatus.CANCEL);
    await tick();
    expect(st.stream.destroyed).toBe(true);
    expect(st.stream.resetByPeer).toBe(RstStatus.CANCEL);
    expect(out.frames).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('pause the transport while any reader is behind and resume it once every one caught up', async () => {
    const { t, out, inbound } = table({ hwm: 4 });
    const a = openStream(t, synOf(1));
    const b = openStream(t, synOf(3));
    receiveData(t, a, Buffer.from('0123456789'), false);
    receiveData(t, b, Buffer.from('0123456789'), false);
    expect([inbound.paused, t.inboundPaused]).toEqual([1, true]);
    b.stream.read();
    await tick();
    expect(inbound.resumed).toBe(0); // a is still behind
    a.stream.destroy(); // a stream that leaves is no longer behind
    await tick();
    expect([inbound.resumed, t.inboundPaused]).toEqual([1, false]);

    // Behind again, and the transport closes: no resume on a closed transport.
    receiveData(t, b, Buffer.from('0123456789'), false);
    receiveData(t, b, Buffer.from('0123456789'), false);
    expect(inbound.paused).toBe(2);
    out.closed = true;
    b.stream.read();
    await tick();
    expect([inbound.resumed, t.inboundPaused]).toEqual([1, false]);
  });
});
