// The CronJob controller (upstream pkg/controller/cronjob/cronjob_controllerv2.go): each CronJob
// is synced when it or one of its Jobs changes, and again just after its next schedule time (by
// ctx.clock, so tests drive schedules with a fake clock). A sync reconciles status.active with
// the Jobs the CronJob controls (SawCompletedJob, MissingJob, lastSuccessfulTime), deletes the
// oldest finished Jobs beyond the history limits, and when a schedule time has come (in the
// CronJob's time zone, within startingDeadlineSeconds, not suspended) creates the Job
// `<name>-<minutes since the epoch>` for it, honouring concurrencyPolicy (Forbid: skip while one
// runs, JobAlreadyActive; Replace: delete the running ones first). The Job name is the lock that
// keeps a schedule time from making two Jobs. A CronJob it cannot act on (a bad schedule or time
// zone) gets a Warning event and waits for its next change.
import type { KubeObject } from '../../apimachinery/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { clone } from '../../apimachinery/meta.js';
import { requireDef } from '../../registry/kinds.js';
import type { CronJobObj } from '../../registry/batch/cronjob.js';
import { CronParseError, loadLocationError, parseStandard, type CronSchedule } from '../../registry/batch/cron-schedule.js';
import { conditionTrue, isJobFinished, type JobObj } from '../../registry/batch/job.js';
import { createQueue } from '../queue.js';
import { eventRecorder, type EventRecorder } from '../events.js';
import type { Controller, ControllerContext } from '../context.js';
import { controllerOf } from '../workload/controller-ref.js';
import { resolveControllerRef } from '../workload/owner-events.js';
import { createWakeups } from '../workload/wakeups.js';
import {
  byJobStartTime,
  deleteFromActiveList,
  finishedCondition,
  inActiveList,
  inActiveListByName,
  jobFromTemplate,
  jobName,
  jobRef,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
  rfc1123z,
  timeString,
} from './utils.js';

const CRONJOBS = 'batch/cronjobs';
const JOBS = 'batch/jobs';
const OWNER_INDEX = 'cronjob-controller/owner';
const FIELD_MANAGER = 'kube-controller-manager';

const key = (ns: string, name: string) => `${ns}/${name}`;

/** What a sync has changed so far: the CronJob copy whose status is written back, and whether it must be. */
interface SyncState {
  cj: CronJobObj;
  updateStatus: boolean;
}

