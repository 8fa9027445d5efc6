// coordination.k8s.io/v1 Lease.
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Int32, MicroTime, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const LeaseSpecSchema = Named('io.k8s.api.coordination.v1.LeaseSpec', 'LeaseSpec is a specification of a Lease.', {
  holderIdentity: Opt(Str('holderIdentity contains the identity of the holder of a current lease.')),
  leaseDurationSeconds: Opt(Int32('leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it.')),
  acquireTime: Opt(MicroTime('acquireTime is a time when the current lease was acquired.')),
  renewTime: Opt(MicroTime('renewTime is a time when the current holder of a lease has last updated the lease.')),
  leaseTransitions: Opt(Int32('leaseTransitions is the number of transitions of a lease between holders.')),
  strategy: Opt(
    Str('Strategy indicates the strategy for picking the leader for coordinated leader election.', 'v1.CoordinatedLeaseStrategy'),
  ),
  preferredHolder: Opt(Str('PreferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up.')),
});
export type LeaseSpec = Static<typeof LeaseSpecSchema>;

export const LeaseSchema = Named('io.k8s.api.coordination.v1.Lease', 'Lease defines a lease concept.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  spec: Opt(Field(LeaseSpecSchema, 'spec contains the specification of the Lease.')),
});
export type Lease = Static<typeof LeaseSchema>;
