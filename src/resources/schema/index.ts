// One schema per kind (see common.ts). Names are a contract with the kind modules.
export { ObjectMetaSchema, OwnerReferenceSchema, LabelSelectorSchema, ObjectReferenceSchema } from './meta.js';
export { NamespaceSchema, ConfigMapSchema, SecretSchema, ServiceAccountSchema, LeaseSchema, EventSchema, EventsV1EventSchema } from './simple.js';
export { ServiceSchema, ServicePortSchema, EndpointsSchema, EndpointSliceSchema } from './network.js';
export { PodSchema, PodSpecSchema, PodStatusSchema, NodeSchema } from './pod.js';
