// PUT of an object or of one of its subresources (upstream update.go): UpdateOptions before the
// body, then the Registry's update (201 when it created the object), answered once durable.
import type { KubeObject } from '../../apimachinery/types.js';
import { requestQuery, writeOptions } from '../query-params.js';
import { BODY_TYPES, decodeBody } from './body.js';
import { acked, sendObject, writeWarnings } from './response.js';
import type { ItemHandler, RequestScope } from './scope.js';

/** `subresource`: status, finalize, or one of the def's part subresources. */
export function updateResource(scope: RequestScope, subresource?: string): ItemHandler {
  const { def, store } = scope;
  return async (req, reply, ns, name) => {
    scope.need('update');
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], 'update');
    const body = decodeBody(req, BODY_TYPES, def.kind) as KubeObject;
    const r = await scope.writer.update(def, ns, name, body, { ...opts, subresource, user: req.user });
    writeWarnings(reply, r.warnings);
    return acked(store, () => sendObject(def, req, reply, r.object, r.created ? 201 : 200, q));
  };
}
