// FrameWriter: one WebSocket message handed to ws at a time, the close frame after the last one.
import { describe, it, expect } from 'vitest';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { FrameWriter } from '../../src/streaming/ws-frames.js';

/** Enough of a ws WebSocket to watch what is handed to it, and when. */
class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sent: { data: Buffer | string; binary: boolean; done: (err?: Error) => void }[] = [];
  closedWith: number | undefined;
  send(data: Buffer | string, opts: { binary: boolean }, cb: (err?: Error) => void) {
    this.sent.push({ data, binary: opts.binary, done: cb });
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = 2;
  }
}

const setup = () => {
  const ws = new FakeWs();
  return { ws, out: new FrameWriter(ws as unknown as WebSocket) };
};

describe('FrameWriter', () => {
  it('hands the next message to ws only when the previous write is done, and closes after the last', () => {
    const { ws, out } = setup();
    const done: string[] = [];
    out.send(Buffer.from('\x01a'), true, () => done.push('a'));
    out.send('2Yg==', false, () => done.push('b'));
    out.close(1000);
    expect(ws.sent.map((s) => s.data.toString())).toEqual(['\x01a']);
    expect(out.pendingBytes).toBe(7);
    ws.sent[0]!.done();
    expect(done).toEqual(['a']);
    expect(ws.sent.map((s) => [s.data.toString(), s.binary])).toEqual([
      ['\x01a', true],
      ['2Yg==', false],
    ]);
    expect(ws.closedWith).toBeUndefined();
    ws.sent[1]!.done();
    expect(done).toEqual(['a', 'b']);
    expect(out.pendingBytes).toBe(0);
    expect(ws.closedWith).toBe(1000);
  });

  it('closes at once when nothing is queued, and refuses messages after close()', async () => {
    const { ws, out } = setup();
    out.close(1000);
    expect(ws.closedWith).toBe(1000);
    const err = await new Promise<Error | undefined>((r) => out.send(Buffer.from('x'), true, r));
    expect(err?.message).toBe('connection closed');
    expect(ws.sent).toEqual([]);
  });

  it('fails what is queued when the connection goes away', () => {
    const { ws, out } = setup();
    const results: (string | undefined)[] = [];
    out.send(Buffer.from('a'), true, (e) => results.push(e?.message));
    out.send(Buffer.from('b'), true, (e) => results.push(e?.message));
    out.send(Buffer.from('c'), true, (e) => results.push(e?.message));
    ws.readyState = 3;
    ws.emit('close');
    expect(results).toEqual(['connection closed', 'connection closed']);
    ws.sent[0]!.done(new Error('write after end'));
    expect(results).toEqual(['connection closed', 'connection closed', 'write after end']);
    expect(ws.sent).toHaveLength(1);
    expect(out.pendingBytes).toBe(0);
  });
});
