#!/usr/bin/env node
// Writes src/registry/rbac/bootstrap-policy.generated.ts: Kubernetes v1.32's bootstrap RBAC policy
// (the ClusterRoles, ClusterRoleBindings, Roles and RoleBindings kube-apiserver reconciles at every
// start), as data, from upstream's fixtures of it: the directory
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/ of a v1.32 tree, whose YAML files
// upstream's policy tests regenerate from the policy with the default feature gates of the release:
//   node scripts/gen-rbac-policy.mjs <kubernetes v1.32>/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata
// Objects keep upstream's order and metadata (the autoupdate annotation, the rbac-defaults label,
// aggregate-to-* labels); `creationTimestamp: null` and `rules: null` are dropped.
//
// The v1.32 tree this was generated from was OpenShift's fork of Kubernetes 1.32 (openshift/kubernetes
// as vendored by openshift/microshift's release-4.19 branch), which adds four things of its own to
// the policy. They are taken out below, by name; on upstream's own fixtures each removal finds
// nothing to remove.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: gen-rbac-policy.mjs <kubernetes v1.32>/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata');
  process.exit(2);
}
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src/registry/rbac/bootstrap-policy.generated.ts');

const items = (file) => yaml.load(readFileSync(join(dir, file), 'utf8')).items;

/** The fork's additions (see above): whole objects by name, and resources added to upstream's rules. */
const NOT_UPSTREAM_OBJECTS = new Set(['system:openshift:public-info-viewer']);
const NOT_UPSTREAM_RESOURCES = {
  // upstream dropped write access to endpoints from the edit role in 1.22 (CVE-2021-25740); the fork keeps it
  'system:aggregate-to-edit': ['endpoints'],
  // the fork's restricted EndpointSlices admission
  'system:controller:endpointslice-controller': ['endpointslices/restricted'],
  'system:controller:endpointslicemirroring-controller': ['endpointslices/restricted'],
};
let removed = 0;

function clean(o) {
  const { creationTimestamp, ...metadata } = o.metadata;
  void creationTimestamp;
  const obj = { ...o, metadata };
  if (obj.rules === null) delete obj.rules;
  const drop = NOT_UPSTREAM_RESOURCES[metadata.name];
  if (drop && obj.rules) {
    obj.rules = obj.rules
      .map((r) => {
        if (!r.resources?.some((x) => drop.includes(x))) return r;
        removed++;
        return { ...r, resources: r.resources.filter((x) => !drop.includes(x)) };
      })
      .filter((r) => !r.resources || r.resources.length > 0);
  }
  return obj;
}

function load(...files) {
  const objs = [];
  for (const f of files)
    for (const o of items(f)) {
      if (NOT_UPSTREAM_OBJECTS.has(o.metadata.name)) {
        removed++;
        continue;
      }
      objs.push(clean(o));
    }
  return objs;
}

const sets = {
  CLUSTER_ROLES: load('cluster-roles.yaml', 'controller-roles.yaml'),
  CLUSTER_ROLE_BINDINGS: load('cluster-role-bindings.yaml', 'controller-role-bindings.yaml'),
  ROLES: load('namespace-roles.yaml'),
  ROLE_BINDINGS: load('namespace-role-bindings.yaml'),
};
const TYPES = { CLUSTER_ROLES: 'ClusterRole', CLUSTER_ROLE_BINDINGS: 'ClusterRoleBinding', ROLES: 'Role', ROLE_BINDINGS: 'RoleBinding' };

/** Keys in the order of upstream's Go structs (what its JSON encoder writes); unknown keys last. */
const ORDER = {
  object: ['metadata', 'subjects', 'roleRef', 'rules', 'aggregationRule'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
  rule: ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'],
  subject: ['kind', 'apiGroup', 'name', 'namespace'],
  roleRef: ['apiGroup', 'kind', 'name'],
};
function ordered(o, keys) {
  const rest = Object.keys(o).filter((k) => !keys.includes(k));
  return Object.fromEntries([...keys.filter((k) => k in o), ...rest].map((k) => [k, o[k]]));
}

function withoutTypeMeta(o) {
  const { apiVersion, kind, ...rest } = o;
  void apiVersion;
  void kind;
  const obj = ordered(rest, ORDER.object);
  obj.metadata = ordered(obj.metadata, ORDER.metadata);
  if (obj.rules) obj.rules = obj.rules.map((r) => ordered(r, ORDER.rule));
  if (obj.subjects) obj.subjects = obj.subjects.map((s) => ordered(s, ORDER.subject));
  if (obj.roleRef) obj.roleRef = ordered(obj.roleRef, ORDER.roleRef);
  return obj;
}

const data = JSON.stringify(Object.fromEntries(Object.entries(sets).map(([name, objs]) => [name, objs.map(withoutTypeMeta)])));
const body = `export interface BootstrapPolicy {
${Object.keys(sets)
  .map((name) => `  ${name}: Policy<${TYPES[name]}>[];`)
  .join('\n')}
}

/** A fresh copy of the policy objects. */
export const bootstrapPolicy = (): BootstrapPolicy => JSON.parse(POLICY) as BootstrapPolicy;

const POLICY = ${JSON.stringify(data)};`;

writeFileSync(
  out,
  `// Generated by scripts/gen-rbac-policy.mjs from Kubernetes v1.32's bootstrap policy fixtures
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/{cluster-roles,controller-roles,cluster-role-bindings,
// controller-role-bindings,namespace-roles,namespace-role-bindings}.yaml): upstream's data, do not edit.
// Each object as in the fixtures, without apiVersion and kind (those of its list) and creationTimestamp.
// One JSON text, parsed when the bootstrap runs: the objects are garbage after it (as literals they
// would stay in the heap for the process's life), and JSON.parse reads them faster than literals.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../api/generated/rbac/v1.js';
import type { ObjectMeta } from '../../apimachinery/types.js';

/** A bootstrap object: its kind's fields with the metadata the fixtures give it. */
export type Policy<T> = Omit<T, 'apiVersion' | 'kind' | 'metadata'> & { metadata: ObjectMeta & { name: string } };

${body}
`,
);
const n = Object.values(sets).map((s) => s.length);
console.log(
  `wrote ${out}: ${n[0]} ClusterRoles, ${n[1]} ClusterRoleBindings, ${n[2]} Roles, ${n[3]} RoleBindings (${removed} additions of the fork removed)`,
);
