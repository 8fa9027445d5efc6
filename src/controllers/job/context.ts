// What the parts of a Job sync share (upstream: the Controller struct of job_controller.go): the
// registry and the kinds, the event recorder, the controllers' clock and delayed syncs, the
// expectations of Pod creations and deletions, of finalizer removals (upstream
// finalizerExpectations) and each Job's backoff record; and the condition a sync decides on.
import { StatusError } from '../../apimachinery/errors.js';
import type { AdmittedWrites } from '../../registry/admitted.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { EventRecorder } from '../events.js';
import type { Expectations } from '../workload/expectations.js';
import type { BackoffRecord } from './policy.js';

export const MANAGER = 'kube-controller-manager';

export const gone = (e: unknown) => e instanceof StatusError && e.code === 404;

/** The condition a sync decided the Job comes to (an interim FailureTarget or SuccessCriteriaMet, or the final one). */
export interface Cond {
  type: string;
  reason: string;
  message: string;
}

export interface JobContext {
  registry: Registry;
  jobDef: ResourceDef;
  podDef: ResourceDef;
  record: EventRecorder;
  expectations: Expectations;
  /** UIDs of Pods whose finalizer removal is awaited, per Job (upstream finalizerExpectations). */
  rmFinalizers: Map<string, Set<string>>;
  backoffs: Map<string, BackoffRecord>;
  /** The controllers' clock, in ms and as an RFC 3339 timestamp. */
  nowMs: () => number;
  nowIso: () => string;
  /** Requeue a key after ms of the controllers' clock (the earliest wins). */
  requeueAfter: (key: string, ms: number) => void;
  /** Pod creates go through admission webhooks when the cluster has them. */
  admitted?: AdmittedWrites;
}
