// The diff under upstream's "pod updates may not change fields other than ..." error. Upstream
// prints cmp.Diff(oldPod.Spec, mungedPodSpec) of the internal core.PodSpec (github.com/google/go-cmp
// report format). This module re-creates that report from the JSON objects: a Go type model is
// derived from the generated Pod schemas (types) and upstream's types.go layout (go-fields.ts: field
// order, Go field names, embedded structs), plus pointers and the internal PodSpec layout where
// hostNetwork & co. live in securityContext; the values are
// compared into a tree with go-cmp's counters, and the tree is printed with go-cmp's rules
// (2 records of context, "... // N identical fields", key alignment, compact one-line values,
// types on changed values, resource.Quantity as its struct). go-cmp documents its output as
// unstable and randomly uses U+00A0 after the +/- markers; tinykube always uses plain spaces.
// Slices are aligned by a longest-common-subsequence script, an approximation of go-cmp's.
import { schemas } from '../../api/generated/core/v1.js';
import type { Schema } from '../../apimachinery/schema.js';
import { compareQuantity, parseQuantity } from '../../apimachinery/quantity.js';
import { GO_FIELDS } from './go-fields.js';

// ---- Go type model ----

interface GoField {
  name: string;
  /** JSON key; absent for an embedded struct, which reads the same object. */
  json?: string;
  type: GoType;
}
type GoType =
  | { k: 'scalar'; s: 'string' | 'int' | 'bool'; go: string }
  | { k: 'struct'; name: string; fields: GoField[]; view?: (v: unknown) => Json; equal?: (a: unknown, b: unknown) => boolean }
  | { k: 'ptr'; elem: GoType }
  | { k: 'slice'; elem: GoType }
  | { k: 'map'; name: string; elem: GoType; stringerKeys: boolean }
  | { k: 'free'; name: string };
type Json = Record<string, unknown>;

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INTSTR = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** A JSON name as a Go field name, where go-fields.ts does not tell (free-form objects). */
const goFieldName = (json: string) => json.charAt(0).toUpperCase() + json.slice(1);
const jsonName = (go: string) => go.charAt(0).toLowerCase() + go.slice(1);

/** Optional scalars that are pointers in the internal Go types (owner-qualified where it matters). */
const PTR_SCALARS = new Set([
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'automountServiceAccountToken',
  'priority',
  'preemptionPolicy',
  'runtimeClassName',
  'enableServiceLinks',
  'setHostnameAsFQDN',
  'hostUsers',
  'shareProcessNamespace',
  'defaultMode',
  'mode',
  'optional',
  'tolerationSeconds',
  'runAsUser',
  'runAsGroup',
  'runAsNonRoot',
  'fsGroup',
  'fsGroupChangePolicy',
  'supplementalGroupsPolicy',
  'seLinuxChangePolicy',
  'privileged',
  'allowPrivilegeEscalation',
  'readOnlyRootFilesystem',
  'procMount',
  'mountPropagation',
  'recursiveReadOnly',
  'localhostProfile',
  'minDomains',
  'nodeAffinityPolicy',
  'nodeTaintsPolicy',
  'hostProcess',
  'resourceClaimName',
  'resourceClaimTemplateName',
  'signerName',
  // Optional scalars of the volume sources, affinity and claim templates (types.go: pointers).
  'initiatorName',
  'storageClassName',
  'volumeMode',
  'volumeAttributesClassName',
  'apiGroup',
  'deletionGracePeriodSeconds',
  'controller',
  'blockOwnerDeletion',
  'core.AzureDiskVolumeSource.cachingMode',
  'core.AzureDiskVolumeSource.fsType',
  'core.AzureDiskVolumeSource.readOnly',
  'core.AzureDiskVolumeSource.kind',
  'core.CSIVolumeSource.readOnly',
  'core.CSIVolumeSource.fsType',
  'core.FCVolumeSource.lun',
  'core.TypedObjectReference.namespace',
  'core.Container.restartPolicy',
  'core.EphemeralContainerCommon.restartPolicy',
  'core.HostPathVolumeSource.type',
  'core.EmptyDirVolumeSource.sizeLimit',
]);
const PTR_SCALARS_NOT = new Set(['core.ClusterTrustBundleProjection.optional']);
/** Optional struct fields that are values, not pointers. */
const VALUE_STRUCTS = new Set([
  'core.Container.resources',
  'core.EphemeralContainerCommon.resources',
  'core.PersistentVolumeClaimTemplate.metadata',
  'core.PersistentVolumeClaimSpec.resources',
]);
const str = (go = 'string'): GoType => ({ k: 'scalar', s: 'string', go });
const int = (go = 'int32'): GoType => ({ k: 'scalar', s: 'int', go });

