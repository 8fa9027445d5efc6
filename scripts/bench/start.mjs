// Start and stop (issue 20), each figure beside a baseline measured in the same run, rounds
// interleaved so that load from other processes hits them alike:
//   `tinykube up` → /readyz on a fresh data dir (certificates issued), a restart on an existing
//   one, in memory, and on a fresh data dir without the code cache of dist/'s cluster bundle
//   (src/base/code-cache.ts: a first start after an install or update)   vs a bare `node` https server
//   start. The code cache lives in a dir of this run (TINYKUBE_CACHE_DIR), written by the warm-up.
//   startCluster() in-process after import (median; the import and the first start apart), and
//   stop() (median)
//   `tinykube down` of an `up --detach` cluster with no Pods, spawn → exit   vs `node -e 0`
//   `tinykube version` and `tinykube --help`, spawn → exit                  vs `node -e 0`
// BENCH_START_ROUNDS sets the rounds (default 7); BENCH_NODE_ARGS adds node flags to tinykube's
// processes (e.g. "--cpu-prof"). Returns the figures and a pki dir for other baselines.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitReady } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 7);
// No ranges given: each cluster takes a free host slot, as users' clusters do.
const CIDRS = { nodeName: 'tinykube-bench-start' };
const FLAGS = ['--node-name', CIDRS.nodeName];
const nodeArgs = () => process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

