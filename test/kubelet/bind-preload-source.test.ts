// The bind-rewrite library (src/kubelet/preload/bind.c) binds a Pod's unbound IPv4 sockets to its
// Pod IP before they connect or send to 127.0.0.0/8, so the peer sees which Pod called: here with
// real processes against servers of the host on 127.0.0.1, through the ways programs connect
// (blocking, non-blocking connect called again, connected and unconnected UDP, sendmsg), and the
// sockets it must leave alone (bound by the program, AF_UNIX, IPv6, a UDP disconnect).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindRewriteEnv, preloadLibrary } from '../../src/kubelet/preload.js';
import { PYTHON } from '../helpers/python.js';

let dir: string;
let library: string;
let savedCacheDir: string | undefined;
let tcp4: Server;
let tcp6: Server | undefined;
let udp4: UdpSocket;

const listen = (srv: Server, host: string) =>
  new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(0, host, () => resolve(true));
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tinykube-bind-source-'));
  savedCacheDir = process.env.TINYKUBE_CACHE_DIR;
  process.env.TINYKUBE_CACHE_DIR = join(dir, 'cache');
  const lib = preloadLibrary();
  if ('error' in lib) throw new Error(lib.error);
  library = lib.path;
  // The host's servers, without the library: each answers with the address the client came from.
  tcp4 = createServer((c) => c.end(c.remoteAddress ?? ''));
  expect(await listen(tcp4, '127.0.0.1')).toBe(true);
  const six = createServer((c) => c.end(c.remoteAddress ?? ''));
  tcp6 = (await listen(six, '::1')) ? six : undefined;
  udp4 = createSocket('udp4');
  udp4.on('message', (_msg, peer) => udp4.send(peer.address, peer.port, peer.address));
  await new Promise<void>((resolve) => udp4.bind(0, '127.0.0.1', resolve));
});

afterAll(() => {
  tcp4?.close();
  tcp6?.close();
  udp4?.close();
  if (savedCacheDir === undefined) delete process.env.TINYKUBE_CACHE_DIR;
  else process.env.TINYKUBE_CACHE_DIR = savedCacheDir;
  rmSync(dir, { recursive: true, force: true });
});

function podEnv(podIP: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    ...bindRewriteEnv({ library, podIP, portsFile: join(dir, `ports-${podIP}`) }),
  };
}

