// Garbage collector over ownerReferences (upstream pkg/controller/garbagecollector), for every
// kind. It keeps a small index (uid → object key, owner uid → dependents) from store events and:
//   background  deletes a dependent once none of its owners exists any more;
//   orphan      (owner has finalizer `orphan`) removes the owner's references from its
//               dependents, then the finalizer;
//   foreground  (owner has `foregroundDeletion`) deletes the dependents (foreground too) and
//               removes the finalizer when no dependent with blockOwnerDeletion remains.
import type { ResourceDef } from '../registry/types.js';
import type { KubeObject, OwnerReference } from '../apimachinery/types.js';
import { storageResource } from '../registry/types.js';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../registry/generic-store.js';
import { clone } from '../apimachinery/meta.js';
import { createQueue } from './queue.js';
import { defsByResource, objKey, parseKey, tolerate, type Controller, type ControllerContext } from './context.js';

export function startGarbageCollector(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, informers } = ctx;
  // Custom resources by their storage version's def: the GC's writes need no conversion.
  const byResource = defsByResource([...defs, ...(ctx.served?.custom() ?? []).filter((d) => d.storageVersion)]);
  const uidToKey = new Map<string, string>();
  const dependents = new Map<string, Set<string>>();
  const refsOf = new Map<string, string[]>();

  const index = (key: string, o: KubeObject | undefined) => {
    for (const u of refsOf.get(key) ?? []) dependents.get(u)?.delete(key);
    refsOf.delete(key);
    if (!o) return;
    if (o.metadata.uid) uidToKey.set(o.metadata.uid, key);
    const refs = (o.metadata.ownerReferences ?? []).map((r) => r.uid);
    if (refs.length) {
      refsOf.set(key, refs);
      for (const u of refs) {
        let s = dependents.get(u);
        if (!s) dependents.set(u, (s = new Set()));
        s.add(key);
      }
    }
  };

  const defOf = (resource: string): ResourceDef | undefined => byResource.get(resource);
  const live = (key: string) => {
    const { resource, ns, name } = parseKey(key);
    return store.get(resource, ns, name);
  };
  const ownerState = (ref: OwnerReference): 'absent' | 'solid' | 'waiting' | 'deleting' => {
    const key = uidToKey.get(ref.uid);
    const o = key ? live(key) : undefined;
    if (!o || o.metadata.uid !== ref.uid) return 'absent';
    if (!o.metadata.deletionTimestamp) return 'solid';
    return o.metadata.finalizers?.includes(FINALIZER_FOREGROUND) ? 'waiting' : 'deleting';
  };

  const checkDependent = (key: string) => {
    const o = live(key);
    if (!o || !o.metadata.ownerReferences?.length) return;
    const { resource, ns, name } = parseKey(key);
    const def = defOf(resource);
    if (!def) return;
    const states = o.metadata.ownerReferences.map((r) => ({ r, s: ownerState(r) }));
    if (states.some((x) => x.s === 'solid' || x.s === 'deleting')) {
      // Keep it, but drop references to owners that are gone (upstream patches them away).
      const dangling = states.filter((x) => x.s === 'absent').map((x) => x.r.uid);
      if (dangling.length) removeRefs(def, o, new Set(dangling));
      return;
    }
    if (o.metadata.deletionTimestamp) return;
    const foreground = states.some((x) => x.s === 'waiting');
    tolerate(
      () =>
        registry.delete(def, ns, name, {
          propagationPolicy: foreground ? 'Foreground' : 'Background',
          preconditions: { uid: o.metadata.uid },
        }),
      [404, 409],
    );
  };

  const removeRefs = (def: ResourceDef, o: KubeObject, uids: Set<string>) => {
    const next = clone(o);
    next.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => !uids.has(r.uid));
    if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
    tolerate(() => registry.update(def, o.metadata.namespace ?? '', o.metadata.name!, next, { fieldManager: 'generic-garbage-collector' }));
  };

  const removeFinalizer = (def: ResourceDef, o: KubeObject, f: string) => {
    const next = clone(o);
    next.metadata.finalizers = (o.metadata.finalizers ?? []).filter((x) => x !== f);
    if (!next.metadata.finalizers.length) delete next.metadata.finalizers;
    tolerate(() => registry.update(def, o.metadata.namespace ?? '', o.metadata.name!, next, { fieldManager: 'generic-garbage-collector' }));
  };

  const processOwner = (key: string) => {
    const o = live(key);
    if (!o || !o.metadata.deletionTimestamp) return;
    const def = defOf(parseKey(key).resource);
    if (!def) return;
    const uid = o.metadata.uid!;
    const deps = [...(dependents.get(uid) ?? [])];
    if (o.metadata.finalizers?.includes(FINALIZER_ORPHAN)) {
      for (const d of deps) {
        const dep = live(d);
        const ddef = defOf(parseKey(d).resource);
        if (dep && ddef) removeRefs(ddef, dep, new Set([uid]));
      }
      const cur = live(key);
      if (cur) removeFinalizer(def, cur, FINALIZER_ORPHAN);
      return;
    }
    if (o.metadata.finalizers?.includes(FINALIZER_FOREGROUND)) {
      let blocking = 0;
      for (const d of deps) {
        const dep = live(d);
        if (!dep) continue;
        const ref = dep.metadata.ownerReferences?.find((r) => r.uid === uid);
        if (!ref) continue;
        if (ref.blockOwnerDeletion) blocking++;
        checkDependent(d);
      }
      if (blocking === 0) {
        const cur = live(key);
        if (cur) removeFinalizer(def, cur, FINALIZER_FOREGROUND);
      } else q.addAfter(`owner:${key}`, 1000);
    }
  };

  const q = createQueue(
    'gc',
    (k) => (k.startsWith('owner:') ? processOwner(k.slice(6)) : checkDependent(k.slice(4))),
    (k, err) => log.debug({ err, key: k }, 'garbage collector retry'),
  );

  const unsubs: (() => void)[] = [];
  const subscribed = new Set<string>();
  // Built-in kinds start from the shared informers; custom resources from the store (an informer
  // per CRD would keep every custom object parsed for the GC's one pass).
  const follow = (resource: string, fromStore = false) => {
    if (subscribed.has(resource)) return;
    subscribed.add(resource);
    for (const o of fromStore ? store.listObjects(resource) : informers.list(resource)) {
      const key = objKey(resource, o.metadata.namespace ?? '', o.metadata.name!);
      index(key, o);
      // Work left from a previous run.
      if (o.metadata.ownerReferences?.length) q.add(`dep:${key}`);
      if (o.metadata.deletionTimestamp) q.add(`owner:${key}`);
    }
    unsubs.push(
      store.subscribe(resource, (ev) => {
        const key = objKey(resource, ev.namespace, ev.name);
        const o = ev.object;
        if (ev.type === 'DELETED') {
          index(key, undefined);
          if (o.metadata.uid) {
            uidToKey.delete(o.metadata.uid);
            for (const d of dependents.get(o.metadata.uid) ?? []) q.add(`dep:${d}`);
          }
          // A foreground owner waits for this dependent.
          for (const r of o.metadata.ownerReferences ?? []) {
            const ok = uidToKey.get(r.uid);
            if (ok) q.add(`owner:${ok}`);
          }
          return;
        }
        index(key, o);
        if (o.metadata.ownerReferences?.length) q.add(`dep:${key}`);
        if (o.metadata.deletionTimestamp && o.metadata.finalizers?.some((f) => f === FINALIZER_ORPHAN || f === FINALIZER_FOREGROUND))
          q.add(`owner:${key}`);
        if (o.metadata.deletionTimestamp && o.metadata.uid) for (const d of dependents.get(o.metadata.uid) ?? []) q.add(`dep:${d}`);
      }),
    );
  };
  for (const d of defs) follow(storageResource(d));
  for (const d of ctx.served?.custom() ?? []) follow(storageResource(d), true);
  // Custom resources: a CRD established after the start brings its resource.
  if (ctx.served)
    unsubs.push(
      ctx.served.onChange(({ added }) => {
        for (const d of added) {
          const r = storageResource(d);
          if (d.storageVersion) byResource.set(r, d);
          follow(r, true);
        }
      }),
    );
  return {
    stop() {
      for (const u of unsubs) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
