// Workload benchmarks (issue 22), each against a fresh in-memory cluster run as users run it:
//   - a Deployment of 100 replicas from create to all Available, beside creating the same 100 Pods
//     directly (create → all Ready) in another fresh cluster;
//   - a rolling update of those 100 replicas (maxSurge 25%, readiness probes) to completion,
//     beside that Deployment's create;
//   - a Job of 1,000 completions at parallelism 50 running `true`, beside a shell loop spawning the
//     same 1,000 processes 50 at a time (xargs -P 50);
//   - tinykube's CPU while a Deployment's 1,000 replicas idle, beside the same 1,000 Pods created
//     bare (no probes in either): the difference is what the workload controllers cost at rest.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { apiClient } from './lib.mjs';

const NS = '/apis/apps/v1/namespaces/default';
const container = (extra = {}) => ({ name: 'c', image: 'local/sleep', command: ['sleep', '100000'], ...extra });
const readiness = { exec: { command: ['true'] }, periodSeconds: 1 };

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(parts[11]) + Number(parts[12])) / 100;
}

/** Resolves with performance.now() once `check(obj)` holds for an object of the watched path. */
function watchUntil(api, path, check) {
  let resolve;
  const reached = new Promise((r) => (resolve = r));
  const w = api.watch(path, (ev, t) => {
    if (ev.object && check(ev.object)) resolve(t);
  });
  return { open: w.open, reached, stop: w.stop };
}

async function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`bench: ${what} took over ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

const deployment = (name, replicas, env = 'v1', probe = true) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [container({ env: [{ name: 'V', value: env }], ...(probe ? { readinessProbe: readiness } : {}) })],
      },
    },
  },
});

const complete = (replicas) => (d) =>
  d.metadata?.name &&
  (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
  d.status?.updatedReplicas === replicas &&
  d.status?.availableReplicas === replicas &&
  d.status?.replicas === replicas;

/** 100 bare Pods with the same container, 16 clients: ms from the first create to all Ready. */
async function bareReady(api, n, prefix, probe = true) {
  let ready = 0;
  const seen = new Set();
  let done;
  const all = new Promise((r) => (done = r));
  const w = api.watch('/api/v1/namespaces/default/pods', (ev, t) => {
    const p = ev.object;
    if (p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !seen.has(p.metadata.name)) {
      seen.add(p.metadata.name);
      if (++ready === n) done(t);
    }
  });
  await w.open;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        await api.call('POST', '/api/v1/namespaces/default/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${prefix}-${i}` },
          spec: { terminationGracePeriodSeconds: 1, containers: [container(probe ? { readinessProbe: readiness } : {})] },
        });
      }
    }),
  );
  const t1 = await withTimeout(all, 120_000, `${n} bare Pods Ready`);
  await w.stop();
  return t1 - t0;
}

export async function workloadBench({ startTinykube, stopProc, report }) {
  // ---- baseline: 100 Pods created directly ----
  let tk = await startTinykube(['--in-memory']);
  let api = apiClient(tk);
  const bare100 = await bareReady(api, 100, 'bare');
  await api.close();
  await stopProc(tk.p);

  // ---- a Deployment of 100: create → all Available, then a rolling update ----
  tk = await startTinykube(['--in-memory']);
  api = apiClient(tk);
  let w = watchUntil(api, `${NS}/deployments`, complete(100));
  await w.open;
  let t0 = performance.now();
  await api.call('POST', `${NS}/deployments`, deployment('web', 100));
  const create = (await withTimeout(w.reached, 180_000, 'Deployment of 100 Available')) - t0;
  await w.stop();
  report('Deployment of 100: create → all Available', create, 'ms', '100 Pods created directly → Ready', bare100, '≤ 1.5×');

  w = watchUntil(api, `${NS}/deployments`, (d) => complete(100)(d) && d.metadata.generation >= 2);
  await w.open;
  t0 = performance.now();
  await api.call(
    'PATCH',
    `${NS}/deployments/web`,
    { spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'V', value: 'v2' }] }] } } } },
    'application/strategic-merge-patch+json',
  );
  const rolled = (await withTimeout(w.reached, 300_000, 'rolling update of 100')) - t0;
  await w.stop();
  report('rolling update of 100 (maxSurge 25%) → complete', rolled, 'ms', 'the Deployment create', create, '≤ 2×');
  await api.close();
  await stopProc(tk.p, 30_000);

  // ---- a Job of 1,000 completions at parallelism 50 ----
  tk = await startTinykube(['--in-memory']);
  api = apiClient(tk);
  const jw = watchUntil(api, '/apis/batch/v1/namespaces/default/jobs', (j) => j.status?.succeeded === 1000);
  await jw.open;
  t0 = performance.now();
  await api.call('POST', '/apis/batch/v1/namespaces/default/jobs', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'many' },
    spec: {
      completions: 1000,
      parallelism: 50,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'local/true', command: ['true'] }] } },
    },
  });
  const job = (await withTimeout(jw.reached, 600_000, 'Job of 1,000')) - t0;
  await jw.stop();
  await api.close();
  await stopProc(tk.p, 30_000);
  const s0 = performance.now();
  await new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', 'seq 1000 | xargs -n 1 -P 50 true'], { stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited ${code}`))));
  });
  report('Job of 1,000 completions, parallelism 50', job, 'ms', 'xargs -P 50 of the same 1,000', performance.now() - s0, '≤ 2×');

  // ---- CPU while 1,000 replicas idle, beside 1,000 bare Pods ----
  const idleCpu = async (make) => {
    const c = await startTinykube(['--in-memory']);
    const a = apiClient(c);
    await make(a);
    await new Promise((r) => setTimeout(r, 3000));
    const c0 = cpuSeconds(c.p.pid);
    const m0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const pctCore = ((cpuSeconds(c.p.pid) - c0) / ((performance.now() - m0) / 1000)) * 100;
    await a.close();
    await stopProc(c.p, 60_000);
    return pctCore;
  };
  const bareIdle = await idleCpu((a) => bareReady(a, 1000, 'idle', false));
  const deployIdle = await idleCpu(async (a) => {
    const dw = watchUntil(a, `${NS}/deployments`, complete(1000));
    await dw.open;
    await a.call('POST', `${NS}/deployments`, deployment('idle', 1000, 'v1', false));
    await withTimeout(dw.reached, 600_000, 'Deployment of 1,000 Available');
    await dw.stop();
  });
  report('CPU, Deployment of 1,000 idle (10 s)', deployIdle, '% core', '1,000 bare Pods idle', bareIdle, 'controllers < 1%');
}
