// core/v1 Pod: a faithful PodSpec and PodStatus. Volume sources tinykube never mounts (cloud
// disks, NFS, CSI, PVCs, ...) and Affinity are free-form (x-kubernetes-preserve-unknown-fields):
// their names still show in OpenAPI, their contents are stored as given.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import {
  Named,
  Field,
  Str,
  Bool,
  Int32,
  Int64,
  Time,
  StringMap,
  IntOrString,
  Quantity,
  ResourceList,
  Free,
  List,
  Opt,
  typeMeta,
} from './common.js';
import { LabelSelectorSchema, ObjectMetaSchema } from './meta.js';
import { LocalObjectReferenceSchema } from './core.js';

export const HostPathVolumeSourceSchema = Named('io.k8s.api.core.v1.HostPathVolumeSource', 'Represents a host path mapped into a pod.', {
  path: Str('path of the directory on the host.'),
  type: Opt(Str('type for HostPath Volume Defaults to ""', 'v1.HostPathType')),
});
export type HostPathVolumeSource = Static<typeof HostPathVolumeSourceSchema>;

export const EmptyDirVolumeSourceSchema = Named('io.k8s.api.core.v1.EmptyDirVolumeSource', 'Represents an empty directory for a pod.', {
  medium: Opt(Str('medium represents what type of storage medium should back this directory.', 'v1.StorageMedium')),
  sizeLimit: Opt(Quantity('sizeLimit is the total amount of local storage required for this EmptyDir volume.')),
});
export type EmptyDirVolumeSource = Static<typeof EmptyDirVolumeSourceSchema>;

export const GCEPersistentDiskVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.GCEPersistentDiskVolumeSource',
  'Represents a Persistent Disk resource in Google Compute Engine.',
);
export type GCEPersistentDiskVolumeSource = Static<typeof GCEPersistentDiskVolumeSourceSchema>;

export const AWSElasticBlockStoreVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource',
  'Represents a Persistent Disk resource in AWS.',
);
export type AWSElasticBlockStoreVolumeSource = Static<typeof AWSElasticBlockStoreVolumeSourceSchema>;

export const GitRepoVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.GitRepoVolumeSource',
  'Represents a volume that is populated with the contents of a git repository.',
);
export type GitRepoVolumeSource = Static<typeof GitRepoVolumeSourceSchema>;

export const KeyToPathSchema = Named('io.k8s.api.core.v1.KeyToPath', 'Maps a string key to a path within a volume.', {
  key: Str('key is the key to project.'),
  path: Str('path is the relative path of the file to map the key to.'),
  mode: Opt(Int32('mode is Optional: mode bits used to set permissions on this file.')),
});
export type KeyToPath = Static<typeof KeyToPathSchema>;

export const SecretVolumeSourceSchema = Named('io.k8s.api.core.v1.SecretVolumeSource', 'Adapts a Secret into a volume.', {
  secretName: Opt(Str("secretName is the name of the secret in the pod's namespace to use.")),
  items: Opt(
    List(
      KeyToPathSchema,
      'items If unspecified, each key-value pair in the Data field of the referenced Secret will be projected into the volume as a file whose name is the key and content is the value.',
      { type: 'atomic' },
    ),
  ),
  defaultMode: Opt(Int32('defaultMode is Optional: mode bits used to set permissions on created files by default.')),
  optional: Opt(Bool('optional field specify whether the Secret or its keys must be defined')),
});
export type SecretVolumeSource = Static<typeof SecretVolumeSourceSchema>;

export const NFSVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.NFSVolumeSource',
  'Represents an NFS mount that lasts the lifetime of a pod.',
);
export type NFSVolumeSource = Static<typeof NFSVolumeSourceSchema>;

export const ISCSIVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.ISCSIVolumeSource',
  'Represents an ISCSI disk. ISCSI volumes can only be mounted as read/write once.',
);
export type ISCSIVolumeSource = Static<typeof ISCSIVolumeSourceSchema>;

export const GlusterfsVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.GlusterfsVolumeSource',
  'Represents a Glusterfs mount that lasts the lifetime of a pod.',
);
export type GlusterfsVolumeSource = Static<typeof GlusterfsVolumeSourceSchema>;

export const PersistentVolumeClaimVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource',
  "PersistentVolumeClaimVolumeSource references the user's PVC in the same namespace.",
);
export type PersistentVolumeClaimVolumeSource = Static<typeof PersistentVolumeClaimVolumeSourceSchema>;

export const RBDVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.RBDVolumeSource',
  'Represents a Rados Block Device mount that lasts the lifetime of a pod.',
);
export type RBDVolumeSource = Static<typeof RBDVolumeSourceSchema>;

export const FlexVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.FlexVolumeSource',
  'FlexVolume represents a generic volume resource that is provisioned/attached using an exec based plugin.',
);
export type FlexVolumeSource = Static<typeof FlexVolumeSourceSchema>;

export const CinderVolumeSourceSchema = Free('io.k8s.api.core.v1.CinderVolumeSource', 'Represents a cinder volume resource in Openstack.');
export type CinderVolumeSource = Static<typeof CinderVolumeSourceSchema>;

export const CephFSVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.CephFSVolumeSource',
  'Represents a Ceph Filesystem mount that lasts the lifetime of a pod Cephfs volumes do not support ownership management or SELinux relabeling.',
);
export type CephFSVolumeSource = Static<typeof CephFSVolumeSourceSchema>;

export const FlockerVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.FlockerVolumeSource',
  'Represents a Flocker volume mounted by the Flocker agent.',
);
export type FlockerVolumeSource = Static<typeof FlockerVolumeSourceSchema>;

export const ObjectFieldSelectorSchema = Named(
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'ObjectFieldSelector selects an APIVersioned field of an object.',
  {
    apiVersion: Opt(Str('Version of the schema the FieldPath is written in terms of, defaults to "v1".')),
    fieldPath: Str('Path of the field to select in the specified API version.'),
  },
  { mapType: 'atomic' },
);
export type ObjectFieldSelector = Static<typeof ObjectFieldSelectorSchema>;

export const ResourceFieldSelectorSchema = Named(
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'ResourceFieldSelector represents container resources (cpu, memory) and their output format',
  {
    containerName: Opt(Str('Container name: required for volumes, optional for env vars')),
    resource: Str('Required: resource to select'),
    divisor: Opt(Quantity('Specifies the output format of the exposed resources, defaults to "1"')),
  },
  { mapType: 'atomic' },
);
export type ResourceFieldSelector = Static<typeof ResourceFieldSelectorSchema>;

export const DownwardAPIVolumeFileSchema = Named(
  'io.k8s.api.core.v1.DownwardAPIVolumeFile',
  'DownwardAPIVolumeFile represents information to create the file containing the pod field',
  {
    path: Str('Required: Path is the relative path name of the file to be created.'),
    fieldRef: Opt(
      Field(
        ObjectFieldSelectorSchema,
        'Required: Selects a field of the pod: only annotations, labels, name, namespace and uid are supported.',
      ),
    ),
    resourceFieldRef: Opt(
      Field(
        ResourceFieldSelectorSchema,
        'Selects a resource of the container: only resources limits and requests (limits.cpu, limits.memory, requests.cpu and requests.memory) are currently supported.',
      ),
    ),
    mode: Opt(
      Int32(
        'Optional: mode bits used to set permissions on this file, must be an octal value between 0000 and 0777 or a decimal value between 0 and 511.',
      ),
    ),
  },
);
export type DownwardAPIVolumeFile = Static<typeof DownwardAPIVolumeFileSchema>;

export const DownwardAPIVolumeSourceSchema = Named(
  'io.k8s.api.core.v1.DownwardAPIVolumeSource',
  'DownwardAPIVolumeSource represents a volume containing downward API info.',
  {
    items: Opt(List(DownwardAPIVolumeFileSchema, 'Items is a list of downward API volume file', { type: 'atomic' })),
    defaultMode: Opt(Int32('Optional: mode bits to use on created files by default.')),
  },
);
export type DownwardAPIVolumeSource = Static<typeof DownwardAPIVolumeSourceSchema>;

export const FCVolumeSourceSchema = Free('io.k8s.api.core.v1.FCVolumeSource', 'Represents a Fibre Channel volume.');
export type FCVolumeSource = Static<typeof FCVolumeSourceSchema>;

export const AzureFileVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.AzureFileVolumeSource',
  'AzureFile represents an Azure File Service mount on the host and bind mount to the pod.',
);
export type AzureFileVolumeSource = Static<typeof AzureFileVolumeSourceSchema>;

