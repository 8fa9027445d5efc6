// The RBAC authorizer (upstream plugin/pkg/auth/authorizer/rbac): rule matching as rbac.go and
// evaluation_helpers.go do it, subjects, upstream's reason texts, the privileged-group authorizer
// and the union in front, and the cost of one decision against a bootstrap-sized policy.
import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../src/api/generated/rbac/v1.js';
import { nonResourceAttributes, resourceAttributes, type Attributes } from '../../src/auth/rbac/attributes.js';
import { authorize, privilegedGroups, rbacAuthorizer, rbacModeAuthorizer, unionAuthorizer } from '../../src/auth/rbac/authorizer.js';
import { ruleAllows } from '../../src/auth/rbac/rule-match.js';
import type { UserInfo } from '../../src/auth/users.js';
import { clusterRole, clusterRoleBinding, group, role, roleBinding, sa, sourceOf, user } from './rbac-fixtures.js';

const jane: UserInfo = { username: 'jane', groups: ['devs', 'system:authenticated'] };
const res = (verb: string, resource: string, more: Partial<Attributes> = {}) => resourceAttributes({ verb, resource, ...more });

describe('ruleAllows', () => {
  const r = (rule: Partial<PolicyRule>): PolicyRule => ({ verbs: [], ...rule });
  const cases: [title: string, rule: PolicyRule, attrs: Attributes, allowed: boolean][] = [
    ['exact', r({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }), res('get', 'pods'), true],
    ['other verb', r({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }), res('list', 'pods'), false],
    ['verb *', r({ verbs: ['*'], apiGroups: [''], resources: ['pods'] }), res('deletecollection', 'pods'), true],
    [
      'other group',
      r({ verbs: ['get'], apiGroups: [''], resources: ['deployments'] }),
      res('get', 'deployments', { apiGroup: 'apps' }),
      false,
    ],
    ['group *', r({ verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }), res('get', 'deployments', { apiGroup: 'apps' }), true],
    ['no groups', r({ verbs: ['get'], resources: ['pods'] }), res('get', 'pods'), false],
    ['resource *', r({ verbs: ['get'], apiGroups: [''], resources: ['*'] }), res('get', 'pods', { subresource: 'log' }), true],
    [
      'resource is not its subresource',
      r({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }),
      res('get', 'pods', { subresource: 'log' }),
      false,
    ],
    [
      'resource/subresource',
      r({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }),
      res('get', 'pods', { subresource: 'log' }),
      true,
    ],
    [
      'resource/subresource is not the resource',
      r({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }),
      res('get', 'pods'),
      false,
    ],
    [
      '*/subresource',
      r({ verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] }),
      res('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' }),
      true,
    ],
    [
      '*/subresource, another subresource',
      r({ verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] }),
      res('update', 'deployments', { subresource: 'status' }),
      false,
    ],
    [
      '*/subresource does not match the resource',
      r({ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }),
      res('get', 'deployments'),
      false,
    ],
    [
      'resource/* is no wildcard',
      r({ verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }),
      res('get', 'pods', { subresource: 'log' }),
      false,
    ],
    [
      'resource/* names the subresource *',
      r({ verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }),
      res('get', 'pods', { subresource: '*' }),
      true,
    ],
    [
      'resourceNames',
      r({ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'] }),
      res('get', 'configmaps', { name: 'b' }),
      true,
    ],
    [
      'resourceNames, another name',
      r({ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }),
      res('get', 'configmaps', { name: 'c' }),
      false,
    ],
    [
      'resourceNames, no name (list)',
      r({ verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }),
      res('list', 'configmaps'),
      false,
    ],
    [
      'resource rule, non-resource request',
      r({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }),
      nonResourceAttributes('get', '/healthz'),
      false,
    ],
    ['nonResourceURLs exact', r({ verbs: ['get'], nonResourceURLs: ['/healthz'] }), nonResourceAttributes('get', '/healthz'), true],
    [
      'nonResourceURLs other path',
      r({ verbs: ['get'], nonResourceURLs: ['/healthz'] }),
      nonResourceAttributes('get', '/healthz/etcd'),
      false,
    ],
    [
      'nonResourceURLs prefix*',
      r({ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }),
      nonResourceAttributes('get', '/healthz/etcd'),
      true,
    ],
    [
      'nonResourceURLs prefix* matches the bare prefix',
      r({ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }),
      nonResourceAttributes('get', '/healthz/'),
      true,
    ],
    [
      'nonResourceURLs prefix* not the parent',
      r({ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }),
      nonResourceAttributes('get', '/healthz'),
      false,
    ],
    [
      'nonResourceURLs prefix without slash',
      r({ verbs: ['get'], nonResourceURLs: ['/api*'] }),
      nonResourceAttributes('get', '/apis/apps'),
      true,
    ],
    ['nonResourceURLs **', r({ verbs: ['get'], nonResourceURLs: ['/openapi**'] }), nonResourceAttributes('get', '/openapi/v3'), true],
    ['nonResourceURLs *', r({ verbs: ['get'], nonResourceURLs: ['*'] }), nonResourceAttributes('get', '/anything'), true],
    ['nonResourceURLs other verb', r({ verbs: ['get'], nonResourceURLs: ['*'] }), nonResourceAttributes('post', '/anything'), false],
    ['non-resource rule, resource request', r({ verbs: ['*'], nonResourceURLs: ['*'] }), res('get', 'pods'), false],
  ];
  it.each(cases)('%s', (_title, rule, attrs, allowed) => {
    expect(ruleAllows(attrs, rule)).toBe(allowed);
  });
});

