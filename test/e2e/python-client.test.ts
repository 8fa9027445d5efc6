// The official Python client (Debian's python3-kubernetes, v22.6, run by /usr/bin/python3) against
// a real cluster: list and watch, a watch that meets 410 Expired, exec and port-forward over its
// WebSocket client (websocket-client, which polls the socket before reading each frame), pods/log,
// and replace with resourceVersion "0". The scripts are in test/fixtures/python/; each prints one
// JSON line and runs under a timeout, so a hang fails its test instead of stalling the suite.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';

/** Runs a fixture script that must succeed (a hang fails it) and returns the JSON it printed. */
const py = <T = any>(script: string, args: string[], timeoutMs?: number): Promise<T> =>
  pythonJson<T>(tc, { script }, args, { timeoutMs, rejectOnTimeout: true });

// GET /hello, GET /big?n= (n bytes of a fixed pattern), on the Pod's IP.
const SERVER = `
const http = require('http');
http.createServer((q, s) => {
  const u = new URL(q.url, 'http://x');
  if (u.pathname === '/big') {
    const n = Number(u.searchParams.get('n')), b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 7) % 251;
    s.writeHead(200, { 'content-length': n });
    return s.end(b);
  }
  s.end('hello from ' + process.env.POD_NAME);
}).listen(9376, process.env.POD_IP);
`;
const pattern = (n: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7) % 251;
  return b;
};

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 200, maxMs: 1000 } });
  const marker = join(tc.dir, 'phoenix-ran');
  const podEnv = `    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}`;
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: main
    image: local/sh
    command: [sleep, '3600']
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: c
    image: local/node
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
    readinessProbe: {tcpSocket: {port: 9376}, periodSeconds: 1}
