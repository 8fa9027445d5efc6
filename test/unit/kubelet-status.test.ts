// The status manager of src/kubelet/status-manager.ts, alone: the phase and conditions it builds
// from a Worker's containers (the kubelet's getPhase and generateAPIPodStatus), and how it writes
// them: batched, only for the Pod it ran (uid), never after stop.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { StatusError } from '../../src/apimachinery/errors.js';
import { containerStatus, createStatusManager, podPhase, podStatus } from '../../src/kubelet/status-manager.js';
import { ctr, exited, fakeContext, pod, running, worker } from './kubelet-fakes.js';

afterEach(() => vi.useRealTimers());

const ready = { startupOK: true, readyOK: true };

describe('podPhase', () => {
  const main = (o: Parameters<typeof ctr>[1]) => ctr({ name: 'm' }, o);
  const init = (o: Parameters<typeof ctr>[1]) => ctr({ name: 'i' }, { init: true, ...o });
  it('is Failed once an init container failed for good, Pending while one has not completed', () => {
    expect(podPhase([init({ done: true, state: exited(1) })], [main({ state: running })], 'Always')).toBe('Failed');
    expect(podPhase([init({ state: running })], [main({})], 'Always')).toBe('Pending');
    expect(podPhase([init({ done: true, state: exited(0) })], [main({ state: running })], 'Always')).toBe('Running');
  });
  it('counts a container waiting to restart as stopped, not waiting', () => {
    const restarting = main({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: exited(1) });
    expect(podPhase([], [restarting], 'Always')).toBe('Running');
    expect(podPhase([], [main({})], 'Always')).toBe('Pending');
  });
  it('decides a Pod whose containers all stopped by its restartPolicy', () => {
    expect(podPhase([], [main({ state: exited(0) }), main({ state: exited(0) })], 'OnFailure')).toBe('Succeeded');
    expect(podPhase([], [main({ state: exited(0) }), main({ state: exited(1) })], 'Never')).toBe('Failed');
    expect(podPhase([], [main({ state: exited(1) })], 'OnFailure')).toBe('Running');
    expect(podPhase([], [main({ state: exited(0) })], 'Always')).toBe('Running');
  });
});

describe('podStatus', () => {
  const cond = (s: Record<string, unknown>, type: string) =>
    (s.conditions as { type: string; status: string; reason?: string; message?: string }[]).find((c) => c.type === type);

  it('is Ready only when every regular container is running and passed its probes', () => {
    const a = ctr({ name: 'a' }, { state: running, ...ready });
    const b = ctr({ name: 'b' }, { state: running, startupOK: true, readyOK: false });
    const w = worker(pod(), [a, b]);
    let s = podStatus(w, '192.0.2.1');
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [b]',
    });
    expect(cond(s, 'ContainersReady')?.status).toBe('False');
    b.readyOK = true;
    s = podStatus(w, '192.0.2.1');
    expect(cond(s, 'Ready')).toEqual(expect.objectContaining({ status: 'True' }));
    expect(cond(s, 'Ready')?.reason).toBeUndefined();
    expect((s.containerStatuses as { ready: boolean; started: boolean }[]).map((c) => [c.ready, c.started])).toEqual([
      [true, true],
      [true, true],
    ]);
  });

  it('says which init containers are incomplete, and reports PodCompleted once the Pod is over', () => {
    const i = ctr({ name: 'setup' }, { init: true, state: running });
    const m = ctr({ name: 'm' });
    let s = podStatus(worker(pod(), [i, m]), '192.0.2.1');
    expect(cond(s, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [setup]',
    });
    expect(s.initContainerStatuses).toHaveLength(1);
    expect(s.containerStatuses).toHaveLength(1);
    const done = ctr({ name: 'm' }, { state: exited(0), done: true });
    s = podStatus(worker(pod({ restartPolicy: 'Never' }), [done]), '192.0.2.1');
    expect(s.phase).toBe('Succeeded');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(cond(s, 'PodReadyToStartContainers')?.status).toBe('False');
  });

  it('keeps the conditions others wrote, in upstream order, and the addresses it has', () => {
    const p = pod({}, {}, { conditions: [{ type: 'PodScheduled', status: 'True' }], qosClass: 'BestEffort' });
    const s = podStatus(worker(p, [ctr({ name: 'c' }, { state: running, ...ready })], { startTime: 'T0' }), '192.0.2.1');
    expect((s.conditions as { type: string }[]).map((c) => c.type)).toEqual([
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
    expect(s).toMatchObject({
      qosClass: 'BestEffort',
      hostIP: '192.0.2.1',
      podIP: '127.244.0.5',
      podIPs: [{ ip: '127.244.0.5' }],
      startTime: 'T0',
    });
    const noIP = podStatus(worker(p, [], { ips: [] }), '192.0.2.1');
    expect('podIP' in noIP || 'podIPs' in noIP).toBe(false);
  });

  it('lists ephemeral containers apart and never counts them for Ready', () => {
    const eph = ctr({ name: 'debugger' }, { ephemeral: true, state: running, ...ready });
    const s = podStatus(worker(pod(), [ctr({ name: 'c' }, { state: running, ...ready }), eph]), '192.0.2.1');
    expect((s.ephemeralContainerStatuses as { name: string; ready: boolean }[]).map((c) => [c.name, c.ready])).toEqual([
      ['debugger', false],
    ]);
    expect(s.containerStatuses).toHaveLength(1);
  });
});

