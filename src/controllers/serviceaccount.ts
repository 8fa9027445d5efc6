// Every active namespace has a `default` ServiceAccount (upstream serviceaccounts-controller);
// it is recreated when deleted.
import { requireDef } from '../registry/kinds.js';
import { createQueue } from './queue.js';
import { tolerate, type Controller, type ControllerContext } from './context.js';

export function startServiceAccountController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log } = ctx;
  const saDef = requireDef(defs, '', 'serviceaccounts');
  const q = createQueue(
    'serviceaccount',
    (ns) => {
      const n = store.get('namespaces', '', ns);
      if (!n || n.metadata.deletionTimestamp) return;
      if (store.get('serviceaccounts', ns, 'default')) return;
      tolerate(
        () =>
          registry.create(
            saDef,
            ns,
            { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } },
            { fieldManager: 'kube-controller-manager' },
          ),
        [409, 403, 404],
      );
    },
    (k, err) => log.debug({ err, namespace: k }, 'service account retry'),
  );
  const unsubs = [
    store.subscribe('namespaces', (ev) => {
      if (ev.type !== 'DELETED') q.add(ev.name);
    }),
    store.subscribe('serviceaccounts', (ev) => {
      if (ev.type === 'DELETED' && ev.name === 'default') q.add(ev.namespace);
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
