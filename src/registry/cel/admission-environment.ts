// The CEL environment of admission expressions (upstream's plugin/cel compile.go createEnvForOpts):
// Kubernetes' base environment plus `object`, `oldObject` (dyn), `request` (kubernetes.AdmissionRequest),
// `namespaceObject` (the kubernetes.Namespace fields, declared dyn), `params` (dyn, when the policy has a paramKind),
// `authorizer` and `authorizer.requestResource` (the authz library, when declared), and `variables`
// (the policy's composited variables, each typed by what its expression gives).
// Expressions are compiled with upstream's error texts (`compilation failed: ERROR: ...`,
// `must evaluate to bool but got dyn`) and evaluated synchronously. Like ./compile.ts, this module
// loads the CEL engine: import it with import(), never statically.
import { Environment, EvaluationError, type ParseResult } from '@marcbachmann/cel-js';
import type { UserInfo } from '../../auth/users.js';
import { baseEnvironment } from './environment.js';
import { celTypeName, formatIssue, type EngineError } from './issues.js';
import { registerAuthz, AUTHZ_FUNCTIONS, newAuthorizerValue, type AuthzCheck, type RequestResource } from './admission-authz.js';
import { RE2_MATCHES } from './library/regex.js';
import type { CelModel, ObjectModel } from './model.js';
import { runtimeErrorText } from './validator.js';
import { toCel, type ValueRuntime } from './values.js';

export type { AuthzCheck, RequestResource } from './admission-authz.js';

/** Which optional variables an environment declares (upstream's OptionalVariableDeclarations). */
export interface AdmissionDeclarations {
  params: boolean;
  authorizer: boolean;
}

const DYN: CelModel = { kind: 'dyn', type: 'dyn' };
const TIMESTAMP = 'google.protobuf.Timestamp';
const scalar = (kind: 'string' | 'bool' | 'int' | 'timestamp'): CelModel => ({ kind, type: kind === 'timestamp' ? TIMESTAMP : kind });
const strings: CelModel = { kind: 'list', type: 'list<string>', elem: scalar('string') };
const stringMap = (value: CelModel): CelModel => ({ kind: 'map', type: `map<string, ${value.type}>`, value });

/** A message type's model; the JSON key is the field's CEL name. */
function message(type: string, fields: Record<string, CelModel>): ObjectModel {
  const ctor = { [type]: class extends Map<string, unknown> {} }[type]!;
  return { kind: 'object', type, ctor, fields: new Map(Object.entries(fields).map(([k, model]) => [k, { cel: k, model }])) };
}

// BuildRequestType: uid, object and oldObject are not part of it (the latter two are root variables).
const GVK = message('kubernetes.GroupVersionKind', { group: scalar('string'), version: scalar('string'), kind: scalar('string') });
const GVR = message('kubernetes.GroupVersionResource', { group: scalar('string'), version: scalar('string'), resource: scalar('string') });
const USER_INFO = message('kubernetes.UserInfo', {
  username: scalar('string'),
  uid: scalar('string'),
  groups: strings,
  extra: stringMap(strings),
});
const REQUEST = message('kubernetes.AdmissionRequest', {
  kind: GVK,
  resource: GVR,
  subResource: scalar('string'),
  requestKind: GVK,
  requestResource: GVR,
  requestSubResource: scalar('string'),
  name: scalar('string'),
  namespace: scalar('string'),
  operation: scalar('string'),
  userInfo: USER_INFO,
  dryRun: scalar('bool'),
  options: DYN,
});

