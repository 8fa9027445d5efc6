// RoleBinding and ClusterRoleBinding (rbac.authorization.k8s.io/v1), after upstream's
// pkg/registry/rbac/rolebinding and clusterrolebinding strategies: the v1 defaults (roleRef's and
// Users' and Groups' apiGroup), PUT may create, validation of pkg/apis/rbac/validation with the
// roleRef immutable, and printRoleBinding / printClusterRoleBinding's table (NAME, ROLE, AGE; with
// -o wide USERS, GROUPS, SERVICEACCOUNTS). Whether the referenced role exists, and escalation, are
// not checked here (authorization is AlwaysAllow unless RBAC is enforced).
import { checkRBACWrite } from './escalation.js';
import { schemas, type ClusterRoleBinding, type RoleBinding, type Subject } from '../../api/generated/rbac/v1.js';
import { defineKind, objectsIn, type Obj } from '../define.js';
import type { FieldError } from '../../apimachinery/field.js';
import { validateMetaFor } from '../../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import {
  GROUP_KIND,
  RBAC_GROUP,
  SERVICE_ACCOUNT_KIND,
  USER_KIND,
  defaultBinding,
  validateRoleRef,
  validateRoleRefUnchanged,
  validateSubjects,
} from './validation.js';

export type RoleBindingObj = Obj<RoleBinding>;
export type ClusterRoleBindingObj = Obj<ClusterRoleBinding>;
type Binding = RoleBindingObj | ClusterRoleBindingObj;

/** rbac.SubjectsStrings: users, groups and service accounts (`namespace/name`) of a binding. */
export function subjectsStrings(subjects: readonly Subject[] | null | undefined): { users: string[]; groups: string[]; sas: string[] } {
  const out = { users: [] as string[], groups: [] as string[], sas: [] as string[] };
  for (const s of objectsIn(subjects)) {
    if (s.kind === SERVICE_ACCOUNT_KIND) out.sas.push(`${s.namespace ?? ''}/${s.name ?? ''}`);
    else if (s.kind === USER_KIND) out.users.push(s.name ?? '');
    else if (s.kind === GROUP_KIND) out.groups.push(s.name ?? '');
  }
  return out;
}

// The ROLE column's description is the v1beta1 roleRef documentation (upstream takes it from there).
const ROLE_BINDING_ROLE_DOC =
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.';
const CLUSTER_ROLE_BINDING_ROLE_DOC =
  'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.';

function bindingTable(roleDoc: string, what: string) {
  return {
    columns: [
      nameColumn(),
      column('Role', roleDoc),
      ageColumn(),
      column('Users', `Users in the ${what}`, 1),
      column('Groups', `Groups in the ${what}`, 1),
      column('ServiceAccounts', `ServiceAccounts in the ${what}`, 1),
    ],
    row: (b: Binding, now: Date) => {
      const { users, groups, sas } = subjectsStrings(b.subjects);
      return [
        b.metadata.name,
        `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
        age(b, now),
        users.join(', '),
        groups.join(', '),
        sas.join(', '),
      ];
    },
  };
}

/** Validate<Kind>Binding without the metadata (the registry checks that). */
const bindingErrors = (b: Binding, kinds: readonly string[], namespaced: boolean): FieldError[] => [
  ...validateRoleRef(b.roleRef, kinds),
  ...validateSubjects(b.subjects, namespaced),
];

/**
 * The strategies' ValidateUpdate: the kind's validation twice (once itself, once inside
 * Validate<Kind>BindingUpdate; the message shows each error once), then `cannot change roleRef`.
 */
function updateErrors(kind: string, namespaced: boolean, b: Binding, old: Binding, own: FieldError[]): FieldError[] {
  return [...own, ...validateMetaFor(kind, namespaced, b), ...own, ...validateRoleRefUnchanged(b.roleRef, old.roleRef)];
}

const ROLE_BINDING_REFS = ['Role', 'ClusterRole'];
const CLUSTER_ROLE_BINDING_REFS = ['ClusterRole'];

export const roleBindingDef = defineKind<RoleBindingObj>({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  get schema() {
    return schemas.RoleBinding;
  },
  openapiName: 'io.k8s.api.rbac.v1.RoleBinding',
  allowCreateOnUpdate: true,
  defaults: defaultBinding,
  validate: (b) => bindingErrors(b, ROLE_BINDING_REFS, true),
  validateUpdate: (b, old) => updateErrors('RoleBinding', true, b, old, bindingErrors(b, ROLE_BINDING_REFS, true)),
  // Escalation prevention (RBAC mode, API requests): escalation.ts.
  beginCreate: (o, ctx) => checkRBACWrite('RoleBinding', o, undefined, ctx),
  beginUpdate: (o, old, ctx) => checkRBACWrite('RoleBinding', o, old, ctx),
  table: bindingTable(ROLE_BINDING_ROLE_DOC, 'roleBinding'),
});

export const clusterRoleBindingDef = defineKind<ClusterRoleBindingObj>({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  get schema() {
    return schemas.ClusterRoleBinding;
  },
  openapiName: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
  allowCreateOnUpdate: true,
  defaults: defaultBinding,
  validate: (b) => bindingErrors(b, CLUSTER_ROLE_BINDING_REFS, false),
  validateUpdate: (b, old) => updateErrors('ClusterRoleBinding', false, b, old, bindingErrors(b, CLUSTER_ROLE_BINDING_REFS, false)),
  // Escalation prevention (RBAC mode, API requests): escalation.ts.
  beginCreate: (o, ctx) => checkRBACWrite('ClusterRoleBinding', o, undefined, ctx),
  beginUpdate: (o, old, ctx) => checkRBACWrite('ClusterRoleBinding', o, old, ctx),
  table: bindingTable(CLUSTER_ROLE_BINDING_ROLE_DOC, 'clusterRoleBinding'),
});
