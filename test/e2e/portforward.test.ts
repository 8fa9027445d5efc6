// kubectl port-forward (SPDY in WebSocket, its default in 1.32, and plain SPDY, its fallback),
// exec over SPDY, and @kubernetes/client-node's PortForward (WebSocket channels), against a real
// Pod serving HTTP on its Pod IP.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { request } from 'undici';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

// GET /hello, GET /big?n= (n pseudo-random bytes), POST /sha (sha256 of the body), GET /conns.
const SERVER = `
const http = require('http'), crypto = require('crypto');
const block = crypto.createHash('sha512').update('tinykube').digest();
let chunk = Buffer.alloc(65536); for (let i = 0; i < chunk.length; i++) chunk[i] = block[i % 64] ^ (i >> 6);
const srv = http.createServer((q, s) => {
  const u = new URL(q.url, 'http://x');
  if (u.pathname === '/big') {
    let left = Number(u.searchParams.get('n'));
    s.writeHead(200, { 'content-length': left });
    const pump = () => { while (left > 0) { const c = chunk.subarray(0, Math.min(left, chunk.length)); left -= c.length; if (!s.write(c)) return s.once('drain', pump); } s.end(); };
    return pump();
  }
  if (u.pathname === '/sha') { const h = crypto.createHash('sha256'); q.on('data', (d) => h.update(d)); return q.on('end', () => s.end(h.digest('hex'))); }
  if (u.pathname === '/conns') return srv.getConnections((e, n) => s.end(String(n - 1)));
  s.end('hello from ' + process.env.POD_NAME + ' port ' + q.socket.localPort);
});
srv.listen(9376, process.env.POD_IP);
http.createServer((q, s) => s.end('second port')).listen(9377, process.env.POD_IP);
`;

let tc: TestCluster;
let podIP: string;
beforeAll(async () => {
  tc = await startTestCluster();
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: c
    image: local/node
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
    ports: [{name: http, containerPort: 9376}]
    readinessProbe: {tcpSocket: {port: 9376}, periodSeconds: 1}
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
---
apiVersion: v1
kind: Service
metadata: {name: websvc}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: nosel}
spec:
  ports: [{port: 80}]
`,
  });
  await until(
    async () =>
      (await tc.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True' ||
      undefined,
    20_000,
  );
  podIP = (await tc.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).stdout;
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const forwards: ChildProcess[] = [];
/** Killed, exited and its pipes closed: no test starts with another's port-forward still there. */
async function killAll(ps: ChildProcess[]): Promise<void> {
  for (const p of ps) p.kill('SIGKILL');
  await until(() =>
    ps.every((p) => (p.exitCode !== null || p.signalCode !== null) && p.stdout?.closed !== false && p.stderr?.closed !== false),
  );
}
afterEach(() => killAll(forwards.splice(0)));

let lastStderr = '';
/** Starts `kubectl port-forward TARGET :PORT...` and resolves with the local ports it chose. */
function portForward(target: string, ports: string[], env: Record<string, string> = {}): Promise<number[]> {
  lastStderr = '';
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['--kubeconfig', tc.kubeconfigPath, 'port-forward', target, ...ports.map((x) => `:${x}`)], {
      env: { ...process.env, ...env },
    });
    forwards.push(p);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      const local = [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) ->/g)].map((m) => Number(m[1]));
      if (local.length === ports.length) resolve(local);
    });
    p.stderr.on('data', (d) => {
      err += d;
      lastStderr += d;
    });
    p.on('close', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${err}`)));
  });
}

const get = async (port: number, path: string) => {
  const r = await request(`http://127.0.0.1:${port}${path}`);
  return r.body.text();
};

async function bigTransferOK(port: number, bytes: number): Promise<void> {
  const r = await request(`http://127.0.0.1:${port}/big?n=${bytes}`);
  const h = createHash('sha256');
  let n = 0;
  for await (const c of r.body) {
    h.update(c as Buffer);
    n += (c as Buffer).length;
  }
  expect(n).toBe(bytes);
  // The same bytes fetched directly from the Pod.
  const direct = await request(`http://${podIP}:9376/big?n=${bytes}`);
  const d = createHash('sha256');
  for await (const c of direct.body) d.update(c as Buffer);
  expect(h.digest('hex')).toBe(d.digest('hex'));
}

