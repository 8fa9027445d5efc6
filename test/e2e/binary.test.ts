// The single executable as users get it: built with the real script (`npm run build:binary`),
// copied alone into an empty directory (no node_modules, no source tree), then driven like a user
// would: version and help, `up --detach`, kubectl with a Service, Pods, cluster DNS and the service
// proxy, `down`, and nothing left running. Also: node-pty inside a binary, the addon cache under
// parallel starts, and a read-only or full cache dir.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import YAML from 'yaml';
import { runKubectl } from '../helpers/cluster.js';
import { dig } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';
import { inCIDR, slotRanges } from '../helpers/ranges.js';
import { TINYKUBE_VERSION } from '../../src/base/version.js';
import { alive } from '../../src/cli/instance.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let work: string;
let alone: string;
let bin: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: alone, env, timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** An environment that points every tinykube file at this test's temp dir, with no Node hints. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(work, 'home'),
    KUBECONFIG: join(work, 'home', 'kubeconfig'),
    XDG_DATA_HOME: join(work, 'xdg'),
    TINYKUBE_CACHE_DIR: join(work, 'cache'),
    ...extra,
  };
  for (const k of ['NODE_OPTIONS', 'NODE_PATH', 'VITEST', 'VITEST_WORKER_ID']) delete env[k];
  return env;
}

const tk = (args: string[], extra: Record<string, string> = {}) => exec(bin, args, userEnv(extra));

