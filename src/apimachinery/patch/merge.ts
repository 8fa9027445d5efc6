// RFC 7386 JSON merge patch (application/merge-patch+json): objects merge, null deletes, anything
// else (lists included) replaces.
import { isPlainObject } from './schema-walk.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  // A prototype-less result: a `__proto__` key in the patch is an ordinary field (which decoding
  // then reports as unknown), never an assignment of the prototype.
  const out: Record<string, unknown> = Object.assign(Object.create(null), isPlainObject(target) ? target : {});
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v);
  }
  return out;
}
