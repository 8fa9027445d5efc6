// No process outlives its Pod: a container is every process it started, however it detaches
// (setsid, a double fork, a daemon with its output redirected, a process left by kubectl exec).
// They get SIGTERM with the rest, SIGKILL after the grace period, and die when the container's main
// process exits; a Pod whose detached child keeps stdout open still deletes; and after kill -9 of
// tinykube the next start of the same data dir kills what the last one left, so restarts never
// multiply copies. Runs once per way of tracking this host offers: a cgroup v2 per container
// (root here, usually) and the TINYKUBE_CONTAINER marker in /proc (TINYKUBE_POD_CGROUPS=off,
// what a user without a delegated cgroup gets). Every process is found by a unique sleep duration.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, runKubectl, type TestCluster } from '../helpers/cluster.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

/** Live processes running exactly `sleep <secs>` (zombies are dead already). */
function sleepers(secs: string): number[] {
  const want = `sleep\0${secs}\0`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'latin1').endsWith(want)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Whatever a failed run left: every marker process of this file goes. */
function killSleepers(all: string[]) {
  for (const s of all) {
    for (const pid of sleepers(s)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

const none = (secs: string) => async () => sleepers(secs).length === 0;

/**
 * Kills tinykube's container watchdog (a child `sh` named tinykube-watchdog) first: it would kill
 * the leftovers the moment tinykube dies, and these tests are about a start that finds some (the
 * watchdog killed too: kill -9 of every process of the user, an OOM kill of both).
 */
function killWatchdog(tinykube: number): void {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === tinykube && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('tinykube-watchdog')) process.kill(Number(d), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Waits until each `sleep <secs>` runs exactly that many times; on timeout, says how many did. */
async function expectSleepers(want: Record<string, number>, ms = 10_000) {
  try {
    await until(async () => Object.entries(want).every(([secs, n]) => sleepers(secs).length === n), ms);
  } catch {
    expect(Object.fromEntries(Object.keys(want).map((secs) => [secs, sleepers(secs).length]))).toEqual(want);
  }
}

// The cgroup way only where this host lets tinykube use it (root with a writable cgroup2).
const modes: { name: string; env: string | undefined; base: number }[] = [
  { name: 'tracked by the TINYKUBE_CONTAINER marker in /proc', env: 'off', base: 3600 },
  ...(cgroupsUsable() ? [{ name: 'tracked by a cgroup v2 per container', env: undefined, base: 3500 }] : []),
];

function cgroupsUsable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').includes(' - cgroup2 ');
  } catch {
    return false;
  }
}

describe.each(modes)('Pod processes, $name', ({ env, base }) => {
  // Unique durations per test and mode (35xx/36xx, never used elsewhere), and per run: the
  // fraction is this process's pid, so concurrent runs of this file on one host stay apart.
  const s = (n: number) => `${base + n}.${process.pid}`;
  const all = Array.from({ length: 40 }, (_, i) => s(i));
  let tc: TestCluster;
  let saved: string | undefined;
  beforeAll(async () => {
    saved = process.env.TINYKUBE_POD_CGROUPS;
    if (env === undefined) delete process.env.TINYKUBE_POD_CGROUPS;
    else process.env.TINYKUBE_POD_CGROUPS = env;
    tc = await startTestCluster({ podBackoff: { initialMs: 300, maxMs: 600 } });
  }, 60_000);
  afterAll(async () => {
    await tc?.stop();
    if (saved === undefined) delete process.env.TINYKUBE_POD_CGROUPS;
    else process.env.TINYKUBE_POD_CGROUPS = saved;
    killSleepers(all);
  });

  const pod = (name: string, script: string, grace = 2) =>
    tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { terminationGracePeriodSeconds: grace, containers: [{ name: 'c', image: 'local/sh', command: ['sh', '-c', script] }] },
      }),
    });
  const running = (name: string) =>
    until(async () => (await tc.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' || undefined, 20_000);
  /**
   * Deletes without waiting (kubectl's own --wait would hang with the Pod) and times it until the
   * Pod is gone from the store: at most `upper` ms (from before the request), at least `lower` (from
   * its answer, when the deletion had begun).
   */
  const deleteTimed = async (name: string, ms: number) => {
    const t0 = Date.now();
    await tc.kubectl(['delete', 'pod', name, '--wait=false']);
    const t1 = Date.now();
    await until(async () => !tc.cluster.store.get('pods', 'default', name), { timeout: ms, every: 10 });
    const t2 = Date.now();
    return { upper: t2 - t0, lower: t2 - t1 };
  };

  it('deletes a Pod whose setsid child keeps its stdout open, within its grace period, and nothing of it remains', async () => {
    try {
      await pod('setsid', `setsid sleep ${s(0)} & sleep ${s(1)}`);
      await running('setsid');
      await expectSleepers({ [s(0)]: 1, [s(1)]: 1 });
      // Before: the detached sleep held stdout, the container never counted as exited and the Pod
      // stayed Terminating for ever.
      const { upper } = await deleteTimed('setsid', 10_000);
      expect(upper).toBeLessThan(2000 + 1000);
      expect(sleepers(s(0))).toEqual([]);
      expect(sleepers(s(1))).toEqual([]);
    } finally {
      killSleepers([s(0), s(1)]);
    }
  });

  it('sends SIGTERM to detached processes too, and SIGKILL to all once the grace period is over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-leftovers-'));
    const flag = join(dir, 'got-term');
    try {
      // The main process ignores SIGTERM (the grace period runs out); its detached child records
      // that SIGTERM reached it, and one more detached child ignores it as well.
      // (A shell cannot trap what it was started ignoring: the recording child starts first.)
      await pod(
        'graceful',
        `setsid sh -c 'trap "echo yes > ${flag}; exit 0" TERM; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 & trap '' TERM; setsid sleep ${s(2)} & sleep ${s(3)}`,
      );
      await running('graceful');
      await expectSleepers({ [s(2)]: 1, [s(3)]: 1 });
      const { upper, lower } = await deleteTimed('graceful', 10_000);
      expect(lower).toBeGreaterThanOrEqual(1500);
      expect(upper).toBeLessThan(2000 + 1000);
      expect(existsSync(flag)).toBe(true);
      expect(sleepers(s(2))).toEqual([]);
      expect(sleepers(s(3))).toEqual([]);
    } finally {
      killSleepers([s(2), s(3)]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills a daemonized child (double fork, output redirected) at Pod deletion', async () => {
    try {
      await pod('daemon', `(setsid sleep ${s(4)} </dev/null >/dev/null 2>&1 &); exec sleep ${s(5)}`);
      await running('daemon');
      await expectSleepers({ [s(4)]: 1, [s(5)]: 1 });
      // Its parent is gone: it is nobody's child in the container any more.
      const ppid = Number(
        readFileSync(`/proc/${sleepers(s(4))[0]}/stat`, 'latin1')
          .split(') ')[1]!
          .split(' ')[1],
      );
      expect(ppid).not.toBe(sleepers(s(5))[0]);
      await deleteTimed('daemon', 10_000);
      // Before: the Pod went and the daemon lived on with ppid 1.
      await until(none(s(4)), 5000);
      expect(sleepers(s(5))).toEqual([]);
    } finally {
      killSleepers([s(4), s(5)]);
    }
  });

  it('kills what the main process leaves when it exits, so a restarting container does not pile up copies', async () => {
    try {
      // Exits at once, leaving a detached sleeper; restartPolicy Always starts it again.
      await pod('restarter', `setsid sleep ${s(6)} </dev/null >/dev/null 2>&1 & echo started; sleep 0.3; exit 1`);
      await until(
        async () =>
          Number((await tc.kubectl(['get', 'pod', 'restarter', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout) >=
            3 || undefined,
        30_000,
      );
      // Before: one more sleeper per run.
      expect(sleepers(s(6)).length).toBeLessThanOrEqual(1);
      await deleteTimed('restarter', 10_000);
      await until(none(s(6)), 5000);
    } finally {
      killSleepers([s(6)]);
    }
  });

  it('kubectl exec: what it leaves running belongs to the container and dies with the Pod', async () => {
    try {
      await pod('execd', `exec sleep ${s(7)}`);
      await running('execd');
      // Detached with its output redirected, and a plain background job that keeps the session's
      // stdout open (before: kubectl exec never returned).
      await tc.kubectl(['exec', 'execd', '--', 'sh', '-c', `setsid sleep ${s(8)} </dev/null >/dev/null 2>&1 &`]);
      const t0 = Date.now();
      const r = await tc.kubectl(['exec', 'execd', '--', 'sh', '-c', `echo out; sleep ${s(9)} & exit 3`], { allowFail: true });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(r.stdout).toBe('out\n');
      expect(r.code).toBe(3);
      await expectSleepers({ [s(8)]: 1, [s(9)]: 1 });
      // As on a node, they live on in the container after the session...
      expect(sleepers(s(7))).toHaveLength(1);
      // ...and go with it.
      await deleteTimed('execd', 10_000);
      await expectSleepers({ [s(7)]: 0, [s(8)]: 0, [s(9)]: 0 }, 5000);
    } finally {
      killSleepers([s(7), s(8), s(9)]);
    }
  });

  it('stops every process of every Pod, exec sessions included, when the cluster stops', async () => {
    const other = await startTestCluster();
    try {
      await other.kubectl(['run', 'stopme', '--image=x', '--command', '--', 'sh', '-c', `setsid sleep ${s(10)} & exec sleep ${s(11)}`]);
      await until(
        async () => (await other.kubectl(['get', 'pod', 'stopme', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' || undefined,
        20_000,
      );
      await other.kubectl(['exec', 'stopme', '--', 'sh', '-c', `setsid sleep ${s(12)} </dev/null >/dev/null 2>&1 &`]);
      await expectSleepers({ [s(10)]: 1, [s(11)]: 1, [s(12)]: 1 });
      // A Pod of this file's other cluster runs on: one cluster never touches another's.
      await pod('bystander', `setsid sleep ${s(13)} & exec sleep ${s(14)}`);
      await running('bystander');
      await expectSleepers({ [s(13)]: 1 });
      await other.stop();
      await expectSleepers({ [s(10)]: 0, [s(11)]: 0, [s(12)]: 0 }, 5000);
      expect(sleepers(s(13))).toHaveLength(1);
      expect(sleepers(s(14))).toHaveLength(1);
      await deleteTimed('bystander', 10_000);
      await expectSleepers({ [s(13)]: 0, [s(14)]: 0 }, 5000);
    } finally {
      await other.stop().catch(() => {});
      killSleepers([s(10), s(11), s(12), s(13), s(14)]);
    }
  });

  it('after kill -9 of tinykube, the next start of its data dir kills the leftovers, and restarts never multiply them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-leftovers-'));
    const kc = join(dir, 'kc');
    const data = join(dir, 'data');
    const args = ['up', '--data-dir', data, '--api-listen', '127.0.0.1:0', '--kubeconfig', kc, '--dns-listen', '127.0.0.1:0'];
    const k = (a: string[], o = {}) => runKubectl(['--kubeconfig', kc, '--cache-dir', join(dir, 'cache'), ...a], o);
    let run: CliRun | undefined;
    const start = async () => {
      if (existsSync(kc)) unlinkSync(kc);
      const r = runCli(args, { TINYKUBE_POD_CGROUPS: env });
      run = r;
      await until(async () => {
        if (r.proc.exitCode !== null) throw new Error(`tinykube up exited ${r.proc.exitCode}: ${r.stderr()}`);
        return (existsSync(kc) && r.stdout().length > 0) || undefined;
      }, 20_000).catch((e: Error) => {
        throw new Error(`${e.message}; stderr: ${r.stderr().slice(-2000)}`);
      });
      return r;
    };
    const detached = s(20);
    const main = s(21);
    const execDetached = s(22);
    const execForeground = s(23);
    const neighbour = [s(24), s(25)];
    try {
      // Another cluster's Pod runs throughout: no start of this data dir touches it.
      await pod('neighbour', `setsid sleep ${neighbour[0]} & exec sleep ${neighbour[1]}`);
      await running('neighbour');
      await expectSleepers({ [neighbour[0]!]: 1, [neighbour[1]!]: 1 });
      let r = await start();
      await k(['run', 'survivor', '--image=x', '--command', '--', 'sh', '-c', `setsid sleep ${detached} & sleep ${main}`]);
      await k(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=20s']);
      await k(['exec', 'survivor', '--', 'sh', '-c', `setsid sleep ${execDetached} </dev/null >/dev/null 2>&1 &`]);
      // A session still open (a foreground exec) when tinykube is killed.
      const foreground = k(['exec', 'survivor', '--', 'sleep', execForeground], { allowFail: true });
      await expectSleepers({ [detached]: 1, [main]: 1, [execDetached]: 1, [execForeground]: 1 });
      const first = [detached, main, execDetached].map((x) => sleepers(x)[0]!);

      killWatchdog(r.proc.pid!);
      r.proc.kill('SIGKILL');
      await r.exited;
      // The foreground exec session dies with tinykube (its death signal); the detached ones and
      // the sleep that outlived its shell stay until the next start.
      await until(none(execForeground), 5000);
      await foreground;
      expect(sleepers(detached)).toEqual([first[0]]);
      expect(sleepers(execDetached)).toEqual([first[2]]);

      for (let round = 0; round < 2; round++) {
        r = await start();
        // The old ones are killed before the Pod starts again, which makes one new copy.
        await until(
          async () =>
            !sleepers(detached).includes(first[0]!) && !sleepers(execDetached).includes(first[2]!) && !sleepers(main).includes(first[1]!),
          10_000,
        );
        await k(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=20s']);
        await expectSleepers({ [detached]: 1, [main]: 1 });
        expect(sleepers(execDetached)).toEqual([]);
        first[0] = sleepers(detached)[0]!;
        first[1] = sleepers(main)[0]!;
        killWatchdog(r.proc.pid!);
        r.proc.kill('SIGKILL');
        await r.exited;
        expect(sleepers(detached)).toEqual([first[0]]);
      }

      // A clean stop leaves nothing, leftovers of the last kill -9 included.
      r = await start();
      await k(['wait', '--for=condition=Ready', 'pod/survivor', '--timeout=20s']);
      await expectSleepers({ [detached]: 1 });
      r.proc.kill('SIGTERM');
      expect((await r.exited).code).toBe(0);
      await expectSleepers({ [detached]: 0, [main]: 0, [execDetached]: 0, [execForeground]: 0 }, 5000);
      expect(neighbour.map((x) => sleepers(x).length)).toEqual([1, 1]);
      await deleteTimed('neighbour', 10_000);
    } finally {
      if (run && run.proc.exitCode === null && run.proc.signalCode === null) {
        run.proc.kill('SIGTERM');
        await Promise.race([run.exited, new Promise((res) => setTimeout(res, 10_000))]);
        run.proc.kill('SIGKILL');
      }
      killSleepers([detached, main, execDetached, execForeground, ...neighbour]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
