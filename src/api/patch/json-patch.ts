// RFC 6902 JSON patch (application/json-patch+json) via fast-json-patch. A patch that does not
// apply (missing path, failed test) is 422 like upstream; a malformed one is 400.
import jsonpatch from 'fast-json-patch';
import { StatusError, badRequest } from '../errors.js';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  for (const op of patch) {
    if (!op || typeof op !== 'object' || !OPS.has((op as { op?: string }).op ?? '')) {
      throw badRequest(`Unexpected kind: ${JSON.stringify((op as { op?: unknown } | null)?.op ?? null)}`);
    }
    if (typeof (op as { path?: unknown }).path !== 'string') throw badRequest('operation missing path');
  }
  try {
    return jsonpatch.applyPatch(target, patch as jsonpatch.Operation[], true, true).newDocument;
  } catch (e) {
    const err = e as { name?: string; message?: string; operation?: { op?: string; path?: string } };
    const op = err.operation;
    let msg = err.message?.split('\n')[0] ?? 'invalid patch';
    if (err.name === 'TEST_OPERATION_FAILED') msg = `testing value ${op?.path} failed: test failed`;
    else if (err.name === 'OPERATION_PATH_UNRESOLVABLE') msg = `${op?.op} operation does not apply: doc is missing path: "${op?.path}": missing value`;
    throw new StatusError(422, 'Invalid', msg);
  }
}
