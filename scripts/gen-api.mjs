#!/usr/bin/env node
// Writes src/api/generated/: one module per Kubernetes API package (io.k8s.api.core.v1 ->
// core/v1.ts, io.k8s.apimachinery.pkg.apis.meta.v1 -> meta/v1.ts, ...util.intstr -> intstr.ts)
// from upstream's OpenAPI v3 documents in scripts/openapi-v1.32/ (data; see its README). Each has
//   - a TypeScript type per definition, named after its last segment (Pod, PodSpec, ...; other
//     packages' types through `import type * as meta_v1`), a field optional unless upstream lists
//     it in `required`. Object types are type aliases, not interfaces, so that they are assignable
//     to Record<string, unknown> (the Json of most of the code base) without casts;
//   - `schemas`: every definition as a structural JSON schema (structural() below), dereferenced
//     on first read by ./schemas.ts (written from RUNTIME below): nested named types inline, each
//     with `x-tinykube-name` (and `x-tinykube-go` where GO_TYPES says), the shape strict decoding
//     and patching walk. Their type is src/apimachinery/schema.ts's Schema (decode and patch sit
//     below src/api and take it from there); every kind's ResourceDef.schema is one of these;
//   - next to it, <version>.openapi.ts: upstream's definitions as they are (descriptions are most
//     of their bytes). Only OpenAPI needs them (src/server/openapi.ts builds its documents from
//     componentSchemas()), so nothing imports that module statically: schemas.ts loads it with
//     import() the first time componentSchema() is asked, and dist/ keeps it in a file of its own
//     (scripts/cluster-bundle.mjs).
// Run `npm run gen:api` after changing the data or this file; test/unit/generated-api.test.ts
// fails while the committed output is stale. `--out DIR` writes elsewhere (that test does).
//
// Load cost, measured with a throwaway micro-benchmark (Node 20, 2-core x64, a fresh process per
// run, median of 31, through V8's code cache as dist/cluster.cjs is loaded):
//   - core/v1's structural data (75 KB) as one JSON.parse of a string literal: 0.9 ms to compile,
//     then 1.4 ms to parse at the first read, nothing before; as an object literal: 1.3 ms to
//     compile and 1.6 ms to evaluate at every load, used or not. Hence one string per package,
//     parsed on first use.
//   - in upstream's form (`{ allOf: [{ $ref }], default: {} }` at every reference) the same data
//     took twice as long to parse and dereference as in the structural form.
//   - all 21 kinds tinykube serves (core/v1, meta/v1 and 7 more packages, 190 named types): 0.8 ms
//     to compile and 0.9 ms to evaluate the modules, 2.5-3.3 ms to parse and dereference every
//     kind's schema (1.5 ms of it JSON.parse); the hand-written TypeBox schemas these replaced
//     took 1.9 ms and 4.3 ms. Bundled into the same file, the .openapi.ts modules of those packages (445 KB of
//     strings) add 2 ms of compile though they never run: bundle them apart.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'scripts/openapi-v1.32');
const outAt = process.argv.indexOf('--out');
const OUT = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(ROOT, 'src/api/generated');
const REF = '#/components/schemas/';

