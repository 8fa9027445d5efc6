// HorizontalPodAutoscaler: autoscaling/v2 (the storage form) and autoscaling/v1 (a view of the
// same storage, like events.k8s.io/v1 Events), after upstream's pkg/apis/autoscaling (v2
// SetDefaults_HorizontalPodAutoscaler, v1 conversion with its round-trip annotations,
// validation), pkg/registry/autoscaling/horizontalpodautoscaler (status cleared on create, kept on
// update) and printHorizontalPodAutoscaler's table.
//
// autoscaling/v1 can only say "target CPU utilization". What v2 says beyond that travels in
// annotations of the v1 view, as upstream: autoscaling.alpha.kubernetes.io/metrics (the other
// metrics), .../current-metrics (every metric status), .../behavior (Go field names, as upstream
// marshals its internal type) and .../conditions; a v1 object written back is converted with
// them, so a v1 GET and PUT changes nothing.
import {
  schemas as v2Schemas,
  type CrossVersionObjectReference,
  type HorizontalPodAutoscaler as V2HPA,
  type HorizontalPodAutoscalerBehavior,
  type HorizontalPodAutoscalerCondition,
  type HPAScalingRules,
  type MetricSpec,
  type MetricStatus,
  type MetricTarget,
  type MetricIdentifier,
} from '../../api/generated/autoscaling/v2.js';
import {
  schemas as v1Schemas,
  type CrossVersionObjectReference as V1Ref,
  type HorizontalPodAutoscaler as V1HPA,
} from '../../api/generated/autoscaling/v1.js';
import type { LabelSelector } from '../../api/generated/meta/v1.js';
import type { Quantity as Q } from '../../api/generated/resource.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, goQuantity, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, isQualifiedName } from '../../apimachinery/validation.js';
import { parseQuantity, quantityString } from '../../apimachinery/quantity.js';
import { clone } from '../../apimachinery/meta.js';
import { semanticEqual } from '../pod/validation.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';

export type HpaObj = Obj<V2HPA>;
export type V1HpaObj = Obj<V1HPA>;
export type { HPAScalingRules, HorizontalPodAutoscalerBehavior, MetricSpec, MetricStatus, HorizontalPodAutoscalerCondition };

export const DEFAULT_CPU_UTILIZATION = 80;
export const MAX_PERIOD_SECONDS = 1800;
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, BEHAVIOR_SPECS_ANNOTATION, CONDITIONS_ANNOTATION];

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

// ---- v2 defaults ----

/** defaultHPAScaleUpRules: no stabilization, the larger of +4 Pods and +100% per 15 s. */
export const scaleUpDefaults = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});
/** defaultHPAScaleDownRules: -100% per 15 s; the window is the controller's (300 s) unless set. */
export const scaleDownDefaults = (): HPAScalingRules => ({
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

/** copyHPAScalingRules: the set fields of `from` over the defaults. */
function fillRules(from: HPAScalingRules | null | undefined, to: HPAScalingRules): HPAScalingRules {
  if (!from) return to;
  if (isSet(from.selectPolicy)) to.selectPolicy = from.selectPolicy;
  if (isSet(from.stabilizationWindowSeconds)) to.stabilizationWindowSeconds = from.stabilizationWindowSeconds;
  if (isSet(from.policies)) to.policies = from.policies;
  return to;
}

export const cpuMetric = (utilization: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } },
});

/** SetDefaults_HorizontalPodAutoscaler (v2). */
export function defaultHpa(hpa: HpaObj): void {
  const spec = (hpa.spec ??= {} as HpaObj['spec'] & object);
  if (!isSet(spec.minReplicas)) spec.minReplicas = 1;
  if (!spec.metrics?.length) spec.metrics = [cpuMetric(DEFAULT_CPU_UTILIZATION)];
  if (spec.behavior) {
    spec.behavior.scaleUp = fillRules(spec.behavior.scaleUp, scaleUpDefaults());
    spec.behavior.scaleDown = fillRules(spec.behavior.scaleDown, scaleDownDefaults());
  }
}

