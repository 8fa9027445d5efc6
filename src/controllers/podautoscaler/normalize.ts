// How the HPA turns a metric's recommendation into a replica count (upstream horizontal.go's
// normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors): stabilization windows over
// recent recommendations (5 minutes for scale-down without behavior), the old rate limit without
// behavior (at most double, at least 4), and with behavior the scaleUp/scaleDown policies over
// their periods (Pods and Percent, selectPolicy Max/Min/Disabled). It remembers recommendations
// and scale events per HPA; time comes from the given clock.
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from '../../registry/autoscaling/horizontalpodautoscaler.js';

/** --horizontal-pod-autoscaler-downscale-stabilization */
export const DOWNSCALE_STABILIZATION_WINDOW_MS = 5 * 60 * 1000;
const SCALE_UP_LIMIT_FACTOR = 2.0;
const SCALE_UP_LIMIT_MINIMUM = 4.0;

interface Recommendation {
  recommendation: number;
  at: number;
}
interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** A condition to set: AbleToScale or ScalingLimited, with reason and message. */
export interface ConditionUpdate {
  type: 'AbleToScale' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface NormalizeArgs {
  key: string;
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior?: HorizontalPodAutoscalerBehavior;
}

/** convertDesiredReplicasWithRules (no behavior): clamp to min, max and the scale-up limit. */
export function convertDesiredReplicasWithRules(
  current: number,
  desired: number,
  min: number,
  max: number,
): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
  let maxAllowed: number;
  let reason: string;
  let message: string;
  if (max > scaleUpLimit) {
    maxAllowed = scaleUpLimit;
    reason = 'ScaleUpLimit';
    message = 'the desired replica count is increasing faster than the maximum scale rate';
  } else {
    maxAllowed = max;
    reason = 'TooManyReplicas';
    message = 'the desired replica count is more than the maximum replica count';
  }
  if (desired < min)
    return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maxAllowed) return { replicas: maxAllowed, reason, message };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

/** Replicas changed by these events within the last `periodSeconds`. */
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.at > cutoff) n += e.change;
  return n;
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    let proposed = 0;
    if (p.type === 'Pods') proposed = start + p.value;
    else if (p.type === 'Percent') proposed = Math.ceil(start * (1 + p.value / 100));
    result = useMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const useMin = rules.selectPolicy === 'Min';
  let result = useMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    let proposed = 0;
    if (p.type === 'Pods') proposed = start - p.value;
    else if (p.type === 'Percent') proposed = Math.trunc(start * (1 - p.value / 100));
    result = useMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

const longestPeriod = (rules: HPAScalingRules | undefined) => Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds));

