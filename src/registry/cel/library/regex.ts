// Kubernetes' CEL regex library (apiserver/pkg/cel/library/regex.go): find and findAll, and the
// standard matches(), with RE2 patterns translated to JavaScript (schema/pattern.ts) and compiled
// once per pattern.
import type { Environment } from '@marcbachmann/cel-js';
import { compilePattern } from '../../apiextensions/schema/pattern.js';
import { celError } from './errors.js';

const cache = new Map<string, RegExp>();

/** The global-flagged RegExp for an RE2 pattern; errors read as Go's regexp.Compile reports them. */
export function re2(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    try {
      const base = compilePattern(pattern);
      re = new RegExp(base.source, `${base.flags}g`);
    } catch (e) {
      const msg = (e as Error).message;
      throw celError(msg.startsWith('error parsing regexp: ') ? msg : `error parsing regexp: ${msg}`);
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  re.lastIndex = 0;
  return re;
}

function findAll(s: string, pattern: string, limit: bigint): string[] {
  const out: string[] = [];
  if (limit === 0n) return out;
  for (const m of s.matchAll(re2(pattern))) {
    out.push(m[0]);
    if (limit > 0n && BigInt(out.length) >= limit) break;
  }
  return out;
}

/** The name compile.ts gives matches() calls, so that they run RE2 patterns. */
export const RE2_MATCHES = 'matches__re2__';

export function registerRegex(env: Environment): void {
  env
    .registerFunction(`string.${RE2_MATCHES}(string): bool`, (s: string, p: string) => re2(p).test(s))
    .registerFunction(`${RE2_MATCHES}(string, string): bool`, (s: string, p: string) => re2(p).test(s))
    .registerFunction('string.find(string): string', (s: string, p: string) => re2(p).exec(s)?.[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n))
    .registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => findAll(s, p, n));
}
