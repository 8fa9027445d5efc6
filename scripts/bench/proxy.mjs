// Service proxy benchmarks (issue 8), one `tinykube up` child process, traffic on loopback only:
//   1. bulk TCP throughput, client → Pod and Pod → client (1 GiB each by default), through the
//      Service's ClusterIP, straight to the Pod IP, and through haproxy (TCP mode, one process,
//      one thread) in front of the same Pod;
//   2. connection rate: 64 concurrent clients each doing connect + 1 KiB request + 1 KiB echo +
//      close, for a fixed time, through the same three paths;
//   3. round-trip time of 1 KiB on persistent connections (p50/p99), the paths taken in turn;
//   4. Pod Ready → first connection through the ClusterIP answered by that Pod, 40 times, beside
//      the same change seen by an HTTP watch on EndpointSlices;
//   5. (issue 9) `kubectl port-forward` to the same Pod: bulk throughput both ways and the
//      connection rate, beside the same traffic sent directly to the Pod.
//   6. (issue 26) 1 KiB RTT p50/p99 through a ClusterIP while 16 keep-alive clients create
//      Services as fast as the API answers, beside the same with an idle API, in the same run:
//      with the data-plane thread (the default) and with TINYKUBE_DATA_PLANE=main (the proxy on
//      the main thread, as before the thread). Each mode has its own `tinykube up` with a data dir,
//      as `tinykube up` keeps one, so SQLite commits are part of the load (as the DNS busy-API
//      figure, dns.mjs). Beside them, the same round trips straight to the Pod meanwhile: what this
//      machine's scheduling leaves any path while the API and the clients share its cores.
// Beside haproxy, the bare Node floor (node-floor.mjs, a process of its own): the same bytes copied
// by net.Socket pipe() with nothing else to do, for 1–3; and for 5, the same behind TLS (the client
// sending kubectl's records), the floor of any Node server forwarding bytes that arrive over TLS.
// The backend for 1–3 is a real Pod (`node -e SERVER` on $POD_IP). The clients are separate node
// processes (proxy-client.mjs), so neither the bench's bookkeeping nor each other's event loop
// sits on the measured path; the client cost is the same for every path. The machine may be
// shared: the paths are measured back to back in one run, and latency samples interleave them.
//
// Figure 4 uses Pods on a virtual Node whose status the bench writes (as a kubelet would), with a
// stand-in server on each Pod's loopback IP. A real Pod with a readiness probe would add the probe
// period (up to 1 s) and the probe's own timing to every sample, and its Ready condition's
// lastTransitionTime has only second precision, so neither would show the proxy's reaction. Here
// the clock starts when the bench sends the status write that makes the Pod Ready, and stops when
// a client that keeps reconnecting to the Service first gets that Pod's reply: the API write, the
// EndpointSlice controller, the proxy's informer and its sync, and the new connection.
import { fork, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, freePort, pct, serviceFlood } from './lib.mjs';

const BULK_BYTES = Number(process.env.BENCH_PROXY_BYTES ?? 2 ** 30);
const RATE_MS = Number(process.env.BENCH_PROXY_RATE_MS ?? 3000);
const CLIENTS = 64;
/** Client processes sharing the 64 connection-rate clients. */
const LOADGENS = Number(process.env.BENCH_PROXY_LOADGENS ?? 2);
const RTT_SAMPLES = 10_000;
const READY_REPS = 40;
/**
 * Figure 6: rounds of (idle, busy) windows, each window's length (round trips back to back for
 * that long: the same time under load whatever the path's speed, so the creates/s compare), and
 * the clients creating Services.
 */
const BUSY_ROUNDS = Number(process.env.BENCH_PROXY_BUSY_ROUNDS ?? 3);
const BUSY_MS = Number(process.env.BENCH_PROXY_BUSY_MS ?? 3000);
const BUSY_CLIENTS = 16;
/** BENCH_PROXY_PARTS=rate,ready runs only those parts (quick iteration). */
const parts = () => new Set((process.env.BENCH_PROXY_PARTS ?? 'bulk,rate,rtt,ready,portforward,busy').split(','));
const NODE = 'tinykube-bench';
const VNODE = 'virt-1';
/** Own ranges, apart from those of the tests (which may run at the same time). */
const SERVICE_CIDR = '127.91.0.0/16';
const POD_CIDR = '127.231.0.0/16';
/**
 * Stand-in Pod IPs for figure 4: in the Pod CIDR (tinykube accepts loopback endpoint addresses
 * only in its own ranges), away from the real Pod's.
 */
