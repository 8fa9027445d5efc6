// Validation of ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding, after upstream's
// pkg/apis/admissionregistration/validation (v1.32), for their structure: failurePolicy, paramKind,
// matchConstraints / matchResources (match policy, selectors, named rules), matchConditions,
// variables, validations, audit annotations, paramRef and validation actions. CEL expressions are
// kept as text: upstream also compiles them (type errors, cost limits), which is not done here.
import type {
  AuditAnnotation,
  MatchResources,
  NamedRuleWithOperations,
  ParamKind,
  ParamRef,
  ValidatingAdmissionPolicyBindingSpec,
  ValidatingAdmissionPolicySpec,
  Validation,
  Variable,
} from '../../api/generated/admissionregistration/v1.js';
import { fieldErr, GoLiteral, goTypedSlice, type FieldError } from '../../apimachinery/field.js';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  validateQualifiedName,
} from '../../apimachinery/validation.js';
import { asObject, objectsIn } from '../define.js';
import { labelSelector } from '../pod/validation.js';
import { FAILURE_POLICIES, MATCH_POLICIES, validateMatchConditions, validateRuleWithOperations } from './webhook-validation.js';

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const strings = (v: readonly unknown[] | null | undefined): string[] => (Array.isArray(v) ? v.map(text) : []);
const isSet = (v: unknown) => v !== undefined && v !== null;

/** supportedValidationPolicyReason, sorted. */
export const VALIDATION_REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'] as const;
/** validValidationActions, sorted. */
export const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'] as const;
const MAX_AUDIT_ANNOTATIONS = 20;
/** 5 KiB: less than the 10 KiB an audit annotation's value may have, as concatenation grows it. */
const MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH = 5 * 1024;

const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** isCELIdentifier: CEL's IDENT production, reserved words excluded. */
export const isCELIdentifier = (name: string) => /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name) && !CEL_RESERVED.has(name);

