// Validation of ValidatingWebhookConfiguration and MutatingWebhookConfiguration, after upstream's
// pkg/apis/admissionregistration/validation (v1.32): webhook names are fully qualified and unique,
// rules name operations, groups, versions and resources (with the `*` and subresource forms),
// clientConfig is exactly one of url and service, sideEffects is None or NoneOnDryRun,
// timeoutSeconds 1..30, admissionReviewVersions include v1 or v1beta1, matchConditions have
// names and expressions. CEL expressions are stored as text: compiling them is not done here.
// An update keeps accepting what the stored object already had (side effects, review versions,
// duplicate names, invalid selector values, unchanged match conditions), as upstream's does.
import type { MatchCondition, RuleWithOperations, WebhookClientConfig } from '../../api/generated/admissionregistration/v1.js';
import { fieldErr, goTypedSlice, type FieldError } from '../../apimachinery/field.js';
import { isDNS1035Label, isDNS1123Subdomain, validateQualifiedName } from '../../apimachinery/validation.js';
import type { LabelSelector } from '../../apimachinery/selectors.js';
import { asObject, objectsIn } from '../define.js';
import { labelSelector } from '../pod/validation.js';
import { validateWebhookService, validateWebhookURL } from './webhook-client.js';

export const ADMISSION_GROUP = 'admissionregistration.k8s.io';

/** The API's sets as upstream's sets.String List() gives them: sorted. */
export const FAILURE_POLICIES = ['Fail', 'Ignore'] as const;
export const MATCH_POLICIES = ['Equivalent', 'Exact'] as const;
export const SIDE_EFFECTS_ALL = ['None', 'NoneOnDryRun', 'Some', 'Unknown'] as const;
export const SIDE_EFFECTS_NONE = ['None', 'NoneOnDryRun'] as const;
export const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'] as const;
export const REINVOCATION_POLICIES = ['IfNeeded', 'Never'] as const;
export const SCOPES = ['*', 'Cluster', 'Namespaced'] as const;
/** AcceptedAdmissionReviewVersions, in upstream's order. */
export const ADMISSION_REVIEW_VERSIONS = ['v1', 'v1beta1'] as const;

/** A webhook of either kind as validation reads it (mutating ones add reinvocationPolicy). */
export interface AnyWebhook {
  name?: string;
  clientConfig?: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: string;
  matchPolicy?: string;
  sideEffects?: string;
  timeoutSeconds?: number;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  admissionReviewVersions?: string[];
  matchConditions?: MatchCondition[];
  reinvocationPolicy?: string;
}

/** upstream's validationOptions, less the CEL ones. */
export interface WebhookValidationOptions {
  ignoreMatchConditions: boolean;
  requireNoSideEffects: boolean;
  requireRecognizedAdmissionReviewVersion: boolean;
  requireUniqueWebhookNames: boolean;
  allowInvalidLabelValueInSelector: boolean;
}

export const CREATE_OPTIONS: WebhookValidationOptions = {
  ignoreMatchConditions: false,
  requireNoSideEffects: true,
  requireRecognizedAdmissionReviewVersion: true,
  requireUniqueWebhookNames: true,
  allowInvalidLabelValueInSelector: false,
};

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const strings = (v: readonly unknown[] | null | undefined): string[] => (Array.isArray(v) ? v.map(text) : []);
const has = (set: readonly string[], v: string) => set.includes(v);
const isSet = (v: unknown) => v !== undefined && v !== null;

