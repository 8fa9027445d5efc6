// Node (core/v1, cluster-scoped): registration data from the node agent, printed like
// upstream printNode (STATUS from the Ready condition, ROLES from node-role labels).
import { schemas, type Node } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { validateCIDR, validateImmutable, validateQualifiedName } from '../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from './printers.js';

export type NodeObj = Obj<Node>;

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export function validateNode(node: NodeObj): FieldError[] {
  const errs: FieldError[] = [];
  const s = node.spec ?? {};
  (s.podCIDRs ?? []).forEach((c, i) => errs.push(...validateCIDR(c, `spec.podCIDRs[${i}]`)));
  if (s.podCIDRs && s.podCIDRs.length > 2)
    errs.push(fieldErr.invalid('spec.podCIDRs', s.podCIDRs, 'may specify no more than one CIDR for each IP family'));
  const seen = new Set<string>();
  (s.taints ?? []).forEach((t, i) => {
    const base = `spec.taints[${i}]`;
    errs.push(...validateQualifiedName(t.key ?? '', `${base}.key`));
    if (!t.effect) errs.push(fieldErr.required(`${base}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(fieldErr.notSupported(`${base}.effect`, t.effect, TAINT_EFFECTS));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push(fieldErr.duplicate(base, `${t.key}=${t.value ?? ''}:${t.effect}`));
    seen.add(k);
  });
  return errs;
}

function validateNodeUpdate(node: NodeObj, old: NodeObj): FieldError[] {
  const errs = validateNode(node);
  const s = node.spec ?? {};
  const o = old.spec ?? {};
  // podCIDRs and providerID may be set once, never changed.
  if (o.podCIDRs?.length) errs.push(...validateImmutable(s.podCIDRs, o.podCIDRs, 'spec.podCIDRs'));
  if (o.providerID && s.providerID !== o.providerID)
    errs.push(fieldErr.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

export function nodeRow(node: NodeObj, now: Date): unknown[] {
  const st = node.status ?? {};
  const status: string[] = [];
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (!status.length) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const addr = (t: string) => st.addresses?.find((a) => a.type === t)?.address ?? '<none>';
  const info = st.nodeInfo;
  return [
    node.metadata.name,
    status.join(','),
    roles.size ? [...roles].sort().join(',') : '<none>',
    age(node, now),
    info?.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

export const nodeDef = defineKind<NodeObj>({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  get schema() {
    return schemas.Node;
  },
  openapiName: 'io.k8s.api.core.v1.Node',
  statusSubresource: true,
  defaults(node) {
    const s = (node.spec ??= {});
    // v1 podCIDR is podCIDRs[0] (upstream conversion keeps them in step).
    if (s.podCIDR && !s.podCIDRs?.length) s.podCIDRs = [s.podCIDR];
    if (s.podCIDRs?.length) s.podCIDR = s.podCIDRs[0];
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
  },
  validate: (node) => validateNode(node),
  validateUpdate: (node, old) => validateNodeUpdate(node, old),
  validateStatusUpdate: (node) => validateNode(node),
  table: {
    columns: [
      nameColumn(),
      column('Status', 'The status of the node'),
      column('Roles', 'The roles of the node'),
      ageColumn(),
      column('Version', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      column('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      column('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      column('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      column('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    row: nodeRow,
  },
  fieldSelectors: {
    'spec.unschedulable': (n) => (n.spec?.unschedulable ? 'true' : 'false'),
  },
});
