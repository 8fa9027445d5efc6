// rbac.authorization.k8s.io/v1 objects as kubectl v1.32 and the Python client use them: the typed
// create commands (protobuf bodies), tables and describe, upstream's 422 texts, the bootstrap
// policy of v1.32 present from the start, and ClusterRole aggregation following a labelled role in
// and out. Authorization stays AlwaysAllow here: these objects are only stored and served.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { untilPasses } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
/** kubectl's table as rows of cells (columns split on runs of 2+ spaces; an empty cell merges). */
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
const post = (path: string, body: object) => api(tc.cluster, 'POST', `${RBAC}${path}`, { body });

describe('RBAC kinds', () => {
  it('are discovered as upstream serves them', async () => {
    const list = (await api(tc.cluster, 'GET', RBAC)).json();
    expect(list.resources.map((r: { name: string; kind: string; namespaced: boolean }) => [r.name, r.kind, r.namespaced])).toEqual([
      ['clusterrolebindings', 'ClusterRoleBinding', false],
      ['clusterroles', 'ClusterRole', false],
      ['rolebindings', 'RoleBinding', true],
      ['roles', 'Role', true],
    ]);
    for (const r of list.resources) {
      expect(r.shortNames).toBeUndefined();
      expect(r.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    }
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups.indexOf('rbac.authorization.k8s.io')).toBe(groups.indexOf('policy') + 1);
  });

  it('are created by kubectl’s typed commands and printed as upstream prints them', async () => {
    await tc.kubectl(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods']);
    expect((await json(['get', 'role', 'pod-reader'])).rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    await tc.kubectl(['create', 'clusterrole', 'cm-reader', '--verb=get,watch', '--resource=configmaps', '--resource-name=settings']);
    expect((await json(['get', 'clusterrole', 'cm-reader'])).rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get', 'watch'] },
    ]);
    await tc.kubectl([
      'create',
      'rolebinding',
      'read-pods',
      '--role=pod-reader',
      '--user=alice',
      '--group=devs',
      '--serviceaccount=default:bot',
    ]);
    const rb = await json(['get', 'rolebinding', 'read-pods']);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'bot', namespace: 'default' },
    ]);
    await tc.kubectl(['create', 'clusterrolebinding', 'cm-readers', '--clusterrole=cm-reader', '--serviceaccount=kube-system:reader']);

    const rows = await table(['get', 'role,rolebinding', '-o', 'wide']);
    expect(rows[0]).toEqual(['NAME', 'CREATED AT']);
    expect(rows[1]![0]).toBe('role.rbac.authorization.k8s.io/pod-reader');
    expect(rows[1]![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(rows[3]).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    expect(rows[4]).toEqual([
      expect.stringMatching(/^rolebinding\.rbac\.authorization\.k8s\.io\/read-pods$/),
      'Role/pod-reader',
      expect.stringMatching(/^\d+s$/),
      'alice',
      'devs',
      'default/bot',
    ]);
    const crb = await table(['get', 'clusterrolebinding', 'cm-readers', '-o', 'wide']);
    expect(crb[0]).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    // Users and Groups are empty: the cells run together.
    expect(crb[1]).toEqual(['cm-readers', 'ClusterRole/cm-reader', expect.stringMatching(/^\d+s$/), 'kube-system/reader']);
    expect((await table(['get', 'clusterrolebinding', 'cm-readers']))[0]).toEqual(['NAME', 'ROLE', 'AGE']);

    const described = (await tc.kubectl(['describe', 'rolebinding', 'read-pods'])).stdout;
    expect(described).toMatch(/Role:\n\s+Kind:\s+Role\n\s+Name:\s+pod-reader/);
    expect(described).toMatch(/ServiceAccount\s+bot\s+default/);
  });

  it('allow names that are one path segment, as upstream’s bootstrap names are', async () => {
    await tc.kubectl(['create', 'clusterrolebinding', 'system:tinykube:viewers', '--clusterrole=view', '--group=viewers']);
    await tc.kubectl(['label', 'clusterrole', 'system:basic-user', 'team=platform']);
    expect((await json(['get', 'clusterrole', 'system:basic-user'])).metadata.labels.team).toBe('platform');
    const bad = await post('/clusterroles', { metadata: { name: 'a/b' }, rules: [] });
    expect(bad.json().message).toBe(
      `ClusterRole.rbac.authorization.k8s.io "a/b" is invalid: metadata.name: Invalid value: "a/b": may not contain '/'`,
    );
  });

  it('refuse what pkg/apis/rbac/validation refuses, with its texts', async () => {
    const role = await post('/namespaces/default/roles', {
      metadata: { name: 'bad' },
      rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'], apiGroups: [''] }],
    });
    expect(role.status).toBe(422);
    expect(role.json().message).toBe(
      'Role.rbac.authorization.k8s.io "bad" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, ' +
        'rules[0].apiGroups: Required value: resource rules must supply at least one api group, ' +
        'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs, ' +
        'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs]',
    );
    const crb = await post('/clusterrolebindings', {
      metadata: { name: 'bad' },
      roleRef: { apiGroup: 'example.com', kind: 'Role', name: 'x' },
      subjects: [
        { kind: 'ServiceAccount', name: 'sa' },
        { kind: 'Robot', name: 'r' },
      ],
    });
    expect(crb.json().message).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "bad" is invalid: [roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io", ' +
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value, ' +
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"]',
    );
    const agg = await post('/clusterroles', { metadata: { name: 'bad' }, aggregationRule: { clusterRoleSelectors: [] } });
    expect(agg.json().message).toBe(
      'ClusterRole.rbac.authorization.k8s.io "bad" is invalid: aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    );

    // roleRef is immutable, whichever way the change comes.
    await tc.kubectl(['create', 'rolebinding', 'fixed', '--clusterrole=view', '--user=bob']);
    const patched = await tc.kubectl(['patch', 'rolebinding', 'fixed', '--type=merge', '-p', '{"roleRef":{"name":"edit"}}'], {
      allowFail: true,
    });
    expect(patched.code).not.toBe(0);
    expect(patched.stderr.trim()).toBe(
      'The RoleBinding "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    );
    const cur = await json(['get', 'rolebinding', 'fixed']);
    const replaced = await api(tc.cluster, 'PUT', `${RBAC}/namespaces/default/rolebindings/fixed`, {
      body: { ...cur, roleRef: { ...cur.roleRef, kind: 'Role', name: 'pod-reader' } },
    });
    expect(replaced.status).toBe(422);
    const status = replaced.json();
    expect(status.message).toBe(
      'RoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"pod-reader"}: cannot change roleRef',
    );
    expect(status.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'roleRef', message: expect.stringMatching(/cannot change roleRef$/) },
    ]);
    // Subjects may change; a PUT of a missing binding creates it (AllowCreateOnUpdate).
    await tc.kubectl(['set', 'subject', 'rolebinding', 'fixed', '--user=carol']);
    expect((await json(['get', 'rolebinding', 'fixed'])).subjects.map((s: { name: string }) => s.name)).toEqual(['bob', 'carol']);
    const put = await api(tc.cluster, 'PUT', `${RBAC}/namespaces/default/roles/made-by-put`, {
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'made-by-put' } },
    });
    expect(put.status).toBe(201);
  });
});

