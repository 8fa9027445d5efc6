// What the parts of a DaemonSet sync share (upstream: the DaemonSetsController struct of
// daemon_controller.go): the registry and the kinds, the Pod and ControllerRevision informers, the
// event recorder, the expectations of Pod creations and deletions, the failed-Pod deletion backoff,
// the controllers' clock and delayed syncs.
import type { KubeObject } from '../../apimachinery/types.js';
import type { LabelSelector } from '../../apimachinery/selectors.js';
import type { AdmittedWrites } from '../../registry/admitted.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { DaemonSetObj } from '../../registry/apps/daemonset.js';
import type { Informer } from '../../storage/informer.js';
import type { EventRecorder } from '../events.js';
import type { Expectations } from '../workload/expectations.js';

export const FIELD_MANAGER = 'kube-controller-manager';

export const keyOf = (ns: string, name: string) => `${ns}/${name}`;
export const selectorOf = (ds: DaemonSetObj) => ds.spec?.selector as LabelSelector | undefined;

export interface DaemonSetContext {
  registry: Registry;
  dsDef: ResourceDef;
  crDef: ResourceDef;
  podDef: ResourceDef;
  podInf: Informer;
  crInf: Informer;
  record: EventRecorder;
  expectations: Expectations;
  /** Failed-Pod deletion backoff per DaemonSet and node. */
  failedBackoff: Map<string, { delay: number; at: number }>;
  /** The controllers' clock, in ms. */
  nowMs: () => number;
  /** Sync again after ms of controller time (one pending wake-up per DaemonSet, the earliest wins). */
  enqueueAfter: (key: string, ms: number) => void;
  /** Pod creates go through admission webhooks when the cluster has them. */
  admitted?: AdmittedWrites;
}

/** The DaemonSet as stored now (upstream's uncached recheck before adopting). */
export const freshDs = (c: DaemonSetContext, ds: DaemonSetObj) => (): KubeObject | undefined => {
  try {
    return c.registry.get(c.dsDef, ds.metadata.namespace ?? '', ds.metadata.name!);
  } catch {
    return undefined;
  }
};
