// The bind-rewrite library (src/kubelet/preload/bind.c) in real processes: servers that bind
// 0.0.0.0, 127.0.0.1 or :: listen at their Pod IP, so replicas share a port; loopback connects and
// datagrams reach the Pod's own servers and nothing else; programs without a Pod IP, and calls the
// library has no business with, see exactly what they would without it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindRewriteEnv, preloadLibrary } from '../../src/kubelet/preload.js';
import { PYTHON } from '../helpers/python.js';
import { until } from '../helpers/wait.js';

let dir: string;
let library: string;
let savedCacheDir: string | undefined;
const children = new Set<ChildProcess>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tinykube-bind-preload-'));
  // The library is written where the kubelet would write it: the addon cache dir, here the test's own.
  savedCacheDir = process.env.TINYKUBE_CACHE_DIR;
  process.env.TINYKUBE_CACHE_DIR = join(dir, 'cache');
  const lib = preloadLibrary();
  if ('error' in lib) throw new Error(lib.error);
  library = lib.path;
});

afterEach(async () => {
  await Promise.all([...children].map((c) => stop(c)));
});

afterAll(() => {
  if (savedCacheDir === undefined) delete process.env.TINYKUBE_CACHE_DIR;
  else process.env.TINYKUBE_CACHE_DIR = savedCacheDir;
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a container of the Pod at `podIP` (its ports file in the test dir). */
function podEnv(podIP: string, name = podIP): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...bindRewriteEnv({ library, podIP, portsFile: portsFile(name) }) };
}

function portsFile(name: string): string {
  return join(dir, `ports-${name}`);
}

function portsOf(name: string): string {
  return existsSync(portsFile(name)) ? readFileSync(portsFile(name), 'utf8') : '';
}

/** A port nothing listens on now (the kernel's pick on 127.0.0.1). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function start(argv: string[], env: Record<string, string>): Proc {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  exited.then(() => children.delete(child));
  return { child, out: () => out, err: () => err, exited };
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((resolve) => c.on('close', resolve));
  c.kill('SIGKILL');
  await gone;
}

/** GET http://host:port/path: the body, or undefined when nothing answers there. */
function httpGet(host: string, port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** Waits until `p` serves who.txt at host:port (or fails with what the server said). */
async function serving(p: Proc, host: string, port: number): Promise<string> {
  return until(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`the server exited (${p.child.exitCode}): ${p.err()}`);
      return httpGet(host, port, '/who.txt');
    },
    { what: `a server at ${host}:${port}` },
  );
}

