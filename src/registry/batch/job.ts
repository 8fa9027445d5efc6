// Job (batch/v1), after upstream's pkg/apis/batch/v1/defaults.go (SetDefaults_Job),
// pkg/registry/batch/job/strategy.go (generated selector and template labels, generation, status
// reset, the status strategy's strengthened checks of JobManagedBy, beta and on in 1.32),
// pkg/apis/batch/validation/validation.go (ValidateJob, ValidateJobUpdate, ValidateJobUpdateStatus)
// and printJob (NAME STATUS COMPLETIONS DURATION AGE; wide CONTAINERS IMAGES SELECTOR). batch/v1
// deletes a Job's Pods only when asked: its default propagation is Orphan, as upstream's
// DefaultGarbageCollectionPolicy for batch/v1 (kubectl asks for Background).
import { schemas, type Job, type JobSpec as V1JobSpec, type JobStatus } from '../../api/generated/batch/v1.js';
import type { PodSpec } from '../../api/generated/core/v1.js';
import { defineKind, type Obj } from '../define.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from '../podtemplate.js';
import { labelSelector, nonNegative, semanticEqual, validatePodTemplateSpec } from '../pod/validation.js';
import { fieldErr, goLabelSelector, goStringMap, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, isQualifiedName } from '../../apimachinery/validation.js';
import { formatLabelSelector, matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { selectorIsEmpty } from '../apps/validation.js';
import { age, ageColumn, column, containerColumns, humanDuration, layoutContainerCells, nameColumn } from '../printers.js';
import { clone } from '../../apimachinery/meta.js';

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

const MAX_INT32 = 2147483647;
const MAX_PARALLELISM_INDEXED = 100_000;
const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_HIGH_COMPLETIONS = 10_000;
const MAX_PFP_RULES = 20;
const MAX_PFP_EXIT_CODES = 255;
const MAX_PFP_CONDITIONS = 20;
const MAX_MANAGED_BY = 63;
const MAX_SUCCEEDED_INDEXES_LEN = 64 * 1024;
const MAX_SUCCESS_RULES = 20;
const PFP_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const PFP_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const has = (v: unknown) => v !== undefined && v !== null;

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

// ---- validation ----

/** ValidateHasLabel. */
function hasLabel(labels: Record<string, string> | undefined, f: string, key: string, value: string): FieldError[] {
  const actual = labels?.[key];
  if (actual === undefined) return [fieldErr.required(`${f}.labels`, `\`${key}\` must be set`)];
  if (actual !== value) return [fieldErr.invalid(`${f}.labels`, actual, `must be '${value}'`)];
  return [];
}

/** validateGeneratedSelector (RequirePrefixedLabels unless an old Job lacked them). */
function validateGeneratedSelector(job: JobObj, prefixed: boolean): FieldError[] {
  const s = job.spec;
  if (!s || s.manualSelector || !s.selector) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(fieldErr.required('metadata.uid'));
  const labels = s.template?.metadata?.labels ?? undefined;
  const f = 'spec.template.metadata';
  errs.push(...hasLabel(labels, f, LEGACY_CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, f, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (prefixed) {
    errs.push(...hasLabel(labels, f, CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, f, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  if (selectorValid(s.selector) && !matchLabelSelector(s.selector, expected))
    errs.push(fieldErr.invalid('spec.selector', goLabelSelector(s.selector), '`selector` not auto-generated'));
  return errs;
}

const selectorValid = (sel: LabelSelector | undefined | null): sel is LabelSelector => !!sel && labelSelector(sel, 'x').length === 0;

function validatePodFailurePolicy(s: JobSpec, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = s.podFailurePolicy?.rules ?? [];
  if (rules.length > MAX_PFP_RULES) errs.push(fieldErr.tooMany(`${f}.rules`, rules.length, MAX_PFP_RULES));
  const names = new Set<string>();
  for (const c of [...(s.template?.spec?.containers ?? []), ...(s.template?.spec?.initContainers ?? [])]) if (c?.name) names.add(c.name);
  rules.forEach((rule, i) => {
    const rp = `${f}.rules[${i}]`;
    const action = rule?.action ?? '';
    if (!action) errs.push(fieldErr.required(`${rp}.action`, `valid values: ${goQuotedList(PFP_ACTIONS)}`));
    else if (action === 'FailIndex') {
      if (!has(s.backoffLimitPerIndex)) errs.push(fieldErr.invalid(`${rp}.action`, action, 'requires the backoffLimitPerIndex to be set'));
    } else if (!PFP_ACTIONS.includes(action)) errs.push(fieldErr.notSupported(`${rp}.action`, action, PFP_ACTIONS));
    const oec = rule?.onExitCodes;
    if (isObj(oec)) {
      const ep = `${rp}.onExitCodes`;
      const op = oec.operator ?? '';
      if (!op) errs.push(fieldErr.required(`${ep}.operator`, `valid values: ${goQuotedList(PFP_OPERATORS)}`));
      else if (!PFP_OPERATORS.includes(op)) errs.push(fieldErr.notSupported(`${ep}.operator`, op, PFP_OPERATORS));
      if (has(oec.containerName) && !names.has(oec.containerName!))
        errs.push(
          fieldErr.invalid(
            `${ep}.containerName`,
            oec.containerName,
            'must be one of the container or initContainer names in the pod template',
          ),
        );
      const values = oec.values ?? [];
      if (!values.length)
        errs.push(
          fieldErr.invalid(`${ep}.values`, new GoLiteral(oec.values ? '[]int32{}' : '[]int32(nil)'), 'at least one value is required'),
        );
      else if (values.length > MAX_PFP_EXIT_CODES) errs.push(fieldErr.tooMany(`${ep}.values`, values.length, MAX_PFP_EXIT_CODES));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (op === 'In' && v === 0) errs.push(fieldErr.invalid(`${ep}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(fieldErr.duplicate(`${ep}.values[${j}]`, v));
        else seen.add(v);
        if (j > 0 && values[j - 1]! > v) ordered = false;
      });
      if (!ordered) errs.push(fieldErr.invalid(`${ep}.values`, new GoLiteral(`[]int32{${values.join(', ')}}`), 'must be ordered'));
    }
    const conds = rule?.onPodConditions ?? [];
    if (conds.length) {
      const cp = `${rp}.onPodConditions`;
      if (conds.length > MAX_PFP_CONDITIONS) errs.push(fieldErr.tooMany(cp, conds.length, MAX_PFP_CONDITIONS));
      conds.forEach((p, j) => {
        const pp = `${cp}[${j}]`;
        for (const m of isQualifiedName(p?.type ?? '')) errs.push(fieldErr.invalid(`${pp}.type`, p?.type ?? '', m));
        const st = p?.status ?? '';
        if (!st) errs.push(fieldErr.required(`${pp}.status`, `valid values: ${goQuotedList(CONDITION_STATUSES)}`));
        else if (!CONDITION_STATUSES.includes(st)) errs.push(fieldErr.notSupported(`${pp}.status`, st, CONDITION_STATUSES));
      });
    }
    const omit = new GoLiteral('');
    if (isObj(oec) && conds.length)
      errs.push(omitted(fieldErr.invalid(rp, omit, 'specifying both OnExitCodes and OnPodConditions is not supported')));
    if (!isObj(oec) && !conds.length)
      errs.push(omitted(fieldErr.invalid(rp, omit, 'specifying one of OnExitCodes and OnPodConditions is required')));
  });
  return errs;
}

/** field.OmitValueType: `Invalid value: <detail>` without a value. */
const omitted = (e: FieldError): FieldError => ({ ...e, body: e.body.replace(/^Invalid value: : /, 'Invalid value: ') });

/** Go's %q of a []string: `["Count" "FailIndex"]`. */
const goQuotedList = (l: string[]) => `[${l.map((x) => JSON.stringify(x)).join(' ')}]`;

function validateSuccessPolicy(s: JobSpec, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = s.successPolicy?.rules ?? [];
  const rp = `${f}.rules`;
  if (!rules.length) errs.push(fieldErr.required(rp, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_RULES) errs.push(fieldErr.tooMany(rp, rules.length, MAX_SUCCESS_RULES));
  const completions = s.completions ?? 0;
  rules.forEach((r, i) => {
    const p = `${rp}[${i}]`;
    if (!has(r?.succeededCount) && !has(r?.succeededIndexes))
      errs.push(fieldErr.required(p, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (has(r?.succeededIndexes)) {
      const si = r.succeededIndexes!;
      if (si.length > MAX_SUCCEEDED_INDEXES_LEN) errs.push(fieldErr.tooLong(`${p}.succeededIndexes`, MAX_SUCCEEDED_INDEXES_LEN));
      const t = validateIndexesFormat(si, completions);
      if (typeof t === 'string') errs.push(fieldErr.invalid(`${p}.succeededIndexes`, si, `error parsing succeededIndexes: ${t}`));
      else total = t;
    }
    if (has(r?.succeededCount)) {
      const c = r.succeededCount!;
      const cp = `${p}.succeededCount`;
      errs.push(...nonNegative(c, cp));
      if (c > completions)
        errs.push(fieldErr.invalid(cp, c, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (has(r.succeededIndexes) && c > total)
        errs.push(
          fieldErr.invalid(cp, c, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`),
        );
    }
  });
  return errs;
}

/** validateJobSpec: what a Job's spec and a CronJob's jobTemplate.spec share (at `f`). */
export function validateJobSpecCommon(s: JobSpec | undefined, f: string, oldSpec?: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (!s) return [fieldErr.required(f)];
  errs.push(...nonNegative(s.parallelism, `${f}.parallelism`));
  errs.push(...nonNegative(s.completions, `${f}.completions`));
  errs.push(...nonNegative(s.activeDeadlineSeconds, `${f}.activeDeadlineSeconds`));
  errs.push(...nonNegative(s.backoffLimit, `${f}.backoffLimit`));
  errs.push(...nonNegative(s.ttlSecondsAfterFinished, `${f}.ttlSecondsAfterFinished`));
  errs.push(...nonNegative(s.backoffLimitPerIndex, `${f}.backoffLimitPerIndex`));
  if (has(s.maxFailedIndexes)) {
    errs.push(...nonNegative(s.maxFailedIndexes, `${f}.maxFailedIndexes`));
    if (!has(s.backoffLimitPerIndex)) errs.push(fieldErr.required(`${f}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  if (has(s.managedBy)) {
    const mb = s.managedBy!;
    errs.push(...domainPrefixedPath(mb, `${f}.managedBy`));
    if (mb.length > MAX_MANAGED_BY) errs.push(fieldErr.tooLongMaxLength(`${f}.managedBy`, MAX_MANAGED_BY));
  }
  const mode = s.completionMode;
  if (has(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed')
      errs.push(fieldErr.notSupported(`${f}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!has(s.completions)) errs.push(fieldErr.required(`${f}.completions`, 'when completion mode is Indexed'));
      if (has(s.parallelism) && s.parallelism! > MAX_PARALLELISM_INDEXED)
        errs.push(
          fieldErr.invalid(
            `${f}.parallelism`,
            s.parallelism,
            `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`,
          ),
        );
      if (has(s.completions) && has(s.maxFailedIndexes) && s.maxFailedIndexes! > s.completions!)
        errs.push(fieldErr.invalid(`${f}.maxFailedIndexes`, s.maxFailedIndexes, 'must be less than or equal to completions'));
      if (has(s.maxFailedIndexes) && s.maxFailedIndexes! > MAX_FAILED_INDEXES)
        errs.push(fieldErr.invalid(`${f}.maxFailedIndexes`, s.maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
      if (has(s.completions) && s.completions! > COMPLETIONS_SOFT_LIMIT && has(s.backoffLimitPerIndex)) {
        const tail = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
        if (!has(s.maxFailedIndexes))
          errs.push(fieldErr.required(`${f}.maxFailedIndexes`, `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
        if (has(s.parallelism) && s.parallelism! > PARALLELISM_LIMIT_HIGH_COMPLETIONS)
          errs.push(
            fieldErr.invalid(
              `${f}.parallelism`,
              s.parallelism,
              `must be less than or equal to ${PARALLELISM_LIMIT_HIGH_COMPLETIONS} ${tail}`,
            ),
          );
        if (has(s.maxFailedIndexes) && s.maxFailedIndexes! > MAX_FAILED_INDEXES_HIGH_COMPLETIONS)
          errs.push(
            fieldErr.invalid(
              `${f}.maxFailedIndexes`,
              s.maxFailedIndexes,
              `must be less than or equal to ${MAX_FAILED_INDEXES_HIGH_COMPLETIONS} ${tail}`,
            ),
          );
      }
    }
  }
  if (!has(mode) || mode === 'NonIndexed') {
    if (has(s.backoffLimitPerIndex))
      errs.push(fieldErr.invalid(`${f}.backoffLimitPerIndex`, s.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (has(s.maxFailedIndexes))
      errs.push(fieldErr.invalid(`${f}.maxFailedIndexes`, s.maxFailedIndexes, 'requires indexed completion mode'));
  }
  if (has(s.podFailurePolicy)) errs.push(...validatePodFailurePolicy(s, `${f}.podFailurePolicy`));
  if (has(s.successPolicy)) {
    if (mode !== 'Indexed')
      errs.push(omitted(fieldErr.invalid(`${f}.successPolicy`, new GoLiteral(''), 'requires indexed completion mode')));
    else errs.push(...validateSuccessPolicy(s, `${f}.successPolicy`));
  }
  if (has(s.podReplacementPolicy)) {
    const prp = s.podReplacementPolicy!;
    if (has(s.podFailurePolicy)) {
      if (prp !== 'Failed') errs.push(fieldErr.notSupported(`${f}.podReplacementPolicy`, prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed')
      errs.push(fieldErr.notSupported(`${f}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
  }
  errs.push(...validatePodTemplateSpec(s.template, `${f}.template`, oldSpec));
  const rp = s.template?.spec?.restartPolicy ?? '';
  const rpf = `${f}.template.spec.restartPolicy`;
  if (rp === 'Always' || rp === '') errs.push(fieldErr.required(rpf, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never') errs.push(fieldErr.notSupported(rpf, rp, ['OnFailure', 'Never']));
  else if (has(s.podFailurePolicy) && rp !== 'Never')
    errs.push(fieldErr.invalid(rpf, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** IsDomainPrefixedPath: `example.com/path`. */
function domainPrefixedPath(v: string, f: string): FieldError[] {
  const at = v.indexOf('/');
  if (at < 0) return [fieldErr.invalid(f, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, at);
  const rest = v.slice(at + 1);
  const errs: FieldError[] = [];
  const hostOk = host.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(host);
  if (!hostOk)
    errs.push(
      fieldErr.invalid(
        f,
        host,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest))
    errs.push(
      fieldErr.invalid(
        f,
        rest,
        "Invalid path: must contain only alphanumerics, '/', '-', '.', '_', '~', '%', '!', '$', '&', '\\'', '(', ')', '*', '+', ',', ';', '=', ':'",
      ),
    );
  return errs;
}

/** ValidateJobSpec: validateJobSpec plus the selector, which must match the template. */
function validateJobSpec(s: JobSpec | undefined, oldSpec?: PodSpec): FieldError[] {
  const errs = validateJobSpecCommon(s, 'spec', oldSpec);
  if (!s) return errs;
  if (!s.selector) errs.push(fieldErr.required('spec.selector'));
  else errs.push(...labelSelector(s.selector, 'spec.selector'));
  if (selectorValid(s.selector)) {
    const labels = s.template?.metadata?.labels ?? undefined;
    const sel = s.selector;
    if (!selectorIsEmpty(sel) && !matchLabelSelector(sel, labels))
      errs.push(fieldErr.invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  return errs;
}

function validateJob(job: JobObj, prefixed: boolean, oldSpec?: PodSpec): FieldError[] {
  const errs = validateGeneratedSelector(job, prefixed);
  errs.push(...validateJobSpec(job.spec, oldSpec));
  const s = job.spec;
  if (s?.completionMode === 'Indexed' && has(s.completions) && s.completions! > 0) {
    const host = `${job.metadata.name ?? ''}-${s.completions! - 1}`;
    if (isDNS1123Label(host).length)
      errs.push(fieldErr.invalid('metadata.name', job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${host}`));
  }
  return errs;
}

/** The template an update may not change (validatePodTemplateUpdate), with the allowed changes of a suspended, never started Job applied. */
function validateTemplateUpdate(job: JobObj, old: JobObj): FieldError[] {
  const tpl = job.spec?.template;
  let oldTpl = old.spec?.template;
  const suspended = !!old.spec?.suspend;
  const notStarted = !old.status?.startTime;
  if (suspended && notStarted && tpl && oldTpl) {
    oldTpl = clone(oldTpl);
    const spec = (oldTpl.spec ??= {} as PodSpec);
    const nextAff = tpl.spec?.affinity;
    if (!nextAff && spec.affinity) {
      delete spec.affinity.nodeAffinity;
      if (!Object.keys(spec.affinity).length) delete spec.affinity;
    } else if (nextAff && !spec.affinity) {
      spec.affinity = nextAff.nodeAffinity ? { nodeAffinity: nextAff.nodeAffinity } : {};
    } else if (nextAff && spec.affinity) {
      if (nextAff.nodeAffinity) spec.affinity.nodeAffinity = nextAff.nodeAffinity;
      else delete spec.affinity.nodeAffinity;
    }
    setOrDelete(spec, 'nodeSelector', tpl.spec?.nodeSelector);
    setOrDelete(spec, 'tolerations', tpl.spec?.tolerations);
    setOrDelete(spec, 'schedulingGates', tpl.spec?.schedulingGates);
    const meta = (oldTpl.metadata ??= {});
    setOrDelete(meta, 'annotations', tpl.metadata?.annotations);
    setOrDelete(meta, 'labels', tpl.metadata?.labels);
  }
  return semanticEqual(tpl, oldTpl) ? [] : [fieldErr.invalid('spec.template', new GoLiteral(goTemplate()), 'field is immutable')];
}

/** How upstream prints a PodTemplateSpec value is long Go syntax; kubectl users read the path and `field is immutable`. */
const goTemplate = () => 'core.PodTemplateSpec{...}';

function setOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

function validateJobUpdate(job: JobObj, old: JobObj): FieldError[] {
  const s = job.spec;
  const o = old.spec;
  if (!s || !o) return [];
  const errs: FieldError[] = [];
  const immutable = (a: unknown, b: unknown, f: string, shown: unknown = a) => {
    if (!semanticEqual(a, b)) errs.push(fieldErr.invalid(f, shown ?? null, 'field is immutable'));
  };
  // completions: immutable unless Indexed, where it changes together with parallelism.
  if (s.completionMode !== 'Indexed') immutable(s.completions, o.completions, 'spec.completions');
  else if (s.completions !== o.completions && has(s.completions) && s.completions !== s.parallelism)
    errs.push(fieldErr.invalid('spec.completions', s.completions, 'can only be modified in tandem with spec.parallelism'));
  immutable(s.selector, o.selector, 'spec.selector', goLabelSelector(s.selector));
  errs.push(...validateTemplateUpdate(job, old));
  immutable(s.completionMode, o.completionMode, 'spec.completionMode');
  immutable(s.podFailurePolicy, o.podFailurePolicy, 'spec.podFailurePolicy', new GoLiteral('batch.PodFailurePolicy{...}'));
  immutable(s.backoffLimitPerIndex, o.backoffLimitPerIndex, 'spec.backoffLimitPerIndex');
  immutable(s.managedBy, o.managedBy, 'spec.managedBy');
  immutable(s.successPolicy, o.successPolicy, 'spec.successPolicy', new GoLiteral('batch.SuccessPolicy{...}'));
  return errs;
}

/** validateJobStatus and ValidateJobStatusUpdate with 1.32's options (JobManagedBy on): rules checked when what they guard changed. */
function validateStatusUpdate(job: JobObj, old: JobObj): FieldError[] {
  const st: JobStatus = job.status ?? {};
  const os: JobStatus = old.status ?? {};
  const errs: FieldError[] = [];
  const f = 'status';
  errs.push(
    ...nonNegative(st.active, `${f}.active`),
    ...nonNegative(st.succeeded, `${f}.succeeded`),
    ...nonNegative(st.failed, `${f}.failed`),
  );
  errs.push(...nonNegative(st.ready, `${f}.ready`), ...nonNegative(st.terminating, `${f}.terminating`));
  const seen = new Set<string>();
  for (const kind of ['succeeded', 'failed'] as const)
    (st.uncountedTerminatedPods?.[kind] ?? []).forEach((u, i) => {
      const p = `${f}.uncountedTerminatedPods.${kind}[${i}]`;
      if (!u) errs.push(fieldErr.invalid(p, u, 'must not be empty'));
      else if (seen.has(u)) errs.push(fieldErr.duplicate(p, u));
      else seen.add(u);
    });
  const isC = (j: JobObj, t: string) => conditionTrue(j, t);
  const complete = isC(job, 'Complete');
  const failed = isC(job, 'Failed');
  const finished = complete || failed;
  const changed = {
    finished: isJobFinished(old) !== finished,
    complete: isC(old, 'Complete') !== complete,
    failed: isC(old, 'Failed') !== failed,
    failureTarget: isC(old, 'FailureTarget') !== isC(job, 'FailureTarget'),
    scm: isC(old, 'SuccessCriteriaMet') !== isC(job, 'SuccessCriteriaMet'),
    completedIndexes: (os.completedIndexes ?? '') !== (st.completedIndexes ?? ''),
    failedIndexes: os.failedIndexes !== st.failedIndexes,
    active: (os.active ?? 0) !== (st.active ?? 0),
    startTime: os.startTime !== st.startTime,
    completionTime: os.completionTime !== st.completionTime,
    uncounted: !semanticEqual(os.uncountedTerminatedPods, st.uncountedTerminatedPods),
    ready: os.ready !== st.ready,
    terminating: os.terminating !== st.terminating,
  };
  const omit = (p: string, msg: string) => omitted(fieldErr.invalid(p, new GoLiteral(''), msg));
  const spec = job.spec;
  const completions = spec?.completions;
  if ((changed.complete || changed.failed) && complete && failed)
    errs.push(omit(`${f}.conditions`, 'cannot set Complete=True and Failed=true conditions'));
  if ((changed.complete || changed.failureTarget) && complete && isC(job, 'FailureTarget'))
    errs.push(omit(`${f}.conditions`, 'cannot set Complete=True and FailureTarget=true conditions'));
  if ((changed.complete || changed.completionTime) && st.completionTime && !complete)
    errs.push(
      fieldErr.invalid(`${f}.completionTime`, st.completionTime, 'cannot set completionTime when there is no Complete=True condition'),
    );
  if ((changed.complete || changed.completionTime) && !st.completionTime && complete)
    errs.push(fieldErr.required(`${f}.completionTime`, 'completionTime is required for Complete jobs'));
  if (
    (changed.startTime || changed.completionTime) &&
    st.startTime &&
    st.completionTime &&
    Date.parse(st.completionTime) < Date.parse(st.startTime)
  )
    errs.push(fieldErr.invalid(`${f}.completionTime`, st.completionTime, 'must be equal to or after `startTime`'));
  if ((changed.failed || changed.failedIndexes) && failed && !isC(job, 'FailureTarget'))
    errs.push(omit(`${f}.conditions`, 'cannot set Failed=True condition without the FailureTarget=true condition'));
  if ((changed.complete || changed.scm) && complete && !isC(job, 'SuccessCriteriaMet'))
    errs.push(omit(`${f}.conditions`, 'cannot set Complete=True condition without the SuccessCriteriaMet=true condition'));
  if ((changed.finished || changed.active) && (st.active ?? 0) > 0 && finished)
    errs.push(fieldErr.invalid(`${f}.active`, st.active, 'active>0 is invalid for finished job'));
  if ((changed.finished || changed.startTime) && !st.startTime && finished)
    errs.push(fieldErr.required(`${f}.startTime`, 'startTime is required for finished job'));
  if (
    (changed.finished || changed.uncounted) &&
    finished &&
    (st.uncountedTerminatedPods?.failed?.length ?? 0) + (st.uncountedTerminatedPods?.succeeded?.length ?? 0) > 0
  )
    errs.push(
      fieldErr.invalid(
        `${f}.uncountedTerminatedPods`,
        new GoLiteral('&batch.UncountedTerminatedPods{...}'),
        'must be empty for finished job',
      ),
    );
  if (changed.completedIndexes && has(completions)) {
    const r = validateIndexesFormat(st.completedIndexes ?? '', completions!);
    if (typeof r === 'string')
      errs.push(fieldErr.invalid(`${f}.completedIndexes`, st.completedIndexes ?? '', `error parsing completedIndexes: ${r}`));
  }
  if (changed.failedIndexes && has(completions) && has(spec?.backoffLimitPerIndex) && has(st.failedIndexes)) {
    const r = validateIndexesFormat(st.failedIndexes!, completions!);
    if (typeof r === 'string') errs.push(fieldErr.invalid(`${f}.failedIndexes`, st.failedIndexes, `error parsing failedIndexes: ${r}`));
  }
  if (changed.completedIndexes && st.completedIndexes && spec?.completionMode !== 'Indexed')
    errs.push(
      fieldErr.invalid(
        `${f}.completedIndexes`,
        st.completedIndexes,
        'cannot set non-empty completedIndexes when non-indexed completion mode',
      ),
    );
  if (changed.failedIndexes && !has(spec?.backoffLimitPerIndex) && has(st.failedIndexes))
    errs.push(
      fieldErr.invalid(`${f}.failedIndexes`, st.failedIndexes, 'cannot set non-null failedIndexes when backoffLimitPerIndex is null'),
    );
  if ((changed.finished || changed.terminating) && (st.terminating ?? 0) > 0 && finished)
    errs.push(fieldErr.invalid(`${f}.terminating`, st.terminating, 'terminating>0 is invalid for finished job'));
  if ((changed.ready || changed.active) && has(st.ready) && st.ready! > (st.active ?? 0))
    errs.push(fieldErr.invalid(`${f}.ready`, st.ready, 'cannot set more ready pods than active'));
  const scm = isC(job, 'SuccessCriteriaMet');
  if (scm && failed) errs.push(omit(`${f}.conditions`, 'cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  if (scm && isC(job, 'FailureTarget'))
    errs.push(omit(`${f}.conditions`, 'cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'));
  if (spec?.successPolicy && !scm && complete)
    errs.push(omit(`${f}.conditions`, 'cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True'));
  for (const t of ['Failed', 'Complete', 'FailureTarget'])
    if (isC(old, t) && !isC(job, t)) errs.push(omit(`${f}.conditions`, `cannot disable the terminal ${t}=True condition`));
  if ((st.failed ?? 0) < (os.failed ?? 0)) errs.push(fieldErr.invalid(`${f}.failed`, st.failed ?? 0, 'cannot decrease the failed counter'));
  const indexedScalable = spec?.completionMode === 'Indexed' && spec.completions === spec.parallelism;
  if (!indexedScalable && (st.succeeded ?? 0) < (os.succeeded ?? 0))
    errs.push(fieldErr.invalid(`${f}.succeeded`, st.succeeded ?? 0, 'cannot decrease the succeeded counter'));
  if (st.completionTime && os.completionTime && st.completionTime !== os.completionTime)
    errs.push(fieldErr.invalid(`${f}.completionTime`, st.completionTime, 'field is immutable'));
  if (os.startTime && os.startTime !== st.startTime && !spec?.suspend)
    errs.push(fieldErr.required(`${f}.startTime`, 'startTime cannot be removed for unsuspended job'));
  if (isC(old, 'SuccessCriteriaMet') && !scm) errs.push(omit(`${f}.conditions`, 'cannot disable the SuccessCriteriaMet=True condition'));
  if (isC(old, 'Complete') && !isC(old, 'SuccessCriteriaMet') && scm)
    errs.push(omit(`${f}.conditions`, 'cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions'));
  return errs;
}

// ---- printing ----

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
  validateStatusUpdate: (job, old) => validateStatusUpdate(job, old),
  table: {
    columns: [
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
    ],
    row: (job, now) => {
      return [
        job.metadata.name,
        jobStatusText(job),
        completionsText(job),
        durationText(job, now),
        age(job, now),
        ...layoutContainerCells(job.spec?.template?.spec?.containers),
        formatLabelSelector(job.spec?.selector),
      ];
    },
  },
  fieldSelectors: {
    'status.successful': (job) => String(job.status?.succeeded ?? 0),
  },
});
