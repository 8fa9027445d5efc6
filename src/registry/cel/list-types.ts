// Which converted lists are x-kubernetes-list-type set or map lists (upstream's unstructured set
// and map lists), whose `==` ignores order (equality.ts) and whose `+` is a union or a merge
// (list-concat.ts).

export interface ListType {
  kind: 'set' | 'map';
  /** For map lists: the key fields, by their CEL names. */
  keys?: string[];
}

const listTypes = new WeakMap<unknown[], ListType>();

export function tagList(list: unknown[], t: ListType): unknown[] {
  listTypes.set(list, t);
  return list;
}

export const listTypeOf = (l: unknown): ListType | undefined => (Array.isArray(l) ? listTypes.get(l) : undefined);
