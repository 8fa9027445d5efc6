// Escalation prevention of the RBAC storages (upstream pkg/registry/rbac: escalation_check.go,
// the policybased storages, validation/rule.go ConfirmNoEscalation, policy_compact.go and
// component-helpers' Covers): rule coverage, upstream's message texts, and who may skip the check.
import { describe, expect, it } from 'vitest';
import type { PolicyRule, RoleBinding } from '../../src/api/generated/rbac/v1.js';
import { resourceAttributes } from '../../src/auth/rbac/attributes.js';
import { rbacModeAuthorizer } from '../../src/auth/rbac/authorizer.js';
import {
  breakdownRule,
  checkBindingWrite,
  checkRoleWrite,
  compactRules,
  compactString,
  confirmNoEscalation,
  covers,
  isOnlyMutatingGCFields,
  type EscalationContext,
} from '../../src/auth/rbac/escalation.js';
import type { UserInfo } from '../../src/auth/users.js';
import { RBAC, clusterRole, clusterRoleBinding, group, role, roleBinding, sourceOf, user } from './rbac-fixtures.js';

const rule = (
  verbs: string[],
  apiGroups: string[] | undefined,
  resources: string[] | undefined,
  more: Partial<PolicyRule> = {},
): PolicyRule => {
  const r: PolicyRule = { verbs };
  if (apiGroups) r.apiGroups = apiGroups;
  if (resources) r.resources = resources;
  return { ...r, ...more };
};
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

describe('covers', () => {
  const cases: [title: string, owner: PolicyRule[], servant: PolicyRule[], missing: PolicyRule[]][] = [
    ['the same rule', [rule(['get'], [''], ['pods'])], [rule(['get'], [''], ['pods'])], []],
    ['verb *', [rule(['*'], [''], ['pods'])], [rule(['get', 'delete'], [''], ['pods'])], []],
    ['group *', [rule(['get'], ['*'], ['pods'])], [rule(['get'], ['', 'apps'], ['pods'])], []],
    ['resource *', [rule(['get'], [''], ['*'])], [rule(['get'], [''], ['pods', 'pods/log'])], []],
    [
      'split over owner rules',
      [rule(['get'], [''], ['pods']), rule(['list'], [''], ['pods'])],
      [rule(['get', 'list'], [''], ['pods'])],
      [],
    ],
    ['a missing verb', [rule(['get'], [''], ['pods'])], [rule(['get', 'list'], [''], ['pods'])], [rule(['list'], [''], ['pods'])]],
    ['a missing group', [rule(['get'], [''], ['pods'])], [rule(['get'], ['', 'apps'], ['pods'])], [rule(['get'], ['apps'], ['pods'])]],
    [
      '*/subresource covers resource/subresource',
      [rule(['update'], ['apps'], ['*/scale'])],
      [rule(['update'], ['apps'], ['deployments/scale'])],
      [],
    ],
    [
      '*/subresource does not cover the resource',
      [rule(['update'], ['apps'], ['*/scale'])],
      [rule(['update'], ['apps'], ['deployments'])],
      [rule(['update'], ['apps'], ['deployments'])],
    ],
    [
      'a resource does not cover its subresource',
      [rule(['get'], [''], ['pods'])],
      [rule(['get'], [''], ['pods/log'])],
      [rule(['get'], [''], ['pods/log'])],
    ],
    [
      'named owner covers some of its names',
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['a', 'b'] })],
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['b'] })],
      [],
    ],
    [
      'named owner does not cover other names',
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['a'] })],
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['a', 'c'] })],
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['c'] })],
    ],
    [
      'named owner does not cover every name',
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['a'] })],
      [rule(['get'], [''], ['configmaps'])],
      [rule(['get'], [''], ['configmaps'])],
    ],
    [
      'unnamed owner covers names',
      [rule(['get'], [''], ['configmaps'])],
      [rule(['get'], [''], ['configmaps'], { resourceNames: ['x'] })],
      [],
    ],
    ['URL exact', [urls(['get'], ['/healthz'])], [urls(['get'], ['/healthz'])], []],
    ['URL prefix*', [urls(['get'], ['/healthz*'])], [urls(['get'], ['/healthz/etcd', '/healthz'])], []],
    ['URL *', [urls(['*'], ['*'])], [urls(['get', 'post'], ['/x'])], []],
    ['URL not covered', [urls(['get'], ['/healthz'])], [urls(['get', 'post'], ['/healthz'])], [urls(['post'], ['/healthz'])]],
    ['a resource rule does not cover URLs', [rule(['*'], ['*'], ['*'])], [urls(['get'], ['/metrics'])], [urls(['get'], ['/metrics'])]],
    ['a rule without groups grants nothing to check', [], [rule(['get'], undefined, ['pods'])], []],
  ];
  it.each(cases)('%s', (_title, owner, servant, missing) => {
    expect(covers(owner, servant)).toEqual({ covers: missing.length === 0, missing });
  });

  it('breaks a rule down group by resource by verb by name, then URL by verb', () => {
    expect(breakdownRule(rule(['get', 'list'], ['', 'apps'], ['pods'], { resourceNames: ['a', 'b'], nonResourceURLs: ['/x'] }))).toEqual([
      rule(['get'], [''], ['pods'], { resourceNames: ['a'] }),
      rule(['get'], [''], ['pods'], { resourceNames: ['b'] }),
      rule(['list'], [''], ['pods'], { resourceNames: ['a'] }),
      rule(['list'], [''], ['pods'], { resourceNames: ['b'] }),
      rule(['get'], ['apps'], ['pods'], { resourceNames: ['a'] }),
      rule(['get'], ['apps'], ['pods'], { resourceNames: ['b'] }),
      rule(['list'], ['apps'], ['pods'], { resourceNames: ['a'] }),
      rule(['list'], ['apps'], ['pods'], { resourceNames: ['b'] }),
      urls(['get'], ['/x']),
      urls(['list'], ['/x']),
    ]);
  });
});

