// The Service condition the proxy keeps, so that `kubectl get svc X -o yaml` shows when this
// cluster cannot serve one of a Service's addresses (another process holds it, a port below 1024
// without privilege, an address not on this host, another Service of this cluster has it).
//
// The type is `tinykube.io/PortsBound`. Unprefixed condition types belong to Kubernetes itself
// (core/v1 defines `LoadBalancerPortsError` for Services; kube-proxy writes none), and the API
// conventions ask everyone else to use a domain-prefixed type (`foo.example.com/CamelCase`, as
// metav1.Condition's type field says); tinykube's own names live under tinykube.io (the load
// balancer class `tinykube.io/local`). Positive polarity, as `Ready`: True = every socket the
// Service needs here is open, False = some cannot be opened (reason and message say which and why).
//
// Writes stay rare: a Service gets the condition only once something fails, so the ordinary case
// (10,000 Services, all bound) writes nothing. After a failure it stays and turns True when every
// listener is open again, rather than being removed: its lastTransitionTime then says when the
// problem ended, and `kubectl wait --for=condition=tinykube.io/PortsBound` sees the recovery.
// It is removed only when the Service no longer wants any listener (headless, ExternalName).
// Each write compares with the stored value first and is made only on a change, through the
// status subresource on a freshly read object, keeping status.loadBalancer (the load-balancer
// controller's) and every other condition as they are.
import type { Registry } from '../registry/generic-store.js';
import type { ResourceDef } from '../registry/types.js';
import type { ServiceObj, ServiceStatus } from '../registry/service/strategy.js';
import type { Condition } from '../api/generated/meta/v1.js';
import { rfc3339 } from '../apimachinery/meta.js';
import type { ListenerFailure } from './listeners.js';

export type { Condition };

export const PORTS_BOUND = 'tinykube.io/PortsBound';
/** Field manager of the proxy's status writes. */
export const PROXY_FIELD_MANAGER = 'tinykube-proxy';
/** How many failing listeners the condition message names (the events name each one). */
const MAX_LISTED = 5;

export interface ListenerState {
  failures: ListenerFailure[];
  /** How many sockets the Service wants. */
  wanted: number;
  /** Every socket is open or failing: nothing under way. */
  settled: boolean;
}

/** The condition's reason for a set of failures: the cause when they share one. */
export function failureReason(failures: readonly ListenerFailure[]): string {
  const reasons = new Set(
    failures.map((f) => {
      switch (f.code) {
        case 'EADDRINUSE':
          return 'AddressInUse';
        case 'EACCES':
        case 'EPERM':
          return 'PermissionDenied';
        case 'EADDRNOTAVAIL':
          return 'AddressNotAvailable';
        case 'CONFLICT':
          return 'PortConflict';
        default:
          return 'ListenFailed';
      }
    }),
  );
  return reasons.size === 1 ? [...reasons][0]! : 'ListenFailed';
}

/**
 * The Service's conditions once this listener state is reflected, or undefined when they stay
 * as they are (nothing to write). `describe` names one listener (`127.96.0.5:80/TCP (clusterIP)`).
 */
export function nextConditions(
  current: readonly Condition[] | undefined,
  state: ListenerState,
  o: { generation?: number; now: Date; describe: (f: ListenerFailure) => string },
): Condition[] | undefined {
  const list = current ?? [];
  // A client may have written a null entry (stored as sent): it is kept, and skipped here.
  const i = list.findIndex((c) => c?.type === PORTS_BOUND);
  const prev = i >= 0 ? list[i] : undefined;
  let want: Omit<Condition, 'lastTransitionTime'> | undefined;
  if (state.failures.length) {
    const named = state.failures.slice(0, MAX_LISTED).map((f) => `${o.describe(f)}: ${f.message}`);
    const more = state.failures.length - named.length;
    want = {
      type: PORTS_BOUND,
      status: 'False',
      reason: failureReason(state.failures),
      message: `this cluster cannot listen on ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}. Nothing is forwarded for them until they can be opened (see the Service's events)`,
    };
  } else if (!state.wanted) {
    if (!prev) return undefined;
    return list.filter((_, j) => j !== i);
  } else if (state.settled && prev) {
    want = {
      type: PORTS_BOUND,
      status: 'True',
      reason: 'Listening',
      message: 'this cluster listens on every address and port of this Service',
    };
  } else {
    return undefined;
  }
  if (o.generation !== undefined) want.observedGeneration = o.generation;
  if (sameCondition(prev, want)) return undefined;
  const next: Condition = {
    type: want.type,
    status: want.status,
    ...(want.observedGeneration !== undefined ? { observedGeneration: want.observedGeneration } : {}),
    lastTransitionTime: prev && prev.status === want.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(o.now),
    reason: want.reason,
    message: want.message,
  };
  return i >= 0 ? list.map((c, j) => (j === i ? next : c)) : [...list, next];
}

/** The condition says what `want` says (status, reason, message, generation): nothing to write. */
const sameCondition = (prev: Condition | undefined, want: Omit<Condition, 'lastTransitionTime'>) =>
  !!prev &&
  prev.status === want.status &&
  prev.reason === want.reason &&
  prev.message === want.message &&
  prev.observedGeneration === want.observedGeneration;

/**
 * Replaces a Service's status with what `update` makes of the stored object (undefined: no
 * write), through the status subresource in this process. Read and write happen in one
 * synchronous step, so no other writer's change can fall in between.
 */
export type ServiceStatusWriter = (namespace: string, name: string, update: (svc: ServiceObj) => ServiceStatus | undefined) => void;

export function serviceStatusWriter(registry: Registry, serviceDef: ResourceDef): ServiceStatusWriter {
  return (ns, name, update) => {
    let cur: ServiceObj;
    try {
      cur = registry.get(serviceDef, ns, name);
    } catch {
      return; // gone meanwhile
    }
    if (cur.metadata.deletionTimestamp) return;
    const status = update(cur);
    if (!status) return;
    registry.update(serviceDef, ns, name, { ...cur, status }, { subresource: 'status', fieldManager: PROXY_FIELD_MANAGER });
  };
}

/**
 * The stored Service's status with its PortsBound condition made `want` (removed when null), or
 * undefined when it is so already. For a condition worked out elsewhere from a copy of the
 * Service (the proxy on the data-plane thread, from its mirror): the write keeps every other
 * condition as stored, and the time of the last transition when the status did not change.
 */
export function withPortsBound(cur: ServiceObj, want: Condition | null): ServiceStatus | undefined {
  const list = (cur.status?.conditions ?? []) as Condition[];
  const i = list.findIndex((c) => c?.type === PORTS_BOUND);
  const prev = i >= 0 ? list[i] : undefined;
  let conditions: Condition[];
  if (!want) {
    if (!prev) return undefined;
    conditions = list.filter((_, j) => j !== i);
  } else {
    if (sameCondition(prev, want)) return undefined;
    const next =
      prev && prev.status === want.status && prev.lastTransitionTime ? { ...want, lastTransitionTime: prev.lastTransitionTime } : want;
    conditions = i >= 0 ? list.map((c, j) => (j === i ? next : c)) : [...list, next];
  }
  const status: ServiceStatus = { ...cur.status };
  if (conditions.length) status.conditions = conditions;
  else delete status.conditions;
  return status;
}
