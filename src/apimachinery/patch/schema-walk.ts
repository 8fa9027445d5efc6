// Navigating a kind's schema while walking an object: child schema of a field or of list items,
// and the list semantics patching and field ownership depend on (merge key, strategy, list type).
import type { Schema } from '../schema.js';

export type { Schema };

export function fieldSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (!s) return undefined;
  const p = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
  if (p) return p;
  return typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

export const itemSchema = (s: Schema | undefined): Schema | undefined => s?.items;

export interface ListInfo {
  /** SMP: merge lists of objects by this key. */
  mergeKey?: string;
  strategy: string[];
  /** SSA: atomic, set or map (with keys). */
  listType: 'atomic' | 'set' | 'map';
  keys: string[];
}

export function listInfo(s: Schema | undefined): ListInfo {
  const mergeKey = s?.['x-kubernetes-patch-merge-key'] as string | undefined;
  const strategy = String(s?.['x-kubernetes-patch-strategy'] ?? '')
    .split(',')
    .filter(Boolean);
  let listType = s?.['x-kubernetes-list-type'] as ListInfo['listType'] | undefined;
  let keys = (s?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
  if (!listType) {
    if (mergeKey && strategy.includes('merge')) {
      listType = 'map';
      keys = [mergeKey];
    } else if (strategy.includes('merge')) listType = 'set';
    else listType = 'atomic';
  }
  if (listType === 'map' && !keys.length && mergeKey) keys = [mergeKey];
  return { mergeKey, strategy, listType, keys };
}

/** Maps whose values are replaced as a whole (x-kubernetes-map-type: atomic). */
export const isAtomicMap = (s: Schema | undefined): boolean => s?.['x-kubernetes-map-type'] === 'atomic';

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
