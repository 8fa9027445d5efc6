// Kubernetes' CEL lists library (apiserver/pkg/cel/library/lists.go): isSorted, sum, min, max,
// indexOf and lastIndexOf on lists.
import type { Environment } from '@marcbachmann/cel-js';
import { celCompare, celEqual } from '../equality.js';
import { celError } from './errors.js';

const COMPARABLE = ['int', 'uint', 'double', 'bool', 'google.protobuf.Duration', 'google.protobuf.Timestamp', 'string', 'bytes'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

interface DurationLike {
  addDuration(o: DurationLike): DurationLike;
}

function extreme(name: string, prefer: number) {
  return (list: unknown[]) => {
    if (list.length === 0) throw celError(`${name} called on empty list`);
    let r = list[0];
    for (const x of list.slice(1)) if (celCompare(r, x) === prefer) r = x;
    return r;
  };
}

/** Registers the lists library; `zeroDuration` is the engine's 0s duration (the sum of an empty list(duration)). */
export function registerLists(env: Environment, zeroDuration: DurationLike): void {
  for (const t of COMPARABLE) {
    env
      .registerFunction(`list<${t}>.isSorted(): bool`, (l: unknown[]) => l.every((x, i) => i === 0 || celCompare(l[i - 1], x) <= 0))
      .registerFunction(`list<${t}>.min(): ${t}`, extreme('min', 1))
      .registerFunction(`list<${t}>.max(): ${t}`, extreme('max', -1));
  }
  env
    .registerFunction('list<int>.sum(): int', (l: bigint[]) => {
      let s = 0n;
      for (const x of l) {
        s += x;
        if (s < INT64_MIN || s > INT64_MAX) throw celError('integer overflow');
      }
      return s;
    })
    .registerFunction('list<double>.sum(): double', (l: number[]) => l.reduce((s, x) => s + x, 0))
    .registerFunction('list<google.protobuf.Duration>.sum(): google.protobuf.Duration', (l: DurationLike[]) =>
      l.reduce((s, x) => s.addDuration(x), zeroDuration),
    )
    .registerFunction('list<A>.indexOf(A): int', (l: unknown[], x: unknown) => BigInt(l.findIndex((y) => celEqual(y, x))))
    .registerFunction('list<A>.lastIndexOf(A): int', (l: unknown[], x: unknown) => {
      for (let i = l.length - 1; i >= 0; i--) if (celEqual(l[i], x)) return BigInt(i);
      return -1n;
    });
}
