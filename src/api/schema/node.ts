// core/v1 Node.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Bool, Int32, Int64, Time, ResourceList, List, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const TaintSchema = Named(
  'io.k8s.api.core.v1.Taint',
  'The node this Taint is attached to has the "effect" on any pod that does not tolerate the Taint.',
  {
    key: Str('Required. The taint key to be applied to a node.'),
    value: Opt(Str('The taint value corresponding to the taint key.')),
    effect: Str('Required. The effect of the taint on pods that do not tolerate the taint.', 'v1.TaintEffect'),
    timeAdded: Opt(Time('TimeAdded represents the time at which the taint was added.')),
  },
);
export type Taint = Static<typeof TaintSchema>;

export const ConfigMapNodeConfigSourceSchema = Named(
  'io.k8s.api.core.v1.ConfigMapNodeConfigSource',
  'ConfigMapNodeConfigSource contains the information to reference a ConfigMap as a config source for the Node.',
  {
    namespace: Str('Namespace is the metadata.namespace of the referenced ConfigMap.'),
    name: Str('Name is the metadata.name of the referenced ConfigMap.'),
    uid: Opt(Str('UID is the metadata.UID of the referenced ConfigMap.', 'types.UID')),
    resourceVersion: Opt(Str('ResourceVersion is the metadata.ResourceVersion of the referenced ConfigMap.')),
    kubeletConfigKey: Str(
      'KubeletConfigKey declares which key of the referenced ConfigMap corresponds to the KubeletConfiguration structure This field is required in all cases.',
    ),
  },
);
export type ConfigMapNodeConfigSource = Static<typeof ConfigMapNodeConfigSourceSchema>;

export const NodeConfigSourceSchema = Named(
  'io.k8s.api.core.v1.NodeConfigSource',
  'NodeConfigSource specifies a source of node configuration.',
  {
    configMap: Opt(Field(ConfigMapNodeConfigSourceSchema, "ConfigMap is a reference to a Node's ConfigMap")),
  },
);
export type NodeConfigSource = Static<typeof NodeConfigSourceSchema>;

export const NodeSpecSchema = Named('io.k8s.api.core.v1.NodeSpec', 'NodeSpec describes the attributes that a node is created with.', {
  podCIDR: Opt(Str('PodCIDR represents the pod IP range assigned to the node.')),
  podCIDRs: Opt(
    List(Str(), 'podCIDRs represents the IP ranges assigned to the node for usage by Pods on that node.', {
      type: 'set',
      strategy: 'merge',
    }),
  ),
  providerID: Opt(Str('ID of the node assigned by the cloud provider in the format: <ProviderName>://<ProviderSpecificNodeID>')),
  unschedulable: Opt(Bool('Unschedulable controls node schedulability of new pods.')),
  taints: Opt(List(TaintSchema, "If specified, the node's taints.", { type: 'atomic' })),
  configSource: Opt(
    Field(
      NodeConfigSourceSchema,
      "Deprecated: Previously used to specify the source of the node's configuration for the DynamicKubeletConfig feature.",
    ),
  ),
  externalID: Opt(Str('Deprecated. Not all kubelets will set this field.')),
});
export type NodeSpec = Static<typeof NodeSpecSchema>;

export const NodeConditionSchema = Named('io.k8s.api.core.v1.NodeCondition', 'NodeCondition contains condition information for a node.', {
  type: Str('Type of node condition.', 'v1.NodeConditionType'),
  status: Str('Status of the condition, one of True, False, Unknown.', 'v1.ConditionStatus'),
  lastHeartbeatTime: Opt(Time('Last time we got an update on a given condition.')),
  lastTransitionTime: Opt(Time('Last time the condition transit from one status to another.')),
  reason: Opt(Str("(brief) reason for the condition's last transition.")),
  message: Opt(Str('Human readable message indicating details about last transition.')),
});
export type NodeCondition = Static<typeof NodeConditionSchema>;

