// Upstream's bootstrap RBAC policy at every start (kube-apiserver's rbac/bootstrap-roles post-start
// hook, pkg/registry/rbac/rest EnsureRBACPolicy, with component-helpers' reconciliation): the
// ClusterRoles (cluster-admin, admin, edit, view, system:*, system:controller:*), their
// ClusterRoleBindings and the Roles and RoleBindings of kube-system and kube-public
// (bootstrap-policy.generated.ts). A missing object is created. An existing one whose
// `rbac.authorization.kubernetes.io/autoupdate` annotation is not "false" gets what it lacks,
// keeping whatever was added to it: the expected labels and annotations where absent, the rules
// it does not cover (as the single-verb pieces upstream adds), the missing aggregation selectors,
// the missing subjects; a binding whose roleRef differs is recreated. With autoupdate "false" it is
// left as it is.
//
// Everything happens in one transaction of direct store writes (no decoding, defaulting or
// validation: the objects are upstream's), so a fresh start creates the 125 objects in a few
// milliseconds and a restart reads each kind once and writes nothing. admin, edit and view are
// created already aggregated, as the aggregation controller would make them.
import type { Registry } from '../generic-store.js';
import type { ResourceDef } from '../types.js';
import { apiVersionOf, storageResource } from '../types.js';
import { requireDef } from '../kinds.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { PolicyRule, RoleRef, Subject } from '../../api/generated/rbac/v1.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import type { ManagedFieldsEntry } from '../../apimachinery/types.js';
import { objectsIn } from '../define.js';
import { deepEqual, newUID, rfc3339 } from '../../apimachinery/meta.js';
import { trackUpdate } from '../../apimachinery/patch/index.js';
import { bootstrapPolicy, type Policy } from './bootstrap-policy.generated.js';
import { covers } from '../../auth/rbac/escalation.js';
import { aggregatedRules, sameRules } from './aggregation.js';
import { RBAC_GROUP } from './validation.js';
import type { ClusterRoleObj } from './roles.js';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
/** The field manager of kube-apiserver's own writes (its loopback client's user agent). */
const MANAGER = 'kube-apiserver';

type RuleOwner = KubeObject & { rules?: PolicyRule[]; aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } };
type Binding = KubeObject & { roleRef: RoleRef; subjects?: Subject[] };

/** What a start did: objects as `kind/[namespace/]name`. */
export interface RBACBootstrapResult {
  created: string[];
  updated: string[];
  recreated: string[];
  /** Reconcile-protected (autoupdate "false") objects that lack something of the policy. */
  protectedSkipped: string[];
}

/** merge(expected, existing): the existing values win; undefined when both are. */
function merge(expected: Record<string, string> | undefined, existing: Record<string, string> | undefined) {
  return expected || existing ? { ...expected, ...existing } : undefined;
}

const sameSubject = (a: Subject, b: Subject) =>
  (a.kind ?? '') === (b.kind ?? '') &&
  (a.apiGroup ?? '') === (b.apiGroup ?? '') &&
  (a.name ?? '') === (b.name ?? '') &&
  (a.namespace ?? '') === (b.namespace ?? '');
const sameRoleRef = (a: RoleRef | undefined, b: RoleRef) =>
  (a?.apiGroup ?? '') === b.apiGroup && (a?.kind ?? '') === b.kind && (a?.name ?? '') === b.name;

/** A change computeReconciledRole / computeReconciledRoleBinding decided on. */
type Plan = { op: 'none' } | { op: 'update'; obj: KubeObject; protected: boolean } | { op: 'recreate'; protected: boolean };

/** Keys of `want` that `have` lacks (then merge(want, have) differs from `have`). */
function lacks(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  if (want) for (const k in want) if (!have || !Object.hasOwn(have, k)) return true;
  return false;
}

/**
 * The metadata merge both reconcilers start with: the expected labels and annotations under the
 * existing ones; undefined when that changes nothing (no copy made on the usual restart).
 */
function mergedMeta(cur: KubeObject, want: Policy<unknown>): KubeObject['metadata'] | undefined {
  const m = cur.metadata;
  const w = want.metadata;
  if (!lacks(w.annotations, m.annotations) && !lacks(w.labels, m.labels)) return undefined;
  return { ...m, labels: merge(w.labels, m.labels), annotations: merge(w.annotations, m.annotations) };
}

