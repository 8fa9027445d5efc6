// The RBAC objects as the authorizer reads them (upstream's listers): the shared informers of
// the four kinds, kept current by store events, so a decision reads memory, never SQLite.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../api/generated/rbac/v1.js';
import type { InformerFactory } from '../../storage/informer.js';
import type { RBACSource } from './rule-resolver.js';

export function informerRBACSource(informers: InformerFactory): RBACSource {
  // Stored under their group's prefix, as every kind outside core/v1 (registry storageResource).
  const roles = informers.for('rbac.authorization.k8s.io/roles');
  const clusterRoles = informers.for('rbac.authorization.k8s.io/clusterroles');
  const roleBindings = informers.for('rbac.authorization.k8s.io/rolebindings');
  const clusterRoleBindings = informers.for('rbac.authorization.k8s.io/clusterrolebindings');
  return {
    clusterRoleBindings: () => clusterRoleBindings.list() as ClusterRoleBinding[],
    roleBindings: (ns) => roleBindings.list(ns) as RoleBinding[],
    role: (ns, name) => roles.get(ns, name) as Role | undefined,
    clusterRole: (name) => clusterRoles.get('', name) as ClusterRole | undefined,
  };
}