const standInIPs = (taken) =>
  Array.from({ length: READY_REPS + 1 }, (_, i) => `127.231.250.${i + 1}`)
    .filter((ip) => ip !== taken)
    .slice(0, READY_REPS);
const PORTS = { sink: 5001, source: 5002, echo: 5003 };

// The backend Pod: 5001 counts what it gets and answers the count after the client's FIN; 5002
// reads "<bytes>\n" and sends that many bytes (with backpressure), then FIN; 5003 echoes.
const SERVER = `
const net = require('net');
const ip = process.env.POD_IP;
const o = { allowHalfOpen: true, noDelay: true };
const listen = (srv, port) => srv.listen({ host: ip, port, backlog: 4096 });
listen(net.createServer(o, (s) => {
  s.on('error', () => {});
  let n = 0;
  s.on('data', (d) => { n += d.length; });
  s.on('end', () => s.end(String(n)));
}), ${PORTS.sink});
const block = Buffer.alloc(256 * 1024, 120);
listen(net.createServer(o, (s) => {
  s.on('error', () => {});
  let head = '';
  s.on('data', function onData(d) {
    head += d;
    const i = head.indexOf('\\n');
    if (i < 0) return;
    s.off('data', onData);
    let left = Number(head.slice(0, i));
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!s.write(n === block.length ? block : block.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
}), ${PORTS.source});
listen(net.createServer(o, (s) => {
  s.on('error', () => {});
  s.pipe(s);
}), ${PORTS.echo});
`;

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}
const CLK_TCK = 100;

const epoch = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A load-generator child process; `run(cmd, args)` resolves with its answer. */
function loadgen(root) {
  const child = fork(join(root, 'scripts/bench/proxy-client.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(m.error));
    else w?.resolve(m);
  });
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('load generator exited'));
    waiting.clear();
  });
  return {
    run: (cmd, args = {}) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      }),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/** The backend Pod (SERVER) on `node` and its Service; resolves once an echo through the ClusterIP comes back. */
async function backendService(c, gen, node) {
  await c.call('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'proxy-bench', labels: { app: 'proxy-bench' } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'server',
          image: 'x',
          command: [process.execPath, '-e', SERVER],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          ports: Object.entries(PORTS).map(([name, containerPort]) => ({ name, containerPort })),
          readinessProbe: { tcpSocket: { port: PORTS.echo }, periodSeconds: 1 },
        },
      ],
    },
  });
  const svc = await c.call('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'proxy-bench' },
    spec: { selector: { app: 'proxy-bench' }, ports: Object.entries(PORTS).map(([name, port]) => ({ name, port })) },
  });
  const clusterIP = svc.spec.clusterIP;
  let podIP;
  for (const end = Date.now() + 30_000; Date.now() < end; await sleep(50)) {
    const pod = await c.call('GET', '/api/v1/namespaces/default/pods/proxy-bench');
    if (pod.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) {
      podIP = pod.status.podIP;
      break;
    }
  }
  if (!podIP) throw new Error('the backend Pod did not become Ready in 30 s');
  if (!(await gen.run('waitEcho', { host: clusterIP, port: PORTS.echo, timeoutMs: 10_000 })).ok)
    throw new Error(`no echo through ${clusterIP}`);
  return { clusterIP, podIP };
}

const haproxyMissing = () => !!spawnSync('haproxy', ['-v']).error;

/** haproxy in TCP mode, one process and one thread (as tinykube's proxy is one event loop). */
async function startHaproxy(work, backendIP) {
  const ports = { sink: await freePort(), source: await freePort(), echo: await freePort() };
  const cfg = join(work, 'haproxy.cfg');
  const sections = Object.entries(ports).map(
    ([name, port]) =>
      `frontend f_${name}\n  bind 127.0.0.1:${port}\n  default_backend b_${name}\nbackend b_${name}\n  server s1 ${backendIP}:${PORTS[name]}\n`,
  );
  writeFileSync(
    cfg,
    `global\n  maxconn 8000\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n${sections.join('')}`,
  );
  const p = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect({ host: '127.0.0.1', port: ports.echo }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return { p, ports };
    if (p.exitCode !== null) break;
    await sleep(20);
  }
  p.kill('SIGKILL');
  throw new Error(`haproxy did not start: ${err}`);
}