export const NodeAddressSchema = Named('io.k8s.api.core.v1.NodeAddress', "NodeAddress contains information for the node's address.", {
  type: Str('Node address type, one of Hostname, ExternalIP or InternalIP.', 'v1.NodeAddressType'),
  address: Str('The node address.'),
});
export type NodeAddress = Static<typeof NodeAddressSchema>;

export const DaemonEndpointSchema = Named(
  'io.k8s.api.core.v1.DaemonEndpoint',
  'DaemonEndpoint contains information about a single Daemon endpoint.',
  {
    Port: Int32('Port number of the given endpoint.'),
  },
);
export type DaemonEndpoint = Static<typeof DaemonEndpointSchema>;

export const NodeDaemonEndpointsSchema = Named(
  'io.k8s.api.core.v1.NodeDaemonEndpoints',
  'NodeDaemonEndpoints lists ports opened by daemons running on the Node.',
  {
    kubeletEndpoint: Opt(Field(DaemonEndpointSchema, 'Endpoint on which Kubelet is listening.')),
  },
);
export type NodeDaemonEndpoints = Static<typeof NodeDaemonEndpointsSchema>;

export const NodeSystemInfoSchema = Named(
  'io.k8s.api.core.v1.NodeSystemInfo',
  'NodeSystemInfo is a set of ids/uuids to uniquely identify the node.',
  {
    machineID: Str('MachineID reported by the node.'),
    systemUUID: Str('SystemUUID reported by the node.'),
    bootID: Str('Boot ID reported by the node.'),
    kernelVersion: Str("Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    osImage: Str('OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    containerRuntimeVersion: Str('ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
    kubeletVersion: Str('Kubelet Version reported by the node.'),
    kubeProxyVersion: Str('Deprecated: KubeProxy Version reported by the node.'),
    operatingSystem: Str('The Operating System reported by the node'),
    architecture: Str('The Architecture reported by the node'),
  },
);
export type NodeSystemInfo = Static<typeof NodeSystemInfoSchema>;

export const ContainerImageSchema = Named('io.k8s.api.core.v1.ContainerImage', 'Describe a container image', {
  names: Opt(
    List(
      Str(),
      'Names by which this image is known. e.g. ["kubernetes.example/hyperkube:v1.0.7", "cloud-vendor.registry.example/cloud-vendor/hyperkube:v1.0.7"]',
      { type: 'atomic' },
    ),
  ),
  sizeBytes: Opt(Int64('The size of the image in bytes.')),
});
export type ContainerImage = Static<typeof ContainerImageSchema>;

export const AttachedVolumeSchema = Named('io.k8s.api.core.v1.AttachedVolume', 'AttachedVolume describes a volume attached to a node', {
  name: Str('Name of the attached volume', 'v1.UniqueVolumeName'),
  devicePath: Str('DevicePath represents the device path where the volume should be available'),
});
export type AttachedVolume = Static<typeof AttachedVolumeSchema>;

export const NodeConfigStatusSchema = Named(
  'io.k8s.api.core.v1.NodeConfigStatus',
  'NodeConfigStatus describes the status of the config assigned by Node.Spec.ConfigSource.',
  {
    assigned: Opt(Field(NodeConfigSourceSchema, 'Assigned reports the checkpointed config the node will try to use.')),
    active: Opt(Field(NodeConfigSourceSchema, 'Active reports the checkpointed config the node is actively using.')),
    lastKnownGood: Opt(
      Field(
        NodeConfigSourceSchema,
        'LastKnownGood reports the checkpointed config the node will fall back to when it encounters an error attempting to use the Assigned config.',
      ),
    ),
    error: Opt(Str('Error describes any problems reconciling the Spec.ConfigSource to the Active config.')),
  },
);
export type NodeConfigStatus = Static<typeof NodeConfigStatusSchema>;

export const NodeRuntimeHandlerFeaturesSchema = Named(
  'io.k8s.api.core.v1.NodeRuntimeHandlerFeatures',
  'NodeRuntimeHandlerFeatures is a set of features implemented by the runtime handler.',
  {
    recursiveReadOnlyMounts: Opt(Bool('RecursiveReadOnlyMounts is set to true if the runtime handler supports RecursiveReadOnlyMounts.')),
    userNamespaces: Opt(Bool('UserNamespaces is set to true if the runtime handler supports UserNamespaces, including for volumes.')),
  },
);
export type NodeRuntimeHandlerFeatures = Static<typeof NodeRuntimeHandlerFeaturesSchema>;

export const NodeRuntimeHandlerSchema = Named(
  'io.k8s.api.core.v1.NodeRuntimeHandler',
  'NodeRuntimeHandler is a set of runtime handler information.',
  {
    name: Opt(Str('Runtime handler name. Empty for the default runtime handler.')),
    features: Opt(Field(NodeRuntimeHandlerFeaturesSchema, 'Supported features.')),
  },
);
export type NodeRuntimeHandler = Static<typeof NodeRuntimeHandlerSchema>;

export const NodeFeaturesSchema = Named(
  'io.k8s.api.core.v1.NodeFeatures',
  'NodeFeatures describes the set of features implemented by the CRI implementation.',
  {
    supplementalGroupsPolicy: Opt(
      Bool('SupplementalGroupsPolicy is set to true if the runtime supports SupplementalGroupsPolicy and ContainerUser.'),
    ),
  },
);
export type NodeFeatures = Static<typeof NodeFeaturesSchema>;

export const NodeStatusSchema = Named('io.k8s.api.core.v1.NodeStatus', 'NodeStatus is information about the current status of a node.', {
  capacity: Opt(ResourceList('Capacity represents the total resources of a node.')),
  allocatable: Opt(ResourceList('Allocatable represents the resources of a node that are available for scheduling.')),
  phase: Opt(Str('NodePhase is the recently observed lifecycle phase of the node.', 'v1.NodePhase')),
  conditions: Opt(
    List(NodeConditionSchema, 'Conditions is an array of current observed node conditions.', {
      type: 'map',
      keys: ['type'],
      mergeKey: 'type',
      strategy: 'merge',
    }),
  ),
  addresses: Opt(
    List(NodeAddressSchema, 'List of addresses reachable to the node.', {
      type: 'map',
      keys: ['type'],
      mergeKey: 'type',
      strategy: 'merge',
    }),
  ),
  daemonEndpoints: Opt(Field(NodeDaemonEndpointsSchema, 'Endpoints of daemons running on the Node.')),
  nodeInfo: Opt(Field(NodeSystemInfoSchema, 'Set of ids/uuids to uniquely identify the node.')),
  images: Opt(List(ContainerImageSchema, 'List of container images on this node', { type: 'atomic' })),
  volumesInUse: Opt(
    List(Str(undefined, 'v1.UniqueVolumeName'), 'List of attachable volumes in use (mounted) by the node.', { type: 'atomic' }),
  ),
  volumesAttached: Opt(List(AttachedVolumeSchema, 'List of volumes that are attached to the node.', { type: 'atomic' })),
  config: Opt(Field(NodeConfigStatusSchema, 'Status of the config assigned to the node via the dynamic Kubelet config feature.')),
  runtimeHandlers: Opt(List(NodeRuntimeHandlerSchema, 'The available runtime handlers.', { type: 'atomic' })),
  features: Opt(Field(NodeFeaturesSchema, 'Features describes the set of features implemented by the CRI implementation.')),
});
export type NodeStatus = Static<typeof NodeStatusSchema>;

export const NodeSchema = Named('io.k8s.api.core.v1.Node', 'Node is a worker node in Kubernetes.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  spec: Opt(Field(NodeSpecSchema, 'Spec defines the behavior of a node.')),
  status: Opt(Field(NodeStatusSchema, 'Most recently observed status of the node.')),
});
export type Node = Static<typeof NodeSchema>;
