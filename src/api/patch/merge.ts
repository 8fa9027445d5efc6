// RFC 7386 JSON merge patch (application/merge-patch+json): objects merge, null deletes, anything
// else (lists included) replaces.
import { isPlainObject } from './schema-walk.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
