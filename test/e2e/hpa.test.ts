// HorizontalPodAutoscalers: autoscaling/v2 (storage) and autoscaling/v1 (a view of it, with the
// round-trip annotations), defaults and validation with upstream's texts, `kubectl autoscale`,
// and the controller scaling a Deployment from the Pods' CPU (metrics.k8s.io read in process) on
// a fake clock: a CPU-burning Pod scales up at the next 15 s sync, an idle one scales down only
// after the 5 minute stabilization window. The replica arithmetic and the normalization are
// checked as pure functions too.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until, untilPasses } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';
import { createFakeClock, type FakeClock } from '../../src/base/clock.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';
import { resourceReplicas, groupPods, type PodMetricsInfo } from '../../src/controllers/podautoscaler/replica-calculator.js';
import { Normalizer, convertDesiredReplicasWithRules } from '../../src/controllers/podautoscaler/normalize.js';
import type { HpaObj } from '../../src/registry/autoscaling/horizontalpodautoscaler.js';
import { defaultHpa, scaleDownDefaults, scaleUpDefaults } from '../../src/registry/autoscaling/defaults.js';
import { hpaV1ToV2, hpaV2ToV1 } from '../../src/registry/autoscaling/conversion.js';
import { validateHpa } from '../../src/registry/autoscaling/validation.js';

// ---- pure arithmetic ----

const T0 = Date.parse('2024-01-01T00:00:00Z');
function pod(name: string, cpuRequest: string, o: { phase?: string; ready?: boolean; readySince?: number; started?: number } = {}): PodObj {
  const started = o.started ?? T0 - 10 * 60_000;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: cpuRequest } } }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: new Date(started).toISOString(),
      conditions: [
        {
          type: 'Ready',
          status: o.ready === false ? 'False' : 'True',
          lastTransitionTime: new Date(o.readySince ?? started + 1000).toISOString(),
        },
      ],
    },
  };
}
const metrics = (m: Record<string, number>): PodMetricsInfo =>
  new Map(Object.entries(m).map(([k, v]) => [k, { timestamp: T0 - 1000, windowMs: 15_000, value: v }]));

describe('replica calculator (upstream replica_calculator.go)', () => {
  it('scales by the utilization ratio of usage to requests', () => {
    const pods = [pod('a', '100m'), pod('b', '100m')];
    expect(resourceReplicas(2, 50, 'cpu', '', pods, metrics({ a: 200, b: 200 }), T0)).toEqual({
      replicas: 8,
      utilization: 200,
      rawUtilization: 200,
    });
    // Within the 0.1 tolerance: no change.
    expect(resourceReplicas(2, 50, 'cpu', '', pods, metrics({ a: 52, b: 52 }), T0).replicas).toBe(2);
    expect(resourceReplicas(2, 50, 'cpu', '', pods, metrics({ a: 10, b: 10 }), T0).replicas).toBe(1);
  });

  it('never turns a scale around with missing or unready Pods', () => {
    // Scale-down with a Pod without metrics: it is taken to use its whole request, which turns
    // the direction around, so nothing changes.
    const pods = [pod('a', '100m'), pod('b', '100m')];
    expect(resourceReplicas(2, 50, 'cpu', '', pods, metrics({ a: 10 }), T0).replicas).toBe(2);
    // Scale-up with an unready Pod: it counts as using nothing.
    const withUnready = [pod('a', '100m'), pod('b', '100m'), pod('c', '100m', { phase: 'Pending' })];
    expect(resourceReplicas(3, 50, 'cpu', '', withUnready, metrics({ a: 100, b: 100 }), T0).replicas).toBe(4);
    expect(() => resourceReplicas(1, 50, 'cpu', '', [pod('a', '100m')], metrics({}), T0)).toThrow(
      'did not receive metrics for targeted pods (pods might be unready)',
    );
    expect(() =>
      resourceReplicas(1, 50, 'cpu', '', [{ ...pod('a', '100m'), spec: { containers: [{ name: 'c' }] } }], metrics({ a: 1 }), T0),
    ).toThrow('missing request for cpu in container c of Pod a');
  });

  it('ignores the CPU of Pods still initializing until a full window after readiness', () => {
    const young = pod('a', '100m', { started: T0 - 60_000, readySince: T0 - 5_000 });
    const g = groupPods([young, pod('b', '100m')], metrics({ a: 500, b: 50 }), 'cpu', T0);
    expect([...g.unready]).toEqual(['a']);
    expect(g.readyPodCount).toBe(1);
  });
});

