// Validation shared by the workload kinds (upstream pkg/apis/apps/validation and
// pkg/apis/core/validation): the Pod template a ReplicaSet, ReplicationController, Deployment,
// StatefulSet or DaemonSet stamps Pods from, the int-or-percent fields of rolling updates and
// PodDisruptionBudgets, the collision count of the status, and the Go literals of their messages.
import type { PodSpec } from '../../api/generated/core/v1.js';
import type { IntOrString } from '../../api/generated/intstr.js';
import { fieldErr, goStringMap, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { regexError } from '../../apimachinery/validation.js';
import { matchLabelSelector, matchSelectorMap, type LabelSelector } from '../../apimachinery/selectors.js';
import { nonNegative, validatePodTemplateSpec } from '../pod/validation.js';
import type { PodTemplateSpec } from '../podtemplate.js';

/** A selector without requirements (upstream labels.Selector.Empty); none at all counts as empty too. */
export const selectorIsEmpty = (sel: LabelSelector | null | undefined): boolean =>
  !sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length);

/** The status update rule of the kinds that count hash collisions (apivalidation.IsDecremented of status.collisionCount). */
export function collisionCountNotDecremented(count: number | null | undefined, old: number | null | undefined, f: string): FieldError[] {
  if (typeof old !== 'number' || (typeof count === 'number' && count >= old)) return [];
  return [fieldErr.invalid(f, count ?? 0, 'cannot be decremented')];
}

/** A Go pointer as %#v prints it: a (made-up, fixed) address when set, nil when not. */
export const goPointer = (type: string, v: unknown) => (v ? `(*${type})(0xc000000000)` : `(*${type})(nil)`);

/** Go's %#v of an apps update strategy struct (`apps.DeploymentStrategy{Type:"X", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`). */
export const goUpdateStrategy = (structType: string, rollingUpdateType: string, s: { type?: string; rollingUpdate?: unknown }): GoLiteral =>
  new GoLiteral(
    `apps.${structType}{Type:${JSON.stringify(s.type ?? '')}, RollingUpdate:${goPointer(`apps.${rollingUpdateType}`, s.rollingUpdate)}}`,
  );

// ---- int-or-percent (ValidatePositiveIntOrPercent, IsNotMoreThan100Percent, getIntOrPercentValue) ----

const PERCENT_FMT = '[0-9]+%';
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'";
/** validation.IsValidPercent. */
export const isPercent = (s: string) => /^[0-9]+%$/.test(s);

/** Go's %#v of an intstr.IntOrString (Type 0 = Int, 1 = String); absent is the zero value, Int 0. */
export const goIntOrString = (v: IntOrString | null | undefined): GoLiteral =>
  typeof v === 'string'
    ? new GoLiteral(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`)
    : new GoLiteral(`intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`);

/** upstream ValidatePositiveIntOrPercent (nothing to check when unset). */
export function positiveIntOrPercent(v: IntOrString | null | undefined, f: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string')
    return isPercent(v) ? [] : [fieldErr.invalid(f, goIntOrString(v), regexError(PERCENT_MSG, PERCENT_FMT, '1%', '93%'))];
  return nonNegative(v, f);
}

/** upstream getIntOrPercentValue: a percentage's number, else IntOrString.IntValue (Atoi of a string, 0 when it fails). */
export function intOrPercentValue(v: IntOrString | null | undefined): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (isPercent(v)) return Number.parseInt(v.slice(0, -1), 10);
  return /^[+-]?\d+$/.test(v) ? Number.parseInt(v, 10) : 0;
}

/** upstream IsNotMoreThan100Percent. */
export function notMoreThan100Percent(v: IntOrString | null | undefined, f: string): FieldError[] {
  if (typeof v !== 'string' || !isPercent(v) || Number.parseInt(v.slice(0, -1), 10) <= 100) return [];
  return [fieldErr.invalid(f, goIntOrString(v), 'must not be greater than 100%')];
}

/**
 * upstream ValidatePodTemplateSpecForReplicaSet (also Deployments'; ValidatePodTemplateSpecForRC
 * with a map selector, `kind` ReplicationController): the template is valid, matched by the
 * selector, restartPolicy Always, no activeDeadlineSeconds.
 */
export function validatePodTemplateSpecForReplicaSet(
  template: PodTemplateSpec | undefined,
  selector: { labelSelector?: LabelSelector | null; map?: Record<string, string> | null },
  f: string,
  oldSpec?: PodSpec,
  kind = 'ReplicaSet',
): FieldError[] {
  if (!template) return [fieldErr.required(f)];
  const errs: FieldError[] = [];
  const labels = template.metadata?.labels ?? undefined;
  const sel = selector.labelSelector;
  if (sel !== undefined) {
    if (!selectorIsEmpty(sel) && !matchLabelSelector(sel, labels))
      errs.push(fieldErr.invalid(`${f}.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
  } else if (selector.map && Object.keys(selector.map).length && !matchSelectorMap(selector.map, labels)) {
    errs.push(fieldErr.invalid(`${f}.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, f, oldSpec));
  const restart = template.spec?.restartPolicy;
  if (restart !== 'Always') errs.push(fieldErr.notSupported(`${f}.spec.restartPolicy`, restart ?? '', ['Always']));
  const ads = template.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null)
    errs.push(fieldErr.forbidden(`${f}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}
