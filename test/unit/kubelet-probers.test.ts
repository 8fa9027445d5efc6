// The prober wiring of src/kubelet/prober-manager.ts, alone: probes.ts is replaced by a fake whose
// probers the test drives, so what is checked is what their results mean: startup gates liveness
// and readiness, readiness drives Ready, a liveness failure kills this run of the container, and
// results for a process that is gone change nothing.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import type { Probe } from '../../src/api/generated/core/v1.js';
import { ctr, fakeContext, pod, running, worker } from './kubelet-fakes.js';

type On = { change(ok: boolean, message: string): void; failure(message: string): void };
const probers: { spec: Probe; on: On; stopped: boolean; target: () => unknown }[] = [];
vi.mock('../../src/kubelet/probes.js', () => ({
  startProber: (spec: Probe, target: () => unknown, on: On) => {
    const p = { spec, on, target, stopped: false };
    probers.push(p);
    return { stop: () => void (p.stopped = true) };
  },
}));
const { probeTarget, startProbers, stopProbers } = await import('../../src/kubelet/prober-manager.js');

const exec = (tag: string): Probe => ({ exec: { command: [tag] } });
const probe = (tag: string) => probers.find((p) => p.spec.exec?.command?.[0] === tag)!;

beforeEach(() => void (probers.length = 0));
afterEach(() => vi.useRealTimers());

function setup(spec: Record<string, unknown>, podSpec: Record<string, unknown> = {}) {
  const f = fakeContext();
  const c = ctr({ name: 'app', ...spec }, { state: running, proc: { pid: 4242 } as never });
  const w = worker(pod(podSpec), [c]);
  return { ...f, c, w };
}

describe('startProbers', () => {
  it('without probes, the container is started and ready at once', () => {
    const { rt, c, w } = setup({});
    startProbers(rt, w, c);
    expect([c.startupOK, c.readyOK]).toEqual([true, true]);
    expect(rt.markDirty).toHaveBeenCalledWith(w);
    expect(probers).toHaveLength(0);
  });

  it('runs liveness and readiness only once the startup probe has passed', () => {
    const { rt, c, w } = setup({ startupProbe: exec('startup'), livenessProbe: exec('live'), readinessProbe: exec('ready') });
    startProbers(rt, w, c);
    expect(probers.map((p) => p.spec.exec!.command![0])).toEqual(['startup']);
    expect([c.startupOK, c.readyOK]).toEqual([false, false]);
    probe('startup').on.change(true, '');
    expect(probe('startup').stopped).toBe(true);
    expect(c.startupOK).toBe(true);
    expect(probers.map((p) => p.spec.exec!.command![0])).toEqual(['startup', 'live', 'ready']);
    // Ready waits for the readiness probe.
    expect(c.readyOK).toBe(false);
    vi.mocked(rt.markDirty).mockClear();
    probe('ready').on.change(true, '');
    expect(c.readyOK).toBe(true);
    expect(rt.markDirty).toHaveBeenCalledTimes(1);
    probe('ready').on.change(false, '');
    expect(c.readyOK).toBe(false);
  });

  it('records each failed attempt as Unhealthy', () => {
    const { rt, c, w, events } = setup({ readinessProbe: exec('ready') });
    startProbers(rt, w, c);
    probe('ready').on.failure('HTTP probe failed with statuscode: 500');
    expect(events).toEqual([
      { pod: 'p', type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 500' },
    ]);
  });

  it('kills this run of the container on a liveness failure: SIGTERM, then SIGKILL after the probe’s grace period', async () => {
    vi.useFakeTimers();
    const { rt, c, w, events } = setup(
      { livenessProbe: { ...exec('live'), terminationGracePeriodSeconds: 3 } },
      { terminationGracePeriodSeconds: 60 },
    );
    startProbers(rt, w, c);
    probe('live').on.change(false, 'boom');
    expect(events.at(-1)).toMatchObject({ reason: 'Killing', message: 'Container app failed liveness probe, will be restarted' });
    expect(rt.signalContainer).toHaveBeenCalledWith(w, c, 'SIGTERM', true);
    await vi.advanceTimersByTimeAsync(2999);
    expect(rt.signalContainer).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(rt.signalContainer).toHaveBeenLastCalledWith(w, c, 'SIGKILL', true);
  });

  it('kills a container whose startup probe fails, with the Pod’s grace period', async () => {
    vi.useFakeTimers();
    const { rt, c, w } = setup({ startupProbe: exec('startup') }, { terminationGracePeriodSeconds: 5 });
    startProbers(rt, w, c);
    probe('startup').on.change(false, '');
    expect(rt.signalContainer).toHaveBeenCalledWith(w, c, 'SIGTERM', true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(rt.signalContainer).toHaveBeenLastCalledWith(w, c, 'SIGKILL', true);
  });

  it('ignores results that arrive after the process they probed is gone', async () => {
    vi.useFakeTimers();
    const { rt, c, w, events } = setup({ livenessProbe: exec('live'), readinessProbe: exec('ready') });
    startProbers(rt, w, c);
    c.proc = { pid: 5555 } as never; // restarted meanwhile
    probe('ready').on.change(true, '');
    probe('ready').on.failure('late');
    probe('live').on.change(false, 'late');
    expect(c.readyOK).toBe(false);
    expect(events).toEqual([]);
    expect(rt.signalContainer).not.toHaveBeenCalled();
    // And a SIGKILL due for the old run is not sent to the new one.
    c.proc = { pid: 4242 } as never;
    probe('live').on.change(false, '');
    c.proc = { pid: 6666 } as never;
    await vi.advanceTimersByTimeAsync(31_000);
    expect(vi.mocked(rt.signalContainer).mock.calls.map((x) => x[2])).toEqual(['SIGTERM']);
  });

  it('stops the previous run’s probers when started again, and stopProbers stops them all', () => {
    const { rt, c, w } = setup({ livenessProbe: exec('live'), readinessProbe: exec('ready') });
    startProbers(rt, w, c);
    const first = [...probers];
    startProbers(rt, w, c);
    expect(first.every((p) => p.stopped)).toBe(true);
    stopProbers(c);
    expect(probers.every((p) => p.stopped)).toBe(true);
    expect(c.probers).toEqual([]);
  });
});

describe('probeTarget', () => {
  it('reaches the Pod’s address and named ports; exec runs from the Pod dir when it enters the namespaces', () => {
    const c = ctr({ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }, { env: { A: '1' }, cwd: '/srv' });
    const w = worker(pod(), [c], { dir: '/pods/uid' });
    expect(probeTarget(w, c, '192.0.2.1')).toMatchObject({
      podIP: '127.244.0.5',
      ports: [{ name: 'http', containerPort: 8080 }],
      env: { A: '1' },
      cwd: '/srv',
    });
    c.enter = (a) => a;
    expect(probeTarget(w, c, '192.0.2.1').cwd).toBe('/pods/uid');
    expect(probeTarget(worker(pod(), [c], { ips: [] }), c, '192.0.2.1').podIP).toBe('192.0.2.1');
  });
});
