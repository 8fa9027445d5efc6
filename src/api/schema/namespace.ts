// core/v1 Namespace.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Time, List, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const NamespaceSpecSchema = Named('io.k8s.api.core.v1.NamespaceSpec', 'NamespaceSpec describes the attributes on a Namespace.', {
  finalizers: Opt(
    List(
      Str(undefined, 'v1.FinalizerName'),
      'Finalizers is an opaque list of values that must be empty to permanently remove object from storage.',
      { type: 'atomic' },
    ),
  ),
});
export type NamespaceSpec = Static<typeof NamespaceSpecSchema>;

export const NamespaceConditionSchema = Named(
  'io.k8s.api.core.v1.NamespaceCondition',
  'NamespaceCondition contains details about state of namespace.',
  {
    type: Str('Type of namespace controller condition.', 'v1.NamespaceConditionType'),
    status: Str('Status of the condition, one of True, False, Unknown.', 'v1.ConditionStatus'),
    lastTransitionTime: Opt(Time('Last time the condition transitioned from one status to another.')),
    reason: Opt(Str("Unique, one-word, CamelCase reason for the condition's last transition.")),
    message: Opt(Str('Human-readable message indicating details about last transition.')),
  },
);
export type NamespaceCondition = Static<typeof NamespaceConditionSchema>;

export const NamespaceStatusSchema = Named(
  'io.k8s.api.core.v1.NamespaceStatus',
  'NamespaceStatus is information about the current status of a Namespace.',
  {
    phase: Opt(Str('Phase is the current lifecycle phase of the namespace.', 'v1.NamespacePhase')),
    conditions: Opt(
      List(NamespaceConditionSchema, "Represents the latest available observations of a namespace's current state.", {
        type: 'map',
        keys: ['type'],
        mergeKey: 'type',
        strategy: 'merge',
      }),
    ),
  },
);
export type NamespaceStatus = Static<typeof NamespaceStatusSchema>;

export const NamespaceSchema = Named('io.k8s.api.core.v1.Namespace', 'Namespace provides a scope for Names.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  spec: Opt(Field(NamespaceSpecSchema, 'Spec defines the behavior of the Namespace.')),
  status: Opt(Field(NamespaceStatusSchema, 'Status describes the current status of a Namespace.')),
});
export type Namespace = Static<typeof NamespaceSchema>;
