// Namespace deletion (upstream pkg/controller/namespace/deletion): once a Namespace has a
// deletionTimestamp, delete everything in it, report progress in status.conditions, and when it
// is empty drop the `kubernetes` finalizer through /finalize so the Namespace goes away.
// Driven by events: a deletion inside a terminating namespace requeues it at once.
import { requireDef } from '../registry/kinds.js';
import { storageResource } from '../registry/types.js';
import type { NamespaceObj } from '../registry/namespace.js';
import { createQueue } from './queue.js';
import { defsByResource, tolerate, type Controller, type ControllerContext } from './context.js';
import { rfc3339 } from '../apimachinery/meta.js';

export function startNamespaceController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log } = ctx;
  const nsDef = requireDef(defs, '', 'namespaces');
  // Custom resources come and go with their CRDs: the kinds are read at each reconcile.
  // (custom resources by their storage version's def: deletes need no conversion).
  const namespacedKinds = () => [
    ...defsByResource([...defs, ...(ctx.served?.custom() ?? []).filter((d) => d.storageVersion)].filter((d) => d.namespaced)).entries(),
  ];
  const q = createQueue(
    'namespace',
    (name) => reconcile(name),
    (k, err) => log.debug({ err, namespace: k }, 'namespace deletion retry'),
  );
  const terminating = new Set<string>();

  const reconcile = (name: string) => {
    const ns = store.get('namespaces', '', name) as NamespaceObj | undefined;
    if (!ns || !ns.metadata.deletionTimestamp) {
      terminating.delete(name);
      return;
    }
    terminating.add(name);
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const [resource, def] of namespacedKinds()) {
      for (const o of store.listObjects(resource, name)) {
        if (!o.metadata.deletionTimestamp) tolerate(() => registry.delete(def, name, o.metadata.name!, {}), [404, 409]);
      }
      const left = store.listObjects(resource, name);
      if (left.length) remaining.set(def.plural + (def.group ? `.${def.group}` : ''), left.length);
      for (const o of left) for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    }
    setConditions(ns, remaining, finalizers);
    if (remaining.size) {
      q.addAfter(name, 2000); // objects waiting on finalizers or grace periods: events requeue sooner
      return;
    }
    const cur = store.get('namespaces', '', name) as NamespaceObj | undefined;
    if (!cur) return;
    const spec = cur.spec ?? {};
    if (spec.finalizers?.includes('kubernetes')) {
      const next = { ...cur, spec: { ...spec, finalizers: spec.finalizers.filter((f) => f !== 'kubernetes') } };
      tolerate(() => registry.update(nsDef, '', name, next, { subresource: 'finalize', fieldManager: 'namespace-controller' }));
    }
  };

  const setConditions = (ns: NamespaceObj, remaining: Map<string, number>, finalizers: Map<string, number>) => {
    const now = rfc3339(new Date());
    const old = ns.status?.conditions ?? [];
    const cond = (type: string, status: string, reason: string, message: string) => {
      const prev = old.find((c) => c.type === type);
      return { type, status, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now, reason, message };
    };
    const counts = [...remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(', ');
    const fins = [...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).join(', ');
    const conditions = [
      cond('NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'),
      cond('NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'),
      cond(
        'NamespaceDeletionContentFailure',
        'False',
        'ContentDeleted',
        'All content successfully deleted, may be waiting on finalization',
      ),
      remaining.size
        ? cond('NamespaceContentRemaining', 'True', 'SomeResourcesRemain', `Some resources are remaining: ${counts}`)
        : cond('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
      finalizers.size
        ? cond(
            'NamespaceFinalizersRemaining',
            'True',
            'SomeFinalizersRemain',
            `Some content in the namespace has finalizers remaining: ${fins}`,
          )
        : cond('NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'),
    ];
    if (
      JSON.stringify(conditions.map(({ lastTransitionTime, ...c }) => c)) === JSON.stringify(old.map(({ lastTransitionTime, ...c }) => c))
    )
      return;
    const next = { ...ns, status: { ...ns.status, conditions } };
    tolerate(
      () => registry.update(nsDef, '', ns.metadata.name!, next, { subresource: 'status', fieldManager: 'namespace-controller' }),
      [404, 409],
    );
  };

  const watched = new Map<string, () => void>();
  const follow = () => {
    for (const [resource] of namespacedKinds()) {
      if (watched.has(resource)) continue;
      watched.set(
        resource,
        store.subscribe(resource, (ev) => {
          if (terminating.has(ev.namespace) && (ev.type === 'DELETED' || ev.type === 'MODIFIED')) q.add(ev.namespace);
        }),
      );
    }
  };
  follow();
  const unsubs = [
    store.subscribe('namespaces', (ev) => {
      if (ev.type !== 'DELETED' && ev.object.metadata.deletionTimestamp) q.add(ev.name);
    }),
    ...(ctx.served ? [ctx.served.onChange(follow)] : []),
  ];
  // Namespaces left terminating by a previous run.
  for (const ns of store.listObjects('namespaces')) if (ns.metadata.deletionTimestamp) q.add(ns.metadata.name!);
  void storageResource;
  return {
    stop() {
      for (const u of unsubs) u();
      for (const u of watched.values()) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
