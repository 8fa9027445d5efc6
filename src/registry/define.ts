// Kind modules type their hooks with their own object shape; the registry holds them as plain
// ResourceDefs. Function-typed properties (fieldSelectors) are contravariant, so the widening
// needs one explicit, documented cast instead of one per module.
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';

export function defineKind<T extends KubeObject>(def: ResourceDef<T>): ResourceDef {
  return def as unknown as ResourceDef;
}

/** Shallow helpers kinds use to reach into loosely typed objects. */
export type Obj<Spec = Record<string, unknown>, Status = Record<string, unknown>> = KubeObject & { spec?: Spec; status?: Status };
