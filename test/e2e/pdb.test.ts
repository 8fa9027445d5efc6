// policy/v1 PodDisruptionBudgets: validation with upstream's texts, the table, the disruption
// controller's status, pods/eviction honouring the budget (429 with the DisruptionBudget cause,
// the budget spent in the same transaction as the delete, more than one budget refused) and
// `kubectl drain` waiting on a budget and completing once it allows.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until, untilPasses } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';
import * as k8s from '@kubernetes/client-node';

let tc: TestCluster;
let node: string;
beforeAll(async () => {
  tc = await startTestCluster();
  node = tc.cluster.config.nodeName;
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const PDBS = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const PODS = '/api/v1/namespaces/default/pods';
const { json } = workloadKubectl(() => tc);
const pdb = (name: string) => json(['get', 'pdb', name]);
const evict = (name: string) =>
  api(tc.cluster, 'POST', `${PODS}/${name}/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } } });

function replicaSet(name: string, replicas: number, labels: Record<string, string>) {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'local/sleep', command: ['sleep', '3600'] }] },
      },
    },
  });
}
const podsOf = async (selector: string) =>
  (await json(['get', 'pods', '-l', selector])).items as {
    metadata: { name: string; deletionTimestamp?: string };
    status: { phase: string };
  }[];

describe('PodDisruptionBudget API', () => {
  it('refuses what ValidatePodDisruptionBudget refuses, with upstream texts', async () => {
    const create = (spec: Record<string, unknown>) =>
      api(tc.cluster, 'POST', PDBS, { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec } });
    const both = await create({ minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } });
    expect(both.status).toBe(422);
    expect(both.json().message).toMatch(
      /^PodDisruptionBudget\.policy "bad" is invalid: spec: Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:\(\*intstr\.IntOrString\)\(0x[0-9a-f]+\), .*\}: minAvailable and maxUnavailable cannot be both set$/,
    );
    const pct = await create({ minAvailable: '50x' });
    expect(pct.json().message).toBe(
      `PodDisruptionBudget.policy "bad" is invalid: spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"50x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    );
    const over = await create({ maxUnavailable: '150%' });
    expect(over.json().message).toBe(
      'PodDisruptionBudget.policy "bad" is invalid: spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    );
    const neg = await create({ minAvailable: -1 });
    expect(neg.json().message).toBe(
      'PodDisruptionBudget.policy "bad" is invalid: spec.minAvailable: Invalid value: -1: must be greater than or equal to 0',
    );
    const policy = await create({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' });
    expect(policy.json().message).toBe(
      'PodDisruptionBudget.policy "bad" is invalid: spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    );
    expect((await api(tc.cluster, 'GET', `${PDBS}/bad`)).status).toBe(404);
  });

  it('is served with its short name, table and status subresource', async () => {
    const disc = JSON.parse((await tc.kubectl(['get', '--raw', '/apis/policy/v1'])).stdout);
    expect(disc.resources.map((r: { name: string }) => r.name)).toEqual(['poddisruptionbudgets', 'poddisruptionbudgets/status']);
    expect(disc.resources[0].shortNames).toEqual(['pdb']);
    await tc.kubectl(['create', 'pdb', 'empty', '--selector=app=none', '--max-unavailable=30%']);
    const got = await pdb('empty');
    expect(got.metadata.generation).toBe(1);
    const table = (await tc.kubectl(['get', 'pdb', 'empty'])).stdout.split('\n')[0]!.split(/\s{2,}/);
    expect(table).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect((await tc.kubectl(['get', 'pdb', 'empty', '--no-headers'])).stdout).toMatch(/^empty\s+N\/A\s+30%\s+0\s+\d+s/);
    // The controller observes it: no pods, so nothing may be disrupted.
    await untilPasses(async () => {
      const st = (await pdb('empty')).status;
      expect(st).toMatchObject({ observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
      expect(st.conditions).toEqual([
        expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' }),
      ]);
    });
    // The typed client reads it back (its deserializer knows every field).
    const kc = new k8s.KubeConfig();
    kc.loadFromString(tc.cluster.kubeconfig);
    const typed = await kc.makeApiClient(k8s.PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'empty', namespace: 'default' });
    expect(typed.spec?.maxUnavailable).toBe('30%');
    expect(typed.status?.conditions?.[0]?.reason).toBe('InsufficientPods');
    const ev = await json(['get', 'events', '--field-selector', 'involvedObject.name=empty,reason=NoPods']);
    expect(ev.items[0]).toMatchObject({ message: 'No matching pods found', source: { component: 'controllermanager' } });
    await tc.kubectl(['delete', 'pdb', 'empty']);
  });
});

describe('disruption controller and pods/eviction', () => {
  it('counts a ReplicaSet’s Pods, spends the budget on an eviction and refuses past it', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: replicaSet('web', 3, { app: 'web' }) });
    await tc.kubectl(['create', 'pdb', 'web', '--selector=app=web', '--max-unavailable=1']);
    await untilPasses(
      async () => {
        const st = (await pdb('web')).status;
        expect(st).toMatchObject({ currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1 });
        expect(st.conditions[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
      },
      { timeout: 30_000 },
    );
    // Cordoned: the ReplicaSet's replacement stays Pending and the budget stays spent.
    await tc.kubectl(['cordon', node]);
    try {
      const [first, second] = (await podsOf('app=web')).map((p) => p.metadata.name);
      const rv = (await pdb('web')).metadata.resourceVersion;
      const ok = await evict(first!);
      expect(ok.status).toBe(201);
      // The budget was spent with the delete: allowed 0, the Pod recorded as disrupted (until the
      // controller sees it being deleted).
      const watched = await api(
        tc.cluster,
        'GET',
        `${PDBS}?watch=1&fieldSelector=metadata.name%3Dweb&resourceVersion=${rv}&timeoutSeconds=1`,
      );
      const spent = watched.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).object)
        .find((o) => o.status.disruptedPods);
      expect(spent.status.disruptionsAllowed).toBe(0);
      expect(Object.keys(spent.status.disruptedPods)).toEqual([first]);
      expect(spent.status.conditions[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' });
      const victim = JSON.parse((await tc.kubectl(['get', 'pod', first!, '-o', 'json'], { allowFail: true })).stdout || '{}');
      if (victim.metadata) {
        expect(victim.metadata.deletionTimestamp).toBeDefined();
        expect(victim.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget')).toMatchObject({
          status: 'True',
          reason: 'EvictionByEvictionAPI',
        });
      }
      await untilPasses(
        async () => expect((await pdb('web')).status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 }),
        {
          timeout: 20_000,
        },
      );
      const refused = await evict(second!);
      expect(refused.status).toBe(429);
      expect(refused.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: {
          causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }],
        },
        code: 429,
      });
      const still = JSON.parse((await tc.kubectl(['get', 'pod', second!, '-o', 'json'])).stdout);
      expect(still.metadata.deletionTimestamp).toBeUndefined();
      // A Pending Pod is not running: evicted without the budget.
      const pending = (await podsOf('app=web')).find((p) => p.status.phase === 'Pending' && !p.metadata.deletionTimestamp);
      expect(pending).toBeDefined();
      expect((await evict(pending!.metadata.name)).status).toBe(201);

      // Two budgets over the same Pods: upstream's 500.
      await tc.kubectl(['create', 'pdb', 'web2', '--selector=app=web', '--min-available=0']);
      const two = await evict(second!);
      expect([two.status, two.json().message]).toEqual([
        500,
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      ]);
      await tc.kubectl(['delete', 'pdb', 'web2']);
    } finally {
      await tc.kubectl(['uncordon', node]);
    }
    await tc.kubectl(['delete', 'pdb', 'web']);
    await tc.kubectl(['delete', 'rs', 'web', '--wait=false']);
  }, 90_000);

  it('lets an unready Pod go when the budget is met, and any with AlwaysAllow', async () => {
    const pod = (name: string, ready: boolean) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'probe' } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: 'c',
              image: 'local/sleep',
              command: ['sleep', '3600'],
              readinessProbe: { exec: { command: [ready ? 'true' : 'false'] }, periodSeconds: 1 },
            },
          ],
        },
      });
    for (const [n, r] of [
      ['ready-a', true],
      ['ready-b', true],
      ['unready', false],
    ] as const)
      await tc.kubectl(['apply', '-f', '-'], { input: pod(n, r) });
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/ready-a', 'pod/ready-b', '--timeout=30s']);
    await tc.kubectl(['create', 'pdb', 'probe', '--selector=app=probe', '--min-available=2']);
    await untilPasses(
      async () => expect((await pdb('probe')).status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 }),
      {
        timeout: 20_000,
      },
    );
    // Ready Pods are protected; the unready one goes (IfHealthyBudget: the budget is met).
    expect((await evict('ready-a')).status).toBe(429);
    expect((await evict('unready')).status).toBe(201);
    expect((await pdb('probe')).status.disruptionsAllowed).toBe(0);
    await tc.kubectl(['wait', '--for=delete', 'pod/unready', '--timeout=20s']);
    // minAvailable 3 is not met: an unready Pod needs AlwaysAllow.
    await tc.kubectl(['apply', '-f', '-'], { input: pod('unready', false) });
    await tc.kubectl(['patch', 'pdb', 'probe', '--type=merge', '-p', '{"spec":{"minAvailable":3}}']);
    await untilPasses(
      async () => expect((await pdb('probe')).status).toMatchObject({ observedGeneration: 2, desiredHealthy: 3, expectedPods: 3 }),
      {
        timeout: 20_000,
      },
    );
    await until(async () => (await podsOf('app=probe')).find((p) => p.metadata.name === 'unready')?.status.phase === 'Running', 20_000);
    const blocked = await evict('unready');
    expect([blocked.status, blocked.json().details.causes[0].message]).toEqual([
      429,
      'The disruption budget probe needs 3 healthy pods and has 2 currently',
    ]);
    await tc.kubectl(['patch', 'pdb', 'probe', '--type=merge', '-p', '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}']);
    await untilPasses(async () => expect((await pdb('probe')).status.observedGeneration).toBe(3), { timeout: 20_000 });
    expect((await evict('unready')).status).toBe(201);
    await tc.kubectl(['delete', 'pdb', 'probe']);
    await tc.kubectl(['delete', 'pod', '-l', 'app=probe', '--wait=false']);
  }, 90_000);
});

