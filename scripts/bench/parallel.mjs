// What N clusters side by side cost on this machine (issue 20), for N = 2, 4, 16 (BENCH_PARALLEL):
//   start: N processes each calling startCluster() at once (no options: each leases its own host
//          slot); median and slowest time from spawn to ready, beside the same N processes that
//          only import the package (the process-start and import share of it)
//   RSS:   the sum over the N processes once all are ready (and per cluster), beside the N
//          import-only processes
//   stop:  slowest stop() of the N
//   suite: `vitest run` of N test files, each with its own cluster (tinykube/testing's
//          withCluster) creating 20 Services and waiting for their EndpointSlices, N workers;
//          beside the same N files without a cluster
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

// One child: start a cluster (or only import the package), report, wait for "stop" on stdin.
const CHILD = (root, withCluster) => `
const t0 = performance.now();
const { startCluster } = await import(${JSON.stringify(join(root, 'dist/index.js'))});
const tImport = performance.now();
const c = ${withCluster ? `await startCluster({ dnsUpstream: '127.0.0.1:1' })` : 'undefined'};
process.stdout.write(JSON.stringify({ ready: performance.timeOrigin + performance.now(), importMs: tImport - t0, slot: c?.slot }) + '\\n');
process.stdin.once('data', async () => {
  const s = performance.now();
  await c?.stop();
  process.stdout.write(JSON.stringify({ stopMs: performance.now() - s }) + '\\n');
  process.exit(0);
});
`;

function startChildren(root, n, withCluster) {
  const t0 = performance.now() + performance.timeOrigin;
  return Promise.all(
    Array.from({ length: n }, () => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', CHILD(root, withCluster)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let buf = '';
      const lines = [];
      const waiters = [];
      p.stdout.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          waiters.shift()?.();
        }
      });
      const next = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiters.push(r)).then(() => lines.shift()));
      return next().then((ready) => ({ p, next, startMs: ready.ready - t0, ...ready }));
    }),
  );
}

async function stopChildren(children) {
  const stops = await Promise.all(
    children.map(async (c) => {
      c.p.stdin.write('stop\n');
      const r = await c.next();
      return r.stopMs;
    }),
  );
  return Math.max(...stops);
}

function runVitest(root, dir, n) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        dir,
        '--pool',
        'forks',
        '--maxWorkers',
        String(n),
        '--minWorkers',
        String(n),
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`vitest exited ${code}:\n${out.slice(-2000)}`)),
    );
  });
}

function writeSuite(root, dir, n, withCluster) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    `export default { test: { include: ['*.test.mjs'], testTimeout: 60000, hookTimeout: 60000 } };\n`,
  );
  for (let i = 0; i < n; i++) {
    writeFileSync(
      join(dir, `f${i}.test.mjs`),
      withCluster
        ? `import { beforeAll, afterAll, test, expect } from 'vitest';
import { withCluster } from ${JSON.stringify(join(root, 'dist/testing.js'))};
const tk = withCluster({ beforeAll, afterAll }, { dnsUpstream: '127.0.0.1:1' });
test('20 Services get their EndpointSlices', async () => {
  const yaml = Array.from({ length: 20 }, (_, i) => \`apiVersion: v1\\nkind: Service\\nmetadata: {name: s\${i}}\\nspec: {selector: {app: a\${i}}, ports: [{port: 80}]}\\n\`).join('---\\n');
  await tk().kubectl(['apply', '-f', '-'], { input: yaml });
  await tk().cluster.idle();
  const { stdout } = await tk().kubectl(['get', 'endpointslices', '-o', 'name']);
  expect(stdout.trim().split('\\n').length).toBeGreaterThanOrEqual(21);
});
`
        : `import { test, expect } from 'vitest';
test('nothing', () => { expect(1).toBe(1); });
`,
    );
  }
}

export async function parallelBench({ root, work, report }) {
  const sizes = (process.env.BENCH_PARALLEL ?? '2,4,16').split(',').map(Number);
  const rows = [];
  for (const n of sizes) {
    const base = await startChildren(root, n, false);
    const baseRss = base.reduce((a, c) => a + rssMB(c.p.pid), 0);
    await stopChildren(base);
    const kids = await startChildren(root, n, true);
    // Let the controllers settle before the RSS sample.
    await new Promise((r) => setTimeout(r, 1000));
    const rss = kids.reduce((a, c) => a + rssMB(c.p.pid), 0);
    const slots = new Set(kids.map((c) => c.slot));
    if (slots.size !== n) throw new Error(`${n} clusters got only ${slots.size} distinct slots`);
    const stopMs = await stopChildren(kids);
    const starts = kids.map((c) => c.startMs);
    const baseStarts = base.map((c) => c.startMs);
    const suiteDir = join(work, `suite-${n}`);
    writeSuite(root, suiteDir, n, true);
    const suiteMs = await runVitest(root, suiteDir, n);
    writeSuite(root, suiteDir, n, false);
    const bareSuiteMs = await runVitest(root, suiteDir, n);
    rmSync(suiteDir, { recursive: true, force: true });
    report(
      `${n} clusters: start → ready (median / slowest)`,
      `${Math.round(median(starts))} / ${Math.round(Math.max(...starts))}`,
      'ms',
      'import only',
      `${Math.round(median(baseStarts))} / ${Math.round(Math.max(...baseStarts))}`,
    );
    report(
      `${n} clusters: RSS total (per cluster)`,
      `${Math.round(rss)} (${Math.round(rss / n)})`,
      'MB',
      'import only',
      `${Math.round(baseRss)} (${Math.round(baseRss / n)})`,
    );
    report(`${n} clusters: slowest stop()`, Math.round(stopMs), 'ms');
    report(
      `${n} test files, a cluster each, 20 Services: vitest run`,
      Math.round(suiteMs),
      'ms',
      'same files without a cluster',
      Math.round(bareSuiteMs),
    );
    rows.push({ n, starts, rss, stopMs, suiteMs, bareSuiteMs });
  }
  return rows;
}
