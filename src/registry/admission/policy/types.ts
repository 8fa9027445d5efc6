// What a compiled ValidatingAdmissionPolicy is given and what it decides (upstream's
// policy/validating interface.go and policy_decision.go), shared by the compiler (which loads
// the CEL engine) and the dispatcher (which does not).
import type { AuthzCheck, RequestResource } from '../../cel/admission-authz.js';
import type { UserInfo } from '../../../auth/users.js';
import type { AdmissionObject, AdmissionRequest } from '../types.js';

/** One evaluation of a policy: for one binding and one param. */
export interface PolicyInput {
  /** The AdmissionRequest as the policy sees it (the matched kind and resource), without uid, object and oldObject. */
  request: Omit<AdmissionRequest, 'uid' | 'object' | 'oldObject' | 'options'> & { options?: unknown };
  object: AdmissionObject | null;
  oldObject: AdmissionObject | null;
  /** The param object; null when the binding has no paramRef. */
  params: AdmissionObject | null;
  /** The request's Namespace (namespaceObject); null for cluster-scoped requests. */
  namespace: AdmissionObject | null;
  user: UserInfo;
  /** Answers the `authorizer` checks; without it an expression that reads `authorizer` fails. */
  authorizer?: AuthzCheck;
  requestResource: RequestResource;
}

/** PolicyDecision: admit or deny, from a passing or failing validation or from an error. */
export interface PolicyDecision {
  action: 'admit' | 'deny';
  evaluation: 'admit' | 'deny' | 'error';
  message: string;
  /** The validation's reason for a failed validation (Invalid when unset). */
  reason?: string;
}

/** PolicyAuditAnnotation: publish the value, leave it out, or fail (failurePolicy Fail). */
export interface PolicyAuditAnnotation {
  key: string;
  action: 'publish' | 'exclude' | 'error';
  value?: string;
  error?: string;
}

export interface ValidateResult {
  decisions: PolicyDecision[];
  auditAnnotations: PolicyAuditAnnotation[];
}

/** An expression that did not compile, where upstream's create validation reports it. */
export interface ExpressionCompileError {
  /** `spec.validations[0].expression` and so on. */
  field: string;
  expression: string;
  /** Upstream's error Detail: `compilation failed: ERROR: <input>:1:1: ...` or `must evaluate to bool but got dyn`. */
  detail: string;
}

export interface CompiledPolicy {
  failurePolicy: string;
  /**
   * Expressions that do not compile, as upstream's create and update validation reports them. At
   * request time such an expression fails (per failurePolicy) with `compilation error: ...`.
   */
  compileErrors: ExpressionCompileError[];
  validate(input: PolicyInput): ValidateResult;
}