// ---- validation (pkg/apis/autoscaling/validation) ----

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
function validateHpaStatus(hpa: HpaObj): FieldError[] {
  const errs: FieldError[] = [];
  const cur = hpa.status?.currentReplicas ?? 0;
  const want = hpa.status?.desiredReplicas ?? 0;
  if (cur < 0) errs.push(fieldErr.invalid('status.currentReplicas', cur, 'must be greater than or equal to 0'));
  if (want < 0) errs.push(fieldErr.invalid('status.desiredReplicas', want, 'must be greater than or equal to 0'));
  return errs;
}

// ---- autoscaling/v1 <-> v2 ----

// autoscaling/v1's own MetricSpec and MetricStatus (the shapes of the round-trip annotations).
interface V1CrossRef {
  kind?: string;
  name?: string;
  apiVersion?: string;
}
interface V1MetricSpec {
  type: string;
  object?: { target: V1CrossRef; metricName: string; targetValue: Q; selector?: LabelSelector; averageValue?: Q };
  pods?: { metricName: string; targetAverageValue: Q; selector?: LabelSelector };
  resource?: { name: string; targetAverageUtilization?: number; targetAverageValue?: Q };
  containerResource?: { name: string; targetAverageUtilization?: number; targetAverageValue?: Q; container: string };
  external?: { metricName: string; metricSelector?: LabelSelector; targetValue?: Q; targetAverageValue?: Q };
}
interface V1MetricStatus {
  type: string;
  object?: { target: V1CrossRef; metricName: string; currentValue: Q; selector?: LabelSelector; averageValue?: Q };
  pods?: { metricName: string; currentAverageValue: Q; selector?: LabelSelector };
  resource?: { name: string; currentAverageUtilization?: number; currentAverageValue: Q };
  containerResource?: { name: string; currentAverageUtilization?: number; currentAverageValue: Q; container: string };
  external?: { metricName: string; metricSelector?: LabelSelector; currentValue: Q; currentAverageValue?: Q };
}

/** JSON of an object with its unset fields left out (Go's omitempty on pointers). */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

const ref = (r: V1CrossRef | undefined): CrossVersionObjectReference =>
  compact({ kind: r?.kind ?? '', name: r?.name ?? '', apiVersion: r?.apiVersion });
const v1Ref = (r: CrossVersionObjectReference | undefined): V1CrossRef =>
  compact({ kind: r?.kind ?? '', name: r?.name ?? '', apiVersion: r?.apiVersion });
const identifier = (name: string | undefined, selector: LabelSelector | undefined): MetricIdentifier =>
  compact({ name: name ?? '', selector });

function v1MetricToV2(m: V1MetricSpec): MetricSpec {
  const out: MetricSpec = { type: m.type };
  if (m.object)
    out.object = {
      describedObject: ref(m.object.target),
      metric: identifier(m.object.metricName, m.object.selector),
      target: compact({
        type: isSet(m.object.averageValue) ? 'AverageValue' : 'Value',
        value: m.object.targetValue ?? '0',
        averageValue: m.object.averageValue,
      }),
    };
  if (m.pods)
    out.pods = {
      metric: identifier(m.pods.metricName, m.pods.selector),
      target: { type: 'AverageValue', averageValue: m.pods.targetAverageValue ?? '0' },
    };
  if (m.resource)
    out.resource = {
      name: m.resource.name,
      target: compact({
        type: isSet(m.resource.targetAverageUtilization) ? 'Utilization' : 'AverageValue',
        averageValue: m.resource.targetAverageValue,
        averageUtilization: m.resource.targetAverageUtilization,
      }),
    };
  if (m.containerResource)
    out.containerResource = {
      name: m.containerResource.name,
      container: m.containerResource.container,
      target: compact({
        type: isSet(m.containerResource.targetAverageUtilization) ? 'Utilization' : 'AverageValue',
        averageValue: m.containerResource.targetAverageValue,
        averageUtilization: m.containerResource.targetAverageUtilization,
      }),
    };
  if (m.external)
    out.external = {
      metric: identifier(m.external.metricName, m.external.metricSelector),
      target: compact({
        type: isSet(m.external.targetValue) ? 'Value' : 'AverageValue',
        value: m.external.targetValue,
        averageValue: m.external.targetAverageValue,
      }),
    };
  return out;
}