/** The bare Node floor (node-floor.mjs) in front of the Pod: plain and TLS ports per Pod port. */
async function startFloor(root, work, podIP) {
  const keyFile = join(work, 'floor.key');
  const certFile = join(work, 'floor.crt');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=floor',
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const p = fork(join(root, 'scripts/bench/node-floor.mjs'), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ports = new Promise((resolve, reject) => {
    p.once('message', resolve);
    p.once('exit', (code) => reject(new Error(`the bare Node floor exited (${code})`)));
  });
  p.send({ podIP, ports: PORTS, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') });
  return { p, ...(await ports) };
}

/** Bulk throughput both ways through every path; best of 2 rounds (the paths in turn in each). */
async function bulkPart({ gen, paths, by, mid, report }) {
  const gib = `${(BULK_BYTES / 2 ** 30).toFixed(BULK_BYTES % 2 ** 30 ? 2 : 0)} GiB`;
  for (const [dir, label] of [
    ['up', 'client → Pod'],
    ['down', 'Pod → client'],
  ]) {
    const cmd = dir === 'up' ? 'bulkUp' : 'bulkDown';
    const key = dir === 'up' ? 'sink' : 'source';
    const bulk = {};
    for (const p of paths) await gen.run(cmd, { host: p.host, port: p.port(key), bytes: 64 * 2 ** 20 }); // warm-up
    for (let round = 0; round < 2; round++) {
      for (const p of paths) {
        const c0 = cpuMs(mid(p));
        const { mibps } = await gen.run(cmd, { host: p.host, port: p.port(key), bytes: BULK_BYTES });
        const cpu = (cpuMs(mid(p)) - c0) / (BULK_BYTES / 2 ** 30);
        if (!(bulk[p.name]?.mibps >= mibps)) bulk[p.name] = { mibps, cpu };
      }
    }
    const d = bulk.direct.mibps;
    const cl = bulk.ClusterIP.mibps;
    report(`TCP ${gib} ${label} via ClusterIP`, cl, 'MiB/s', 'direct to Pod IP', d, `≥ 70% of direct (${((cl / d) * 100).toFixed(0)}%)`);
    if (by('haproxy')) report(`TCP ${gib} ${label} via haproxy`, bulk.haproxy.mibps, 'MiB/s', 'direct to Pod IP', d);
    if (by(FLOOR)) report(`TCP ${gib} ${label} via ${FLOOR}`, bulk[FLOOR].mibps, 'MiB/s', 'direct to Pod IP', d);
    const cpu = (name) => `${name} ${bulk[name].cpu.toFixed(0)} ms`;
    const others = ['haproxy', FLOOR].filter((n) => by(n));
    console.log(`  (CPU per GiB of the process in the middle: ${[cpu('ClusterIP'), ...others.map((n) => cpu(n))].join(', ')})`);
  }
}

/** Connection rate through every path, in rounds of RATE_MS / 3 with the paths in turn. */
async function ratePart({ gens, paths, by, mid, report }) {
  const share = (i) => Math.floor(CLIENTS / gens.length) + (i < CLIENTS % gens.length ? 1 : 0);
  const burst = (p, ms) =>
    Promise.all(gens.map((g, i) => g.run('connRate', { host: p.host, port: p.port('echo'), clients: share(i), ms })));
  for (const p of paths) await burst(p, 300); // warm-up
  const done = Object.fromEntries(paths.map((p) => [p.name, { n: 0, ms: 0, failed: 0, cpu: 0 }]));
  for (let round = 0; round < 3; round++) {
    for (const p of paths) {
      const d = done[p.name];
      const t0 = performance.now();
      const c0 = cpuMs(mid(p));
      const rs = await burst(p, RATE_MS / 3);
      d.ms += performance.now() - t0;
      d.cpu += cpuMs(mid(p)) - c0;
      for (const r of rs) {
        d.n += r.done;
        d.failed += r.failed;
      }
    }
  }
  const rates = {};
  for (const p of paths) {
    const d = done[p.name];
    if (d.failed) console.log(`  (${p.name}: ${d.failed} connections failed)`);
    rates[p.name] = d.n / (d.ms / 1000);
  }
  const what = `connections/s, ${CLIENTS} clients, 1 KiB each way`;
  if (by('haproxy')) {
    report(
      `${what} via ClusterIP`,
      rates.ClusterIP,
      '/s',
      'haproxy',
      rates.haproxy,
      `≥ 50% of haproxy (${((rates.ClusterIP / rates.haproxy) * 100).toFixed(0)}%)`,
    );
    report(`${what} via haproxy`, rates.haproxy, '/s', 'direct to Pod IP', rates.direct);
  } else {
    report(`${what} via ClusterIP`, rates.ClusterIP, '/s', 'direct to Pod IP', rates.direct, '≥ 50% of haproxy (not measured)');
  }
  if (by(FLOOR)) report(`${what} via ${FLOOR}`, rates[FLOOR], '/s', 'direct to Pod IP', rates.direct);
  report(`${what} direct`, rates.direct, '/s', '', undefined);
  const cpu = (name, d = done[name]) => `${name} ${((d.cpu * 1000) / d.n).toFixed(0)} µs (${((d.cpu / d.ms) * 100).toFixed(0)}% of a core)`;
  const others = ['haproxy', FLOOR].filter((n) => by(n));
  console.log(`  (CPU per connection of the process in the middle: ${[cpu('ClusterIP'), ...others.map((n) => cpu(n))].join(', ')})`);
}

/** 1 KiB round trips on persistent connections, the paths in turn. */
async function rttPart({ gen, paths, by, report }) {
  const { rtts } = await gen.run('latency', {
    targets: paths.map((p) => ({ host: p.host, port: p.port('echo') })),
    samples: RTT_SAMPLES,
    warmup: 500,
  });
  const us = (name, q) => pct(rtts[paths.indexOf(by(name))], q) * 1000;
  const added = us('ClusterIP', 99) - us('direct', 99);
  report('1 KiB RTT p50, persistent conn, via ClusterIP', us('ClusterIP', 50), 'µs', 'direct to Pod IP', us('direct', 50));
  report(
    '1 KiB RTT p99, persistent conn, via ClusterIP',
    us('ClusterIP', 99),
    'µs',
    'direct to Pod IP',
    us('direct', 99),
    `added < 500 µs (added ${added.toFixed(0)} µs)`,
  );
  for (const name of ['haproxy', FLOOR].filter((n) => by(n))) {
    report(`1 KiB RTT p50, persistent conn, via ${name}`, us(name, 50), 'µs', 'direct to Pod IP', us('direct', 50));
    report(`1 KiB RTT p99, persistent conn, via ${name}`, us(name, 99), 'µs', 'direct to Pod IP', us('direct', 99));
  }
}

/** Starts `kubectl port-forward pod/NAME :P...`; resolves with the process and the local port of each key. */
function kubectlPortForward(kubeconfig, pod, keys) {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', `pod/${pod}`, ...keys.map((k) => `:${PORTS[k]}`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      const local = [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)];
      if (local.length === keys.length) {
        const byRemote = new Map(local.map((m) => [Number(m[2]), Number(m[1])]));
        resolve({ p, ports: Object.fromEntries(keys.map((k) => [k, byRemote.get(PORTS[k])])) });
      }
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${err}`)));
  });
}

/**
 * kubectl port-forward (SPDY in WebSocket, kubectl 1.32's default) against the direct path:
 * bulk both ways and the connection rate. Every forwarded byte crosses kubectl and tinykube, each
 * framing it (SPDY) and the WebSocket layer; the goal is half of the direct throughput.
 */
async function portForwardPart({ gen, gens, tk, by, floor, report }) {
  const direct = by('direct');
  const pf = await kubectlPortForward(tk.kubeconfig, 'proxy-bench', ['sink', 'source', 'echo']);
  const paths = [direct, { name: 'port-forward', host: '127.0.0.1', port: (k) => pf.ports[k] }];
  try {
    for (const [cmd, key, label] of [
      ['bulkUp', 'sink', 'client → Pod'],
      ['bulkDown', 'source', 'Pod → client'],
    ]) {
      const best = {};
      for (const p of paths) await gen.run(cmd, { host: p.host, port: p.port(key), bytes: 32 * 2 ** 20 }); // warm-up
      let cpu = { tinykube: 0, kubectl: 0 };
      // The floor: the same bytes through a bare Node TLS terminator (node-floor.mjs), the client
      // writing kubectl's TLS records; its CPU per GiB is what Node's TLS and streams cost any
      // server that forwards them, before any framing.
      const floorPath = floor && { name: 'floor', host: '127.0.0.1', port: (k) => floor.tls[k], secure: true };
      let floorCpu = Infinity;
      const gib = PF_BYTES / 2 ** 30;
      for (let round = 0; round < 2; round++) {
        for (const p of paths) {
          const c0 = [cpuMs(tk.p.pid), cpuMs(pf.p.pid)];
          const { mibps } = await gen.run(cmd, { host: p.host, port: p.port(key), bytes: PF_BYTES });
          if (p.name === 'port-forward' && mibps > (best[p.name] ?? 0)) {
            cpu = { tinykube: (cpuMs(tk.p.pid) - c0[0]) / gib, kubectl: (cpuMs(pf.p.pid) - c0[1]) / gib };
          }
          best[p.name] = Math.max(best[p.name] ?? 0, mibps);
        }
        if (floorPath) {
          const c0 = cpuMs(floor.p.pid);
          const pieces = cmd === 'bulkUp' ? KUBECTL_RECORDS : undefined;
          await gen.run(cmd, { host: floorPath.host, port: floorPath.port(key), bytes: PF_BYTES, secure: true, pieces });
          floorCpu = Math.min(floorCpu, (cpuMs(floor.p.pid) - c0) / gib);
        }
      }
      const floorText = floorPath ? `; ${FLOOR} TLS → TCP copy ${floorCpu.toFixed(0)} ms` : '';
      console.log(`  (CPU per GiB: tinykube ${cpu.tinykube.toFixed(0)} ms, kubectl ${cpu.kubectl.toFixed(0)} ms${floorText})`);
      const ratio = best['port-forward'] / best.direct;
      report(
        `port-forward ${PF_BYTES / 2 ** 20} MiB ${label}`,
        best['port-forward'],
        'MiB/s',
        'direct to Pod IP',
        best.direct,
        `≥ 50% of direct (${(ratio * 100).toFixed(0)}%)`,
      );
    }
    // Connection rate: fewer clients than for the proxy (kubectl itself handles each one).
    const clients = 16;
    const share = (i) => Math.floor(clients / gens.length) + (i < clients % gens.length ? 1 : 0);
    const rates = {};
    for (const p of paths) {
      const t0 = performance.now();
      const rs = await Promise.all(
        gens.map((g, i) => g.run('connRate', { host: p.host, port: p.port('echo'), clients: share(i), ms: 2000 })),
      );
      const n = rs.reduce((a, r) => a + r.done, 0);
      const failed = rs.reduce((a, r) => a + r.failed, 0);
      if (failed) console.log(`  (${p.name}: ${failed} connections failed)`);
      rates[p.name] = n / ((performance.now() - t0) / 1000);
    }
    report(`port-forward connections/s, ${clients} clients, 1 KiB`, rates['port-forward'], '/s', 'direct to Pod IP', rates.direct);
  } finally {
    pf.p.kill('SIGTERM');
  }
}
const PF_BYTES = Number(process.env.BENCH_PF_BYTES ?? 512 * 2 ** 20);
/**
 * The TLS records kubectl v1.32 sends per 32 KiB of port-forward data (SPDY in WebSocket): two
 * 4-byte WebSocket messages (10 bytes framed), the data message's frame header, and its payload
 * in 16 KiB halves.
 */
const KUBECTL_RECORDS = [10, 10, 14, 16384, 16384];
/** The bare Node floor's name in the reports. */
const FLOOR = 'bare Node pipe';

/** Pod Ready → first proxied connection, READY_REPS times (see the header for the method). */
async function readyPart({ c, gen, podIP, report }) {
  await c.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: VNODE } });
  const sliceSeen = new Map();
  const sw = c.watch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', (ev, t) => {
    for (const e of ev.object.endpoints ?? []) {
      const k = `${e.addresses[0]}/${e.conditions?.ready ? 'ready' : 'not'}`;
      if (!sliceSeen.has(k)) sliceSeen.set(k, t);
    }
  });
  await sw.open;
  const MERGE = 'application/merge-patch+json';
  const status = (ip, ready) => ({
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const toConn = [];
  const toSlice = [];
  let attempts = 0;
  const ips = standInIPs(podIP);
  for (let i = 0; i < READY_REPS; i++) {
    const name = `ready-${i}`;
    const ip = ips[i];
    const s = await c.call('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await c.call('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name } },
      spec: { nodeName: VNODE, containers: [{ name: 'c', image: 'x' }] },
    });
    await gen.run('startStandIn', { ip, port: 8080, name });
    await c.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, status(ip, false), MERGE);
    // Once the not-ready endpoint is in the slice the proxy has the Service and no backend; give
    // it a moment to open the listener, and the prober to be in its stride.
    for (let k = 0; k < 400 && !sliceSeen.has(`${ip}/not`); k++) await sleep(5);
    await sleep(30);
    await gen.run('startProbe', { host: s.spec.clusterIP, port: 80, expect: name, timeoutMs: 2000 });
    await sleep(20);
    const t0 = epoch();
    await c.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, status(ip, true), MERGE);
    const r = await gen.run('probeResult');
    attempts += r.attempts;
    if (r.at !== undefined) toConn.push(r.at - t0);
    const seen = sliceSeen.get(`${ip}/ready`);
    if (seen !== undefined) toSlice.push(seen - t0);
    await gen.run('stopStandIn', { name });
  }
  await sw.stop();
  if (toConn.length < READY_REPS) console.log(`  (only ${toConn.length} of ${READY_REPS} Pods were reached through their Service in 2 s)`);
  report('Pod Ready → first proxied connection p50', pct(toConn, 50), 'ms', 'slice watch event p50', pct(toSlice, 50));
  report('Pod Ready → first proxied connection p99', pct(toConn, 99), 'ms', 'slice watch event p99', pct(toSlice, 99), '< 50 ms');
  console.log(`  (${READY_REPS} Pods; the prober made ${attempts} connection attempts in all)`);
}

export async function proxyBench(ctx) {
  const t0 = performance.now();
  const PARTS = parts();
  if ([...PARTS].some((p) => p !== 'busy')) await mainParts(ctx, PARTS);
  if (PARTS.has('busy')) await busyApiPart(ctx);
  console.log(`  (proxy bench: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

/** Figure 6: proxy RTT with an idle API and with 16 clients creating Services, on the thread and on the main thread. */
async function busyApiPart({ root, work, startTinykube, stopProc, report }) {
  const modes = [
    ['data-plane thread', {}],
    ['main thread (before)', { TINYKUBE_DATA_PLANE: 'main' }],
  ];
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const node = 'tinykube-bench-busy';
  for (const [label, env] of modes) {
    const dnsPort = await freePort();
    const tk = await startTinykube(
      [
        '--data-dir',
        join(work, `proxy-busy-${dnsPort}`),
        '--node-name',
        node,
        // Own ranges, apart from figures 1-5's cluster and from the tests'.
        '--service-cidr',
        '127.93.0.0/16',
        '--pod-cidr',
        '127.235.0.0/16',
        '--loadbalancer-cidr',
        '127.236.0.0/16',
        '--dns-listen',
        `127.0.0.1:${dnsPort}`,
        '--dns-upstream',
        '127.0.0.1:1',
      ],
      env,
    );
    const c = apiClient(tk, { connections: 4 });
    const gen = loadgen(root);
    try {
      const { clusterIP, podIP } = await backendService(c, gen, node);
      const targets = [
        { host: clusterIP, port: PORTS.echo },
        { host: podIP, port: PORTS.echo },
      ];
      // Round trips in batches of 1,000 until the window is over; per target the RTTs in ms.
      const sample = async (ms) => {
        const out = targets.map(() => []);
        const end = performance.now() + ms;
        do {
          const { rtts } = await gen.run('latency', { targets, samples: 1000, warmup: 0 });
          rtts.forEach((r, k) => out[k].push(...r));
        } while (performance.now() < end);
        return out;
      };
      await sample(500); // warm-up
      const idle = [];
      const busy = [];
      const rates = [];
      for (let i = 0; i < BUSY_ROUNDS; i++) {
        idle.push(await sample(BUSY_MS));
        const flood = serviceFlood(tk, `busy-${i}`, BUSY_CLIENTS);
        await flood.started;
        busy.push(await sample(BUSY_MS));
        rates.push(await flood.stop());
      }
      // Per round the percentile, then the median over the rounds; in µs.
      const at = (runs, k, q) => med(runs.map((r) => pct(r[k], q))) * 1000;
      const p99 = at(busy, 0, 99);
      const p99Idle = at(idle, 0, 99);
      report(
        `1 KiB RTT p99 via ClusterIP, API busy: ${label}`,
        p99,
        'µs',
        'idle API',
        p99Idle,
        `≤ 1.5× idle (${(p99 / p99Idle).toFixed(2)}×)`,
      );
      report(`1 KiB RTT p50 via ClusterIP, API busy: ${label}`, at(busy, 0, 50), 'µs', 'idle API', at(idle, 0, 50));
      report(`  direct to Pod IP p99 meanwhile`, at(busy, 1, 99), 'µs', 'idle API', at(idle, 1, 99));
      report(`  Service creates/s meanwhile (${BUSY_CLIENTS} clients)`, med(rates), '/s', '', undefined);
    } finally {
      gen.stop();
      await c.close();
      await stopProc(tk.p);
    }
  }
}

/** Figures 1-5, on one in-memory cluster. */
async function mainParts({ root, work, startTinykube, stopProc, report }, PARTS) {
  const dnsPort = await freePort();
  const tk = await startTinykube([
    '--in-memory',
    '--node-name',
    NODE,
    '--service-cidr',
    SERVICE_CIDR,
    '--pod-cidr',
    POD_CIDR,
    '--loadbalancer-cidr',
    '127.232.0.0/16',
    '--dns-listen',
    `127.0.0.1:${dnsPort}`,
    '--dns-upstream',
    '127.0.0.1:1',
    ...(process.env.BENCH_VERBOSE ? ['--verbose'] : []),
  ]);
  const c = apiClient(tk, { connections: 8, clock: epoch });
  const gens = Array.from({ length: Math.max(1, LOADGENS) }, () => loadgen(root));
  const gen = gens[0];
  let haproxy;
  let floor;
  try {
    const { clusterIP, podIP } = await backendService(c, gen, NODE);

    const paths = [
      { name: 'direct', host: podIP, port: (k) => PORTS[k] },
      { name: 'ClusterIP', host: clusterIP, port: (k) => PORTS[k] },
    ];
    if (haproxyMissing()) {
      console.log('  (haproxy missing: apt-get install haproxy; the haproxy column is skipped)');
    } else {
      haproxy = await startHaproxy(work, podIP).catch((err) => console.log(`  (${err.message.trim()}; the haproxy column is skipped)`));
      if (haproxy) paths.push({ name: 'haproxy', host: '127.0.0.1', port: (k) => haproxy.ports[k] });
    }
    floor = await startFloor(root, work, podIP).catch((err) => console.log(`  (${err.message.trim()}; the ${FLOOR} column is skipped)`));
    if (floor) paths.push({ name: FLOOR, host: '127.0.0.1', port: (k) => floor.tcp[k] });
    console.log(`  (backend Pod ${podIP}, ClusterIP ${clusterIP}; paths: ${paths.map((p) => p.name).join(', ')})`);
    const ctx = {
      tk,
      c,
      gen,
      gens,
      paths,
      podIP,
      report,
      by: (name) => paths.find((p) => p.name === name),
      /** The process between client and Pod, whose CPU time is noted (tinykube's for direct: idle). */
      mid: (p) => (p.name === 'haproxy' ? haproxy.p.pid : p.name === FLOOR ? floor.p.pid : tk.p.pid),
      floor,
    };
    if (PARTS.has('bulk')) await bulkPart(ctx);
    if (PARTS.has('rate')) await ratePart(ctx);
    if (PARTS.has('rtt')) await rttPart(ctx);
    if (PARTS.has('portforward')) await portForwardPart(ctx);
    haproxy?.p.kill('SIGTERM');
    haproxy = undefined;
    floor?.p.kill('SIGTERM');
    floor = undefined;
    if (PARTS.has('ready')) await readyPart(ctx);
  } finally {
    haproxy?.p.kill('SIGTERM');
    floor?.p.kill('SIGTERM');
    for (const g of gens) g.stop();
    await c.close();
    await stopProc(tk.p);
  }
}
