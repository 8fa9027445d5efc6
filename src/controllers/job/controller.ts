// The Job controller (upstream pkg/controller/job/job_controller.go, 1.32 with JobManagedBy and
// JobPodReplacementPolicy on). Each sync of a Job:
// - claims its Pods (selector; adopts orphans, releases the rest) and counts the finished ones it
//   has not counted yet: a Pod carries the `batch.kubernetes.io/job-tracking` finalizer until the
//   controller has recorded its UID in status.uncountedTerminatedPods, removed the finalizer and
//   moved the UID into the succeeded/failed counters (Indexed Jobs count completed indexes);
// - decides whether the Job is done: a podFailurePolicy FailJob rule, backoffLimit (failed Pods, or
//   container restarts under OnFailure), activeDeadlineSeconds, maxFailedIndexes or failed indexes,
//   a successPolicy, or enough completions. It records the interim FailureTarget or
//   SuccessCriteriaMet condition, deletes the active Pods, and adds Failed or Complete (with
//   completionTime) once no Pod is terminating or uncounted;
// - otherwise keeps min(parallelism, completions - succeeded) Pods active (Indexed: one per pending
//   index, `<job>-<index>-` names, the completion-index annotation and label, JOB_COMPLETION_INDEX
//   and hostname `<job>-<index>`), waiting 10 s doubling to 10 min after failures
//   (backoffLimitPerIndex: per index), deletes them all while suspended (Suspended condition, a
//   new startTime on resume), and writes active/ready/terminating.
// Times come from ctx.clock. Pods that lost their Job keep no finalizer.
//
// This module is job_controller.go's wiring, event handlers, claiming Pods and syncJob; context.ts
// holds what a sync works with, manage.ts the Pod creations and deletions (manageJob), tracking.ts
// the finalizer tracking and the status writes (trackJobStatusAndRemoveFinalizers), indexed.ts the
// Indexed mode's indexes (indexed_job_utils.go), policy.ts the pure rules: podFailurePolicy,
// successPolicy, the backoff (backoff_utils.go).
import type { KubeObject } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { isJobFinished, type JobObj } from '../../registry/batch/job.js';
import { requireDef } from '../../registry/kinds.js';
import { clone, rfc3339 } from '../../apimachinery/meta.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import type { Controller, ControllerContext } from '../context.js';
import { claim, controllerOf } from '../workload/controller-ref.js';
import { createExpectations } from '../workload/expectations.js';
import { resolveControllerRef, wouldAdopt } from '../workload/owner-events.js';
import { createWakeups } from '../workload/wakeups.js';
import { isPodActive, isPodReady, isPodTerminal } from '../workload/pods.js';
import {
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  matchPodFailurePolicy,
  nextBackoffRecord,
  validIndex,
  type BackoffRecord,
} from './policy.js';
import { gone, MANAGER, type Cond, type JobContext } from './context.js';
import { indexedProgress } from './indexed.js';
import { manageJob } from './manage.js';
import { newCondition, removeFinalizer, trackStatus } from './tracking.js';

const COMPONENT = 'job-controller';
const JOBS = 'batch/jobs';
const OWNER_INDEX = 'job-controller/owner';
const ORPHAN_INDEX = 'job-controller/orphans';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
const ORPHAN_PREFIX = 'pod|';

