// Generic REST routes: for every ResourceDef, the collection, item and subresource endpoints of
// upstream's API layout, mapped onto the Registry (writes) and the Store (reads, watch).
// Nothing here knows a kind by name.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../storage/store.js';
import type { ComputedSource, ResourceDef, ReviewContext } from '../registry/types.js';
import type { KubeObject } from '../apimachinery/types.js';
import { storageResource, apiVersionOf } from '../registry/types.js';
import type { Registry, PatchType } from '../registry/generic-store.js';
import { StatusError, badRequest, internalError, unsupportedMediaType, methodNotSupported } from '../apimachinery/errors.js';
import { responseShape } from './negotiate.js';
import { toTable, partialObjectMetadata } from '../registry/table.js';
import { serveWatch, type WatchSettings } from './watch.js';
import { buildMatcher } from '../registry/filters.js';
import { decodeProtobufBody } from '../apimachinery/protobuf/load.js';
import { decodeYAML, jsonTooDeep, MAX_NESTING, NestingError, YAMLDecodeError } from '../apimachinery/yaml/decode.js';
import { takePredecoded } from '../apimachinery/yaml/offload.js';
import { goQuote } from '../apimachinery/go-format.js';
import {
  deleteOptions,
  deleteParamsFromBody,
  getOptions,
  listLimit,
  listOptions,
  requestQuery,
  tableOptions,
  watchTimeoutMs,
  writeOptions,
  type QueryValues,
} from './query-params.js';
import { goParseUint } from '../apimachinery/go-strconv.js';
import { withStatusErrors } from '../registry/storage-errors.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function verbsOf(def: ResourceDef): string[] {
  return def.verbs ?? ALL_VERBS;
}

export function basePath(def: ResourceDef): string {
  return def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Decodes a request body by its media type, within upstream's bounds (yaml-decode.ts: go-yaml's
 * depth and alias limits; values nested at most MAX_NESTING deep). A body that does not decode is
 * 400 with upstream's text: wrapped by create and update (`kind` given) as their
 * transformDecodeError does, by patches as patch.go does (see decodeError). Large YAML bodies
 * were decoded off the main thread before the handler ran (yaml-offload.ts).
 */
export function decodeBody(req: FastifyRequest, allowed: readonly string[], kind?: string): unknown {
  const type = mediaType(req);
  const raw = req.body as Buffer | undefined;
  if (type === 'application/vnd.kubernetes.protobuf' && allowed.includes(type)) {
    if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
    return decodeProtobufBody(raw);
  }
  if (!allowed.includes(type)) {
    if (!raw || raw.length === 0) {
      if (type === '' || allowed.includes(type)) throw badRequest('the body of the request was empty');
    }
    if (type === '' && raw && raw.length) return decodeJSON(raw, type, kind);
    throw unsupportedMediaType(allowed);
  }
  if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    const pre = takePredecoded(req);
    try {
      if (!pre) return decodeYAML(raw.toString('utf8'));
      if ('error' in pre) throw pre.error;
      return pre.value;
    } catch (e) {
      throw decodeError(e, type, kind, raw);
    }
  }
  return decodeJSON(raw, type, kind);
}

function decodeJSON(raw: Buffer, type: string, kind: string | undefined): unknown {
  const text = raw.toString('utf8');
  const deep = jsonTooDeep(text, MAX_NESTING);
  if (deep) throw decodeError(new NestingError(deep), type, kind, raw);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw decodeError(e, type, kind, raw);
  }
}

/**
 * Upstream's 400 for a body that does not decode. Go's decoders speak: go-yaml's text for YAML
 * (YAMLDecodeError), encoding/json's for nesting (NestingError); JSON syntax errors keep
 * JSON.parse's own words. The prefixes are the handlers': create/update's
 * transformDecodeError (`the object provided is unrecognized (must be of type K): ... (summary)`
 * after the serializer's `couldn't get version/kind; json parse error: `), patch.go's
 * `error decoding patch: ` (merge, JSON patch), none (strategic merge patch), and
 * `error decoding YAML: ` around sigs.k8s.io/yaml's Unmarshal for apply patches. Other callers
 * (subresources, delete options) keep the decoder's own text.
 */