export const ConfigMapVolumeSourceSchema = Named('io.k8s.api.core.v1.ConfigMapVolumeSource', 'Adapts a ConfigMap into a volume.', {
  name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
  items: Opt(
    List(
      KeyToPathSchema,
      'items if unspecified, each key-value pair in the Data field of the referenced ConfigMap will be projected into the volume as a file whose name is the key and content is the value.',
      { type: 'atomic' },
    ),
  ),
  defaultMode: Opt(Int32('defaultMode is optional: mode bits used to set permissions on created files by default.')),
  optional: Opt(Bool('optional specify whether the ConfigMap or its keys must be defined')),
});
export type ConfigMapVolumeSource = Static<typeof ConfigMapVolumeSourceSchema>;

export const VsphereVirtualDiskVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource',
  'Represents a vSphere volume resource.',
);
export type VsphereVirtualDiskVolumeSource = Static<typeof VsphereVirtualDiskVolumeSourceSchema>;

export const QuobyteVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.QuobyteVolumeSource',
  'Represents a Quobyte mount that lasts the lifetime of a pod.',
);
export type QuobyteVolumeSource = Static<typeof QuobyteVolumeSourceSchema>;

export const AzureDiskVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.AzureDiskVolumeSource',
  'AzureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.',
);
export type AzureDiskVolumeSource = Static<typeof AzureDiskVolumeSourceSchema>;

export const PhotonPersistentDiskVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource',
  'Represents a Photon Controller persistent disk resource.',
);
export type PhotonPersistentDiskVolumeSource = Static<typeof PhotonPersistentDiskVolumeSourceSchema>;

export const SecretProjectionSchema = Named('io.k8s.api.core.v1.SecretProjection', 'Adapts a secret into a projected volume.', {
  name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
  items: Opt(
    List(
      KeyToPathSchema,
      'items if unspecified, each key-value pair in the Data field of the referenced Secret will be projected into the volume as a file whose name is the key and content is the value.',
      { type: 'atomic' },
    ),
  ),
  optional: Opt(Bool('optional field specify whether the Secret or its key must be defined')),
});
export type SecretProjection = Static<typeof SecretProjectionSchema>;

export const DownwardAPIProjectionSchema = Named(
  'io.k8s.api.core.v1.DownwardAPIProjection',
  'Represents downward API info for projecting into a projected volume.',
  {
    items: Opt(List(DownwardAPIVolumeFileSchema, 'Items is a list of DownwardAPIVolume file', { type: 'atomic' })),
  },
);
export type DownwardAPIProjection = Static<typeof DownwardAPIProjectionSchema>;

export const ConfigMapProjectionSchema = Named('io.k8s.api.core.v1.ConfigMapProjection', 'Adapts a ConfigMap into a projected volume.', {
  name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
  items: Opt(
    List(
      KeyToPathSchema,
      'items if unspecified, each key-value pair in the Data field of the referenced ConfigMap will be projected into the volume as a file whose name is the key and content is the value.',
      { type: 'atomic' },
    ),
  ),
  optional: Opt(Bool('optional specify whether the ConfigMap or its keys must be defined')),
});
export type ConfigMapProjection = Static<typeof ConfigMapProjectionSchema>;

export const ServiceAccountTokenProjectionSchema = Named(
  'io.k8s.api.core.v1.ServiceAccountTokenProjection',
  'ServiceAccountTokenProjection represents a projected service account token volume.',
  {
    audience: Opt(Str('audience is the intended audience of the token.')),
    expirationSeconds: Opt(Int64('expirationSeconds is the requested duration of validity of the service account token.')),
    path: Str('path is the path relative to the mount point of the file to project the token into.'),
  },
);
export type ServiceAccountTokenProjection = Static<typeof ServiceAccountTokenProjectionSchema>;

export const ClusterTrustBundleProjectionSchema = Named(
  'io.k8s.api.core.v1.ClusterTrustBundleProjection',
  'ClusterTrustBundleProjection describes how to select a set of ClusterTrustBundle objects and project their contents into the pod filesystem.',
  {
    name: Opt(Str('Select a single ClusterTrustBundle by object name.')),
    signerName: Opt(Str('Select all ClusterTrustBundles that match this signer name.')),
    labelSelector: Opt(Field(LabelSelectorSchema, 'Select all ClusterTrustBundles that match this label selector.')),
    optional: Opt(Bool("If true, don't block pod startup if the referenced ClusterTrustBundle(s) aren't available.")),
    path: Str('Relative path from the volume root to write the bundle.'),
  },
);
export type ClusterTrustBundleProjection = Static<typeof ClusterTrustBundleProjectionSchema>;

export const VolumeProjectionSchema = Named(
  'io.k8s.api.core.v1.VolumeProjection',
  'Projection that may be projected along with other supported volume types.',
  {
    secret: Opt(Field(SecretProjectionSchema, 'secret information about the secret data to project')),
    downwardAPI: Opt(Field(DownwardAPIProjectionSchema, 'downwardAPI information about the downwardAPI data to project')),
    configMap: Opt(Field(ConfigMapProjectionSchema, 'configMap information about the configMap data to project')),
    serviceAccountToken: Opt(
      Field(ServiceAccountTokenProjectionSchema, 'serviceAccountToken is information about the serviceAccountToken data to project'),
    ),
    clusterTrustBundle: Opt(
      Field(
        ClusterTrustBundleProjectionSchema,
        'ClusterTrustBundle allows a pod to access the `.spec.trustBundle` field of ClusterTrustBundle objects in an auto-updating file.',
      ),
    ),
  },
);
export type VolumeProjection = Static<typeof VolumeProjectionSchema>;

export const ProjectedVolumeSourceSchema = Named('io.k8s.api.core.v1.ProjectedVolumeSource', 'Represents a projected volume source', {
  sources: Opt(List(VolumeProjectionSchema, 'sources is the list of volume projections.', { type: 'atomic' })),
  defaultMode: Opt(Int32('defaultMode are the mode bits used to set permissions on created files by default.')),
});
export type ProjectedVolumeSource = Static<typeof ProjectedVolumeSourceSchema>;

export const PortworxVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.PortworxVolumeSource',
  'PortworxVolumeSource represents a Portworx volume resource.',
);
export type PortworxVolumeSource = Static<typeof PortworxVolumeSourceSchema>;

export const ScaleIOVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.ScaleIOVolumeSource',
  'ScaleIOVolumeSource represents a persistent ScaleIO volume',
);
export type ScaleIOVolumeSource = Static<typeof ScaleIOVolumeSourceSchema>;

export const StorageOSVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.StorageOSVolumeSource',
  'Represents a StorageOS persistent volume resource.',
);
export type StorageOSVolumeSource = Static<typeof StorageOSVolumeSourceSchema>;

export const CSIVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.CSIVolumeSource',
  'Represents a source location of a volume to mount, managed by an external CSI driver',
);
export type CSIVolumeSource = Static<typeof CSIVolumeSourceSchema>;

export const EphemeralVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.EphemeralVolumeSource',
  'Represents an ephemeral volume that is handled by a normal storage driver.',
);
export type EphemeralVolumeSource = Static<typeof EphemeralVolumeSourceSchema>;

export const ImageVolumeSourceSchema = Free(
  'io.k8s.api.core.v1.ImageVolumeSource',
  'ImageVolumeSource represents a image volume resource.',
);
export type ImageVolumeSource = Static<typeof ImageVolumeSourceSchema>;

