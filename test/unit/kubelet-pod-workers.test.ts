// The pod workers of src/kubelet/pod-workers.ts, alone, with the other parts as recording fakes:
// a Worker carries the containers' state over a restart of tinykube; a sync gives the Pod an
// address and volumes before any container, runs ephemeral containers at once and init
// containers one by one, starts nothing that runs, waits out a back-off or is done, and hands a
// Pod being deleted to termination.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { untilPasses } from '../helpers/wait.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podIP } from '../../src/kubelet/podips.js';
import { newWorker, observePod, syncPod } from '../../src/kubelet/pod-workers.js';
import type { Ctr } from '../../src/kubelet/pod-state.js';
import { ctr, exited, fakeContext, pod, running, worker } from './kubelet-fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-workers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const dirs = () => ({ podsDir: join(dir, 'pods'), runDir: join(dir, 'run') });

describe('newWorker', () => {
  it('makes the Pod’s directories and starts its containers waiting', () => {
    const { rt } = fakeContext(dirs());
    const w = newWorker(rt, pod({ initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b' }] }));
    expect(existsSync(join(dir, 'pods', 'uid-0001-aaaa'))).toBe(true);
    expect(existsSync(join(dir, 'run', 'uid-0001-aaaa'))).toBe(true);
    expect(w.key).toBe('ns/p');
    expect([...w.ctrs.keys()]).toEqual(['i', 'a', 'b']);
    expect(w.ctrs.get('i')!.init).toBe(true);
    expect(w.ctrs.get('a')!.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
  });

  it('after a restart of tinykube, counts a restart for containers that had started and keeps completed init containers', () => {
    const { rt } = fakeContext(dirs());
    const status = {
      startTime: 'T0',
      initContainerStatuses: [{ name: 'i', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [
        { name: 'a', restartCount: 2, state: { running: { startedAt: 'S' } } },
        { name: 'b', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
      ],
      ephemeralContainerStatuses: [{ name: 'dbg', state: { running: { startedAt: 'S' } } }],
    };
    const w = newWorker(
      rt,
      pod(
        { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b' }], ephemeralContainers: [{ name: 'dbg' }] },
        {},
        status,
      ),
    );
    expect(w.startTime).toBe('T0');
    const [i, a, b, dbg] = ['i', 'a', 'b', 'dbg'].map((n) => w.ctrs.get(n)!) as [Ctr, Ctr, Ctr, Ctr];
    expect(i).toMatchObject({ done: true, restartCount: 0, state: { terminated: { exitCode: 0 } } });
    expect(a).toMatchObject({ restartCount: 3, lastState: { terminated: { exitCode: 255, reason: 'Unknown', startedAt: 'S' } } });
    expect(a.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(b).toMatchObject({ restartCount: 0, lastState: {} });
    // An ephemeral container that ran is over: it never runs again.
    expect(dbg).toMatchObject({ ephemeral: true, done: true, started: true, state: { terminated: { exitCode: 255, reason: 'Unknown' } } });
  });
});

describe('observePod', () => {
  it('replaces the worker of a Pod recreated under the same name, adds new ephemeral containers, and syncs', () => {
    const { rt } = fakeContext(dirs());
    observePod(rt, pod());
    const first = rt.workers.get('ns/p')!;
    expect(rt.sync).toHaveBeenCalledWith('ns/p');
    observePod(rt, pod({ ephemeralContainers: [{ name: 'dbg' }] }));
    expect(rt.workers.get('ns/p')).toBe(first);
    expect(first.ctrs.get('dbg')).toMatchObject({ ephemeral: true, done: false });
    observePod(rt, pod({}, { uid: 'uid-0002-bbbb' }));
    expect(rt.removed).toHaveBeenCalledWith('ns/p', 'uid-0001-aaaa');
    expect(rt.workers.get('ns/p')!.uid).toBe('uid-0002-bbbb');
  });

  it('does nothing once the runtime stopped', () => {
    const { rt } = fakeContext({ ...dirs(), stopped: true });
    observePod(rt, pod());
    expect(rt.workers.size).toBe(0);
    expect(rt.sync).not.toHaveBeenCalled();
  });
});

describe('syncPod', () => {
  function setup(ctrs: Ctr[], spec: Record<string, unknown> = {}, meta = {}) {
    const f = fakeContext();
    const w = worker(pod(spec, meta), ctrs, { ips: [] });
    f.rt.workers.set(w.key, w);
    const started = () => vi.mocked(f.rt.start).mock.calls.map(([, c]) => c.spec.name);
    return { ...f, w, started };
  }

  it('gives the Pod an address of the pod range (or the host’s), then volumes, then starts its containers', () => {
    const { rt, w, started } = setup([ctr({ name: 'a' }), ctr({ name: 'b' })]);
    syncPod(rt, 'ns/p');
    expect(w.ips).toEqual([podIP(rt.store.db, rt.pool, w.uid)]);
    expect(w.ips[0]).toMatch(/^127\.244\.0\.\d+$/);
    expect(w.startTime).toBeDefined();
    expect(rt.setupVolumes).toHaveBeenCalledWith(w);
    expect(started()).toEqual(['a', 'b']);
    expect(rt.markDirty).toHaveBeenCalledWith(w);
    const host = setup([ctr({ name: 'a' })], { hostNetwork: true });
    syncPod(host.rt, 'ns/p');
    expect(host.w.ips).toEqual(['192.0.2.1']);
  });

  it('starts nothing without a free address, and says so', () => {
    const { rt, started, events } = setup([ctr({ name: 'a' })]);
    for (let i = 0; podIP(rt.store.db, rt.pool, `other-${i}`); i++);
    syncPod(rt, 'ns/p');
    expect(started()).toEqual([]);
    expect(events).toEqual([
      {
        pod: 'p',
        type: 'Warning',
        reason: 'FailedCreatePodSandBox',
        message: 'Failed to create pod sandbox: no free IP in pod CIDR 127.244.0.0/28',
      },
    ]);
  });

  it('starts nothing while a volume cannot be set up', () => {
    const { rt, started } = setup([ctr({ name: 'a' })]);
    vi.mocked(rt.setupVolumes).mockReturnValue(false);
    syncPod(rt, 'ns/p');
    expect(started()).toEqual([]);
  });

  it('runs init containers one at a time, in order; ephemeral containers at once', () => {
    const i1 = ctr({ name: 'i1' }, { init: true });
    const i2 = ctr({ name: 'i2' }, { init: true });
    const dbg = ctr({ name: 'dbg' }, { ephemeral: true });
    const { rt, w, started } = setup([i1, i2, ctr({ name: 'main' }), dbg]);
    w.volumes = new Map();
    syncPod(rt, 'ns/p');
    expect(started()).toEqual(['dbg', 'i1']);
    // i1 runs: nothing new (dbg is started once, however often the Pod syncs).
    i1.proc = {} as never;
    dbg.started = true;
    vi.mocked(rt.start).mockClear();
    syncPod(rt, 'ns/p');
    expect(started()).toEqual([]);
    Object.assign(i1, { proc: undefined, done: true, state: exited(0) });
    syncPod(rt, 'ns/p');
    expect(started()).toEqual(['i2']);
    vi.mocked(rt.start).mockClear();
    Object.assign(i2, { done: true, state: exited(0) });
    syncPod(rt, 'ns/p');
    expect(started()).toEqual(['main']);
  });

  it('starts no regular container after an init container failed for good', () => {
    const { rt, started } = setup([ctr({ name: 'i1' }, { init: true, done: true, state: exited(1) }), ctr({ name: 'main' })]);
    syncPod(rt, 'ns/p');
    expect(started()).toEqual([]);
  });

  it('starts only what neither runs, nor waits out a back-off, nor is done', () => {
    const { rt, started } = setup([
      ctr({ name: 'runs' }, { state: running, proc: {} as never }),
      ctr({ name: 'backing-off' }, { backoffUntil: Date.now() + 10_000 }),
      ctr({ name: 'done' }, { done: true, state: exited(0) }),
      ctr({ name: 'new' }),
    ]);
    syncPod(rt, 'ns/p');
    expect(started()).toEqual(['new']);
  });

  it('leaves a finished Pod alone', () => {
    const { rt, w, started } = setup([ctr({ name: 'a' }, { done: true, state: exited(0) })], {}, {});
    w.pod = { ...w.pod, status: { phase: 'Succeeded' } };
    syncPod(rt, 'ns/p');
    expect(started()).toEqual([]);
    expect(w.ips).toEqual([]);
  });

  it('hands a Pod being deleted to termination with its grace period, then the final delete', async () => {
    const { rt, w, started } = setup([ctr({ name: 'a' })], {}, { deletionTimestamp: 'T', deletionGracePeriodSeconds: 7 });
    syncPod(rt, 'ns/p');
    expect(rt.terminate).toHaveBeenCalledWith(w, 7);
    await untilPasses(() => expect(rt.finalize).toHaveBeenCalledWith(w));
    expect(started()).toEqual([]);
  });

  it('does nothing for a Pod that is gone, or once stopped', () => {
    const gone = setup([ctr({ name: 'a' })]);
    gone.w.gone = true;
    syncPod(gone.rt, 'ns/p');
    const stopped = setup([ctr({ name: 'a' })]);
    stopped.rt.stopped = true;
    syncPod(stopped.rt, 'ns/p');
    syncPod(stopped.rt, 'ns/unknown');
    for (const x of [gone, stopped]) expect(x.started()).toEqual([]);
  });
});
