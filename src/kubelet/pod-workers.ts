// One worker per Pod, as the kubelet's pod workers (pkg/kubelet/pod_workers.go) and its syncPod
// (kubelet.go, computePodActions of kuberuntime_manager.go): a Pod seen for the first time gets
// its Worker (its containers' state carried over from the stored status after a restart of
// tinykube); every sync then brings the containers to where the spec wants them: an address and
// the volumes first, ephemeral containers at once, init containers one by one in order, then
// the regular ones. A Pod being deleted is handed to termination.ts instead.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from '../api/generated/core/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import { podIP } from './podips.js';
import { now, podKeyOf, specOf, type Ctr, type RuntimeContext, type State, type Worker } from './pod-state.js';

/**
 * The Worker of a Pod this node has not run yet in this process: its directories, and its
 * containers as the stored status left them. After a restart of tinykube the containers start
 * again, counted as restarts (a kubelet after a node reboot does the same); init containers that
 * had completed stay completed.
 */
export function newWorker(rt: Pick<RuntimeContext, 'podsDir' | 'runDir'>, pod: PodObj): Worker {
  const key = podKeyOf(pod);
  const uid = pod.metadata.uid!;
  const dir = join(rt.podsDir, uid);
  mkdirSync(dir, { recursive: true });
  const run = join(rt.runDir, uid);
  mkdirSync(run, { recursive: true, mode: 0o755 });
  const spec = specOf(pod);
  const prev = pod.status ?? {};
  const w: Worker = { key, uid, pod, dir, run, ips: [], ctrs: new Map(), startTime: prev.startTime };
  const add = (s: Container, init: boolean) => {
    const old = (init ? prev.initContainerStatuses : prev.containerStatuses)?.find((x) => x.name === s.name);
    const wasStarted = !!old?.state && !('waiting' in old.state);
    const initDone = init ? old?.state?.terminated : undefined;
    const completedInit = initDone?.exitCode === 0;
    const c: Ctr = {
      spec: s,
      init,
      restartCount: (old?.restartCount ?? 0) + (wasStarted && !completedInit ? 1 : 0),
      state: completedInit ? { terminated: initDone! } : { waiting: { reason: 'ContainerCreating' } },
      lastState:
        wasStarted && !completedInit
          ? {
              terminated: {
                exitCode: 255,
                reason: 'Unknown',
                startedAt: old?.state?.running?.startedAt,
                finishedAt: now(),
              },
            }
          : {},
      backoffMs: 0,
      containerID: '',
      done: completedInit,
    };
    w.ctrs.set(s.name, c);
  };
  for (const s of spec.initContainers ?? []) add(s, true);
  for (const s of spec.containers ?? []) add(s, false);
  const prevEph = prev.ephemeralContainerStatuses ?? [];
  for (const s of spec.ephemeralContainers ?? []) {
    // One that ran before a restart of tinykube is over: ephemeral containers never restart.
    const old = prevEph.find((x) => x.name === s.name)?.state;
    const ran = !!old && !('waiting' in old);
    addEphemeral(w, s, ran ? { terminated: old.terminated ?? { exitCode: 255, reason: 'Unknown', finishedAt: now() } } : undefined);
  }
  return w;
}

/** A new ephemeral container of the Pod (kubectl debug), or one known from before a restart. */
export function addEphemeral(w: Worker, s: Container, finished?: State) {
  w.ctrs.set(s.name, {
    spec: s,
    init: false,
    ephemeral: true,
    restartCount: 0,
    state: finished ?? { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
    backoffMs: 0,
    containerID: '',
    done: !!finished,
    started: !!finished,
  });
}

/**
 * The Pod as stored now (created, updated, or being deleted): a Pod of the same name but another
 * uid replaces the old one's worker; new ephemeral containers join; then the Pod is synced.
 */
export function observePod(rt: Pick<RuntimeContext, 'workers' | 'stopped' | 'podsDir' | 'runDir' | 'removed' | 'sync'>, pod: PodObj) {
  if (rt.stopped) return;
  const key = podKeyOf(pod);
  let w = rt.workers.get(key);
  if (w && w.uid !== pod.metadata.uid) {
    rt.removed(key, w.uid);
    w = undefined;
  }
  if (!w) rt.workers.set(key, (w = newWorker(rt, pod)));
  w.pod = pod;
  for (const s of specOf(pod).ephemeralContainers ?? []) if (!w.ctrs.has(s.name)) addEphemeral(w, s);
  rt.sync(key);
}

export type SyncDeps = Pick<
  RuntimeContext,
  'workers' | 'stopped' | 'store' | 'pool' | 'hostIP' | 'record' | 'markDirty' | 'setupVolumes' | 'start' | 'terminate' | 'finalize'
>;

/**
 * One pass of the Pod's worker; called whenever something may have changed (the Pod, a
 * container's exit, a back-off's end, a volume's retry). Idempotent: it starts only what is
 * neither running nor waiting out a back-off, nor done.
 */
export function syncPod(rt: SyncDeps, key: string) {
  const w = rt.workers.get(key);
  if (!w || w.gone || rt.stopped) return;
  const pod = w.pod;
  if (pod.metadata.deletionTimestamp) {
    void rt.terminate(w, pod.metadata.deletionGracePeriodSeconds ?? 30).then(() => rt.finalize(w));
    return;
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    if (![...w.ctrs.values()].some((c) => c.proc)) return;
  }
  // Sandbox: an address of its own (or the host's).
  if (!w.ips.length) {
    if (specOf(pod).hostNetwork) w.ips = [rt.hostIP];
    else {
      const ip = rt.store.txn(() => podIP(rt.store.db, rt.pool, w.uid));
      if (!ip) {
        rt.record(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: no free IP in pod CIDR ${rt.pool.cidr.text}`);
        return;
      }
      w.ips = [ip];
    }
    w.startTime ??= now();
    rt.markDirty(w);
  }
  if (!w.volumes && !rt.setupVolumes(w)) return;
  const ctrs = [...w.ctrs.values()];
  // Ephemeral containers start as soon as they are added, even while init containers run
  // (the kubelet's computePodActions), and only once.
  for (const c of ctrs.filter((x) => x.ephemeral)) {
    if (!c.proc && !c.done && !c.started) rt.start(w, c);
  }
  // Init containers one at a time, in order.
  for (const c of ctrs.filter((x) => x.init)) {
    if (c.done) {
      if ('terminated' in c.state && c.state.terminated.exitCode !== 0) return; // pod failed
      continue;
    }
    if (!c.proc && !c.backoffUntil) rt.start(w, c);
    return;
  }
  for (const c of ctrs.filter((x) => !x.init && !x.ephemeral)) if (!c.proc && !c.backoffUntil && !c.done) rt.start(w, c);
  rt.markDirty(w);
}
