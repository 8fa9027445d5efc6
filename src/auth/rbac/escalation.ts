// Escalation prevention (upstream pkg/registry/rbac: escalation_check.go, the policybased storages
// of roles, clusterroles, rolebindings and clusterrolebindings, and validation/rule.go with
// component-helpers' policy_comparator.go): a user may write a Role or ClusterRole only with rules
// they hold themselves, and bind a role only if they hold its rules, unless they may `escalate`
// that role or `bind` it, or are in system:masters.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef } from '../../api/generated/rbac/v1.js';
import { forbidden, internalError, notFound, type StatusError } from '../../apimachinery/errors.js';
import { goQuote } from '../../apimachinery/go-format.js';
import type { UserInfo } from '../users.js';
import { resourceAttributes, type Attributes, type Authorizer } from './attributes.js';
import { SYSTEM_PRIVILEGED_GROUP } from './authorizer.js';
import { aggregateMessage, rulesFor, type RBACSource } from './rule-resolver.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const ALL = '*';

// ---------------------------------------------------------------------------------------------
// Covers (component-helpers/auth/rbac/validation)

/** BreakdownRule: one rule per group x resource x verb (x resource name), and per URL x verb. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const verbs = rule.verbs ?? [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of verbs) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const has = (set: readonly string[] | undefined, s: string) => !!set && set.includes(s);
const hasAll = (set: readonly string[] | undefined, items: readonly string[] | undefined) => (items ?? []).every((i) => has(set, i));

function resourceCoversAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, ALL) || hasAll(owner, wanted)) return true;
  for (const path of wanted ?? []) {
    if (has(owner, path)) continue;
    // A subresource is also covered by `*/subresource`.
    const slash = path.indexOf('/');
    if (slash < 0 || !has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLCovers(owner: string, path: string): boolean {
  if (owner === path) return true;
  return owner.endsWith(ALL) && path.startsWith(owner.replace(/\*+$/, ''));
}

const nonResourceURLsCoverAll = (owner: readonly string[] | undefined, wanted: readonly string[] | undefined) =>
  (wanted ?? []).every((p) => (owner ?? []).some((o) => nonResourceURLCovers(o, p)));

/** ruleCovers: whether one owner rule covers a broken-down rule (at most one of each part). */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourceCoversAll(owner.resources, sub.resources);
  const urls = nonResourceURLsCoverAll(owner.nonResourceURLs, sub.nonResourceURLs);
  // An owner limited to names covers only rules limited to some of those names.
  const ownerNames = owner.resourceNames?.length ?? 0;
  const names = sub.resourceNames?.length ? ownerNames === 0 || hasAll(owner.resourceNames, sub.resourceNames) : ownerNames === 0;
  return verbs && groups && resources && names && urls;
}

/** Covers: whether the owner's rules cover the servant's, and the broken-down rules they miss. */
export function covers(ownerRules: readonly PolicyRule[], servantRules: readonly PolicyRule[]): { covers: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const servant of servantRules)
    for (const sub of breakdownRule(servant)) if (!ownerRules.some((o) => ruleCovers(o, sub))) missing.push(sub);
  return { covers: missing.length === 0, missing };
}

// ---------------------------------------------------------------------------------------------
// Messages (validation/policy_compact.go, rbac/v1 evaluation_helpers.go)

/** CompactRules: rules of one group and one resource (nothing else) merged, their verbs appended. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    // isSimpleResourceRule: one group, one resource and verbs, nothing else (not even an empty list).
    const isSimple = r.resourceNames == null && r.nonResourceURLs == null && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0]]);
    const seen = simple.get(key);
    if (seen) seen.verbs = [...seen.verbs, ...(r.verbs ?? [])];
    else simple.set(key, { apiGroups: [...r.apiGroups!], resources: [...r.resources!], verbs: [...(r.verbs ?? [])] });
  }
  out.push(...simple.values());
  return out;
}

/** Go's %q of a []string: `["a" "b"]`. */
const quoteList = (l: readonly string[] | undefined) => `[${(l ?? []).map(goQuote).join(' ')}]`;

/** CompactString: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`, the empty parts left out. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${quoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${quoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${quoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${quoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * ConfirmNoEscalation: undefined when the user's rules in the namespace ('' for cluster-wide)
 * cover `rules`, else upstream's message listing what is missing, one compacted rule a line,
 * sorted, and the resolution errors met while reading the user's own rules.
 */
export function confirmNoEscalation(
  source: RBACSource,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRule[],
): string | undefined {
  const own = rulesFor(source, user, namespace, 'registry');
  const { covers: ok, missing } = covers(own.rules, rules);
  if (ok) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort(byteOrder);
  let msg = `user ${goQuote(user.username)} (groups=${quoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  // %v of a []error holding the one aggregate.
  if (own.errors.length) msg += `; resolution errors: [${aggregateMessage(own.errors)}]`;
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Who may skip the check (escalation_check.go)

/** EscalationAllowed: system:masters may write any role and binding. */
export function escalationAllowed(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_PRIVILEGED_GROUP);
}

/**
 * RoleEscalationAuthorized: the `escalate` verb on the roles or clusterroles of the request (its
 * name, empty on a create), any version.
 */
export function roleEscalationAuthorized(authorizer: Authorizer, user: UserInfo, request: Attributes): boolean {
  if (!request.isResourceRequest || request.apiGroup !== RBAC_GROUP) return false;
  if (request.resource !== 'roles' && request.resource !== 'clusterroles') return false;
  const attrs = resourceAttributes({
    verb: 'escalate',
    apiGroup: request.apiGroup,
    apiVersion: '*',
    resource: request.resource,
    name: request.name,
    namespace: request.namespace,
  });
  return authorizer.authorize(attrs, user).decision === 'allow';
}

/**
 * BindingAuthorized: the `bind` verb on the referenced role, checked in the binding's namespace
 * ('' for a ClusterRoleBinding), so `bind` may be delegated per namespace and per role name.
 */
export function bindingAuthorized(authorizer: Authorizer, user: UserInfo, ref: RoleRef, bindingNamespace: string): boolean {
  if (ref.kind !== 'ClusterRole' && ref.kind !== 'Role') return false;
  const attrs = resourceAttributes({
    verb: 'bind',
    apiGroup: ref.apiGroup,
    apiVersion: '*',
    resource: ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles',
    name: ref.name,
    namespace: bindingNamespace,
  });
  return authorizer.authorize(attrs, user).decision === 'allow';
}

// ---------------------------------------------------------------------------------------------
// The storages' checks (role, clusterrole, rolebinding, clusterrolebinding policybased)

/** What the RBAC storages' checks need from the request. */
export interface EscalationContext {
  user: UserInfo;
  /** The request's attributes: its namespace, and for roles the target of the `escalate` check. */
  request: Attributes;
  /** The registry's RBAC objects (missing roles are named as the registry names them). */
  source: RBACSource;
  /** The server's authorizer chain, for the `escalate` and `bind` checks. */
  authorizer: Authorizer;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: [ALL], apiGroups: [ALL], resources: [ALL] },
  { verbs: [ALL], nonResourceURLs: [ALL] },
];

const hasAggregationRule = (r: ClusterRole | undefined) => !!r?.aggregationRule?.clusterRoleSelectors?.length;

/**
 * The check before a Role or ClusterRole is created (no `old`) or updated: undefined when the
 * write may go on, else the 403 to answer. An aggregationRule (set now or before) needs every
 * permission, since it can gather any rule.
 */
export function checkRoleWrite(
  ctx: EscalationContext,
  kind: 'Role' | 'ClusterRole',
  obj: Role | ClusterRole,
  old?: Role | ClusterRole,
): StatusError | undefined {
  if (escalationAllowed(ctx.user) || roleEscalationAuthorized(ctx.authorizer, ctx.user, ctx.request)) return undefined;
  if (old && isOnlyMutatingGCFields(obj, old)) return undefined;
  const gr = { group: RBAC_GROUP, resource: kind === 'Role' ? 'roles' : 'clusterroles' };
  const name = obj.metadata?.name ?? '';
  const why = confirmNoEscalation(ctx.source, ctx.user, ctx.request.namespace, obj.rules ?? []);
  if (why !== undefined) return forbidden(gr, name, why);
  if (kind === 'ClusterRole' && (hasAggregationRule(obj as ClusterRole) || hasAggregationRule(old as ClusterRole | undefined))) {
    if (confirmNoEscalation(ctx.source, ctx.user, ctx.request.namespace, FULL_AUTHORITY) !== undefined)
      return forbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule');
  }
  return undefined;
}

/**
 * The check before a RoleBinding or ClusterRoleBinding is created (no `old`) or updated: allowed
 * with `bind` on its role, or when the user holds the role's rules. A missing role answers the
 * registry's 404, as upstream's storage returns the lookup's error as it is.
 */
export function checkBindingWrite(
  ctx: EscalationContext,
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  obj: RoleBinding | ClusterRoleBinding,
  old?: RoleBinding | ClusterRoleBinding,
): StatusError | undefined {
  if (escalationAllowed(ctx.user)) return undefined;
  if (old && isOnlyMutatingGCFields(obj, old)) return undefined;
  const namespace = kind === 'RoleBinding' ? ctx.request.namespace : '';
  const ref = obj.roleRef;
  if (bindingAuthorized(ctx.authorizer, ctx.user, ref, namespace)) return undefined;
  let rules: readonly PolicyRule[];
  if (ref.kind === 'Role') {
    const role = ctx.source.role(namespace, ref.name);
    if (!role) return notFound({ group: RBAC_GROUP, resource: 'roles' }, ref.name);
    rules = role.rules ?? [];
  } else if (ref.kind === 'ClusterRole') {
    const role = ctx.source.clusterRole(ref.name);
    if (!role) return notFound({ group: RBAC_GROUP, resource: 'clusterroles' }, ref.name);
    rules = role.rules ?? [];
  } else return internalError(`unsupported role reference kind: ${goQuote(ref.kind)}`);
  const why = confirmNoEscalation(ctx.source, ctx.user, ctx.request.namespace, rules);
  if (why === undefined) return undefined;
  return forbidden(
    { group: RBAC_GROUP, resource: kind === 'RoleBinding' ? 'rolebindings' : 'clusterrolebindings' },
    obj.metadata?.name ?? '',
    why,
  );
}

// ---------------------------------------------------------------------------------------------
// IsOnlyMutatingGCFields (pkg/registry/rbac/helpers.go)

type Json = unknown;

/** Whether a value is its type's zero value as Go decodes JSON: absent, null, "", 0, false, [] or {}. */
function isZero(v: Json): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/**
 * equality.Semantic.DeepEqual on decoded objects: Go compares structs, where a field left out of
 * the JSON holds its zero value and nil and empty slices and maps are equal.
 */
function semanticEqual(a: Json, b: Json): boolean {
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, Json>;
    const bo = b as Record<string, Json>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * Whether an update changes only what the garbage collector changes (owner references and
 * finalizers; selfLink and managedFields are not compared): such an update needs no escalation
 * check, so the GC can finish deleting a role it could not have written.
 */
export function isOnlyMutatingGCFields(obj: { metadata?: object }, old: { metadata?: object }): boolean {
  const m = { ...(obj.metadata ?? {}) } as Record<string, Json>;
  const om = (old.metadata ?? {}) as Record<string, Json>;
  for (const k of ['ownerReferences', 'finalizers', 'selfLink', 'managedFields']) {
    if (om[k] === undefined) delete m[k];
    else m[k] = om[k];
  }
  return semanticEqual({ ...obj, metadata: m }, old);
}
