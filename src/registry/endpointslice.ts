// EndpointSlice (discovery.k8s.io/v1): upstream pkg/apis/discovery/validation and the slice
// strategy (generation bumps on any non-metadata change or label change). Addresses inside
// tinykube's own loopback CIDRs are allowed: its Pods and API server live there by design.
import { schemas, type Endpoint, type EndpointPort, type EndpointSlice } from '../api/generated/discovery/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidLabelValue,
  nameIsDNSSubdomain,
  validateDNS1123Label,
  validateImmutable,
  validateLabels,
  validateNonSpecialIP,
  validateQualifiedName,
} from '../apimachinery/validation.js';
import { clusterOwnedAddress } from '../config/cluster-config.js';
import { isIPv4, isIPv6 } from 'node:net';
import { age, ageColumn, column, listWithMore, nameColumn } from './printers.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import { deepEqual, specPart } from '../apimachinery/meta.js';

/** discovery/v1 Endpoint and EndpointPort, named apart from core/v1's. */
export type SliceEndpoint = Endpoint;
export type SlicePort = EndpointPort;
export type EndpointSliceObj = Obj<EndpointSlice>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** The store's key for EndpointSlices (group/resource), what informers and subscriptions name. */
export const ENDPOINTSLICES = 'discovery.k8s.io/endpointslices';

export const MAX_ENDPOINTS = 1000;
export const MAX_ADDRESSES = 100;
export const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ZONE_HINTS = 8;

function fqdnErrors(f: string, name: string): FieldError[] {
  if (!name) return [fieldErr.required(f)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length) return [fieldErr.invalid(f, n, sub.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [fieldErr.invalid(f, n, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length) return [fieldErr.invalid(f, l, e.join(','))];
  }
  return [];
}

export function validateEndpointSlice(slice: EndpointSliceObj, config?: ClusterConfig): FieldError[] {
  const errs: FieldError[] = [];
  const at = slice.addressType;
  if (!at) errs.push(fieldErr.required('addressType'));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(fieldErr.notSupported('addressType', at, ADDRESS_TYPES));

  const own = clusterOwnedAddress(config);
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(fieldErr.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  } else {
    endpoints.forEach((ep, i) => {
      const base = `endpoints[${i}]`;
      const addrs = ep.addresses ?? [];
      if (!addrs.length) errs.push(fieldErr.required(`${base}.addresses`, 'must contain at least 1 address'));
      else if (addrs.length > MAX_ADDRESSES) errs.push(fieldErr.tooMany(`${base}.addresses`, addrs.length, MAX_ADDRESSES));
      addrs.forEach((a, j) => {
        const f = `${base}.addresses[${j}]`;
        if (at === 'IPv4') {
          if (!isIPv4(a)) errs.push(fieldErr.invalid(f, a, 'must be a valid IPv4 address'));
          else errs.push(...validateNonSpecialIP(a, f, own));
        } else if (at === 'IPv6') {
          if (!isIPv6(a)) errs.push(fieldErr.invalid(f, a, 'must be a valid IPv6 address'));
          else errs.push(...validateNonSpecialIP(a, f, own));
        } else if (at === 'FQDN') {
          errs.push(...fqdnErrors(f, a));
        }
      });
      if (ep.nodeName !== undefined)
        for (const m of nameIsDNSSubdomain(ep.nodeName, false)) errs.push(fieldErr.invalid(`${base}.nodeName`, ep.nodeName, m));
      const topo = ep.deprecatedTopology;
      if (topo && Object.keys(topo).length > MAX_TOPOLOGY_LABELS) {
        errs.push(fieldErr.tooMany(`${base}.deprecatedTopology`, Object.keys(topo).length, MAX_TOPOLOGY_LABELS));
      }
      errs.push(...validateLabels(topo, `${base}.deprecatedTopology`));
      if (ep.zone !== undefined) errs.push(...validateDNS1123Label(ep.zone, `${base}.zone`));
      if (ep.hostname !== undefined) errs.push(...validateDNS1123Label(ep.hostname, `${base}.hostname`));
      const zones = ep.hints?.forZones ?? [];
      if (zones.length > MAX_ZONE_HINTS) errs.push(fieldErr.tooMany(`${base}.hints.forZones`, zones.length, MAX_ZONE_HINTS));
      const seen = new Set<string>();
      zones.forEach((z, k) => {
        const zf = `${base}.hints.forZones[${k}].name`;
        if (seen.has(z.name)) errs.push(fieldErr.duplicate(zf, z.name));
        seen.add(z.name);
        for (const m of isValidLabelValue(z.name ?? '')) errs.push(fieldErr.invalid(zf, z.name, m));
      });
    });
  }

  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) {
    errs.push(fieldErr.tooMany('ports', ports.length, MAX_PORTS));
  } else {
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const base = `ports[${i}]`;
      const name = p.name ?? '';
      if (name) errs.push(...validateDNS1123Label(name, `${base}.name`));
      if (names.has(name)) errs.push(fieldErr.duplicate(`${base}.name`, name));
      names.add(name);
      if (p.protocol === undefined) errs.push(fieldErr.required(`${base}.protocol`));
      else if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldErr.notSupported(`${base}.protocol`, p.protocol, PROTOCOLS));
      if (p.appProtocol !== undefined) errs.push(...validateQualifiedName(p.appProtocol, `${base}.appProtocol`));
    });
  }
  return errs;
}

/** upstream formatDiscoveryPorts: port numbers (or names, `*` for neither). */
function formatPorts(ports: SlicePort[] | undefined): string {
  return listWithMore((ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*'))));
}

function formatEndpoints(endpoints: SliceEndpoint[] | undefined): string {
  return listWithMore((endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

export const endpointSliceDef = defineKind<EndpointSliceObj>({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  get schema() {
    return schemas.EndpointSlice;
  },
  openapiName: 'io.k8s.api.discovery.v1.EndpointSlice',
  defaults(slice) {
    for (const p of slice.ports ?? []) {
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  },
  prepareForCreate(slice) {
    slice.metadata.generation = 1;
  },
  prepareForUpdate(slice, old) {
    const gen = old.metadata.generation ?? 0;
    const labelsChanged = !deepEqual(slice.metadata.labels ?? {}, old.metadata.labels ?? {});
    // upstream bumps generation when anything but metadata changed, or the labels did.
    slice.metadata.generation = !deepEqual(specPart(slice), specPart(old)) || labelsChanged ? gen + 1 : gen;
  },
  validate: (slice, ctx) => validateEndpointSlice(slice, ctx.config),
  validateUpdate: (slice, old, ctx) => [
    ...validateEndpointSlice(slice, ctx.config),
    ...validateImmutable(slice.addressType, old.addressType, 'addressType'),
  ],
  table: {
    columns: [
      nameColumn(),
      column(
        'AddressType',
        'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type.',
      ),
      column('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      column('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
      ageColumn(),
    ],
    row: (s, now) => [s.metadata.name, s.addressType ?? '', formatPorts(s.ports), formatEndpoints(s.endpoints), age(s, now)],
  },
});