export const VolumeSchema = Named(
  'io.k8s.api.core.v1.Volume',
  'Volume represents a named volume in a pod that may be accessed by any container in the pod.',
  {
    name: Str('name of the volume. Must be a DNS_LABEL and unique within the pod.'),
    hostPath: Opt(
      Field(
        HostPathVolumeSourceSchema,
        'hostPath represents a pre-existing file or directory on the host machine that is directly exposed to the container.',
      ),
    ),
    emptyDir: Opt(Field(EmptyDirVolumeSourceSchema, "emptyDir represents a temporary directory that shares a pod's lifetime.")),
    gcePersistentDisk: Opt(
      Field(
        GCEPersistentDiskVolumeSourceSchema,
        "gcePersistentDisk represents a GCE Disk resource that is attached to a kubelet's host machine and then exposed to the pod.",
      ),
    ),
    awsElasticBlockStore: Opt(
      Field(
        AWSElasticBlockStoreVolumeSourceSchema,
        "awsElasticBlockStore represents an AWS Disk resource that is attached to a kubelet's host machine and then exposed to the pod.",
      ),
    ),
    gitRepo: Opt(Field(GitRepoVolumeSourceSchema, 'gitRepo represents a git repository at a particular revision.')),
    secret: Opt(Field(SecretVolumeSourceSchema, 'secret represents a secret that should populate this volume.')),
    nfs: Opt(Field(NFSVolumeSourceSchema, "nfs represents an NFS mount on the host that shares a pod's lifetime")),
    iscsi: Opt(
      Field(
        ISCSIVolumeSourceSchema,
        "iscsi represents an ISCSI Disk resource that is attached to a kubelet's host machine and then exposed to the pod.",
      ),
    ),
    glusterfs: Opt(Field(GlusterfsVolumeSourceSchema, "glusterfs represents a Glusterfs mount on the host that shares a pod's lifetime.")),
    persistentVolumeClaim: Opt(
      Field(
        PersistentVolumeClaimVolumeSourceSchema,
        'persistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim in the same namespace.',
      ),
    ),
    rbd: Opt(Field(RBDVolumeSourceSchema, "rbd represents a Rados Block Device mount on the host that shares a pod's lifetime.")),
    flexVolume: Opt(
      Field(
        FlexVolumeSourceSchema,
        'flexVolume represents a generic volume resource that is provisioned/attached using an exec based plugin.',
      ),
    ),
    cinder: Opt(Field(CinderVolumeSourceSchema, 'cinder represents a cinder volume attached and mounted on kubelets host machine.')),
    cephfs: Opt(Field(CephFSVolumeSourceSchema, "cephFS represents a Ceph FS mount on the host that shares a pod's lifetime.")),
    flocker: Opt(Field(FlockerVolumeSourceSchema, "flocker represents a Flocker volume attached to a kubelet's host machine.")),
    downwardAPI: Opt(
      Field(DownwardAPIVolumeSourceSchema, 'downwardAPI represents downward API about the pod that should populate this volume'),
    ),
    fc: Opt(
      Field(
        FCVolumeSourceSchema,
        "fc represents a Fibre Channel resource that is attached to a kubelet's host machine and then exposed to the pod.",
      ),
    ),
    azureFile: Opt(
      Field(AzureFileVolumeSourceSchema, 'azureFile represents an Azure File Service mount on the host and bind mount to the pod.'),
    ),
    configMap: Opt(Field(ConfigMapVolumeSourceSchema, 'configMap represents a configMap that should populate this volume')),
    vsphereVolume: Opt(
      Field(
        VsphereVirtualDiskVolumeSourceSchema,
        'vsphereVolume represents a vSphere volume attached and mounted on kubelets host machine.',
      ),
    ),
    quobyte: Opt(Field(QuobyteVolumeSourceSchema, "quobyte represents a Quobyte mount on the host that shares a pod's lifetime.")),
    azureDisk: Opt(
      Field(AzureDiskVolumeSourceSchema, 'azureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.'),
    ),
    photonPersistentDisk: Opt(
      Field(
        PhotonPersistentDiskVolumeSourceSchema,
        'photonPersistentDisk represents a PhotonController persistent disk attached and mounted on kubelets host machine.',
      ),
    ),
    projected: Opt(Field(ProjectedVolumeSourceSchema, 'projected items for all in one resources secrets, configmaps, and downward API')),
    portworxVolume: Opt(
      Field(PortworxVolumeSourceSchema, 'portworxVolume represents a portworx volume attached and mounted on kubelets host machine.'),
    ),
    scaleIO: Opt(
      Field(ScaleIOVolumeSourceSchema, 'scaleIO represents a ScaleIO persistent volume attached and mounted on Kubernetes nodes.'),
    ),
    storageos: Opt(Field(StorageOSVolumeSourceSchema, 'storageOS represents a StorageOS volume attached and mounted on Kubernetes nodes.')),
    csi: Opt(
      Field(
        CSIVolumeSourceSchema,
        'csi (Container Storage Interface) represents ephemeral storage that is handled by certain external CSI drivers.',
      ),
    ),
    ephemeral: Opt(Field(EphemeralVolumeSourceSchema, 'ephemeral represents a volume that is handled by a cluster storage driver.')),
    image: Opt(
      Field(
        ImageVolumeSourceSchema,
        "image represents an OCI object (a container image or artifact) pulled and mounted on the kubelet's host machine.",
      ),
    ),
  },
);
export type Volume = Static<typeof VolumeSchema>;

export const ContainerPortSchema = Named(
  'io.k8s.api.core.v1.ContainerPort',
  'ContainerPort represents a network port in a single container.',
  {
    name: Opt(Str('If specified, this must be an IANA_SVC_NAME and unique within the pod.')),
    hostPort: Opt(Int32('Number of port to expose on the host.')),
    containerPort: Int32("Number of port to expose on the pod's IP address."),
    protocol: Opt(Str('Protocol for port. Must be UDP, TCP, or SCTP.', 'v1.Protocol')),
    hostIP: Opt(Str('What host IP to bind the external port to.')),
  },
);
export type ContainerPort = Static<typeof ContainerPortSchema>;

export const ConfigMapEnvSourceSchema = Named(
  'io.k8s.api.core.v1.ConfigMapEnvSource',
  'ConfigMapEnvSource selects a ConfigMap to populate the environment variables with.',
  {
    name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
    optional: Opt(Bool('Specify whether the ConfigMap must be defined')),
  },
);
export type ConfigMapEnvSource = Static<typeof ConfigMapEnvSourceSchema>;

export const SecretEnvSourceSchema = Named(
  'io.k8s.api.core.v1.SecretEnvSource',
  'SecretEnvSource selects a Secret to populate the environment variables with.',
  {
    name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
    optional: Opt(Bool('Specify whether the Secret must be defined')),
  },
);
export type SecretEnvSource = Static<typeof SecretEnvSourceSchema>;

export const EnvFromSourceSchema = Named('io.k8s.api.core.v1.EnvFromSource', 'EnvFromSource represents the source of a set of ConfigMaps', {
  prefix: Opt(Str('An optional identifier to prepend to each key in the ConfigMap.')),
  configMapRef: Opt(Field(ConfigMapEnvSourceSchema, 'The ConfigMap to select from')),
  secretRef: Opt(Field(SecretEnvSourceSchema, 'The Secret to select from')),
});
export type EnvFromSource = Static<typeof EnvFromSourceSchema>;

export const ConfigMapKeySelectorSchema = Named(
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'Selects a key from a ConfigMap.',
  {
    name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
    key: Str('The key to select.'),
    optional: Opt(Bool('Specify whether the ConfigMap or its key must be defined')),
  },
  { mapType: 'atomic' },
);
export type ConfigMapKeySelector = Static<typeof ConfigMapKeySelectorSchema>;

export const SecretKeySelectorSchema = Named(
  'io.k8s.api.core.v1.SecretKeySelector',
  'SecretKeySelector selects a key of a Secret.',
  {
    name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
    key: Str('The key of the secret to select from.'),
    optional: Opt(Bool('Specify whether the Secret or its key must be defined')),
  },
  { mapType: 'atomic' },
);
export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;

export const EnvVarSourceSchema = Named('io.k8s.api.core.v1.EnvVarSource', 'EnvVarSource represents a source for the value of an EnvVar.', {
  fieldRef: Opt(
    Field(
      ObjectFieldSelectorSchema,
      "Selects a field of the pod: supports metadata.name, metadata.namespace, `metadata.labels['<KEY>']`, `metadata.annotations['<KEY>']`, spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP, status.podIPs.",
    ),
  ),
  resourceFieldRef: Opt(
    Field(
      ResourceFieldSelectorSchema,
      'Selects a resource of the container: only resources limits and requests (limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory and requests.ephemeral-storage) are currently supported.',
    ),
  ),
  configMapKeyRef: Opt(Field(ConfigMapKeySelectorSchema, 'Selects a key of a ConfigMap.')),
  secretKeyRef: Opt(Field(SecretKeySelectorSchema, "Selects a key of a secret in the pod's namespace")),
});
export type EnvVarSource = Static<typeof EnvVarSourceSchema>;

export const EnvVarSchema = Named('io.k8s.api.core.v1.EnvVar', 'EnvVar represents an environment variable present in a Container.', {
  name: Str('Name of the environment variable.'),
  value: Opt(
    Str(
      'Variable references $(VAR_NAME) are expanded using the previously defined environment variables in the container and any service environment variables.',
    ),
  ),
  valueFrom: Opt(Field(EnvVarSourceSchema, "Source for the environment variable's value.")),
});
export type EnvVar = Static<typeof EnvVarSchema>;

export const ResourceClaimSchema = Named(
  'io.k8s.api.core.v1.ResourceClaim',
  'ResourceClaim references one entry in PodSpec.ResourceClaims.',
  {
    name: Str('Name must match the name of one entry in pod.spec.resourceClaims of the Pod where this field is used.'),
    request: Opt(Str('Request is the name chosen for a request in the referenced claim.')),
  },
);
export type ResourceClaim = Static<typeof ResourceClaimSchema>;

export const ResourceRequirementsSchema = Named(
  'io.k8s.api.core.v1.ResourceRequirements',
  'ResourceRequirements describes the compute resource requirements.',
  {
    limits: Opt(ResourceList('Limits describes the maximum amount of compute resources allowed.')),
    requests: Opt(ResourceList('Requests describes the minimum amount of compute resources required.')),
    claims: Opt(
      List(ResourceClaimSchema, 'Claims lists the names of resources, defined in spec.resourceClaims, that are used by this container.', {
        type: 'map',
        keys: ['name'],
      }),
    ),
  },
);
export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;

