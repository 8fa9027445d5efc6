// Objects every cluster has from its first second: the four system namespaces and the
// `default/kubernetes` Service with its Endpoints and EndpointSlice pointing at the API server
// (upstream's "bootstrap controller" in kube-apiserver), and `kube-system/kube-dns` holding the
// tenth service address for the cluster DNS server, as kubeadm, kind and k3s set it up. Run at every start: the API port may
// change between runs, and the endpoints must follow it.
import { requireDef } from './kinds.js';
import type { Registry } from './generic-store.js';
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ServiceObj } from './service/strategy.js';
import type { EndpointsObj } from './endpoints.js';
import type { EndpointSliceObj } from './endpointslice.js';
import { StatusError } from '../apimachinery/errors.js';
import { deepEqual } from '../apimachinery/meta.js';
import { ipRange, slotToIP } from '../allocators/clusterip.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { bootstrapStorageClass } from './storage/storageclass.js';
import { bootstrapPriorityClasses } from './scheduling/priorityclass.js';
import { bootstrapRBAC } from './rbac/bootstrap-policy.js';
import { IMAGE_MAP_CONFIGMAP, IMAGE_MAP_TEMPLATE } from '../config/images/image-map.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const MANAGER = { fieldManager: 'kube-apiserver' };

/** The object, or undefined when there is none; `T` is the def's kind. */
function getOr<T extends KubeObject = KubeObject>(registry: Registry, def: ResourceDef, ns: string, name: string): T | undefined {
  try {
    return registry.get(def, ns, name) as T;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return undefined;
    throw e;
  }
}

/** The n-th usable address of the primary service CIDR (0 = `kubernetes`, 9 = `kube-dns`). */
export function serviceIP(config: ClusterConfig, n: number): string {
  return slotToIP(ipRange(config.serviceCIDR), n);
}

/** The address clients inside the cluster reach the API server on. */
export function apiEndpointIP(config: ClusterConfig): string {
  return config.apiHost === '0.0.0.0' || config.apiHost === '::' ? '127.0.0.1' : config.apiHost;
}

export function bootstrap(registry: Registry, defs: ResourceDef[], config: ClusterConfig, apiPort: number): void {
  const nsDef = requireDef(defs, '', 'namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    if (!getOr(registry, nsDef, '', name)) registry.create(nsDef, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, MANAGER);
  }
  // The default StorageClass of the built-in local-path provisioner (src/controllers/volume).
  bootstrapStorageClass(registry, defs);
  // system-node-critical and system-cluster-critical (upstream's scheduling post-start hook).
  bootstrapPriorityClasses(registry, defs);
  // Upstream's bootstrap RBAC policy (cluster-admin, admin/edit/view, system:*), reconciled.
  bootstrapRBAC(registry, defs);
  // The image map users edit (src/config/images): made once, theirs from then on.
  const cmDef = requireDef(defs, '', 'configmaps');
  const { namespace, name, key } = IMAGE_MAP_CONFIGMAP;
  if (!getOr(registry, cmDef, namespace, name))
    registry.create(
      cmDef,
      namespace,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { [key]: IMAGE_MAP_TEMPLATE } },
      MANAGER,
    );

  const svcDef = requireDef(defs, '', 'services');
  const ip = serviceIP(config, 0);
  const wantSpec = {
    type: 'ClusterIP',
    clusterIP: ip,
    clusterIPs: [ip],
    ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiPort }],
    sessionAffinity: 'None',
  };
  const svc = getOr<ServiceObj>(registry, svcDef, 'default', 'kubernetes');
  if (!svc) {
    registry.create(
      svcDef,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: wantSpec,
      },
      MANAGER,
    );
  } else {
    if (!deepEqual(svc.spec?.ports, wantSpec.ports)) {
      registry.update(svcDef, 'default', 'kubernetes', { ...svc, spec: { ...svc.spec, ports: wantSpec.ports } }, MANAGER);
    }
  }

  const addr = apiEndpointIP(config);
  const family = addr.includes(':') ? 'IPv6' : 'IPv4';
  const epDef = requireDef(defs, '', 'endpoints');
  const wantEp = { subsets: [{ addresses: [{ ip: addr }], ports: [{ name: 'https', port: apiPort, protocol: 'TCP' }] }] };
  const ep = getOr<EndpointsObj>(registry, epDef, 'default', 'kubernetes');
  if (!ep) {
    registry.create(
      epDef,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
        ...wantEp,
      },
      MANAGER,
    );
  } else if (!deepEqual(ep.subsets, wantEp.subsets)) {
    registry.update(epDef, 'default', 'kubernetes', { ...ep, ...wantEp }, MANAGER);
  }

  const sliceDef = requireDef(defs, 'discovery.k8s.io', 'endpointslices');
  const wantSlice = {
    addressType: family,
    endpoints: [{ addresses: [addr], conditions: { ready: true } }],
    ports: [{ name: 'https', port: apiPort, protocol: 'TCP' }],
  };
  const slice = getOr<EndpointSliceObj>(registry, sliceDef, 'default', 'kubernetes');
  if (!slice) {
    registry.create(
      sliceDef,
      'default',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
        ...wantSlice,
      },
      MANAGER,
    );
  } else if (!deepEqual(slice.endpoints, wantSlice.endpoints) || !deepEqual(slice.ports, wantSlice.ports)) {
    registry.update(sliceDef, 'default', 'kubernetes', { ...slice, ...wantSlice }, MANAGER);
  }
}

