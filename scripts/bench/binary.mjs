// The single executable (issue 10), beside `node dist/cli.js` and a bare `node` https server
// measured in the same run:
//   build time and size of dist/tinykube (built here into a temp dir with the real script)
//   start → /readyz: the binary, `node dist/cli.js up`, a bare node https server (medians)
//   the binary's first start with an empty addon cache (it unpacks better_sqlite3.node)
//   idle RSS: the binary, `node dist/cli.js`, the bare server
// The binary runs from a directory of its own (no node_modules next to it), as users run it.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildBinary } from '../build-binary.mjs';
import { freePort, waitReady } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_BINARY_ROUNDS ?? 9);
// No ranges given: the binary's and node's clusters run side by side for the RSS figures, each on
// a host slot of its own, as users' clusters do.
const clusterFlags = () => ['--node-name', 'tinykube-bench'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function binaryBench({ root, work, report, stopProc, rssMB }) {
  const dir = mkdtempSync(join(work, 'binary-'));
  const children = new Set();
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', cleanup);

  // ---- build ----
  const builds = [];
  let built;
  for (let i = 0; i < 3; i++) {
    built = await buildBinary({ output: join(dir, 'build', 'tinykube'), quiet: true });
    builds.push(built.ms);
  }
  report('binary build time (median of 3)', median(builds), 'ms', '', undefined, 'seconds, offline');
  report('binary size', built.bytes / 1e6, 'MB', 'node itself', statSync(process.execPath).size / 1e6);

  const alone = join(dir, 'alone');
  mkdirSync(alone);
  const bin = join(alone, 'tinykube');
  copyFileSync(built.output, bin);
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  const cache = join(dir, 'cache');
  const env = { ...process.env, TINYKUBE_CACHE_DIR: cache };

  function launch(cmd, args) {
    const p = spawn(cmd, args, { cwd: alone, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.add(p);
    p.on('exit', () => children.delete(p));
    return p;
  }

  async function startUp(kind, dataDir) {
    const port = await freePort();
    const args = [
      'up',
      '--data-dir',
      dataDir,
      '--api-listen',
      `127.0.0.1:${port}`,
      '--kubeconfig',
      join(dir, `kc-${port}`),
      '--dns-listen',
      '127.0.0.1:0',
      ...clusterFlags(kind),
    ];
    const t0 = performance.now();
    const p = kind === 'binary' ? launch(bin, args) : launch(process.execPath, [join(root, 'dist/cli.js'), ...args]);
    const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, t0, p);
    return { p, ms };
  }

  async function startBare(certDir) {
    const port = await freePort();
    const t0 = performance.now();
    const p = launch(process.execPath, [
      join(root, 'scripts/bench/baseline-server.mjs'),
      'bare',
      String(port),
      join(certDir, 'apiserver.crt'),
      join(certDir, 'apiserver.key'),
    ]);
    const ms = await waitReady(`https://127.0.0.1:${port}/readyz`, t0, p);
    return { p, ms };
  }

  // ---- first start: the addon cache is empty ----
  const binData = join(dir, 'data-binary');
  const nodeData = join(dir, 'data-node');
  const cold = await startUp('binary', binData);
  await stopProc(cold.p);
  report('binary first start → /readyz (empty addon cache)', cold.ms, 'ms', '', undefined, '');
  await stopProc((await startUp('node', nodeData)).p);

  // ---- start → /readyz, interleaved so that load from other processes hits all three alike ----
  const t = { binary: [], node: [], bare: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const kind of ['binary', 'node']) {
      const s = await startUp(kind, kind === 'binary' ? binData : nodeData);
      t[kind].push(s.ms);
      await stopProc(s.p);
    }
    const b = await startBare(join(nodeData, 'pki'));
    t.bare.push(b.ms);
    await stopProc(b.p);
  }
  const mb = median(t.binary);
  const mn = median(t.node);
  report(
    `start → /readyz binary (median of ${ROUNDS})`,
    mb,
    'ms',
    'bare node https',
    median(t.bare),
    `≤ 1.5× node dist/cli.js (${(mb / mn).toFixed(2)}×)`,
  );
  report(`start → /readyz node dist/cli.js (median of ${ROUNDS})`, mn, 'ms', 'bare node https', median(t.bare));

  // ---- idle RSS ----
  // Side by side: both data dirs were made on the first host slot (one after the other), and a
  // data dir keeps its ranges, so node's cluster gets a data dir of its own here (the next slot).
  const rb = await startUp('binary', binData);
  const rn = await startUp('node', join(dir, 'data-node-rss'));
  const rbare = await startBare(join(nodeData, 'pki'));
  await new Promise((r) => setTimeout(r, 1500));
  const rss = { binary: rssMB(rb.p.pid), node: rssMB(rn.p.pid), bare: rssMB(rbare.p.pid) };
  report('RSS idle binary, 1.5 s after ready', rss.binary, 'MB', 'bare node https', rss.bare, '< 80 MB');
  report('RSS idle node dist/cli.js, 1.5 s after ready', rss.node, 'MB', 'bare node https', rss.bare);
  // V8 keeps its young generation grown by the start (16 MB) until its memory reducer sees the
  // process idle (~15-20 s); the steady idle figure is after that.
  await new Promise((r) => setTimeout(r, Number(process.env.BENCH_BINARY_IDLE_MS ?? 30_000)));
  rss.binarySteady = rssMB(rb.p.pid);
  rss.nodeSteady = rssMB(rn.p.pid);
  report('RSS idle binary, after 30 s idle', rss.binarySteady, 'MB', 'bare node https', rssMB(rbare.p.pid), '< 80 MB');
  report('RSS idle node dist/cli.js, after 30 s idle', rss.nodeSteady, 'MB', 'bare node https', rssMB(rbare.p.pid));
  await Promise.all([stopProc(rb.p), stopProc(rn.p), stopProc(rbare.p)]);
  process.off('exit', cleanup);
  rmSync(dir, { recursive: true, force: true });
  return { build: median(builds), bytes: built.bytes, startBinary: mb, startNode: mn, startBare: median(t.bare), rss };
}
