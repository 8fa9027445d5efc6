// Creating and deleting a Job's Pods (upstream pkg/controller/job/job_controller.go manageJob and
// activePodsForRemoval): keep min(parallelism, completions - succeeded) Pods active, none while
// suspended; replacements wait out the failure backoff (per index with backoffLimitPerIndex);
// Indexed Jobs get one Pod per pending index with the index's annotation, label, environment
// variable, hostname and failure counts; extra Pods go duplicated and invalid indexes first.
import { StatusError } from '../../apimachinery/errors.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import {
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER,
  type JobObj,
} from '../../registry/batch/job.js';
import { controllerUser, errText } from '../context.js';
import { controllerRef } from '../workload/controller-ref.js';
import { isPodReady } from '../workload/pods.js';
import { podFromTemplate } from '../workload/pod-template.js';
import {
  completionIndex,
  finishedTime,
  generateNameWithIndex,
  hasBackoffLimitPerIndex,
  isIndexed,
  matchPodFailurePolicy,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  onlyReplaceFailedPods,
  remainingBackoff,
  type BackoffRecord,
} from './policy.js';
import { addCompletionIndexEnv, failureCount, firstPendingIndexes, ignoredCount } from './indexed.js';
import { removeFinalizer } from './tracking.js';
import { gone, MANAGER, type JobContext } from './context.js';

const JOB_CONTROLLER_USER = controllerUser('job-controller');
export interface Manage {
  activePods: PodObj[];
  succeeded: number;
  succeededIdx: Set<number>;
  failedIdx: Set<number> | undefined;
  terminating: number;
  backoff: BackoffRecord;
  lastFailedPerIndex: Map<number, PodObj>;
}

