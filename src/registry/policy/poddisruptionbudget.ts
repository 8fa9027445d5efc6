// PodDisruptionBudget (policy/v1), after upstream's pkg/registry/policy/poddisruptionbudget
// strategy and pkg/apis/policy/validation: no defaults, status cleared on create, generation 1
// and raised by every spec change, ValidatePodDisruptionBudget (minAvailable and maxUnavailable
// exclusive, each a non-negative int or a percent up to 100%, the selector,
// unhealthyPodEvictionPolicy), ValidatePodDisruptionBudgetStatusUpdate, printPodDisruptionBudget's
// table. Also the budget arithmetic the disruption controller and the eviction subresource share
// (component-helpers/apps/poddisruptionbudget and the pods/eviction handler's checkAndDecrement).
import {
  schemas,
  type PodDisruptionBudget,
  type PodDisruptionBudgetSpec,
  type PodDisruptionBudgetStatus,
} from '../../api/generated/policy/v1.js';
import type { Condition } from '../../api/generated/meta/v1.js';
import type { IntOrString } from '../../api/generated/intstr.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { isQualifiedName, regexError } from '../../apimachinery/validation.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { StatusError, forbidden } from '../../apimachinery/errors.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { labelSelector, nonNegative, semanticEqual } from '../pod/validation.js';
import { isPercent, notMoreThan100Percent, positiveIntOrPercent, selectorIsEmpty } from '../apps/validation.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';

export type PdbObj = Obj<PodDisruptionBudget>;

export const POLICY_IF_HEALTHY_BUDGET = 'IfHealthyBudget';
export const POLICY_ALWAYS_ALLOW = 'AlwaysAllow';
/** policy.DisruptionAllowedCondition and its reasons. */
export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';
/** The eviction handler refuses when this many evictions await the controller (MaxDisruptedPodSize). */
export const MAX_DISRUPTED_POD_SIZE = 2000;

// ---- int-or-percent ----

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as it is, a percent of `total` (rounded up or
 * down). Throws on a malformed percent (validation keeps those out).
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!isPercent(v)) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  const pct = Number(v.slice(0, -1));
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

// ---- validation ----

const SUPPORTED_POLICIES = [POLICY_ALWAYS_ALLOW, POLICY_IF_HEALTHY_BUDGET];

/** Go's %#v of the spec (upstream's bad value of "cannot be both set"); pointers print as addresses. */
function specGo(spec: PodDisruptionBudgetSpec): GoLiteral {
  let n = 0;
  const ptr = (type: string, v: unknown) =>
    v === undefined || v === null ? `(*${type})(nil)` : `(*${type})(0xc000${(0x1a2b40 + 0x20 * n++).toString(16)})`;
  return new GoLiteral(
    `policy.PodDisruptionBudgetSpec{MinAvailable:${ptr('intstr.IntOrString', spec.minAvailable)}, Selector:${ptr('v1.LabelSelector', spec.selector)}, MaxUnavailable:${ptr('intstr.IntOrString', spec.maxUnavailable)}, UnhealthyPodEvictionPolicy:${ptr('policy.UnhealthyPodEvictionPolicyType', spec.unhealthyPodEvictionPolicy)}}`,
  );
}

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** ValidatePodDisruptionBudgetSpec. */
export function validatePdbSpec(spec: PodDisruptionBudgetSpec | undefined, f = 'spec'): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (isSet(s.minAvailable) && isSet(s.maxUnavailable))
    errs.push(fieldErr.invalid(f, specGo(s), 'minAvailable and maxUnavailable cannot be both set'));
  // appsvalidation.ValidatePositiveIntOrPercent and IsNotMoreThan100Percent of each that is set.
  for (const k of ['minAvailable', 'maxUnavailable'] as const)
    errs.push(...positiveIntOrPercent(s[k], `${f}.${k}`), ...notMoreThan100Percent(s[k], `${f}.${k}`));
  errs.push(...labelSelector(s.selector ?? undefined, `${f}.selector`));
  const policy = s.unhealthyPodEvictionPolicy;
  if (isSet(policy) && !SUPPORTED_POLICIES.includes(policy))
    errs.push(fieldErr.notSupported(`${f}.unhealthyPodEvictionPolicy`, policy, SUPPORTED_POLICIES));
  return errs;
}

const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const REASON_FMT = '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?';
const REASON_RE = new RegExp(`^${REASON_FMT}$`);
const REASON_MSG =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'";

/** metav1 validation.ValidateConditions. */
export function validateConditions(conds: Condition[] | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (conds ?? []).forEach((c, i) => {
    const p = `${f}[${i}]`;
    const type = c?.type ?? '';
    if (seen.has(type)) errs.push(fieldErr.duplicate(`${p}.type`, type));
    seen.add(type);
    for (const m of isQualifiedName(type)) errs.push(fieldErr.invalid(`${p}.type`, type, m));
    if (!CONDITION_STATUSES.includes(c?.status ?? '')) errs.push(fieldErr.notSupported(`${p}.status`, c?.status ?? '', CONDITION_STATUSES));
    if ((c?.observedGeneration ?? 0) < 0)
      errs.push(fieldErr.invalid(`${p}.observedGeneration`, c.observedGeneration, 'must be greater than or equal to zero'));
    if (!c?.lastTransitionTime) errs.push(fieldErr.required(`${p}.lastTransitionTime`, 'must be set'));
    const reason = c?.reason ?? '';
    if (!reason) errs.push(fieldErr.required(`${p}.reason`, 'must be set'));
    else {
      if (!REASON_RE.test(reason))
        errs.push(fieldErr.invalid(`${p}.reason`, reason, regexError(REASON_MSG, REASON_FMT, 'ReasonA', 'Reason_B')));
      if (reason.length > 1024) errs.push(fieldErr.tooLongMaxLength(`${p}.reason`, 1024));
    }
    if ((c?.message ?? '').length > 32768) errs.push(fieldErr.tooLongMaxLength(`${p}.message`, 32768));
  });
  return errs;
}

