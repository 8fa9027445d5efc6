// cel-go's lists extension at version 3 (ext.Lists, in Kubernetes' environment since 1.34):
// lists.range, distinct, flatten, reverse, slice, sort, first and last.
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { celCompare, celEqual } from '../equality.js';
import { celError } from './errors.js';

const SORTABLE = ['int', 'uint', 'double', 'bool', 'google.protobuf.Duration', 'google.protobuf.Timestamp', 'string', 'bytes'];

function flatten(l: unknown[], depth: bigint): unknown[] {
  if (depth < 0n) throw celError('level must be non-negative');
  const out: unknown[] = [];
  for (const x of l) {
    if (Array.isArray(x) && depth > 0n) out.push(...flatten(x, depth - 1n));
    else out.push(x);
  }
  return out;
}

function slice(l: unknown[], start: bigint, end: bigint): unknown[] {
  if (start < 0n || end < 0n) throw celError(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end) throw celError(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (end > BigInt(l.length)) throw celError(`cannot slice(${start}, ${end}), list is length ${l.length}`);
  return l.slice(Number(start), Number(end));
}

class ListsNamespace {}

export function registerListsExt(env: Environment): void {
  env
    .registerType('ListsNamespace', ListsNamespace)
    .registerConstant('lists', 'ListsNamespace', new ListsNamespace())
    .registerFunction('ListsNamespace.range(int): list<int>', (_: unknown, n: bigint) =>
      Array.from({ length: Math.max(0, Number(n)) }, (_x, i) => BigInt(i)),
    )
    .registerFunction('list<A>.distinct(): list<A>', (l: unknown[]) => l.filter((x, i) => l.findIndex((y) => celEqual(x, y)) === i))
    .registerFunction('list<dyn>.flatten(): list<dyn>', (l: unknown[]) => flatten(l, 1n))
    .registerFunction('list<dyn>.flatten(int): list<dyn>', (l: unknown[], d: bigint) => flatten(l, d))
    .registerFunction('list<A>.reverse(): list<A>', (l: unknown[]) => [...l].reverse())
    .registerFunction('list<A>.slice(int, int): list<A>', (l: unknown[], s: bigint, e: bigint) => slice(l, s, e))
    .registerFunction('list<A>.first(): optional<A>', (l: unknown[]) => (l.length ? Optional.of(l[0]) : Optional.none()))
    .registerFunction('list<A>.last(): optional<A>', (l: unknown[]) => (l.length ? Optional.of(l[l.length - 1]) : Optional.none()));
  for (const t of SORTABLE) env.registerFunction(`list<${t}>.sort(): list<${t}>`, (l: unknown[]) => [...l].sort(celCompare));
}
