// CEL equality over converted values (what `==` means for the message types a schema declares, for
// list indexOf and for sets): numbers compare across int and double, lists element-wise, maps and
// messages by their entries, set and map lists in any order, timestamps by instant, and the library
// types by their `equals`.

import { listTypeOf } from './list-types.js';

export function celEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof a === 'number') return (typeof b === 'bigint' || typeof b === 'number') && a == b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return false;
    if (listTypeOf(a) || listTypeOf(b)) return unorderedEqual(a, b);
    return a.length === b.length && a.every((x, i) => celEqual(x, b[i]));
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.constructor !== b.constructor || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !celEqual(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a.constructor !== b.constructor) return false;
  const eq = (a as { equals?: (o: unknown) => boolean }).equals;
  if (typeof eq === 'function') return eq.call(a, b);
  return a.valueOf() === b.valueOf() && String(a) === String(b);
}

const contains = (l: unknown[], x: unknown) => l.some((y) => celEqual(x, y));

/** Order-insensitive comparison, as when either side is a set or map list. */
export function unorderedEqual(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((x) => contains(b, x)) && b.every((x) => contains(a, x));
}

/** CEL ordering of comparable values of one type: negative, zero or positive. */
export function celCompare(a: unknown, b: unknown): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }
  const x = (a as { valueOf(): unknown }).valueOf() as number | bigint | string | boolean;
  const y = (b as { valueOf(): unknown }).valueOf() as number | bigint | string | boolean;
  return x < y ? -1 : x > y ? 1 : 0;
}
