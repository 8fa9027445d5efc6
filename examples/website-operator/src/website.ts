// The Website kind as the operator sees it (config/crd.yaml has its schema), and the names that
// tie a Website to what it owns.
import type { KubernetesObject } from '@kubernetes/client-node';

export const GROUP = 'examples.tinykube.dev';
export const VERSION = 'v1';
export const PLURAL = 'websites';
export const KIND = 'Website';

export interface WebsiteSpec {
  image: string;
  args?: string[];
  /** Defaulted by the schema to 1. */
  replicas: number;
  port: number;
  /** Defaulted by the schema to `/`. */
  healthPath: string;
}

/** metav1.Condition as it travels in JSON (client-node's V1Condition has a Date). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  /** RFC 3339, seconds precision. */
  lastTransitionTime: string;
}

export interface WebsiteStatus {
  observedGeneration?: number;
  replicas?: number;
  availableReplicas?: number;
  /** The Pods' label selector, for the scale subresource (and so for HorizontalPodAutoscalers). */
  selector?: string;
  conditions?: Condition[];
}

export interface Website extends KubernetesObject {
  spec: WebsiteSpec;
  status?: WebsiteStatus;
}

/** Who writes the children: the field manager of server-side apply and a label on each child. */
export const MANAGER = 'website-operator';

/** The labels of a Website's Deployment, Pods and Service; the Pods' are also the selector. */
export function podLabels(site: Website): Record<string, string> {
  return { 'app.kubernetes.io/name': 'website', 'app.kubernetes.io/instance': site.metadata!.name! };
}

export function childLabels(site: Website): Record<string, string> {
  return { ...podLabels(site), 'app.kubernetes.io/managed-by': MANAGER };
}

export const selectorOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
