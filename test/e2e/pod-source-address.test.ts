// A Pod's connections to loopback addresses (Service ClusterIPs, other Pods, the host) come from
// its own Pod IP, as from a Pod's network namespace: the bind rewrite binds an unbound socket to
// the Pod IP before it connects or sends there (src/kubelet/preload/bind.c). Backends see who
// called, and NetworkPolicy in the service proxy tells Pod clients apart by their labels.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';
import { PYTHON } from '../helpers/python.js';

// The backend: answers each TCP connection and each datagram with the address it came from.
const ECHO = `
import socket, threading
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('0.0.0.0', 8080))
def udp():
    while True:
        _, peer = u.recvfrom(100)
        u.sendto(peer[0].encode(), peer)
threading.Thread(target=udp, daemon=True).start()
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('0.0.0.0', 8080))
t.listen()
while True:
    c, peer = t.accept()
    c.sendall(peer[0].encode())
    c.close()
`;

// A client Pod's agent: for each request line `MODE HOST PORT` it makes that call from inside the
// Pod, on a fresh socket the program leaves unbound, and answers what came back (or the error).
const AGENT = `
import errno, socket, socketserver
def call(mode, host, port):
    if mode == 'tcp':
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, port))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        if mode == 'udp-connect':
            s.connect((host, port))
            s.send(b'x')
        else:
            s.sendto(b'x', (host, port))
    try:
        out = b''
        while True:
            d = s.recv(100)
            out += d
            if not d or mode != 'tcp':
                return out.decode()
    finally:
        s.close()
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        mode, host, port = self.rfile.readline().decode().split()
        try:
            out = call(mode, host, int(port))
        except socket.timeout:
            out = 'error timeout'
        except OSError as e:
            out = 'error ' + errno.errorcode.get(e.errno, str(e))
        self.wfile.write(out.encode())
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(('0.0.0.0', 9000), Handler).serve_forever()
`;

let tc: TestCluster;
let svc = '';
const ips: Record<string, string> = {};
const host: { server?: net.Server; port: number } = { port: 0 };

const post = async (path: string, body: object) => {
  const r = await api(tc.cluster, 'POST', path, { body });
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.json();
};
const get = async (path: string) => (await api(tc.cluster, 'GET', path)).json();

const pod = (name: string, labels: Record<string, string>, script: string, port: number) => ({
  metadata: { name, labels },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'local/python',
        command: [PYTHON, '-c', script],
        ports: [{ containerPort: port }],
        readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
      },
    ],
  },
});

/** What the agent of Pod `from` got for `mode host port`. */
function call(from: string, mode: 'tcp' | 'udp-sendto' | 'udp-connect', to: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ips[from], port: 9000 });
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`${mode} ${to} ${port}\n`));
    s.on('data', (d) => (buf += d));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`agent error ${e.code}`));
    s.on('close', () => resolve(buf.trim()));
  });
}

beforeAll(async () => {
  tc = await startTestCluster({});
  await post('/api/v1/namespaces/default/pods', pod('echo', { app: 'echo' }, ECHO, 8080));
  await post('/api/v1/namespaces/default/pods', pod('client', { role: 'client' }, AGENT, 9000));
  await post('/api/v1/namespaces/default/pods', pod('stranger', { role: 'stranger' }, AGENT, 9000));
  await post('/api/v1/namespaces/default/services', {
    metadata: { name: 'echo' },
    spec: {
      selector: { app: 'echo' },
      ports: [
        { name: 'tcp', port: 80, targetPort: 8080 },
        { name: 'udp', port: 53, targetPort: 8080, protocol: 'UDP' },
      ],
    },
  });
  await until(async () => {
    const items = (await get('/api/v1/namespaces/default/pods')).items as any[];
    for (const p of items) if (p.status.podIP) ips[p.metadata.name] = p.status.podIP;
    return items.filter((p) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3;
  }, 60_000);
  svc = (await get('/api/v1/namespaces/default/services/echo')).spec.clusterIP;
  // The Service is served once the proxy has its endpoints.
  await until(async () => (await call('client', 'tcp', svc, 80)).startsWith('127.'), 30_000);
  // A service of the host itself on 127.0.0.1, outside the cluster (as tinykube's API server is).
  host.server = net.createServer((s) => s.end(s.remoteAddress ?? ''));
  await new Promise<void>((resolve) => host.server!.listen(0, '127.0.0.1', resolve));
  host.port = (host.server.address() as net.AddressInfo).port;
}, 120_000);
afterAll(async () => {
  host.server?.close();
  await tc?.stop();
});

describe("a Pod's loopback connections come from its Pod IP", () => {
  it('through a Service ClusterIP, to another Pod, and to the host (TCP)', async () => {
    expect(svc).toMatch(/^127\./);
    expect(ips.client).not.toBe(ips.stranger);
    expect(await call('client', 'tcp', svc, 80)).toBe(ips.client);
    expect(await call('stranger', 'tcp', svc, 80)).toBe(ips.stranger);
    expect(await call('client', 'tcp', ips.echo!, 8080)).toBe(ips.client);
    expect(await call('client', 'tcp', '127.0.0.1', host.port)).toBe(ips.client);
  });

  it('for datagrams sent from an unbound socket and on a connected one (UDP)', async () => {
    for (const mode of ['udp-sendto', 'udp-connect'] as const) {
      expect(await call('client', mode, svc, 53)).toBe(ips.client);
      expect(await call('stranger', mode, ips.echo!, 8080)).toBe(ips.stranger);
    }
  });
});

describe('NetworkPolicy on Pod clients through the service proxy', () => {
  it('lets the labelled Pod in and resets the other', async () => {
    expect(await call('stranger', 'tcp', svc, 80)).toBe(ips.stranger);
    await post('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', {
      metadata: { name: 'echo-from-clients' },
      spec: {
        podSelector: { matchLabels: { app: 'echo' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
      },
    });
    await until(async () => (await call('stranger', 'tcp', svc, 80)) === 'error ECONNRESET', 10_000);
    expect(await call('client', 'tcp', svc, 80)).toBe(ips.client);
    // Refused UDP flows are dropped: no answer comes.
    expect(await call('stranger', 'udp-sendto', svc, 53)).toBe('error timeout');
    expect(await call('client', 'udp-sendto', svc, 53)).toBe(ips.client);
    await api(tc.cluster, 'DELETE', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/echo-from-clients');
    await until(async () => (await call('stranger', 'tcp', svc, 80)) === ips.stranger, 10_000);
  }, 60_000);
});