/** A directory served by `python3 -m http.server`, with who.txt naming it. */
function site(name: string): string {
  const d = join(dir, `site-${name}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'who.txt'), name);
  return d;
}

function httpServer(port: number, siteName: string, env: Record<string, string>, bind?: string): Proc {
  const args = [PYTHON, '-m', 'http.server', String(port), '--directory', site(siteName)];
  if (bind) args.push('--bind', bind);
  return start(args, env);
}

/** Runs a short Python script to its end; its last stdout line is JSON. Not spawnSync: servers of this process must answer meanwhile. */
async function pyJSON(code: string, args: string[], env: Record<string, string>): Promise<unknown> {
  const p = start([PYTHON, '-c', code, ...args], env);
  const code_ = await p.exited;
  if (code_ !== 0) throw new Error(`python exited ${code_}: ${p.err()}`);
  return JSON.parse(p.out().trim().split('\n').pop()!);
}

describe('binds of wildcard and loopback addresses', () => {
  it('lets two replicas serve the same port at their own Pod IPs', async () => {
    const port = await freePort();
    const a = httpServer(port, 'replica-1', podEnv('127.244.200.1'));
    const b = httpServer(port, 'replica-2', podEnv('127.244.200.2'));
    expect(await serving(a, '127.244.200.1', port)).toBe('replica-1');
    expect(await serving(b, '127.244.200.2', port)).toBe('replica-2');
    expect(portsOf('127.244.200.1')).toBe(`tcp ${port}\n`);
    expect(portsOf('127.244.200.2')).toBe(`tcp ${port}\n`);
    // Neither took the port of the whole host.
    expect(await httpGet('127.0.0.1', port, '/who.txt')).toBeUndefined();
  });

  it('without the library, the second replica cannot start', async () => {
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const a = httpServer(port, 'plain-1', env);
    expect(await serving(a, '127.0.0.1', port)).toBe('plain-1');
    const b = httpServer(port, 'plain-2', env);
    expect(await b.exited).not.toBe(0);
    expect(b.err()).toContain('Address already in use');
  });

  it('moves a server bound to 127.0.0.1 to its Pod IP', async () => {
    const port = await freePort();
    const s = httpServer(port, 'loopback', podEnv('127.244.200.3'), '127.0.0.1');
    expect(await serving(s, '127.244.200.3', port)).toBe('loopback');
    expect(await httpGet('127.0.0.1', port, '/who.txt')).toBeUndefined();
    expect(portsOf('127.244.200.3')).toBe(`tcp ${port}\n`);
  });

  it('moves a dual-stack server bound to :: to its Pod IP, reachable over IPv4', async () => {
    const port = await freePort();
    const s = httpServer(port, 'dual', podEnv('127.244.200.4'), '::');
    expect(await serving(s, '127.244.200.4', port)).toBe('dual');
    expect(await httpGet('127.0.0.1', port, '/who.txt')).toBeUndefined();
    expect(portsOf('127.244.200.4')).toBe(`tcp ${port}\n`);
  });

  it('starts servers that listen on IPv6-only :: and on 0.0.0.0 at one port, in two Pods', async () => {
    // nginx's default site: `listen 80` and `listen [::]:80` (ipv6only=on).
    const server = `
import json, socket, sys
port, name = int(sys.argv[1]), sys.argv[2].encode()
s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(('::', port))
s6.listen()
s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s4.bind(('0.0.0.0', port))
s4.listen()
print(json.dumps({'v6': list(s6.getsockname()[:2]), 'v4': list(s4.getsockname())}), flush=True)
while True:
    c, _ = s4.accept()
    c.sendall(name)
    c.close()
`;
    const port = await freePort();
    const pods = ['127.244.200.5', '127.244.200.6'];
    const procs = pods.map((ip) => start([PYTHON, '-c', server, String(port), `pod-${ip}`], podEnv(ip)));
    for (const [i, ip] of pods.entries()) {
      const p = procs[i]!;
      const line = await until(() => {
        if (p.child.exitCode !== null) throw new Error(`the server exited (${p.child.exitCode}): ${p.err()}`);
        return p.out().split('\n')[0];
      });
      const bound = JSON.parse(line) as { v6: [string, number]; v4: [string, number] };
      expect(bound.v4).toEqual([ip, port]);
      // The IPv6 socket got the unreachable placeholder, not the host's port.
      expect(bound.v6[0]).toBe('::1');
      expect(bound.v6[1]).not.toBe(port);
      expect(tcpRead(ip, port)).toBe(`pod-${ip}`);
      expect(portsOf(ip)).toBe(`tcp ${port}\n`);
    }
  });

  it('changes nothing without a valid TINYKUBE_POD_IP', async () => {
    const code = `
import json, socket
out = []
for host in ('0.0.0.0', '127.0.0.1'):
    s = socket.socket()
    s.bind((host, 0))
    out.append(s.getsockname()[0])
print(json.dumps(out))
`;
    const unset = podEnv('127.244.200.7', 'unset');
    delete unset.TINYKUBE_POD_IP;
    expect(await pyJSON(code, [], unset)).toEqual(['0.0.0.0', '127.0.0.1']);
    expect(await pyJSON(code, [], { ...podEnv('127.244.200.7', 'invalid'), TINYKUBE_POD_IP: 'not-an-ip' })).toEqual([
      '0.0.0.0',
      '127.0.0.1',
    ]);
    expect(await pyJSON(code, [], { ...podEnv('127.244.200.7', 'ipv6'), TINYKUBE_POD_IP: 'fd00::1' })).toEqual(['0.0.0.0', '127.0.0.1']);
    expect(existsSync(portsFile('unset')) || existsSync(portsFile('invalid')) || existsSync(portsFile('ipv6'))).toBe(false);
    // And the library was loaded: the same script with a Pod IP does move.
    expect(await pyJSON(code, [], podEnv('127.244.200.7'))).toEqual(['127.244.200.7', '127.244.200.7']);
  });
});

/** What a server at host:port sends before it closes the connection. */
function tcpRead(host: string, port: number): string {
  const code = `
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(c.recv(100).decode())
`;
  const r = spawnSync(PYTHON, ['-c', code, host, String(port)], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : `error: ${r.stderr}`;
}

describe('loopback destinations', () => {
  // A client of a Pod: what each connect or datagram to loopback reached.
  const client = `
import json, socket, sys
tcp, udp = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for family, host, port in tcp:
    try:
        c = socket.socket(family, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect((host, port))
        out['tcp %s %d' % (host, port)] = c.recv(100).decode()
    except OSError as e:
        out['tcp %s %d' % (host, port)] = 'error %s' % (e.errno or e)
for how, port in udp:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    if how == 'sendto':
        u.sendto(b'ping', ('127.0.0.1', port))
    else:
        u.sendmsg([b'ping'], [], 0, ('127.0.0.1', port))
    try:
        out['%s %d' % (how, port)] = u.recv(100).decode()
    except OSError as e:
        out['%s %d' % (how, port)] = 'error %s' % e
print(json.dumps(out))
`;
  // A Pod's TCP banner and UDP echo servers, bound to 127.0.0.1 (port 0: the kernel's pick).
  const podServers = `
import json, socket, sys, threading
name = sys.argv[1]
t = socket.socket()
t.bind(('127.0.0.1', 0))
t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
def echo():
    while True:
        data, peer = u.recvfrom(100)
        u.sendto(name.encode() + b':' + data, peer)
threading.Thread(target=echo, daemon=True).start()
print(json.dumps({'tcp': t.getsockname()[1], 'udp': u.getsockname()[1]}), flush=True)
while True:
    c, _ = t.accept()
    c.sendall(name.encode())
    c.close()
`;

  it("reaches the Pod's own servers at 127.0.0.1 and the host's everywhere else", async () => {
    const ip = '127.244.200.8';
    const pod = start([PYTHON, '-c', podServers, 'pod'], podEnv(ip));
    const line = await until(() => {
      if (pod.child.exitCode !== null) throw new Error(`the servers exited (${pod.child.exitCode}): ${pod.err()}`);
      return pod.out().split('\n')[0];
    });
    const ports = JSON.parse(line) as { tcp: number; udp: number };
    expect(portsOf(ip)).toBe(`tcp ${ports.tcp}\nudp ${ports.udp}\n`);

    // The host's servers on the real 127.0.0.1, started without the library (as tinykube's API server is).
    const hostTcp = createServer((c) => c.end('host'));
    await new Promise<void>((resolve) => hostTcp.listen(0, '127.0.0.1', resolve));
    const hostUdp = createSocket('udp4');
    hostUdp.on('message', (msg, peer) => hostUdp.send(Buffer.concat([Buffer.from('host:'), msg]), peer.port, peer.address));
    await new Promise<void>((resolve) => hostUdp.bind(0, '127.0.0.1', resolve));
    try {
      const hostTcpPort = (hostTcp.address() as AddressInfo).port;
      const hostUdpPort = hostUdp.address().port;
      const tcp = [
        [2, '127.0.0.1', ports.tcp],
        [10, '::1', ports.tcp],
        [10, '::ffff:127.0.0.1', ports.tcp],
        [2, '127.0.0.1', hostTcpPort],
      ];
      const udp = [
        ['sendto', ports.udp],
        ['sendmsg', ports.udp],
        ['sendto', hostUdpPort],
        ['sendmsg', hostUdpPort],
      ];
      const args = [JSON.stringify(tcp), JSON.stringify(udp)];
      expect(await pyJSON(client, args, podEnv(ip))).toEqual({
        [`tcp 127.0.0.1 ${ports.tcp}`]: 'pod',
        [`tcp ::1 ${ports.tcp}`]: 'pod',
        [`tcp ::ffff:127.0.0.1 ${ports.tcp}`]: 'pod',
        [`tcp 127.0.0.1 ${hostTcpPort}`]: 'host',
        [`sendto ${ports.udp}`]: 'pod:ping',
        [`sendmsg ${ports.udp}`]: 'pod:ping',
        [`sendto ${hostUdpPort}`]: 'host:ping',
        [`sendmsg ${hostUdpPort}`]: 'host:ping',
      });
      // Another Pod's client: these ports are not its own, so 127.0.0.1 stays the host's (where nothing listens at ours).
      const other = await pyJSON(client, [JSON.stringify(tcp.slice(0, 1)), '[]'], podEnv('127.244.200.9'));
      expect(other).toEqual({ [`tcp 127.0.0.1 ${ports.tcp}`]: 'error 111' });
      expect(portsOf('127.244.200.9')).toBe('');
    } finally {
      hostTcp.close();
      hostUdp.close();
    }
  });
});

describe('calls the library leaves alone', () => {
  // libc's own bind/connect/sendto/sendmsg through ctypes (so NULL and short addresses can be
  // passed): [return value, errno] of each, errno set to 1234 before every call.
  const calls = `
import ctypes, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
host_port = int(sys.argv[1])
def sin(ip, port):
    b = struct.pack('=H', socket.AF_INET) + struct.pack('!H', port) + socket.inet_aton(ip) + bytes(8)
    return ctypes.create_string_buffer(b, len(b))
def sin6(ip, port):
    b = struct.pack('=H', socket.AF_INET6) + struct.pack('!H', port) + bytes(4) + socket.inet_pton(socket.AF_INET6, ip) + bytes(4)
    return ctypes.create_string_buffer(b, len(b))
def call(f, *args):
    ctypes.set_errno(1234)
    rc = f(*args)
    return [rc, ctypes.get_errno()]
out = {}
tcp = lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)
udp = lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out['bind NULL 0'] = call(libc.bind, tcp().detach(), None, 0)
out['bind NULL 16'] = call(libc.bind, tcp().detach(), None, 16)
out['bind short'] = call(libc.bind, tcp().detach(), sin('0.0.0.0', 0), 8)
devnull = os.open('/dev/null', os.O_RDONLY)
out['bind not a socket'] = call(libc.bind, devnull, sin('0.0.0.0', 0), 16)
out['bind :: on IPv4'] = call(libc.bind, tcp().detach(), sin6('::', 0), 28)
s = tcp(); s.bind(('0.0.0.0', 0)); s.listen()
out['bind in use'] = call(libc.bind, tcp().detach(), sin('0.0.0.0', s.getsockname()[1]), 16)
out['connect NULL'] = call(libc.connect, tcp().detach(), None, 0)
out['connect short'] = call(libc.connect, tcp().detach(), sin('127.0.0.1', host_port), 4)
out['sendto NULL'] = call(libc.sendto, udp().detach(), b'x', 1, 0, None, 0)
out['sendto short'] = call(libc.sendto, udp().detach(), b'x', 1, 0, sin('127.0.0.1', host_port), 2)
out['sendmsg NULL msg'] = call(libc.sendmsg, udp().detach(), None, 0)
# Successful calls: errno stays what it was.
ok = {}
ok['bind'] = call(libc.bind, tcp().detach(), sin('0.0.0.0', 0), 16)
ok['bind ::'] = call(libc.bind, socket.socket(socket.AF_INET6).detach(), sin6('::', 0), 28)
ok['connect'] = call(libc.connect, tcp().detach(), sin('127.0.0.1', host_port), 16)
ok['sendto'] = call(libc.sendto, udp().detach(), b'x', 1, 0, sin('127.0.0.1', host_port), 16)
print(json.dumps({'failures': out, 'successes': ok}))
`;

  it('passes NULL and short addresses through and keeps errno as the real call left it', async () => {
    const host = createServer((c) => c.end());
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((host.address() as AddressInfo).port);
      type Results = Record<'failures' | 'successes', Record<string, number[]>>;
      const plain = (await pyJSON(calls, [port], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir })) as Results;
      const preloaded = (await pyJSON(calls, [port], podEnv('127.244.200.10'))) as Results;
      expect(preloaded.failures).toEqual(plain.failures);
      // Each failure is a failure (the script tests what it means to).
      for (const [name, [rc, errno]] of Object.entries(plain.failures)) expect([name, rc, errno === 1234]).toEqual([name, -1, false]);
      expect(preloaded.successes).toEqual({ bind: [0, 1234], 'bind ::': [0, 1234], connect: [0, 1234], sendto: [1, 1234] });
      expect(plain.successes).toEqual(preloaded.successes);
    } finally {
      host.close();
    }
  });
});

describe('start overhead', () => {
  it('measures process starts with and without the library', () => {
    const plain = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const preloaded = podEnv('127.244.200.11');
    const measure = (argv: string[], n: number) => {
      const ms = { plain: 0, preloaded: 0 };
      // Alternating, so a slower moment of the machine falls on both.
      for (let i = 0; i < n; i++) {
        for (const [k, env] of [
          ['plain', plain],
          ['preloaded', preloaded],
        ] as const) {
          const t0 = process.hrtime.bigint();
          const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
          ms[k] += Number(process.hrtime.bigint() - t0) / 1e6;
          expect(r.status).toBe(0);
        }
      }
      return { plain: ms.plain / n, preloaded: ms.preloaded / n };
    };
    const trueStart = measure(['/bin/true'], 300);
    const pyStart = measure([PYTHON, '-c', 'pass'], 30);
    const f = (x: number) => x.toFixed(3);
    console.log(
      `start overhead of the bind-rewrite library: /bin/true ${f(trueStart.plain)} ms -> ${f(trueStart.preloaded)} ms (+${f(trueStart.preloaded - trueStart.plain)}), ` +
        `python3 -c pass ${f(pyStart.plain)} ms -> ${f(pyStart.preloaded)} ms (+${f(pyStart.preloaded - pyStart.plain)}) (averages of 300 and 30 starts)`,
    );
  });
});
