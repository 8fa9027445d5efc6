// CronJob (batch/v1), after upstream's pkg/apis/batch/v1/defaults.go (SetDefaults_CronJob and the
// job template's Pod template defaults, not SetDefaults_Job: a template's completions and
// backoffLimit stay unset), pkg/registry/batch/cronjob/strategy.go (status reset, generation,
// warnings) and pkg/apis/batch/validation/validation.go (ValidateCronJobCreate/Update: the
// schedule as robfig/cron parses it, no TZ= in it, a known timeZone, startingDeadlineSeconds and
// history limits not negative, concurrencyPolicy, the job template as a Job's spec without a
// selector, and names of at most 52 characters so `<name>-<minutes>` fits a Job name).
// printCronJob's table: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE; wide CONTAINERS
// IMAGES SELECTOR.
import { schemas, type CronJob, type CronJobSpec as V1CronJobSpec } from '../../api/generated/batch/v1.js';
import type { ObjectMeta } from '../../api/generated/meta/v1.js';
import type { PodSpec } from '../../api/generated/core/v1.js';
import { defineKind, type NullableTimes, type Obj } from '../define.js';
import { defaultPodTemplateSpec } from '../podtemplate.js';
import { nonNegative, semanticEqual } from '../pod/validation.js';
import { fieldErr, goLabelSelector, type FieldError } from '../../apimachinery/field.js';
import { formatLabelSelector } from '../../apimachinery/selectors.js';
import { age, ageColumn, column, containerColumns, layoutContainerCells, nameColumn, translateTimestampSince } from '../printers.js';
import type { JobSpec } from './job.js';
import { podNameWarning } from './job-strategy.js';
import { validateJobSpecCommon } from './job-validation.js';
import { jobSelectorColumn } from './job-printing.js';
import { CronParseError, loadLocationError, parseStandard } from './cron-schedule.js';

export type JobTemplateSpec = { metadata?: NullableTimes<ObjectMeta, 'creationTimestamp'>; spec?: JobSpec };
export type CronJobSpec = Omit<V1CronJobSpec, 'jobTemplate'> & { jobTemplate: JobTemplateSpec };
export type CronJobObj = Obj<Omit<CronJob, 'spec'> & { spec?: CronJobSpec }>;

/** batchv1.CronJobScheduledTimestampAnnotation: when a Job of a CronJob was due (RFC 3339, in the CronJob's time zone). */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const has = (v: unknown) => v !== undefined && v !== null;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
// upstream validTimeZoneCharacters: a file name component of the tz database.
const TZ_COMPONENT = /^[A-Za-z.\-_0-9+]{1,14}$/;

// ---- defaults ----

/** SetObjectDefaults_CronJob: SetDefaults_CronJob plus the job template's Pod template defaults. */
export function defaultCronJob(cj: CronJobObj): void {
  if (!isObj(cj.spec)) cj.spec = {} as CronJobSpec;
  const s = cj.spec;
  if (!s.concurrencyPolicy) s.concurrencyPolicy = 'Allow';
  if (!has(s.suspend)) s.suspend = false;
  if (!has(s.successfulJobsHistoryLimit)) s.successfulJobsHistoryLimit = 3;
  if (!has(s.failedJobsHistoryLimit)) s.failedJobsHistoryLimit = 1;
  // JobTemplateSpec, its ObjectMeta and JobSpec are structs upstream: always there.
  if (!isObj(s.jobTemplate)) s.jobTemplate = {};
  const jt = s.jobTemplate;
  if (!isObj(jt.metadata)) jt.metadata = {};
  if (jt.metadata.creationTimestamp === undefined) jt.metadata.creationTimestamp = null;
  if (!isObj(jt.spec)) jt.spec = { template: {} };
  if (!isObj(jt.spec.template)) jt.spec.template = {};
  defaultPodTemplateSpec(jt.spec.template);
  for (const rule of jt.spec.podFailurePolicy?.rules ?? [])
    for (const p of rule?.onPodConditions ?? []) if (isObj(p) && !p.status) p.status = 'True';
}

// ---- validation ----

/** robfig/cron's parse error for a schedule, or undefined when it parses. */
export function scheduleError(schedule: string): string | undefined {
  try {
    parseStandard(schedule, 'UTC');
    return undefined;
  } catch (e) {
    if (e instanceof CronParseError) return e.message;
    throw e;
  }
}