// BuildNamespaceType: the fields of a Namespace an expression may read (CreateNamespaceObject).
const NS_CONDITION = message('kubernetes.NamespaceCondition', {
  status: scalar('string'),
  type: scalar('string'),
  lastTransitionTime: scalar('timestamp'),
  message: scalar('string'),
  reason: scalar('string'),
});
const NAMESPACE = message('kubernetes.Namespace', {
  metadata: message('kubernetes.NamespaceMetadata', {
    name: scalar('string'),
    generateName: scalar('string'),
    namespace: scalar('string'),
    labels: stringMap(scalar('string')),
    annotations: stringMap(scalar('string')),
    // Upstream declares the field with this spelling, so it is never set from the object's `uid`.
    UID: scalar('string'),
    creationTimestamp: scalar('timestamp'),
    deletionGracePeriodSeconds: scalar('int'),
    deletionTimestamp: scalar('timestamp'),
    generation: scalar('int'),
    resourceVersion: scalar('string'),
    finalizers: strings,
  }),
  spec: message('kubernetes.NamespaceSpec', { finalizers: strings }),
  status: message('kubernetes.NamespaceStatus', {
    conditions: { kind: 'list', type: 'list<kubernetes.NamespaceCondition>', elem: NS_CONDITION },
    phase: scalar('string'),
  }),
});

function registerMessages(env: Environment, m: CelModel, seen: Set<string>): void {
  if (m.kind === 'list') return registerMessages(env, m.elem, seen);
  if (m.kind === 'map') return registerMessages(env, m.value, seen);
  if (m.kind !== 'object' || seen.has(m.type)) return;
  seen.add(m.type);
  for (const f of m.fields.values()) registerMessages(env, f.model, seen);
  const fields: Record<string, string> = {};
  for (const [k, f] of m.fields) fields[k] = f.model.type;
  env.registerType(m.type, { ctor: m.ctor!, fields });
}

export const VARIABLES_TYPE = 'kubernetes.variables';

/** The values of `variables`: each evaluated on first use and kept for the rest of the request. */
export class VariablesValue extends Map<string, unknown> {
  private readonly done = new Map<string, { value?: unknown; error?: string }>();
  constructor(private readonly resolve: (name: string) => unknown) {
    super();
  }
  override get(name: string): unknown {
    let r = this.done.get(name);
    if (!r) {
      try {
        r = { value: this.resolve(name) };
      } catch (e) {
        r = { error: (e as Error).message };
      }
      this.done.set(name, r);
    }
    if (r.error !== undefined) throw new EvaluationError(r.error);
    return r.value;
  }
  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

export interface AdmissionEnvironment {
  /** Every function name the environment declares (for cel-go's `undeclared reference` texts). */
  functions: Set<string>;
  runtime: ValueRuntime;
  /** The environment without `variables` (webhook matchConditions). */
  env: Environment;
  /** A child environment with `variables` declared as these (name, CEL type) fields. */
  withVariables(vars: readonly { name: string; type: string }[]): Environment;
}

const envs = new Map<string, AdmissionEnvironment>();

/** The admission environment for these declarations (built once each). */
export function admissionEnvironment(decl: AdmissionDeclarations): AdmissionEnvironment {
  const key = `${decl.params}/${decl.authorizer}`;
  const cached = envs.get(key);
  if (cached) return cached;
  const base = baseEnvironment();
  const env = base.env.clone();
  const seen = new Set<string>();
  registerMessages(env, REQUEST, seen);
  registerMessages(env, NAMESPACE, seen);
  env
    .registerVariable('object', 'dyn')
    .registerVariable('oldObject', 'dyn')
    .registerVariable('request', REQUEST.type)
    // Declared dyn, not kubernetes.Namespace: the engine cannot hold null (a cluster-scoped request)
    // in a message-typed variable. Its value still has the Namespace type's fields only.
    .registerVariable('namespaceObject', 'dyn');
  if (decl.params) env.registerVariable('params', 'dyn');
  const functions = new Set(base.functions);
  if (decl.authorizer) {
    registerAuthz(env);
    env.registerVariable('authorizer', 'kubernetes.authorization.Authorizer');
    for (const f of AUTHZ_FUNCTIONS) functions.add(f);
  }
  const made: AdmissionEnvironment = {
    functions,
    runtime: base.runtime,
    env,
    withVariables(vars) {
      const child = env.clone();
      const fields: Record<string, string> = {};
      for (const v of vars) fields[v.name] = v.type;
      return child.registerType(VARIABLES_TYPE, { ctor: VariablesValue, fields }).registerVariable('variables', VARIABLES_TYPE);
    },
  };
  envs.set(key, made);
  return made;
}

/** A compiled expression, or the Detail of upstream's compile error. */
export type CompiledExpression = { program: ParseResult; type: string } | { error: string };

type AstNode = { op: string; args: unknown[] };

/** A type as cel-go prints it (the engine's `null` is cel-go's null_type). */
const goTypeName = (t: string) => (t === 'null' ? 'null_type' : celTypeName(t));

/** The RE2 matches() of library/regex.ts in place of the engine's own (see compile.ts). */
function useRE2Matches(ast: unknown): void {
  const stack = [ast];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) stack.push(...n);
    else if (n && typeof n === 'object' && 'op' in n) {
      const node = n as AstNode;
      if ((node.op === 'rcall' || node.op === 'call') && node.args[0] === 'matches') node.args[0] = RE2_MATCHES;
      stack.push(node.args);
    }
  }
}

