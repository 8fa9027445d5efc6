// Validators shared by every kind, with upstream's exact texts
// (staging/src/k8s.io/apimachinery/pkg/util/validation, .../api/validation/objectmeta.go,
// pkg/apis/core/validation). The `is*` functions return upstream's message lists; the
// `validate*` functions wrap them into field errors at a path.
import { fieldErr, type FieldError, type Path } from './field.js';
import type { KubeObject, ObjectMeta, OwnerReference } from './types.js';
import { isIP, parseCIDR, parseIP } from './ipnet.js';

// ---- message builders (upstream validation.RegexError / MaxLenError / EmptyError) ----

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (!examples.length) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
export const maxLenError = (n: number) => `must be no more than ${n} characters`;
export const emptyError = () => 'must be non-empty';
export const inclusiveRangeError = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;

// ---- names ----

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QNAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(v)) errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(v)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!DNS1035_LABEL_RE.test(v)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/** Label keys, annotation keys, finalizers: `[prefix/]name`. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (!prefix.length) errs.push(`prefix part ${emptyError()}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (!name.length) errs.push(`name part ${emptyError()}`);
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QNAME_RE.test(name)) errs.push(`name part ${regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(v)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

export function isValidPortNum(p: number): string[] {
  return Number.isInteger(p) && p >= 1 && p <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** IANA service names (named container ports, targetPort names). */
export function isValidPortName(p: string): string[] {
  const errs: string[] = [];
  if (p.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(p)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(p)) errs.push('must contain at least one letter (a-z)');
  if (p.includes('--')) errs.push('must not contain consecutive hyphens');
  if (p.length > 0 && (p.startsWith('-') || p.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** A ValidateNameFunc: `prefix` is true for generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

// upstream maskTrailingDash: a generateName prefix may end with '-' (it drops two characters, a quirk kept).
const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name);

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** path.IsValidPathSegmentName (rbac's ValidateRBACName): any name that is one URL path segment (`system:basic-user`). */
export const nameIsPathSegment: NameValidator = (name) => {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
};

// Kinds whose names upstream only requires to be path segments (the RBAC kinds; CSRs, whose own
// name rule accepts anything, are kept to what a URL can carry).
const PATH_SEGMENT_NAMED_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'CertificateSigningRequest']);

/** Name rules per kind: Services are DNS-1035 labels, Namespaces DNS-1123 labels, RBAC kinds path segments, the rest subdomains. */
export function nameValidatorForKind(kind: string): NameValidator {
  if (kind === 'Service') return nameIsDNS1035Label;
  if (kind === 'Namespace') return nameIsDNSLabel;
  if (PATH_SEGMENT_NAMED_KINDS.has(kind)) return nameIsPathSegment;
  return nameIsDNSSubdomain;
}

// ---- field-error wrappers ----

const invalidEach = (f: Path | string, value: unknown, msgs: string[]) => msgs.map((m) => fieldErr.invalid(f, value, m));

export const validateDNS1123Label = (v: string, f: Path | string) => invalidEach(f, v, isDNS1123Label(v));
export const validateDNS1123Subdomain = (v: string, f: Path | string) => invalidEach(f, v, isDNS1123Subdomain(v));
export const validateDNS1035Label = (v: string, f: Path | string) => invalidEach(f, v, isDNS1035Label(v));
export const validateQualifiedName = (v: string, f: Path | string) => invalidEach(f, v, isQualifiedName(v));

export function validatePortNumOrName(port: unknown, f: Path | string): FieldError[] {
  if (typeof port === 'number') return invalidEach(f, port, isValidPortNum(port));
  if (typeof port === 'string') return invalidEach(f, port, isValidPortName(port));
  return [fieldErr.internal(f, `unknown type: ${typeof port}`)];
}

/** upstream ValidateImmutableField. */
export function validateImmutable(next: unknown, old: unknown, f: Path | string): FieldError[] {
  return deepEq(next, old) ? [] : [fieldErr.invalid(f, next, 'field is immutable')];
}

function deepEq(a: unknown, b: unknown): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort())
      if ((v as Record<string, unknown>)[k] !== undefined) out[k] = canon((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function validateLabels(labels: Record<string, string> | undefined, f: Path | string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...invalidEach(f, k, isQualifiedName(k)));
    errs.push(...invalidEach(f, v, isValidLabelValue(String(v))));
  }
  return errs;
}

