// Running compiled x-kubernetes-validations rules over a custom resource (upstream's
// Validator.Validate in apiextensions-apiserver schema/cel/validation.go): the object is walked
// with its schema; at every node with rules, `self` is the node's value and, for transition rules,
// `oldSelf` the value at the same place in the old object. Properties and map values correlate by
// name, items of x-kubernetes-list-type=map lists by their keys; other list items have no old value,
// so their transition rules do not run (unless optionalOldSelf, where oldSelf is then none).
// Ratcheting (CRDValidationRatcheting, on by default): a failing rule that does not use oldSelf on a
// value equal to its correlated old value is a warning, not an error.
import { Optional } from '@marcbachmann/cel-js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import type { CelModel } from './model.js';
import { toCel, type ValueRuntime } from './values.js';

export interface CompiledRule {
  /** The rule's text and message as upstream's ruleErrorString reports it (message if set, else rule; trimmed). */
  errorString: string;
  /** The message for a failed rule: the trimmed message, or `failed rule: <rule>`. */
  defaultMessage: string;
  program: (ctx: Record<string, unknown>) => unknown;
  messageExpression?: (ctx: Record<string, unknown>) => unknown;
  usesOldSelf: boolean;
  optionalOldSelf: boolean;
  reason?: string;
  /** The normalized fieldPath, relative to the node. */
  fieldPath?: string;
}

export interface RuleNode {
  /** The schema's type, which upstream reports as the invalid value (`Invalid value: "object"`). */
  type: string;
  model?: CelModel;
  rules: CompiledRule[];
  properties?: Map<string, RuleNode>;
  items?: RuleNode;
  additionalProperties?: RuleNode;
  /** x-kubernetes-list-map-keys of a map-type list, with each key's schema default. */
  mapKeys?: { name: string; default: unknown }[];
}

export interface RuleResult {
  errors: FieldError[];
  /** `<field>: <error>` of rules that failed on unchanged values (ratcheted), for Warning headers. */
  warnings: string[];
}

export interface RuleValidator {
  /** Validates `obj` (and, on update, against `old`). Field paths start at `base` (none: `spec...`, root `<nil>`). */
  validate(obj: unknown, old?: unknown, base?: string): RuleResult;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

const child = (p: string, name: string) => (p ? `${p}.${name}` : name);
const at = (p: string) => p || '<nil>';

/** Upstream's evalMessageExpression: a usable message, or undefined to fall back to the rule's message. */
function messageOf(expr: CompiledRule['messageExpression'], ctx: Record<string, unknown>): string | undefined {
  if (!expr) return undefined;
  let v: unknown;
  try {
    v = expr(ctx);
  } catch {
    return undefined;
  }
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (!t || t.length > 5 * 1024 || /\n/.test(t)) return undefined;
  return t;
}

function failure(path: string, type: string, detail: string, reason: string | undefined): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return fieldErr.forbidden(path, detail);
    case 'FieldValueRequired':
      return fieldErr.required(path, detail);
    case 'FieldValueDuplicate':
      return fieldErr.duplicate(path, type);
    default:
      return fieldErr.invalid(path, type, detail);
  }
}

/** cel-go's text for an evaluation error the engine raised. */
export function runtimeErrorText(e: unknown): string {
  const err = e as { code?: string; summary?: string; message?: string };
  const summary = err.summary ?? String(err.message ?? e).split('\n')[0]!;
  switch (err.code) {
    case 'no_such_key': {
      const oob = /index out of bounds, index (-?\d+) (?:>= size (\d+)|< 0)/.exec(summary);
      if (oob) return `index '${oob[1]}' out of range in list size '${oob[2] ?? 0}'`;
      return summary.replace(/^No such key/, 'no such key');
    }
    case 'index_out_of_bounds':
    case 'index_out_of_range': {
      const m = /index (-?\d+) (?:>= size (\d+)|< 0)/.exec(summary);
      return m ? `index '${m[1]}' out of range in list size '${m[2] ?? 0}'` : summary;
    }
    case 'division_by_zero':
      return 'division by zero';
    case 'modulo_by_zero':
      return 'modulus by zero';
    case 'numeric_overflow':
      return 'integer overflow';
    case 'no_such_overload':
    case 'no_matching_overload':
      return 'no such overload';
    case 'optional_value_missing':
      return 'optional.none() dereference';
  }
  return summary;
}

