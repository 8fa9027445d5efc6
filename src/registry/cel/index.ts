// CEL validation rules of CustomResourceDefinitions (x-kubernetes-validations): compile a CRD
// version's rules once when the CRD is accepted, then validate its custom resources synchronously.
// The CEL engine (@marcbachmann/cel-js and the Kubernetes libraries on it, in ./compile.js) is
// loaded with import() on the first schema that has rules, so a cluster whose CRDs have none never
// loads it.
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import type { JSONSchemaProps } from '../../api/generated/apiextensions/v1.js';
import type { RuleValidator } from './validator.js';

export type { RuleResult, RuleValidator } from './validator.js';

/** Whether a schema declares any x-kubernetes-validations rule. */
export function hasValidationRules(p: JSONSchemaProps | undefined): boolean {
  if (!p) return false;
  if (p['x-kubernetes-validations']?.length) return true;
  if (Object.values(p.properties ?? {}).some(hasValidationRules)) return true;
  if (p.items && !Array.isArray(p.items) && hasValidationRules(p.items)) return true;
  return typeof p.additionalProperties === 'object' && hasValidationRules(p.additionalProperties);
}

let compiler: typeof import('./compile.js') | undefined;

/**
 * Loads the CEL engine (once). Writes that may bring rules (a CRD's create or update) await it
 * before their synchronous transaction; a start with stored CRDs that have rules awaits it too.
 */
export async function loadRuleCompiler(): Promise<void> {
  compiler ??= await import('./compile.js');
}

/**
 * compileSchemaRules for a caller that cannot wait (inside a write): the engine must be loaded
 * already when the schema has rules (loadRuleCompiler); a schema without rules never needs it.
 */
export function compileSchemaRulesLoaded(schema: JSONSchemaProps, path: string): { errors: FieldError[]; validator?: RuleValidator } {
  if (!hasValidationRules(schema)) return { errors: [] };
  if (!compiler) throw new Error('the CEL engine is not loaded (loadRuleCompiler)');
  return compiler.compileRules(schema, path);
}

/**
 * Compiles the rules of one CRD version's openAPIV3Schema. `path` is where the schema sits in the CRD
 * as upstream reports it (`spec.validation.openAPIV3Schema` when all versions share the schema, else
 * `spec.versions[i].schema.openAPIV3Schema`). Returns the CRD's field errors (a 422 when non-empty) and,
 * when there are rules and no errors, the validator for its custom resources.
 */
export async function compileSchemaRules(
  schema: JSONSchemaProps,
  path: string,
): Promise<{ errors: FieldError[]; validator?: RuleValidator }> {
  if (!hasValidationRules(schema)) return { errors: [] };
  await loadRuleCompiler();
  return compiler!.compileRules(schema, path);
}

const BLOCKING = new Set<FieldError['type']>([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

/**
 * Upstream's hasBlockingErr (customresource strategy): when the schema validation of a custom
 * resource found a wrong type, a missing required field, an enum or size violation, the rules are
 * not run and this error is reported instead; undefined when the rules should run.
 */
export function rulesBlockedBy(schemaErrors: readonly FieldError[]): FieldError | undefined {
  if (!schemaErrors.some((e) => BLOCKING.has(e.type))) return undefined;
  return fieldErr.invalid(
    '<nil>',
    null,
    'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  );
}
