// Schemas of the small kinds: Namespace, ConfigMap, Secret, ServiceAccount, Lease, Events.
import { obj, str, int, bool, time, microTime, strMap, mapOf, bytes, list, strList, typeMeta } from './common.js';
import { ObjectMetaSchema, ObjectReferenceSchema, LocalObjectReferenceSchema } from './meta.js';

const V1 = 'io.k8s.api.core.v1';

export const NamespaceSchema = obj(
  `${V1}.Namespace`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    spec: obj(`${V1}.NamespaceSpec`, { finalizers: strList('Finalizers is an opaque list of values that must be empty to permanently remove object from storage.') }, { description: 'NamespaceSpec describes the attributes on a Namespace.' }),
    status: obj(
      `${V1}.NamespaceStatus`,
      {
        conditions: list(
          obj(`${V1}.NamespaceCondition`, {
            lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
            message: str('Human-readable message indicating details about last transition.'),
            reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
            status: str('Status of the condition, one of True, False, Unknown.'),
            type: str('Type of namespace controller condition.'),
          }, { required: ['type', 'status'] }),
          { description: "Represents the latest available observations of a namespace's current state.", type: 'map', keys: ['type'], mergeKey: 'type', strategy: 'merge' },
        ),
        phase: str('Phase is the current lifecycle phase of the namespace.'),
      },
      { description: 'NamespaceStatus is information about the current status of a Namespace.' },
    ),
  },
  { description: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.' },
);

export const ConfigMapSchema = obj(
  `${V1}.ConfigMap`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    binaryData: mapOf(bytes(), 'BinaryData contains the binary data.'),
    data: strMap('Data contains the configuration data.'),
    immutable: bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified).'),
  },
  { description: 'ConfigMap holds configuration data for pods to consume.' },
);

export const SecretSchema = obj(
  `${V1}.Secret`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    data: mapOf(bytes(), 'Data contains the secret data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. The serialized form of the secret data is a base64 encoded string.'),
    immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified).'),
    stringData: strMap('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience.'),
    type: str('Used to facilitate programmatic handling of secret data.'),
  },
  { description: 'Secret holds secret data of a certain type.' },
);

export const ServiceAccountSchema = obj(
  `${V1}.ServiceAccount`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    automountServiceAccountToken: bool('AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.'),
    imagePullSecrets: list(LocalObjectReferenceSchema, { description: 'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount.', type: 'atomic' }),
    secrets: list(ObjectReferenceSchema, { description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', mergeKey: 'name', strategy: 'merge', type: 'map', keys: ['name'] }),
  },
  { description: 'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.' },
);

export const LeaseSchema = obj(
  'io.k8s.api.coordination.v1.Lease',
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    spec: obj(
      'io.k8s.api.coordination.v1.LeaseSpec',
      {
        acquireTime: microTime('acquireTime is a time when the current lease was acquired.'),
        holderIdentity: str('holderIdentity contains the identity of the holder of a current lease.'),
        leaseDurationSeconds: int('leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it.'),
        leaseTransitions: int('leaseTransitions is the number of transitions of a lease between holders.'),
        preferredHolder: str('PreferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up.'),
        renewTime: microTime('renewTime is a time when the current holder of a lease has last updated the lease.'),
        strategy: str('Strategy indicates the strategy for picking the leader for coordinated leader election.'),
      },
      { description: 'LeaseSpec is a specification of a Lease.' },
    ),
  },
  { description: 'Lease defines a lease concept.' },
);

const EventSeries = (name: string) =>
  obj(name, { count: int('Number of occurrences in this series up to the last heartbeat time'), lastObservedTime: microTime('Time of the last occurrence observed') }, { description: 'EventSeries contain information on series of events.' });

export const EventSchema = obj(
  `${V1}.Event`,
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    action: str('What action was taken/failed regarding to the Regarding object.'),
    count: int('The number of times this event has occurred.'),
    eventTime: microTime('Time when this Event was first observed.'),
    firstTimestamp: time('The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)'),
    involvedObject: ObjectReferenceSchema,
    lastTimestamp: time('The time at which the most recent occurrence of this event was recorded.'),
    message: str('A human-readable description of the status of this operation.'),
    reason: str("This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    related: ObjectReferenceSchema,
    reportingComponent: str('Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.'),
    reportingInstance: str('ID of the controller instance, e.g. `kubelet-xyzf`.'),
    series: EventSeries(`${V1}.EventSeries`),
    source: obj(`${V1}.EventSource`, { component: str('Component from which the event is generated.'), host: str('Node name on which the event is generated.') }, { description: 'EventSource contains information for an event.' }),
    type: str('Type of this event (Normal, Warning), new types could be added in the future'),
  },
  { description: 'Event is a report of an event somewhere in the cluster.', required: ['metadata', 'involvedObject'] },
);

export const EventsV1EventSchema = obj(
  'io.k8s.api.events.v1.Event',
  {
    ...typeMeta(),
    metadata: ObjectMetaSchema,
    action: str('action is what action was taken/failed regarding to the regarding object.'),
    deprecatedCount: int('deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.'),
    deprecatedFirstTimestamp: time('deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
    deprecatedLastTimestamp: time('deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
    deprecatedSource: obj(`${V1}.EventSource`, { component: str('Component from which the event is generated.'), host: str('Node name on which the event is generated.') }),
    eventTime: microTime('eventTime is the time when this Event was first observed. It is required.'),
    note: str('note is a human-readable description of the status of this operation.'),
    reason: str('reason is why the action was taken. It is human-readable.'),
    regarding: ObjectReferenceSchema,
    related: ObjectReferenceSchema,
    reportingController: str('reportingController is the name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.'),
    reportingInstance: str('reportingInstance is the ID of the controller instance, e.g. `kubelet-xyzf`.'),
    series: EventSeries('io.k8s.api.events.v1.EventSeries'),
    type: str('type is the type of this event (Normal, Warning), new types could be added in the future.'),
  },
  { description: 'Event is a report of an event somewhere in the cluster.', required: ['eventTime'] },
);

