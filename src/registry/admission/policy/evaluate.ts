// The ValidatingAdmissionPolicy admission step (upstream's validating/dispatcher.go over
// generic/policy_dispatcher.go): for every policy that has bindings and whose matchConstraints
// select the request, every binding whose matchResources select it is evaluated with each of its
// params. A failed validation is enforced as the binding's validationActions say: Deny fails the
// request (the first denial is reported), Warn adds a warning, Audit an audit annotation.
// Configuration errors (no matchConstraints, a paramKind not served, a bad paramRef, selector
// errors) fail the request unless the policy's failurePolicy is Ignore.
// Synchronous; policies are compiled by the injected `compile` (see ./index.ts).
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../../api/generated/admissionregistration/v1.js';
import { forbidden, notFound, StatusError } from '../../../apimachinery/errors.js';
import type { Authorizer } from '../../../auth/rbac/attributes.js';
import type { AuthzCheck } from '../../cel/admission-authz.js';
import { goMarshal } from '../go-text.js';
import { requestFields, type EquivalentResources } from '../matching.js';
import type { AdmissionAttributes, AdmissionObject, GroupVersionKind } from '../types.js';
import { matchResources, type MatchContext } from './match.js';
import { collectParams, paramKindError, type ParamSource } from './params.js';
import type { CompiledPolicy, PolicyDecision } from './types.js';

export interface PolicyEvaluationInput {
  policies: readonly ValidatingAdmissionPolicy[];
  bindings: readonly ValidatingAdmissionPolicyBinding[];
  attrs: AdmissionAttributes;
  /** A Namespace by name (its labels for namespaceSelector, and `namespaceObject`); undefined when there is none. */
  namespace(name: string): AdmissionObject | undefined;
  /** The objects of the policies' paramKinds. */
  params?: ParamSource;
  /** Answers `authorizer` checks in expressions (made as the requesting user). */
  authorizer?: Authorizer;
  /** The resource as served under other groups and versions, for matchPolicy Equivalent. */
  equivalents?: EquivalentResources;
  /** The object as another version of its kind, for a policy matched through an equivalent resource. */
  convert?: (object: AdmissionObject, to: GroupVersionKind) => AdmissionObject;
}

export interface PolicyEvaluationResult {
  /** Why the request is refused: the first denial, or a namespace that could not be read. */
  denied?: StatusError;
  /** Warn actions' warnings, in evaluation order. */
  warnings: string[];
  /** Audit annotations: `<policy>/<key>` from auditAnnotations, and the Audit action's validation failures. */
  auditAnnotations: Record<string, string>;
}

const VALIDATION_FAILURE_KEY = 'validation.policy.admission.k8s.io/validation_failure';
/** maxAuditAnnotationValueLength. */
const MAX_AUDIT_VALUE = 10 * 1024;

/** isPolicyResource: policies and their bindings are never subject to policies. */
const isPolicyResource = (a: AdmissionAttributes) =>
  a.resource.group === 'admissionregistration.k8s.io' &&
  [
    'validatingadmissionpolicies',
    'validatingadmissionpolicybindings',
    'mutatingadmissionpolicies',
    'mutatingadmissionpolicybindings',
  ].includes(a.resource.resource);

/** reasonToCode. */
function reasonToCode(reason: string): number {
  switch (reason) {
    case 'Forbidden':
      return 403;
    case 'Unauthorized':
      return 401;
    case 'RequestEntityTooLarge':
      return 413;
    default:
      return 422;
  }
}

/** extractResourceName: the request's name, else the new object's name or generateName, else Unknown. */
function resourceName(a: AdmissionAttributes): string {
  if (a.name) return a.name;
  const m = a.object?.metadata;
  if (!a.object) return 'Unknown';
  if (!m || typeof m !== 'object') return 'Unknown/errorGettingName';
  return (typeof m.name === 'string' && m.name) || (typeof m.generateName === 'string' && m.generateName) || 'Unknown';
}

interface Denial {
  policy: string;
  binding?: string;
  message: string;
  reason?: string;
}

