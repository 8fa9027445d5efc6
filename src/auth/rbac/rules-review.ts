// What a user may do in a namespace, as SelfSubjectRulesReview (`kubectl auth can-i --list`)
// answers it: upstream RBACAuthorizer.RulesFor turns each applicable PolicyRule into a resource
// rule (when it names resources) and a non-resource rule (when it names URLs); the union of rule
// resolvers joins the authorizers' lists, and pkg/registry/authorization/selfsubjectrulesreview
// puts them in the status with the resolution errors as evaluationError.
import type { NonResourceRule, ResourceRule, SubjectRulesReviewStatus } from '../../api/generated/authorization/v1.js';
import type { UserInfo } from '../users.js';
import { aggregateMessage, rulesFor, type RBACSource } from './rule-resolver.js';

/** One authorizer's rules for a user (authorizer.RuleResolver.RulesFor). */
export interface RulesForResult {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** true when the authorizer cannot list everything it would allow (RBAC's list is always complete). */
  incomplete: boolean;
  /** Resolution errors, when some binding's role could not be read. */
  errors?: string[];
}

/** RBACAuthorizer.RulesFor. Empty lists are left out of each rule, as Go's omitempty does. */
export function rbacRulesFor(user: UserInfo, namespace: string, source: RBACSource): RulesForResult {
  const { rules, errors } = rulesFor(source, user, namespace);
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const r of rules) {
    if (r.resources?.length) {
      const out: ResourceRule = { verbs: r.verbs };
      if (r.apiGroups?.length) out.apiGroups = r.apiGroups;
      out.resources = r.resources;
      if (r.resourceNames?.length) out.resourceNames = r.resourceNames;
      resourceRules.push(out);
    }
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
  }
  const out: RulesForResult = { resourceRules, nonResourceRules, incomplete: false };
  if (errors.length) out.errors = errors;
  return out;
}

/** The AlwaysAllow authorizer's rules: everything, complete. */
export function alwaysAllowRulesFor(): RulesForResult {
  return {
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  };
}

/**
 * The review's status from the rule resolvers of the configured authorizers (union.NewRuleResolvers:
 * lists concatenated, incomplete when any is, errors aggregated). kube-apiserver's privileged-group
 * authorizer is no rule resolver: system:masters shows the rules of its bindings (cluster-admin).
 */
export function rulesReviewStatus(...results: RulesForResult[]): SubjectRulesReviewStatus {
  const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
  // Each resolver's errors are an aggregate; the union's aggregate of them prints one alone as
  // itself and several flattened into one list.
  const failed: string[][] = [];
  for (const r of results) {
    status.resourceRules.push(...r.resourceRules);
    status.nonResourceRules.push(...r.nonResourceRules);
    if (r.incomplete) status.incomplete = true;
    if (r.errors?.length) failed.push(r.errors);
  }
  if (failed.length) status.evaluationError = aggregateMessage(failed.length === 1 ? failed[0]! : failed.flat());
  return status;
}
