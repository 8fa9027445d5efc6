// DELETE of an object and of a collection (upstream delete.go: DeleteResource,
// DeleteCollection): DeleteOptions from the body, else the query.
import type { FastifyRequest } from 'fastify';
import { buildMatcher } from '../../registry/filters.js';
import type { DeleteOptions } from '../../registry/generic-store.js';
import { deleteOptions, deleteParamsFromBody, listOptions, requestQuery, type DeleteParams } from '../query-params.js';
import { BODY_TYPES, decodeBody } from './body.js';
import { acked, objectList, sendObject, writeWarnings } from './response.js';
import type { CollectionHandler, ItemHandler, RequestScope } from './scope.js';

/** The DeleteOptions of a body, when the request has one. */
function deleteBody(req: FastifyRequest): DeleteParams | undefined {
  const raw = req.body as Buffer | undefined;
  return raw && raw.length ? deleteParamsFromBody(decodeBody(req, BODY_TYPES)) : undefined;
}

/**
 * A delete's status code: upstream answers 200 also when the object is only marked (graceful Pod
 * deletion, finalizers, namespaces); 202 only for a pending delete that explicitly asked
 * orphanDependents=false.
 */
export function deleteStatusCode(deleted: boolean, opts: Pick<DeleteOptions, 'orphanDependents'>): 200 | 202 {
  return !deleted && opts.orphanDependents === false ? 202 : 200;
}

export function deleteResource(scope: RequestScope): ItemHandler {
  const { def, store } = scope;
  return async (req, reply, ns, name) => {
    scope.need('delete');
    const q = requestQuery(req.url);
    const opts = deleteOptions(q, deleteBody(req));
    const r = await scope.writer.delete(def, ns, name, { ...opts, user: req.user });
    writeWarnings(reply, r.warnings);
    return acked(store, () => sendObject(def, req, reply, r.object, deleteStatusCode(r.deleted, opts), q));
  };
}

export function deleteCollection(scope: RequestScope): CollectionHandler {
  const { def, store, registry } = scope;
  return async (req, reply, ns) => {
    scope.need('deletecollection');
    // upstream DeleteCollection: ListOptions first (400/422), the field selector's labels, then
    // the DeleteOptions (body, else query).
    const q = requestQuery(req.url);
    const lo = listOptions(q);
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector) ?? (() => true);
    const items = registry.deleteCollection(def, ns, match, deleteOptions(q, deleteBody(req)));
    await store.durable();
    return reply.type('application/json').send(objectList(def, { resourceVersion: String(store.rev) }, items));
  };
}
