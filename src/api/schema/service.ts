// core/v1 Service: the full upstream ServiceSpec and ServiceStatus.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Bool, Int32, StringMap, IntOrString, List, Opt, typeMeta } from './common.js';
import { ConditionSchema, ObjectMetaSchema } from './meta.js';

export const ServicePortSchema = Named('io.k8s.api.core.v1.ServicePort', "ServicePort contains information on service's port.", {
  name: Opt(Str('The name of this port within the service.')),
  protocol: Opt(Str('The IP protocol for this port.', 'v1.Protocol')),
  appProtocol: Opt(Str('The application protocol for this port.')),
  port: Int32('The port that will be exposed by this service.'),
  targetPort: Opt(IntOrString('Number or name of the port to access on the pods targeted by the service.')),
  nodePort: Opt(Int32('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.')),
});
export type ServicePort = Static<typeof ServicePortSchema>;

export const ClientIPConfigSchema = Named(
  'io.k8s.api.core.v1.ClientIPConfig',
  'ClientIPConfig represents the configurations of Client IP based session affinity.',
  {
    timeoutSeconds: Opt(Int32('timeoutSeconds specifies the seconds of ClientIP type session sticky time.')),
  },
);
export type ClientIPConfig = Static<typeof ClientIPConfigSchema>;

export const SessionAffinityConfigSchema = Named(
  'io.k8s.api.core.v1.SessionAffinityConfig',
  'SessionAffinityConfig represents the configurations of session affinity.',
  {
    clientIP: Opt(Field(ClientIPConfigSchema, 'clientIP contains the configurations of Client IP based session affinity.')),
  },
);
export type SessionAffinityConfig = Static<typeof SessionAffinityConfigSchema>;

export const ServiceSpecSchema = Named(
  'io.k8s.api.core.v1.ServiceSpec',
  'ServiceSpec describes the attributes that a user creates on a service.',
  {
    ports: Opt(
      List(ServicePortSchema, 'The list of ports that are exposed by this service.', {
        type: 'map',
        keys: ['port', 'protocol'],
        mergeKey: 'port',
        strategy: 'merge',
      }),
    ),
    selector: Opt(StringMap('Route service traffic to pods with label keys and values matching this selector.', 'atomic')),
    clusterIP: Opt(Str('clusterIP is the IP address of the service and is usually assigned randomly.')),
    clusterIPs: Opt(
      List(Str(), 'ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly.', { type: 'atomic' }),
    ),
    type: Opt(Str('type determines how the Service is exposed.', 'v1.ServiceType')),
    externalIPs: Opt(
      List(Str(), 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.', {
        type: 'atomic',
      }),
    ),
    sessionAffinity: Opt(Str('Supports "ClientIP" and "None".', 'v1.ServiceAffinity')),
    loadBalancerIP: Opt(Str('Only applies to Service Type: LoadBalancer.')),
    loadBalancerSourceRanges: Opt(
      List(
        Str(),
        'If specified and supported by the platform, this will restrict traffic through the cloud-provider load-balancer will be restricted to the specified client IPs.',
        { type: 'atomic' },
      ),
    ),
    externalName: Opt(
      Str(
        'externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record).',
      ),
    ),
    externalTrafficPolicy: Opt(
      Str(
        'externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service\'s "externally-facing" addresses (NodePorts, ExternalIPs, and LoadBalancer IPs).',
        'v1.ServiceExternalTrafficPolicy',
      ),
    ),
    healthCheckNodePort: Opt(Int32('healthCheckNodePort specifies the healthcheck nodePort for the service.')),
    publishNotReadyAddresses: Opt(
      Bool(
        'publishNotReadyAddresses indicates that any agent which deals with endpoints for this Service should disregard any indications of ready/not-ready.',
      ),
    ),
    sessionAffinityConfig: Opt(
      Field(SessionAffinityConfigSchema, 'sessionAffinityConfig contains the configurations of session affinity.'),
    ),
    ipFamilies: Opt(
      List(Str(undefined, 'v1.IPFamily'), 'IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service.', {
        type: 'atomic',
      }),
    ),
    ipFamilyPolicy: Opt(Str('IPFamilyPolicy represents the dual-stack-ness requested or required by this Service.', 'v1.IPFamilyPolicy')),
    allocateLoadBalancerNodePorts: Opt(
      Bool('allocateLoadBalancerNodePorts defines if NodePorts will be automatically allocated for services with type LoadBalancer.'),
    ),
    loadBalancerClass: Opt(Str('loadBalancerClass is the class of the load balancer implementation this Service belongs to.')),
    internalTrafficPolicy: Opt(
      Str(
        'InternalTrafficPolicy describes how nodes distribute service traffic they receive on the ClusterIP.',
        'v1.ServiceInternalTrafficPolicy',
      ),
    ),
    trafficDistribution: Opt(
      Str('TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints.'),
    ),
  },
);
export type ServiceSpec = Static<typeof ServiceSpecSchema>;