describe('kubectl port-forward', () => {
  it('forwards a Pod port: 100 parallel requests and 100 MiB intact, both ways', async () => {
    const [port] = await portForward('pod/web', ['9376']);
    const answers = await Promise.all(Array.from({ length: 100 }, () => get(port!, '/hello')));
    expect(new Set(answers)).toEqual(new Set(['hello from web port 9376']));
    await bigTransferOK(port!, 100 * 2 ** 20);
    const body = Buffer.alloc(20 * 2 ** 20, 'tinykube');
    const r = await request(`http://127.0.0.1:${port}/sha`, { method: 'POST', body });
    expect(await r.body.text()).toBe(createHash('sha256').update(body).digest('hex'));
  }, 60_000);

  it('forwards a Service: kubectl picks a Pod by the selector and maps the named targetPort', async () => {
    const [port] = await portForward('svc/websvc', ['80']);
    expect(await get(port!, '/x')).toBe('hello from web port 9376');
  });

  it('forwards several ports at once', async () => {
    const [a, b] = await portForward('pod/web', ['9376', '9377']);
    expect(await get(a!, '/')).toBe('hello from web port 9376');
    expect(await get(b!, '/')).toBe('second port');
  });

  it('works over plain SPDY too (kubectl’s fallback)', async () => {
    const [port] = await portForward('pod/web', ['9376'], { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port!, '/hello')));
    expect(new Set(answers)).toEqual(new Set(['hello from web port 9376']));
    await bigTransferOK(port!, 10 * 2 ** 20);
  });

  it('closes the Pod-side connections when kubectl goes away', async () => {
    const [port] = await portForward('pod/web', ['9376']);
    const sockets = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(port!, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    // Each client connection becomes one connection to the Pod.
    const direct = async () => Number(await (await request(`http://${podIP}:9376/conns`)).body.text());
    await until(async () => (await direct()) >= 5 || undefined, 10_000);
    forwards.pop()!.kill('SIGKILL');
    await until(async () => (await direct()) === 0 || undefined, 10_000);
    for (const s of sockets) s.destroy();
  });

  it('is refused for a Service without a selector, as upstream', async () => {
    const r = await tc.kubectl(['port-forward', 'svc/nosel', ':80'], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("invalid service 'nosel': Service is defined without a selector");
  });

  it('answers a port nothing listens on with the kubelet’s error on that connection', async () => {
    const [port] = await portForward('pod/web', ['9999']);
    const got = await new Promise<string>((resolve) => {
      const s = net.connect(port!, '127.0.0.1');
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
    });
    expect(got).toBe('');
    await until(async () => lastStderr.includes('error forwarding port 9999 to pod web') || undefined, 10_000);
    expect(lastStderr).toContain('connect: connection refused');
  });
});

describe('cleanup', () => {
  it('leaves no sockets, processes or timers behind once exec and port-forward clients have gone', async () => {
    // What this test process holds apart from the cluster's own steady state.
    const count = () => {
      const n: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) n[r] = (n[r] ?? 0) + 1;
      return n;
    };
    // The steady state: the cluster idle and this process's handles unchanged over 4 looks.
    await tc.cluster.idle();
    let last = '';
    let unchanged = 0;
    await until(
      () => {
        const now = JSON.stringify(count());
        unchanged = now === last ? unchanged + 1 : 0;
        last = now;
        return unchanged >= 4;
      },
      { every: 50 },
    );
    const before = count();
    for (let i = 0; i < 3; i++) {
      await tc.kubectl(['exec', 'web', '--', 'true']);
      await tc.kubectl(['exec', '-i', 'web', '--', 'cat'], { input: 'x' });
      await tc.kubectl(['exec', 'web', '--', 'sh', '-c', 'exit 2'], { allowFail: true });
      await tc.kubectl(['exec', 'web', '--', 'sh', '-c', 'echo spdy'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
      const [port] = await portForward('pod/web', ['9376']);
      expect(await get(port!, '/hello')).toBe('hello from web port 9376');
      const [port2] = await portForward('pod/web', ['9376'], { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
      expect(await get(port2!, '/hello')).toBe('hello from web port 9376');
      for (const p of forwards.splice(0)) p.kill('SIGKILL');
    }
    // undici's keep-alive sockets to the forwarded ports close with them; the server side must too.
    const same = (a: Record<string, number>, b: Record<string, number>) =>
      ['TCPSocketWrap', 'PipeWrap', 'ProcessWrap', 'Timeout', 'TTYWrap'].every((k) => (a[k] ?? 0) <= (b[k] ?? 0));
    await until(async () => same(count(), before) || undefined, 15_000).catch(() => undefined);
    const kinds = ['TCPSocketWrap', 'PipeWrap', 'ProcessWrap', 'TTYWrap'];
    const pick = (c: Record<string, number>) => Object.fromEntries(kinds.map((k) => [k, c[k] ?? 0]));
    expect(pick(count())).toEqual(pick(before));
    expect((count().Timeout ?? 0) <= (before.Timeout ?? 0) + 2).toBe(true);
  }, 60_000);
});

describe('exec over SPDY', () => {
  it('runs with stdin and returns the exit code when kubectl is told not to use WebSocket', async () => {
    const r = await tc.kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'read x; echo "spdy $x"; exit 4'], {
      input: 'works\n',
      env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
      allowFail: true,
    });
    expect(r.stdout).toBe('spdy works\n');
    expect(r.code).toBe(4);
  });
});

describe('@kubernetes/client-node PortForward', () => {
  it('forwards a local socket to the Pod over WebSocket channels', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(tc.cluster.kubeconfig);
    const pf = new k8s.PortForward(kc);
    const server = net.createServer((socket) => {
      void pf.portForward('default', 'web', [9376], socket, null, socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await request(`http://127.0.0.1:${port}/hello`, { headers: { connection: 'close' } });
      expect(await r.body.text()).toBe('hello from web port 9376');
    } finally {
      server.close();
    }
  });
});
