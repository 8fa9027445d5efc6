// The root CA publisher (upstream root-ca-cert-publisher): every active namespace has ConfigMap
// `kube-root-ca.crt` whose `ca.crt` is the cluster CA, with upstream's description annotation.
// It is recreated when deleted and put back when its data or annotation is edited. In-cluster
// clients read it through the kube-api-access projected volume.
import { requireDef } from '../registry/kinds.js';
import { createQueue } from './queue.js';
import { tolerate, type Controller, type ControllerContext } from './context.js';
import type { ConfigMapObj } from '../registry/configmap.js';
import { deepEqual } from '../apimachinery/meta.js';
import type { NamespaceObj } from '../registry/namespace.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export function startRootCAPublisher(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, caCertPem } = ctx;
  if (!caCertPem) return { stop() {}, idle: async () => {} };
  const cmDef = requireDef(defs, '', 'configmaps');
  const data = { 'ca.crt': caCertPem };
  const opts = { fieldManager: 'kube-controller-manager' };

  const q = createQueue(
    'root-ca-cert-publisher',
    (ns) => {
      const n = store.get('namespaces', '', ns);
      if (!n || n.metadata.deletionTimestamp) return;
      const cm = store.get('configmaps', ns, ROOT_CA_CONFIGMAP) as ConfigMapObj | undefined;
      if (!cm) {
        const obj: ConfigMapObj = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
          data,
        };
        // Not retried when the namespace is gone or terminating (upstream does the same).
        tolerate(() => registry.create(cmDef, ns, obj, opts), [403, 404, 409]);
        return;
      }
      if (deepEqual(cm.data, data) && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
      const next: ConfigMapObj = {
        ...cm,
        data,
        metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
      };
      // A conflict (someone wrote in between) throws and the queue retries with back-off.
      tolerate(() => registry.update(cmDef, ns, ROOT_CA_CONFIGMAP, next, opts), [404]);
    },
    (k, err) => log.debug({ err, namespace: k }, 'root CA publish retry'),
  );

  const unsubs = [
    store.subscribe('namespaces', (ev) => {
      if (ev.type === 'ADDED' || (ev.type === 'MODIFIED' && (ev.object as NamespaceObj).status?.phase === 'Active')) q.add(ev.name);
    }),
    store.subscribe('configmaps', (ev) => {
      if (ev.name === ROOT_CA_CONFIGMAP && ev.type !== 'ADDED') q.add(ev.namespace);
    }),
  ];
  for (const ns of store.listObjects('namespaces')) q.add(ns.metadata.name!);
  return {
    stop() {
      for (const u of unsubs) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
