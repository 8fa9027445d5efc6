// core/v1 ConfigMap.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Bool, Bytes, StringMap, MapOf, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const ConfigMapSchema = Named('io.k8s.api.core.v1.ConfigMap', 'ConfigMap holds configuration data for pods to consume.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  immutable: Opt(
    Bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified).'),
  ),
  data: Opt(StringMap('Data contains the configuration data.')),
  binaryData: Opt(MapOf(Bytes(), 'BinaryData contains the binary data.')),
});
export type ConfigMap = Static<typeof ConfigMapSchema>;
