// The horizontal pod autoscaler (upstream pkg/controller/podautoscaler/horizontal.go). Every 15 s
// (by the controllers' clock) each HorizontalPodAutoscaler reads its target's scale through the
// target's def (spec.replicas, status.replicas, the def's scale selector), the Pods' resource
// usage from metrics.k8s.io as the node agent serves it (read in process), computes the replica
// count per metric (replica-calculator.ts), stabilizes and rate-limits it (normalize.ts), writes
// spec.replicas of the target and records SuccessfulRescale, and keeps the conditions AbleToScale,
// ScalingActive and ScalingLimited and the current metrics in its status. Pods, Object and
// External metrics need a custom or external metrics API, which this cluster does not serve:
// they fail like upstream's do without one.
import { setValueAt, valueAt } from '../../registry/apiextensions/customresource/paths.js';
import type { ControllerContext, Controller } from '../context.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { ResourceDef } from '../../registry/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { PodMetrics } from '../../api/generated/metrics/v1beta1.js';
import { requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { clone, deepEqual, rfc3339 } from '../../apimachinery/meta.js';
import { matchRequirements, parseLabelSelector, type Requirement } from '../../apimachinery/selectors.js';
import { parseQuantity, quantityString } from '../../apimachinery/quantity.js';
import type {
  HpaObj,
  HorizontalPodAutoscalerCondition,
  MetricSpec,
  MetricStatus,
} from '../../registry/autoscaling/horizontalpodautoscaler.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { Normalizer } from './normalize.js';
import { milliValue, parseGoDuration, plainMetricReplicas, resourceReplicas, type PodMetricsInfo } from './replica-calculator.js';

/** --horizontal-pod-autoscaler-sync-period */
export const HPA_SYNC_PERIOD_MS = 15_000;
const HPAS = 'autoscaling/horizontalpodautoscalers';
const MANAGER = { fieldManager: 'kube-controller-manager' };

type Cond = HorizontalPodAutoscalerCondition;

/** A computation failure that carries the ScalingActive condition to set (getUnableComputeReplicaCountCondition). */
class MetricError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const milliQuantity = (milli: number) => {
  const q = parseQuantity(`${Math.trunc(milli)}m`);
  return q ? quantityString(q) : `${Math.trunc(milli)}m`;
};

export function startHorizontalPodAutoscaler(ctx: ControllerContext): Controller {
  const { registry, defs, log, informers, clock } = ctx;
  const hpaDef = requireDef(defs, 'autoscaling', 'horizontalpodautoscalers');
  const record = eventRecorder(
    registry,
    requireDef(defs, '', 'events'),
    'horizontal-pod-autoscaler',
    (err) => log.debug({ err }, 'event not recorded'),
    { now: () => clock.now() },
  );
  const hpas = informers.for(HPAS);
  const pods = informers.for('pods');
  const normalizer = new Normalizer(() => clock.now());
  /** The selector each HPA used last (hpaSelectors: who controls which Pods). */
  const selectors = new Map<string, Requirement[]>();
  const scheduled = new Map<string, () => void>();
  let stopped = false;

  const nowDate = () => new Date(clock.now());

  function setCondition(hpa: HpaObj, type: string, status: 'True' | 'False', reason: string, message: string) {
    const st = (hpa.status ??= { desiredReplicas: 0 });
    const list = [...(st.conditions ?? [])];
    let i = list.findIndex((c) => c.type === type);
    if (i < 0) {
      list.push({ type, status: '' });
      i = list.length - 1;
    }
    const c: Cond = { ...list[i]! };
    if (c.status !== status) c.lastTransitionTime = rfc3339(nowDate());
    c.status = status;
    c.reason = reason;
    c.message = message;
    list[i] = { type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
    st.conditions = list;
  }

  /** The target's def: the kinds of its group with a scale subresource first. */
  function targetDef(hpa: HpaObj): ResourceDef {
    const ref = hpa.spec!.scaleTargetRef;
    const parts = (ref.apiVersion ?? '').split('/');
    if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${ref.apiVersion}`);
    const group = parts.length === 2 ? parts[0]! : '';
    // Custom resources with a scale subresource are targets too (their CRDs' kinds).
    const matches = [...defs, ...(ctx.served?.custom() ?? [])].filter((d) => !d.unserved && d.group === group && d.kind === ref.kind);
    if (!matches.length) throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
    const withScale = matches.find((d) => d.scale);
    if (!withScale) throw new Error('the server could not find the requested resource');
    return withScale;
  }

  /** Pods of the namespace matching the selector. */
  const selectPods = (ns: string, sel: Requirement[]) =>
    (pods.list(ns) as PodObj[]).filter((p) => matchRequirements(sel, p.metadata.labels));

  /** validateAndParseSelector. */
  function parseSelector(hpa: HpaObj, key: string, selector: string): Requirement[] {
    if (!selector) {
      record(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      throw new Error('selector is required');
    }
    let sel: Requirement[];
    try {
      sel = parseLabelSelector(selector);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
      record(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg);
      throw new Error(msg);
    }
    selectors.set(key, sel);
    const ns = hpa.metadata.namespace!;
    const controlling = new Set<string>();
    for (const p of selectPods(ns, sel)) {
      for (const [other, s] of selectors) if (other.startsWith(`${ns}/`) && matchRequirements(s, p.metadata.labels)) controlling.add(other);
    }
    if (controlling.size > 1) {
      const names = [...controlling].sort().map((k) => {
        const [n, name] = k.split('/');
        return `{${name} ${n}}`;
      });
      const msg = `pods by selector ${selector} are controlled by multiple HPAs: [${names.join(' ')}]`;
      record(hpa, 'Warning', 'AmbiguousSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'AmbiguousSelector', msg);
      throw new Error(msg);
    }
    return sel;
  }

  /** GetResourceMetric: the Pods' usage of a resource from metrics.k8s.io. */
  async function resourceMetrics(ns: string, sel: Requirement[], resource: string, container: string): Promise<PodMetricsInfo> {
    const items = ((await ctx.podMetrics?.list(ns)) ?? []) as PodMetrics[];
    const matching = items.filter((m) => matchRequirements(sel, m.metadata?.labels));
    if (!matching.length) throw new Error('no metrics returned from resource metrics API');
    const out: PodMetricsInfo = new Map();
    for (const m of matching) {
      const name = m.metadata?.name ?? '';
      const timestamp = Date.parse(m.timestamp);
      const windowMs = parseGoDuration(m.window);
      if (container) {
        const c = m.containers.find((x) => x.name === container);
        if (!c) throw new Error(`failed to get container metrics: container ${container} not present in metrics for pod ${ns}/${name}`);
        if (c.usage[resource] === undefined) continue;
        out.set(name, { timestamp, windowMs, value: milliValue(c.usage[resource]) });
        continue;
      }
      let sum = 0;
      let missing = !m.containers.length;
      for (const c of m.containers) {
        if (c.usage[resource] === undefined) {
          missing = true;
          break;
        }
        sum += milliValue(c.usage[resource]);
      }
      if (!missing) out.set(name, { timestamp, windowMs, value: sum });
    }
    return out;
  }

  /** computeStatusForResourceMetricGeneric (Resource and ContainerResource). */
  async function resourceMetric(
    hpa: HpaObj,
    spec: MetricSpec,
    current: number,
    sel: Requirement[],
  ): Promise<{ replicas: number; name: string; status: MetricStatus }> {
    const container = spec.type === 'ContainerResource';
    const src = container ? spec.containerResource! : spec.resource!;
    const cname = container ? spec.containerResource!.container : '';
    const ns = hpa.metadata.namespace!;
    const reason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
    const target = src.target;
    const podList = selectPods(ns, sel);
    const now = clock.now();
    const fetch = async () => {
      try {
        return await resourceMetrics(ns, sel, src.name, cname);
      } catch (e) {
        throw new Error(`unable to get metrics for resource ${src.name}: ${(e as Error).message}`);
      }
    };
    const current2 = (status: MetricStatus['resource']) =>
      container
        ? ({ type: 'ContainerResource', containerResource: { name: src.name, container: cname, current: status!.current } } as MetricStatus)
        : ({ type: 'Resource', resource: status } as MetricStatus);
    try {
      if (target.averageValue !== undefined && target.averageValue !== null) {
        let r: { replicas: number; usage: number };
        try {
          r = plainMetricReplicas(current, milliValue(target.averageValue), src.name, podList, await fetch(), now);
        } catch (e) {
          throw new Error(`failed to get ${src.name} usage: ${(e as Error).message}`);
        }
        return {
          replicas: r.replicas,
          name: `${src.name} resource`,
          status: current2({ name: src.name, current: { averageValue: milliQuantity(r.usage) } }),
        };
      }
      if (target.averageUtilization === undefined || target.averageUtilization === null)
        throw new Error(
          'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
        );
      let r: ReturnType<typeof resourceReplicas>;
      try {
        r = resourceReplicas(current, target.averageUtilization, src.name, cname, podList, await fetch(), now);
      } catch (e) {
        throw new Error(`failed to get ${src.name} utilization: ${(e as Error).message}`);
      }
      return {
        replicas: r.replicas,
        name: container
          ? `${src.name} container resource utilization (percentage of request)`
          : `${src.name} resource utilization (percentage of request)`,
        status: current2({ name: src.name, current: { averageValue: milliQuantity(r.rawUtilization), averageUtilization: r.utilization } }),
      };
    } catch (e) {
      record(hpa, 'Warning', reason, (e as Error).message);
      throw new MetricError(
        container
          ? `failed to get ${cname} container metric value: ${(e as Error).message}`
          : `failed to get ${src.name} resource metric value: ${(e as Error).message}`,
        reason,
      );
    }
  }

  /** computeReplicasForMetric. */
  async function metricReplicas(hpa: HpaObj, spec: MetricSpec, current: number, sel: Requirement[]) {
    const fail = (reason: string, err: string, wrap: string): never => {
      record(hpa, 'Warning', reason, err);
      throw new MetricError(`${wrap}: ${err}`, reason);
    };
    const noAPI = (api: string) => `unable to fetch metrics from ${api} API: the server could not find the requested resource`;
    switch (spec.type) {
      case 'Resource':
      case 'ContainerResource':
        return resourceMetric(hpa, spec, current, sel);
      case 'Pods':
        return fail(
          'FailedGetPodsMetric',
          `unable to get metric ${spec.pods?.metric?.name}: ${noAPI('custom metrics')}`,
          'failed to get pods metric value',
        );
      case 'Object':
        return fail(
          'FailedGetObjectMetric',
          `unable to get metric ${spec.object?.metric?.name}: ${spec.object?.describedObject?.kind} on ${hpa.metadata.namespace} ${spec.object?.describedObject?.name}/${noAPI('custom metrics')}`,
          'failed to get object metric value',
        );
      case 'External':
        return fail(
          'FailedGetExternalMetric',
          `unable to get external metric ${hpa.metadata.namespace}/${spec.external?.metric?.name}/${noAPI('external metrics')}`,
          `failed to get ${spec.external?.metric?.name} external metric value`,
        );
      default: {
        const err = `unknown metric source type "${spec.type}"`;
        return fail('InvalidMetricSourceType', err, err);
      }
    }
  }

  /** computeReplicasForMetrics: the largest proposal; -1 when nothing could be computed. */
  async function replicasForMetrics(hpa: HpaObj, key: string, specReplicas: number, selector: string) {
    const sel = parseSelector(hpa, key, selector);
    const specs = hpa.spec?.metrics ?? [];
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstError: MetricError | undefined;
    for (let i = 0; i < specs.length; i++) {
      try {
        const r = await metricReplicas(hpa, specs[i]!, specReplicas, sel);
        statuses[i] = r.status;
        if (replicas === 0 || r.replicas > replicas) {
          replicas = r.replicas;
          metric = r.name;
        }
      } catch (e) {
        if (!(e instanceof MetricError)) throw e;
        if (!firstError) firstError = e;
        invalid++;
      }
    }
    const err = firstError
      ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`)
      : undefined;
    if (firstError && (invalid >= specs.length || replicas < specReplicas)) {
      setCondition(
        hpa,
        'ScalingActive',
        'False',
        firstError.reason,
        `the HPA was unable to compute the replica count: ${firstError.message}`,
      );
      return { replicas: -1, metric: '', statuses, err };
    }
    setCondition(
      hpa,
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${metric}`,
    );
    return { replicas, metric, statuses, err };
  }

  function writeStatusIfNeeded(before: HpaObj['status'], hpa: HpaObj) {
    if (deepEqual(before ?? null, hpa.status ?? null)) return;
    try {
      registry.update(hpaDef, hpa.metadata.namespace!, hpa.metadata.name!, hpa, { ...MANAGER, subresource: 'status' });
    } catch (e) {
      record(hpa, 'Warning', 'FailedUpdateStatus', (e as Error).message);
      throw e;
    }
  }

  /** setStatus: the counts, metrics and conditions; lastScaleTime when it rescaled. */
  function setStatus(hpa: HpaObj, current: number, desired: number, metrics: MetricStatus[] | undefined, rescaled: boolean) {
    const st = hpa.status ?? { desiredReplicas: 0 };
    hpa.status = {
      ...(current ? { currentReplicas: current } : {}),
      desiredReplicas: desired,
      ...(rescaled ? { lastScaleTime: rfc3339(nowDate()) } : st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(metrics?.length ? { currentMetrics: metrics } : {}),
      ...(st.conditions?.length ? { conditions: st.conditions } : {}),
    };
  }

  /** reconcileAutoscaler. */
  async function reconcile(shared: HpaObj, key: string) {
    const hpa = clone(shared);
    const before = clone(hpa.status);
    const spec = hpa.spec!;
    const ns = hpa.metadata.namespace!;
    const ref = spec.scaleTargetRef;
    const reference = `${ref.kind}/${ns}/${ref.name}`;
    let def: ResourceDef;
    let target: KubeObject;
    try {
      def = targetDef(hpa);
      const found = informers.for(storageResource(def)).get(def.namespaced ? ns : '', ref.name);
      if (!found) throw new Error(`${def.plural}${def.group ? `.${def.group}` : ''} "${ref.name}" not found`);
      target = registry.toAPI(def, found);
    } catch (e) {
      const msg = (e as Error).message;
      record(hpa, 'Warning', 'FailedGetScale', msg);
      setCondition(
        hpa,
        'AbleToScale',
        'False',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: ${msg}`,
      );
      writeStatusIfNeeded(before, hpa);
      log.debug({ hpa: key, err: msg }, `failed to query scale subresource for ${reference}`);
      return;
    }
    setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const replicasPath = def.scale?.specReplicasPath ?? '.spec.replicas';
    const cur = valueAt(target, replicasPath);
    const currentReplicas = typeof cur === 'number' ? cur : 0;
    normalizer.recordInitial(key, currentReplicas);
    const minReplicas = spec.minReplicas ?? 1;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;
    if (currentReplicas === 0 && minReplicas !== 0) {
      desiredReplicas = 0;
      rescale = false;
      setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      let r: Awaited<ReturnType<typeof replicasForMetrics>>;
      try {
        r = await replicasForMetrics(hpa, key, currentReplicas, def.scale!.selector(target));
      } catch (e) {
        // The selector could not be used: its condition is set.
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics, false);
        writeStatusIfNeeded(before, hpa);
        log.debug({ hpa: key, err: (e as Error).message }, 'no selector to compute replicas with');
        return;
      }
      if (r.replicas === -1) {
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics, false);
        writeStatusIfNeeded(before, hpa);
        record(hpa, 'Warning', 'FailedComputeMetricsReplicas', r.err!.message);
        return;
      }
      metricStatuses = r.statuses;
      let rescaleMetric = '';
      if (r.replicas > desiredReplicas) {
        desiredReplicas = r.replicas;
        rescaleMetric = r.metric;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const n = normalizer.normalize({
        key,
        currentReplicas,
        desiredReplicas,
        minReplicas,
        maxReplicas: spec.maxReplicas,
        behavior: spec.behavior ?? undefined,
      });
      for (const c of n.conditions) setCondition(hpa, c.type, c.status, c.reason, c.message);
      desiredReplicas = n.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }
    if (rescale) {
      try {
        const patch: Record<string, unknown> = {};
        setValueAt(patch, replicasPath, desiredReplicas);
        registry.patch(def, ns, ref.name, 'merge', patch, MANAGER);
      } catch (e) {
        const msg = (e as Error).message;
        record(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg}`);
        setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics, false);
        writeStatusIfNeeded(before, hpa);
        return;
      }
      setCondition(
        hpa,
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${desiredReplicas}`,
      );
      record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      normalizer.storeScaleEvent(spec.behavior ?? undefined, key, currentReplicas, desiredReplicas);
      log.info({ hpa: key, currentReplicas, desiredReplicas, reason: rescaleReason }, 'successfully rescaled');
    } else {
      desiredReplicas = currentReplicas;
    }
    setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale);
    writeStatusIfNeeded(before, hpa);
  }

  /** The HPA's next sync one period from now, unless one is pending (upstream's resync queue). */
  const schedule = (key: string) => {
    if (stopped || scheduled.has(key)) return;
    scheduled.set(
      key,
      clock.after(HPA_SYNC_PERIOD_MS, () => {
        scheduled.delete(key);
        q.add(key);
      }),
    );
  };

  const q = createQueue(
    'horizontal-pod-autoscaler',
    async (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const hpa = hpas.get(ns, name) as HpaObj | undefined;
      if (!hpa) {
        normalizer.forget(key);
        selectors.delete(key);
        return;
      }
      try {
        await reconcile(hpa, key);
      } catch (e) {
        // Requeued at the next period anyway: no faster retry (never a hot loop).
        if (!(e instanceof StatusError && e.code === 409)) log.debug({ hpa: key, err: e }, 'HPA sync failed');
      } finally {
        if (hpas.get(ns, name)) schedule(key);
      }
    },
    (key, err) => log.debug({ err, hpa: key }, 'HPA sync retry'),
  );

  const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  const unsub = hpas.on({
    add: (o) => schedule(keyOf(o)),
    update: (o) => schedule(keyOf(o)),
    delete: (o) => {
      const key = keyOf(o);
      scheduled.get(key)?.();
      scheduled.delete(key);
      normalizer.forget(key);
      selectors.delete(key);
    },
  });
  return {
    stop() {
      stopped = true;
      unsub();
      for (const cancel of scheduled.values()) cancel();
      scheduled.clear();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
