// The tunnel WebSocket's inbound side (ws-tunnel-input.ts): binary payload unmasked in place and
// passed on as views of the chunks it came in, every other frame handed to ws whole.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { BinaryFrameReader, takeBinaryInput } from '../../src/streaming/ws-tunnel-input.js';
import { until } from '../helpers/wait.js';

/** A client frame (masked unless told), as a browser or gorilla would send it. */
function clientFrame(opcode: number, payload: Buffer, o: { fin?: boolean; masked?: boolean; rsv?: number } = {}): Buffer {
  const fin = o.fin ?? true;
  const masked = o.masked ?? true;
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | (o.rsv ?? 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  const body = Buffer.from(payload);
  if (masked) {
    const mask = randomBytes(4);
    mask.copy(head, 2 + ext);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  }
  return Buffer.concat([head, body]);
}

function reader() {
  const pieces: Buffer[] = [];
  const forwarded: Buffer[] = [];
  let answer = true;
  const r = new BinaryFrameReader((chunk) => {
    forwarded.push(Buffer.from(chunk));
    return answer;
  });
  r.onData((p) => pieces.push(p));
  return {
    r,
    pieces,
    forwarded,
    data: () => Buffer.concat(pieces),
    sent: () => Buffer.concat(forwarded),
    answer: (a: boolean) => void (answer = a),
  };
}

/** `bytes` cut at the given offsets. */
const cutAt = (bytes: Buffer, at: number[]) =>
  [0, ...at, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i ? ends[i - 1] : 0, end));

describe('BinaryFrameReader', () => {
  it('passes on the payload of binary frames of every length form, split anywhere', () => {
    const payloads = [0, 1, 5, 125, 126, 200, 65535, 65536, 70_000].map((n) => randomBytes(n));
    const wire = Buffer.concat(payloads.map((p) => clientFrame(0x2, p)));
    const want = Buffer.concat(payloads);
    for (const size of [1, 3, 7, 1000, 16384, wire.length]) {
      const t = reader();
      for (let off = 0; off < wire.length; off += size) t.r.push(Buffer.from(wire.subarray(off, off + size)));
      expect(t.data().equals(want)).toBe(true);
      expect(t.forwarded).toEqual([]);
    }
  });

  it('hands on views of the chunks it is given, unmasked in place', () => {
    const payload = randomBytes(32768);
    const frame = clientFrame(0x2, payload);
    // As kubectl's payload message arrives: header and first half, second half.
    const [a, b] = cutAt(frame, [16384]).map((c) => Buffer.from(c));
    const t = reader();
    t.r.push(a!);
    t.r.push(b!);
    expect(t.pieces).toHaveLength(2);
    expect(t.pieces[0]!.buffer).toBe(a!.buffer);
    expect(t.pieces[1]!.buffer).toBe(b!.buffer);
    expect(t.pieces[1]!.length).toBe(b!.length);
    expect(t.data().equals(payload)).toBe(true);
  });

  it('reads a fragmented binary message (continuation frames) as the same byte stream', () => {
    const parts = [randomBytes(10), randomBytes(300), randomBytes(3)];
    const wire = Buffer.concat([
      clientFrame(0x2, parts[0]!, { fin: false }),
      clientFrame(0x0, parts[1]!, { fin: false }),
      clientFrame(0x0, parts[2]!),
      clientFrame(0x2, Buffer.from('next')),
    ]);
    const t = reader();
    for (let i = 0; i < wire.length; i += 5) t.r.push(Buffer.from(wire.subarray(i, i + 5)));
    expect(t.data().equals(Buffer.concat([...parts, Buffer.from('next')]))).toBe(true);
    expect(t.forwarded).toEqual([]);
  });

  it('gives ws each control frame whole, as it came, between the data around it', () => {
    const ping = clientFrame(0x9, Buffer.from('are you there'));
    const pong = clientFrame(0xa, Buffer.alloc(0));
    const wire = Buffer.concat([clientFrame(0x2, Buffer.from('abc'), { fin: false }), ping, clientFrame(0x0, Buffer.from('def')), pong]);
    for (let at = 1; at < wire.length; at++) {
      const t = reader();
      for (const c of cutAt(wire, [at])) t.r.push(Buffer.from(c));
      expect(t.data().toString()).toBe('abcdef');
      expect(t.forwarded.map((f) => f.toString('hex'))).toEqual([ping.toString('hex'), pong.toString('hex')]);
    }
  });

  it('reads nothing after a close frame', () => {
    const close = clientFrame(0x8, Buffer.from([0x03, 0xe8]));
    const t = reader();
    t.r.push(Buffer.concat([clientFrame(0x2, Buffer.from('before')), close, clientFrame(0x2, Buffer.from('after'))]));
    expect(t.data().toString()).toBe('before');
    expect(t.sent().equals(close)).toBe(true);
  });

  it.each([
    ['a text frame', clientFrame(0x1, Buffer.from('text'))],
    ['an unmasked frame', clientFrame(0x2, Buffer.from('bare'), { masked: false })],
    ['a frame with RSV1 set', clientFrame(0x2, Buffer.from('deflated'), { rsv: 0x40 })],
    ['an unknown opcode', clientFrame(0x3, Buffer.from('?'))],
    ['a continuation outside a message', clientFrame(0x0, Buffer.from('orphan'))],
    ['a control frame too long', clientFrame(0x9, Buffer.alloc(126))],
  ])('hands %s and everything after it to ws', (_what, frame) => {
    const after = clientFrame(0x2, Buffer.from('later'));
    const t = reader();
    const wire = Buffer.concat([clientFrame(0x2, Buffer.from('first')), frame, after]);
    for (let i = 0; i < wire.length; i += 4) t.r.push(Buffer.from(wire.subarray(i, i + 4)));
    expect(t.data().toString()).toBe('first');
    expect(t.sent().equals(Buffer.concat([frame, after]))).toBe(true);
  });

  it("answers what ws's write() answered, so that the socket pauses when ws asks", () => {
    const t = reader();
    t.answer(false);
    expect(t.r.push(clientFrame(0x2, Buffer.from('data')))).toBe(true);
    expect(t.r.push(clientFrame(0x9, Buffer.alloc(0)))).toBe(false);
  });

  it('keeps what arrives before the sink is set, and hands it over in order', () => {
    const r = new BinaryFrameReader(() => true);
    r.push(clientFrame(0x2, Buffer.from('early ')));
    r.push(clientFrame(0x2, Buffer.from('bird')));
    const got: string[] = [];
    r.onData((p) => got.push(p.toString()));
    r.push(clientFrame(0x2, Buffer.from('!')));
    expect(got.join('')).toBe('early bird!');
  });
});

