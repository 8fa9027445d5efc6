// PATCH of an object or of one of its subresources (upstream patch.go): the patch type from the
// Content-Type (415 for others), PatchOptions before the body, the body's JSON shape as the patch
// type needs it, then the Registry's patch (201 when an apply created the object).
import { badRequest, unsupportedMediaType, type StatusError } from '../../apimachinery/errors.js';
import type { PatchType } from '../../registry/generic-store.js';
import { requestQuery, writeOptions } from '../query-params.js';
import { decodeBody, mediaType } from './body.js';
import { acked, sendObject, writeWarnings } from './response.js';
import type { ItemHandler, RequestScope } from './scope.js';

/** The patch media types, and the patch each is. */
export const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};
const PATCH_MEDIA_TYPES = Object.keys(PATCH_TYPES);

/** encoding/json's error for a decoded body of the wrong JSON type for its patch (a JSON patch is a list, the others an object). */
export function patchShapeError(type: PatchType, body: unknown): StatusError | undefined {
  if (type === 'json' && !Array.isArray(body)) {
    return badRequest(`json: cannot unmarshal ${body === null ? 'null' : typeof body} into Go value of type jsonpatch.Patch`);
  }
  if (type !== 'json' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    return badRequest(
      `json: cannot unmarshal ${Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body} into Go value of type map[string]interface {}`,
    );
  }
  return undefined;
}

/** `subresource`: status, or one of the def's part subresources. */
export function patchResource(scope: RequestScope, subresource?: string): ItemHandler {
  const { def, store } = scope;
  return async (req, reply, ns, name) => {
    scope.need('patch');
    const media = mediaType(req);
    const type = PATCH_TYPES[media];
    if (!type || def.unsupportedPatchTypes?.includes(media))
      throw unsupportedMediaType(PATCH_MEDIA_TYPES.filter((t) => !def.unsupportedPatchTypes?.includes(t)));
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], { patch: type });
    const body = decodeBody(req, PATCH_MEDIA_TYPES);
    const shapeError = patchShapeError(type, body);
    if (shapeError) throw shapeError;
    const r = await scope.writer.patch(def, ns, name, type, body, { ...opts, subresource, user: req.user });
    writeWarnings(reply, r.warnings);
    return acked(store, () => sendObject(def, req, reply, r.object, r.created ? 201 : 200, q));
  };
}