/** upstream TotalAnnotationSizeLimitB. */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, f: Path | string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // The rule is QualifiedName except that case does not matter.
    errs.push(...invalidEach(f, k, isQualifiedName(k.toLowerCase())));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > ANNOTATIONS_SIZE_LIMIT) errs.push(fieldErr.tooLong(f, ANNOTATIONS_SIZE_LIMIT));
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, f: Path | string): FieldError[] {
  const errs: FieldError[] = [];
  for (const fin of finalizers ?? []) errs.push(...invalidEach(f, fin, isQualifiedName(fin)));
  if (finalizers?.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(fieldErr.invalid(f, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, f: Path | string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const version = apiVersion.includes('/') ? (apiVersion.split('/')[1] ?? '') : apiVersion;
    const base = String(f);
    if (!version) errs.push(fieldErr.invalid(`${base}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(fieldErr.invalid(`${base}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(fieldErr.invalid(`${base}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(fieldErr.invalid(`${base}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          fieldErr.invalid(
            f,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

export function validateNamespaceName(ns: string): string[] {
  return nameIsDNSLabel(ns, false);
}

export interface MetaRules {
  namespaced: boolean;
  name: NameValidator;
}

/** upstream ValidateObjectMeta (metadata of a new object). */
export function validateObjectMeta(meta: ObjectMeta, rules: MetaRules): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) {
    errs.push(...invalidEach('metadata.generateName', meta.generateName, rules.name(meta.generateName, true)));
  }
  if (!meta.name) errs.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  else errs.push(...invalidEach('metadata.name', meta.name, rules.name(meta.name, false)));
  if (rules.namespaced) {
    if (!meta.namespace) errs.push(fieldErr.required('metadata.namespace'));
    else errs.push(...invalidEach('metadata.namespace', meta.namespace, validateNamespaceName(meta.namespace)));
  } else if (meta.namespace) {
    errs.push(fieldErr.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errs.push(fieldErr.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  errs.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return errs;
}

/** upstream ValidateObjectMetaUpdate's immutability rules (labels etc. are covered by validateObjectMeta). */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  return [
    ...validateImmutable(meta.name, old.name, 'metadata.name'),
    ...validateImmutable(meta.namespace, old.namespace, 'metadata.namespace'),
    ...validateImmutable(meta.uid, old.uid, 'metadata.uid'),
    ...validateImmutable(meta.creationTimestamp, old.creationTimestamp, 'metadata.creationTimestamp'),
    ...validateImmutable(meta.deletionTimestamp, old.deletionTimestamp, 'metadata.deletionTimestamp'),
    ...validateImmutable(meta.deletionGracePeriodSeconds, old.deletionGracePeriodSeconds, 'metadata.deletionGracePeriodSeconds'),
  ];
}

/** The metadata checks every kind gets (called by the registry through validateDefCommon). */
export function validateMetaFor(kind: string, namespaced: boolean, obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced, name: nameValidatorForKind(kind) });
  if (old) errs.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
  return errs;
}

// ---- IPs ----

/** An IP address as upstream's validation reads one (netutils.ParseIPSloppy), but for leading zeros, refused as they always were here (ipnet.ts). */
export { isIP };

export const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const INVALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

export function validateIP(v: string, f: Path | string): FieldError[] {
  return isIP(v) ? [] : [fieldErr.invalid(f, v, INVALID_IP)];
}

export function validateCIDR(v: string, f: Path | string): FieldError[] {
  return parseCIDR(v) ? [] : [fieldErr.invalid(f, v, INVALID_CIDR)];
}

type Special = 'unspecified' | 'loopback' | 'link-local' | 'link-local-multicast' | undefined;

/** Go's IsUnspecified, IsLoopback, IsLinkLocalUnicast, IsLinkLocalMulticast (IPv4-mapped addresses by the IPv4 rules). */
function specialKind(ip: string): Special {
  const p = parseIP(ip);
  if (!p) return undefined;
  const v = p.value;
  if (p.family === 4 || v >> 32n === 0xffffn) {
    const n = Number(v & 0xffffffffn);
    if (n === 0) return 'unspecified';
    if (n >>> 24 === 127) return 'loopback';
    if (n >>> 16 === 0xa9fe) return 'link-local';
    if (n >>> 8 === 0xe00000) return 'link-local-multicast';
    return undefined;
  }
  if (v === 0n) return 'unspecified';
  if (v === 1n) return 'loopback';
  const top = Number(v >> 112n);
  if ((top & 0xffc0) === 0xfe80) return 'link-local';
  if ((top & 0xff0f) === 0xff02) return 'link-local-multicast';
  return undefined;
}

/**
 * upstream ValidateNonSpecialIP (endpoint addresses, externalIPs). `allowed` lets tinykube's own
 * loopback ranges through: its Pod and Service CIDRs live in 127/8 by design.
 */
export function validateNonSpecialIP(ip: string, f: Path | string, allowed?: (ip: string) => boolean): FieldError[] {
  if (!isIP(ip)) return [fieldErr.invalid(f, ip, 'must be a valid IP address')];
  const kind = specialKind(ip);
  // Only special addresses need the (costlier) look at tinykube's own ranges.
  if (!kind || allowed?.(ip)) return [];
  switch (kind) {
    case 'unspecified':
      return [fieldErr.invalid(f, ip, `may not be unspecified (${ip})`)];
    case 'loopback':
      return [fieldErr.invalid(f, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
    case 'link-local':
      return [fieldErr.invalid(f, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
    case 'link-local-multicast':
      return [fieldErr.invalid(f, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
    default:
      return [];
  }
}

export const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;

export function validateProtocol(p: unknown, f: Path | string): FieldError[] {
  if (p === undefined || p === '') return [fieldErr.required(f)];
  return (SUPPORTED_PROTOCOLS as readonly unknown[]).includes(p) ? [] : [fieldErr.notSupported(f, p, SUPPORTED_PROTOCOLS)];
}
