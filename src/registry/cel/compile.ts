// Compiling a CRD version's x-kubernetes-validations (upstream's cel.Compile per schema node, and the
// CEL part of the CRD's create/update validation in apis/apiextensions/validation/validation.go).
// Every node with rules gets `self` (and `oldSelf`) typed from its schema; a rule must type-check and
// give a bool, a messageExpression a string, a fieldPath must name a field under the node, and
// oldSelf is refused below a list that is not x-kubernetes-list-type=map. The errors are upstream's
// field errors; the compiled programs make a RuleValidator.
// This module loads the CEL engine: import it with import() (index.ts does), never statically.
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { fieldErr, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { goQuote } from '../../apimachinery/go-format.js';
import type { JSONSchemaProps, ValidationRule } from '../../api/generated/apiextensions/v1.js';
import { newStructural, NonStructuralError, type Structural } from '../apiextensions/schema/structural.js';
import { baseEnvironment, type BaseEnvironment } from './environment.js';
import { celEqual } from './equality.js';
import { concatLists } from './list-concat.js';
import { validFieldPath } from './field-path.js';
import { formatIssue, type EngineError } from './issues.js';
import { RE2_MATCHES } from './library/regex.js';
import { celModelOf, type ObjectModel } from './model.js';
import { newRuleValidator, type CompiledRule, type RuleNode, type RuleValidator } from './validator.js';

export interface CompileResult {
  /** Field errors for the CRD (422), at `<path>...x-kubernetes-validations[i].rule` and its siblings. */
  errors: FieldError[];
  /** Present when the schema has rules and all of them compiled. */
  validator?: RuleValidator;
}

let typeCounter = 0;

/**
 * Go's %#v of the internal ValidationRule, the bad value upstream reports with a rule's compile error.
 * Go prints a set pointer field as its address, different in every request: a fixed one stands in.
 */
function goRule(r: ValidationRule): GoLiteral {
  const ptr = (t: string, v: unknown) => (v === undefined ? `(${t})(nil)` : `(${t})(0xc000010000)`);
  return new GoLiteral(
    `apiextensions.ValidationRule{Rule:${goQuote(r.rule ?? '')}, Message:${goQuote(r.message ?? '')}, MessageExpression:${goQuote(
      r.messageExpression ?? '',
    )}, Reason:${ptr('*apiextensions.FieldValueErrorReason', r.reason)}, FieldPath:${goQuote(r.fieldPath ?? '')}, OptionalOldSelf:${ptr(
      '*bool',
      r.optionalOldSelf,
    )}}`,
  );
}

/** A message type's values: a Map of its fields, one class per type so the engine knows the type. */
function messageClass(name: string): new () => Map<string, unknown> {
  return { [name]: class extends Map<string, unknown> {} }[name]!;
}

type AstNode = { op: string; args: unknown[] };

/** Every node of an engine AST: nodes are {op, args}, and args hold nodes, arrays of them and literals. */
function* astNodes(ast: unknown): Generator<AstNode> {
  const stack = [ast];
  while (stack.length) {
    const n = stack.pop();
    if (Array.isArray(n)) stack.push(...n);
    else if (n && typeof n === 'object' && 'op' in n) {
      yield n as AstNode;
      stack.push((n as AstNode).args);
    }
  }
}

function usesVariable(ast: unknown, name: string): boolean {
  for (const n of astNodes(ast)) if (n.op === 'id' && (n.args as unknown) === name) return true;
  return false;
}

/** The environments of one schema node: `self` typed from its schema, `oldSelf` plain or optional. */
class NodeEnvironments {
  readonly selfType: string;
  /** The CEL field names of each message type. */
  readonly fields = new Map<string, Set<string>>();
  private plain?: Environment;
  private optional?: Environment;
  private readonly typed: Environment;
  constructor(base: BaseEnvironment, node: RuleNode, objects: ObjectModel[]) {
    this.selfType = node.model?.type ?? 'dyn';
    this.typed = base.env.clone();
    for (const o of objects) {
      o.ctor = messageClass(o.type);
      const fields: Record<string, string> = {};
      for (const f of o.fields.values()) fields[f.cel] = f.model.type;
      this.fields.set(o.type, new Set(Object.keys(fields)));
      this.typed.registerType(o.type, { ctor: o.ctor, fields });
      this.typed.registerOperator(`${o.type} == ${o.type}`, celEqual);
    }
  }
  env(optionalOldSelf: boolean): Environment {
    if (optionalOldSelf)
      return (this.optional ??= this.typed
        .clone()
        .registerVariable('self', this.selfType)
        .registerVariable('oldSelf', `optional<${this.selfType}>`));
    return (this.plain ??= this.typed.clone().registerVariable('self', this.selfType).registerVariable('oldSelf', this.selfType));
  }
}

type Checked = { program: ParseResult; type?: string } | { error: string };

/**
 * The engine's matches() is JavaScript's RegExp, and it cannot be replaced: calls to it are renamed
 * to the RE2 one (library/regex.ts) before type checking, so patterns mean what they mean upstream.
 */
function useRE2Matches(ast: unknown): void {
  for (const n of astNodes(ast)) if ((n.op === 'rcall' || n.op === 'call') && n.args[0] === 'matches') n.args[0] = RE2_MATCHES;
}

/**
 * The engine does not check the field inside has() against the message type; cel-go does
 * (`undefined field`). Returns the select node naming an undeclared field, if any.
 */
function undeclaredHasField(ast: unknown, fields: ReadonlyMap<string, ReadonlySet<string>>): unknown {
  for (const n of astNodes(ast)) {
    if (n.op !== 'call' || n.args[0] !== 'has') continue;
    const sel = (n.args[1] as { op: string; args: [{ checkedType?: unknown }, string] }[])[0];
    const declared = sel?.op === '.' ? fields.get(String(sel.args[0].checkedType)) : undefined;
    if (declared && !declared.has(sel!.args[1])) return sel;
  }
  return undefined;
}

/**
 * cel-go's literal validators in Kubernetes' environment (ValidateDurationLiterals,
 * ValidateTimestampLiterals, ValidateRegexLiterals): a constant argument of duration(), timestamp()
 * or matches() must be valid. Returns the literal node and the function, if one is not.
 */
function invalidLiteral(ast: unknown, base: BaseEnvironment): { node: unknown; fn: string } | undefined {
  for (const n of astNodes(ast)) {
    if (n.op !== 'call' && n.op !== 'rcall') continue;
    const fn = n.args[0] === RE2_MATCHES ? 'matches' : String(n.args[0]);
    if (fn !== 'duration' && fn !== 'timestamp' && fn !== 'matches') continue;
    const args = (n.op === 'call' ? n.args[1] : n.args[2]) as { op: string; args: unknown }[];
    // The pattern is matches()' argument, or the second one of the global form.
    const lit = fn === 'matches' && n.op === 'call' ? args[1] : args[0];
    if (lit?.op === 'value' && typeof lit.args === 'string' && !base.literalValid(fn, lit.args)) return { node: lit, fn };
  }
  return undefined;
}

/**
 * Gives `==`, `!=` and `+` on lists the semantics of x-kubernetes-list-type set and map lists
 * (equality.ts, list-concat.ts): the engine's own list operators cannot be replaced, so these nodes get their own
 * evaluation once type-checked.
 */
function useListTypes(ast: unknown): void {
  type Run = { run(node: unknown, ctx: unknown): unknown };
  for (const n of astNodes(ast)) {
    if (n.op !== '==' && n.op !== '!=' && n.op !== '+') continue;
    const [l, r] = n.args as { checkedType?: { kind?: string } }[];
    if (l?.checkedType?.kind !== 'list' || r?.checkedType?.kind !== 'list') continue;
    const op = n.op;
    (n as unknown as { evaluate: unknown }).evaluate = (ev: Run, node: AstNode, ctx: unknown) => {
      const a = ev.run(node.args[0], ctx) as unknown[];
      const b = ev.run(node.args[1], ctx) as unknown[];
      if (op === '+') return concatLists(a, b);
      return celEqual(a, b) === (op === '==');
    };
  }
}

function check(base: BaseEnvironment, env: Environment, src: string, fields: ReadonlyMap<string, ReadonlySet<string>>): Checked {
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
    return { error: formatIssue(e as EngineError, src, base.functions, parses) };
  }
  useRE2Matches(program.ast);
  const c = program.check();
  if (!c.valid) return { error: formatIssue(c.error as unknown as EngineError, src, base.functions, parses) };
  const undeclared = undeclaredHasField(program.ast, fields);
  if (undeclared)
    return { error: formatIssue({ name: 'TypeError', code: 'no_such_key', message: '', node: undeclared }, src, base.functions, parses) };
  const lit = invalidLiteral(program.ast, base);
  if (lit)
    return {
      error: formatIssue(
        { name: 'TypeError', code: 'invalid_literal', message: `invalid ${lit.fn} argument`, node: lit.node },
        src,
        base.functions,
        parses,
      ),
    };
  useListTypes(program.ast);
  return { program, type: c.type };
}