describe('normalization (upstream horizontal.go)', () => {
  it('without behavior: the highest recommendation of 5 minutes, at most double or +4', () => {
    let now = T0;
    const n = new Normalizer(() => now);
    n.recordInitial('k', 3);
    const held = n.normalize({ key: 'k', currentReplicas: 3, desiredReplicas: 1, minReplicas: 1, maxReplicas: 10 });
    expect(held.replicas).toBe(3);
    expect(held.conditions[0]).toMatchObject({ type: 'AbleToScale', reason: 'ScaleDownStabilized' });
    now += 5 * 60_000 + 1;
    expect(n.normalize({ key: 'k', currentReplicas: 3, desiredReplicas: 1, minReplicas: 1, maxReplicas: 10 }).replicas).toBe(1);
    expect(convertDesiredReplicasWithRules(1, 20, 1, 10)).toEqual({
      replicas: 4,
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    expect(convertDesiredReplicasWithRules(3, 20, 1, 5).reason).toBe('TooManyReplicas');
  });

  it('with behavior: the policies over their periods and the stabilization windows', () => {
    let now = T0;
    const n = new Normalizer(() => now);
    const behavior = { scaleUp: scaleUpDefaults(), scaleDown: { ...scaleDownDefaults(), stabilizationWindowSeconds: 60 } };
    n.recordInitial('k', 1);
    const up = n.normalize({ key: 'k', currentReplicas: 1, desiredReplicas: 10, minReplicas: 1, maxReplicas: 20, behavior });
    expect(up.replicas).toBe(5); // max(+4 Pods, +100%) per 15 s
    expect(up.conditions[1]).toMatchObject({ type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit' });
    n.storeScaleEvent(behavior, 'k', 1, 5);
    now += 5_000;
    // Within the same 15 s period the +4 is spent: 1 + 4 = 5, so no more.
    expect(n.normalize({ key: 'k', currentReplicas: 5, desiredReplicas: 10, minReplicas: 1, maxReplicas: 20, behavior }).replicas).toBe(5);
    now += 15_000;
    expect(n.normalize({ key: 'k', currentReplicas: 5, desiredReplicas: 10, minReplicas: 1, maxReplicas: 20, behavior }).replicas).toBe(10);
    // Scale-down waits for the 60 s window's highest recommendation (10) to age out.
    now += 1_000;
    expect(n.normalize({ key: 'k', currentReplicas: 10, desiredReplicas: 2, minReplicas: 1, maxReplicas: 20, behavior }).replicas).toBe(10);
    now += 61_000;
    expect(n.normalize({ key: 'k', currentReplicas: 10, desiredReplicas: 2, minReplicas: 1, maxReplicas: 20, behavior }).replicas).toBe(2);
    const disabled = { ...behavior, scaleDown: { ...behavior.scaleDown, selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 } };
    const d = n.normalize({ key: 'k', currentReplicas: 4, desiredReplicas: 2, minReplicas: 1, maxReplicas: 20, behavior: disabled });
    expect([d.replicas, d.conditions[1]!.reason]).toEqual([4, 'ScaleDownLimit']);
  });
});

describe('autoscaling/v1 <-> v2 conversion', () => {
  it('round-trips what v1 cannot say through annotations', () => {
    const v2: HpaObj = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'default', annotations: { keep: 'me' } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 7,
        metrics: [
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
        ],
        behavior: { scaleUp: scaleUpDefaults(), scaleDown: { ...scaleDownDefaults(), stabilizationWindowSeconds: 30 } },
      },
      status: {
        currentReplicas: 2,
        desiredReplicas: 3,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '90m' } } }],
        conditions: [
          { type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'SucceededRescale', message: 'm' },
        ],
      },
    };
    const v1 = hpaV2ToV1(v2);
    expect(v1.spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
      minReplicas: 2,
      maxReplicas: 7,
      targetCPUUtilizationPercentage: 60,
    });
    expect(v1.status).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 90 });
    const a = v1.metadata.annotations!;
    expect(JSON.parse(a['autoscaling.alpha.kubernetes.io/metrics']!)).toEqual([
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
    ]);
    expect(JSON.parse(a['autoscaling.alpha.kubernetes.io/behavior']!).ScaleDown).toEqual({
      StabilizationWindowSeconds: 30,
      SelectPolicy: 'Max',
      Policies: [{ Type: 'Percent', Value: 100, PeriodSeconds: 15 }],
    });
    const back = hpaV1ToV2(v1);
    // The CPU target comes back last (upstream appends it after the annotation's metrics).
    expect(back).toEqual(v2);
    // v1 without a target: upstream's implicit 80% made explicit.
    const plain = hpaV1ToV2({ ...v1, metadata: { name: 'p' }, spec: { ...v1.spec!, targetCPUUtilizationPercentage: undefined } });
    expect(plain.spec!.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
  });

  it('defaults and validates v2 as upstream', () => {
    const h: HpaObj = {
      metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3, behavior: { scaleDown: {} } },
    };
    defaultHpa(h);
    expect(h.spec!.minReplicas).toBe(1);
    expect(h.spec!.behavior).toEqual({ scaleUp: scaleUpDefaults(), scaleDown: scaleDownDefaults() });
    const bad: HpaObj = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: '', name: 'a/b' }, minReplicas: 3, maxReplicas: 2 } };
    expect(validateHpa(bad).map((e) => `${e.field}: ${e.body}`)).toEqual([
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
      'spec.scaleTargetRef.kind: Required value',
      'spec.scaleTargetRef.name: Invalid value: "a/b": may not contain \'/\'',
    ]);
  });
});

