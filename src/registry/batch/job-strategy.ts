// The Job kind (upstream pkg/apis/batch/v1/defaults.go SetDefaults_Job and
// pkg/registry/batch/job/strategy.go): defaults, the generated selector and template labels,
// generation, status reset, create warnings; the validation it runs (the status strategy's
// strengthened checks of JobManagedBy, beta and on in 1.32, among it) is job-validation.ts, the
// table job-printing.ts. batch/v1 deletes a Job's Pods only when asked: its default
// propagation is Orphan, as upstream's DefaultGarbageCollectionPolicy for batch/v1 (kubectl asks
// for Background).
import { schemas } from '../../api/generated/batch/v1.js';
import { defineKind } from '../define.js';
import { defaultPodTemplateSpec } from '../podtemplate.js';
import { semanticEqual } from '../pod/validation.js';
import { isDNS1123Label } from '../../apimachinery/validation.js';
import { CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, type JobObj } from './job.js';
import {
  COMPLETIONS_SOFT_LIMIT,
  PARALLELISM_LIMIT_HIGH_COMPLETIONS,
  validateJob,
  validateJobStatusUpdate,
  validateJobUpdate,
} from './job-validation.js';
import { JOB_COLUMNS, jobRow } from './job-printing.js';

const MAX_INT32 = 2147483647;
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const has = (v: unknown) => v !== undefined && v !== null;

// ---- defaults ----

/** SetDefaults_Job (and the template's PodSpec defaults). */
export function defaultJob(job: JobObj): void {
  if (!isObj(job.spec)) job.spec = { template: {} };
  const s = job.spec;
  if (!isObj(s.template)) s.template = {};
  defaultPodTemplateSpec(s.template);
  if (!has(s.completions) && !has(s.parallelism)) {
    s.completions = 1;
    s.parallelism = 1;
  }
  if (!has(s.parallelism)) s.parallelism = 1;
  if (!has(s.backoffLimit)) s.backoffLimit = has(s.backoffLimitPerIndex) ? MAX_INT32 : 6;
  const tl = s.template.metadata?.labels;
  if (tl && !Object.keys(job.metadata.labels ?? {}).length) job.metadata.labels = { ...tl };
  if (!has(s.completionMode)) s.completionMode = 'NonIndexed';
  if (!has(s.suspend)) s.suspend = false;
  for (const rule of s.podFailurePolicy?.rules ?? [])
    for (const p of rule?.onPodConditions ?? []) if (isObj(p) && !p.status) p.status = 'True';
  if (!has(s.podReplacementPolicy)) s.podReplacementPolicy = has(s.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  if (!has(s.manualSelector)) s.manualSelector = false;
}

/** upstream generateSelector: both job-name and both controller-uid labels, selected by the new uid label. */
function generateSelector(job: JobObj): void {
  const s = job.spec!;
  const meta = (s.template.metadata ??= {});
  const labels = (meta.labels ??= {});
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = job.metadata.name ?? '';
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = job.metadata.uid ?? '';
  const sel = (s.selector ??= {});
  const ml = (sel.matchLabels ??= {});
  if (!(CONTROLLER_UID_LABEL in ml)) ml[CONTROLLER_UID_LABEL] = job.metadata.uid ?? '';
}

/** The create warning of a Job or CronJob whose name is no DNS label (its Pods' names and hostnames derive from it). */
export function podNameWarning(name: string | undefined, out: string[]): void {
  const msgs = isDNS1123Label(name ?? '');
  if (msgs.length)
    out.push(
      `metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`,
    );
}

function warnings(job: JobObj, out: string[]): void {
  podNameWarning(job.metadata.name, out);
  const s = job.spec;
  if (
    s?.completionMode === 'Indexed' &&
    (s.completions ?? 0) > COMPLETIONS_SOFT_LIMIT &&
    (s.parallelism ?? 0) > PARALLELISM_LIMIT_HIGH_COMPLETIONS
  )
    out.push(
      'spec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail',
    );
}
export const jobDef = defineKind<JobObj>({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  get schema() {
    return schemas.Job;
  },
  openapiName: 'io.k8s.api.batch.v1.Job',
  statusSubresource: true,
  defaultPropagation: 'Orphan',
  defaults: (job) => defaultJob(job),
  prepareForCreate(job, ctx) {
    job.status = {};
    job.metadata.generation = 1;
    if (!job.spec!.manualSelector) generateSelector(job);
    // Defaults run again when upstream reads the stored Job: a Job without labels takes its template's.
    const tl = job.spec!.template.metadata?.labels;
    if (tl && !Object.keys(job.metadata.labels ?? {}).length) job.metadata.labels = { ...tl };
    warnings(job, ctx.warnings);
  },
  prepareForUpdate(job, old) {
    // Any change of the spec raises the generation (apiequality.Semantic.DeepEqual).
    const gen = old.metadata.generation ?? 0;
    job.metadata.generation = semanticEqual(job.spec, old.spec) ? gen : gen + 1;
  },
  validate: (job) => validateJob(job, true),
  validateUpdate(job, old) {
    const ol = old.spec?.template?.metadata?.labels ?? {};
    const prefixed = JOB_NAME_LABEL in ol && CONTROLLER_UID_LABEL in ol;
    return [...validateJob(job, prefixed, old.spec?.template?.spec), ...validateJobUpdate(job, old)];
  },
  validateStatusUpdate: (job, old) => validateJobStatusUpdate(job, old),
  table: { columns: JOB_COLUMNS, row: jobRow },
  fieldSelectors: {
    'status.successful': (job) => String(job.status?.succeeded ?? 0),
  },
});