describe('bootstrap policy', () => {
  it('has upstream’s roles and bindings from the start', async () => {
    const roles = (await json(['get', 'clusterroles'])).items as { metadata: { name: string; annotations: Record<string, string> } }[];
    const names = roles.map((r) => r.metadata.name);
    for (const n of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:discovery',
      'system:basic-user',
      'system:public-info-viewer',
      'system:node-proxier',
      'system:kube-scheduler',
      'system:controller:clusterrole-aggregation-controller',
    ])
      expect(names).toContain(n);
    expect(names.filter((n) => n.startsWith('system:controller:'))).toHaveLength(34);
    expect(roles.find((r) => r.metadata.name === 'edit')!.metadata.annotations).toEqual({
      'rbac.authorization.kubernetes.io/autoupdate': 'true',
    });
    const masters = await json(['get', 'clusterrolebinding', 'cluster-admin']);
    expect(masters.metadata.labels).toEqual({ 'kubernetes.io/bootstrapping': 'rbac-defaults' });
    expect(masters.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }]);
    const pub = await json(['get', 'clusterrolebinding', 'system:public-info-viewer']);
    expect(pub.subjects.map((s: { name: string }) => s.name)).toEqual(['system:authenticated', 'system:unauthenticated']);
    expect((await json(['get', 'clusterrolebinding', 'system:discovery'])).subjects.map((s: { name: string }) => s.name)).toEqual([
      'system:authenticated',
    ]);
    const ns = await table(['get', 'roles,rolebindings', '-n', 'kube-public', '--no-headers']);
    expect(ns.map((r) => r[0])).toEqual([
      'role.rbac.authorization.k8s.io/system:controller:bootstrap-signer',
      'rolebinding.rbac.authorization.k8s.io/system:controller:bootstrap-signer',
    ]);
    expect((await json(['get', 'roles', '-n', 'kube-system'])).items).toHaveLength(6);
  });

  it('aggregates view into edit and edit into admin', async () => {
    const view = await json(['get', 'clusterrole', 'view']);
    const toView = await json(['get', 'clusterrole', 'system:aggregate-to-view']);
    expect(view.aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
    });
    expect(view.rules).toEqual(toView.rules);
    const yaml = (await tc.kubectl(['get', 'clusterrole', 'view', '-o', 'yaml'])).stdout;
    expect(yaml).toContain('  - poddisruptionbudgets/status\n');
    const edit = await json(['get', 'clusterrole', 'edit']);
    const toEdit = await json(['get', 'clusterrole', 'system:aggregate-to-edit']);
    expect(edit.rules).toEqual([...toEdit.rules, ...view.rules]);
    const admin = await json(['get', 'clusterrole', 'admin']);
    expect(admin.rules).toEqual([...edit.rules, ...(await json(['get', 'clusterrole', 'system:aggregate-to-admin'])).rules]);
    const described = (await tc.kubectl(['describe', 'clusterrole', 'view'])).stdout;
    expect(described).toMatch(/^Name:\s+view$/m);
    expect(described).toMatch(/^\s+pods\/log\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(described).toMatch(/^\s+poddisruptionbudgets\.policy\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  });

  it('follows a ClusterRole labelled aggregate-to-view in and out', async () => {
    const rule = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] };
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
        rules: [rule],
      }),
    });
    await untilPasses(async () => {
      for (const name of ['view', 'edit', 'admin']) expect((await json(['get', 'clusterrole', name])).rules).toContainEqual(rule);
    });
    const view = (await api(tc.cluster, 'GET', `${RBAC}/clusterroles/view`)).json();
    // view's rules stay in name order: system:aggregate-to-view's, then widgets-view's.
    expect(view.rules.at(-1)).toEqual(rule);
    expect(view.metadata.managedFields.map((m: { manager: string; operation: string }) => [m.manager, m.operation])).toContainEqual([
      'clusterrole-aggregation-controller',
      'Apply',
    ]);
    await tc.kubectl(['delete', 'clusterrole', 'widgets-view']);
    await untilPasses(async () => {
      for (const name of ['view', 'edit', 'admin']) expect((await json(['get', 'clusterrole', name])).rules).not.toContainEqual(rule);
    });
    expect((await json(['get', 'clusterrole', 'view'])).rules).toHaveLength(10);
  });
});

