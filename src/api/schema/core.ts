// core/v1 types used by more than one kind.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Str, Opt } from './common.js';

export const ObjectReferenceSchema = Named(
  'io.k8s.api.core.v1.ObjectReference',
  'ObjectReference contains enough information to let you inspect or modify the referred object. --- New uses of this type are discouraged because of difficulty describing its usage when embedded in APIs. 1.',
  {
    kind: Opt(Str('Kind of the referent.')),
    namespace: Opt(Str('Namespace of the referent.')),
    name: Opt(Str('Name of the referent.')),
    uid: Opt(Str('UID of the referent.', 'types.UID')),
    apiVersion: Opt(Str('API version of the referent.')),
    resourceVersion: Opt(Str('Specific resourceVersion to which this reference is made, if any.')),
    fieldPath: Opt(
      Str(
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
      ),
    ),
  },
  { mapType: 'atomic' },
);
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

export const LocalObjectReferenceSchema = Named(
  'io.k8s.api.core.v1.LocalObjectReference',
  'LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace. --- New uses of this type are discouraged because of difficulty describing its usage when embedded in APIs. 1.',
  {
    name: Opt(Str('Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty.')),
  },
  { mapType: 'atomic' },
);
export type LocalObjectReference = Static<typeof LocalObjectReferenceSchema>;
