// HorizontalPodAutoscaler validation (upstream pkg/apis/autoscaling/validation/validation.go):
// the scale target reference, each metric source and its target, the behavior's scaling rules,
// the replica bounds, and the status update's replica counts; with upstream's field paths and
// messages.
import type {
  CrossVersionObjectReference,
  HPAScalingRules,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
} from '../../api/generated/autoscaling/v2.js';
import { fieldErr, goQuantity, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, isQualifiedName } from '../../apimachinery/validation.js';
import { parseQuantity } from '../../apimachinery/quantity.js';
import type { HpaObj } from './horizontalpodautoscaler.js';

export const MAX_PERIOD_SECONDS = 1800;
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** pathvalidation.IsValidPathSegmentName. */
function pathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
}

function crossVersionRef(ref: Partial<CrossVersionObjectReference> | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const kind = ref?.kind ?? '';
  const name = ref?.name ?? '';
  if (!kind) errs.push(fieldErr.required(`${f}.kind`));
  else for (const m of pathSegmentName(kind)) errs.push(fieldErr.invalid(`${f}.kind`, kind, m));
  if (!name) errs.push(fieldErr.required(`${f}.name`));
  else for (const m of pathSegmentName(name)) errs.push(fieldErr.invalid(`${f}.name`, name, m));
  return errs;
}

function positiveQuantity(v: unknown, f: string): FieldError[] {
  if (!isSet(v)) return [];
  const q = parseQuantity(v);
  if (q && q.num > 0n) return [];
  return [fieldErr.invalid(f, q ? goQuantity(q) : v, 'must be positive')];
}

