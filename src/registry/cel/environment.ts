// The CEL environment x-kubernetes-validations rules compile in: the engine's standard library with
// optional types, plus Kubernetes' libraries (lists, regex, URLs, quantities,
// IPs and CIDRs, named formats, semver) and cel-go's extensions Kubernetes declares (strings, sets,
// lists, two-variable comprehensions).
// Only src/registry/cel/compile.ts imports this module, and only through import(), so the engine
// is loaded on the first CRD that has rules.
import { Environment } from '@marcbachmann/cel-js';
import { registerComprehensions } from './library/comprehensions.js';
import { registerFormat } from './library/format.js';
import { registerIP } from './library/ip.js';
import { registerListsExt } from './library/lists-ext.js';
import { registerLists } from './library/lists.js';
import { registerQuantity } from './library/quantity.js';
import { re2, registerRegex } from './library/regex.js';
import { registerSemver } from './library/semver.js';
import { registerSets } from './library/sets.js';
import { registerStringFormat } from './library/string-format.js';
import { registerStrings } from './library/strings.js';
import { registerURLs } from './library/urls.js';
import type { ValueRuntime } from './values.js';

export interface BaseEnvironment {
  env: Environment;
  runtime: ValueRuntime;
  /** Every function and method name the environment declares (a call to any other is an undeclared reference). */
  functions: Set<string>;
  /** Whether a constant argument of duration(), timestamp() or matches() is valid. */
  literalValid(fn: 'duration' | 'timestamp' | 'matches', arg: string): boolean;
}

let base: BaseEnvironment | undefined;

export function baseEnvironment(): BaseEnvironment {
  if (base) return base;
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: true });
  const durationOf = new Environment().registerVariable('s', 'string').parse('duration(s)');
  const zero = durationOf({ s: '0s' });
  registerStrings(env);
  registerStringFormat(env);
  registerLists(env, zero);
  registerRegex(env);
  registerURLs(env);
  registerQuantity(env);
  registerSets(env);
  registerIP(env);
  registerFormat(env);
  registerSemver(env);
  registerComprehensions(env);
  registerListsExt(env);
  const functions = new Set<string>();
  for (const f of env.getDefinitions().functions) functions.add(f.name);
  const timestampOf = new Environment().registerVariable('s', 'string').parse('timestamp(s)');
  const valid = (f: () => unknown) => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  const literalValid = (fn: string, arg: string) =>
    valid(() => (fn === 'duration' ? durationOf({ s: arg }) : fn === 'timestamp' ? timestampOf({ s: arg }) : re2(arg)));
  base = { env, runtime: { duration: (s) => durationOf({ s }) }, functions, literalValid };
  return base;
}
