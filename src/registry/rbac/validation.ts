// Validation of the four RBAC kinds, after upstream's pkg/apis/rbac/validation (v1.32) and the
// defaults of pkg/apis/rbac/v1: rules need verbs, resource rules an API group and a resource,
// non-resource URLs only in cluster roles and never beside resources; a binding refers to a Role
// or ClusterRole of rbac.authorization.k8s.io by a name that is one path segment, and never to
// another one later (`cannot change roleRef`); subjects are Users, Groups (of the RBAC group) or
// ServiceAccounts (of no group, with a namespace in cluster-wide bindings).
import type { PolicyRule, RoleRef, Subject } from '../../api/generated/rbac/v1.js';
import { fieldErr, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Subdomain } from '../../apimachinery/validation.js';
import type { LabelSelector } from '../../apimachinery/selectors.js';
import { asObject } from '../define.js';
import { labelSelector } from '../pod/validation.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const USER_KIND = 'User';
export const GROUP_KIND = 'Group';
export const SERVICE_ACCOUNT_KIND = 'ServiceAccount';

const strings = (v: readonly unknown[] | null | undefined): string[] =>
  Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : [];
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * path.IsValidPathSegmentName, upstream's ValidateRBACName: a role or binding may be named anything
 * that fits in one URL path segment (`system:controller:job-controller`).
 */
export function pathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/** ValidatePolicyRule: `namespaced` for a Role's rules. */
export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const urls = strings(rule.nonResourceURLs);
  if (strings(rule.verbs).length === 0) errs.push(fieldErr.required(`${f}.verbs`, 'verbs must contain at least one value'));
  if (urls.length > 0) {
    if (namespaced) errs.push(fieldErr.invalid(`${f}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (strings(rule.apiGroups).length > 0 || strings(rule.resources).length > 0 || strings(rule.resourceNames).length > 0)
      errs.push(fieldErr.invalid(`${f}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    return errs;
  }
  if (strings(rule.apiGroups).length === 0)
    errs.push(fieldErr.required(`${f}.apiGroups`, 'resource rules must supply at least one api group'));
  if (strings(rule.resources).length === 0)
    errs.push(fieldErr.required(`${f}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRules(rules: readonly PolicyRule[] | null | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(asObject(r) ?? ({} as PolicyRule), namespaced, `rules[${i}]`));
}

/** ValidateClusterRole's aggregationRule part. */
export function validateAggregationRule(rule: { clusterRoleSelectors?: LabelSelector[] } | null | undefined): FieldError[] {
  const agg = asObject(rule);
  if (!agg) return [];
  const errs: FieldError[] = [];
  const selectors = Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
  if (selectors.length === 0)
    errs.push(
      fieldErr.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'),
    );
  selectors.forEach((sel, i) => {
    const f = `aggregationRule.clusterRoleSelectors[${i}]`;
    const selErrs = labelSelector(asObject(sel), f);
    errs.push(...selErrs);
    // LabelSelectorAsSelector refuses exactly what ValidateLabelSelector does; upstream reports the
    // (nil) selector it got back, which prints as "null".
    if (selErrs.length) errs.push(fieldErr.invalid(f, null, 'invalid label selector.'));
  });
  return errs;
}

/** Go's %#v of an rbac.RoleRef (the bad value of `cannot change roleRef`). */
export const goRoleRef = (r: Partial<RoleRef> | undefined) =>
  new GoLiteral(
    `rbac.RoleRef{APIGroup:${JSON.stringify(text(r?.apiGroup))}, Kind:${JSON.stringify(text(r?.kind))}, Name:${JSON.stringify(text(r?.name))}}`,
  );

/** The roleRef checks of ValidateRoleBinding (kinds Role and ClusterRole) and ValidateClusterRoleBinding (ClusterRole). */
export function validateRoleRef(ref: Partial<RoleRef> | undefined, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  const apiGroup = text(ref?.apiGroup);
  const kind = text(ref?.kind);
  const name = text(ref?.name);
  if (apiGroup !== RBAC_GROUP) errs.push(fieldErr.notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(kind)) errs.push(fieldErr.notSupported('roleRef.kind', kind, kinds));
  if (!name) errs.push(fieldErr.required('roleRef.name'));
  else for (const m of pathSegmentName(name)) errs.push(fieldErr.invalid('roleRef.name', name, m));
  return errs;
}

/** ValidateRoleBindingSubject: `namespaced` for a RoleBinding's subjects. */
export function validateSubject(s: Partial<Subject>, namespaced: boolean, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(s.name);
  const apiGroup = text(s.apiGroup);
  const kind = text(s.kind);
  if (!name) errs.push(fieldErr.required(`${f}.name`));
  switch (kind) {
    case SERVICE_ACCOUNT_KIND:
      if (name) for (const m of isDNS1123Subdomain(name)) errs.push(fieldErr.invalid(`${f}.name`, name, m));
      if (apiGroup) errs.push(fieldErr.notSupported(`${f}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !text(s.namespace)) errs.push(fieldErr.required(`${f}.namespace`));
      break;
    case USER_KIND:
    case GROUP_KIND:
      if (apiGroup !== RBAC_GROUP) errs.push(fieldErr.notSupported(`${f}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldErr.notSupported(`${f}.kind`, kind, [SERVICE_ACCOUNT_KIND, USER_KIND, GROUP_KIND]));
  }
  return errs;
}

export function validateSubjects(subjects: readonly Subject[] | null | undefined, namespaced: boolean): FieldError[] {
  return (subjects ?? []).flatMap((s, i) => validateSubject(asObject(s) ?? {}, namespaced, `subjects[${i}]`));
}

/** `cannot change roleRef` (ValidateRoleBindingUpdate, ValidateClusterRoleBindingUpdate). */
export function validateRoleRefUnchanged(ref: Partial<RoleRef> | undefined, old: Partial<RoleRef> | undefined): FieldError[] {
  const same = text(ref?.apiGroup) === text(old?.apiGroup) && text(ref?.kind) === text(old?.kind) && text(ref?.name) === text(old?.name);
  return same ? [] : [fieldErr.invalid('roleRef', goRoleRef(ref), 'cannot change roleRef')];
}

/**
 * SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding and SetDefaults_Subject: the roleRef's
 * group is rbac.authorization.k8s.io when not given, as is a User's or Group's.
 */
export function defaultBinding(b: { roleRef?: RoleRef; subjects?: Subject[] }): void {
  // A body without roleRef decodes to the zero RoleRef, which then gets its group. Defaulted
  // fields go where Go's encoder writes them (apiGroup first; a subject's after its kind).
  if (b.roleRef === undefined || b.roleRef === null) b.roleRef = {} as RoleRef;
  const ref = asObject(b.roleRef);
  if (ref && !ref.apiGroup) {
    const { apiGroup, ...rest } = ref;
    void apiGroup;
    b.roleRef = { apiGroup: RBAC_GROUP, ...rest } as RoleRef;
  }
  if (!Array.isArray(b.subjects)) return;
  b.subjects = b.subjects.map((s) => {
    const subj = asObject(s);
    if (!subj || subj.apiGroup || (subj.kind !== USER_KIND && subj.kind !== GROUP_KIND)) return s;
    const { kind, apiGroup, ...rest } = subj;
    void apiGroup;
    return { kind, apiGroup: RBAC_GROUP, ...rest } as Subject;
  });
}
