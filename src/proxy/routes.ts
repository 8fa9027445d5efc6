// The route table: what the sync (sync.ts) writes and the connections (connections.ts) read. One
// route per Service port and protocol (`ns/name:port/PROTO`), holding that port's backends per
// address family (endpoints.ts selectBackends), its session affinity entries and its counters; the
// counters and affinity entries live as long as the port does, across backend changes.
import type { ServiceObj } from '../registry/service/strategy.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import { selectBackends, type Endpoint, type NodeInfo, type PortBackends } from './endpoints.js';
import { DEFAULT_AFFINITY_SECONDS, newAffinity, sweepAffinity, type Affinity } from './affinity.js';
import { routeId, type ListenerSpec } from './listeners.js';
import { newCounters, snapshot, type Counters, type PortStats } from './stats.js';

export interface Route {
  id: string;
  backends: Record<4 | 6, PortBackends>;
  affinity?: Affinity;
  counters: Counters;
}

export interface RouteTable {
  /** By route id. */
  routes: Map<string, Route>;
  /** Route ids by Service key; a Service is here while the proxy serves it. */
  byService: Map<string, Set<string>>;
}

const EMPTY: PortBackends = { clusterBackends: [], externalBackends: [] };

export function newRouteTable(): RouteTable {
  return { routes: new Map(), byService: new Map() };
}

/** Brings the routes of one Service (one per TCP or UDP port) in line with it and its slices. */
export function setServiceRoutes(t: RouteTable, key: string, svc: ServiceObj, slices: readonly EndpointSliceObj[], node: NodeInfo): void {
  const keep = new Set<string>();
  const sa =
    svc.spec?.sessionAffinity === 'ClientIP'
      ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
      : undefined;
  for (const p of svc.spec?.ports ?? []) {
    const protocol = p.protocol || 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') continue;
    const id = routeId(key, p.port, protocol);
    keep.add(id);
    let r = t.routes.get(id);
    if (!r) t.routes.set(id, (r = { id, backends: { 4: EMPTY, 6: EMPTY }, counters: newCounters() }));
    r.backends = { 4: selectBackends(svc, p, slices, node, 4), 6: selectBackends(svc, p, slices, node, 6) };
    if (sa === undefined) r.affinity = undefined;
    else if (r.affinity?.timeoutMs !== sa * 1000) r.affinity = newAffinity(sa);
  }
  for (const id of t.byService.get(key) ?? []) if (!keep.has(id)) t.routes.delete(id);
  t.byService.set(key, keep);
}

/** Forgets every route of a Service. */
export function dropServiceRoutes(t: RouteTable, key: string): void {
  for (const id of t.byService.get(key) ?? []) t.routes.delete(id);
  t.byService.delete(key);
}

/** The route a listener serves and the backends its traffic may go to (per connection: keep it cheap). */
export function backendsFor(
  routes: ReadonlyMap<string, Route>,
  spec: Pick<ListenerSpec, 'route' | 'family' | 'external'>,
): { r: Route; list: Endpoint[] } | undefined {
  const r = routes.get(spec.route);
  if (!r) return undefined;
  const b = r.backends[spec.family];
  return { r, list: spec.external ? b.externalBackends : b.clusterBackends };
}

/** Drops lapsed session affinity entries of every route. */
export function sweepRoutes(t: RouteTable, now: number): void {
  for (const r of t.routes.values()) if (r.affinity) sweepAffinity(r.affinity, now);
}

/** Counters per route, as plain data. */
export function routeStats(t: RouteTable): Record<string, PortStats> {
  const out: Record<string, PortStats> = {};
  for (const r of t.routes.values()) out[r.id] = snapshot(r.counters);
  return out;
}
