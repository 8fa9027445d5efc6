// The Website controller: informers over Websites and over the Deployments and Services it owns
// feed one work queue of Website keys; reconciling a key applies the children (server-side
// apply, so a no-op leaves them untouched) and patches the Website's status from its
// Deployment's. Deleting a Website needs no code: the children's ownerReferences let the
// garbage collector delete them.
import * as k8s from '@kubernetes/client-node';
import { desiredDeployment, desiredService, statusFor } from './desired.js';
import { GROUP, MANAGER, PLURAL, VERSION, KIND, type Website } from './website.js';
import { WorkQueue } from './workqueue.js';

export interface OperatorOptions {
  /** Called with errors the operator recovers from by retrying (a failed reconcile, a broken watch). */
  onError?: (what: string, err: unknown) => void;
}

export interface Operator {
  stop(): Promise<void>;
}

const MANAGED = `app.kubernetes.io/managed-by=${MANAGER}`;

/**
 * Starts the controller with the identity of `kc`. Resolves once every informer has listed, and
 * rejects with the API's error when one cannot (an identity without list and watch on Websites,
 * Deployments and Services).
 */
export async function startOperator(kc: k8s.KubeConfig, opts: OperatorOptions = {}): Promise<Operator> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const onError = opts.onError ?? (() => undefined);

  const websites = k8s.makeInformer<Website>(kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`, () =>
    custom.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, plural: PLURAL }),
  );
  // Only the children: a label selector keeps every other Deployment and Service out of the cache.
  const deployments = k8s.makeInformer<k8s.V1Deployment>(
    kc,
    '/apis/apps/v1/deployments',
    () => apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED }),
    MANAGED,
  );
  const services = k8s.makeInformer<k8s.V1Service>(
    kc,
    '/api/v1/services',
    () => core.listServiceForAllNamespaces({ labelSelector: MANAGED }),
    MANAGED,
  );

  const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  async function reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const site = websites.get(name, namespace);
    // Gone or going: the garbage collector deletes the children once the Website is gone.
    if (!site || site.metadata?.deletionTimestamp) return;
    const deployment = await apps.patchNamespacedDeployment(
      { namespace, name, body: desiredDeployment(site), fieldManager: MANAGER, force: true },
      apply,
    );
    await core.patchNamespacedService({ namespace, name, body: desiredService(site), fieldManager: MANAGER, force: true }, apply);
    const status = statusFor(site, deployment, new Date());
    if (sameJSON(status, site.status)) return;
    await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status }, fieldManager: MANAGER },
      merge,
    );
  }

  const queue = new WorkQueue(reconcile, { onError: (key, err) => onError(`reconcile ${key}`, err) });
  websites.on('change', (site) => queue.add(`${site.metadata!.namespace}/${site.metadata!.name}`));
  // A child changed (its status, or someone edited or deleted it): reconcile its controlling Website.
  const enqueueOwner = (child: k8s.KubernetesObject) => {
    const owner = child.metadata?.ownerReferences?.find((r) => r.controller && r.kind === KIND && r.apiVersion === `${GROUP}/${VERSION}`);
    if (owner) queue.add(`${child.metadata!.namespace}/${owner.name}`);
  };
  deployments.on('change', enqueueOwner);
  services.on('change', enqueueOwner);

  let stopped = false;
  const informers: [string, k8s.Informer<k8s.KubernetesObject>][] = [
    ['websites', websites],
    ['deployments', deployments],
    ['services', services],
  ];
  const startErrors: unknown[] = [];
  let starting = true;
  for (const [what, informer] of informers) {
    // client-node's informers stop on an error (a refused list, a watch that broke): start again, as client-go's reflector does.
    informer.on('error', (err) => {
      if (stopped) return;
      if (starting) startErrors.push(err);
      else {
        onError(`watch ${what}`, err);
        setTimeout(() => void (stopped ? undefined : informer.start()), 1000).unref();
      }
    });
  }
  await Promise.all(informers.map(([, i]) => i.start()));
  starting = false;

  const stop = async () => {
    stopped = true;
    queue.stop();
    await Promise.all(informers.map(([, i]) => i.stop()));
  };
  if (startErrors.length) {
    await stop();
    throw startErrors[0];
  }
  return { stop };
}

/** Equal as JSON values, whatever the order of object keys (the API server keeps its own). */
function sameJSON(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
