// Stopping containers and Pods: the kubelet's killContainer and killPod
// (pkg/kubelet/kuberuntime/kuberuntime_container.go) with preStop hooks and the grace period,
// the final delete of a terminated Pod (the status manager's, once its containers are gone), what
// is cleaned up when a Pod leaves the store, and stopping every Pod when tinykube stops. The
// signals reach every process of a container, found by the tracker (tracker.ts), not only its
// main one: on a node the rest share the main process's PID namespace and die with it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { StatusError } from '../apimachinery/errors.js';
import { releasePodIP } from './podips.js';
import { runProbe } from './probes.js';
import type { ContainerRef } from './tracker.js';
import { probeTarget, stopProbers } from './prober-manager.js';
import { timerMs, type Ctr, type RuntimeContext, type Worker } from './pod-state.js';

/**
 * sig to every process of the container, all its runs (or only the current one), once each (a
 * second SIGTERM makes many programs quit at once). SIGKILL also goes to the main process's
 * group directly, which needs no tracking, and resolves once they are all gone.
 */
export function signalContainer(
  rt: Pick<RuntimeContext, 'tracker'>,
  w: Worker,
  c: Ctr,
  sig: NodeJS.Signals,
  onlyThisRun = false,
): Promise<void> {
  const pid = c.proc?.pid;
  if (pid && sig === 'SIGKILL') {
    try {
      process.kill(-pid, sig);
    } catch {
      // gone already
    }
  }
  const ref: ContainerRef = { pod: w.uid, name: c.spec.name, leader: pid, ...(onlyThisRun ? { run: c.restartCount } : {}) };
  if (sig === 'SIGKILL') return rt.tracker.kill(ref);
  return rt.tracker.signal(ref, sig).then((n) => {
    // Nothing found (no /proc: macOS): the main process's group, as before there was tracking.
    if (n === 0 && pid) {
      try {
        process.kill(-pid, sig);
      } catch {
        // gone already
      }
    }
  });
}

/** Resolves when the container's current process has closed (its output too), at once when none runs. */
const closed = (c: Ctr) => new Promise<void>((r) => (c.proc ? c.proc.once('close', () => r()) : r()));

type TerminateDeps = Pick<RuntimeContext, 'tracker' | 'hostIP' | 'record' | 'signalContainer'>;

/**
 * The kubelet's killPod: every running container stopped within the grace period (stopContainers),
 * then whatever is left of the Pod (exec sessions, what escaped a main process's exit) killed.
 * Once per Pod: later calls get the same promise. Pending restarts and volume refreshes are
 * cancelled first, so nothing starts again meanwhile.
 */
export function terminatePod(rt: TerminateDeps, w: Worker, graceSeconds: number): Promise<void> {
  if (w.terminating) return w.terminating;
  const running = [...w.ctrs.values()].filter((c) => c.proc);
  for (const c of w.ctrs.values()) clearTimeout(c.timer);
  clearTimeout(w.volumeTimer);
  w.terminating = (async () => {
    if (running.length) await stopContainers(rt, w, running, graceSeconds);
    // Nothing of the Pod stays behind it: exec sessions and whatever escaped a main process's exit.
    await rt.tracker.kill({ pod: w.uid });
    w.reaped = true;
  })();
  return w.terminating;
}

/**
 * The kubelet's killContainer for each of `running`, in parallel: its preStop hook (inside the
 * grace period), then SIGTERM, and SIGKILL to those still there when the grace period is over. A
 * container is over when its main process is, and what is left of it is killed then
 * (container-start.ts).
 */