/** computeReconciledRole in the union mode (extra permissions are kept). */
export function reconcileRole(
  cur: RuleOwner,
  want: Policy<{ rules?: PolicyRule[]; aggregationRule?: RuleOwner['aggregationRule'] }>,
): Plan {
  const meta = mergedMeta(cur, want);
  let next: RuleOwner | undefined = meta ? { ...cur, metadata: meta } : undefined;
  const wantRules = want.rules ?? [];
  // Unchanged rules (the usual restart) cover themselves: no need to break them down.
  const missing = sameRules(cur.rules, wantRules) ? [] : covers(cur.rules ?? [], wantRules).missing;
  if (missing.length) (next ??= { ...cur }).rules = [...(cur.rules ?? []), ...missing];
  const wantAgg = want.aggregationRule;
  const curAgg = cur.aggregationRule;
  if (!wantAgg && curAgg) {
    // not expected to be aggregated at all: the aggregation goes
    next ??= { ...cur };
    delete next.aggregationRule;
  } else if (wantAgg) {
    const have = curAgg?.clusterRoleSelectors ?? [];
    const missingSel = (wantAgg.clusterRoleSelectors ?? []).filter((s) => !have.some((h) => deepEqual(h, s)));
    if (missingSel.length) (next ??= { ...cur }).aggregationRule = { ...curAgg, clusterRoleSelectors: [...have, ...missingSel] };
  }
  return next ? { op: 'update', obj: next, protected: isProtected(cur) } : { op: 'none' };
}

/** computeReconciledRoleBinding in the union mode (extra subjects are kept). */
export function reconcileBinding(cur: Binding, want: Policy<{ roleRef: RoleRef; subjects?: Subject[] }>): Plan {
  if (!sameRoleRef(cur.roleRef, want.roleRef)) return { op: 'recreate', protected: isProtected(cur) };
  const meta = mergedMeta(cur, want);
  let next: Binding | undefined = meta ? { ...cur, metadata: meta } : undefined;
  const have = cur.subjects ?? [];
  const missing: Subject[] = [];
  for (const s of want.subjects ?? []) if (!have.some((h) => sameSubject(h, s)) && !missing.some((m) => sameSubject(m, s))) missing.push(s);
  if (missing.length) (next ??= { ...cur }).subjects = [...have, ...missing];
  return next ? { op: 'update', obj: next, protected: isProtected(cur) } : { op: 'none' };
}

/** Reconcile-protected: its autoupdate annotation says "false". */
const isProtected = (o: KubeObject) => o.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';

/**
 * Creates or reconciles the bootstrap policy (see the top of this file). Namespaced objects of a
 * namespace that does not exist are left for a later start.
 */
