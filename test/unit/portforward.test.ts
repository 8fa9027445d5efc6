import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import http from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { checkPortForwardStreamHeaders, servePortForwardSpdy } from '../../src/streaming/portforward-spdy.js';
import {
  parsePortForwardPorts,
  selectPortForwardWebSocketProtocol,
  servePortForwardWebSocket,
} from '../../src/streaming/portforward-ws.js';
import { spdyRemoteCommand } from '../../src/streaming/remotecommand-spdy.js';
import { PORT_FORWARD_TUNNEL_PROTOCOL, type PortForwardOptions } from '../../src/streaming/stream-protocols.js';
import {
  acceptSpdyTunnelWebSocket,
  offeredTunnelProtocols,
  negotiateStreamProtocol,
  spdySessionOverSocket,
  spdySessionOverWebSocket,
  writeSpdyUpgradeResponse,
} from '../../src/streaming/transports.js';
import {
  createFrameEncoder,
  createFrameParser,
  GoAwayStatus,
  RstStatus,
  type SpdyFrame,
  type SpdySession,
} from '../../src/streaming/spdy/index.js';
import type { TerminalSize } from '../../src/streaming/remotecommand.js';
import { until } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const listen = (server: net.Server | http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));

/** A Pod port that echoes and ends its side once the client has ended its own. */
async function echoServer() {
  const events: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('end', () => events.push('end'));
    s.on('close', () => events.push('close'));
    s.on('error', () => {});
    s.pipe(s);
  });
  const port = await listen(server);
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { port, events, server };
}

/** A Pod port that says something and closes without reading. */
async function greeterServer(text: string) {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.end(text);
  });
  const port = await listen(server);
  cleanups.push(() => new Promise((r) => server.close(r)));
  return port;
}

