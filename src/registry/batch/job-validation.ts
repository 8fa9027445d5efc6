// Job validation (upstream pkg/apis/batch/validation/validation.go ValidateJob, ValidateJobUpdate,
// ValidateJobUpdateStatus with 1.32's options): the spec a Job and a CronJob's jobTemplate share
// (completions, parallelism, Indexed limits, podFailurePolicy, successPolicy, managedBy, the Pod
// template), the generated selector and its labels, the fields an update may not change (the
// template only while a never-started Job is suspended), and the status rules checked when what
// they guard changed; with upstream's field paths and messages.
import type { JobStatus } from '../../api/generated/batch/v1.js';
import type { PodSpec } from '../../api/generated/core/v1.js';
import { labelSelector, nonNegative, semanticEqual, validatePodTemplateSpec } from '../pod/validation.js';
import { fieldErr, goLabelSelector, goStringMap, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, isQualifiedName } from '../../apimachinery/validation.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { selectorIsEmpty } from '../apps/validation.js';
import { clone } from '../../apimachinery/meta.js';
import {
  CONTROLLER_UID_LABEL,
  conditionTrue,
  isJobFinished,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
  validateIndexesFormat,
  type JobObj,
  type JobSpec,
} from './job.js';

const MAX_PARALLELISM_INDEXED = 100_000;
const MAX_FAILED_INDEXES = 100_000;
export const COMPLETIONS_SOFT_LIMIT = 100_000;
export const PARALLELISM_LIMIT_HIGH_COMPLETIONS = 10_000;
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

export function validateJob(job: JobObj, prefixed: boolean, oldSpec?: PodSpec): FieldError[] {
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

export function validateJobUpdate(job: JobObj, old: JobObj): FieldError[] {
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
export function validateJobStatusUpdate(job: JobObj, old: JobObj): FieldError[] {
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
