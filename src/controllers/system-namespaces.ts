// The system namespaces controller (upstream pkg/controlplane/controller/systemnamespaces):
// default, kube-system, kube-public and kube-node-lease always exist. The first three cannot be
// deleted (NamespaceLifecycle admission refuses); kube-node-lease can, and comes back. Upstream
// checks once a minute; here a namespace's final removal re-creates it at once, and the minute
// check stays as a backstop.
import { requireDef } from '../registry/kinds.js';
import { createQueue } from './queue.js';
import { tolerate, type Controller, type ControllerContext } from './context.js';
import { SYSTEM_NAMESPACES } from '../registry/bootstrap.js';

const INTERVAL_MS = 60_000;

export function startSystemNamespacesController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log } = ctx;
  const nsDef = requireDef(defs, '', 'namespaces');
  const q = createQueue(
    'system-namespaces',
    (name) => {
      if (store.get('namespaces', '', name)) return;
      tolerate(
        () => registry.create(nsDef, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'kube-apiserver' }),
        [409],
      );
      log.info({ namespace: name }, 'system namespace re-created');
    },
    (k, err) => log.warn({ err, namespace: k }, 'unable to create required kubernetes system namespace'),
  );
  const checkAll = () => {
    for (const name of SYSTEM_NAMESPACES) q.add(name);
  };
  const unsub = store.subscribe('namespaces', (ev) => {
    if (ev.type === 'DELETED' && SYSTEM_NAMESPACES.includes(ev.name)) q.add(ev.name);
  });
  const timer = setInterval(checkAll, INTERVAL_MS);
  timer.unref();
  checkAll();
  return {
    stop() {
      unsub();
      clearInterval(timer);
      q.stop();
    },
    idle: () => q.idle(),
  };
}