class Compiler {
  readonly errors: FieldError[] = [];
  constructor(private readonly base: BaseEnvironment) {}

  /**
   * The rule tree under `props` (its structural form `s`) at field path `path`; `uncorrelatable` is the
   * path of the outermost list above that is not a map-type list.
   */
  node(props: JSONSchemaProps, s: Structural, path: string, isRoot: boolean, uncorrelatable: string | undefined): RuleNode | undefined {
    const node: RuleNode = { type: s.type ?? '', rules: [] };
    const rules = props['x-kubernetes-validations'] ?? [];
    if (rules.length) this.rules(node, rules, s, path, isRoot, uncorrelatable);
    let any = rules.length > 0;
    for (const [k, sub] of Object.entries(props.properties ?? {})) {
      const subS = s.properties?.[k];
      if (!subS) continue;
      const n = this.node(sub, subS, `${path}.properties[${k}]`, !!subS.xEmbeddedResource, uncorrelatable);
      if (n) (node.properties ??= new Map()).set(k, n);
    }
    const items = props.items && !Array.isArray(props.items) ? props.items : undefined;
    if (items && s.items) {
      const itemsPath = `${path}.items`;
      const under = uncorrelatable ?? (s.xListType === 'map' ? undefined : itemsPath);
      node.items = this.node(items, s.items, itemsPath, !!s.items.xEmbeddedResource, under);
      if (s.xListType === 'map' && s.xListMapKeys?.length)
        node.mapKeys = s.xListMapKeys.map((name) => ({ name, default: s.items!.properties?.[name]?.default }));
    }
    const ap = typeof props.additionalProperties === 'object' ? props.additionalProperties : undefined;
    const apS = s.additionalProperties?.schema;
    if (ap && apS) node.additionalProperties = this.node(ap, apS, `${path}.additionalProperties`, !!apS.xEmbeddedResource, uncorrelatable);
    any ||= !!(node.properties || node.items || node.additionalProperties);
    return any ? node : undefined;
  }

