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
import type { KubeObject } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { EnvVar } from '../../api/generated/core/v1.js';
import {
  formatIndexes,
  isJobFinished,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_INDEX_FAILURE_COUNT_ANNOTATION,
  JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  JOB_TRACKING_FINALIZER,
  parseIndexes,
  type JobCondition,
  type JobObj,
} from '../../registry/batch/job.js';
import { requireDef } from '../../registry/kinds.js';
import { clone, rfc3339 } from '../../apimachinery/meta.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { errText, type Controller, type ControllerContext } from '../context.js';
import { claim, controllerOf, controllerRef } from '../workload/controller-ref.js';
import { createExpectations } from '../workload/expectations.js';
import { resolveControllerRef, wouldAdopt } from '../workload/owner-events.js';
import { createWakeups } from '../workload/wakeups.js';
import { isPodActive, isPodReady, isPodTerminal } from '../workload/pods.js';
import { podFromTemplate } from '../workload/pod-template.js';
import {
  completionIndex,
  finishedTime,
  generateNameWithIndex,
  hasBackoffLimitPerIndex,
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  matchPodFailurePolicy,
  matchSuccessPolicy,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  MAX_UNCOUNTED_PODS,
  nextBackoffRecord,
  onlyReplaceFailedPods,
  remainingBackoff,
  validIndex,
  type BackoffRecord,
} from './policy.js';

const MANAGER = 'kube-controller-manager';
const COMPONENT = 'job-controller';
const JOBS = 'batch/jobs';
const OWNER_INDEX = 'job-controller/owner';
const ORPHAN_INDEX = 'job-controller/orphans';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
const ORPHAN_PREFIX = 'pod|';

const gone = (e: unknown) => e instanceof StatusError && e.code === 404;