const quantityType: GoType = {
  k: 'struct',
  name: 'resource.Quantity',
  fields: [
    {
      name: 'i',
      json: 'i',
      type: {
        k: 'struct',
        name: 'resource.int64Amount',
        fields: [
          { name: 'value', json: 'value', type: int('int64') },
          { name: 'scale', json: 'scale', type: int('resource.Scale') },
        ],
      },
    },
    { name: 's', json: 's', type: str() },
    { name: 'Format', json: 'Format', type: str('resource.Format') },
  ],
  view(v) {
    const q = parseQuantity(v);
    return q ? { i: { value: q.value, scale: q.scale }, s: q.cached ?? '', Format: q.format } : {};
  },
  equal(a, b) {
    const x = a === undefined || a === null ? undefined : parseQuantity(a);
    const y = b === undefined || b === null ? undefined : parseQuantity(b);
    if (!x || !y) return !x && !y;
    return compareQuantity(x, y) === 0 && x.format === y.format;
  },
};
const intstrType: GoType = {
  k: 'struct',
  name: 'intstr.IntOrString',
  fields: [
    { name: 'Type', json: 'Type', type: int('intstr.Type') },
    { name: 'IntVal', json: 'IntVal', type: int() },
    { name: 'StrVal', json: 'StrVal', type: str() },
  ],
  view: (v) => (typeof v === 'string' ? { Type: 1, StrVal: v } : typeof v === 'number' ? { IntVal: v } : {}),
};

const structs = new Map<string, GoType>();

function goTypeName(schemaName: string): string {
  const m = /^io\.k8s\.api\.core\.v1\.(.+)$/.exec(schemaName) ?? /^io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.(.+)$/.exec(schemaName);
  if (!m) return schemaName;
  return schemaName.startsWith('io.k8s.api.core') ? `core.${m[1]}` : `v1.${m[1]}`;
}

function typeOf(s: Schema, owner: string, json: string, required: boolean): GoType {
  const named = s['x-tinykube-name'];
  const qualified = `${owner}.${json}`;
  const ptr = (t: GoType): GoType => (required ? t : { k: 'ptr', elem: t });
  if (named === QUANTITY) return PTR_SCALARS.has(qualified) ? { k: 'ptr', elem: quantityType } : quantityType;
  if (named === INTSTR) return intstrType;
  // Untyped objects (FieldsV1): shown as their JSON.
  if (s['x-kubernetes-preserve-unknown-fields'] || (s.type === 'object' && !s.properties && typeof s.additionalProperties !== 'object'))
    return ptr({ k: 'free', name: goTypeName(named ?? '') });
  if (s.type === 'array') return { k: 'slice', elem: typeOf(s.items!, owner, json, true) };
  if (s.type === 'object' && s.properties) {
    const t = structOf(s);
    return VALUE_STRUCTS.has(qualified) ? t : ptr(t);
  }
  if (s.type === 'object') {
    const go = s['x-tinykube-go'];
    const elem = typeOf(s.additionalProperties as Schema, owner, json, true);
    if (go === 'v1.ResourceList') return { k: 'map', name: 'core.ResourceList', elem, stringerKeys: true };
    return { k: 'map', name: `map[string]${typeString(elem)}`, elem, stringerKeys: false };
  }
  let t: GoType;
  if (s.type === 'integer') t = int(s.format === 'int64' ? 'int64' : 'int32');
  else if (s.type === 'boolean') t = { k: 'scalar', s: 'bool', go: 'bool' };
  else t = str((s['x-tinykube-go'] ?? 'string').replace(/^v1\./, 'core.'));
  const isPtr = !required && !PTR_SCALARS_NOT.has(qualified) && (PTR_SCALARS.has(json) || PTR_SCALARS.has(qualified));
  return isPtr ? { k: 'ptr', elem: t } : t;
}

/**
 * The Go fields of struct `name` (go-fields.ts), their types from `s`, the schema of the JSON
 * object: an embedded struct's fields are that object's too. A struct missing from the table
 * (none under PodSpec: the unit test checks) gets the schema's fields in its order.
 */
function fieldsOf(s: Schema, name: string): GoField[] {
  const props = s.properties ?? {};
  const req = new Set(s.required ?? []);
  const layout = GO_FIELDS[name];
  if (layout === undefined)
    return Object.entries(props).map(([k, v]) => ({ name: goFieldName(k), json: k, type: typeOf(v, name, k, req.has(k)) }));
  return layout.split(' ').map((f): GoField => {
    if (f.startsWith('...')) {
      const embedded = `${name.slice(0, name.indexOf('.'))}.${f.slice(3)}`;
      return { name: f.slice(3), type: { k: 'struct', name: embedded, fields: fieldsOf(s, embedded) } };
    }
    const [go, json = jsonName(go!)] = f.split(':') as [string, string?];
    const fs = props[json];
    if (!fs) throw new Error(`go-fields.ts: ${name}.${go} is not a field of ${String(s['x-tinykube-name'])}`);
    return { name: go, json, type: typeOf(fs, name, json, req.has(json)) };
  });
}