  private rules(node: RuleNode, rules: ValidationRule[], s: Structural, path: string, isRoot: boolean, uncorrelatable: string | undefined) {
    const objects: ObjectModel[] = [];
    node.model = celModelOf(s, isRoot, `selfType${typeCounter++}`, objects);
    const envs = new NodeEnvironments(this.base, node, objects);
    rules.forEach((r, i) => {
      const at = `${path}.x-kubernetes-validations[${i}]`;
      const compiled = this.rule(envs, r, at, s);
      if (compiled?.usesOldSelf) {
        if (uncorrelatable)
          this.errors.push(
            fieldErr.invalid(
              `${at}.rule`,
              r.rule,
              `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatable}`,
            ),
          );
      } else if (r.optionalOldSelf !== undefined) {
        this.errors.push(fieldErr.invalid(`${at}.optionalOldSelf`, r.optionalOldSelf, 'may not be set if oldSelf is not used in rule'));
      }
      if (compiled) node.rules.push(compiled);
    });
  }

  private rule(envs: NodeEnvironments, r: ValidationRule, at: string, s: Structural): CompiledRule | undefined {
    const text = r.rule ?? '';
    if (!text.trim()) return undefined;
    const env = envs.env(r.optionalOldSelf === true);
    const c = check(this.base, env, text, envs.fields);
    if ('error' in c) {
      this.errors.push(fieldErr.invalid(`${at}.rule`, goRule(r), `compilation failed: ${c.error}`));
      return undefined;
    }
    if (c.type !== 'bool') {
      this.errors.push(fieldErr.invalid(`${at}.rule`, goRule(r), 'cel expression must evaluate to a bool'));
      return undefined;
    }
    const message = r.message?.trim();
    const errorString = message || text.trim();
    const compiled: CompiledRule = {
      errorString,
      defaultMessage: message || `failed rule: ${errorString}`,
      program: c.program,
      usesOldSelf: usesVariable(c.program.ast, 'oldSelf'),
      optionalOldSelf: r.optionalOldSelf === true,
      reason: r.reason,
    };
    if (r.messageExpression) {
      const m = check(this.base, env, r.messageExpression, envs.fields);
      if ('error' in m) {
        this.errors.push(fieldErr.invalid(`${at}.messageExpression`, goRule(r), `messageExpression compilation failed: ${m.error}`));
      } else if (m.type !== 'string') {
        this.errors.push(fieldErr.invalid(`${at}.messageExpression`, goRule(r), 'messageExpression must evaluate to a string'));
      } else compiled.messageExpression = m.program;
    }
    if (r.fieldPath) {
      const fp = validFieldPath(r.fieldPath, s);
      if (fp instanceof Error) this.errors.push(fieldErr.invalid(`${at}.fieldPath`, r.fieldPath, 'fieldPath must be a valid path'));
      else compiled.fieldPath = fp.path;
    }
    return compiled;
  }
}

/** Compiles every rule of a CRD version's schema; `path` is where the schema sits in the CRD. */
export function compileRules(props: JSONSchemaProps, path: string): CompileResult {
  let s: Structural;
  try {
    s = newStructural(props);
  } catch (e) {
    if (e instanceof NonStructuralError) return { errors: [] };
    throw e;
  }
  const base = baseEnvironment();
  const c = new Compiler(base);
  const root = c.node(props, s, path, true, undefined);
  if (!root || c.errors.length) return { errors: c.errors };
  return { errors: [], validator: newRuleValidator(root, base.runtime) };
}
