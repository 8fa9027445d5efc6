// Webhook matchConditions (upstream's webhook/matchconditions matcher.go over plugin/cel filter.go):
// each condition compiles in the admission environment with `object`, `oldObject`, `request` and
// `authorizer` (no params, no variables) and must be a bool; a condition that does not compile or
// fails to evaluate reports upstream's text, `compilation error: ...` or
// `expression '<expression>' resulted in error: ...`. This module loads the CEL engine: import it
// with import(), never statically.
import type { UserInfo } from '../../auth/users.js';
import type { AuthzCheck, RequestResource } from './admission-authz.js';
import {
  admissionEnvironment,
  authorizerValue,
  compileExpression,
  dynValue,
  requestValue,
  run,
  type CompiledExpression,
} from './admission-environment.js';

export type ConditionResult = { name: string; value: boolean } | { name: string; error: string };

export interface ConditionInput {
  request: unknown;
  object: unknown;
  oldObject: unknown;
  user: UserInfo;
  requestResource: RequestResource;
  authorizer?: AuthzCheck;
}

/** Compiles a webhook's conditions once; the function evaluates them for a request, in order. */
export function compileConditions(
  conditions: readonly { name: string; expression: string }[],
): (input: ConditionInput) => ConditionResult[] {
  const ae = admissionEnvironment({ params: false, authorizer: true });
  const compiled: { name: string; expression: string; result: CompiledExpression }[] = conditions.map((c) => ({
    name: c.name,
    expression: c.expression,
    result: compileExpression(ae.env, ae.functions, c.expression, ['bool']),
  }));
  return (input) => {
    const rt = ae.runtime;
    const act: Record<string, unknown> = {
      object: dynValue(input.object, rt),
      oldObject: dynValue(input.oldObject, rt),
      request: requestValue(input.request, rt),
      namespaceObject: null,
    };
    if (input.authorizer) act.authorizer = authorizerValue(input.user, input.authorizer, input.requestResource);
    return compiled.map((c): ConditionResult => {
      if ('error' in c.result) return { name: c.name, error: `compilation error: ${c.result.error}` };
      const r = run(c.result.program, act);
      if ('error' in r) return { name: c.name, error: `expression '${c.expression}' resulted in error: ${r.error}` };
      return { name: c.name, value: r.value === true };
    });
  };
}
