// Which webhooks a request goes to, after upstream's pkg/admission/plugin/webhook:
// generic/webhook.go ShouldCallHook, predicates/rules (operations, groups, versions, resources
// with `*` and subresource forms, scope), predicates/namespace (namespaceSelector against the
// namespace's labels, the object's own for a Namespace being written), predicates/object
// (objectSelector against the object's or the old object's labels), matchPolicy Equivalent
// (the resource as served under another group/version) and matchConditions (evaluated by an
// injected CEL evaluator). Pure apart from the injected lookups.
import type {
  MatchCondition,
  MutatingWebhook,
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
} from '../../api/generated/admissionregistration/v1.js';
import { StatusError, forbidden, internalError, notFound } from '../../apimachinery/errors.js';
import { matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { goQuote } from './go-text.js';
import type { AdmissionAttributes, AdmissionObject, AdmissionRequest, GroupVersionKind, GroupVersionResource, Operation } from './types.js';

/** One webhook of one configuration, as the dispatchers walk them (upstream's WebhookAccessor). */
export interface WebhookAccessor {
  /** `<configuration>/<webhook>/<index>`: identifies it across reinvocation. */
  uid: string;
  configurationName: string;
  hook: ValidatingWebhook | MutatingWebhook;
}

/** A webhook the request goes to, with the resource and kind it is sent as. */
export interface WebhookInvocation {
  webhook: WebhookAccessor;
  resource: GroupVersionResource;
  subresource: string;
  kind: GroupVersionKind;
}

/** The resource as served under other groups and versions (upstream's EquivalentResourceMapper). */
export interface EquivalentResources {
  /** Every group/version serving the same resource (the request's own included or not), each with the kind it serves. */
  resourcesFor(resource: GroupVersionResource, subresource: string): { resource: GroupVersionResource; kind: GroupVersionKind }[];
}

/** A condition's outcome: its boolean value, or why it could not be evaluated. */
export type MatchConditionResult = { name: string; value: boolean } | { name: string; error: string };

/** What matchConditions are evaluated against (the CEL variables `request`, `object`, `oldObject`). */
export interface MatchConditionInput {
  configurationName: string;
  webhookName: string;
  conditions: MatchCondition[];
  /** The AdmissionRequest without uid, object, oldObject and options (upstream's CreateAdmissionRequest). */
  request: Omit<AdmissionRequest, 'uid' | 'object' | 'oldObject' | 'options'>;
  object: AdmissionObject | null;
  oldObject: AdmissionObject | null;
  userInfo: AdmissionAttributes['userInfo'];
}

/**
 * Evaluates a webhook's matchConditions (CEL). A result per condition; throwing means the
 * conditions could not be evaluated at all (a compile error). The dispatcher applies
 * upstream's rules: any false skips the webhook; errors fail the request (failurePolicy Fail) or
 * skip the webhook (Ignore).
 */
export interface MatchConditionEvaluator {
  evaluate(input: MatchConditionInput): MatchConditionResult[] | Promise<MatchConditionResult[]>;
}

/** The labels of a namespace by name; undefined when there is no such namespace. */
export type NamespaceLabelsLookup = (name: string) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;

/** Converts an object to another version of its kind (for webhooks matched through an equivalent resource). */
export type ObjectConverter = (object: AdmissionObject, to: GroupVersionKind) => AdmissionObject | Promise<AdmissionObject>;

const ADMISSION_GROUP = 'admissionregistration.k8s.io';
const EXEMPT_KINDS = new Set([
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
]);

/** IsExemptAdmissionConfigurationResource: admission's own configuration never goes to webhooks. */
export const isExemptAdmissionConfigurationResource = (kind: GroupVersionKind): boolean =>
  kind.group === ADMISSION_GROUP && EXEMPT_KINDS.has(kind.kind);

/** The webhooks of the configurations in call order: configurations by name, webhooks as listed. */
export function webhookAccessors(configs: readonly (ValidatingWebhookConfiguration | MutatingWebhookConfiguration)[]): WebhookAccessor[] {
  const sorted = [...configs].sort((a, b) => {
    const x = a.metadata?.name ?? '';
    const y = b.metadata?.name ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const out: WebhookAccessor[] = [];
  for (const c of sorted) {
    const name = c.metadata?.name ?? '';
    (c.webhooks ?? []).forEach((hook, i) => out.push({ uid: `${name}/${hook.name}/${i}`, configurationName: name, hook }));
  }
  return out;
}

const isNamespaceResource = (r: GroupVersionResource) => r.group === '' && r.version === 'v1' && r.resource === 'namespaces';
const exactOrWildcard = (items: readonly string[] | undefined, requested: string) =>
  (items ?? []).some((i) => i === '*' || i === requested);

/** rules.Matcher.Matches for the request with `resource` in place of its own. */
export function ruleMatches(
  rule: RuleWithOperations,
  attrs: AdmissionAttributes,
  resource: GroupVersionResource = attrs.resource,
): boolean {
  return (
    scopeMatches(rule.scope, attrs.namespace, resource) &&
    exactOrWildcard(rule.operations, attrs.operation) &&
    exactOrWildcard(rule.apiGroups, resource.group) &&
    exactOrWildcard(rule.apiVersions, resource.version) &&
    resourceMatches(rule.resources, resource.resource, attrs.subresource)
  );
}

function scopeMatches(scope: string | undefined, namespace: string, resource: GroupVersionResource): boolean {
  if (scope === undefined || scope === null || scope === '*') return true;
  // A Namespace is cluster-scoped although its requests carry its name as their namespace.
  if (scope === 'Namespaced') return !isNamespaceResource(resource) && namespace !== '';
  if (scope === 'Cluster') return isNamespaceResource(resource) || namespace === '';
  return false;
}

/** `pods` is the resource alone, `pods/status` one subresource, `pods/*` every one, `*` every resource, `*\/*` everything. */
function resourceMatches(resources: readonly string[] | undefined, resource: string, subresource: string): boolean {
  for (const r of resources ?? []) {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    if ((res === '*' || res === resource) && (sub === '*' || sub === subresource)) return true;
  }
  return false;
}

/**
 * A cheap check that no webhook of these configurations can apply to requests for this
 * resource and operation: it reads only the rules (no selectors, no conditions), and with
 * matchPolicy Equivalent any group and version of the resource name may match. Without a
 * subresource any rule naming the resource counts. False means no webhook applies; true means
 * dispatching is needed.
 */
export function anyWebhookMayMatch(
  configs: readonly (ValidatingWebhookConfiguration | MutatingWebhookConfiguration)[],
  resource: GroupVersionResource,
  operation: Operation,
  subresource?: string,
): boolean {
  const names = (rule: RuleWithOperations) =>
    subresource === undefined
      ? (rule.resources ?? []).some((r) => {
          const res = r.split('/')[0];
          return res === '*' || res === resource.resource;
        })
      : resourceMatches(rule.resources, resource.resource, subresource);
  for (const c of configs) {
    for (const hook of c.webhooks ?? []) {
      const equivalent = (hook.matchPolicy ?? 'Equivalent') === 'Equivalent';
      for (const rule of hook.rules ?? []) {
        if (!exactOrWildcard(rule.operations, operation) || !names(rule)) continue;
        if (equivalent || (exactOrWildcard(rule.apiGroups, resource.group) && exactOrWildcard(rule.apiVersions, resource.version)))
          return true;
      }
    }
  }
  return false;
}

/** LabelSelectorAsSelector's refusals, as the error text the webhook's request fails with. */
function selectorError(sel: LabelSelector): string | undefined {
  for (const e of sel.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator))
      return `${goQuote(String(e.operator))} is not a valid label selector operator`;
    if ((e.operator === 'In' || e.operator === 'NotIn') && !(e.values ?? []).length)
      return "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty";
  }
  return undefined;
}

const isEmptySelector = (sel: LabelSelector) => !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;
const labelsOf = (o: AdmissionObject | null | undefined): Record<string, string> | undefined => o?.metadata?.labels ?? undefined;

/** Per-dispatch state: the namespace's labels are looked up once. */
export interface MatchContext {
  namespaceLabels: NamespaceLabelsLookup;
  equivalents?: EquivalentResources;
  matchConditions?: MatchConditionEvaluator;
  /** The attributes' object and old object as `kind` (converted once per kind). */
  versioned: (kind: GroupVersionKind) => Promise<{ object: AdmissionObject | null; oldObject: AdmissionObject | null }>;
  cachedNamespaceLabels?: Promise<Record<string, string> | undefined>;
}

/** MatchNamespaceSelector: true, false, or the error the request fails with if a rule matches too. */
async function matchNamespaceSelector(
  hook: WebhookAccessor['hook'],
  attrs: AdmissionAttributes,
  ctx: MatchContext,
): Promise<boolean | StatusError> {
  const isNamespace = attrs.resource.resource === 'namespaces';
  // Cluster-scoped requests other than for a Namespace are never exempted.
  if (attrs.namespace === '' && !isNamespace) return true;
  const sel = (hook.namespaceSelector ?? {}) as LabelSelector;
  const bad = selectorError(sel);
  if (bad) return internalError(bad);
  if (isEmptySelector(sel)) return true;
  let labels: Record<string, string> | undefined;
  // A Namespace being created or updated is matched by its new labels (the lister has not seen them).
  if (isNamespace && attrs.subresource === '' && (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE')) {
    labels = labelsOf(attrs.object);
  } else {
    const name = attrs.namespace || attrs.name;
    try {
      const found = await (ctx.cachedNamespaceLabels ??= Promise.resolve(ctx.namespaceLabels(name)));
      if (found === undefined) return notFound({ group: '', resource: 'namespaces' }, name);
      labels = found;
    } catch (e) {
      return e instanceof StatusError ? e : internalError((e as Error).message);
    }
  }
  return matchLabelSelector(sel, labels ?? {});
}

/** MatchObjectSelector: the object's or the old object's labels. */
function matchObjectSelector(hook: WebhookAccessor['hook'], attrs: AdmissionAttributes): boolean | StatusError {
  const sel = (hook.objectSelector ?? {}) as LabelSelector;
  const bad = selectorError(sel);
  if (bad) return internalError(bad);
  if (isEmptySelector(sel)) return true;
  const matches = (o: AdmissionObject | null) => !!o && typeof o === 'object' && matchLabelSelector(sel, labelsOf(o) ?? {});
  return matches(attrs.object) || matches(attrs.oldObject);
}

/** The AdmissionRequest fields (upstream's CreateAdmissionRequest) for a webhook invoked as `kind`/`resource`. */
export function requestFields(attrs: AdmissionAttributes, inv: Pick<WebhookInvocation, 'kind' | 'resource' | 'subresource'>) {
  const u = attrs.userInfo;
  const userInfo: AdmissionRequest['userInfo'] = {};
  if (u.username) userInfo.username = u.username;
  if (u.uid) userInfo.uid = u.uid;
  if (u.groups?.length) userInfo.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length) userInfo.extra = structuredClone(u.extra);
  const req: Omit<AdmissionRequest, 'uid' | 'object' | 'oldObject' | 'options'> = {
    kind: { ...inv.kind },
    resource: { ...inv.resource },
    subResource: inv.subresource || undefined,
    requestKind: { ...attrs.kind },
    requestResource: { ...attrs.resource },
    requestSubResource: attrs.subresource || undefined,
    name: attrs.name || undefined,
    namespace: attrs.namespace || undefined,
    operation: attrs.operation,
    userInfo,
    dryRun: attrs.dryRun,
  };
  return req;
}

const joinErrors = (errs: string[]) => (errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);

/** ShouldCallHook: the invocation when the webhook applies, null when not; throws the StatusError the request fails with. */
export async function shouldCallHook(w: WebhookAccessor, attrs: AdmissionAttributes, ctx: MatchContext): Promise<WebhookInvocation | null> {
  const hook = w.hook;
  const nsMatch = await matchNamespaceSelector(hook, attrs, ctx);
  // A webhook the request does not select is skipped even when a lookup failed.
  if (nsMatch === false) return null;
  const objMatch = matchObjectSelector(hook, attrs);
  if (objMatch === false) return null;

  let inv: WebhookInvocation | null = null;
  const rules = hook.rules ?? [];
  if (rules.some((r) => ruleMatches(r, attrs)))
    inv = { webhook: w, resource: attrs.resource, subresource: attrs.subresource, kind: attrs.kind };
  if (!inv && (hook.matchPolicy ?? 'Equivalent') === 'Equivalent' && ctx.equivalents) {
    const equivalents = ctx.equivalents.resourcesFor(attrs.resource, attrs.subresource);
    const same = (a: GroupVersionResource, b: GroupVersionResource) =>
      a.group === b.group && a.version === b.version && a.resource === b.resource;
    // Earlier rules first; within a rule, the equivalents in the mapper's order.
    outer: for (const rule of rules) {
      for (const eq of equivalents) {
        if (same(eq.resource, attrs.resource)) continue;
        if (ruleMatches(rule, attrs, eq.resource)) {
          inv = { webhook: w, resource: eq.resource, subresource: attrs.subresource, kind: eq.kind };
          break outer;
        }
      }
    }
  }
  if (!inv) return null;
  if (nsMatch instanceof StatusError) throw nsMatch;
  if (objMatch instanceof StatusError) throw objMatch;

  const conditions = hook.matchConditions ?? [];
  if (conditions.length && ctx.matchConditions) {
    const failPolicy = hook.failurePolicy ?? 'Fail';
    const { object, oldObject } = await ctx.versioned(inv.kind);
    const input: MatchConditionInput = {
      configurationName: w.configurationName,
      webhookName: hook.name,
      conditions,
      request: requestFields(attrs, { kind: inv.kind, resource: attrs.resource, subresource: attrs.subresource }),
      object,
      oldObject,
      userInfo: attrs.userInfo,
    };
    let results: MatchConditionResult[];
    let failure: string | undefined;
    try {
      results = await ctx.matchConditions.evaluate(input);
    } catch (e) {
      results = [];
      failure = (e as Error).message;
    }
    const errors: string[] = failure === undefined ? [] : [failure];
    if (failure === undefined) {
      for (const r of results) {
        if ('error' in r) errors.push(r.error);
        // Any condition false skips the webhook, whatever the others say.
        else if (r.value === false) return null;
      }
    }
    if (errors.length) {
      if (failPolicy === 'Ignore') return null;
      throw forbidden({ group: attrs.resource.group, resource: attrs.resource.resource }, attrs.name, joinErrors(errors));
    }
  }
  return inv;
}
