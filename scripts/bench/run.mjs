// tinykube benchmarks (`npm run bench`). Every figure is printed beside a baseline measured in the
// same run on the same machine, so the numbers can be compared across machines:
//   start → /readyz (fresh data dir, restart, in memory) vs a bare `node` https server start;
//   startCluster()/stop() in-process; `tinykube down`, `version`, `--help` vs `node -e 0` (start.mjs)
//   Service creates/s (16 keep-alive clients)  vs bare fastify + better-sqlite3 insert endpoint
//   list 10,000 Services as JSON and as Table
//   watch delivery latency p50/p99 with 100 watchers   vs a bare https fan-out server
//   RSS idle and with 10,000 Services                  vs the bare https server
//   ClusterIP / NodePort creates/s vs headless; allocation with the range 99% full vs empty (allocation.mjs)
//   IP/CIDR parse, print and containment, IPv4 and IPv6: src/apimachinery/ipnet.ts vs ip-num (ip.mjs)
//   100 Pods at once create → Running/Ready vs direct spawn; memory per Pod and idle CPU with 1000 Pods (pods.mjs)
//   GETs by a user with RBAC enforced vs AlwaysAllow (rbac.mjs)
//   CRD create → first custom resource vs a ConfigMap round trip; custom resource creates/s vs ConfigMaps (crd.mjs)
//   ConfigMap creates with a validating admission webhook vs none (webhook.mjs)
//   Pod creates in a namespace with ResourceQuotas vs without (quota.mjs)
//   Deployment of 100 → Available vs 100 Pods; its rolling update; Job of 1,000 vs xargs; idle CPU of 1,000 replicas (workloads.mjs)
//   Pod Ready → endpoint in slice vs the Pod's own watch event; 10,000-endpoint Service restart and writes (endpointslices.mjs)
//   DNS queries/s and p99 vs dnsmasq with dnsperf; 1,000-endpoint answer build time (dns.mjs)
//   Service proxy: bulk MiB/s, connections/s, 1 KiB RTT vs direct to the Pod and haproxy; Pod Ready → first proxied connection (proxy.mjs)
//   creates/s as the cluster fills: steps of 1,000 Services to 10,000 and of 500 Pods to 2,000 vs the first step and the insert baseline (fill.mjs)
// BENCH_NODE_ARGS adds node flags to the tinykube child processes (e.g. "--cpu-prof").
// Servers run as child processes (`node dist/cli.js up`), as users run them.
import { parallelBench } from './parallel.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, Pool, request } from 'undici';
import YAML from 'yaml';
import { allocationBench } from './allocation.mjs';
import { ipBench } from './ip.mjs';
import { podBench } from './pods.mjs';
import { workloadBench } from './workloads.mjs';
import { rbacBench } from './rbac.mjs';
import { crdBench } from './crd.mjs';
import { webhookBench } from './webhook.mjs';
import { quotaBench } from './quota.mjs';
import { ingressBench } from './ingress.mjs';
import { endpointSliceBench } from './endpointslices.mjs';
import { dnsBench } from './dns.mjs';
import { binaryBench } from './binary.mjs';
import { proxyBench } from './proxy.mjs';
import { fillBench } from './fill.mjs';
import { startBench } from './start.mjs';
import { freePort, pct } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(root, 'dist/cli.js');
const BASE = join(root, 'scripts/bench/baseline-server.mjs');
const N_SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const N_WATCHERS = 100;
const work = mkdtempSync(join(tmpdir(), 'tinykube-bench-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const rows = [];
function report(what, value, unit, baselineName, baseline, goal) {
  rows.push({ what, value, unit, baselineName, baseline, goal });
  const b = baseline === undefined ? '' : `   | ${baselineName}: ${fmt(baseline)} ${unit}`;
  console.log(`${what.padEnd(44)} ${fmt(value).padStart(10)} ${unit.padEnd(6)}${b}${goal ? `   (goal ${goal})` : ''}`);
}
const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : String(v));

function start(args, env) {
  const p = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  children.add(p);
  p.on('exit', () => children.delete(p));
  return p;
}

async function stopProc(p) {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.on('exit', r));
  p.kill('SIGTERM');
  await done;
}

