// Where an aggregated API server is reached: the ready endpoints of its Service's EndpointSlices,
// as upstream's aggregator does with --enable-aggregator-routing (ResolveEndpointWithEndpointSliceLister).
// Routing through the ClusterIP (the flag's default) would need the service proxy to listen on
// the Service's port, and an APIService's port is 443, which a cluster without root cannot bind;
// the endpoints are what the ClusterIP would reach anyway. An ExternalName Service resolves to its
// name, as upstream's. Texts are upstream's.
import type { Service } from '../../api/generated/core/v1.js';
import type { EndpointSlice } from '../../api/generated/discovery/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ServiceLookup {
  service(namespace: string, name: string): (Service & KubeObject) | undefined;
  slices(namespace: string, name: string): (EndpointSlice & KubeObject)[];
}

/** Go's net.JoinHostPort. */
export const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The service port an APIService's port names (upstream findServicePort). */
export function findServicePort(svc: Service, port: number): NonNullable<NonNullable<Service['spec']>['ports']>[number] | undefined {
  return (svc.spec?.ports ?? []).find((p) => p?.port === port);
}

/** The ready endpoints' addresses serving a port name (upstream hasAvailableEndpoint / the resolver's pick). */
export function readyAddresses(slices: readonly EndpointSlice[], portName: string): string[] {
  const out: string[] = [];
  for (const s of slices) {
    const port = (s.ports ?? []).find((p) => (p?.name ?? '') === portName && p?.port != null);
    if (!port) continue;
    for (const e of s.endpoints ?? []) {
      if (e?.conditions?.ready === false) continue;
      for (const a of e?.addresses ?? []) out.push(joinHostPort(a, port.port!));
    }
  }
  return out;
}

/** `host:port` to send a request to, or throws with upstream's resolver text. */
export function resolveEndpoint(lookup: ServiceLookup, namespace: string, name: string, port: number): string {
  const svc = lookup.service(namespace, name);
  if (!svc) throw new Error(`service "${name}" not found`);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (type === 'ExternalName') return joinHostPort(svc.spec?.externalName ?? '', port);
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') throw new Error(`unsupported service type "${type}"`);
  const svcPort = findServicePort(svc, port);
  if (!svcPort) throw new Error(`no service port ${port} found for service "${name}"`);
  const addresses = readyAddresses(lookup.slices(namespace, name), svcPort.name ?? '');
  if (!addresses.length) throw new Error(`no endpoints available for service "${name}"`);
  return addresses[Math.floor(Math.random() * addresses.length)]!;
}
