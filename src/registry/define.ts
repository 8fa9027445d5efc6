// Kind modules type their hooks with their own object shape; the registry holds them as plain
// ResourceDefs. Function-typed properties (fieldSelectors) are contravariant, so the widening
// needs one explicit, documented cast instead of one per module.
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';

export function defineKind<T extends KubeObject>(def: ResourceDef<T>): ResourceDef {
  return def as unknown as ResourceDef;
}

/**
 * A kind's generated type (src/api/generated: `Obj<Service>`) as the registry holds its objects:
 * `metadata` always there (KubeObject). The generated types describe valid objects: hooks that
 * run before validation (defaults, validation itself) still meet absent required fields.
 */
export type Obj<T extends object> = T & KubeObject;

/**
 * `T` with fields `K` that may also be null: Go prints a zero metav1.Time as `null`, and tinykube
 * stores what Go would print (an Event's unset firstTimestamp, a template's creationTimestamp).
 */
export type NullableTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] | null };

/**
 * Guards for decoded objects, typed with the generated types: strict decoding has refused values
 * of the wrong JSON type, but null stays wherever it was sent (it means unset), list entries too.
 */
export const asObject = <T extends object>(v: T | null | undefined): T | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;

/** The entries of a list that are objects (none for an absent list). */
export const objectsIn = <T extends object>(l: readonly (T | null | undefined)[] | null | undefined): T[] =>
  Array.isArray(l) ? l.filter((x): x is T => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