async function closedPort() {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

const podOpts = (extra: Partial<PortForwardOptions> = {}): PortForwardOptions => ({
  dial: (port) => net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }),
  podName: 'web',
  namespace: 'ns',
  uid: 'u-1',
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// A client speaking SPDY like kubectl's spdystream, through our codec.

interface ClientStream {
  id: number;
  chunks: Buffer[];
  replied: Promise<void>;
  fin: Promise<void>;
  reset: Promise<number>;
  text(): string;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function spdyClient(write: (b: Buffer) => void) {
  const enc = createFrameEncoder();
  let nextId = 1;
  const streams = new Map<number, { s: ClientStream; replied: () => void; fin: () => void; reset: (n: number) => void }>();
  const frames: SpdyFrame[] = [];
  const goaway = deferred<SpdyFrame>();
  const pongs = new Map<number, () => void>();
  const errors: Error[] = [];
  // Frames go out strictly in order (header blocks share one zlib context).
  let chain = Promise.resolve();
  const send = (f: SpdyFrame) => {
    const p = chain.then(async () => write(await enc.encode(f)));
    chain = p.catch(() => {});
    return p;
  };
  const parser = createFrameParser({
    onFrame: (f) => {
      frames.push(f);
      const st = 'streamId' in f ? streams.get(f.streamId) : undefined;
      if (f.type === 'SYN_REPLY') st?.replied();
      if (f.type === 'DATA' && st) {
        if (f.data.length) st.s.chunks.push(f.data);
        if (f.fin) st.fin();
      }
      if (f.type === 'RST_STREAM') st?.reset(f.status);
      if (f.type === 'GOAWAY') goaway.resolve(f);
      if (f.type === 'PING') pongs.get(f.id)?.();
    },
    onError: (e) => errors.push(e),
  });
  return {
    frames,
    errors,
    goaway: goaway.promise,
    push: (b: Buffer) => parser.push(b),
    send,
    open(headers: Record<string, string>, fin = false): ClientStream {
      const id = nextId;
      nextId += 2;
      const r = deferred<void>();
      const f = deferred<void>();
      const x = deferred<number>();
      const s: ClientStream = {
        id,
        chunks: [],
        replied: r.promise,
        fin: f.promise,
        reset: x.promise,
        text: () => Buffer.concat(s.chunks).toString(),
      };
      streams.set(id, { s, replied: () => r.resolve(), fin: () => f.resolve(), reset: (n) => x.resolve(n) });
      const h: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(headers)) h[k] = [v];
      void send({ type: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, fin, unidirectional: false, headers: h });
      return s;
    },
    data: (id: number, data: Buffer | string, fin = false) => send({ type: 'DATA', streamId: id, fin, data: Buffer.from(data) }),
    rst: (id: number, status: number = RstStatus.CANCEL) => send({ type: 'RST_STREAM', streamId: id, status }),
    async ping(id: number) {
      const d = deferred<void>();
      pongs.set(id, () => d.resolve());
      await send({ type: 'PING', id });
      return d.promise;
    },
  };
}

type Client = ReturnType<typeof spdyClient>;

/** A TCP connection to a server that serves port-forward on every connection. */
async function spdyOverTcp(opts: PortForwardOptions) {
  const sessions: SpdySession[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sessions.push(servePortForwardSpdy(sock, opts));
  });
  const port = await listen(server);
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise((r) => sock.once('connect', r));
  const client = spdyClient((b) => sock.write(b));
  sock.on('data', (b: Buffer) => client.push(b));
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  sock.on('error', () => {});
  cleanups.push(async () => {
    sock.destroy();
    for (const s of sessions) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { client, sock, closed, sessions };
}

/** What kubectl does per local connection: error stream (closed for writing at once), then data stream. */
async function openForward(client: Client, requestId: number, port: number) {
  const headers = { streamtype: 'error', port: String(port), requestid: String(requestId) };
  const error = client.open(headers);
  await error.replied;
  await client.data(error.id, '', true);
  const data = client.open({ ...headers, streamtype: 'data' });
  await data.replied;
  return { error, data };
}

/** A bare RFC 6455 client: sends what it is given as is (kubectl's gorilla client sends '/' in protocols). */
async function rawWebSocket(port: number, path: string, protocol: string) {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': protocol,
    },
  });
  const { res, socket, head } = await new Promise<{ res: http.IncomingMessage; socket: net.Socket; head: Buffer }>((resolve, reject) => {
    req.on('upgrade', (res, socket, head) => resolve({ res, socket: socket as net.Socket, head }));
    req.on('response', (r) => reject(new Error(`upgrade refused: ${r.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  const listeners: ((b: Buffer) => void)[] = [];
  let buf = head;
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  socket.on('close', () => done());
  socket.on('error', () => {});
  const frame = (opcode: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126 && len < 65536) {
      head[0] = 0x80 | opcode;
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else if (len >= 65536) {
      head[0] = 0x80 | opcode;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4]!;
    socket.write(Buffer.concat([head, mask, body]));
  };
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (opcode === 8) {
        frame(8, payload.subarray(0, 2));
        socket.end();
        return;
      }
      if (opcode <= 2) for (const l of listeners) l(payload);
    }
  };
  socket.on('data', (b: Buffer) => {
    buf = Buffer.concat([buf, b]);
    parse();
  });
  queueMicrotask(parse);
  return {
    protocol: res.headers['sec-websocket-protocol'],
    socket,
    closed,
    onMessage: (cb: (b: Buffer) => void) => listeners.push(cb),
    send: (b: Buffer, opcode = 2) => frame(opcode, b),
    close: () => frame(8, Buffer.from([0x03, 0xe8])),
  };
}

describe('port-forward over SPDY (kubectl)', () => {
  it('forwards several connections at once, each echoed intact and closed with FIN both ways', async () => {
    const echo = await echoServer();
    const { client } = await spdyOverTcp(podOpts());
    const conns = await Promise.all([0, 1, 2, 3, 4].map((i) => openForward(client, i, echo.port)));
    await Promise.all(
      conns.map(async ({ data }, i) => {
        await client.data(data.id, `hello from ${i} `);
        await client.data(data.id, 'x'.repeat(1000 * (i + 1)), true);
      }),
    );
    for (const [i, { data, error }] of conns.entries()) {
      await data.fin;
      expect(data.text()).toBe(`hello from ${i} ` + 'x'.repeat(1000 * (i + 1)));
      await error.fin;
      expect(error.text()).toBe('');
    }
    expect(client.frames.filter((f) => f.type === 'RST_STREAM')).toEqual([]);
    expect(client.errors).toEqual([]);
  });

  it('carries 10 MiB each way intact', async () => {
    const echo = await echoServer();
    const { client, sock } = await spdyOverTcp(podOpts());
    const { data } = await openForward(client, 0, echo.port);
    const payload = createHash('sha256').update('seed').digest();
    const big = Buffer.alloc(10 * 1024 * 1024);
    for (let off = 0; off < big.length; off += payload.length) payload.copy(big, off);
    for (let i = 0; i < big.length; i++) big[i] ^= i & 0xff;
    for (let off = 0; off < big.length; off += 32 * 1024) {
      await client.data(data.id, big.subarray(off, off + 32 * 1024));
      if (sock.writableNeedDrain) await new Promise((r) => sock.once('drain', r));
    }
    await client.data(data.id, '', true);
    await data.fin;
    const got = Buffer.concat(data.chunks);
    expect(got.length).toBe(big.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('half-close: the client FIN reaches the Pod while the answer still flows back', async () => {
    const echo = await echoServer();
    const { client } = await spdyOverTcp(podOpts());
    const { data, error } = await openForward(client, 0, echo.port);
    await client.data(data.id, 'first');
    await client.data(data.id, '', true);
    await data.fin;
    expect(data.text()).toBe('first');
    await error.fin;
    expect(echo.events).toContain('end');
  });

  it('the Pod closing first sends FIN on the data stream and closes the error stream empty', async () => {
    const port = await greeterServer('hi there');
    const { client } = await spdyOverTcp(podOpts());
    const { data, error } = await openForward(client, 0, port);
    await data.fin;
    expect(data.text()).toBe('hi there');
    // kubectl then resets its data stream (its side may still be open: a half-closed Pod socket
    // could still read); the error stream closes, empty, and the session serves more connections.
    await client.rst(data.id);
    await error.fin;
    expect(error.text()).toBe('');
    const again = await openForward(client, 1, port);
    await again.data.fin;
    expect(again.data.text()).toBe('hi there');
  });

  it('a failed dial is answered on the error stream, then both streams are closed', async () => {
    const port = await closedPort();
    const { client } = await spdyOverTcp(podOpts());
    const { data, error } = await openForward(client, 0, port);
    await error.fin;
    expect(error.text()).toBe(
      `error forwarding port ${port} to pod web, uid u-1: failed to connect to port ${port} of pod "ns/web": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    await data.fin;
  });

  it('a client reset of the data stream closes the Pod connection', async () => {
    const echo = await echoServer();
    const { client } = await spdyOverTcp(podOpts());
    const { data, error } = await openForward(client, 0, echo.port);
    await client.data(data.id, 'abc');
    await client.rst(data.id);
    await error.fin;
    await until(() => echo.events.includes('close'), { every: 5 });
    expect(echo.events).toContain('close');
  });

  it('the client going away closes the Pod connections', async () => {
    const echo = await echoServer();
    const { client, sock, sessions } = await spdyOverTcp(podOpts());
    const { data } = await openForward(client, 0, echo.port);
    await client.data(data.id, 'abc');
    await until(() => data.text() === 'abc', { every: 5 });
    sock.destroy();
    await until(() => echo.events.includes('close'), { every: 5 });
    expect(sessions[0]!.closed).toBe(true);
  });

  it('rejects streams with missing or bad port/streamType headers with RST_STREAM CANCEL', async () => {
    const { client } = await spdyOverTcp(podOpts());
    const cases: Record<string, string>[] = [
      { streamtype: 'data' },
      { streamtype: 'data', port: 'http' },
      { streamtype: 'data', port: '0' },
      { streamtype: 'data', port: '70000' },
      { port: '80' },
      { streamtype: 'stdin', port: '80' },
    ];
    for (const h of cases) expect(await client.open(h).reset).toBe(RstStatus.CANCEL);
  });

  it('reports a second stream of one type for a request still pairing on its error stream', async () => {
    const { client } = await spdyOverTcp(podOpts());
    const error = client.open({ streamtype: 'error', port: '80', requestid: '7' });
    await error.replied;
    const dup = client.open({ streamtype: 'error', port: '80', requestid: '7' });
    expect(await dup.reset).toBe(RstStatus.CANCEL);
    while (!error.text()) await client.ping(3);
    expect(error.text()).toBe('error processing stream for request 7: error stream already assigned');
  });

  it('pairs streams without request ids by stream id, as old clients expect', async () => {
    const echo = await echoServer();
    const { client } = await spdyOverTcp(podOpts());
    const error = client.open({ streamtype: 'error', port: String(echo.port) });
    const data = client.open({ streamtype: 'data', port: String(echo.port) });
    await data.replied;
    await client.data(data.id, 'old', true);
    await data.fin;
    expect(data.text()).toBe('old');
    await error.fin;
  });

  it('times out a request whose second stream never comes', async () => {
    const { client } = await spdyOverTcp(podOpts({ streamCreationTimeoutMs: 20 }));
    const error = client.open({ streamtype: 'error', port: '80', requestid: '4' });
    await error.fin;
    expect(error.text()).toMatch(/^\(conn=spdy-\d+, request=4\) timed out waiting for streams$/);
  });

  it('answers PINGs', async () => {
    const { client } = await spdyOverTcp(podOpts());
    await client.ping(5);
    await client.ping(7);
  });

  it('runs through the WebSocket tunnel (SPDY/3.1+portforward.k8s.io), frames split across messages', async () => {
    const echo = await echoServer();
    const server = http.createServer();
    const sessions: SpdySession[] = [];
    server.on('upgrade', (req, socket, head) => {
      expect(offeredTunnelProtocols(req)).toEqual([PORT_FORWARD_TUNNEL_PROTOCOL]);
      void acceptSpdyTunnelWebSocket(req, socket, head).then((ws) =>
        sessions.push(servePortForwardSpdy(spdySessionOverWebSocket(ws), podOpts())),
      );
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((r) => server.close(r)));
    // Node's ws client refuses '/' in a subprotocol as its server does; Go's gorilla sends it.
    const ws = await rawWebSocket(port, '/api/v1/namespaces/ns/pods/web/portforward', PORT_FORWARD_TUNNEL_PROTOCOL);
    cleanups.push(() => ws.socket.destroy());
    expect(ws.protocol).toBe(PORT_FORWARD_TUNNEL_PROTOCOL);
    // Go's framer writes header fields one by one: each Write is its own message. Do likewise,
    // and now and then put two frames in one message.
    let carry: Buffer | undefined;
    let n = 0;
    const splitSend = (whole: Buffer) => {
      let prev = 0;
      for (const cut of [2, 4, 8, whole.length]) {
        if (cut > prev && cut <= whole.length) {
          ws.send(whole.subarray(prev, cut));
          prev = cut;
        }
      }
    };
    const client = spdyClient((b) => {
      const whole = carry ? Buffer.concat([carry, b]) : b;
      carry = undefined;
      if (n++ % 5 === 4) {
        carry = whole;
        setImmediate(() => {
          if (carry) splitSend(carry);
          carry = undefined;
        });
        return;
      }
      splitSend(whole);
    });
    ws.onMessage((b) => client.push(b));
    const conns = await Promise.all([0, 1, 2].map((i) => openForward(client, i, echo.port)));
    const big = Buffer.alloc(1024 * 1024, 'q');
    for (const { data } of conns) {
      for (let off = 0; off < big.length; off += 32 * 1024) await client.data(data.id, big.subarray(off, off + 32 * 1024));
      await client.data(data.id, '', true);
    }
    for (const { data, error } of conns) {
      await data.fin;
      expect(Buffer.concat(data.chunks).equals(big)).toBe(true);
      await error.fin;
    }
    expect(client.errors).toEqual([]);
    // Closing the WebSocket ends the session.
    ws.close();
    await ws.closed;
    await until(() => sessions[0]!.closed, { every: 5 });
  });

  it('a tunnel WebSocket carrying a text message is a protocol error', async () => {
    const server = http.createServer();
    const closed: (Error | undefined)[] = [];
    server.on('upgrade', (req, socket, head) => {
      void acceptSpdyTunnelWebSocket(req, socket, head).then((ws) => spdySessionOverWebSocket(ws, { onClose: (e) => closed.push(e) }));
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((r) => server.close(r)));
    const ws = await rawWebSocket(port, '/', PORT_FORWARD_TUNNEL_PROTOCOL);
    cleanups.push(() => ws.socket.destroy());
    ws.send(Buffer.from('hello'), 1);
    await ws.closed;
    expect(closed.map((e) => e?.message)).toEqual(['invalid message type received']);
  });

  it('over an upgraded HTTP connection: 101 headers as upstream, and the bytes after the request are SPDY', async () => {
    const echo = await echoServer();
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      const neg = negotiateStreamProtocol(req.headers['x-stream-protocol-version'], ['portforward.k8s.io']);
      if (!neg.ok) return socket.end(`HTTP/1.1 ${neg.status} Forbidden\r\n\r\n`);
      writeSpdyUpgradeResponse(socket, neg.protocol);
      servePortForwardSpdy(spdySessionOverSocket(socket, head, { idleTimeoutMs: 60_000 }), podOpts());
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((r) => server.close(r)));
    const sock = net.connect({ port, host: '127.0.0.1' });
    cleanups.push(() => sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    const client = spdyClient((b) => sock.write(b));
    // The first frames ride in the same packet as the request (they end up in `head`).
    const request =
      'POST /api/v1/namespaces/ns/pods/web/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      'X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n';
    const encoder = createFrameEncoder();
    const ping = await encoder.encode({ type: 'PING', id: 11 });
    sock.write(Buffer.concat([Buffer.from(request), ping]));
    let response = '';
    const bytes = await new Promise<Buffer>((resolve) => {
      let acc = Buffer.alloc(0);
      const onData = (b: Buffer) => {
        acc = Buffer.concat([acc, b]);
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        response = acc.subarray(0, end).toString();
        sock.off('data', onData);
        resolve(acc.subarray(end + 4));
      };
      sock.on('data', onData);
    });
    expect(response.split('\r\n').slice(0, 4)).toEqual([
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'X-Stream-Protocol-Version: portforward.k8s.io',
    ]);
    sock.on('data', (b: Buffer) => client.push(b));
    client.push(bytes);
    // The PING sent with the request came back; the client's own encoder starts its zlib fresh.
    await until(() => client.frames.some((f) => f.type === 'PING' && f.id === 11), { every: 5 });
    const { data } = await openForward(client, 0, echo.port);
    await client.data(data.id, 'over http', true);
    await data.fin;
    expect(data.text()).toBe('over http');
  });
});

// ---------------------------------------------------------------------------------------------
// WebSocket channels (client-node)

async function channelServer(ports: (req: http.IncomingMessage) => number[]) {
  const server = http.createServer();
  const wss = new WebSocketServer({
    server,
    handleProtocols: (offered) => selectPortForwardWebSocketProtocol([...offered]) ?? false,
  });
  const done: Promise<void>[] = [];
  wss.on('connection', (ws, req) => done.push(servePortForwardWebSocket(ws, ws.protocol, ports(req), podOpts())));
  const port = await listen(server);
  cleanups.push(() => new Promise((r) => server.close(r)));
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return { port, done };
}

function channelClient(ws: WebSocket, base64: boolean) {
  const byChannel = new Map<number, Buffer[]>();
  const order: number[] = [];
  ws.on('message', (m: Buffer, isBinary) => {
    let ch: number;
    let data: Buffer;
    if (base64) {
      expect(isBinary).toBe(false);
      ch = m[0]! - 48;
      data = Buffer.from(m.subarray(1).toString(), 'base64');
    } else {
      expect(isBinary).toBe(true);
      ch = m[0]!;
      data = m.subarray(1);
    }
    order.push(ch);
    byChannel.set(ch, [...(byChannel.get(ch) ?? []), data]);
  });
  return {
    order,
    bytes: (ch: number) => Buffer.concat(byChannel.get(ch) ?? []),
    send: (ch: number, data: string | Buffer) =>
      ws.send(
        base64 ? String.fromCharCode(48 + ch) + Buffer.from(data).toString('base64') : Buffer.concat([Buffer.of(ch), Buffer.from(data)]),
      ),
  };
}

const le16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

describe('port-forward over WebSocket channels (client-node)', () => {
  for (const protocol of ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']) {
    it(`${protocol}: ports first on every channel, data echoed on 2i, dial errors on 2i+1`, async () => {
      const echo = await echoServer();
      const dead = await closedPort();
      const { port } = await channelServer(() => [echo.port, dead]);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/x?ports=${echo.port}&ports=${dead}`, [protocol]);
      const c = channelClient(ws, protocol.includes('base64'));
      await new Promise((r) => ws.once('open', r));
      expect(ws.protocol).toBe(protocol);
      c.send(0, 'hello ');
      c.send(0, 'world');
      const want = Buffer.concat([le16(echo.port), Buffer.from('hello world')]);
      await until(() => c.bytes(0).length >= want.length && c.bytes(3).length > 0, { every: 5 });
      expect(c.order.slice(0, 4).sort()).toEqual([0, 1, 2, 3]);
      expect(c.bytes(0)).toEqual(want);
      expect(c.bytes(1)).toEqual(le16(echo.port));
      expect(c.bytes(2)).toEqual(le16(dead));
      expect(c.bytes(3).subarray(0, 2)).toEqual(le16(dead));
      expect(c.bytes(3).subarray(2).toString()).toBe(
        `error forwarding port ${dead} to pod web, uid u-1: failed to connect to port ${dead} of pod "ns/web": dial tcp 127.0.0.1:${dead}: connect: connection refused`,
      );
      // Writes on error channels and unknown channels are ignored.
      c.send(1, 'ignored');
      c.send(9, 'ignored');
      ws.close();
      await until(() => echo.events.includes('close'), { every: 5 });
    });
  }

  it('closes the WebSocket once every port is done', async () => {
    const port1 = await greeterServer('bye');
    const { port, done } = await channelServer(() => [port1]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`, ['v4.channel.k8s.io']);
    const c = channelClient(ws, false);
    const code = await new Promise<number>((r) => ws.once('close', (n) => r(n)));
    expect(code).toBe(1000);
    expect(c.bytes(0)).toEqual(Buffer.concat([le16(port1), Buffer.from('bye')]));
    await done[0];
  });

  it('data sent before the Pod connection is up is delivered in order', async () => {
    const echo = await echoServer();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'v4.channel.k8s.io' });
    wss.on('connection', (ws) => {
      void servePortForwardWebSocket(
        ws,
        'v4.channel.k8s.io',
        [echo.port],
        podOpts({ dial: async (p) => (await gate, net.connect(p, '127.0.0.1')) }),
      );
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((r) => server.close(r)));
    cleanups.push(() => {
      for (const cl of wss.clients) cl.terminate();
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`, ['v4.channel.k8s.io']);
    const c = channelClient(ws, false);
    await new Promise((r) => ws.once('open', r));
    for (let i = 0; i < 10; i++) c.send(0, `${i},`);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const want = '0,1,2,3,4,5,6,7,8,9,';
    await until(() => c.bytes(0).length >= 2 + want.length, { every: 5 });
    expect(c.bytes(0).subarray(2).toString()).toBe(want);
    ws.close();
  });

  it("@kubernetes/client-node's PortForward talks to it", async () => {
    const echo = await echoServer();
    let seenUrl = '';
    const { port } = await channelServer((req) => {
      seenUrl = req.url ?? '';
      return parsePortForwardPorts(new URL(req.url!, 'http://x').searchParams.getAll('ports'));
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const out: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    });
    const input = new PassThrough();
    const ws = (await new PortForward(kc).portForward('ns', 'web', [echo.port], output, null, input)) as WebSocket;
    cleanups.push(() => ws.terminate());
    expect(seenUrl).toBe(`/api/v1/namespaces/ns/pods/web/portforward?ports=${echo.port}`);
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    input.write('from client-node');
    await until(() => Buffer.concat(out).toString() === 'from client-node', { every: 5 });
  });
});

// ---------------------------------------------------------------------------------------------
// exec/attach streams over SPDY

async function execSession(protocol: string, opts: Parameters<typeof spdyRemoteCommand>[2]) {
  const server = net.createServer({ allowHalfOpen: true });
  const sessionP = new Promise<ReturnType<typeof spdyRemoteCommand>>((resolve) =>
    server.on('connection', (sock) => resolve(spdyRemoteCommand(spdySessionOverSocket(sock, undefined), protocol, opts))),
  );
  const port = await listen(server);
  const sock = net.connect({ port, host: '127.0.0.1' });
  const client = spdyClient((b) => sock.write(b));
  sock.on('data', (b: Buffer) => client.push(b));
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  cleanups.push(async () => {
    sock.destroy();
    await new Promise((r) => server.close(r));
  });
  return { client, streams: sessionP, closed, sock };
}

describe('exec/attach streams over SPDY', () => {
  it('v4 with a tty: stdin, stdout and resize, then the Status as JSON and a clean close', async () => {
    const { client, streams, closed } = await execSession('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: true });
    const error = client.open({ streamtype: 'error' });
    const stdin = client.open({ streamtype: 'stdin' });
    const stdout = client.open({ streamtype: 'stdout' });
    const resize = client.open({ streamtype: 'resize' });
    await resize.replied;
    const rc = await await streams;
    expect(rc.stderr).toBeUndefined();
    const sizes: TerminalSize[] = [];
    rc.onResize((s) => sizes.push(s));
    let gone = false;
    rc.onClientGone(() => (gone = true));
    await client.data(resize.id, '{"Width":80,"Hei');
    await client.data(resize.id, 'ght":24}\n{"width":100,"height":50}\n');
    await client.data(stdin.id, 'typed', true);
    const typed: Buffer[] = [];
    rc.stdin!.on('data', (b: Buffer) => typed.push(b));
    await new Promise((r) => rc.stdin!.once('end', r));
    expect(Buffer.concat(typed).toString()).toBe('typed');
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 50 },
    ]);
    rc.stdout!.write('output');
    rc.finish({ metadata: {}, status: 'Success' });
    await Promise.all([stdout.fin, error.fin]);
    expect(stdout.text()).toBe('output');
    expect(JSON.parse(error.text())).toEqual({ metadata: {}, status: 'Success' });
    expect(await resize.reset).toBe(RstStatus.CANCEL);
    expect((await client.goaway) as SpdyFrame).toMatchObject({ status: GoAwayStatus.OK });
    await closed;
    expect(gone).toBe(false);
  });

  it('v2 without a tty: stderr too, and the failure message (not JSON) on the error stream', async () => {
    const { client, streams } = await execSession('v2.channel.k8s.io', { stdin: false, stdout: true, stderr: true, tty: false });
    const error = client.open({ streamtype: 'error' });
    const stdout = client.open({ streamtype: 'stdout' });
    const stderr = client.open({ streamtype: 'stderr' });
    const rc = await streams;
    expect(rc.stdin).toBeUndefined();
    rc.stderr!.write('oops');
    rc.finish({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit 3',
      reason: 'NonZeroExitCode',
    });
    await Promise.all([stdout.fin, stderr.fin, error.fin]);
    expect(stderr.text()).toBe('oops');
    expect(error.text()).toBe('command terminated with non-zero exit code: exit 3');
  });

  it('rejects when the client does not open its streams in time', async () => {
    const { client, streams, closed } = await execSession('v4.channel.k8s.io', {
      stdin: false,
      stdout: true,
      stderr: false,
      tty: false,
      streamCreationTimeoutMs: 20,
    });
    client.open({ streamtype: 'error' });
    await expect(streams).rejects.toThrow('timed out waiting for client to create streams');
    await closed;
  });

  it('tells when the client goes away before finish()', async () => {
    const { client, streams, sock } = await execSession('v5.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: false });
    client.open({ streamtype: 'error' });
    client.open({ streamtype: 'stdout' });
    const rc = await streams;
    const gone = new Promise<void>((r) => rc.onClientGone(r));
    sock.destroy();
    await gone;
  });
});

describe('helpers', () => {
  it('negotiates X-Stream-Protocol-Version like httpstream.Handshake', () => {
    expect(negotiateStreamProtocol('portforward.k8s.io', ['portforward.k8s.io'])).toEqual({ ok: true, protocol: 'portforward.k8s.io' });
    expect(
      negotiateStreamProtocol(['v5.channel.k8s.io, v4.channel.k8s.io', 'v3.channel.k8s.io'], ['v4.channel.k8s.io', 'v3.channel.k8s.io']),
    ).toEqual({
      ok: true,
      protocol: 'v4.channel.k8s.io',
    });
    expect(negotiateStreamProtocol(undefined, ['a'])).toMatchObject({
      ok: false,
      status: 400,
      message: 'unable to upgrade: X-Stream-Protocol-Version is required',
    });
    expect(negotiateStreamProtocol('x, y', ['a', 'b'])).toEqual({
      ok: false,
      status: 403,
      message: 'unable to upgrade: unable to negotiate protocol: client supports [x y], server accepts [a b]',
      acceptedProtocols: ['a', 'b'],
    });
  });

  it('parses port lists as the kubelet does', () => {
    expect(parsePortForwardPorts(['80', '81,82'])).toEqual([80, 81, 82]);
    expect(() => parsePortForwardPorts([])).toThrow('query parameter "port" is required');
    expect(() => parsePortForwardPorts([''])).toThrow('query parameter "port" cannot be empty');
    expect(() => parsePortForwardPorts(['x'])).toThrow('unable to parse "x" as a port: strconv.ParseUint: parsing "x": invalid syntax');
    expect(() => parsePortForwardPorts(['0'])).toThrow('port "0" must be > 0');
  });

  it('checks stream headers with the kubelet texts', () => {
    const h = (o: Record<string, string>) => (n: string) => o[n];
    expect(checkPortForwardStreamHeaders(h({ port: '80', streamtype: 'data' }))).toBeUndefined();
    expect(checkPortForwardStreamHeaders(h({ streamtype: 'data' }))).toBe('"port" header is required');
    expect(checkPortForwardStreamHeaders(h({ port: '99999', streamtype: 'data' }))).toBe(
      'unable to parse "99999" as a port: strconv.ParseUint: parsing "99999": value out of range',
    );
    expect(checkPortForwardStreamHeaders(h({ port: '80' }))).toBe('"streamType" header is required');
    expect(checkPortForwardStreamHeaders(h({ port: '80', streamtype: 'x' }))).toBe('invalid stream type "x"');
  });

  it('picks the channel subprotocol as the kubelet would', () => {
    expect(selectPortForwardWebSocketProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(selectPortForwardWebSocketProtocol(['v4.base64.channel.k8s.io'])).toBe('v4.base64.channel.k8s.io');
    expect(selectPortForwardWebSocketProtocol([])).toBe('');
    expect(selectPortForwardWebSocketProtocol(['channel.k8s.io'])).toBeUndefined();
  });
});