export function bootstrapRBAC(registry: Registry, defs: ResourceDef[]): RBACBootstrapResult {
  const result: RBACBootstrapResult = { created: [], updated: [], recreated: [], protectedSkipped: [] };
  const kinds = {
    clusterRoles: requireDef(defs, RBAC_GROUP, 'clusterroles'),
    clusterRoleBindings: requireDef(defs, RBAC_GROUP, 'clusterrolebindings'),
    roles: requireDef(defs, RBAC_GROUP, 'roles'),
    roleBindings: requireDef(defs, RBAC_GROUP, 'rolebindings'),
  };
  const { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS } = bootstrapPolicy();
  registry.store.txn((tx) => {
    const now = new Date(tx.now);
    const stamp = rfc3339(now);

    // The objects share their lists and maps with the policy's data: written as JSON at once,
    // handed to watchers and informers as read-only, as every stored object is.
    const build = (def: ResourceDef, want: Policy<unknown>): KubeObject => {
      const { metadata, ...fields } = want as Policy<unknown> & Record<string, unknown>;
      const { name, namespace, ...meta } = metadata;
      return {
        apiVersion: apiVersionOf(def),
        kind: def.kind,
        metadata: { name, ...(namespace ? { namespace } : {}), uid: newUID(), creationTimestamp: stamp, ...meta },
        ...fields,
      };
    };
    // The managed fields of a create depend only on which fields are set: worked out once per
    // kind and set of fields (a handful for the whole policy), not once per object.
    const createdFields = new Map<string, ManagedFieldsEntry[] | undefined>();
    const managed = (def: ResourceDef, obj: KubeObject, old?: KubeObject) => {
      let mf: ManagedFieldsEntry[] | undefined;
      if (old) mf = trackUpdate({ old, updated: obj, manager: MANAGER, schema: def.schema, now, apiVersion: apiVersionOf(def) });
      else {
        const shape = fieldShape(obj);
        if (!createdFields.has(shape))
          createdFields.set(
            shape,
            trackUpdate({ old, updated: obj, manager: MANAGER, schema: def.schema, now, apiVersion: apiVersionOf(def) }),
          );
        mf = createdFields.get(shape);
      }
      if (mf?.length) obj.metadata.managedFields = mf;
      else delete obj.metadata.managedFields;
    };
    const label = (def: ResourceDef, o: { metadata: { name?: string; namespace?: string } }) =>
      `${def.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    const create = (def: ResourceDef, obj: KubeObject) => {
      managed(def, obj);
      tx.create(storageResource(def), obj);
      result.created.push(label(def, obj));
    };
    const apply = (def: ResourceDef, cur: KubeObject, want: Policy<unknown>, plan: Plan) => {
      if (plan.op === 'none') return;
      if (plan.protected) {
        result.protectedSkipped.push(label(def, cur));
        return;
      }
      if (plan.op === 'recreate') {
        tx.delete(storageResource(def), cur.metadata.namespace ?? '', cur.metadata.name!);
        const obj = build(def, want);
        managed(def, obj);
        tx.create(storageResource(def), obj);
        result.recreated.push(label(def, cur));
        return;
      }
      const next = { ...plan.obj, metadata: { ...plan.obj.metadata, resourceVersion: cur.metadata.resourceVersion } };
      managed(def, next, cur);
      tx.update(storageResource(def), next);
      result.updated.push(label(def, cur));
    };

    // ClusterRoles: reconcile the existing, build the missing, then give the new aggregated ones
    // their rules (from every ClusterRole, new ones included) before writing them.
    const crDef = kinds.clusterRoles;
    const byName = new Map(tx.list(storageResource(crDef)).map((o) => [o.metadata.name!, o as ClusterRoleObj]));
    const fresh: ClusterRoleObj[] = [];
    for (const want of CLUSTER_ROLES) {
      const cur = byName.get(want.metadata.name);
      if (cur) apply(crDef, cur, want, reconcileRole(cur, want));
      else {
        const obj = build(crDef, want) as ClusterRoleObj;
        fresh.push(obj);
        byName.set(want.metadata.name, obj);
      }
    }
    aggregateFresh(fresh, [...byName.values()]);
    for (const obj of fresh) create(crDef, obj);

    const crbDef = kinds.clusterRoleBindings;
    const bindings = new Map(tx.list(storageResource(crbDef)).map((o) => [o.metadata.name!, o as Binding]));
    for (const want of CLUSTER_ROLE_BINDINGS) {
      const cur = bindings.get(want.metadata.name);
      if (cur) apply(crbDef, cur, want, reconcileBinding(cur, want));
      else create(crbDef, build(crbDef, want));
    }

    // Roles and RoleBindings, in kube-system and kube-public.
    const namespaced = (def: ResourceDef, wants: readonly Policy<unknown>[], plan: (cur: KubeObject, want: Policy<unknown>) => Plan) => {
      const byNs = new Map<string, Map<string, KubeObject>>();
      for (const want of wants) {
        const ns = want.metadata.namespace!;
        let have = byNs.get(ns);
        if (!have) {
          if (!tx.get('namespaces', '', ns)) continue;
          byNs.set(ns, (have = new Map(tx.list(storageResource(def), ns).map((o) => [o.metadata.name!, o]))));
        }
        const cur = have.get(want.metadata.name);
        if (cur) apply(def, cur, want, plan(cur, want));
        else create(def, build(def, want));
      }
    };
    namespaced(kinds.roles, ROLES, (cur, want) => reconcileRole(cur as RuleOwner, want as Policy<{ rules?: PolicyRule[] }>));
    namespaced(kinds.roleBindings, ROLE_BINDINGS, (cur, want) =>
      reconcileBinding(cur as Binding, want as Policy<{ roleRef: RoleRef; subjects?: Subject[] }>),
    );
  });
  return result;
}

/** The kind and the set fields of a new object: what its managed fields depend on. */
function fieldShape(obj: KubeObject): string {
  const m = obj.metadata;
  const keys = (o: Record<string, string> | undefined) => (o ? Object.keys(o).sort().join(',') : '-');
  const top = Object.keys(obj).filter((k) => k !== 'metadata' && obj[k] !== undefined);
  return `${obj.kind}|${keys(m.labels)}|${keys(m.annotations)}|${top.sort().join(',')}`;
}

/**
 * The rules the aggregation controller would give the newly built aggregated ClusterRoles, each
 * from the rules every other ClusterRole has by then: in dependency order (admin aggregates
 * edit, which aggregates view) one pass settles them; roles that select each other are worked
 * out again until none changes.
 */
function aggregateFresh(fresh: ClusterRoleObj[], all: ClusterRoleObj[]): void {
  const aggregated = fresh.filter((r) => r.aggregationRule);
  const selects = (a: ClusterRoleObj, b: ClusterRoleObj) =>
    a !== b && objectsIn(a.aggregationRule?.clusterRoleSelectors).some((s) => matchLabelSelector(s, b.metadata.labels));
  const order: ClusterRoleObj[] = [];
  const visiting = new Set<ClusterRoleObj>();
  let cyclic = false;
  const visit = (r: ClusterRoleObj) => {
    if (order.includes(r)) return;
    if (visiting.has(r)) {
      cyclic = true;
      return;
    }
    visiting.add(r);
    for (const d of aggregated) if (selects(r, d)) visit(d);
    visiting.delete(r);
    order.push(r);
  };
  aggregated.forEach(visit);
  for (let round = 0; round <= order.length; round++) {
    let changed = false;
    for (const role of order) {
      const rules = aggregatedRules(role, all);
      if (rules === undefined || sameRules(rules, role.rules)) continue;
      // rules before aggregationRule, where Go's encoder writes them
      const agg = role.aggregationRule;
      delete role.aggregationRule;
      if (rules.length) role.rules = rules;
      else delete role.rules;
      role.aggregationRule = agg;
      changed = true;
    }
    if (!changed || !cyclic) return;
  }
}