function decodeError(e: unknown, type: string, kind: string | undefined, raw: Buffer): StatusError {
  if (!(e instanceof YAMLDecodeError || e instanceof NestingError || e instanceof SyntaxError)) return internalError((e as Error).message);
  const yaml = e instanceof YAMLDecodeError;
  const msg = e.message;
  switch (type) {
    case 'application/merge-patch+json':
    case 'application/json-patch+json':
      return badRequest(`error decoding patch: ${msg}`);
    case 'application/strategic-merge-patch+json':
      return badRequest(msg);
    case 'application/apply-patch+yaml':
      return badRequest(`error decoding YAML: ${yaml ? 'error converting YAML to JSON' : 'error unmarshaling JSON'}: ${msg}`);
  }
  if (!kind) return badRequest(yaml ? `error converting YAML to JSON: ${msg}` : `couldn't get version/kind; json parse error: ${msg}`);
  const inner = yaml ? msg : `couldn't get version/kind; json parse error: ${msg}`;
  return badRequest(`the object provided is unrecognized (must be of type ${kind}): ${inner} (${summarizeData(raw)})`);
}

/** handlers/rest.go summarizeData(data, 30): the start of a JSON object as text, else as hex. */
function summarizeData(raw: Buffer, max = 30): string {
  if (!raw.length) return '<empty>';
  const head = raw.subarray(0, max);
  const text = raw[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return raw.length > max ? `${text} ...` : text;
}

function warn(reply: FastifyReply, warnings: string[]): void {
  if (warnings.length)
    reply.header(
      'Warning',
      warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
}

interface ContinueToken {
  rv: number;
  ns: string;
  name: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: `${t.ns}\u0000${t.name}` })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const o = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (o.v !== 'meta.k8s.io/v1' || typeof o.rv !== 'number' || typeof o.start !== 'string') throw new Error('bad');
    const [ns, name] = o.start.split('\u0000');
    if (name === undefined) throw new Error('bad');
    return { rv: o.rv, ns: ns!, name };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

/**
 * The storage layer's reading of a resourceVersion (APIObjectVersioner.ParseResourceVersion:
 * strconv.ParseUint, "" and "0" are none), with its field error text; a 400 here where
 * upstream's cacher lets that error through as a 500.
 */
function parseRV(v: string | undefined): bigint | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    return goParseUint(v, 64);
  } catch (e) {
    throw badRequest(`resourceVersion: Invalid value: ${goQuote(v)}: ${(e as Error).message}`);
  }
}

