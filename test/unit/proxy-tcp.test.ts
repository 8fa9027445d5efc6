// The service proxy's TCP splice on real loopback sockets, through both transports: libuv's
// handles (tcp-uv.ts, the default) and net.Socket (tcp-net.ts, the fallback). Each must carry
// bytes exactly both ways with backpressure, pass half-closes and resets through, try the next
// backend when one refuses or does not answer, bind the client's address, and report listen
// errors as net does. The first test fails on a Node release whose internal handles no longer
// have the shape tcp-uv.ts drives (the proxy would then fall back to net.Socket, slower).
import net from 'node:net';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openTcpListener, type Closable, type ProxySocket, type TcpTarget, type TcpTransport } from '../../src/proxy/tcp.js';
import { netTransport } from '../../src/proxy/tcp-net.js';
import { probeBindings, uvTransport } from '../../src/proxy/tcp-uv.js';
import { newCounters, snapshot } from '../../src/proxy/stats.js';
import type { Endpoint } from '../../src/proxy/endpoints.js';
import { recordingLog } from './proxy-fixtures.js';
import { until } from '../helpers/wait.js';

it('this Node has the libuv TCP handles the proxy drives (else it falls back to net.Socket)', () => {
  const p = probeBindings();
  expect('reason' in p ? p.reason : 'ok').toBe('ok');
  const t = uvTransport();
  expect('name' in t && t.name).toBe('uv');
});

it('falls back to net.Socket under --pending-deprecation (where process.binding would print a warning)', () => {
  process.execArgv.push('--pending-deprecation');
  try {
    const p = probeBindings();
    expect('reason' in p && p.reason).toMatch(/pending-deprecation/);
  } finally {
    process.execArgv.pop();
  }
});

/** A backend that records what it sees; `mode` picks what it does with a connection. */
interface Seen {
  from: string | undefined;
  fromPort: number | undefined;
  events: string[];
  bytes: number;
}
type Mode = 'echo' | 'sink' | 'source' | 'finfirst' | 'rst' | 'wait';

