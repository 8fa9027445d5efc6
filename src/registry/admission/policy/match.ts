// Whether a policy's matchConstraints or a binding's matchResources select a request (upstream's
// policy/matching/matching.go over webhook/predicates): namespaceSelector (the namespace's labels,
// a Namespace's own new labels on its create and update), objectSelector (the object's or old
// object's labels), excludeResourceRules, resourceRules with resourceNames, and matchPolicy
// Equivalent (the resource as served under another group or version). Selector and lookup errors
// only count when the rules select the request.
import type { MatchResources, NamedRuleWithOperations } from '../../../api/generated/admissionregistration/v1.js';
import { internalError, StatusError } from '../../../apimachinery/errors.js';
import { matchLabelSelector, type LabelSelector } from '../../../apimachinery/selectors.js';
import { goQuote } from '../go-text.js';
import { ruleMatches, type EquivalentResources } from '../matching.js';
import type { AdmissionAttributes, AdmissionObject, GroupVersionKind, GroupVersionResource } from '../types.js';

export type MatchOutcome =
  { matches: false } | { matches: true; resource: GroupVersionResource; kind: GroupVersionKind } | { error: StatusError };

export interface MatchContext {
  attrs: AdmissionAttributes;
  /** The labels of the request's namespace, or why they could not be read (looked up once per request). */
  namespaceLabels(): Record<string, string> | StatusError;
  equivalents?: EquivalentResources;
}

/** LabelSelectorAsSelector's refusals, as the error the request fails with. */
function selectorError(sel: LabelSelector): StatusError | undefined {
  for (const e of sel.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator))
      return internalError(`${goQuote(String(e.operator))} is not a valid label selector operator`);
    if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length)
      return internalError("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty");
  }
  return undefined;
}

const isEmpty = (sel: LabelSelector) => !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;
const labelsOf = (o: AdmissionObject | null) => o?.metadata?.labels ?? {};

function matchNamespace(sel: LabelSelector | undefined, ctx: MatchContext): boolean | StatusError {
  const a = ctx.attrs;
  if (a.namespace === '' && a.resource.resource !== 'namespaces') return true;
  // A nil selector selects nothing (the API defaults it to {}).
  if (!sel) return false;
  const bad = selectorError(sel);
  if (bad) return bad;
  if (isEmpty(sel)) return true;
  if (a.resource.resource === 'namespaces' && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE'))
    return matchLabelSelector(sel, labelsOf(a.object));
  const labels = ctx.namespaceLabels();
  return labels instanceof StatusError ? labels : matchLabelSelector(sel, labels);
}

function matchObject(sel: LabelSelector | undefined, a: AdmissionAttributes): boolean | StatusError {
  if (!sel) return false;
  const bad = selectorError(sel);
  if (bad) return bad;
  if (isEmpty(sel)) return true;
  const matches = (o: AdmissionObject | null) => !!o && typeof o === 'object' && matchLabelSelector(sel, labelsOf(o));
  return matches(a.object) || matches(a.oldObject);
}

const named = (rule: NamedRuleWithOperations, name: string) => !rule.resourceNames?.length || rule.resourceNames.includes(name);

type RulesOutcome = Exclude<MatchOutcome, { error: StatusError }>;

function matchRules(rules: readonly NamedRuleWithOperations[], matchPolicy: string | undefined, ctx: MatchContext): RulesOutcome {
  const a = ctx.attrs;
  for (const rule of rules) if (ruleMatches(rule, a) && named(rule, a.name)) return { matches: true, resource: a.resource, kind: a.kind };
  if (matchPolicy !== 'Equivalent' || !ctx.equivalents) return { matches: false };
  const same = (x: GroupVersionResource) =>
    x.group === a.resource.group && x.version === a.resource.version && x.resource === a.resource.resource;
  const equivalents = ctx.equivalents.resourcesFor(a.resource, a.subresource);
  for (const rule of rules) {
    for (const eq of equivalents) {
      if (same(eq.resource) || !ruleMatches(rule, a, eq.resource)) continue;
      if (named(rule, a.name)) return { matches: true, resource: eq.resource, kind: eq.kind };
    }
  }
  return { matches: false };
}

/** matching.Matcher.Matches: whether `mr` selects the request, with the resource and kind it matched as. */
export function matchResources(mr: MatchResources, ctx: MatchContext): MatchOutcome {
  const ns = matchNamespace(mr.namespaceSelector as LabelSelector | undefined, ctx);
  if (ns === false) return { matches: false };
  const obj = matchObject(mr.objectSelector as LabelSelector | undefined, ctx.attrs);
  if (obj === false) return { matches: false };
  if (matchRules(mr.excludeResourceRules ?? [], mr.matchPolicy, ctx).matches) return { matches: false };
  const m: RulesOutcome = mr.resourceRules?.length
    ? matchRules(mr.resourceRules, mr.matchPolicy, ctx)
    : { matches: true, resource: ctx.attrs.resource, kind: ctx.attrs.kind };
  if (!m.matches) return m;
  if (ns instanceof StatusError) return { error: ns };
  if (obj instanceof StatusError) return { error: obj };
  return m;
}
