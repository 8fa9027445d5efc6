// The local APIServices, as kube-apiserver's autoregister controller keeps them
// (k8s.io/kube-aggregator pkg/controllers/autoregister, fed by cmd/kube-apiserver's
// apiServicesToRegister and pkg/controlplane/controller/crdregistration): one per built-in group
// version served (label kube-aggregator.kubernetes.io/automanaged=onstart: created or reset once at
// start, left to users afterwards) and one per served version of every CRD (automanaged=true:
// kept as wanted while the CRD serves that version, deleted when it no longer does). An
// APIService without the label is a user's and never touched. Every change of one sync is written
// in one transaction, so the start pays one commit for the twenty-odd built-in ones.
import type { KubeObject } from '../apimachinery/types.js';
import { deepEqual } from '../apimachinery/meta.js';
import { storageResource } from '../registry/types.js';
import { findDef } from '../registry/kinds.js';
import { crdDef, type CRDObj } from '../registry/apiextensions/crd/strategy.js';
import {
  APISERVICE_GROUP,
  APISERVICE_RESOURCE,
  AUTO_MANAGED_LABEL,
  autoManaged,
  localAPIService,
  type APIServiceObj,
} from '../registry/apiregistration/apiservice.js';
import { createQueue } from './queue.js';
import { errText, tolerate, type Controller, type ControllerContext } from './context.js';

const MANAGER = { fieldManager: 'kube-apiserver' };
const KEY = 'apiservices';

export function startAPIServiceRegistration(ctx: ControllerContext): Controller {
  const { registry, store, log } = ctx;
  const def = findDef(ctx.defs, APISERVICE_GROUP, 'apiservices');
  if (!def) return { stop() {}, idle: async () => {} };
  const crds = ctx.informers.for(storageResource(crdDef));
  const apiServices = ctx.informers.for(APISERVICE_RESOURCE);

  // The built-in group versions, fixed for the life of the process.
  const builtIn = new Map<string, APIServiceObj>();
  for (const d of ctx.defs) {
    if (d.unserved || d.custom) continue;
    const svc = localAPIService(d.group, d.version, false);
    if (svc && !builtIn.has(svc.metadata.name!)) builtIn.set(svc.metadata.name!, svc);
  }

  /** The CRDs' served group versions (upstream handleVersionUpdate: a served version of a CRD that exists). */
  const crdServices = (): Map<string, APIServiceObj> => {
    const out = new Map<string, APIServiceObj>();
    for (const crd of crds.list() as CRDObj[]) {
      const group = crd.spec?.group;
      if (!group) continue;
      for (const v of crd.spec?.versions ?? []) {
        if (!v?.served || !v.name) continue;
        const svc = localAPIService(group, v.name, true)!;
        if (!builtIn.has(svc.metadata.name!)) out.set(svc.metadata.name!, svc);
      }
    }
    return out;
  };

  let started = false;
  const sync = () => {
    const wanted = crdServices();
    // Built-in ones are reconciled once, at start (upstream manageOnStart).
    if (!started) for (const [n, s] of builtIn) wanted.set(n, s);
    const have = new Map((apiServices.list() as APIServiceObj[]).map((s) => [s.metadata.name!, s]));
    const ops: (() => void)[] = [];
    for (const [name, want] of wanted) {
      const cur = have.get(name);
      if (!cur) {
        ops.push(() => registry.create(def, '', structuredClone(want) as KubeObject, MANAGER));
        continue;
      }
      // Someone else's APIService (a user's, pointing at their own server): left alone.
      if (!autoManaged(cur)) continue;
      if (deepEqual(cur.spec, want.spec) && cur.metadata.labels?.[AUTO_MANAGED_LABEL] === want.metadata.labels![AUTO_MANAGED_LABEL])
        continue;
      const next: APIServiceObj = {
        ...cur,
        metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, ...want.metadata.labels } },
        spec: want.spec,
      };
      ops.push(() => registry.update(def, '', name, next as KubeObject, MANAGER));
    }
    for (const [name, cur] of have) {
      if (wanted.has(name)) continue;
      const managed = autoManaged(cur);
      // A CRD's APIService goes with the CRD's version; a built-in one no longer served goes at start.
      if (managed === 'true' || (managed === 'onstart' && !started)) ops.push(() => registry.delete(def, '', name, {}));
    }
    started = true;
    if (!ops.length) return;
    try {
      store.txn(() => {
        for (const op of ops) op();
      });
    } catch (err) {
      // One write refused (a concurrent change): the others still go, one by one.
      log.debug({ err: errText(err) }, 'apiservice registration batch failed, writing one by one');
      for (const op of ops) tolerate(op, [404, 409]);
    }
  };

  const q = createQueue('apiservice-registration', sync, (_k, err) => log.debug({ err: errText(err) }, 'apiservice registration retry'));
  const unsubs = [
    crds.on({ add: () => q.add(KEY), update: () => q.add(KEY), delete: () => q.add(KEY) }),
    // An automanaged APIService deleted or changed by hand is put back.
    apiServices.on({
      update: (o) => autoManaged(o as APIServiceObj) === 'true' && q.add(KEY),
      delete: (o) => autoManaged(o as APIServiceObj) === 'true' && q.add(KEY),
    }),
  ];
  q.add(KEY);
  return {
    stop() {
      for (const u of unsubs) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
