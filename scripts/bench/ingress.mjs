// Ingress benchmark (issue 25), against `tinykube up` as users run it: a Pod serving a 2-byte
// HTTP answer behind a Service and an Ingress (three hosts, a few paths each), loaded by wrk with
// 64 keep-alive connections through the built-in ingress controller, beside haproxy in HTTP mode
// (one process, one thread, as the controller is one event loop; `option forwardfor` and
// connection reuse as the controller does) with the same host and path rules in front of the
// same Pod, and the Pod straight (what the HTTP path costs at all). Paths are measured in turn,
// twice, best round kept: the machine may be shared. Traffic on loopback only.
// Goals: ≥ 50% of haproxy's requests/s, p99 within 2× haproxy's.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, freePort } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 3);
const CONNECTIONS = 64;
const NODE = 'tinykube-bench';
const HOST = 'shop.bench.test';
const PATH = '/api/items';
// The backend Pod: a fixed 2-byte answer, keep-alive, on its Pod IP.
const SERVER = `
const http = require('http');
const body = Buffer.from('ok');
http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end(body);
}).listen(8080, process.env.POD_IP);
`;
// The routes of both proxies: three hosts, a few paths each; the measured request takes the
// second path of the second host.
const RULES = [
  { host: 'www.bench.test', paths: ['/', '/static', '/assets'] },
  { host: HOST, paths: ['/', '/api', '/cart'] },
  { host: 'admin.bench.test', paths: ['/', '/metrics'] },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const missing = (cmd, arg) => !!spawnSync(cmd, [arg]).error;

/** CPU time (user + system) of a process so far, ms (clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** wrk's figures for one run: requests/s and p99 latency in ms. */
function wrk(url, host) {
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', `Host: ${host}`, url], {
    encoding: 'utf8',
    timeout: (SECONDS + 30) * 1000,
  });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const m = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(r.stdout);
  const p99 = m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(r.stdout)?.[0];
  if (non2xx || errors) console.log(`  (${url}: ${non2xx} non-2xx answers${errors ? `; ${errors}` : ''})`);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  return { rate, p99, requests };
}