function v2MetricToV1(m: MetricSpec): V1MetricSpec {
  const out: V1MetricSpec = { type: m.type };
  if (m.object)
    out.object = compact({
      target: v1Ref(m.object.describedObject),
      metricName: m.object.metric?.name ?? '',
      targetValue: m.object.target?.value ?? '0',
      selector: m.object.metric?.selector,
      averageValue: m.object.target?.averageValue,
    });
  if (m.pods)
    out.pods = compact({
      metricName: m.pods.metric?.name ?? '',
      targetAverageValue: m.pods.target?.averageValue ?? '0',
      selector: m.pods.metric?.selector,
    });
  if (m.resource)
    out.resource = compact({
      name: m.resource.name,
      targetAverageUtilization: m.resource.target?.averageUtilization,
      targetAverageValue: m.resource.target?.averageValue,
    });
  if (m.containerResource)
    out.containerResource = compact({
      name: m.containerResource.name,
      targetAverageUtilization: m.containerResource.target?.averageUtilization,
      targetAverageValue: m.containerResource.target?.averageValue,
      container: m.containerResource.container,
    });
  if (m.external)
    out.external = compact({
      metricName: m.external.metric?.name ?? '',
      metricSelector: m.external.metric?.selector,
      targetValue: m.external.target?.value,
      targetAverageValue: m.external.target?.averageValue,
    });
  return out;
}

function v1StatusToV2(m: V1MetricStatus): MetricStatus {
  const out: MetricStatus = { type: m.type };
  if (m.object)
    out.object = {
      describedObject: ref(m.object.target),
      metric: identifier(m.object.metricName, m.object.selector),
      current: compact({ value: m.object.currentValue ?? '0', averageValue: m.object.averageValue }),
    };
  if (m.pods)
    out.pods = { metric: identifier(m.pods.metricName, m.pods.selector), current: { averageValue: m.pods.currentAverageValue ?? '0' } };
  if (m.resource)
    out.resource = {
      name: m.resource.name,
      current: compact({ averageValue: m.resource.currentAverageValue ?? '0', averageUtilization: m.resource.currentAverageUtilization }),
    };
  if (m.containerResource)
    out.containerResource = {
      name: m.containerResource.name,
      container: m.containerResource.container,
      current: compact({
        averageValue: m.containerResource.currentAverageValue ?? '0',
        averageUtilization: m.containerResource.currentAverageUtilization,
      }),
    };
  if (m.external)
    out.external = {
      metric: identifier(m.external.metricName, m.external.metricSelector),
      current: compact({ value: m.external.currentValue ?? '0', averageValue: m.external.currentAverageValue }),
    };
  return out;
}

function v2StatusToV1(m: MetricStatus): V1MetricStatus {
  const out: V1MetricStatus = { type: m.type };
  if (m.object)
    out.object = compact({
      target: v1Ref(m.object.describedObject),
      metricName: m.object.metric?.name ?? '',
      currentValue: m.object.current?.value ?? '0',
      selector: m.object.metric?.selector,
      averageValue: m.object.current?.averageValue,
    });
  if (m.pods)
    out.pods = compact({
      metricName: m.pods.metric?.name ?? '',
      currentAverageValue: m.pods.current?.averageValue ?? '0',
      selector: m.pods.metric?.selector,
    });
  if (m.resource)
    out.resource = compact({
      name: m.resource.name,
      currentAverageUtilization: m.resource.current?.averageUtilization,
      currentAverageValue: m.resource.current?.averageValue ?? '0',
    });
  if (m.containerResource)
    out.containerResource = compact({
      name: m.containerResource.name,
      currentAverageUtilization: m.containerResource.current?.averageUtilization,
      currentAverageValue: m.containerResource.current?.averageValue ?? '0',
      container: m.containerResource.container,
    });
  if (m.external)
    out.external = compact({
      metricName: m.external.metric?.name ?? '',
      metricSelector: m.external.metric?.selector,
      currentValue: m.external.current?.value ?? '0',
      currentAverageValue: m.external.current?.averageValue,
    });
  return out;
}