/** validateParamKind, with parseGroupVersion's rules for apiVersion. */
export function validateParamKind(pk: ParamKind, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = text(pk.apiVersion);
  if (apiVersion.length === 0) errs.push(fieldErr.required(`${f}.apiVersion`));
  else {
    const slashes = apiVersion.split('/').length - 1;
    if (apiVersion !== '/' && slashes > 1) {
      errs.push(fieldErr.invalid(`${f}.apiVersion`, apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
    } else {
      let group = '';
      let version = '';
      if (apiVersion !== '/') {
        const i = apiVersion.indexOf('/');
        if (i < 0) version = apiVersion;
        else {
          group = apiVersion.slice(0, i);
          version = apiVersion.slice(i + 1);
        }
      }
      if (group.length > 0) {
        const g = isDNS1123Subdomain(group);
        if (g.length) errs.push(fieldErr.invalid(`${f}.apiVersion`, group, g.join(',')));
      }
      if (version.length === 0) errs.push(fieldErr.invalid(`${f}.apiVersion`, apiVersion, 'version must be specified'));
      else {
        const v = isDNS1035Label(version);
        if (v.length) errs.push(fieldErr.invalid(`${f}.apiVersion`, version, v.join(',')));
      }
    }
  }
  const kind = text(pk.kind);
  if (kind.length === 0) errs.push(fieldErr.required(`${f}.kind`));
  else {
    const k = isDNS1035Label(kind.toLowerCase());
    if (k.length) errs.push(fieldErr.invalid(`${f}.kind`, kind, `may have mixed case, but should otherwise match: ${k.join(',')}`));
  }
  return errs;
}

/** validateNamedRuleWithOperations: resource names are path segments, once each. */
function validateNamedRule(rule: NamedRuleWithOperations, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  strings(rule.resourceNames).forEach((n, i) => {
    for (const m of nameIsPathSegment(n, false)) errs.push(fieldErr.invalid(`${f}.resourceNames[${i}]`, n, m));
    if (seen.has(n)) errs.push(fieldErr.duplicate(`${f}.resourceNames[${i}]`, n));
    else seen.add(n);
  });
  return [...errs, ...validateRuleWithOperations(rule, f)];
}

/** validateMatchResources (selectors are checked strictly: these kinds came after kubernetes#99139). */
export function validateMatchResources(mr: MatchResources | null | undefined, f: string): FieldError[] {
  const m = asObject(mr);
  if (!m) return [];
  const errs: FieldError[] = [];
  if (!isSet(m.matchPolicy)) errs.push(fieldErr.required(`${f}.matchPolicy`));
  else if (!(MATCH_POLICIES as readonly string[]).includes(text(m.matchPolicy)))
    errs.push(fieldErr.notSupported(`${f}.matchPolicy`, text(m.matchPolicy), MATCH_POLICIES));
  if (!isSet(m.namespaceSelector)) errs.push(fieldErr.required(`${f}.namespaceSelector`));
  else errs.push(...labelSelector(asObject(m.namespaceSelector), `${f}.namespaceSelector`));
  if (!isSet(m.objectSelector)) errs.push(fieldErr.required(`${f}.objectSelector`));
  else errs.push(...labelSelector(asObject(m.objectSelector), `${f}.objectSelector`));
  objectsIn(m.resourceRules).forEach((r, i) => errs.push(...validateNamedRule(r, `${f}.resourceRules[${i}]`)));
  objectsIn(m.excludeResourceRules).forEach((r, i) => errs.push(...validateNamedRule(r, `${f}.excludeResourceRules[${i}]`)));
  return errs;
}

function validateVariable(v: Variable, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(v.name);
  if (name.trim() === '') errs.push(fieldErr.required(`${f}.name`, 'name is not specified'));
  else if (!isCELIdentifier(name)) errs.push(fieldErr.invalid(`${f}.name`, name, 'name is not a valid CEL identifier'));
  if (text(v.expression).trim() === '') errs.push(fieldErr.required(`${f}.expression`, 'expression is not specified'));
  return errs;
}

function validateValidation(v: Validation, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const message = text(v.message);
  const messageExpression = text(v.messageExpression);
  const trimmedMsg = message.trim();
  if (text(v.expression).trim() === '') errs.push(fieldErr.required(`${f}.expression`, 'expression is not specified'));
  if (messageExpression.length > 0 && messageExpression.trim().length === 0)
    errs.push(fieldErr.invalid(`${f}.messageExpression`, messageExpression, 'must be non-empty if specified'));
  if (message.length > 0 && trimmedMsg.length === 0)
    errs.push(fieldErr.invalid(`${f}.message`, message, 'message must be non-empty if specified'));
  else if (/[\n\r]/.test(trimmedMsg)) errs.push(fieldErr.invalid(`${f}.message`, message, 'message must not contain line breaks'));
  if (isSet(v.reason) && !(VALIDATION_REASONS as readonly string[]).includes(text(v.reason)))
    errs.push(fieldErr.notSupported(`${f}.reason`, text(v.reason), VALIDATION_REASONS));
  return errs;
}

/** %#v of a []admissionregistration.AuditAnnotation (the bad value of too many annotations). */
const goAuditAnnotations = (list: readonly AuditAnnotation[]) =>
  new GoLiteral(
    `[]admissionregistration.AuditAnnotation{${list
      .map(
        (a) =>
          `admissionregistration.AuditAnnotation{Key:${JSON.stringify(text(a?.key))}, ValueExpression:${JSON.stringify(text(a?.valueExpression))}}`,
      )
      .join(', ')}}`,
  );

function validateAuditAnnotation(policyName: string, a: AuditAnnotation, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const key = text(a.key);
  // The key is the second half of the audit annotation `<policy name>/<key>`.
  if (policyName.length) errs.push(...validateQualifiedName(`${policyName}/${key}`, `${f}.key`));
  else errs.push(fieldErr.invalid(`${f}.key`, key, 'requires metadata.name be non-empty'));
  const value = text(a.valueExpression).trim();
  if (value.length === 0) errs.push(fieldErr.required(`${f}.valueExpression`, 'valueExpression is not specified'));
  else if (Buffer.byteLength(value) > MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH)
    errs.push(fieldErr.required(`${f}.valueExpression`, `must not exceed ${MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH} bytes in length`));
  return errs;
}

/**
 * validateValidatingAdmissionPolicySpec. `ignoreMatchConditions` is the update's relaxation: the
 * match conditions and paramKind are unchanged, so the stored conditions are not checked again.
 */
export function validatePolicySpec(
  policyName: string,
  s: ValidatingAdmissionPolicySpec | null | undefined,
  ignoreMatchConditions = false,
): FieldError[] {
  const spec = asObject(s) ?? ({} as ValidatingAdmissionPolicySpec);
  const f = 'spec';
  const errs: FieldError[] = [];
  if (!isSet(spec.failurePolicy)) errs.push(fieldErr.required(`${f}.failurePolicy`));
  else if (!(FAILURE_POLICIES as readonly string[]).includes(text(spec.failurePolicy)))
    errs.push(fieldErr.notSupported(`${f}.failurePolicy`, text(spec.failurePolicy), FAILURE_POLICIES));
  const pk = asObject(spec.paramKind);
  if (pk) errs.push(...validateParamKind(pk, `${f}.paramKind`));
  const mc = asObject(spec.matchConstraints);
  if (!mc) errs.push(fieldErr.required(`${f}.matchConstraints`));
  else {
    errs.push(...validateMatchResources(mc, `${f}.matchConstraints`));
    // At least one resource rule: the rules give the expressions their types.
    if (!Array.isArray(mc.resourceRules) || mc.resourceRules.length === 0)
      errs.push(fieldErr.required(`${f}.matchConstraints.resourceRules`));
  }
  if (!ignoreMatchConditions) errs.push(...validateMatchConditions(spec.matchConditions, `${f}.matchConditions`));
  objectsIn(spec.variables).forEach((v, i) => errs.push(...validateVariable(v, `${f}.variables[${i}]`)));
  const validations = Array.isArray(spec.validations) ? spec.validations : [];
  const audits = Array.isArray(spec.auditAnnotations) ? spec.auditAnnotations : undefined;
  if (validations.length === 0 && (audits ?? []).length === 0) {
    const msg = 'validations or auditAnnotations must contain at least one item';
    errs.push(fieldErr.required(`${f}.validations`, msg), fieldErr.required(`${f}.auditAnnotations`, msg));
    return errs;
  }
  validations.forEach((v, i) => errs.push(...validateValidation(asObject(v) ?? ({} as Validation), `${f}.validations[${i}]`)));
  if (audits) {
    if (audits.length > MAX_AUDIT_ANNOTATIONS)
      errs.push(
        fieldErr.invalid(
          `${f}.auditAnnotations`,
          goAuditAnnotations(audits),
          `must not have more than ${MAX_AUDIT_ANNOTATIONS} auditAnnotations`,
        ),
      );
    const keys = new Set<string>();
    audits.forEach((raw, i) => {
      const a = asObject(raw) ?? ({} as AuditAnnotation);
      errs.push(...validateAuditAnnotation(policyName, a, `${f}.auditAnnotations[${i}]`));
      const key = text(a.key);
      if (keys.has(key)) errs.push(fieldErr.duplicate(`${f}.auditAnnotations[${i}].key`, key));
      keys.add(key);
    });
  }
  return errs;
}

/** validateParamRef: name or selector (not both), and what to do when no parameter is found. */
export function validateParamRef(ref: ParamRef | null | undefined, f: string): FieldError[] {
  const pr = asObject(ref);
  if (!pr) return [];
  const errs: FieldError[] = [];
  const name = text(pr.name);
  const selector = asObject(pr.selector);
  if (name.length > 0) {
    for (const m of nameIsPathSegment(name, false)) errs.push(fieldErr.invalid(`${f}.name`, name, m));
    if (selector) errs.push(fieldErr.forbidden(`${f}.name`, 'name and selector are mutually exclusive'));
  }
  if (selector) {
    errs.push(...labelSelector(selector, `${f}.selector`));
    if (name.length > 0) errs.push(fieldErr.forbidden(`${f}.selector`, 'name and selector are mutually exclusive'));
  }
  if (name.length === 0 && !selector) errs.push(fieldErr.required(f, 'one of name or selector must be specified'));
  const action = text(pr.parameterNotFoundAction);
  if (action.length === 0) errs.push(fieldErr.required(`${f}.parameterNotFoundAction`));
  else if (action !== 'Deny' && action !== 'Allow')
    // The list is upstream's, in its order (not a sorted set).
    errs.push(fieldErr.notSupported(`${f}.parameterNotFoundAction`, action, ['Deny', 'Allow']));
  return errs;
}

/** validateValidationActions: Deny, Warn, Audit, each once, never Deny with Warn, at least one. */
export function validateValidationActions(actions: readonly string[] | null | undefined, f: string): FieldError[] {
  const list = strings(actions);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list.forEach((a, i) => {
    if (!(VALIDATION_ACTIONS as readonly string[]).includes(a)) errs.push(fieldErr.notSupported(`${f}[${i}]`, a, VALIDATION_ACTIONS));
    if (seen.has(a)) errs.push(fieldErr.duplicate(`${f}[${i}]`, a));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn'))
    errs.push(
      fieldErr.invalid(
        f,
        goTypedSlice('admissionregistration.ValidationAction', list),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  if (seen.size === 0) errs.push(fieldErr.required(f, 'at least one validation action is required'));
  return errs;
}

/** validateValidatingAdmissionPolicyBindingSpec. */
export function validateBindingSpec(s: ValidatingAdmissionPolicyBindingSpec | null | undefined): FieldError[] {
  const spec = asObject(s) ?? ({} as ValidatingAdmissionPolicyBindingSpec);
  const f = 'spec';
  const errs: FieldError[] = [];
  const policyName = text(spec.policyName);
  if (policyName.length === 0) errs.push(fieldErr.required(`${f}.policyName`));
  else for (const m of nameIsDNSSubdomain(policyName, false)) errs.push(fieldErr.invalid(`${f}.policyName`, policyName, m));
  errs.push(...validateParamRef(spec.paramRef, `${f}.paramRef`));
  errs.push(...validateMatchResources(spec.matchResources, `${f}.matchResources`));
  errs.push(...validateValidationActions(spec.validationActions, `${f}.validationActions`));
  return errs;
}
