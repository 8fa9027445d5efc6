// GET of one object and of a collection (upstream get.go: GetResource, ListResource; a list with
// `watch` becomes a watch, watch.ts). Plain JSON of stored kinds is relayed as stored.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../apimachinery/types.js';
import { responseShape, type ResponseShape } from '../negotiate.js';
import { buildMatcher } from '../../registry/filters.js';
import { withStatusErrors } from '../../registry/storage-errors.js';
import { getOptions, listLimit, listOptions, requestQuery, tableOptions, type ListOptions, type QueryValues } from '../query-params.js';
import { computedItems, objectNotFound, type CollectionHandler, type ItemHandler, type RequestScope } from './scope.js';
import { listBody, rawObjectList, sendObject, STREAM_LIST_ITEMS, streamedList, streamedRawList, type ListMeta } from './response.js';
import { encodeContinue, listRange } from './list-range.js';
import { watchResource } from './watch.js';

export function getResource(scope: RequestScope): ItemHandler {
  const { def, store, registry, resource } = scope;
  const getComputed = async (req: FastifyRequest, reply: FastifyReply, ns: string, name: string, q: QueryValues) => {
    const o = (await computedItems(scope, ns)).find((x) => x.metadata.name === name);
    if (!o) throw objectNotFound(def, name);
    return sendObject(def, req, reply, o, 200, q);
  };
  return (req, reply, ns, name) => {
    scope.need('get');
    const q = requestQuery(req.url);
    getOptions(q);
    if (def.computed) return getComputed(req, reply, ns, name, q);
    const shape = responseShape(req.headers.accept);
    if (shape === 'object' && !def.storage) {
      const raw = store.getRaw(resource, def.namespaced ? ns : '', name);
      if (!raw) throw objectNotFound(def, name);
      return reply.type('application/json').send(raw.data);
    }
    return sendObject(def, req, reply, registry.get(def, ns, name), 200, q);
  };
}

// upstream ListResource: decode and validate the ListOptions (400/422), then the verb, the field
// selector's labels (400), and for a Table its options.
export function listResource(scope: RequestScope): CollectionHandler {
  const { def, store, resource, toAPI } = scope;
  const listComputed = async (req: FastifyRequest, reply: FastifyReply, ns: string | undefined, q: QueryValues, lo: ListOptions) => {
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector);
    const shape = responseShape(req.headers.accept);
    const table = shape === 'table' ? tableOptions(q) : undefined;
    const items = (await computedItems(scope, ns)).filter((o) => !match || match(o));
    return reply.type('application/json').send(listBody(def, items, {}, shape, table));
  };
  return (req, reply, ns) => {
    const q = requestQuery(req.url);
    const lo = listOptions(q);
    scope.need(lo.watch ? 'watch' : 'list');
    if (def.computed) return listComputed(req, reply, ns, q, lo);
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector);
    const shape: ResponseShape = responseShape(req.headers.accept);
    const table = shape === 'table' ? tableOptions(q) : undefined;
    if (lo.watch) return watchResource(scope, req, reply, ns, lo, match, shape, table?.include);
    // A conversion webhook converts the collection in one review before the list reads it.
    if (def.storage?.prepare)
      return def.storage
        .prepare(store.listObjects(resource, def.namespaced ? ns : undefined))
        .then(() => list(req, reply, ns, q, lo, match, shape, table));
    return list(req, reply, ns, q, lo, match, shape, table);
  };
  function list(
    req: FastifyRequest,
    reply: FastifyReply,
    ns: string | undefined,
    q: QueryValues,
    lo: ListOptions,
    match: ReturnType<typeof buildMatcher>,
    shape: ResponseShape,
    table: ReturnType<typeof tableOptions> | undefined,
  ) {
    const limit = listLimit(lo);
    const { atRev, after } = listRange(lo, store);
    const page = withStatusErrors(() =>
      store.list(resource, {
        namespace: def.namespaced ? ns : undefined,
        atRev,
        after,
        limit,
        filter: match ? (o) => match(def.storage ? toAPI(o) : o) : undefined,
      }),
    );
    const listMeta: ListMeta = { resourceVersion: String(page.rev) };
    if (page.more) {
      listMeta.continue = encodeContinue({ rv: page.rev, ns: page.more.namespace, name: page.more.name });
      if (page.remaining !== undefined) listMeta.remainingItemCount = page.remaining;
    }
    reply.type('application/json');
    const large = page.items.length > STREAM_LIST_ITEMS;
    // Plain JSON of a stored kind: the stored objects as they are (no parse/serialise round trip).
    if (shape === 'object' && !def.storage) {
      const texts = page.items.map((i) => i.data);
      return reply.send(large ? streamedRawList(def, listMeta, texts) : rawObjectList(def, listMeta, texts));
    }
    if (large)
      return reply.send(
        streamedList(
          def,
          page.items.map((i) => i.data),
          (t) => toAPI(JSON.parse(t) as KubeObject),
          listMeta,
          shape,
          table,
        ),
      );
    const items = page.items.map((i) => toAPI(JSON.parse(i.data) as KubeObject));
    return reply.send(listBody(def, items, listMeta, shape, table));
  }
}