interface Cond {
  type: string;
  reason: string;
  message: string;
}

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

  // ---- Pod writes ----

  const removeFinalizer = (p: PodObj): boolean => {
    if (!hasTrackingFinalizer(p)) return true;
    try {
      registry.patch(
        podDef,
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
  };

  const deletePod = (job: JobObj, p: PodObj): boolean => {
    try {
      registry.delete(podDef, p.metadata.namespace ?? '', p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
      record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      return true;
    } catch (e) {
      if (gone(e) || (e instanceof StatusError && e.code === 409)) return true;
      record(job, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
      return false;
    }
  };

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

  const writeStatus = (job: JobObj): JobObj => {
    const res = registry.update(jobDef, job.metadata.namespace ?? '', job.metadata.name!, clone(job), {
      subresource: 'status',
      fieldManager: MANAGER,
      trusted: true,
    });
    return res.object as JobObj;
  };

  const ensureCondition = (job: JobObj, type: string, status: 'True' | 'False', reason: string, message: string): boolean => {
    const conds = (job.status!.conditions ??= []);
    const now = nowIso();
    const c = conds.find((x) => x.type === type);
    if (c) {
      if (c.status !== status || c.reason !== reason || c.message !== message) {
        if (c.status !== status) c.lastTransitionTime = now;
        c.status = status;
        c.reason = reason;
        c.message = message;
        c.lastProbeTime = now;
        return true;
      }
      return false;
    }
    if (status === 'False') return false;
    conds.push(newCondition(type, status, reason, message, now));
    return true;
  };

  const newCondition = (type: string, status: string, reason: string, message: string, now = nowIso()): JobCondition => {
    const c: JobCondition = { type, status, lastProbeTime: now, lastTransitionTime: now };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  };

  const syncJob = (key: string) => {
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
    const completions = spec.completions ?? 0;

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
    const scm = status.conditions?.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
    if (scm) finished = { type: 'SuccessCriteriaMet', reason: scm.reason ?? '', message: scm.message ?? '' };
    if (!finished) {
      const ft = status.conditions?.find((c) => c.type === 'FailureTarget' && c.status === 'True');
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
    const lastFailedPerIndex = new Map<number, PodObj>();
    if (indexed) {
      prevSucceededIdx = new Set(parseIndexes(status.completedIndexes, completions));
      succeededIdx = new Set(prevSucceededIdx);
      for (const p of pods)
        if (p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && validIndex(job, p) >= 0) succeededIdx.add(completionIndex(p));
      succeeded = succeededIdx.size;
      if (hasBackoffLimitPerIndex(job)) {
        failedIdx = new Set(status.failedIndexes != null ? parseIndexes(status.failedIndexes, completions) : []);
        const perIndex = spec.backoffLimitPerIndex ?? 0;
        for (const p of pods) {
          if (p.status?.phase !== 'Failed' || validIndex(job, p) < 0) continue;
          const ix = completionIndex(p);
          const prev = lastFailedPerIndex.get(ix);
          if (
            !prev ||
            failureCount(prev) < failureCount(p) ||
            (failureCount(prev) === failureCount(p) && finishedTime(prev) < finishedTime(p))
          )
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
          const r = manageJob(job, key, {
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

    trackStatus(job, key, {
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

  interface Manage {
    activePods: PodObj[];
    succeeded: number;
    succeededIdx: Set<number>;
    failedIdx: Set<number> | undefined;
    terminating: number;
    backoff: BackoffRecord;
    lastFailedPerIndex: Map<number, PodObj>;
  }

  /** upstream manageJob: the Pods to create or delete; the active count after it. */
  const manageJob = (job: JobObj, key: string, m: Manage): { active: number; removed: number; removedReady: number } => {
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
          removeFinalizer(p);
          ok = deletePod(job, p);
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
      const wait = remainingBackoff(m.backoff.failuresAfterLastSuccess, m.backoff.lastFailureTime, clock.now());
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
                clock.now(),
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
        const res = registry.create(podDef, job.metadata.namespace ?? '', pod, { fieldManager: MANAGER, trusted: true });
        record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${res.object.metadata.name}`);
      } catch (e) {
        // The rest is not attempted (upstream's slow start stops at a failed batch).
        expectations.lowerCreations(key, diff - i);
        if (e instanceof StatusError && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating'))
          return { active: active + i, removed: 0, removedReady: 0 };
        record(job, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
        throw e;
      }
    }
    active += diff;
    return { active, removed: 0, removedReady: 0 };
  };

  interface Track {
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
  const trackStatus = (job: JobObj, key: string, t: Track) => {
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
      (status.conditions ??= []).push(newCondition('FailureTarget', 'True', finished.reason, finished.message));
      needsFlush = true;
      finished = { type: 'Failed', reason: finished.reason, message: finished.message };
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (!status.conditions?.some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True')) {
        (status.conditions ??= []).push(newCondition('SuccessCriteriaMet', 'True', finished.reason, finished.message));
        needsFlush = true;
      }
      finished = { type: 'Complete', reason: finished.reason, message: finished.message };
    }

    // Flush the uncounted UIDs (and interim conditions) before the finalizers go.
    let cur = job;
    if (needsFlush) {
      cur = writeStatus(job);
      backoffs.set(key, t.newBackoff);
      needsFlush = false;
    }
    if (toRemove.length) {
      const exp = rmFinalizers.get(key) ?? new Set<string>();
      rmFinalizers.set(key, exp);
      let err: unknown;
      for (const p of toRemove) {
        exp.add(p.metadata.uid ?? '');
        try {
          removeFinalizer(p);
          withFinalizer.delete(p.metadata.uid ?? '');
        } catch (e) {
          exp.delete(p.metadata.uid ?? '');
          err ??= e;
        }
      }
      if (cleanUncounted(cur, withFinalizer)) needsFlush = true;
      if (err) {
        if (needsFlush) writeStatus(cur);
        throw err;
      }
    }
    let jobFinished = false;
    if (!reachedMax && finished) {
      const u = cur.status!.uncountedTerminatedPods;
      if (!(u?.succeeded?.length || u?.failed?.length) && !(t.terminating > 0)) {
        const conds = (cur.status!.conditions ??= []);
        const now = nowIso();
        const c = conds.find((x) => x.type === finished!.type);
        if (c)
          Object.assign(c, {
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
      cur = writeStatus(cur);
      if (jobFinished) {
        if (finished!.type === 'Complete') {
          if (spec.completions != null && (cur.status?.succeeded ?? 0) > spec.completions)
            record(cur, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
          record(cur, 'Normal', 'Completed', 'Job completed');
        } else record(cur, 'Warning', finished!.reason, finished!.message);
      }
    }
  };

  /** upstream cleanUncountedPodsWithoutFinalizers: UIDs whose finalizer is gone move into the counters. */
  const cleanUncounted = (job: JobObj, withFinalizer: Set<string>): boolean => {
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
    removeFinalizer(p);
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

const failureCount = (p: PodObj): number => {
  const n = Number(p.metadata.annotations?.[JOB_INDEX_FAILURE_COUNT_ANNOTATION] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
};
const ignoredCount = (p: PodObj): number => {
  const n = Number(p.metadata.annotations?.[JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
};

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

/** upstream addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the annotation, in every container. */
function addCompletionIndexEnv(pod: PodObj): void {
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
function firstPendingIndexes(
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
