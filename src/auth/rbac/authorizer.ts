// The RBAC authorizer (upstream plugin/pkg/auth/authorizer/rbac RBACAuthorizer) and the two
// authorizers kube-apiserver puts around it: the privileged-group authorizer in front, which lets
// system:masters do anything without reading a binding, and the union that asks each in turn.
// RBAC only ever allows or has no opinion; a request nobody allows is forbidden by the caller.
import type { UserInfo } from '../users.js';
import type { Attributes, Authorizer, AuthorizerResult } from './attributes.js';
import { combinedResource, ruleAllowsCombined } from './rule-match.js';
import { aggregateMessage, describeRuleSource, visitRulesFor, type RBACSource } from './rule-resolver.js';

/** user.SystemPrivilegedGroup. */
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';

/**
 * RBACAuthorizer.Authorize: allowed by the first rule (cluster-wide bindings first) that covers
 * the request, with the binding in the reason; otherwise no opinion, the reason being the
 * bindings whose roles could not be read (`RBAC: clusterrole.rbac.authorization.k8s.io "x" not
 * found`), or empty.
 */
export function authorize(attrs: Attributes, user: UserInfo, source: RBACSource): { decision: 'allow' | 'no-opinion'; reason: string } {
  const combined = combinedResource(attrs);
  let reason: string | undefined;
  let errors: string[] | undefined;
  visitRulesFor(source, user, attrs.namespace, (from, rule, err) => {
    if (rule && from && ruleAllowsCombined(attrs, combined, rule)) {
      reason = `RBAC: allowed by ${describeRuleSource(from)}`;
      return false;
    }
    if (err !== undefined) (errors ??= []).push(err);
    return true;
  });
  if (reason !== undefined) return { decision: 'allow', reason };
  return { decision: 'no-opinion', reason: errors ? `RBAC: ${aggregateMessage(errors)}` : '' };
}

/** The RBAC authorizer over a source of bindings and roles. */
export function rbacAuthorizer(source: RBACSource): Authorizer {
  return { authorize: (attrs, user) => authorize(attrs, user, source) };
}

/** authorizerfactory.NewPrivilegedGroups: members of any of the groups may do anything, with no reason given. */
export function privilegedGroups(...groups: string[]): Authorizer {
  return {
    authorize: (_attrs, user) => {
      for (const g of user.groups) if (groups.includes(g)) return { decision: 'allow', reason: '' };
      return { decision: 'no-opinion', reason: '' };
    },
  };
}

/**
 * union.New: the first authorizer that allows or denies decides, with its reason; when none has an
 * opinion, their non-empty reasons are joined by newlines.
 */
export function unionAuthorizer(...authorizers: Authorizer[]): Authorizer {
  return {
    authorize: (attrs, user): AuthorizerResult => {
      const reasons: string[] = [];
      for (const a of authorizers) {
        const r = a.authorize(attrs, user);
        if (r.decision !== 'no-opinion') return r;
        if (r.reason) reasons.push(r.reason);
      }
      return { decision: 'no-opinion', reason: reasons.join('\n') };
    },
  };
}

/** kube-apiserver's chain for `--authorization-mode RBAC`: system:masters first, then RBAC. */
export function rbacModeAuthorizer(source: RBACSource): Authorizer {
  return unionAuthorizer(privilegedGroups(SYSTEM_PRIVILEGED_GROUP), rbacAuthorizer(source));
}
