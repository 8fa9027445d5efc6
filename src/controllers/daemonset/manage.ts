// Creating and deleting daemon Pods (upstream pkg/controller/daemon/daemon_controller.go manage,
// podsShouldBeOnNode, syncNodes): one Pod on every node that should run it, none on the others;
// failed Pods are deleted at most once per backoff period per node; with maxSurge an old and a new
// Pod may overlap on a node until the new one is available. At most BURST_REPLICAS creations and
// deletions per sync, under expectations.
import { StatusError } from '../../apimachinery/errors.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { NodeObj } from '../../registry/node.js';
import { controllerUser, errText } from '../context.js';
import { controllerRef } from '../workload/controller-ref.js';
import { podFromTemplate } from '../workload/pod-template.js';
import { isPodAvailable, isPodReady } from '../workload/pods.js';
import { POD_REVISION_LABEL } from '../workload/history.js';
import { byCreationAndPhase, daemonPodTemplate, nodeNameAffinity, nodeShouldRunDaemonPod, surgeCount } from './util.js';
import { FIELD_MANAGER, keyOf, type DaemonSetContext } from './context.js';
import { nodesToDaemonPods } from './daemon-pods.js';

/** upstream BurstReplicas: at most this many creations or deletions per sync. */
const BURST_REPLICAS = 250;
/** upstream failedPodsBackoff: 1s doubling to 15 minutes. */
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

/** upstream podsShouldBeOnNode: the node's missing Pod, and the Pods to delete from it. */
function podsShouldBeOnNode(
  c: DaemonSetContext,
  ds: DaemonSetObj,
  node: NodeObj,
  byNode: Map<string, PodObj[]>,
  hash: string,
  out: { create: string[]; del: PodObj[] },
) {
  const { record, failedBackoff, enqueueAfter } = c;
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const nodeName = node.metadata.name!;
  const pods = byNode.get(nodeName);
  const key = keyOf(ds.metadata.namespace ?? '', ds.metadata.name!);
  if (shouldRun && !pods) {
    out.create.push(nodeName);
    return;
  }
  if (shouldContinueRunning) {
    const running: PodObj[] = [];
    for (const pod of pods ?? []) {
      if (pod.metadata.deletionTimestamp) continue;
      if (pod.status?.phase === 'Failed') {
        // The kubelet may keep failing it: delete at most once per backoff period per node.
        const bk = `${key}/${nodeName}`;
        const now = c.nowMs();
        const b = failedBackoff.get(bk);
        if (b && now - b.at < b.delay) {
          enqueueAfter(key, b.delay - (now - b.at));
          continue;
        }
        const delay =
          b && now - b.at < 2 * FAILED_BACKOFF_MAX_MS ? Math.min(b.delay * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS;
        failedBackoff.set(bk, { delay, at: now });
        record(
          ds,
          'Warning',
          'FailedDaemonPod',
          `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`,
        );
        out.del.push(pod);
      } else if (pod.status?.phase === 'Succeeded') {
        record(
          ds,
          'Normal',
          'SucceededDaemonPod',
          `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to delete it`,
        );
        out.del.push(pod);
      } else running.push(pod);
    }
    running.sort(byCreationAndPhase);
    if (surgeCount(ds, 1) <= 0) {
      // Without surge, one Pod per node: the oldest stays.
      out.del.push(...running.slice(1));
      return;
    }
    if (running.length <= 1) {
      if (running.length === 0 && shouldRun) out.create.push(nodeName);
      return;
    }
    // With surge, an old and a new Pod may overlap until the new one is available.
    let oldestNew: PodObj | undefined;
    let oldestOld: PodObj | undefined;
    for (const pod of running) {
      if (pod.metadata.labels?.[POD_REVISION_LABEL] === hash) {
        if (!oldestNew) {
          oldestNew = pod;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = pod;
        continue;
      }
      out.del.push(pod);
    }
    if (oldestNew && oldestOld) {
      if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, c.nowMs())) out.del.push(oldestOld);
    }
    return;
  }
  if (pods) for (const pod of pods) if (!pod.metadata.deletionTimestamp) out.del.push(pod);
}

/** upstream syncNodes: create the nodes' Pods, delete the given ones, with expectations. */

const CONTROLLER_USER = controllerUser('daemon-set-controller');
export async function syncNodes(c: DaemonSetContext, ds: DaemonSetObj, del: PodObj[], create: string[], hash: string): Promise<void> {
  const { registry, podDef, record, expectations } = c;
  const ns = ds.metadata.namespace ?? '';
  const key = keyOf(ns, ds.metadata.name!);
  const toCreate = create.slice(0, BURST_REPLICAS);
  const toDelete = del.slice(0, BURST_REPLICAS);
  expectations.expectCreations(key, toCreate.length);
  if (toDelete.length) expectations.expectDeletions(key, toDelete.map((p) => p.metadata.uid!).filter(Boolean));
  const errors: unknown[] = [];
  if (toCreate.length) {
    const template = daemonPodTemplate(ds, hash);
    const ref = controllerRef(ds);
    for (let i = 0; i < toCreate.length; i++) {
      const pod = podFromTemplate(template, ds, ref);
      pod.spec!.affinity = nodeNameAffinity(pod.spec!.affinity, toCreate[i]!);
      try {
        // Through admission webhooks, as upstream's controller creates through the API.
        const opts = { fieldManager: FIELD_MANAGER, trusted: true, user: CONTROLLER_USER };
        const res = c.admitted ? await c.admitted.create(podDef, ns, pod, opts) : registry.create(podDef, ns, pod, opts);
        record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${res.object.metadata.name}`);
      } catch (e) {
        // Creations that failed will never be observed.
        expectations.lowerCreations(key, toCreate.length - i);
        const terminating = e instanceof StatusError && e.details?.causes?.some((x) => x.reason === 'NamespaceTerminating');
        if (terminating) break;
        record(ds, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
        errors.push(e);
        break;
      }
    }
  }
  for (const pod of toDelete) {
    try {
      registry.delete(podDef, ns, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (e) {
      expectations.deletionObserved(key, pod.metadata.uid);
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) continue;
      record(ds, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
}

/** upstream manage: every node's Pods as they should be; Pods for nodes that do not exist go. */
export async function manage(c: DaemonSetContext, ds: DaemonSetObj, nodes: NodeObj[], hash: string): Promise<void> {
  const byNode = nodesToDaemonPods(c, ds);
  const out = { create: [] as string[], del: [] as PodObj[] };
  for (const node of nodes) podsShouldBeOnNode(c, ds, node, byNode, hash, out);
  const names = new Set(nodes.map((n) => n.metadata.name!));
  for (const [node, pods] of byNode) {
    if (names.has(node)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) out.del.push(p);
  }
  await syncNodes(c, ds, out.del, out.create, hash);
}
