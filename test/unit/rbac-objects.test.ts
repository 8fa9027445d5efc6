// The RBAC kinds' validation and defaults (upstream pkg/apis/rbac/validation, pkg/apis/rbac/v1
// defaults), ClusterRole aggregation's rule order, and the bootstrap policy's reconciliation
// (create, union with what users added, autoupdate "false", roleRef changes) on a real store.
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/storage/store.js';
import { Registry } from '../../src/registry/generic-store.js';
import { resolveConfig } from '../../src/config/options.js';
import { allResourceDefs, requireDef } from '../../src/registry/kinds.js';
import { SYSTEM_NAMESPACES } from '../../src/registry/bootstrap.js';
import { clusterRoleDef, roleDef, type ClusterRoleObj } from '../../src/registry/rbac/roles.js';
import { clusterRoleBindingDef, roleBindingDef, subjectsStrings } from '../../src/registry/rbac/bindings.js';
import { pathSegmentName, validateRoleRefUnchanged } from '../../src/registry/rbac/validation.js';
import { aggregatedRules } from '../../src/registry/rbac/aggregation.js';
import { bootstrapRBAC, reconcileBinding, reconcileRole } from '../../src/registry/rbac/bootstrap-policy.js';
import { bootstrapPolicy } from '../../src/registry/rbac/bootstrap-policy.generated.js';

const { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS } = bootstrapPolicy();
import type { PolicyRule } from '../../src/api/generated/rbac/v1.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { WriteContext } from '../../src/registry/types.js';

const ctx = { now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
const msgs = (e: { field: string; body: string }[]) => e.map((x) => `${x.field}: ${x.body}`);
const RBAC = 'rbac.authorization.k8s.io';
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}) });

