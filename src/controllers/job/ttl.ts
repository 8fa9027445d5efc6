// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a finished Job
// (Complete or Failed) with spec.ttlSecondsAfterFinished is deleted, with background propagation
// so its Pods go too, once that many seconds have passed since it finished (completionTime, else
// the finishing condition's lastTransitionTime). Time is ctx.clock's; the Job is read again
// before the delete, which is conditioned on its uid.
import type { JobObj } from '../../registry/batch/job.js';
import { isJobFinished } from '../../registry/batch/job.js';
import { requireDef } from '../../registry/kinds.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createQueue } from '../queue.js';
import type { Controller, ControllerContext } from '../context.js';

/** When a finished Job finished (ms), or undefined. */
export function jobFinishTime(job: JobObj): number | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const t = job.status?.completionTime ?? c.lastTransitionTime;
      const ms = t ? Date.parse(t) : NaN;
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
  return undefined;
}

export function startTTLAfterFinishedController(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock } = ctx;
  const jobDef = requireDef(defs, 'batch', 'jobs');
  const jobs = informers.for('batch/jobs');
  const timers = new Map<string, { at: number; cancel: () => void }>();

  const needsCleanup = (j: JobObj) => j.spec?.ttlSecondsAfterFinished != null && !j.metadata.deletionTimestamp && isJobFinished(j);
  const keyOf = (j: JobObj) => `${j.metadata.namespace ?? ''}/${j.metadata.name}`;

  const requeueAt = (key: string, at: number) => {
    const t = timers.get(key);
    if (t && t.at === at) return;
    t?.cancel();
    const cancel = clock.after(Math.max(0, at - clock.now()), () => {
      timers.delete(key);
      queue.add(key);
    });
    timers.set(key, { at, cancel });
  };

  const expireAt = (j: JobObj): number | undefined => {
    const fin = jobFinishTime(j);
    return fin === undefined ? undefined : fin + j.spec!.ttlSecondsAfterFinished! * 1000;
  };

  const reconcile = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    let job: JobObj;
    try {
      job = registry.get(jobDef, ns, name) as JobObj;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) {
        timers.get(key)?.cancel();
        timers.delete(key);
        return;
      }
      throw e;
    }
    if (!needsCleanup(job)) return;
    const at = expireAt(job);
    if (at === undefined) return;
    if (clock.now() < at) {
      requeueAt(key, at);
      return;
    }
    try {
      registry.delete(jobDef, ns, name, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } });
      log.debug({ job: key }, 'deleted finished job after its TTL');
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
    }
  };

  const queue = createQueue('ttl-after-finished', reconcile, (k, err) => log.debug({ err, job: k }, 'ttl-after-finished retry'));
  const enqueue = (o: unknown) => {
    const j = o as JobObj;
    if (needsCleanup(j)) queue.add(keyOf(j));
  };
  const stop = jobs.on({ add: enqueue, update: enqueue });

  return {
    stop() {
      stop();
      for (const t of timers.values()) t.cancel();
      timers.clear();
      queue.stop();
    },
    idle: () => queue.idle(),
  };
}