// The behavior annotation holds upstream's internal type marshalled without JSON tags: Go names.
type GoRules = {
  StabilizationWindowSeconds: number | null;
  SelectPolicy: string | null;
  Policies: { Type: string; Value: number; PeriodSeconds: number }[] | null;
};
const rulesToGo = (r: HPAScalingRules | null | undefined): GoRules | null =>
  r
    ? {
        StabilizationWindowSeconds: r.stabilizationWindowSeconds ?? null,
        SelectPolicy: r.selectPolicy ?? null,
        Policies: r.policies ? r.policies.map((p) => ({ Type: p.type, Value: p.value, PeriodSeconds: p.periodSeconds })) : null,
      }
    : null;
const rulesFromGo = (r: Partial<GoRules> | null | undefined): HPAScalingRules | undefined =>
  r && typeof r === 'object'
    ? compact({
        stabilizationWindowSeconds: r.StabilizationWindowSeconds ?? undefined,
        selectPolicy: r.SelectPolicy ?? undefined,
        policies: Array.isArray(r.Policies)
          ? r.Policies.map((p) => ({ type: p.Type, value: p.Value, periodSeconds: p.PeriodSeconds }))
          : undefined,
      })
    : undefined;

const isCpuUtilization = (m: MetricSpec) =>
  m.type === 'Resource' && m.resource?.name === 'cpu' && isSet(m.resource.target?.averageUtilization);

function parseJSON<T>(s: string | undefined): T | undefined {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

/** The annotations without the round-trip ones (undefined when nothing is left). */
function dropRoundTrip(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const out = { ...a };
  for (const k of ROUND_TRIP) delete out[k];
  return Object.keys(out).length ? out : undefined;
}

/** Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler (from storage). */
export function hpaV2ToV1(h: HpaObj): V1HpaObj {
  const spec = h.spec;
  const st = h.status;
  const annotations: Record<string, string> = { ...dropRoundTrip(h.metadata.annotations) };
  const metrics = spec?.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => !isCpuUtilization(m));
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others.map(v2MetricToV1));
  if (st?.currentMetrics?.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(st.currentMetrics.map(v2StatusToV1));
  if (spec?.behavior)
    annotations[BEHAVIOR_SPECS_ANNOTATION] = JSON.stringify({
      ScaleUp: rulesToGo(spec.behavior.scaleUp),
      ScaleDown: rulesToGo(spec.behavior.scaleDown),
    });
  if (st?.conditions?.length)
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(
      st.conditions.map((c) => ({
        type: c.type,
        status: c.status,
        lastTransitionTime: c.lastTransitionTime ?? null,
        ...compact({ reason: c.reason, message: c.message }),
      })),
    );
  const cpuStatus = st?.currentMetrics?.find(
    (m) => m.type === 'Resource' && m.resource?.name === 'cpu' && isSet(m.resource.current?.averageUtilization),
  );
  const metadata = { ...h.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: V1HpaObj = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata };
  if (spec)
    out.spec = compact({
      scaleTargetRef: v1Ref(spec.scaleTargetRef) as V1Ref,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization,
    });
  if (st)
    out.status = compact({
      observedGeneration: st.observedGeneration,
      lastScaleTime: st.lastScaleTime,
      currentReplicas: st.currentReplicas ?? 0,
      desiredReplicas: st.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuStatus?.resource?.current?.averageUtilization,
    });
  return out;
}

/** Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler (to storage). */
export function hpaV1ToV2(h: V1HpaObj): HpaObj {
  const a = h.metadata.annotations ?? {};
  const spec = h.spec;
  const st = h.status;
  const metadata = { ...h.metadata };
  const kept = dropRoundTrip(h.metadata.annotations);
  if (kept) metadata.annotations = kept;
  else delete metadata.annotations;
  const out: HpaObj = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata };
  if (spec) {
    const metrics: MetricSpec[] = [];
    const others = parseJSON<V1MetricSpec[]>(a[METRIC_SPECS_ANNOTATION]);
    if (Array.isArray(others)) for (const m of others) if (m && typeof m === 'object') metrics.push(v1MetricToV2(m));
    if (isSet(spec.targetCPUUtilizationPercentage)) metrics.push(cpuMetric(spec.targetCPUUtilizationPercentage));
    // autoscaling/v1's implicit default, made explicit here as upstream does.
    if (!metrics.length) metrics.push(cpuMetric(DEFAULT_CPU_UTILIZATION));
    const v2spec: NonNullable<HpaObj['spec']> = compact({
      scaleTargetRef: ref(spec.scaleTargetRef),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics,
      behavior: undefined as HorizontalPodAutoscalerBehavior | undefined,
    });
    const behavior = parseJSON<{ ScaleUp?: GoRules | null; ScaleDown?: GoRules | null }>(a[BEHAVIOR_SPECS_ANNOTATION]);
    if (behavior && typeof behavior === 'object' && (behavior.ScaleUp || behavior.ScaleDown)) {
      v2spec.behavior = {
        scaleUp: rulesFromGo(behavior.ScaleUp) ?? scaleUpDefaults(),
        scaleDown: rulesFromGo(behavior.ScaleDown) ?? scaleDownDefaults(),
      };
    }
    out.spec = v2spec;
  }
  if (st) {
    const v2st: NonNullable<HpaObj['status']> = compact({
      observedGeneration: st.observedGeneration,
      lastScaleTime: st.lastScaleTime,
      currentReplicas: st.currentReplicas || undefined,
      desiredReplicas: st.desiredReplicas ?? 0,
      currentMetrics: undefined as MetricStatus[] | undefined,
      conditions: undefined as HorizontalPodAutoscalerCondition[] | undefined,
    });
    const current = parseJSON<V1MetricStatus[]>(a[METRIC_STATUSES_ANNOTATION]);
    if (Array.isArray(current)) v2st.currentMetrics = current.filter((m) => m && typeof m === 'object').map(v1StatusToV2);
    else if (isSet(st.currentCPUUtilizationPercentage))
      v2st.currentMetrics = [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } },
      ];
    const conds = parseJSON<HorizontalPodAutoscalerCondition[]>(a[CONDITIONS_ANNOTATION]);
    if (Array.isArray(conds))
      v2st.conditions = conds
        .filter((c) => c && typeof c === 'object')
        .map((c) =>
          compact({
            type: c.type,
            status: c.status,
            lastTransitionTime: c.lastTransitionTime ?? undefined,
            reason: c.reason,
            message: c.message,
          }),
        );
    out.status = v2st;
  }
  return out;
}

// ---- printing (printHorizontalPodAutoscaler) ----

const milliText = (q: Q | undefined) => {
  const p = parseQuantity(q ?? '0');
  return p ? quantityString(p) : String(q);
};

