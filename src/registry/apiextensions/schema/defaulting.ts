// Defaulting from a structural schema (upstream's schema/defaulting): a missing property, or a
// non-nullable one set to null, takes the schema's default (deep-copied); defaults apply inside
// properties, items and additionalProperties alike. Upstream first drops the non-nullable nulls that
// have no default to fall back on (PruneNonNullableNullsWithoutDefaults), so both steps live here.
import type { Structural } from './structural.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const deepCopy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** A null where the schema does not allow one (upstream's isNonNullableNull). */
const isNonNullableNull = (x: unknown, s: Structural | undefined) => x === null && s !== undefined && !s.nullable;

/** A default that counts: upstream skips a declared `default: null` (its Default.Object is nil). */
const defaultOf = (s: Structural | undefined): unknown => (s?.hasDefault && s.default !== null ? s.default : undefined);

/** Applies the defaults of `s` to `x` in place. */
export function applyDefaults(x: unknown, s: Structural | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const d = defaultOf(s.items);
      if (isNonNullableNull(x[i], s.items) && d !== undefined) x[i] = deepCopy(d);
      applyDefaults(x[i], s.items);
    }
    return;
  }
  if (!isObject(x)) return;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    const d = defaultOf(prop);
    if (d === undefined) continue;
    if (!Object.hasOwn(x, k) || isNonNullableNull(x[k], prop)) x[k] = deepCopy(d);
  }
  for (const k of Object.keys(x)) {
    if (s.properties && Object.hasOwn(s.properties, k)) applyDefaults(x[k], s.properties[k]);
    else if (s.additionalProperties) {
      const ap = s.additionalProperties.schema;
      const d = defaultOf(ap);
      if (isNonNullableNull(x[k], ap) && d !== undefined) x[k] = deepCopy(d);
      applyDefaults(x[k], ap);
    }
  }
}

/**
 * Removes, in place, object fields that are null although their schema is not nullable and has no
 * default (upstream's PruneNonNullableNullsWithoutDefaults); list items are kept, as upstream does.
 */
export function pruneNonNullableNullsWithoutDefaults(x: unknown, s: Structural | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    for (const v of x) pruneNonNullableNullsWithoutDefaults(v, s.items);
    return;
  }
  if (!isObject(x)) return;
  for (const k of Object.keys(x)) {
    const sub = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : s.additionalProperties?.schema;
    if (!sub) continue;
    if (x[k] === null && !sub.nullable && defaultOf(sub) === undefined) delete x[k];
    else pruneNonNullableNullsWithoutDefaults(x[k], sub);
  }
}
