// The routing table an ingress controller serves, built from IngressClass and Ingress objects
// (pure: no I/O). Matching follows the Ingress API's own definitions (networking.k8s.io/v1
// IngressRule.host and HTTPIngressPath.pathType, and the path matching rules of the Ingress
// concept page):
// - hosts: a precise host matches the Host header (port removed, case folded) exactly; a wildcard
//   `*.example.com` matches exactly one more label (`a.example.com`, not `example.com` nor
//   `a.b.example.com`); a rule without a host matches every request. The most specific host group
//   that matches decides (precise, then wildcard, then any host): when none of its paths matches,
//   the default backend serves the request, as controllers that build one server per host do.
// - paths: Exact compares the whole path; Prefix compares path elements split by '/' (a trailing
//   slash is ignored, `/foo` matches `/foo`, `/foo/` and `/foo/bar` but not `/foobar`; `/` matches
//   everything); ImplementationSpecific is matched as Prefix here. Among matching paths the longest
//   wins, and at equal length Exact beats Prefix; rules of several Ingresses for one host merge, and
//   at a full tie the oldest Ingress wins.
// - the default backend: spec.defaultBackend of the oldest Ingress that has one.
// - TLS: spec.tls hosts (precise or wildcard) map to the Secret named there, in the Ingress's
//   namespace; an entry without hosts gives the certificate for any other name.
import type { IngressBackend } from '../../api/generated/networking/v1.js';
import { ANNOTATION_INGRESS_CLASS, type IngressClassObj, type IngressObj } from './ingress-validation.js';
import { defaultIngressClass } from './default-ingress-class.js';

export type MatchType = 'Exact' | 'Prefix';

/** Where a matched request goes: an Ingress's backend, with the Ingress it came from. */
export interface RouteBackend {
  namespace: string;
  ingress: string;
  backend: IngressBackend;
}

export interface PathRoute {
  /** The path as written (Prefix: without a trailing slash; `/` is kept as is). */
  path: string;
  type: MatchType;
  /** The pathType written in the Ingress (ImplementationSpecific is matched as Prefix). */
  pathType: string;
  to: RouteBackend;
}

export interface TLSRoute {
  namespace: string;
  secretName: string;
  ingress: string;
}

export interface RoutingTable {
  /** Precise hosts, lower case. */
  precise: Map<string, PathRoute[]>;
  /** Wildcard hosts by their suffix: `*.example.com` under `example.com`. */
  wildcard: Map<string, PathRoute[]>;
  /** Rules without a host. */
  anyHost: PathRoute[];
  defaultBackend?: RouteBackend;
  tls: { precise: Map<string, TLSRoute>; wildcard: Map<string, TLSRoute>; fallback?: TLSRoute };
}

export interface RouteMatch {
  to: RouteBackend;
  /** The path route that matched; absent when the default backend serves the request. */
  route?: PathRoute;
}

// ---- which Ingresses a controller serves ----

/** The class an Ingress asks for: spec.ingressClassName, else the deprecated annotation. */
export function requestedClass(ing: IngressObj): string | undefined {
  const name = ing.spec?.ingressClassName;
  if (typeof name === 'string') return name;
  return ing.metadata.annotations?.[ANNOTATION_INGRESS_CLASS];
}

/**
 * Which Ingresses belong to the classes of a controller (IngressClass spec.controller): those
 * naming one of its classes, and those naming no class when the cluster's default class is one of
 * them (Ingresses created before that class was marked default).
 */
export function ingressSelector(classes: readonly IngressClassObj[], controller: string): (ing: IngressObj) => boolean {
  const mine = new Set(classes.filter((c) => c.spec?.controller === controller).map((c) => c.metadata.name ?? ''));
  const def = defaultIngressClass(classes);
  const takesClassless = !!def && mine.has(def.metadata.name ?? '');
  return (ing) => {
    const cls = requestedClass(ing);
    return cls === undefined ? takesClassless : mine.has(cls);
  };
}

// ---- building ----

/** Prefix matching ignores a trailing slash (`/foo/` is `/foo`); `/` stays `/`. */
const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p);

