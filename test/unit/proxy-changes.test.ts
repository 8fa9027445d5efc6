// The change tracker alone (which Services to sync, which addresses are gone for good) and the
// update clock that /healthz reads.
import { describe, it, expect } from 'vitest';
import {
  changeHandlers,
  newChanges,
  podDeleted,
  serviceChanged,
  sliceAdded,
  sliceDeleted,
  sliceUpdated,
  takeDirty,
  takeGone,
  takeStatusDirty,
} from '../../src/proxy/changes.js';
import { nodeEligible, proxierHealthy, queuedUpdate, updated, type UpdateClock } from '../../src/proxy/healthcheck.js';
import { ep, pod, slice, svc } from './proxy-fixtures.js';

const nobody = () => false;

describe('change tracker', () => {
  it('marks the Service of each slice change, both Services when a slice moves, none for an unlabelled slice', () => {
    const c = newChanges();
    const a = slice('web', [ep('127.244.0.1')]);
    sliceAdded(c, a);
    serviceChanged(c, svc({}, 'api'));
    expect(takeDirty(c)).toEqual(['default/web', 'default/api']);
    expect(takeDirty(c)).toEqual([]);
    sliceUpdated(c, { ...a, metadata: { ...a.metadata, labels: { 'kubernetes.io/service-name': 'db' } } }, a);
    expect(takeDirty(c).sort()).toEqual(['default/db', 'default/web']);
    sliceAdded(c, slice(undefined, [ep('127.244.0.7')]));
    expect(takeDirty(c)).toEqual([]);
  });

  it('an address is gone for good only once it left every slice and no Pod has it', () => {
    const c = newChanges();
    const a = slice('web', [ep('127.244.0.1'), ep('127.244.0.2')]);
    const b = slice('api', [ep('127.244.0.2')]);
    sliceAdded(c, a);
    sliceAdded(c, b);
    // An update that keeps an address never makes it look gone, even for a moment.
    const a2 = slice('web', [ep('127.244.0.1')]);
    sliceUpdated(c, a2, a);
    expect([...c.gone.keys()]).toEqual([]);
    sliceDeleted(c, b);
    expect(c.gone.get('127.244.0.2')).toBe('slice');
    // Back in a slice before the pass: not gone after all.
    sliceAdded(c, slice('db', [ep('127.244.0.2')]));
    expect(takeGone(c, nobody)).toEqual([]);
    expect(c.gone.size).toBe(0);

    sliceDeleted(c, a2);
    expect(takeGone(c, (ip) => ip === '127.244.0.1')).toEqual([]);
    sliceAdded(c, a2);
    sliceDeleted(c, a2);
    expect(takeGone(c, nobody)).toEqual(['127.244.0.1']);
  });

  it('a deleted Pod’s addresses are gone even while slices still list them, unless another Pod has them; host network Pods are not', () => {
    const c = newChanges();
    sliceAdded(c, slice('web', [ep('127.244.0.1')]));
    podDeleted(c, pod('a', ['127.244.0.1', 'fd00::1']));
    podDeleted(c, pod('b', ['127.244.0.2']));
    podDeleted(c, pod('h', ['10.0.0.1'], true));
    expect(takeGone(c, nobody)).toEqual(['127.244.0.1', 'fd00::1', '127.244.0.2']);
    podDeleted(c, pod('a', ['127.244.0.1', 'fd00::1']));
    expect(takeGone(c, (ip) => ip === 'fd00::1')).toEqual(['127.244.0.1']);
  });

  it('conditions are checked for the Services synced and those whose listeners changed', () => {
    const c = newChanges();
    c.statusDirty.add('default/a');
    expect(takeStatusDirty(c, ['default/b', 'default/a']).sort()).toEqual(['default/a', 'default/b']);
    expect(c.statusDirty.size).toBe(0);
  });

  it('the informer handlers ask for a pass only when they left something to do', () => {
    const c = newChanges();
    let asked = 0;
    const h = changeHandlers(c, () => asked++);
    h.slices.add!(slice(undefined, [ep('127.244.0.1')]));
    h.pods.delete!(pod('h', ['10.0.0.1'], true));
    expect(asked).toBe(0);
    h.services.update!(svc(), svc());
    expect(asked).toBe(1);
    takeDirty(c);
    h.slices.delete!(slice(undefined, [ep('127.244.0.1')]));
    expect(asked).toBe(2);
    expect(takeGone(c, nobody)).toEqual(['127.244.0.1']);
    h.pods.delete!(pod('p', ['127.244.0.3']));
    expect(asked).toBe(3);
  });
});

describe('update clock', () => {
  it('is unhealthy once a change waited the health timeout, healthy again when applied', () => {
    const clock: UpdateClock = {};
    expect(proxierHealthy(clock, 1e9)).toBe(true);
    queuedUpdate(clock, 1_000);
    queuedUpdate(clock, 50_000); // the oldest change counts
    expect(proxierHealthy(clock, 60_999)).toBe(true);
    expect(proxierHealthy(clock, 61_000)).toBe(false);
    updated(clock, 1_700_000_000_000, 61_000);
    expect(proxierHealthy(clock, 1e9)).toBe(true);
    expect(clock.lastUpdated).toEqual({ wall: 1_700_000_000_000, mono: 61_000 });
  });

  it('the Node is not eligible while being deleted or tainted for deletion by the autoscaler', () => {
    const node = (more: object) => ({ metadata: { name: 'n' }, ...more });
    expect(nodeEligible(undefined)).toBe(true);
    expect(nodeEligible(node({ spec: { taints: [{ key: 'other' }] } }))).toBe(true);
    expect(nodeEligible(node({ spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler' }] } }))).toBe(false);
    expect(nodeEligible({ metadata: { name: 'n', deletionTimestamp: '2024-01-01T00:00:00Z' } })).toBe(false);
  });
});
