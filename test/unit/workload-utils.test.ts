// The pure parts the workload controllers share: the fake clock, expectations, which Pods go
// first on a scale-down, and Pods stamped from a template.
import { describe, it, expect } from 'vitest';
import { createFakeClock } from '../../src/base/clock.js';
import { createExpectations, EXPECTATIONS_TIMEOUT_MS } from '../../src/controllers/workload/expectations.js';
import { deletionOrder, isPodAvailable, availableAt } from '../../src/controllers/workload/pods.js';
import { podFromTemplate, podsPrefix } from '../../src/controllers/workload/pod-template.js';
import { controllerRef } from '../../src/controllers/workload/controller-ref.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(
  name: string,
  o: { node?: string; phase?: string; readySince?: number; restarts?: number; created?: number; cost?: number } = {},
): PodObj {
  return {
    metadata: {
      name,
      creationTimestamp: iso(o.created ?? T0),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readySince) }] : [],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, image: '', imageID: '', ready: true }],
    },
  } as PodObj;
}

describe('fake clock', () => {
  it('runs timers only when advanced past them, in time order', () => {
    const c = createFakeClock(T0);
    const fired: string[] = [];
    c.after(2000, () => fired.push('b'));
    c.after(1000, () => fired.push('a'));
    const cancel = c.after(1500, () => fired.push('cancelled'));
    cancel();
    c.advance(999);
    expect(fired).toEqual([]);
    c.advance(1001);
    expect(fired).toEqual(['a', 'b']);
    expect(c.now()).toBe(T0 + 2000);
    c.set(T0); // never backwards
    expect(c.now()).toBe(T0 + 2000);
  });
});

describe('expectations', () => {
  it('hold a controller back until its creations and deletions are observed, or time out', () => {
    let now = T0;
    const e = createExpectations(() => now);
    expect(e.satisfied('rs')).toBe(true);
    e.expectCreations('rs', 2);
    e.expectDeletions('rs', ['u1']);
    expect(e.satisfied('rs')).toBe(false);
    e.creationObserved('rs');
    e.creationObserved('rs');
    expect(e.satisfied('rs')).toBe(false);
    e.deletionObserved('rs', 'other');
    expect(e.satisfied('rs')).toBe(false);
    e.deletionObserved('rs', 'u1');
    expect(e.satisfied('rs')).toBe(true);
    e.expectCreations('rs', 1);
    now += EXPECTATIONS_TIMEOUT_MS + 1;
    expect(e.satisfied('rs')).toBe(true);
  });
});

describe('deletion order (ActivePodsWithRanks)', () => {
  const now = T0 + 3600_000;
  it('takes unscheduled, pending, unready, cheaper, doubled-up, newly ready, restarting, newer Pods first', () => {
    const ready = now - 1000_000;
    const pods = [
      pod('old-ready', { node: 'n', readySince: ready, created: T0 }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('pending', { node: 'n', phase: 'Pending' }),
      pod('unready', { node: 'n' }),
      pod('cheap', { node: 'n', readySince: ready, cost: -5 }),
      pod('just-ready', { node: 'n', readySince: now - 1000 }),
      pod('restarting', { node: 'n', readySince: ready, restarts: 4 }),
    ];
    expect(deletionOrder(pods, now).map((p) => p.metadata.name)).toEqual([
      'unscheduled',
      'pending',
      'unready',
      'cheap',
      'just-ready',
      'restarting',
      'old-ready',
    ]);
  });
  it('available only after minReadySeconds of readiness', () => {
    const p = pod('p', { node: 'n', readySince: now - 5000 });
    expect(isPodAvailable(p, 0, now)).toBe(true);
    expect(isPodAvailable(p, 10, now)).toBe(false);
    expect(availableAt(p, 10, now)).toBe(now + 5000);
    expect(isPodAvailable(p, 5, now)).toBe(true);
  });
});

describe('podFromTemplate', () => {
  it("copies the template's labels, annotations and spec, names by the controller and points back to it", () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'ns1', uid: 'u-1' } };
    const tpl = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const p = podFromTemplate(tpl, owner, controllerRef(owner));
    expect(p.metadata).toMatchObject({ namespace: 'ns1', generateName: 'web-abc-', labels: { app: 'web' }, annotations: { a: 'b' } });
    expect(p.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u-1', controller: true, blockOwnerDeletion: true },
    ]);
    p.spec!.containers[0]!.image = 'changed';
    expect(tpl.spec.containers[0]!.image).toBe('x');
    expect(podsPrefix('x'.repeat(253))).toBe('x'.repeat(253));
  });
});