describe('compactRules and compactString', () => {
  it('merges the verbs of one group and resource, and leaves other rules alone', () => {
    const compact = compactRules([
      rule(['get'], [''], ['pods']),
      rule(['list'], [''], ['pods']),
      rule(['get'], ['apps'], ['pods']),
      rule(['get'], [''], ['secrets'], { resourceNames: ['s'] }),
      urls(['get'], ['/x']),
      rule(['watch'], [''], ['pods']),
    ]);
    expect(compact).toEqual([
      rule(['get'], [''], ['secrets'], { resourceNames: ['s'] }),
      urls(['get'], ['/x']),
      rule(['get', 'list', 'watch'], [''], ['pods']),
      rule(['get'], ['apps'], ['pods']),
    ]);
  });

  it('prints the set parts with %q lists', () => {
    expect(compactString(rule(['get', 'list'], [''], ['pods']))).toBe('{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}');
    expect(compactString(rule(['get'], [''], ['secrets'], { resourceNames: ['a"b'] }))).toBe(
      '{APIGroups:[""], Resources:["secrets"], ResourceNames:["a\\"b"], Verbs:["get"]}',
    );
    expect(compactString(urls(['get'], ['/healthz']))).toBe('{NonResourceURLs:["/healthz"], Verbs:["get"]}');
    expect(compactString({ verbs: [] })).toBe('{}');
  });
});

const jane: UserInfo = { username: 'jane', groups: ['system:authenticated'] };