describe('the Python client', () => {
  it('creates a RoleBinding and reads it back', async () => {
    const got = await pythonJson(tc, {
      code: `
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
rbac = client.RbacAuthorizationV1Api()
# RbacV1Subject in newer clients, V1Subject in older ones (Debian's)
Subject = getattr(client, "RbacV1Subject", None) or client.V1Subject
body = client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="py-binding"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
    subjects=[Subject(kind="User", name="dave", api_group="rbac.authorization.k8s.io"),
              Subject(kind="ServiceAccount", name="default", namespace="default")],
)
rbac.create_namespaced_role_binding("default", body)
rb = rbac.read_namespaced_role_binding("py-binding", "default")
names = [b.metadata.name for b in rbac.list_namespaced_role_binding("default").items]
print(json.dumps({"roleRef": [rb.role_ref.kind, rb.role_ref.name], "subjects": [[s.kind, s.name, s.namespace] for s in rb.subjects], "listed": "py-binding" in names}))
`,
    });
    expect(got).toEqual({
      roleRef: ['ClusterRole', 'view'],
      subjects: [
        ['User', 'dave', null],
        ['ServiceAccount', 'default', 'default'],
      ],
      listed: true,
    });
    expect((await table(['get', 'rolebinding', 'py-binding', '-o', 'wide', '--no-headers']))[0]).toEqual([
      'py-binding',
      'ClusterRole/view',
      expect.stringMatching(/^\d+s$/),
      'dave',
      'default/default',
    ]);
  });
});