async function answers(host, port, hostHeader) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => s.write(`GET ${PATH} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(got.startsWith('HTTP/1.1 200')));
  });
}

async function startHaproxy(work, podIP) {
  const port = await freePort();
  const cfg = join(work, 'haproxy-ingress.cfg');
  const acls = [];
  const uses = [];
  RULES.forEach((r, i) => {
    acls.push(`  acl host${i} hdr(host) -i ${r.host}`);
    // Longest prefix first, by path element, as the Ingress's Prefix rules match.
    [...r.paths]
      .sort((a, b) => b.length - a.length)
      .forEach((p, j) => {
        if (p === '/') return uses.push(`  use_backend app if host${i}`);
        acls.push(`  acl path${i}_${j} path ${p} || path_beg ${p}/`);
        uses.push(`  use_backend app if host${i} path${i}_${j}`);
      });
  });
  writeFileSync(
    cfg,
    [
      'global\n  maxconn 8000\n  nbthread 1',
      'defaults\n  mode http\n  option forwardfor\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s',
      `frontend web\n  bind 127.0.0.1:${port}\n${acls.join('\n')}\n${uses.join('\n')}`,
      `backend app\n  http-reuse always\n  server s1 ${podIP}:8080`,
      '',
    ].join('\n'),
  );
  const p = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 200; i++) {
    if (await answers('127.0.0.1', port, HOST)) return { p, port };
    if (p.exitCode !== null) break;
    await sleep(20);
  }
  p.kill('SIGKILL');
  throw new Error(`haproxy did not start: ${err}`);
}

export async function ingressBench({ work, startTinykube, stopProc, report }) {
  if (missing('wrk', '-v')) {
    console.log('  (wrk missing: apt-get install wrk; the ingress figures are skipped)');
    return;
  }
  const ingressPort = await freePort();
  const tk = await startTinykube([
    '--in-memory',
    '--node-name',
    NODE,
    '--dns-upstream',
    '127.0.0.1:1',
    '--ingress-http-listen',
    `127.0.0.1:${ingressPort}`,
  ]);
  const c = apiClient(tk, { connections: 4 });
  let haproxy;
  try {
    await c.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'ingress-bench', labels: { app: 'ingress-bench' } },
      spec: {
        nodeName: NODE,
        containers: [
          {
            name: 'server',
            image: 'x',
            command: [process.execPath, '-e', SERVER],
            env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    await c.call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'app' },
      spec: { selector: { app: 'ingress-bench' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const backend = { service: { name: 'app', port: { number: 80 } } };
    await c.call('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', {
      metadata: { name: 'app' },
      spec: {
        rules: RULES.map((r) => ({ host: r.host, http: { paths: r.paths.map((path) => ({ path, pathType: 'Prefix', backend })) } })),
      },
    });
    let podIP;
    for (const end = Date.now() + 30_000; Date.now() < end && !podIP; await sleep(50)) {
      const pod = await c.call('GET', '/api/v1/namespaces/default/pods/ingress-bench');
      if (pod.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) podIP = pod.status.podIP;
    }
    if (!podIP) throw new Error('the backend Pod did not become Ready in 30 s');
    for (const end = Date.now() + 10_000; !(await answers('127.0.0.1', ingressPort, HOST)); await sleep(20))
      if (Date.now() > end) throw new Error('the ingress controller did not route in 10 s');

    const paths = [
      { name: 'direct', url: `http://${podIP}:8080${PATH}` },
      { name: 'ingress', url: `http://127.0.0.1:${ingressPort}${PATH}`, pid: tk.p.pid },
    ];
    if (missing('haproxy', '-v')) console.log('  (haproxy missing: apt-get install haproxy; the haproxy column is skipped)');
    else {
      haproxy = await startHaproxy(work, podIP).catch((err) => console.log(`  (${err.message.trim()}; the haproxy column is skipped)`));
      if (haproxy) paths.push({ name: 'haproxy', url: `http://127.0.0.1:${haproxy.port}${PATH}`, pid: haproxy.p.pid });
    }
    const best = {};
    for (let round = 0; round < 2; round++)
      for (const p of paths) {
        const c0 = p.pid && cpuMs(p.pid);
        const r = wrk(p.url, HOST);
        // CPU per request of the process in the middle: what the machine's load does not change.
        if (p.pid) r.cpuUs = ((cpuMs(p.pid) - c0) * 1000) / r.requests;
        if (!best[p.name] || r.rate > best[p.name].rate) best[p.name] = r;
      }
    const what = `Ingress HTTP, ${CONNECTIONS} keep-alive clients`;
    if (best.haproxy) {
      const share = ((best.ingress.rate / best.haproxy.rate) * 100).toFixed(0);
      report(`${what}`, best.ingress.rate, 'req/s', 'haproxy HTTP mode', best.haproxy.rate, `≥ 50% of haproxy (${share}%)`);
      const times = (best.ingress.p99 / best.haproxy.p99).toFixed(1);
      report('Ingress HTTP p99 latency', best.ingress.p99, 'ms', 'haproxy HTTP mode', best.haproxy.p99, `≤ 2× haproxy (${times}×)`);
    } else {
      report(`${what}`, best.ingress.rate, 'req/s', 'direct to Pod IP', best.direct.rate, '≥ 50% of haproxy (not measured)');
      report('Ingress HTTP p99 latency', best.ingress.p99, 'ms', 'direct to Pod IP', best.direct.p99, '≤ 2× haproxy (not measured)');
    }
    const cpu = (n) => (best[n]?.cpuUs === undefined ? '' : `${n} ${best[n].cpuUs.toFixed(1)} µs`);
    console.log(`  (CPU per request of the process in the middle: ${[cpu('ingress'), cpu('haproxy')].filter(Boolean).join(', ')})`);
    console.log(`  (the Pod straight, no proxy: ${best.direct.rate.toFixed(0)} req/s, p99 ${best.direct.p99.toFixed(2)} ms)`);
  } finally {
    haproxy?.p.kill('SIGKILL');
    await c.close();
    await stopProc(tk.p);
  }
}
