// The generic REST routes (upstream installer.go): for every ResourceDef, its collection, item and
// subresource endpoints of upstream's API layout, served by the verb handlers (get.ts, create.ts,
// update.ts, patch.ts, delete.ts; watch through get.ts). Nothing here knows a kind by name.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceDef } from '../../registry/types.js';
import { internalError, methodNotSupported, pageNotFound, StatusError } from '../../apimachinery/errors.js';
import { ConversionFailed, ConversionPending } from '../../registry/apiextensions/customresource/conversion.js';

/** Conversions one request may wait for (each converts what it met; a batch prepares most at once). */
const MAX_CONVERSION_ROUNDS = 64;
import { basePath, defSubresources } from '../subresource.js';
import { requestScope, type CollectionHandler, type ItemHandler, type RestDeps } from './scope.js';
import { getResource, listResource } from './get.js';
import { createResource } from './create.js';
import { updateResource } from './update.js';
import { patchResource } from './patch.js';
import { deleteCollection, deleteResource } from './delete.js';
import { scaleHandlers } from './scale.js';
import { writeWarnings } from './response.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Methods<H> = Partial<Record<Method, H>>;

/** One resource's handlers, by path shape and method (a missing method is 404, as for fastify). */
interface ResourceRoutes {
  namespaced: boolean;
  collection: Methods<CollectionHandler>;
  item: Methods<ItemHandler>;
  subs: Map<string, Methods<ItemHandler>>;
  deprecationWarning?: string;
}

export function registerResource(app: FastifyInstance, def: ResourceDef, deps: RestDeps): void {
  const scope = requestScope(def, deps);
  const gr = { group: def.group, resource: def.plural };
  // Upstream answers 405 for verbs a path does not serve (not 404).
  const notAllowed = (req: FastifyRequest) => {
    throw methodNotSupported(gr, req.method.toLowerCase());
  };
  const get = getResource(scope);
  const subs = new Map<string, Methods<ItemHandler>>();
  // The subresources discovery lists for the def (status, finalize, part subresources).
  for (const { subresource, verbs } of defSubresources(def)) {
    if (subresource === 'scale') {
      const h = scaleHandlers(scope);
      subs.set(subresource, { GET: h.get, PUT: h.update, PATCH: h.patch });
      continue;
    }
    const m: Methods<ItemHandler> = {};
    if (verbs.includes('get')) m.GET = get;
    if (verbs.includes('update')) m.PUT = updateResource(scope, subresource);
    if (verbs.includes('patch')) m.PATCH = patchResource(scope, subresource);
    subs.set(subresource, m);
  }
  routesOf(app, basePath(def)).set(def.plural, {
    namespaced: !!def.namespaced,
    collection: {
      GET: listResource(scope),
      POST: createResource(scope),
      DELETE: deleteCollection(scope),
      PUT: notAllowed,
      PATCH: notAllowed,
    },
    item: { GET: get, PUT: updateResource(scope), PATCH: patchResource(scope), DELETE: deleteResource(scope) },
    subs,
    ...(def.deprecationWarning ? { deprecationWarning: def.deprecationWarning } : {}),
  });
}

/** Stops serving `def` (a custom resource whose CRD changed or went): its paths are 404 again. */
export function unregisterResource(app: FastifyInstance, def: ResourceDef): void {
  routeTables.get(app)?.get(basePath(def))?.delete(def.plural);
}

const routeTables = new WeakMap<FastifyInstance, Map<string, Map<string, ResourceRoutes>>>();
/** The route patterns registered per app (`/api/v1`, `/apis/:group/:version`). */
const installedPatterns = new WeakMap<FastifyInstance, Set<string>>();

/**
 * The resources of one group version (`/api/v1`, `/apis/G/V`), by plural. Six routes, parametric
 * in the resource, serve every resource: one set for `/api/v1` and one for all of
 * `/apis/:group/:version` (a fastify route per resource, method and path shape, ~450 of them with
 * their HEAD twins, took ~20 ms of a start to register; a set per group version still took 1.5 ms
 * each, 20 ms with the workload groups); a request finds its group version's table, then its
 * resource. Subresources with their own handlers (pods/log, exec, services/proxy, ...:
 * subresource.ts) name their path and are preferred by the router, and a path or method no
 * resource serves is the same 404 as any unknown path.
 */
