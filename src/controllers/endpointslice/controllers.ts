// The three endpoint controllers of kube-controller-manager, driven by in-process store events,
// each with its own queue:
// - EndpointSlice controller: slices of the Pods each selector Service picks (reconcile.ts);
// - Endpoints controller: the legacy Endpoints object of each selector Service (endpoints.ts);
// - mirroring controller: users' Endpoints of selector-less Services mirrored into slices (mirroring.ts).
// Events only enqueue Service keys; each reconcile reads the informer caches (parsed objects, no
// SQLite read per Pod), computes the writes with the pure functions and applies them in one
// transaction (so watchers see one revision per Service).
import { ENDPOINTSLICES } from '../../registry/endpointslice.js';
import { requireDef } from '../../registry/kinds.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { StoreEvent } from '../../storage/store.js';
import type { ServiceObj } from '../../registry/service/strategy.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { EndpointsObj } from '../../registry/endpoints.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { tolerate, type Controller, type ControllerContext } from '../context.js';
import { matchSelectorMap } from '../../apimachinery/selectors.js';
import { reconcile, isNoop } from './reconcile.js';
import { controllerManagesService, podsForService } from './desired.js';
import { reconcileEndpoints } from './endpoints.js';
import { reconcileMirroring } from './mirroring.js';
import { TriggerTimeTracker } from './trigger-time.js';
import {
  ENDPOINTSLICE_CONTROLLER_NAME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  MIRRORING_CONTROLLER_NAME,
  type EndpointSliceObj,
} from './util.js';

/** The store's name for EndpointSlices (group-qualified). */
const SLICES = ENDPOINTSLICES;

const selectorOf = (svc: ServiceObj | undefined) => svc?.spec?.selector;

