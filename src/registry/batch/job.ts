// Job (batch/v1): the types, the well-known label, annotation and finalizer names (k8s.io/api
// batch/v1 types.go), the index lists of Indexed Jobs ("1,3-5,7": upstream validateIndexesFormat
// and the controller's parser and printer) and the finished conditions, as the registry, the Job,
// CronJob and TTL controllers share them. The kind itself is in job-strategy.ts (defaults and
// strategy), with job-validation.ts and job-printing.ts.
import type { Job, JobSpec as V1JobSpec } from '../../api/generated/batch/v1.js';
import type { Obj } from '../define.js';
import type { PodTemplateSpec } from '../podtemplate.js';

export type { JobCondition, JobStatus } from '../../api/generated/batch/v1.js';
export type JobSpec = Omit<V1JobSpec, 'template'> & { template: PodTemplateSpec };
export type JobObj = Obj<Omit<Job, 'spec'> & { spec?: JobSpec }>;

// ---- well-known names (k8s.io/api/batch/v1 types.go) ----

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const JOB_INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
export const JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';

// ---- indexes ("1,3-5,7") ----

/** One interval of an index list: [first, last], or an upstream error text. */
function parseInterval(s: string, completions: number): [number, number] | string {
  const parts = s.split('-');
  if (parts.length > 2)
    return `the fragment ${JSON.stringify(s)} violates the requirement that an index interval can have at most two parts separated by '-'`;
  const num = (p: string) => (/^[+-]?\d+$/.test(p) ? Number(p) : undefined);
  const x = num(parts[0]!);
  if (x === undefined) return `cannot convert string to integer for index: ${JSON.stringify(parts[0])}`;
  if (x >= completions) return `too large index: ${JSON.stringify(parts[0])}`;
  if (parts.length === 1) return [x, x];
  const y = num(parts[1]!);
  if (y === undefined) return `cannot convert string to integer for index: ${JSON.stringify(parts[1])}`;
  if (y >= completions) return `too large index: ${JSON.stringify(parts[1])}`;
  if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
  return [x, y];
}

/** upstream validateIndexesFormat: the number of indexes, or an error text. */
export function validateIndexesFormat(s: string, completions: number): number | string {
  if (!s) return 0;
  let last: number | undefined;
  let total = 0;
  for (const part of s.split(',')) {
    const r = parseInterval(part, completions);
    if (typeof r === 'string') return r;
    if (last !== undefined && last >= r[0]) return `non-increasing order, previous: ${last}, current: ${r[0]}`;
    total += r[1] - r[0] + 1;
    last = r[1];
  }
  return total;
}

/** The indexes of a well-formed list below `completions` (bad fragments skipped, as the controller's parser does). */
export function parseIndexes(s: string | undefined, completions: number): number[] {
  const out: number[] = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-');
    const x = Number(a);
    const y = b === undefined ? x : Number(b);
    if (!Number.isInteger(x) || !Number.isInteger(y)) continue;
    for (let i = x; i <= y && i < completions; i++) if (i >= 0) out.push(i);
  }
  return out;
}

/** Sorted distinct indexes as upstream's compressed text: `0-2,5,7,8`. */
export function formatIndexes(idx: Iterable<number>): string {
  const sorted = [...new Set(idx)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    // Two neighbours print as `3,4`, longer runs as `3-5` (upstream orderedIntervals.String).
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}${j === i + 1 ? ',' : '-'}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

// ---- conditions ----

export const conditionTrue = (job: JobObj, type: string): boolean =>
  !!job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
export const isJobFinished = (job: JobObj): boolean => conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed');