/**
 * `kube-system/kube-dns` on the tenth address of the service CIDR (kubeadm's convention, which
 * clients and the kubelet's --cluster-dns assume). It has no selector: the DNS server runs inside
 * tinykube, which maintains its endpoints itself, as for `default/kubernetes`. Created at start
 * when missing; if a user's Service already holds the address, that one is left alone (and logged).
 */
export function bootstrapDNSService(
  registry: Registry,
  defs: ResourceDef[],
  config: ClusterConfig,
  log: { warn(o: object, m: string): void },
): void {
  const svcDef = requireDef(defs, '', 'services');
  if (getOr(registry, svcDef, 'kube-system', 'kube-dns')) return;
  const ip = serviceIP(config, 9);
  try {
    registry.create(
      svcDef,
      'kube-system',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kube-dns',
          namespace: 'kube-system',
          labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'tinykube-dns' },
        },
        spec: {
          clusterIP: ip,
          clusterIPs: [ip],
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      },
      MANAGER,
    );
  } catch (e) {
    if (!(e instanceof StatusError) || e.code !== 422) throw e;
    log.warn({ ip, err: e.message }, 'kube-system/kube-dns not created: its address is taken');
  }
}

/**
 * The endpoints of `kube-system/kube-dns`: the address and port the DNS server really listens on
 * (its --dns-listen), as an EndpointSlice and an Endpoints object, kept current at every start.
 * On a kubeadm cluster these point at the CoreDNS Pods; here the server is part of tinykube, so
 * tinykube writes them, as it does for `default/kubernetes`.
 */
export function reconcileDNSEndpoints(registry: Registry, defs: ResourceDef[], host: string, port: number): void {
  const svc = getOr(registry, requireDef(defs, '', 'services'), 'kube-system', 'kube-dns');
  if (!svc) return;
  const addr = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const ports = [
    { name: 'dns', port, protocol: 'UDP' },
    { name: 'dns-tcp', port, protocol: 'TCP' },
  ];
  const epDef = requireDef(defs, '', 'endpoints');
  const wantEp = { subsets: [{ addresses: [{ ip: addr }], ports }] };
  const ep = getOr<EndpointsObj>(registry, epDef, 'kube-system', 'kube-dns');
  const epLabels = { 'k8s-app': 'kube-dns', 'endpointslice.kubernetes.io/skip-mirror': 'true' };
  if (!ep)
    registry.create(
      epDef,
      'kube-system',
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kube-dns', namespace: 'kube-system', labels: epLabels }, ...wantEp },
      MANAGER,
    );
  else if (!deepEqual(ep.subsets, wantEp.subsets)) registry.update(epDef, 'kube-system', 'kube-dns', { ...ep, ...wantEp }, MANAGER);

  const sliceDef = requireDef(defs, 'discovery.k8s.io', 'endpointslices');
  const wantSlice = {
    addressType: addr.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [addr], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  };
  const slice = getOr<EndpointSliceObj>(registry, sliceDef, 'kube-system', 'kube-dns');
  if (!slice) {
    registry.create(
      sliceDef,
      'kube-system',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        // Not managed by the EndpointSlice or mirroring controllers (kube-dns has no selector and its
        // Endpoints skip mirroring): tinykube's DNS server owns it.
        metadata: {
          name: 'kube-dns',
          namespace: 'kube-system',
          labels: {
            'kubernetes.io/service-name': 'kube-dns',
            'k8s-app': 'kube-dns',
            'endpointslice.kubernetes.io/managed-by': 'dns.tinykube.io',
          },
        },
        ...wantSlice,
      },
      MANAGER,
    );
  } else if (slice.addressType !== wantSlice.addressType) {
    registry.delete(sliceDef, 'kube-system', 'kube-dns', {});
    reconcileDNSEndpoints(registry, defs, host, port);
  } else if (!deepEqual(slice.endpoints, wantSlice.endpoints) || !deepEqual(slice.ports, wantSlice.ports)) {
    registry.update(sliceDef, 'kube-system', 'kube-dns', { ...slice, ...wantSlice }, MANAGER);
  }
}
