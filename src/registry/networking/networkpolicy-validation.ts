// Validation of networking.k8s.io/v1 NetworkPolicy with upstream's texts
// (pkg/apis/networking/validation: ValidateNetworkPolicy, ValidateNetworkPolicyUpdate). An update
// keeps accepting what was stored before: CIDRs the old policy had, and label values in its pod
// selector that no longer validate.
import type { IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from '../../api/generated/networking/v1.js';
import type { LabelSelector } from '../../api/generated/meta/v1.js';
import { fieldErr, goTypedSlice, type FieldError } from '../../apimachinery/field.js';
import { isValidPortName, isValidPortNum, validateCIDR } from '../../apimachinery/validation.js';
import { parseCIDR } from '../../apimachinery/ipnet.js';
import { labelSelector } from '../pod/validation.js';
import { asObject, objectsIn, type Obj } from '../define.js';

export type NetworkPolicyObj = Obj<NetworkPolicy>;

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

interface Options {
  /** CIDRs of the stored policy, accepted without revalidation (AllowCIDRsEvenIfInvalid). */
  allowCIDRs: ReadonlySet<string>;
  /** The stored pod selector does not validate: its label values are not checked either. */
  allowInvalidLabelValue: boolean;
}

/** ValidateLabelSelector with AllowInvalidLabelValueInSelector: those errors are dropped. */
function selector(sel: LabelSelector, f: string, opts: Options): FieldError[] {
  const errs = labelSelector(sel, f);
  if (!opts.allowInvalidLabelValue) return errs;
  return errs.filter((e) => !/\.matchExpressions\[\d+\]\.values\[\d+\]$/.test(e.field));
}

/** ValidateNetworkPolicyPort. */
function validatePort(port: NetworkPolicyPort, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const proto = port.protocol;
  if (proto !== undefined && proto !== null && !PROTOCOLS.includes(proto))
    errs.push(fieldErr.notSupported(`${f}.protocol`, proto, PROTOCOLS));
  const endPort = typeof port.endPort === 'number' ? port.endPort : undefined;
  if (typeof port.port === 'number') {
    for (const m of isValidPortNum(port.port)) errs.push(fieldErr.invalid(`${f}.port`, port.port, m));
    if (endPort !== undefined) {
      if (endPort < port.port) errs.push(fieldErr.invalid(`${f}.endPort`, endPort, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(endPort)) errs.push(fieldErr.invalid(`${f}.endPort`, endPort, m));
    }
  } else if (typeof port.port === 'string') {
    if (endPort !== undefined) errs.push(fieldErr.invalid(`${f}.endPort`, endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(port.port)) errs.push(fieldErr.invalid(`${f}.port`, port.port, m));
  } else if (endPort !== undefined) {
    errs.push(fieldErr.invalid(`${f}.endPort`, endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

const cidrErrors = (cidr: string, f: string, opts: Options) => (opts.allowCIDRs.has(cidr) ? [] : validateCIDR(cidr, f));

/** ValidateIPBlock: each `except` a strict subset of `cidr`. */
function validateIPBlock(block: IPBlock, f: string, opts: Options): FieldError[] {
  const cidr = typeof block.cidr === 'string' ? block.cidr : '';
  if (!cidr) return [fieldErr.required(`${f}.cidr`)];
  const errs = cidrErrors(cidr, `${f}.cidr`, opts);
  const outer = parseCIDR(cidr);
  if (!outer) return errs;
  (block.except ?? []).forEach((except, i) => {
    const ef = `${f}.except[${i}]`;
    errs.push(...cidrErrors(except, ef, opts));
    const inner = parseCIDR(except);
    if (!inner) return;
    const inside = inner.family === outer.family && inner.base >= outer.base && inner.base < outer.base + outer.size;
    if (!inside || outer.prefix >= inner.prefix) errs.push(fieldErr.invalid(ef, except, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

/** ValidateNetworkPolicyPeer: at least one selector or an ipBlock, and an ipBlock alone. */
function validatePeer(peer: NetworkPolicyPeer, f: string, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  const podSelector = asObject(peer.podSelector);
  const namespaceSelector = asObject(peer.namespaceSelector);
  const ipBlock = asObject(peer.ipBlock);
  if (podSelector) {
    peers++;
    errs.push(...selector(podSelector, `${f}.podSelector`, opts));
  }
  if (namespaceSelector) {
    peers++;
    errs.push(...selector(namespaceSelector, `${f}.namespaceSelector`, opts));
  }
  if (ipBlock) {
    peers++;
    errs.push(...validateIPBlock(ipBlock, `${f}.ipBlock`, opts));
  }
  if (peers === 0) errs.push(fieldErr.required(f, 'must specify a peer'));
  else if (peers > 1 && ipBlock) errs.push(fieldErr.forbidden(f, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** ValidateNetworkPolicySpec. */
function validateSpec(spec: NetworkPolicySpec, opts: Options): FieldError[] {
  const errs = selector(asObject(spec.podSelector) ?? {}, 'spec.podSelector', opts);
  objectsIn(spec.ingress).forEach((rule, i) => {
    objectsIn(rule.ports).forEach((p, j) => errs.push(...validatePort(p, `spec.ingress[${i}].ports[${j}]`)));
    objectsIn(rule.from).forEach((p, j) => errs.push(...validatePeer(p, `spec.ingress[${i}].from[${j}]`, opts)));
  });
  objectsIn(spec.egress).forEach((rule, i) => {
    objectsIn(rule.ports).forEach((p, j) => errs.push(...validatePort(p, `spec.egress[${i}].ports[${j}]`)));
    objectsIn(rule.to).forEach((p, j) => errs.push(...validatePeer(p, `spec.egress[${i}].to[${j}]`, opts)));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    // Upstream passes a pointer to the slice: %#v prints it with its type.
    errs.push(
      fieldErr.invalid('spec.policyTypes', goTypedSlice('networking.PolicyType', types), 'may not specify more than two policyTypes'),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(fieldErr.notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}

const specOf = (np: NetworkPolicyObj): NetworkPolicySpec => asObject(np.spec) ?? ({} as NetworkPolicySpec);

/** ValidateNetworkPolicy (metadata is the registry's common check). */
export function validateNetworkPolicy(np: NetworkPolicyObj): FieldError[] {
  return validateSpec(specOf(np), { allowCIDRs: new Set(), allowInvalidLabelValue: false });
}

/** ValidateNetworkPolicyUpdate with ValidationOptionsForNetworking. */
export function validateNetworkPolicyUpdate(np: NetworkPolicyObj, old: NetworkPolicyObj): FieldError[] {
  const oldSpec = specOf(old);
  const allowCIDRs = new Set<string>();
  const blocks = [
    ...objectsIn(oldSpec.ingress).flatMap((r) => objectsIn(r.from)),
    ...objectsIn(oldSpec.egress).flatMap((r) => objectsIn(r.to)),
  ];
  for (const peer of blocks) {
    const b = asObject(peer.ipBlock);
    if (!b) continue;
    allowCIDRs.add(b.cidr);
    for (const e of b.except ?? []) allowCIDRs.add(e);
  }
  const allowInvalidLabelValue = labelSelector(asObject(oldSpec.podSelector) ?? {}, 'spec.podSelector').length > 0;
  return validateSpec(specOf(np), { allowCIDRs, allowInvalidLabelValue });
}
