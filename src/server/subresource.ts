// Subresources: what discovery lists under a resource (`pods/exec`, `services/proxy`, ...) and
// what serves it, declared together so the two cannot disagree. The generic ones (status,
// finalize, a kind's part subresources) follow from the ResourceDef and are served by the REST
// handlers (handlers/installer.ts); every other one is a Subresource beside its handler (pods/log
// in kubelet/api.ts, services/proxy in apiproxy/handler.ts, ...), which the API server installs on
// the path its discovery entry names and lists in discovery (server.ts).
import type { FastifyInstance } from 'fastify';
import type { ResourceDef } from '../registry/types.js';
import type { UpgradeRouter } from './upgrade.js';

/** A subresource's discovery entry (an APIResource named `plural/subresource`). */
export interface SubresourceInfo {
  plural: string;
  group: string;
  version: string;
  subresource: string;
  /** The kind it takes or returns (`PodExecOptions`, `Eviction`, ...). */
  kind: string;
  /** Set when that kind is of another group version (`policy/v1` Eviction). */
  responseGroup?: string;
  responseVersion?: string;
  verbs: string[];
}

/** Where a Subresource installs itself. */
export interface SubresourceRoutes {
  app: FastifyInstance;
  /** Upgrade requests (WebSocket, SPDY) of streaming subresources. */
  upgrades: UpgradeRouter;
  /** Its path, from its discovery entry: `/api/v1/namespaces/:ns/pods/:name/exec` (params `ns`, `name`). */
  path: string;
}

/** A subresource with its own handler: its discovery entry and how its routes are installed. */
export interface Subresource<Deps = void> extends SubresourceInfo {
  install(routes: SubresourceRoutes, deps: Deps): void;
}

/** Subresources bound to what their handlers need (the cluster's store, logs, ...). */
export function withDeps<Deps>(subs: readonly Subresource<Deps>[], deps: Deps): Subresource[] {
  return subs.map((s) => ({ ...s, install: (r: SubresourceRoutes) => s.install(r, deps) }));
}

/** The discovery entry of a subresource of a core (`v1`) resource. */
export function coreSubresource(plural: string, subresource: string, kind: string, verbs: string[]): SubresourceInfo {
  return { plural, group: '', version: 'v1', subresource, kind, verbs };
}

const STATUS_VERBS = ['get', 'patch', 'update'];

/**
 * The subresources a ResourceDef brings (served by the generic handlers): status, scale, a kind's
 * part subresources (pods/ephemeralcontainers, ...), and namespaces/finalize.
 */
export function defSubresources(def: ResourceDef): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  const sub = (subresource: string, verbs: string[]) =>
    out.push({ plural: def.plural, group: def.group, version: def.version, subresource, kind: def.kind, verbs });
  // The scale subresource speaks autoscaling/v1 Scale (handlers/scale.ts); upstream lists it
  // before status for built-in kinds (discovery is sorted by name), after it for custom resources
  // (the CRD discovery controller appends status, then scale).
  const scale = () =>
    out.push({
      plural: def.plural,
      group: def.group,
      version: def.version,
      subresource: 'scale',
      kind: 'Scale',
      responseGroup: 'autoscaling',
      responseVersion: 'v1',
      verbs: STATUS_VERBS,
    });
  if (def.scale && !def.custom) scale();
  if (def.statusSubresource) sub('status', STATUS_VERBS);
  if (def.scale && def.custom) scale();
  // Namespace finalize: the namespace controller's way to drop spec.finalizers.
  if (def.plural === 'namespaces' && !def.group) sub('finalize', ['update']);
  for (const name of Object.keys(def.partSubresources ?? {})) sub(name, STATUS_VERBS);
  return out;
}

/** The URL path of a resource's collection root: `/api/v1`, `/apis/GROUP/VERSION`. */
export function basePath(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
}

/** The fastify path of one subresource of `def`'s objects. */
export function subresourcePath(def: ResourceDef, subresource: string): string {
  return `${basePath(def)}${def.namespaced ? '/namespaces/:ns' : ''}/${def.plural}/:name/${subresource}`;
}
