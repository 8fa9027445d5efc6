// RFC 6902 JSON patch (application/json-patch+json) via fast-json-patch. A patch that does not
// apply (missing path, failed test) is 422 like upstream; a malformed one is 400. Bounded as
// upstream bounds it: at most 10000 operations (k8s.io/apiserver handlers/patch.go
// maxJSONPatchOperations, 413) and at most 3 MiB copied by `copy` operations in total
// (json-patch's AccumulatedCopySizeLimit, which the apiserver sets to JSONPatchMaxCopyBytes).
import jsonpatch from 'fast-json-patch';
import { StatusError, badRequest } from '../errors.js';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
export const MAX_JSON_PATCH_OPERATIONS = 10000;
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;
/**
 * Ours, not upstream's: list items a patch may shift by inserting or removing before them
 * (each such operation moves the rest of the list). 10000 inserts at the front of a 100,000-item
 * list moved 10^9 items, ~3 s during which nothing else in the process ran; upstream does the
 * same work in its own goroutine. This many take ~0.1 s.
 */
export const MAX_JSON_PATCH_SHIFTED_ITEMS = 32 * 1024 * 1024;

const MISSING = Symbol('missing');

/** The value at a JSON pointer, or MISSING (no copy, unlike fast-json-patch's validation). */
function resolve(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= cur.length) return MISSING;
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, key)) cur = (cur as Record<string, unknown>)[key];
    else return MISSING;
  }
  return cur;
}

const parentOf = (pointer: string) => pointer.slice(0, pointer.lastIndexOf('/'));
const lastKey = (pointer: string) =>
  pointer
    .slice(pointer.lastIndexOf('/') + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
/** An object (not a list) at the pointer. */
function isMapAt(doc: unknown, pointer: string): boolean {
  const v = resolve(doc, pointer);
  return v !== MISSING && v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** List items an operation shifts: those after its index in the list it inserts into or removes from. */
function shifted(doc: unknown, op: jsonpatch.Operation): number {
  const at = (pointer: string, inserting: boolean) => {
    const slash = pointer.lastIndexOf('/');
    if (slash < 0) return 0;
    const list = resolve(doc, pointer.slice(0, slash));
    const last = pointer.slice(slash + 1);
    if (!Array.isArray(list) || !/^(0|[1-9][0-9]*)$/.test(last)) return 0;
    return Math.max(0, list.length - Number(last) - (inserting ? 0 : 1));
  };
  switch (op.op) {
    case 'add':
    case 'copy':
      return at(op.path, true);
    case 'remove':
      return at(op.path, false);
    case 'move':
      return at(op.from, false) + at(op.path, true);
    default:
      return 0;
  }
}

/**
 * fast-json-patch's own validator, except that it checks a move's or copy's `from` by looking it
 * up: the library applies a trial patch to a deep copy of the whole document for that, once per
 * operation (quadratic: 9,000 operations on a small object took seconds).
 */
const validator: jsonpatch.Validator<unknown> = (op, index, doc, existing) => {
  if ((op.op === 'move' || op.op === 'copy') && doc) {
    jsonpatch.validator(op, index, undefined, existing);
    if (resolve(doc, op.from) === MISSING)
      throw new jsonpatch.JsonPatchError(
        'Cannot perform the operation from a path that does not exist',
        'OPERATION_FROM_UNRESOLVABLE',
        index,
        op,
        doc,
      );
    return;
  }
  jsonpatch.validator(op, index, doc, existing);
};

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  for (const op of patch) {
    if (!op || typeof op !== 'object' || !OPS.has((op as { op?: string }).op ?? '')) {
      throw badRequest(`Unexpected kind: ${JSON.stringify((op as { op?: unknown } | null)?.op ?? null)}`);
    }
    if (typeof (op as { path?: unknown }).path !== 'string') throw badRequest('operation missing path');
  }
  let doc = target;
  let copied = 0;
  let moved = 0;
  try {
    patch.forEach((op: jsonpatch.Operation, i) => {
      moved += shifted(doc, op);
      if (moved > MAX_JSON_PATCH_SHIFTED_ITEMS) {
        throw new StatusError(
          422,
          'Invalid',
          `Unable to apply the patch: its operations shift more than ${MAX_JSON_PATCH_SHIFTED_ITEMS} list items`,
        );
      }
      if (op.op === 'copy') {
        // json-patch counts a copy's size before copying (approximateSize: its JSON).
        const v = resolve(doc, op.from);
        copied += v === MISSING ? 0 : (JSON.stringify(v) ?? '').length;
        if (copied > MAX_JSON_PATCH_COPY_BYTES) {
          throw new StatusError(
            422,
            'Invalid',
            `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
          );
        }
      }
      doc = jsonpatch.applyOperation(doc, op, validator, true, true, i).newDocument;
    });
    return doc;
  } catch (e) {
    if (e instanceof StatusError) throw e;
    const err = e as { name?: string; message?: string; operation?: { op?: string; path?: string; from?: string } };
    const op = err.operation;
    let msg = err.message?.split('\n')[0] ?? 'invalid patch';
    if (err.name === 'TEST_OPERATION_FAILED') msg = `testing value ${op?.path} failed: test failed`;
    else if (err.name === 'OPERATION_PATH_UNRESOLVABLE' && op?.op === 'remove' && op.path && isMapAt(doc, parentOf(op.path)))
      // json-patch.v4 finds the parent object, then fails removing the key from it.
      msg = `error in remove for path: '${op.path}': Unable to remove nonexistent key: ${lastKey(op.path)}: missing value`;
    else if (err.name === 'OPERATION_PATH_UNRESOLVABLE')
      msg = `${op?.op} operation does not apply: doc is missing path: "${op?.path}": missing value`;
    // gopkg.in/evanphx/json-patch.v4 move/copy: errors.Wrapf(ErrMissing, "... doc is missing from path: %s", from)
    else if (err.name === 'OPERATION_FROM_UNRESOLVABLE')
      msg = `${op?.op} operation does not apply: doc is missing from path: ${op?.from}: missing value`;
    throw new StatusError(422, 'Invalid', msg);
  }
}
