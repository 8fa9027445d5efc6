// In-memory RBAC objects for the RBAC unit tests: an RBACSource over plain lists, as the server
// backs it with informers.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '../../src/api/generated/rbac/v1.js';
import type { RBACSource } from '../../src/auth/rbac/rule-resolver.js';

export const RBAC = 'rbac.authorization.k8s.io';

export const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC, name });
export const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC, name });
export const sa = (name: string, namespace?: string): Subject =>
  namespace ? { kind: 'ServiceAccount', name, namespace } : { kind: 'ServiceAccount', name };

export const clusterRole = (name: string, ...rules: PolicyRule[]): ClusterRole => ({ metadata: { name }, rules });
export const role = (namespace: string, name: string, ...rules: PolicyRule[]): Role => ({ metadata: { name, namespace }, rules });

export const clusterRoleBinding = (name: string, roleName: string, ...subjects: Subject[]): ClusterRoleBinding => ({
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
  subjects,
});

export const roleBinding = (
  namespace: string,
  name: string,
  ref: { kind: 'Role' | 'ClusterRole'; name: string },
  ...subjects: Subject[]
): RoleBinding => ({
  metadata: { name, namespace },
  roleRef: { apiGroup: RBAC, ...ref },
  subjects,
});

export interface Objects {
  clusterRoles?: ClusterRole[];
  roles?: Role[];
  clusterRoleBindings?: ClusterRoleBinding[];
  roleBindings?: RoleBinding[];
}

/** An RBACSource over lists, indexed as listers index them (by name, by namespace). */
export function sourceOf(o: Objects): RBACSource {
  const clusterRoles = new Map((o.clusterRoles ?? []).map((r) => [r.metadata!.name!, r]));
  const roles = new Map((o.roles ?? []).map((r) => [`${r.metadata!.namespace}/${r.metadata!.name}`, r]));
  const byNamespace = new Map<string, RoleBinding[]>();
  for (const b of o.roleBindings ?? []) {
    const ns = b.metadata!.namespace!;
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), b]);
  }
  const crbs = o.clusterRoleBindings ?? [];
  return {
    clusterRoleBindings: () => crbs,
    roleBindings: (ns) => byNamespace.get(ns) ?? [],
    role: (ns, name) => roles.get(`${ns}/${name}`),
    clusterRole: (name) => clusterRoles.get(name),
  };
}
