// Pod and Node. PodSpec is typed for everything a local process can use (containers, env,
// probes, ports, volumes tinykube mounts); rarely used subtrees (affinity, most volume sources,
// security contexts) are free-form so valid upstream manifests are never refused as "unknown".
import { obj, str, int, int64, bool, time, strMap, list, strList, intOrString, quantity, resourceList, free, typeMeta } from './common.js';
import { ObjectMetaSchema, LocalObjectReferenceSchema } from './meta.js';

const V1 = 'io.k8s.api.core.v1';

const keySelector = (name: string, what: string) =>
  obj(`${V1}.${name}`, { key: str(`The key to select.`), name: str('Name of the referent.'), optional: bool(`Specify whether the ${what} or its key must be defined`) }, { required: ['key'], mapType: 'atomic' });

const ObjectFieldSelector = obj(`${V1}.ObjectFieldSelector`, { apiVersion: str('Version of the schema the FieldPath is written in terms of, defaults to "v1".'), fieldPath: str('Path of the field to select in the specified API version.') }, { required: ['fieldPath'], mapType: 'atomic' });
const ResourceFieldSelector = obj(`${V1}.ResourceFieldSelector`, { containerName: str('Container name: required for volumes, optional for env vars'), divisor: quantity('Specifies the output format of the exposed resources, defaults to "1"'), resource: str('Required: resource to select') }, { required: ['resource'], mapType: 'atomic' });

const EnvVar = obj(
  `${V1}.EnvVar`,
  {
    name: str('Name of the environment variable. Must be a C_IDENTIFIER.'),
    value: str('Variable references $(VAR_NAME) are expanded using the previously defined environment variables in the container and any service environment variables.'),
    valueFrom: obj(`${V1}.EnvVarSource`, {
      configMapKeyRef: keySelector('ConfigMapKeySelector', 'ConfigMap'),
      fieldRef: ObjectFieldSelector,
      resourceFieldRef: ResourceFieldSelector,
      secretKeyRef: keySelector('SecretKeySelector', 'Secret'),
    }, { description: "Source for the environment variable's value. Cannot be used if value is not empty." }),
  },
  { description: 'EnvVar represents an environment variable present in a Container.', required: ['name'] },
);

const EnvFromSource = obj(`${V1}.EnvFromSource`, {
  configMapRef: obj(`${V1}.ConfigMapEnvSource`, { name: str('Name of the referent.'), optional: bool('Specify whether the ConfigMap must be defined') }),
  prefix: str('An optional identifier to prepend to each key in the ConfigMap. Must be a C_IDENTIFIER.'),
  secretRef: obj(`${V1}.SecretEnvSource`, { name: str('Name of the referent.'), optional: bool('Specify whether the Secret must be defined') }),
});

const ContainerPort = obj(
  `${V1}.ContainerPort`,
  {
    containerPort: int("Number of port to expose on the pod's IP address. This must be a valid port number, 0 < x < 65536."),
    hostIP: str('What host IP to bind the external port to.'),
    hostPort: int('Number of port to expose on the host.'),
    name: str('If specified, this must be an IANA_SVC_NAME and unique within the pod. Each named port in a pod must have a unique name. Name for the port that can be referred to by services.'),
    protocol: str('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".'),
  },
  { description: 'ContainerPort represents a network port in a single container.', required: ['containerPort'] },
);

const HTTPGetAction = obj(`${V1}.HTTPGetAction`, {
  host: str('Host name to connect to, defaults to the pod IP.'),
  httpHeaders: list(obj(`${V1}.HTTPHeader`, { name: str('The header field name.'), value: str('The header field value') }, { required: ['name', 'value'] }), { type: 'atomic', description: 'Custom headers to set in the request. HTTP allows repeated headers.' }),
  path: str('Path to access on the HTTP server.'),
  port: intOrString('Name or number of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.'),
  scheme: str('Scheme to use for connecting to the host. Defaults to HTTP.'),
}, { description: 'HTTPGetAction describes an action based on HTTP Get requests.', required: ['port'] });
const TCPSocketAction = obj(`${V1}.TCPSocketAction`, { host: str('Optional: Host name to connect to, defaults to the pod IP.'), port: intOrString('Number or name of the port to access on the container.') }, { required: ['port'] });
const ExecAction = obj(`${V1}.ExecAction`, { command: strList('Command is the command line to execute inside the container.') });
const GRPCAction = obj(`${V1}.GRPCAction`, { port: int('Port number of the gRPC service. Number must be in the range 1 to 65535.'), service: str('Service is the name of the service to place in the gRPC HealthCheckRequest.') }, { required: ['port'] });

