// The JSON shape of a v1 CustomResourceDefinition as the CRD validation reads it: the generated
// types (src/api/generated/apiextensions/v1.ts) with every field optional, because validation
// runs on what a client sent (after decoding and defaulting), which may lack required fields.
import type { ObjectMeta } from '../../../apimachinery/types.js';
import type * as v1 from '../../../api/generated/apiextensions/v1.js';

/** T with every field optional, down through objects and arrays. */
type Loose<T> = T extends (infer E)[] ? Loose<E>[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;

export type JSONSchemaProps = v1.JSONSchemaProps;
export type CRDNames = Loose<v1.CustomResourceDefinitionNames>;
export type ColumnDefinition = Loose<v1.CustomResourceColumnDefinition>;
export type Subresources = Loose<v1.CustomResourceSubresources>;
export type CRDVersion = Loose<Omit<v1.CustomResourceDefinitionVersion, 'schema'>> & { schema?: { openAPIV3Schema?: JSONSchemaProps } };
export type ServiceReference = Loose<v1.ServiceReference>;
export type WebhookClientConfig = Loose<v1.WebhookClientConfig>;
export type CRDConversion = Loose<v1.CustomResourceConversion>;
export type CRDSpec = Loose<Omit<v1.CustomResourceDefinitionSpec, 'versions'>> & { versions?: CRDVersion[] };
export type CRDCondition = Omit<v1.CustomResourceDefinitionCondition, 'status'> & { status: 'True' | 'False' | 'Unknown' };
export type CRDStatus = Loose<Omit<v1.CustomResourceDefinitionStatus, 'conditions'>> & { conditions?: CRDCondition[] };
export type CRD = Loose<Omit<v1.CustomResourceDefinition, 'metadata' | 'spec' | 'status'>> & {
  metadata?: ObjectMeta;
  spec?: CRDSpec;
  status?: CRDStatus;
};
