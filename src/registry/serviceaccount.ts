// ServiceAccount (core/v1): metadata-only validation upstream; the SECRETS column counts
// `secrets` references.
import { schemas, type ServiceAccount } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { age, ageColumn, column, nameColumn } from './printers.js';

export type ServiceAccountObj = Obj<ServiceAccount>;

export const serviceAccountDef = defineKind<ServiceAccountObj>({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  get schema() {
    return schemas.ServiceAccount;
  },
  openapiName: 'io.k8s.api.core.v1.ServiceAccount',
  table: {
    columns: [
      nameColumn(),
      column(
        'Secrets',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
      ageColumn(),
    ],
    row: (sa, now) => [sa.metadata.name, (sa.secrets ?? []).length, age(sa, now)],
  },
});
