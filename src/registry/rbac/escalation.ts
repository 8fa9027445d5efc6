// Escalation prevention of the RBAC storages (upstream pkg/registry/rbac/*/policybased): with
// `--authorization-mode RBAC`, a user may write a Role or ClusterRole only with rules it holds
// itself (or with `escalate` on it), and a binding only to a role whose rules it holds (or with
// `bind` on it); src/auth/rbac/escalation.ts has the checks and upstream's texts. In-process
// writes (controllers, bootstrap) and AlwaysAllow clusters are not checked, as upstream checks
// only requests that come through the RBAC storages with RBAC enabled.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../api/generated/rbac/v1.js';
import { resourceAttributes } from '../../auth/rbac/attributes.js';
import { checkBindingWrite, checkRoleWrite } from '../../auth/rbac/escalation.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { WriteContext } from '../types.js';

type Kind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';
const RESOURCE: Record<Kind, string> = {
  Role: 'roles',
  ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings',
  ClusterRoleBinding: 'clusterrolebindings',
};

/** Throws the Forbidden (or the missing role's NotFound) when this write would escalate. */
export function checkRBACWrite(kind: Kind, obj: KubeObject, old: KubeObject | undefined, ctx: WriteContext): void {
  const a = ctx.authorization;
  if (!a || !ctx.user) return;
  const request = resourceAttributes({
    verb: old ? 'update' : 'create',
    apiGroup: 'rbac.authorization.k8s.io',
    apiVersion: 'v1',
    resource: RESOURCE[kind],
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  });
  const esc = { user: ctx.user, request, source: a.source, authorizer: a.authorizer };
  const err =
    kind === 'Role' || kind === 'ClusterRole'
      ? checkRoleWrite(esc, kind, obj as Role | ClusterRole, old as Role | ClusterRole | undefined)
      : checkBindingWrite(esc, kind, obj as RoleBinding | ClusterRoleBinding, old as RoleBinding | ClusterRoleBinding | undefined);
  if (err) throw err;
}
