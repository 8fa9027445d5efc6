// What every REST handler of one resource works with (upstream handlers.RequestScope): its
// ResourceDef, the Store it reads and watches, the Registry it writes through. Built once per
// resource by the installer; the handlers (get.ts, create.ts, ...) take it and return the
// function that serves a request, so nothing is looked up per request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../storage/store.js';
import type { ComputedSource, ResourceDef, ReviewContext } from '../../registry/types.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { Registry } from '../../registry/generic-store.js';
import type { AdmittedWrites } from '../../registry/admitted.js';
import type { WatchSettings } from './watch.js';
import { storageResource } from '../../registry/types.js';
import { StatusError, methodNotSupported } from '../../apimachinery/errors.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The verbs a resource serves (discovery lists them; the handlers refuse others with 405). */
export function verbsOf(def: ResourceDef): string[] {
  return def.verbs ?? ALL_VERBS;
}

/** What the server gives every resource's handlers. */
export interface RestDeps {
  store: Store;
  registry: Registry;
  watch: WatchSettings;
  /** What review kinds consult beside the request's user. */
  reviews?: Omit<ReviewContext, 'user'>;
  /** Where computed kinds come from, by storage resource name. */
  computed?: (resource: string) => ComputedSource | undefined;
  /** Writes through admission webhooks (absent: the registry's plain writes). */
  admitted?: AdmittedWrites;
}

/** The writes of API requests: through admission webhooks when the cluster has them. */
export type Writer = Pick<AdmittedWrites, 'create' | 'update' | 'patch' | 'delete'>;

/** The registry's writes as a Writer (no webhooks: nothing to wait for). */
function plainWriter(registry: Registry): Writer {
  return {
    create: async (...a) => (await a[0].prepareWrite?.(a[2]), registry.create(...a)),
    update: async (...a) => (await a[0].prepareWrite?.(a[3]), registry.update(...a)),
    patch: async (...a) => (await a[0].prepareWrite?.(a[4]), registry.patch(...a)),
    delete: async (...a) => {
      const r = registry.delete(...a);
      return { ...r, warnings: r.warnings ?? [] };
    },
  };
}

export interface RequestScope extends RestDeps {
  def: ResourceDef;
  /** The store's name for the def's objects (storageResource). */
  resource: string;
  /** The def's objects as the API serves them (Registry.toAPI). */
  toAPI: (o: KubeObject) => KubeObject;
  /** 405 unless the resource serves `verb`. */
  need: (verb: string) => void;
  /** Creates, updates, patches and deletes of API requests (admission included). */
  writer: Writer;
}

export function requestScope(def: ResourceDef, deps: RestDeps): RequestScope {
  const { registry } = deps;
  const verbs = new Set(verbsOf(def));
  const gr = { group: def.group, resource: def.plural };
  return {
    ...deps,
    def,
    resource: storageResource(def),
    toAPI: (o) => registry.toAPI(def, o),
    writer: deps.admitted ?? plainWriter(registry),
    need: (verb) => {
      if (!verbs.has(verb)) throw methodNotSupported(gr, verb);
    },
  };
}

/** A request handler of a collection (`ns` undefined: every namespace, or a cluster-scoped kind). */
export type CollectionHandler = (req: FastifyRequest, reply: FastifyReply, ns: string | undefined) => unknown;
/** A request handler of one object (`ns` is '' for cluster-scoped kinds). */
export type ItemHandler = (req: FastifyRequest, reply: FastifyReply, ns: string, name: string) => unknown;

/** The registry's 404 for an object of `def` (for reads that do not go through the Registry). */
export function objectNotFound(def: ResourceDef, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" not found`, {
    name,
    group: def.group || undefined,
    kind: def.plural,
  });
}

/** A computed kind's objects, now (its source answers; an absent source has none). */
export async function computedItems(scope: RequestScope, ns: string | undefined): Promise<KubeObject[]> {
  return (await scope.computed?.(scope.resource)?.list(scope.def.namespaced ? ns : undefined)) ?? [];
}