export class Normalizer {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(
    private readonly now: () => number,
    private readonly downscaleWindowMs = DOWNSCALE_STABILIZATION_WINDOW_MS,
  ) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  /** recordInitialRecommendation. */
  recordInitial(key: string, current: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ recommendation: current, at: this.now() }]);
  }

  /** The recommendation recorded, reusing a slot older than every window. */
  private record(key: string, value: number, isOld: (r: Recommendation) => boolean): void {
    const list = this.recommendations.get(key) ?? [];
    const i = list.findIndex(isOld);
    const rec = { recommendation: value, at: this.now() };
    if (i >= 0) list[i] = rec;
    else list.push(rec);
    this.recommendations.set(key, list);
  }

  /** normalizeDesiredReplicas / normalizeDesiredReplicasWithBehaviors: the count and the conditions to set. */
  normalize(a: NormalizeArgs): { replicas: number; conditions: ConditionUpdate[] } {
    return a.behavior ? this.withBehaviors(a, a.behavior) : this.withoutBehavior(a);
  }

  private withoutBehavior(a: NormalizeArgs): { replicas: number; conditions: ConditionUpdate[] } {
    // stabilizeRecommendation: the highest recommendation of the downscale window.
    const cutoff = this.now() - this.downscaleWindowMs;
    let max = a.desiredReplicas;
    let oldest = -1;
    const list = this.recommendations.get(a.key) ?? [];
    list.forEach((r, i) => {
      if (r.at < cutoff) oldest = i;
      else if (r.recommendation > max) max = r.recommendation;
    });
    this.record(a.key, a.desiredReplicas, (r) => r === list[oldest]);
    const conditions: ConditionUpdate[] = [
      max !== a.desiredReplicas
        ? {
            type: 'AbleToScale',
            status: 'True',
            reason: 'ScaleDownStabilized',
            message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
          }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    ];
    const c = convertDesiredReplicasWithRules(a.currentReplicas, max, a.minReplicas, a.maxReplicas);
    conditions.push({ type: 'ScalingLimited', status: c.replicas === max ? 'False' : 'True', reason: c.reason, message: c.message });
    return { replicas: c.replicas, conditions };
  }

  private withBehaviors(a: NormalizeArgs, behavior: HorizontalPodAutoscalerBehavior): { replicas: number; conditions: ConditionUpdate[] } {
    // maybeInitScaleDownStabilizationWindow: the controller's window when the HPA sets none.
    const up = behavior.scaleUp ?? {};
    const down = { ...behavior.scaleDown };
    down.stabilizationWindowSeconds ??= this.downscaleWindowMs / 1000;
    const now = this.now();
    // stabilizeRecommendationWithBehaviors
    const upCutoff = now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRec = a.desiredReplicas;
    let downRec = a.desiredReplicas;
    for (const r of this.recommendations.get(a.key) ?? []) {
      if (r.at > upCutoff) upRec = Math.min(r.recommendation, upRec);
      if (r.at > downCutoff) downRec = Math.max(r.recommendation, downRec);
    }
    let stabilized = a.currentReplicas;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    this.record(a.key, a.desiredReplicas, (r) => r.at < upCutoff && r.at < downCutoff);
    const conditions: ConditionUpdate[] = [];
    if (stabilized !== a.desiredReplicas) {
      conditions.push(
        a.desiredReplicas >= a.currentReplicas
          ? {
              type: 'AbleToScale',
              status: 'True',
              reason: 'ScaleUpStabilized',
              message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
            }
          : {
              type: 'AbleToScale',
              status: 'True',
              reason: 'ScaleDownStabilized',
              message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
            },
      );
    } else
      conditions.push({
        type: 'AbleToScale',
        status: 'True',
        reason: 'ReadyForNewScale',
        message: 'recommended size matches current size',
      });
    // convertDesiredReplicasWithBehaviorRate
    let replicas = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    const ups = this.scaleUpEvents.get(a.key) ?? [];
    const downs = this.scaleDownEvents.get(a.key) ?? [];
    if (stabilized > a.currentReplicas) {
      const limit = Math.max(scaleUpLimit(a.currentReplicas, ups, downs, up, now), a.currentReplicas);
      let maxAllowed = a.maxReplicas;
      let r = 'TooManyReplicas';
      let m = 'the desired replica count is more than the maximum replica count';
      if (maxAllowed > limit) {
        maxAllowed = limit;
        r = 'ScaleUpLimit';
        m = 'the desired replica count is increasing faster than the maximum scale rate';
      }
      if (stabilized > maxAllowed) [replicas, reason, message] = [maxAllowed, r, m];
    } else if (stabilized < a.currentReplicas) {
      const limit = Math.min(scaleDownLimit(a.currentReplicas, ups, downs, down, now), a.currentReplicas);
      let minAllowed = a.minReplicas;
      let r = 'TooFewReplicas';
      let m = 'the desired replica count is less than the minimum replica count';
      if (minAllowed < limit) {
        minAllowed = limit;
        r = 'ScaleDownLimit';
        m = 'the desired replica count is decreasing faster than the maximum scale rate';
      }
      if (stabilized < minAllowed) [replicas, reason, message] = [minAllowed, r, m];
    }
    conditions.push({ type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message });
    return { replicas, conditions };
  }

  /** storeScaleEvent: remembered only for HPAs with behavior (their policies read them). */
  storeScaleEvent(behavior: HorizontalPodAutoscalerBehavior | undefined, key: string, prev: number, next: number): void {
    if (!behavior) return;
    const upward = next > prev;
    const map = upward ? this.scaleUpEvents : this.scaleDownEvents;
    const cutoff = this.now() - longestPeriod(upward ? behavior.scaleUp : behavior.scaleDown) * 1000;
    const list = map.get(key) ?? [];
    for (const e of list) if (e.at < cutoff) e.outdated = true;
    const ev = { change: upward ? next - prev : prev - next, at: this.now(), outdated: false };
    const i = list.findIndex((e) => e.outdated);
    if (i >= 0) list[i] = ev;
    else list.push(ev);
    map.set(key, list);
  }
}
