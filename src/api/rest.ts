// Generic REST routes: for every ResourceDef, the collection, item and subresource endpoints of
// upstream's API layout, mapped onto the Registry (writes) and the Store (reads, watch).
// Nothing here knows a kind by name.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import YAML from 'yaml';
import type { Store } from '../store/store.js';
import type { ComputedSource, KubeObject, ResourceDef, ReviewContext } from '../resources/types.js';
import { storageResource, apiVersionOf } from '../resources/types.js';
import type { Registry, DeleteOptions, PatchType, WriteOptions, FieldValidation } from './registry.js';
import { StatusError, badRequest, internalError, unsupportedMediaType, methodNotSupported } from './errors.js';
import { responseShape } from './negotiate.js';
import { toTable, partialObjectMetadata, type IncludeObject } from './table.js';
import { serveWatch, type WatchSettings } from './watch-http.js';
import { buildMatcher } from './filters.js';
import { decodeKubeProtobuf } from './protobuf/decode.js';

type Query = Record<string, string | undefined>;
type Params = { ns?: string; name?: string };

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

/** Decodes a request body by its media type. JSON syntax errors are 400 like upstream's decoder. */
export function decodeBody(req: FastifyRequest, allowed: readonly string[]): unknown {
  const type = mediaType(req);
  const raw = req.body as Buffer | undefined;
  if (type === 'application/vnd.kubernetes.protobuf' && allowed.includes(type)) {
    if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
    return decodeKubeProtobuf(raw);
  }
  if (!allowed.includes(type)) {
    if (!raw || raw.length === 0) {
      if (type === '' || allowed.includes(type)) throw badRequest('the body of the request was empty');
    }
    if (type === '' && raw && raw.length) return parseJSON(raw.toString('utf8'));
    throw unsupportedMediaType(allowed);
  }
  if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
  const text = raw.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      const docs = YAML.parseAllDocuments(text, { uniqueKeys: false });
      if (docs.length !== 1) throw new Error(docs.length ? 'expected a single YAML document' : 'empty document');
      const d = docs[0]!;
      if (d.errors.length) throw d.errors[0]!;
      return d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return parseJSON(text);
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function bool(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function writeOptions(q: Query, req: FastifyRequest): WriteOptions {
  const dryRun = q.dryRun;
  if (dryRun !== undefined && dryRun !== 'All' && dryRun !== '') {
    throw new StatusError(400, 'BadRequest', `dryRun: Unsupported value: "${dryRun}": supported values: "All"`);
  }
  const fv = q.fieldValidation;
  if (fv !== undefined && fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore' && fv !== '') {
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${fv}"`);
  }
  const manager = q.fieldManager ?? defaultManager(req.headers['user-agent']);
  if (manager && manager.length > 128) throw badRequest('fieldManager: Too long: must have at most 128 bytes');
  return { dryRun: dryRun === 'All', fieldManager: manager, fieldValidation: (fv || 'Warn') as FieldValidation, force: bool(q.force) };
}

/** Upstream names the manager after the user agent's program part (`kubectl`, `node-fetch`). */
function defaultManager(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  return ua.split('/')[0]!.slice(0, 128);
}

/** DeleteOptions from the query and a body (a DeleteOptions, or an Eviction's deleteOptions). */
export function deleteOptions(q: Query, body: unknown): DeleteOptions {
  const o: DeleteOptions = {};
  if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(o, body as DeleteOptions);
  if (q.gracePeriodSeconds !== undefined) o.gracePeriodSeconds = Number(q.gracePeriodSeconds);
  if (q.propagationPolicy !== undefined) o.propagationPolicy = q.propagationPolicy as DeleteOptions['propagationPolicy'];
  if (q.orphanDependents !== undefined) o.orphanDependents = bool(q.orphanDependents);
  if (q.dryRun !== undefined) o.dryRun = q.dryRun === 'All';
  if ((body as { dryRun?: string[] } | undefined)?.dryRun) o.dryRun = ((body as { dryRun: string[] }).dryRun).includes('All');
  if (o.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(o.propagationPolicy)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (o.gracePeriodSeconds !== undefined && !Number.isInteger(o.gracePeriodSeconds)) throw badRequest('gracePeriodSeconds must be an integer');
  if (o.propagationPolicy && o.orphanDependents !== undefined) {
    throw new StatusError(422, 'Invalid', 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "' + o.propagationPolicy + '": orphanDependents and deletionPropagation cannot be both set');
  }
  return o;
}

function includeObject(q: Query): IncludeObject {
  const v = q.includeObject;
  if (v === 'None' || v === 'Object') return v;
  return 'Metadata';
}

function warn(reply: FastifyReply, warnings: string[]): void {
  if (warnings.length) reply.header('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
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

function parseRV(v: string | undefined, what = 'resourceVersion'): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${what}: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
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
  const itemPath = def.namespaced ? `${base}/namespaces/:ns/${def.plural}/:name` : def.plural === 'namespaces' ? `${base}/namespaces/:ns` : `${base}/${def.plural}/:name`;
  const nsOf = (p: Params) => (def.namespaced ? p.ns! : '');
  const nameOf = (p: Params) => (!def.namespaced && def.plural === 'namespaces' ? p.ns! : p.name!);
  const toAPI = (o: KubeObject) => registry.toAPI(def, o);
  const need = (verb: string) => {
    if (!verbs.has(verb)) throw methodNotSupported(gr, verb);
  };

  /** A write is acknowledged only once it is committed (group commit batches one loop turn). */
  const acked = async <T>(send: () => T): Promise<T> => {
    await store.durable();
    return send();
  };

  /** Writes an object response in the shape the client asked for. */
  const sendObject = (req: FastifyRequest, reply: FastifyReply, o: KubeObject, code = 200) => {
    const shape = responseShape(req.headers.accept);
    reply.code(code).type('application/json');
    if (shape === 'table') return reply.send(toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, includeObject(req.query as Query)));
    if (shape === 'partial') return reply.send(partialObjectMetadata(o));
    return reply.send(o);
  };

  /** A computed kind's objects, now (its source answers; an absent source has none). */
  const computedItems = async (ns: string | undefined) => (await deps.computed?.(resource)?.list(def.namespaced ? ns : undefined)) ?? [];

  const listComputed = async (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => {
    const q = req.query as Query;
    const match = buildMatcher(def, q.labelSelector, q.fieldSelector);
    const shape = responseShape(req.headers.accept);
    const items = (await computedItems(ns)).filter((o) => !match || match(o));
    const meta = {};
    reply.type('application/json');
    if (shape === 'table') return reply.send(toTable(def, items, meta, includeObject(q)));
    if (shape === 'partial') return reply.send({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map(partialObjectMetadata) });
    return reply.send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items });
  };

  const list = (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => {
    const q = req.query as Query;
    need(bool(q.watch) ? 'watch' : 'list');
    if (def.computed) return listComputed(req, reply, ns);
    const match = buildMatcher(def, q.labelSelector, q.fieldSelector);
    const shape = responseShape(req.headers.accept);
    if (bool(q.watch)) {
      if (q.sendInitialEvents !== undefined && bool(q.sendInitialEvents) && q.resourceVersionMatch !== 'NotOlderThan') {
        throw new StatusError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan`);
      }
      parseRV(q.resourceVersion);
      const timeoutSeconds = q.timeoutSeconds !== undefined ? Number(q.timeoutSeconds) : undefined;
      if (timeoutSeconds !== undefined && !(timeoutSeconds >= 0)) throw badRequest(`timeoutSeconds: Invalid value: "${q.timeoutSeconds}"`);
      serveWatch(store, deps.watch, {
        def,
        namespace: ns,
        match: match ?? (() => true),
        resourceVersion: q.resourceVersion,
        allowBookmarks: bool(q.allowWatchBookmarks),
        timeoutSeconds,
        sendInitialEvents: bool(q.sendInitialEvents),
        shape,
        include: includeObject(q),
        toAPI,
      }, req, reply);
      return;
    }
    const limit = q.limit !== undefined ? Number(q.limit) : undefined;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw badRequest(`limit: Invalid value: "${q.limit}": must be a non-negative integer`);
    let atRev: number | undefined;
    let after: { namespace: string; name: string } | undefined;
    if (q.continue) {
      if (q.resourceVersion && q.resourceVersion !== '0') throw badRequest('specifying resource version is not allowed when using continue');
      const t = decodeContinue(q.continue);
      atRev = t.rv;
      after = { namespace: t.ns, name: t.name };
    } else {
      const rv = parseRV(q.resourceVersion);
      const rvMatch = q.resourceVersionMatch;
      if (rvMatch && !['Exact', 'NotOlderThan'].includes(rvMatch)) throw badRequest(`resourceVersionMatch: Unsupported value: "${rvMatch}": supported values: "Exact", "NotOlderThan"`);
      if (rvMatch && rv === undefined) throw new StatusError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`);
      if (rv !== undefined && rv > store.rev) {
        throw new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${store.rev}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      if (rvMatch === 'Exact') atRev = rv;
      if (rvMatch === 'Exact' && rv! < store.compactedRev) {
        throw new StatusError(410, 'Expired', `The resourceVersion for the provided list is too old.`);
      }
    }
    const page = store.list(resource, { namespace: def.namespaced ? ns : undefined, atRev, after, limit: limit || undefined, filter: match ? (o) => match(def.storage ? toAPI(o) : o) : undefined });
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
    if (shape === 'table') return reply.send(toTable(def, items, listMeta, includeObject(q)));
    if (shape === 'partial') {
      return reply.send({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partialObjectMetadata) });
    }
    return reply.send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: listMeta, items });
  };

  const create = (req: FastifyRequest, reply: FastifyReply, ns: string) => {
    need('create');
    const body = decodeBody(req, BODY_TYPES) as KubeObject;
    if (def.review) {
      if (!deps.reviews || !req.user) throw internalError('reviews are not available');
      const r = registry.review(def, ns, body, { ...deps.reviews, user: req.user }, writeOptions(req.query as Query, req));
      warn(reply, r.warnings);
      return sendObject(req, reply, r.object, 201);
    }
    const r = registry.create(def, ns, body, writeOptions(req.query as Query, req));
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, 201));
  };

  const getComputed = async (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    const o = (await computedItems(ns)).find((x) => x.metadata.name === name);
    if (!o) throw registryNotFound(def, name);
    return sendObject(req, reply, o);
  };

  const get = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    need('get');
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
    const body = decodeBody(req, BODY_TYPES) as KubeObject;
    const r = registry.update(def, ns, name, body, { ...writeOptions(req.query as Query, req), subresource: sub });
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, r.created ? 201 : 200));
  };

  const patch = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string, sub?: string) => {
    need('patch');
    const type = PATCH_TYPES[mediaType(req)];
    if (!type) throw unsupportedMediaType(Object.keys(PATCH_TYPES));
    const body = decodeBody(req, Object.keys(PATCH_TYPES));
    if (type === 'json' && !Array.isArray(body)) {
      throw badRequest(`json: cannot unmarshal ${body === null ? 'null' : typeof body} into Go value of type jsonpatch.Patch`);
    }
    if (type !== 'json' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw badRequest(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body} into Go value of type map[string]interface {}`);
    }
    const r = registry.patch(def, ns, name, type, body, { ...writeOptions(req.query as Query, req), subresource: sub });
    warn(reply, r.warnings);
    return acked(() => sendObject(req, reply, r.object, r.created ? 201 : 200));
  };

  const del = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => {
    need('delete');
    const raw = req.body as Buffer | undefined;
    const body = raw && raw.length ? decodeBody(req, BODY_TYPES) : undefined;
    const opts = deleteOptions(req.query as Query, body);
    const r = registry.delete(def, ns, name, opts);
    // upstream answers 200 also when the object is only marked (graceful Pod deletion, finalizers,
    // namespaces); 202 only for a pending delete that explicitly asked orphanDependents=false.
    return acked(() => sendObject(req, reply, r.object, !r.deleted && opts.orphanDependents === false ? 202 : 200));
  };

  const deleteCollection = async (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => {
    need('deletecollection');
    const q = req.query as Query;
    const raw = req.body as Buffer | undefined;
    const body = raw && raw.length ? decodeBody(req, BODY_TYPES) : undefined;
    const match = buildMatcher(def, q.labelSelector, q.fieldSelector) ?? (() => true);
    const items = registry.deleteCollection(def, ns, match, deleteOptions(q, body));
    await store.durable();
    return reply.type('application/json').send({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.rev) }, items });
  };

  // Collection routes.
  const collection = def.namespaced ? `${base}/namespaces/:ns/${def.plural}` : `${base}/${def.plural}`;
  app.get(collection, (req, reply) => list(req, reply, def.namespaced ? (req.params as Params).ns : undefined));
  app.post(collection, (req, reply) => create(req, reply, def.namespaced ? (req.params as Params).ns! : ''));
  app.delete(collection, (req, reply) => deleteCollection(req, reply, def.namespaced ? (req.params as Params).ns : undefined));
  if (def.namespaced) app.get(`${base}/${def.plural}`, (req, reply) => list(req, reply, undefined));
  // Upstream answers 405 for verbs a path does not serve (not 404).
  const notAllowed = (req: FastifyRequest) => {
    throw methodNotSupported(gr, req.method.toLowerCase());
  };
  app.put(collection, notAllowed);
  app.patch(collection, notAllowed);

  // Item routes.
  app.get(itemPath, (req, reply) => get(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));
  app.put(itemPath, (req, reply) => update(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));
  app.patch(itemPath, (req, reply) => patch(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));
  app.delete(itemPath, (req, reply) => del(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));

  if (def.statusSubresource) {
    const p = `${itemPath}/status`;
    app.get(p, (req, reply) => get(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));
    app.put(p, (req, reply) => update(req, reply, nsOf(req.params as Params), nameOf(req.params as Params), 'status'));
    app.patch(p, (req, reply) => patch(req, reply, nsOf(req.params as Params), nameOf(req.params as Params), 'status'));
  }
  for (const sub of Object.keys(def.partSubresources ?? {})) {
    const p = `${itemPath}/${sub}`;
    app.get(p, (req, reply) => get(req, reply, nsOf(req.params as Params), nameOf(req.params as Params)));
    app.put(p, (req, reply) => update(req, reply, nsOf(req.params as Params), nameOf(req.params as Params), sub));
    app.patch(p, (req, reply) => patch(req, reply, nsOf(req.params as Params), nameOf(req.params as Params), sub));
  }
  if (def.plural === 'namespaces' && !def.group) {
    // Namespace finalize: the namespace controller's way to drop spec.finalizers.
    app.put(`${itemPath}/finalize`, (req, reply) => update(req, reply, '', nameOf(req.params as Params), 'finalize'));
  }
}

function registryNotFound(def: ResourceDef, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" not found`, {
    name,
    group: def.group || undefined,
    kind: def.plural,
  });
}