function routesOf(app: FastifyInstance, base: string): Map<string, ResourceRoutes> {
  let bases = routeTables.get(app);
  if (!bases) routeTables.set(app, (bases = new Map()));
  let table = bases.get(base);
  if (table) return table;
  bases.set(base, (table = new Map<string, ResourceRoutes>()));
  const grouped = base.startsWith('/apis/');
  const pattern = grouped ? '/apis/:group/:version' : base;
  let installed = installedPatterns.get(app);
  if (!installed) installedPatterns.set(app, (installed = new Set()));
  if (!installed.has(pattern)) {
    installed.add(pattern);
    const all = bases;
    const own = table;
    installRoutes(app, pattern, grouped ? (p) => all.get(`/apis/${p.group}/${p.version}`) : () => own);
  }
  return table;
}

type RouteParams = { group?: string; version?: string; ns?: string; plural: string; name?: string; sub?: string };

/** The six routes of `base`; `tableOf` finds a request's resources (none: 404). */
function installRoutes(app: FastifyInstance, base: string, tableOf: (p: RouteParams) => Map<string, ResourceRoutes> | undefined): void {
  type P = RouteParams;
  const method = (req: FastifyRequest) => (req.method === 'HEAD' ? 'GET' : req.method) as 'GET';
  const run = async <A extends unknown[]>(
    methods: Methods<(req: FastifyRequest, reply: FastifyReply, ...args: A) => unknown> | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
    ...args: A
  ) => {
    const h = methods?.[method(req)];
    if (!h) throw pageNotFound();
    // A custom resource's conversion webhook is asynchronous, the registry is not: a request that
    // meets an object not converted yet converts it and runs again (transactions rolled back).
    for (let attempt = 0; ; attempt++) {
      try {
        return await h(req, reply, ...args);
      } catch (e) {
        if (!(e instanceof ConversionPending) || attempt >= MAX_CONVERSION_ROUNDS || reply.sent) throw e;
        try {
          await e.resolve();
        } catch (failed) {
          if (!(failed instanceof ConversionFailed)) throw failed;
          // upstream: a plain error; reads answer it as a reason-less 500, writes as an InternalError.
          throw req.method === 'GET' || req.method === 'HEAD' ? new StatusError(500, '', failed.message) : internalError(failed.message);
        }
      }
    }
  };
  // A deprecated version's Warning goes with every response of its requests (upstream's CR handler).
  const warned = (r: ResourceRoutes | undefined, reply: FastifyReply) => {
    if (r?.deprecationWarning) writeWarnings(reply, [r.deprecationWarning]);
    return r;
  };
  const resource = (p: P, reply: FastifyReply) => warned(tableOf(p)?.get(p.plural), reply);
  const clusterSub = (req: FastifyRequest, reply: FastifyReply, p: P, plural: string, name: string, sub: string) => {
    const r = warned(tableOf(p)?.get(plural), reply);
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
      const r = resource(req.params as P, reply);
      if (r?.namespaced) return run({ GET: r.collection.GET }, req, reply, undefined);
      return run(r?.collection, req, reply, undefined);
    },
  });
  app.route({
    method: ITEM,
    url: `${base}/:plural/:name`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = resource(p, reply);
      return run(r && !r.namespaced ? r.item : undefined, req, reply, '', p.name!);
    },
  });
  app.route({
    method: SUB,
    url: `${base}/:plural/:name/:sub`,
    handler: (req, reply) => {
      const p = req.params as P;
      return clusterSub(req, reply, p, p.plural, p.name!, p.sub!);
    },
  });
  app.route({
    method: COLLECTION,
    url: `${base}/namespaces/:ns/:plural`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = resource(p, reply);
      if (r?.namespaced) return run(r.collection, req, reply, p.ns);
      // namespaces/NAME/status, namespaces/NAME/finalize: a subresource of a namespace.
      return clusterSub(req, reply, p, 'namespaces', p.ns!, p.plural);
    },
  });
  app.route({
    method: ITEM,
    url: `${base}/namespaces/:ns/:plural/:name`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = resource(p, reply);
      return run(r?.namespaced ? r.item : undefined, req, reply, p.ns!, p.name!);
    },
  });
  app.route({
    method: SUB,
    url: `${base}/namespaces/:ns/:plural/:name/:sub`,
    handler: (req, reply) => {
      const p = req.params as P;
      const r = resource(p, reply);
      return run(r?.namespaced ? r.subs.get(p.sub!) : undefined, req, reply, p.ns!, p.name!);
    },
  });
}
