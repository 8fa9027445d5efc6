// Role and ClusterRole (rbac.authorization.k8s.io/v1), after upstream's pkg/registry/rbac/role and
// clusterrole strategies: no defaults, no status, PUT may create, validation of
// pkg/apis/rbac/validation. Neither kind has a printer upstream: tables are the default
// convertor's NAME and CREATED AT. Escalation checks are not made here (authorization is
// AlwaysAllow unless RBAC is enforced).
import { checkRBACWrite } from './escalation.js';
import { schemas, type ClusterRole, type Role } from '../../api/generated/rbac/v1.js';
import { defineKind, type Obj } from '../define.js';
import type { FieldError } from '../../apimachinery/field.js';
import { validateMetaFor } from '../../apimachinery/validation.js';
import { defaultTable } from '../printers.js';
import { RBAC_GROUP, validateAggregationRule, validateRules } from './validation.js';

export type RoleObj = Obj<Role>;
export type ClusterRoleObj = Obj<ClusterRole>;

/**
 * The strategies' ValidateUpdate runs the kind's validation twice (once itself, once inside
 * Validate<Kind>Update) before the metadata update checks: the causes of an update list each
 * error twice (the message shows it once).
 */
function twice(kind: string, namespaced: boolean, obj: RoleObj | ClusterRoleObj, own: FieldError[]): FieldError[] {
  return [...own, ...validateMetaFor(kind, namespaced, obj), ...own];
}

const roleErrors = (r: RoleObj) => validateRules(r.rules, true);
const clusterRoleErrors = (r: ClusterRoleObj) => [...validateRules(r.rules, false), ...validateAggregationRule(r.aggregationRule)];

export const roleDef = defineKind<RoleObj>({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  get schema() {
    return schemas.Role;
  },
  openapiName: 'io.k8s.api.rbac.v1.Role',
  allowCreateOnUpdate: true,
  validate: roleErrors,
  validateUpdate: (r) => twice('Role', true, r, roleErrors(r)),
  // Escalation prevention (RBAC mode, API requests): escalation.ts.
  beginCreate: (o, ctx) => checkRBACWrite('Role', o, undefined, ctx),
  beginUpdate: (o, old, ctx) => checkRBACWrite('Role', o, old, ctx),
  table: defaultTable,
});

export const clusterRoleDef = defineKind<ClusterRoleObj>({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  get schema() {
    return schemas.ClusterRole;
  },
  openapiName: 'io.k8s.api.rbac.v1.ClusterRole',
  allowCreateOnUpdate: true,
  validate: clusterRoleErrors,
  validateUpdate: (r) => twice('ClusterRole', false, r, clusterRoleErrors(r)),
  // Escalation prevention (RBAC mode, API requests): escalation.ts.
  beginCreate: (o, ctx) => checkRBACWrite('ClusterRole', o, undefined, ctx),
  beginUpdate: (o, old, ctx) => checkRBACWrite('ClusterRole', o, old, ctx),
  table: defaultTable,
});