export function startJobController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock } = ctx;
  const jobDef = requireDef(defs, 'batch', 'jobs');
  const podDef = requireDef(defs, '', 'pods');
  const jobInformer = informers.for(JOBS);
  const podInformer = informers.for('pods');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), COMPONENT, (err) => log.debug({ err }, 'event not recorded'));
  const expectations = createExpectations(() => clock.now());
  /** UIDs of Pods whose finalizer removal is awaited, per Job (upstream finalizerExpectations). */
  const rmFinalizers = new Map<string, Set<string>>();
  const backoffs = new Map<string, BackoffRecord>();

  podInformer.addIndex(OWNER_INDEX, (o) => {
    const ref = controllerOf(o);
    return ref && ref.kind === 'Job' ? [ref.uid] : [];
  });
  podInformer.addIndex(ORPHAN_INDEX, (o) => (controllerOf(o) ? [] : [o.metadata.namespace ?? '']));

  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const nowIso = () => rfc3339(new Date(clock.now()));

  /** Requeue a key after ms of the controllers' clock (the earliest wins). */
  const wakeups = createWakeups(clock, (key) => queue.add(key));
  const requeueAfter = wakeups.after;

  const c: JobContext = {
    registry,
    jobDef,
    podDef,
    record,
    expectations,
    rmFinalizers,
    backoffs,
    nowMs: () => clock.now(),
    nowIso,
    requeueAfter,
    admitted: ctx.admitted,
  };

  /** The Job's selector picks this object (never an empty or missing selector). */
  const selects = (job: JobObj, o: KubeObject) => wouldAdopt(job.spec?.selector, o.metadata.labels);

  /** The Job a Pod's controller reference names, from the cache, if it is that very Job. */
  const jobOfPod = (p: KubeObject): JobObj | undefined =>
    resolveControllerRef<JobObj>(jobInformer, 'Job', p.metadata.namespace ?? '', controllerOf(p));

  // ---- event handlers ----

  const enqueueForPod = (p: PodObj) => {
    const ref = controllerOf(p);
    if (ref) {
      if (ref.kind !== 'Job') return;
      const job = jobOfPod(p);
      if (job && !isJobFinished(job)) queue.add(keyOf(job));
      else if (hasTrackingFinalizer(p)) queue.add(`${ORPHAN_PREFIX}${keyOf(p)}`);
      return;
    }
    // An orphan: the Jobs that would adopt it; with none, a leftover finalizer goes.
    let any = false;
    for (const j of jobInformer.list(p.metadata.namespace ?? '') as JobObj[]) {
      if (selects(j, p)) {
        any = true;
        queue.add(keyOf(j));
      }
    }
    if (!any && hasTrackingFinalizer(p)) queue.add(`${ORPHAN_PREFIX}${keyOf(p)}`);
  };

  const observeDeletion = (p: PodObj) => {
    const job = jobOfPod(p);
    if (job) expectations.deletionObserved(keyOf(job), p.metadata.uid);
  };

  const observeFinalizerGone = (p: PodObj) => {
    const job = jobOfPod(p);
    if (job) rmFinalizers.get(keyOf(job))?.delete(p.metadata.uid ?? '');
  };

  const stopPods = podInformer.on({
    add: (o) => {
      const p = o as PodObj;
      const job = jobOfPod(p);
      if (job) {
        expectations.creationObserved(keyOf(job));
        if (p.metadata.deletionTimestamp) observeDeletion(p);
      }
      enqueueForPod(p);
    },
    update: (o, old) => {
      const p = o as PodObj;
      const was = old as PodObj;
      if (p.metadata.deletionTimestamp && !was.metadata.deletionTimestamp) observeDeletion(p);
      if (hasTrackingFinalizer(was) && !hasTrackingFinalizer(p)) observeFinalizerGone(p);
      const oldRef = controllerOf(was);
      const newRef = controllerOf(p);
      if (oldRef && oldRef.uid !== newRef?.uid) enqueueForPod(was);
      enqueueForPod(p);
    },
    delete: (o) => {
      const p = o as PodObj;
      observeDeletion(p);
      observeFinalizerGone(p);
      const job = jobOfPod(p);
      if (job) queue.add(keyOf(job));
    },
  });

  const stopJobs = jobInformer.on({
    add: (o) => queue.add(keyOf(o)),
    update: (o) => queue.add(keyOf(o)),
    delete: (o) => {
      queue.add(keyOf(o));
      // Its Pods, and the ones an orphaning delete has just released, keep no finalizer.
      const released = (podInformer.byIndex(ORPHAN_INDEX, o.metadata.namespace ?? '') as PodObj[]).filter((p) => selects(o as JobObj, p));
      for (const p of [...podInformer.byIndex(OWNER_INDEX, o.metadata.uid ?? ''), ...released])
        if (hasTrackingFinalizer(p as PodObj)) queue.add(`${ORPHAN_PREFIX}${keyOf(p)}`);
    },
  });

  // ---- the sync ----

  const podsForJob = (job: JobObj): PodObj[] => {
    const ns = job.metadata.namespace ?? '';
    const candidates = [
      ...(podInformer.byIndex(OWNER_INDEX, job.metadata.uid ?? '') as PodObj[]),
      ...(podInformer.byIndex(ORPHAN_INDEX, ns) as PodObj[]).filter((p) => selects(job, p)),
    ];
    if (!candidates.length) return [];
    return claim(job, candidates, {
      registry,
      def: podDef,
      matches: (o) => selects(job, o),
      fresh: () => {
        try {
          return registry.get(jobDef, ns, job.metadata.name!);
        } catch {
          return undefined;
        }
      },
      fieldManager: MANAGER,
    });
  };

  const ensureCondition = (job: JobObj, type: string, status: 'True' | 'False', reason: string, message: string): boolean => {
    const conds = (job.status!.conditions ??= []);
    const now = nowIso();
    const cond = conds.find((x) => x.type === type);
    if (cond) {
      if (cond.status !== status || cond.reason !== reason || cond.message !== message) {
        if (cond.status !== status) cond.lastTransitionTime = now;
        cond.status = status;
        cond.reason = reason;
        cond.message = message;
        cond.lastProbeTime = now;
        return true;
      }
      return false;
    }
    if (status === 'False') return false;
    conds.push(newCondition(type, status, reason, message, now));
    return true;
  };

  const syncJob = async (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    let job: JobObj;
    try {
      job = clone(registry.get(jobDef, ns, name)) as JobObj;
    } catch (e) {
      if (!gone(e)) throw e;
      expectations.forget(key);
      rmFinalizers.delete(key);
      backoffs.delete(key);
      return;
    }
    const spec = job.spec;
    if (!spec) return;
    if (spec.managedBy && spec.managedBy !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(job)) {
      backoffs.delete(key);
      return;
    }
    if (spec.completionMode && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      record(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const status = (job.status ??= {});
    const uncountedStatus = (status.uncountedTerminatedPods ??= {});
    const satisfied = expectations.satisfied(key);
    const pods = podsForJob(job);
    const activePods = pods.filter(isPodActive);
    let ready = activePods.filter(isPodReady).length;
    let terminating = pods.filter((p) => p.metadata.deletionTimestamp && !isPodTerminal(p)).length;
    const uncounted = { succeeded: new Set(uncountedStatus.succeeded ?? []), failed: new Set(uncountedStatus.failed ?? []) };
    const expectedRm = rmFinalizers.get(key) ?? new Set<string>();
    const indexed = isIndexed(job);

    const validPods = (skip: Set<string>, f: (p: PodObj) => boolean) =>
      pods.filter((p) => {
        const uid = p.metadata.uid ?? '';
        if (!hasTrackingFinalizer(p) || skip.has(uid) || expectedRm.has(uid)) return false;
        if (indexed && validIndex(job, p) < 0) return false;
        return f(p);
      });
    const newSucceeded = validPods(uncounted.succeeded, (p) => p.status?.phase === 'Succeeded');
    const newFailed = validPods(uncounted.failed, (p) => isPodFailed(p, job));
    const nonIgnored = spec.podFailurePolicy
      ? newFailed.filter((p) => matchPodFailurePolicy(spec.podFailurePolicy, p).count).length
      : newFailed.length;
    let succeeded = (status.succeeded ?? 0) + newSucceeded.length + uncounted.succeeded.size;
    const failed = (status.failed ?? 0) + nonIgnored + uncounted.failed.size;

    if (!status.startTime && !spec.suspend) status.startTime = nowIso();
    const newBackoff = nextBackoffRecord(backoffs.get(key), newSucceeded, newFailed);

    let finished: Cond | undefined;
    const scm = status.conditions?.find((x) => x.type === 'SuccessCriteriaMet' && x.status === 'True');
    if (scm) finished = { type: 'SuccessCriteriaMet', reason: scm.reason ?? '', message: scm.message ?? '' };
    if (!finished) {
      const ft = status.conditions?.find((x) => x.type === 'FailureTarget' && x.status === 'True');
      if (ft) finished = { type: 'Failed', reason: ft.reason ?? '', message: ft.message ?? '' };
      else if (spec.podFailurePolicy) {
        for (const p of pods) {
          if (!isPodFailed(p, job)) continue;
          const m = matchPodFailurePolicy(spec.podFailurePolicy, p).failJobMessage;
          if (m) {
            finished = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: m };
            break;
          }
        }
      }
    }
    if (!finished) {
      const limit = spec.backoffLimit ?? 6;
      if (failed > limit || pastBackoffLimitOnFailure(job, pods)) {
        finished = { type: 'FailureTarget', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (spec.activeDeadlineSeconds != null && status.startTime && !spec.suspend) {
        const left = spec.activeDeadlineSeconds * 1000 - (clock.now() - Date.parse(status.startTime));
        if (left <= 0)
          finished = { type: 'FailureTarget', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
        else requeueAfter(key, left);
      }
    }

    // Indexed: the completed (and failed) indexes.
    let succeededIdx = new Set<number>();
    let prevSucceededIdx = new Set<number>();
    let failedIdx: Set<number> | undefined;
    let lastFailedPerIndex = new Map<number, PodObj>();
    if (indexed) {
      ({ prevSucceededIdx, succeededIdx, failedIdx, lastFailedPerIndex, finished } = indexedProgress(job, pods, finished));
      succeeded = succeededIdx.size;
    }

    let active = activePods.length;
    let suspendChanged = false;
    let manageErr: unknown;
    if (finished) {
      let deleted = 0;
      for (const p of activePods) {
        try {
          registry.delete(podDef, ns, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
          deleted++;
          if (isPodReady(p)) ready--;
        } catch (e) {
          if (gone(e) || (e instanceof StatusError && e.code === 409)) {
            deleted++;
            if (isPodReady(p)) ready--;
          } else manageErr = e;
        }
      }
      if (deleted !== active || !satisfied) finished = undefined;
      active -= deleted;
      terminating += deleted;
    } else {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        try {
          const r = await manageJob(c, job, key, {
            activePods,
            succeeded,
            succeededIdx,
            failedIdx,
            terminating,
            backoff: newBackoff,
            lastFailedPerIndex,
          });
          active = r.active;
          ready -= r.removedReady;
          terminating += r.removed;
        } catch (e) {
          manageErr = e;
        }
        managed = true;
      }
      const complete = spec.completions == null ? succeeded > 0 && active === 0 : succeeded >= spec.completions && active === 0;
      if (complete)
        finished = { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      else if (managed) {
        if (spec.suspend) {
          if (ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended')) {
            suspendChanged = true;
            record(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed')) {
          suspendChanged = true;
          record(job, 'Normal', 'Resumed', 'Job resumed');
          status.startTime = nowIso();
        }
      }
    }

    const needsUpdate = suspendChanged || active !== (status.active ?? 0) || ready !== status.ready || terminating !== status.terminating;
    if (active) status.active = active;
    else delete status.active;
    status.ready = ready;
    status.terminating = terminating;

    trackStatus(c, job, key, {
      pods,
      finished,
      needsFlush: needsUpdate,
      expectedRm,
      uncounted,
      prevSucceededIdx,
      succeededIdx,
      failedIdx,
      terminating,
      newBackoff,
    });
    if (manageErr) throw manageErr;
  };

  /** A Pod whose Job is gone, finished or not selecting it keeps no finalizer (upstream's orphan queue). */
  const syncOrphan = (key: string) => {
    const [ns, name] = key.slice(ORPHAN_PREFIX.length).split('/') as [string, string];
    const p = podInformer.get(ns, name) as PodObj | undefined;
    if (!p || !hasTrackingFinalizer(p)) return;
    const ref = controllerOf(p);
    if (ref) {
      if (ref.kind !== 'Job') return;
      let job: JobObj | undefined;
      try {
        job = registry.get(jobDef, ns, ref.name) as JobObj;
      } catch (e) {
        if (!gone(e)) throw e;
      }
      if (job && job.metadata.uid === ref.uid && !isJobFinished(job)) return;
    } else {
      for (const j of jobInformer.list(ns) as JobObj[]) if (selects(j, p)) return;
    }
    removeFinalizer(c, p);
  };

  const queue = createQueue(
    'job',
    (key) => (key.startsWith(ORPHAN_PREFIX) ? syncOrphan(key) : syncJob(key)),
    (k, err) => log.debug({ err, job: k }, 'job sync failed'),
  );

  return {
    stop() {
      stopPods();
      stopJobs();
      wakeups.stop();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}

/** upstream pastBackoffLimitOnFailure: container restarts of running and pending Pods under OnFailure. */
function pastBackoffLimitOnFailure(job: JobObj, pods: PodObj[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}
