// core/v1 ServiceAccount.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Bool, List, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';
import { LocalObjectReferenceSchema, ObjectReferenceSchema } from './core.js';

export const ServiceAccountSchema = Named(
  'io.k8s.api.core.v1.ServiceAccount',
  'ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    secrets: Opt(
      List(
        ObjectReferenceSchema,
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        { type: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' },
      ),
    ),
    imagePullSecrets: Opt(
      List(
        LocalObjectReferenceSchema,
        'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount.',
        { type: 'atomic' },
      ),
    ),
    automountServiceAccountToken: Opt(
      Bool(
        'AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.',
      ),
    ),
  },
);
export type ServiceAccount = Static<typeof ServiceAccountSchema>;