/** The watch cache's answer to a resourceVersion it has not reached (after its wait). */
function tooLargeRV(rv: bigint, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

export interface RestDeps {
  store: Store;
  registry: Registry;
  watch: WatchSettings;
  /** What review kinds consult beside the request's user. */
  reviews?: Omit<ReviewContext, 'user'>;
  /** Where computed kinds come from, by storage resource name. */
  computed?: (resource: string) => ComputedSource | undefined;
}

export function registerResource(app: FastifyInstance, def: ResourceDef, deps: RestDeps): void {
  const { store, registry } = deps;
  const base = basePath(def);
  const verbs = new Set(verbsOf(def));
  const resource = storageResource(def);
  const gr = { group: def.group, resource: def.plural };
  const toAPI = (o: KubeObject) => registry.toAPI(def, o);
  const need = (verb: string) => {
    if (!verbs.has(verb)) throw methodNotSupported(gr, verb);
  };

  /** A write is acknowledged only once it is committed (group commit batches one loop turn). */
  const acked = async <T>(send: () => T): Promise<T> => {
    await store.durable();
    return send();
  };

  /** Writes an object response in the shape the client asked for (TableOptions are read only
   *  for a Table, as upstream's transformResponseObject does, after the request's work). */
  const sendObject = (req: FastifyRequest, reply: FastifyReply, o: KubeObject, code = 200, q: QueryValues = requestQuery(req.url)) => {
    const shape = responseShape(req.headers.accept);
    if (shape === 'table') {
      const t = tableOptions(q);
      return reply
        .code(code)
        .type('application/json')
        .send(toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, t.include, !t.noHeaders));
    }
    reply.code(code).type('application/json');
    if (shape === 'partial') return reply.send(partialObjectMetadata(o));
    return reply.send(o);
  };

  /** A computed kind's objects, now (its source answers; an absent source has none). */
  const computedItems = async (ns: string | undefined) => (await deps.computed?.(resource)?.list(def.namespaced ? ns : undefined)) ?? [];

  const listComputed = async (
    req: FastifyRequest,
    reply: FastifyReply,
    ns: string | undefined,
    q: QueryValues,
    lo: ReturnType<typeof listOptions>,
  ) => {
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector);
    const shape = responseShape(req.headers.accept);
    const table = shape === 'table' ? tableOptions(q) : undefined;
    const items = (await computedItems(ns)).filter((o) => !match || match(o));
    const meta = {};
    reply.type('application/json');
    if (table) return reply.send(toTable(def, items, meta, table.include, !table.noHeaders));
    if (shape === 'partial')
      return reply.send({
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: meta,
        items: items.map(partialObjectMetadata),
      });
    return reply.send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items });
  };

  // upstream ListResource: decode and validate the ListOptions (400/422), then the verb, the field
  // selector's labels (400), and for a Table its options.
  const list = (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => {
    const q = requestQuery(req.url);
    const lo = listOptions(q);
    need(lo.watch ? 'watch' : 'list');
    if (def.computed) return listComputed(req, reply, ns, q, lo);
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector);
    const shape = responseShape(req.headers.accept);
    const table = shape === 'table' ? tableOptions(q) : undefined;
    if (lo.watch) {
      const rv = parseRV(lo.resourceVersion);
      if (rv !== undefined && rv > BigInt(store.rev)) throw tooLargeRV(rv, store.rev);
      const timeoutMs = watchTimeoutMs(lo);
      serveWatch(
        store,
        deps.watch,
        {
          def,
          namespace: ns,
          match: match ?? (() => true),
          resourceVersion: lo.resourceVersion,
          allowBookmarks: lo.allowWatchBookmarks,
          timeoutSeconds: timeoutMs === undefined ? undefined : timeoutMs / 1000,
          sendInitialEvents: lo.sendInitialEvents,
          shape,
          include: table?.include ?? 'Metadata',
          toAPI,
        },
        req,
        reply,
      );
      return;
    }
    const limit = listLimit(lo);
    let atRev: number | undefined;
    let after: { namespace: string; name: string } | undefined;
    if (lo.continue) {
      if (lo.resourceVersion && lo.resourceVersion !== '0')
        throw badRequest('specifying resource version is not allowed when using continue');
      const t = decodeContinue(lo.continue);
      atRev = t.rv;
      after = { namespace: t.ns, name: t.name };
    } else {
      const rv = parseRV(lo.resourceVersion);
      const rvMatch = lo.resourceVersionMatch;
      if (rv !== undefined && rv > BigInt(store.rev)) throw tooLargeRV(rv, store.rev);
      if (rvMatch === 'Exact' && rv !== undefined) atRev = Number(rv);
      if (rvMatch === 'Exact' && rv! < BigInt(store.compactedRev)) {
        throw new StatusError(410, 'Expired', `The resourceVersion for the provided list is too old.`);
      }
    }
    const page = withStatusErrors(() =>
      store.list(resource, {
        namespace: def.namespaced ? ns : undefined,
        atRev,
        after,
        limit,
        filter: match ? (o) => match(def.storage ? toAPI(o) : o) : undefined,
      }),
    );
    const listMeta: Record<string, unknown> = { resourceVersion: String(page.rev) };
    if (page.more) {
      listMeta.continue = encodeContinue({ rv: page.rev, ns: page.more.namespace, name: page.more.name });
      if (page.remaining !== undefined) listMeta.remainingItemCount = page.remaining;
    }
    reply.type('application/json');
    if (shape === 'object' && !def.storage) {
      // Relay stored JSON as is: no parse/serialise round trip for large lists.
      const head = JSON.stringify({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: listMeta });
      return reply.send(`${head.slice(0, -1)},"items":[${page.items.map((i) => i.data).join(',')}]}`);
    }
    const items = page.items.map((i) => toAPI(JSON.parse(i.data) as KubeObject));
    if (table) return reply.send(toTable(def, items, listMeta, table.include, !table.noHeaders));
    if (shape === 'partial') {
      return reply.send({
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: listMeta,
        items: items.map(partialObjectMetadata),
      });
    }
    return reply.send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: listMeta, items });
  };

  // Options before the body, as upstream's create/update/patch handlers decode them.
  const create = (req: FastifyRequest, reply: FastifyReply, ns: string) => {
    need('create');
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], 'create');
    const body = decodeBody(req, BODY_TYPES, def.kind) as KubeObject;
    if (def.review) {
      if (!deps.reviews || !req.user) throw internalError('reviews are not available');
      const r = registry.review(def, ns, body, { ...deps.reviews, user: req.user }, opts);
      warn(reply, r.warnings);
      return sendObject(req, reply, r.object, 201, q);
    }
    const r = registry.create(def, ns, body, opts);
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, 201, q));
  };

  const getComputed = async (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    const o = (await computedItems(ns)).find((x) => x.metadata.name === name);
    if (!o) throw registryNotFound(def, name);
    return sendObject(req, reply, o);
  };

  const get = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    need('get');
    getOptions(requestQuery(req.url));
    if (def.computed) return getComputed(req, reply, ns, name);
    const shape = responseShape(req.headers.accept);
    if (shape === 'object' && !def.storage) {
      const raw = store.getRaw(resource, def.namespaced ? ns : '', name);
      if (!raw) throw registryNotFound(def, name);
      return reply.type('application/json').send(raw.data);
    }
    return sendObject(req, reply, registry.get(def, ns, name));
  };

  const update = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string, sub?: string) => {
    need('update');
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], 'update');
    const body = decodeBody(req, BODY_TYPES, def.kind) as KubeObject;
    const r = registry.update(def, ns, name, body, { ...opts, subresource: sub });
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, r.created ? 201 : 200, q));
  };

  const patch = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string, sub?: string) => {
    need('patch');
    const type = PATCH_TYPES[mediaType(req)];
    if (!type) throw unsupportedMediaType(Object.keys(PATCH_TYPES));
    const q = requestQuery(req.url);
    const opts = writeOptions(q, req.headers['user-agent'], { patch: type });
    const body = decodeBody(req, Object.keys(PATCH_TYPES));
    if (type === 'json' && !Array.isArray(body)) {
      throw badRequest(`json: cannot unmarshal ${body === null ? 'null' : typeof body} into Go value of type jsonpatch.Patch`);
    }
    if (type !== 'json' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw badRequest(
        `json: cannot unmarshal ${Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body} into Go value of type map[string]interface {}`,
      );
    }
    const r = registry.patch(def, ns, name, type, body, { ...opts, subresource: sub });
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, r.created ? 201 : 200, q));
  };

  const del = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    need('delete');
    const q = requestQuery(req.url);
    const raw = req.body as Buffer | undefined;
    const body = raw && raw.length ? deleteParamsFromBody(decodeBody(req, BODY_TYPES)) : undefined;
    const opts = deleteOptions(q, body);
    const r = registry.delete(def, ns, name, opts);
    // upstream answers 200 also when the object is only marked (graceful Pod deletion, finalizers,
    // namespaces); 202 only for a pending delete that explicitly asked orphanDependents=false.
    return acked(() => sendObject(req, reply, r.object, !r.deleted && opts.orphanDependents === false ? 202 : 200, q));
  };

  const deleteCollection = async (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => {
    need('deletecollection');
    // upstream DeleteCollection: ListOptions first (400/422), the field selector's labels, then
    // the DeleteOptions (body, else query).
    const q = requestQuery(req.url);
    const lo = listOptions(q);
    const match = buildMatcher(def, lo.labelSelector, lo.fieldSelector) ?? (() => true);
    const raw = req.body as Buffer | undefined;
    const body = raw && raw.length ? deleteParamsFromBody(decodeBody(req, BODY_TYPES)) : undefined;
    const items = registry.deleteCollection(def, ns, match, deleteOptions(q, body));
    await store.durable();
    return reply
      .type('application/json')
      .send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.rev) }, items });
  };

  // Upstream answers 405 for verbs a path does not serve (not 404).
  const notAllowed = (req: FastifyRequest) => {
    throw methodNotSupported(gr, req.method.toLowerCase());
  };
  const subs = new Map<string, Methods<[ns: string, name: string]>>();
  for (const sub of [...(def.statusSubresource ? ['status'] : []), ...Object.keys(def.partSubresources ?? {})]) {
    subs.set(sub, {
      GET: get,
      PUT: (req, reply, ns, name) => update(req, reply, ns, name, sub),
      PATCH: (req, reply, ns, name) => patch(req, reply, ns, name, sub),
    });
  }
  // Namespace finalize: the namespace controller's way to drop spec.finalizers.
  if (def.plural === 'namespaces' && !def.group)
    subs.set('finalize', { PUT: (req, reply, _ns, name) => update(req, reply, '', name, 'finalize') });
  routesOf(app, base).set(def.plural, {
    namespaced: !!def.namespaced,
    collection: {
      GET: list,
      POST: (req, reply, ns) => create(req, reply, ns ?? ''),
      DELETE: deleteCollection,
      PUT: notAllowed,
      PATCH: notAllowed,
    },
    item: { GET: get, PUT: update, PATCH: patch, DELETE: del },
    subs,
  });
}

