// The simple JSON paths of CRD scale subresources and selectable fields (`.spec.replicas`,
// `.status.labelSelector`): dot-separated field names from the object's root, as upstream's
// validation allows there (ValidateCustomResourceDefinitionSubresources: "must be a simple json
// path"). Reading and writing one is all the scale subresource needs.

/** The field names of `.a.b.c` (no leading dot: none). */
export function pathFields(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter(Boolean);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The value at `path`, or undefined when a step is missing or not an object. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const f of pathFields(path)) {
    if (!isObject(cur) || !Object.hasOwn(cur, f)) return undefined;
    cur = cur[f];
  }
  return cur;
}

/** Sets the value at `path`, making the objects on the way (upstream unstructured.SetNestedField). */
export function setValueAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const fields = pathFields(path);
  let cur = obj;
  for (const f of fields.slice(0, -1)) {
    const next = cur[f];
    if (!isObject(next)) cur[f] = {};
    cur = cur[f] as Record<string, unknown>;
  }
  cur[fields[fields.length - 1]!] = value;
}
