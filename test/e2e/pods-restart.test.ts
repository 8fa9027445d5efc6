// Pods across restarts of tinykube itself: a clean stop stops their processes, a start runs them
// again (restartCount goes up, as after a node reboot), and kill -9 of tinykube leaves no process.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync, unlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { runKubectl } from '../helpers/cluster.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(\S+\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('Pods across restarts of tinykube', () => {
  it('stops Pods on SIGTERM, restarts them on start, and leaves nothing behind after kill -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-pods-'));
    const kc = join(dir, 'kc');
    const args = ['up', '--data-dir', join(dir, 'data'), '--api-listen', '127.0.0.1:0', '--kubeconfig', kc, '--dns-listen', '127.0.0.1:0'];
    const k = (a: string[], o = {}) => runKubectl(['--kubeconfig', kc, '--cache-dir', join(dir, 'cache'), ...a], o);
    const start = async () => {
      if (existsSync(kc)) unlinkSync(kc);
      const run = runCli(args);
      await until(() => existsSync(kc) && run.stdout().length > 0, { timeout: 20_000, what: 'start' });
      return run;
    };
    const pidOf = async () => {
      const out = (await k(['logs', 'sleeper'])).stdout.trim();
      return Number(out.split('\n').at(-1));
    };
    try {
      let run = await start();
      await k(['run', 'sleeper', '--image=x', '--command', '--', 'sh', '-c', 'echo $$$$; exec sleep 1000']); // $$ is the escape of $ in command;
      await k(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=10s']);
      const pid = await until(() => pidOf().catch(() => 0), { timeout: 5000, every: 100, what: "the sleeper's pid in its log" });
      expect(alive(pid)).toBe(true);
      // An ephemeral container (kubectl debug) runs beside it.
      await k(['debug', 'sleeper', '--image=x', '-c', 'dbg', '--', 'sleep', '1000']);
      const eph = async () =>
        JSON.parse((await k(['get', 'pod', 'sleeper', '-o', 'json'])).stdout).status.ephemeralContainerStatuses?.[0]?.state ?? {};
      await until(async () => (await eph()).running, { every: 100, what: 'the ephemeral container to run' });

      run.proc.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
      expect(alive(pid)).toBe(false);

      run = await start();
      await k(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=10s']);
      const p = JSON.parse((await k(['get', 'pod', 'sleeper', '-o', 'json'])).stdout);
      expect(p.status.containerStatuses[0].restartCount).toBe(1);
      // Ephemeral containers never restart: the one that ran is over.
      expect(p.status.ephemeralContainerStatuses).toEqual([
        expect.objectContaining({
          name: 'dbg',
          restartCount: 0,
          state: { terminated: expect.objectContaining({ exitCode: 255, reason: 'Unknown' }) },
        }),
      ]);
      const pid2 = await until(
        async () => {
          const p = await pidOf().catch(() => 0);
          return p !== pid && p;
        },
        { timeout: 5000, every: 100, what: "the restarted sleeper's pid in its log" },
      );
      expect(pid2).not.toBe(pid);
      expect(alive(pid2)).toBe(true);

      // A grandchild in the Pod's process group outlives its parent's death signal: tinykube's
      // container watchdog kills it as soon as tinykube is gone (pods-leftovers tests the next
      // start's sweep, for when the watchdog died too).
      await k(['run', 'forker', '--image=x', '--command', '--', 'sh', '-c', 'sleep 1000 & echo $$!; wait']);
      await k(['wait', '--for=condition=Ready', 'pod/forker', '--timeout=10s']);
      const orphan = await until(async () => Number((await k(['logs', 'forker'])).stdout.trim()) || 0, {
        timeout: 5000,
        every: 100,
        what: "the forker's child pid in its log",
      });
      expect(alive(orphan)).toBe(true);

      run.proc.kill('SIGKILL');
      await run.exited;
      await until(() => !alive(pid2), { timeout: 5000, what: 'the Pod process to die with tinykube' });
      await until(() => !alive(orphan), { timeout: 5000, what: 'the grandchild to be killed by the watchdog' });
      run = await start();
      run.proc.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
