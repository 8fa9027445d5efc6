// The container runtime and pod workers of the node agent (the kubelet's syncPod loop, with local
// processes for containers). Each Pod bound to this Node gets a worker that starts its init
// containers in order, then its containers, each as its own process group; follows the restart
// policy with CrashLoopBackOff; writes status through pods/status (batched); and on deletion
// sends SIGTERM to every process of its containers, SIGKILL after the grace period, then removes
// the Pod. Which processes are a container's (however they detach) is the tracker's (tracker.ts).
//
// This module only wires the parts together; each lives in its own module, named after the
// kubelet's own, and takes the shared per-Pod state (pod-state.ts) as arguments:
//   pod-workers.ts      a worker per Pod and its sync (pod_workers.go, syncPod)
//   volume-manager.ts   the Pod's volumes and /etc/hosts, resolv.conf (volumemanager)
//   container-start.ts  starting a container; its exit and restart (kuberuntime_container.go)
//   backoff.ts          restart policy and CrashLoopBackOff
//   prober-manager.ts   startup, liveness and readiness probes (prober_manager.go)
//   status-manager.ts   building and writing Pod status (status_manager.go)
//   termination.ts      stopping containers and Pods, the final delete, cleanup
//   container-handle.ts a container as exec and attach see it
//   leftovers.ts        what a crashed tinykube left running
import { join } from 'node:path';
import type { PodObj } from '../registry/pod/strategy.js';
import type { RuntimeContext, RuntimeDeps } from './pod-state.js';
import { createStatusManager } from './status-manager.js';
import { observePod, syncPod } from './pod-workers.js';
import { rewriteServiceHosts, setupVolumes, volumesObjectChanged, type ObjectKind } from './volume-manager.js';
import { startContainer } from './container-start.js';
import { imagesChanged } from './image-pull.js';
import { finalizePod, removePod, signalContainer, stopAllPods, terminatePod } from './termination.js';
import { containerHandle, type ContainerHandle } from './container-handle.js';

export type { RuntimeDeps, OutputSink } from './pod-state.js';
export type { ContainerHandle } from './container-handle.js';
export { killLeftovers } from './leftovers.js';

export function createRuntime(d: RuntimeDeps) {
  // One object is every part's context: the parts reach each other through its members (see
  // RuntimeContext), which is what lets each be called, and tested, on its own.
  const rt: RuntimeContext = {
    ...d,
    workers: new Map(),
    stopped: false,
    hostsBlocks: new Map(),
    markDirty: (w) => status.markDirty(w),
    flush: () => status.flush(),
    sync: (key) => syncPod(rt, key),
    setupVolumes: (w) => setupVolumes(rt, w),
    start: (w, c) => startContainer(rt, w, c),
    terminate: (w, grace) => terminatePod(rt, w, grace),
    finalize: (w) => finalizePod(rt, w),
    removed: (key, uid) => removePod(rt, key, uid),
    signalContainer: (w, c, sig, onlyThisRun) => signalContainer(rt, w, c, sig, onlyThisRun),
  };
  const status = createStatusManager(rt);

  return {
    /** The Pod as stored now (created, updated, or being deleted). */
    observe: (pod: PodObj) => observePod(rt, pod),
    /** The Pod is gone from the store. */
    removed: rt.removed,
    /** A ConfigMap or Secret changed: rewrite the volumes that read it, or retry a Pod waiting for it. */
    objectChanged: (kind: ObjectKind, ns: string, name: string) => volumesObjectChanged(rt, kind, ns, name),
    /** The image maps changed: containers waiting for an image try again. */
    imagesChanged: () => imagesChanged(rt),
    /** A Service changed: Pods started from now on build their hosts block afresh. */
    servicesStale() {
      rt.hostsBlocks.clear();
    },
    /** Services changed: rewrite the /etc/hosts of Pods that carry them (in place: it is bind-mounted). */
    servicesChanged: () => rewriteServiceHosts(rt),
    /** A container of a Pod this node runs, for exec and attach (undefined: no such Pod here). */
    container(key: string, name: string): ContainerHandle | undefined {
      const w = rt.workers.get(key);
      const c = w?.ctrs.get(name);
      if (!w || !c || w.gone) return undefined;
      return containerHandle(w, c);
    },
    /** Every running container's process (its group leader) with its Pod, for metrics. */
    running(): { pod: PodObj; name: string; pid: number }[] {
      const out: { pod: PodObj; name: string; pid: number }[] = [];
      for (const w of rt.workers.values()) {
        if (w.gone) continue;
        for (const c of w.ctrs.values())
          if (c.proc?.pid && 'running' in c.state) out.push({ pod: w.pod, name: c.spec.name, pid: c.proc.pid });
      }
      return out;
    },
    podKeys: () => [...rt.workers.keys()],
    worker: (key: string) => rt.workers.get(key),
    logDir: (uid: string) => join(d.podsDir, uid),
    flush: rt.flush,
    /** Stops every Pod's processes (bounded), keeping their objects for the next start. */
    async stop(maxGraceMs = 5000) {
      rt.stopped = true;
      status.stop();
      await stopAllPods(rt, maxGraceMs);
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
