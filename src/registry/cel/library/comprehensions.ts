// cel-go's two-variable comprehensions (ext.TwoVarComprehensions, in Kubernetes' environment since
// 1.32): all, exists, existsOne, transformList, transformMap and transformMapEntry with an index (or
// key) and a value variable, on lists and maps. The engine has no such macros; they are added
// through its macro hooks: type checking declares both variables in a nested scope, evaluation
// binds them per element.
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from './errors.js';

/** The engine's type declarations and checker/evaluator, as far as these macros use them. */
interface CelType {
  name: string;
  kind: string;
  keyType?: CelType;
  valueType?: CelType;
}
interface Scope {
  forkWithVariable(name: string, type: CelType): Scope;
  reuse(parent: unknown): Scope;
  setIterValue(v: unknown, ev: unknown): Scope;
}
interface Checker {
  check(node: unknown, ctx: unknown): CelType;
  getType(name: string): CelType;
  createError(code: string, message: string, node: unknown): Error;
  registry: { getListType(t: CelType): CelType; getMapType(k: CelType, v: CelType): CelType };
}
interface Evaluator {
  run(node: unknown, ctx: unknown): unknown;
}
interface Node {
  op: string;
  args: unknown;
}

type Kind = 'all' | 'exists' | 'existsOne' | 'transformList' | 'transformMap' | 'transformMapEntry';

interface Macro {
  kind: Kind;
  receiver: Node;
  k: string;
  v: string;
  filter?: Node;
  body: Node;
  scopeK?: Scope;
  scopeKV?: Scope;
}

const isBoolish = (t: CelType) => t.name === 'bool' || t.kind === 'dyn';

/** The (index or key, value) pairs of a list or map value. */
function entries(coll: unknown): [unknown, unknown][] {
  if (Array.isArray(coll)) return coll.map((x, i) => [BigInt(i), x]);
  if (coll instanceof Map) return [...coll.entries()];
  if (coll && typeof coll === 'object') return Object.entries(coll);
  throw celError('no such overload');
}

function typeCheck(checker: Checker, m: Macro, ctx: Scope): CelType {
  const t = checker.check(m.receiver, ctx);
  const dyn = checker.getType('dyn');
  let keyT = dyn;
  let valT = dyn;
  if (t.kind === 'list') {
    keyT = checker.getType('int');
    valT = t.valueType ?? dyn;
  } else if (t.kind === 'map') {
    keyT = t.keyType ?? dyn;
    valT = t.valueType ?? dyn;
  } else if (t.kind !== 'dyn') {
    throw checker.createError(
      'invalid_comprehension_range',
      `Expression of type '${t.name}' cannot be range of a comprehension (must be list, map, or dynamic).`,
      m.receiver,
    );
  }
  m.scopeK = ctx.forkWithVariable(m.k, keyT);
  m.scopeKV = m.scopeK.forkWithVariable(m.v, valT);
  if (m.filter) {
    const ft = checker.check(m.filter, m.scopeKV);
    if (!isBoolish(ft))
      throw checker.createError('invalid_macro_argument', `${m.kind}() filter must return bool, got '${ft.name}'`, m.filter);
  }
  const bt = checker.check(m.body, m.scopeKV);
  switch (m.kind) {
    case 'all':
    case 'exists':
    case 'existsOne':
      if (!isBoolish(bt))
        throw checker.createError('invalid_macro_argument', `${m.kind}() predicate must return bool, got '${bt.name}'`, m.body);
      return checker.getType('bool');
    case 'transformList':
      return checker.registry.getListType(bt);
    case 'transformMap':
      return checker.registry.getMapType(keyT, bt);
    case 'transformMapEntry':
      if (bt.kind === 'map') return bt;
      if (bt.kind === 'dyn') return checker.getType('map<dyn, dyn>');
      throw checker.createError('invalid_macro_argument', `transformMapEntry() expression must return a map, got '${bt.name}'`, m.body);
  }
}

function evaluate(ev: Evaluator, m: Macro, ctx: unknown): unknown {
  const coll = ev.run(m.receiver, ctx);
  const bind = (k: unknown, v: unknown) => m.scopeKV!.reuse(m.scopeK!.reuse(ctx).setIterValue(k, ev)).setIterValue(v, ev);
  switch (m.kind) {
    case 'all':
    case 'exists': {
      // Like cel-go's logical operators: a decisive result wins over an error met on another element.
      const decisive = m.kind === 'exists';
      let err: unknown;
      for (const [k, v] of entries(coll)) {
        try {
          if (ev.run(m.body, bind(k, v)) === decisive) return decisive;
        } catch (e) {
          err ??= e;
        }
      }
      if (err) throw err;
      return !decisive;
    }
    case 'existsOne': {
      let n = 0;
      for (const [k, v] of entries(coll)) if (ev.run(m.body, bind(k, v)) === true) n++;
      return n === 1;
    }
    case 'transformList': {
      const out: unknown[] = [];
      for (const [k, v] of entries(coll)) {
        const s = bind(k, v);
        if (!m.filter || ev.run(m.filter, s) === true) out.push(ev.run(m.body, s));
      }
      return out;
    }
    case 'transformMap':
    case 'transformMapEntry': {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of entries(coll)) {
        const s = bind(k, v);
        if (m.filter && ev.run(m.filter, s) !== true) continue;
        const r = ev.run(m.body, s);
        if (m.kind === 'transformMap') out.set(k, r);
        else
          for (const [ek, evv] of entries(r)) {
            if (out.has(ek)) throw celError(`insert failed: key ${String(ek)} already exists`);
            out.set(ek, evv);
          }
      }
      return out;
    }
  }
}

function macro(kind: Kind, withFilter: boolean) {
  return ({ args, receiver }: { args: Node[]; receiver: Node }) => {
    const [k, v] = args;
    const ident = (n: Node | undefined) => {
      if (n?.op !== 'id') throw celError(`${kind}() iteration variables must be simple identifiers`);
      return n.args as string;
    };
    const m: Macro = {
      kind,
      receiver,
      k: ident(k),
      v: ident(v),
      filter: withFilter ? args[2] : undefined,
      body: args[withFilter ? 3 : 2]!,
    };
    if (m.k === m.v) throw celError(`${kind}() second variable must be different from the first variable`);
    return { ...m, typeCheck, evaluate };
  };
}

export function registerComprehensions(env: Environment): void {
  for (const kind of ['all', 'exists', 'existsOne'] as const) env.registerFunction(`dyn.${kind}(ast, ast, ast): bool`, macro(kind, false));
  env
    .registerFunction('dyn.transformList(ast, ast, ast): list<dyn>', macro('transformList', false))
    .registerFunction('dyn.transformList(ast, ast, ast, ast): list<dyn>', macro('transformList', true))
    .registerFunction('dyn.transformMap(ast, ast, ast): map<dyn, dyn>', macro('transformMap', false))
    .registerFunction('dyn.transformMap(ast, ast, ast, ast): map<dyn, dyn>', macro('transformMap', true))
    .registerFunction('dyn.transformMapEntry(ast, ast, ast): map<dyn, dyn>', macro('transformMapEntry', false))
    .registerFunction('dyn.transformMapEntry(ast, ast, ast, ast): map<dyn, dyn>', macro('transformMapEntry', true));
}