/**
 * CompileCELExpression: parse and type-check `src`, whose type must be one of `returnTypes` exactly
 * (CEL type names; none given: any type).
 */
export function compileExpression(
  env: Environment,
  functions: ReadonlySet<string>,
  src: string,
  returnTypes?: readonly string[],
): CompiledExpression {
  const parses = (prefix: string) => {
    try {
      env.parse(prefix);
      return true;
    } catch {
      return false;
    }
  };
  let program: ParseResult;
  try {
    program = env.parse(src);
  } catch (e) {
    return { error: `compilation failed: ${formatIssue(e as EngineError, src, functions, parses)}` };
  }
  useRE2Matches(program.ast);
  const c = program.check();
  if (!c.valid) return { error: `compilation failed: ${formatIssue(c.error as unknown as EngineError, src, functions, parses)}` };
  const type = String(c.type);
  if (returnTypes && !returnTypes.includes(type)) {
    const got = goTypeName(type);
    const want = returnTypes.map(goTypeName);
    return {
      error:
        want.length === 1 ? `must evaluate to ${want[0]} but got ${got}` : `must evaluate to one of [${want.join(' ')}] but got ${got}`,
    };
  }
  return { program, type };
}

/** Runs a compiled expression: its value, or cel-go's text for the evaluation error. */
export function run(program: ParseResult, activation: object): { value: unknown } | { error: string } {
  try {
    return { value: program(activation) };
  } catch (e) {
    return { error: runtimeErrorText(e) };
  }
}

/** A JSON value as a dyn CEL value (null stays null: a DELETE's `object`). */
export const dynValue = (raw: unknown, rt: ValueRuntime): unknown => (raw === undefined ? null : (toCel(raw, DYN, rt) ?? null));

/** The AdmissionRequest (without uid, object and oldObject) as `request`. */
export const requestValue = (req: unknown, rt: ValueRuntime): unknown => toCel(req, REQUEST, rt);

/** A Namespace as `namespaceObject`; null for cluster-scoped requests. */
export const namespaceValue = (ns: unknown, rt: ValueRuntime): unknown => (ns ? (toCel(ns, NAMESPACE, rt) ?? null) : null);

/** The `authorizer` value: checks run as `user`, and `authorizer.requestResource` is the request's resource. */
export const authorizerValue = (user: UserInfo, check: AuthzCheck, requestResource: RequestResource): unknown =>
  newAuthorizerValue(user, check, requestResource);

/** The CEL type name of a value a program returned (for upstream's unsupported-return-type text). */
export function celTypeOfValue(v: unknown): string {
  if (v === null) return 'null_type';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
  }
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'map';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  if (v instanceof Uint8Array) return 'bytes';
  return (v as object).constructor?.name ?? 'dyn';
}
