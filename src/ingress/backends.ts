// From an Ingress backend to the endpoints a request goes to. A service backend names a port of
// the Service by number (spec.ports[].port) or by name; that Service port's endpoints come from
// the Service's EndpointSlices as the service proxy reads them (proxy/endpoints.ts, Cluster
// traffic policy: the controller is inside the cluster). Results are cached per Service and
// dropped when the Service or one of its slices changes, so a request costs a map lookup.
import type { IngressBackend } from '../api/generated/networking/v1.js';
import type { EndpointSliceObj } from '../registry/endpointslice.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import { selectBackends, type Endpoint, type NodeInfo } from '../proxy/endpoints.js';

/** Why a backend has nowhere to send requests (events and logs say which). */
export type Unresolved =
  | { reason: 'ServiceNotFound'; message: string }
  | { reason: 'PortNotFound'; message: string }
  | { reason: 'UnsupportedBackend'; message: string };

export interface Resolved {
  endpoints: Endpoint[];
  /** Round-robin position. */
  next: number;
}

export interface BackendLookup {
  service(namespace: string, name: string): ServiceObj | undefined;
  slices(namespace: string, name: string): EndpointSliceObj[];
}

const portKey = (b: NonNullable<IngressBackend['service']>) => (b.port?.name ? `name:${b.port.name}` : `number:${b.port?.number ?? 0}`);

/** Why this backend cannot be resolved, or undefined when it names an existing Service port. */
export function unresolved(lookup: BackendLookup, namespace: string, backend: IngressBackend): Unresolved | undefined {
  const s = backend.service;
  if (!s) {
    const r = backend.resource;
    return { reason: 'UnsupportedBackend', message: `resource backend ${r?.kind ?? ''} "${r?.name ?? ''}" is not supported` };
  }
  const svc = lookup.service(namespace, s.name);
  if (!svc) return { reason: 'ServiceNotFound', message: `service "${namespace}/${s.name}" not found` };
  if (!servicePort(svc, s)) {
    const which = s.port?.name ? `named "${s.port.name}"` : `${s.port?.number ?? 0}`;
    return { reason: 'PortNotFound', message: `service "${namespace}/${s.name}" does not have port ${which}` };
  }
  return undefined;
}

function servicePort(svc: ServiceObj, s: NonNullable<IngressBackend['service']>) {
  const ports = svc.spec?.ports ?? [];
  return s.port?.name ? ports.find((p) => p.name === s.port!.name) : ports.find((p) => p.port === s.port?.number);
}

/** Endpoints per Service (`namespace/name`) and Service port, filled on first use. */
export class EndpointCache {
  private readonly bySvc = new Map<string, Map<string, Resolved>>();
  constructor(
    private readonly lookup: BackendLookup,
    private readonly node: NodeInfo,
  ) {}

  /** The endpoints of a backend (empty: 503), with its round-robin cursor. */
  resolve(namespace: string, backend: IngressBackend): Resolved {
    const s = backend.service;
    if (!s) return EMPTY;
    const key = `${namespace}/${s.name}`;
    let ports = this.bySvc.get(key);
    if (!ports) this.bySvc.set(key, (ports = new Map()));
    const pk = portKey(s);
    let r = ports.get(pk);
    if (!r) ports.set(pk, (r = { endpoints: this.compute(namespace, s), next: 0 }));
    return r;
  }

  private compute(namespace: string, s: NonNullable<IngressBackend['service']>): Endpoint[] {
    const svc = this.lookup.service(namespace, s.name);
    // ExternalName Services have no endpoints to proxy to on this cluster's loopback network.
    if (!svc || svc.spec?.type === 'ExternalName') return [];
    const sp = servicePort(svc, s);
    if (!sp) return [];
    const slices = this.lookup.slices(namespace, s.name);
    const v4 = selectBackends(svc, sp, slices, this.node, 4).clusterBackends;
    return v4.length ? v4 : selectBackends(svc, sp, slices, this.node, 6).clusterBackends;
  }

  /** Forgets a Service's endpoints (it or one of its slices changed). */
  invalidate(namespace: string, name: string): void {
    this.bySvc.delete(`${namespace}/${name}`);
  }

  clear(): void {
    this.bySvc.clear();
  }
}

const EMPTY: Resolved = { endpoints: [], next: 0 };

/** The next endpoint in round-robin order, or undefined when there is none. */
export function pick(r: Resolved): Endpoint | undefined {
  const n = r.endpoints.length;
  if (!n) return undefined;
  const e = r.endpoints[r.next % n]!;
  r.next = (r.next + 1) % n;
  return e;
}