const Probe = obj(`${V1}.Probe`, {
  exec: ExecAction,
  failureThreshold: int('Minimum consecutive failures for the probe to be considered failed after having succeeded. Defaults to 3. Minimum value is 1.'),
  grpc: GRPCAction,
  httpGet: HTTPGetAction,
  initialDelaySeconds: int('Number of seconds after the container has started before liveness probes are initiated.'),
  periodSeconds: int('How often (in seconds) to perform the probe. Default to 10 seconds. Minimum value is 1.'),
  successThreshold: int('Minimum consecutive successes for the probe to be considered successful after having failed. Defaults to 1.'),
  tcpSocket: TCPSocketAction,
  terminationGracePeriodSeconds: int64('Optional duration in seconds the pod needs to terminate gracefully upon probe failure.'),
  timeoutSeconds: int('Number of seconds after which the probe times out. Defaults to 1 second. Minimum value is 1.'),
}, { description: 'Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.' });

const LifecycleHandler = obj(`${V1}.LifecycleHandler`, { exec: ExecAction, httpGet: HTTPGetAction, sleep: obj(`${V1}.SleepAction`, { seconds: int64('Seconds is the number of seconds to sleep.') }, { required: ['seconds'] }), tcpSocket: TCPSocketAction });

const Container = obj(
  `${V1}.Container`,
  {
    args: strList('Arguments to the entrypoint.'),
    command: strList('Entrypoint array. Not executed within a shell.'),
    env: list(EnvVar, { description: 'List of environment variables to set in the container. Cannot be updated.', type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' }),
    envFrom: list(EnvFromSource, { description: 'List of sources to populate environment variables in the container.', type: 'atomic' }),
    image: str('Container image name.'),
    imagePullPolicy: str('Image pull policy. One of Always, Never, IfNotPresent.'),
    lifecycle: obj(`${V1}.Lifecycle`, { postStart: LifecycleHandler, preStop: LifecycleHandler, stopSignal: str('StopSignal defines which signal will be sent to a container when it is being stopped.') }, { description: 'Actions that the management system should take in response to container lifecycle events.' }),
    livenessProbe: Probe,
    name: str('Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.'),
    ports: list(ContainerPort, { description: 'List of ports to expose from the container.', type: 'map', keys: ['containerPort', 'protocol'], mergeKey: 'containerPort', strategy: 'merge' }),
    readinessProbe: Probe,
    resizePolicy: list(free(undefined, `${V1}.ContainerResizePolicy`), { type: 'atomic', description: 'Resources resize policy for the container.' }),
    resources: obj(`${V1}.ResourceRequirements`, {
      claims: list(free(undefined, `${V1}.ResourceClaim`), { type: 'map', keys: ['name'], description: 'Claims lists the names of resources, defined in spec.resourceClaims, that are used by this container.' }),
      limits: resourceList('Limits describes the maximum amount of compute resources allowed.'),
      requests: resourceList('Requests describes the minimum amount of compute resources required.'),
    }, { description: 'Compute Resources required by this container.' }),
    restartPolicy: str('RestartPolicy defines the restart behavior of individual containers in a pod.'),
    securityContext: free('SecurityContext defines the security options the container should be run with.', `${V1}.SecurityContext`),
    startupProbe: Probe,
    stdin: bool('Whether this container should allocate a buffer for stdin in the container runtime.'),
    stdinOnce: bool('Whether the container runtime should close the stdin channel after it has been opened by a single attach.'),
    terminationMessagePath: str("Optional: Path at which the file to which the container's termination message will be written is mounted into the container's filesystem."),
    terminationMessagePolicy: str('Indicate how the termination message should be populated. File or FallbackToLogsOnError.'),
    tty: bool('Whether this container should allocate a TTY for itself, also requires \'stdin\' to be true.'),
    volumeDevices: list(free(undefined, `${V1}.VolumeDevice`), { type: 'map', keys: ['devicePath'], mergeKey: 'devicePath', strategy: 'merge', description: 'volumeDevices is the list of block devices to be used by the container.' }),
    volumeMounts: list(
      obj(`${V1}.VolumeMount`, {
        mountPath: str("Path within the container at which the volume should be mounted. Must not contain ':'."),
        mountPropagation: str('mountPropagation determines how mounts are propagated from the host to container and the other way around.'),
        name: str('This must match the Name of a Volume.'),
        readOnly: bool('Mounted read-only if true, read-write otherwise (false or unspecified).'),
        recursiveReadOnly: str('RecursiveReadOnly specifies whether read-only mounts should be handled recursively.'),
        subPath: str("Path within the volume from which the container's volume should be mounted."),
        subPathExpr: str("Expanded path within the volume from which the container's volume should be mounted."),
      }, { required: ['name', 'mountPath'] }),
      { description: "Pod volumes to mount into the container's filesystem. Cannot be updated.", type: 'map', keys: ['mountPath'], mergeKey: 'mountPath', strategy: 'merge' },
    ),
    workingDir: str("Container's working directory."),
  },
  { description: 'A single application container that you want to run within a pod.', required: ['name'] },
);

const KeyToPath = obj(`${V1}.KeyToPath`, { key: str('key is the key to project.'), mode: int('mode is Optional: mode bits used to set permissions on this file.'), path: str('path is the relative path of the file to map the key to.') }, { required: ['key', 'path'] });
const itemsList = list(KeyToPath, { type: 'atomic', description: 'items if unspecified, each key-value pair in the Data field of the referenced object will be projected into the volume as a file whose name is the key and content is the value.' });

const Volume = obj(
  `${V1}.Volume`,
  {
    name: str("name of the volume. Must be a DNS_LABEL and unique within the pod."),
    configMap: obj(`${V1}.ConfigMapVolumeSource`, { defaultMode: int('defaultMode is optional: mode bits used to set permissions on created files by default.'), items: itemsList, name: str('Name of the referent.'), optional: bool('optional specify whether the ConfigMap or its keys must be defined') }, { description: 'configMap represents a configMap that should populate this volume' }),
    secret: obj(`${V1}.SecretVolumeSource`, { defaultMode: int('defaultMode is Optional: mode bits used to set permissions on created files by default.'), items: itemsList, optional: bool('optional field specify whether the Secret or its keys must be defined'), secretName: str("secretName is the name of the secret in the pod's namespace to use.") }, { description: 'secret represents a secret that should populate this volume.' }),
    emptyDir: obj(`${V1}.EmptyDirVolumeSource`, { medium: str('medium represents what type of storage medium should back this directory.'), sizeLimit: quantity('sizeLimit is the total amount of local storage required for this EmptyDir volume.') }, { description: 'emptyDir represents a temporary directory that shares a pod\'s lifetime.' }),
    hostPath: obj(`${V1}.HostPathVolumeSource`, { path: str('path of the directory on the host.'), type: str('type for HostPath Volume. Defaults to "".') }, { required: ['path'], description: 'hostPath represents a pre-existing file or directory on the host machine that is directly exposed to the container.' }),
    downwardAPI: free('downwardAPI represents downward API about the pod that should populate this volume', `${V1}.DownwardAPIVolumeSource`),
    projected: free('projected items for all in one resources secrets, configmaps, and downward API', `${V1}.ProjectedVolumeSource`),
    persistentVolumeClaim: free('persistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim in the same namespace.', `${V1}.PersistentVolumeClaimVolumeSource`),
    ephemeral: free('ephemeral represents a volume that is handled by a cluster storage driver.', `${V1}.EphemeralVolumeSource`),
    csi: free('csi (Container Storage Interface) represents ephemeral storage that is handled by certain external CSI drivers.', `${V1}.CSIVolumeSource`),
    nfs: free('nfs represents an NFS mount on the host that shares a pod\'s lifetime.', `${V1}.NFSVolumeSource`),
    image: free('image represents an OCI object (a container image or artifact) pulled and mounted on the kubelet\'s host machine.', `${V1}.ImageVolumeSource`),
  },
  { description: 'Volume represents a named volume in a pod that may be accessed by any container in the pod.', required: ['name'], extra: { 'x-kubernetes-preserve-unknown-fields': true } },
);

const Toleration = obj(`${V1}.Toleration`, {
  effect: str('Effect indicates the taint effect to match. Empty means match all taint effects.'),
  key: str('Key is the taint key that the toleration applies to.'),
  operator: str("Operator represents a key's relationship to the value. Valid operators are Exists and Equal. Defaults to Equal."),
  tolerationSeconds: int64('TolerationSeconds represents the period of time the toleration (which must be of effect NoExecute, otherwise this field is ignored) tolerates the taint.'),
  value: str('Value is the taint value the toleration matches to.'),
}, { description: 'The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect> using the matching operator <operator>.' });

export const PodSpecSchema = obj(
  `${V1}.PodSpec`,
  {
    activeDeadlineSeconds: int64('Optional duration in seconds the pod may be active on the node relative to StartTime before the system will actively try to mark it failed and kill associated containers.'),
    affinity: free("If specified, the pod's scheduling constraints", `${V1}.Affinity`),
    automountServiceAccountToken: bool('AutomountServiceAccountToken indicates whether a service account token should be automatically mounted.'),
    containers: list(Container, { description: 'List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.', type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' }),
    dnsConfig: free('Specifies the DNS parameters of a pod.', `${V1}.PodDNSConfig`),
    dnsPolicy: str("Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'."),
    enableServiceLinks: bool("EnableServiceLinks indicates whether information about services should be injected into pod's environment variables. Optional: Defaults to true."),
    ephemeralContainers: list(free(undefined, `${V1}.EphemeralContainer`), { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge', description: 'List of ephemeral containers run in this pod.' }),
    hostAliases: list(obj(`${V1}.HostAlias`, { hostnames: strList('Hostnames for the above IP address.'), ip: str('IP address of the host file entry.') }, { required: ['ip'] }), { type: 'map', keys: ['ip'], mergeKey: 'ip', strategy: 'merge', description: "HostAliases is an optional list of hosts and IPs that will be injected into the pod's hosts file if specified." }),
    hostIPC: bool("Use the host's ipc namespace. Optional: Default to false."),
    hostNetwork: bool("Host networking requested for this pod. Use the host's network namespace."),
    hostPID: bool("Use the host's pid namespace. Optional: Default to false."),
    hostUsers: bool("Use the host's user namespace. Optional: Default to true."),
    hostname: str("Specifies the hostname of the Pod If not specified, the pod's hostname will be set to a system-defined value."),
    imagePullSecrets: list(LocalObjectReferenceSchema, { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge', description: 'ImagePullSecrets is an optional list of references to secrets in the same namespace to use for pulling any of the images used by this PodSpec.' }),
    initContainers: list(Container, { description: 'List of initialization containers belonging to the pod.', type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' }),
    nodeName: str('NodeName indicates in which node this pod is scheduled.'),
    nodeSelector: strMap("NodeSelector is a selector which must be true for the pod to fit on a node.", { 'x-kubernetes-map-type': 'atomic' }),
    os: obj(`${V1}.PodOS`, { name: str('Name is the name of the operating system. The currently supported values are linux and windows.') }, { required: ['name'] }),
    overhead: resourceList('Overhead represents the resource overhead associated with running a pod for a given RuntimeClass.'),
    preemptionPolicy: str('PreemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority.'),
    priority: int('The priority value. Various system components use this field to find the priority of the pod.'),
    priorityClassName: str("If specified, indicates the pod's priority."),
    readinessGates: list(obj(`${V1}.PodReadinessGate`, { conditionType: str("ConditionType refers to a condition in the pod's condition list with matching type.") }, { required: ['conditionType'] }), { type: 'atomic', description: 'If specified, all readiness gates will be evaluated for pod readiness.' }),
    resourceClaims: list(free(undefined, `${V1}.PodResourceClaim`), { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge,retainKeys', description: 'ResourceClaims defines which ResourceClaims must be allocated and reserved before the Pod is allowed to start.' }),
    resources: free('Resources is the total amount of CPU and Memory resources required by all containers in the pod.', `${V1}.ResourceRequirements`),
    restartPolicy: str('Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.'),
    runtimeClassName: str('RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, which should be used to run this pod.'),
    schedulerName: str('If specified, the pod will be dispatched by specified scheduler.'),
    schedulingGates: list(obj(`${V1}.PodSchedulingGate`, { name: str('Name of the scheduling gate.') }, { required: ['name'] }), { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge', description: 'SchedulingGates is an opaque list of values that if specified will block scheduling the pod.' }),
    securityContext: free('SecurityContext holds pod-level security attributes and common container settings.', `${V1}.PodSecurityContext`),
    serviceAccount: str('DeprecatedServiceAccount is a deprecated alias for ServiceAccountName.'),
    serviceAccountName: str('ServiceAccountName is the name of the ServiceAccount to use to run this pod.'),
    setHostnameAsFQDN: bool("If true the pod's hostname will be configured as the pod's FQDN, rather than the leaf name (the default)."),
    shareProcessNamespace: bool('Share a single process namespace between all of the containers in a pod.'),
    subdomain: str('If specified, the fully qualified Pod hostname will be "<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>".'),
    terminationGracePeriodSeconds: int64('Optional duration in seconds the pod needs to terminate gracefully. Defaults to 30 seconds.'),
    tolerations: list(Toleration, { type: 'atomic', description: "If specified, the pod's tolerations." }),
    topologySpreadConstraints: list(free(undefined, `${V1}.TopologySpreadConstraint`), { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey', strategy: 'merge', description: 'TopologySpreadConstraints describes how a group of pods ought to spread across topology domains.' }),
    volumes: list(Volume, { description: 'List of volumes that can be mounted by containers belonging to the pod.', type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge,retainKeys' }),
  },
  { description: 'PodSpec is a description of a pod.', required: ['containers'] },
);

const ContainerState = obj(`${V1}.ContainerState`, {
  running: obj(`${V1}.ContainerStateRunning`, { startedAt: time('Time at which the container was last (re-)started') }),
  terminated: obj(`${V1}.ContainerStateTerminated`, {
    containerID: str("Container's ID in the format '<type>://<container_id>'"),
    exitCode: int('Exit status from the last termination of the container'),
    finishedAt: time('Time at which the container last terminated'),
    message: str('Message regarding the last termination of the container'),
    reason: str('(brief) reason from the last termination of the container'),
    signal: int('Signal from the last termination of the container'),
    startedAt: time('Time at which previous execution of the container started'),
  }, { required: ['exitCode'] }),
  waiting: obj(`${V1}.ContainerStateWaiting`, { message: str('Message regarding why the container is not yet running.'), reason: str('(brief) reason the container is not yet running.') }),
}, { description: 'ContainerState holds a possible state of container.' });

const ContainerStatus = obj(`${V1}.ContainerStatus`, {
  allocatedResources: resourceList('AllocatedResources represents the compute resources allocated for this container by the node.'),
  containerID: str("ContainerID is the ID of the container in the format '<type>://<container_id>'."),
  image: str('Image is the name of container image that the container is running.'),
  imageID: str("ImageID is the image ID of the container's image."),
  lastState: ContainerState,
  name: str('Name is a DNS_LABEL representing the unique name of the container.'),
  ready: bool('Ready specifies whether the container is currently passing its readiness check.'),
  resources: free('Resources represents the compute resource requests and limits that have been successfully enacted on the running container after it has been started or has been successfully resized.', `${V1}.ResourceRequirements`),
  restartCount: int('RestartCount holds the number of times the container has been restarted.'),
  started: bool('Started indicates whether the container has finished its postStart lifecycle hook and passed its startup probe.'),
  state: ContainerState,
  user: free('User represents user identity information initially attached to the first process of the container', `${V1}.ContainerUser`),
  volumeMounts: list(free(undefined, `${V1}.VolumeMountStatus`), { type: 'map', keys: ['mountPath'], mergeKey: 'mountPath', strategy: 'merge', description: 'Status of volume mounts.' }),
  allocatedResourcesStatus: list(free(), { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge', description: 'AllocatedResourcesStatus represents the status of various resources allocated for this Pod.' }),
}, { description: 'ContainerStatus contains details for the current status of this container.', required: ['name', 'ready', 'restartCount', 'image', 'imageID'] });

const ipList = (name: string, d: string) => list(obj(`${V1}.${name}`, { ip: str('IP is the IP address assigned.') }, { required: ['ip'] }), { type: 'map', keys: ['ip'], mergeKey: 'ip', strategy: 'merge', description: d });

export const PodStatusSchema = obj(
  `${V1}.PodStatus`,
  {
    conditions: list(
      obj(`${V1}.PodCondition`, {
        lastProbeTime: time('Last time we probed the condition.'),
        lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
        message: str('Human-readable message indicating details about last transition.'),
        observedGeneration: int64('If set, this represents the .metadata.generation that the pod condition was set based upon.'),
        reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
        status: str('Status is the status of the condition. Can be True, False, Unknown.'),
        type: str('Type is the type of the condition.'),
      }, { required: ['type', 'status'] }),
      { description: 'Current service state of pod.', type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge' },
    ),
    containerStatuses: list(ContainerStatus, { type: 'atomic', description: 'The list has one entry per container in the manifest.' }),
    ephemeralContainerStatuses: list(ContainerStatus, { type: 'atomic', description: 'Statuses for any ephemeral containers that have run in this pod.' }),
    hostIP: str('hostIP holds the IP address of the host to which the pod is assigned.'),
    hostIPs: ipList('HostIP', 'hostIPs holds the IP addresses allocated to the host.'),
    initContainerStatuses: list(ContainerStatus, { type: 'atomic', description: 'The list has one entry per init container in the manifest.' }),
    message: str('A human readable message indicating details about why the pod is in this condition.'),
    nominatedNodeName: str('nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.'),
    observedGeneration: int64('If set, this represents the .metadata.generation that the pod status was set based upon.'),
    phase: str('The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle. One of Pending, Running, Succeeded, Failed, Unknown.'),
    podIP: str('podIP address allocated to the pod. Routable at least within the cluster.'),
    podIPs: ipList('PodIP', 'podIPs holds the IP addresses allocated to the pod.'),
    qosClass: str('The Quality of Service (QOS) classification assigned to the pod based on resource requirements.'),
    reason: str("A brief CamelCase message indicating details about why the pod is in this state. e.g. 'Evicted'"),
    resize: str('Status of resources resize desired for pod\'s containers.'),
    resourceClaimStatuses: list(free(), { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge,retainKeys', description: 'Status of resource claims.' }),
    startTime: time('RFC 3339 date and time at which the object was acknowledged by the Kubelet.'),
  },
  { description: 'PodStatus represents information about the status of a pod.' },
);

export const PodSchema = obj(
  `${V1}.Pod`,
  { ...typeMeta(), metadata: ObjectMetaSchema, spec: PodSpecSchema, status: PodStatusSchema },
  { description: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.' },
);

export const NodeSchema = obj(
  `${V1}.Node`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    spec: obj(`${V1}.NodeSpec`, {
      configSource: free('Deprecated: Previously used to specify the source of the node\'s configuration for the DynamicKubeletConfig feature.', `${V1}.NodeConfigSource`),
      externalID: str('Deprecated. Not all kubelets will set this field.'),
      podCIDR: str('PodCIDR represents the pod IP range assigned to the node.'),
      podCIDRs: strList('podCIDRs represents the IP ranges assigned to the node for usage by Pods on that node.', { type: 'set', strategy: 'merge' }),
      providerID: str('ID of the node assigned by the cloud provider in the format: <ProviderName>://<ProviderSpecificNodeID>'),
      taints: list(obj(`${V1}.Taint`, { effect: str('Required. The effect of the taint on pods that do not tolerate the taint.'), key: str('Required. The taint key to be applied to a node.'), timeAdded: time('TimeAdded represents the time at which the taint was added.'), value: str('The taint value corresponding to the taint key.') }, { required: ['key', 'effect'] }), { type: 'atomic', description: "If specified, the node's taints." }),
      unschedulable: bool('Unschedulable controls node schedulability of new pods. By default, node is schedulable.'),
    }, { description: 'NodeSpec describes the attributes that a node is created with.' }),
    status: obj(`${V1}.NodeStatus`, {
      addresses: list(obj(`${V1}.NodeAddress`, { address: str('The node address.'), type: str('Node address type, one of Hostname, ExternalIP or InternalIP.') }, { required: ['type', 'address'] }), { type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge', description: 'List of addresses reachable to the node.' }),
      allocatable: resourceList('Allocatable represents the resources of a node that are available for scheduling. Defaults to Capacity.'),
      capacity: resourceList('Capacity represents the total resources of a node.'),
      conditions: list(obj(`${V1}.NodeCondition`, {
        lastHeartbeatTime: time('Last time we got an update on a given condition.'),
        lastTransitionTime: time('Last time the condition transit from one status to another.'),
        message: str('Human readable message indicating details about last transition.'),
        reason: str("(brief) reason for the condition's last transition."),
        status: str('Status of the condition, one of True, False, Unknown.'),
        type: str('Type of node condition.'),
      }, { required: ['type', 'status'] }), { type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge', description: 'Conditions is an array of current observed node conditions.' }),
      config: free('Status of the config assigned to the node via the dynamic Kubelet config feature.', `${V1}.NodeConfigStatus`),
      daemonEndpoints: obj(`${V1}.NodeDaemonEndpoints`, { KubeletEndpoint: obj(`${V1}.DaemonEndpoint`, { Port: int('Port number of the given endpoint.') }, { required: ['Port'] }) }, { description: 'Endpoints of daemons running on the Node.' }),
      features: free('Features describes the set of features implemented by the CRI implementation.', `${V1}.NodeFeatures`),
      images: list(free(undefined, `${V1}.ContainerImage`), { type: 'atomic', description: 'List of container images on this node' }),
      nodeInfo: obj(`${V1}.NodeSystemInfo`, {
        architecture: str('The Architecture reported by the node'),
        bootID: str('Boot ID reported by the node.'),
        containerRuntimeVersion: str('ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
        kernelVersion: str("Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
        kubeProxyVersion: str('Deprecated: KubeProxy Version reported by the node.'),
        kubeletVersion: str('Kubelet Version reported by the node.'),
        machineID: str('MachineID reported by the node.'),
        operatingSystem: str('The Operating System reported by the node'),
        osImage: str('OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
        swap: free('Swap Info reported by the node.', `${V1}.NodeSwapStatus`),
        systemUUID: str('SystemUUID reported by the node.'),
      }, { description: 'Set of ids/uuids to uniquely identify the node.' }),
      phase: str('NodePhase is the recently observed lifecycle phase of the node. Deprecated.'),
      runtimeHandlers: list(free(undefined, `${V1}.NodeRuntimeHandler`), { type: 'atomic', description: 'The available runtime handlers.' }),
      volumesAttached: list(free(undefined, `${V1}.AttachedVolume`), { type: 'atomic', description: 'List of volumes that are attached to the node.' }),
      volumesInUse: strList('List of attachable volumes in use (mounted) by the node.'),
    }, { description: 'NodeStatus is information about the current status of a node.' }),
  },
  { description: 'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).' },
);
