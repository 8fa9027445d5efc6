// Service, Endpoints and discovery.k8s.io/v1 EndpointSlice.
import { obj, str, int, bool, strMap, list, strList, intOrString, typeMeta } from './common.js';
import { ObjectMetaSchema, ConditionSchema, ObjectReferenceSchema } from './meta.js';

const V1 = 'io.k8s.api.core.v1';
const D1 = 'io.k8s.api.discovery.v1';

const PortStatus = obj(`${V1}.PortStatus`, {
  error: str('Error is to record the problem with the service port.'),
  port: int('Port is the port number of the service port of which status is recorded here'),
  protocol: str('Protocol is the protocol of the service port of which status is recorded here. The supported values are: "TCP", "UDP", "SCTP"'),
}, { required: ['port', 'protocol'] });

export const ServicePortSchema = obj(
  `${V1}.ServicePort`,
  {
    appProtocol: str('The application protocol for this port. This is used as a hint for implementations to offer richer behavior for protocols that they understand.'),
    name: str('The name of this port within the service. This must be a DNS_LABEL. All ports within a ServiceSpec must have unique names.'),
    nodePort: int('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
    port: int('The port that will be exposed by this service.'),
    protocol: str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.'),
    targetPort: intOrString("Number or name of the port to access on the pods targeted by the service. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If this is a string, it will be looked up as a named port in the target Pod's container ports. If this is not specified, the value of the 'port' field is used (an identity map)."),
  },
  { description: "ServicePort contains information on service's port.", required: ['port'] },
);

export const ServiceSchema = obj(
  `${V1}.Service`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    spec: obj(
      `${V1}.ServiceSpec`,
      {
        allocateLoadBalancerNodePorts: bool('allocateLoadBalancerNodePorts defines if NodePorts will be automatically allocated for services with type LoadBalancer. Default is "true".'),
        clusterIP: str('clusterIP is the IP address of the service and is usually assigned randomly.'),
        clusterIPs: strList('ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly.'),
        externalIPs: strList('externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
        externalName: str('externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record). Must be a lowercase RFC-1123 hostname and requires `type` to be "ExternalName".'),
        externalTrafficPolicy: str('externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service\'s "externally-facing" addresses (NodePorts, ExternalIPs, and LoadBalancer IPs).'),
        healthCheckNodePort: int('healthCheckNodePort specifies the healthcheck nodePort for the service.'),
        internalTrafficPolicy: str('InternalTrafficPolicy describes how nodes distribute service traffic they receive on the ClusterIP.'),
        ipFamilies: strList('IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service.'),
        ipFamilyPolicy: str('IPFamilyPolicy represents the dual-stack-ness requested or required by this Service. Valid values are "SingleStack", "PreferDualStack" and "RequireDualStack".'),
        loadBalancerClass: str('loadBalancerClass is the class of the load balancer implementation this Service belongs to.'),
        loadBalancerIP: str('Only applies to Service Type: LoadBalancer. Deprecated.'),
        loadBalancerSourceRanges: strList('If specified and supported by the platform, this will restrict traffic through the cloud-provider load-balancer will be restricted to the specified client IPs.'),
        ports: list(ServicePortSchema, { description: 'The list of ports that are exposed by this service.', type: 'map', keys: ['port', 'protocol'], mergeKey: 'port', strategy: 'merge' }),
        publishNotReadyAddresses: bool('publishNotReadyAddresses indicates that any agent which deals with endpoints for this Service should disregard any indications of ready/not-ready.'),
        selector: strMap('Route service traffic to pods with label keys and values matching this selector.', { 'x-kubernetes-map-type': 'atomic' }),
        sessionAffinity: str('Supports "ClientIP" and "None". Used to maintain session affinity.'),
        sessionAffinityConfig: obj(`${V1}.SessionAffinityConfig`, {
          clientIP: obj(`${V1}.ClientIPConfig`, { timeoutSeconds: int('timeoutSeconds specifies the seconds of ClientIP type session sticky time.') }, { description: 'ClientIPConfig represents the configurations of Client IP based session affinity.' }),
        }, { description: 'sessionAffinityConfig contains the configurations of session affinity.' }),
        trafficDistribution: str('TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints.'),
        type: str('type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.'),
      },
      { description: 'ServiceSpec describes the attributes that a user creates on a service.' },
    ),
    status: obj(
      `${V1}.ServiceStatus`,
      {
        conditions: list(ConditionSchema, { description: 'Current service state', type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge' }),
        loadBalancer: obj(`${V1}.LoadBalancerStatus`, {
          ingress: list(
            obj(`${V1}.LoadBalancerIngress`, {
              hostname: str('Hostname is set for load-balancer ingress points that are DNS based.'),
              ip: str('IP is set for load-balancer ingress points that are IP based.'),
              ipMode: str('IPMode specifies how the load-balancer IP behaves, and may only be specified when the ip field is specified.'),
              ports: list(PortStatus, { description: 'Ports is a list of records of service ports', type: 'atomic' }),
            }),
            { description: 'Ingress is a list containing ingress points for the load-balancer.', type: 'atomic' },
          ),
        }, { description: 'LoadBalancer contains the current status of the load-balancer, if one is present.' }),
      },
      { description: 'ServiceStatus represents the current status of a service.' },
    ),
  },
  { description: 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.' },
);

const EndpointAddress = obj(`${V1}.EndpointAddress`, {
  hostname: str('The Hostname of this endpoint'),
  ip: str('The IP of this endpoint.'),
  nodeName: str('Optional: Node hosting this endpoint.'),
  targetRef: ObjectReferenceSchema,
}, { description: 'EndpointAddress is a tuple that describes single IP address.', required: ['ip'], mapType: 'atomic' });

const CoreEndpointPort = obj(`${V1}.EndpointPort`, {
  appProtocol: str('The application protocol for this port.'),
  name: str('The name of this port. This must match the \'name\' field in the corresponding ServicePort.'),
  port: int('The port number of the endpoint.'),
  protocol: str('The IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP.'),
}, { description: 'EndpointPort is a tuple that describes a single port.', required: ['port'], mapType: 'atomic' });

export const EndpointsSchema = obj(
  `${V1}.Endpoints`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    subsets: list(
      obj(`${V1}.EndpointSubset`, {
        addresses: list(EndpointAddress, { description: 'IP addresses which offer the related ports that are marked as ready.', type: 'atomic' }),
        notReadyAddresses: list(EndpointAddress, { description: 'IP addresses which offer the related ports but are not currently marked as ready.', type: 'atomic' }),
        ports: list(CoreEndpointPort, { description: 'Port numbers available on the related IP addresses.', type: 'atomic' }),
      }, { description: 'EndpointSubset is a group of addresses with a common set of ports.' }),
      { description: 'The set of all endpoints is the union of all subsets.', type: 'atomic' },
    ),
  },
  { description: 'Endpoints is a collection of endpoints that implement the actual service.' },
);

export const EndpointSliceSchema = obj(
  `${D1}.EndpointSlice`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    addressType: str('addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation.'),
    endpoints: list(
      obj(`${D1}.Endpoint`, {
        addresses: strList('addresses of this endpoint.', { type: 'set' }),
        conditions: obj(`${D1}.EndpointConditions`, {
          ready: bool('ready indicates that this endpoint is ready to receive traffic.'),
          serving: bool('serving indicates that this endpoint is able to receive traffic.'),
          terminating: bool('terminating indicates that this endpoint is terminating.'),
        }, { description: 'conditions contains information about the current status of the endpoint.' }),
        deprecatedTopology: strMap('deprecatedTopology contains topology information part of the v1beta1 API.'),
        hints: obj(`${D1}.EndpointHints`, {
          forNodes: list(obj(`${D1}.ForNode`, { name: str('name represents the name of the node.') }, { required: ['name'] }), { type: 'atomic', description: 'forNodes indicates the node(s) this endpoint should be consumed by when using topology aware routing.' }),
          forZones: list(obj(`${D1}.ForZone`, { name: str('name represents the name of the zone.') }, { required: ['name'] }), { type: 'atomic', description: 'forZones indicates the zone(s) this endpoint should be consumed by when using topology aware routing.' }),
        }, { description: 'hints contains information associated with how an endpoint should be consumed.' }),
        hostname: str('hostname of this endpoint.'),
        nodeName: str('nodeName represents the name of the Node hosting this endpoint.'),
        targetRef: ObjectReferenceSchema,
        zone: str('zone is the name of the Zone this endpoint exists in.'),
      }, { description: 'Endpoint represents a single logical "backend" implementing a service.', required: ['addresses'] }),
      { description: 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.', type: 'atomic' },
    ),
    ports: list(
      obj(`${D1}.EndpointPort`, {
        appProtocol: str('The application protocol for this port.'),
        name: str('name represents the name of this port.'),
        port: int('port represents the port number of the endpoint.'),
        protocol: str('protocol represents the IP protocol for this port. Must be UDP, TCP, or SCTP. Default is TCP.'),
      }, { description: 'EndpointPort represents a Port used by an EndpointSlice', mapType: 'atomic' }),
      { description: 'ports specifies the list of network ports exposed by each endpoint in this slice.', type: 'atomic' },
    ),
  },
  { description: 'EndpointSlice represents a set of service endpoints.', required: ['addressType', 'endpoints'] },
);