describe('confirmNoEscalation', () => {
  const source = sourceOf({
    clusterRoles: [clusterRole('pods', rule(['get', 'list'], [''], ['pods']))],
    clusterRoleBindings: [clusterRoleBinding('pods', 'pods', user('jane'))],
    roles: [role('dev', 'cm', rule(['*'], [''], ['configmaps']))],
    roleBindings: [roleBinding('dev', 'cm', { kind: 'Role', name: 'cm' }, user('jane'))],
  });

  it('passes rules the user holds, cluster-wide and in the namespace', () => {
    expect(confirmNoEscalation(source, jane, 'dev', [rule(['get'], [''], ['pods', 'configmaps'])])).toBeUndefined();
    expect(confirmNoEscalation(source, jane, '', [rule(['get'], [''], ['pods'])])).toBeUndefined();
  });

  it('lists what is missing, compacted and sorted, one rule a line', () => {
    expect(
      confirmNoEscalation(source, jane, '', [
        rule(['get', 'watch', 'delete'], ['', 'apps'], ['pods', 'configmaps']),
        urls(['get'], ['/metrics']),
        rule(['get'], [''], ['secrets'], { resourceNames: ['db'] }),
      ]),
    ).toBe(
      'user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        [
          '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "watch" "delete"]}',
          '{APIGroups:[""], Resources:["pods"], Verbs:["watch" "delete"]}',
          '{APIGroups:[""], Resources:["secrets"], ResourceNames:["db"], Verbs:["get"]}',
          '{APIGroups:["apps"], Resources:["configmaps"], Verbs:["get" "watch" "delete"]}',
          '{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "watch" "delete"]}',
          '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
        ].join('\n'),
    );
  });

  it('prints a user without groups, and the resolution errors as the registry names them', () => {
    const broken = sourceOf({ clusterRoleBindings: [clusterRoleBinding('gone', 'gone', user('bob'))] });
    expect(confirmNoEscalation(broken, { username: 'bob', groups: [] }, '', [rule(['get'], [''], ['pods'])])).toBe(
      'user "bob" (groups=[]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}; resolution errors: [clusterroles.rbac.authorization.k8s.io "gone" not found]',
    );
  });
});