describe('authorize', () => {
  const podsReader: PolicyRule = { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] };
  const source = sourceOf({
    clusterRoles: [
      clusterRole('cluster-admin', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }),
      clusterRole('pod-reader', podsReader),
      clusterRole('node-reader', { verbs: ['get'], apiGroups: [''], resources: ['nodes'] }),
      clusterRole('healthz', { verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz/*'] }),
    ],
    roles: [role('dev', 'secret-reader', { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['app'] })],
    clusterRoleBindings: [
      clusterRoleBinding('cluster-admin', 'cluster-admin', group('system:masters')),
      clusterRoleBinding('nodes', 'node-reader', user('bob'), group('devs')),
      clusterRoleBinding('health', 'healthz', group('system:authenticated')),
      clusterRoleBinding('sa-without-namespace', 'node-reader', sa('robot')),
      clusterRoleBinding('all-sas', 'pod-reader', group('system:serviceaccounts:ci')),
    ],
    roleBindings: [
      roleBinding('dev', 'read-pods', { kind: 'ClusterRole', name: 'pod-reader' }, user('alice'), user('jane')),
      roleBinding('dev', 'read-secret', { kind: 'Role', name: 'secret-reader' }, sa('builder')),
      roleBinding('prod', 'read-pods', { kind: 'ClusterRole', name: 'pod-reader' }, sa('deployer', 'dev')),
    ],
  });

  const allowed: [title: string, who: UserInfo, attrs: Attributes, reason: string][] = [
    [
      'a RoleBinding to a ClusterRole, its first matching subject named',
      jane,
      res('list', 'pods', { namespace: 'dev' }),
      'RBAC: allowed by RoleBinding "read-pods/dev" of ClusterRole "pod-reader" to User "jane"',
    ],
    [
      'a ClusterRoleBinding to a group',
      jane,
      res('get', 'nodes', { name: 'n1' }),
      'RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to Group "devs"',
    ],
    [
      'a cluster-wide binding in any namespace',
      { username: 'bob', groups: [] },
      res('get', 'nodes', { namespace: 'dev' }),
      'RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to User "bob"',
    ],
    [
      'a ServiceAccount subject without namespace is in the namespace of the binding',
      { username: 'system:serviceaccount:dev:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:dev'] },
      res('get', 'secrets', { namespace: 'dev', name: 'app' }),
      'RBAC: allowed by RoleBinding "read-secret/dev" of Role "secret-reader" to ServiceAccount "builder/dev"',
    ],
    [
      'a ServiceAccount of another namespace',
      { username: 'system:serviceaccount:dev:deployer', groups: ['system:serviceaccounts', 'system:serviceaccounts:dev'] },
      res('watch', 'pods', { namespace: 'prod' }),
      'RBAC: allowed by RoleBinding "read-pods/prod" of ClusterRole "pod-reader" to ServiceAccount "deployer/dev"',
    ],
    [
      'the service accounts of a namespace as a group',
      {
        username: 'system:serviceaccount:ci:runner',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
      },
      res('list', 'pods'),
      'RBAC: allowed by ClusterRoleBinding "all-sas" of ClusterRole "pod-reader" to Group "system:serviceaccounts:ci"',
    ],
    [
      'a non-resource URL',
      jane,
      nonResourceAttributes('get', '/readyz/ping'),
      'RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "healthz" to Group "system:authenticated"',
    ],
    [
      'system:masters through the cluster-admin binding',
      { username: 'admin', groups: ['system:masters'] },
      res('delete', 'namespaces', { name: 'x' }),
      'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    ],
  ];
  it.each(allowed)('allows: %s', (_title, who, attrs, reason) => {
    expect(authorize(attrs, who, source)).toEqual({ decision: 'allow', reason });
  });

  const denied: [title: string, who: UserInfo, attrs: Attributes][] = [
    ['a verb the role lacks', jane, res('delete', 'pods', { namespace: 'dev', name: 'p' })],
    ['a subresource the role lacks', jane, res('get', 'pods', { namespace: 'dev', name: 'p', subresource: 'log' })],
    ['a RoleBinding of another namespace', jane, res('list', 'pods', { namespace: 'prod' })],
    ['RoleBindings do not grant cluster-wide', jane, res('list', 'pods')],
    [
      'another name than resourceNames',
      { username: 'system:serviceaccount:dev:builder', groups: [] },
      res('get', 'secrets', { namespace: 'dev', name: 'db' }),
    ],
    [
      'a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody',
      { username: 'system:serviceaccount:default:robot', groups: [] },
      res('get', 'nodes'),
    ],
    ['a user not named', { username: 'mallory', groups: ['system:authenticated'] }, res('get', 'nodes')],
    [
      'a service account named like a user',
      { username: 'system:serviceaccount:dev:builderx', groups: [] },
      res('get', 'secrets', { namespace: 'dev', name: 'app' }),
    ],
    ['a path outside the rule', jane, nonResourceAttributes('get', '/readyz')],
  ];
  it.each(denied)('has no opinion: %s', (_title, who, attrs) => {
    expect(authorize(attrs, who, source)).toEqual({ decision: 'no-opinion', reason: '' });
  });

  it('gives the roles it could not find as the reason, once each', () => {
    const broken = sourceOf({
      clusterRoles: [clusterRole('view', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] })],
      clusterRoleBindings: [
        clusterRoleBinding('gone', 'gone', group('devs')),
        { metadata: { name: 'odd' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Foo', name: 'x' }, subjects: [user('jane')] },
      ],
      roleBindings: [
        roleBinding('dev', 'missing-role', { kind: 'Role', name: 'nope' }, user('jane')),
        roleBinding('dev', 'again', { kind: 'Role', name: 'nope' }, group('devs')),
        roleBinding('dev', 'view', { kind: 'ClusterRole', name: 'view' }, user('jane')),
      ],
    });
    expect(authorize(res('get', 'secrets', { namespace: 'dev' }), jane, broken)).toEqual({
      decision: 'no-opinion',
      reason:
        'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, unsupported role reference kind: "Foo", role.rbac.authorization.k8s.io "nope" not found]',
    });
    expect(authorize(res('get', 'secrets'), jane, broken).reason).toBe(
      'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, unsupported role reference kind: "Foo"]',
    );
    const one = sourceOf({ clusterRoleBindings: [clusterRoleBinding('gone', 'gone', group('devs'))] });
    expect(authorize(res('get', 'secrets'), jane, one).reason).toBe('RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
    // What was found still allows.
    expect(authorize(res('get', 'configmaps', { namespace: 'dev' }), jane, broken)).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "view/dev" of ClusterRole "view" to User "jane"',
    });
  });
});

describe('privilegedGroups and the union', () => {
  const empty = sourceOf({});

  it('lets system:masters do anything with no binding and no reason', () => {
    const chain = rbacModeAuthorizer(empty);
    expect(chain.authorize(res('delete', 'nodes', { name: 'n' }), { username: 'admin', groups: ['system:masters'] })).toEqual({
      decision: 'allow',
      reason: '',
    });
    expect(
      chain.authorize(nonResourceAttributes('post', '/x'), { username: 'admin', groups: ['system:authenticated', 'system:masters'] }),
    ).toEqual({
      decision: 'allow',
      reason: '',
    });
    expect(chain.authorize(res('delete', 'nodes'), jane)).toEqual({ decision: 'no-opinion', reason: '' });
  });

  it('has the RBAC authorizer not special-case system:masters', () => {
    expect(authorize(res('get', 'pods'), { username: 'admin', groups: ['system:masters'] }, empty).decision).toBe('no-opinion');
  });

  it('stops at the first decision and joins the reasons of the others', () => {
    const says = (decision: 'allow' | 'deny' | 'no-opinion', reason: string) => ({ authorize: () => ({ decision, reason }) });
    expect(
      unionAuthorizer(says('no-opinion', 'a'), says('no-opinion', ''), says('no-opinion', 'b')).authorize(res('get', 'x'), jane),
    ).toEqual({
      decision: 'no-opinion',
      reason: 'a\nb',
    });
    expect(unionAuthorizer(says('no-opinion', 'a'), says('deny', 'no'), says('allow', 'yes')).authorize(res('get', 'x'), jane)).toEqual({
      decision: 'deny',
      reason: 'no',
    });
    expect(
      unionAuthorizer(privilegedGroups('ops'), rbacAuthorizer(empty)).authorize(res('get', 'x'), { username: 'o', groups: ['ops'] })
        .decision,
    ).toBe('allow');
  });
});

/**
 * A policy shaped like a kubeadm cluster's bootstrap (upstream bootstrappolicy testdata, v1.32):
 * the default ClusterRoles and their ClusterRoleBindings, the controllers' roles bound to their
 * kube-system service accounts, and a namespace where a user holds three RoleBindings.
 */
function bootstrapSized() {
  const crud = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const read = ['get', 'list', 'watch'];
  const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });
  // edit (admin and view are alike): the aggregated rules of upstream's edit, one per group.
  const editRules = [
    rule(['impersonate'], [''], ['serviceaccounts']),
    rule(crud, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
    rule(['create'], [''], ['pods/eviction']),
    rule(
      crud,
      [''],
      [
        'configmaps',
        'events',
        'persistentvolumeclaims',
        'replicationcontrollers',
        'replicationcontrollers/scale',
        'secrets',
        'serviceaccounts',
        'services',
        'services/proxy',
      ],
    ),
    rule(['create'], [''], ['serviceaccounts/token']),
    rule(
      crud,
      ['apps'],
      [
        'daemonsets',
        'deployments',
        'deployments/rollback',
        'deployments/scale',
        'replicasets',
        'replicasets/scale',
        'statefulsets',
        'statefulsets/scale',
      ],
    ),
    rule(crud, ['autoscaling'], ['horizontalpodautoscalers']),
    rule(crud, ['batch'], ['cronjobs', 'jobs']),
    rule(
      crud,
      ['extensions'],
      [
        'daemonsets',
        'deployments',
        'deployments/rollback',
        'deployments/scale',
        'ingresses',
        'networkpolicies',
        'replicasets',
        'replicasets/scale',
        'replicationcontrollers/scale',
      ],
    ),
    rule(crud, ['policy'], ['poddisruptionbudgets']),
    rule(crud, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
    rule(crud, ['coordination.k8s.io'], ['leases']),
    rule(
      read,
      [''],
      [
        'configmaps',
        'endpoints',
        'persistentvolumeclaims',
        'persistentvolumeclaims/status',
        'pods',
        'replicationcontrollers',
        'replicationcontrollers/scale',
        'serviceaccounts',
        'services',
        'services/status',
      ],
    ),
    rule(
      read,
      [''],
      [
        'bindings',
        'events',
        'limitranges',
        'namespaces/status',
        'pods/log',
        'pods/status',
        'replicationcontrollers/status',
        'resourcequotas',
        'resourcequotas/status',
      ],
    ),
    rule(read, [''], ['namespaces']),
    rule(read, ['discovery.k8s.io'], ['endpointslices']),
    rule(
      read,
      ['apps'],
      [
        'controllerrevisions',
        'daemonsets',
        'daemonsets/status',
        'deployments',
        'deployments/scale',
        'deployments/status',
        'replicasets',
        'replicasets/scale',
        'replicasets/status',
        'statefulsets',
        'statefulsets/scale',
        'statefulsets/status',
      ],
    ),
    rule(read, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
    rule(read, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
    rule(read, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  ];
  const controllers = [
    'attachdetach-controller',
    'certificate-controller',
    'clusterrole-aggregation-controller',
    'cronjob-controller',
    'daemon-set-controller',
    'deployment-controller',
    'disruption-controller',
    'endpoint-controller',
    'endpointslice-controller',
    'endpointslicemirroring-controller',
    'ephemeral-volume-controller',
    'expand-controller',
    'generic-garbage-collector',
    'horizontal-pod-autoscaler',
    'job-controller',
    'legacy-service-account-token-cleaner',
    'namespace-controller',
    'node-controller',
    'persistent-volume-binder',
    'pod-garbage-collector',
    'pv-protection-controller',
    'pvc-protection-controller',
    'replicaset-controller',
    'replication-controller',
    'resourcequota-controller',
    'root-ca-cert-publisher',
    'route-controller',
    'service-account-controller',
    'service-controller',
    'statefulset-controller',
    'ttl-after-finished-controller',
    'ttl-controller',
    'validatingadmissionpolicy-status-controller',
    'service-cidrs-controller',
  ];
  const system = [
    'system:aggregate-to-admin',
    'system:aggregate-to-edit',
    'system:aggregate-to-view',
    'system:auth-delegator',
    'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
    'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
    'system:certificates.k8s.io:kube-apiserver-client-approver',
    'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
    'system:certificates.k8s.io:kubelet-serving-approver',
    'system:certificates.k8s.io:legacy-unknown-approver',
    'system:heapster',
    'system:kube-aggregator',
    'system:kube-controller-manager',
    'system:kube-dns',
    'system:kube-scheduler',
    'system:kubelet-api-admin',
    'system:monitoring',
    'system:node',
    'system:node-bootstrapper',
    'system:node-problem-detector',
    'system:node-proxier',
    'system:persistent-volume-provisioner',
    'system:service-account-issuer-discovery',
    'system:volume-scheduler',
  ];
  const clusterRoles = [
    clusterRole('cluster-admin', rule(['*'], ['*'], ['*']), { verbs: ['*'], nonResourceURLs: ['*'] }),
    clusterRole(
      'admin',
      ...editRules,
      rule(crud, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    ),
    clusterRole('edit', ...editRules),
    clusterRole('view', ...editRules.filter((r) => r.verbs === read)),
    clusterRole(
      'system:basic-user',
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ),
    clusterRole('system:discovery', {
      verbs: ['get'],
      nonResourceURLs: [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
    }),
    clusterRole('system:public-info-viewer', {
      verbs: ['get'],
      nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'],
    }),
    ...system.map((n) => clusterRole(n, ...editRules.slice(0, 6))),
    ...controllers.map((c) => clusterRole(`system:controller:${c}`, ...editRules.slice(6, 12))),
  ];
  const clusterRoleBindings = [
    clusterRoleBinding('cluster-admin', 'cluster-admin', group('system:masters')),
    clusterRoleBinding('system:basic-user', 'system:basic-user', group('system:authenticated')),
    clusterRoleBinding('system:discovery', 'system:discovery', group('system:authenticated')),
    clusterRoleBinding(
      'system:public-info-viewer',
      'system:public-info-viewer',
      group('system:authenticated'),
      group('system:unauthenticated'),
    ),
    clusterRoleBinding('system:kube-controller-manager', 'system:kube-controller-manager', user('system:kube-controller-manager')),
    clusterRoleBinding('system:kube-dns', 'system:kube-dns', sa('kube-dns', 'kube-system')),
    clusterRoleBinding('system:kube-scheduler', 'system:kube-scheduler', user('system:kube-scheduler')),
    clusterRoleBinding('system:monitoring', 'system:monitoring', group('system:monitoring')),
    { metadata: { name: 'system:node' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' } },
    clusterRoleBinding('system:node-proxier', 'system:node-proxier', user('system:kube-proxy')),
    clusterRoleBinding(
      'system:service-account-issuer-discovery',
      'system:service-account-issuer-discovery',
      group('system:serviceaccounts'),
    ),
    clusterRoleBinding('system:volume-scheduler', 'system:volume-scheduler', user('system:kube-scheduler')),
    clusterRoleBinding('kubeadm:cluster-admins', 'cluster-admin', group('kubeadm:cluster-admins')),
    clusterRoleBinding('kubeadm:get-nodes', 'system:node', group('system:bootstrappers:kubeadm:default-node-token')),
    ...controllers.map((c) => clusterRoleBinding(`system:controller:${c}`, `system:controller:${c}`, sa(c, 'kube-system'))),
  ];
  const roleBindings = [
    roleBinding('dev', 'ci', { kind: 'ClusterRole', name: 'edit' }, sa('ci', 'dev')),
    roleBinding('dev', 'team-view', { kind: 'ClusterRole', name: 'view' }, group('team-a')),
    roleBinding('dev', 'jane-view', { kind: 'ClusterRole', name: 'view' }, user('jane')),
    roleBinding('dev', 'jane-admin', { kind: 'ClusterRole', name: 'admin' }, user('jane')),
    roleBinding('dev', 'jane-edit', { kind: 'ClusterRole', name: 'edit' }, user('jane')),
    roleBinding('dev', 'bob', { kind: 'ClusterRole', name: 'edit' }, user('bob')),
  ];
  return { clusterRoles, clusterRoleBindings, roleBindings };
}

describe('cost of a decision', () => {
  const objects = bootstrapSized();
  const source = sourceOf(objects);
  const who: UserInfo = { username: 'jane', groups: ['system:authenticated'] };
  const allowedAttrs = res('update', 'deployments', { apiGroup: 'apps', namespace: 'dev', name: 'web', subresource: 'scale' });
  const deniedAttrs = res('delete', 'nodes', { name: 'n1' });
  // Every rule of the three roles read: the longest walk for this user.
  const deniedInNamespace = res('escalate', 'roles', { apiGroup: 'rbac.authorization.k8s.io', namespace: 'dev', name: 'r' });

  /** ns per call over `n` calls, after a warm-up. */
  const measure = (f: () => unknown, n: number) => {
    for (let i = 0; i < n / 10; i++) f();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    return Number(process.hrtime.bigint() - t0) / n;
  };

  it('is a few microseconds with ~70 ClusterRoles and the bootstrap bindings', () => {
    expect(objects.clusterRoles.length).toBeGreaterThanOrEqual(65);
    expect(objects.clusterRoleBindings.length).toBeGreaterThanOrEqual(45);
    expect(authorize(allowedAttrs, who, source)).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "jane-admin/dev" of ClusterRole "admin" to User "jane"',
    });
    expect(authorize(deniedAttrs, who, source)).toEqual({ decision: 'no-opinion', reason: '' });
    expect(authorize(deniedInNamespace, who, source)).toEqual({ decision: 'no-opinion', reason: '' });
    const allowNs = measure(() => authorize(allowedAttrs, who, source), 200_000);
    const denyNs = measure(() => authorize(deniedAttrs, who, source), 200_000);
    const denyNsNamespaced = measure(() => authorize(deniedInNamespace, who, source), 200_000);
    console.log(
      `RBAC authorize: ${allowNs.toFixed(0)} ns/decision allowed (by the 2nd of 3 RoleBindings), ` +
        `${denyNsNamespaced.toFixed(0)} ns denied in the namespace (every rule of the 3 roles read), ` +
        `${denyNs.toFixed(0)} ns denied cluster-wide`,
    );
  });
});