export async function startBench({ root, work, report }) {
  const CLI = join(root, 'dist/cli.js');
  const dir = join(work, 'start');
  mkdirSync(dir, { recursive: true });
  const children = new Set();
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', cleanup);

  const cacheDir = join(dir, 'cache');
  function launch(args, stdio = 'ignore', env = {}) {
    const p = spawn(process.execPath, args, {
      stdio: ['ignore', stdio, 'inherit'],
      env: { ...process.env, TINYKUBE_CACHE_DIR: cacheDir, ...env },
    });
    children.add(p);
    p.on('exit', () => children.delete(p));
    return p;
  }
  const exited = (p) =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.on('exit', (code) => r(code)));
  async function stop(p) {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const done = exited(p);
    p.kill('SIGTERM');
    await done;
  }
  /** spawn → exit of a short command, in ms; throws on a non-zero exit. */
  async function timeRun(args) {
    const t0 = performance.now();
    const p = launch(args);
    const code = await exited(p);
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
    return ms;
  }
  async function up(where, env) {
    const port = await freePort();
    const t0 = performance.now();
    const p = launch(
      [...nodeArgs(), CLI, 'up', ...where, '--api-listen', `127.0.0.1:${port}`, '--kubeconfig', join(dir, `kc-${port}`), ...FLAGS],
      'ignore',
      env,
    );
    const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, t0, p);
    await stop(p);
    return ms;
  }
  async function bare(certDir) {
    const port = await freePort();
    const t0 = performance.now();
    const p = launch([
      join(root, 'scripts/bench/baseline-server.mjs'),
      'bare',
      String(port),
      join(certDir, 'apiserver.crt'),
      join(certDir, 'apiserver.key'),
    ]);
    const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, t0, p);
    await stop(p);
    return ms;
  }

  // Warm-up (the page cache, the addon's first load) and the data dir of the restarts; its
  // certificates serve the bare server too.
  const dataDir = join(dir, 'data');
  await up(['--data-dir', dataDir]);
  const certDir = join(dataDir, 'pki');
  await bare(certDir);

  // ---- start → /readyz ----
  const t = { fresh: [], restart: [], memory: [], cold: [], bare: [] };
  for (let i = 0; i < ROUNDS; i++) {
    t.fresh.push(await up(['--data-dir', join(dir, `fresh-${i}`)]));
    t.cold.push(await up(['--data-dir', join(dir, `cold-${i}`)], { TINYKUBE_CODE_CACHE: 'off' }));
    t.restart.push(await up(['--data-dir', dataDir]));
    t.memory.push(await up(['--in-memory']));
    t.bare.push(await bare(certDir));
  }
  const b = median(t.bare);
  const m = { fresh: median(t.fresh), restart: median(t.restart), memory: median(t.memory), cold: median(t.cold), bare: b };
  report(`up → /readyz, fresh data dir (median of ${ROUNDS})`, m.fresh, 'ms', 'bare node https', b, `≤ 3× bare (${ratio(m.fresh, b)})`);
  report(`up → /readyz, restart (median of ${ROUNDS})`, m.restart, 'ms', 'bare node https', b, `≤ 2.5× bare (${ratio(m.restart, b)})`);
  report(`up → /readyz, in memory (median of ${ROUNDS})`, m.memory, 'ms', 'bare node https', b, `(${ratio(m.memory, b)})`);
  report(`up → /readyz, fresh data dir, no code cache (median of ${ROUNDS})`, m.cold, 'ms', 'bare node https', b, `(${ratio(m.cold, b)})`);

  // ---- startCluster() / stop() in-process: a fresh process per round, so the import is cold ----
  const inproc = { import: [], first: [], start: [], stop: [] };
  const script = `
    const t0 = performance.now();
    const { startCluster } = await import(${JSON.stringify(join(root, 'dist/index.js'))});
    const out = { import: performance.now() - t0, start: [], stop: [] };
    for (let i = 0; i < 5; i++) {
      const a = performance.now();
      const c = await startCluster(${JSON.stringify(CIDRS)});
      const b = performance.now();
      await c.stop();
      out.start.push(b - a);
      out.stop.push(performance.now() - b);
    }
    process.stdout.write(JSON.stringify(out));`;
  for (let i = 0; i < Math.max(3, Math.ceil(ROUNDS / 2)); i++) {
    const p = launch([...nodeArgs(), '--input-type=module', '-e', script], 'pipe');
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    if ((await exited(p)) !== 0) throw new Error('the in-process startCluster() run failed');
    const r = JSON.parse(out);
    inproc.import.push(r.import);
    inproc.first.push(r.start[0]);
    inproc.start.push(...r.start.slice(1));
    inproc.stop.push(...r.stop);
  }
  m.import = median(inproc.import);
  m.inprocFirst = median(inproc.first);
  m.inproc = median(inproc.start);
  m.stop = median(inproc.stop);
  report(`import('tinykube') (median of ${inproc.import.length})`, m.import, 'ms', '', undefined, '');
  report(`startCluster() first after import (median)`, m.inprocFirst, 'ms', '', undefined, '');
  report(`startCluster() after import (median of ${inproc.start.length})`, m.inproc, 'ms', '', undefined, '≤ 150 ms');
  report(`stop() (median of ${inproc.stop.length})`, m.stop, 'ms', '', undefined, '≤ 200 ms');

  // ---- tinykube down, version, --help ----
  const c = { down: [], version: [], help: [], node: [] };
  const downDir = join(dir, 'down');
  for (let i = 0; i < ROUNDS; i++) {
    const port = await freePort();
    // Returns once the background cluster is ready.
    await timeRun([
      CLI,
      'up',
      '--detach',
      '--data-dir',
      downDir,
      '--api-listen',
      `127.0.0.1:${port}`,
      '--kubeconfig',
      join(dir, `kc-${port}`),
      ...FLAGS,
    ]);
    if (!existsSync(join(downDir, 'tinykube.pid'))) throw new Error('up --detach left no pid file');
    c.down.push(await timeRun([...nodeArgs(), CLI, 'down', '--data-dir', downDir]));
    c.version.push(await timeRun([...nodeArgs(), CLI, 'version']));
    c.help.push(await timeRun([...nodeArgs(), CLI, '--help']));
    c.node.push(await timeRun(['-e', '0']));
  }
  m.node = median(c.node);
  m.down = median(c.down);
  m.version = median(c.version);
  m.help = median(c.help);
  report(`tinykube down, no Pods (median of ${ROUNDS})`, m.down, 'ms', 'node -e 0', m.node, `≤ 200 ms (${ratio(m.down, m.node)})`);
  report(`tinykube version (median of ${ROUNDS})`, m.version, 'ms', 'node -e 0', m.node, `(${ratio(m.version, m.node)})`);
  report(`tinykube --help (median of ${ROUNDS})`, m.help, 'ms', 'node -e 0', m.node, `(${ratio(m.help, m.node)})`);

  process.off('exit', cleanup);
  return { ...m, certDir };
}
