// FrameWriter: one WebSocket message handed to ws at a time, the close frame after the last one.
import { describe, it, expect } from 'vitest';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { PassThrough } from 'node:stream';
import * as wsModule from 'ws';
import { FrameWriter, binaryFrame } from '../../src/streaming/ws-frames.js';

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

  it('sends a message of pieces: through ws joined, or as one frame on the socket when it is known', () => {
    const { ws, out } = setup();
    const done: (string | undefined)[] = [];
    out.sendPieces([Buffer.from('ab'), Buffer.from('cd')], 4, (e) => done.push(e?.message));
    expect(ws.sent.map((s) => [s.data.toString(), s.binary])).toEqual([['abcd', true]]);
    ws.sent[0]!.done();
    expect(done).toEqual([undefined]);

    const ws2 = new FakeWs();
    const socket = new PassThrough();
    const out2 = new FrameWriter(ws2 as unknown as WebSocket, socket);
    out2.sendPieces([Buffer.from('x'), Buffer.from('yz')], 3);
    out2.send(Buffer.from('after'), true);
    // The piece message went to the socket whole; the next waits for its write to complete.
    expect(socket.read()).toEqual(Buffer.from([0x82, 3, ...Buffer.from('xyz')]));
    expect(ws2.sent).toEqual([]);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(ws2.sent.map((s) => s.data.toString())).toEqual(['after']);
        resolve();
      }),
    );
  });
});

// ws exports its frame parser without types.
const { Receiver } = wsModule as unknown as {
  Receiver: new (o: { isServer: boolean }) => EventEmitter & { write(b: Buffer): void };
};

describe('binaryFrame', () => {
  // ws's own Receiver (the client side of the parse) reads each size back as one binary message.
  for (const size of [0, 1, 125, 126, 65_535, 65_536, 300_000]) {
    it(`frames ${size} bytes in pieces as ws reads them`, () => {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 7) & 0xff;
      const cut = Math.floor(size / 3);
      const frame = binaryFrame([payload.subarray(0, cut), payload.subarray(cut)], size);
      expect(frame.length).toBe(size + (size < 126 ? 2 : size < 65_536 ? 4 : 10));
      const got: [Buffer, boolean][] = [];
      const r = new Receiver({ isServer: false });
      r.on('message', (data: Buffer, isBinary: boolean) => got.push([data, isBinary]));
      r.write(frame);
      expect(got).toHaveLength(1);
      expect(got[0]![1]).toBe(true);
      expect(Buffer.from(got[0]![0]).equals(payload)).toBe(true);
    });
  }
});
