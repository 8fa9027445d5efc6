// Termination (src/kubelet/termination.ts), alone: containers are fakes whose process closes when
// the test says, the tracker and the rest of the runtime record what they were asked. A Pod's
// containers get their preStop hook, then SIGTERM, then SIGKILL when the grace period is over;
// the final delete is uid-guarded; a Pod that leaves the store leaves nothing behind.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { untilPasses } from '../helpers/wait.js';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '../../src/apimachinery/errors.js';
import { podIP, podIPOwners } from '../../src/kubelet/podips.js';
import type { Ctr, Worker } from '../../src/kubelet/pod-state.js';
import { finalizePod, removePod, signalContainer, stopAllPods, terminatePod } from '../../src/kubelet/termination.js';
import { ctr, fakeContext, fakeTracker, pod, running, worker } from './kubelet-fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-term-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A container process that closes when setup's signalContainer says. */
function fakeProc() {
  return Object.assign(new EventEmitter(), { pid: undefined });
}

/** A context whose signalContainer closes the process of each container on the signals it lists. */
function setup(containers: { c: Ctr; closesOn: string[] }[], spec: Record<string, unknown> = {}) {
  const f = fakeContext();
  const w = worker(
    pod(spec),
    containers.map((x) => x.c),
    { dir },
  );
  const order: string[] = [];
  vi.mocked(f.rt.signalContainer).mockImplementation(async (_w, c, sig) => {
    order.push(`${sig} ${c.spec.name}`);
    const x = containers.find((y) => y.c === c)!;
    if (c.proc && x.closesOn.includes(sig)) {
      const p = c.proc;
      c.proc = undefined;
      p.emit('close', null, sig);
    }
  });
  f.rt.record = ((_p: unknown, type: string, reason: string, message: string) => {
    f.events.push({ pod: 'p', type, reason, message });
    order.push(reason);
  }) as typeof f.rt.record;
  return { ...f, w, order };
}

const proc = () => ({ state: running, proc: fakeProc() as never });

describe('terminatePod', () => {
  it('sends SIGTERM to every container, SIGKILL once the grace period is over, then kills what is left of the Pod', async () => {
    const polite = ctr({ name: 'polite' }, proc());
    const stubborn = ctr({ name: 'stubborn' }, proc());
    const { rt, w, order } = setup([
      { c: polite, closesOn: ['SIGTERM'] },
      { c: stubborn, closesOn: ['SIGKILL'] },
    ]);
    const t0 = Date.now();
    const p = terminatePod(rt, w, 0.3);
    expect(terminatePod(rt, w, 30)).toBe(p); // once per Pod
    await p;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(order).toEqual(['Killing', 'SIGTERM polite', 'Killing', 'SIGTERM stubborn', 'SIGKILL polite', 'SIGKILL stubborn']);
    expect((rt.tracker as ReturnType<typeof fakeTracker>).calls).toContainEqual({ op: 'kill', ref: { pod: 'uid-0001-aaaa' } });
    expect(w.reaped).toBe(true);
  });

  it('sends no SIGKILL to containers that stopped within the grace period', async () => {
    const c = ctr({ name: 'app' }, proc());
    const { rt, w, order } = setup([{ c, closesOn: ['SIGTERM'] }]);
    await terminatePod(rt, w, 30);
    expect(order).toEqual(['Killing', 'SIGTERM app']);
  });

  it('kills at once with a grace period of 0, skipping preStop hooks', async () => {
    const c = ctr({ name: 'app', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'exit 1'] } } } }, proc());
    const { rt, w, order } = setup([{ c, closesOn: ['SIGKILL'] }]);
    await terminatePod(rt, w, 0);
    expect(order).toEqual(['Killing', 'SIGKILL app']);
  });

  it('runs the preStop hook before SIGTERM and reports its failure', async () => {
    const c = ctr(
      { name: 'app', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'echo drain failed; exit 1'] } } } },
      { ...proc(), env: { PATH: '/usr/bin:/bin' } },
    );
    const { rt, w, order, events } = setup([{ c, closesOn: ['SIGTERM'] }]);
    await terminatePod(rt, w, 5);
    expect(order).toEqual(['FailedPreStopHook', 'Killing', 'SIGTERM app']);
    expect(events[0]).toMatchObject({ type: 'Warning', message: 'PreStopHook failed: drain failed' });
  });

  it('cancels pending restarts and volume refreshes, and does not wait when nothing runs', async () => {
    const fired = vi.fn();
    const c = ctr({ name: 'app' }, { timer: setTimeout(() => fired(), 20) });
    const { rt, w, order } = setup([{ c, closesOn: [] }]);
    w.volumeTimer = setTimeout(() => fired(), 20);
    await terminatePod(rt, w, 30);
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).not.toHaveBeenCalled();
    expect(order).toEqual([]);
    expect(w.reaped).toBe(true);
  });
});