describe('RBAC validation', () => {
  it('checks rules as ValidatePolicyRule does', () => {
    const role = (rules: PolicyRule[]) => roleDef.validate!({ metadata: meta('r', 'ns'), rules } as KubeObject, ctx);
    const cr = (rules: PolicyRule[]) => clusterRoleDef.validate!({ metadata: meta('r'), rules } as KubeObject, ctx);
    expect(role([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }])).toEqual([]);
    expect(msgs(role([{ resources: ['pods'] } as PolicyRule]))).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    ]);
    expect(msgs(role([{ verbs: ['get'], apiGroups: [''] }]))).toEqual([
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
    // Non-resource URLs: cluster roles only, and never beside resources.
    expect(cr([{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez'] }])).toEqual([]);
    expect(msgs(role([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]))).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(msgs(cr([{ verbs: ['get'], nonResourceURLs: ['/x'], resourceNames: ['n'] }]))).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
  });

  it('checks aggregation selectors', () => {
    const cr = (aggregationRule: unknown) => msgs(clusterRoleDef.validate!({ metadata: meta('a'), aggregationRule } as KubeObject, ctx));
    expect(cr({ clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] })).toEqual([]);
    expect(cr({})).toEqual([
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
    expect(cr({ clusterRoleSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }] })).toEqual([
      "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'aggregationRule.clusterRoleSelectors[0]: Invalid value: "null": invalid label selector.',
    ]);
  });

  it('checks roleRef and subjects as ValidateRoleBinding and ValidateClusterRoleBinding do', () => {
    const rb = (o: object) => msgs(roleBindingDef.validate!({ metadata: meta('b', 'ns'), ...o } as KubeObject, ctx));
    const crb = (o: object) => msgs(clusterRoleBindingDef.validate!({ metadata: meta('b'), ...o } as KubeObject, ctx));
    const ref = { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' };
    expect(rb({ roleRef: ref, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] })).toEqual([]);
    expect(rb({ roleRef: { apiGroup: 'x', kind: 'Thing', name: '..' } })).toEqual([
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
      `roleRef.name: Invalid value: "..": may not be '..'`,
    ]);
    expect(crb({ roleRef: { ...ref, kind: 'Role', name: '' } })).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'roleRef.name: Required value',
    ]);
    // A ServiceAccount needs a namespace in a cluster-wide binding only; its name is a DNS subdomain.
    expect(crb({ roleRef: ref, subjects: [{ kind: 'ServiceAccount', name: 'Bad_Name', apiGroup: 'v1' }] })).toEqual([
      "subjects[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      'subjects[0].apiGroup: Unsupported value: "v1": supported values: ""',
      'subjects[0].namespace: Required value',
    ]);
    expect(
      crb({ roleRef: ref, subjects: [{ kind: 'User', name: 'u', apiGroup: 'other' }, { kind: 'Robot', name: 'r' }, { kind: 'Group' }] }),
    ).toEqual([
      'subjects[0].apiGroup: Unsupported value: "other": supported values: "rbac.authorization.k8s.io"',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[2].name: Required value',
      'subjects[2].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
    ]);
  });

  it('keeps roleRef immutable and reports each error of an update twice in the causes', () => {
    const ref = { apiGroup: RBAC, kind: 'Role', name: 'a' };
    expect(msgs(validateRoleRefUnchanged({ ...ref, name: 'b' }, ref))).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef',
    ]);
    expect(validateRoleRefUnchanged(ref, { ...ref })).toEqual([]);
    const bad = { metadata: meta('r', 'ns'), rules: [{ apiGroups: [''], resources: ['pods'] }] } as KubeObject;
    expect(msgs(roleDef.validateUpdate!(bad, bad, ctx))).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].verbs: Required value: verbs must contain at least one value',
    ]);
  });

  it('names roles and bindings by path segments', () => {
    expect(pathSegmentName('system:controller:job-controller')).toEqual([]);
    expect(pathSegmentName('.')).toEqual(["may not be '.'"]);
    expect(pathSegmentName('a/b%c')).toEqual(["may not contain '/'", "may not contain '%'"]);
  });

  it('defaults the groups of roleRef, Users and Groups (not ServiceAccounts)', () => {
    const b = {
      metadata: meta('b', 'ns'),
      roleRef: { kind: 'Role', name: 'r' },
      subjects: [
        { kind: 'User', name: 'u' },
        { kind: 'Group', name: 'g' },
        { kind: 'ServiceAccount', name: 's' },
      ],
    } as unknown as KubeObject;
    roleBindingDef.defaults!(b, ctx);
    expect(b.roleRef).toEqual({ apiGroup: RBAC, kind: 'Role', name: 'r' });
    expect(Object.keys(b.roleRef as object)).toEqual(['apiGroup', 'kind', 'name']);
    expect(b.subjects).toEqual([
      { kind: 'User', apiGroup: RBAC, name: 'u' },
      { kind: 'Group', apiGroup: RBAC, name: 'g' },
      { kind: 'ServiceAccount', name: 's' },
    ]);
    const none = { metadata: meta('b') } as KubeObject;
    clusterRoleBindingDef.defaults!(none, ctx);
    expect(none.roleRef).toEqual({ apiGroup: RBAC });
  });

  it('prints bindings as printRoleBinding does', () => {
    const b = {
      metadata: { ...meta('b', 'ns'), creationTimestamp: new Date(Date.now() - 125_000).toISOString() },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'u1' },
        { kind: 'ServiceAccount', name: 's', namespace: 'kube-system' },
        { kind: 'User', name: 'u2' },
        { kind: 'Group', name: 'g' },
      ],
    } as unknown as KubeObject;
    expect(roleBindingDef.table.row(b, new Date())).toEqual(['b', 'ClusterRole/view', '2m5s', 'u1, u2', 'g', 'kube-system/s']);
    expect(roleBindingDef.table.columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Role', 0],
      ['Age', 0],
      ['Users', 1],
      ['Groups', 1],
      ['ServiceAccounts', 1],
    ]);
    expect(subjectsStrings(undefined)).toEqual({ users: [], groups: [], sas: [] });
    const r = { metadata: { ...meta('r'), creationTimestamp: '2024-05-06T07:08:09Z' } } as KubeObject;
    expect(clusterRoleDef.table.row(r, new Date())).toEqual(['r', '2024-05-06T07:08:09Z']);
    expect(clusterRoleDef.table.columns.map((c) => c.name)).toEqual(['Name', 'Created At']);
  });
});