describe('takeBinaryInput on a ws server socket', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A ws server whose connections are read by takeBinaryInput, and a ws client connected to it. */
  async function pair() {
    const got: Buffer[] = [];
    const texts: string[] = [];
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const server = http.createServer();
    const serverSide = new Promise<WebSocket>((resolve) =>
      server.on('upgrade', (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          const input = takeBinaryInput(ws);
          expect(input).toBeDefined();
          input!.onData((p) => got.push(Buffer.from(p)));
          ws.on('message', (data, isBinary) => {
            if (!isBinary) texts.push(String(data));
          });
          resolve(ws);
        }),
      ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, { perMessageDeflate: false });
    cleanups.push(() => client.terminate());
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    return { client, server: await serverSide, got, texts };
  }

  it('carries binary messages as one byte stream; ws still answers pings and the close handshake', async () => {
    const { client, server, got } = await pair();
    const big = randomBytes(100_000);
    client.send(Buffer.from('spdy '), { binary: true });
    client.send(big, { binary: true });
    client.send(Buffer.from(' frames'), { binary: true, fin: false });
    client.send(Buffer.from(' split'), { binary: true, fin: true });
    const pong = new Promise<Buffer>((r) => client.once('pong', r));
    client.ping(Buffer.from('hi'));
    expect((await pong).toString()).toBe('hi');
    await until(() => Buffer.concat(got).length === 5 + big.length + 13);
    expect(Buffer.concat(got).equals(Buffer.concat([Buffer.from('spdy '), big, Buffer.from(' frames split')]))).toBe(true);
    const closed = new Promise<number>((r) => server.once('close', (code: number) => r(code)));
    const code = new Promise<number>((r) => client.once('close', (c: number) => r(c)));
    client.close(1000);
    expect(await code).toBe(1000);
    expect(await closed).toBe(1000);
  });

  it('leaves a text message to ws (the transport fails the tunnel on it)', async () => {
    const { client, got, texts } = await pair();
    client.send(Buffer.from('bytes'), { binary: true });
    client.send('words');
    await until(() => texts.length);
    expect(texts).toEqual(['words']);
    expect(Buffer.concat(got).toString()).toBe('bytes');
  });

  it('is not taken twice', async () => {
    const { server } = await pair();
    expect(takeBinaryInput(server)).toBeUndefined();
  });
});
