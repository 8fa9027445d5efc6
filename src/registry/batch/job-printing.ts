// The Job table (upstream pkg/printers/internalversion printers.go printJob): NAME STATUS
// COMPLETIONS DURATION AGE; wide CONTAINERS IMAGES SELECTOR. The SELECTOR column is printCronJob's too.
import { formatLabelSelector } from '../../apimachinery/selectors.js';
import { age, ageColumn, column, containerColumns, humanDuration, layoutContainerCells, nameColumn } from '../printers.js';
import { conditionTrue, type JobObj } from './job.js';

const has = (v: unknown) => v !== undefined && v !== null;

/** The wide SELECTOR column of printJob and printCronJob (both describe batchv1.JobSpec's selector). */
export const jobSelectorColumn = () =>
  column(
    'Selector',
    'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  );

/** printJob's STATUS column (kubectl 1.32). */
export function jobStatusText(job: JobObj): string {
  if (conditionTrue(job, 'Complete')) return 'Complete';
  if (conditionTrue(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (conditionTrue(job, 'Suspended')) return 'Suspended';
  if (conditionTrue(job, 'FailureTarget')) return 'FailureTarget';
  if (conditionTrue(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function completionsText(job: JobObj): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (has(job.spec?.completions)) return `${succeeded}/${job.spec!.completions}`;
  const p = job.spec?.parallelism ?? 0;
  return p > 1 ? `${succeeded}/1 of ${p}` : `${succeeded}/1`;
}

function durationText(job: JobObj, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return humanDuration((end ? Date.parse(end) : now.getTime()) - Date.parse(start));
}

export const JOB_COLUMNS = [
  nameColumn(),
  column('Status', 'Status of the job.'),
  column(
    'Completions',
    'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
  ),
  column('Duration', 'Time required to complete the job.'),
  ageColumn(),
  ...containerColumns(),
  jobSelectorColumn(),
];

export function jobRow(job: JobObj, now: Date): unknown[] {
  return [
    job.metadata.name,
    jobStatusText(job),
    completionsText(job),
    durationText(job, now),
    age(job, now),
    ...layoutContainerCells(job.spec?.template?.spec?.containers),
    formatLabelSelector(job.spec?.selector),
  ];
}
