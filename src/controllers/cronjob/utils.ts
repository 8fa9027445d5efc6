// The CronJob controller's time arithmetic and Job bookkeeping (upstream
// pkg/controller/cronjob/utils.go): the most recent unmet schedule time since the last one (or
// the CronJob's creation), bounded by startingDeadlineSeconds; how many were missed; when to wake
// up next; the Job a schedule time makes; and which finished Jobs are oldest.
import type { ObjectReference } from '../../api/generated/core/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { clone, rfc3339 } from '../../apimachinery/meta.js';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobObj } from '../../registry/batch/cronjob.js';
import type { CronSchedule } from '../../registry/batch/cron-schedule.js';
import { formatRFC3339In } from '../../registry/batch/cron-schedule.js';
import type { JobObj } from '../../registry/batch/job.js';

/** upstream nextScheduleDelta: wake up a little after the schedule time, against clock skew. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export type Missed = 'none' | 'few' | 'many';

const parseTime = (s: string | null | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

export interface MostRecent {
  /** The last schedule time, or the creation time. */
  earliest: number;
  /** The most recent time a Job should have been created at (not after now), if any. */
  mostRecent?: number;
  missed: Missed;
  /** A schedule that parses but never fires twice a second apart (`0 0 30 2 *`). */
  error?: string;
}

/** upstream mostRecentScheduleTime. */
export function mostRecentScheduleTime(cj: CronJobObj, now: number, sched: CronSchedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = parseTime(cj.metadata.creationTimestamp) ?? now;
  const last = parseTime(cj.status?.lastScheduleTime);
  if (last !== undefined) earliest = last;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && sds !== undefined && sds !== null) {
    const deadline = now - sds * 1000;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = sched.next(earliest);
  const t2 = t1 === undefined ? undefined : sched.next(t1);
  if (t1 !== undefined && now < t1) return { earliest, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // A schedule that never fires (Feb 30) gives Go's zero time for both: no interval between them.
  const between = t1 !== undefined && t2 !== undefined ? Math.round((t2 - t1) / 1000) : 0;
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // Roughly how many fit between t1 and now; then the exact most recent one near the end.
  const elapsed = Math.trunc((now - t1!) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  const potentialEarliest = t1! + (missedCount - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (let t = sched.next(potentialEarliest); t !== undefined && t <= now; t = sched.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/**
 * upstream nextScheduleTimeDuration: ms from now until just after the next schedule time
 * (undefined when the schedule has none).
 */
export function nextScheduleTimeDuration(cj: CronJobObj, now: number, sched: CronSchedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, sched, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  const next = sched.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** upstream getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`. */
export const jobName = (cj: CronJobObj, scheduled: number): string => `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;

/** upstream getJobFromTemplate2: the Job for a schedule time, owned by the CronJob. */
export function jobFromTemplate(cj: CronJobObj, scheduled: number): JobObj {
  const tmpl = cj.spec?.jobTemplate;
  const annotations: Record<string, string> = { ...(tmpl?.metadata?.annotations ?? {}) };
  annotations[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] = formatRFC3339In(scheduled, cj.spec?.timeZone ?? '');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduled),
      namespace: cj.metadata.namespace,
      ...(tmpl?.metadata?.labels && Object.keys(tmpl.metadata.labels).length ? { labels: { ...tmpl.metadata.labels } } : {}),
      annotations,
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cj.metadata.name!,
          uid: cj.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: clone(tmpl?.spec ?? { template: {} }),
  };
}

/** upstream getRef: the Job as an ObjectReference in status.active. */
export function jobRef(job: KubeObject): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata.resourceVersion,
  };
}

export const inActiveList = (cj: CronJobObj, uid: string | undefined): boolean => (cj.status?.active ?? []).some((r) => r.uid === uid);

export const inActiveListByName = (cj: CronJobObj, ns: string | undefined, name: string): boolean =>
  (cj.status?.active ?? []).some((r) => r.name === name && r.namespace === ns);

export function deleteFromActiveList(cj: CronJobObj, uid: string | undefined): void {
  cj.status ??= {};
  const active = (cj.status.active ?? []).filter((r) => r.uid !== uid);
  // An empty list is left out, as Go's omitempty does.
  if (active.length) cj.status.active = active;
  else delete cj.status.active;
}

/** The first of Complete or Failed that is True (upstream getFinishedStatus / jobutil.FinishedCondition). */
export function finishedCondition(job: JobObj): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** upstream byJobStartTime: started Jobs first, oldest first, then by name. */
export function byJobStartTime(a: JobObj, b: JobObj): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
  return sa! - sb!;
}

/** Go's time.RFC1123Z of an instant in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function rfc1123z(t: number): string {
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

export const timeString = (t: number): string => rfc3339(new Date(t));
