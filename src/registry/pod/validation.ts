// Pod validation after upstream v1.32 pkg/apis/core/validation (ValidatePodCreate,
// validatePodMetadataAndSpec, ValidatePodSpec, ValidatePodUpdate), in upstream's order, with its
// field paths (quirks included: `downwarAPI`, unindexed `volumeMounts.subPath`, `envFrom`, ...)
// and messages, and with the options a default v1.32 apiserver passes
// (RelaxedEnvironmentVariableValidation on, AllowPodLifecycleSleepActionZeroValue and
// RelaxedDNSSearchValidation off unless the old Pod already relied on them). ObjectMeta is
// checked by the generic layer (src/registry/validate-common.ts) before these run.
import { fieldErr, goStringMap, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  maxLenError,
  nameIsDNSSubdomain,
  regexError,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateAnnotations,
  validateIP,
  validateLabels,
  validateQualifiedName,
} from '../../apimachinery/validation.js';
import { compareQuantity, isNegative, isWhole, parseQuantity, quantityString, type Quantity } from '../../apimachinery/quantity.js';
import { ephemeralContainerDiff, podSpecDiff } from './spec-diff.js';
import {
  isHugePages,
  isOvercommitAllowed,
  validateContainerResourceName as containerResourceName,
  validateQuantityValue as quantityValue,
} from '../quota/resources.js';
import { asObject as obj, objectsIn as objs } from '../define.js';
import type {
  Affinity,
  AppArmorProfile,
  ConfigMapKeySelector,
  Container,
  ContainerPort,
  DownwardAPIVolumeFile,
  EnvFromSource,
  EnvVar,
  EphemeralContainer,
  ExecAction,
  GRPCAction,
  HTTPGetAction,
  KeyToPath,
  Lifecycle,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  ObjectFieldSelector,
  PodAffinityTerm,
  PodSchedulingGate,
  PodSpec,
  Probe,
  ProjectedVolumeSource,
  ResourceFieldSelector,
  ResourceRequirements,
  SeccompProfile,
  SecretKeySelector,
  SecurityContext,
  SleepAction,
  TCPSocketAction,
  Toleration,
  TopologySpreadConstraint,
  Volume,
  VolumeDevice,
  VolumeMount,
  WeightedPodAffinityTerm,
} from '../../api/generated/core/v1.js';
import type { LabelSelector, ObjectMeta } from '../../api/generated/meta/v1.js';

// The generated types (src/api/generated) describe valid objects; what arrives here is decoded
// and defaulted, not yet valid: required fields may be missing and list entries null. The guards
// below (obj, objs, text, num, has) keep reads safe whatever was sent.
interface PodLike {
  metadata: ObjectMeta;
  spec?: PodSpec;
}

/** Any container of a Pod: regular, init or ephemeral (EphemeralContainerCommon has the same fields). */
type AnyContainer = Container | EphemeralContainer;

interface Opts {
  /** RelaxedEnvironmentVariableValidation (beta, on by default in v1.32). */
  relaxedEnvNames: boolean;
  /** RelaxedDNSSearchValidation (alpha in v1.32): only when the old Pod needs it. */
  relaxedDNSSearch: boolean;
  /** PodLifecycleSleepActionAllowZero (alpha in v1.32): only when the old Pod needs it. */
  sleepZero: boolean;
  /** A PodSpec embedded in another object (upstream's opts.ResourceIsPod false). */
  template?: boolean;
}

const MAX_INT32 = 2147483647;
const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const NEGATIVE_MSG = 'must be greater than or equal to 0';
const NOT_POSITIVE_MSG = 'must be greater than zero';
const MORE_THAN_ONE_VOLUME = 'may not specify more than 1 volume type';
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_CHARS = 2048;

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const MOUNT_PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'];
const RECURSIVE_READ_ONLY = ['Disabled', 'Enabled', 'IfPossible'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const RESOURCE_FIELD_PREFIXES = ['limits.hugepages-', 'requests.hugepages-'];
/** Field labels ConvertDownwardAPIFieldLabel knows (pkg/apis/core/pods). */
const DOWNWARD_LABELS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

// ---- small helpers ----

const has = (v: unknown) => v !== undefined && v !== null;
const list = <T>(v: readonly T[] | null | undefined): readonly T[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const invalidEach = (f: string, value: unknown, msgs: string[]) => msgs.map((m) => fieldErr.invalid(f, value, m));
const fileModeBad = (m: unknown) => typeof m === 'number' && (m > 0o777 || m < 0);

/** validation.IsConfigMapKey */
function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(v))
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  errs.push(...chDirPrefix(v));
  return errs;
}

function chDirPrefix(v: string): string[] {
  if (v === '.') return ["must not be '.'"];
  if (v === '..') return ["must not be '..'"];
  if (v.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** validation.IsEnvVarName (strict) and IsRelaxedEnvVarName. */
function envVarNameErrors(v: string, relaxed: boolean): string[] {
  if (relaxed) {
    const errs: string[] = [];
    if (!v.length) errs.push('environment variable name must be non-empty');
    for (const ch of v) {
      const c = ch.codePointAt(0)!;
      if (c > 0x7e || c < 0x20 || ch === '=') {
        errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
        break;
      }
    }
    return errs;
  }
  const errs: string[] = [];
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(v)) {
    errs.push(
      regexError(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        '[-._a-zA-Z][-._a-zA-Z0-9]*',
        'my.env-name',
        'MY_ENV.NAME',
        'MyEnvName1',
      ),
    );
  }
  errs.push(...chDirPrefix(v));
  return errs;
}

/** validateLocalDescendingPath: relative, no `..` element. */
function localDescendingPath(p: string, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldErr.invalid(f, p, 'must be a relative path'));
  errs.push(...pathNoBacksteps(p, f));
  return errs;
}

function pathNoBacksteps(p: string, f: string): FieldError[] {
  return p.replace(/\\/g, '/').split('/').includes('..') ? [fieldErr.invalid(f, p, "must not contain '..'")] : [];
}

/** ValidateLocalNonReservedPath */
function localNonReservedPath(p: string, f: string): FieldError[] {
  const errs = localDescendingPath(p, f);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(fieldErr.invalid(f, p, "must not start with '..'"));
  return errs;
}

/** upstream ValidateNonnegativeField (the workload kinds' validation uses it too). */
export function nonNegative(v: unknown, f: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [fieldErr.invalid(f, v, NEGATIVE_MSG)] : [];
}

/** IsValidPortNum / IsValidPortName on an IntOrString (an unset one is the int 0). */
function portNumOrName(port: unknown, f: string): FieldError[] {
  if (typeof port === 'string') return invalidEach(f, port, isValidPortName(port));
  const n = typeof port === 'number' ? port : 0;
  return invalidEach(f, n, isValidPortNum(n));
}

/** unversionedvalidation.ValidateLabelName */
const labelName = (k: string, f: string) => invalidEach(f, k, isQualifiedName(k));

/** metav1 validation.ValidateLabelSelector (workload selectors use it too). */
export function labelSelector(sel: LabelSelector | undefined, f: string): FieldError[] {
  const s = obj(sel);
  if (!s) return [];
  const errs = validateLabels(obj(s.matchLabels), `${f}.matchLabels`);
  objs(s.matchExpressions).forEach((e, i) => {
    const p = `${f}.matchExpressions[${i}]`;
    const values = list(e.values);
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length) errs.push(fieldErr.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length)
          errs.push(fieldErr.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(fieldErr.invalid(`${p}.operator`, text(e.operator), 'not a valid selector operator'));
    }
    errs.push(...labelName(text(e.key), `${p}.key`));
    values.forEach((v, j) => errs.push(...invalidEach(`${p}.values[${j}]`, v, isValidLabelValue(String(v)))));
  });
  return errs;
}

// ---- resources (names and values: quota/resources.ts, shared with ResourceQuota and LimitRange) ----

function hugePageValue(name: string, q: Quantity): string | undefined {
  if (!isHugePages(name)) return undefined;
  const page = parseQuantity(name.slice('hugepages-'.length));
  const ok = page && page.num > 0n && isWhole(page) && q.num % page.num === 0n && q.den === 0 && page.den === 0;
  return ok ? undefined : `${quantityString(q)} is not positive integer multiple of ${name}`;
}

