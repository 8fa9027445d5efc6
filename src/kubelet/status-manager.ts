// Pod status, as the kubelet's status manager builds and writes it (pkg/kubelet/status/
// status_manager.go, and getPhase/generateAPIPodStatus of kubelet_pods.go): the phase, the
// conditions and the container statuses come from the Worker's containers; writes are batched,
// since a burst of container changes across many Pods must not cost a store commit each.
import { StatusError } from '../apimachinery/errors.js';
import type { ContainerStatus, PodStatus } from '../api/generated/core/v1.js';
import { setCondition } from '../registry/pod/binding.js';
import { now, specOf, type Ctr, type RuntimeContext, type Worker } from './pod-state.js';

/** Ready as the Pod's Ready condition counts it: a regular container, running, past its startup and readiness probes. */
export const isReady = (c: Ctr) => !c.init && !c.ephemeral && 'running' in c.state && !!c.startupOK && !!c.readyOK;

export const containerStatus = (c: Ctr): ContainerStatus => ({
  name: c.spec.name,
  // Once a container exists, the runtime's names for its image (the normalized reference, and
  // the digest of the entry it resolved to); before, the spec's image as written.
  image: (c.containerID && c.image?.name) || (c.spec.image ?? ''),
  imageID: (c.containerID && c.image?.imageID) || '',
  // omitempty upstream: a container that was never created (CreateContainerError, still
  // ContainerCreating) has no ID, and `kubectl describe` shows an empty `Container ID:`.
  ...(c.containerID ? { containerID: `tinykube://${c.containerID}` } : {}),
  started: 'running' in c.state && !!c.startupOK,
  ready: isReady(c),
  restartCount: c.restartCount,
  state: c.state,
  lastState: c.lastState,
});

/** The kubelet's getPhase: counts running, stopped (including restarting) and waiting containers. */
export function podPhase(inits: Ctr[], mains: Ctr[], policy: string): string {
  const initFailed = inits.some((c) => c.done && 'terminated' in c.state && c.state.terminated.exitCode !== 0);
  if (initFailed) return 'Failed';
  const pendingInit = inits.some((c) => !(c.done && 'terminated' in c.state && c.state.terminated.exitCode === 0));
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let waiting = 0;
  for (const c of mains) {
    if ('running' in c.state) running++;
    else if ('terminated' in c.state) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if ('terminated' in c.lastState) stopped++;
    else waiting++;
  }
  if (pendingInit || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Pod conditions as setCondition writes them (an unset lastProbeTime is null, as Go prints it). */
type Conditions = NonNullable<Parameters<typeof setCondition>[0]>;

/** The Pod's whole status from its Worker, keeping what others wrote (PodScheduled, other fields). */
export function podStatus(w: Worker, hostIP: string): Omit<PodStatus, 'conditions'> & { conditions: Conditions } {
  const spec = specOf(w.pod);
  const ctrs = [...w.ctrs.values()];
  const inits = ctrs.filter((c) => c.init);
  const mains = ctrs.filter((c) => !c.init && !c.ephemeral);
  const eph = ctrs.filter((c) => c.ephemeral);
  const initialized = inits.every((c) => c.done && 'terminated' in c.state && c.state.terminated.exitCode === 0);
  const policy = spec.restartPolicy ?? 'Always';
  const phase = podPhase(inits, mains, policy);
  const ready = initialized && mains.length > 0 && mains.every(isReady);
  const status = w.pod.status ?? {};
  let conds: Conditions = status.conditions ?? [];
  const t = now();
  const set = (type: string, ok: boolean, reason?: string, message?: string) => {
    conds = setCondition(conds, {
      type,
      status: ok ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: t,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    });
  };
  const notReady = mains.filter((c) => !isReady(c)).map((c) => c.spec.name);
  const notReadyMsg = `containers with unready status: [${notReady.join(' ')}]`;
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  set('PodReadyToStartContainers', !terminal);
  set(
    'Initialized',
    initialized,
    initialized ? undefined : 'ContainersNotInitialized',
    initialized
      ? undefined
      : `containers with incomplete status: [${inits
          .filter((c) => !c.done)
          .map((c) => c.spec.name)
          .join(' ')}]`,
  );
  set('Ready', ready, ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady', ready || terminal ? undefined : notReadyMsg);
  set(
    'ContainersReady',
    ready,
    ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady',
    ready || terminal ? undefined : notReadyMsg,
  );
  const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  conds = [...conds].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  const out: ReturnType<typeof podStatus> = {
    ...status,
    phase,
    conditions: conds,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: w.ips[0],
    podIPs: w.ips.map((ip) => ({ ip })),
    startTime: w.startTime,
    containerStatuses: mains.map(containerStatus),
  };
  if (inits.length) out.initContainerStatuses = inits.map(containerStatus);
  if (eph.length) out.ephemeralContainerStatuses = eph.map(containerStatus);
  if (!w.ips.length) {
    delete out.podIP;
    delete out.podIPs;
  }
  return out;
}

export interface StatusManager {
  /** The Pod's status changed: it is written within 10 ms, with every other change of that time. */
  markDirty(w: Worker): void;
  /** Writes every changed Pod status in one store transaction (1,000 Pods are one commit, not 1,000). */
  flush(): void;
  /** No more writes: the pending batch is dropped (the Pods' objects stay for the next start). */
  stop(): void;
}

export function createStatusManager(
  rt: Pick<RuntimeContext, 'store' | 'registry' | 'podDef' | 'log' | 'hostIP' | 'workers' | 'stopped'>,
): StatusManager {
  const dirty = new Set<string>();
  let flushTimer: NodeJS.Timeout | undefined;

  function flush() {
    flushTimer = undefined;
    const keys = [...dirty];
    dirty.clear();
    if (!keys.length) return;
    try {
      rt.store.txn(() => {
        for (const key of keys) {
          const w = rt.workers.get(key);
          if (!w || w.gone) continue;
          const [ns, name] = key.split('/') as [string, string];
          const cur = rt.store.get('pods', ns, name);
          // Another Pod of the same name now (deleted and created again): not ours to write.
          if (!cur || cur.metadata.uid !== w.uid) continue;
          w.pod = cur;
          const status = podStatus(w, rt.hostIP);
          try {
            // trusted: the kubelet built this status itself (no decode checks needed).
            const r = rt.registry.update(
              rt.podDef,
              ns,
              name,
              { ...cur, status },
              { subresource: 'status', fieldManager: 'kubelet', trusted: true },
            );
            w.pod = r.object;
          } catch (e) {
            if (e instanceof StatusError && (e.code === 404 || e.code === 409)) continue;
            rt.log.warn({ err: e, pod: key }, 'pod status not written');
          }
        }
      });
    } catch (err) {
      rt.log.warn({ err }, 'pod status batch failed');
    }
  }

  return {
    markDirty(w) {
      if (rt.stopped) return;
      dirty.add(w.key);
      flushTimer ??= setTimeout(flush, 10);
    },
    flush,
    stop() {
      clearTimeout(flushTimer);
    },
  };
}
