// SpdyStream.forwardData: the peer's data straight to a Writable, one write per event-loop turn,
// what the readable side held first, the Writable ended at the FIN, and the transport paused
// while the Writable is over its high-water mark.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openStream, receiveData } from '../../src/streaming/spdy/stream.js';
import { synOf, table, tick } from './spdy-fixtures.js';

/** A Writable that records each write call (as the chunks it got); `hold` keeps callbacks back. */
function recorder(highWaterMark = 1024) {
  const calls: string[][] = [];
  const held: (() => void)[] = [];
  const r = { hold: false };
  const w = new Writable({
    highWaterMark,
    writev(chunks, cb) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      if (r.hold) held.push(() => cb());
      else cb();
    },
  });
  return { w, calls, r, release: () => held.splice(0).forEach((f) => f()) };
}

describe('SpdyStream.forwardData', () => {
  it('sends what the readable side held first, then each turn in one write, and ends at the FIN', async () => {
    const { t } = table();
    const st = openStream(t, synOf(1));
    st.stream.reply();
    receiveData(t, st, Buffer.from('held '), false);
    const { w, calls } = recorder();
    st.stream.forwardData(w);
    receiveData(t, st, Buffer.from('a'), false);
    receiveData(t, st, Buffer.from('b'), false);
    await tick();
    receiveData(t, st, Buffer.from('c'), true);
    await new Promise((r) => w.on('finish', r));
    expect(calls).toEqual([['held ', 'a', 'b'], ['c']]);
    await tick();
    expect(st.stream.readableEnded).toBe(true);
  });

  it('ends the Writable after what was held when the FIN came first', async () => {
    const { t } = table();
    const st = openStream(t, synOf(1));
    receiveData(t, st, Buffer.from('all of it'), true);
    const { w, calls } = recorder();
    st.stream.forwardData(w);
    await new Promise((r) => w.on('finish', r));
    expect(calls.flat()).toEqual(['all of it']);
  });

  it('pauses the transport while the Writable is full and resumes it once it drained', async () => {
    const { t, inbound } = table();
    const st = openStream(t, synOf(1));
    const { w, r, release } = recorder(4);
    r.hold = true;
    st.stream.forwardData(w);
    receiveData(t, st, Buffer.from('123456'), false);
    await tick();
    expect([inbound.paused, inbound.resumed]).toEqual([1, 0]);
    release();
    await tick();
    expect([inbound.paused, inbound.resumed]).toEqual([1, 1]);
  });

  it('takes over a stream whose reader was behind: the transport goes on', () => {
    const { t, inbound } = table({ hwm: 4 });
    const st = openStream(t, synOf(1));
    receiveData(t, st, Buffer.from('123456'), false);
    expect(inbound.paused).toBe(1);
    st.stream.forwardData(recorder().w);
    expect(inbound.resumed).toBe(1);
  });

  it('forwards to one Writable only', () => {
    const { t } = table();
    const st = openStream(t, synOf(1));
    st.stream.forwardData(recorder().w);
    expect(() => st.stream.forwardData(recorder().w)).toThrow('stream 1 already forwards its data');
  });
});
