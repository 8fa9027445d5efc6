// What a Website should own and report, computed from the Website and the Deployment as they are:
// pure functions, so the reconciler only reads the cache, applies and patches.
import type { V1Deployment, V1OwnerReference, V1Service } from '@kubernetes/client-node';
import { GROUP, KIND, VERSION, childLabels, podLabels, selectorOf, type Condition, type Website, type WebsiteStatus } from './website.js';

/** controller=true makes the Website the one owner that reconciles the child; the garbage collector deletes the child with it. */
function ownerRef(site: Website): V1OwnerReference {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: KIND,
    name: site.metadata!.name!,
    uid: site.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The Deployment as server-side apply wants it: only the fields this operator has an opinion on. */
export function desiredDeployment(site: Website): V1Deployment {
  const { name, namespace } = site.metadata!;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: childLabels(site), ownerReferences: [ownerRef(site)] },
    spec: {
      replicas: site.spec.replicas,
      selector: { matchLabels: podLabels(site) },
      template: {
        metadata: { labels: podLabels(site) },
        spec: {
          containers: [
            {
              name: 'web',
              image: site.spec.image,
              ...(site.spec.args ? { args: site.spec.args } : {}),
              ports: [{ name: 'http', containerPort: site.spec.port }],
              // Probed every second: a Pod whose server was not listening yet at the first probe is
              // Ready (and the Website with it) a second later.
              readinessProbe: { httpGet: { path: site.spec.healthPath, port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

export function desiredService(site: Website): V1Service {
  const { name, namespace } = site.metadata!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: childLabels(site), ownerReferences: [ownerRef(site)] },
    spec: { selector: podLabels(site), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

/**
 * The Website's status from its Deployment's: Ready is True once as many replicas are available as
 * the spec asks for. A condition keeps its lastTransitionTime while its status stays the same.
 */
export function statusFor(site: Website, deployment: V1Deployment | undefined, now: Date): WebsiteStatus {
  const want = site.spec.replicas;
  const available = deployment?.status?.availableReplicas ?? 0;
  const ready = available >= want;
  const previous = site.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready ? 'True' : 'False';
  const condition: Condition = {
    type: 'Ready',
    status,
    reason: ready ? 'ReplicasAvailable' : deployment ? 'ReplicasUnavailable' : 'DeploymentMissing',
    message: `${available} of ${want} replicas available`,
    observedGeneration: site.metadata!.generation,
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  return {
    observedGeneration: site.metadata!.generation,
    replicas: deployment?.status?.replicas ?? 0,
    availableReplicas: available,
    selector: selectorOf(podLabels(site)),
    conditions: [condition],
  };
}
