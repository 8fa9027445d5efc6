// The pure parts of the Job controller (upstream pkg/controller/job: pod_failure_policy.go,
// success_policy.go, backoff_utils.go, indexed_job_utils.go): which rule of a podFailurePolicy a
// failed Pod matches, whether a successPolicy is met, the exponential delay before replacing failed
// Pods (10 s doubling to 10 min, after the last failure), and a Pod's completion index.
import type { ContainerStatus, PodCondition } from '../../api/generated/core/v1.js';
import type { PodFailurePolicy, SuccessPolicy } from '../../api/generated/batch/v1.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER, parseIndexes, type JobObj } from '../../registry/batch/job.js';

/** upstream DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;
/** upstream MaxUncountedPods and MaxPodCreateDeletePerSync. */
export const MAX_UNCOUNTED_PODS = 500;
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export const hasTrackingFinalizer = (p: PodObj): boolean => !!p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER);
export const isIndexed = (job: JobObj): boolean => job.spec?.completionMode === 'Indexed';
export const hasBackoffLimitPerIndex = (job: JobObj): boolean => isIndexed(job) && job.spec?.backoffLimitPerIndex != null;

/** upstream getCompletionIndex: the annotation's index, or -1. */
export function completionIndex(p: PodObj): number {
  const v = p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  const n = Number(v);
  return n <= 2 ** 31 - 1 ? n : -1;
}

/** The index a Pod of this Job counts for, or -1 when it has none below completions. */
export function validIndex(job: JobObj, p: PodObj): number {
  const ix = completionIndex(p);
  return ix >= 0 && ix < (job.spec?.completions ?? 0) ? ix : -1;
}

/** upstream onlyReplaceFailedPods: podReplacementPolicy Failed, or a podFailurePolicy. */
export const onlyReplaceFailedPods = (job: JobObj): boolean => job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;

/**
 * upstream isPodFailed: phase Failed; else (unless only failed Pods are replaced) a Pod being
 * deleted before it succeeded counts as failed.
 */
export function isPodFailed(p: PodObj, job: JobObj): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

export interface PolicyMatch {
  /** FailJob's message. */
  failJobMessage?: string;
  /** Whether the failure counts towards backoffLimit (false for Ignore). */
  count: boolean;
  action?: 'Ignore' | 'FailIndex' | 'Count' | 'FailJob';
}

function matchingContainer(
  statuses: ContainerStatus[] | undefined,
  name: string | undefined,
  op: string,
  values: number[],
): ContainerStatus | undefined {
  for (const s of statuses ?? []) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (name && name !== s.name) continue;
    const inValues = values.includes(code);
    if ((op === 'In' && inValues) || (op === 'NotIn' && !inValues)) return s;
  }
  return undefined;
}

/** upstream matchPodFailurePolicy: the first rule matching the failed Pod decides. */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, p: PodObj): PolicyMatch {
  if (!policy) return { count: true };
  const rules = policy.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    let matched: string | undefined;
    if (r.onExitCodes) {
      const req = r.onExitCodes;
      const cs =
        matchingContainer(p.status?.containerStatuses, req.containerName, req.operator, req.values ?? []) ??
        matchingContainer(p.status?.initContainerStatuses, req.containerName, req.operator, req.values ?? []);
      if (cs)
        matched = `Container ${cs.name} for pod ${p.metadata.namespace}/${p.metadata.name} failed with exit code ${cs.state!.terminated!.exitCode} matching ${r.action} rule at index ${i}`;
    } else if (r.onPodConditions) {
      let cond: PodCondition | undefined;
      for (const c of p.status?.conditions ?? []) {
        if (r.onPodConditions.some((pat) => pat.type === c.type && pat.status === c.status)) {
          cond = c;
          break;
        }
      }
      if (cond)
        matched = `Pod ${p.metadata.namespace}/${p.metadata.name} has condition ${cond.type} matching ${r.action} rule at index ${i}`;
    }
    if (matched === undefined) continue;
    switch (r.action) {
      case 'Ignore':
        return { count: false, action: 'Ignore' };
      case 'FailIndex':
        return { count: true, action: 'FailIndex' };
      case 'Count':
        return { count: true, action: 'Count' };
      case 'FailJob':
        return { failJobMessage: matched, count: true, action: 'FailJob' };
    }
    // An unknown action: clients skip the rule.
  }
  return { count: true };
}

/** upstream matchSuccessPolicy: the message of the first rule the succeeded indexes meet. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: Set<number>): string | undefined {
  if (!policy || !succeeded.size) return undefined;
  const rules = policy.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.succeededIndexes != null) {
      const required = parseIndexes(r.succeededIndexes, completions);
      if (!required.length) continue;
      const have = required.filter((x) => succeeded.has(x)).length;
      if (r.succeededCount == null ? have === required.length : have >= r.succeededCount) return `Matched rules at index ${i}`;
    } else if (r.succeededCount != null && succeeded.size >= r.succeededCount) return `Matched rules at index ${i}`;
  }
  return undefined;
}

/** upstream getFinishedTime: the last container's finish, the Ready=False transition, the deletion, or the creation. */
export function finishedTime(p: PodObj): number {
  let latest: number | undefined;
  for (const s of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    const t = s.state?.terminated?.finishedAt;
    if (t) {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms) && (latest === undefined || ms > latest)) latest = ms;
    }
  }
  if (latest !== undefined) return latest;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False')?.lastTransitionTime;
  if (ready) return Date.parse(ready);
  if (p.metadata.deletionTimestamp) return Date.parse(p.metadata.deletionTimestamp);
  return Date.parse(p.metadata.creationTimestamp ?? '') || 0;
}

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** upstream newBackoffRecord: failures since the newest success, and when the last one happened. */
export function nextBackoffRecord(old: BackoffRecord | undefined, succeeded: PodObj[], failed: PodObj[]): BackoffRecord {
  const rec: BackoffRecord = { failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
  const failTimes = failed.map(finishedTime).sort((a, b) => a - b);
  if (!succeeded.length) {
    if (!failTimes.length) return rec;
    return { failuresAfterLastSuccess: rec.failuresAfterLastSuccess + failTimes.length, lastFailureTime: failTimes[failTimes.length - 1] };
  }
  const lastSuccess = Math.max(...succeeded.map(finishedTime));
  const out: BackoffRecord = { failuresAfterLastSuccess: 0 };
  for (let i = failTimes.length - 1; i >= 0; i--) {
    if (failTimes[i]! <= lastSuccess) break;
    out.lastFailureTime ??= failTimes[i];
    out.failuresAfterLastSuccess++;
  }
  return out;
}

/** upstream getRemainingTimeForFailuresCount: ms until a replacement may be created. */
export function remainingBackoff(failures: number, lastFailure: number | undefined, now: number): number {
  if (!failures || lastFailure === undefined) return 0;
  let d = POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < failures; i++) {
    d *= 2;
    if (d >= MAX_POD_FAILURE_BACKOFF_MS) {
      d = MAX_POD_FAILURE_BACKOFF_MS;
      break;
    }
  }
  const elapsed = now - lastFailure;
  return d < elapsed ? 0 : d - elapsed;
}

/** upstream podGenerateNameWithIndex: `<job>-<index>-`, the job's name cut to fit. */
export function generateNameWithIndex(jobName: string, index: number): string {
  const append = `-${index}-`;
  const max = 63 - 5; // validation.DNS1123LabelMaxLength - the random suffix
  const base = jobName.length + append.length > max ? jobName.slice(0, max - append.length) : jobName;
  return `${base}${append}`;
}