/** utilvalidation.IsFullyQualifiedName: a DNS subdomain of at least three labels. */
export function validateFullyQualifiedName(f: string, name: string): FieldError[] {
  if (name.length === 0) return [fieldErr.required(f)];
  const errs = isDNS1123Subdomain(name);
  if (errs.length) return [fieldErr.invalid(f, name, errs.join(','))];
  if (name.split('.').length < 3) return [fieldErr.invalid(f, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

/** validateResources: resources with subresources (`pods/status`, `*\/scale`, `pods/*`, `*\/*`). */
export function validateResources(resources: string[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(fieldErr.required(f));
  const resourcesWithWildcardSub = new Set<string>();
  const subsWithWildcardResource = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let resourceWithoutSub = false;
  resources.forEach((resSub, i) => {
    if (resSub === '') {
      errs.push(fieldErr.required(`${f}[${i}]`));
      return;
    }
    if (resSub === '*/*') doubleWildcard = true;
    if (resSub === '*') singleWildcard = true;
    const slash = resSub.indexOf('/');
    if (slash < 0) {
      // Upstream assigns rather than ORs: only the last plain resource decides.
      resourceWithoutSub = resSub !== '*';
      return;
    }
    const res = resSub.slice(0, slash);
    const sub = resSub.slice(slash + 1);
    if (resourcesWithWildcardSub.has(res))
      errs.push(fieldErr.invalid(`${f}[${i}]`, resSub, `if '${res}/*' is present, must not specify ${resSub}`));
    if (subsWithWildcardResource.has(sub))
      errs.push(fieldErr.invalid(`${f}[${i}]`, resSub, `if '*/${sub}' is present, must not specify ${resSub}`));
    if (sub === '*') resourcesWithWildcardSub.add(res);
    if (res === '*') subsWithWildcardResource.add(sub);
  });
  if (resources.length > 1 && doubleWildcard)
    errs.push(fieldErr.invalid(f, resources, "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && resourceWithoutSub)
    errs.push(fieldErr.invalid(f, resources, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

/** validateRule (with subresources allowed, as webhooks' rules are). */
function validateRule(rule: RuleWithOperations, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const groups = strings(rule.apiGroups);
  const versions = strings(rule.apiVersions);
  if (groups.length === 0) errs.push(fieldErr.required(`${f}.apiGroups`));
  if (groups.length > 1 && groups.includes('*'))
    errs.push(fieldErr.invalid(`${f}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  // An empty group is the legacy core group: allowed.
  if (versions.length === 0) errs.push(fieldErr.required(`${f}.apiVersions`));
  if (versions.length > 1 && versions.includes('*'))
    errs.push(fieldErr.invalid(`${f}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(fieldErr.required(`${f}.apiVersions[${i}]`));
  });
  errs.push(...validateResources(strings(rule.resources), `${f}.resources`));
  if (isSet(rule.scope) && !has(SCOPES, text(rule.scope))) errs.push(fieldErr.notSupported(`${f}.scope`, text(rule.scope), SCOPES));
  return errs;
}

/** validateRuleWithOperations. */
export function validateRuleWithOperations(rule: RuleWithOperations, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = strings(rule.operations);
  if (ops.length === 0) errs.push(fieldErr.required(`${f}.operations`));
  if (ops.length > 1 && ops.includes('*'))
    errs.push(
      fieldErr.invalid(
        `${f}.operations`,
        goTypedSlice('admissionregistration.OperationType', ops),
        "if '*' is present, must not specify other operations",
      ),
    );
  ops.forEach((op, i) => {
    if (!has(OPERATIONS, op)) errs.push(fieldErr.notSupported(`${f}.operations[${i}]`, op, OPERATIONS));
  });
  return [...errs, ...validateRule(rule, f)];
}

/** validateAdmissionReviewVersions. */
export function validateAdmissionReviewVersions(versions: string[], requireRecognized: boolean, f: string): FieldError[] {
  if (versions.length < 1) return [fieldErr.required(f, `must specify one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldErr.invalid(`${f}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(fieldErr.invalid(`${f}[${i}]`, v, m));
    if (has(ADMISSION_REVIEW_VERSIONS, v)) accepted = true;
  });
  if (requireRecognized && !accepted)
    errs.push(fieldErr.invalid(f, versions, `must include at least one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

/** validateMatchConditions, the structure only (names, expressions present); CEL is not compiled. */
export function validateMatchConditions(conditions: MatchCondition[] | null | undefined, f: string): FieldError[] {
  const list = Array.isArray(conditions) ? conditions : [];
  const errs: FieldError[] = [];
  if (list.length > 64) errs.push(fieldErr.tooMany(f, list.length, 64));
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const c = asObject(raw) ?? ({} as MatchCondition);
    const p = `${f}[${i}]`;
    if (text(c.expression).trim().length === 0) errs.push(fieldErr.required(`${p}.expression`));
    const name = text(c.name);
    if (name.length === 0) errs.push(fieldErr.required(`${p}.name`));
    else errs.push(...validateQualifiedName(name, `${p}.name`));
    if (name.length > 0) {
      if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

/** The value errors ValidateLabelSelector skips with AllowInvalidLabelValueInSelector. */
const isSelectorValueError = (e: FieldError) => /\.matchExpressions\[\d+\]\.values\[\d+\]$/.test(e.field);

function validateSelector(sel: LabelSelector | null | undefined, f: string, allowInvalidValue: boolean): FieldError[] {
  const errs = labelSelector(asObject(sel), f);
  return allowInvalidValue ? errs.filter((e) => !isSelectorValueError(e)) : errs;
}

function validateClientConfig(cc: WebhookClientConfig | undefined, f: string): FieldError[] {
  const c = asObject(cc) ?? {};
  const hasURL = typeof c.url === 'string';
  const svc = asObject(c.service);
  if (hasURL === !!svc) return [fieldErr.required(`${f}.clientConfig`, 'exactly one of url or service is required')];
  if (hasURL) return validateWebhookURL(`${f}.clientConfig.url`, c.url!);
  return validateWebhookService(`${f}.clientConfig.service`, svc!);
}

/** validateValidatingWebhook / validateMutatingWebhook (the latter adds reinvocationPolicy). */
export function validateWebhook(hook: AnyWebhook, mutating: boolean, opts: WebhookValidationOptions, f: string): FieldError[] {
  const errs = validateFullyQualifiedName(`${f}.name`, text(hook.name));
  objectsIn(hook.rules).forEach((r, i) => errs.push(...validateRuleWithOperations(r, `${f}.rules[${i}]`)));
  if (isSet(hook.failurePolicy) && !has(FAILURE_POLICIES, text(hook.failurePolicy)))
    errs.push(fieldErr.notSupported(`${f}.failurePolicy`, text(hook.failurePolicy), FAILURE_POLICIES));
  if (isSet(hook.matchPolicy) && !has(MATCH_POLICIES, text(hook.matchPolicy)))
    errs.push(fieldErr.notSupported(`${f}.matchPolicy`, text(hook.matchPolicy), MATCH_POLICIES));
  const allowedSideEffects = opts.requireNoSideEffects ? SIDE_EFFECTS_NONE : SIDE_EFFECTS_ALL;
  if (!isSet(hook.sideEffects)) errs.push(fieldErr.required(`${f}.sideEffects`, `must specify one of ${allowedSideEffects.join(', ')}`));
  else if (!has(allowedSideEffects, text(hook.sideEffects)))
    errs.push(fieldErr.notSupported(`${f}.sideEffects`, text(hook.sideEffects), allowedSideEffects));
  if (typeof hook.timeoutSeconds === 'number' && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1))
    errs.push(fieldErr.invalid(`${f}.timeoutSeconds`, hook.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  if (isSet(hook.namespaceSelector))
    errs.push(...validateSelector(hook.namespaceSelector, `${f}.namespaceSelector`, opts.allowInvalidLabelValueInSelector));
  if (isSet(hook.objectSelector))
    errs.push(...validateSelector(hook.objectSelector, `${f}.objectSelector`, opts.allowInvalidLabelValueInSelector));
  if (mutating && isSet(hook.reinvocationPolicy) && !has(REINVOCATION_POLICIES, text(hook.reinvocationPolicy)))
    errs.push(fieldErr.notSupported(`${f}.reinvocationPolicy`, text(hook.reinvocationPolicy), REINVOCATION_POLICIES));
  errs.push(...validateClientConfig(hook.clientConfig, f));
  if (!opts.ignoreMatchConditions) errs.push(...validateMatchConditions(hook.matchConditions, `${f}.matchConditions`));
  return errs;
}

/** validate{Validating,Mutating}WebhookConfiguration without ObjectMeta (the generic layer checks it). */
export function validateWebhookConfiguration(
  webhooks: readonly AnyWebhook[] | null | undefined,
  mutating: boolean,
  opts: WebhookValidationOptions = CREATE_OPTIONS,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objectsIn(webhooks).forEach((hook, i) => {
    const f = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, mutating, opts, f));
    errs.push(
      ...validateAdmissionReviewVersions(
        strings(hook.admissionReviewVersions),
        opts.requireRecognizedAdmissionReviewVersion,
        `${f}.admissionReviewVersions`,
      ),
    );
    const name = text(hook.name);
    if (opts.requireUniqueWebhookNames && name.length > 0) {
      if (names.has(name)) errs.push(fieldErr.duplicate(`${f}.name`, name));
      else names.add(name);
    }
  });
  return errs;
}

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The options of Validate*WebhookConfigurationUpdate: each relaxation holds while the stored
 * object itself would have needed it, so objects stored under older rules stay updatable.
 */
export function updateOptions(
  next: readonly AnyWebhook[] | null | undefined,
  old: readonly AnyWebhook[] | null | undefined,
): WebhookValidationOptions {
  const nextHooks = objectsIn(next);
  const oldHooks = objectsIn(old);
  const oldNames = oldHooks.map((h) => text(h.name));
  return {
    ignoreMatchConditions:
      nextHooks.length === oldHooks.length && oldHooks.every((h, i) => sameJSON(nextHooks[i]!.matchConditions, h.matchConditions)),
    requireNoSideEffects: oldHooks.every((h) => isSet(h.sideEffects) && has(SIDE_EFFECTS_NONE, text(h.sideEffects))),
    requireRecognizedAdmissionReviewVersion: oldHooks.every((h) => {
      const versions = strings(h.admissionReviewVersions);
      return versions.length === 0 || versions.some((v) => has(ADMISSION_REVIEW_VERSIONS, v));
    }),
    requireUniqueWebhookNames: new Set(oldNames).size === oldNames.length,
    allowInvalidLabelValueInSelector: oldHooks.some(
      (h) =>
        (isSet(h.namespaceSelector) && labelSelector(asObject(h.namespaceSelector), 'x').length > 0) ||
        (isSet(h.objectSelector) && labelSelector(asObject(h.objectSelector), 'x').length > 0),
    ),
  };
}
