// Counting finished Pods with the tracking finalizer (upstream pkg/controller/job: job_controller.go
// trackJobStatusAndRemoveFinalizers, flushUncountedAndRemoveFinalizers, enactJobFinished, and
// tracking_utils.go): a finished Pod's UID goes into status.uncountedTerminatedPods, that status is
// written, then the Pod's `batch.kubernetes.io/job-tracking` finalizer goes and the UID moves into
// the succeeded/failed counters (Indexed: completedIndexes and failedIndexes); once nothing is
// uncounted or terminating, the Job gets its Complete or Failed condition.
import { clone } from '../../apimachinery/meta.js';
import { StatusError } from '../../apimachinery/errors.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { formatIndexes, JOB_TRACKING_FINALIZER, type JobCondition, type JobObj } from '../../registry/batch/job.js';
import {
  completionIndex,
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  matchPodFailurePolicy,
  MAX_UNCOUNTED_PODS,
  validIndex,
  type BackoffRecord,
} from './policy.js';
import { gone, MANAGER, type Cond, type JobContext } from './context.js';

export const newCondition = (type: string, status: string, reason: string, message: string, now: string): JobCondition => {
  const c: JobCondition = { type, status, lastProbeTime: now, lastTransitionTime: now };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
};

/** Removes the Pod's tracking finalizer; true when it is gone (or the Pod is). */
export function removeFinalizer(c: JobContext, p: PodObj): boolean {
  if (!hasTrackingFinalizer(p)) return true;
  try {
    c.registry.patch(
      c.podDef,
      p.metadata.namespace ?? '',
      p.metadata.name!,
      'strategic',
      { metadata: { uid: p.metadata.uid, '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } },
      { fieldManager: MANAGER },
    );
    return true;
  } catch (e) {
    if (gone(e) || (e instanceof StatusError && e.code === 409)) return true;
    throw e;
  }
}

function writeStatus(c: JobContext, job: JobObj): JobObj {
  const res = c.registry.update(c.jobDef, job.metadata.namespace ?? '', job.metadata.name!, clone(job), {
    subresource: 'status',
    fieldManager: MANAGER,
    trusted: true,
  });
  return res.object as JobObj;
}

export interface Track {
  pods: PodObj[];
  finished: Cond | undefined;
  needsFlush: boolean;
  expectedRm: Set<string>;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  prevSucceededIdx: Set<number>;
  succeededIdx: Set<number>;
  failedIdx: Set<number> | undefined;
  terminating: number;
  newBackoff: BackoffRecord;
}

/** upstream trackJobStatusAndRemoveFinalizers, flushUncountedAndRemoveFinalizers and enactJobFinished. */
export function trackStatus(c: JobContext, job: JobObj, key: string, t: Track): void {
  const { record, rmFinalizers } = c;
  const spec = job.spec!;
  const status = job.status!;
  const uncountedStatus = status.uncountedTerminatedPods!;
  const indexed = isIndexed(job);
  let needsFlush = t.needsFlush;
  const pods = indexed ? [...t.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : t.pods;
  const withFinalizer = new Set<string>();
  for (const p of pods) if (hasTrackingFinalizer(p) && !t.expectedRm.has(p.metadata.uid ?? '')) withFinalizer.add(p.metadata.uid ?? '');
  if (cleanUncounted(job, withFinalizer)) needsFlush = true;
  const toRemove: PodObj[] = [];
  const newSucceededIdx: number[] = [];
  let finished = t.finished;
  let reachedMax = false;
  for (const p of pods) {
    const uid = p.metadata.uid ?? '';
    if (!hasTrackingFinalizer(p) || t.expectedRm.has(uid)) continue;
    const failedPod = isPodFailed(p, job);
    if (!(job.metadata.deletionTimestamp || finished || p.status?.phase === 'Succeeded' || failedPod)) continue;
    toRemove.push(p);
    if (p.status?.phase === 'Succeeded' && !t.uncounted.failed.has(uid)) {
      if (indexed) {
        const ix = validIndex(job, p);
        if (ix >= 0 && !t.prevSucceededIdx.has(ix)) {
          newSucceededIdx.push(ix);
          needsFlush = true;
        }
      } else if (!t.uncounted.succeeded.has(uid)) {
        needsFlush = true;
        (uncountedStatus.succeeded ??= []).push(uid);
      }
    } else if (failedPod || (finished && finished.type !== 'SuccessCriteriaMet')) {
      if (!t.uncounted.failed.has(uid) && (!indexed || validIndex(job, p) >= 0)) {
        if (!spec.podFailurePolicy || matchPodFailurePolicy(spec.podFailurePolicy, p).count) {
          needsFlush = true;
          (uncountedStatus.failed ??= []).push(uid);
        }
      }
    }
    if (newSucceededIdx.length + (uncountedStatus.succeeded?.length ?? 0) + (uncountedStatus.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    for (const ix of newSucceededIdx) t.succeededIdx.add(ix);
    // succeededIdx already holds every succeeded index with a finalizer: keep the counted ones.
    const counted = new Set<number>([...t.prevSucceededIdx, ...newSucceededIdx]);
    const text = formatIndexes(counted);
    if (text !== (status.completedIndexes ?? '')) needsFlush = true;
    status.succeeded = counted.size;
    status.completedIndexes = text;
    const failedText = t.failedIdx ? formatIndexes(t.failedIdx) : undefined;
    if (failedText !== status.failedIndexes) {
      if (failedText === undefined) delete status.failedIndexes;
      else status.failedIndexes = failedText;
      needsFlush = true;
    }
  }
  if (finished?.type === 'FailureTarget') {
    (status.conditions ??= []).push(newCondition('FailureTarget', 'True', finished.reason, finished.message, c.nowIso()));
    needsFlush = true;
    finished = { type: 'Failed', reason: finished.reason, message: finished.message };
  }
  if (finished?.type === 'SuccessCriteriaMet') {
    if (!status.conditions?.some((x) => x.type === 'SuccessCriteriaMet' && x.status === 'True')) {
      (status.conditions ??= []).push(newCondition('SuccessCriteriaMet', 'True', finished.reason, finished.message, c.nowIso()));
      needsFlush = true;
    }
    finished = { type: 'Complete', reason: finished.reason, message: finished.message };
  }

  // Flush the uncounted UIDs (and interim conditions) before the finalizers go.
  let cur = job;
  if (needsFlush) {
    cur = writeStatus(c, job);
    c.backoffs.set(key, t.newBackoff);
    needsFlush = false;
  }
  if (toRemove.length) {
    const exp = rmFinalizers.get(key) ?? new Set<string>();
    rmFinalizers.set(key, exp);
    let err: unknown;
    for (const p of toRemove) {
      exp.add(p.metadata.uid ?? '');
      try {
        removeFinalizer(c, p);
        withFinalizer.delete(p.metadata.uid ?? '');
      } catch (e) {
        exp.delete(p.metadata.uid ?? '');
        err ??= e;
      }
    }
    if (cleanUncounted(cur, withFinalizer)) needsFlush = true;
    if (err) {
      if (needsFlush) writeStatus(c, cur);
      throw err;
    }
  }
  let jobFinished = false;
  if (!reachedMax && finished) {
    const u = cur.status!.uncountedTerminatedPods;
    if (!(u?.succeeded?.length || u?.failed?.length) && !(t.terminating > 0)) {
      const conds = (cur.status!.conditions ??= []);
      const now = c.nowIso();
      const existing = conds.find((x) => x.type === finished!.type);
      if (existing)
        Object.assign(existing, {
          status: 'True',
          reason: finished.reason,
          message: finished.message,
          lastProbeTime: now,
          lastTransitionTime: now,
        });
      else conds.push(newCondition(finished.type, 'True', finished.reason, finished.message, now));
      if (finished.type === 'Complete') cur.status!.completionTime = now;
      jobFinished = true;
      needsFlush = true;
    }
  }
  if (needsFlush) {
    cur = writeStatus(c, cur);
    if (jobFinished) {
      if (finished!.type === 'Complete') {
        if (spec.completions != null && (cur.status?.succeeded ?? 0) > spec.completions)
          record(cur, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
        record(cur, 'Normal', 'Completed', 'Job completed');
      } else record(cur, 'Warning', finished!.reason, finished!.message);
    }
  }
}

/** upstream cleanUncountedPodsWithoutFinalizers: UIDs whose finalizer is gone move into the counters. */
function cleanUncounted(job: JobObj, withFinalizer: Set<string>): boolean {
  const st = job.status!;
  const u = (st.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const kind of ['succeeded', 'failed'] as const) {
    const list = u[kind] ?? [];
    const keep = list.filter((uid) => withFinalizer.has(uid));
    if (keep.length !== list.length) {
      changed = true;
      st[kind] = (st[kind] ?? 0) + list.length - keep.length;
      if (keep.length) u[kind] = keep;
      else delete u[kind];
    }
  }
  return changed;
}
