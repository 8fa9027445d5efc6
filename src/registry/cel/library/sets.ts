// cel-go's sets extension, part of Kubernetes' base environment: sets.contains, sets.equivalent and
// sets.intersects over lists.
import type { Environment } from '@marcbachmann/cel-js';
import { celEqual } from '../equality.js';

class SetsNamespace {}

const has = (l: unknown[], x: unknown) => l.some((y) => celEqual(x, y));
const contains = (a: unknown[], b: unknown[]) => b.every((x) => has(a, x));

export function registerSets(env: Environment): void {
  env
    .registerType('SetsNamespace', SetsNamespace)
    .registerConstant('sets', 'SetsNamespace', new SetsNamespace())
    .registerFunction('SetsNamespace.contains(list<A>, list<A>): bool', (_: unknown, a: unknown[], b: unknown[]) => contains(a, b))
    .registerFunction(
      'SetsNamespace.equivalent(list<A>, list<A>): bool',
      (_: unknown, a: unknown[], b: unknown[]) => contains(a, b) && contains(b, a),
    )
    .registerFunction('SetsNamespace.intersects(list<A>, list<A>): bool', (_: unknown, a: unknown[], b: unknown[]) =>
      a.some((x) => has(b, x)),
    );
}