async function backend(host: string, mode: Mode, sourceBytes = 0) {
  const seen: Seen[] = [];
  const sockets: net.Socket[] = [];
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    const rec: Seen = { from: s.remoteAddress, fromPort: s.remotePort, events: [], bytes: 0 };
    seen.push(rec);
    s.on('error', (e: NodeJS.ErrnoException) => rec.events.push(`error:${e.code}`));
    s.on('close', () => rec.events.push('close'));
    s.on('end', () => rec.events.push('end'));
    s.on('data', (d) => (rec.bytes += d.length));
    if (mode === 'echo') s.pipe(s);
    else if (mode === 'sink') s.on('end', () => s.end(String(rec.bytes)));
    else if (mode === 'finfirst') s.end();
    else if (mode === 'rst') s.once('data', () => s.resetAndDestroy());
    else if (mode === 'source') {
      let left = sourceBytes;
      const block = Buffer.alloc(256 * 1024, 120);
      const pump = () => {
        while (left > 0) {
          const k = Math.min(left, block.length);
          left -= k;
          if (!s.write(k === block.length ? block : block.subarray(0, k))) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    }
  });
  await new Promise<void>((r) => srv.listen({ host, port: 0 }, r));
  const port = (srv.address() as net.AddressInfo).port;
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { seen, sockets, port, ep: { ip: host, port, key: `${host}:${port}` } as Endpoint };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

let nextPort = 18300;

function target(order: Endpoint[], more: Partial<TcpTarget> = {}): TcpTarget & { splicedTo: string[] } {
  const splicedTo: string[] = [];
  return {
    order,
    localAddress: () => undefined,
    admits: () => true,
    counters: newCounters(),
    spliced: (b) => splicedTo.push(b.key),
    splicedTo,
    ...more,
  };
}

type Transport = TcpTransport<ProxySocket>;
const transports: [string, Transport][] = [
  ['libuv handles', uvTransport() as unknown as Transport],
  ['net.Socket', netTransport as Transport],
];

describe.each(transports)('TCP splice on %s', (_name, transport) => {
  /** A listener on 127.233.1.1 whose connections go to `t` (called per connection). */
  async function listen(t: () => TcpTarget | undefined, address = '127.233.1.1', timeoutMs = 2000) {
    const port = nextPort++;
    const log = recordingLog();
    const l: Closable = await openTcpListener(address, port, () => t(), { connectTimeoutMs: timeoutMs, log }, transport);
    cleanups.push(() => l.close());
    return { port, address, log, l };
  }
  const connect = (p: { address: string; port: number }, localAddress?: string) => {
    const s = net.connect({ host: p.address, port: p.port, allowHalfOpen: true, localAddress });
    cleanups.push(() => void s.destroy());
    return s;
  };
  /** The client's error code or 'closed'/'end', whichever comes first. */
  const outcome = (s: net.Socket) =>
    new Promise<string>((resolve) => {
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.on('end', () => resolve('end'));
      s.on('close', () => resolve('closed'));
      s.resume();
    });

  it('carries 8 MiB client → backend, the client’s FIN first and the answer after it; bytes counted', async () => {
    const b = await backend('127.233.2.1', 'sink');
    const t = target([b.ep]);
    const l = await listen(() => t);
    const s = connect(l);
    const N = 8 * 2 ** 20;
    const block = Buffer.alloc(256 * 1024, 97);
    let answer = '';
    s.on('data', (d) => (answer += d));
    for (let left = N; left > 0; left -= block.length) if (!s.write(block)) await new Promise((r) => s.once('drain', r));
    s.end();
    await new Promise((r) => s.once('end', r));
    expect(Number(answer)).toBe(N);
    await until(() => snapshot(t.counters).activeConnections === 0);
    expect(snapshot(t.counters)).toMatchObject({ connections: 1, bytesIn: N, bytesOut: String(N).length, rejected: 0 });
    expect(t.splicedTo).toEqual([b.ep.key]);
  });

  it('carries 32 MiB backend → client exactly, and holds the backend back while the client does not read (backpressure)', async () => {
    const N = 32 * 2 ** 20;
    const b = await backend('127.233.2.2', 'source', N);
    const l = await listen(() => target([b.ep]));
    const s = connect(l);
    s.pause();
    // The client reads nothing: the backend's writes back up once the kernel's buffers and one
    // read of the proxy's are full, far short of the 32 MiB (a proxy without backpressure would
    // take them all).
    const handed = () => {
      const bs = b.sockets[0];
      return bs ? bs.bytesWritten - bs.writableLength : 0;
    };
    let last = -1;
    await until(
      () => {
        const h = handed();
        const stable = h > 0 && h === last && b.sockets[0]!.writableNeedDrain;
        last = h;
        return stable;
      },
      { every: 100, what: 'the backend held back' },
    );
    expect(handed()).toBeLessThan(N / 2);
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.resume();
    await new Promise((r) => s.once('end', r));
    expect(got).toBe(N);
  });

  it('passes a backend’s FIN first; the client sends after it and the backend gets it, then the client’s FIN', async () => {
    const b = await backend('127.233.2.3', 'finfirst');
    const l = await listen(() => target([b.ep]));
    const s = connect(l);
    s.resume();
    await new Promise((r) => s.once('end', r));
    const closed = new Promise((r) => s.once('close', r));
    s.end(Buffer.alloc(1000, 98));
    await until(() => b.seen[0]?.events.includes('end'));
    expect(b.seen[0]!.bytes).toBe(1000);
    await closed;
  });

  it('turns a backend’s reset into a reset of the client', async () => {
    const b = await backend('127.233.2.4', 'rst');
    const l = await listen(() => target([b.ep]));
    const s = connect(l);
    s.write('x');
    expect(await outcome(s)).toBe('ECONNRESET');
  });

  it('turns a client’s reset into a reset of the backend (no FIN)', async () => {
    const b = await backend('127.233.2.5', 'wait');
    const l = await listen(() => target([b.ep]));
    const s = connect(l);
    s.write('x');
    await until(() => b.seen[0]?.bytes === 1);
    s.resetAndDestroy();
    await until(() => b.seen[0]!.events.includes('close'));
    expect(b.seen[0]!.events).toContain('error:ECONNRESET');
    expect(b.seen[0]!.events).not.toContain('end');
  });

  it('tries the next backend when one refuses; with none left, or none at all, resets the client', async () => {
    const b = await backend('127.233.2.6', 'echo');
    const dead = { ip: '127.233.2.7', port: 9, key: '127.233.2.7:9' } as Endpoint;
    const t = target([dead, b.ep]);
    const l = await listen(() => t);
    const s = connect(l);
    s.end('hello');
    let got = '';
    s.on('data', (d) => (got += d));
    expect(await outcome(s)).toBe('end');
    expect(got).toBe('hello');
    expect(t.counters).toMatchObject({ backendFailures: 1, rejected: 0 });
    expect(t.splicedTo).toEqual([b.ep.key]);

    const none = target([dead]);
    const l2 = await listen(() => none);
    expect(await outcome(connect(l2))).toBe('ECONNRESET');
    expect(none.counters).toMatchObject({ connections: 1, backendFailures: 1, rejected: 1 });

    const empty = target([]);
    const l3 = await listen(() => empty);
    expect(await outcome(connect(l3))).toBe('ECONNRESET');
    expect(empty.counters).toMatchObject({ connections: 1, rejected: 1 });

    const gone = await listen(() => undefined);
    expect(await outcome(connect(gone))).toBe('ECONNRESET');
  });

  it('resets a client whose backend a NetworkPolicy refuses, without trying the next', async () => {
    const b = await backend('127.233.2.8', 'echo');
    const t = target([b.ep, b.ep], { admits: () => false });
    const l = await listen(() => t);
    expect(await outcome(connect(l))).toBe('ECONNRESET');
    expect(b.seen).toHaveLength(0);
    expect(t.counters).toMatchObject({ rejected: 1, backendFailures: 0 });
  });

  it('gives up on a backend that does not answer after the connect timeout and goes to the next', async () => {
    // A listener with a full accept queue that never accepts: SYNs are dropped, connect() hangs.
    const py = spawn(
      '/usr/bin/python3',
      [
        '-c',
        `import socket, time
l = socket.socket(); l.bind(('127.233.2.9', 0)); l.listen(0)
port = l.getsockname()[1]
fill = []
for i in range(3):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(('127.233.2.9', port))
    except BlockingIOError: pass
    fill.append(s)
print(port, flush=True)
time.sleep(60)`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => void py.kill());
    const port = Number(await new Promise<string>((r) => py.stdout!.once('data', (d) => r(String(d)))));
    const b = await backend('127.233.2.10', 'echo');
    const t = target([{ ip: '127.233.2.9', port, key: `127.233.2.9:${port}` } as Endpoint, b.ep]);
    const l = await listen(() => t, '127.233.1.1', 300);
    const s = connect(l);
    s.end('late');
    let got = '';
    s.on('data', (d) => (got += d));
    expect(await outcome(s)).toBe('end');
    expect(got).toBe('late');
    expect(t.counters.backendFailures).toBe(1);
  });

  it('connects from the client’s address when asked, from a port above the ephemeral range', async () => {
    const b = await backend('127.233.2.11', 'echo');
    const t = target([b.ep], { localAddress: () => '127.233.3.1' });
    const l = await listen(() => t);
    const s = connect(l, '127.233.3.1');
    s.end('from me');
    expect(await outcome(s)).toBe('end');
    const high = Number((await import('node:fs')).readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[1]);
    expect(b.seen[0]!.from).toBe('127.233.3.1');
    expect(b.seen[0]!.fromPort).toBeGreaterThan(high);
  });

  it('resets both sides when the connection tracking kills them (a backend gone for good)', async () => {
    const b = await backend('127.233.2.12', 'wait');
    const pairs: [ProxySocket, ProxySocket][] = [];
    const l = await listen(() => target([b.ep], { spliced: (_b, c, u) => void pairs.push([c, u]) }));
    const s = connect(l);
    s.write('x');
    await until(() => pairs.length === 1 && b.seen[0]?.bytes === 1);
    const [client, upstream] = pairs[0]!;
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(upstream.localAddress).toBe('127.0.0.1');
    let closed = 0;
    client.once('close', () => closed++);
    upstream.resetAndDestroy();
    client.resetAndDestroy();
    expect(await outcome(s)).toBe('ECONNRESET');
    await until(() => b.seen[0]!.events.includes('close'));
    expect(b.seen[0]!.events).toContain('error:ECONNRESET');
    await until(() => closed === 1);
  });

  it('splices IPv6', async () => {
    const b = await backend('::1', 'echo');
    const l = await listen(() => target([b.ep]), '::1');
    const s = connect(l);
    s.end('hello over v6');
    let got = '';
    s.on('data', (d) => (got += d));
    expect(await outcome(s)).toBe('end');
    expect(got).toBe('hello over v6');
  });

  it('rejects a listen on a taken address and port with net’s error (EADDRINUSE, syscall listen)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.233.1.2', port: 0 }, r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as net.AddressInfo).port;
    const err = await openTcpListener(
      '127.233.1.2',
      port,
      () => undefined,
      { connectTimeoutMs: 1000, log: recordingLog() },
      transport,
    ).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
    expect(err!.message).toBe(`listen EADDRINUSE: address already in use 127.233.1.2:${port}`);
  });

  it('reports a source port in use as bind’s failure (the next port is tried)', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.233.3.2', port: 0 }, r));
    cleanups.push(() => new Promise<void>((r) => holder.close(() => r())));
    const held = (holder.address() as net.AddressInfo).port;
    const b = await backend('127.233.2.13', 'echo');
    const err = await new Promise((resolve) => transport.dial(b.ep.ip, b.port, '127.233.3.2', held, 1000, (e) => resolve(e)));
    expect(err).toEqual({ code: 'EADDRINUSE', syscall: 'bind' });
  });
});

afterAll(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});