function validateScheduleFormat(schedule: string, allowTZ: boolean, timeZone: string | null | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const err = scheduleError(schedule);
  if (err) errs.push(fieldErr.invalid(f, schedule, err));
  if (allowTZ && schedule.includes('TZ') && has(timeZone))
    errs.push(fieldErr.invalid(f, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  else if (!allowTZ && schedule.includes('TZ'))
    errs.push(fieldErr.invalid(f, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  return errs;
}

function validateTimeZone(tz: string | null | undefined, f: string): FieldError[] {
  if (!has(tz)) return [];
  if (tz === '') return [fieldErr.invalid(f, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz!.split('/'))
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_COMPONENT.test(part))
      return [fieldErr.invalid(f, tz, `unknown time zone ${tz}`)];
  const errs: FieldError[] = [];
  if (tz!.toLowerCase() === 'local')
    errs.push(fieldErr.invalid(f, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  const err = loadLocationError(tz!);
  if (err) errs.push(fieldErr.invalid(f, tz, err));
  return errs;
}

/** validateCronJobSpec (at `spec`). */
function validateCronJobSpec(s: CronJobSpec | undefined, old: CronJobSpec | undefined, oldPodSpec?: PodSpec): FieldError[] {
  const spec = s ?? ({ jobTemplate: {} } as CronJobSpec);
  const errs: FieldError[] = [];
  if (!spec.schedule) errs.push(fieldErr.required('spec.schedule'));
  else errs.push(...validateScheduleFormat(spec.schedule, !!old?.schedule?.includes('TZ'), spec.timeZone, 'spec.schedule'));
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!old || (old.timeZone ?? undefined) !== (spec.timeZone ?? undefined)) errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  const cp = spec.concurrencyPolicy ?? '';
  if (cp === '') errs.push(fieldErr.required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY_POLICIES.includes(cp)) errs.push(fieldErr.notSupported('spec.concurrencyPolicy', cp, CONCURRENCY_POLICIES));
  // ValidateJobTemplateSpec: a Job's spec, whose selector the Job's create generates.
  const jobSpec = spec.jobTemplate?.spec ?? ({ template: {} } as JobSpec);
  errs.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec', oldPodSpec));
  if (has(jobSpec.selector))
    errs.push(fieldErr.invalid('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(fieldErr.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

function validateCronJobCreate(cj: CronJobObj): FieldError[] {
  const errs = validateCronJobSpec(cj.spec, undefined);
  // The controller names Jobs `<name>-<minutes since the epoch>` (11 more characters), and Job names are DNS labels.
  const name = cj.metadata.name ?? '';
  if (name.length > 63 - 11) errs.push(fieldErr.invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}

// ---- printing ----

const printBool = (v: boolean | null | undefined) => (has(v) ? (v ? 'True' : 'False') : '<unset>');

export const cronJobDef = defineKind<CronJobObj>({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  get schema() {
    return schemas.CronJob;
  },
  openapiName: 'io.k8s.api.batch.v1.CronJob',
  statusSubresource: true,
  defaults: (cj) => defaultCronJob(cj),
  prepareForCreate(cj, ctx) {
    cj.status = {};
    cj.metadata.generation = 1;
    podNameWarning(cj.metadata.name, ctx.warnings);
  },
  prepareForUpdate(cj, old, ctx) {
    const gen = old.metadata.generation ?? 0;
    cj.metadata.generation = semanticEqual(cj.spec, old.spec) ? gen : gen + 1;
    // upstream WarningsOnUpdate names the field `spec.spec.schedule`.
    if (cj.spec?.schedule?.includes('TZ') && !semanticEqual(cj.spec, old.spec))
      ctx.warnings.push(
        'cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details',
      );
  },
  validate: (cj) => validateCronJobCreate(cj),
  // The 52-character limit is not checked on update, so older long-named CronJobs stay editable.
  validateUpdate: (cj, old) => validateCronJobSpec(cj.spec, old.spec, old.spec?.jobTemplate?.spec?.template?.spec),
  validateStatusUpdate: () => [],
  table: {
    columns: [
      nameColumn(),
      column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column(
        'Timezone',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
      ),
      column(
        'Suspend',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
        0,
        'boolean',
      ),
      column('Active', 'A list of pointers to currently running jobs.', 0, 'integer'),
      column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      ageColumn(),
      ...containerColumns(),
      jobSelectorColumn(),
    ],
    row: (cj, now) => {
      const s = cj.spec;
      const last = cj.status?.lastScheduleTime;
      return [
        cj.metadata.name,
        s?.schedule ?? '',
        s?.timeZone ?? '<none>',
        printBool(s?.suspend),
        (cj.status?.active ?? []).length,
        last ? translateTimestampSince(last, now) : '<none>',
        age(cj, now),
        ...layoutContainerCells(s?.jobTemplate?.spec?.template?.spec?.containers),
        formatLabelSelector(s?.jobTemplate?.spec?.selector),
      ];
    },
  },
});