describe('signalContainer', () => {
  it('asks the tracker for every process of the container (or of this run), and falls back to the process group', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<string | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    await new Promise((r) => child.once('spawn', r));
    const tracker = fakeTracker();
    const c = ctr({ name: 'app' }, { state: running, proc: { pid: child.pid } as never, restartCount: 2 });
    const w = worker(pod(), [c]);
    // The fake tracker finds no process: the main process's group gets the signal directly.
    await signalContainer({ tracker }, w, c, 'SIGTERM', true);
    expect(tracker.calls).toEqual([
      { op: 'signal', ref: { pod: 'uid-0001-aaaa', name: 'app', leader: child.pid, run: 2 }, sig: 'SIGTERM' },
    ]);
    expect(await exited).toBe('SIGTERM');
  });

  it('sends SIGKILL to the group itself and waits for the tracker to find none left', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<string | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    await new Promise((r) => child.once('spawn', r));
    const tracker = fakeTracker();
    const c = ctr({ name: 'app' }, { state: running, proc: { pid: child.pid } as never });
    await signalContainer({ tracker }, worker(pod(), [c]), c, 'SIGKILL');
    expect(tracker.calls).toEqual([{ op: 'kill', ref: { pod: 'uid-0001-aaaa', name: 'app', leader: child.pid } }]);
    expect(await exited).toBe('SIGKILL');
  });
});

describe('finalizePod', () => {
  it('writes the last status, then deletes the Pod it ran (uid precondition)', () => {
    const { rt, w } = setup([]);
    finalizePod(rt, w);
    expect(rt.flush).toHaveBeenCalled();
    expect(rt.registry.delete).toHaveBeenCalledWith(rt.podDef, 'ns', 'p', {
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-0001-aaaa' },
    });
    expect(vi.mocked(rt.flush).mock.invocationCallOrder[0]).toBeLessThan(vi.mocked(rt.registry.delete).mock.invocationCallOrder[0]!);
  });

  it('passes over a Pod already gone or replaced, logs other failures, and does nothing once stopped', () => {
    const { rt, w, warn } = setup([]);
    vi.mocked(rt.registry.delete).mockImplementationOnce(() => {
      throw new StatusError(409, 'Conflict', 'uid precondition');
    });
    finalizePod(rt, w);
    expect(warn).not.toHaveBeenCalled();
    vi.mocked(rt.registry.delete).mockImplementationOnce(() => {
      throw new Error('database is locked');
    });
    finalizePod(rt, w);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ pod: 'ns/p' }), 'final delete failed');
    vi.mocked(rt.registry.delete).mockClear();
    rt.stopped = true;
    finalizePod(rt, w);
    w.gone = true;
    rt.stopped = false;
    finalizePod(rt, w);
    expect(rt.registry.delete).not.toHaveBeenCalled();
  });
});

describe('removePod', () => {
  function removable(w: Worker) {
    const f = fakeContext({ podsDir: join(dir, 'pods'), runDir: join(dir, 'run') });
    for (const d of [join(dir, 'pods', w.uid), join(dir, 'run', w.uid)]) mkdirSync(d, { recursive: true });
    f.rt.workers.set(w.key, w);
    podIP(f.rt.store.db, f.rt.pool, w.uid);
    return f;
  }

  it('stops the worker, kills what runs, and releases the address, the cgroups and the directories', async () => {
    const fired = vi.fn();
    const c = ctr({ name: 'app' }, { ...proc(), timer: setTimeout(() => fired(), 20) });
    const w = worker(pod(), [c]);
    const { rt } = removable(w);
    removePod(rt, 'ns/p', w.uid);
    expect(w.gone).toBe(true);
    expect(rt.workers.has('ns/p')).toBe(false);
    expect(rt.signalContainer).toHaveBeenCalledWith(w, c, 'SIGKILL');
    expect(podIPOwners(rt.store.db, rt.pool)).toEqual([]);
    expect(existsSync(join(dir, 'pods', w.uid)) || existsSync(join(dir, 'run', w.uid))).toBe(false);
    const calls = (rt.tracker as ReturnType<typeof fakeTracker>).calls;
    await untilPasses(() =>
      expect(calls).toEqual([
        { op: 'kill', ref: { pod: w.uid } },
        { op: 'release', ref: w.uid },
      ]),
    );
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).not.toHaveBeenCalled();
  });

  it('releases the cgroups of a Pod already reaped without another kill, and cleans up a Pod it never ran', () => {
    const w = worker(pod(), [], { reaped: true });
    const { rt } = removable(w);
    removePod(rt, 'ns/p', w.uid);
    expect((rt.tracker as ReturnType<typeof fakeTracker>).calls).toEqual([{ op: 'release', ref: w.uid }]);
    // A worker of another uid under that name is not this Pod's.
    const other = worker(pod({}, { uid: 'uid-0002-bbbb' }));
    const f = removable(other);
    removePod(f.rt, 'ns/p', 'uid-0001-aaaa');
    expect(f.rt.workers.get('ns/p')).toBe(other);
    expect(other.gone).toBeUndefined();
    expect((f.rt.tracker as ReturnType<typeof fakeTracker>).calls[0]).toEqual({ op: 'kill', ref: { pod: 'uid-0001-aaaa' } });
  });
});

describe('stopAllPods', () => {
  it('stops every container (SIGTERM, then SIGKILL after the bound), their probers too, and closes the tracker', async () => {
    const stop = vi.fn();
    const polite = ctr({ name: 'polite' }, { ...proc(), probers: [{ stop }] });
    const stubborn = ctr({ name: 'stubborn' }, proc());
    const { rt, w, order } = setup([
      { c: polite, closesOn: ['SIGTERM'] },
      { c: stubborn, closesOn: ['SIGKILL'] },
    ]);
    rt.workers.set(w.key, w);
    await stopAllPods(rt, 100);
    expect(order).toEqual(['SIGTERM polite', 'SIGTERM stubborn', 'SIGKILL polite', 'SIGKILL stubborn']);
    expect(stop).toHaveBeenCalled();
    expect((rt.tracker as ReturnType<typeof fakeTracker>).calls.at(-1)).toEqual({ op: 'close' });
  });
});