function structOf(s: Schema): GoType {
  const name = goTypeName(s['x-tinykube-name']!);
  const known = structs.get(name);
  if (known) return known;
  const t: GoType = { k: 'struct', name, fields: [] };
  structs.set(name, t);
  t.fields = fieldsOf(s, name);
  return t;
}

/** core.PodSpec as the apiserver holds it internally (field order of pkg/apis/core/types.go). */
const INTERNAL_POD_SPEC = [
  'volumes',
  'initContainers',
  'containers',
  'ephemeralContainers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'nodeSelector',
  'serviceAccountName',
  'automountServiceAccountToken',
  'nodeName',
  'securityContext',
  'imagePullSecrets',
  'hostname',
  'subdomain',
  'setHostnameAsFQDN',
  'affinity',
  'schedulerName',
  'tolerations',
  'hostAliases',
  'priorityClassName',
  'priority',
  'preemptionPolicy',
  'dnsConfig',
  'readinessGates',
  'runtimeClassName',
  'overhead',
  'enableServiceLinks',
  'topologySpreadConstraints',
  'os',
  'schedulingGates',
  'resourceClaims',
  'resources',
];
/** v1 PodSpec fields the internal type keeps in PodSecurityContext. */
const HOST_FIELDS = ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'hostUsers'];

let podSpecType: GoType | undefined;
function internalPodSpecType(): GoType {
  if (podSpecType) return podSpecType;
  const v1 = new Map(fieldsOf(schemas.PodSpec, 'core.PodSpec').map((f) => [f.json!, f]));
  const securityContext: GoType = {
    k: 'ptr',
    elem: {
      k: 'struct',
      name: 'core.PodSecurityContext',
      fields: [
        { name: 'HostNetwork', json: 'hostNetwork', type: { k: 'scalar', s: 'bool', go: 'bool' } },
        { name: 'HostPID', json: 'hostPID', type: { k: 'scalar', s: 'bool', go: 'bool' } },
        { name: 'HostIPC', json: 'hostIPC', type: { k: 'scalar', s: 'bool', go: 'bool' } },
        { name: 'ShareProcessNamespace', json: 'shareProcessNamespace', type: { k: 'ptr', elem: { k: 'scalar', s: 'bool', go: 'bool' } } },
        { name: 'HostUsers', json: 'hostUsers', type: { k: 'ptr', elem: { k: 'scalar', s: 'bool', go: 'bool' } } },
        ...fieldsOf(schemas.PodSecurityContext, 'core.PodSecurityContext'),
      ],
    },
  };
  podSpecType = {
    k: 'struct',
    name: 'core.PodSpec',
    fields: INTERNAL_POD_SPEC.map((k) =>
      k === 'securityContext' ? { name: 'SecurityContext', json: k, type: securityContext } : v1.get(k)!,
    ),
  };
  return podSpecType;
}

/** v1 PodSpec JSON → the internal layout (host namespaces inside securityContext, no serviceAccount). */
function toInternalSpec(spec: Json): Json {
  const out: Json = { ...spec };
  const sc: Json = { ...((spec.securityContext as Json | undefined) ?? {}) };
  for (const k of HOST_FIELDS) {
    if (out[k] !== undefined) sc[k] = out[k];
    delete out[k];
  }
  out.securityContext = sc;
  delete out.serviceAccount;
  return out;
}

function typeString(t: GoType): string {
  switch (t.k) {
    case 'scalar':
      return t.go;
    case 'struct':
    case 'free':
      return t.name;
    case 'ptr':
      return `*${typeString(t.elem)}`;
    case 'slice':
      return `[]${typeString(t.elem)}`;
    case 'map':
      return t.name;
  }
}

const isNil = (v: unknown) => v === undefined || v === null;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object a struct's fields are read from. */
function structView(t: Extract<GoType, { k: 'struct' }>, v: unknown): Json {
  if (t.view) return t.view(v);
  return isObj(v) ? v : {};
}
const fieldValue = (f: GoField, view: Json) => (f.json === undefined ? view : view[f.json]);

function isZero(t: GoType, v: unknown): boolean {
  switch (t.k) {
    case 'scalar':
      return isNil(v) || v === '' || v === 0 || v === 0n || v === false;
    case 'struct': {
      if (t.equal) return isNil(v);
      const view = structView(t, v);
      return t.fields.every((f) => isZero(f.type, fieldValue(f, view)));
    }
    default:
      return isNil(v);
  }
}