describe('checkRoleWrite and checkBindingWrite', () => {
  const source = sourceOf({
    clusterRoles: [
      clusterRole('cluster-admin', rule(['*'], ['*'], ['*']), urls(['*'], ['*'])),
      clusterRole('pod-reader', rule(['get', 'list'], [''], ['pods'])),
      clusterRole('secret-reader', rule(['get'], [''], ['secrets'])),
      clusterRole('role-writer', rule(['create', 'update'], [RBAC], ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'])),
      clusterRole('escalator', rule(['escalate'], [RBAC], ['roles'], { resourceNames: ['special'] })),
      clusterRole('binder', rule(['bind'], [RBAC], ['clusterroles'], { resourceNames: ['secret-reader'] })),
    ],
    clusterRoleBindings: [
      clusterRoleBinding('cluster-admin', 'cluster-admin', group('system:masters')),
      clusterRoleBinding('writers', 'role-writer', group('system:authenticated')),
    ],
    roleBindings: [
      roleBinding('dev', 'pods', { kind: 'ClusterRole', name: 'pod-reader' }, user('jane')),
      roleBinding('dev', 'esc', { kind: 'ClusterRole', name: 'escalator' }, user('jane')),
      roleBinding('dev', 'bind', { kind: 'ClusterRole', name: 'binder' }, user('jane')),
    ],
  });
  const ctx = (who: UserInfo, verb: string, resource: string, namespace: string, name = ''): EscalationContext => ({
    user: who,
    request: resourceAttributes({ verb, apiGroup: RBAC, apiVersion: 'v1', resource, namespace, name }),
    source,
    authorizer: rbacModeAuthorizer(source),
  });
  const status = (e: ReturnType<typeof checkRoleWrite>) => e && { code: e.code, reason: e.reason, message: e.message, details: e.details };

  it('lets a user write a Role with rules they hold', () => {
    expect(checkRoleWrite(ctx(jane, 'create', 'roles', 'dev'), 'Role', role('dev', 'r', rule(['get'], [''], ['pods'])))).toBeUndefined();
  });

  it('refuses a Role with more, with the 403 of upstream', () => {
    expect(status(checkRoleWrite(ctx(jane, 'create', 'roles', 'dev'), 'Role', role('dev', 'r', rule(['get'], [''], ['secrets']))))).toEqual(
      {
        code: 403,
        reason: 'Forbidden',
        message:
          'roles.rbac.authorization.k8s.io "r" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
        details: { name: 'r', group: RBAC, kind: 'roles' },
      },
    );
    // Rules held in another namespace do not count.
    expect(checkRoleWrite(ctx(jane, 'create', 'roles', 'prod'), 'Role', role('prod', 'r', rule(['get'], [''], ['pods'])))?.code).toBe(403);
  });

  it('lets system:masters write anything', () => {
    const admin = { username: 'admin', groups: ['system:masters'] };
    expect(
      checkRoleWrite(ctx(admin, 'create', 'clusterroles', ''), 'ClusterRole', clusterRole('x', rule(['*'], ['*'], ['*']))),
    ).toBeUndefined();
    expect(
      checkBindingWrite(ctx(admin, 'create', 'clusterrolebindings', ''), 'ClusterRoleBinding', clusterRoleBinding('b', 'nope', user('x'))),
    ).toBeUndefined();
  });

  it('lets `escalate` on the role skip the check (a create has no name to match resourceNames)', () => {
    const big = (name: string) => role('dev', name, rule(['*'], ['*'], ['*']));
    const before = (name: string) => role('dev', name);
    expect(checkRoleWrite(ctx(jane, 'update', 'roles', 'dev', 'special'), 'Role', big('special'), before('special'))).toBeUndefined();
    expect(checkRoleWrite(ctx(jane, 'update', 'roles', 'dev', 'other'), 'Role', big('other'), before('other'))?.code).toBe(403);
    expect(checkRoleWrite(ctx(jane, 'create', 'roles', 'dev'), 'Role', big('special'))?.code).toBe(403);
  });

  it('lets an update that only changes owner references and finalizers through', () => {
    const old = role('dev', 'r', rule(['*'], ['*'], ['*']));
    const gc = {
      ...old,
      metadata: { ...old.metadata, finalizers: ['x'], ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u' }] },
    };
    expect(checkRoleWrite(ctx(jane, 'update', 'roles', 'dev', 'r'), 'Role', gc, old)).toBeUndefined();
    const relabelled = { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } };
    expect(checkRoleWrite(ctx(jane, 'update', 'roles', 'dev', 'r'), 'Role', relabelled, old)?.code).toBe(403);
  });

  it('needs every permission for an aggregationRule, set now or before', () => {
    const agg = { ...clusterRole('agg'), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } };
    expect(status(checkRoleWrite(ctx(jane, 'create', 'clusterroles', ''), 'ClusterRole', agg))).toEqual({
      code: 403,
      reason: 'Forbidden',
      message: 'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
      details: { name: 'agg', group: RBAC, kind: 'clusterroles' },
    });
    const plain = clusterRole('agg');
    expect(checkRoleWrite(ctx(jane, 'update', 'clusterroles', '', 'agg'), 'ClusterRole', plain, agg)?.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
    const labelled = { ...plain, metadata: { ...plain.metadata, labels: { a: 'b' } } };
    expect(checkRoleWrite(ctx(jane, 'update', 'clusterroles', '', 'agg'), 'ClusterRole', labelled, plain)).toBeUndefined();
  });

  it('lets a user bind a role whose rules they hold', () => {
    const b = roleBinding('dev', 'b', { kind: 'ClusterRole', name: 'pod-reader' }, user('bob'));
    expect(checkBindingWrite(ctx(jane, 'create', 'rolebindings', 'dev'), 'RoleBinding', b)).toBeUndefined();
  });

  it('refuses binding a role with more, naming what is missing', () => {
    const b = roleBinding('dev', 'b', { kind: 'ClusterRole', name: 'cluster-admin' }, user('jane'));
    const e = checkBindingWrite(ctx(jane, 'create', 'rolebindings', 'dev'), 'RoleBinding', b);
    expect(e?.code).toBe(403);
    expect(e?.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    expect(e?.details).toEqual({ name: 'b', group: RBAC, kind: 'rolebindings' });
  });

  it('lets `bind` on the role skip the check, in the namespace it was granted in', () => {
    const b = (ns: string): RoleBinding => roleBinding(ns, 'b', { kind: 'ClusterRole', name: 'secret-reader' }, user('x'));
    expect(checkBindingWrite(ctx(jane, 'create', 'rolebindings', 'dev'), 'RoleBinding', b('dev'))).toBeUndefined();
    expect(checkBindingWrite(ctx(jane, 'create', 'rolebindings', 'prod'), 'RoleBinding', b('prod'))?.code).toBe(403);
    // A ClusterRoleBinding is checked cluster-wide: jane's rules in dev do not count.
    const crb = clusterRoleBinding('crb', 'pod-reader', user('x'));
    expect(status(checkBindingWrite(ctx(jane, 'create', 'clusterrolebindings', ''), 'ClusterRoleBinding', crb))?.message).toBe(
      'clusterrolebindings.rbac.authorization.k8s.io "crb" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
    );
  });

  it('answers the 404 of the registry for a missing role', () => {
    const missing = roleBinding('dev', 'b', { kind: 'Role', name: 'nope' }, user('x'));
    expect(status(checkBindingWrite(ctx(jane, 'create', 'rolebindings', 'dev'), 'RoleBinding', missing))).toEqual({
      code: 404,
      reason: 'NotFound',
      message: 'roles.rbac.authorization.k8s.io "nope" not found',
      details: { name: 'nope', group: RBAC, kind: 'roles' },
    });
    const crb = clusterRoleBinding('b', 'nope', user('x'));
    expect(checkBindingWrite(ctx(jane, 'create', 'clusterrolebindings', ''), 'ClusterRoleBinding', crb)?.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "nope" not found',
    );
  });

  it('lets the GC update a binding it could not create', () => {
    const old = roleBinding('dev', 'b', { kind: 'ClusterRole', name: 'cluster-admin' }, user('x'));
    const gc = {
      ...old,
      metadata: { ...old.metadata, finalizers: [] as string[], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
    };
    expect(checkBindingWrite(ctx(jane, 'update', 'rolebindings', 'dev', 'b'), 'RoleBinding', gc, old)).toBeUndefined();
    expect(
      checkBindingWrite(ctx(jane, 'update', 'rolebindings', 'dev', 'b'), 'RoleBinding', { ...gc, subjects: [user('y')] }, old)?.code,
    ).toBe(403);
  });
});

describe('isOnlyMutatingGCFields', () => {
  const old = {
    metadata: { name: 'r', resourceVersion: '5', labels: { a: 'b' }, managedFields: [{ manager: 'm' }] },
    rules: [rule(['get'], [''], ['pods'])],
  };
  it.each([
    ['the same object', old, true],
    [
      'new finalizers and owner references',
      { ...old, metadata: { ...old.metadata, finalizers: ['f'], ownerReferences: [{ name: 'o' }] } },
      true,
    ],
    ['other managedFields and selfLink', { ...old, metadata: { ...old.metadata, managedFields: [], selfLink: '/x' } }, true],
    [
      'an empty list for a missing one (Go: nil equals empty)',
      { ...old, metadata: { ...old.metadata, annotations: {} }, subjects: [] },
      true,
    ],
    ['a label', { ...old, metadata: { ...old.metadata, labels: { a: 'c' } } }, false],
    ['no resourceVersion', { ...old, metadata: { ...old.metadata, resourceVersion: undefined } }, false],
    ['the rules', { ...old, rules: [rule(['list'], [''], ['pods'])] }, false],
  ])('%s', (_title, obj, only) => {
    expect(isOnlyMutatingGCFields(obj, old)).toBe(only);
  });
});