function denialError(a: AdmissionAttributes, d: Denial): StatusError {
  const message = d.binding
    ? `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`
    : `ValidatingAdmissionPolicy '${d.policy}' denied request: ${d.message}`;
  const f = forbidden({ group: a.resource.group, resource: a.resource.resource }, resourceName(a), message);
  const reason = d.reason || 'Invalid';
  return new StatusError(reasonToCode(reason), reason, f.message, { ...f.details, causes: [{ message }] });
}

/** A per-request cache of authorization decisions (upstream's caching authorizer). */
function cachingAuthorizer(authz: Authorizer): AuthzCheck {
  const cache = new Map<string, ReturnType<AuthzCheck>>();
  return (attrs, user) => {
    const key = JSON.stringify([attrs, user]);
    let r = cache.get(key);
    if (!r) cache.set(key, (r = authz.authorize(attrs, user)));
    return r;
  };
}

const byName = <T extends { metadata?: { name?: string } }>(a: T, b: T) => {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Evaluates the policies for one request. `compile` gives a policy's compiled form (cached by the
 * caller); it is called only for policies that have bindings and match the request.
 */
export function evaluatePolicies(
  input: PolicyEvaluationInput,
  compile: (p: ValidatingAdmissionPolicy) => CompiledPolicy,
): PolicyEvaluationResult {
  const result: PolicyEvaluationResult = { warnings: [], auditAnnotations: {} };
  const { attrs } = input;
  if (!input.policies.length || !input.bindings.length || isPolicyResource(attrs)) return result;

  const bindingsOf = new Map<string, ValidatingAdmissionPolicyBinding[]>();
  for (const b of input.bindings) {
    const name = b.spec?.policyName;
    if (!name) continue;
    const list = bindingsOf.get(name);
    if (list) list.push(b);
    else bindingsOf.set(name, [b]);
  }
  if (!bindingsOf.size) return result;

  let nsLookup: { found?: AdmissionObject; error?: StatusError } | undefined;
  const namespaceName = attrs.namespace || attrs.name;
  const lookupNamespace = () => {
    if (!nsLookup) {
      const found = input.namespace(namespaceName);
      nsLookup = found ? { found } : { error: notFound({ group: '', resource: 'namespaces' }, namespaceName) };
    }
    return nsLookup;
  };
  const ctx: MatchContext = {
    attrs,
    equivalents: input.equivalents,
    namespaceLabels: () => {
      const l = lookupNamespace();
      return l.error ?? (l.found!.metadata?.labels as Record<string, string> | undefined) ?? {};
    },
  };
  const authorizer = input.authorizer && cachingAuthorizer(input.authorizer);
  const denials: Denial[] = [];
  const addConfigError = (policy: ValidatingAdmissionPolicy, binding: ValidatingAdmissionPolicyBinding | undefined, err: string) => {
    const fp = policy.spec?.failurePolicy ?? 'Fail';
    const name = policy.metadata?.name ?? '';
    if (fp === 'Ignore') return;
    if (fp === 'Fail')
      denials.push({
        policy: name,
        binding: binding?.metadata?.name,
        message: `failed to configure ${binding ? 'binding' : 'policy'}: ${err}`,
      });
    else denials.push({ policy: name, binding: binding?.metadata?.name, message: `unrecognized failure policy: '${fp}'` });
  };

  // Attributes.AddAnnotation keeps the first value of a key.
  const addAnnotation = (key: string, value: string) => {
    if (!(key in result.auditAnnotations)) result.auditAnnotations[key] = value;
  };

  const policies = input.policies.filter((p) => bindingsOf.has(p.metadata?.name ?? '')).sort(byName);
  for (const policy of policies) {
    const policyName = policy.metadata?.name ?? '';
    const spec = policy.spec ?? {};
    if (!spec.matchConstraints) {
      addConfigError(policy, undefined, 'policy contained no match constraints, a required field');
      continue;
    }
    const m = matchResources(spec.matchConstraints, ctx);
    if ('error' in m) {
      addConfigError(policy, undefined, m.error.message);
      continue;
    }
    if (!m.matches) continue;
    const kindError = paramKindError(spec.paramKind, input.params);
    if (kindError) {
      addConfigError(policy, undefined, kindError);
      continue;
    }
    const compiled = compile(policy);
    const converted = !input.convert || sameKind(m.kind, attrs.kind) ? undefined : convertOnce(input.convert, attrs, m.kind);
    const collected = new Map<string, string[]>();
    const request = {
      ...requestFields(attrs, { kind: m.kind, resource: m.resource, subresource: attrs.subresource }),
      options: attrs.options ?? undefined,
    };

    for (const binding of [...bindingsOf.get(policyName)!].sort(byName)) {
      const bindingName = binding.metadata?.name ?? '';
      const bspec = binding.spec ?? {};
      if (bspec.matchResources) {
        const bm = matchResources(bspec.matchResources, ctx);
        if ('error' in bm) {
          addConfigError(policy, binding, bm.error.message);
          continue;
        }
        if (!bm.matches) continue;
      }
      const params = collectParams(spec.paramKind, bspec.paramRef, input.params, attrs.namespace);
      if ('error' in params) {
        addConfigError(policy, binding, params.error);
        continue;
      }
      if (!params.params.length) continue;

      // A Namespace's requests carry its own name as their namespace: it has no namespaceObject.
      const isNamespace = attrs.kind.group === '' && attrs.kind.version === 'v1' && attrs.kind.kind === 'Namespace';
      let namespace: AdmissionObject | null = null;
      if (attrs.namespace && !isNamespace) {
        const l = lookupNamespace();
        if (l.error) return { ...result, denied: l.error };
        namespace = l.found!;
      }
      const objects = converted ?? { object: attrs.object, oldObject: attrs.oldObject };
      const actions = bspec.validationActions ?? [];
      const enforce = (action: string, d: PolicyDecision, index: number) => {
        switch (action) {
          case 'Deny':
            denials.push({ policy: policyName, binding: bindingName, message: d.message, reason: d.reason });
            break;
          case 'Audit':
            addAnnotation(
              VALIDATION_FAILURE_KEY,
              goMarshal([
                { message: d.message, policy: bspec.policyName, binding: bindingName, expressionIndex: index, validationActions: actions },
              ]),
            );
            break;
          case 'Warn':
            result.warnings.push(
              `Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${d.message}`,
            );
            break;
        }
      };
      for (const param of params.params) {
        const r = compiled.validate({
          request,
          object: objects.object,
          oldObject: objects.oldObject,
          params: param,
          namespace,
          user: attrs.userInfo,
          authorizer,
          requestResource: {
            group: attrs.resource.group,
            resource: attrs.resource.resource,
            subresource: attrs.subresource,
            namespace: attrs.namespace,
            name: attrs.name,
          },
        });
        r.decisions.forEach((d, i) => {
          if (d.action !== 'deny') return;
          for (const action of actions) enforce(action, d, i);
        });
        for (const a of r.auditAnnotations) {
          if (a.action === 'publish') {
            const value = a.value!.slice(0, MAX_AUDIT_VALUE);
            const values = collected.get(a.key) ?? [];
            if (!values.includes(value)) collected.set(a.key, [...values, value]);
          } else if (a.action === 'error') {
            denials.push({ policy: policyName, binding: bindingName, message: a.error! });
          }
        }
      }
    }
    for (const [key, values] of collected) addAnnotation(`${policyName}/${key}`, values.join(', '));
  }

  if (denials.length) result.denied = denialError(attrs, denials[0]!);
  return result;
}

const sameKind = (a: GroupVersionKind, b: GroupVersionKind) => a.group === b.group && a.version === b.version && a.kind === b.kind;

function convertOnce(convert: NonNullable<PolicyEvaluationInput['convert']>, attrs: AdmissionAttributes, kind: GroupVersionKind) {
  return {
    object: attrs.object && convert(attrs.object, kind),
    oldObject: attrs.oldObject && convert(attrs.oldObject, kind),
  };
}