// The Go types upstream's json decode errors name that OpenAPI cannot tell: string and map
// aliases (`json: cannot unmarshal number into Go struct field ServicePort.spec.ports.protocol of
// type v1.Protocol`). Data, by definition and field path (`[]` = list items, `{}` = map values),
// from upstream's types.go (k8s.io/api and k8s.io/apimachinery v0.32): the string, list and map
// aliases in the definitions of the kinds tinykube serves (others have none here). Named structs
// need no entry: decode.ts derives `v1.<Name>` from x-tinykube-name (GO_PACKAGES covers the
// packages whose Go name is not v1), and special-cases Time, IntOrString and Quantity.
const GO_TYPES = {
  'io.k8s.api.apps.v1.DaemonSetCondition': { type: 'v1.DaemonSetConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.apps.v1.DaemonSetUpdateStrategy': { type: 'v1.DaemonSetUpdateStrategyType' },
  'io.k8s.api.apps.v1.DeploymentCondition': { type: 'v1.DeploymentConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: 'v1.DeploymentStrategyType' },
  'io.k8s.api.apps.v1.ReplicaSetCondition': { type: 'v1.ReplicaSetConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.apps.v1.StatefulSetCondition': { type: 'v1.StatefulSetConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy': {
    whenDeleted: 'v1.PersistentVolumeClaimRetentionPolicyType',
    whenScaled: 'v1.PersistentVolumeClaimRetentionPolicyType',
  },
  'io.k8s.api.apps.v1.StatefulSetSpec': { podManagementPolicy: 'v1.PodManagementPolicyType' },
  'io.k8s.api.apps.v1.StatefulSetUpdateStrategy': { type: 'v1.StatefulSetUpdateStrategyType' },
  'io.k8s.api.autoscaling.v2.ContainerResourceMetricSource': { name: 'v1.ResourceName' },
  'io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus': { name: 'v1.ResourceName' },
  'io.k8s.api.autoscaling.v2.HPAScalingPolicy': { type: 'v2.HPAScalingPolicyType' },
  'io.k8s.api.autoscaling.v2.HPAScalingRules': { selectPolicy: 'v2.ScalingPolicySelect' },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition': {
    type: 'v2.HorizontalPodAutoscalerConditionType',
    status: 'v1.ConditionStatus',
  },
  'io.k8s.api.autoscaling.v2.MetricSpec': { type: 'v2.MetricSourceType' },
  'io.k8s.api.autoscaling.v2.MetricStatus': { type: 'v2.MetricSourceType' },
  'io.k8s.api.autoscaling.v2.MetricTarget': { type: 'v2.MetricTargetType' },
  'io.k8s.api.autoscaling.v2.ResourceMetricSource': { name: 'v1.ResourceName' },
  'io.k8s.api.autoscaling.v2.ResourceMetricStatus': { name: 'v1.ResourceName' },
  'io.k8s.api.batch.v1.CronJobSpec': { concurrencyPolicy: 'v1.ConcurrencyPolicy' },
  'io.k8s.api.batch.v1.JobCondition': { type: 'v1.JobConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.batch.v1.JobSpec': { completionMode: 'v1.CompletionMode', podReplacementPolicy: 'v1.PodReplacementPolicy' },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { operator: 'v1.PodFailurePolicyOnExitCodesOperator' },
  'io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern': { type: 'v1.PodConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { action: 'v1.PodFailurePolicyAction' },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': { 'failed[]': 'types.UID', 'succeeded[]': 'types.UID' },
  'io.k8s.api.coordination.v1.LeaseSpec': { strategy: 'v1.CoordinatedLeaseStrategy' },
  'io.k8s.api.core.v1.AppArmorProfile': { type: 'v1.AppArmorProfileType' },
  'io.k8s.api.core.v1.AttachedVolume': { name: 'v1.UniqueVolumeName' },
  'io.k8s.api.core.v1.AzureDiskVolumeSource': { cachingMode: 'v1.AzureDataDiskCachingMode', kind: 'v1.AzureDataDiskKind' },
  'io.k8s.api.core.v1.Capabilities': { 'add[]': 'v1.Capability', 'drop[]': 'v1.Capability' },
  'io.k8s.api.core.v1.ConfigMapNodeConfigSource': { uid: 'types.UID' },
  'io.k8s.api.core.v1.Container': {
    imagePullPolicy: 'v1.PullPolicy',
    restartPolicy: 'v1.ContainerRestartPolicy',
    terminationMessagePolicy: 'v1.TerminationMessagePolicy',
  },
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'v1.Protocol' },
  'io.k8s.api.core.v1.ContainerResizePolicy': { resourceName: 'v1.ResourceName', restartPolicy: 'v1.ResourceResizeRestartPolicy' },
  'io.k8s.api.core.v1.ContainerStatus': { allocatedResources: 'v1.ResourceList' },
  'io.k8s.api.core.v1.EmptyDirVolumeSource': { medium: 'v1.StorageMedium' },
  'io.k8s.api.core.v1.EndpointPort': { protocol: 'v1.Protocol' },
  'io.k8s.api.core.v1.EphemeralContainer': {
    imagePullPolicy: 'v1.PullPolicy',
    restartPolicy: 'v1.ContainerRestartPolicy',
    terminationMessagePolicy: 'v1.TerminationMessagePolicy',
  },
  'io.k8s.api.core.v1.HTTPGetAction': { scheme: 'v1.URIScheme' },
  'io.k8s.api.core.v1.HostPathVolumeSource': { type: 'v1.HostPathType' },
  'io.k8s.api.core.v1.ImageVolumeSource': { pullPolicy: 'v1.PullPolicy' },
  'io.k8s.api.core.v1.LoadBalancerIngress': { ipMode: 'v1.LoadBalancerIPMode' },
  'io.k8s.api.core.v1.ModifyVolumeStatus': { status: 'v1.PersistentVolumeClaimModifyVolumeStatus' },
  'io.k8s.api.core.v1.NamespaceCondition': { status: 'v1.ConditionStatus', type: 'v1.NamespaceConditionType' },
  'io.k8s.api.core.v1.NamespaceSpec': { 'finalizers[]': 'v1.FinalizerName' },
  'io.k8s.api.core.v1.NamespaceStatus': { phase: 'v1.NamespacePhase' },
  'io.k8s.api.core.v1.NodeAddress': { type: 'v1.NodeAddressType' },
  'io.k8s.api.core.v1.NodeSelectorRequirement': { operator: 'v1.NodeSelectorOperator' },
  'io.k8s.api.core.v1.NodeCondition': { status: 'v1.ConditionStatus', type: 'v1.NodeConditionType' },
  'io.k8s.api.core.v1.NodeStatus': {
    allocatable: 'v1.ResourceList',
    capacity: 'v1.ResourceList',
    phase: 'v1.NodePhase',
    'volumesInUse[]': 'v1.UniqueVolumeName',
  },
  'io.k8s.api.core.v1.ObjectReference': { uid: 'types.UID' },
  'io.k8s.api.core.v1.PersistentVolumeClaimCondition': { type: 'v1.PersistentVolumeClaimConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': {
    'accessModes[]': 'v1.PersistentVolumeAccessMode',
    volumeMode: 'v1.PersistentVolumeMode',
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': {
    phase: 'v1.PersistentVolumeClaimPhase',
    'accessModes[]': 'v1.PersistentVolumeAccessMode',
    capacity: 'v1.ResourceList',
    allocatedResources: 'v1.ResourceList',
    'allocatedResourceStatuses{}': 'v1.ClaimResourceStatus',
  },
  'io.k8s.api.core.v1.PersistentVolumeSpec': {
    capacity: 'v1.ResourceList',
    'accessModes[]': 'v1.PersistentVolumeAccessMode',
    persistentVolumeReclaimPolicy: 'v1.PersistentVolumeReclaimPolicy',
    volumeMode: 'v1.PersistentVolumeMode',
  },
  'io.k8s.api.core.v1.PersistentVolumeStatus': { phase: 'v1.PersistentVolumePhase' },
  'io.k8s.api.core.v1.PodCondition': { status: 'v1.ConditionStatus', type: 'v1.PodConditionType' },
  'io.k8s.api.core.v1.PodOS': { name: 'v1.OSName' },
  'io.k8s.api.core.v1.PodReadinessGate': { conditionType: 'v1.PodConditionType' },
  'io.k8s.api.core.v1.PodSecurityContext': {
    fsGroupChangePolicy: 'v1.PodFSGroupChangePolicy',
    seLinuxChangePolicy: 'v1.PodSELinuxChangePolicy',
    supplementalGroupsPolicy: 'v1.SupplementalGroupsPolicy',
  },
  'io.k8s.api.core.v1.PodSpec': {
    dnsPolicy: 'v1.DNSPolicy',
    overhead: 'v1.ResourceList',
    preemptionPolicy: 'v1.PreemptionPolicy',
    restartPolicy: 'v1.RestartPolicy',
  },
  'io.k8s.api.core.v1.PodStatus': { phase: 'v1.PodPhase', qosClass: 'v1.PodQOSClass', resize: 'v1.PodResizeStatus' },
  'io.k8s.api.core.v1.PortStatus': { protocol: 'v1.Protocol' },
  'io.k8s.api.core.v1.ReplicationControllerCondition': { type: 'v1.ReplicationControllerConditionType', status: 'v1.ConditionStatus' },
  'io.k8s.api.core.v1.ResourceHealth': { health: 'v1.ResourceHealthStatus', resourceID: 'v1.ResourceID' },
  'io.k8s.api.core.v1.ResourceRequirements': { limits: 'v1.ResourceList', requests: 'v1.ResourceList' },
  'io.k8s.api.core.v1.ResourceStatus': { name: 'v1.ResourceName' },
  'io.k8s.api.core.v1.SeccompProfile': { type: 'v1.SeccompProfileType' },
  'io.k8s.api.core.v1.Secret': { type: 'v1.SecretType' },
  'io.k8s.api.core.v1.SecurityContext': { procMount: 'v1.ProcMountType' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'v1.Protocol' },
  'io.k8s.api.core.v1.ServiceSpec': {
    externalTrafficPolicy: 'v1.ServiceExternalTrafficPolicy',
    internalTrafficPolicy: 'v1.ServiceInternalTrafficPolicy',
    'ipFamilies[]': 'v1.IPFamily',
    ipFamilyPolicy: 'v1.IPFamilyPolicy',
    sessionAffinity: 'v1.ServiceAffinity',
    type: 'v1.ServiceType',
  },
  'io.k8s.api.core.v1.Taint': { effect: 'v1.TaintEffect' },
  'io.k8s.api.core.v1.Toleration': { effect: 'v1.TaintEffect', operator: 'v1.TolerationOperator' },
  'io.k8s.api.core.v1.TopologySpreadConstraint': {
    nodeAffinityPolicy: 'v1.NodeInclusionPolicy',
    nodeTaintsPolicy: 'v1.NodeInclusionPolicy',
    whenUnsatisfiable: 'v1.UnsatisfiableConstraintAction',
  },
  'io.k8s.api.core.v1.VolumeMount': { mountPropagation: 'v1.MountPropagationMode', recursiveReadOnly: 'v1.RecursiveReadOnlyMode' },
  'io.k8s.api.core.v1.VolumeMountStatus': { recursiveReadOnly: 'v1.RecursiveReadOnlyMode' },
  'io.k8s.api.core.v1.VolumeResourceRequirements': { limits: 'v1.ResourceList', requests: 'v1.ResourceList' },
  'io.k8s.api.discovery.v1.EndpointPort': { protocol: 'v1.Protocol' },
  'io.k8s.api.discovery.v1.EndpointSlice': { addressType: 'v1.AddressType' },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { unhealthyPodEvictionPolicy: 'v1.UnhealthyPodEvictionPolicyType' },
  'io.k8s.api.storage.v1.CSIDriverSpec': { 'volumeLifecycleModes[]': 'v1.VolumeLifecycleMode', fsGroupPolicy: 'v1.FSGroupPolicy' },
  'io.k8s.api.storage.v1.StorageClass': { reclaimPolicy: 'v1.PersistentVolumeReclaimPolicy', volumeBindingMode: 'v1.VolumeBindingMode' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Condition': { status: 'v1.ConditionStatus' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement': { operator: 'v1.FieldSelectorOperator' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': { operator: 'v1.LabelSelectorOperator' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry': { operation: 'v1.ManagedFieldsOperationType' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { uid: 'types.UID' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': { uid: 'types.UID' },
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics': { usage: 'v1.ResourceList' },
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics': { usage: 'v1.ResourceList' },
};

// Go package names that are not `v1` (decode.ts assumes v1 for named structs): the generator
// puts `x-tinykube-go: <package>.<Name>` on their definitions. intstr and resource are absent on
// purpose: decode.ts names IntOrString and Quantity itself.
const GO_PACKAGES = {
  'io.k8s.api.autoscaling.v2': 'v2',
  'io.k8s.apimachinery.pkg.runtime': 'runtime',
  'io.k8s.metrics.pkg.apis.metrics.v1beta1': 'v1beta1',
};

// TypeScript for the definitions that have no `type` (their JSON takes several shapes). Any other
// such definition stops the generator, so a new one is noticed.
const TS_TYPES = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'number | string',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'string | number',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': 'unknown',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': 'JSONSchemaProps | JSONSchemaProps[]',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': 'JSONSchemaProps | boolean',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': 'JSONSchemaProps | string[]',
};

/** Names a package module exports besides its types. */
const RESERVED = new Set(['PACKAGE', 'SchemaName', 'schemas']);

// ---- load ----

/** Every definition of every document, by full name; a definition repeated in several documents must be the same. */
function loadDefinitions() {
  const defs = new Map();
  for (const file of readdirSync(DATA)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(join(DATA, file), 'utf8'));
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const prev = defs.get(name);
      if (prev && JSON.stringify(prev) !== JSON.stringify(schema))
        throw new Error(`${file}: ${name} differs from its copy in another document`);
      defs.set(name, schema);
    }
  }
  return defs;
}

const splitName = (name) => {
  const i = name.lastIndexOf('.');
  return [name.slice(0, i), name.slice(i + 1)];
};

/** core/v1 for io.k8s.api.core.v1, intstr for io.k8s.apimachinery.pkg.util.intstr. */
function fileOf(pkg) {
  const seg = pkg.split('.');
  const last = seg[seg.length - 1];
  return /^v\d+((alpha|beta)\d+)?$/.test(last) ? `${seg[seg.length - 2]}/${last}` : last;
}
const aliasOf = (file) => file.replace(/\//g, '_');

// ---- structural data ----

/**
 * What decoding and patching need of a schema: no descriptions, no object `default`s (OpenAPI-only,
 * kept verbatim in the package's .openapi.ts), and a reference as `{ $ref: <definition name> }`
 * instead of upstream's `{ allOf: [{ $ref: '#/components/schemas/<name>' }], default: {} }`.
 * Half the objects for JSON.parse to make and the runtime to walk: parsing and dereferencing every
 * kind tinykube serves took 3.7 ms with upstream's form, 1.7 ms with this one (cold process).
 */
function structural(s, where) {
  if (Array.isArray(s) || s === null || typeof s !== 'object') throw new Error(`${where}: not a schema`);
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'description') continue;
    // Object defaults are OpenAPI-only; a scalar default is data: server-side apply keys list
    // items by it when the key field is absent (a container port's protocol "TCP").
    if (k === 'default' && (v === null || typeof v === 'object')) continue;
    if (k === 'allOf') {
      if (v.length !== 1 || Object.keys(v[0]).join() !== '$ref') throw new Error(`${where}: an allOf that is not a reference`);
      out.$ref = refName(v[0].$ref, where);
    } else if (k === '$ref') out.$ref = refName(v, where);
    else if (k === 'properties') {
      out[k] = {};
      for (const [p, ps] of Object.entries(v)) out[k][p] = structural(ps, `${where}.${p}`);
    } else if (k === 'items' || k === 'not' || (k === 'additionalProperties' && typeof v === 'object'))
      out[k] = structural(v, `${where}/${k}`);
    else if (k === 'oneOf' || k === 'anyOf') out[k] = v.map((x, i) => structural(x, `${where}/${k}/${i}`));
    else out[k] = v; // required, format, x-kubernetes-*: data
  }
  return out;
}

function refName(ref, where) {
  if (typeof ref !== 'string' || !ref.startsWith(REF)) throw new Error(`${where}: $ref ${ref}`);
  return ref.slice(REF.length);
}

/** Puts `x-tinykube-go` on the field (path: `a`, `a[]`, `a{}`) of a structural definition. */
function setGoType(def, name, path, go) {
  const m = /^(\w+)((?:\[\]|\{\})*)$/.exec(path);
  let s = m && def.properties?.[m[1]];
  for (const step of m ? (m[2].match(/\[\]|\{\}/g) ?? []) : []) s = s && (step === '[]' ? s.items : s.additionalProperties);
  if (!s || typeof s !== 'object') throw new Error(`GO_TYPES: ${name} has no field ${path}`);
  s['x-tinykube-go'] = go;
}

// ---- TypeScript ----

const IDENT = /^[A-Za-z_$][\w$]*$/;
const propKey = (k) => (IDENT.test(k) ? k : JSON.stringify(k));

/** The first sentence of a description as a one-line doc comment. */
function doc(text, indent) {
  if (typeof text !== 'string' || !text.trim()) return '';
  let s = text.replace(/\s+/g, ' ').trim();
  const m = /^(.+?(?<!\b(?:e\.g|i\.e|etc|vs|Ex))[.!?])(?:\s|$)/.exec(s);
  if (m) s = m[1];
  if (s.length > 200) s = `${s.slice(0, 197)}...`;
  return `${indent}/** ${s.replace(/\*\//g, '*\\/')} */\n`;
}

function tsType(s, ctx) {
  const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0].$ref : undefined);
  if (ref !== undefined) return ctx.ref(ref.startsWith(REF) ? ref.slice(REF.length) : ref);
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const t = tsType(s.items, ctx);
      return /^[\w.]+$/.test(t) ? `${t}[]` : `Array<${t}>`;
    }
    case 'object':
      if (s.properties) return objectType(s, ctx, '');
      if (typeof s.additionalProperties === 'object') return `Record<string, ${tsType(s.additionalProperties, ctx)}>`;
      return 'Record<string, unknown>';
    default:
      throw new Error(`${ctx.where}: no TypeScript for ${JSON.stringify(s).slice(0, 200)}`);
  }
}

function objectType(s, ctx, indent) {
  const req = new Set(s.required ?? []);
  let out = '{\n';
  for (const [k, p] of Object.entries(s.properties)) {
    out += doc(p.description, `${indent}  `);
    out += `${indent}  ${propKey(k)}${req.has(k) ? '' : '?'}: ${tsType(p, { ...ctx, where: `${ctx.where}.${k}` })};\n`;
  }
  return `${out}${indent}}`;
}

// ---- output ----

/** A single-quoted, ASCII-only JavaScript string literal. */
const literal = (text) =>
  `'${text.replace(/[\\'\n\r]|[^\x20-\x7e]/g, (c) => (c === '\\' ? '\\\\' : c === "'" ? "\\'" : c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}'`;

const HEADER = '// Code generated by scripts/gen-api.mjs from scripts/openapi-v1.32 (Kubernetes v1.32); DO NOT EDIT.\n';

function generate() {
  const defs = loadDefinitions();
  const pkgs = new Map();
  for (const [name, schema] of [...defs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [pkg, short] = splitName(name);
    if (RESERVED.has(short)) throw new Error(`${name}: the package module exports ${short} already`);
    if (!pkgs.has(pkg)) pkgs.set(pkg, new Map());
    pkgs.get(pkg).set(short, schema);
  }
  const files = new Map([...pkgs.keys()].map((p) => [p, fileOf(p)]));
  if (new Set(files.values()).size !== files.size) throw new Error('two packages map to the same file');
  for (const [name, fields] of Object.entries(GO_TYPES)) if (!defs.has(name)) throw new Error(`GO_TYPES: no definition ${name}`);

  const out = new Map();
  out.set('schemas.ts', HEADER + RUNTIME);
  const summary = [];
  for (const [pkg, members] of pkgs) {
    const file = files.get(pkg);
    const fromHere = (target) => {
      const r = relative(dirname(join(OUT, file)), join(OUT, target));
      return r.startsWith('.') ? r : `./${r}`;
    };
    const deps = new Set();
    const ctx = {
      where: pkg,
      ref(name) {
        const [p, short] = splitName(name);
        if (!defs.has(name)) throw new Error(`${this.where}: reference to a missing definition ${name}`);
        if (p === pkg) return short;
        deps.add(p);
        return `${aliasOf(files.get(p))}.${short}`;
      },
    };
    const types = [];
    const data = {};
    const openapi = {};
    for (const [short, schema] of members) {
      const name = `${pkg}.${short}`;
      const c = { ...ctx, where: name };
      const s = structural(schema, name);
      for (const [path, go] of Object.entries(GO_TYPES[name] ?? {})) setGoType(s, name, path, go);
      if (GO_PACKAGES[pkg]) s['x-tinykube-go'] = `${GO_PACKAGES[pkg]}.${short}`;
      data[short] = s;
      openapi[short] = schema;
      let t;
      if (TS_TYPES[name]) t = TS_TYPES[name];
      else if (schema.type === undefined) throw new Error(`${name} has no type: add it to TS_TYPES`);
      else t = tsType({ ...schema, allOf: undefined, $ref: undefined }, c);
      types.push(`${doc(schema.description, '')}export type ${short} = ${t};\n`);
    }
    const names = [...members.keys()];
    const base = file.slice(file.lastIndexOf('/') + 1);
    const imports = [`import { definePackage } from '${fromHere('schemas.js')}';`];
    for (const d of [...deps].sort()) {
      // The side-effect import registers the package whose schemas ours reference (schemas.ts
      // finds them by name when dereferencing); the type import names its types.
      imports.push(
        `import '${fromHere(`${files.get(d)}.js`)}';`,
        `import type * as ${aliasOf(files.get(d))} from '${fromHere(`${files.get(d)}.js`)}';`,
      );
    }
    out.set(
      `${file}.ts`,
      `${HEADER}// ${pkg}: a type per definition, and \`schemas\`, the same definitions as dereferenced structural
// JSON schemas (built on first read, see ${fromHere('schemas.ts')}). Upstream's own: ./${base}.openapi.ts.
${imports.join('\n')}

export const PACKAGE = '${pkg}';

${types.join('\n')}
export type SchemaName = ${names.map((n) => `'${n}'`).join(' | ')};

/** The definitions as structural schemas, by name; each is dereferenced on first read. */
export const schemas = definePackage<SchemaName>(
  PACKAGE,
  '${names.join(' ')}',
  ${literal(JSON.stringify(data))},
  () => import('./${base}.openapi.js'),
);
`,
    );
    out.set(
      `${file}.openapi.ts`,
      `${HEADER}// Upstream's OpenAPI v3 definitions of ${pkg}, as they are, descriptions included: by name.
// Only OpenAPI needs them: ${fromHere('schemas.ts')} loads this module with import() (componentSchema).
export const definitions = ${literal(JSON.stringify(openapi))};
`,
    );
    summary.push(`${file} (${names.length})`);
  }
  return { out, summary };
}

// ---- the runtime every package module uses (written as schemas.ts) ----

const RUNTIME = `// The runtime of the generated package modules: \`definePackage\` registers a package's structural
// definitions (JSON text, parsed on first use), \`schemaOf\` / \`<package>.schemas.<Name>\` return a
// definition dereferenced the way strict decoding (src/apimachinery/decode.ts) and patching
// (src/apimachinery/patch) walk schemas:
//   - \`properties\`, \`items\` and \`additionalProperties\` hold the schemas themselves, no \`$ref\`;
//   - each named type is one shared object carrying \`x-tinykube-name\` (its definition name); a use
//     site that adds keywords of its own (\`x-kubernetes-patch-strategy: retainKeys\` on
//     DeploymentSpec.strategy, \`x-tinykube-go\`) gets a shallow copy with them, sharing the rest;
//   - recursive types (JSONSchemaProps) make cycles: walk them along data, not exhaustively;
//   - no descriptions and no \`default\`s: \`componentSchema\` gives upstream's definitions, for OpenAPI.
// The dereferenced objects are shared by every caller: treat them as read-only.

// The type of a dereferenced schema is apimachinery's, which decode and patch take.
import type { Schema } from '../../apimachinery/schema.js';

export type { Schema };

type Json = Record<string, unknown>;

interface Package {
  names: Set<string>;
  data: string;
  /** \`data\` parsed; its objects become the dereferenced schemas. */
  parsed?: Record<string, Json>;
  resolved: Map<string, Schema>;
  loadOpenAPI: () => Promise<{ definitions: string }>;
  openapi?: Record<string, Json>;
}

const packages = new Map<string, Package>();

/**
 * Registers a package (each generated module calls this when it loads) and returns its
 * \`schemas\` table: a getter per definition, so nothing is parsed before the first read.
 */
export function definePackage<N extends string>(pkg: string, names: string, data: string, loadOpenAPI: () => Promise<{ definitions: string }>): { readonly [K in N]: Schema } {
  const list = names.split(' ');
  packages.set(pkg, { names: new Set(list), data, resolved: new Map(), loadOpenAPI });
  const table = {};
  // Each getter keeps what it resolved: registries read \`def.schema\` on every write.
  for (const n of list) {
    let s: Schema | undefined;
    Object.defineProperty(table, n, { enumerable: true, get: () => (s ??= schemaOf(\`\${pkg}.\${n}\`)) });
  }
  return Object.freeze(table) as { readonly [K in N]: Schema };
}

function lookup(fullName: string): [Package, string] {
  const i = fullName.lastIndexOf('.');
  const pkg = packages.get(fullName.slice(0, i));
  if (!pkg) throw new Error(\`no generated API package for \${fullName}: import its module from src/api/generated\`);
  return [pkg, fullName.slice(i + 1)];
}

/** Whether a definition exists (its package module must be loaded). */
export function hasDefinition(fullName: string): boolean {
  const i = fullName.lastIndexOf('.');
  return !!packages.get(fullName.slice(0, i))?.names.has(fullName.slice(i + 1));
}

/** The dereferenced schema of a definition (io.k8s.api.core.v1.Service), built once. */
export function schemaOf(fullName: string): Schema {
  const [pkg, short] = lookup(fullName);
  const done = pkg.resolved.get(short);
  if (done) return done;
  pkg.parsed ??= JSON.parse(pkg.data) as Record<string, Json>;
  if (!Object.hasOwn(pkg.parsed, short)) throw new Error(\`no definition \${fullName}\`);
  const s = pkg.parsed[short]!;
  s['x-tinykube-name'] = fullName;
  pkg.resolved.set(short, s as Schema); // before the fields: a recursive type finds itself here
  link(s);
  return s as Schema;
}

function link(s: Json): void {
  const props = s.properties as Record<string, Json> | undefined;
  if (props) for (const k of Object.keys(props)) props[k] = use(props[k]!);
  if (s.items) s.items = use(s.items as Json);
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) s.additionalProperties = use(s.additionalProperties as Json);
}

/** A schema where it is used: a reference becomes the named schema (a copy when the use site adds keywords). */
function use(u: Json): Schema {
  const ref = u.$ref;
  if (typeof ref !== 'string') {
    link(u);
    return u as Schema;
  }
  const target = schemaOf(ref);
  let copy: Json | undefined;
  for (const k in u) if (k !== '$ref') (copy ??= { ...target })[k] = u[k];
  return (copy ?? target) as Schema;
}

// ---- OpenAPI: upstream's definitions as they are ----

/**
 * Upstream's OpenAPI v3 component of a definition, exactly as in its document (descriptions,
 * \`default\`s, references as \`allOf: [{ $ref: '#/components/schemas/...' }]\`), a fresh copy.
 * Loads the package's .openapi.ts module on first use.
 */
export async function componentSchema(fullName: string): Promise<Json> {
  const [pkg, short] = lookup(fullName);
  pkg.openapi ??= JSON.parse((await pkg.loadOpenAPI()).definitions) as Record<string, Json>;
  if (!Object.hasOwn(pkg.openapi, short)) throw new Error(\`no definition \${fullName}\`);
  return structuredClone(pkg.openapi[short]!);
}

/** The components.schemas of a document about \`roots\`: them and every definition they reference, by name. */
export async function componentSchemas(roots: string[]): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  const pending = [...roots];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (Object.hasOwn(out, name)) continue;
    const s = await componentSchema(name);
    out[name] = s;
    collectRefs(s, pending);
  }
  // Sorted by name, as upstream's documents are.
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const REF = '#/components/schemas/';

function collectRefs(v: unknown, into: string[]): void {
  if (Array.isArray(v)) for (const x of v) collectRefs(x, into);
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith(REF)) into.push(x.slice(REF.length));
      else collectRefs(x, into);
    }
}
`;

// ---- main ----

// Formatted as `npm run lint` (prettier --check) wants it, with the repository's settings, so the
// output needs no exception there.
const prettier = await import('prettier');
const style = await prettier.resolveConfig(join(ROOT, 'src/api/generated/schemas.ts'));
const { out, summary } = generate();
const formatted = await Promise.all(
  [...out].map(async ([file, text]) => [file, await prettier.format(text, { ...style, filepath: join(ROOT, 'src/api/generated', file) })]),
);
rmSync(OUT, { recursive: true, force: true });
for (const [file, text] of formatted) {
  mkdirSync(dirname(join(OUT, file)), { recursive: true });
  writeFileSync(join(OUT, file), text);
}
console.log(`wrote ${relative(process.cwd(), OUT) || '.'}: ${summary.join(', ')}`);