export function startCronJobController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock, store } = ctx;
  const cjDef = requireDef(defs, 'batch', 'cronjobs');
  const jobDef = requireDef(defs, 'batch', 'jobs');
  const cronJobs = informers.for(CRONJOBS);
  const jobs = informers.for(JOBS);
  jobs.addIndex(OWNER_INDEX, (j) => {
    const ref = controllerOf(j);
    return ref?.kind === 'CronJob' ? [key(j.metadata.namespace ?? '', ref.name)] : [];
  });
  const record: EventRecorder = eventRecorder(registry, requireDef(defs, '', 'events'), 'cronjob-controller', (err) =>
    log.debug({ err }, 'cronjob event not recorded'),
  );
  /** Events name the CronJob with its API identity. */
  const recorder = (cj: CronJobObj, type: 'Normal' | 'Warning', reason: string, message: string) =>
    record(registry.toAPI(cjDef, cj), type, reason, message);

  // Wake-ups by the controllers' clock, one per CronJob: the earliest asked for wins (as a delaying queue's AddAfter).
  const wakeups = createWakeups(clock, (k) => q.add(k));
  const enqueueAfter = wakeups.after;
  const forgetTimer = wakeups.cancel;

  /** The schedule as the controller runs it: in spec.timeZone, or local time; TZ= in the schedule is honoured (and warned about). */
  const scheduleOf = (cj: CronJobObj, warn: boolean): CronSchedule => {
    const schedule = cj.spec?.schedule ?? '';
    if (schedule.includes('TZ')) {
      if (warn)
        recorder(
          cj,
          'Warning',
          'UnsupportedSchedule',
          `CRON_TZ or TZ used in schedule ${JSON.stringify(schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
        );
      return parseStandard(schedule);
    }
    const tz = cj.spec?.timeZone;
    return parseStandard(schedule, tz !== undefined && tz !== null && !loadLocationError(tz) ? tz : undefined);
  };

  const jobsOf = (cj: CronJobObj): JobObj[] =>
    (jobs.byIndex(OWNER_INDEX, key(cj.metadata.namespace ?? '', cj.metadata.name!)) as JobObj[]).filter(
      (j) => j.metadata.namespace === cj.metadata.namespace,
    );

  const getJob = (ns: string, name: string): JobObj | undefined => store.get(JOBS, ns, name) as JobObj | undefined;

  /** upstream deleteJob: the Job (and, in the background, its Pods), then its place in status.active. */
  const deleteJob = (cj: CronJobObj, job: JobObj): boolean => {
    try {
      registry.delete(jobDef, job.metadata.namespace ?? '', job.metadata.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      recorder(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
      log.debug({ err, job: job.metadata.name }, 'deleting a job of a cronjob failed');
      return false;
    }
    deleteFromActiveList(cj, job.metadata.uid);
    recorder(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  };

  /** upstream cleanupFinishedJobs: the oldest finished Jobs beyond each history limit go. */
  const cleanupFinishedJobs = (cj: CronJobObj, js: JobObj[]): boolean => {
    const s = cj.spec;
    const succLimit = s?.successfulJobsHistoryLimit;
    const failLimit = s?.failedJobsHistoryLimit;
    if ((succLimit === undefined || succLimit === null) && (failLimit === undefined || failLimit === null)) return false;
    const succeeded: JobObj[] = [];
    const failed: JobObj[] = [];
    for (const j of js) {
      const c = finishedCondition(j);
      if (c === 'Complete') succeeded.push(j);
      else if (c === 'Failed') failed.push(j);
    }
    let updated = false;
    const removeOldest = (list: JobObj[], max: number) => {
      const n = list.length - max;
      if (n <= 0) return;
      list.sort(byJobStartTime);
      for (let i = 0; i < n; i++) if (deleteJob(cj, list[i]!)) updated = true;
    };
    if (succLimit !== undefined && succLimit !== null) removeOldest(succeeded, succLimit);
    if (failLimit !== undefined && failLimit !== null) removeOldest(failed, failLimit);
    return updated;
  };

  /**
   * upstream syncCronJob: reconcile status with the Jobs, then start the Job that is due, if any.
   * Returns when to sync again; `st` holds the status changes even when it throws.
   */
  const syncCronJob = (st: SyncState, js: JobObj[]): number | undefined => {
    let cj = st.cj;
    const now = clock.now();
    const children = new Set<string>();
    for (const j of js) {
      children.add(j.metadata.uid!);
      const found = inActiveList(cj, j.metadata.uid);
      const finished = isJobFinished(j);
      if (!found && !finished) {
        const fresh = store.get(CRONJOBS, cj.metadata.namespace ?? '', cj.metadata.name!) as CronJobObj | undefined;
        if (!fresh) throw new Error(`cronjob ${cj.metadata.namespace}/${cj.metadata.name} is gone`);
        if (inActiveList(fresh, j.metadata.uid)) {
          cj = st.cj = clone(fresh);
          continue;
        }
        // Not ours by our records: a Job created by hand with us as its controller (create job --from), or one we forgot.
        recorder(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (finished) {
        if (found) {
          deleteFromActiveList(cj, j.metadata.uid);
          recorder(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finishedCondition(j) ?? ''}`);
          st.updateStatus = true;
        }
        if (conditionTrue(j, 'Complete')) {
          const done = j.status?.completionTime;
          const last = cj.status?.lastSuccessfulTime;
          if (done && (!last || Date.parse(done) > Date.parse(last))) {
            cj.status = { ...cj.status, lastSuccessfulTime: done };
            st.updateStatus = true;
          }
        }
      }
    }
    // Active Jobs that are gone (checked against the store, not the cache).
    for (const ref of [...(cj.status?.active ?? [])]) {
      if (ref.uid && children.has(ref.uid)) continue;
      if (!getJob(ref.namespace ?? cj.metadata.namespace ?? '', ref.name ?? '')) {
        recorder(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        deleteFromActiveList(cj, ref.uid);
        st.updateStatus = true;
      }
    }
    if (cj.metadata.deletionTimestamp) return undefined;
    const tz = cj.spec?.timeZone;
    if (tz !== undefined && tz !== null) {
      const err = loadLocationError(tz);
      if (err) {
        recorder(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: ${err}`);
        return undefined;
      }
    }
    if (cj.spec?.suspend) return undefined;
    let sched: CronSchedule;
    try {
      sched = scheduleOf(cj, true);
    } catch (e) {
      if (!(e instanceof CronParseError)) throw e;
      recorder(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule ?? '')} : ${e.message}`);
      return undefined;
    }
    // upstream nextScheduleTime: the most recent unmet time within the starting deadline.
    const r = mostRecentScheduleTime(cj, now, sched, true);
    if (r.mostRecent === undefined || r.mostRecent > now) {
      if (r.error) {
        recorder(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule ?? ''} : ${r.error}`);
        return undefined;
      }
      return nextScheduleTimeDuration(cj, now, sched);
    }
    if (r.missed === 'many')
      recorder(
        cj,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    const scheduled = r.mostRecent;
    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && sds !== null && scheduled + sds * 1000 < now) {
      recorder(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return nextScheduleTimeDuration(cj, now, sched);
    }
    const name = jobName(cj, scheduled);
    const last = cj.status?.lastScheduleTime;
    if (inActiveListByName(cj, cj.metadata.namespace, name) || (last && Date.parse(last) === scheduled))
      return nextScheduleTimeDuration(cj, now, sched);
    const policy = cj.spec?.concurrencyPolicy;
    if (policy === 'Forbid' && (cj.status?.active ?? []).length > 0) {
      recorder(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return nextScheduleTimeDuration(cj, now, sched);
    }
    if (policy === 'Replace') {
      for (const ref of [...(cj.status?.active ?? [])]) {
        const job = getJob(ref.namespace ?? cj.metadata.namespace ?? '', ref.name ?? '');
        if (!job) {
          recorder(cj, 'Warning', 'FailedGet', `Get job: jobs.batch "${ref.name}" not found`);
          throw new Error(`job ${ref.namespace}/${ref.name} not found`);
        }
        if (!deleteJob(cj, job)) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
        st.updateStatus = true;
      }
    }
    const ns = cj.metadata.namespace ?? '';
    let created: KubeObject;
    try {
      created = registry.create(jobDef, ns, jobFromTemplate(cj, scheduled), { fieldManager: FIELD_MANAGER, trusted: true }).object;
      recorder(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (err) {
      if (err instanceof StatusError && err.code === 409 && err.reason === 'AlreadyExists') {
        // Made before (our status write was lost) or by someone else: adopt it into active only if it is ours.
        const job = getJob(ns, name);
        if (!job) throw err;
        const ref = controllerOf(job);
        if (!ref || ref.uid !== cj.metadata.uid || inActiveList(cj, job.metadata.uid)) return undefined;
        log.info({ cronjob: `${ns}/${cj.metadata.name}`, job: name }, 'Job already exists');
        created = job;
      } else if (err instanceof StatusError && err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
        throw err;
      } else {
        recorder(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
    }
    cj.status = { ...cj.status, active: [...(cj.status?.active ?? []), jobRef(created)], lastScheduleTime: timeString(scheduled) };
    st.updateStatus = true;
    return nextScheduleTimeDuration(cj, now, sched);
  };

  const sync = (k: string) => {
    const [ns, name] = k.split('/') as [string, string];
    const cached = cronJobs.get(ns, name) as CronJobObj | undefined;
    if (!cached) {
      forgetTimer(k);
      return;
    }
    const st: SyncState = { cj: clone(cached), updateStatus: false };
    const js = jobsOf(cached);
    if (cleanupFinishedJobs(st.cj, js)) st.updateStatus = true;
    let requeueAfter: number | undefined;
    let syncErr: unknown;
    try {
      requeueAfter = syncCronJob(st, js);
    } catch (err) {
      syncErr = err;
    }
    if (st.updateStatus) {
      // With the resourceVersion read: a stale cache gives a conflict, and the queue retries.
      registry.update(cjDef, ns, name, { ...st.cj, status: st.cj.status ?? {} }, { subresource: 'status', fieldManager: FIELD_MANAGER });
    }
    if (requeueAfter !== undefined) {
      enqueueAfter(k, requeueAfter);
      return;
    }
    if (syncErr) throw syncErr;
  };

  const q = createQueue('cronjob', sync, (k, err) => log.debug({ err, cronjob: k }, 'cronjob sync failed; retrying'));

  /** The CronJob controlling a Job (same name and uid), if any. */
  const ownerKey = (j: KubeObject): string | undefined => {
    const ns = j.metadata.namespace ?? '';
    const cj = resolveControllerRef(cronJobs, 'CronJob', ns, controllerOf(j));
    return cj ? key(ns, cj.metadata.name!) : undefined;
  };

  const unsubs = [
    cronJobs.on({
      add: (o) => q.add(key(o.metadata.namespace ?? '', o.metadata.name!)),
      update: (o, old) => {
        const k = key(o.metadata.namespace ?? '', o.metadata.name!);
        const cj = o as CronJobObj;
        const prev = old as CronJobObj;
        if (cj.spec?.schedule !== prev.spec?.schedule || (cj.spec?.timeZone ?? undefined) !== (prev.spec?.timeZone ?? undefined)) {
          // A new schedule: wake up at its next time (a sync now would find nothing due).
          let sched: CronSchedule;
          try {
            sched = scheduleOf(cj, false);
          } catch (e) {
            if (!(e instanceof CronParseError)) throw e;
            recorder(cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cj.spec?.schedule ?? ''}`);
            return;
          }
          const d = nextScheduleTimeDuration(cj, clock.now(), sched);
          if (d !== undefined) enqueueAfter(k, d);
          return;
        }
        q.add(k);
      },
      delete: (o) => q.add(key(o.metadata.namespace ?? '', o.metadata.name!)),
    }),
    jobs.on({
      add: (j) => {
        const k = ownerKey(j);
        if (k) q.add(k);
      },
      update: (j, old) => {
        const ok = ownerKey(old);
        const k = ownerKey(j);
        if (ok && ok !== k) q.add(ok);
        if (k) q.add(k);
      },
      delete: (j) => {
        const k = ownerKey(j);
        if (k) q.add(k);
      },
    }),
  ];

  return {
    stop() {
      for (const u of unsubs) u();
      wakeups.stop();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