/** formatHPAMetrics. */
export function formatHpaMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs?.length) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses?.[i];
    switch (spec.type) {
      case 'External': {
        const t = spec.external?.target;
        if (isSet(t?.averageValue)) {
          const cur = isSet(st?.external?.current?.averageValue) ? milliText(st.external.current.averageValue) : '<unknown>';
          list.push(`${cur}/${milliText(t.averageValue)} (avg)`);
        } else list.push(`${st?.external ? milliText(st.external.current?.value) : '<unknown>'}/${milliText(t?.value)}`);
        break;
      }
      case 'Pods':
        list.push(`${st?.pods ? milliText(st.pods.current?.averageValue) : '<unknown>'}/${milliText(spec.pods?.target?.averageValue)}`);
        break;
      case 'Object': {
        const t = spec.object?.target;
        if (isSet(t?.averageValue)) {
          const cur = isSet(st?.object?.current?.averageValue) ? milliText(st.object.current.averageValue) : '<unknown>';
          list.push(`${cur}/${milliText(t.averageValue)} (avg)`);
        } else list.push(`${st?.object ? milliText(st.object.current?.value) : '<unknown>'}/${milliText(t?.value)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource : st?.containerResource;
        const name = src?.name ?? '';
        if (isSet(src?.target?.averageValue)) {
          list.push(`${name}: ${cur ? milliText(cur.current?.averageValue) : '<unknown>'}/${milliText(src.target.averageValue)}`);
        } else {
          const c = isSet(cur?.current?.averageUtilization) ? `${cur.current.averageUtilization}%` : '<unknown>';
          const t = isSet(src?.target?.averageUtilization) ? `${src.target.averageUtilization}%` : '<auto>';
          list.push(`${name}: ${c}/${t}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  if (list.length > 2) return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
  return list.join(', ');
}

const COLUMNS = [
  nameColumn(),
  column(
    'Reference',
    'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
  ),
  column(
    'Targets',
    'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.',
  ),
  column(
    'MinPods',
    'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
  ),
  column(
    'MaxPods',
    'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
  ),
  column('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
  ageColumn(),
];

export function hpaRow(h: HpaObj, now: Date): unknown[] {
  const spec = h.spec;
  return [
    h.metadata.name,
    `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`,
    formatHpaMetrics(spec?.metrics, h.status?.currentMetrics),
    isSet(spec?.minReplicas) ? String(spec.minReplicas) : '<unset>',
    spec?.maxReplicas ?? 0,
    h.status?.currentReplicas ?? 0,
    age(h, now),
  ];
}

// ---- the kinds ----

export const hpaV2Def = defineKind<HpaObj>({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  get schema() {
    return v2Schemas.HorizontalPodAutoscaler;
  },
  openapiName: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  statusSubresource: true,
  defaults: (h) => defaultHpa(h),
  prepareForCreate(h) {
    // Status is a struct upstream: desiredReplicas is always printed.
    h.status = { desiredReplicas: 0 };
  },
  validate: (h) => validateHpa(h),
  validateUpdate: (h, old) => validateHpa(h, old),
  validateStatusUpdate: (h) => validateHpaStatus(h),
  table: { columns: COLUMNS, row: hpaRow },
});

const toV2 = (o: KubeObject) => hpaV1ToV2(o as V1HpaObj);

export const hpaV1Def = defineKind<V1HpaObj>({
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  get schema() {
    return v1Schemas.HorizontalPodAutoscaler;
  },
  openapiName: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  statusSubresource: true,
  storage: {
    resource: 'autoscaling/horizontalpodautoscalers',
    toStorage: (o) => {
      const v2 = toV2(o);
      defaultHpa(v2);
      return v2;
    },
    fromStorage: (o) => hpaV2ToV1(clone(o) as HpaObj),
  },
  defaults(h) {
    // SetDefaults_HorizontalPodAutoscaler (v1): minReplicas 1; the CPU target stays unset.
    const spec = (h.spec ??= {} as NonNullable<V1HpaObj['spec']>);
    if (!isSet(spec.minReplicas)) spec.minReplicas = 1;
  },
  prepareForCreate(h) {
    h.status = { currentReplicas: 0, desiredReplicas: 0 };
    if (h.metadata.annotations) {
      // Status annotations are status: a create does not set them.
      const a = { ...h.metadata.annotations };
      delete a[METRIC_STATUSES_ANNOTATION];
      delete a[CONDITIONS_ANNOTATION];
      h.metadata.annotations = a;
    }
  },
  prepareForUpdate(h, old) {
    // What the annotations carry follows the write: a status write keeps the stored spec's
    // annotations, any other write the stored status's (upstream keeps the other half whole).
    const statusWrite = semanticEqual(h.spec, old.spec) && !semanticEqual(h.status, old.status);
    const keep = statusWrite ? [METRIC_SPECS_ANNOTATION, BEHAVIOR_SPECS_ANNOTATION] : [METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION];
    const a = { ...h.metadata.annotations };
    const was = old.metadata.annotations ?? {};
    for (const k of keep) {
      if (was[k] !== undefined) a[k] = was[k];
      else delete a[k];
    }
    if (Object.keys(a).length) h.metadata.annotations = a;
    else delete h.metadata.annotations;
  },
  validate: (h) => validateHpa(toV2(h)),
  validateUpdate: (h, old) => validateHpa(toV2(h), toV2(old)),
  validateStatusUpdate: (h) => validateHpaStatus(toV2(h)),
  table: { columns: COLUMNS, row: (h, now) => hpaRow(toV2(h), now) },
});
