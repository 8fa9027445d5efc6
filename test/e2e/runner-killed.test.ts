// A test runner killed while its workers hold clusters (issue 20): vitest itself, forks and threads
// pools, kill -9 of its main process. Nothing of the cluster may outlive it: the Pod's processes
// (a background child included), the API and DNS listeners, the runtime directories (at once for
// forks, whose worker stops its cluster; at the next start for threads, which die with the runner).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tinykube-runner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Live processes whose environment carries this Pod's container marker. */
function podProcesses(uid: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (
        readFileSync(`/proc/${d}/environ`, 'latin1')
          .split('\0')
          .some((v) => v.startsWith('TINYKUBE_CONTAINER=') && v.includes(`/${uid}/`))
      )
        out.push(Number(d));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

const refused = (port: number, host = '127.0.0.1') =>
  new Promise<boolean>((resolve) => {
    const s = connect({ port, host });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });

const holding = (root: string, prefix: string, uid: string) =>
  readdirSync(root)
    .filter((n) => n.startsWith(prefix) && existsSync(join(root, n, uid)))
    .map((n) => join(root, n));

describe.each(['forks', 'threads'])('vitest --pool %s killed with SIGKILL', (pool) => {
  it('leaves no Pod process, no listener and (by the next start) no directory behind', async () => {
    const out = join(work, `${pool}.json`);
    // The runner's own TMPDIR: what the killed runner leaves there (vite's, say) goes with `work`.
    const tmp = join(work, `${pool}-tmp`);
    mkdirSync(tmp);
    const runner = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        join(ROOT, 'test/fixtures/runner/vitest.config.ts'),
        '--pool',
        pool,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, RUNNER_OUT: out, TMPDIR: tmp },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((r) => runner.on('exit', r));
    // The fixture's file exists before its JSON is all written: wait for a whole document.
    const info = await until(
      async () => {
        if (!existsSync(out)) return undefined;
        try {
          return JSON.parse(readFileSync(out, 'utf8')) as { pid: number; api: number; nameserver: string; podUid: string };
        } catch {
          return undefined;
        }
      },
      { timeout: 60_000, every: 50 },
    );
    const pods = podProcesses(info.podUid);
    // sh, and its two sleeps (one in the background, which outlives sh on a SIGKILL of sh alone)
    expect(pods.length).toBeGreaterThanOrEqual(3);
    // Its Pod directory, its runtime directory (tokens) and tinykube/testing's kubeconfig dir.
    const dirs = [
      ...holding(tmp, 'tinykube-pods-', info.podUid),
      ...holding('/dev/shm', 'tinykube-', info.podUid),
      ...readdirSync(tmp)
        .filter((n) => n.startsWith('tinykube-test-'))
        .map((n) => join(tmp, n)),
    ];
    expect(dirs).toHaveLength(3);
    expect(await refused(info.api)).toBe(false);

    runner.kill('SIGKILL');
    await exited;
    await until(async () => podProcesses(info.podUid).length === 0 && pods.every((p) => !alive(p)), { timeout: 15_000, every: 50 });
    await until(() => refused(info.api), { timeout: 15_000, every: 50 });
    await until(() => refused(53, info.nameserver), { timeout: 15_000, every: 50 });
    if (pool === 'forks') {
      // The orphaned worker stopped its cluster itself: everything is gone already.
      await until(async () => dirs.every((d) => !existsSync(d)), { timeout: 15_000, every: 50 });
    } else {
      // The whole process died at once: the next start on this host (with that TMPDIR) removes
      // what it left.
      expect(dirs.every((d) => existsSync(d))).toBe(true);
      const next = runCli(
        [
          'up',
          '--in-memory',
          '--api-listen',
          '127.0.0.1:0',
          '--dns-listen',
          '127.0.0.1:0',
          '--dns-upstream',
          '127.0.0.1:1',
          '--kubeconfig',
          join(work, 'next.yaml'),
        ],
        { TMPDIR: tmp },
      );
      await until(async () => next.stdout().includes(' is up in ') || undefined, { timeout: 30_000, every: 50 });
      next.proc.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);
      expect(dirs.filter((d) => existsSync(d))).toEqual([]);
    }
    if (alive(info.pid)) process.kill(info.pid, 'SIGKILL');
  }, 90_000);
});
