// The three endpoint controllers of kube-controller-manager, driven by in-process store events:
// - EndpointSlice controller: slices of the Pods each selector Service picks (reconcile.ts);
// - Endpoints controller: the legacy Endpoints object of each selector Service (endpoints.ts);
// - mirroring controller: users' Endpoints of selector-less Services mirrored into slices (mirroring.ts).
// Events only enqueue Service keys; each reconcile reads the store, computes the writes with the
// pure functions and applies them in one transaction (so watchers see one revision per Service).
import type { KubeObject } from '../../resources/types.js';
import type { ServiceObj } from '../../resources/service.js';
import type { PodObj } from '../../resources/pod.js';
import type { EndpointsObj } from '../../resources/endpoints.js';
import { createQueue } from '../queue.js';
import { eventRecorder } from '../events.js';
import { findDef, tolerate, type Controller, type ControllerContext } from '../context.js';
import { matchSelectorMap } from '../../api/selectors.js';
import { reconcile, isNoop } from './reconcile.js';
import { controllerManagesService, podsForService } from './desired.js';
import { reconcileEndpoints } from './endpoints.js';
import { reconcileMirroring } from './mirroring.js';
import { TriggerTimeTracker } from './trigger-time.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MIRRORING_CONTROLLER_NAME, type EndpointSliceObj } from './util.js';

/** The store's name for EndpointSlices (group-qualified). */
const SLICES = 'discovery.k8s.io/endpointslices';

