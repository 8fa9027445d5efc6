// ValidatingAdmissionPolicy evaluation, for the write path: `loadPolicyCompiler()` loads the CEL
// engine (once; await it before a synchronous write whenever a policy exists), then
// `evaluateValidatingPolicies()` runs synchronously. Policies are compiled on first use and kept
// until their resourceVersion (or spec) changes. A request with no policy or no binding returns at
// once without touching the engine.
import type { ValidatingAdmissionPolicy } from '../../../api/generated/admissionregistration/v1.js';
import { fieldErr, type FieldError } from '../../../apimachinery/field.js';
import { evaluatePolicies, type PolicyEvaluationInput, type PolicyEvaluationResult } from './evaluate.js';
import type { CompiledPolicy } from './types.js';

export type { PolicyEvaluationInput, PolicyEvaluationResult } from './evaluate.js';
export type { ParamSource } from './params.js';
export type { CompiledPolicy, ExpressionCompileError } from './types.js';

let compiler: typeof import('./compile.js') | undefined;

/** Loads the CEL engine and the policy compiler (once). */
export async function loadPolicyCompiler(): Promise<void> {
  compiler ??= await import('./compile.js');
}

/** Whether the engine is loaded, so that policies can be compiled and evaluated synchronously. */
export const policyCompilerLoaded = (): boolean => compiler !== undefined;

/** Compiles a policy (the engine must be loaded). Its compileErrors are what upstream's create validation reports. */
export function compilePolicy(policy: ValidatingAdmissionPolicy): CompiledPolicy {
  if (!compiler) throw new Error('the CEL engine is not loaded (loadPolicyCompiler)');
  return compiler.compilePolicy(policy);
}

/**
 * The policy's expressions that do not compile, as the field errors upstream's create and update
 * validation gives (`spec.validations[0].expression: Invalid value: "object.spec.paused": must
 * evaluate to bool but got dyn`). The engine must be loaded.
 */
export function policyExpressionErrors(policy: ValidatingAdmissionPolicy): FieldError[] {
  return compilePolicy(policy).compileErrors.map((e) => fieldErr.invalid(e.field, e.expression, e.detail));
}

const cache = new Map<string, { key: string; compiled: CompiledPolicy }>();

function cacheKey(p: ValidatingAdmissionPolicy): string {
  const m = p.metadata ?? {};
  return m.resourceVersion ? `${m.uid ?? ''}/${m.resourceVersion}` : JSON.stringify(p.spec ?? {});
}

/** The compiled form of a policy, compiled again when it changed. */
export function compiledPolicy(p: ValidatingAdmissionPolicy): CompiledPolicy {
  const name = p.metadata?.name ?? '';
  const key = cacheKey(p);
  const hit = cache.get(name);
  if (hit?.key === key) return hit.compiled;
  const compiled = compilePolicy(p);
  cache.set(name, { key, compiled });
  return compiled;
}

/** Drops compiled policies that are no longer stored (call with the current names now and then). */
export function pruneCompiledPolicies(names: ReadonlySet<string>): void {
  for (const n of cache.keys()) if (!names.has(n)) cache.delete(n);
}

/**
 * The ValidatingAdmissionPolicy step for one request: denied (the StatusError to fail with),
 * warnings and audit annotations. Synchronous; throws if a matching policy needs the engine and
 * loadPolicyCompiler() has not completed.
 */
export function evaluateValidatingPolicies(input: PolicyEvaluationInput): PolicyEvaluationResult {
  return evaluatePolicies(input, compiledPolicy);
}