export const ContainerResizePolicySchema = Named(
  'io.k8s.api.core.v1.ContainerResizePolicy',
  'ContainerResizePolicy represents resource resize policy for the container.',
  {
    resourceName: Str('Name of the resource to which this resource resize policy applies.', 'v1.ResourceName'),
    restartPolicy: Str('Restart policy to apply when specified resource is resized.', 'v1.ResourceResizeRestartPolicy'),
  },
);
export type ContainerResizePolicy = Static<typeof ContainerResizePolicySchema>;

export const VolumeMountSchema = Named(
  'io.k8s.api.core.v1.VolumeMount',
  'VolumeMount describes a mounting of a Volume within a container.',
  {
    name: Str('This must match the Name of a Volume.'),
    readOnly: Opt(Bool('Mounted read-only if true, read-write otherwise (false or unspecified).')),
    recursiveReadOnly: Opt(
      Str('RecursiveReadOnly specifies whether read-only mounts should be handled recursively.', 'v1.RecursiveReadOnlyMode'),
    ),
    mountPath: Str('Path within the container at which the volume should be mounted.'),
    subPath: Opt(Str("Path within the volume from which the container's volume should be mounted.")),
    mountPropagation: Opt(
      Str(
        'mountPropagation determines how mounts are propagated from the host to container and the other way around.',
        'v1.MountPropagationMode',
      ),
    ),
    subPathExpr: Opt(Str("Expanded path within the volume from which the container's volume should be mounted.")),
  },
);
export type VolumeMount = Static<typeof VolumeMountSchema>;

export const VolumeDeviceSchema = Named(
  'io.k8s.api.core.v1.VolumeDevice',
  'volumeDevice describes a mapping of a raw block device within a container.',
  {
    name: Str('name must match the name of a persistentVolumeClaim in the pod'),
    devicePath: Str('devicePath is the path inside of the container that the device will be mapped to.'),
  },
);
export type VolumeDevice = Static<typeof VolumeDeviceSchema>;

export const ExecActionSchema = Named('io.k8s.api.core.v1.ExecAction', 'ExecAction describes a "run in container" action.', {
  command: Opt(
    List(
      Str(),
      "Command is the command line to execute inside the container, the working directory for the command is root ('/') in the container's filesystem.",
      { type: 'atomic' },
    ),
  ),
});
export type ExecAction = Static<typeof ExecActionSchema>;

export const HTTPHeaderSchema = Named('io.k8s.api.core.v1.HTTPHeader', 'HTTPHeader describes a custom header to be used in HTTP probes', {
  name: Str('The header field name. This will be canonicalized upon output, so case-variant names will be understood as the same header.'),
  value: Str('The header field value'),
});
export type HTTPHeader = Static<typeof HTTPHeaderSchema>;

export const HTTPGetActionSchema = Named(
  'io.k8s.api.core.v1.HTTPGetAction',
  'HTTPGetAction describes an action based on HTTP Get requests.',
  {
    path: Opt(Str('Path to access on the HTTP server.')),
    port: IntOrString('Name or number of the port to access on the container.'),
    host: Opt(Str('Host name to connect to, defaults to the pod IP.')),
    scheme: Opt(Str('Scheme to use for connecting to the host.', 'v1.URIScheme')),
    httpHeaders: Opt(List(HTTPHeaderSchema, 'Custom headers to set in the request.', { type: 'atomic' })),
  },
);
export type HTTPGetAction = Static<typeof HTTPGetActionSchema>;

export const TCPSocketActionSchema = Named(
  'io.k8s.api.core.v1.TCPSocketAction',
  'TCPSocketAction describes an action based on opening a socket',
  {
    port: IntOrString('Number or name of the port to access on the container.'),
    host: Opt(Str('Optional: Host name to connect to, defaults to the pod IP.')),
  },
);
export type TCPSocketAction = Static<typeof TCPSocketActionSchema>;

export const GRPCActionSchema = Named('io.k8s.api.core.v1.GRPCAction', 'GRPCAction specifies an action involving a GRPC service.', {
  port: Int32('Port number of the gRPC service.'),
  service: Opt(
    Str(
      'Service is the name of the service to place in the gRPC HealthCheckRequest (see If this is not specified, the default behavior is defined by gRPC.',
    ),
  ),
});
export type GRPCAction = Static<typeof GRPCActionSchema>;

export const ProbeSchema = Named(
  'io.k8s.api.core.v1.Probe',
  'Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.',
  {
    exec: Opt(Field(ExecActionSchema, 'Exec specifies a command to execute in the container.')),
    httpGet: Opt(Field(HTTPGetActionSchema, 'HTTPGet specifies an HTTP GET request to perform.')),
    tcpSocket: Opt(Field(TCPSocketActionSchema, 'TCPSocket specifies a connection to a TCP port.')),
    grpc: Opt(Field(GRPCActionSchema, 'GRPC specifies a GRPC HealthCheckRequest.')),
    initialDelaySeconds: Opt(Int32('Number of seconds after the container has started before liveness probes are initiated.')),
    timeoutSeconds: Opt(Int32('Number of seconds after which the probe times out.')),
    periodSeconds: Opt(Int32('How often (in seconds) to perform the probe.')),
    successThreshold: Opt(Int32('Minimum consecutive successes for the probe to be considered successful after having failed.')),
    failureThreshold: Opt(Int32('Minimum consecutive failures for the probe to be considered failed after having succeeded.')),
    terminationGracePeriodSeconds: Opt(Int64('Optional duration in seconds the pod needs to terminate gracefully upon probe failure.')),
  },
);
export type Probe = Static<typeof ProbeSchema>;

export const SleepActionSchema = Named('io.k8s.api.core.v1.SleepAction', 'SleepAction describes a "sleep" action.', {
  seconds: Int64('Seconds is the number of seconds to sleep.'),
});
export type SleepAction = Static<typeof SleepActionSchema>;

export const LifecycleHandlerSchema = Named(
  'io.k8s.api.core.v1.LifecycleHandler',
  'LifecycleHandler defines a specific action that should be taken in a lifecycle hook.',
  {
    exec: Opt(Field(ExecActionSchema, 'Exec specifies a command to execute in the container.')),
    httpGet: Opt(Field(HTTPGetActionSchema, 'HTTPGet specifies an HTTP GET request to perform.')),
    tcpSocket: Opt(
      Field(TCPSocketActionSchema, 'Deprecated. TCPSocket is NOT supported as a LifecycleHandler and kept for backward compatibility.'),
    ),
    sleep: Opt(Field(SleepActionSchema, 'Sleep represents a duration that the container should sleep.')),
  },
);
export type LifecycleHandler = Static<typeof LifecycleHandlerSchema>;

export const LifecycleSchema = Named(
  'io.k8s.api.core.v1.Lifecycle',
  'Lifecycle describes actions that the management system should take in response to container lifecycle events.',
  {
    postStart: Opt(Field(LifecycleHandlerSchema, 'PostStart is called immediately after a container is created.')),
    preStop: Opt(
      Field(
        LifecycleHandlerSchema,
        'PreStop is called immediately before a container is terminated due to an API request or management event such as liveness/startup probe failure, preemption, resource contention, etc. The handler is not called if the container crashes or exits.',
      ),
    ),
  },
);
export type Lifecycle = Static<typeof LifecycleSchema>;

export const CapabilitiesSchema = Named('io.k8s.api.core.v1.Capabilities', 'Adds and removes POSIX capabilities from running containers.', {
  add: Opt(List(Str(undefined, 'v1.Capability'), 'Added capabilities', { type: 'atomic' })),
  drop: Opt(List(Str(undefined, 'v1.Capability'), 'Removed capabilities', { type: 'atomic' })),
});
export type Capabilities = Static<typeof CapabilitiesSchema>;

export const SELinuxOptionsSchema = Named(
  'io.k8s.api.core.v1.SELinuxOptions',
  'SELinuxOptions are the labels to be applied to the container',
  {
    user: Opt(Str('User is a SELinux user label that applies to the container.')),
    role: Opt(Str('Role is a SELinux role label that applies to the container.')),
    type: Opt(Str('Type is a SELinux type label that applies to the container.')),
    level: Opt(Str('Level is SELinux level label that applies to the container.')),
  },
);
export type SELinuxOptions = Static<typeof SELinuxOptionsSchema>;

export const WindowsSecurityContextOptionsSchema = Named(
  'io.k8s.api.core.v1.WindowsSecurityContextOptions',
  'WindowsSecurityContextOptions contain Windows-specific options and credentials.',
  {
    gmsaCredentialSpecName: Opt(Str('GMSACredentialSpecName is the name of the GMSA credential spec to use.')),
    gmsaCredentialSpec: Opt(
      Str(
        'GMSACredentialSpec is where the GMSA admission webhook ( inlines the contents of the GMSA credential spec named by the GMSACredentialSpecName field.',
      ),
    ),
    runAsUserName: Opt(Str('The UserName in Windows to run the entrypoint of the container process.')),
    hostProcess: Opt(Bool("HostProcess determines if a container should be run as a 'Host Process' container.")),
  },
);
export type WindowsSecurityContextOptions = Static<typeof WindowsSecurityContextOptionsSchema>;

