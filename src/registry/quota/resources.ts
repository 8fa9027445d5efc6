// Resource names and resource lists as quota and limit ranges see them: upstream's
// pkg/apis/core/helper (standard resource, quota resource and scope names), the resource-name
// checks of pkg/apis/core/validation, and quota/v1's ResourceList arithmetic (Add, Subtract, Mask,
// LessThanOrEqual) with the admission plugin's prettyPrint. Values stay exact (num / 10^den); sums
// keep the first operand's format, as resource.Quantity.Add does.
import { fieldErr, goQuantity, type FieldError } from '../../apimachinery/field.js';
import { isQualifiedName } from '../../apimachinery/validation.js';
import { compareQuantity, isNegative, isWhole, parseQuantity, quantityString, type Quantity } from '../../apimachinery/quantity.js';

/** A decoded ResourceList: resource name to quantity. */
export type ResourceList = Map<string, Quantity>;

const STANDARD_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);

const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));

const INTEGER_RESOURCES = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export const SCOPE_TERMINATING = 'Terminating';
export const SCOPE_NOT_TERMINATING = 'NotTerminating';
export const SCOPE_BEST_EFFORT = 'BestEffort';
export const SCOPE_NOT_BEST_EFFORT = 'NotBestEffort';
export const SCOPE_PRIORITY_CLASS = 'PriorityClass';
export const SCOPE_CROSS_NAMESPACE_POD_AFFINITY = 'CrossNamespacePodAffinity';
const STANDARD_SCOPES = new Set([
  SCOPE_TERMINATING,
  SCOPE_NOT_TERMINATING,
  SCOPE_BEST_EFFORT,
  SCOPE_NOT_BEST_EFFORT,
  SCOPE_PRIORITY_CLASS,
  SCOPE_CROSS_NAMESPACE_POD_AFFINITY,
]);
const POD_COMPUTE_RESOURCES = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

const isQuotaHugePages = (name: string) => name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
export const isHugePages = (name: string) => name.startsWith('hugepages-');
/** Unprefixed names and *kubernetes.io/ names are the system's own. */
export const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

/** helper.IsExtendedResourceName: a qualified name outside kubernetes.io, usable as `requests.<name>`. */
export function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

export const isStandardQuotaResource = (name: string) => STANDARD_QUOTA_RESOURCES.has(name) || isQuotaHugePages(name);
export const isStandardScope = (scope: string) => STANDARD_SCOPES.has(scope);
const isIntegerResource = (name: string) => INTEGER_RESOURCES.has(name) || isExtendedResource(name);
/** helper.IsOvercommitAllowed: hugepages and extended resources need request == limit. */
export const isOvercommitAllowed = (name: string) => isNativeResource(name) && !isHugePages(name);

/** helper.IsResourceQuotaScopeValidForResource. */
export function scopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case SCOPE_TERMINATING:
    case SCOPE_NOT_TERMINATING:
    case SCOPE_NOT_BEST_EFFORT:
    case SCOPE_PRIORITY_CLASS:
    case SCOPE_CROSS_NAMESPACE_POD_AFFINITY:
      return resource === 'pods' || POD_COMPUTE_RESOURCES.has(resource);
    case SCOPE_BEST_EFFORT:
      return resource === 'pods';
    default:
      return true;
  }
}

// ---- validation (pkg/apis/core/validation) ----

/** validateResourceName. */
export function validateResourceName(name: string, f: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErr.invalid(f, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isQuotaHugePages(name))
    errs.push(fieldErr.invalid(f, name, 'must be a standard resource type or fully qualified'));
  return errs;
}