// ---- comparison tree (go-cmp's valueNode) ----

interface VNode {
  t: GoType;
  x: unknown;
  y: unknown;
  xv: boolean;
  yv: boolean;
  same: number;
  diff: number;
  children: number;
  depth: number;
  recs?: { key: string; node: VNode }[];
  val?: VNode;
  removed?: boolean;
  inserted?: boolean;
}

function leaf(n: VNode, equal: boolean): VNode {
  if (equal) n.same = 1;
  else n.diff = 1;
  return n;
}

function addChild(n: VNode, c: VNode): void {
  n.same += c.same;
  n.diff += c.diff;
  n.children += c.children + 1;
  n.depth = Math.max(n.depth, c.depth + 1);
}

function scalarNorm(t: Extract<GoType, { k: 'scalar' }>, v: unknown): unknown {
  if (isNil(v)) return t.s === 'string' ? '' : t.s === 'bool' ? false : 0;
  return typeof v === 'bigint' ? Number(v) : v;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function compare(t: GoType, x: unknown, y: unknown, xv = true, yv = true): VNode {
  const n: VNode = { t, x, y, xv, yv, same: 0, diff: 0, children: 0, depth: 0 };
  if (!xv || !yv) {
    n.removed = !yv;
    n.inserted = !xv;
    return leaf(n, xv === yv);
  }
  switch (t.k) {
    case 'scalar':
      return leaf(n, scalarNorm(t, x) === scalarNorm(t, y));
    case 'free':
      return leaf(n, jsonEqual(x, y));
    case 'ptr':
      if (isNil(x) || isNil(y)) return leaf(n, isNil(x) && isNil(y));
      n.val = compare(t.elem, x, y);
      addChild(n, n.val);
      return n;
    case 'struct': {
      if (t.equal) return leaf(n, t.equal(x, y));
      const vx = structView(t, x);
      const vy = structView(t, y);
      n.recs = t.fields.map((f) => ({ key: f.name, node: compare(f.type, fieldValue(f, vx), fieldValue(f, vy)) }));
      for (const r of n.recs) addChild(n, r.node);
      return n;
    }
    case 'slice': {
      if (!Array.isArray(x) || !Array.isArray(y)) return leaf(n, !Array.isArray(x) && !Array.isArray(y));
      n.recs = alignSlices(t.elem, x, y).map((node) => ({ key: '', node }));
      for (const r of n.recs) addChild(n, r.node);
      return n;
    }
    case 'map': {
      if (!isObj(x) || !isObj(y)) return leaf(n, !isObj(x) && !isObj(y));
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      n.recs = keys.map((k) => ({ key: formatMapKey(k, t.stringerKeys), node: compare(t.elem, x[k], y[k], k in x, k in y) }));
      for (const r of n.recs) addChild(n, r.node);
      return n;
    }
  }
}

/** Element records of two slices: longest common subsequence, with unmatched neighbours paired as modified. */
function alignSlices(t: GoType, xs: unknown[], ys: unknown[]): VNode[] {
  if (xs.length === ys.length) return xs.map((x, i) => compare(t, x, ys[i]));
  const eq = (i: number, j: number) => compare(t, xs[i], ys[j]).diff === 0;
  const L: number[][] = Array.from({ length: xs.length + 1 }, () => new Array<number>(ys.length + 1).fill(0));
  for (let i = xs.length - 1; i >= 0; i--)
    for (let j = ys.length - 1; j >= 0; j--) L[i]![j] = eq(i, j) ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: VNode[] = [];
  let i = 0;
  let j = 0;
  const flush = (xi: number[], yj: number[]) => {
    const pairs = Math.min(xi.length, yj.length);
    for (let p = 0; p < pairs; p++) out.push(compare(t, xs[xi[p]!], ys[yj[p]!]));
    for (const a of xi.slice(pairs)) out.push(compare(t, xs[a], undefined, true, false));
    for (const b of yj.slice(pairs)) out.push(compare(t, undefined, ys[b], false, true));
  };
  let px: number[] = [];
  let py: number[] = [];
  while (i < xs.length || j < ys.length) {
    if (i < xs.length && j < ys.length && eq(i, j) && L[i]![j] === L[i + 1]![j + 1]! + 1) {
      flush(px, py);
      px = [];
      py = [];
      out.push(compare(t, xs[i], ys[j]));
      i++;
      j++;
    } else if (j >= ys.length || (i < xs.length && L[i + 1]![j]! >= L[i]![j + 1]!)) px.push(i++);
    else py.push(j++);
  }
  flush(px, py);
  return out;
}

// ---- text tree (go-cmp's textNode) ----

type Mode = '' | ' ' | '-' | '+';
class TLine {
  constructor(readonly s: string) {}
}
class TWrap {
  constructor(
    readonly prefix: string,
    readonly value: TNode,
    readonly suffix: string,
  ) {}
}
interface TRec {
  diff: '' | '-' | '+';
  key: string;
  value: TNode;
  elideComma?: boolean;
  comment?: Stats;
}
class TList {
  constructor(readonly recs: TRec[]) {}
}
type TNode = TLine | TWrap | TList;

const NIL = new TLine('nil');
const ELLIPSIS = '...';

interface Stats {
  name: string;
  identical: number;
  removed: number;
  inserted: number;
  modified: number;
}
const newStats = (name: string): Stats => ({ name, identical: 0, removed: 0, inserted: 0, modified: 0 });
const numDiff = (s: Stats) => s.removed + s.inserted + s.modified;
const statsZero = (s: Stats) => s.identical + numDiff(s) === 0;
function statsText(s: Stats): string {
  const parts: string[] = [];
  const labels: [number, string][] = [
    [s.identical, 'identical'],
    [s.removed, 'removed'],
    [s.inserted, 'inserted'],
    [s.modified, 'modified'],
  ];
  let sum = 0;
  for (const [n, l] of labels) {
    if (n > 0) parts.push(`${n} ${l}`);
    sum += n;
  }
  let name = s.name;
  if (sum > 1) name = name.endsWith('y') ? `${name.slice(0, -1)}ies` : `${name}s`;
  if (parts.length <= 2) return `${parts.join(' and ')} ${name}`;
  return `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]} ${name}`;
}

function appendEllipsis(list: TRec[], stats?: Stats): void {
  const last = list[list.length - 1];
  if (last && last.value instanceof TLine && last.value.s === ELLIPSIS) {
    if (stats && last.comment) {
      last.comment = {
        name: last.comment.name,
        identical: last.comment.identical + stats.identical,
        removed: last.comment.removed + stats.removed,
        inserted: last.comment.inserted + stats.inserted,
        modified: last.comment.modified + stats.modified,
      };
    }
    return;
  }
  list.push({ diff: '', key: '', value: new TLine(ELLIPSIS), elideComma: true, comment: stats && !statsZero(stats) ? stats : undefined });
}

function textLen(n: TNode): number {
  if (n instanceof TLine) return n.s.length;
  if (n instanceof TWrap) return n.prefix.length + textLen(n.value) + n.suffix.length;
  return n.recs.reduce((sum, r, i) => sum + r.key.length + (r.key ? 2 : 0) + textLen(r.value) + (i < n.recs.length - 1 ? 2 : 0), 0);
}

function textEqual(a: TNode | null, b: TNode | null): boolean {
  if (!a || !b) return a === b;
  if (a instanceof TLine) return b instanceof TLine && a.s === b.s;
  if (a instanceof TWrap) return b instanceof TWrap && a.prefix === b.prefix && a.suffix === b.suffix && textEqual(a.value, b.value);
  if (!(b instanceof TList) || a.recs.length !== b.recs.length) return false;
  return a.recs.every((r, i) => {
    const s = b.recs[i]!;
    return (
      r.diff === s.diff &&
      r.key === s.key &&
      textEqual(r.value, s.value) &&
      (r.comment ? statsText(r.comment) : '') === (s.comment ? statsText(s.comment) : '')
    );
  });
}

const MAX_COLUMN = 80;
const mode = (d: Mode, r: '' | '-' | '+'): Mode => r || d;

function compact(n: TNode, d: Mode): { text: string; node: TNode } {
  if (n instanceof TLine) return { text: n.s, node: n };
  if (n instanceof TWrap) {
    const inner = compact(n.value, d);
    const text = n.prefix + inner.text + n.suffix;
    return inner.node instanceof TLine ? { text, node: new TLine(text) } : { text, node: new TWrap(n.prefix, inner.node, n.suffix) };
  }
  let multi = false;
  let text = '';
  const recs = n.recs.map((r, i) => {
    if (r.diff) multi = true;
    text += r.key ? `${r.key}: ` : '';
    const c = compact(r.value, mode(d, r.diff));
    text += c.text;
    if (!(c.node instanceof TLine) || r.comment) multi = true;
    if (i < n.recs.length - 1) text += ', ';
    return { ...r, value: c.node };
  });
  if ((d === '-' || d === '+') && text.length > MAX_COLUMN) multi = true;
  return multi ? { text, node: new TList(recs) } : { text, node: new TLine(text) };
}

function indent(n: number, d: Mode): string {
  return (d === '-' ? '- ' : d === '+' ? '+ ' : '  ') + '\t'.repeat(n);
}

function alignLens(recs: TRec[], skip: (r: TRec) => boolean, len: (r: TRec) => number): number[] {
  const lens = new Array<number>(recs.length).fill(0);
  let start = 0;
  let end = 0;
  let max = 0;
  const close = () => {
    for (let j = start; j < end; j++) lens[j] = max - len(recs[j]!);
  };
  recs.forEach((r, i) => {
    if (skip(r)) {
      close();
      start = end = i + 1;
      max = 0;
    } else {
      max = Math.max(max, len(r));
      end = i + 1;
    }
  });
  close();
  return lens;
}

function expand(n: TNode, d: Mode, depth: number): string {
  if (n instanceof TLine) return n.s;
  if (n instanceof TWrap) return n.prefix + expand(n.value, d, depth) + n.suffix;
  const recs = n.recs;
  const keyPad = alignLens(
    recs,
    (r) => r.key === '' || !(r.value instanceof TLine),
    (r) => [...r.key].length,
  );
  const valuePad = alignLens(
    recs,
    (r) => !(r.value instanceof TLine) || r.value.s === ELLIPSIS || !r.comment,
    (r) => [...(r.value as TLine).s].length,
  );
  const simple = recs.length > 0 && recs.every((r) => !r.diff && r.key === '' && r.value instanceof TLine && !r.comment);
  let out = '';
  if (simple) {
    let batch = '';
    const emit = () => {
      if (batch) out += `\n${indent(depth + 1, d)}${batch.replace(/ +$/, '')}`;
      batch = '';
    };
    for (const r of recs) {
      const line = (r.value as TLine).s;
      if (batch.length + line.length + 2 > MAX_COLUMN) emit();
      batch += `${line}, `;
    }
    emit();
    return `${out}\n${indent(depth, d)}`;
  }
  recs.forEach((r, i) => {
    const m = mode(d, r.diff);
    out += `\n${indent(depth + 1, m)}`;
    if (r.key) out += `${r.key}: `;
    out += ' '.repeat(keyPad[i]!);
    out += expand(r.value, m, depth + 1);
    if (!r.elideComma) out += ',';
    out += ' '.repeat(valuePad[i]!);
    if (r.comment) out += ` // ${statsText(r.comment)}`;
  });
  return `${out}\n${indent(depth, d)}`;
}

function render(n: TNode): string {
  const c = compact(n, '');
  return `${indent(0, '')}${expand(c.node, '', 0)}\n`;
}

// ---- formatting (go-cmp's FormatDiff / FormatValue) ----

interface Opts {
  diff: Mode;
  typeMode: 'emit' | 'elide' | 'auto';
  verbosity: number;
  limit: boolean;
}
const verbosity = (o: Opts) => Math.max(0, Math.min(16, o.verbosity));

function goQuote(s: string): string {
  const q = JSON.stringify(s);
  if (q.length === s.length + 2) return q;
  if (!/[`\n]/.test(s) && !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(s)) return `\`${s}\``;
  return q;
}

function formatString(s: string, o: Opts, prefix = ''): TLine {
  const max = o.limit ? (1 << verbosity(o)) << 5 : Infinity;
  if (s.length > max + ELLIPSIS.length) return new TLine(prefix + goQuote(s.slice(0, max)) + ELLIPSIS);
  return new TLine(prefix + goQuote(s));
}

function formatMapKey(k: string, stringer: boolean): string {
  return formatString(k, { diff: ' ', typeMode: 'elide', verbosity: 6, limit: true }, stringer ? 's' : '').s;
}

function isComposite(t: GoType): boolean {
  return t.k === 'struct' || t.k === 'slice' || t.k === 'map' || t.k === 'free';
}

function formatType(t: GoType, s: TNode, o: Opts): TNode {
  if (o.typeMode === 'elide') return s;
  if (o.typeMode === 'auto') {
    if (!isComposite(t)) return s;
    if (textEqual(s, NIL) || o.diff === ' ') return s;
  }
  const name = typeString(t);
  const braced =
    s instanceof TWrap && ((s.prefix.startsWith('{') && s.suffix.endsWith('}')) || (s.prefix.startsWith('(') && s.suffix.endsWith(')')));
  return new TWrap(name, braced ? s : new TWrap('(', s, ')'), '');
}

function limitLen(o: Opts, n: number): [number, Opts] {
  if (!o.limit) return [n, o];
  return [((1 << verbosity(o)) >> 1) << 2, { ...o, verbosity: o.verbosity - 1 }];
}

function formatValue(t: GoType, v: unknown, valid: boolean, o: Opts): TNode | null {
  if (!valid) return null;
  switch (t.k) {
    case 'scalar': {
      if (t.s === 'string') return formatString(typeof v === 'string' ? v : '', o);
      if (t.s === 'bool') return new TLine(String(v === true));
      return new TLine(String(isNil(v) ? 0 : v));
    }
    case 'ptr': {
      if (isNil(v)) return NIL;
      return new TWrap('&', formatValue(t.elem, v, true, o)!, '');
    }
    case 'slice': {
      if (!Array.isArray(v)) return formatType(t, NIL, o);
      const [max, inner] = limitLen(o, v.length);
      const list: TRec[] = [];
      for (const e of v) {
        if (list.length === max) {
          appendEllipsis(list);
          break;
        }
        list.push({ diff: '', key: '', value: formatValue(t.elem, e, true, { ...inner, typeMode: 'elide' })! });
      }
      return formatType(t, new TWrap('{', new TList(list), '}'), o);
    }
    case 'map': {
      if (!isObj(v)) return formatType(t, NIL, o);
      const keys = Object.keys(v).sort();
      const [max, inner] = limitLen(o, keys.length);
      const list: TRec[] = [];
      for (const k of keys) {
        if (list.length === max) {
          appendEllipsis(list);
          break;
        }
        list.push({
          diff: '',
          key: formatMapKey(k, t.stringerKeys),
          value: formatValue(t.elem, v[k], true, { ...inner, typeMode: 'elide' })!,
        });
      }
      return formatType(t, new TWrap('{', new TList(list), '}'), o);
    }
    case 'free':
      return formatType(t, formatFree(v, o), o);
    case 'struct': {
      const view = structView(t, v);
      const [max, inner] = limitLen(o, t.fields.length);
      const list: TRec[] = [];
      for (const f of t.fields) {
        const fv = fieldValue(f, view);
        if (isZero(f.type, fv)) continue;
        if (list.length === max) {
          appendEllipsis(list);
          break;
        }
        list.push({ diff: '', key: f.name, value: formatValue(f.type, fv, true, { ...inner, typeMode: 'auto' })! });
      }
      return formatType(t, new TWrap('{', new TList(list), '}'), o);
    }
  }
}

/** Untyped objects (FieldsV1): JSON keys as Go field names. */
function formatFree(v: unknown, o: Opts): TNode {
  if (isNil(v)) return NIL;
  if (typeof v === 'string') return formatString(v, o);
  if (typeof v !== 'object') return new TLine(String(v));
  const [max, inner] = limitLen(o, Number.MAX_SAFE_INTEGER);
  const list: TRec[] = [];
  const entries: [string, unknown][] = Array.isArray(v)
    ? v.map((e) => ['', e])
    : Object.entries(v as Json).map(([k, e]) => [goFieldName(k), e]);
  for (const [k, e] of entries) {
    if (list.length === max) {
      appendEllipsis(list);
      break;
    }
    list.push({ diff: '', key: k, value: formatFree(e, inner) });
  }
  return new TWrap('{', new TList(list), '}');
}

function formatDiff(v: VNode, o: Opts): TNode | null {
  if (o.diff === ' ') o = { ...o, verbosity: 1, limit: true };
  else if (!o.limit || verbosity(o) < 3) o = { ...o, verbosity: 3, limit: true };
  if (v.depth === 0) {
    switch (o.diff) {
      case '':
      case ' ': {
        if (v.diff === 0) {
          const ox = formatValue(v.t, v.x, v.xv, o);
          const oy = formatValue(v.t, v.y, v.yv, o);
          return ox && oy && textLen(ox) < textLen(oy) ? ox : oy;
        }
        const list: TRec[] = [];
        const ox = formatValue(v.t, v.x, v.xv, { ...o, typeMode: 'elide' });
        const oy = formatValue(v.t, v.y, v.yv, { ...o, typeMode: 'elide' });
        if (ox) list.push({ diff: '-', key: '', value: ox });
        if (oy) list.push({ diff: '+', key: '', value: oy });
        return formatType(v.t, new TList(list), { ...o, typeMode: 'emit' });
      }
      case '-':
        return formatValue(v.t, v.x, v.xv, o);
      case '+':
        return formatValue(v.t, v.y, v.yv, o);
    }
  }
  if (v.val) return new TWrap('&', formatDiff(v.val, o)!, '');
  const kind = v.t.k === 'map' ? 'entry' : v.t.k === 'slice' ? 'element' : 'field';
  return formatType(v.t, formatDiffList(v.recs ?? [], kind, v.t.k === 'struct', o), o);
}

function formatDiffList(recs: { key: string; node: VNode }[], name: string, isStruct: boolean, o: Opts): TNode {
  let opts: Opts = { ...o, typeMode: isStruct ? 'auto' : 'elide' };
  let max = -1;
  if (opts.limit) {
    max = opts.diff === ' ' ? ((1 << verbosity(opts)) >> 1) << 2 : (1 << verbosity(opts)) << 1;
    opts = { ...opts, verbosity: opts.verbosity - 1 };
  }
  const list: TRec[] = [];
  if (opts.diff !== '') {
    let deferred = false;
    for (const r of recs) {
      if (list.length === max) {
        deferred = true;
        break;
      }
      if (isStruct) {
        const zx = !r.node.xv || isZero(r.node.t, r.node.x);
        const zy = !r.node.yv || isZero(r.node.t, r.node.y);
        if ((opts.diff === ' ' && (zx || zy)) || (opts.diff === '-' && zx) || (opts.diff === '+' && zy)) continue;
      }
      const out = formatDiff(r.node, opts);
      if (out) list.push({ diff: '', key: r.key, value: out });
    }
    if (deferred) appendEllipsis(list);
    return new TWrap('{', new TList(list), '}');
  }
  // Groups of adjacent equal and unequal records.
  const groups: Stats[] = [];
  let prev = 0;
  for (const r of recs) {
    const kind = r.node.diff === 0 ? 1 : 2;
    if (kind !== prev) groups.push(newStats(name));
    prev = kind;
    const g = groups[groups.length - 1]!;
    if (r.node.diff === 0) g.identical++;
    else if (r.node.removed) g.removed++;
    else if (r.node.inserted) g.inserted++;
    else g.modified++;
  }
  let rest = recs;
  let diffs = 0;
  const skipped = newStats(name);
  groups.forEach((g, i) => {
    if (max >= 0 && diffs >= max) {
      skipped.identical += g.identical;
      skipped.removed += g.removed;
      skipped.inserted += g.inserted;
      skipped.modified += g.modified;
      return;
    }
    if (numDiff(g) === 0) {
      const equal = g.identical;
      let lo = 0;
      let hi = 0;
      while (lo < 2 && lo + hi < equal && i !== 0) lo++;
      while (hi < 2 && lo + hi < equal && i !== groups.length - 1) hi++;
      if (equal - (lo + hi) === 1) hi++;
      for (const r of rest.slice(0, lo)) list.push({ diff: '', key: r.key, value: formatDiff(r.node, { ...opts, diff: ' ' })! });
      if (equal > lo + hi) appendEllipsis(list, { ...newStats(name), identical: equal - lo - hi });
      for (const r of rest.slice(equal - hi, equal))
        list.push({ diff: '', key: r.key, value: formatDiff(r.node, { ...opts, diff: ' ' })! });
      rest = rest.slice(equal);
      return;
    }
    for (const r of rest.slice(0, numDiff(g))) {
      if (r.node.children === r.node.depth) {
        let ox = formatDiff(r.node, { ...opts, diff: '-' });
        let oy = formatDiff(r.node, { ...opts, diff: '+' });
        for (let p = 0; p <= 6 && ox && oy && textEqual(ox, oy); p++) {
          const more = { ...opts, verbosity: verbosity(opts) + 2 * p };
          ox = formatDiff(r.node, { ...more, diff: '-' });
          oy = formatDiff(r.node, { ...more, diff: '+' });
        }
        if (ox) list.push({ diff: '-', key: r.key, value: ox });
        if (oy) list.push({ diff: '+', key: r.key, value: oy });
      } else list.push({ diff: '', key: r.key, value: formatDiff(r.node, opts)! });
    }
    rest = rest.slice(numDiff(g));
    diffs += numDiff(g);
  });
  if (!statsZero(skipped)) appendEllipsis(list, skipped);
  return new TWrap('{', new TList(list), '}');
}

/** cmp.Diff(old, new) of two v1 PodSpecs as upstream prints it for core.PodSpec ('' when equal). */
export function podSpecDiff(oldSpec: Json, newSpec: Json): string {
  const root = compare(internalPodSpecType(), toInternalSpec(oldSpec), toInternalSpec(newSpec));
  if (root.diff === 0) return '';
  const text = formatDiff(root, { diff: '', typeMode: 'emit', verbosity: 0, limit: false });
  return text ? render(text) : '';
}

/** cmp.Diff(old, new) of two ephemeral containers, as upstream prints it for core.EphemeralContainer. */
export function ephemeralContainerDiff(oldC: Json, newC: Json): string {
  const root = compare(structOf(schemas.EphemeralContainer), oldC, newC);
  if (root.diff === 0) return '';
  const text = formatDiff(root, { diff: '', typeMode: 'emit', verbosity: 0, limit: false });
  return text ? render(text) : '';
}