export function startEndpointControllers(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, config, informers } = ctx;
  const podInformer = informers.for('pods');
  const serviceInformer = informers.for('services');
  const nodeInformer = informers.for('nodes');
  const sliceInformer = informers.for(SLICES);
  const endpointsInformer = informers.for('endpoints');
  const sliceKey = (ns: string, svc: string, managedBy: string) => `${ns}/${svc}/${managedBy}`;
  sliceInformer.addIndex('service-manager', (s) => {
    const l = s.metadata.labels ?? {};
    return l[LABEL_SERVICE_NAME] && l[LABEL_MANAGED_BY]
      ? [sliceKey(s.metadata.namespace ?? '', l[LABEL_SERVICE_NAME], l[LABEL_MANAGED_BY])]
      : [];
  });
  // Our own writes reach the informers when their group-commit batch commits (readers outside a
  // transaction see committed data only). Until then a second reconcile of that Service must see
  // what it just wrote, or it would make its slices again (upstream's endpointSliceTracker): an
  // overlay of our uncommitted writes per Service, applied on top of the informer. It costs what
  // the Service has, never a read of the namespace. null marks a deletion.
  const pendingSlices = new Map<string, Map<string, EndpointSliceObj | null>>();
  const pendingEndpoints = new Map<string, EndpointsObj | null>();
  /** Called right after a write: its overlay entries live until its batch commits (or fails). */
  const noteOwnWrites = (key: string, slices: [string, EndpointSliceObj | null][], endpoints?: EndpointsObj | null) => {
    if (!store.batchOpen) return;
    let m = pendingSlices.get(key);
    for (const [n, o] of slices) (m ??= pendingSlices.set(key, new Map()).get(key)!).set(n, o);
    if (endpoints !== undefined) pendingEndpoints.set(key, endpoints);
    const done = () => {
      // Later writes of the same batch or a newer one may have replaced an entry: drop only ours.
      const cur = pendingSlices.get(key);
      for (const [n, o] of slices) if (cur?.get(n) === o) cur.delete(n);
      if (cur && !cur.size) pendingSlices.delete(key);
      if (endpoints !== undefined && pendingEndpoints.get(key) === endpoints) pendingEndpoints.delete(key);
    };
    store.durable().then(done, done);
  };
  const sliceDef = requireDef(defs, 'discovery.k8s.io', 'endpointslices');
  const epDef = requireDef(defs, '', 'endpoints');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'endpointslice-mirroring-controller', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  // One tracker per controller, as upstream (each remembers what it last published).
  const sliceTriggers = new TriggerTimeTracker();
  const endpointsTriggers = new TriggerTimeTracker();
  const maxPerSlice = config.maxEndpointsPerSlice;

  const slicesOf = (ns: string, name: string, managedBy: string): EndpointSliceObj[] => {
    const base = sliceInformer.byIndex('service-manager', sliceKey(ns, name, managedBy)) as EndpointSliceObj[];
    const overlay = pendingSlices.get(`${ns}/${name}`);
    if (!overlay) return base;
    const byName = new Map(base.map((s) => [s.metadata.name!, s]));
    for (const [n, o] of overlay) {
      if (o && o.metadata.labels?.[LABEL_MANAGED_BY] === managedBy) byName.set(n, o);
      else byName.delete(n);
    }
    return [...byName.values()];
  };

  // The events of our own writes need no reconcile (upstream's endpointSliceTracker): remember
  // the resourceVersion each write produced and skip exactly that event. Anything else (a hand
  // edit, a deletion by someone else) still requeues the Service.
  const expected = new Map<string, string>();
  const expectKey = (resource: string, ns: string, name: string) => `${resource}|${ns}|${name}`;
  const expect = (resource: string, obj: KubeObject | undefined, deleted = false) => {
    if (obj)
      expected.set(
        expectKey(resource, obj.metadata.namespace ?? '', obj.metadata.name!),
        deleted ? 'DELETED' : obj.metadata.resourceVersion!,
      );
  };
  const isOwnEvent = (resource: string, ev: StoreEvent) => {
    const k = expectKey(resource, ev.namespace, ev.name);
    const want = expected.get(k);
    if (want === undefined) return false;
    expected.delete(k);
    return ev.type === 'DELETED' ? want === 'DELETED' : want === ev.object.metadata.resourceVersion;
  };

  const nodeLabels = () => new Map(nodeInformer.list().map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));

  const applySlices = (
    ns: string,
    name: string,
    r: { create: EndpointSliceObj[]; update: EndpointSliceObj[]; delete: EndpointSliceObj[] },
    manager: string,
  ) => {
    // Expectations are noted inside the transaction: its events are published at commit.
    const written: [string, EndpointSliceObj | null][] = [];
    store.txn(() => {
      for (const s of r.delete) {
        tolerate(() => {
          const d = registry.delete(sliceDef, ns, s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
          expect(SLICES, d.object, d.deleted);
          written.push([s.metadata.name!, d.deleted ? null : (d.object as EndpointSliceObj)]);
        }, [404, 409]);
      }
      for (const s of r.update) {
        const o = registry.update(sliceDef, ns, s.metadata.name!, s, { fieldManager: manager, trusted: true }).object as EndpointSliceObj;
        expect(SLICES, o);
        written.push([o.metadata.name!, o]);
      }
      for (const s of r.create) {
        const o = registry.create(sliceDef, ns, s, { fieldManager: manager, trusted: true }).object as EndpointSliceObj;
        expect(SLICES, o);
        written.push([o.metadata.name!, o]);
      }
    });
    noteOwnWrites(`${ns}/${name}`, written);
  };

  // ---- EndpointSlice controller: one reconcile per selector Service ----
  const services = createQueue(
    'endpointslice',
    (key) => {
      const t0 = performance.now();
      const [ns, name] = key.split('/') as [string, string];
      const svc = serviceInformer.get(ns, name) as ServiceObj | undefined;
      const managed = controllerManagesService(svc) && !svc.metadata.deletionTimestamp;
      const existing = slicesOf(ns, name, ENDPOINTSLICE_CONTROLLER_NAME);
      if (!managed) {
        // Gone, selector-less or ExternalName: our slices go; user slices are never touched.
        sliceTriggers.delete(ns, name);
        if (existing.length) applySlices(ns, name, { create: [], update: [], delete: existing }, ENDPOINTSLICE_CONTROLLER_NAME);
        return;
      }
      const pods = podsForService(svc, podInformer.list(ns) as PodObj[]);
      const r = reconcile({
        service: svc,
        pods,
        nodes: nodeLabels(),
        existingSlices: existing,
        maxEndpointsPerSlice: maxPerSlice,
        now: sliceTriggers.compute(svc, pods),
      });
      if (!isNoop(r)) applySlices(ns, name, r, ENDPOINTSLICE_CONTROLLER_NAME);
      if (r.podsOnUnknownNodes.length) services.addAfter(key, 1000);
      log.debug(
        {
          service: key,
          pods: pods.length,
          create: r.create.length,
          update: r.update.length,
          delete: r.delete.length,
          ms: +(performance.now() - t0).toFixed(2),
        },
        'synced service endpoint slices',
      );
    },
    (key, err) => log.debug({ err, service: key }, 'endpointslice sync failed, retrying'),
    { pace: 1 },
  );

  // ---- Endpoints controller: the legacy Endpoints of each selector Service (its own queue, as
  // upstream's own controller, so a large Endpoints object never delays the slices) ----
  const legacy = createQueue(
    'endpoint',
    (key) => {
      const t0 = performance.now();
      const [ns, name] = key.split('/') as [string, string];
      const svc = serviceInformer.get(ns, name) as ServiceObj | undefined;
      // Right after our own write, the overlay has it (the informer lags one commit).
      const current = (pendingEndpoints.has(key) ? (pendingEndpoints.get(key) ?? undefined) : endpointsInformer.get(ns, name)) as
        EndpointsObj | undefined;
      if (!controllerManagesService(svc) || svc.metadata.deletionTimestamp) {
        endpointsTriggers.delete(ns, name);
        // A deleted Service's Endpoints go; a selector-less Service's are its user's.
        if (!svc && current) tolerate(() => registry.delete(epDef, ns, name, { preconditions: { uid: current.metadata.uid } }), [404, 409]);
        return;
      }
      const pods = podsForService(svc, podInformer.list(ns) as PodObj[]);
      const ep = reconcileEndpoints({ service: svc, pods, current, now: endpointsTriggers.compute(svc, pods) });
      let wrote: EndpointsObj | undefined;
      const keep = (o: KubeObject) => {
        expect('endpoints', o);
        wrote = o as EndpointsObj;
      };
      if (ep.action === 'create')
        store.txn(() =>
          tolerate(
            () => keep(registry.create(epDef, ns, ep.endpoints, { fieldManager: 'endpoint-controller', trusted: true }).object),
            [409],
          ),
        );
      else if (ep.action === 'update')
        store.txn(() =>
          keep(registry.update(epDef, ns, name, ep.endpoints, { fieldManager: 'endpoint-controller', trusted: true }).object),
        );
      if (wrote) noteOwnWrites(key, [], wrote);
      else if (ep.action === 'delete') tolerate(() => registry.delete(epDef, ns, name, {}), [404]);
      log.debug(
        { service: key, pods: pods.length, action: ep.action, ms: +(performance.now() - t0).toFixed(2) },
        'synced service endpoints',
      );
    },
    (key, err) => log.debug({ err, service: key }, 'endpoints sync failed, retrying'),
    { pace: 1 },
  );
  const serviceChanged = (key: string) => {
    services.add(key);
    legacy.add(key);
  };

  // ---- mirroring: user Endpoints of selector-less Services ----
  const mirror = createQueue(
    'endpointslice-mirroring',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const endpoints = store.get('endpoints', ns, name) as EndpointsObj | undefined;
      const service = serviceInformer.get(ns, name) as ServiceObj | undefined;
      const r = reconcileMirroring({ endpoints, service, existingSlices: slicesOf(ns, name, MIRRORING_CONTROLLER_NAME) });
      if (r.create.length || r.update.length || r.delete.length) applySlices(ns, name, r, MIRRORING_CONTROLLER_NAME);
      if (endpoints) for (const e of r.events) record(endpoints, e.type, e.reason, e.message);
    },
    (key, err) => log.debug({ err, endpoints: key }, 'endpointslice mirroring failed, retrying'),
  );

  /** Services of the namespace whose selector picks these labels (before or after a change). */
  const servicesFor = (ns: string, ...labelSets: (Record<string, string> | undefined)[]) => {
    for (const svc of serviceInformer.list(ns)) {
      const sel = selectorOf(svc);
      if (!sel || !Object.keys(sel).length) continue;
      if (labelSets.some((l) => l && matchSelectorMap(sel, l))) serviceChanged(`${ns}/${svc.metadata.name}`);
    }
  };

  const unsubs = [
    store.subscribe('services', (ev) => {
      const key = `${ev.namespace}/${ev.name}`;
      serviceChanged(key);
      mirror.add(key);
    }),
    store.subscribe('pods', (ev) => servicesFor(ev.namespace, ev.object.metadata.labels, ev.prev?.metadata.labels)),
    store.subscribe(SLICES, (ev) => {
      // Slices edited or deleted by hand are restored; our own writes need nothing.
      if (isOwnEvent(SLICES, ev)) return;
      const labels = ev.object.metadata.labels ?? {};
      const svc = labels[LABEL_SERVICE_NAME];
      if (!svc) return;
      if (labels[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME) services.add(`${ev.namespace}/${svc}`);
      else if (labels[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME) mirror.add(`${ev.namespace}/${svc}`);
    }),
    store.subscribe('endpoints', (ev) => {
      if (isOwnEvent('endpoints', ev)) return;
      const key = `${ev.namespace}/${ev.name}`;
      mirror.add(key);
      // An Endpoints object of a selector Service edited by hand is put back.
      if (selectorOf(serviceInformer.get(ev.namespace, ev.name))) legacy.add(key);
    }),
    store.subscribe('nodes', (ev) => {
      // Only a Node's labels (its zone) reach slices; status heartbeats do not.
      if (
        ev.type === 'MODIFIED' &&
        ev.prev &&
        JSON.stringify(ev.prev.metadata.labels ?? {}) === JSON.stringify(ev.object.metadata.labels ?? {})
      )
        return;
      for (const svc of serviceInformer.list()) if (selectorOf(svc)) services.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    }),
  ];
  // Start: reconcile everything once (no duplicates: existing slices are reused).
  for (const svc of serviceInformer.list()) {
    serviceChanged(`${svc.metadata.namespace}/${svc.metadata.name}`);
    mirror.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
  }
  for (const ep of endpointsInformer.list()) mirror.add(`${ep.metadata.namespace}/${ep.metadata.name}`);
  return {
    stop() {
      for (const u of unsubs) u();
      services.stop();
      legacy.stop();
      mirror.stop();
    },
    async idle() {
      await Promise.all([services.idle(), legacy.idle(), mirror.idle()]);
    },
  };
}
