// The Deployment controller's arithmetic (src/controllers/deployment/util.ts) against upstream's
// deployment_util_test.go cases: fenceposts, how far a new ReplicaSet may grow, proportional
// shares, revision annotations on a rollback, the template hash, and the status conditions.
import { describe, it, expect } from 'vitest';
import type { DeploymentObj } from '../../src/registry/apps/deployment.js';
import {
  calculateStatus,
  computePodTemplateHash,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportion,
  resolveFenceposts,
  setNewReplicaSetAnnotations,
  type ReplicaSetObj,
} from '../../src/controllers/deployment/util.js';
import type { IntOrString } from '../../src/api/generated/intstr.js';

const deploy = (
  replicas: number,
  surge: IntOrString = '25%',
  unavailable: IntOrString = '25%',
  extra: Partial<DeploymentObj> = {},
): DeploymentObj => ({
  metadata: { name: 'd', namespace: 'ns', generation: 1, uid: 'u' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'd' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    progressDeadlineSeconds: 600,
    template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  },
  ...extra,
});
const rs = (
  name: string,
  replicas: number,
  o: { available?: number; created?: string; annotations?: Record<string, string> } = {},
): ReplicaSetObj => ({
  metadata: { name, uid: name, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z', annotations: o.annotations },
  spec: { replicas, selector: { matchLabels: { app: 'd' } } },
  status: { replicas, availableReplicas: o.available ?? replicas, readyReplicas: o.available ?? replicas },
});

describe('fenceposts', () => {
  it('rounds surge up and unavailability down, never both 0', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual([3, 2]);
    expect(resolveFenceposts('25%', '25%', 1)).toEqual([1, 0]);
    expect(resolveFenceposts(0, '10%', 5)).toEqual([0, 1]);
    expect(resolveFenceposts(2, 3, 5)).toEqual([2, 3]);
    expect(maxUnavailable(deploy(3, 0, 5))).toBe(3);
    expect(maxUnavailable(deploy(0))).toBe(0);
    expect(maxSurge(deploy(10, '30%'))).toBe(3);
    expect(maxSurge({ ...deploy(10), spec: { ...deploy(10).spec!, strategy: { type: 'Recreate' } } })).toBe(0);
  });
});

describe('newRSNewReplicas', () => {
  it('grows the new ReplicaSet up to replicas + maxSurge in total', () => {
    const d = deploy(10, 3, 2);
    const old = rs('old', 10);
    const neu = rs('new', 0);
    expect(newRSNewReplicas(d, [old, neu], neu)).toBe(3);
    expect(newRSNewReplicas(d, [rs('old', 8), rs('new', 3)], rs('new', 3))).toBe(5);
    expect(newRSNewReplicas(d, [rs('old', 0), rs('new', 9)], rs('new', 9))).toBe(10);
    expect(newRSNewReplicas(d, [rs('old', 10), rs('new', 3)], rs('new', 3))).toBe(3);
  });
});

describe('proportional scaling', () => {
  it("shares added replicas by size, as upstream's documented 10 → 20 example", () => {
    const d = deploy(20, 3, 2, { status: { replicas: 13 } });
    const ann = { 'deployment.kubernetes.io/max-replicas': '13' };
    const old = rs('old', 8, { annotations: ann });
    const neu = rs('new', 5, { annotations: ann });
    const toAdd = 23 - 13;
    const p1 = proportion(old, d, toAdd, 0);
    const p2 = proportion(neu, d, toAdd, p1);
    expect([p1, p2]).toEqual([6, 4]);
    // Scaling down to zero removes everything.
    const zero = deploy(0);
    expect(proportion(old, zero, -13, 0)).toBe(-8);
  });
  it('finds the one active ReplicaSet, or the newest when none is', () => {
    const a = rs('a', 0, { created: '2024-01-01T00:00:00Z' });
    const b = rs('b', 0, { created: '2024-01-02T00:00:00Z' });
    expect(findActiveOrLatest(undefined, [a, b])?.metadata.name).toBe('b');
    expect(findActiveOrLatest(rs('n', 0), [a, rs('c', 2)])?.metadata.name).toBe('c');
    expect(findActiveOrLatest(rs('n', 1), [rs('c', 2)])).toBeUndefined();
  });
});

describe('revision annotations', () => {
  it('raises the revision of a ReplicaSet rolled back to and keeps its history', () => {
    const d = deploy(3, '25%', '25%');
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'why', 'deployment.kubernetes.io/revision': '9' };
    const r = rs('r', 3, { annotations: { 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/revision-history': '1' } });
    expect(setNewReplicaSetAnnotations(d, r, 5, true)).toBe(true);
    expect(r.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'why',
      'deployment.kubernetes.io/revision': '5',
      'deployment.kubernetes.io/revision-history': '1,2',
    });
    // Not lowered; nothing to do the second time.
    expect(setNewReplicaSetAnnotations(d, r, 4, true)).toBe(false);
    const fresh = rs('f', 0);
    setNewReplicaSetAnnotations(d, fresh, 1, false);
    expect(fresh.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
  });
});

describe('the pod-template-hash', () => {
  it('is stable, safe-encoded, changes with the template and the collision count', () => {
    const t = deploy(1).spec!.template;
    const h = computePodTemplateHash(t);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computePodTemplateHash(JSON.parse(JSON.stringify(t)))).toBe(h);
    expect(computePodTemplateHash(t, 1)).not.toBe(h);
    expect(computePodTemplateHash({ ...t, spec: { containers: [{ name: 'c', image: 'j' }] } })).not.toBe(h);
    const labelled = { ...t, metadata: { labels: { app: 'd', 'pod-template-hash': h } } };
    expect(equalIgnoreHash(labelled, t)).toBe(true);
    expect(equalIgnoreHash({ ...t, metadata: { labels: { app: 'e' } } }, t)).toBe(false);
  });
});

describe('status', () => {
  it('counts from the ReplicaSets and sets Available by maxUnavailable', () => {
    const d = deploy(4, 1, 1);
    const neu = rs('new', 2, { available: 1 });
    const s = calculateStatus([rs('old', 2), neu], neu, d, '2024-01-01T00:00:00Z');
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 4, updatedReplicas: 2, availableReplicas: 3, unavailableReplicas: 1 });
    expect(s.conditions).toEqual([
      {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
        lastUpdateTime: '2024-01-01T00:00:00Z',
        lastTransitionTime: '2024-01-01T00:00:00Z',
      },
    ]);
    const low = calculateStatus([rs('new', 4, { available: 2 })], undefined, d, '2024-01-01T00:00:00Z');
    expect(low.conditions![0]).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });
  it('times out after progressDeadlineSeconds without progress', () => {
    const d = deploy(1);
    const s = {
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2024-01-01T00:00:00Z' }],
    };
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    expect(deploymentTimedOut(d, s, t0 + 600_000)).toBe(false);
    expect(deploymentTimedOut(d, s, t0 + 600_001)).toBe(true);
    expect(deploymentTimedOut(d, { conditions: [{ ...s.conditions[0]!, reason: 'NewReplicaSetAvailable' }] }, t0 + 10 ** 9)).toBe(false);
  });
});