// ---- the cluster ----

let tc: TestCluster;
let clock: FakeClock;
beforeAll(async () => {
  clock = createFakeClock();
  tc = await startTestCluster({ clock });
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const HPAS_V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
const HPAS_V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const { json } = workloadKubectl(() => tc);

function deployment(name: string, replicas: number, script: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image: 'local/sh', command: ['sh', '-c', script], resources: { requests: { cpu: '100m' } } }],
        },
      },
    },
  });
}
const readyPods = async (app: string) =>
  ((await json(['get', 'pods', '-l', `app=${app}`])).items as PodObj[]).filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
const condition = (h: HpaObj, type: string) => h.status?.conditions?.find((c) => c.type === type);

describe('HorizontalPodAutoscaler API', () => {
  it('refuses invalid specs with upstream texts and stores nothing', async () => {
    const create = (spec: Record<string, unknown>) =>
      api(tc.cluster, 'POST', HPAS_V2, {
        body: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec },
      });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' };
    const min0 = await create({ scaleTargetRef: ref, minReplicas: 0, maxReplicas: 2 });
    expect([min0.status, min0.json().message]).toEqual([
      422,
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.minReplicas: Invalid value: 0: must be greater than or equal to 1, spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas]',
    ]);
    const noPolicies = await create({ scaleTargetRef: ref, maxReplicas: 2, behavior: { scaleUp: { policies: [] } } });
    expect(noPolicies.json().message).toBe(
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.behavior.scaleUp.policies: Required value: must specify at least one Policy',
    );
    const target = await create({
      scaleTargetRef: ref,
      maxReplicas: 2,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }],
    });
    expect(target.json().message).toBe(
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    );
    const v1 = await api(tc.cluster, 'POST', HPAS_V1, {
      body: {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'bad' },
        spec: { scaleTargetRef: ref, maxReplicas: 0 },
      },
    });
    expect(v1.json().message).toBe(
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`]',
    );
    expect((await api(tc.cluster, 'GET', `${HPAS_V2}/bad`)).status).toBe(404);
  });

  it('serves v2 (preferred) and v1 over one storage, with the v1 round-trip annotations', async () => {
    const group = JSON.parse((await tc.kubectl(['get', '--raw', '/apis/autoscaling'])).stdout);
    expect(group.preferredVersion.version).toBe('v2');
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1']);
    const created = await api(tc.cluster, 'POST', HPAS_V1, {
      body: {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'old' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'none' }, maxReplicas: 3 },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json().spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'none', apiVersion: 'apps/v1' },
      minReplicas: 1,
      maxReplicas: 3,
      targetCPUUtilizationPercentage: 80,
    });
    expect(created.json().status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
    const v2 = (await api(tc.cluster, 'GET', `${HPAS_V2}/old`)).json();
    expect(v2.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(v2.status).toEqual({ desiredReplicas: 0 });
    // A v2 behavior survives a v1 read-modify-write.
    await tc.kubectl([
      'patch',
      'hpa.v2.autoscaling',
      'old',
      '--type=merge',
      '-p',
      '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":30}}}}',
    ]);
    const asV1 = (await api(tc.cluster, 'GET', `${HPAS_V1}/old`)).json();
    expect(JSON.parse(asV1.metadata.annotations['autoscaling.alpha.kubernetes.io/behavior']).ScaleDown.StabilizationWindowSeconds).toBe(30);
    const put = await api(tc.cluster, 'PUT', `${HPAS_V1}/old`, { body: { ...asV1, spec: { ...asV1.spec, maxReplicas: 4 } } });
    expect(put.status).toBe(200);
    const after = (await api(tc.cluster, 'GET', `${HPAS_V2}/old`)).json();
    expect(after.spec.maxReplicas).toBe(4);
    expect(after.spec.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 30,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    expect(after.metadata.annotations).toBeUndefined();
    // The controller cannot find the target and says so.
    clock.advance(15_000);
    await untilPasses(async () => {
      const h = (await api(tc.cluster, 'GET', `${HPAS_V2}/old`)).json() as HpaObj;
      expect(condition(h, 'AbleToScale')).toMatchObject({
        status: 'False',
        reason: 'FailedGetScale',
        message: `the HPA controller was unable to get the target's current scale: deployments.apps "none" not found`,
      });
    });
    await tc.kubectl(['delete', 'hpa', 'old']);
  });
});

