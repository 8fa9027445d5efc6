// core/v1 Secret.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Bool, Bytes, StringMap, MapOf, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const SecretSchema = Named('io.k8s.api.core.v1.Secret', 'Secret holds secret data of a certain type.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  immutable: Opt(
    Bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified).'),
  ),
  data: Opt(MapOf(Bytes(), 'Data contains the secret data.')),
  stringData: Opt(StringMap('stringData allows specifying non-binary secret data in string form.')),
  type: Opt(Str('Used to facilitate programmatic handling of secret data.', 'v1.SecretType')),
});
export type Secret = Static<typeof SecretSchema>;