/** Polls url until it answers 200; returns ms since t0. */
async function waitReady(url, ca, t0) {
  const agent = new Agent({ connect: { ca, rejectUnauthorized: !!ca } });
  for (;;) {
    try {
      const r = await request(url, { dispatcher: agent });
      await r.body.text();
      if (r.statusCode === 200) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await agent.close();
  return performance.now() - t0;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startTinykube(extra = [], env = undefined) {
  const port = await freePort();
  const kc = join(work, `kc-${port}`);
  const t0 = performance.now();
  const p = start([CLI, 'up', '--api-listen', `127.0.0.1:${port}`, '--kubeconfig', kc, ...extra], env);
  const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, undefined, t0);
  while (!existsSync(kc)) await new Promise((r) => setTimeout(r, 2));
  const cfg = YAML.parse(readFileSync(kc, 'utf8'));
  const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  return { p, port, ms, ca, token: cfg.users[0].user.token, server: `https://127.0.0.1:${port}`, kubeconfig: kc };
}

async function startBaseline(mode, certDir) {
  const port = await freePort();
  const t0 = performance.now();
  const p = start([BASE, mode, String(port), join(certDir, 'apiserver.crt'), join(certDir, 'apiserver.key')]);
  const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, undefined, t0);
  return { p, port, ms, server: `https://127.0.0.1:${port}` };
}

/** `total` POSTs from `clients` concurrent keep-alive connections; returns requests/s. */
async function createLoad(server, ca, token, total, clients, body) {
  const pool = new Pool(server, { connections: clients, pipelining: 1, connect: { ca, rejectUnauthorized: false } });
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const r = await pool.request({
          path: '/api/v1/namespaces/default/services',
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body(i)),
        });
        await r.body.text();
        if (r.statusCode !== 201) failed++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  if (failed) console.log(`  (${failed} requests failed)`);
  return total / s;
}

