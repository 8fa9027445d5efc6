// The probers of a running container, wired as the kubelet's prober manager does
// (pkg/kubelet/prober/prober_manager.go, worker.go): the startup probe gates the other two; a
// liveness failure (or a startup failure) kills the container, which its restart policy then
// restarts; readiness drives the container's (and so the Pod's) Ready. probes.ts runs one probe;
// this decides what its results mean.
import { startProber, type ProbeTarget } from './probes.js';
import { specOf, timerMs, type Ctr, type RuntimeContext, type Worker } from './pod-state.js';

/**
 * Where a probe or a lifecycle hook of the container reaches it: the Pod's address and the
 * container's named ports, and for exec, its environment and namespaces (a host directory as the
 * working directory when the command enters them, since the container's own path means nothing
 * outside).
 */
export function probeTarget(w: Worker, c: Ctr, hostIP: string): ProbeTarget {
  return {
    podIP: w.ips[0] ?? hostIP,
    ports: c.spec.ports ?? [],
    env: c.env ?? {},
    cwd: c.enter ? w.dir : (c.cwd ?? w.dir),
    wrap: c.command,
  };
}

export function stopProbers(c: Ctr) {
  for (const p of c.probers ?? []) p.stop();
  c.probers = [];
}

/**
 * Starts the probers of the container's current process. Results that arrive after that process
 * is gone (a restart raced a probe) are ignored: they describe a run that no longer exists.
 */
export function startProbers(rt: Pick<RuntimeContext, 'hostIP' | 'record' | 'markDirty' | 'signalContainer'>, w: Worker, c: Ctr) {
  stopProbers(c);
  const spec = c.spec;
  const target = () => probeTarget(w, c, rt.hostIP);
  const name = spec.name;
  const pid = c.proc?.pid;
  const current = () => c.proc?.pid === pid && !!pid;
  const failed = (kind: string) => (message: string) => {
    if (current()) rt.record(w.pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${message}`.trim());
  };
  const kill = (kind: string) => {
    if (!current()) return;
    rt.record(w.pod, 'Normal', 'Killing', `Container ${name} failed ${kind} probe, will be restarted`);
    const grace = spec.livenessProbe?.terminationGracePeriodSeconds ?? specOf(w.pod).terminationGracePeriodSeconds ?? 30;
    // This run's processes only: the restart that follows must not meet the kill.
    void rt.signalContainer(w, c, 'SIGTERM', true);
    const t = setTimeout(() => current() && void rt.signalContainer(w, c, 'SIGKILL', true), timerMs(grace * 1000));
    t.unref();
  };
  // Liveness and readiness, once startup has passed (or at once without a startup probe).
  const later = () => {
    if (spec.livenessProbe)
      c.probers!.push(startProber(spec.livenessProbe, target, { change: (ok) => !ok && kill('liveness'), failure: failed('Liveness') }));
    if (spec.readinessProbe) {
      c.probers!.push(
        startProber(spec.readinessProbe, target, {
          change: (ok) => {
            if (!current() || c.readyOK === ok) return;
            c.readyOK = ok;
            rt.markDirty(w);
          },
          failure: failed('Readiness'),
        }),
      );
    } else c.readyOK = true;
    rt.markDirty(w);
  };
  c.probers = [];
  c.readyOK = false;
  if (spec.startupProbe) {
    c.startupOK = false;
    const sp = startProber(spec.startupProbe, target, {
      change: (ok) => {
        if (!current()) return;
        if (!ok) return kill('startup');
        sp.stop();
        c.startupOK = true;
        later();
      },
      failure: failed('Startup'),
    });
    c.probers.push(sp);
  } else {
    c.startupOK = true;
    later();
  }
}