describe('containerStatus', () => {
  it('leaves out the container ID of a container that was never created', () => {
    expect('containerID' in containerStatus(ctr({ name: 'c' }))).toBe(false);
    expect(containerStatus(ctr({ name: 'c' }, { containerID: 'abc-c-0' })).containerID).toBe('tinykube://abc-c-0');
  });
});

describe('createStatusManager', () => {
  function setup() {
    const f = fakeContext();
    const p = pod();
    const w = worker(p, [ctr({ name: 'c' }, { state: running, ...ready })]);
    f.rt.workers.set(w.key, w);
    const stored = { p: p as typeof p | undefined };
    f.rt.store.get = ((resource: string) => (resource === 'pods' ? stored.p : undefined)) as typeof f.rt.store.get;
    const txn = vi.spyOn(f.rt.store, 'txn');
    const update = vi
      .mocked(f.rt.registry.update)
      .mockImplementation((_d, _ns, _n, obj) => ({ object: { ...obj, written: true } }) as never);
    return { ...f, w, stored, txn, update, status: createStatusManager(f.rt) };
  }

  it('writes the changes of a burst in one transaction, one update per Pod', async () => {
    vi.useFakeTimers();
    const { status, w, txn, update } = setup();
    status.markDirty(w);
    status.markDirty(w);
    expect(update).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10);
    expect(txn).toHaveBeenCalledTimes(1);
    expect(update).toHaveBeenCalledTimes(1);
    const [, ns, name, obj, opts] = update.mock.calls[0]!;
    expect([ns, name]).toEqual(['ns', 'p']);
    expect((obj as unknown as { status: { phase: string } }).status.phase).toBe('Running');
    expect(opts).toMatchObject({ subresource: 'status', fieldManager: 'kubelet' });
    // The worker keeps what the write returned (the next status builds on it).
    expect((w.pod as unknown as { written: boolean }).written).toBe(true);
  });

  it('writes nothing for a Pod of the same name but another uid, or one that is gone', () => {
    const { status, w, stored, update } = setup();
    stored.p = pod({}, { uid: 'someone-else' });
    status.markDirty(w);
    status.flush();
    stored.p = undefined;
    status.markDirty(w);
    status.flush();
    expect(update).not.toHaveBeenCalled();
  });

  it('passes over conflicts and deleted Pods quietly, and logs other failures', () => {
    const { status, w, update, warn } = setup();
    update.mockImplementationOnce(() => {
      throw new StatusError(409, 'Conflict', 'conflict');
    });
    status.markDirty(w);
    status.flush();
    expect(warn).not.toHaveBeenCalled();
    update.mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    status.markDirty(w);
    status.flush();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ pod: 'ns/p' }), 'pod status not written');
  });

  it('writes nothing once the runtime stopped', async () => {
    vi.useFakeTimers();
    const { status, w, update, rt } = setup();
    rt.stopped = true;
    status.markDirty(w);
    await vi.advanceTimersByTimeAsync(50);
    status.flush();
    expect(update).not.toHaveBeenCalled();
  });

  it('drops what was pending at stop', async () => {
    vi.useFakeTimers();
    const { status, w, update } = setup();
    status.markDirty(w);
    status.stop();
    await vi.advanceTimersByTimeAsync(50);
    expect(update).not.toHaveBeenCalled();
  });
});
