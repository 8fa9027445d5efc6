// The autoscaling/v1 view of a HorizontalPodAutoscaler (upstream pkg/apis/autoscaling/v1/conversion.go):
// v1 can only say "target CPU utilization"; what v2 says beyond that travels in annotations of the
// v1 view, as upstream: autoscaling.alpha.kubernetes.io/metrics (the other metrics),
// .../current-metrics (every metric status), .../behavior (Go field names, as upstream marshals its
// internal type) and .../conditions; a v1 object written back is converted with them, so a v1 GET
// and PUT changes nothing.
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition,
  HPAScalingRules,
  MetricIdentifier,
  MetricSpec,
  MetricStatus,
} from '../../api/generated/autoscaling/v2.js';
import type { CrossVersionObjectReference as V1Ref } from '../../api/generated/autoscaling/v1.js';
import type { LabelSelector } from '../../api/generated/meta/v1.js';
import type { Quantity as Q } from '../../api/generated/resource.js';
import type { HpaObj, V1HpaObj } from './horizontalpodautoscaler.js';
import { cpuMetric, DEFAULT_CPU_UTILIZATION, scaleDownDefaults, scaleUpDefaults } from './defaults.js';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, BEHAVIOR_SPECS_ANNOTATION, CONDITIONS_ANNOTATION];

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

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
