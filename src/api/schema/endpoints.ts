// core/v1 Endpoints. Its EndpointPort is exported as CoreV1EndpointPort (discovery/v1 has its own).
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Int32, List, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';
import { ObjectReferenceSchema } from './core.js';

export const EndpointAddressSchema = Named(
  'io.k8s.api.core.v1.EndpointAddress',
  'EndpointAddress is a tuple that describes single IP address.',
  {
    ip: Str(
      'The IP of this endpoint. May not be loopback (127.0.0.0/8 or ::1), link-local (169.254.0.0/16 or fe80::/10), or link-local multicast (224.0.0.0/24 or ff02::/16).',
    ),
    hostname: Opt(Str('The Hostname of this endpoint')),
    nodeName: Opt(Str('Optional: Node hosting this endpoint.')),
    targetRef: Opt(Field(ObjectReferenceSchema, 'Reference to object providing the endpoint.')),
  },
  { mapType: 'atomic' },
);
export type EndpointAddress = Static<typeof EndpointAddressSchema>;

export const CoreV1EndpointPortSchema = Named(
  'io.k8s.api.core.v1.EndpointPort',
  'EndpointPort is a tuple that describes a single port.',
  {
    name: Opt(Str("The name of this port. This must match the 'name' field in the corresponding ServicePort.")),
    port: Int32('The port number of the endpoint.'),
    protocol: Opt(Str('The IP protocol for this port.', 'v1.Protocol')),
    appProtocol: Opt(Str('The application protocol for this port.')),
  },
  { mapType: 'atomic' },
);
export type CoreV1EndpointPort = Static<typeof CoreV1EndpointPortSchema>;

export const EndpointSubsetSchema = Named(
  'io.k8s.api.core.v1.EndpointSubset',
  'EndpointSubset is a group of addresses with a common set of ports.',
  {
    addresses: Opt(List(EndpointAddressSchema, 'IP addresses which offer the related ports that are marked as ready.', { type: 'atomic' })),
    notReadyAddresses: Opt(
      List(
        EndpointAddressSchema,
        'IP addresses which offer the related ports but are not currently marked as ready because they have not yet finished starting, have recently failed a readiness check, or have recently failed a liveness check.',
        { type: 'atomic' },
      ),
    ),
    ports: Opt(List(CoreV1EndpointPortSchema, 'Port numbers available on the related IP addresses.', { type: 'atomic' })),
  },
);
export type EndpointSubset = Static<typeof EndpointSubsetSchema>;

export const EndpointsSchema = Named(
  'io.k8s.api.core.v1.Endpoints',
  'Endpoints is a collection of endpoints that implement the actual service.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    subsets: Opt(List(EndpointSubsetSchema, 'The set of all endpoints is the union of all subsets.', { type: 'atomic' })),
  },
);
export type Endpoints = Static<typeof EndpointsSchema>;