export const SeccompProfileSchema = Named(
  'io.k8s.api.core.v1.SeccompProfile',
  "SeccompProfile defines a pod/container's seccomp profile settings.",
  {
    type: Str('type indicates which kind of seccomp profile will be applied.', 'v1.SeccompProfileType'),
    localhostProfile: Opt(Str('localhostProfile indicates a profile defined in a file on the node should be used.')),
  },
);
export type SeccompProfile = Static<typeof SeccompProfileSchema>;

export const AppArmorProfileSchema = Named(
  'io.k8s.api.core.v1.AppArmorProfile',
  "AppArmorProfile defines a pod or container's AppArmor settings.",
  {
    type: Str('type indicates which kind of AppArmor profile will be applied.', 'v1.AppArmorProfileType'),
    localhostProfile: Opt(Str('localhostProfile indicates a profile loaded on the node that should be used.')),
  },
);
export type AppArmorProfile = Static<typeof AppArmorProfileSchema>;

export const SecurityContextSchema = Named(
  'io.k8s.api.core.v1.SecurityContext',
  'SecurityContext holds security configuration that will be applied to a container.',
  {
    capabilities: Opt(Field(CapabilitiesSchema, 'The capabilities to add/drop when running containers.')),
    privileged: Opt(Bool('Run container in privileged mode.')),
    seLinuxOptions: Opt(Field(SELinuxOptionsSchema, 'The SELinux context to be applied to the container.')),
    windowsOptions: Opt(Field(WindowsSecurityContextOptionsSchema, 'The Windows specific settings applied to all containers.')),
    runAsUser: Opt(Int64('The UID to run the entrypoint of the container process.')),
    runAsGroup: Opt(Int64('The GID to run the entrypoint of the container process.')),
    runAsNonRoot: Opt(Bool('Indicates that the container must run as a non-root user.')),
    readOnlyRootFilesystem: Opt(Bool('Whether this container has a read-only root filesystem.')),
    allowPrivilegeEscalation: Opt(
      Bool('AllowPrivilegeEscalation controls whether a process can gain more privileges than its parent process.'),
    ),
    procMount: Opt(Str('procMount denotes the type of proc mount to use for the containers.', 'v1.ProcMountType')),
    seccompProfile: Opt(Field(SeccompProfileSchema, 'The seccomp options to use by this container.')),
    appArmorProfile: Opt(Field(AppArmorProfileSchema, 'appArmorProfile is the AppArmor options to use by this container.')),
  },
);
export type SecurityContext = Static<typeof SecurityContextSchema>;

export const ContainerSchema = Named('io.k8s.api.core.v1.Container', 'A single application container that you want to run within a pod.', {
  name: Str('Name of the container specified as a DNS_LABEL.'),
  image: Opt(
    Str(
      'Container image name. This field is optional to allow higher level config management to default or override container images in workload controllers like Deployments and StatefulSets.',
    ),
  ),
  command: Opt(List(Str(), 'Entrypoint array. Not executed within a shell.', { type: 'atomic' })),
  args: Opt(List(Str(), 'Arguments to the entrypoint.', { type: 'atomic' })),
  workingDir: Opt(Str("Container's working directory.")),
  ports: Opt(
    List(ContainerPortSchema, 'List of ports to expose from the container.', {
      type: 'map',
      keys: ['containerPort', 'protocol'],
      mergeKey: 'containerPort',
      strategy: 'merge',
    }),
  ),
  envFrom: Opt(List(EnvFromSourceSchema, 'List of sources to populate environment variables in the container.', { type: 'atomic' })),
  env: Opt(
    List(EnvVarSchema, 'List of environment variables to set in the container.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge',
    }),
  ),
  resources: Opt(Field(ResourceRequirementsSchema, 'Compute Resources required by this container.')),
  resizePolicy: Opt(List(ContainerResizePolicySchema, 'Resources resize policy for the container.', { type: 'atomic' })),
  restartPolicy: Opt(Str('RestartPolicy defines the restart behavior of individual containers in a pod.', 'v1.ContainerRestartPolicy')),
  volumeMounts: Opt(
    List(VolumeMountSchema, "Pod volumes to mount into the container's filesystem.", {
      type: 'map',
      keys: ['mountPath'],
      mergeKey: 'mountPath',
      strategy: 'merge',
    }),
  ),
  volumeDevices: Opt(
    List(VolumeDeviceSchema, 'volumeDevices is the list of block devices to be used by the container.', {
      type: 'map',
      keys: ['devicePath'],
      mergeKey: 'devicePath',
      strategy: 'merge',
    }),
  ),
  livenessProbe: Opt(Field(ProbeSchema, 'Periodic probe of container liveness.')),
  readinessProbe: Opt(Field(ProbeSchema, 'Periodic probe of container service readiness.')),
  startupProbe: Opt(Field(ProbeSchema, 'StartupProbe indicates that the Pod has successfully initialized.')),
  lifecycle: Opt(Field(LifecycleSchema, 'Actions that the management system should take in response to container lifecycle events.')),
  terminationMessagePath: Opt(
    Str(
      "Optional: Path at which the file to which the container's termination message will be written is mounted into the container's filesystem.",
    ),
  ),
  terminationMessagePolicy: Opt(Str('Indicate how the termination message should be populated.', 'v1.TerminationMessagePolicy')),
  imagePullPolicy: Opt(Str('Image pull policy. One of Always, Never, IfNotPresent.', 'v1.PullPolicy')),
  securityContext: Opt(Field(SecurityContextSchema, 'SecurityContext defines the security options the container should be run with.')),
  stdin: Opt(Bool('Whether this container should allocate a buffer for stdin in the container runtime.')),
  stdinOnce: Opt(Bool('Whether the container runtime should close the stdin channel after it has been opened by a single attach.')),
  tty: Opt(Bool("Whether this container should allocate a TTY for itself, also requires 'stdin' to be true.")),
});
export type Container = Static<typeof ContainerSchema>;

export const EphemeralContainerSchema = Named(
  'io.k8s.api.core.v1.EphemeralContainer',
  'An EphemeralContainer is a temporary container that you may add to an existing Pod for user-initiated activities such as debugging.',
  {
    name: Str('Name of the ephemeral container specified as a DNS_LABEL.'),
    image: Opt(Str('Container image name.')),
    command: Opt(List(Str(), 'Entrypoint array. Not executed within a shell.', { type: 'atomic' })),
    args: Opt(List(Str(), 'Arguments to the entrypoint.', { type: 'atomic' })),
    workingDir: Opt(Str("Container's working directory.")),
    ports: Opt(
      List(ContainerPortSchema, 'Ports are not allowed for ephemeral containers.', {
        type: 'map',
        keys: ['containerPort', 'protocol'],
        mergeKey: 'containerPort',
        strategy: 'merge',
      }),
    ),
    envFrom: Opt(List(EnvFromSourceSchema, 'List of sources to populate environment variables in the container.', { type: 'atomic' })),
    env: Opt(
      List(EnvVarSchema, 'List of environment variables to set in the container.', {
        type: 'map',
        keys: ['name'],
        mergeKey: 'name',
        strategy: 'merge',
      }),
    ),
    resources: Opt(Field(ResourceRequirementsSchema, 'Resources are not allowed for ephemeral containers.')),
    resizePolicy: Opt(List(ContainerResizePolicySchema, 'Resources resize policy for the container.', { type: 'atomic' })),
    restartPolicy: Opt(
      Str('Restart policy for the container to manage the restart behavior of each container within a pod.', 'v1.ContainerRestartPolicy'),
    ),
    volumeMounts: Opt(
      List(VolumeMountSchema, "Pod volumes to mount into the container's filesystem.", {
        type: 'map',
        keys: ['mountPath'],
        mergeKey: 'mountPath',
        strategy: 'merge',
      }),
    ),
    volumeDevices: Opt(
      List(VolumeDeviceSchema, 'volumeDevices is the list of block devices to be used by the container.', {
        type: 'map',
        keys: ['devicePath'],
        mergeKey: 'devicePath',
        strategy: 'merge',
      }),
    ),
    livenessProbe: Opt(Field(ProbeSchema, 'Probes are not allowed for ephemeral containers.')),
    readinessProbe: Opt(Field(ProbeSchema, 'Probes are not allowed for ephemeral containers.')),
    startupProbe: Opt(Field(ProbeSchema, 'Probes are not allowed for ephemeral containers.')),
    lifecycle: Opt(Field(LifecycleSchema, 'Lifecycle is not allowed for ephemeral containers.')),
    terminationMessagePath: Opt(
      Str(
        "Optional: Path at which the file to which the container's termination message will be written is mounted into the container's filesystem.",
      ),
    ),
    terminationMessagePolicy: Opt(Str('Indicate how the termination message should be populated.', 'v1.TerminationMessagePolicy')),
    imagePullPolicy: Opt(Str('Image pull policy. One of Always, Never, IfNotPresent.', 'v1.PullPolicy')),
    securityContext: Opt(
      Field(SecurityContextSchema, 'Optional: SecurityContext defines the security options the ephemeral container should be run with.'),
    ),
    stdin: Opt(Bool('Whether this container should allocate a buffer for stdin in the container runtime.')),
    stdinOnce: Opt(Bool('Whether the container runtime should close the stdin channel after it has been opened by a single attach.')),
    tty: Opt(Bool("Whether this container should allocate a TTY for itself, also requires 'stdin' to be true.")),
    targetContainerName: Opt(Str('If set, the name of the container from PodSpec that this ephemeral container targets.')),
  },
);
export type EphemeralContainer = Static<typeof EphemeralContainerSchema>;