describe('horizontal-pod-autoscaler controller', () => {
  // Both Deployments run before the first metrics are read: metrics.k8s.io reports a Pod once it
  // was in two samples, and the HPA ignores a Pod's CPU for a sample window after it became ready.
  beforeAll(async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: deployment('idle', 2, 'exec sleep 3600') });
    await tc.kubectl(['apply', '-f', '-'], { input: deployment('busy', 1, 'while :; do :; done') });
    await untilPasses(async () => expect([await readyPods('busy'), await readyPods('idle')]).toEqual([1, 2]), { timeout: 30_000 });
    // The CPU of a Pod sampled within one metric window of its readiness is not counted (the
    // timestamps have whole seconds): the first samples come two seconds after the last Pod is ready.
    const readySince = ((await json(['get', 'pods'])).items as PodObj[]).map((p) =>
      Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? ''),
    );
    await until(() => Date.now() >= Math.max(...readySince) + 2_000, { what: 'two seconds of readiness' });
  }, 40_000);

  it('kubectl autoscale creates an autoscaling/v2 HPA that scales a CPU-burning Deployment up', async () => {
    await tc.kubectl(['autoscale', 'deployment', 'busy', '--min=1', '--max=2', '--cpu-percent=50']);
    const h = await json(['get', 'hpa.v2.autoscaling', 'busy']);
    expect(h.spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'busy', apiVersion: 'apps/v1' },
      minReplicas: 1,
      maxReplicas: 2,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    });
    try {
      // Nothing before the first sync period.
      expect((await json(['get', 'hpa', 'busy'])).status).toEqual({ desiredReplicas: 0 });
      clock.advance(15_000);
      await untilPasses(
        async () => {
          const d = await json(['get', 'deployment', 'busy']);
          expect(d.spec.replicas).toBe(2);
        },
        { timeout: 20_000 },
      );
      const got = (await json(['get', 'hpa', 'busy'])) as HpaObj;
      expect(got.status).toMatchObject({ currentReplicas: 1, desiredReplicas: 2 });
      expect(got.status!.lastScaleTime).toBeDefined();
      expect(got.status!.currentMetrics![0]!.resource!.current.averageUtilization).toBeGreaterThan(100);
      expect(condition(got, 'AbleToScale')).toMatchObject({
        status: 'True',
        reason: 'SucceededRescale',
        message: 'the HPA controller was able to update the target scale to 2',
      });
      expect(condition(got, 'ScalingActive')).toMatchObject({
        status: 'True',
        reason: 'ValidMetricFound',
        message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
      });
      expect(condition(got, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
      const ev = await json(['get', 'events', '--field-selector', 'involvedObject.name=busy,reason=SuccessfulRescale']);
      expect(ev.items[0]).toMatchObject({
        type: 'Normal',
        message: 'New size: 2; reason: cpu resource utilization (percentage of request) above target',
        source: { component: 'horizontal-pod-autoscaler' },
      });
      const row = (await tc.kubectl(['get', 'hpa', 'busy', '--no-headers'])).stdout;
      expect(row).toMatch(/^busy\s+Deployment\/busy\s+cpu: \d+%\/50%\s+1\s+2\s+1\s+\d+s/);
    } finally {
      await tc.kubectl(['delete', 'deployment', 'busy', '--wait=false']);
      await tc.kubectl(['delete', 'hpa', 'busy']);
    }
  }, 90_000);

  it('scales an idle Deployment down only after the stabilization window', async () => {
    await tc.kubectl(['autoscale', 'deployment', 'idle', '--min=1', '--max=3', '--cpu-percent=50']);
    clock.advance(15_000);
    await untilPasses(
      async () => {
        const h = (await json(['get', 'hpa', 'idle'])) as HpaObj;
        expect(condition(h, 'AbleToScale')).toMatchObject({ reason: 'ScaleDownStabilized' });
        expect(h.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });
      },
      { timeout: 20_000 },
    );
    expect((await json(['get', 'deployment', 'idle'])).spec.replicas).toBe(2);
    clock.advance(5 * 60_000 + 15_000);
    await untilPasses(async () => expect((await json(['get', 'deployment', 'idle'])).spec.replicas).toBe(1), { timeout: 20_000 });
    const ev = await json(['get', 'events', '--field-selector', 'involvedObject.name=idle,reason=SuccessfulRescale']);
    expect(ev.items[0].message).toBe('New size: 1; reason: All metrics below target');
    await tc.kubectl(['delete', 'deployment', 'idle', '--wait=false']);
    await tc.kubectl(['delete', 'hpa', 'idle']);
  }, 90_000);
});
