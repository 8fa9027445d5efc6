// The rules of an aggregated ClusterRole (upstream pkg/controller/clusterroleaggregation
// syncClusterRole): for each of its clusterRoleSelectors in turn, the ClusterRoles it selects
// sorted by name (itself left out), their rules in order, each rule once. Shared by the
// aggregation controller and the bootstrap policy (which creates admin, edit and view already
// aggregated, so that a fresh start needs no controller write).
import type { PolicyRule } from '../../api/generated/rbac/v1.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { asObject, objectsIn } from '../define.js';
import { labelSelector } from '../pod/validation.js';
import type { ClusterRoleObj } from './roles.js';

const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean => {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** equality.Semantic.DeepEqual of two PolicyRules: an absent list equals an empty one. */
export const sameRule = (a: PolicyRule, b: PolicyRule): boolean => RULE_FIELDS.every((f) => sameList(a[f], b[f]));

/** equality.Semantic.DeepEqual of two rule lists. */
export function sameRules(a: readonly PolicyRule[] | null | undefined, b: readonly PolicyRule[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => sameRule(r, y[i]!));
}

/**
 * The rules `role` aggregates from `all` (every ClusterRole), or undefined when it aggregates
 * nothing (no aggregationRule) or a selector does not parse (upstream's sync fails then, and
 * changes nothing).
 */
export function aggregatedRules(role: ClusterRoleObj, all: readonly ClusterRoleObj[]): PolicyRule[] | undefined {
  const agg = asObject(role.aggregationRule);
  if (!agg) return undefined;
  const selectors = (Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : []) as (LabelSelector | null)[];
  if (selectors.some((s, i) => labelSelector(asObject(s), `s${i}`).length > 0)) return undefined;
  const out: PolicyRule[] = [];
  for (const sel of selectors) {
    // A null entry decodes to an empty selector, which selects every ClusterRole.
    const selector = asObject(sel) ?? {};
    const matched = all.filter((r) => r.metadata.name !== role.metadata.name && matchLabelSelector(selector, r.metadata.labels));
    matched.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
    for (const r of matched) for (const rule of objectsIn(r.rules)) if (!out.some((x) => sameRule(x, rule))) out.push(rule);
  }
  return out;
}
