// io.k8s.apimachinery.pkg.apis.meta.v1 types shared by every kind, and core/v1 ObjectReference.
import { obj, str, int64, bool, time, strMap, list, strList, free } from './common.js';

const M = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const OwnerReferenceSchema = obj(
  `${M}.OwnerReference`,
  {
    apiVersion: str('API version of the referent.'),
    blockOwnerDeletion: bool('If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.'),
    controller: bool('If true, this reference points to the managing controller.'),
    kind: str('Kind of the referent.'),
    name: str('Name of the referent.'),
    uid: str('UID of the referent.'),
  },
  { description: 'OwnerReference contains enough information to let you identify an owning object.', required: ['apiVersion', 'kind', 'name', 'uid'], mapType: 'atomic' },
);

export const ManagedFieldsEntrySchema = obj(
  `${M}.ManagedFieldsEntry`,
  {
    apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
    fieldsType: str('FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'),
    fieldsV1: free('FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.', `${M}.FieldsV1`),
    manager: str('Manager is an identifier of the workflow managing these fields.'),
    operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."),
    subresource: str('Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.'),
    time: time('Time is the timestamp of when the ManagedFields entry was added.'),
  },
  { description: 'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.' },
);

export const ObjectMetaSchema = obj(
  `${M}.ObjectMeta`,
  {
    annotations: strMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
    creationTimestamp: time('CreationTimestamp is a timestamp representing the server time when this object was created.'),
    deletionGracePeriodSeconds: int64('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.'),
    deletionTimestamp: time('DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.'),
    finalizers: strList('Must be empty before the object is deleted from the registry.', { type: 'set', strategy: 'merge' }),
    generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
    generation: int64('A sequence number representing a specific generation of the desired state.'),
    labels: strMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
    managedFields: list(ManagedFieldsEntrySchema, { description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.', type: 'atomic' }),
    name: str('Name must be unique within a namespace.'),
    namespace: str('Namespace defines the space within which each name must be unique.'),
    ownerReferences: list(OwnerReferenceSchema, { description: 'List of objects depended by this object.', type: 'map', keys: ['uid'], mergeKey: 'uid', strategy: 'merge' }),
    resourceVersion: str('An opaque value that represents the internal version of this object.'),
    selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
    uid: str('UID is the unique in time and space value for this object.'),
  },
  { description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.' },
);

export const LabelSelectorRequirementSchema = obj(
  `${M}.LabelSelectorRequirement`,
  {
    key: str('key is the label key that the selector applies to.'),
    operator: str("operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist."),
    values: strList('values is an array of string values.'),
  },
  { required: ['key', 'operator'] },
);

export const LabelSelectorSchema = obj(
  `${M}.LabelSelector`,
  {
    matchExpressions: list(LabelSelectorRequirementSchema, { description: 'matchExpressions is a list of label selector requirements. The requirements are ANDed.', type: 'atomic' }),
    matchLabels: strMap('matchLabels is a map of {key,value} pairs.'),
  },
  { description: 'A label selector is a label query over a set of resources.', mapType: 'atomic' },
);

export const ConditionSchema = obj(
  `${M}.Condition`,
  {
    lastTransitionTime: time('lastTransitionTime is the last time the condition transitioned from one status to another.'),
    message: str('message is a human readable message indicating details about the transition.'),
    observedGeneration: int64('observedGeneration represents the .metadata.generation that the condition was set based upon.'),
    reason: str("reason contains a programmatic identifier indicating the reason for the condition's last transition."),
    status: str('status of the condition, one of True, False, Unknown.'),
    type: str('type of condition in CamelCase or in foo.example.com/CamelCase.'),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

export const ObjectReferenceSchema = obj(
  'io.k8s.api.core.v1.ObjectReference',
  {
    apiVersion: str('API version of the referent.'),
    fieldPath: str('If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
    kind: str('Kind of the referent.'),
    name: str('Name of the referent.'),
    namespace: str('Namespace of the referent.'),
    resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
    uid: str('UID of the referent.'),
  },
  { description: 'ObjectReference contains enough information to let you inspect or modify the referred object.', mapType: 'atomic' },
);

export const LocalObjectReferenceSchema = obj('io.k8s.api.core.v1.LocalObjectReference', { name: str('Name of the referent.') }, { mapType: 'atomic' });

export const metadata = () => ObjectMetaSchema;