/** validateContainerResourceName. */
export function validateContainerResourceName(name: string, f: string): FieldError[] {
  const errs = validateResourceName(name, f);
  if (!name.includes('/')) {
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !isHugePages(name))
      errs.push(fieldErr.invalid(f, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    errs.push(fieldErr.invalid(f, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuotaResourceName. */
export function validateQuotaResourceName(name: string, f: string): FieldError[] {
  const errs = validateResourceName(name, f);
  if (!name.includes('/') && !isStandardQuotaResource(name)) errs.push(fieldErr.invalid(f, name, 'must be a standard resource for quota'));
  return errs;
}

/** ValidateResourceQuantityValue (the quantity already parsed: decoding refused malformed ones). */
export function validateQuantityValue(name: string, q: Quantity, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isNegative(q)) errs.push(fieldErr.invalid(f, quantityString(q), 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && !isWhole(q)) errs.push(fieldErr.invalid(f, goQuantity(q), 'must be an integer'));
  return errs;
}

// ---- resource lists ----

const ZERO: Quantity = { num: 0n, den: 0, format: 'DecimalSI', value: 0n, scale: 0 };

/** A quantity of n (whole), DecimalSI: resource.NewQuantity(n, DecimalSI). */
export const count = (n: number | bigint): Quantity => ({ num: BigInt(n), den: 0, format: 'DecimalSI', value: BigInt(n), scale: 0 });
export const zero = (): Quantity => ZERO;

/** The entries of a wire ResourceList that parse (validation reports the others). */
export function decodeList(raw: Record<string, unknown> | null | undefined): ResourceList {
  const out: ResourceList = new Map();
  if (!raw || typeof raw !== 'object') return out;
  for (const k of Object.keys(raw)) {
    const q = parseQuantity(raw[k]);
    if (q) out.set(k, q);
  }
  return out;
}

/** A ResourceList as it serialises: canonical quantity strings. */
export function encodeList(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, q] of l) out[k] = quantityString(q);
  return out;
}

export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const den = Math.max(a.den, b.den);
  const num = a.num * 10n ** BigInt(den - a.den) + b.num * 10n ** BigInt(den - b.den);
  // A zero first operand (resource.Quantity{}) takes the other's format, as Quantity.Add does.
  const format = a.num === 0n && a.den === 0 ? b.format : a.format;
  return { num, den, format, value: num, scale: -den };
}

const negate = (q: Quantity): Quantity => ({ ...q, num: -q.num, value: -q.value, cached: undefined });

/** quota.Add: the union of names, values summed. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, q] of b) {
    const cur = out.get(k);
    out.set(k, cur ? addQuantity(cur, q) : q);
  }
  return out;
}

/** quota.SubtractWithNonNegativeResult: a - b, floored at zero, over a's names and b's. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of a) {
    const o = b.get(k);
    const d = o ? addQuantity(q, negate(o)) : q;
    out.set(k, d.num < 0n ? { ...ZERO, format: q.format } : d);
  }
  for (const [k, q] of b) if (!a.has(k)) out.set(k, { ...ZERO, format: q.format });
  return out;
}

/** quota.Mask: only the named resources. */
export function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const k of names) {
    const q = l.get(k);
    if (q) out.set(k, q);
  }
  return out;
}

/** quota.RemoveZeros. */
export function removeZeros(l: ResourceList): ResourceList {
  return new Map([...l].filter(([, q]) => q.num !== 0n));
}

/** quota.LessThanOrEqual: whether every value of a is at most b's (names b lacks pass), and the names that exceed. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, q] of a) {
    const other = b.get(k);
    if (other && compareQuantity(q, other) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

/** quota.Equals. */
export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, q] of a) {
    const o = b.get(k);
    if (!o || compareQuantity(q, o) !== 0) return false;
  }
  return true;
}

/** The admission plugin's prettyPrint: `name=value` sorted by name, joined by ','. */
export function prettyPrint(l: ResourceList): string {
  return [...l.keys()]
    .sort()
    .map((k) => `${k}=${quantityString(l.get(k)!)}`)
    .join(',');
}

export const isZero = (q: Quantity | undefined) => !q || q.num === 0n;
export { compareQuantity, quantityString };
