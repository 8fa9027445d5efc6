// Whether one PolicyRule allows a request (upstream plugin/pkg/auth/authorizer/rbac RuleAllows and
// pkg/apis/rbac/v1 evaluation_helpers.go): every part of the rule must match, `*` matches
// anything, a resource rule may name `resource/subresource` or `*/subresource`, and a non-resource
// URL ending in `*` matches every path it prefixes.
import type { PolicyRule } from '../../api/generated/rbac/v1.js';
import type { Attributes } from './attributes.js';

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs ?? []) if (v === ALL || v === verb) return true;
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups ?? []) if (g === ALL || g === group) return true;
  return false;
}

// `combined` is `resource` or `resource/subresource`. Only `*` and `*/subresource` are wildcards:
// a rule's `pods/*` matches a request for the subresource literally named `*`, nothing else.
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    // */subresource
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** No resourceNames: every name (and the nameless list, create and deletecollection). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames;
  if (!names || names.length === 0) return true;
  return names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith(ALL) && path.startsWith(trimRightStars(u))) return true;
  }
  return false;
}

/** strings.TrimRight(u, "*"). */
function trimRightStars(u: string): string {
  let end = u.length;
  while (end > 0 && u.charCodeAt(end - 1) === 42) end--;
  return u.slice(0, end);
}

export function ruleAllows(attrs: Attributes, rule: PolicyRule): boolean {
  return ruleAllowsCombined(attrs, combinedResource(attrs), rule);
}

/** `resource/subresource`, or the resource: what a resource rule's resources are compared with. */
export const combinedResource = (attrs: Attributes) => (attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource);

/** ruleAllows with the combined resource computed once per request, not once per rule. */
export function ruleAllowsCombined(attrs: Attributes, combined: string, rule: PolicyRule): boolean {
  if (attrs.isResourceRequest)
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combined, attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

export function rulesAllow(attrs: Attributes, rules: readonly PolicyRule[]): boolean {
  const combined = combinedResource(attrs);
  for (const r of rules) if (ruleAllowsCombined(attrs, combined, r)) return true;
  return false;
}
