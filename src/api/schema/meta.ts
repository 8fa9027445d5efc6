// io.k8s.apimachinery.pkg.apis.meta.v1 types shared by every kind (ObjectMeta and friends).
import type { Static } from '@sinclair/typebox';
import { Named, Str, Bool, Int64, Time, StringMap, List, MapList, StringList, AtomicList, Free, Opt, Field } from './common.js';

const M = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const OwnerReferenceSchema = Named(
  `${M}.OwnerReference`,
  'OwnerReference contains enough information to let you identify an owning object.',
  {
    apiVersion: Str('API version of the referent.'),
    blockOwnerDeletion: Opt(
      Bool(
        'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.',
      ),
    ),
    controller: Opt(Bool('If true, this reference points to the managing controller.')),
    kind: Str('Kind of the referent.'),
    name: Str('Name of the referent.'),
    uid: Str('UID of the referent.', 'types.UID'),
  },
  { mapType: 'atomic' },
);
export type OwnerReference = Static<typeof OwnerReferenceSchema>;

/** Field sets are nested objects of `f:`/`k:`/`v:` keys: free-form by nature. */
export const FieldsV1Schema = Free(`${M}.FieldsV1`, 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.');

export const ManagedFieldsEntrySchema = Named(
  `${M}.ManagedFieldsEntry`,
  'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
  {
    apiVersion: Opt(Str('APIVersion defines the version of this resource that this field set applies to.')),
    fieldsType: Opt(
      Str(
        'FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"',
      ),
    ),
    fieldsV1: Opt(Field(FieldsV1Schema, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.')),
    manager: Opt(Str('Manager is an identifier of the workflow managing these fields.')),
    operation: Opt(
      Str(
        "Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'.",
        'v1.ManagedFieldsOperationType',
      ),
    ),
    subresource: Opt(
      Str(
        'Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.',
      ),
    ),
    time: Opt(Time('Time is the timestamp of when the ManagedFields entry was added.')),
  },
);
export type ManagedFieldsEntry = Static<typeof ManagedFieldsEntrySchema>;

export const ObjectMetaSchema = Named(
  `${M}.ObjectMeta`,
  'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  {
    annotations: Opt(
      StringMap(
        'Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.',
      ),
    ),
    creationTimestamp: Opt(Time('CreationTimestamp is a timestamp representing the server time when this object was created.')),
    deletionGracePeriodSeconds: Opt(
      Int64('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.'),
    ),
    deletionTimestamp: Opt(Time('DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.')),
    finalizers: Opt(List(Str(), 'Must be empty before the object is deleted from the registry.', { type: 'set', strategy: 'merge' })),
    generateName: Opt(
      Str(
        'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.',
      ),
    ),
    generation: Opt(Int64('A sequence number representing a specific generation of the desired state.')),
    labels: Opt(StringMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.')),
    managedFields: Opt(
      AtomicList(
        ManagedFieldsEntrySchema,
        'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
      ),
    ),
    name: Opt(Str('Name must be unique within a namespace.')),
    namespace: Opt(Str('Namespace defines the space within which each name must be unique.')),
    ownerReferences: Opt(MapList(OwnerReferenceSchema, ['uid'], 'List of objects depended by this object.')),
    resourceVersion: Opt(
      Str(
        'An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed.',
      ),
    ),
    selfLink: Opt(Str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.')),
    uid: Opt(Str('UID is the unique in time and space value for this object.', 'types.UID')),
  },
);
export type ObjectMeta = Static<typeof ObjectMetaSchema>;

export const LabelSelectorRequirementSchema = Named(
  `${M}.LabelSelectorRequirement`,
  'A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.',
  {
    key: Str('key is the label key that the selector applies to.'),
    operator: Str(
      "operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist.",
      'v1.LabelSelectorOperator',
    ),
    values: Opt(StringList('values is an array of string values.')),
  },
);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;

export const LabelSelectorSchema = Named(
  `${M}.LabelSelector`,
  'A label selector is a label query over a set of resources.',
  {
    matchExpressions: Opt(
      AtomicList(LabelSelectorRequirementSchema, 'matchExpressions is a list of label selector requirements. The requirements are ANDed.'),
    ),
    matchLabels: Opt(StringMap('matchLabels is a map of {key,value} pairs.')),
  },
  { mapType: 'atomic' },
);
export type LabelSelector = Static<typeof LabelSelectorSchema>;

export const ConditionSchema = Named(
  `${M}.Condition`,
  'Condition contains details for one aspect of the current state of this API Resource.',
  {
    lastTransitionTime: Time('lastTransitionTime is the last time the condition transitioned from one status to another.'),
    message: Str('message is a human readable message indicating details about the transition.'),
    observedGeneration: Opt(Int64('observedGeneration represents the .metadata.generation that the condition was set based upon.')),
    reason: Str("reason contains a programmatic identifier indicating the reason for the condition's last transition."),
    status: Str('status of the condition, one of True, False, Unknown.', 'v1.ConditionStatus'),
    type: Str('type of condition in CamelCase or in foo.example.com/CamelCase.'),
  },
);
export type Condition = Static<typeof ConditionSchema>;

/** The `metadata` property of a top-level kind. */
export const objectMeta = () => Opt(Field(ObjectMetaSchema, "Standard object's metadata."));