class Walker {
  readonly errors: FieldError[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly rt: ValueRuntime) {}

  /**
   * `hasOld`: an old value correlates with this node. `unchanged`: whether the nearest correlated node
   * (this one, else an ancestor) equals its old value, which ratchets errors of rules without oldSelf.
   */
  node(n: RuleNode, path: string, obj: unknown, old: unknown, hasOld: boolean, parentUnchanged: boolean): void {
    if (obj === null || obj === undefined) return;
    if (old === null) hasOld = false;
    const unchanged = hasOld ? jsonEqual(obj, old) : parentUnchanged;
    if (n.rules.length) this.rules(n, path, obj, old, hasOld, unchanged);
    if (Array.isArray(obj)) {
      if (!n.items) return;
      const olds = hasOld && Array.isArray(old) ? old : [];
      const byKey = n.mapKeys && new Map(olds.filter(isObject).map((o) => [this.key(n, o), o] as const));
      obj.forEach((item, i) => {
        const o = byKey && isObject(item) ? byKey.get(this.key(n, item)) : undefined;
        this.node(n.items!, `${path}[${i}]`, item, o, o !== undefined, unchanged);
      });
    } else if (isObject(obj)) {
      const oldObj = hasOld && isObject(old) ? old : undefined;
      for (const [k, v] of Object.entries(obj)) {
        const has = !!oldObj && Object.hasOwn(oldObj, k);
        if (n.additionalProperties) this.node(n.additionalProperties, `${path}[${k}]`, v, oldObj?.[k], has, unchanged);
        const p = n.properties?.get(k);
        if (p) this.node(p, child(path, k), v, oldObj?.[k], has, unchanged);
      }
    }
  }

  private key(n: RuleNode, item: Record<string, unknown>): string {
    return JSON.stringify(n.mapKeys!.map((k) => item[k.name] ?? k.default));
  }

  private rules(n: RuleNode, path: string, obj: unknown, old: unknown, hasOld: boolean, unchanged: boolean): void {
    const self = n.model ? toCel(obj, n.model, this.rt) : obj;
    const oldSelf = hasOld ? (n.model ? toCel(old, n.model, this.rt) : old) : undefined;
    const ctx = { self, oldSelf };
    let optCtx: Record<string, unknown> | undefined;
    for (const r of n.rules) {
      if (r.usesOldSelf && !hasOld && !r.optionalOldSelf) continue;
      const c = r.optionalOldSelf ? (optCtx ??= { self, oldSelf: hasOld ? Optional.of(oldSelf) : Optional.none() }) : ctx;
      let ok: unknown;
      try {
        ok = r.program(c);
      } catch (e) {
        const text = runtimeErrorText(e);
        this.errors.push(
          fieldErr.invalid(
            at(path),
            n.type,
            text.startsWith('no such overload')
              ? `'${text}': call arguments did not match a supported operator, function or macro signature for rule: ${r.errorString}`
              : `${text} evaluating rule: ${r.errorString}`,
          ),
        );
        continue;
      }
      if (ok === true) continue;
      const fp = r.fieldPath ? child(path, r.fieldPath) : path;
      const detail = messageOf(r.messageExpression, ctx) ?? r.defaultMessage;
      const err = failure(at(fp), n.type, detail, r.reason);
      if (!r.usesOldSelf && unchanged) this.warnings.push(`${err.field}: ${err.body}`);
      else this.errors.push(err);
    }
  }
}

export function newRuleValidator(root: RuleNode, rt: ValueRuntime): RuleValidator {
  return {
    validate(obj, old, base = '') {
      const w = new Walker(rt);
      w.node(root, base, obj, old, old !== undefined && old !== null, false);
      return { errors: w.errors, warnings: w.warnings };
    },
  };
}