const svcBody = (prefix) => (i) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `${prefix}-${i}`, labels: { app: 'bench' } },
  spec: { selector: { app: `a${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

console.log(`tinykube benchmark — node ${process.version}, ${N_SERVICES} services, ${N_WATCHERS} watchers\n`);

// BENCH_ONLY=allocation|ip|pods|... runs just those figures (quick iteration).
if (process.env.BENCH_ONLY === 'allocation') {
  await allocationBench({ root, work, startTinykube, stopProc, createLoad, report });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'ip') {
  await ipBench({ root, work, report });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'dns') {
  await dnsBench({ root, work, startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'portforward') {
  // The port-forward figures (issue 9) share the proxy bench's backend Pod and load generators.
  process.env.BENCH_PROXY_PARTS = 'portforward';
  await proxyBench({ root, work, startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'proxy') {
  await proxyBench({ root, work, startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'endpointslices') {
  await endpointSliceBench({ root, report, startTinykube, stopProc });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'parallel') {
  await parallelBench({ root, work, report });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'binary') {
  await binaryBench({ root, work, report, stopProc, rssMB });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'fill') {
  await fillBench({
    work,
    startTinykube,
    startBaseline,
    stopProc,
    report,
    services: Number(process.env.BENCH_FILL_SERVICES ?? 10_000),
    pods: Number(process.env.BENCH_FILL_PODS ?? 2_000),
  });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'start') {
  await startBench({ root, work, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'rbac') {
  await rbacBench({ startTinykube, stopProc, report, work, cli: CLI });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'crd') {
  await crdBench({ startTinykube, stopProc, report });
  await webhookBench({ startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'quota') {
  await quotaBench({ startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'ingress') {
  await ingressBench({ work, startTinykube, stopProc, report });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'workloads') {
  await workloadBench({ startTinykube, stopProc, report });
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'pods') {
  await podBench({ startTinykube, stopProc, report, rssMB });
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

// ---- start and stop (issue 20) ----
// BENCH_ONLY=core: only the figures of this first part (start once, RSS, creates/s, lists, watch).
const coreOnly = process.env.BENCH_ONLY === 'core';
if (coreOnly) process.env.BENCH_START_ROUNDS ??= '1';
const { certDir } = await startBench({ root, work, report });
console.log('');

// ---- RSS idle ----
// The measured instance runs like `tinykube up` by default: SQLite in a data dir.
const tk = await startTinykube(['--data-dir', join(work, 'measured')]);
const bare = await startBaseline('bare', certDir);
await new Promise((r) => setTimeout(r, 500));
report('RSS idle', rssMB(tk.p.pid), 'MB', 'bare node https', rssMB(bare.p.pid), '< 80 MB');

// ---- creates/s ----
const insert = await startBaseline('insert', certDir);
await createLoad(insert.server, undefined, undefined, 500, 16, svcBody('warm')); // JIT warm-up
const baseRate = await createLoad(insert.server, undefined, undefined, N_SERVICES, 16, svcBody('b'));
await stopProc(insert.p);
await createLoad(tk.server, tk.ca, tk.token, 500, 16, svcBody('warm'));
const tkRate = await createLoad(tk.server, tk.ca, tk.token, N_SERVICES - 500, 16, svcBody('s'));
report(
  'Service creates/s, 16 clients',
  tkRate,
  '/s',
  'fastify+sqlite insert',
  baseRate,
  `≥ 3000/s and ≥ 30% of baseline (${((tkRate / baseRate) * 100).toFixed(0)}%)`,
);

await new Promise((r) => setTimeout(r, 500));
report(`RSS with ${N_SERVICES} Services`, rssMB(tk.p.pid), 'MB', 'bare node https', rssMB(bare.p.pid), '< 250 MB');

// ---- list ----
const agent = new Agent({ connect: { ca: tk.ca } });
async function timeList(accept) {
  const times = [];
  let n = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await request(`${tk.server}/api/v1/services`, {
      headers: { authorization: `Bearer ${tk.token}`, accept },
      dispatcher: agent,
    });
    const body = await r.body.text();
    times.push(performance.now() - t0);
    n = body.length;
  }
  return { ms: median(times), bytes: n };
}
const lj = await timeList('application/json');
report(`list ${N_SERVICES} Services JSON (${(lj.bytes / 1e6).toFixed(1)} MB)`, lj.ms, 'ms', '', undefined, '< 300 ms');
const lt = await timeList('application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
report(`list ${N_SERVICES} Services Table (${(lt.bytes / 1e6).toFixed(1)} MB)`, lt.ms, 'ms', '', undefined, '< 300 ms');
report(`RSS with ${N_SERVICES} Services, after the lists`, rssMB(tk.p.pid), 'MB', 'bare node https', rssMB(bare.p.pid), '< 250 MB');

// ---- watch latency ----
async function watchLatency(server, ca, token, path, postPath) {
  const wagent = new Agent({ connect: { ca, rejectUnauthorized: false }, connections: N_WATCHERS + 4 });
  const sent = new Map();
  const lat = [];
  let ready = 0;
  const controllers = [];
  const readers = Array.from({ length: N_WATCHERS }, async () => {
    const ac = new AbortController();
    controllers.push(ac);
    const r = await request(server + path, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      dispatcher: wagent,
      signal: ac.signal,
    });
    ready++;
    let buf = '';
    try {
      for await (const chunk of r.body) {
        const now = performance.now();
        buf += chunk.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const m = /"name":"lat-(\d+)"/.exec(line);
          if (m && /"type":"ADDED"/.test(line)) lat.push(now - sent.get(Number(m[1])));
        }
      }
    } catch {
      /* aborted */
    }
  });
  while (ready < N_WATCHERS) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  const pool = new Pool(server, { connections: 1, connect: { ca, rejectUnauthorized: false } });
  const events = 200;
  for (let i = 0; i < events; i++) {
    sent.set(i, performance.now());
    const r = await pool.request({
      path: postPath,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `lat-${i}` }, data: { i: String(i) } }),
    });
    await r.body.text();
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 5000;
  while (lat.length < events * N_WATCHERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const ac of controllers) ac.abort();
  await Promise.allSettled(readers);
  await pool.close();
  await wagent.destroy();
  return { p50: pct(lat, 50), p99: pct(lat, 99), n: lat.length, want: events * N_WATCHERS };
}
const fan = await startBaseline('fanout', certDir);
const bl = await watchLatency(fan.server, undefined, undefined, '/watch', '/post');
await stopProc(fan.p);
const wl = await watchLatency(
  tk.server,
  tk.ca,
  tk.token,
  '/api/v1/namespaces/default/configmaps?watch=true',
  '/api/v1/namespaces/default/configmaps',
);
if (wl.n < wl.want) console.log(`  (only ${wl.n} of ${wl.want} events arrived)`);
report(`watch latency p50, ${N_WATCHERS} watchers`, wl.p50, 'ms', 'bare https fan-out', bl.p50);
report(`watch latency p99, ${N_WATCHERS} watchers`, wl.p99, 'ms', 'bare https fan-out', bl.p99, '< 10 ms');

await agent.close();
await stopProc(tk.p);
await stopProc(bare.p);

if (coreOnly) {
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

// ---- allocation (issue 4) ----
console.log('');
await allocationBench({ root, work, startTinykube, stopProc, createLoad, report });
await ipBench({ root, work, report });

// ---- Pods (issue 5) ----
console.log('');
await podBench({ startTinykube, stopProc, report, rssMB });

// ---- workloads (issue 22) ----
console.log('');
await workloadBench({ startTinykube, stopProc, report });

// ---- RBAC (issue 24) ----
console.log('');
await rbacBench({ startTinykube, stopProc, report, work, cli: CLI });

// ---- CRDs (issue 24) ----
console.log('');
await crdBench({ startTinykube, stopProc, report });
await webhookBench({ startTinykube, stopProc, report });

// ---- quota admission (issue 25) ----
console.log('');
await quotaBench({ startTinykube, stopProc, report });

// ---- Ingress (issue 25) ----
console.log('');
await ingressBench({ work, startTinykube, stopProc, report });

// ---- EndpointSlices (issue 6) ----
console.log('');
await endpointSliceBench({ root, report, startTinykube, stopProc });

// ---- DNS (issue 7) ----
console.log('');
await dnsBench({ root, work, startTinykube, stopProc, report });

// ---- Service proxy (issue 8) ----
console.log('');
await proxyBench({ root, work, startTinykube, stopProc, report });

// ---- throughput as the cluster fills (issue 19) ----
console.log('');
await fillBench({ work, startTinykube, startBaseline, stopProc, report });

// ---- the single executable (issue 10) ----
console.log('');
await binaryBench({ root, work, report, stopProc, rssMB });

// ---- many clusters side by side (issue 20) ----
console.log('');
await parallelBench({ root, work, report });
console.log('\ndone');
process.exit(0);
