// The ResourceQuota admission plugin (upstream plugin/pkg/admission/resourcequota and apiserver's
// admission/plugin/resourcequota controller.go checkRequest), run inside the write's SQLite
// transaction: the object's usage is checked against every quota of the namespace that matches
// it (by status.hard and scopes) and the quotas' status.used is raised in the same transaction.
// Upstream serialises concurrent admissions per namespace and retries on quota update conflicts;
// here the transaction is the lock, so two creates can never both take the last unit.
// Refusals are upstream's 403s: `exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`,
// `failed quota: q: must specify limits.cpu for: c`, `status unknown for quota: q, resources: pods`.
import type { ResourceDef, WriteContext } from '../types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { forbidden } from '../../apimachinery/errors.js';
import type { Pod } from '../../api/generated/core/v1.js';
import {
  addLists,
  decodeList,
  encodeList,
  lessThanOrEqual,
  listsEqual,
  mask,
  prettyPrint,
  removeZeros,
  subtractNonNegative,
  type ResourceList,
} from './resources.js';
import { evaluatorKind, matchingResources, podConstraints, quotaMatches, usageOf } from './evaluators.js';
import type { ResourceQuotaObj } from './resourcequota.js';

export interface QuotaAttributes {
  def: ResourceDef;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  namespace: string;
  /** The object as it will be stored (create, update). */
  object?: KubeObject;
  /** The stored object an update replaces. */
  old?: KubeObject;
  subresource?: string;
  ctx: WriteContext;
}

/** Which operations a resource's evaluator handles (Handles): Pods and plain objects on create; Services and PVCs also on update. */
function handles(a: QuotaAttributes): boolean {
  if (a.subresource) return false;
  if (a.operation === 'CREATE') return true;
  if (a.operation !== 'UPDATE') return false;
  const kind = evaluatorKind(a.def.group, a.def.plural);
  return kind === 'services' || kind === 'persistentvolumeclaims';
}

/** Events are never quota'd (upstream's default ignored resources). */
const ignored = (def: ResourceDef) => def.plural === 'events' && (def.group === '' || def.group === 'events.k8s.io');

/** The refusal, named by the object as upstream's admission.NewForbidden names it. */
const refuse = (a: QuotaAttributes, why: string) =>
  forbidden({ group: a.def.group, resource: a.def.plural }, a.object?.metadata.name || a.object?.metadata.generateName || '', why);

const sortedNames = (names: Iterable<string>) => [...names].sort().join(',');

/**
 * Checks the write against the namespace's quotas and records its usage in their status; throws
 * the 403 StatusError that refuses it. Nothing to do (and no quota read) for cluster-scoped kinds,
 * subresources, deletes and the operations the resource's evaluator does not handle.
 */
export function quotaAdmission(a: QuotaAttributes): void {
  const { def, namespace, object, ctx } = a;
  if (!def.namespaced || !namespace || !object || ignored(def) || !handles(a)) return;
  const quotas = ctx.tx.list('resourcequotas', namespace) as ResourceQuotaObj[];
  if (!quotas.length) return;
  const interesting: { rq: ResourceQuotaObj; hard: ResourceList; used: ResourceList }[] = [];
  for (const rq of quotas) {
    if (!quotaMatches(def.group, def.plural, rq, object)) continue;
    const hard = decodeList(rq.status?.hard);
    const used = decodeList(rq.status?.used);
    const restricted = matchingResources(def.group, def.plural, hard.keys());
    if (evaluatorKind(def.group, def.plural) === 'pods') {
      const why = podConstraints(restricted, object as Pod);
      if (why) throw refuse(a, `failed quota: ${rq.metadata.name}: ${why}`);
    }
    // A quota whose usage the controller has not computed yet cannot admit anything it limits.
    if (restricted.some((r) => hard.has(r) && !used.has(r)))
      throw refuse(a, `status unknown for quota: ${rq.metadata.name}, resources: ${sortedNames(restricted)}`);
    interesting.push({ rq, hard, used });
  }
  if (!interesting.length) return;
  let delta = usageOf(def.group, def.plural, object, ctx.now);
  const negative = [...delta].filter(([, q]) => q.num < 0n).map(([k]) => k);
  if (negative.length) throw refuse(a, `quota usage is negative for resource(s): ${sortedNames(negative)}`);
  // An update is charged its growth only (never credited for shrinking).
  if (a.operation === 'UPDATE' && a.old?.metadata.resourceVersion)
    delta = subtractNonNegative(delta, usageOf(def.group, def.plural, a.old, ctx.now));
  delta = removeZeros(delta);
  if (!delta.size) return;
  const writes: { rq: ResourceQuotaObj; used: ResourceList }[] = [];
  for (const { rq, hard, used } of interesting) {
    const requested = mask(delta, hard.keys());
    const next = addLists(used, requested);
    const check = lessThanOrEqual(mask(next, requested.keys()), hard);
    if (!check.ok)
      throw refuse(
        a,
        `exceeded quota: ${rq.metadata.name}, requested: ${prettyPrint(mask(requested, check.exceeded))}, used: ${prettyPrint(
          mask(used, check.exceeded),
        )}, limited: ${prettyPrint(mask(hard, check.exceeded))}`,
      );
    if (!listsEqual(next, used)) writes.push({ rq, used: next });
  }
  // Every quota passed: record the new usage (the same transaction commits or drops it with the write).
  for (const { rq, used } of writes) ctx.tx.update('resourcequotas', { ...rq, status: { ...rq.status, used: encodeList(used) } });
}
