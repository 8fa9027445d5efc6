// SelfSubjectRulesReview's status from the RBAC rules (upstream RBACAuthorizer.RulesFor, the union
// of rule resolvers and the selfsubjectrulesreview REST): what `kubectl auth can-i --list` prints.
import { describe, expect, it } from 'vitest';
import { alwaysAllowRulesFor, rbacRulesFor, rulesReviewStatus } from '../../src/auth/rbac/rules-review.js';
import type { UserInfo } from '../../src/auth/users.js';
import { clusterRole, clusterRoleBinding, group, role, roleBinding, sourceOf, user } from './rbac-fixtures.js';

const jane: UserInfo = { username: 'jane', groups: ['system:authenticated'] };

const source = sourceOf({
  clusterRoles: [
    clusterRole('cluster-admin', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }),
    clusterRole('system:discovery', { verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] }),
    clusterRole('basic', { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'] }),
    // Invalid, but stored rules are listed as they are: both lists, and no groups.
    clusterRole('odd', { verbs: ['get'], resources: ['things'], nonResourceURLs: ['/things'], resourceNames: [] }),
  ],
  roles: [role('dev', 'cm', { verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] })],
  clusterRoleBindings: [
    clusterRoleBinding('cluster-admin', 'cluster-admin', group('system:masters')),
    clusterRoleBinding('discovery', 'system:discovery', group('system:authenticated')),
    clusterRoleBinding('basic', 'basic', group('system:authenticated')),
    clusterRoleBinding('odd', 'odd', user('jane')),
  ],
  roleBindings: [
    roleBinding('dev', 'cm', { kind: 'Role', name: 'cm' }, user('jane')),
    roleBinding('other', 'cm', { kind: 'Role', name: 'cm' }, user('jane')),
  ],
});

describe('rbacRulesFor and rulesReviewStatus', () => {
  it('lists the cluster-wide rules, then those of the namespace, each in its list', () => {
    expect(rulesReviewStatus(rbacRulesFor(jane, 'dev', source))).toEqual({
      resourceRules: [
        { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'] },
        { verbs: ['get'], resources: ['things'] },
        { verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app'] },
      ],
      nonResourceRules: [
        { verbs: ['get'], nonResourceURLs: ['/api', '/api/*'] },
        { verbs: ['get'], nonResourceURLs: ['/things'] },
      ],
      incomplete: false,
    });
  });

  it('keeps the field order of Go', () => {
    const s = rulesReviewStatus(rbacRulesFor(jane, 'dev', source));
    expect(Object.keys(s)).toEqual(['resourceRules', 'nonResourceRules', 'incomplete']);
    expect(Object.keys(s.resourceRules[2]!)).toEqual(['verbs', 'apiGroups', 'resources', 'resourceNames']);
  });

  it('shows system:masters the rules of the cluster-admin binding', () => {
    const s = rulesReviewStatus(rbacRulesFor({ username: 'admin', groups: ['system:masters', 'system:authenticated'] }, 'default', source));
    expect(s.resourceRules[0]).toEqual({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    expect(s.nonResourceRules[0]).toEqual({ verbs: ['*'], nonResourceURLs: ['*'] });
  });

  it('lists nothing for a user without bindings, with empty lists', () => {
    expect(rulesReviewStatus(rbacRulesFor({ username: 'nobody', groups: [] }, 'dev', source))).toEqual({
      resourceRules: [],
      nonResourceRules: [],
      incomplete: false,
    });
  });

  it('reports the roles it could not read as evaluationError, and what it could as rules', () => {
    const broken = sourceOf({
      clusterRoles: [clusterRole('view', { verbs: ['get'], apiGroups: [''], resources: ['pods'] })],
      clusterRoleBindings: [clusterRoleBinding('gone', 'gone', user('jane'))],
      roleBindings: [
        roleBinding('dev', 'r', { kind: 'Role', name: 'nope' }, user('jane')),
        roleBinding('dev', 'v', { kind: 'ClusterRole', name: 'view' }, user('jane')),
      ],
    });
    expect(rulesReviewStatus(rbacRulesFor(jane, 'dev', broken))).toEqual({
      resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      nonResourceRules: [],
      incomplete: false,
      evaluationError: '[clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "nope" not found]',
    });
    expect(rulesReviewStatus(rbacRulesFor(jane, 'default', broken)).evaluationError).toBe(
      'clusterrole.rbac.authorization.k8s.io "gone" not found',
    );
  });

  it('joins several resolvers as the union does', () => {
    const webhookLike = { resourceRules: [], nonResourceRules: [], incomplete: true, errors: ['webhook: no rules'] };
    const rbac = { ...alwaysAllowRulesFor(), errors: ['a', 'b'] };
    const s = rulesReviewStatus(alwaysAllowRulesFor(), rbac, webhookLike);
    expect(s.incomplete).toBe(true);
    expect(s.resourceRules).toHaveLength(2);
    // Several resolvers' errors are flattened, repeated texts once.
    expect(s.evaluationError).toBe('[a, b, webhook: no rules]');
    expect(rulesReviewStatus({ ...webhookLike, errors: ['x'] }, { ...webhookLike, errors: ['x'] }).evaluationError).toBe('x');
  });

  it('gives the rules of AlwaysAllow: everything, complete', () => {
    expect(rulesReviewStatus(alwaysAllowRulesFor())).toEqual({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    });
  });
});