function deletePod(c: JobContext, job: JobObj, p: PodObj): boolean {
  try {
    c.registry.delete(c.podDef, p.metadata.namespace ?? '', p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
    c.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    return true;
  } catch (e) {
    if (gone(e) || (e instanceof StatusError && e.code === 409)) return true;
    c.record(job, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
    return false;
  }
}

/** upstream manageJob: the Pods to create or delete; the active count after it. */
export async function manageJob(
  c: JobContext,
  job: JobObj,
  key: string,
  m: Manage,
): Promise<{ active: number; removed: number; removedReady: number }> {
  const { registry, podDef, record, expectations, requeueAfter } = c;
  const spec = job.spec!;
  let active = m.activePods.length;
  const parallelism = spec.parallelism ?? 1;
  const removeAll = (pods: PodObj[]) => {
    expectations.expectDeletions(
      key,
      pods.map((p) => p.metadata.uid ?? ''),
    );
    let removed = 0;
    let removedReady = 0;
    for (const p of pods) {
      let ok = false;
      try {
        removeFinalizer(c, p);
        ok = deletePod(c, job, p);
      } catch (e) {
        record(job, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
      }
      if (ok) {
        removed++;
        if (isPodReady(p)) removedReady++;
      } else expectations.deletionObserved(key, p.metadata.uid);
    }
    return { active: active - removed, removed, removedReady };
  };
  if (spec.suspend) return removeAll(activePodsForRemoval(job, m.activePods, active));

  let want: number;
  if (spec.completions == null) want = m.succeeded > 0 ? active : parallelism;
  else want = Math.max(0, Math.min(spec.completions - m.succeeded, parallelism));
  const rmAtLeast = Math.max(0, active - want);
  const toDelete = activePodsForRemoval(job, m.activePods, rmAtLeast).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (toDelete.length) return removeAll(toDelete);

  const terminating = onlyReplaceFailedPods(job) ? m.terminating : 0;
  let diff = want - terminating - active;
  if (diff <= 0) return { active, removed: 0, removedReady: 0 };
  if (!hasBackoffLimitPerIndex(job)) {
    const wait = remainingBackoff(m.backoff.failuresAfterLastSuccess, m.backoff.lastFailureTime, c.nowMs());
    if (wait > 0) {
      requeueAfter(key, wait);
      return { active, removed: 0, removedReady: 0 };
    }
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
  let indexes: number[] = [];
  if (isIndexed(job)) {
    indexes = firstPendingIndexes(job, m, diff);
    if (hasBackoffLimitPerIndex(job)) {
      const now: number[] = [];
      let minWait: number | undefined;
      for (const ix of indexes) {
        const last = m.lastFailedPerIndex.get(ix);
        const w = last
          ? remainingBackoff(
              failureCount(last) + (matchPodFailurePolicy(spec.podFailurePolicy, last).count ? 1 : 0),
              finishedTime(last),
              c.nowMs(),
            )
          : 0;
        if (w === 0) now.push(ix);
        else if (minWait === undefined || w < minWait) minWait = w;
      }
      if (!now.length && minWait !== undefined) {
        requeueAfter(key, minWait);
        return { active, removed: 0, removedReady: 0 };
      }
      indexes = now;
    }
    diff = indexes.length;
  }
  if (diff <= 0) return { active, removed: 0, removedReady: 0 };
  expectations.expectCreations(key, diff);
  const ref = controllerRef({ ...job, apiVersion: 'batch/v1', kind: 'Job' });
  for (let i = 0; i < diff; i++) {
    const ix = isIndexed(job) ? indexes[i]! : -1;
    const pod = podFromTemplate(job.spec!.template, job, ref);
    const fins = (pod.metadata.finalizers ??= []);
    if (!fins.includes(JOB_TRACKING_FINALIZER)) fins.push(JOB_TRACKING_FINALIZER);
    if (ix >= 0) {
      const ann = (pod.metadata.annotations ??= {});
      ann[JOB_COMPLETION_INDEX_ANNOTATION] = String(ix);
      (pod.metadata.labels ??= {})[JOB_COMPLETION_INDEX_ANNOTATION] = String(ix);
      addCompletionIndexEnv(pod);
      pod.spec!.hostname = `${job.metadata.name}-${ix}`;
      pod.metadata.generateName = generateNameWithIndex(job.metadata.name!, ix);
      if (hasBackoffLimitPerIndex(job)) {
        const last = m.lastFailedPerIndex.get(ix);
        let count = 0;
        let ignored = 0;
        if (last) {
          const counted = matchPodFailurePolicy(spec.podFailurePolicy, last).count;
          count = failureCount(last) + (counted ? 1 : 0);
          ignored = ignoredCount(last) + (counted ? 0 : 1);
        }
        ann[JOB_INDEX_FAILURE_COUNT_ANNOTATION] = String(count);
        if (ignored) ann[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(ignored);
      }
    }
    try {
      // Through admission webhooks, as upstream's controller creates through the API.
      const opts = { fieldManager: MANAGER, trusted: true, user: JOB_CONTROLLER_USER };
      const ns = job.metadata.namespace ?? '';
      const res = c.admitted ? await c.admitted.create(podDef, ns, pod, opts) : registry.create(podDef, ns, pod, opts);
      record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${res.object.metadata.name}`);
    } catch (e) {
      // The rest is not attempted (upstream's slow start stops at a failed batch).
      expectations.lowerCreations(key, diff - i);
      if (e instanceof StatusError && e.details?.causes?.some((x) => x.reason === 'NamespaceTerminating'))
        return { active: active + i, removed: 0, removedReady: 0 };
      record(job, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
      throw e;
    }
  }
  active += diff;
  return { active, removed: 0, removedReady: 0 };
}

/** upstream activePodsForRemoval: duplicated or invalid indexes first, then not-ready before ready, pending before running. */
function activePodsForRemoval(job: JobObj, pods: PodObj[], rmAtLeast: number): PodObj[] {
  let rm: PodObj[] = [];
  let left: PodObj[] = pods;
  if (isIndexed(job)) {
    left = [];
    const seen = new Set<number>();
    const completions = job.spec?.completions ?? 0;
    for (const p of [...pods].sort((a, b) => completionIndex(a) - completionIndex(b))) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions || seen.has(ix)) rm.push(p);
      else {
        seen.add(ix);
        left.push(p);
      }
    }
  }
  if (rm.length < rmAtLeast) {
    const rank = (p: PodObj) => [
      p.spec?.nodeName ? 1 : 0,
      p.status?.phase === 'Running' ? 2 : p.status?.phase === 'Pending' ? 0 : 1,
      isPodReady(p) ? 1 : 0,
    ];
    const sorted = [...left].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
      return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
    });
    rm = [...rm, ...sorted.slice(0, rmAtLeast - rm.length)];
  }
  return rm;
}