export const PortStatusSchema = Named('io.k8s.api.core.v1.PortStatus', 'PortStatus represents the error condition of a service port', {
  port: Int32('Port is the port number of the service port of which status is recorded here'),
  protocol: Str(
    'Protocol is the protocol of the service port of which status is recorded here The supported values are: "TCP", "UDP", "SCTP"',
    'v1.Protocol',
  ),
  error: Opt(
    Str(
      'Error is to record the problem with the service port The format of the error shall comply with the following rules: - built-in error values shall be specified in this file and those shall use CamelCase names - cloud provider specific error values must have names that comply with the format foo.example.com/CamelCase. --- The regex it matches is (dns1123SubdomainFmt/)?(qualifiedNameFmt)',
    ),
  ),
});
export type PortStatus = Static<typeof PortStatusSchema>;

export const LoadBalancerIngressSchema = Named(
  'io.k8s.api.core.v1.LoadBalancerIngress',
  'LoadBalancerIngress represents the status of a load-balancer ingress point: traffic intended for the service should be sent to an ingress point.',
  {
    ip: Opt(Str('IP is set for load-balancer ingress points that are IP based (typically GCE or OpenStack load-balancers)')),
    hostname: Opt(Str('Hostname is set for load-balancer ingress points that are DNS based (typically AWS load-balancers)')),
    ipMode: Opt(
      Str(
        'IPMode specifies how the load-balancer IP behaves, and may only be specified when the ip field is specified.',
        'v1.LoadBalancerIPMode',
      ),
    ),
    ports: Opt(
      List(
        PortStatusSchema,
        'Ports is a list of records of service ports If used, every port defined in the service should have an entry in it',
        { type: 'atomic' },
      ),
    ),
  },
);
export type LoadBalancerIngress = Static<typeof LoadBalancerIngressSchema>;

export const LoadBalancerStatusSchema = Named(
  'io.k8s.api.core.v1.LoadBalancerStatus',
  'LoadBalancerStatus represents the status of a load-balancer.',
  {
    ingress: Opt(List(LoadBalancerIngressSchema, 'Ingress is a list containing ingress points for the load-balancer.', { type: 'atomic' })),
  },
);
export type LoadBalancerStatus = Static<typeof LoadBalancerStatusSchema>;

export const ServiceStatusSchema = Named('io.k8s.api.core.v1.ServiceStatus', 'ServiceStatus represents the current status of a service.', {
  loadBalancer: Opt(Field(LoadBalancerStatusSchema, 'LoadBalancer contains the current status of the load-balancer, if one is present.')),
  conditions: Opt(List(ConditionSchema, 'Current service state', { type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge' })),
});
export type ServiceStatus = Static<typeof ServiceStatusSchema>;

export const ServiceSchema = Named(
  'io.k8s.api.core.v1.Service',
  'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    spec: Opt(Field(ServiceSpecSchema, 'Spec defines the behavior of a service.')),
    status: Opt(Field(ServiceStatusSchema, 'Most recently observed status of the service.')),
  },
);
export type Service = Static<typeof ServiceSchema>;