describe('ClusterRole aggregation', () => {
  const cr = (name: string, labels: Record<string, string>, rules: PolicyRule[], aggregationRule?: object): ClusterRoleObj =>
    ({ metadata: { name, labels }, rules, ...(aggregationRule ? { aggregationRule } : {}) }) as ClusterRoleObj;
  const r = (verb: string, resource: string): PolicyRule => ({ verbs: [verb], apiGroups: [''], resources: [resource] });

  it('takes the rules of each selector in turn, its roles by name, each rule once, itself left out', () => {
    const agg = cr('agg', { a: 'true' }, [r('get', 'stale')], {
      clusterRoleSelectors: [{ matchLabels: { b: 'true' } }, { matchLabels: { a: 'true' } }],
    });
    const all = [
      agg,
      cr('zeta', { a: 'true' }, [r('get', 'z'), r('get', 'shared')]),
      cr('alpha', { a: 'true' }, [r('get', 'a')]),
      cr('mid', { b: 'true' }, [r('get', 'm'), { apiGroups: [''], resources: ['shared'], verbs: ['get'] }]),
      cr('other', {}, [r('get', 'o')]),
    ];
    expect(aggregatedRules(agg, all)!.map((x) => x.resources![0])).toEqual(['m', 'shared', 'a', 'z']);
    // matchExpressions too; an empty selector selects every ClusterRole.
    const exprs = cr('e', {}, [], { clusterRoleSelectors: [{ matchExpressions: [{ key: 'b', operator: 'Exists' }] }] });
    expect(aggregatedRules(exprs, all)!.map((x) => x.resources![0])).toEqual(['m', 'shared']);
    const everything = cr('e', {}, [], { clusterRoleSelectors: [{}] });
    expect(aggregatedRules(everything, all)!.map((x) => x.resources![0])).toEqual(['stale', 'a', 'm', 'shared', 'o', 'z']);
    expect(aggregatedRules(cr('plain', {}, []), all)).toBeUndefined();
  });

  it('treats an absent list and an empty one alike when removing repeats', () => {
    const agg = cr('agg', {}, [], { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] });
    const all = [
      agg,
      cr('a', { x: 'y' }, [{ verbs: ['get'], nonResourceURLs: ['/h'] }]),
      cr('b', { x: 'y' }, [{ verbs: ['get'], nonResourceURLs: ['/h'], resources: [] }]),
    ];
    expect(aggregatedRules(agg, all)).toEqual([{ verbs: ['get'], nonResourceURLs: ['/h'] }]);
  });
});

