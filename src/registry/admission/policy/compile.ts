// Compiling a ValidatingAdmissionPolicy (upstream's validating/plugin.go compilePolicy) and running
// it for one binding and param (validating/validator.go Validate). Variables compile in order,
// each seeing the ones before it, and evaluate lazily once per request (plugin/cel/composition.go);
// validations, matchConditions and auditAnnotations see `authorizer`, messageExpressions do not.
// An expression that does not compile is kept as its error: a request the policy matches then fails
// (or not, per failurePolicy) with `compilation error: ...`, as upstream's filter reports it.
// This module loads the CEL engine: import it with import() (./index.ts does).
import type { Environment } from '@marcbachmann/cel-js';
import type { ValidatingAdmissionPolicy } from '../../../api/generated/admissionregistration/v1.js';
import {
  admissionEnvironment,
  authorizerValue,
  celTypeOfValue,
  compileExpression,
  dynValue,
  namespaceValue,
  requestValue,
  run,
  VariablesValue,
  type CompiledExpression,
} from '../../cel/admission-environment.js';
import type { ValueRuntime } from '../../cel/values.js';
import { aggregateMessage } from './aggregate.js';
import type {
  CompiledPolicy,
  ExpressionCompileError,
  PolicyAuditAnnotation,
  PolicyDecision,
  PolicyInput,
  ValidateResult,
} from './types.js';

/** celconfig.MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;

interface Compiled {
  expression: string;
  result: CompiledExpression;
}

/** The variables of one evaluation, each converted to its CEL value on first use. */
class Activation {
  private cached = new Map<string, unknown>();
  readonly variables: VariablesValue;
  constructor(
    private readonly input: PolicyInput,
    private readonly rt: ValueRuntime,
    resolve: (name: string, act: Activation) => unknown,
  ) {
    this.variables = new VariablesValue((name) => resolve(name, this));
  }
  private once(name: string, make: () => unknown): unknown {
    if (this.cached.has(name)) return this.cached.get(name);
    const v = make();
    this.cached.set(name, v);
    return v;
  }
  get object() {
    return this.once('object', () => dynValue(this.input.object, this.rt));
  }
  get oldObject() {
    return this.once('oldObject', () => dynValue(this.input.oldObject, this.rt));
  }
  get request() {
    return this.once('request', () => requestValue(this.input.request, this.rt));
  }
  get namespaceObject() {
    return this.once('namespaceObject', () => namespaceValue(this.input.namespace, this.rt));
  }
  get params() {
    return this.once('params', () => dynValue(this.input.params, this.rt));
  }
  get authorizer() {
    const { authorizer, user, requestResource } = this.input;
    return authorizer && this.once('authorizer', () => authorizerValue(user, authorizer, requestResource));
  }
}

/** The outcome of one expression as upstream's filter reports it: a value or the error text. */
function evaluate(c: Compiled, activation: Activation): { value: unknown } | { error: string } {
  if ('error' in c.result) return { error: `compilation error: ${c.result.error}` };
  const r = run(c.result.program, activation);
  return 'error' in r ? { error: `expression '${c.expression}' resulted in error: ${r.error}` } : r;
}