/** ValidatePodDisruptionBudgetStatusUpdate (policy/v1). */
function validateStatus(st: Partial<PodDisruptionBudgetStatus> | undefined): FieldError[] {
  const s = st ?? {};
  const errs = validateConditions(s.conditions, 'status.conditions');
  for (const k of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const)
    errs.push(...nonNegative(s[k], `status.${k}`));
  return errs;
}

// ---- selection and conditions ----

/** Does this budget cover the Pod? policy/v1: a null or empty selector selects nothing. */
export function pdbSelects(pdb: PdbObj, labels: Record<string, string> | undefined): boolean {
  const sel = pdb.spec?.selector as LabelSelector | undefined;
  if (selectorIsEmpty(sel)) return false;
  return matchLabelSelector(sel, labels);
}

/** apimeta.SetStatusCondition: lastTransitionTime moves only when the status changes. */
export function setStatusCondition(conds: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const out = [...(conds ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) return [...out, { ...c, lastTransitionTime: rfc3339(now) }];
  const prev = out[i]!;
  out[i] = {
    ...prev,
    ...c,
    lastTransitionTime: prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
  };
  return out;
}

/** pdbhelper.UpdateDisruptionAllowedCondition. */
export function updateDisruptionAllowedCondition(st: PodDisruptionBudgetStatus, now: Date): void {
  const ok = st.disruptionsAllowed > 0;
  st.conditions = setStatusCondition(
    st.conditions,
    {
      type: DISRUPTION_ALLOWED,
      status: ok ? 'True' : 'False',
      reason: ok ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
      message: '',
      observedGeneration: st.observedGeneration,
    },
    now,
  );
}

/** pdbhelper.ConditionsAreUpToDate. */
export function conditionsAreUpToDate(pdb: PdbObj): boolean {
  const st = pdb.status;
  const c = st?.conditions?.find((x) => x.type === DISRUPTION_ALLOWED);
  if (!c || !st || (st.observedGeneration ?? 0) !== (pdb.metadata.generation ?? 0)) return false;
  return st.disruptionsAllowed > 0
    ? c.status === 'True' && c.reason === SUFFICIENT_PODS
    : c.status === 'False' && c.reason === INSUFFICIENT_PODS;
}

// ---- the eviction subresource's budget check ----

const PDB_GR = { group: 'policy', resource: 'poddisruptionbudget' };
const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

/** errors.NewTooManyRequests with the DisruptionBudget cause. */
export function tooManyRequests(cause: string, retryAfterSeconds = 0): StatusError {
  return new StatusError(429, 'TooManyRequests', EVICTION_REFUSED, {
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

/**
 * EvictionREST.checkAndDecrement: the budget as it will be written when this eviction may go
 * ahead (one disruption fewer, the Pod recorded in disruptedPods), or a refusal. `pdb` is not
 * modified.
 */
export function checkAndDecrement(pdb: PdbObj, podName: string, now: Date, dryRun: boolean): PdbObj {
  const name = pdb.metadata.name!;
  const st: PodDisruptionBudgetStatus = {
    currentHealthy: 0,
    desiredHealthy: 0,
    disruptionsAllowed: 0,
    expectedPods: 0,
    ...pdb.status,
  };
  if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0))
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  if (st.disruptionsAllowed < 0) throw forbidden(PDB_GR, name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE)
    throw forbidden(PDB_GR, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (st.disruptionsAllowed === 0)
    throw tooManyRequests(`The disruption budget ${name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`);
  st.disruptionsAllowed--;
  if (st.disruptionsAllowed === 0) updateDisruptionAllowedCondition(st, now);
  if (!dryRun) st.disruptedPods = { ...st.disruptedPods, [podName]: rfc3339(now) };
  return { ...pdb, status: st };
}

// ---- the kind ----

const intOrStringText = (v: IntOrString | null | undefined) => (isSet(v) ? String(v) : 'N/A');

export const podDisruptionBudgetDef = defineKind<PdbObj>({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  get schema() {
    return schemas.PodDisruptionBudget;
  },
  openapiName: 'io.k8s.api.policy.v1.PodDisruptionBudget',
  statusSubresource: true,
  allowUnconditionalUpdate: false,
  prepareForCreate(pdb) {
    // Status is a struct upstream: its four counts are always printed.
    pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    pdb.metadata.generation = 1;
  },
  prepareForUpdate(pdb, old) {
    const gen = old.metadata.generation ?? 0;
    pdb.metadata.generation = semanticEqual(pdb.spec, old.spec) ? gen : gen + 1;
  },
  validate: (pdb) => validatePdbSpec(pdb.spec),
  validateUpdate: (pdb) => validatePdbSpec(pdb.spec),
  validateStatusUpdate: (pdb) => validateStatus(pdb.status),
  table: {
    columns: [
      nameColumn(),
      column('Min Available', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      column('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'),
      ageColumn(),
    ],
    row: (pdb, now) => [
      pdb.metadata.name,
      intOrStringText(pdb.spec?.minAvailable),
      intOrStringText(pdb.spec?.maxUnavailable),
      pdb.status?.disruptionsAllowed ?? 0,
      age(pdb, now),
    ],
  },
});