/** Pids of live processes whose command line contains `marker`, or whose executable is `exe`. */
function processesWith(marker: string, exe?: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const ex = exe ? readlinkSync(`/proc/${d}/exe`) : '';
      if (cmdline.includes(marker) || (exe && ex === exe)) found.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tk-binary-'));
  mkdirSync(join(work, 'home'));
  // The real build script, into this test's dir (dist/ may be rebuilt by `npm run build` meanwhile).
  const built = await new Promise<Run>((resolve) =>
    execFile(
      process.execPath,
      [join(ROOT, 'scripts/build-binary.mjs'), '--output', join(work, 'build', 'tinykube')],
      { cwd: ROOT, timeout: 170_000 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  expect(built, built.stderr).toMatchObject({ code: 0 });
  expect(built.stdout).toMatch(/^built .*tinykube \(\d+\.\d MB, bundle \d+\.\d MB\) in \d+ ms\n$/);
  alone = join(work, 'alone');
  mkdirSync(alone);
  bin = join(alone, 'tinykube');
  copyFileSync(join(work, 'build', 'tinykube'), bin);
  rmSync(join(work, 'build'), { recursive: true, force: true });
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the single executable, alone in a directory', () => {
  it('prints its version and the help of every command with examples', async () => {
    expect(readdirSync(alone)).toEqual(['tinykube']);
    const v = await tk(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^tinykube v1\.32\.0-tinykube\.\S+ \(linux\/amd64, node \d+\.\d+\.\d+, single executable\)\n$/);
    const help = await tk(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['up', 'down', 'status', 'kubeconfig', 'reset', 'version']) expect(help.stdout).toMatch(new RegExp(`\\n  ${cmd} `));
    for (const cmd of ['up', 'down', 'status', 'kubeconfig', 'reset', 'version']) {
      const h = await tk([cmd, '--help']);
      expect(h.code, cmd).toBe(0);
      expect(h.stdout, cmd).toContain('Examples:');
      expect(h.stderr, cmd).toBe('');
    }
  }, 60_000);

  it('runs a cluster in the background: kubectl, a Service, Pods, DNS and the proxy; down leaves no process', async () => {
    const marker = `tkbin-${randomBytes(4).toString('hex')}`;
    const dataDir = join(work, 'data');
    const started = await tk(['up', '--detach', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--dns-upstream', '127.0.0.1:1']);
    expect(started.code, started.stderr).toBe(0);
    // Progress, then the summary: API URL, kubeconfig, DNS, ranges, how to stop.
    expect(started.stdout).toMatch(/^Starting tinykube "tinykube" \(data dir .*\)\n {2}✓ /);
    expect(started.stdout).toMatch(/\n {2}✓ API server listening on port \d+ \(\d+ ms\)\n/);
    expect(started.stdout).toMatch(/\n {2}API server {2}https:\/\/127\.0\.0\.1:\d+\n/);
    expect(started.stdout).toContain(`  kubeconfig  ${join(work, 'home', 'kubeconfig')} (context "tinykube" merged, now current)`);
    // The ranges of the host slot it took (named unless it is slot 0, the documented defaults).
    const ranges =
      /\n {2}Services {4}(\S+), NodePorts (\S+)\n {2}Pods {8}(\S+)(?: \(host slot (\d+): other clusters run on this host\))?\n/.exec(
        started.stdout,
      );
    expect(ranges, started.stdout).not.toBeNull();
    const slot = slotRanges(Number(ranges![4] ?? 0));
    expect(ranges!.slice(1, 4)).toEqual([slot.serviceCIDR, slot.nodePortRange, slot.podCIDR]);
    expect(started.stdout).toContain(`Stop it with: tinykube down --data-dir ${dataDir}`);
    const pid = Number(/Running in the background \(pid (\d+),/.exec(started.stdout)?.[1]);
    expect(alive(pid)).toBe(true);
    expect(readFileSync(join(dataDir, 'tinykube.pid'), 'utf8').trim()).toBe(String(pid));
    const dnsAddr = /\n {2}DNS {9}(\S+):(\d+) \(UDP and TCP\)/.exec(started.stdout)!;

    // `tinykube kubeconfig` gives the same cluster as the merged context.
    const kc = await tk(['kubeconfig', '--data-dir', dataDir]);
    expect(kc.code).toBe(0);
    const kcPath = join(work, 'kc.yaml');
    writeFileSync(kcPath, kc.stdout);
    const merged = YAML.parse(readFileSync(join(work, 'home', 'kubeconfig'), 'utf8'));
    expect(merged['current-context']).toBe('tinykube');
    expect(merged.clusters[0].cluster.server).toBe(YAML.parse(kc.stdout).clusters[0].cluster.server);
    const kubectl = (args: string[], input?: string) =>
      runKubectl(['--kubeconfig', kcPath, '--cache-dir', join(work, 'kube-cache'), ...args], { input });

    const server = `const http = require('http'); http.createServer((q, s) => s.end('hello from ' + process.env.POD_NAME)).listen(8080, process.env.POD_IP); // ${marker}`;
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: c
    image: local/web
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]
    ports: [{name: http, containerPort: 8080}]
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web-svc}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`,
    );
    await kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=30s']);
    const svc = JSON.parse((await kubectl(['get', 'svc', 'web-svc', '-o', 'json'])).stdout);
    expect(inCIDR(slot.serviceCIDR, svc.spec.clusterIP), `${svc.spec.clusterIP} in ${slot.serviceCIDR}`).toBe(true);
    expect(processesWith(marker).length).toBeGreaterThan(0);

    // The service proxy, from the host: ClusterIP and NodePort.
    const get = async (url: string) => (await request(url)).body.text();
    expect(await until(() => get(`http://${svc.spec.clusterIP}/`).catch(() => undefined), 15_000)).toBe('hello from web');
    expect(await get(`http://127.0.0.1:${svc.spec.ports[0].nodePort}/`)).toBe('hello from web');
    // The cluster DNS, from the host.
    expect((await dig(Number(dnsAddr[2]), ['+short', 'web-svc.default.svc.cluster.local', 'A'], dnsAddr[1])).trim()).toBe(
      svc.spec.clusterIP,
    );
    // A Pod reaching the Service by name (cluster DNS, or /etc/hosts without port 53) through the proxy.
    await kubectl([
      'run',
      'client',
      '--image=local/curl',
      '--restart=Never',
      '--command',
      '--',
      'curl',
      '-sS',
      '--max-time',
      '5',
      'http://web-svc/',
    ]);
    const phase = await until(async () => {
      const p = JSON.parse((await kubectl(['get', 'pod', 'client', '-o', 'json'])).stdout);
      return ['Succeeded', 'Failed'].includes(p.status.phase) ? p.status.phase : undefined;
    }, 20_000);
    expect({ phase, logs: (await kubectl(['logs', 'client'])).stdout.trim() }).toEqual({ phase: 'Succeeded', logs: 'hello from web' });

    const st = await tk(['status', '--data-dir', dataDir]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(new RegExp(`^tinykube "tinykube" is running \\(pid ${pid}\\), ready\\n`));

    const down = await tk(['down', '--data-dir', dataDir]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`stopped tinykube (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(await until(async () => processesWith(marker, bin).length === 0, 5000)).toBe(true);
    expect(existsSync(join(dataDir, 'tinykube.pid'))).toBe(false);
    const after = await tk(['status', '--data-dir', dataDir]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('is stopped');
  }, 120_000);

  it('runs in the foreground until SIGTERM', async () => {
    const p = spawn(
      bin,
      ['up', '--in-memory', '--api-listen', '127.0.0.1:0', '--kubeconfig', join(work, 'fg.yaml'), '--dns-listen', '127.0.0.1:0'],
      { cwd: alone, env: userEnv() },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await until(async () => out.includes('Stop it with Ctrl-C'), 20_000);
    expect(out).toMatch(/tinykube "tinykube" is up in \d+ ms\n/);
    expect(out).toContain('  data        in memory (nothing is kept)');
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('unpacks its addon once when several start at once', async () => {
    const cache = join(work, 'cache-parallel');
    const runs = [0, 1, 2].map((i) => {
      const p = spawn(
        bin,
        ['up', '--in-memory', '--api-listen', '127.0.0.1:0', '--kubeconfig', join(work, `par-${i}.yaml`), '--dns-listen', '127.0.0.1:0'],
        { cwd: alone, env: userEnv({ TINYKUBE_CACHE_DIR: cache }) },
      );
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      return { p, out: () => out, exited: new Promise<number | null>((r) => p.on('exit', (code) => r(code))) };
    });
    await until(async () => runs.every((r) => r.out().includes('is up in')), 30_000);
    for (const r of runs) r.p.kill('SIGTERM');
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0, 0]);
    const [sub] = readdirSync(cache);
    expect(sub).toMatch(/^\d+\.\d+\.\d+-node\d+-linux-x64$/);
    expect(readdirSync(join(cache, sub!))).toEqual([expect.stringMatching(/^better_sqlite3-[0-9a-f]{16}\.node$/)]);
  }, 60_000);

  it('says in one line that its cache dir is read-only or full', async () => {
    // A tmpfs of our own in a private mount namespace: with an unprivileged user namespace where
    // the kernel allows one, else as root.
    const mnt = join(work, 'mnt');
    mkdirSync(mnt);
    const ns = [['-Urm'], ['-m']].find((f) => spawnSync('unshare', [...f, 'mount', '-t', 'tmpfs', 'none', mnt]).status === 0);
    expect(ns, 'unshare cannot make a mount namespace here').toBeDefined();
    const script = `mount -t tmpfs -o "$1" none "$2" && "$3" up --in-memory --api-listen 127.0.0.1:0 --kubeconfig "$4" --dns-listen 127.0.0.1:0; echo "exit=$?"; find "$2" -name '*.tmp'`;
    for (const [opts, reason] of [
      ['ro', 'read-only file system'],
      ['size=256k', 'no space left on device'],
    ] as const) {
      const r = await exec(
        'unshare',
        [...ns!, 'sh', '-c', script, 'sh', opts, mnt, bin, join(work, 'never.yaml')],
        userEnv({ TINYKUBE_CACHE_DIR: mnt }),
      );
      expect(r.stderr).toBe(
        `tinykube: cannot unpack native addon better_sqlite3.node into ${mnt}/${TINYKUBE_VERSION}-node${process.versions.modules}-linux-x64: ${reason} (set TINYKUBE_CACHE_DIR to a writable directory)\n`,
      );
      // exit code 1, and no temp file left behind
      expect(r.stdout.split('\n').slice(-2)).toEqual(['exit=1', '']);
    }
  }, 60_000);
});

describe('node-pty inside a single executable', () => {
  it('spawns a process on a pseudo-terminal with pty.node from the binary', async () => {
    const out = join(work, 'pty-build', 'ptytest');
    const built = await new Promise<Run>((resolve) =>
      execFile(
        process.execPath,
        [join(ROOT, 'scripts/build-binary.mjs'), '--entry', join(ROOT, 'test/fixtures/sea-pty.ts'), '--output', out],
        { cwd: ROOT, timeout: 170_000 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(built.code, built.stderr).toBe(0);
    const dir = join(work, 'pty-alone');
    mkdirSync(dir);
    copyFileSync(out, join(dir, 'ptytest'));
    rmSync(join(work, 'pty-build'), { recursive: true, force: true });
    const r = await exec(join(dir, 'ptytest'), [], userEnv({ TINYKUBE_CACHE_DIR: join(work, 'cache-pty') }));
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { out: string; exitCode: number };
    expect(res.exitCode).toBe(0);
    expect(res.out).toMatch(/^\/dev\/pts\/\d+\r\npty-ok\r\n$/);
    expect(readdirSync(readdirSync(join(work, 'cache-pty')).map((d) => join(work, 'cache-pty', d))[0]!)).toEqual([
      expect.stringMatching(/^pty-[0-9a-f]{16}\.node$/),
    ]);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
