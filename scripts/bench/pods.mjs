// Pod benchmarks (issue 5):
//   - 100 Pods created at once: create → Running and create → Ready, p50/p99, beside spawning the
//     same 100 processes directly with child_process in this process, and beside a cluster whose
//     containers run without the bind rewrite (TINYKUBE_BIND_REWRITE=off);
//   - agent memory per Pod: RSS with 1,000 sleeping Pods minus idle RSS, per Pod;
//   - CPU of tinykube while those 1,000 Pods idle, in % of one core.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Pool, request } from 'undici';
import { pct } from './lib.mjs';

const ticks = () => {
  // utime + stime of a process in clock ticks (100/s on Linux).
  return (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(parts[11]) + Number(parts[12]);
  };
};

/** Watches Pods and records when each first is Running and Ready. */
function watchPods(tk) {
  const running = new Map();
  const ready = new Map();
  const ac = new AbortController();
  const agent = new Agent({ connect: { ca: tk.ca } });
  const done = (async () => {
    const res = await request(`${tk.server}/api/v1/namespaces/default/pods?watch=true`, {
      headers: { authorization: `Bearer ${tk.token}` },
      dispatcher: agent,
      signal: ac.signal,
    });
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line) continue;
          const ev = JSON.parse(line);
          const p = ev.object;
          const name = p.metadata?.name;
          const t = performance.now();
          if (p.status?.phase === 'Running' && !running.has(name)) running.set(name, t);
          if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !ready.has(name)) ready.set(name, t);
        }
      }
    } catch {
      // aborted
    }
  })();
  return { running, ready, stop: async () => (ac.abort(), await done.catch(() => {}), await agent.close().catch(() => {})) };
}

async function createPods(tk, prefix, n, clients = 16) {
  const pool = new Pool(tk.server, { connections: clients, connect: { ca: tk.ca } });
  const sent = new Map();
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        const i = next++;
        const name = `${prefix}-${i}`;
        sent.set(name, performance.now());
        const r = await pool.request({
          path: '/api/v1/namespaces/default/pods',
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tk.token}` },
          body: JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name },
            spec: { containers: [{ name: 'c', image: 'local/sleep', command: ['sleep', '100000'] }] },
          }),
        });
        await r.body.text();
        if (r.statusCode !== 201) throw new Error(`create ${name}: ${r.statusCode}`);
      }
    }),
  );
  await pool.close();
  return sent;
}

async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function podBench({ startTinykube, stopProc, report, rssMB }) {
  // ---- 100 at once ----
  const tk = await startTinykube(['--in-memory']);
  const w = watchPods(tk);
  const sent = await createPods(tk, 'p', 100);
  await waitFor(() => w.ready.size >= 100, 30_000);
  const toRunning = [...sent].filter(([n]) => w.running.has(n)).map(([n, t]) => w.running.get(n) - t);
  const toReady = [...sent].filter(([n]) => w.ready.has(n)).map(([n, t]) => w.ready.get(n) - t);
  // Baseline: the same 100 processes spawned directly.
  const direct = [];
  const procs = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 100 }, () => {
      const start = performance.now();
      const p = spawn('sleep', ['100000'], { stdio: 'ignore', detached: true });
      procs.push(p);
      return new Promise((r) => p.once('spawn', () => r(direct.push(performance.now() - start))));
    }),
  );
  const directAll = performance.now() - t0;
  for (const p of procs) p.kill('SIGKILL');
  if (toRunning.length < 100) console.log(`  (only ${toRunning.length} of 100 Pods reached Running)`);
  report('100 Pods at once: create → Running p50', pct(toRunning, 50), 'ms', 'direct spawn p50', pct(direct, 50));
  report('100 Pods at once: create → Running p99', pct(toRunning, 99), 'ms', `direct spawn of 100, all`, directAll, '< 1000 ms');
  report('100 Pods at once: create → Ready p99', pct(toReady, 99), 'ms', 'direct spawn p99', pct(direct, 99), '< 1000 ms');
  await w.stop();
  await stopProc(tk.p);

  // ---- the bind rewrite (LD_PRELOAD in every container, issue 23): the same 100 at once without it ----
  const off = await startTinykube(['--in-memory'], { TINYKUBE_BIND_REWRITE: 'off' });
  const wo = watchPods(off);
  const sentOff = await createPods(off, 'p', 100);
  await waitFor(() => wo.running.size >= 100, 30_000);
  const offRunning = [...sentOff].filter(([n]) => wo.running.has(n)).map(([n, t]) => wo.running.get(n) - t);
  report('100 Pods at once, bind rewrite: create → Running p50', pct(toRunning, 50), 'ms', 'same, rewrite off', pct(offRunning, 50));
  report('100 Pods at once, bind rewrite: create → Running p99', pct(toRunning, 99), 'ms', 'same, rewrite off', pct(offRunning, 99));
  await wo.stop();
  await stopProc(off.p);

  // ---- 1,000 sleeping Pods: memory and idle CPU ----
  // The default configuration (a data dir) first; an in-memory cluster also keeps every stored
  // object and its change-log revisions in RAM, so it is reported beside it.
  const sleeping = async (extra) => {
    const c = await startTinykube(extra);
    await new Promise((r) => setTimeout(r, 500));
    const idle = rssMB(c.p.pid);
    const wp = watchPods(c);
    await createPods(c, 's', 1000);
    const all = await waitFor(() => wp.ready.size >= 1000, 120_000);
    if (!all) console.log(`  (only ${wp.ready.size} of 1000 Pods became Ready)`);
    await wp.stop();
    await new Promise((r) => setTimeout(r, 2000));
    return { c, idle, perPodKB: ((rssMB(c.p.pid) - idle) * 1024) / 1000 };
  };
  const mem = await sleeping(['--in-memory']);
  await stopProc(mem.c.p, 20_000);
  const bigDir = mkdtempSync(join(tmpdir(), 'tinykube-bench-pods-'));
  const big = await sleeping(['--data-dir', bigDir]);
  report(
    `agent memory per Pod, 1000 sleeping, data dir (idle RSS ${big.idle.toFixed(0)} MB)`,
    big.perPodKB,
    'KB',
    'in-memory cluster',
    mem.perPodKB,
    '< 100 KB',
  );
  const cpu = ticks();
  const c0 = cpu(big.c.p.pid);
  const s0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const used = (cpu(big.c.p.pid) - c0) / 100; // seconds of CPU
  report('CPU while 1000 Pods idle (10 s)', (used / ((performance.now() - s0) / 1000)) * 100, '% core', undefined, undefined, '< 2%');
  await stopProc(big.c.p, 20_000);
  rmSync(bigDir, { recursive: true, force: true });
}