function metricTarget(mt: Partial<MetricTarget> | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = mt?.type ?? '';
  if (!type) errs.push(fieldErr.required(`${f}.type`, 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue')
    errs.push(fieldErr.invalid(`${f}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  errs.push(...positiveQuantity(mt?.value, `${f}.value`));
  errs.push(...positiveQuantity(mt?.averageValue, `${f}.averageValue`));
  if (isSet(mt?.averageUtilization) && mt.averageUtilization < 1)
    errs.push(fieldErr.invalid(`${f}.averageUtilization`, mt.averageUtilization, 'must be greater than 0'));
  return errs;
}

function metricIdentifier(id: Partial<MetricIdentifier> | undefined, f: string): FieldError[] {
  const name = id?.name ?? '';
  if (!name) return [fieldErr.required(`${f}.name`, 'must specify a metric name')];
  return pathSegmentName(name).map((m) => fieldErr.invalid(`${f}.name`, name, m));
}

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

/** corevalidation.ValidateContainerResourceName (as far as HPAs meet it). */
function containerResourceName(name: string, f: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErr.invalid(f, name, m));
  if (!name.includes('/') && !STANDARD_CONTAINER_RESOURCES.includes(name) && !name.startsWith('hugepages-'))
    errs.push(fieldErr.invalid(f, name, 'must be a standard resource for containers'));
  return errs;
}

const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const FIELD_OF: Record<string, keyof MetricSpec> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};

function metricSpec(spec: MetricSpec, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = spec.type ?? '';
  if (!type) errs.push(fieldErr.required(`${f}.type`, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type)) errs.push(fieldErr.notSupported(`${f}.type`, type, METRIC_SOURCE_TYPES));
  const present: string[] = [];
  const first = () => present.length === 1;
  if (spec.object) {
    present.push('object');
    if (first()) {
      const p = `${f}.object`;
      errs.push(...crossVersionRef(spec.object.describedObject, `${p}.describedObject`));
      errs.push(...metricIdentifier(spec.object.metric, `${p}.metric`));
      errs.push(...metricTarget(spec.object.target, `${p}.target`));
      if (!isSet(spec.object.target?.value) && !isSet(spec.object.target?.averageValue))
        errs.push(fieldErr.required(`${p}.target.averageValue`, 'must set either a target value or averageValue'));
    }
  }
  if (spec.external) {
    present.push('external');
    if (first()) {
      const p = `${f}.external`;
      const t = spec.external.target;
      errs.push(...metricIdentifier(spec.external.metric, `${p}.metric`));
      errs.push(...metricTarget(t, `${p}.target`));
      if (!isSet(t?.value) && !isSet(t?.averageValue))
        errs.push(fieldErr.required(`${p}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
      if (isSet(t?.value) && isSet(t?.averageValue))
        errs.push(fieldErr.forbidden(`${p}.target.value`, 'may not set both a target value for metric and a per-pod target'));
    }
  }
  if (spec.pods) {
    present.push('pods');
    if (first()) {
      const p = `${f}.pods`;
      errs.push(...metricIdentifier(spec.pods.metric, `${p}.metric`));
      errs.push(...metricTarget(spec.pods.target, `${p}.target`));
      if (!isSet(spec.pods.target?.averageValue))
        errs.push(fieldErr.required(`${p}.target.averageValue`, 'must specify a positive target averageValue'));
    }
  }
  const resourceTarget = (t: MetricTarget | undefined, p: string) => {
    errs.push(...metricTarget(t, `${p}.target`));
    if (!isSet(t?.averageUtilization) && !isSet(t?.averageValue))
      errs.push(fieldErr.required(`${p}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
    if (isSet(t?.averageUtilization) && isSet(t?.averageValue))
      errs.push(fieldErr.forbidden(`${p}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  };
  if (spec.resource) {
    present.push('resource');
    if (first()) {
      const p = `${f}.resource`;
      if (!spec.resource.name) errs.push(fieldErr.required(`${p}.name`, 'must specify a resource name'));
      resourceTarget(spec.resource.target, p);
    }
  }
  if (spec.containerResource) {
    present.push('containerResource');
    if (first()) {
      const p = `${f}.containerResource`;
      const cr = spec.containerResource;
      if (!cr.name) errs.push(fieldErr.required(`${p}.name`, 'must specify a resource name'));
      else errs.push(...containerResourceName(cr.name, `${p}.name`));
      if (!cr.container) errs.push(fieldErr.required(`${p}.container`, 'must specify a container'));
      else errs.push(...isDNS1123Label(cr.container).map((m) => fieldErr.invalid(`${p}.container`, cr.container, m)));
      resourceTarget(cr.target, p);
    }
  }
  const expected = FIELD_OF[type];
  if (expected) {
    if (!spec[expected]) errs.push(fieldErr.required(`${f}.${expected}`, 'must populate information for the given metric source'));
  } else errs.push(fieldErr.notSupported(`${f}.type`, type, METRIC_SOURCE_TYPES));
  if (present.length !== 1)
    for (const t of present) if (t !== expected) errs.push(fieldErr.forbidden(`${f}.${t}`, 'must populate the given metric source only'));
  return errs;
}

const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];

function scalingRules(rules: HPAScalingRules | null | undefined, f: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (isSet(w) && w < 0) errs.push(fieldErr.invalid(`${f}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (isSet(w) && w > MAX_STABILIZATION_WINDOW_SECONDS)
    errs.push(fieldErr.invalid(`${f}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (isSet(rules.selectPolicy) && !SELECT_POLICIES.includes(rules.selectPolicy))
    errs.push(fieldErr.notSupported(`${f}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  if (!rules.policies?.length) errs.push(fieldErr.required(`${f}.policies`, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((p, i) => {
    const pf = `${f}.policies[${i}]`;
    if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(fieldErr.notSupported(`${pf}.type`, p.type ?? '', POLICY_TYPES));
    if (!((p.value ?? 0) > 0)) errs.push(fieldErr.invalid(`${pf}.value`, p.value ?? 0, 'must be greater than zero'));
    if (!((p.periodSeconds ?? 0) > 0))
      errs.push(fieldErr.invalid(`${pf}.periodSeconds`, p.periodSeconds ?? 0, 'must be greater than zero'));
    if ((p.periodSeconds ?? 0) > MAX_PERIOD_SECONDS)
      errs.push(fieldErr.invalid(`${pf}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

/** validateHorizontalPodAutoscalerSpec (minReplicas at least 1: HPAScaleToZero is alpha, off). */
export function validateHpa(hpa: HpaObj, old?: HpaObj): FieldError[] {
  const spec = hpa.spec ?? ({} as NonNullable<HpaObj['spec']>);
  const lower = old?.spec?.minReplicas === 0 ? 0 : 1;
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas ?? 0;
  if (isSet(min) && min < lower) errs.push(fieldErr.invalid('spec.minReplicas', min, `must be greater than or equal to ${lower}`));
  if (max < 1) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (isSet(min) && max < min) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...crossVersionRef(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  let objectOrExternal = false;
  (spec.metrics ?? []).forEach((m, i) => {
    errs.push(...metricSpec(m ?? ({} as MetricSpec), `spec.metrics[${i}]`));
    if (m?.type === 'Object' || m?.type === 'External') objectOrExternal = true;
  });
  if (min === 0 && !objectOrExternal)
    errs.push(
      fieldErr.forbidden('spec.metrics', 'must specify at least one Object or External metric to support scaling to zero replicas'),
    );
  if (spec.behavior) {
    errs.push(...scalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...scalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}

/** ValidateHorizontalPodAutoscalerStatusUpdate. */
export function validateHpaStatus(hpa: HpaObj): FieldError[] {
  const errs: FieldError[] = [];
  const cur = hpa.status?.currentReplicas ?? 0;
  const want = hpa.status?.desiredReplicas ?? 0;
  if (cur < 0) errs.push(fieldErr.invalid('status.currentReplicas', cur, 'must be greater than or equal to 0'));
  if (want < 0) errs.push(fieldErr.invalid('status.desiredReplicas', want, 'must be greater than or equal to 0'));
  return errs;
}