/** Runs a Python script to its end (servers of this process answer meanwhile); its last stdout line is JSON. */
function pyJSON(code: string, args: string[], env: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(PYTHON, ['-c', code, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`python exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

// Each case: [what the server saw, the client's own address, IP_BIND_ADDRESS_NO_PORT after the call].
const CLIENT = `
import ctypes, errno, json, os, select, socket, struct, sys
tcp_port, udp_port, tcp6_port, unix_path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
IP_BIND_ADDRESS_NO_PORT = 24
libc = ctypes.CDLL(None, use_errno=True)
def read_all(s):
    out = b''
    while True:
        d = s.recv(100)
        if not d:
            return out.decode()
        out += d
def tcp_result(s):
    return [read_all(s), s.getsockname()[0], s.getsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT)]
out = {}

s = socket.socket()
s.connect(('127.0.0.1', tcp_port))
out['tcp'] = tcp_result(s)

# Non-blocking: EINPROGRESS, then the program calls connect() again to learn the outcome (0 once
# it is connected), and once more (EISCONN).
s = socket.socket()
s.setblocking(False)
first = s.connect_ex(('127.0.0.1', tcp_port))
select.select([], [s], [], 5)
# Through libc itself: Python's own connect_ex reports EISCONN as success.
dst = ctypes.create_string_buffer(struct.pack('=H', socket.AF_INET) + struct.pack('!H', tcp_port) + socket.inet_aton('127.0.0.1') + bytes(8), 16)
again = []
for _ in range(2):
    ctypes.set_errno(0)
    again += [libc.connect(s.fileno(), dst, 16), errno.errorcode.get(ctypes.get_errno(), 0)]
s.setblocking(True)
out['tcp nonblocking'] = [errno.errorcode.get(first, first)] + again + tcp_result(s)

# Bound by the program to another loopback address: that is the source.
s = socket.socket()
s.bind(('127.0.0.5', 0))
s.connect(('127.0.0.1', tcp_port))
out['tcp bound'] = tcp_result(s)

# Bound by the program to a port of its own on the wildcard (moved to the Pod IP by bind()).
s = socket.socket()
s.bind(('0.0.0.0', 0))
port = s.getsockname()[1]
s.connect(('127.0.0.1', tcp_port))
out['tcp bound port kept'] = tcp_result(s)[:2] + [s.getsockname()[1] == port]

def udp(how):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    if how == 'sendto':
        u.sendto(b'x', ('127.0.0.1', udp_port))
    elif how == 'sendmsg':
        u.sendmsg([b'x'], [], 0, ('127.0.0.1', udp_port))
    else:
        u.connect(('127.0.0.1', udp_port))
        u.send(b'x')
    return [u.recv(100).decode(), u.getsockname()[0], u.getsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT)], u
for how in ('sendto', 'sendmsg', 'connect'):
    out['udp ' + how], u = udp(how)

# A connected UDP socket disconnected (connect AF_UNSPEC) keeps the Pod IP and sends from it.
unspec = ctypes.create_string_buffer(struct.pack('=H', socket.AF_UNSPEC) + bytes(14), 16)
rc = libc.connect(u.fileno(), unspec, 16)
u.sendto(b'x', ('127.0.0.1', udp_port))
out['udp disconnected'] = [rc, u.recv(100).decode(), u.getsockname()[0]]

# AF_UNIX: untouched.
srv = socket.socket(socket.AF_UNIX)
srv.bind(unix_path)
srv.listen()
c = socket.socket(socket.AF_UNIX)
c.connect(unix_path)
a, _ = srv.accept()
a.sendall(b'unix')
a.close()
out['unix'] = [read_all(c), c.getsockname()]

# IPv6 loopback: the kernel's source, ::1.
if tcp6_port:
    s = socket.socket(socket.AF_INET6)
    s.connect(('::1', tcp6_port))
    out['tcp6'] = [read_all(s), s.getsockname()[0]]
print(json.dumps(out))
`;

function clientArgs(name: string): string[] {
  const port = (s: Server | undefined) => String(s ? (s.address() as AddressInfo).port : 0);
  return [port(tcp4), String(udp4.address().port), port(tcp6), join(dir, `${name}.sock`)];
}

describe('sources of connections to loopback', () => {
  it("binds a Pod's unbound IPv4 sockets to its Pod IP, leaves the rest alone", async () => {
    const ip = '127.244.201.1';
    const got = await pyJSON(CLIENT, clientArgs('pod'), podEnv(ip));
    expect(got).toEqual({
      tcp: [ip, ip, 1],
      'tcp nonblocking': ['EINPROGRESS', 0, 0, -1, 'EISCONN', ip, ip, 1],
      'tcp bound': ['127.0.0.5', '127.0.0.5', 0],
      'tcp bound port kept': [ip, ip, true],
      'udp sendto': [ip, ip, 0],
      'udp sendmsg': [ip, ip, 0],
      'udp connect': [ip, ip, 0],
      'udp disconnected': [0, ip, ip],
      unix: ['unix', ''],
      ...(tcp6 ? { tcp6: ['::1', '::1'] } : {}),
    });
  });

  it('changes nothing without a Pod IP', async () => {
    const env = podEnv('127.244.201.2');
    delete env.TINYKUBE_POD_IP;
    const got = await pyJSON(CLIENT, clientArgs('none'), env);
    expect(got.tcp).toEqual(['127.0.0.1', '127.0.0.1', 0]);
    expect(got['tcp nonblocking']).toEqual(['EINPROGRESS', 0, 0, -1, 'EISCONN', '127.0.0.1', '127.0.0.1', 0]);
    expect(got['udp sendto']).toEqual(['127.0.0.1', '0.0.0.0', 0]);
    expect(got['udp disconnected']).toEqual([0, '127.0.0.1', '0.0.0.0']);
  });
});
