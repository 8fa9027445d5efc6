// The CRD controllers of upstream's apiextensions-apiserver, as one: the naming controller
// (pkg/controller/status: accepted names and NamesAccepted), the establishing controller
// (Established once the names are accepted: a single server serves at once, so both conditions
// are written together), the serving side (customresource_handler.go: a ResourceDef per served
// version, published to ServedKinds, which the API server routes, lists in discovery and
// documents in OpenAPI) and the finalizer (pkg/controller/finalizer: a deleted CRD first loses
// its objects, then the cleanup finalizer, then is gone).
//
// The store's CRD events drive it; established CRDs are served again synchronously at start
// (serveStoredCRDs), before the API server listens, so a restart never answers 404 for them.
import type { KubeObject } from '../apimachinery/types.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { storageResource, type ResourceDef } from '../registry/types.js';
import type { ServedKinds } from '../registry/served-kinds.js';
import { CRD_CLEANUP_FINALIZER, crdDef, type CRDObj } from '../registry/apiextensions/crd/strategy.js';
import { calculateNamesAndConditions } from '../registry/apiextensions/crd/naming.js';
import { establish, isCRDConditionTrue, setCRDCondition } from '../registry/apiextensions/crd/conditions.js';
import { customResourceDefs } from '../registry/apiextensions/customresource/def.js';
import type { CRDCondition } from '../registry/apiextensions/crd/types.js';
import { hasValidationRules, loadRuleCompiler } from '../registry/cel/index.js';
import { createQueue } from './queue.js';
import { errText, tolerate, type Controller, type ControllerContext } from './context.js';

const CRDS = storageResource(crdDef);
const MANAGER = 'apiextensions-apiserver';

/**
 * Serves the established CRDs in the store (at start, before the API server listens); the CEL
 * engine loads first when one of them has x-kubernetes-validations rules.
 */
export async function serveStoredCRDs(
  store: ControllerContext['store'],
  served: ServedKinds,
  log: ControllerContext['log'],
): Promise<void> {
  const crds = store.listObjects(CRDS) as CRDObj[];
  if (crds.some((c) => (c.spec?.versions ?? []).some((v) => hasValidationRules(v.schema?.openAPIV3Schema)))) await loadRuleCompiler();
  for (const crd of crds) publish(served, crd, log);
}

function publish(served: ServedKinds, crd: CRDObj, log: ControllerContext['log']): void {
  let defs: ResourceDef[];
  try {
    defs = customResourceDefs(crd, served.conversion);
  } catch (err) {
    // A stored CRD whose schema no longer converts (written by another version): not served.
    log.warn({ err, crd: crd.metadata.name }, 'custom resource definition cannot be served');
    defs = [];
  }
  served.set(crd.metadata.name!, defs);
}