export async function stopContainers(rt: TerminateDeps, w: Worker, running: Ctr[], graceSeconds: number): Promise<void> {
  const deadline = Date.now() + Math.max(graceSeconds, 0) * 1000;
  const exitedAll = Promise.all(running.map(closed));
  // preStop hooks run first, inside the grace period; SIGTERM follows each one.
  await Promise.all(
    running.map(async (c) => {
      const hook = c.spec.lifecycle?.preStop;
      if (hook && graceSeconds > 0) {
        const left = Math.max(Math.ceil((deadline - Date.now()) / 1000), 1);
        if (hook.sleep) await new Promise((r) => setTimeout(r, Math.min(hook.sleep!.seconds, left) * 1000));
        else {
          // A hook is a probe that runs once (same handlers, same target), bounded by what is left of the grace period.
          const r = await runProbe({ ...hook, timeoutSeconds: left }, probeTarget(w, c, rt.hostIP));
          if (!r.ok) rt.record(w.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.message}`.trim());
        }
      }
      rt.record(w.pod, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
      void rt.signalContainer(w, c, graceSeconds > 0 ? stopSignalOf(c) : 'SIGKILL');
    }),
  );
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timerMs(deadline - Date.now())).unref());
  if ((await Promise.race([exitedAll, timer])) === 'timeout') {
    await Promise.all(running.map((c) => rt.signalContainer(w, c, 'SIGKILL')));
    await exitedAll;
  }
}

/**
 * After the containers are gone: the last status, then the final delete (uid-guarded: a Pod of
 * the same name created meanwhile is another Pod). The DELETED event then calls removePod.
 */
export function finalizePod(rt: Pick<RuntimeContext, 'stopped' | 'flush' | 'registry' | 'podDef' | 'log'>, w: Worker) {
  if (w.gone || rt.stopped) return;
  rt.flush();
  const [ns, name] = w.key.split('/') as [string, string];
  try {
    rt.registry.delete(rt.podDef, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: w.uid } });
  } catch (e) {
    if (!(e instanceof StatusError) || (e.code !== 404 && e.code !== 409)) rt.log.warn({ err: e, pod: w.key }, 'final delete failed');
  }
}

/**
 * The Pod is gone from the store: its worker stops (anything still running is killed at once),
 * its address, cgroups and directories are released. Also for Pods this process never ran
 * (deleted at once with --force, or while tinykube was down).
 */
export function removePod(
  rt: Pick<RuntimeContext, 'workers' | 'tracker' | 'store' | 'pool' | 'podsDir' | 'runDir' | 'signalContainer'>,
  key: string,
  uid: string,
) {
  const w = rt.workers.get(key);
  if (w && w.uid === uid) {
    w.gone = true;
    rt.workers.delete(key);
    clearTimeout(w.volumeTimer);
    for (const c of w.ctrs.values()) {
      clearTimeout(c.timer);
      if (c.proc) void rt.signalContainer(w, c, 'SIGKILL');
    }
  }
  // Deleted at once (--force), or while tinykube was down: kill what may be left, then the
  // Pod's cgroups go.
  if (w?.reaped) rt.tracker.release(uid);
  else void rt.tracker.kill({ pod: uid }).then(() => rt.tracker.release(uid));
  rt.store.txn(() => releasePodIP(rt.store.db, rt.pool, uid));
  rmSync(join(rt.podsDir, uid), { recursive: true, force: true });
  rmSync(join(rt.runDir, uid), { recursive: true, force: true });
}

/**
 * tinykube stops: every Pod's processes are stopped (SIGTERM, SIGKILL after maxGraceMs), their
 * objects kept for the next start, which runs them again. The caller has set `stopped` first, so
 * the exits that follow restart nothing.
 */
export async function stopAllPods(rt: Pick<RuntimeContext, 'workers' | 'tracker' | 'signalContainer'>, maxGraceMs: number) {
  const all = [...rt.workers.values()];
  for (const w of all) {
    clearTimeout(w.volumeTimer);
    for (const c of w.ctrs.values()) {
      clearTimeout(c.timer);
      stopProbers(c);
    }
  }
  const procs = all.flatMap((w) => [...w.ctrs.values()].filter((c) => c.proc).map((c) => [w, c] as const));
  // SIGTERM to every process of every container (exec sessions too), then SIGKILL.
  for (const [w, c] of procs) void rt.signalContainer(w, c, stopSignalOf(c));
  const done = Promise.all(procs.map(([, c]) => closed(c)));
  const t = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), maxGraceMs).unref());
  if ((await Promise.race([done, t])) === 'timeout') {
    for (const [w, c] of procs) void rt.signalContainer(w, c, 'SIGKILL');
    await Promise.race([done, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
  for (let i = 0; i < 10 && (await rt.tracker.signalAll('SIGKILL')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  rt.tracker.close();
}

/** The signal that asks the container to stop: its image's STOPSIGNAL (nginx: SIGQUIT), else SIGTERM. */
export const stopSignalOf = (c: Ctr): NodeJS.Signals => (c.image?.entry.stopSignal as NodeJS.Signals | undefined) ?? 'SIGTERM';
