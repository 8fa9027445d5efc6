// What every built-in controller gets: the store (events), the registry (API-semantics writes),
// the kinds, a logger, the cluster configuration, and the cluster CA and token authority.
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import type { InformerFactory } from '../storage/informer.js';
import type { Registry } from '../registry/generic-store.js';
import type { ComputedSource, ResourceDef } from '../registry/types.js';
import { storageResource } from '../registry/types.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { StatusError } from '../apimachinery/errors.js';
import type { TokenAuthority } from '../auth/tokens.js';
import type { Clock } from '../base/clock.js';
import type { ServedKinds } from '../registry/served-kinds.js';
import type { AdmittedWrites } from '../registry/admitted.js';
import type { UserInfo } from '../auth/users.js';

export interface ControllerContext {
  store: Store;
  informers: InformerFactory;
  registry: Registry;
  defs: ResourceDef[];
  log: Logger;
  config: ClusterConfig;
  /** The cluster CA (PEM) that the root CA publisher puts into every namespace. */
  caCertPem?: string;
  /** The cluster CA's private key (PEM): the CSR signing controller issues certificates with it. */
  caKeyPem?: string;
  /** Issues service account tokens (the node agent's projected volumes). */
  tokens?: TokenAuthority;
  /** Time as the controllers see it (a fake clock in tests: CronJob schedules, deadlines, TTLs). */
  clock: Clock;
  /** metrics.k8s.io PodMetrics as the node agent computes them (the HPA controller reads them in process). */
  podMetrics?: ComputedSource;
  /** The kinds served now, custom resources included (the CRD controller keeps it; GC and namespace deletion follow it). */
  served?: ServedKinds;
  /** Writes through admission webhooks: controllers create Pods through it, as upstream's do through the API. */
  admitted?: AdmittedWrites;
}

/** A kube-controller-manager controller's identity (its service account in kube-system), as webhooks see it. */
export function controllerUser(name: string): UserInfo {
  return {
    username: `system:serviceaccount:kube-system:${name}`,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  };
}

export interface Controller {
  stop(): void;
  idle(): Promise<void>;
}

/** One def per storage resource (core/v1 Event and events.k8s.io/v1 Event share `events`). */
export function defsByResource(defs: ResourceDef[]): Map<string, ResourceDef> {
  const m = new Map<string, ResourceDef>();
  for (const d of defs) if (!m.has(storageResource(d))) m.set(storageResource(d), d);
  return m;
}

/** The message of a thrown value, as controllers word it in events (`Error creating: ...`) and logs. */
export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs fn, treating NotFound/Conflict as "someone else got there first". */
export function tolerate(fn: () => void, codes = [404]): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError && codes.includes(e.code)) return;
    throw e;
  }
}

export const objKey = (resource: string, ns: string, name: string) => `${resource}|${ns}|${name}`;
export function parseKey(k: string): { resource: string; ns: string; name: string } {
  const [resource, ns, name] = k.split('|') as [string, string, string];
  return { resource, ns, name };
}