export const SysctlSchema = Named('io.k8s.api.core.v1.Sysctl', 'Sysctl defines a kernel parameter to be set', {
  name: Str('Name of a property to set'),
  value: Str('Value of a property to set'),
});
export type Sysctl = Static<typeof SysctlSchema>;

export const PodSecurityContextSchema = Named(
  'io.k8s.api.core.v1.PodSecurityContext',
  'PodSecurityContext holds pod-level security attributes and common container settings.',
  {
    seLinuxOptions: Opt(Field(SELinuxOptionsSchema, 'The SELinux context to be applied to all containers.')),
    windowsOptions: Opt(Field(WindowsSecurityContextOptionsSchema, 'The Windows specific settings applied to all containers.')),
    runAsUser: Opt(Int64('The UID to run the entrypoint of the container process.')),
    runAsGroup: Opt(Int64('The GID to run the entrypoint of the container process.')),
    runAsNonRoot: Opt(Bool('Indicates that the container must run as a non-root user.')),
    supplementalGroups: Opt(
      List(
        Int64(),
        "A list of groups applied to the first process run in each container, in addition to the container's primary GID and fsGroup (if specified).",
        { type: 'atomic' },
      ),
    ),
    supplementalGroupsPolicy: Opt(
      Str('Defines how supplemental groups of the first container processes are calculated.', 'v1.SupplementalGroupsPolicy'),
    ),
    fsGroup: Opt(Int64('A special supplemental group that applies to all containers in a pod.')),
    sysctls: Opt(List(SysctlSchema, 'Sysctls hold a list of namespaced sysctls used for the pod.', { type: 'atomic' })),
    fsGroupChangePolicy: Opt(
      Str(
        'fsGroupChangePolicy defines behavior of changing ownership and permission of the volume before being exposed inside Pod.',
        'v1.PodFSGroupChangePolicy',
      ),
    ),
    seccompProfile: Opt(Field(SeccompProfileSchema, 'The seccomp options to use by the containers in this pod.')),
    appArmorProfile: Opt(Field(AppArmorProfileSchema, 'appArmorProfile is the AppArmor options to use by the containers in this pod.')),
    seLinuxChangePolicy: Opt(
      Str(
        "seLinuxChangePolicy defines how the container's SELinux label is applied to all volumes used by the Pod.",
        'v1.PodSELinuxChangePolicy',
      ),
    ),
  },
);
export type PodSecurityContext = Static<typeof PodSecurityContextSchema>;

export const AffinitySchema = Free('io.k8s.api.core.v1.Affinity', 'Affinity is a group of affinity scheduling rules.');
export type Affinity = Static<typeof AffinitySchema>;

export const TolerationSchema = Named(
  'io.k8s.api.core.v1.Toleration',
  'The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect> using the matching operator <operator>.',
  {
    key: Opt(Str('Key is the taint key that the toleration applies to.')),
    operator: Opt(Str("Operator represents a key's relationship to the value.", 'v1.TolerationOperator')),
    value: Opt(Str('Value is the taint value the toleration matches to.')),
    effect: Opt(Str('Effect indicates the taint effect to match.', 'v1.TaintEffect')),
    tolerationSeconds: Opt(
      Int64(
        'TolerationSeconds represents the period of time the toleration (which must be of effect NoExecute, otherwise this field is ignored) tolerates the taint.',
      ),
    ),
  },
);
export type Toleration = Static<typeof TolerationSchema>;

export const HostAliasSchema = Named(
  'io.k8s.api.core.v1.HostAlias',
  "HostAlias holds the mapping between IP and hostnames that will be injected as an entry in the pod's hosts file.",
  {
    ip: Str('IP address of the host file entry.'),
    hostnames: Opt(List(Str(), 'Hostnames for the above IP address.', { type: 'atomic' })),
  },
);
export type HostAlias = Static<typeof HostAliasSchema>;

export const PodDNSConfigOptionSchema = Named(
  'io.k8s.api.core.v1.PodDNSConfigOption',
  'PodDNSConfigOption defines DNS resolver options of a pod.',
  {
    name: Opt(Str("Name is this DNS resolver option's name.")),
    value: Opt(Str("Value is this DNS resolver option's value.")),
  },
);
export type PodDNSConfigOption = Static<typeof PodDNSConfigOptionSchema>;

export const PodDNSConfigSchema = Named(
  'io.k8s.api.core.v1.PodDNSConfig',
  'PodDNSConfig defines the DNS parameters of a pod in addition to those generated from DNSPolicy.',
  {
    nameservers: Opt(List(Str(), 'A list of DNS name server IP addresses.', { type: 'atomic' })),
    searches: Opt(List(Str(), 'A list of DNS search domains for host-name lookup.', { type: 'atomic' })),
    options: Opt(List(PodDNSConfigOptionSchema, 'A list of DNS resolver options.', { type: 'atomic' })),
  },
);
export type PodDNSConfig = Static<typeof PodDNSConfigSchema>;

export const PodReadinessGateSchema = Named(
  'io.k8s.api.core.v1.PodReadinessGate',
  'PodReadinessGate contains the reference to a pod condition',
  {
    conditionType: Str("ConditionType refers to a condition in the pod's condition list with matching type.", 'v1.PodConditionType'),
  },
);
export type PodReadinessGate = Static<typeof PodReadinessGateSchema>;

export const TopologySpreadConstraintSchema = Named(
  'io.k8s.api.core.v1.TopologySpreadConstraint',
  'TopologySpreadConstraint specifies how to spread matching pods among the given topology.',
  {
    maxSkew: Int32('MaxSkew describes the degree to which pods may be unevenly distributed.'),
    topologyKey: Str('TopologyKey is the key of node labels.'),
    whenUnsatisfiable: Str(
      "WhenUnsatisfiable indicates how to deal with a pod if it doesn't satisfy the spread constraint. - DoNotSchedule (default) tells the scheduler not to schedule it. - ScheduleAnyway tells the scheduler to schedule the pod in any location, but giving higher precedence to topologies that would help reduce the skew.",
      'v1.UnsatisfiableConstraintAction',
    ),
    labelSelector: Opt(Field(LabelSelectorSchema, 'LabelSelector is used to find matching pods.')),
    minDomains: Opt(Int32('MinDomains indicates a minimum number of eligible domains.')),
    nodeAffinityPolicy: Opt(
      Str(
        "NodeAffinityPolicy indicates how we will treat Pod's nodeAffinity/nodeSelector when calculating pod topology spread skew.",
        'v1.NodeInclusionPolicy',
      ),
    ),
    nodeTaintsPolicy: Opt(
      Str('NodeTaintsPolicy indicates how we will treat node taints when calculating pod topology spread skew.', 'v1.NodeInclusionPolicy'),
    ),
    matchLabelKeys: Opt(
      List(Str(), 'MatchLabelKeys is a set of pod label keys to select the pods over which spreading will be calculated.', {
        type: 'atomic',
      }),
    ),
  },
);
export type TopologySpreadConstraint = Static<typeof TopologySpreadConstraintSchema>;

export const PodOSSchema = Named('io.k8s.api.core.v1.PodOS', 'PodOS defines the OS parameters of a pod.', {
  name: Str('Name is the name of the operating system.', 'v1.OSName'),
});
export type PodOS = Static<typeof PodOSSchema>;

export const PodSchedulingGateSchema = Named(
  'io.k8s.api.core.v1.PodSchedulingGate',
  'PodSchedulingGate is associated to a Pod to guard its scheduling.',
  {
    name: Str('Name of the scheduling gate.'),
  },
);
export type PodSchedulingGate = Static<typeof PodSchedulingGateSchema>;

