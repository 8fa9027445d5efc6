// The resource quota controller (upstream pkg/controller/resourcequota): keeps every quota's
// status.hard equal to spec.hard and status.used equal to what the namespace's objects charge.
// Quota admission raises status.used as objects are created; this controller computes usage on
// quota creation and spec changes, gives it back when objects go away or stop charging (a Pod
// that finished, a Service that lost its node ports), and resyncs every quota periodically
// (upstream's --resource-quota-sync-period). Each reconcile reads and writes synchronously, so it
// never interleaves with an admission's transaction.
import type { Controller, ControllerContext } from './context.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ResourceDef } from '../registry/types.js';
import { storageResource } from '../registry/types.js';
import { requireDef } from '../registry/kinds.js';
import { deepEqual } from '../apimachinery/meta.js';
import { createQueue } from './queue.js';
import { tolerate } from './context.js';
import type { ResourceQuotaObj } from '../registry/quota/resourcequota.js';
import { addLists, decodeList, encodeList, listsEqual, mask, type ResourceList } from '../registry/quota/resources.js';
import { countName, matchingResources, usageOf, usageStats } from '../registry/quota/evaluators.js';

const FIELD_MANAGER = 'kube-controller-manager';
/** Full resync of every quota (upstream's default sync period is 5 minutes). */
export const QUOTA_RESYNC_MS = 5 * 60_000;

interface Tracked {
  group: string;
  plural: string;
  resource: string;
}

/** The resources a quota's hard names are charged by: the built-in kinds, and count/<plural>.<group> of any other (custom resources). */
function trackedFor(hardNames: readonly string[], kinds: readonly Tracked[]): Tracked[] {
  const out = kinds.filter((k) => matchingResources(k.group, k.plural, hardNames).length > 0);
  for (const n of hardNames) {
    if (!n.startsWith('count/') || out.some((k) => countName(k.group, k.plural) === n)) continue;
    const gr = n.slice('count/'.length);
    const dot = gr.indexOf('.');
    if (dot <= 0) continue;
    const plural = gr.slice(0, dot);
    const group = gr.slice(dot + 1);
    out.push({ group, plural, resource: `${group}/${plural}` });
  }
  return out;
}

/** The usage a quota should show: every tracked resource's objects selected by its scopes, masked to its hard names. */
export function calculateUsage(
  rq: ResourceQuotaObj,
  kinds: readonly Tracked[],
  list: (resource: string) => KubeObject[],
  now: Date,
): ResourceList {
  const hardNames = Object.keys(rq.spec?.hard ?? {});
  let used: ResourceList = new Map();
  for (const k of trackedFor(hardNames, kinds)) used = addLists(used, usageStats(k.group, k.plural, rq, hardNames, list(k.resource), now));
  return mask(used, hardNames);
}

export function startResourceQuotaController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, clock } = ctx;
  const quotaDef = requireDef(defs, '', 'resourcequotas');
  const kinds: Tracked[] = defs
    .filter((d: ResourceDef) => d.namespaced && !d.computed && !d.review && !d.unserved && d.plural !== 'events')
    .map((d) => ({ group: d.group, plural: d.plural, resource: storageResource(d) }))
    .filter((k, i, all) => all.findIndex((o) => o.resource === k.resource) === i);

  const q = createQueue(
    'resourcequota',
    (key) => {
      const [ns, name] = key.split('/') as [string, string];
      const rq = store.get('resourcequotas', ns, name) as ResourceQuotaObj | undefined;
      if (!rq || rq.metadata.deletionTimestamp) return;
      const hard = decodeList(rq.spec?.hard);
      const used = calculateUsage(rq, kinds, (resource) => store.listObjects(resource, ns), new Date(clock.now()));
      // Empty lists are omitted (omitempty): a quota without hard limits shows `status: {}`.
      const status: ResourceQuotaObj['status'] = {};
      if (hard.size) status.hard = encodeList(hard);
      if (used.size) status.used = encodeList(used);
      if (deepEqual(status, rq.status ?? {})) return;
      const next: ResourceQuotaObj = { ...rq, status };
      tolerate(
        () => registry.update(quotaDef, ns, name, next, { subresource: 'status', fieldManager: FIELD_MANAGER, trusted: true }),
        [404, 409],
      );
    },
    (key, err) => log.debug({ err, quota: key }, 'resource quota sync retry'),
  );

  // The quotas of each namespace, so that events of namespaces without quotas cost nothing.
  const quotasByNs = new Map<string, Set<string>>();
  const track = (ns: string, name: string, present: boolean) => {
    const names = quotasByNs.get(ns) ?? new Set<string>();
    if (present) names.add(name);
    else names.delete(name);
    if (names.size) quotasByNs.set(ns, names);
    else quotasByNs.delete(ns);
  };
  for (const rq of store.listObjects('resourcequotas')) track(rq.metadata.namespace ?? '', rq.metadata.name!, true);
  const enqueueNamespace = (ns: string) => {
    for (const name of quotasByNs.get(ns) ?? []) q.add(`${ns}/${name}`);
  };
  const unsubs = [
    store.subscribe('resourcequotas', (ev) => {
      track(ev.namespace, ev.name, ev.type !== 'DELETED');
      if (ev.type === 'DELETED') return;
      const rq = ev.object as ResourceQuotaObj;
      // Admission's own status writes need no recalculation; new quotas and spec changes do.
      const prev = ev.prev as ResourceQuotaObj | undefined;
      const specChanged = !prev || !deepEqual(prev.spec, rq.spec);
      if (specChanged || !rq.status?.used || !listsEqual(decodeList(rq.spec?.hard), decodeList(rq.status?.hard)))
        q.add(`${ev.namespace}/${ev.name}`);
    }),
  ];
  // Replenishment: an object deleted, or changed so that it charges differently, in a namespace with quotas.
  for (const k of kinds) {
    unsubs.push(
      store.subscribe(k.resource, (ev) => {
        // Creates were charged by admission; only what gives usage back matters here.
        if (ev.type === 'ADDED' || !quotasByNs.has(ev.namespace)) return;
        if (ev.type === 'MODIFIED' && ev.prev) {
          const now = new Date(clock.now());
          const before = usageOf(k.group, k.plural, ev.prev, now);
          const after = usageOf(k.group, k.plural, ev.object, now);
          if (listsEqual(before, after)) return;
        }
        enqueueNamespace(ev.namespace);
      }),
    );
  }

  let stopped = false;
  let cancelResync = () => {};
  const resync = () => {
    if (stopped) return;
    for (const rq of store.listObjects('resourcequotas')) q.add(`${rq.metadata.namespace}/${rq.metadata.name}`);
    cancelResync = clock.after(QUOTA_RESYNC_MS, resync);
  };
  resync();

  return {
    stop() {
      stopped = true;
      cancelResync();
      for (const u of unsubs) u();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
