// The HPA's replica arithmetic for resource metrics (upstream
// pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go), as pure
// functions of the Pods, their metrics and the time: which Pods count (ready, unready, missing a
// metric, ignored), the utilization ratio of usage to requests, the tolerance (0.1) within which
// nothing changes, and how missing and unready Pods are assumed to behave so that a scale never
// goes the wrong way.
import type { PodObj } from '../../registry/pod/strategy.js';
import { parseQuantity, quantityMilliValue } from '../../apimachinery/quantity.js';
import { goParseDuration } from '../../apimachinery/go-format.js';

/** --horizontal-pod-autoscaler-tolerance */
export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60 * 1000;
/** --horizontal-pod-autoscaler-initial-readiness-delay */
export const DELAY_OF_INITIAL_READINESS_STATUS_MS = 30 * 1000;

/** One Pod's metric (PodMetric): a milli-value, when it was taken and over which window. */
export interface PodMetric {
  timestamp: number;
  windowMs: number;
  value: number;
}
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalcOptions {
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  delayOfInitialReadinessStatusMs?: number;
}

/** Milli-value of a quantity (Quantity.MilliValue, rounded up); 0 when unparsable. */
export function milliValue(q: string | number | undefined): number {
  const p = parseQuantity(q ?? '0');
  return p ? Number(quantityMilliValue(p)) : 0;
}

/** groupPods: ready count, and the names of unready, missing and ignored Pods. */
export function groupPods(
  pods: PodObj[],
  metrics: PodMetricsInfo,
  resource: string,
  now: number,
  o: CalcOptions = {},
): { readyPodCount: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> } {
  const initPeriod = o.cpuInitializationPeriodMs ?? CPU_INITIALIZATION_PERIOD_MS;
  const readinessDelay = o.delayOfInitialReadinessStatusMs ?? DELAY_OF_INITIAL_READINESS_STATUS_MS;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  let readyPodCount = 0;
  for (const pod of pods) {
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      let isUnready: boolean;
      const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
      if (!cond || Number.isNaN(start)) isUnready = true;
      else {
        const transition = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : 0;
        if (start + initPeriod > now) {
          // Still initializing: unready, or no full metric window since the last transition.
          isUnready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Unready and never ready.
          isUnready = cond.status === 'False' && start + readinessDelay > transition;
        }
      }
      if (isUnready) {
        unready.add(name);
        continue;
      }
    }
    readyPodCount++;
  }
  return { readyPodCount, unready, missing, ignored };
}

/** calculatePodRequests: the milli-requests of each Pod (of one container, or all). */
export function calculatePodRequests(pods: PodObj[], container: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const req = c.resources?.requests?.[resource];
      if (req === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += milliValue(req);
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio. */
export function resourceUtilizationRatio(
  metrics: PodMetricsInfo,
  requests: Map<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [pod, m] of metrics) {
    const r = requests.get(pod);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    n++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / n) };
}

/** GetMetricUsageRatio: average usage over the target. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

export interface ResourceReplicas {
  replicas: number;
  utilization: number;
  rawUtilization: number;
}

/** The metrics that count (those of ignored and unready Pods dropped) and the Pods' groups. */
interface UsableMetrics {
  metrics: PodMetricsInfo;
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
}

/**
 * The first steps of GetResourceReplicas and calcPlainMetricReplicas: group the Pods, drop the
 * metrics of ignored and unready ones, and fail as upstream does without Pods or usable metrics.
 */
function usableMetrics(pods: PodObj[], fetched: PodMetricsInfo, resource: string, now: number, o: CalcOptions): UsableMetrics {
  if (!pods.length) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = new Map(fetched);
  const { readyPodCount, unready, missing, ignored } = groupPods(pods, metrics, resource, now, o);
  for (const n of ignored) metrics.delete(n);
  for (const n of unready) metrics.delete(n);
  if (!metrics.size) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { metrics, readyPodCount, unready, missing };
}