const selectorOf = (svc: KubeObject | undefined) => (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector;

export function startEndpointControllers(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, config } = ctx;
  const sliceDef = findDef(defs, 'discovery.k8s.io', 'endpointslices');
  const epDef = findDef(defs, '', 'endpoints');
  const record = eventRecorder(registry, findDef(defs, '', 'events'), 'endpointslice-mirroring-controller', (err) => log.debug({ err }, 'event not recorded'));
  const triggers = new TriggerTimeTracker();
  const maxPerSlice = config.maxEndpointsPerSlice;

  const slicesOf = (ns: string, name: string, managedBy: string) =>
    (store.listObjects(SLICES, ns) as EndpointSliceObj[]).filter((s) => s.metadata.labels?.[LABEL_SERVICE_NAME] === name && s.metadata.labels?.[LABEL_MANAGED_BY] === managedBy);

  const nodeLabels = () => new Map(store.listObjects('nodes').map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));

  const applySlices = (ns: string, r: { create: EndpointSliceObj[]; update: EndpointSliceObj[]; delete: EndpointSliceObj[] }, manager: string) => {
    store.txn(() => {
      for (const s of r.delete) tolerate(() => registry.delete(sliceDef, ns, s.metadata.name!, { preconditions: { uid: s.metadata.uid } }), [404, 409]);
      for (const s of r.update) registry.update(sliceDef, ns, s.metadata.name!, s, { fieldManager: manager });
      for (const s of r.create) registry.create(sliceDef, ns, s, { fieldManager: manager });
    });
  };

  // ---- EndpointSlice + Endpoints: one reconcile per selector Service ----
  const services = createQueue(
    'endpointslice',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const svc = store.get('services', ns, name) as ServiceObj | undefined;
      const managed = controllerManagesService(svc) && !svc.metadata.deletionTimestamp;
      const existing = slicesOf(ns, name, ENDPOINTSLICE_CONTROLLER_NAME);
      if (!managed) {
        // Gone, selector-less or ExternalName: our slices go; user slices are never touched.
        triggers.delete(ns, name);
        if (existing.length) applySlices(ns, { create: [], update: [], delete: existing }, ENDPOINTSLICE_CONTROLLER_NAME);
        const ep = store.get('endpoints', ns, name) as EndpointsObj | undefined;
        if (!svc && ep) tolerate(() => registry.delete(epDef, ns, name, { preconditions: { uid: ep.metadata.uid } }), [404, 409]);
        return;
      }
      const pods = podsForService(svc, store.listObjects('pods', ns) as PodObj[]);
      const now = triggers.compute(svc, pods);
      const r = reconcile({ service: svc, pods, nodes: nodeLabels(), existingSlices: existing, maxEndpointsPerSlice: maxPerSlice, now });
      if (!isNoop(r)) applySlices(ns, r, ENDPOINTSLICE_CONTROLLER_NAME);
      if (r.podsOnUnknownNodes.length) services.addAfter(key, 1000);
      const ep = reconcileEndpoints({ service: svc, pods, current: store.get('endpoints', ns, name) as EndpointsObj | undefined, now });
      if (ep.action === 'create') tolerate(() => registry.create(epDef, ns, ep.endpoints, { fieldManager: 'endpoint-controller' }), [409]);
      else if (ep.action === 'update') registry.update(epDef, ns, name, ep.endpoints, { fieldManager: 'endpoint-controller' });
      else if (ep.action === 'delete') tolerate(() => registry.delete(epDef, ns, name, {}), [404]);
    },
    (key, err) => log.debug({ err, service: key }, 'endpointslice sync failed, retrying'),
  );

  // ---- mirroring: user Endpoints of selector-less Services ----
  const mirror = createQueue(
    'endpointslice-mirroring',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const endpoints = store.get('endpoints', ns, name) as EndpointsObj | undefined;
      const service = store.get('services', ns, name) as ServiceObj | undefined;
      const r = reconcileMirroring({ endpoints, service, existingSlices: slicesOf(ns, name, MIRRORING_CONTROLLER_NAME) });
      if (r.create.length || r.update.length || r.delete.length) applySlices(ns, r, MIRRORING_CONTROLLER_NAME);
      if (endpoints) for (const e of r.events) record(endpoints, e.type, e.reason, e.message);
    },
    (key, err) => log.debug({ err, endpoints: key }, 'endpointslice mirroring failed, retrying'),
  );

  /** Services of the namespace whose selector picks these labels (before or after a change). */
  const servicesFor = (ns: string, ...labelSets: (Record<string, string> | undefined)[]) => {
    for (const svc of store.listObjects('services', ns)) {
      const sel = selectorOf(svc);
      if (!sel || !Object.keys(sel).length) continue;
      if (labelSets.some((l) => l && matchSelectorMap(sel, l))) services.add(`${ns}/${svc.metadata.name}`);
    }
  };

  const unsubs = [
    store.subscribe('services', (ev) => {
      const key = `${ev.namespace}/${ev.name}`;
      services.add(key);
      mirror.add(key);
    }),
    store.subscribe('pods', (ev) => servicesFor(ev.namespace, ev.object.metadata.labels, ev.prev?.metadata.labels)),
    store.subscribe(SLICES, (ev) => {
      // Slices edited or deleted by hand are restored; our own writes settle with a no-op.
      const labels = ev.object.metadata.labels ?? {};
      const svc = labels[LABEL_SERVICE_NAME];
      if (!svc) return;
      if (labels[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME) services.add(`${ev.namespace}/${svc}`);
      else if (labels[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME) mirror.add(`${ev.namespace}/${svc}`);
    }),
    store.subscribe('endpoints', (ev) => {
      const key = `${ev.namespace}/${ev.name}`;
      mirror.add(key);
      // An Endpoints object of a selector Service edited by hand is put back.
      if (selectorOf(store.get('services', ev.namespace, ev.name))) services.add(key);
    }),
    store.subscribe('nodes', () => {
      for (const svc of store.listObjects('services')) if (selectorOf(svc)) services.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    }),
  ];
  // Start: reconcile everything once (no duplicates: existing slices are reused).
  for (const svc of store.listObjects('services')) {
    services.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    mirror.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
  }
  for (const ep of store.listObjects('endpoints')) mirror.add(`${ep.metadata.namespace}/${ep.metadata.name}`);
  return {
    stop() {
      for (const u of unsubs) u();
      services.stop();
      mirror.stop();
    },
    async idle() {
      await Promise.all([services.idle(), mirror.idle()]);
    },
  };
}