export function startCRDController(ctx: ControllerContext & { served: ServedKinds }): Controller {
  const { store, registry, served, log } = ctx;

  const statusWrite = (crd: CRDObj, conditions: CRDCondition[], acceptedNames?: NonNullable<CRDObj['status']>['acceptedNames']) => {
    const next: CRDObj = { ...crd, status: { ...crd.status, conditions, ...(acceptedNames ? { acceptedNames } : {}) } };
    return registry.update(crdDef, '', crd.metadata.name!, next as KubeObject, {
      subresource: 'status',
      fieldManager: MANAGER,
      trusted: true,
    }).object as CRDObj;
  };

  /** Names and conditions of a live CRD (upstream naming + establishing controllers). */
  const accept = (crd: CRDObj): CRDObj => {
    const others = store.listObjects(CRDS) as CRDObj[];
    const r = calculateNamesAndConditions(crd, others);
    const now = rfc3339(new Date());
    let conditions = setCRDCondition(crd.status?.conditions, r.namesAccepted, now);
    conditions = setCRDCondition(conditions, r.established, now);
    const withNames: CRDObj = { ...crd, status: { ...crd.status, acceptedNames: r.acceptedNames, conditions } };
    conditions = establish(withNames, now) ?? conditions;
    if (
      JSON.stringify(conditions) === JSON.stringify(crd.status?.conditions ?? []) &&
      JSON.stringify(r.acceptedNames) === JSON.stringify(crd.status?.acceptedNames ?? {})
    )
      return crd;
    return statusWrite(crd, conditions, r.acceptedNames);
  };

  /** The finalizer: delete every object of the CRD, then let the CRD go. */
  const cleanUp = (crd: CRDObj): void => {
    const now = rfc3339(new Date());
    if (findCondition(crd, 'Terminating')?.reason !== 'InstanceDeletionInProgress') {
      crd = statusWrite(
        crd,
        setCRDCondition(
          crd.status?.conditions,
          { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' },
          now,
        ),
      );
    }
    publish(served, crd, log);
    const def = served.storageDef(`${crd.spec?.group}/${crd.status?.acceptedNames?.plural}`);
    if (def) {
      const resource = storageResource(def);
      for (const o of store.listObjects(resource)) {
        if (!o.metadata.deletionTimestamp)
          tolerate(() => registry.delete(def, o.metadata.namespace ?? '', o.metadata.name!, {}), [404, 409]);
      }
      const left = store.count(resource);
      if (left) {
        // Objects waiting on their finalizers: their deletions requeue the CRD.
        waiting.set(resource, crd.metadata.name!);
        return;
      }
    }
    const cur = store.get(CRDS, '', crd.metadata.name!) as CRDObj | undefined;
    if (!cur?.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) return;
    const next: CRDObj = {
      ...cur,
      metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers.filter((f) => f !== CRD_CLEANUP_FINALIZER) },
    };
    if (!next.metadata.finalizers?.length) delete next.metadata.finalizers;
    tolerate(
      () => registry.update(crdDef, '', cur.metadata.name!, next as KubeObject, { fieldManager: MANAGER, trusted: true }),
      [404, 409],
    );
  };

  /** Storage resources of terminating CRDs whose objects are still going, and the CRD to requeue. */
  const waiting = new Map<string, string>();

  const reconcile = (name: string) => {
    const stored = store.get(CRDS, '', name) as CRDObj | undefined;
    if (!stored) {
      served.set(name, []);
      return;
    }
    if (stored.metadata.deletionTimestamp) {
      if (stored.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) cleanUp(stored);
      else publish(served, stored, log);
      return;
    }
    const crd = accept(stored);
    publish(served, crd, log);
    // A CRD whose names conflict may be freed by another's change: NamesAccepted=False ones wait
    // for any CRD event (requeued below).
  };

  const q = createQueue('crd', reconcile, (k, err) => log.debug({ crd: k, err: errText(err) }, 'crd retry'));
  const unsubs = [
    store.subscribe(CRDS, (ev) => {
      q.add(ev.name);
      // A name given up (deleted or renamed CRD) may be what a conflicting CRD waits for.
      for (const o of store.listObjects(CRDS) as CRDObj[])
        if (o.metadata.name !== ev.name && !isCRDConditionTrue(o, 'NamesAccepted') && o.spec?.group === (ev.object as CRDObj).spec?.group)
          q.add(o.metadata.name!);
    }),
  ];
  // Objects of terminating CRDs: each deletion may be the last one.
  const watched = new Map<string, () => void>();
  const follow = () => {
    for (const r of served.customResources()) {
      if (watched.has(r)) continue;
      watched.set(
        r,
        store.subscribe(r, (ev) => {
          const crd = waiting.get(r);
          if (crd && ev.type === 'DELETED') q.add(crd);
        }),
      );
    }
  };
  follow();
  unsubs.push(served.onChange(follow));
  for (const o of store.listObjects(CRDS)) q.add(o.metadata.name!);
  return {
    stop() {
      for (const u of unsubs) u();
      for (const u of watched.values()) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}

function findCondition(crd: CRDObj, type: string): CRDCondition | undefined {
  return crd.status?.conditions?.find((c) => c.type === type);
}