/** Host header to match: without a port, lower case. */
export function normalizeHost(host: string | undefined): string {
  let h = (host ?? '').trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  const colon = h.indexOf(':');
  if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const createdAt = (ing: IngressObj): number => {
  const t = Date.parse(ing.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
};
const key = (ing: IngressObj) => `${ing.metadata.namespace ?? ''}/${ing.metadata.name ?? ''}`;
/** Oldest first; then by namespace/name, so a table is the same whatever order objects came in. */
const byAge = (a: IngressObj, b: IngressObj) => createdAt(a) - createdAt(b) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Precedence: longer paths first, Exact before Prefix at equal length (a stable sort keeps age order). */
const byPrecedence = (a: PathRoute, b: PathRoute) => b.path.length - a.path.length || (a.type === b.type ? 0 : a.type === 'Exact' ? -1 : 1);

function pathRoute(path: string | undefined, pathType: string, to: RouteBackend): PathRoute | undefined {
  const raw = path || '/';
  if (!raw.startsWith('/')) return undefined;
  if (pathType === 'Exact') return { path: raw, type: 'Exact', pathType, to };
  if (pathType === 'Prefix' || pathType === 'ImplementationSpecific') return { path: trimSlash(raw), type: 'Prefix', pathType, to };
  return undefined;
}

function push<K>(m: Map<K, PathRoute[]>, k: K, r: PathRoute): void {
  const l = m.get(k);
  if (l) l.push(r);
  else m.set(k, [r]);
}

/** The routing table of these Ingresses (already filtered to a controller's classes, e.g. with ingressSelector). */
export function buildRoutingTable(ingresses: readonly IngressObj[]): RoutingTable {
  const table: RoutingTable = { precise: new Map(), wildcard: new Map(), anyHost: [], tls: { precise: new Map(), wildcard: new Map() } };
  for (const ing of [...ingresses].sort(byAge)) {
    if (ing.metadata.deletionTimestamp) continue;
    const namespace = ing.metadata.namespace ?? '';
    const name = ing.metadata.name ?? '';
    const spec = ing.spec ?? {};
    if (spec.defaultBackend && !table.defaultBackend) table.defaultBackend = { namespace, ingress: name, backend: spec.defaultBackend };
    for (const rule of spec.rules ?? []) {
      const host = (rule.host ?? '').toLowerCase();
      for (const p of rule.http?.paths ?? []) {
        const r = pathRoute(p.path, p.pathType, { namespace, ingress: name, backend: p.backend });
        if (!r) continue;
        if (!host) table.anyHost.push(r);
        else if (host.startsWith('*.')) push(table.wildcard, host.slice(2), r);
        else push(table.precise, host, r);
      }
    }
    for (const tls of spec.tls ?? []) {
      if (!tls.secretName) continue;
      const t: TLSRoute = { namespace, secretName: tls.secretName, ingress: name };
      const hosts = tls.hosts ?? [];
      if (!hosts.length) table.tls.fallback ??= t;
      for (const h of hosts) {
        const host = h.toLowerCase();
        const m = host.startsWith('*.') ? table.tls.wildcard : table.tls.precise;
        const k = host.startsWith('*.') ? host.slice(2) : host;
        if (!m.has(k)) m.set(k, t);
      }
    }
  }
  for (const l of table.precise.values()) l.sort(byPrecedence);
  for (const l of table.wildcard.values()) l.sort(byPrecedence);
  table.anyHost.sort(byPrecedence);
  return table;
}

// ---- matching ----

const SLASH = 0x2f;

/** Whether a request path matches a route (Prefix: element by element). */
export function pathMatches(r: Pick<PathRoute, 'path' | 'type'>, reqPath: string): boolean {
  if (r.type === 'Exact') return reqPath === r.path;
  if (r.path === '/') return true;
  return reqPath === r.path || (reqPath.startsWith(r.path) && reqPath.charCodeAt(r.path.length) === SLASH);
}

/** The suffix a wildcard host would be stored under: the host without its first label. */
const wildcardSuffix = (host: string): string | undefined => {
  const dot = host.indexOf('.');
  return dot > 0 ? host.slice(dot + 1) : undefined;
};

/** The routes of the most specific host group matching this host, if any. */
function hostRoutes(table: RoutingTable, host: string): PathRoute[] | undefined {
  const precise = table.precise.get(host);
  if (precise) return precise;
  const suffix = wildcardSuffix(host);
  const wild = suffix === undefined ? undefined : table.wildcard.get(suffix);
  if (wild) return wild;
  return table.anyHost.length ? table.anyHost : undefined;
}

/**
 * Where a request for this Host header and path goes; undefined when nothing matches and there is
 * no default backend (a controller answers 404). The path is the request target without its query.
 */
export function route(table: RoutingTable, hostHeader: string | undefined, path: string): RouteMatch | undefined {
  const q = path.indexOf('?');
  const reqPath = (q >= 0 ? path.slice(0, q) : path) || '/';
  const routes = hostRoutes(table, normalizeHost(hostHeader));
  if (routes) for (const r of routes) if (pathMatches(r, reqPath)) return { to: r.to, route: r };
  return table.defaultBackend ? { to: table.defaultBackend } : undefined;
}

/** The TLS Secret for a server name (SNI): a precise host, else a wildcard one, else an entry without hosts. */
export function tlsFor(table: RoutingTable, serverName: string | undefined): TLSRoute | undefined {
  const host = normalizeHost(serverName);
  if (host) {
    const precise = table.tls.precise.get(host);
    if (precise) return precise;
    const suffix = wildcardSuffix(host);
    const wild = suffix === undefined ? undefined : table.tls.wildcard.get(suffix);
    if (wild) return wild;
  }
  return table.tls.fallback;
}
