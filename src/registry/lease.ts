// Lease (coordination.k8s.io/v1): leader election and node heartbeats. PUT creates a missing
// Lease (upstream AllowCreateOnUpdate), which is what client-go's lease lock relies on.
import { schemas, type Lease } from '../api/generated/coordination/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { age, ageColumn, column, nameColumn } from './printers.js';

export type LeaseObj = Obj<Lease>;

function validateLease(l: LeaseObj): FieldError[] {
  const errs: FieldError[] = [];
  const s = l.spec ?? {};
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds !== null && s.leaseDurationSeconds <= 0) {
    errs.push(fieldErr.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (s.leaseTransitions !== undefined && s.leaseTransitions !== null && s.leaseTransitions < 0) {
    errs.push(fieldErr.invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export const leaseDef = defineKind<LeaseObj>({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  get schema() {
    return schemas.Lease;
  },
  openapiName: 'io.k8s.api.coordination.v1.Lease',
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
  validate: (l) => validateLease(l),
  validateUpdate: (l) => validateLease(l),
  table: {
    columns: [
      nameColumn(),
      column(
        'Holder',
        'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
      ),
      ageColumn(),
    ],
    row: (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l, now)],
  },
});