/**
 * The replica count for a usage ratio, the same in GetResourceReplicas and calcPlainMetricReplicas
 * (only the ratio and the usage assumed for a Pod missing its metric differ): within the tolerance
 * nothing changes; with Pods missing a metric, or unready Pods while scaling up, those are assumed
 * to use `missingWhenScalingDown(pod)` (missing ones, scaling down) or nothing, the ratio is
 * computed again, and a result that changes direction or stays within the tolerance keeps the
 * current count.
 */
function replicasForRatio(
  currentReplicas: number,
  ratio: number,
  u: UsableMetrics,
  tolerance: number,
  missingWhenScalingDown: (pod: string) => number,
  ratioOf: (metrics: PodMetricsInfo) => number,
): number {
  const { metrics, unready, missing } = u;
  const scaleUpWithUnready = unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && missing.size === 0) {
    if (Math.abs(1.0 - ratio) <= tolerance) return currentReplicas;
    return Math.ceil(ratio * u.readyPodCount);
  }
  if (missing.size) {
    if (ratio < 1.0) for (const n of missing) metrics.set(n, { timestamp: 0, windowMs: 0, value: missingWhenScalingDown(n) });
    else if (ratio > 1.0) for (const n of missing) metrics.set(n, { timestamp: 0, windowMs: 0, value: 0 });
  }
  if (scaleUpWithUnready) for (const n of unready) metrics.set(n, { timestamp: 0, windowMs: 0, value: 0 });
  const next = ratioOf(metrics);
  if (Math.abs(1.0 - next) <= tolerance || (ratio < 1.0 && next > 1.0) || (ratio > 1.0 && next < 1.0)) return currentReplicas;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1.0 && replicas > currentReplicas) || (next > 1.0 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}

/**
 * GetResourceReplicas, after the metrics were fetched: the replica count for a target
 * utilization (percent of requests).
 */
export function resourceReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  container: string,
  pods: PodObj[],
  fetched: PodMetricsInfo,
  now: number,
  o: CalcOptions = {},
): ResourceReplicas {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
  const usable = usableMetrics(pods, fetched, resource, now, o);
  const requests = calculatePodRequests(pods, container, resource);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(usable.metrics, requests, targetUtilization);
  // Scaling down: a Pod without a metric is taken to use 100% of its request (or the target, if higher).
  const fallback = Math.max(100, targetUtilization);
  const replicas = replicasForRatio(
    currentReplicas,
    ratio,
    usable,
    tolerance,
    (n) => Math.trunc(((requests.get(n) ?? 0) * fallback) / 100),
    (m) => resourceUtilizationRatio(m, requests, targetUtilization).ratio,
  );
  return { replicas, utilization, rawUtilization: rawAverage };
}

/**
 * calcPlainMetricReplicas (a raw average value target, e.g. `averageValue: 100m` of CPU): the
 * same handling of unready and missing Pods, missing ones taken to use exactly the target.
 */
export function plainMetricReplicas(
  currentReplicas: number,
  targetUsage: number,
  resource: string,
  pods: PodObj[],
  fetched: PodMetricsInfo,
  now: number,
  o: CalcOptions = {},
): { replicas: number; usage: number } {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
  const usable = usableMetrics(pods, fetched, resource, now, o);
  const { ratio, usage } = metricUsageRatio(usable.metrics, targetUsage);
  const replicas = replicasForRatio(
    currentReplicas,
    ratio,
    usable,
    tolerance,
    () => targetUsage,
    (m) => metricUsageRatio(m, targetUsage).ratio,
  );
  return { replicas, usage };
}

/** A metrics window (a Go duration string, `1m0.5s`) in milliseconds; 0 when unparsable. */
export function parseGoDuration(d: string | undefined): number {
  try {
    return d ? goParseDuration(d) / 1e6 : 0;
  } catch {
    return 0;
  }
}
