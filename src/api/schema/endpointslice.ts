// discovery.k8s.io/v1 EndpointSlice.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Bool, Int32, StringMap, List, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';
import { ObjectReferenceSchema } from './core.js';

export const EndpointConditionsSchema = Named(
  'io.k8s.api.discovery.v1.EndpointConditions',
  'EndpointConditions represents the current condition of an endpoint.',
  {
    ready: Opt(
      Bool('ready indicates that this endpoint is prepared to receive traffic, according to whatever system is managing the endpoint.'),
    ),
    serving: Opt(Bool('serving is identical to ready except that it is set regardless of the terminating state of endpoints.')),
    terminating: Opt(Bool('terminating indicates that this endpoint is terminating.')),
  },
);
export type EndpointConditions = Static<typeof EndpointConditionsSchema>;

export const ForZoneSchema = Named(
  'io.k8s.api.discovery.v1.ForZone',
  'ForZone provides information about which zones should consume this endpoint.',
  {
    name: Str('name represents the name of the zone.'),
  },
);
export type ForZone = Static<typeof ForZoneSchema>;

export const EndpointHintsSchema = Named(
  'io.k8s.api.discovery.v1.EndpointHints',
  'EndpointHints provides hints describing how an endpoint should be consumed.',
  {
    forZones: Opt(
      List(ForZoneSchema, 'forZones indicates the zone(s) this endpoint should be consumed by to enable topology aware routing.', {
        type: 'atomic',
      }),
    ),
  },
);
export type EndpointHints = Static<typeof EndpointHintsSchema>;

export const EndpointSchema = Named(
  'io.k8s.api.discovery.v1.Endpoint',
  'Endpoint represents a single logical "backend" implementing a service.',
  {
    addresses: List(Str(), 'addresses of this endpoint.', { type: 'set' }),
    conditions: Opt(Field(EndpointConditionsSchema, 'conditions contains information about the current status of the endpoint.')),
    hostname: Opt(Str('hostname of this endpoint.')),
    targetRef: Opt(Field(ObjectReferenceSchema, 'targetRef is a reference to a Kubernetes object that represents this endpoint.')),
    deprecatedTopology: Opt(StringMap('deprecatedTopology contains topology information part of the v1beta1 API.')),
    nodeName: Opt(Str('nodeName represents the name of the Node hosting this endpoint.')),
    zone: Opt(Str('zone is the name of the Zone this endpoint exists in.')),
    hints: Opt(Field(EndpointHintsSchema, 'hints contains information associated with how an endpoint should be consumed.')),
  },
);
export type Endpoint = Static<typeof EndpointSchema>;

export const EndpointPortSchema = Named(
  'io.k8s.api.discovery.v1.EndpointPort',
  'EndpointPort represents a Port used by an EndpointSlice',
  {
    name: Opt(Str('name represents the name of this port.')),
    protocol: Opt(Str('protocol represents the IP protocol for this port.', 'v1.Protocol')),
    port: Opt(Int32('port represents the port number of the endpoint.')),
    appProtocol: Opt(Str('The application protocol for this port.')),
  },
  { mapType: 'atomic' },
);
export type EndpointPort = Static<typeof EndpointPortSchema>;

export const EndpointSliceSchema = Named(
  'io.k8s.api.discovery.v1.EndpointSlice',
  'EndpointSlice represents a subset of the endpoints that implement a service.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    addressType: Str('addressType specifies the type of address carried by this EndpointSlice.', 'v1.AddressType'),
    endpoints: List(EndpointSchema, 'endpoints is a list of unique endpoints in this slice.', { type: 'atomic' }),
    ports: Opt(
      List(EndpointPortSchema, 'ports specifies the list of network ports exposed by each endpoint in this slice.', { type: 'atomic' }),
    ),
  },
);
export type EndpointSlice = Static<typeof EndpointSliceSchema>;
