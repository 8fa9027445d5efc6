// BatchedWriter: what is pushed in one event-loop turn reaches the destination in one write (one
// writev), in order, with backpressure reported and the destination ended after the last batch.
import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { BatchedWriter } from '../../src/streaming/batched-pipe.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A destination that records each _write / _writev call as the chunks it got. */
function recorder(highWaterMark = 16 * 1024) {
  const calls: string[][] = [];
  let hold: (() => void) | undefined;
  const holding = { on: false };
  const w = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk.toString()]);
      if (holding.on) hold = () => cb();
      else cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      if (holding.on) hold = () => cb();
      else cb();
    },
  });
  return { w, calls, holding, release: () => hold?.() };
}

/** A BatchedWriter to `w` that notes full / drained. */
function writer(w: Writable) {
  const events: string[] = [];
  const b = new BatchedWriter(
    w,
    () => events.push('full'),
    () => events.push('drained'),
  );
  return { b, events, push: (s: string) => b.push(Buffer.from(s)) };
}

describe('BatchedWriter', () => {
  it('writes the chunks of one turn together, in order, and each turn after its own', async () => {
    const { w, calls } = recorder();
    const { push } = writer(w);
    push('a');
    push('b');
    push('c');
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    push('d');
    await turn();
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('ends the destination after the last batch', async () => {
    const { w, calls } = recorder();
    const { b, push } = writer(w);
    push('x');
    push('y');
    b.end();
    const finished = new Promise((r) => w.on('finish', r));
    await finished;
    expect(calls.flat()).toEqual(['x', 'y']);
    expect(w.writableEnded).toBe(true);
  });

  it('ends an idle destination at once', () => {
    const { w } = recorder();
    writer(w).b.end();
    expect(w.writableEnded).toBe(true);
  });

  it('reports the destination full past its high-water mark, and drained once it took it all', async () => {
    const { w, calls, holding, release } = recorder(4);
    const { push, events } = writer(w);
    holding.on = true;
    push('12345');
    await turn();
    expect(calls).toEqual([['12345']]);
    expect(events).toEqual(['full']);
    push('6');
    await turn();
    expect(events).toEqual(['full']);
    holding.on = false;
    release();
    await turn();
    await turn();
    expect(events).toEqual(['full', 'drained']);
    expect(calls.flat()).toEqual(['12345', '6']);
  });

  it('writes nothing to a destroyed destination', async () => {
    const { w, calls } = recorder();
    const { b, push } = writer(w);
    push('a');
    w.destroy();
    await turn();
    push('b');
    b.end();
    await turn();
    expect(calls).toEqual([]);
  });
});