${podEnv}
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: local/sh, stdin: true, command: [sh, -c, 'read x; echo "got $x"']}
---
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  containers:
  - name: c
    image: local/sh
    command: [sh, -c, 'echo early; sleep 3; for i in 1 2 3; do echo late $i; done; exec sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: phoenix}
spec:
  containers:
  - name: c
    image: local/sh
    command: [sh, -c, 'if [ -e ${marker} ]; then echo second run; exec sleep 3600; fi; touch ${marker}; echo first run; exit 1']
`,
  });
  const pod = async (name: string) => JSON.parse((await tc.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
  for (const name of ['box', 'web', 'reader']) {
    await until(
      async () =>
        (await pod(name)).status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ||
        undefined,
      20_000,
    );
  }
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

describe('the Python client: list and watch', () => {
  it('lists, then watches from the list’s resourceVersion and sees ADDED, MODIFIED, DELETED for later writes', async () => {
    const r = await py('watch.py', ['py-watched']);
    expect(r.events.map((e: { type: string }) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(r.events.map((e: { kind: string }) => e.kind)).toEqual(['V1ConfigMap', 'V1ConfigMap', 'V1ConfigMap']);
    expect(r.events.map((e: { data: unknown }) => e.data)).toEqual([{ k: '1' }, { k: '2' }, { k: '2' }]);
    const rvs = r.events.map((e: { rv: string }) => Number(e.rv));
    expect(rvs[0]).toBeGreaterThan(Number(r.listRV));
    expect(rvs[1]).toBeGreaterThan(rvs[0]);
    expect(rvs[2]).toBeGreaterThan(rvs[1]);
    // The helper remembers the last resourceVersion it saw (where it would resume).
    expect(r.watchRV).toBe(r.events[2].rv);
  });

  it('meets 410 Expired for a compacted resourceVersion: the helper retries once, then raises; a new list and watch recover', async () => {
    const old = (await tc.kubectl(['create', 'configmap', 'py-old', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    await tc.kubectl(['create', 'configmap', 'py-newer']);
    await tc.kubectl(['delete', 'configmap', 'py-old']);
    tc.cluster.store.compact({ maxAgeMs: 0, keepRevisions: 1 });
    expect(tc.cluster.store.compactedRev).toBeGreaterThan(Number(old));
    const r = await py('watch_expired.py', [old, 'py-after-relist']);
    expect(r.unexpected).toBeUndefined();
    // The 410 arrives as an ERROR event; the helper watches once more from the same version, then gives up.
    expect(r.calls).toEqual([old, old]);
    expect(r.error.status).toBe(410);
    expect(r.error.reason).toMatch(/^Expired: too old resource version: \d+ \(\d+\)$/);
    expect(r.resumed.type).toBe('ADDED');
    expect(Number(r.resumed.rv)).toBeGreaterThan(Number(r.relistRV));
  });
});

describe('the Python client: exec', () => {
  it('carries stdout, stderr and the exit code on the error channel', async () => {
    const r = await py('exec.py', ['box', 'main', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.open).toBe(false);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(r.returncode).toBe(3);
    expect(r.preloaded).toBe('out\n');
    const ok = await py('exec.py', ['box', 'main', 'echo', 'fine']);
    expect(ok.status).toEqual({ metadata: {}, status: 'Success' });
    expect(ok.returncode).toBe(0);
    expect(ok.stdout).toBe('fine\n');
  });

  it('returns at once with the error of a command that does not exist', async () => {
    // Each of the script's two sessions gives up after 10 s; the run is killed after 30 s.
    const r = await py('exec.py', ['box', 'main', 'no-such-command-here'], 30_000);
    expect(r.open).toBe(false);
    expect(r.seconds).toBeLessThan(10);
    expect(r.stdout).toBe('');
    expect(r.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(r.status.message).toContain('exec: "no-such-command-here": executable file not found in $PATH');
    // The client's returncode reads the first cause's message as an exit code; an InternalError has none.
    expect(r.returncodeError).toBe('ValueError');
    expect(r.preloaded).toBe('');
    expect(r.preloadedSeconds).toBeLessThan(10);
  }, 40_000);
});

describe('the Python client: interactive sessions', () => {
  it('exec: write_stdin and readline_stdout, then the exit code', async () => {
    const r = await py('stdin.py', ['exec', 'box']);
    expect(r).toMatchObject({ line: 'got hello', open: false, returncode: 5 });
    expect(r.seconds).toBeLessThan(10);
  });

  it('attach: the container reads the line, answers and exits; the session ends with Success', async () => {
    const r = await py('stdin.py', ['attach', 'reader']);
    expect(r).toMatchObject({ line: 'got hello', open: false, returncode: 0 });
    expect(r.seconds).toBeLessThan(10);
  });
});

describe('the Python client: pods/log', () => {
  it('timestamps, tail_lines, since_seconds, follow, and previous before and after a restart', async () => {
    const pod = async (name: string) => JSON.parse((await tc.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
    await until(async () => ((await tc.kubectl(['logs', 'chatty'])).stdout.includes('late 3') ? true : undefined), 20_000);
    await until(
      async () =>
        (await pod('phoenix')).status.containerStatuses?.[0]?.restartCount >= 1 && (await tc.kubectl(['logs', 'phoenix'])).stdout
          ? true
          : undefined,
      20_000,
    );
    const r = await py('logs.py', ['chatty', 'phoenix', 'box']);
    const lines = (r.timestamps as string).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['early', 'late 1', 'late 2', 'late 3']);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
    expect(r.tail).toBe('late 2\nlate 3\n');
    expect(r.sinceSeconds).toBeGreaterThanOrEqual(1);
    expect(r.since).toBe('late 1\nlate 2\nlate 3\n');
    expect(r.followed).toEqual(['early', 'late 1', 'late 2', 'late 3']);
    expect(r.current).toBe('second run\n');
    expect(r.previous).toBe('first run\n');
    expect(r.neverRestarted.status).toBe(400);
    expect(JSON.parse(r.neverRestarted.body)).toMatchObject({
      kind: 'Status',
      code: 400,
      reason: 'BadRequest',
      message: 'previous terminated container "main" in pod "box" not found',
    });
  });
});

describe('the Python client: port-forward', () => {
  it('forwards an HTTP exchange and a 3 MB answer intact, and reports a port nobody listens on', async () => {
    const r = await py('portforward.py', ['web', '9376', '9399']);
    expect(r.hello.response).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello from web$/);
    expect(r.hello.error).toBeNull();
    expect(r.big.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.big.length).toBe(3_000_000);
    expect(r.big.sha256).toBe(createHash('sha256').update(pattern(3_000_000)).digest('hex'));
    expect(r.closed.response).toBe('');
    expect(r.closed.error).toMatch(/^error forwarding port 9399 to pod /);
  });
});

describe('the Python client: replace', () => {
  it('replaces a ConfigMap unconditionally with resource_version "0"', async () => {
    const r = await py('replace.py', ['py-replaced']);
    expect(r.data).toEqual({ v: 'three' });
    expect(r.read).toEqual({ v: 'three' });
    expect(Number(r.replacedRV)).toBeGreaterThan(Number(r.createdRV) + 1);
  });
});
