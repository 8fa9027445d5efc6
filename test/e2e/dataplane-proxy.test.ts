// The service proxy on the data-plane thread (issue 26): a TCP connection through a ClusterIP is
// forwarded and answered while the main thread, where the API server, the controllers and SQLite
// run, is blocked. The cluster runs in this test's process (startCluster), so a busy loop here
// blocks its main thread; the backend and the clients are a child process, which times each
// connection. With TINYKUBE_DATA_PLANE=main (the proxy on the main thread, as before) the same
// connections wait for the loop to end: the second case shows that this test tells the two apart.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { nthIP } from '../helpers/ranges.js';
import { ENDPOINTSLICES } from '../../src/registry/endpointslice.js';

const BUSY_MS = 800;
/** Connections opened while the main thread is blocked, one every GAP_MS. */
const CONNECTIONS = 30;
const GAP_MS = 20;

// The child: an echo server (the backend), then on "go" from stdin one connection every GAP_MS to
// HOST:PORT, each sending one line and timing its echo; prints them as JSON once every connection
// is answered or failed, or 3 s after the last was opened.
const PROBE = `
const net = require('node:net');
const [count, gap] = process.argv.slice(1).map(Number);
const out = [];
let done = false;
const finish = () => { if (done) return; done = true; process.stdout.write(JSON.stringify(out) + '\\n'); process.exit(0); };
const backend = net.createServer((s) => s.pipe(s));
backend.listen(0, '127.0.0.1', () => process.stdout.write('ready ' + backend.address().port + '\\n'));
process.stdin.once('data', (d) => {
  const [host, port] = d.toString().trim().split(' ');
  let i = 0;
  const one = () => {
    const at = Date.now();
    const t = performance.now();
    const line = 'hello ' + i + '\\n';
    const s = net.connect({ host, port: Number(port) });
    let got = '';
    const end = (ok) => {
      s.destroy();
      out.push({ at, doneAt: Date.now(), rtt: performance.now() - t, ok });
      if (out.length === count) finish();
    };
    s.on('connect', () => s.write(line));
    s.on('data', (b) => { got += b; if (got === line) end(true); });
    s.on('error', () => end(false));
    if (++i < count) setTimeout(one, gap);
    else setTimeout(finish, 3000);
  };
  one();
});
`;

interface Result {
  at: number;
  doneAt: number;
  rtt: number;
  ok: boolean;
}

let tc: TestCluster | undefined;
afterEach(async () => {
  await tc?.stop();
  tc = undefined;
});

/** One line through host:port, echoed. */
function echo(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => s.write('ping\n'));
    s.on('data', (b) => {
      s.destroy();
      resolve(b.toString() === 'ping\n');
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts a cluster with a Service whose backend is the child's echo server; blocks this thread for BUSY_MS while the child connects. */
async function connectionsWhileBlocked(): Promise<{ during: Result[]; all: Result[]; end: number }> {
  tc = await startTestCluster();
  const c = tc.cluster;
  const child = spawn(process.execPath, ['-e', PROBE, String(CONNECTIONS), String(GAP_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const backendPort = Number((await until(() => /^ready (\d+)\n/.exec(stdout)?.[1], { what: 'the probe to start its backend' })) as string);

  const ip = nthIP(c.config.serviceCIDR, 201);
  c.store.txn((tx) => {
    tx.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'echo' },
      spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'echo', port: 80, protocol: 'TCP' }] },
    });
    tx.create(ENDPOINTSLICES, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        namespace: 'default',
        name: 'echo-1',
        labels: { 'kubernetes.io/service-name': 'echo', 'endpointslice.kubernetes.io/managed-by': 'test' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'echo', port: backendPort, protocol: 'TCP' }],
    });
  });
  await c.idle();
  await until(() => echo(ip, 80), { what: 'the ClusterIP to forward' });

  child.stdin.write(`${ip} 80\n`);
  // The main thread does nothing else meanwhile: no timers, no I/O, no API, no store.
  const start = Date.now();
  while (Date.now() - start < BUSY_MS) {
    /* busy */
  }
  const end = Date.now();
  await exited;
  const all = JSON.parse(stdout.split('\n')[1]!) as Result[];
  // The connections opened while the loop ran, leaving room for the child's start and, on a
  // loaded machine, for a slow round trip before the loop ends.
  const during = all.filter((r) => r.at >= start + 20 && r.at <= end - 200);
  return { during, all, end };
}

describe('the service proxy on the data-plane thread', () => {
  it('forwards and answers connections through a ClusterIP while the main thread is blocked', async () => {
    const { during, all, end } = await connectionsWhileBlocked();
    expect(all).toHaveLength(CONNECTIONS);
    expect(all.every((r) => r.ok)).toBe(true);
    expect(during.length).toBeGreaterThanOrEqual(10);
    // Answered before the main thread was free again.
    expect(during.filter((r) => r.doneAt >= end)).toEqual([]);
  });

  it('(control) with the proxy on the main thread the same connections wait for the loop', async () => {
    const before = process.env.TINYKUBE_DATA_PLANE;
    process.env.TINYKUBE_DATA_PLANE = 'main';
    let r: Awaited<ReturnType<typeof connectionsWhileBlocked>>;
    try {
      r = await connectionsWhileBlocked();
    } finally {
      if (before === undefined) delete process.env.TINYKUBE_DATA_PLANE;
      else process.env.TINYKUBE_DATA_PLANE = before;
    }
    expect(r.all.every((x) => x.ok)).toBe(true);
    expect(r.during.length).toBeGreaterThanOrEqual(10);
    expect(r.during.every((x) => x.doneAt >= r.end)).toBe(true);
  });

  it('answers as a stopped proxy when asked while the cluster stops', async () => {
    // `tinykube up` asks for idle() and the listeners after ready; a SIGTERM then stops the cluster,
    // whose thread may be gone before the answers: a stopped proxy's, not the thread's exit error.
    const tc = await startTestCluster();
    const proxy = tc.cluster.proxy!;
    const asked = Promise.all([tc.cluster.idle(), proxy.listeners(), proxy.stats()]);
    await tc.stop();
    const [, listeners, stats] = await asked;
    expect(listeners.failed).toEqual([]);
    expect(typeof stats).toBe('object');
    expect(await proxy.listeners()).toEqual({ open: [], failed: [] });
    expect(await proxy.stats()).toEqual({});
  });
});
