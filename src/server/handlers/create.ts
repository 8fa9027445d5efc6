// POST to a collection (upstream create.go): CreateOptions before the body, then the Registry's
// create (or, for review kinds such as TokenReview, their review), 201 once durable.
import type { KubeObject } from '../../apimachinery/types.js';
import { internalError } from '../../apimachinery/errors.js';
import { requestQuery, writeOptions } from '../query-params.js';
import { BODY_TYPES, decodeBody } from './body.js';
import { acked, sendObject, writeWarnings } from './response.js';
import type { CollectionHandler, RequestScope } from './scope.js';

export function createResource(scope: RequestScope): CollectionHandler {
  const { def, store, registry } = scope;
  return async (req, reply, namespace) => {
    const ns = namespace ?? '';
    scope.need('create');
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], 'create');
    const body = decodeBody(req, BODY_TYPES, def.kind) as KubeObject;
    if (def.review) {
      if (!scope.reviews || !req.user) throw internalError('reviews are not available');
      const r = registry.review(def, ns, body, { ...scope.reviews, user: req.user }, opts);
      writeWarnings(reply, r.warnings);
      return sendObject(def, req, reply, r.object, 201, q);
    }
    const r = await scope.writer.create(def, ns, body, { ...opts, user: req.user });
    writeWarnings(reply, r.warnings);
    return acked(store, () => sendObject(def, req, reply, r.object, 201, q));
  };
}
