// `X + Y` on x-kubernetes-list-type lists (upstream's unstructured set and map lists): on a set a
// union (X's order, then Y's elements not in X), on a map list a merge by the list's keys (X's
// positions with Y's values for keys in both, then Y's new keys). Other lists concatenate.
import { celEqual } from './equality.js';
import { listTypeOf, tagList, type ListType } from './list-types.js';

const field = (item: unknown, k: string) => (item instanceof Map ? item.get(k) : undefined);
const sameKey = (t: ListType, a: unknown, b: unknown) => (t.keys ?? []).every((k) => celEqual(field(a, k), field(b, k)));

export function concatLists(a: unknown[], b: unknown[]): unknown[] {
  const t = listTypeOf(a);
  if (!t) return [...a, ...b];
  if (t.kind === 'set') return tagList([...a, ...b.filter((y) => !a.some((x) => celEqual(x, y)))], t);
  const out = [...a];
  const appended: unknown[] = [];
  for (const y of b) {
    const i = out.findIndex((x) => sameKey(t, x, y));
    if (i >= 0) out[i] = y;
    else appended.push(y);
  }
  return tagList([...out, ...appended], t);
}
