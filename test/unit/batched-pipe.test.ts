// pipeBatched: what the source produces in one event-loop turn reaches the destination in one
// write (one writev), in order, with pipe()'s backpressure and end.
import { describe, it, expect } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { pipeBatched } from '../../src/streaming/batched-pipe.js';

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

describe('pipeBatched', () => {
  it('writes the chunks of one turn together, in order, and each turn after its own', async () => {
    const src = new PassThrough();
    const { w, calls } = recorder();
    pipeBatched(src, w);
    src.write('a');
    src.write('b');
    src.write('c');
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    src.write('d');
    await turn();
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('ends the destination after the last batch', async () => {
    const src = new PassThrough();
    const { w, calls } = recorder();
    pipeBatched(src, w);
    src.write('x');
    src.end('y');
    const finished = new Promise((r) => w.on('finish', r));
    await finished;
    expect(calls.flat()).toEqual(['x', 'y']);
    expect(w.writableEnded).toBe(true);
  });

  it('pauses the source while the destination is over its high-water mark, resumes at drain', async () => {
    const src = new PassThrough();
    const { w, calls, holding, release } = recorder(4);
    pipeBatched(src, w);
    holding.on = true;
    src.write('12345');
    await turn();
    expect(calls).toEqual([['12345']]);
    expect(src.isPaused()).toBe(true);
    src.write('6');
    await turn();
    expect(calls).toHaveLength(1);
    holding.on = false;
    release();
    await turn();
    await turn();
    expect(src.isPaused()).toBe(false);
    expect(calls.flat()).toEqual(['12345', '6']);
  });

  it('writes nothing to a destroyed destination', async () => {
    const src = new PassThrough();
    const { w, calls } = recorder();
    pipeBatched(src, w);
    src.write('a');
    w.destroy();
    await turn();
    src.end('b');
    await turn();
    expect(calls).toEqual([]);
  });
});