describe('kubectl drain with a PodDisruptionBudget', () => {
  it('waits and retries while the budget forbids, and completes once it allows', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: replicaSet('app', 2, { app: 'drained' }) });
    await untilPasses(async () => expect((await podsOf('app=drained')).filter((p) => p.status.phase === 'Running')).toHaveLength(2), {
      timeout: 30_000,
    });
    await tc.kubectl(['create', 'pdb', 'app', '--selector=app=drained', '--min-available=1']);
    await untilPasses(async () => expect((await pdb('app')).status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 }), {
      timeout: 20_000,
    });
    const originals = (await podsOf('app=drained')).map((p) => p.metadata.name);
    // One Pod may go at once; its replacement cannot run on the cordoned node, so the other waits.
    const drain = tc.kubectl(['drain', node, '--pod-selector=app=drained', '--grace-period=1', '--timeout=60s']);
    const retried = await until(
      async () => {
        const evs = await json(['get', 'pdb', 'app']);
        return evs.status.disruptionsAllowed === 0 && (await podsOf('app=drained')).some((p) => p.status.phase === 'Pending');
      },
      { timeout: 30_000, what: 'one Pod evicted and its replacement Pending' },
    );
    expect(retried).toBe(true);
    const stillThere = (await podsOf('app=drained')).filter((p) => originals.includes(p.metadata.name) && !p.metadata.deletionTimestamp);
    expect(stillThere).toHaveLength(1);
    // Uncordoned, the replacement runs, the budget allows again and the drain finishes.
    await tc.kubectl(['uncordon', node]);
    const r = await drain;
    expect(r.stderr).toContain(
      `error when evicting pods/"${stillThere[0]!.metadata.name}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`,
    );
    for (const n of originals) expect(r.stdout).toContain(`pod/${n} evicted`);
    expect(r.stdout).toContain(`node/${node} drained`);
    await tc.kubectl(['uncordon', node]);
  }, 120_000);
});