export const PodResourceClaimSchema = Named(
  'io.k8s.api.core.v1.PodResourceClaim',
  'PodResourceClaim references exactly one ResourceClaim, either directly or by naming a ResourceClaimTemplate which is then turned into a ResourceClaim for the pod.',
  {
    name: Str('Name uniquely identifies this resource claim inside the pod.'),
    resourceClaimName: Opt(Str('ResourceClaimName is the name of a ResourceClaim object in the same namespace as this pod.')),
    resourceClaimTemplateName: Opt(
      Str('ResourceClaimTemplateName is the name of a ResourceClaimTemplate object in the same namespace as this pod.'),
    ),
  },
);
export type PodResourceClaim = Static<typeof PodResourceClaimSchema>;

export const PodSpecSchema = Named('io.k8s.api.core.v1.PodSpec', 'PodSpec is a description of a pod.', {
  volumes: Opt(
    List(VolumeSchema, 'List of volumes that can be mounted by containers belonging to the pod.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge,retainKeys',
    }),
  ),
  initContainers: Opt(
    List(ContainerSchema, 'List of initialization containers belonging to the pod.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge',
    }),
  ),
  containers: List(ContainerSchema, 'List of containers belonging to the pod.', {
    type: 'map',
    keys: ['name'],
    mergeKey: 'name',
    strategy: 'merge',
  }),
  ephemeralContainers: Opt(
    List(EphemeralContainerSchema, 'List of ephemeral containers run in this pod.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge',
    }),
  ),
  restartPolicy: Opt(Str('Restart policy for all containers within the pod.', 'v1.RestartPolicy')),
  terminationGracePeriodSeconds: Opt(Int64('Optional duration in seconds the pod needs to terminate gracefully.')),
  activeDeadlineSeconds: Opt(
    Int64(
      'Optional duration in seconds the pod may be active on the node relative to StartTime before the system will actively try to mark it failed and kill associated containers.',
    ),
  ),
  dnsPolicy: Opt(Str('Set DNS policy for the pod.', 'v1.DNSPolicy')),
  nodeSelector: Opt(StringMap('NodeSelector is a selector which must be true for the pod to fit on a node.', 'atomic')),
  serviceAccountName: Opt(Str('ServiceAccountName is the name of the ServiceAccount to use to run this pod.')),
  serviceAccount: Opt(Str('DeprecatedServiceAccount is a deprecated alias for ServiceAccountName.')),
  automountServiceAccountToken: Opt(
    Bool('AutomountServiceAccountToken indicates whether a service account token should be automatically mounted.'),
  ),
  nodeName: Opt(Str('NodeName indicates in which node this pod is scheduled.')),
  hostNetwork: Opt(Bool('Host networking requested for this pod.')),
  hostPID: Opt(Bool("Use the host's pid namespace.")),
  hostIPC: Opt(Bool("Use the host's ipc namespace.")),
  shareProcessNamespace: Opt(Bool('Share a single process namespace between all of the containers in a pod.')),
  securityContext: Opt(
    Field(PodSecurityContextSchema, 'SecurityContext holds pod-level security attributes and common container settings.'),
  ),
  imagePullSecrets: Opt(
    List(
      LocalObjectReferenceSchema,
      'ImagePullSecrets is an optional list of references to secrets in the same namespace to use for pulling any of the images used by this PodSpec.',
      { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' },
    ),
  ),
  hostname: Opt(Str("Specifies the hostname of the Pod If not specified, the pod's hostname will be set to a system-defined value.")),
  subdomain: Opt(
    Str('If specified, the fully qualified Pod hostname will be "<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>".'),
  ),
  affinity: Opt(Field(AffinitySchema, "If specified, the pod's scheduling constraints")),
  schedulerName: Opt(Str('If specified, the pod will be dispatched by specified scheduler.')),
  tolerations: Opt(List(TolerationSchema, "If specified, the pod's tolerations.", { type: 'atomic' })),
  hostAliases: Opt(
    List(
      HostAliasSchema,
      "HostAliases is an optional list of hosts and IPs that will be injected into the pod's hosts file if specified.",
      { type: 'map', keys: ['ip'], mergeKey: 'ip', strategy: 'merge' },
    ),
  ),
  priorityClassName: Opt(Str("If specified, indicates the pod's priority.")),
  priority: Opt(Int32('The priority value. Various system components use this field to find the priority of the pod.')),
  dnsConfig: Opt(Field(PodDNSConfigSchema, 'Specifies the DNS parameters of a pod.')),
  readinessGates: Opt(
    List(PodReadinessGateSchema, 'If specified, all readiness gates will be evaluated for pod readiness.', { type: 'atomic' }),
  ),
  runtimeClassName: Opt(
    Str('RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, which should be used to run this pod.'),
  ),
  enableServiceLinks: Opt(
    Bool(
      "EnableServiceLinks indicates whether information about services should be injected into pod's environment variables, matching the syntax of Docker links.",
    ),
  ),
  preemptionPolicy: Opt(Str('PreemptionPolicy is the Policy for preempting pods with lower priority.', 'v1.PreemptionPolicy')),
  overhead: Opt(ResourceList('Overhead represents the resource overhead associated with running a pod for a given RuntimeClass.')),
  topologySpreadConstraints: Opt(
    List(
      TopologySpreadConstraintSchema,
      'TopologySpreadConstraints describes how a group of pods ought to spread across topology domains.',
      { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey', strategy: 'merge' },
    ),
  ),
  setHostnameAsFQDN: Opt(Bool("If true the pod's hostname will be configured as the pod's FQDN, rather than the leaf name (the default).")),
  os: Opt(Field(PodOSSchema, 'Specifies the OS of the containers in the pod.')),
  hostUsers: Opt(Bool("Use the host's user namespace.")),
  schedulingGates: Opt(
    List(PodSchedulingGateSchema, 'SchedulingGates is an opaque list of values that if specified will block scheduling the pod.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge',
    }),
  ),
  resourceClaims: Opt(
    List(
      PodResourceClaimSchema,
      'ResourceClaims defines which ResourceClaims must be allocated and reserved before the Pod is allowed to start.',
      { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge,retainKeys' },
    ),
  ),
  resources: Opt(
    Field(ResourceRequirementsSchema, 'Resources is the total amount of CPU and Memory resources required by all containers in the pod.'),
  ),
});
export type PodSpec = Static<typeof PodSpecSchema>;

export const PodConditionSchema = Named(
  'io.k8s.api.core.v1.PodCondition',
  'PodCondition contains details for the current condition of this pod.',
  {
    type: Str('Type is the type of the condition.', 'v1.PodConditionType'),
    status: Str('Status is the status of the condition.', 'v1.ConditionStatus'),
    lastProbeTime: Opt(Time('Last time we probed the condition.')),
    lastTransitionTime: Opt(Time('Last time the condition transitioned from one status to another.')),
    reason: Opt(Str("Unique, one-word, CamelCase reason for the condition's last transition.")),
    message: Opt(Str('Human-readable message indicating details about last transition.')),
  },
);
export type PodCondition = Static<typeof PodConditionSchema>;

export const HostIPSchema = Named('io.k8s.api.core.v1.HostIP', 'HostIP represents a single IP address allocated to the host.', {
  ip: Str('IP is the IP address assigned to the host'),
});
export type HostIP = Static<typeof HostIPSchema>;

export const PodIPSchema = Named('io.k8s.api.core.v1.PodIP', 'PodIP represents a single IP address allocated to the pod.', {
  ip: Str('IP is the IP address assigned to the pod'),
});
export type PodIP = Static<typeof PodIPSchema>;

export const ContainerStateWaitingSchema = Named(
  'io.k8s.api.core.v1.ContainerStateWaiting',
  'ContainerStateWaiting is a waiting state of a container.',
  {
    reason: Opt(Str('(brief) reason the container is not yet running.')),
    message: Opt(Str('Message regarding why the container is not yet running.')),
  },
);
export type ContainerStateWaiting = Static<typeof ContainerStateWaitingSchema>;

export const ContainerStateRunningSchema = Named(
  'io.k8s.api.core.v1.ContainerStateRunning',
  'ContainerStateRunning is a running state of a container.',
  {
    startedAt: Opt(Time('Time at which the container was last (re-)started')),
  },
);
export type ContainerStateRunning = Static<typeof ContainerStateRunningSchema>;

export const ContainerStateTerminatedSchema = Named(
  'io.k8s.api.core.v1.ContainerStateTerminated',
  'ContainerStateTerminated is a terminated state of a container.',
  {
    exitCode: Int32('Exit status from the last termination of the container'),
    signal: Opt(Int32('Signal from the last termination of the container')),
    reason: Opt(Str('(brief) reason from the last termination of the container')),
    message: Opt(Str('Message regarding the last termination of the container')),
    startedAt: Opt(Time('Time at which previous execution of the container started')),
    finishedAt: Opt(Time('Time at which the container last terminated')),
    containerID: Opt(Str("Container's ID in the format '<type>://<container_id>'")),
  },
);
export type ContainerStateTerminated = Static<typeof ContainerStateTerminatedSchema>;

