// upstream util/trigger_time_tracker.go: the value of endpoints.kubernetes.io/last-change-trigger-time.
// The first sync of a Service reports its creationTimestamp; later syncs the earliest of the
// changes seen since the previous sync (a Pod's Ready condition lastTransitionTime that moved
// forward, or the Service's creationTimestamp); undefined when nothing changed, which removes the
// annotation from the objects written. State only, no I/O: one tracker per controller.
import type { PodObj, ServiceObj } from './desired.js';

interface ServiceState {
  service: number;
  pods: Map<string, number>;
}

const ms = (t: string | undefined): number => {
  const v = t ? Date.parse(t) : NaN;
  return Number.isNaN(v) ? 0 : v;
};

function podTriggerTime(pod: PodObj): number {
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return ms(ready?.lastTransitionTime);
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /** ComputeEndpointLastChangeTriggerTime: call once per sync, before deciding whether to write. */
  compute(service: ServiceObj, pods: readonly PodObj[]): Date | undefined {
    const key = `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`;
    const prev = this.states.get(key);
    let min = 0;
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (!t) continue;
      const name = pod.metadata.name ?? '';
      seen.set(name, t);
      if (t > (prev?.pods.get(name) ?? 0) && (!min || t < min)) min = t;
    }
    const svc = ms(service.metadata.creationTimestamp);
    if (svc > (prev?.service ?? 0) && (!min || svc < min)) min = svc;
    this.states.set(key, { service: svc, pods: seen });
    if (!prev) return svc ? new Date(svc) : undefined;
    return min ? new Date(min) : undefined;
  }

  /** Forget a deleted Service. */
  delete(namespace: string, name: string): void {
    this.states.delete(`${namespace}/${name}`);
  }
}