/** ValidateContainerResourceRequirements (resource claims are a disabled feature in v1.32's defaults). */
function resourceRequirements(res: ResourceRequirements | undefined, f: string): FieldError[] {
  const r = obj(res) ?? {};
  const errs: FieldError[] = [];
  const limits = obj(r.limits) ?? {};
  const requests = obj(r.requests) ?? {};
  let limCPUMem = false;
  let reqCPUMem = false;
  let limHuge = false;
  let reqHuge = false;
  for (const [name, raw] of Object.entries(limits)) {
    const p = `${f}.limits[${name}]`;
    errs.push(...containerResourceName(name, p));
    const q = parseQuantity(raw);
    if (!q) continue;
    errs.push(...quantityValue(name, q, p));
    if (isHugePages(name)) {
      limHuge = true;
      const m = hugePageValue(name, q);
      if (m) errs.push(fieldErr.invalid(p, quantityString(q), m));
    }
    if (name === 'cpu' || name === 'memory') limCPUMem = true;
  }
  for (const [name, raw] of Object.entries(requests)) {
    const p = `${f}.requests[${name}]`;
    errs.push(...containerResourceName(name, p));
    const q = parseQuantity(raw);
    if (!q) continue;
    errs.push(...quantityValue(name, q, p));
    const lim = name in limits ? parseQuantity(limits[name]) : undefined;
    if (lim) {
      const c = compareQuantity(q, lim);
      if (c !== 0 && !isOvercommitAllowed(name)) {
        errs.push(fieldErr.invalid(`${f}.requests`, quantityString(q), `must be equal to ${name} limit of ${quantityString(lim)}`));
      } else if (c > 0) {
        errs.push(
          fieldErr.invalid(`${f}.requests`, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(lim)}`),
        );
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldErr.required(`${f}.limits`, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) {
      reqHuge = true;
      const m = hugePageValue(name, q);
      if (m) errs.push(fieldErr.invalid(p, quantityString(q), m));
    }
    if (name === 'cpu' || name === 'memory') reqCPUMem = true;
  }
  if (!limCPUMem && !reqCPUMem && (reqHuge || limHuge)) errs.push(fieldErr.forbidden(f, 'HugePages require cpu or memory'));
  return errs;
}

// ---- downward API ----

/** SplitMaybeSubscriptedPath: `metadata.labels['app']` → path and subscript. */
function splitSubscript(fp: string): [string, string] | undefined {
  if (!fp.endsWith("']")) return undefined;
  const s = fp.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

function objectFieldSelector(fs: ObjectFieldSelector, expressions: string[], f: string): FieldError[] {
  if (!text(fs.apiVersion)) return [fieldErr.required(`${f}.apiVersion`)];
  const fieldPath = text(fs.fieldPath);
  if (!fieldPath) return [fieldErr.required(`${f}.fieldPath`)];
  // ConvertDownwardAPIFieldLabel
  let internal = fieldPath;
  let convErr: string | undefined;
  if (fs.apiVersion !== 'v1') convErr = `unsupported pod version: ${fs.apiVersion}`;
  else {
    const sub = splitSubscript(fieldPath);
    if (sub) {
      if (sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels')
        convErr = `field label does not support subscript: ${fieldPath}`;
    } else if (fieldPath === 'spec.host') internal = 'spec.nodeName';
    else if (!DOWNWARD_LABELS.includes(fieldPath)) convErr = `field label not supported: ${fieldPath}`;
  }
  if (convErr) return [fieldErr.invalid(`${f}.fieldPath`, fieldPath, `error converting fieldPath: ${convErr}`)];
  const sub = splitSubscript(internal);
  if (sub) {
    if (sub[0] === 'metadata.annotations') return validateQualifiedName(sub[1].toLowerCase(), f);
    if (sub[0] === 'metadata.labels') return validateQualifiedName(sub[1], f);
    return [fieldErr.invalid(f, sub[0], 'does not support subscript')];
  }
  if (!expressions.includes(internal)) return [fieldErr.notSupported(`${f}.fieldPath`, internal, expressions)];
  return [];
}

const DIVISORS_CPU = ['1m', '1'];
const DIVISORS_BYTES = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

function resourceDivisor(resource: string, divisor: unknown, f: string): FieldError[] {
  const d = parseQuantity(divisor);
  if (!d || d.num === 0n) return [];
  const s = quantityString(d);
  const errs: FieldError[] = [];
  const bytes = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the";
  if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !DIVISORS_CPU.includes(s)) {
    errs.push(fieldErr.invalid(`${f}.divisor`, resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
  } else if ((resource === 'limits.memory' || resource === 'requests.memory') && !DIVISORS_BYTES.includes(s)) {
    errs.push(fieldErr.invalid(`${f}.divisor`, resource, `${bytes} memory resource`));
  } else if ((resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') && !DIVISORS_BYTES.includes(s)) {
    errs.push(fieldErr.invalid(`${f}.divisor`, resource, `${bytes} local ephemeral storage resource`));
  }
  if (RESOURCE_FIELD_PREFIXES.some((p) => resource.startsWith(p)) && !DIVISORS_BYTES.includes(s)) {
    errs.push(fieldErr.invalid(`${f}.divisor`, resource, `${bytes} hugepages resource`));
  }
  return errs;
}

function resourceFieldSelector(fs: ResourceFieldSelector, f: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = text(fs.resource);
  if (volume && !text(fs.containerName)) errs.push(fieldErr.required(`${f}.containerName`));
  else if (!resource) errs.push(fieldErr.required(`${f}.resource`));
  else if (!RESOURCE_FIELD_PATHS.includes(resource) && !RESOURCE_FIELD_PREFIXES.some((p) => resource.startsWith(p))) {
    errs.push(fieldErr.notSupported(`${f}.resource`, resource, RESOURCE_FIELD_PATHS));
  }
  errs.push(...resourceDivisor(resource, fs.divisor, f));
  return errs;
}

function downwardAPIFile(file: DownwardAPIVolumeFile, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = text(file.path);
  if (!p) errs.push(fieldErr.required(`${f}.path`));
  errs.push(...localNonReservedPath(p, `${f}.path`));
  const fieldRef = obj(file.fieldRef);
  const resourceFieldRef = obj(file.resourceFieldRef);
  if (fieldRef) {
    errs.push(...objectFieldSelector(fieldRef, VOLUME_FIELD_PATHS, `${f}.fieldRef`));
    if (resourceFieldRef) errs.push(fieldErr.invalid(f, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (resourceFieldRef) {
    errs.push(...resourceFieldSelector(resourceFieldRef, `${f}.resourceFieldRef`, true));
  } else {
    errs.push(fieldErr.required(f, 'one of fieldRef and resourceFieldRef is required'));
  }
  if (fileModeBad(file.mode)) errs.push(fieldErr.invalid(`${f}.mode`, file.mode, FILE_MODE_MSG));
  return errs;
}

// ---- volumes ----

function keyToPath(kp: KeyToPath, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!text(kp.key)) errs.push(fieldErr.required(`${f}.key`));
  if (!text(kp.path)) errs.push(fieldErr.required(`${f}.path`));
  errs.push(...localNonReservedPath(text(kp.path), `${f}.path`));
  if (fileModeBad(kp.mode)) errs.push(fieldErr.invalid(`${f}.mode`, kp.mode, FILE_MODE_MSG));
  return errs;
}

function defaultModeErr(src: { defaultMode?: number }, f: string): FieldError[] {
  return fileModeBad(src.defaultMode) ? [fieldErr.invalid(`${f}.defaultMode`, src.defaultMode, FILE_MODE_MSG)] : [];
}

function projectedSources(src: ProjectedVolumeSource, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  objs(src.sources).forEach((source, i) => {
    let n = 0;
    const sp = `${f}.sources[${i}]`;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = obj(source[kind]);
      if (!s) continue;
      n++;
      const pp = `${sp}.${kind}`;
      if (!text(s.name)) errs.push(fieldErr.required(`${pp}.name`));
      objs(s.items).forEach((kp, j) => {
        errs.push(...keyToPath(kp, `${pp}.items[${j}]`));
        const p = text(kp.path);
        if (p) {
          if (paths.has(p)) errs.push(fieldErr.invalid(f, text(s.name), 'conflicting duplicate paths'));
          else paths.add(p);
        }
      });
    }
    const dapi = obj(source.downwardAPI);
    if (dapi) {
      n++;
      for (const file of objs(dapi.items)) {
        errs.push(...downwardAPIFile(file, `${sp}.downwardAPI`));
        const p = text(file.path);
        if (p) {
          if (paths.has(p)) errs.push(fieldErr.invalid(f, p, 'conflicting duplicate paths'));
          else paths.add(p);
        }
      }
    }
    const sat = obj(source.serviceAccountToken);
    if (sat) {
      n++;
      const exp = num(sat.expirationSeconds);
      if (exp < 600)
        errs.push(fieldErr.invalid(`${sp}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32)
        errs.push(
          fieldErr.invalid(`${sp}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration larger than 2^32 seconds'),
        );
      if (!text(sat.path)) errs.push(fieldErr.required(`${f}.path`));
      else errs.push(...localNonReservedPath(text(sat.path), `${f}.path`));
    }
    if (obj(source.clusterTrustBundle)) n++;
    if (n > 1) errs.push(fieldErr.forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

/** Required fields of a volume source: absent, empty strings and empty lists are missing. */
function req<T extends object>(src: T, f: string, ...keys: (keyof T & string)[]): FieldError[] {
  return keys
    .filter((k) => {
      const v: unknown = src[k];
      return !has(v) || v === '' || (Array.isArray(v) && !v.length);
    })
    .map((k) => fieldErr.required(`${f}.${k}`));
}
const partition = (src: { partition?: number }, f: string) =>
  typeof src.partition === 'number' && (src.partition < 0 || src.partition > 255)
    ? [fieldErr.invalid(`${f}.partition`, src.partition, inclusiveRangeError(1, 255))]
    : [];

type VolumeSourceKey = Exclude<keyof Volume, 'name'>;
type SourceCheck<K extends VolumeSourceKey> = (
  s: NonNullable<Volume[K]>,
  f: string,
  vol: Volume,
  meta: ObjectMeta | undefined,
) => FieldError[];
/** A volume source: its JSON key, its name in "more than 1" errors, its validator. */
const source = <K extends VolumeSourceKey>(key: K, name: string, check?: SourceCheck<K>) =>
  [key, name, check as SourceCheck<VolumeSourceKey> | undefined] as const;

/** Volume sources in upstream's order. */
const VOLUME_SOURCES = [
  source('emptyDir', 'emptyDir', (s, f) => {
    const q = parseQuantity(s.sizeLimit);
    return q && isNegative(q) ? [fieldErr.forbidden(`${f}.sizeLimit`, 'SizeLimit field must be a valid resource quantity')] : [];
  }),
  source('hostPath', 'hostPath', (s, f) => {
    const p = text(s.path);
    if (!p) return [fieldErr.required(`${f}.path`)];
    const errs = pathNoBacksteps(p, `${f}.path`);
    if (has(s.type) && !HOST_PATH_TYPES.includes(String(s.type))) errs.push(fieldErr.notSupported(`${f}.type`, s.type, HOST_PATH_TYPES));
    return errs;
  }),
  source('gitRepo', 'gitRepo', (s, f) => [...req(s, f, 'repository'), ...localDescendingPath(text(s.directory), `${f}.directory`)]),
  source('gcePersistentDisk', 'gcePersistentDisk', (s, f) => [...req(s, f, 'pdName'), ...partition(s, f)]),
  source('awsElasticBlockStore', 'awsElasticBlockStore', (s, f) => [...req(s, f, 'volumeID'), ...partition(s, f)]),
  source('secret', 'secret', (s, f) => [
    ...req(s, f, 'secretName'),
    ...defaultModeErr(s, f),
    ...objs(s.items).flatMap((kp, i) => keyToPath(kp, `${f}.items[${i}]`)),
  ]),
  source('nfs', 'nfs', (s, f) => [
    ...req(s, f, 'server', 'path'),
    ...(text(s.path).startsWith('/') ? [] : [fieldErr.invalid(`${f}.path`, text(s.path), 'must be an absolute path')]),
  ]),
  source('iscsi', 'iscsi', (s, f) => req(s, f, 'targetPortal', 'iqn')),
  source('glusterfs', 'glusterfs', (s, f) => req(s, f, 'endpoints', 'path')),
  source('flocker', 'flocker'),
  source('persistentVolumeClaim', 'persistentVolumeClaim', (s, f) => req(s, f, 'claimName')),
  source('rbd', 'rbd', (s, f) => req(s, f, 'monitors', 'image')),
  source('cinder', 'cinder', (s, f) => req(s, f, 'volumeID')),
  source('cephfs', 'cephFS', (s, f) => req(s, f, 'monitors')),
  source('quobyte', 'quobyte'),
  source('downwardAPI', 'downwarAPI', (s, f) => [...defaultModeErr(s, f), ...objs(s.items).flatMap((file) => downwardAPIFile(file, f))]),
  source('fc', 'fc'),
  source('flexVolume', 'flexVolume', (s, f) => req(s, f, 'driver')),
  source('configMap', 'configMap', (s, f) => [
    ...req(s, f, 'name'),
    ...defaultModeErr(s, f),
    ...objs(s.items).flatMap((kp, i) => keyToPath(kp, `${f}.items[${i}]`)),
  ]),
  source('azureFile', 'azureFile', (s, f) => req(s, f, 'secretName', 'shareName')),
  source('vsphereVolume', 'vsphereVolume', (s, f) => req(s, f, 'volumePath')),
  source('photonPersistentDisk', 'photonPersistentDisk', (s, f) => req(s, f, 'pdID')),
  source('portworxVolume', 'portworxVolume', (s, f) => req(s, f, 'volumeID')),
  source('azureDisk', 'azureDisk', (s, f) => req(s, f, 'diskName', 'diskURI')),
  source('storageos', 'storageos', (s, f) =>
    text(s.volumeName) ? validateDNS1123Label(text(s.volumeName), `${f}.volumeName`) : req(s, f, 'volumeName'),
  ),
  source('projected', 'projected', (s, f) => [...defaultModeErr(s, f), ...projectedSources(s, f)]),
  source('scaleIO', 'scaleIO', (s, f) => req(s, f, 'gateway', 'system', 'volumeName')),
  source('csi', 'csi', (s, f) => {
    const d = text(s.driver);
    const errs: FieldError[] = [];
    if (!d) errs.push(fieldErr.required(`${f}.driver`));
    if (d.length > 63) errs.push(fieldErr.tooLongMaxLength(`${f}.driver`, 63));
    errs.push(...invalidEach(`${f}.driver`, d, isDNS1123Subdomain(d.toLowerCase())));
    return errs;
  }),
  source('ephemeral', 'ephemeral', (s, f, vol, meta) => {
    const errs: FieldError[] = obj(s.volumeClaimTemplate) ? [] : [fieldErr.required(`${f}.volumeClaimTemplate`)];
    if (meta?.name && vol.name) {
      const pvc = `${meta.name}-${vol.name}`;
      for (const m of nameIsDNSSubdomain(pvc, false))
        errs.push(fieldErr.invalid(f.replace(/\.ephemeral$/, '.name'), vol.name, `PVC name ${JSON.stringify(pvc)}: ${m}`));
    }
    return errs;
  }),
  source('image', 'image', (s, f) => {
    const errs = req(s, f, 'reference');
    const pp = text(s.pullPolicy);
    if (!pp) errs.push(fieldErr.required(`${f}.pullPolicy`));
    else if (!PULL_POLICIES.includes(pp)) errs.push(fieldErr.notSupported(`${f}.pullPolicy`, pp, PULL_POLICIES));
    return errs;
  }),
];

function volumeSource(vol: Volume, f: string, meta: ObjectMeta | undefined): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const [key, name, check] of VOLUME_SOURCES) {
    const src = vol[key];
    if (!has(src)) continue;
    if (n > 0) {
      errs.push(fieldErr.forbidden(`${f}.${name}`, MORE_THAN_ONE_VOLUME));
      continue;
    }
    n++;
    // Upstream names a few nested paths differently from the source's own key.
    const nested = key === 'gcePersistentDisk' ? 'persistentDisk' : key;
    if (check) errs.push(...check(obj(src) ?? ({} as NonNullable<Volume[VolumeSourceKey]>), `${f}.${nested}`, vol, meta));
  }
  if (n === 0) errs.push(fieldErr.required(f, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: the valid volumes by name (mounts of an invalid volume are Not found). */
function validateVolumes(volumes: Volume[], meta: ObjectMeta | undefined, f: string): { vols: Map<string, Volume>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const vols = new Map<string, Volume>();
  const created = new Set<string>();
  if (meta?.name) for (const v of volumes) if (has(v.ephemeral)) created.add(`${meta.name}-${v.name}`);
  volumes.forEach((vol, i) => {
    const p = `${f}[${i}]`;
    const name = text(vol.name);
    const el = volumeSource(vol, p, meta);
    if (!name) el.push(fieldErr.required(`${p}.name`));
    else el.push(...validateDNS1123Label(name, `${p}.name`));
    if (vols.has(name)) el.push(fieldErr.duplicate(`${p}.name`, name));
    if (!el.length) vols.set(name, vol);
    else errs.push(...el);
    const claim = obj(vol.persistentVolumeClaim)?.claimName;
    if (typeof claim === 'string' && created.has(claim)) {
      errs.push(
        fieldErr.invalid(
          `${p}.persistentVolumeClaim.claimName`,
          claim,
          'must not reference a PVC that gets created for an ephemeral volume',
        ),
      );
    }
  });
  return { vols, errs };
}

// ---- containers ----

/** The Pod's containers of every kind (init, regular, ephemeral) with their paths under `f`. */
function containersWithPaths(spec: Partial<PodSpec>, f: string): [AnyContainer, string][] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((kind) =>
    objs<AnyContainer>(spec[kind]).map((c, i): [AnyContainer, string] => [c, `${f}.${kind}[${i}]`]),
  );
}

function containerPorts(ports: ContainerPort[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `${f}[${i}]`;
    const name = text(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...invalidEach(`${p}.name`, name, msgs));
      else if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
      else names.add(name);
    }
    if (!num(port.containerPort)) errs.push(fieldErr.required(`${p}.containerPort`));
    else errs.push(...invalidEach(`${p}.containerPort`, port.containerPort, isValidPortNum(port.containerPort)));
    if (num(port.hostPort)) errs.push(...invalidEach(`${p}.hostPort`, port.hostPort, isValidPortNum(num(port.hostPort))));
    const proto = text(port.protocol);
    if (!proto) errs.push(fieldErr.required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(proto)) errs.push(fieldErr.notSupported(`${p}.protocol`, proto, PROTOCOLS));
  });
  return errs;
}

function keySelector(s: ConfigMapKeySelector | SecretKeySelector, f: string): FieldError[] {
  const errs = invalidEach(`${f}.name`, text(s.name), nameIsDNSSubdomain(text(s.name), false));
  const key = text(s.key);
  if (!key) errs.push(fieldErr.required(`${f}.key`));
  else errs.push(...invalidEach(`${f}.key`, key, isConfigMapKey(key)));
  return errs;
}

function envVars(vars: EnvVar[], f: string, o: Opts): FieldError[] {
  const errs: FieldError[] = [];
  vars.forEach((ev, i) => {
    const p = `${f}[${i}]`;
    const name = text(ev.name);
    if (!name) errs.push(fieldErr.required(`${p}.name`));
    else errs.push(...invalidEach(`${p}.name`, name, envVarNameErrors(name, o.relaxedEnvNames)));
    const vf = obj(ev.valueFrom);
    if (!vf) return;
    const vp = `${p}.valueFrom`;
    let n = 0;
    const fieldRef = obj(vf.fieldRef);
    if (fieldRef) {
      n++;
      errs.push(...objectFieldSelector(fieldRef, ENV_FIELD_PATHS, `${vp}.fieldRef`));
    }
    const resourceFieldRef = obj(vf.resourceFieldRef);
    if (resourceFieldRef) {
      n++;
      errs.push(...resourceFieldSelector(resourceFieldRef, `${vp}.resourceFieldRef`, false));
    }
    const configMapKeyRef = obj(vf.configMapKeyRef);
    if (configMapKeyRef) {
      n++;
      errs.push(...keySelector(configMapKeyRef, `${vp}.configMapKeyRef`));
    }
    const secretKeyRef = obj(vf.secretKeyRef);
    if (secretKeyRef) {
      n++;
      errs.push(...keySelector(secretKeyRef, `${vp}.secretKeyRef`));
    }
    if (n === 0)
      errs.push(fieldErr.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (text(ev.value)) errs.push(fieldErr.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(fieldErr.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function envFrom(sources: EnvFromSource[], f: string, o: Opts): FieldError[] {
  const errs: FieldError[] = [];
  sources.forEach((ev, i) => {
    const p = `${f}[${i}]`;
    const prefix = text(ev.prefix);
    if (prefix) errs.push(...invalidEach(`${p}.prefix`, prefix, envVarNameErrors(prefix, o.relaxedEnvNames)));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = obj(ev[kind]);
      if (!ref) continue;
      n++;
      const name = text(ref.name);
      if (!name) errs.push(fieldErr.required(`${p}.${kind}.name`));
      else errs.push(...invalidEach(`${p}.${kind}.name`, name, nameIsDNSSubdomain(name, true)));
    }
    if (n === 0) errs.push(fieldErr.invalid(f, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldErr.invalid(f, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function volumeMounts(
  mounts: VolumeMount[],
  devices: VolumeDevice[],
  vols: Map<string, Volume>,
  ctr: AnyContainer,
  f: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const devNames = new Set(devices.map((d) => text(d.name)));
  const devPaths = new Set(devices.map((d) => text(d.devicePath)));
  mounts.forEach((m, i) => {
    const p = `${f}[${i}]`;
    const name = text(m.name);
    const mountPath = text(m.mountPath);
    if (!name) errs.push(fieldErr.required(`${p}.name`));
    if (!vols.has(name)) errs.push(fieldErr.notFound(`${p}.name`, name));
    if (!mountPath) errs.push(fieldErr.required(`${p}.mountPath`));
    if (mountPoints.has(mountPath)) errs.push(fieldErr.invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (devNames.has(name)) errs.push(fieldErr.invalid(`${p}.name`, name, 'must not already exist in volumeDevices'));
    if (devPaths.has(mountPath))
      errs.push(fieldErr.invalid(`${p}.mountPath`, mountPath, 'must not already exist as a path in volumeDevices'));
    if (has(vols.get(name)?.image)) {
      if (text(m.subPath)) errs.push(fieldErr.invalid(`${p}.subPath`, m.subPath, 'not allowed in image volume sources'));
      if (text(m.subPathExpr)) errs.push(fieldErr.invalid(`${p}.subPathExpr`, m.subPathExpr, 'not allowed in image volume sources'));
    }
    if (text(m.subPath)) errs.push(...localDescendingPath(text(m.subPath), `${f}.subPath`));
    if (text(m.subPathExpr)) {
      if (text(m.subPath)) errs.push(fieldErr.invalid(`${p}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...localDescendingPath(text(m.subPathExpr), `${f}.subPathExpr`));
    }
    if (has(m.mountPropagation)) {
      const mp = m.mountPropagation;
      if (!MOUNT_PROPAGATIONS.includes(String(mp))) errs.push(fieldErr.notSupported(`${f}.mountPropagation`, mp, MOUNT_PROPAGATIONS));
      if (mp === 'Bidirectional' && obj(ctr.securityContext)?.privileged !== true) {
        errs.push(
          fieldErr.forbidden(`${f}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers'),
        );
      }
    }
    if (has(m.recursiveReadOnly)) {
      const rro = m.recursiveReadOnly;
      const rp = `${f}.recursiveReadOnly`;
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (m.readOnly !== true) errs.push(fieldErr.forbidden(rp, 'may only be specified when readOnly is true'));
        if (has(m.mountPropagation) && m.mountPropagation !== 'None')
          errs.push(fieldErr.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (rro !== 'Disabled') errs.push(fieldErr.notSupported(rp, rro, RECURSIVE_READ_ONLY));
    }
  });
  return errs;
}

function volumeDevices(devices: VolumeDevice[], mounts: VolumeMount[], vols: Map<string, Volume>, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const names = new Set<string>();
  const mountNames = new Set(mounts.map((m) => text(m.name)));
  const mountPaths = new Set(mounts.map((m) => text(m.mountPath)));
  devices.forEach((d, i) => {
    const p = `${f}[${i}]`;
    const name = text(d.name);
    const dp = text(d.devicePath);
    const vol = vols.get(name);
    const isPVC = !!vol && (has(vol.persistentVolumeClaim) || has(vol.ephemeral));
    if (!name) errs.push(fieldErr.required(`${p}.name`));
    if (names.has(name)) errs.push(fieldErr.invalid(`${p}.name`, name, 'must be unique'));
    if (vol && !isPVC)
      errs.push(
        fieldErr.invalid(`${p}.name`, name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'),
      );
    if (!vol) errs.push(fieldErr.notFound(`${p}.name`, name));
    if (!dp) errs.push(fieldErr.required(`${p}.devicePath`));
    if (paths.has(dp)) errs.push(fieldErr.invalid(`${p}.devicePath`, dp, 'must be unique'));
    if (dp && pathNoBacksteps(dp, '').length) errs.push(fieldErr.invalid(`${p}.devicePath`, dp, "can not contain backsteps ('..')"));
    else paths.add(dp);
    if (mountNames.has(name)) errs.push(fieldErr.invalid(`${p}.name`, name, 'must not already exist in volumeMounts'));
    if (mountPaths.has(dp)) errs.push(fieldErr.invalid(`${p}.devicePath`, dp, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

function pullPolicy(p: unknown, f: string): FieldError[] {
  const v = text(p);
  if (!v) return [fieldErr.required(f)];
  return PULL_POLICIES.includes(v) ? [] : [fieldErr.notSupported(f, v, PULL_POLICIES)];
}

function seccompProfileField(sp: SeccompProfile | undefined, f: string): FieldError[] {
  const s = obj(sp);
  if (!s) return [];
  const errs: FieldError[] = [];
  const type = text(s.type);
  if (!type) errs.push(fieldErr.required(`${f}.type`, 'type is required when seccompProfile is set'));
  else if (!['Localhost', 'RuntimeDefault', 'Unconfined'].includes(type))
    errs.push(fieldErr.notSupported(`${f}.type`, type, ['Localhost', 'RuntimeDefault', 'Unconfined']));
  if (type === 'Localhost') {
    if (!has(s.localhostProfile)) errs.push(fieldErr.required(`${f}.localhostProfile`, 'must be set when seccomp type is Localhost'));
    else errs.push(...localDescendingPath(text(s.localhostProfile), `${f}.localhostProfile`));
  } else if (has(s.localhostProfile)) {
    errs.push(
      fieldErr.invalid(
        `${f}.localhostProfile`,
        new GoLiteral(`core.SeccompProfile{Type:${JSON.stringify(type)}, LocalhostProfile:(*string)(…)}`),
        'can only be set when seccomp type is Localhost',
      ),
    );
  }
  return errs;
}

function appArmorProfileField(ap: AppArmorProfile | undefined, f: string): FieldError[] {
  const p = obj(ap);
  if (!p) return [];
  const type = text(p.type);
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (type === 'Localhost') {
    if (!has(p.localhostProfile)) return [fieldErr.required(`${f}.localhostProfile`, 'must be set when AppArmor type is Localhost')];
    const lp = text(p.localhostProfile);
    const errs: FieldError[] = [];
    if (lp.trim() !== lp) errs.push(fieldErr.invalid(`${f}.localhostProfile`, lp, 'must not be padded with whitespace'));
    else if (!lp) errs.push(fieldErr.required(`${f}.localhostProfile`, 'must be set when AppArmor type is Localhost'));
    if (lp.length > 4095) errs.push(fieldErr.tooLong(`${f}.localhostProfile`, 4095));
    return errs;
  }
  if (type === 'RuntimeDefault' || type === 'Unconfined') {
    return has(p.localhostProfile)
      ? [fieldErr.invalid(`${f}.localhostProfile`, p.localhostProfile, 'can only be set when AppArmor type is Localhost')]
      : [];
  }
  if (!type) return [fieldErr.required(`${f}.type`, 'type is required when appArmorProfile is set')];
  return [fieldErr.notSupported(`${f}.type`, type, types)];
}

function idRange(v: unknown, f: string): FieldError[] {
  return typeof v === 'number' && (v < 0 || v > MAX_INT32) ? [fieldErr.invalid(f, v, inclusiveRangeError(0, MAX_INT32))] : [];
}

function securityContext(sc: SecurityContext | undefined, f: string, hostUsers: boolean): FieldError[] {
  const s = obj(sc);
  if (!s) return [];
  const errs: FieldError[] = [...idRange(s.runAsUser, `${f}.runAsUser`), ...idRange(s.runAsGroup, `${f}.runAsGroup`)];
  if (has(s.procMount)) {
    if (s.procMount !== 'Default' && s.procMount !== 'Unmasked')
      errs.push(fieldErr.notSupported(`${f}.procMount`, s.procMount, ['Default', 'Unmasked']));
    if (hostUsers && s.procMount === 'Unmasked')
      errs.push(fieldErr.invalid(`${f}.procMount`, s.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...seccompProfileField(s.seccompProfile, `${f}.seccompProfile`));
  if (s.allowPrivilegeEscalation === false) {
    const lit = new GoLiteral('core.SecurityContext{…}');
    if (s.privileged === true)
      errs.push(fieldErr.invalid(f, lit, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of list(obj(s.capabilities)?.add)) {
      if (cap === 'CAP_SYS_ADMIN')
        errs.push(fieldErr.invalid(f, lit, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...appArmorProfileField(s.appArmorProfile, `${f}.appArmorProfile`));
  return errs;
}

interface Ctx {
  vols: Map<string, Volume>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
  o: Opts;
}

function containerCommon(c: AnyContainer, p: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  const name = text(c.name);
  if (!name) errs.push(fieldErr.required(`${p}.name`));
  else errs.push(...validateDNS1123Label(name, `${p}.name`));
  if (!text(c.image)) errs.push(fieldErr.required(`${p}.image`));
  const tmp = text(c.terminationMessagePolicy);
  if (!tmp) errs.push(fieldErr.required(`${p}.terminationMessagePolicy`));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp))
    errs.push(fieldErr.notSupported(`${p}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...containerPorts(objs(c.ports), `${p}.ports`));
  errs.push(...envVars(objs(c.env), `${p}.env`, ctx.o));
  errs.push(...envFrom(objs(c.envFrom), `${p}.envFrom`, ctx.o));
  errs.push(...volumeMounts(objs(c.volumeMounts), objs(c.volumeDevices), ctx.vols, c, `${p}.volumeMounts`));
  errs.push(...volumeDevices(objs(c.volumeDevices), objs(c.volumeMounts), ctx.vols, `${p}.volumeDevices`));
  errs.push(...pullPolicy(c.imagePullPolicy, `${p}.imagePullPolicy`));
  errs.push(...resourceRequirements(c.resources, `${p}.resources`));
  errs.push(...securityContext(c.securityContext, `${p}.securityContext`, ctx.hostUsers));
  return errs;
}

// ---- probes and hooks ----

/** The handler fields of a Probe (ProbeHandler) and of a LifecycleHandler. */
type Handler = { exec?: ExecAction; httpGet?: HTTPGetAction; tcpSocket?: TCPSocketAction; grpc?: GRPCAction; sleep?: SleepAction };

function handler(h: Handler, kinds: readonly (keyof Handler)[], f: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    if (!obj(h[kind])) continue;
    const p = `${f}.${kind}`;
    if (n > 0) {
      errs.push(fieldErr.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (kind) {
      case 'exec':
        if (!list(h.exec!.command).length) errs.push(fieldErr.required(`${p}.command`));
        break;
      case 'httpGet': {
        const a = h.httpGet!;
        if (!text(a.path)) errs.push(fieldErr.required(`${p}.path`));
        errs.push(...portNumOrName(a.port, `${p}.port`));
        const scheme = text(a.scheme);
        if (!HTTP_SCHEMES.includes(scheme)) errs.push(fieldErr.notSupported(`${p}.scheme`, scheme, HTTP_SCHEMES));
        for (const h2 of objs(a.httpHeaders)) {
          const hn = text(h2.name);
          if (!/^[-A-Za-z0-9]+$/.test(hn))
            errs.push(
              fieldErr.invalid(
                `${p}.httpHeaders`,
                hn,
                regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name'),
              ),
            );
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...portNumOrName(h.tcpSocket!.port, `${p}.port`));
        break;
      case 'grpc':
        errs.push(...portNumOrName(num(h.grpc!.port), `${p}.port`));
        break;
      case 'sleep': {
        const s = num(h.sleep!.seconds);
        const g = ctx.gracePeriod;
        if (g !== undefined) {
          if (ctx.o.sleepZero) {
            if (s < 0 || s > g)
              errs.push(fieldErr.invalid(p, s, `must be non-negative and less than terminationGracePeriodSeconds (${g})`));
          } else if (s <= 0 || s > g) {
            errs.push(
              fieldErr.invalid(
                p,
                s,
                `must be greater than 0 and less than terminationGracePeriodSeconds (${g}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
              ),
            );
          }
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(fieldErr.required(f, 'must specify a handler type'));
  return errs;
}

function probe(pr: Probe | undefined, f: string, ctx: Ctx, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  const p = obj(pr);
  if (!p) return [];
  const errs = handler(p, ['exec', 'httpGet', 'tcpSocket', 'grpc'], f, ctx);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const)
    errs.push(...nonNegative(p[k], `${f}.${k}`));
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds <= 0) {
    errs.push(fieldErr.invalid(`${f}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind === 'readiness') {
    if (has(p.terminationGracePeriodSeconds))
      errs.push(
        fieldErr.invalid(`${f}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'),
      );
  } else if (num(p.successThreshold) !== 1) {
    errs.push(fieldErr.invalid(`${f}.successThreshold`, num(p.successThreshold), 'must be 1'));
  }
  return errs;
}

function lifecycle(lc: Lifecycle, f: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = obj(lc[hook]);
    if (h) errs.push(...handler(h, ['exec', 'httpGet', 'tcpSocket', 'sleep'], `${f}.${hook}`, ctx));
  }
  return errs;
}

function probesAndHooks(c: AnyContainer, p: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  const lc = obj(c.lifecycle);
  if (lc) errs.push(...lifecycle(lc, `${p}.lifecycle`, ctx));
  errs.push(...probe(c.livenessProbe, `${p}.livenessProbe`, ctx, 'liveness'));
  errs.push(...probe(c.readinessProbe, `${p}.readinessProbe`, ctx, 'readiness'));
  errs.push(...probe(c.startupProbe, `${p}.startupProbe`, ctx, 'startup'));
  return errs;
}

/** AccumulateUniqueHostPorts: `protocol/hostIP/hostPort` must be unique. */
function hostPortConflicts(containers: Container[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    objs(c.ports).forEach((port, pi) => {
      if (!num(port.hostPort)) return;
      const key = `${text(port.protocol)}/${text(port.hostIP)}/${port.hostPort}`;
      if (seen.has(key)) errs.push(fieldErr.duplicate(`${f}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(containers: Container[], f: string, ctx: Ctx): FieldError[] {
  if (!containers.length) return [fieldErr.required(f)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${f}[${i}]`;
    errs.push(...containerCommon(c, p, ctx));
    const name = text(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
    else names.add(name);
    errs.push(...probesAndHooks(c, p, ctx));
    if (has(c.restartPolicy)) errs.push(fieldErr.forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(containers, f));
  return errs;
}

function validateInitContainers(inits: Container[], regular: Container[], f: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regular.map((c) => text(c.name)));
  inits.forEach((c, i) => {
    const p = `${f}[${i}]`;
    errs.push(...containerCommon(c, p, ctx));
    let always = false;
    if (has(c.restartPolicy)) {
      if (c.restartPolicy !== 'Always') errs.push(fieldErr.notSupported(`${p}.restartPolicy`, c.restartPolicy, ['Always']));
      always = c.restartPolicy === 'Always';
    }
    const name = text(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
    else if (name) names.add(name);
    // Upstream checks each init container alone, as the only element of a list (hence index 0).
    errs.push(...hostPortConflicts([c], f));
    if (always) errs.push(...probesAndHooks(c, p, ctx));
    else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (has(c[k])) errs.push(fieldErr.forbidden(`${p}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/** EphemeralContainerCommon fields that may not be set (upstream's allow list, in struct order). */
const EPHEMERAL_FORBIDDEN = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
] as const;

function validateEphemeralContainers(
  eph: EphemeralContainer[],
  containers: Container[],
  inits: Container[],
  f: string,
  ctx: Ctx,
): FieldError[] {
  if (!eph.length) return [];
  const errs: FieldError[] = [];
  const others = new Set([...containers, ...inits].map((c) => text(c.name)));
  const all = new Set(others);
  eph.forEach((c, i) => {
    const p = `${f}[${i}]`;
    errs.push(...containerCommon(c, p, ctx));
    if (text(c.image) !== text(c.image).trim())
      errs.push(fieldErr.invalid(`${p}.image`, c.image, 'must not have leading or trailing whitespace'));
    const name = text(c.name);
    if (all.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
    else all.add(name);
    const target = text(c.targetContainerName);
    if (target && !others.has(target)) errs.push(fieldErr.notFound(`${p}.targetContainerName`, target));
    for (const k of EPHEMERAL_FORBIDDEN) {
      const v = c[k];
      const zero = !has(v) || (Array.isArray(v) && !v.length) || (k === 'resources' && !Object.values(obj(c.resources) ?? {}).some(has));
      if (!zero) errs.push(fieldErr.forbidden(`${p}.${k}`, 'cannot be set for an Ephemeral Container'));
    }
    objs(c.volumeMounts).forEach((m, j) => {
      if (text(m.subPath)) errs.push(fieldErr.forbidden(`${p}.volumeMounts[${j}].subPath`, 'cannot be set for an Ephemeral Container'));
      if (text(m.subPathExpr))
        errs.push(fieldErr.forbidden(`${p}.volumeMounts[${j}].subPathExpr`, 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

// ---- pod-level fields ----

const IPC_SYSCTLS = new Set([
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
]);
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;

function podSecurityContext(spec: PodSpec, f: string): FieldError[] {
  const s = obj(spec.securityContext);
  if (!s) return [];
  const errs: FieldError[] = [
    ...idRange(s.fsGroup, `${f}.fsGroup`),
    ...idRange(s.runAsUser, `${f}.runAsUser`),
    ...idRange(s.runAsGroup, `${f}.runAsGroup`),
  ];
  list(s.supplementalGroups).forEach((g, i) => errs.push(...idRange(g, `${f}.supplementalGroups[${i}]`)));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(fieldErr.invalid(`${f}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const sysctls = objs(s.sysctls);
  if (sysctls.length) {
    const names = new Set<string>();
    sysctls.forEach((sc, i) => {
      const name = text(sc.name);
      const p = `${f}.sysctls[${i}].name`;
      if (!name) errs.push(fieldErr.required(p));
      else if (name.length > 253 || !new RegExp(SYSCTL_RE).test(name))
        errs.push(fieldErr.invalid(p, name, `must have at most 253 characters and match regex ${SYSCTL_RE}`));
      else if (names.has(name)) errs.push(fieldErr.duplicate(p, name));
      const dotted = name.replace(/\//g, '.');
      if (spec.hostNetwork === true && dotted.startsWith('net.'))
        errs.push(fieldErr.invalid(p, name, "may not be specified when 'hostNetwork' is true"));
      else if (spec.hostIPC === true && (IPC_SYSCTLS.has(dotted) || dotted.startsWith('fs.mqueue.')))
        errs.push(fieldErr.invalid(p, name, "may not be specified when 'hostIPC' is true"));
      names.add(name);
    });
  }
  if (has(s.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(String(s.fsGroupChangePolicy))) {
    errs.push(fieldErr.notSupported(`${f}.fsGroupChangePolicy`, s.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...seccompProfileField(s.seccompProfile, `${f}.seccompProfile`));
  errs.push(...appArmorProfileField(s.appArmorProfile, `${f}.appArmorProfile`));
  if (has(s.supplementalGroupsPolicy) && !['Merge', 'Strict'].includes(String(s.supplementalGroupsPolicy))) {
    errs.push(fieldErr.notSupported(`${f}.supplementalGroupsPolicy`, s.supplementalGroupsPolicy, ['Merge', 'Strict']));
  }
  return errs;
}

function nodeSelectorRequirement(r: NodeSelectorRequirement, f: string, allowInvalidValue: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = list(r.values);
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (!values.length) errs.push(fieldErr.required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length) errs.push(fieldErr.forbidden(`${f}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1)
        errs.push(fieldErr.required(`${f}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fieldErr.invalid(`${f}.operator`, text(r.operator), 'not a valid selector operator'));
  }
  errs.push(...labelName(text(r.key), `${f}.key`));
  if (!allowInvalidValue) values.forEach((v, i) => errs.push(...invalidEach(`${f}.values[${i}]`, v, isValidLabelValue(String(v)))));
  return errs;
}

function nodeSelectorTerm(term: NodeSelectorTerm, f: string, allowInvalidValue: boolean): FieldError[] {
  const errs: FieldError[] = [];
  objs(term.matchExpressions).forEach((r, j) => errs.push(...nodeSelectorRequirement(r, `${f}.matchExpressions[${j}]`, allowInvalidValue)));
  objs(term.matchFields).forEach((r, j) => {
    const p = `${f}.matchFields[${j}]`;
    if (r.operator === 'In' || r.operator === 'NotIn') {
      if (list(r.values).length !== 1)
        errs.push(fieldErr.required(`${p}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    } else errs.push(fieldErr.invalid(`${p}.operator`, text(r.operator), 'not a valid selector operator'));
    if (r.key !== 'metadata.name') errs.push(fieldErr.invalid(`${p}.key`, text(r.key), 'not a valid field selector key'));
    else list(r.values).forEach((v, i) => errs.push(...invalidEach(`${p}.values[${i}]`, v, nameIsDNSSubdomain(String(v), false))));
  });
  return errs;
}

/** ValidateNodeSelector (a required node affinity, a PersistentVolume's nodeAffinity.required): at least one term, each valid. */
export function validateNodeSelector(sel: NodeSelector, f: string, allowInvalidValue: boolean): FieldError[] {
  const tp = `${f}.nodeSelectorTerms`;
  const terms = objs(sel.nodeSelectorTerms);
  if (!terms.length) return [fieldErr.required(tp, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => nodeSelectorTerm(t, `${tp}[${i}]`, allowInvalidValue));
}

/** Terms of a podAffinity or podAntiAffinity: required ones, or `weighted` (preferred) ones. */
function podAffinityTerms(terms: (PodAffinityTerm | WeightedPodAffinityTerm)[], f: string, weighted: boolean): FieldError[] {
  const errs: FieldError[] = [];
  terms.forEach((t, i) => {
    let term = t as Partial<PodAffinityTerm>;
    let p = `${f}[${i}]`;
    if (weighted) {
      const w = t as WeightedPodAffinityTerm;
      if (num(w.weight) <= 0 || num(w.weight) > 100)
        errs.push(fieldErr.invalid(`${p}.weight`, num(w.weight), 'must be in the range 1-100'));
      term = obj(w.podAffinityTerm) ?? {};
      p = `${p}.podAffinityTerm`;
    }
    errs.push(...labelSelector(term.labelSelector, `${p}.labelSelector`));
    errs.push(...labelSelector(term.namespaceSelector, `${p}.namespaceSelector`));
    for (const ns of list(term.namespaces)) errs.push(...invalidEach(`${p}.namespace`, ns, isDNS1123Label(ns)));
    const topologyKey = text(term.topologyKey);
    if (!topologyKey) errs.push(fieldErr.required(`${p}.topologyKey`, 'can not be empty'));
    errs.push(...labelName(topologyKey, `${p}.topologyKey`));
  });
  return errs;
}

function affinity(a: Affinity | undefined, f: string): FieldError[] {
  const aff = obj(a);
  if (!aff) return [];
  const errs: FieldError[] = [];
  const na = obj(aff.nodeAffinity);
  if (na) {
    const np = `${f}.nodeAffinity`;
    const required = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (required) errs.push(...validateNodeSelector(required, `${np}.requiredDuringSchedulingIgnoredDuringExecution`, false));
    objs(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const p = `${np}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (num(t.weight) <= 0 || num(t.weight) > 100)
        errs.push(fieldErr.invalid(`${p}.weight`, num(t.weight), 'must be in the range 1-100'));
      errs.push(...nodeSelectorTerm(obj(t.preference) ?? {}, `${p}.preference`, true));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = obj(aff[kind]);
    if (!pa) continue;
    errs.push(
      ...podAffinityTerms(
        objs(pa.requiredDuringSchedulingIgnoredDuringExecution),
        `${f}.${kind}.requiredDuringSchedulingIgnoredDuringExecution`,
        false,
      ),
    );
    errs.push(
      ...podAffinityTerms(
        objs(pa.preferredDuringSchedulingIgnoredDuringExecution),
        `${f}.${kind}.preferredDuringSchedulingIgnoredDuringExecution`,
        true,
      ),
    );
  }
  return errs;
}

function dnsConfig(spec: PodSpec, f: string, o: Opts): FieldError[] {
  const cfg = obj(spec.dnsConfig);
  if (spec.dnsPolicy === 'None') {
    if (!cfg) return [fieldErr.required(f, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!list(cfg.nameservers).length)
      return [fieldErr.required(`${f}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = list(cfg.nameservers);
  if (ns.length > MAX_DNS_NAMESERVERS)
    errs.push(fieldErr.invalid(`${f}.nameservers`, ns, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  ns.forEach((n, i) => errs.push(...validateIP(String(n), `${f}.nameservers[${i}]`)));
  const searches = list(cfg.searches);
  if (searches.length > MAX_DNS_SEARCH_PATHS)
    errs.push(fieldErr.invalid(`${f}.searches`, searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  if (searches.join(' ').length > MAX_DNS_SEARCH_CHARS) {
    errs.push(
      fieldErr.invalid(
        `${f}.searches`,
        searches,
        `must not have more than ${MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list`,
      ),
    );
  }
  searches.forEach((s, i) => {
    const p = `${f}.searches[${i}]`;
    if (o.relaxedDNSSearch) {
      if (s === '.') return;
      const v = s.replace(/\.$/, '');
      const ok = v.length <= 253 && /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/.test(v);
      if (v.length > 253) errs.push(fieldErr.invalid(p, v, maxLenError(253)));
      if (!ok && v.length <= 253) {
        errs.push(
          fieldErr.invalid(
            p,
            v,
            regexError(
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
              '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*',
              'example.com',
            ),
          ),
        );
      }
    } else errs.push(...validateDNS1123Subdomain(s.replace(/\.$/, ''), p));
  });
  objs(cfg.options).forEach((opt, i) => {
    if (!text(opt.name)) errs.push(fieldErr.required(`${f}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

function tolerations(tols: Toleration[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  tols.forEach((t, i) => {
    const p = `${f}[${i}]`;
    const key = text(t.key);
    const op = text(t.operator);
    const effect = text(t.effect);
    if (key) errs.push(...labelName(key, `${p}.key`));
    if (!key && op !== 'Exists')
      errs.push(
        fieldErr.invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    if (has(t.tolerationSeconds) && effect !== 'NoExecute')
      errs.push(fieldErr.invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(text(t.value));
      if (msgs.length) errs.push(fieldErr.invalid(`${p}.operator`, text(t.value), msgs.join(';')));
    } else if (op === 'Exists') {
      if (text(t.value)) errs.push(fieldErr.invalid(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    } else errs.push(fieldErr.notSupported(`${p}.operator`, op, ['Equal', 'Exists']));
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(fieldErr.notSupported(`${p}.effect`, effect, TAINT_EFFECTS));
  });
  return errs;
}

function topologySpread(constraints: TopologySpreadConstraint[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  constraints.forEach((c, i) => {
    const p = `${f}[${i}]`;
    if (num(c.maxSkew) <= 0) errs.push(fieldErr.invalid(`${p}.maxSkew`, num(c.maxSkew), NOT_POSITIVE_MSG));
    if (!text(c.topologyKey)) errs.push(fieldErr.required(`${p}.topologyKey`, 'can not be empty'));
    const action = text(c.whenUnsatisfiable);
    if (action !== 'DoNotSchedule' && action !== 'ScheduleAnyway')
      errs.push(fieldErr.notSupported(`${p}.whenUnsatisfiable`, action, ['DoNotSchedule', 'ScheduleAnyway']));
    if (constraints.slice(i + 1).some((o) => text(o.topologyKey) === text(c.topologyKey) && text(o.whenUnsatisfiable) === action)) {
      errs.push(fieldErr.duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${text(c.topologyKey)}, ${action}}`));
    }
    if (has(c.minDomains)) {
      if (num(c.minDomains) <= 0) errs.push(fieldErr.invalid(`${p}.minDomains`, c.minDomains, NOT_POSITIVE_MSG));
      if (action !== 'DoNotSchedule')
        errs.push(
          fieldErr.invalid(`${p}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`),
        );
    }
    for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      if (has(c[k]) && c[k] !== 'Honor' && c[k] !== 'Ignore') errs.push(fieldErr.notSupported(`${p}.${k}`, c[k], ['Honor', 'Ignore']));
    }
    const keys = list(c.matchLabelKeys);
    if (keys.length) {
      const sel = obj(c.labelSelector);
      const selKeys = new Set([...Object.keys(obj(sel?.matchLabels) ?? {}), ...objs(sel?.matchExpressions).map((e) => text(e.key))]);
      if (!sel) errs.push(fieldErr.forbidden(`${p}.matchLabelKeys`, 'must not be specified when labelSelector is not set'));
      keys.forEach((k, j) => {
        errs.push(...labelName(k, `${p}.matchLabelKeys[${j}]`));
        if (selKeys.has(k)) errs.push(fieldErr.invalid(`${p}.matchLabelKeys[${j}]`, k, 'exists in both matchLabelKeys and labelSelector'));
      });
    }
    errs.push(...labelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}

function podOS(spec: PodSpec, f: string): FieldError[] {
  const os = obj(spec.os);
  if (!os) return [];
  const name = text(os.name);
  if (!name) return [fieldErr.required(`${f}.os.name`, 'cannot be empty')];
  if (name !== 'linux' && name !== 'windows') return [fieldErr.notSupported(`${f}.os`, name, ['linux', 'windows'])];
  const errs: FieldError[] = [];
  const sc = obj(spec.securityContext) ?? {};
  const all = containersWithPaths(spec, f);
  if (name === 'linux') {
    if (has(sc.windowsOptions))
      errs.push(fieldErr.forbidden(`${f}.securityContext.windowsOptions`, 'windows options cannot be set for a linux pod'));
    for (const [c, p] of all)
      if (has(obj(c.securityContext)?.windowsOptions))
        errs.push(fieldErr.forbidden(`${p}.securityContext.windowsOptions`, 'windows options cannot be set for a linux pod'));
    return errs;
  }
  const w = 'cannot be set for a windows pod';
  const podFields: [string, boolean, string][] = [
    ['appArmorProfile', has(sc.appArmorProfile), `${f}.securityContext.appArmorProfile`],
    ['seLinuxOptions', has(sc.seLinuxOptions), `${f}.securityContext.seLinuxOptions`],
    ['hostUsers', has(spec.hostUsers), `${f}.hostUsers`],
    ['hostPID', spec.hostPID === true, `${f}.hostPID`],
    ['hostIPC', spec.hostIPC === true, `${f}.hostIPC`],
    ['seccompProfile', has(sc.seccompProfile), `${f}.securityContext.seccompProfile`],
    ['fsGroup', has(sc.fsGroup), `${f}.securityContext.fsGroup`],
    ['fsGroupChangePolicy', has(sc.fsGroupChangePolicy), `${f}.securityContext.fsGroupChangePolicy`],
    ['sysctls', objs(sc.sysctls).length > 0, `${f}.securityContext.sysctls`],
    ['shareProcessNamespace', has(spec.shareProcessNamespace), `${f}.shareProcessNamespace`],
    ['runAsUser', has(sc.runAsUser), `${f}.securityContext.runAsUser`],
    ['runAsGroup', has(sc.runAsGroup), `${f}.securityContext.runAsGroup`],
    ['supplementalGroups', has(sc.supplementalGroups), `${f}.securityContext.supplementalGroups`],
    ['supplementalGroupsPolicy', has(sc.supplementalGroupsPolicy), `${f}.securityContext.supplementalGroupsPolicy`],
  ];
  for (const [, set, p] of podFields) if (set) errs.push(fieldErr.forbidden(p, w));
  for (const [c, p] of all) {
    const s = obj(c.securityContext);
    if (!s) continue;
    for (const k of [
      'appArmorProfile',
      'seLinuxOptions',
      'seccompProfile',
      'capabilities',
      'readOnlyRootFilesystem',
      'privileged',
      'allowPrivilegeEscalation',
      'procMount',
      'runAsUser',
      'runAsGroup',
    ] as const) {
      if (has(s[k])) errs.push(fieldErr.forbidden(`${p}.securityContext.${k}`, w));
    }
  }
  return errs;
}

/** ValidatePodSpec. */
export function validatePodSpecFields(spec: PodSpec, meta: ObjectMeta | undefined, o: Opts, f = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  if (!has(spec.terminationGracePeriodSeconds)) errs.push(fieldErr.required(`${f}.terminationGracePeriodSeconds`));
  const { vols, errs: volErrs } = validateVolumes(objs(spec.volumes), meta, `${f}.volumes`);
  errs.push(...volErrs);
  const ctx: Ctx = {
    vols,
    gracePeriod: typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined,
    restartPolicy: text(spec.restartPolicy),
    hostUsers: spec.hostUsers !== false,
    o,
  };
  const containers = objs(spec.containers);
  const inits = objs(spec.initContainers);
  errs.push(...validateContainers(containers, `${f}.containers`, ctx));
  errs.push(...validateInitContainers(inits, containers, `${f}.initContainers`, ctx));
  errs.push(...validateEphemeralContainers(objs(spec.ephemeralContainers), containers, inits, `${f}.ephemeralContainers`, ctx));
  // validatePodHostNetworkDeps (a template need not name the host port)
  if (spec.hostNetwork === true) {
    containers.forEach((c, i) =>
      objs(c.ports).forEach((port, j) => {
        if (o.template && num(port.hostPort) === 0) return;
        if (num(port.hostPort) !== num(port.containerPort)) {
          errs.push(
            fieldErr.invalid(
              `${f}.containers[${i}].ports[${j}].hostPort`,
              num(port.hostPort),
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      }),
    );
  }
  const rp = text(spec.restartPolicy);
  if (!rp) errs.push(fieldErr.required(`${f}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(fieldErr.notSupported(`${f}.restartPolicy`, rp, RESTART_POLICIES));
  const dp = text(spec.dnsPolicy);
  if (!dp) errs.push(fieldErr.required(`${f}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dp)) errs.push(fieldErr.notSupported(`${f}.dnsPolicy`, dp, DNS_POLICIES));
  errs.push(...validateLabels(obj(spec.nodeSelector), `${f}.nodeSelector`));
  errs.push(...podSecurityContext(spec, `${f}.securityContext`));
  errs.push(...affinity(spec.affinity, `${f}.affinity`));
  errs.push(...dnsConfig(spec, `${f}.dnsConfig`, o));
  objs(spec.readinessGates).forEach((g, i) =>
    errs.push(...validateQualifiedName(text(g.conditionType), `${f}.readinessGates[${i}].conditionType`)),
  );
  const gates = new Set<string>();
  objs(spec.schedulingGates).forEach((g, i) => {
    const name = text(g.name);
    errs.push(...validateQualifiedName(name, `${f}.schedulingGates[${i}]`));
    if (gates.has(name)) errs.push(fieldErr.duplicate(`${f}.schedulingGates[${i}]`, name));
    gates.add(name);
  });
  errs.push(...topologySpread(objs(spec.topologySpreadConstraints), `${f}.topologySpreadConstraints`));
  const sa = text(spec.serviceAccountName);
  if (sa) errs.push(...invalidEach(`${f}.serviceAccountName`, sa, nameIsDNSSubdomain(sa, false)));
  const node = text(spec.nodeName);
  if (node) errs.push(...invalidEach(`${f}.nodeName`, node, nameIsDNSSubdomain(node, false)));
  if (typeof spec.activeDeadlineSeconds === 'number' && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(fieldErr.invalid(`${f}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  if (text(spec.hostname)) errs.push(...validateDNS1123Label(text(spec.hostname), `${f}.hostname`));
  if (text(spec.subdomain)) errs.push(...validateDNS1123Label(text(spec.subdomain), `${f}.subdomain`));
  errs.push(...tolerations(objs(spec.tolerations), `${f}.tolerations`));
  objs(spec.hostAliases).forEach((ha, i) => {
    errs.push(...validateIP(text(ha.ip), `${f}.hostAliases[${i}].ip`));
    list(ha.hostnames).forEach((h, j) => errs.push(...validateDNS1123Subdomain(String(h), `${f}.hostAliases[${i}].hostnames[${j}]`)));
  });
  const pc = text(spec.priorityClassName);
  if (pc) errs.push(...invalidEach(`${f}.priorityClassName`, pc, nameIsDNSSubdomain(pc, false)));
  if (typeof spec.runtimeClassName === 'string')
    errs.push(...invalidEach(`${f}.runtimeClassName`, spec.runtimeClassName, nameIsDNSSubdomain(spec.runtimeClassName, false)));
  if (typeof spec.preemptionPolicy === 'string') {
    if (!spec.preemptionPolicy) errs.push(fieldErr.required(`${f}.preemptionPolicy`));
    else if (!['PreemptLowerPriority', 'Never'].includes(spec.preemptionPolicy)) {
      errs.push(fieldErr.notSupported(`${f}.preemptionPolicy`, spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
    }
  }
  const overhead = obj(spec.overhead);
  if (overhead) errs.push(...resourceRequirements({ limits: overhead }, `${f}.overhead`));
  errs.push(...podOS(spec, f));
  return errs;
}

// ---- annotations ----

function seccompAnnotation(p: string, f: string): FieldError[] {
  if (p === 'runtime/default' || p === 'docker/default' || p === 'unconfined') return [];
  if (p.startsWith('localhost/')) return localDescendingPath(p.slice('localhost/'.length), f);
  return [fieldErr.invalid(f, p, 'must be a valid seccomp profile')];
}

function podAnnotations(annotations: Record<string, string>, spec: Partial<PodSpec>, f = 'metadata.annotations'): FieldError[] {
  const errs: FieldError[] = [];
  if (MIRROR_POD_ANNOTATION in annotations && !text(spec.nodeName)) {
    errs.push(
      fieldErr.invalid(
        `${f}[${MIRROR_POD_ANNOTATION}]`,
        annotations[MIRROR_POD_ANNOTATION],
        'must set spec.nodeName if mirror pod annotation is set',
      ),
    );
  }
  if (DELETION_COST_ANNOTATION in annotations) {
    const v = annotations[DELETION_COST_ANNOTATION]!;
    const firstOk = v === '0' || /^-|^[1-9]/.test(v);
    const n = Number(v);
    if (!firstOk || !/^-?\d+$/.test(v) || n < -MAX_INT32 - 1 || n > MAX_INT32) {
      errs.push(fieldErr.invalid(`${f}[${DELETION_COST_ANNOTATION}]`, v, 'must be a 32bit integer'));
    }
  }
  if (SECCOMP_POD_ANNOTATION in annotations)
    errs.push(...seccompAnnotation(annotations[SECCOMP_POD_ANNOTATION]!, `${f}.${SECCOMP_POD_ANNOTATION}`));
  for (const [k, v] of Object.entries(annotations))
    if (k.startsWith(SECCOMP_CONTAINER_PREFIX)) errs.push(...seccompAnnotation(v, `${f}.${k}`));
  const names = new Set(containersWithPaths(spec, '').map(([c]) => text(c.name)));
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(APPARMOR_PREFIX)) continue;
    const container = k.slice(APPARMOR_PREFIX.length);
    if (!names.has(container)) errs.push(fieldErr.invalid(`${f}[${k}]`, container, 'container not found'));
    if (v && v !== 'runtime/default' && v !== 'unconfined' && !v.startsWith('localhost/')) {
      errs.push(fieldErr.invalid(`${f}[${k}]`, v, `invalid AppArmor profile name: ${JSON.stringify(v)}`));
    }
  }
  return errs;
}

function annotationUpdates(pod: PodLike, old: PodLike, f = 'metadata.annotations'): FieldError[] {
  const errs: FieldError[] = [];
  const na = pod.metadata.annotations ?? {};
  const oa = old.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(oa)) {
    if (k in na && na[k] === v) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(fieldErr.forbidden(`${f}[${k}]`, 'may not remove or update AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION) errs.push(fieldErr.forbidden(`${f}[${k}]`, 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(na)) {
    if (k in oa) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(fieldErr.forbidden(`${f}[${k}]`, 'may not add AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION) errs.push(fieldErr.forbidden(`${f}[${k}]`, 'may not add mirror pod annotation'));
  }
  errs.push(...podAnnotations(na, pod.spec ?? {}, f));
  return errs;
}

// ---- create ----

function seccompMatches(annotation: string, field: SeccompProfile, f: string): FieldError | undefined {
  switch (field.type) {
    case 'Unconfined':
      return annotation !== 'unconfined' ? fieldErr.forbidden(`${f}.type`, 'seccomp type in annotation and field must match') : undefined;
    case 'RuntimeDefault':
      return annotation !== 'runtime/default' && annotation !== 'docker/default'
        ? fieldErr.forbidden(`${f}.type`, 'seccomp type in annotation and field must match')
        : undefined;
    case 'Localhost':
      if (!annotation.startsWith('localhost/')) return fieldErr.forbidden(`${f}.type`, 'seccomp type in annotation and field must match');
      if (annotation.slice('localhost/'.length) !== field.localhostProfile)
        return fieldErr.forbidden(`${f}.localhostProfile`, 'seccomp profile in annotation and field must match');
  }
  return undefined;
}

/**
 * validateSeccompAnnotationsAndFields and validateAppArmorAnnotationsAndFieldsMatchOnCreate; `f`
 * is the spec's path (`spec` of a Pod, `template.spec` of a PodTemplate).
 */
function annotationsMatchFields(meta: ObjectMeta, spec: Partial<PodSpec>, f = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  const ann = meta.annotations ?? {};
  const podSeccomp = obj(obj(spec.securityContext)?.seccompProfile);
  if (podSeccomp && SECCOMP_POD_ANNOTATION in ann) {
    const e = seccompMatches(ann[SECCOMP_POD_ANNOTATION]!, podSeccomp, `${f}.securityContext.seccompProfile`);
    if (e) errs.push(e);
  }
  for (const [c, p] of containersWithPaths(spec, f)) {
    const sp = obj(obj(c.securityContext)?.seccompProfile);
    const key = SECCOMP_CONTAINER_PREFIX + text(c.name);
    if (sp && key in ann) {
      const e = seccompMatches(ann[key]!, sp, `${p}.securityContext.seccompProfile`);
      if (e) errs.push(e);
    }
  }
  if (obj(spec.os)?.name === 'windows') return errs;
  const podProfile = obj(obj(spec.securityContext)?.appArmorProfile);
  for (const [c, p] of containersWithPaths(spec, f)) {
    const profile = obj(obj(c.securityContext)?.appArmorProfile) ?? podProfile;
    const key = APPARMOR_PREFIX + text(c.name);
    if (!profile || !(key in ann)) continue;
    const a = ann[key]!;
    const ap = `${p}.securityContext.appArmorProfile`;
    if (profile.type === 'Unconfined' && a !== 'unconfined')
      errs.push(fieldErr.forbidden(`${ap}.type`, 'apparmor type in annotation and field must match'));
    else if (profile.type === 'RuntimeDefault' && a !== 'runtime/default')
      errs.push(fieldErr.forbidden(`${ap}.type`, 'apparmor type in annotation and field must match'));
    else if (profile.type === 'Localhost') {
      if (!a.startsWith('localhost/')) errs.push(fieldErr.forbidden(`${ap}.type`, 'apparmor type in annotation and field must match'));
      else if (a.slice('localhost/'.length) !== profile.localhostProfile)
        errs.push(fieldErr.forbidden(`${ap}.localhostProfile`, 'apparmor profile in annotation and field must match'));
    }
  }
  return errs;
}

/** validatePodMetadataAndSpec without ValidateObjectMeta (the generic layer's). */
function podMetadataAndSpec(pod: PodLike, o: Opts): FieldError[] {
  const spec = pod.spec ?? ({} as PodSpec);
  const errs = podAnnotations(pod.metadata.annotations ?? {}, spec);
  errs.push(...validatePodSpecFields(spec, pod.metadata, o));
  if (!text(spec.serviceAccountName)) {
    objs(spec.volumes).forEach((v, vi) => {
      objs(obj(v.projected)?.sources).forEach((s, si) => {
        if (obj(s.serviceAccountToken)) {
          errs.push(
            fieldErr.forbidden(
              `spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`,
              'must not be specified when serviceAccountName is not set',
            ),
          );
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers'] as const) {
    objs(spec[kind]).forEach((c, i) => {
      if (text(c.image) !== text(c.image).trim())
        errs.push(fieldErr.invalid(`spec.${kind}[${i}].image`, c.image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

const usesZeroSleep = (spec: PodSpec | undefined) =>
  (['initContainers', 'containers'] as const).some((kind) =>
    objs(spec?.[kind]).some((c) => (['postStart', 'preStop'] as const).some((h) => obj(obj(obj(c.lifecycle)?.[h])?.sleep)?.seconds === 0)),
  );
const usesRelaxedSearch = (spec: PodSpec | undefined) => list(obj(spec?.dnsConfig)?.searches).some((s) => s === '.' || s.includes('_'));

function optionsFor(old: PodSpec | undefined): Opts {
  return { relaxedEnvNames: true, relaxedDNSSearch: usesRelaxedSearch(old), sleepZero: usesZeroSleep(old) };
}

/**
 * ValidatePodEphemeralContainersUpdate (ObjectMeta aside): the whole Pod must still be valid, and
 * ephemeral containers may only be added, never changed or removed.
 */
export function validatePodEphemeralContainersUpdate(pod: PodLike, old: PodLike): FieldError[] {
  const errs = podMetadataAndSpec(pod, optionsFor(old.spec));
  errs.push(...annotationUpdates(pod, old));
  const next = new Map(objs(pod.spec?.ephemeralContainers).map((c) => [text(c.name), c]));
  for (const prev of objs(old.spec?.ephemeralContainers)) {
    const name = text(prev.name);
    const now = next.get(name);
    if (!now)
      errs.push(
        fieldErr.forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`),
      );
    else if (!semanticEqual(prev, now))
      errs.push(
        fieldErr.forbidden(
          'spec.ephemeralContainers',
          `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${ephemeralContainerDiff(prev, now)}`,
        ),
      );
  }
  return errs;
}

/** ValidatePodCreate (ObjectMeta aside). */
export function validatePodCreate(pod: PodLike): FieldError[] {
  const spec: Partial<PodSpec> = pod.spec ?? {};
  const errs = podMetadataAndSpec(pod, optionsFor(undefined));
  if (objs(spec.ephemeralContainers).length) errs.push(fieldErr.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (text(spec.nodeName) && objs(spec.schedulingGates).length)
    errs.push(fieldErr.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  errs.push(...annotationsMatchFields(pod.metadata, spec));
  return errs;
}

/**
 * ValidatePodTemplateSpec at `f` (`template` of a PodTemplate): the template's labels and
 * annotations (upstream's paths: `template.labels`, not `template.metadata.labels`), the
 * pod-specific annotations, ValidatePodSpec (no Pod metadata: ephemeral volume names are not
 * checked), seccomp and AppArmor annotations against fields, and no ephemeral containers. The
 * options come from the old template as for Pods (GetValidationOptionsFromPodTemplate).
 */
export function validatePodTemplateSpec(
  template: { metadata?: Pick<ObjectMeta, 'labels' | 'annotations'>; spec?: PodSpec } | undefined,
  f: string,
  oldSpec?: PodSpec,
): FieldError[] {
  const meta = template?.metadata ?? {};
  const spec = template?.spec ?? ({} as PodSpec);
  const errs = validateLabels(meta.labels, `${f}.labels`);
  errs.push(...validateAnnotations(meta.annotations, `${f}.annotations`));
  errs.push(...podAnnotations(meta.annotations ?? {}, spec, `${f}.annotations`));
  errs.push(...validatePodSpecFields(spec, undefined, { ...optionsFor(oldSpec), template: true }, `${f}.spec`));
  errs.push(...annotationsMatchFields({ annotations: meta.annotations }, spec, `${f}.spec`));
  if (objs(spec.ephemeralContainers).length)
    errs.push(fieldErr.forbidden(`${f}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

// ---- update ----

/** apiequality.Semantic.DeepEqual on JSON: nil and empty lists are equal, quantities by value. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length ? v.map(norm) : undefined;
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const n = norm((v as Record<string, unknown>)[k]);
        if (n !== undefined && n !== null) out[k] = n;
      }
      return out;
    }
    return v ?? undefined;
  };
  return JSON.stringify(norm(a) ?? null) === JSON.stringify(norm(b) ?? null);
}

function containerUpdates(next: Container[], prev: Container[], f: string): { errs: FieldError[]; stop: boolean } {
  if (next.length !== prev.length) return { errs: [fieldErr.forbidden(f, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  next.forEach((c, i) => {
    const image = text(c.image);
    if (!image) errs.push(fieldErr.required(`${f}[${i}].image`));
    if (image.trim().length !== image.length)
      errs.push(fieldErr.invalid(`${f}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(next: Toleration[], prev: Toleration[], f: string): FieldError[] {
  for (const o of prev) {
    const found = next.some((n) => semanticEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [fieldErr.forbidden(f, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return tolerations(next, f);
}

function onlyDeletedSchedulingGates(next: PodSchedulingGate[], prev: PodSchedulingGate[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!next.length) return errs;
  const added = new Map<string, number>();
  next.forEach((g, i) => added.set(text(g.name), i));
  for (const g of prev) added.delete(text(g.name));
  for (const [gate, i] of added)
    errs.push(fieldErr.forbidden(`${f}[${i}].name`, `only deletion is allowed, but found new scheduling gate '${gate}'`));
  return errs;
}

/** ValidatePodUpdate (ObjectMeta and its immutable fields aside). */
export function validatePodUpdateFull(pod: PodLike, old: PodLike): FieldError[] {
  const s = pod.spec ?? ({} as PodSpec);
  const o = old.spec ?? ({} as PodSpec);
  const errs = podMetadataAndSpec(pod, optionsFor(o));
  errs.push(...annotationUpdates(pod, old));
  for (const kind of ['containers', 'initContainers'] as const) {
    const r = containerUpdates(objs(s[kind]), objs(o[kind]), `spec.${kind}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  if (typeof s.activeDeadlineSeconds === 'number') {
    const v = s.activeDeadlineSeconds;
    if (v < 0 || v > MAX_INT32) {
      errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', v, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (typeof o.activeDeadlineSeconds === 'number' && o.activeDeadlineSeconds < v) {
      errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof o.activeDeadlineSeconds === 'number') {
    errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(objs(s.tolerations), objs(o.tolerations), 'spec.tolerations'));
  errs.push(...onlyDeletedSchedulingGates(objs(s.schedulingGates), objs(o.schedulingGates), 'spec.schedulingGates'));
  if (semanticEqual(s, o)) return errs;

  // Everything else must be equal once the mutable fields are taken from the old spec.
  const munged: PodSpec = structuredClone(s);
  for (const kind of ['containers', 'initContainers'] as const) {
    const list = munged[kind];
    if (Array.isArray(list)) munged[kind] = list.map((c, i) => ({ ...c, image: objs(o[kind])[i]?.image }));
  }
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  munged.schedulingGates = o.schedulingGates;
  munged.tolerations = o.tolerations;
  if (
    typeof o.terminationGracePeriodSeconds === 'number' &&
    o.terminationGracePeriodSeconds < 0 &&
    munged.terminationGracePeriodSeconds === 1
  ) {
    munged.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  }
  if (objs(o.schedulingGates).length) {
    // A gated Pod may gain nodeSelector entries and node affinity terms.
    if (!semanticEqual(munged.nodeSelector, o.nodeSelector)) {
      const prev = obj(o.nodeSelector) ?? {};
      const next = obj(munged.nodeSelector) ?? {};
      if (Object.entries(prev).some(([k, v]) => next[k] !== v)) {
        errs.push(
          fieldErr.invalid(
            'spec.nodeSelector',
            goStringMap(next),
            'only additions to spec.nodeSelector are allowed (no mutations or deletions)',
          ),
        );
      }
      munged.nodeSelector = o.nodeSelector;
    }
    const oldNA = obj(o.affinity)?.nodeAffinity;
    const newNA = obj(munged.affinity)?.nodeAffinity;
    if (!semanticEqual(oldNA, newNA)) {
      errs.push(...nodeAffinityMutation(newNA, oldNA));
      if (!munged.affinity && oldNA) munged.affinity = { nodeAffinity: oldNA };
      else if (munged.affinity && !o.affinity && !munged.affinity.podAffinity && !munged.affinity.podAntiAffinity) delete munged.affinity;
      else if (munged.affinity) munged.affinity = { ...munged.affinity, nodeAffinity: oldNA };
    }
  }
  if (!semanticEqual(munged, o)) {
    errs.push(
      fieldErr.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}\n${podSpecDiff(o, munged)}`),
    );
  }
  return errs;
}

function nodeAffinityMutation(next: NodeAffinity | undefined, prev: NodeAffinity | undefined): FieldError[] {
  const oldTerms = objs(obj(obj(prev)?.requiredDuringSchedulingIgnoredDuringExecution)?.nodeSelectorTerms);
  if (!obj(obj(prev)?.requiredDuringSchedulingIgnoredDuringExecution)) return [];
  const newTerms = objs(obj(obj(next)?.requiredDuringSchedulingIgnoredDuringExecution)?.nodeSelectorTerms);
  const f = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  if (oldTerms.length && oldTerms.length !== newTerms.length) {
    return [
      fieldErr.invalid(
        f,
        new GoLiteral('[]core.NodeSelectorTerm{…}'),
        'no additions/deletions to non-empty NodeSelectorTerms list are allowed',
      ),
    ];
  }
  const errs: FieldError[] = [];
  oldTerms.forEach((ot, i) => {
    const nt = newTerms[i] ?? {};
    let ok = true;
    if (
      !objs(ot.matchExpressions).length &&
      !objs(ot.matchFields).length &&
      (objs(nt.matchExpressions).length || objs(nt.matchFields).length)
    )
      ok = false;
    for (const k of ['matchExpressions', 'matchFields'] as const) {
      const l = objs(ot[k]).length;
      if (l && (objs(nt[k]).length < l || !semanticEqual(objs(nt[k]).slice(0, l), objs(ot[k])))) ok = false;
    }
    if (!ok)
      errs.push(
        fieldErr.invalid(`${f}[${i}]`, new GoLiteral('core.NodeSelectorTerm{…}'), 'only additions are allowed (no mutations or deletions)'),
      );
  });
  return errs;
}
