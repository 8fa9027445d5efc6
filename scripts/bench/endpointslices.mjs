// EndpointSlice controller benchmarks (issue 6):
//   - Pod becomes Ready → its endpoint is ready in the Service's slice, seen by an HTTP watch,
//     p50/p99 over 500 Pods, one change at a time (10 ms apart, so each sample is the reaction of
//     a settled cluster), against `tinykube up` in a child process (the client must not share
//     the server's event loop); baseline: the same Pod status change seen by a watch on Pods
//     (what the API and watch alone cost).
//   - One Service with 10,000 endpoints, through the library API (to see the controllers settle):
//     restart → controllers idle (the full reconcile) beside the same restart without the
//     Service, and slice writes per single-Pod change.
// Pods are bound to a virtual Node whose status the benchmark writes as a kubelet would (kwok
// style), so 10,000 of them cost no processes; their IPs are API data (10.x), never connected to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, pct } from './lib.mjs';

const ipOf = (i) => `10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;

const client = (cluster) => apiClient({ server: cluster.server, ca: cluster.caCert, token: cluster.token });

async function pool(n, count, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

const status = (ip, ready) => ({
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const MERGE = 'application/merge-patch+json';

async function setup(c, app, n, ready) {
  await c.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'virt-1' } }).catch(() => undefined);
  await c.call('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app },
    spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await pool(32, n, (i) =>
    c.call('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${app}-${i}`, labels: { app } },
      spec: { nodeName: 'virt-1', containers: [{ name: 'c', image: 'x' }] },
    }),
  );
  await pool(32, n, (i) => c.call('PATCH', `/api/v1/namespaces/default/pods/${app}-${i}/status`, status(ipOf(i), ready), MERGE));
}

const endpointsOf = (cluster, svc) =>
  cluster.store
    .listObjects('discovery.k8s.io/endpointslices', 'default')
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc)
    .flatMap((s) => s.endpoints ?? []);

export async function endpointSliceBench({ root, report, startTinykube, stopProc }) {
  const { startCluster } = await import(join(root, 'dist/index.js'));
  const quiet = { level: 'silent' };
  const pino = (await import('pino')).default;
  const logger = pino(quiet);

  // ---- Pod Ready → endpoint ready in the slice, 500 Pods ----
  {
    const tk = await startTinykube(['--in-memory', ...(process.env.BENCH_VERBOSE ? ['--verbose'] : [])]);
    const c = client({ server: tk.server, caCert: tk.ca, token: tk.token });
    const N = 500;
    await setup(c, 'lat', N, false);
    for (;;) {
      const list = await c.call(
        'GET',
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dlat',
      );
      if (list.items.reduce((n, x) => n + (x.endpoints?.length ?? 0), 0) === N) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const podSeen = new Map();
    const sliceSeen = new Map();
    const ipToName = new Map(Array.from({ length: N }, (_, i) => [ipOf(i), `lat-${i}`]));
    const pw = c.watch('/api/v1/namespaces/default/pods?labelSelector=app%3Dlat', (ev, t) => {
      const ready = ev.object.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
      if (ready && !podSeen.has(ev.object.metadata.name)) podSeen.set(ev.object.metadata.name, t);
    });
    const sw = c.watch(
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dlat',
      (ev, t) => {
        for (const e of ev.object.endpoints ?? []) {
          const name = ipToName.get(e.addresses[0]);
          if (e.conditions?.ready && name && !sliceSeen.has(name)) sliceSeen.set(name, t);
        }
      },
    );
    await Promise.all([pw.open, sw.open]);
    const sent = new Map();
    for (let i = 0; i < N; i++) {
      const name = `lat-${i}`;
      sent.set(name, performance.now());
      await c.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, status(ipOf(i), true), MERGE);
      const t0 = performance.now();
      while (!sliceSeen.has(name) && performance.now() - t0 < 2000) await new Promise((r) => setImmediate(r));
      // One change at a time into a settled cluster: the figure is the reaction to a change, not
      // the queueing of back-to-back ones (the next PATCH would land on the previous change's
      // Endpoints rewrite and proxy sync).
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all([pw.stop(), sw.stop()]);
    const toSlice = [...sent].filter(([n]) => sliceSeen.has(n)).map(([n, t]) => sliceSeen.get(n) - t);
    const toPod = [...sent].filter(([n]) => podSeen.has(n)).map(([n, t]) => podSeen.get(n) - t);
    if (toSlice.length < N) console.log(`  (only ${toSlice.length} of ${N} endpoints became ready)`);
    report('Pod Ready → endpoint ready in slice p50', pct(toSlice, 50), 'ms', 'Pod watch event p50', pct(toPod, 50));
    report('Pod Ready → endpoint ready in slice p99', pct(toSlice, 99), 'ms', 'Pod watch event p99', pct(toPod, 99), '< 20 ms');
    await c.close();
    await stopProc(tk.p);
  }

  // ---- One Service with 10,000 endpoints ----
  {
    const N = Number(process.env.BENCH_ENDPOINTS ?? 10_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-bench-eps-'));
    try {
      let cluster = await startCluster({ apiListen: '127.0.0.1:0', dnsListen: '127.0.0.1:0', dataDir, logger });
      let c = client(cluster);
      const t0 = performance.now();
      await setup(c, 'big', N, true);
      await cluster.idle();
      const made = performance.now() - t0;
      const eps = endpointsOf(cluster, 'big').filter((e) => e.conditions.ready).length;
      if (eps !== N) console.log(`  (${eps} of ${N} endpoints ready)`);
      console.log(`  (${N} Pods created and made ready through the API in ${(made / 1000).toFixed(1)} s)`);

      // Writes per single-Pod change: a readiness flip of one Pod, five times.
      const writes = [];
      for (let k = 0; k < 5; k++) {
        let n = 0;
        const unsub = cluster.store.subscribe('discovery.k8s.io/endpointslices', (ev) => {
          if (ev.object.metadata.labels?.['kubernetes.io/service-name'] === 'big') n++;
        });
        const i = (137 + k * 1111) % N;
        await c.call('PATCH', `/api/v1/namespaces/default/pods/big-${i}/status`, status(ipOf(i), false), MERGE);
        await cluster.idle();
        unsub();
        writes.push(n);
      }
      report(
        `slice writes per one-Pod change (${N} endpoints)`,
        Math.max(...writes),
        'writes',
        'min of 5',
        Math.min(...writes),
        'exactly 1',
      );
      await c.close();
      await cluster.stop();

      // Restart → controllers idle, with the Service and (baseline) without it.
      const restart = async () => {
        const t = performance.now();
        const cl = await startCluster({ apiListen: '127.0.0.1:0', dnsListen: '127.0.0.1:0', dataDir, logger });
        await cl.idle();
        const ms = performance.now() - t;
        return { cl, ms };
      };
      let r = await restart();
      const withSvc = r.ms;
      const rv = r.cl.store
        .listObjects('discovery.k8s.io/endpointslices', 'default')
        .map((s) => s.metadata.resourceVersion)
        .sort()
        .join();
      cluster = r.cl;
      c = client(cluster);
      await c.call('DELETE', '/api/v1/namespaces/default/services/big');
      await cluster.idle();
      await c.close();
      await cluster.stop();
      r = await restart();
      const without = r.ms;
      await r.cl.stop();
      report(`restart → reconciled, Service with ${N} endpoints`, withSvc, 'ms', 'same restart without it', without, '< 1000 ms');
      if (!rv) console.log('  (no slices after restart)');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