describe('bootstrap policy', () => {
  function cluster() {
    const store = new Store();
    const registry = new Registry(store, resolveConfig({}));
    const defs = allResourceDefs();
    const nsDef = requireDef(defs, '', 'namespaces');
    for (const name of SYSTEM_NAMESPACES) registry.create(nsDef, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return { store, registry, defs };
  }
  const get = (store: Store, resource: string, name: string, ns = '') =>
    store.get(`${RBAC}/${resource}`, ns, name) as KubeObject & Record<string, any>;

  it('creates upstream’s v1.32 policy once, with admin, edit and view aggregated', () => {
    const { store, registry, defs } = cluster();
    const first = bootstrapRBAC(registry, defs);
    expect(first.created).toHaveLength(CLUSTER_ROLES.length + CLUSTER_ROLE_BINDINGS.length + ROLES.length + ROLE_BINDINGS.length);
    expect([CLUSTER_ROLES.length, CLUSTER_ROLE_BINDINGS.length, ROLES.length, ROLE_BINDINGS.length]).toEqual([65, 46, 7, 7]);
    const admin = get(store, 'clusterroles', 'cluster-admin');
    expect(admin.metadata.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
    expect(admin.metadata.labels).toEqual({ 'kubernetes.io/bootstrapping': 'rbac-defaults' });
    expect(admin.metadata.managedFields![0]).toMatchObject({ manager: 'kube-apiserver', operation: 'Update' });
    expect(admin.rules).toEqual([
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ]);
    const crb = get(store, 'clusterrolebindings', 'system:public-info-viewer');
    expect(crb.subjects.map((s: { name: string }) => s.name)).toEqual(['system:authenticated', 'system:unauthenticated']);
    expect(get(store, 'clusterrolebindings', 'system:controller:job-controller').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'job-controller', namespace: 'kube-system' },
    ]);
    expect(get(store, 'roles', 'system:controller:bootstrap-signer', 'kube-public').rules[1].resourceNames).toEqual(['cluster-info']);
    // view < edit < admin, each as the aggregation controller computes it.
    const roles = store.listObjects(`${RBAC}/clusterroles`) as ClusterRoleObj[];
    for (const name of ['view', 'edit', 'admin']) {
      const role = roles.find((r) => r.metadata.name === name)!;
      expect(role.rules).toEqual(aggregatedRules(role, roles));
    }
    expect(get(store, 'clusterroles', 'view').rules).toHaveLength(10);
    expect(get(store, 'clusterroles', 'edit').rules).toHaveLength(23);
    expect(get(store, 'clusterroles', 'admin').rules).toHaveLength(25);
    // A restart writes nothing.
    const rev = store.rev;
    expect(bootstrapRBAC(registry, defs)).toEqual({ created: [], updated: [], recreated: [], protectedSkipped: [] });
    expect(store.rev).toBe(rev);
  });

  it('puts back what is missing, keeps what users added, and leaves autoupdate "false" alone', () => {
    const { store, registry, defs } = cluster();
    bootstrapRBAC(registry, defs);
    const crDef = requireDef(defs, RBAC, 'clusterroles');
    const crbDef = requireDef(defs, RBAC, 'clusterrolebindings');
    // basic-user loses a rule and gains another; discovery is protected and loses its rule;
    // cluster-admin is deleted; a binding loses a subject and gets another; one is re-pointed.
    const basic = get(store, 'clusterroles', 'system:basic-user');
    store.txn((tx) => {
      tx.update(`${RBAC}/clusterroles`, { ...basic, rules: [basic.rules[1], { verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
      const disc = get(store, 'clusterroles', 'system:discovery');
      tx.update(`${RBAC}/clusterroles`, {
        ...disc,
        metadata: { ...disc.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' }, labels: { mine: 'x' } },
        rules: [],
      });
      const pub = get(store, 'clusterrolebindings', 'system:public-info-viewer');
      tx.update(`${RBAC}/clusterrolebindings`, { ...pub, subjects: [pub.subjects[1], { kind: 'User', apiGroup: RBAC, name: 'me' }] });
    });
    registry.delete(crDef, '', 'cluster-admin');
    const vs = get(store, 'clusterrolebindings', 'system:volume-scheduler');
    registry.delete(crbDef, '', 'system:volume-scheduler');
    store.txn((tx) =>
      tx.create(`${RBAC}/clusterrolebindings`, {
        ...vs,
        metadata: { ...vs.metadata, resourceVersion: undefined },
        roleRef: { ...vs.roleRef, name: 'view' },
      }),
    );

    const res = bootstrapRBAC(registry, defs);
    expect(res.created).toEqual(['ClusterRole/cluster-admin']);
    expect(res.updated.sort()).toEqual(['ClusterRole/system:basic-user', 'ClusterRoleBinding/system:public-info-viewer']);
    expect(res.recreated).toEqual(['ClusterRoleBinding/system:volume-scheduler']);
    expect(res.protectedSkipped).toEqual(['ClusterRole/system:discovery']);
    // The missing rule comes back as upstream's single-verb pieces, after the user's rules.
    expect(get(store, 'clusterroles', 'system:basic-user').rules).toEqual([
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      expect.objectContaining({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] }),
      expect.objectContaining({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'] }),
    ]);
    expect(get(store, 'clusterroles', 'system:discovery').rules).toEqual([]);
    expect(get(store, 'clusterrolebindings', 'system:public-info-viewer').subjects.map((s: { name: string }) => s.name)).toEqual([
      'system:unauthenticated',
      'me',
      'system:authenticated',
    ]);
    expect(get(store, 'clusterrolebindings', 'system:volume-scheduler').roleRef.name).toBe('system:volume-scheduler');
    expect(get(store, 'clusterroles', 'cluster-admin').metadata.annotations).toEqual({
      'rbac.authorization.kubernetes.io/autoupdate': 'true',
    });
  });

  it('reconciles labels, annotations and aggregation selectors as computeReconciledRole does', () => {
    const want = CLUSTER_ROLES.find((r) => r.metadata.name === 'edit')!;
    const cur = {
      metadata: { name: 'edit', labels: { mine: 'x', 'kubernetes.io/bootstrapping': 'changed' } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { own: 'true' } }] },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['x'] }],
    } as KubeObject;
    const plan = reconcileRole(cur, want);
    expect(plan.op).toBe('update');
    const next = (plan as { obj: KubeObject & Record<string, any> }).obj;
    // The existing values win; the missing expected ones are added.
    expect(next.metadata.labels).toEqual({
      mine: 'x',
      'kubernetes.io/bootstrapping': 'changed',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(next.metadata.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
    expect(next.aggregationRule.clusterRoleSelectors).toEqual([
      { matchLabels: { own: 'true' } },
      { matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } },
    ]);
    // Aggregated rules are the controller's: not reconciled.
    expect(next.rules).toEqual(cur.rules);
    // A role that should not be aggregated loses its aggregation.
    const basic = CLUSTER_ROLES.find((r) => r.metadata.name === 'system:basic-user')!;
    const aggregatedBasic = { ...basic, metadata: { ...basic.metadata }, aggregationRule: { clusterRoleSelectors: [{}] } } as KubeObject;
    const p2 = reconcileRole(aggregatedBasic, basic) as { op: string; obj: KubeObject };
    expect(p2.op).toBe('update');
    expect(p2.obj.aggregationRule).toBeUndefined();
    expect(reconcileRole({ ...basic } as KubeObject, basic)).toEqual({ op: 'none' });
    const binding = CLUSTER_ROLE_BINDINGS.find((b) => b.metadata.name === 'cluster-admin')!;
    expect(reconcileBinding({ ...binding } as KubeObject & typeof binding, binding)).toEqual({ op: 'none' });
  });
});