type Handler<A extends unknown[]> = (req: FastifyRequest, reply: FastifyReply, ...args: A) => unknown;
type Methods<A extends unknown[]> = Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', Handler<A>>>;

/** One resource's handlers, by path shape and method (a missing method is 404, as for fastify). */
interface ResourceRoutes {
  namespaced: boolean;
  collection: Methods<[ns: string | undefined]>;
  item: Methods<[ns: string, name: string]>;
  subs: Map<string, Methods<[ns: string, name: string]>>;
}

const routeTables = new WeakMap<FastifyInstance, Map<string, Map<string, ResourceRoutes>>>();

/** The 404 of a path nothing serves (the server's not-found handler answers it too). */
export function pageNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
  });
}

/**
 * The resources of one group version (`/api/v1`, `/apis/G/V`), by plural. The first resource of
 * a group version registers its six routes, parametric in the resource (a fastify route per
 * resource, method and path shape, ~450 of them with their HEAD twins, took ~20 ms of a start to
 * register); a request finds its resource here. Routes of other modules (pods/log, exec,
 * services/proxy, ...) name their subresource and are preferred by the router as before, and a
 * path or method no resource serves is the same 404 as any unknown path.
 */
function routesOf(app: FastifyInstance, base: string): Map<string, ResourceRoutes> {
  let bases = routeTables.get(app);
  if (!bases) routeTables.set(app, (bases = new Map()));
  let table = bases.get(base);
  if (table) return table;
  const t = (table = new Map<string, ResourceRoutes>());
  bases.set(base, t);
  type P = { ns?: string; plural: string; name?: string; sub?: string };
  const method = (req: FastifyRequest) => (req.method === 'HEAD' ? 'GET' : req.method) as 'GET';
  const run = <A extends unknown[]>(methods: Methods<A> | undefined, req: FastifyRequest, reply: FastifyReply, ...args: A) => {
    const h = methods?.[method(req)];
    if (!h) throw pageNotFound();
    return h(req, reply, ...args);
  };
  const clusterSub = (req: FastifyRequest, reply: FastifyReply, plural: string, name: string, sub: string) => {
    const r = t.get(plural);
    return run(r && !r.namespaced ? r.subs.get(sub) : undefined, req, reply, '', name);
  };
  const COLLECTION = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'];
  const ITEM = ['GET', 'PUT', 'PATCH', 'DELETE'];
  const SUB = ['GET', 'PUT', 'PATCH'];
  // Cluster-scoped collections, and every namespace's objects of a namespaced resource (GET).
  app.route({
    method: COLLECTION,
    url: `${base}/:plural`,
    handler: (req, reply) => {
      const r = t.get((req.params as P).plural);
      if (r?.namespaced) return run({ GET: r.collection.GET }, req, reply, undefined);
      return run(r?.collection, req, reply, undefined);
    },
  });
  app.route({
    method: ITEM,
    url: `${base}/:plural/:name`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = t.get(p.plural);
      return run(r && !r.namespaced ? r.item : undefined, req, reply, '', p.name!);
    },
  });
  app.route({
    method: SUB,
    url: `${base}/:plural/:name/:sub`,
    handler: (req, reply) => {
      const p = req.params as P;
      return clusterSub(req, reply, p.plural, p.name!, p.sub!);
    },
  });
  app.route({
    method: COLLECTION,
    url: `${base}/namespaces/:ns/:plural`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = t.get(p.plural);
      if (r?.namespaced) return run(r.collection, req, reply, p.ns);
      // namespaces/NAME/status, namespaces/NAME/finalize: a subresource of a namespace.
      return clusterSub(req, reply, 'namespaces', p.ns!, p.plural);
    },
  });
  app.route({
    method: ITEM,
    url: `${base}/namespaces/:ns/:plural/:name`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = t.get(p.plural);
      return run(r?.namespaced ? r.item : undefined, req, reply, p.ns!, p.name!);
    },
  });
  app.route({
    method: SUB,
    url: `${base}/namespaces/:ns/:plural/:name/:sub`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = t.get(p.plural);
      return run(r?.namespaced ? r.subs.get(p.sub!) : undefined, req, reply, p.ns!, p.name!);
    },
  });
  return t;
}

function registryNotFound(def: ResourceDef, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" not found`, {
    name,
    group: def.group || undefined,
    kind: def.plural,
  });
}
