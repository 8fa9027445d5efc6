// core/v1 PodTemplate and the PodTemplateSpec it holds (the same spec workload kinds embed).
// Field names follow upstream k8s.io/api v0.32 types.go; descriptions are the first sentence of
// upstream's comments.
import type { Static } from '@sinclair/typebox';
import { Named, Field, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';
import { PodSpecSchema } from './pod.js';

export const PodTemplateSpecSchema = Named(
  'io.k8s.api.core.v1.PodTemplateSpec',
  'PodTemplateSpec describes the data a pod should have when created from a template',
  {
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    spec: Opt(Field(PodSpecSchema, 'Specification of the desired behavior of the pod.')),
  },
);
export type PodTemplateSpec = Static<typeof PodTemplateSpecSchema>;

export const PodTemplateSchema = Named(
  'io.k8s.api.core.v1.PodTemplate',
  'PodTemplate describes a template for creating copies of a predefined pod.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    template: Opt(Field(PodTemplateSpecSchema, 'Template defines the pods that will be created from this pod template.')),
  },
);
export type PodTemplate = Static<typeof PodTemplateSchema>;
