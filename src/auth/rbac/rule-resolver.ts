// Which PolicyRules apply to a user in a namespace (upstream pkg/registry/rbac/validation rule.go,
// DefaultRuleResolver): the rules of every ClusterRoleBinding naming the user, one of its groups
// or its service account, then those of the namespace's RoleBindings. A binding whose role is
// missing contributes an error instead of rules; rules are additive, so what was found still
// counts and the errors only explain a denial.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from '../../api/generated/rbac/v1.js';
import { goQuote } from '../../apimachinery/go-format.js';
import type { UserInfo } from '../users.js';

/**
 * The RBAC objects the resolver reads: the caller backs it with informers (the authorizer) or with
 * the registry (the escalation checks of the RBAC storages).
 */
export interface RBACSource {
  clusterRoleBindings(): readonly ClusterRoleBinding[];
  roleBindings(namespace: string): readonly RoleBinding[];
  role(namespace: string, name: string): Role | undefined;
  clusterRole(name: string): ClusterRole | undefined;
}

/**
 * How a missing role is named in errors. The authorizer reads listers, whose NotFound names the
 * singular resource (`clusterrole.rbac.authorization.k8s.io "x" not found`); the RBAC storages
 * read the registry, which names the plural (`clusterroles.rbac.authorization.k8s.io ...`).
 */
export type NotFoundStyle = 'lister' | 'registry';

/** Where a rule came from: the binding and the first of its subjects that matched. */
export interface RuleSource {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  binding: ClusterRoleBinding | RoleBinding;
  subject: Subject;
}

/** Called with each rule, or with the error of a binding whose rules could not be read; false stops the walk. */
export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: string | undefined) => boolean;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const SA_PREFIX = 'system:serviceaccount:';

/** Printable ASCII but `"` and `\`: what strconv.Quote leaves as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** %q; names are almost always plain, and every allowed request builds its reason from three. */
const quote = (s: string) => (PLAIN.test(s) ? `"${s}"` : goQuote(s));

/** The rules a binding's roleRef grants, or the error message when they cannot be read. */
export function roleReferenceRules(
  source: RBACSource,
  ref: RoleRef,
  bindingNamespace: string,
  style: NotFoundStyle = 'lister',
): readonly PolicyRule[] | { error: string } {
  const plural = style === 'registry' ? 's' : '';
  switch (ref.kind) {
    case 'Role': {
      const role = source.role(bindingNamespace, ref.name);
      if (!role) return { error: `role${plural}.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
      return role.rules ?? [];
    }
    case 'ClusterRole': {
      const role = source.clusterRole(ref.name);
      if (!role) return { error: `clusterrole${plural}.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
      return role.rules ?? [];
    }
    default:
      return { error: `unsupported role reference kind: ${goQuote(ref.kind)}` };
  }
}

/**
 * Whether a binding's subject is this user. A ServiceAccount subject without a namespace means
 * one in the binding's namespace (none for a ClusterRoleBinding: it then matches nobody).
 */
export function appliesToUser(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      if (!ns) return false;
      const u = user.username;
      // serviceaccount.MatchesUsername without building the string.
      return (
        u.length === SA_PREFIX.length + ns.length + 1 + subject.name.length &&
        u.startsWith(SA_PREFIX) &&
        u.startsWith(ns, SA_PREFIX.length) &&
        u.charCodeAt(SA_PREFIX.length + ns.length) === 58 &&
        u.endsWith(subject.name)
      );
    }
    default:
      return false;
  }
}

/** The first subject of the list that is this user. */
export function appliesTo(user: UserInfo, subjects: readonly Subject[] | undefined, bindingNamespace: string): Subject | undefined {
  if (!subjects) return undefined;
  for (const s of subjects) if (appliesToUser(user, s, bindingNamespace)) return s;
  return undefined;
}

/** Visits the cluster-wide rules, then (for a namespace) the namespace's, stopping when the visitor says so. */
export function visitRulesFor(
  source: RBACSource,
  user: UserInfo,
  namespace: string,
  visitor: RuleVisitor,
  style: NotFoundStyle = 'lister',
): void {
  for (const binding of source.clusterRoleBindings()) {
    const subject = appliesTo(user, binding.subjects, '');
    if (!subject) continue;
    const rules = roleReferenceRules(source, binding.roleRef, '', style);
    if ('error' in rules) {
      if (!visitor(undefined, undefined, rules.error)) return;
      continue;
    }
    const from: RuleSource = { kind: 'ClusterRoleBinding', binding, subject };
    for (const rule of rules) if (!visitor(from, rule, undefined)) return;
  }
  if (!namespace) return;
  for (const binding of source.roleBindings(namespace)) {
    const subject = appliesTo(user, binding.subjects, namespace);
    if (!subject) continue;
    const rules = roleReferenceRules(source, binding.roleRef, namespace, style);
    if ('error' in rules) {
      if (!visitor(undefined, undefined, rules.error)) return;
      continue;
    }
    const from: RuleSource = { kind: 'RoleBinding', binding, subject };
    for (const rule of rules) if (!visitor(from, rule, undefined)) return;
  }
}

/** Every rule that applies, and the errors met on the way (RulesFor). */
export function rulesFor(
  source: RBACSource,
  user: UserInfo,
  namespace: string,
  style: NotFoundStyle = 'lister',
): { rules: PolicyRule[]; errors: string[] } {
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  visitRulesFor(
    source,
    user,
    namespace,
    (_, rule, err) => {
      if (rule) rules.push(rule);
      if (err !== undefined) errors.push(err);
      return true;
    },
    style,
  );
  return { rules, errors };
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${quote(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${quote(s.name)}`;
}

/** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`; a RoleBinding is named `name/namespace`. */
export function describeRuleSource(src: RuleSource): string {
  const b = src.binding;
  const ns = src.kind === 'RoleBinding' ? (b.metadata?.namespace ?? '') : '';
  const name = src.kind === 'RoleBinding' ? `${b.metadata?.name ?? ''}/${ns}` : (b.metadata?.name ?? '');
  return `${src.kind} ${quote(name)} of ${b.roleRef.kind} ${quote(b.roleRef.name)} to ${describeSubject(src.subject, ns)}`;
}

/**
 * utilerrors.NewAggregate(errs).Error(): one error is its own text; several are bracketed, comma
 * separated, with repeated texts shown once (and no brackets when only one text remains).
 */
export function aggregateMessage(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  if (errors.length === 1) return errors[0]!;
  const seen = [...new Set(errors)];
  return seen.length === 1 ? seen[0]! : `[${seen.join(', ')}]`;
}
