// The Indexed completion mode in the Job controller (upstream pkg/controller/job/indexed_job_utils.go;
// a Pod's index and the index-named Pods are in policy.ts): the completed and failed indexes of a
// sync, each index's failure counts (the annotations a replacement Pod carries), the lowest pending
// indexes to create Pods for, and the JOB_COMPLETION_INDEX variable.
import type { EnvVar } from '../../api/generated/core/v1.js';
import { clone } from '../../apimachinery/meta.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import {
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  parseIndexes,
  type JobObj,
} from '../../registry/batch/job.js';
import {
  completionIndex,
  finishedTime,
  hasBackoffLimitPerIndex,
  hasTrackingFinalizer,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  validIndex,
} from './policy.js';
import type { Cond } from './context.js';

const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export const failureCount = (p: PodObj): number => {
  const n = Number(p.metadata.annotations?.[JOB_INDEX_FAILURE_COUNT_ANNOTATION] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
};
export const ignoredCount = (p: PodObj): number => {
  const n = Number(p.metadata.annotations?.[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
};

export interface IndexedProgress {
  /** The indexes status.completedIndexes already counts. */
  prevSucceededIdx: Set<number>;
  /** Those and the indexes of succeeded Pods that still carry the finalizer. */
  succeededIdx: Set<number>;
  /** With backoffLimitPerIndex: the failed indexes. */
  failedIdx: Set<number> | undefined;
  /** With backoffLimitPerIndex: each index's last failed Pod (most failures, then latest finished). */
  lastFailedPerIndex: Map<number, PodObj>;
  /** `finished` as given, or what the failed indexes or a successPolicy make of it. */
  finished: Cond | undefined;
}

/** The completed (and failed) indexes of an Indexed Job, and whether they finish it. */
export function indexedProgress(job: JobObj, pods: PodObj[], finished: Cond | undefined): IndexedProgress {
  const spec = job.spec!;
  const status = job.status!;
  const completions = spec.completions ?? 0;
  let failedIdx: Set<number> | undefined;
  const lastFailedPerIndex = new Map<number, PodObj>();
  const prevSucceededIdx = new Set(parseIndexes(status.completedIndexes, completions));
  const succeededIdx = new Set(prevSucceededIdx);
  for (const p of pods)
    if (p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && validIndex(job, p) >= 0) succeededIdx.add(completionIndex(p));
  if (hasBackoffLimitPerIndex(job)) {
    failedIdx = new Set(status.failedIndexes != null ? parseIndexes(status.failedIndexes, completions) : []);
    const perIndex = spec.backoffLimitPerIndex ?? 0;
    for (const p of pods) {
      if (p.status?.phase !== 'Failed' || validIndex(job, p) < 0) continue;
      const ix = completionIndex(p);
      const prev = lastFailedPerIndex.get(ix);
      if (!prev || failureCount(prev) < failureCount(p) || (failureCount(prev) === failureCount(p) && finishedTime(prev) < finishedTime(p)))
        lastFailedPerIndex.set(ix, p);
      if (!hasTrackingFinalizer(p)) continue;
      const m = matchPodFailurePolicy(spec.podFailurePolicy, p);
      if (m.action === 'FailIndex' || (m.count && failureCount(p) >= perIndex)) failedIdx.add(ix);
    }
    if (!finished) {
      if (spec.maxFailedIndexes != null && failedIdx.size > spec.maxFailedIndexes)
        finished = {
          type: 'FailureTarget',
          reason: 'MaxFailedIndexesExceeded',
          message: 'Job has exceeded the specified maximal number of failed indexes',
        };
      else if (failedIdx.size > 0 && failedIdx.size + succeededIdx.size >= completions)
        finished = { type: 'FailureTarget', reason: 'FailedIndexes', message: 'Job has failed indexes' };
    }
  }
  if (!finished) {
    const msg = matchSuccessPolicy(spec.successPolicy, completions, succeededIdx);
    if (msg) finished = { type: 'SuccessCriteriaMet', reason: 'SuccessPolicy', message: msg };
  }
  return { prevSucceededIdx, succeededIdx, failedIdx, lastFailedPerIndex, finished };
}

/** upstream addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the annotation, in every container. */
export function addCompletionIndexEnv(pod: PodObj): void {
  const env: EnvVar = {
    name: COMPLETION_INDEX_ENV,
    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } },
  };
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    if ((c.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
    (c.env ??= []).push(clone(env));
  }
}

/** upstream firstPendingIndexes: the lowest indexes neither done, failed nor running. */
export function firstPendingIndexes(
  job: JobObj,
  m: { activePods: PodObj[]; succeededIdx: Set<number>; failedIdx: Set<number> | undefined },
  count: number,
): number[] {
  const completions = job.spec?.completions ?? 0;
  const busy = new Set<number>([...m.succeededIdx, ...(m.failedIdx ?? [])]);
  for (const p of m.activePods) {
    const ix = completionIndex(p);
    if (ix >= 0) busy.add(ix);
  }
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!busy.has(i)) out.push(i);
  return out;
}
