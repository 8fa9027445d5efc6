// HorizontalPodAutoscaler defaults (upstream pkg/apis/autoscaling/v2/defaults.go
// SetDefaults_HorizontalPodAutoscaler): minReplicas 1, an 80% CPU utilization target when no
// metric is given, and the default scale-up and scale-down rules under a behavior's unset fields.
import type { HPAScalingRules, MetricSpec } from '../../api/generated/autoscaling/v2.js';
import type { HpaObj } from './horizontalpodautoscaler.js';

export const DEFAULT_CPU_UTILIZATION = 80;

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

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