export const ContainerStateSchema = Named('io.k8s.api.core.v1.ContainerState', 'ContainerState holds a possible state of container.', {
  waiting: Opt(Field(ContainerStateWaitingSchema, 'Details about a waiting container')),
  running: Opt(Field(ContainerStateRunningSchema, 'Details about a running container')),
  terminated: Opt(Field(ContainerStateTerminatedSchema, 'Details about a terminated container')),
});
export type ContainerState = Static<typeof ContainerStateSchema>;

export const VolumeMountStatusSchema = Named('io.k8s.api.core.v1.VolumeMountStatus', 'VolumeMountStatus shows status of volume mounts.', {
  name: Str('Name corresponds to the name of the original VolumeMount.'),
  mountPath: Str('MountPath corresponds to the original VolumeMount.'),
  readOnly: Opt(Bool('ReadOnly corresponds to the original VolumeMount.')),
  recursiveReadOnly: Opt(
    Str('RecursiveReadOnly must be set to Disabled, Enabled, or unspecified (for non-readonly mounts).', 'v1.RecursiveReadOnlyMode'),
  ),
});
export type VolumeMountStatus = Static<typeof VolumeMountStatusSchema>;

export const LinuxContainerUserSchema = Named(
  'io.k8s.api.core.v1.LinuxContainerUser',
  'LinuxContainerUser represents user identity information in Linux containers',
  {
    uid: Int64('UID is the primary uid initially attached to the first process in the container'),
    gid: Int64('GID is the primary gid initially attached to the first process in the container'),
    supplementalGroups: Opt(
      List(Int64(), 'SupplementalGroups are the supplemental groups initially attached to the first process in the container', {
        type: 'atomic',
      }),
    ),
  },
);
export type LinuxContainerUser = Static<typeof LinuxContainerUserSchema>;

export const ContainerUserSchema = Named('io.k8s.api.core.v1.ContainerUser', 'ContainerUser represents user identity information', {
  linux: Opt(
    Field(
      LinuxContainerUserSchema,
      'Linux holds user identity information initially attached to the first process of the containers in Linux.',
    ),
  ),
});
export type ContainerUser = Static<typeof ContainerUserSchema>;

export const ResourceHealthSchema = Named('io.k8s.api.core.v1.ResourceHealth', 'ResourceHealth represents the health of a resource.', {
  resourceID: Str('ResourceID is the unique identifier of the resource.', 'v1.ResourceID'),
  health: Opt(
    Str('Health of the resource. can be one of: - Healthy: operates as normal - Unhealthy: reported unhealthy.', 'v1.ResourceHealthStatus'),
  ),
});
export type ResourceHealth = Static<typeof ResourceHealthSchema>;

export const ResourceStatusSchema = Named(
  'io.k8s.api.core.v1.ResourceStatus',
  'ResourceStatus represents the status of a single resource allocated to a Pod.',
  {
    name: Str(
      'Name of the resource. Must be unique within the pod and in case of non-DRA resource, match one of the resources from the pod spec.',
      'v1.ResourceName',
    ),
    resources: Opt(List(ResourceHealthSchema, 'List of unique resources health.', { type: 'map', keys: ['resourceID'] })),
  },
);
export type ResourceStatus = Static<typeof ResourceStatusSchema>;

export const ContainerStatusSchema = Named(
  'io.k8s.api.core.v1.ContainerStatus',
  'ContainerStatus contains details for the current status of this container.',
  {
    name: Str('Name is a DNS_LABEL representing the unique name of the container.'),
    state: Opt(Field(ContainerStateSchema, "State holds details about the container's current condition.")),
    lastState: Opt(
      Field(
        ContainerStateSchema,
        'LastTerminationState holds the last termination state of the container to help debug container crashes and restarts.',
      ),
    ),
    ready: Bool('Ready specifies whether the container is currently passing its readiness check.'),
    restartCount: Int32('RestartCount holds the number of times the container has been restarted.'),
    image: Str('Image is the name of container image that the container is running.'),
    imageID: Str("ImageID is the image ID of the container's image."),
    containerID: Opt(Str("ContainerID is the ID of the container in the format '<type>://<container_id>'.")),
    started: Opt(Bool('Started indicates whether the container has finished its postStart lifecycle hook and passed its startup probe.')),
    allocatedResources: Opt(ResourceList('AllocatedResources represents the compute resources allocated for this container by the node.')),
    resources: Opt(
      Field(
        ResourceRequirementsSchema,
        'Resources represents the compute resource requests and limits that have been successfully enacted on the running container after it has been started or has been successfully resized.',
      ),
    ),
    volumeMounts: Opt(
      List(VolumeMountStatusSchema, 'Status of volume mounts.', {
        type: 'map',
        keys: ['mountPath'],
        mergeKey: 'mountPath',
        strategy: 'merge',
      }),
    ),
    user: Opt(
      Field(ContainerUserSchema, 'User represents user identity information initially attached to the first process of the container'),
    ),
    allocatedResourcesStatus: Opt(
      List(ResourceStatusSchema, 'AllocatedResourcesStatus represents the status of various resources allocated for this Pod.', {
        type: 'map',
        keys: ['name'],
        mergeKey: 'name',
        strategy: 'merge',
      }),
    ),
  },
);
export type ContainerStatus = Static<typeof ContainerStatusSchema>;

export const PodResourceClaimStatusSchema = Named(
  'io.k8s.api.core.v1.PodResourceClaimStatus',
  'PodResourceClaimStatus is stored in the PodStatus for each PodResourceClaim which references a ResourceClaimTemplate.',
  {
    name: Str('Name uniquely identifies this resource claim inside the pod.'),
    resourceClaimName: Opt(
      Str('ResourceClaimName is the name of the ResourceClaim that was generated for the Pod in the namespace of the Pod.'),
    ),
  },
);
export type PodResourceClaimStatus = Static<typeof PodResourceClaimStatusSchema>;

export const PodStatusSchema = Named('io.k8s.api.core.v1.PodStatus', 'PodStatus represents information about the status of a pod.', {
  phase: Opt(Str('The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle.', 'v1.PodPhase')),
  conditions: Opt(
    List(PodConditionSchema, 'Current service state of pod.', { type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge' }),
  ),
  message: Opt(Str('A human readable message indicating details about why the pod is in this condition.')),
  reason: Opt(Str("A brief CamelCase message indicating details about why the pod is in this state. e.g. 'Evicted'")),
  nominatedNodeName: Opt(
    Str(
      'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    ),
  ),
  hostIP: Opt(Str('hostIP holds the IP address of the host to which the pod is assigned.')),
  hostIPs: Opt(
    List(HostIPSchema, 'hostIPs holds the IP addresses allocated to the host.', { type: 'atomic', mergeKey: 'ip', strategy: 'merge' }),
  ),
  podIP: Opt(Str('podIP address allocated to the pod.')),
  podIPs: Opt(
    List(PodIPSchema, 'podIPs holds the IP addresses allocated to the pod.', {
      type: 'map',
      keys: ['ip'],
      mergeKey: 'ip',
      strategy: 'merge',
    }),
  ),
  startTime: Opt(Time('RFC 3339 date and time at which the object was acknowledged by the Kubelet.')),
  initContainerStatuses: Opt(List(ContainerStatusSchema, 'Statuses of init containers in this pod.', { type: 'atomic' })),
  containerStatuses: Opt(List(ContainerStatusSchema, 'Statuses of containers in this pod.', { type: 'atomic' })),
  qosClass: Opt(
    Str(
      'The Quality of Service (QOS) classification assigned to the pod based on resource requirements See PodQOSClass type for available QOS classes',
      'v1.PodQOSClass',
    ),
  ),
  ephemeralContainerStatuses: Opt(
    List(ContainerStatusSchema, 'Statuses for any ephemeral containers that have run in this pod.', { type: 'atomic' }),
  ),
  resize: Opt(Str("Status of resources resize desired for pod's containers.", 'v1.PodResizeStatus')),
  resourceClaimStatuses: Opt(
    List(PodResourceClaimStatusSchema, 'Status of resource claims.', {
      type: 'map',
      keys: ['name'],
      mergeKey: 'name',
      strategy: 'merge,retainKeys',
    }),
  ),
});
export type PodStatus = Static<typeof PodStatusSchema>;

export const PodSchema = Named('io.k8s.api.core.v1.Pod', 'Pod is a collection of containers that can run on a host.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  spec: Opt(Field(PodSpecSchema, 'Specification of the desired behavior of the pod.')),
  status: Opt(Field(PodStatusSchema, 'Most recently observed status of the pod.')),
});
export type Pod = Static<typeof PodSchema>;