export function compilePolicy(policy: ValidatingAdmissionPolicy): CompiledPolicy {
  const spec = policy.spec ?? {};
  const hasParams = !!spec.paramKind;
  const failurePolicy = spec.failurePolicy ?? 'Fail';
  const withAuthz = admissionEnvironment({ params: hasParams, authorizer: true });
  const noAuthz = admissionEnvironment({ params: hasParams, authorizer: false });
  // Kept in the order upstream's create validation reports them: matchConditions, variables,
  // validations (expression, messageExpression), auditAnnotations.
  const errorsOf = { matchConditions: [] as ExpressionCompileError[], other: [] as ExpressionCompileError[] };
  const compile = (env: Environment, functions: ReadonlySet<string>, field: string, src: string, types?: string[]) => {
    const result = compileExpression(env, functions, src, types);
    // A blank expression is the structural validation's Required error, not a compile error.
    if ('error' in result && src.trim()) errorsOf.other.push({ field, expression: src, detail: result.error });
    return { expression: src, result };
  };

  const declared: { name: string; type: string }[] = [];
  const variables = new Map<string, Compiled>();
  (spec.variables ?? []).forEach((v, i) => {
    const c = compile(withAuthz.withVariables(declared), withAuthz.functions, `spec.variables[${i}].expression`, v.expression ?? '');
    variables.set(v.name, c);
    declared.push({ name: v.name, type: 'error' in c.result ? 'dyn' : c.result.type });
  });
  const env = withAuthz.withVariables(declared);
  const messageEnv = (spec.validations ?? []).some((v) => v.messageExpression) ? noAuthz.withVariables(declared) : undefined;

  const matchConditions = (spec.matchConditions ?? []).map((m, i) => {
    const expression = m.expression ?? '';
    const trimmed = expression.trim();
    // Create validation checks them without `variables`; requests evaluate them with.
    const alone = compileExpression(withAuthz.env, withAuthz.functions, trimmed, ['bool']);
    if ('error' in alone && trimmed)
      errorsOf.matchConditions.push({ field: `spec.matchConditions[${i}].expression`, expression: trimmed, detail: alone.error });
    const result = declared.length || trimmed !== expression ? compileExpression(env, withAuthz.functions, expression, ['bool']) : alone;
    return { expression, result };
  });
  const validations = (spec.validations ?? []).map((v, i) => ({
    ...compile(env, withAuthz.functions, `spec.validations[${i}].expression`, v.expression ?? '', ['bool']),
    message: v.message ?? '',
    reason: v.reason,
    messageExpression: v.messageExpression
      ? compile(messageEnv!, noAuthz.functions, `spec.validations[${i}].messageExpression`, v.messageExpression, ['string'])
      : undefined,
  }));
  const auditAnnotations = (spec.auditAnnotations ?? []).map((a, i) => ({
    key: a.key,
    ...compile(env, withAuthz.functions, `spec.auditAnnotations[${i}].valueExpression`, a.valueExpression ?? '', ['string', 'null']),
  }));

  const errorAction: PolicyDecision['action'] = failurePolicy === 'Ignore' ? 'admit' : 'deny';

  function activation(input: PolicyInput): Activation {
    return new Activation(input, withAuthz.runtime, (name, act) => {
      const c = variables.get(name)!;
      if ('error' in c.result) throw new Error(`composited variable "${name}" fails to compile: ${c.result.error}`);
      const r = run(c.result.program, act);
      if ('error' in r) throw new Error(`composited variable "${name}" fails to evaluate: ${r.error}`);
      return r.value;
    });
  }

  /** The failure message: the messageExpression's, else the message, else the expression (validator.go). */
  function messageFor(v: (typeof validations)[number], act: Activation): string {
    if (v.messageExpression) {
      const r = evaluate(v.messageExpression, act);
      if ('value' in r && typeof r.value === 'string') {
        const m = r.value.trim();
        if (m && Buffer.byteLength(m) <= MAX_MESSAGE_BYTES && !m.includes('\n')) return m;
      }
    }
    return v.message.trim() || `failed expression: ${v.expression.trim()}`;
  }

  function validate(input: PolicyInput): ValidateResult {
    const act = activation(input);
    if (matchConditions.length) {
      const errors: string[] = [];
      for (const m of matchConditions) {
        const r = evaluate(m, act);
        if ('error' in r) errors.push(r.error);
        // Any condition false: the policy does not apply, whatever the others gave.
        else if (r.value === false) return { decisions: [], auditAnnotations: [] };
      }
      if (errors.length) {
        if (failurePolicy === 'Ignore') return { decisions: [], auditAnnotations: [] };
        return { decisions: [{ action: errorAction, evaluation: 'error', message: aggregateMessage(errors) }], auditAnnotations: [] };
      }
    }
    const decisions = validations.map((v): PolicyDecision => {
      const r = evaluate(v, act);
      if ('error' in r) return { action: errorAction, evaluation: 'error', message: r.error };
      if (r.value === true) return { action: 'admit', evaluation: 'admit', message: '' };
      return { action: 'deny', evaluation: 'deny', message: messageFor(v, act), reason: v.reason ?? 'Invalid' };
    });
    const annotations = auditAnnotations.map((a): PolicyAuditAnnotation => {
      const r = evaluate(a, act);
      if ('error' in r) return { key: a.key, action: failurePolicy === 'Ignore' ? 'exclude' : 'error', error: r.error };
      if (r.value === null) return { key: a.key, action: 'exclude' };
      if (typeof r.value === 'string') {
        const value = r.value.trim();
        return value ? { key: a.key, action: 'publish', value } : { key: a.key, action: 'exclude' };
      }
      return {
        key: a.key,
        action: 'error',
        error: `valueExpression '${a.expression}' resulted in unsupported return type: ${celTypeOfValue(r.value)}. Return type must be either string or null.`,
      };
    });
    return { decisions, auditAnnotations: annotations };
  }

  return { failurePolicy, compileErrors: [...errorsOf.matchConditions, ...errorsOf.other], validate };
}
