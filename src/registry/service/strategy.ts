// Service (core/v1): upstream's SetDefaults_Service, the service REST's field normalisation
// (pkg/registry/core/service/storage: normalizeClusterIPs, patchAllocatedValues,
// initIPFamilyFields, dropTypeDependentFields) and ValidateService / ValidateServiceUpdate.
// ClusterIP and NodePort allocation is src/registry/service/allocation.ts, which wraps this def's
// beginCreate/beginUpdate/afterDelete; it reads spec.ipFamilies to know which families to
// allocate, so those are settled here (prepareForCreate/prepareForUpdate) before it runs.
import { schemas, type Service, type ServicePort, type ServiceSpec } from '../../api/generated/core/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, goTypedSlice, type FieldError } from '../../apimachinery/field.js';
import { invalid } from '../../apimachinery/errors.js';
import {
  validateCIDR,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateLabels,
  validateNonSpecialIP,
  validatePortNumOrName,
  validateProtocol,
  validateQualifiedName,
  isValidPortNum,
  isIP,
  INVALID_IP,
} from '../../apimachinery/validation.js';
import { clusterOwnedAddress } from '../../config/cluster-config.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { formatLabels } from '../../apimachinery/selectors.js';
import { ipFamilyOf, parseCIDR } from '../../apimachinery/ipnet.js';
import type { ClusterConfig } from '../../config/cluster-config.js';
import type { WriteContext } from '../types.js';

export type { LoadBalancerIngress, ServicePort, ServiceSpec, ServiceStatus } from '../../api/generated/core/v1.js';
export type ServiceObj = Obj<Service>;

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const FAMILIES = ['IPv4', 'IPv6'];
const MAX_AFFINITY_SECONDS = 86400;
const DEFAULT_AFFINITY_SECONDS = 10800;

// ---- predicates (upstream pkg/api/service and the service REST helpers) ----

const spec = (s: ServiceObj): ServiceSpec => (s.spec ??= {});
export const isHeadless = (s: ServiceObj) => s.spec?.clusterIP === 'None';
export const externallyAccessible = (s: ServiceObj) =>
  s.spec?.type === 'LoadBalancer' || s.spec?.type === 'NodePort' || (s.spec?.type === 'ClusterIP' && (s.spec.externalIPs?.length ?? 0) > 0);
const needsClusterIP = (s: ServiceObj) => s.spec?.type !== 'ExternalName';
const needsNodePort = (s: ServiceObj) => s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer';
const needsHealthCheck = (s: ServiceObj) => s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The IP families this cluster serves, primary first. */
export function clusterFamilies(config: ClusterConfig | undefined): string[] {
  if (!config) return ['IPv4'];
  const out: string[] = [];
  for (const c of [config.serviceCIDR, config.secondaryServiceCIDR]) {
    const p = c ? parseCIDR(c) : undefined;
    if (p) out.push(p.family === 4 ? 'IPv4' : 'IPv6');
  }
  return out.length ? out : ['IPv4'];
}

// ---- defaults (SetDefaults_Service) ----

export function defaultService(svc: ServiceObj): void {
  const s = spec(svc);
  s.type ||= 'ClusterIP';
  s.sessionAffinity ||= 'None';
  if (s.sessionAffinity === 'ClientIP' && s.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    s.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_AFFINITY_SECONDS } };
  }
  for (const p of s.ports ?? []) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(svc) && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
  if (s.type !== 'ExternalName' && !s.internalTrafficPolicy) s.internalTrafficPolicy = 'Cluster';
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined) s.allocateLoadBalancerNodePorts = true;
  // LoadBalancerIPMode (GA in 1.32): ingress IPs default to VIP.
  if (s.type === 'LoadBalancer') {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
  }
}

// ---- create/update normalisation (service REST) ----

const selectorless = (s: ServiceSpec) => !Object.keys(s.selector ?? {}).length;
const otherFamily = (f: string) => (f === 'IPv4' ? 'IPv6' : 'IPv4');

/** isMatchingPreferDualStackClusterIPFields: an unchanged PreferDualStack Service is left as it is. */
function unchangedPreferDualStack(svc: ServiceObj, old: ServiceObj | undefined): boolean {
  const s = svc.spec ?? {};
  const o = old?.spec;
  if (!o || !s.ipFamilyPolicy || o.type !== s.type) return false;
  if (s.type !== 'ClusterIP' && s.type !== 'NodePort' && s.type !== 'LoadBalancer') return false;
  if (s.ipFamilyPolicy !== 'PreferDualStack' || (o.ipFamilyPolicy && o.ipFamilyPolicy !== 'PreferDualStack')) return false;
  return same(s.clusterIPs ?? [], o.clusterIPs ?? []) && same(s.ipFamilies ?? [], o.ipFamilies ?? []);
}

/**
 * initIPFamilyFields (service REST allocator): settles ipFamilyPolicy and ipFamilies against the
 * families this cluster serves, before anything is allocated. Its errors stand alone: upstream
 * bails out with them before the rest of validation runs.
 */
export function initIPFamilies(svc: ServiceObj, old: ServiceObj | undefined, config: ClusterConfig | undefined): FieldError[] {
  const s = spec(svc);
  if (s.type === 'ExternalName' || unchangedPreferDualStack(svc, old)) return [];
  const served = clusterFamilies(config);
  if (!s.ipFamilyPolicy) {
    if (old?.spec?.ipFamilyPolicy) s.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    // Headless and selectorless defaults to dual stack, even on a single-stack cluster.
    else if (s.clusterIP === 'None' && selectorless(s)) s.ipFamilyPolicy = 'RequireDualStack';
    else s.ipFamilyPolicy = 'SingleStack';
  }
  const pre = validateClusterIPsRelated(svc);
  if (pre.length) return pre;

  const errs: FieldError[] = [];
  const o = old?.spec;
  if (o) {
    if (s.ipFamilyPolicy === 'SingleStack') {
      // With IPs and families unchanged, SingleStack is the user's intent to drop the secondary.
      if (same(s.clusterIPs ?? [], o.clusterIPs ?? []) && (s.clusterIPs?.length ?? 0) > 1) s.clusterIPs = s.clusterIPs!.slice(0, 1);
      if (same(s.ipFamilies ?? [], o.ipFamilies ?? []) && (s.ipFamilies?.length ?? 0) > 1) s.ipFamilies = s.ipFamilies!.slice(0, 1);
    } else {
      if (s.clusterIPs?.length && s.clusterIPs.length < (o.clusterIPs?.length ?? 0)) {
        errs.push(fieldErr.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"));
      }
      if (s.ipFamilies?.length && s.ipFamilies.length < (o.ipFamilies?.length ?? 0)) {
        errs.push(fieldErr.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"));
      }
    }
  }
  if (s.ipFamilyPolicy === 'SingleStack') {
    if (s.clusterIPs?.length === 2) {
      errs.push(
        fieldErr.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
        ),
      );
    }
    if (s.ipFamilies?.length === 2) {
      errs.push(
        fieldErr.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ),
      );
    }
  }
  // Families follow the IPs the user chose.
  const ips = s.clusterIPs ?? [];
  for (let i = 0; i < ips.length; i++) {
    if (ips[i] === 'None') break;
    const fam = ipFamilyOf(ips[i]!) ?? 'unknown';
    if (i >= (s.ipFamilies?.length ?? 0)) {
      if (!served.includes(fam)) errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, ips, `${fam} is not configured on this cluster`));
      else (s.ipFamilies ??= []).push(fam);
    }
  }
  if (errs.length) return errs;

  if (s.clusterIP === 'None' && selectorless(s)) {
    if (!s.ipFamilies?.length) s.ipFamilies = [served[0]!];
    if (s.ipFamilies.length < 2 && s.ipFamilyPolicy !== 'SingleStack') s.ipFamilies.push(otherFamily(s.ipFamilies[0]!));
    return [];
  }
  if (s.ipFamilyPolicy === 'RequireDualStack' && served.length < 2) {
    errs.push(fieldErr.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  }
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (!served.includes(f)) errs.push(fieldErr.invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  if (errs.length) return errs;
  if (!s.ipFamilies?.length) s.ipFamilies = [served[0]!];
  if (s.ipFamilyPolicy !== 'SingleStack' && s.ipFamilies.length === 1 && served.length === 2)
    s.ipFamilies.push(otherFamily(s.ipFamilies[0]!));
  return [];
}

/** normalizeClusterIPs: keep the singular and plural fields in step for old and new clients. */
function normalizeClusterIPs(svc: ServiceObj, old: ServiceObj | undefined): void {
  const s = spec(svc);
  if (!old) {
    if (s.clusterIP && !s.clusterIPs?.length) s.clusterIPs = [s.clusterIP];
    return;
  }
  const o = old.spec ?? {};
  // An old client that sent clusterIP but not clusterIPs.
  if (o.clusterIPs?.length && !s.clusterIPs?.length && (o.clusterIP ?? '') === (s.clusterIP ?? '')) s.clusterIPs = [...o.clusterIPs];
  if ((o.clusterIP ?? '') !== (s.clusterIP ?? '')) {
    const sameIPs = same(s.clusterIPs ?? [], o.clusterIPs ?? []);
    if (o.clusterIP && !s.clusterIP) {
      if (sameIPs) delete s.clusterIPs;
    } else if (sameIPs && s.clusterIPs?.length) {
      s.clusterIPs = [s.clusterIP!, ...s.clusterIPs.slice(1)];
    }
  }
}

/** patchAllocatedValues: a PUT that omits allocated values keeps them. */
function patchAllocatedValues(svc: ServiceObj, old: ServiceObj): void {
  const s = spec(svc);
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!s.clusterIP) s.clusterIP = o.clusterIP;
    if (!s.clusterIPs?.length && o.clusterIPs) s.clusterIPs = [...o.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const used = (x: ServiceObj) => new Set((x.spec?.ports ?? []).map((p) => p.nodePort).filter((n): n is number => !!n));
    const oldUsed = used(old);
    const inBoth = new Set([...used(svc)].filter((n) => oldUsed.has(n)));
    const byName = new Map<string, number | undefined>();
    for (const p of o.ports ?? []) byName.set(p.name ?? '', p.nodePort);
    for (const p of s.ports ?? []) {
      if (p.nodePort) continue;
      const v = byName.get(p.name ?? '');
      if (v && !inBoth.has(v)) p.nodePort = v;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && !s.healthCheckNodePort) s.healthCheckNodePort = o.healthCheckNodePort;
  if (!s.ipFamilies?.length && o.ipFamilies && needsClusterIP(svc) && needsClusterIP(old)) s.ipFamilies = [...o.ipFamilies];
  if (!s.ipFamilyPolicy && o.ipFamilyPolicy && needsClusterIP(svc) && needsClusterIP(old)) s.ipFamilyPolicy = o.ipFamilyPolicy;
}

/** dropTypeDependentFields: switching type wipes fields the old type had (unless the user changed them too). */
function dropTypeDependentFields(svc: ServiceObj, old: ServiceObj): void {
  const s = spec(svc);
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (same(s.clusterIPs, o.clusterIPs) && (s.clusterIP ?? '') === (o.clusterIP ?? '')) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (same(s.ipFamilies, o.ipFamilies)) delete s.ipFamilies;
    if (s.ipFamilyPolicy === o.ipFamilyPolicy) delete s.ipFamilyPolicy;
  }
  const nodePorts = (x: ServiceSpec) => (x.ports ?? []).map((p) => p.nodePort ?? 0);
  if (needsNodePort(old) && !needsNodePort(svc) && same(nodePorts(s), nodePorts(o))) {
    for (const p of s.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheck(old) && !needsHealthCheck(svc) && (s.healthCheckNodePort ?? 0) === (o.healthCheckNodePort ?? 0)) {
    delete s.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts)
      delete s.allocateLoadBalancerNodePorts;
    if (s.loadBalancerClass !== undefined && s.loadBalancerClass === o.loadBalancerClass) delete s.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(svc) && s.externalTrafficPolicy === o.externalTrafficPolicy) {
    delete s.externalTrafficPolicy;
  }
  // The load-balancer status no longer applies once the Service stops being one.
  if (o.type === 'LoadBalancer' && s.type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} };
}

// ---- validation (ValidateService) ----

/** Go's %#v of the (protocol, port) key upstream reports for duplicate ports. */
function servicePortKey(p: ServicePort): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

/** validateServicePort for each port: names, numbers, protocol, targetPort, appProtocol. */
function validatePorts(ports: ServicePort[]): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const base = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(fieldErr.required(`${base}.name`));
    else if (p.name) {
      errs.push(...validateDNS1123Label(p.name, `${base}.name`));
      if (names.has(p.name)) errs.push(fieldErr.duplicate(`${base}.name`, p.name));
      else names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(fieldErr.invalid(`${base}.port`, p.port, m));
    errs.push(...validateProtocol(p.protocol, `${base}.protocol`));
    errs.push(...validatePortNumOrName(p.targetPort, `${base}.targetPort`));
    if (p.appProtocol !== undefined) errs.push(...validateQualifiedName(p.appProtocol, `${base}.appProtocol`));
  });
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs/ipFamilies/ipFamilyPolicy on their own. */
export function validateClusterIPsRelated(svc: ServiceObj): FieldError[] {
  const s = svc.spec ?? {};
  if (s.type === 'ExternalName') return []; // checked by validateService (all must be unset)
  const errs: FieldError[] = [];
  const ips = s.clusterIPs ?? [];
  if (s.clusterIP) {
    if (!ips.length) errs.push(fieldErr.required('spec.clusterIPs'));
    else if (ips[0] !== s.clusterIP) errs.push(fieldErr.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(fieldErr.invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (!FAMILIES.includes(f)) errs.push(fieldErr.notSupported(`spec.ipFamilies[${i}]`, f, FAMILIES));
    if (seen.has(f)) errs.push(fieldErr.duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && !FAMILY_POLICIES.includes(s.ipFamilyPolicy)) {
    errs.push(fieldErr.notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, FAMILY_POLICIES));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        bad = true;
        errs.push(fieldErr.invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (!isIP(ip)) {
      bad = true;
      errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, ip, INVALID_IP));
    }
  });
  if (ips.length > 2) errs.push(fieldErr.invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  // Further checks on bad IPs would only skew the messages.
  if (bad) return errs;
  if (ips.length > 1 && ipFamilyOf(ips[0]!) === ipFamilyOf(ips[1]!)) {
    errs.push(fieldErr.invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  const fams = s.ipFamilies ?? [];
  if (!(ips.length === 1 && ips[0] === 'None') && fams.length) {
    ips.forEach((ip, i) => {
      const want = fams[i];
      if (!want) return;
      if (want === 'IPv4' && ipFamilyOf(ip) === 'IPv6')
        errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (want === 'IPv6' && ipFamilyOf(ip) !== 'IPv6')
        errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** ValidateService, in upstream's order (the order of the causes kubectl prints). */
export function validateService(svc: ServiceObj, ctx?: Pick<WriteContext, 'config'>): FieldError[] {
  const errs: FieldError[] = [];
  const s = svc.spec ?? {};
  const ports = s.ports ?? [];
  const headless = (s.clusterIPs?.length ?? 0) === 1 && s.clusterIPs![0] === 'None';
  if (!ports.length && !headless && s.type !== 'ExternalName') errs.push(fieldErr.required('spec.ports'));
  if ((s.type === 'LoadBalancer' || s.type === 'NodePort') && headless) {
    errs.push(fieldErr.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${s.type} services`));
  }
  if (s.type === 'ExternalName') {
    if (s.clusterIPs?.length) errs.push(fieldErr.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (s.ipFamilies?.length) errs.push(fieldErr.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (s.ipFamilyPolicy !== undefined) errs.push(fieldErr.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    // The name (a CNAME) may end in a dot to mark it fully qualified.
    const cname = (s.externalName ?? '').replace(/\.$/, '');
    if (cname) errs.push(...validateDNS1123Subdomain(cname, 'spec.externalName'));
    else errs.push(fieldErr.required('spec.externalName'));
  }
  errs.push(...validatePorts(ports));
  if (s.selector) errs.push(...validateLabels(s.selector, 'spec.selector'));

  if (!s.sessionAffinity) errs.push(fieldErr.required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(s.sessionAffinity)) errs.push(fieldErr.notSupported('spec.sessionAffinity', s.sessionAffinity, AFFINITIES));
  if (s.sessionAffinity === 'ClientIP') {
    const when = 'when session affinity type is ClientIP';
    const cfg = s.sessionAffinityConfig;
    if (!cfg) errs.push(fieldErr.required('spec.sessionAffinityConfig', when));
    else if (!cfg.clientIP) errs.push(fieldErr.required('spec.sessionAffinityConfig.clientIP', when));
    else if (cfg.clientIP.timeoutSeconds === undefined)
      errs.push(fieldErr.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', when));
    else if (cfg.clientIP.timeoutSeconds <= 0 || cfg.clientIP.timeoutSeconds > MAX_AFFINITY_SECONDS) {
      errs.push(
        fieldErr.invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          cfg.clientIP.timeoutSeconds,
          `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`,
        ),
      );
    }
  } else if (s.sessionAffinity === 'None' && s.sessionAffinityConfig) {
    errs.push(fieldErr.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  errs.push(...validateClusterIPsRelated(svc));

  // tinykube lets externalIPs sit in its own loopback ranges (the proxy binds them); see README.
  const ownIP = clusterOwnedAddress(ctx?.config);
  (s.externalIPs ?? []).forEach((ip, i) => {
    const f = `spec.externalIPs[${i}]`;
    if (!isIP(ip)) errs.push(fieldErr.invalid(f, ip, INVALID_IP));
    else errs.push(...validateNonSpecialIP(ip, f, ownIP));
  });

  if (!s.type) errs.push(fieldErr.required('spec.type'));
  else if (!TYPES.includes(s.type)) errs.push(fieldErr.notSupported('spec.type', s.type, TYPES));

  if (s.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(fieldErr.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    if (p.nodePort) {
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(fieldErr.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(k);
    }
  });
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (portKeys.has(k))
      errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}]`, body: `Duplicate value: ${servicePortKey(p)}` });
    portKeys.add(k);
  });

  if (s.loadBalancerSourceRanges?.length) {
    // Upstream's path really is capitalised here.
    const f = 'spec.LoadBalancerSourceRanges';
    if (s.type !== 'LoadBalancer') errs.push(fieldErr.forbidden(f, "may only be used when `type` is 'LoadBalancer'"));
    // Space-padded values are tolerated (a leftover of the annotation days).
    s.loadBalancerSourceRanges.forEach((r, i) => errs.push(...validateCIDR(r.trim(), `${f}[${i}]`)));
  }
  if (s.allocateLoadBalancerNodePorts !== undefined && s.type !== 'LoadBalancer') {
    errs.push(fieldErr.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  // Upstream reports this one without the `spec.` prefix.
  if (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === undefined)
    errs.push(fieldErr.required('allocateLoadBalancerNodePorts'));
  if (s.loadBalancerClass !== undefined) {
    if (s.type === 'LoadBalancer') errs.push(...validateQualifiedName(s.loadBalancerClass, 'spec.loadBalancerClass'));
    else errs.push(fieldErr.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }

  // validateServiceExternalTrafficPolicy
  if (!externallyAccessible(svc)) {
    if (s.externalTrafficPolicy)
      errs.push(
        fieldErr.invalid('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services'),
      );
  } else if (!s.externalTrafficPolicy) {
    errs.push(fieldErr.required('spec.externalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(s.externalTrafficPolicy)) {
    errs.push(fieldErr.notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (!needsHealthCheck(svc)) {
    if (s.healthCheckNodePort) {
      errs.push(
        fieldErr.invalid(
          'spec.healthCheckNodePort',
          s.healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (s.healthCheckNodePort) {
    // (allocated before validation upstream, so never missing there; ours allocates after)
    for (const m of isValidPortNum(s.healthCheckNodePort))
      errs.push(fieldErr.invalid('spec.healthCheckNodePort', s.healthCheckNodePort, m));
  }
  // validateServiceInternalTrafficFieldsValue: ExternalName may lack it for historical reasons.
  if (!s.internalTrafficPolicy) {
    if (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP')
      errs.push(fieldErr.required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(s.internalTrafficPolicy)) {
    errs.push(fieldErr.notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.trafficDistribution !== undefined && s.trafficDistribution !== 'PreferClose') {
    errs.push(fieldErr.notSupported('spec.trafficDistribution', s.trafficDistribution, ['PreferClose']));
  }
  return errs;
}

const isHeadlessSpec = (s: ServiceSpec) => (s.clusterIPs?.length ?? 0) === 1 && s.clusterIPs![0] === 'None';

/** validateUpgradeDowngradeClusterIPs: the primary IP never changes; the secondary goes only with SingleStack. */
function validateClusterIPsUpdate(s: ServiceSpec, o: ServiceSpec): FieldError[] {
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return [];
  if (isHeadlessSpec(s) && isHeadlessSpec(o)) return [];
  const errs: FieldError[] = [];
  const ni = s.clusterIPs ?? [];
  const oi = o.clusterIPs ?? [];
  const changed = (i: number) => fieldErr.invalid(`spec.clusterIPs[${i}]`, ni, 'may not change once set');
  if (oi.length === ni.length) {
    oi.forEach((ip, i) => {
      if (ip !== ni[i]) errs.push(changed(i));
    });
  } else if (oi.length > ni.length) {
    if (!ni.length) errs.push(fieldErr.invalid('spec.clusterIPs[0]', ni, 'primary clusterIP can not be unset'));
    if (oi.length && ni.length && ni[0] !== oi[0]) errs.push(changed(0));
    if (ni.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErr.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oi.length && ni[0] !== oi[0]) {
    errs.push(changed(0));
  }
  return errs;
}

/** validateUpgradeDowngradeIPFamilies: likewise for ipFamilies (headless Services may change them). */
function validateIPFamiliesUpdate(s: ServiceSpec, o: ServiceSpec): FieldError[] {
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return [];
  if (isHeadlessSpec(s) !== isHeadlessSpec(o) || isHeadlessSpec(s)) return [];
  const errs: FieldError[] = [];
  const nf = s.ipFamilies ?? [];
  const of = o.ipFamilies ?? [];
  const families = goTypedSlice('core.IPFamily', nf);
  if (of.length === nf.length) {
    of.forEach((f, i) => {
      if (f !== nf[i]) errs.push(fieldErr.invalid('spec.ipFamilies[0]', families, 'may not change once set'));
    });
  } else if (of.length > nf.length) {
    if (!s.clusterIPs?.length) errs.push(fieldErr.invalid('spec.ipFamilies[0]', families, 'primary ipFamily can not be unset'));
    if (nf.length && nf[0] !== of[0]) errs.push(fieldErr.invalid('spec.ipFamilies[0]', s.clusterIPs ?? [], 'may not change once set'));
    if (nf.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        fieldErr.invalid(
          'spec.ipFamilyPolicy',
          s.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (of.length && nf.length && nf[0] !== of[0]) {
    errs.push(fieldErr.invalid('spec.ipFamilies[0]', s.clusterIPs ?? [], 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceUpdate. */
export function validateServiceUpdate(svc: ServiceObj, old: ServiceObj, ctx?: Pick<WriteContext, 'config'>): FieldError[] {
  const s = svc.spec ?? {};
  const o = old.spec ?? {};
  const errs = [...validateClusterIPsUpdate(s, o), ...validateIPFamiliesUpdate(s, o)];
  if (o.type === 'LoadBalancer' && s.type === 'LoadBalancer' && (o.loadBalancerClass ?? null) !== (s.loadBalancerClass ?? null)) {
    errs.push(fieldErr.invalid('spec.loadBalancerClass', s.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (s.healthCheckNodePort ?? 0) !== (o.healthCheckNodePort ?? 0)) {
    errs.push(fieldErr.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateService(svc, ctx)];
}

/** ValidateServiceStatusUpdate: load-balancer ingress points. */
export function validateServiceStatus(svc: ServiceObj): FieldError[] {
  const errs: FieldError[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const base = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip && !isIP(ing.ip)) errs.push(fieldErr.invalid(`${base}.ip`, ing.ip, 'must be a valid IP address'));
    if (ing.ipMode !== undefined) {
      if (!ing.ip) errs.push(fieldErr.forbidden(`${base}.ipMode`, 'may not be specified when `ip` is not'));
      else if (!['VIP', 'Proxy'].includes(ing.ipMode)) errs.push(fieldErr.notSupported(`${base}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    } else if (ing.ip) {
      errs.push(fieldErr.required(`${base}.ipMode`, 'must be specified when `ip` is set'));
    }
    if (ing.hostname) {
      errs.push(...validateDNS1123Subdomain(ing.hostname, `${base}.hostname`));
      if (isIP(ing.hostname)) errs.push(fieldErr.invalid(`${base}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// ---- printing (printService) ----

function externalIPCell(svc: ServiceObj): string {
  const s = svc.spec ?? {};
  const ext = s.externalIPs ?? [];
  switch (s.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [...new Set((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((x) => x))].sort();
      if (ext.length) return [...lb, ...ext].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return s.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function portsCell(ports: ServicePort[] | undefined): string {
  const s = (ports ?? [])
    .map((p) => (p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`))
    .join(',');
  return s || '<none>';
}

export function serviceRow(svc: ServiceObj, now: Date): unknown[] {
  const s = svc.spec ?? {};
  return [
    svc.metadata.name,
    s.type ?? '',
    s.clusterIPs?.length ? s.clusterIPs[0] : '<none>',
    externalIPCell(svc),
    portsCell(s.ports),
    age(svc, now),
    formatLabels(s.selector),
  ];
}

export const serviceDef = defineKind<ServiceObj>({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  get schema() {
    return schemas.Service;
  },
  openapiName: 'io.k8s.api.core.v1.Service',
  statusSubresource: true,
  defaults: (svc) => defaultService(svc),
  prepareForCreate(svc, ctx) {
    svc.status = { loadBalancer: {} };
    normalizeClusterIPs(svc, undefined);
    const errs = initIPFamilies(svc, undefined, ctx.config);
    if (errs.length) throw invalid('Service', '', svc.metadata.name ?? '', errs);
  },
  prepareForUpdate(svc, old, ctx) {
    patchAllocatedValues(svc, old);
    normalizeClusterIPs(svc, old);
    const errs = initIPFamilies(svc, old, ctx.config);
    if (errs.length) throw invalid('Service', '', svc.metadata.name ?? '', errs);
    dropTypeDependentFields(svc, old);
  },
  validate: (svc, ctx) => validateService(svc, ctx),
  validateUpdate: (svc, old, ctx) => validateServiceUpdate(svc, old, ctx),
  validateStatusUpdate: (svc) => validateServiceStatus(svc),
  table: {
    columns: [
      nameColumn(),
      column(
        'Type',
        'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
      ),
      column('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      column(
        'External-IP',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      column('Port(s)', 'The list of ports that are exposed by this service.'),
      ageColumn(),
      column('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    row: serviceRow,
  },
  fieldSelectors: {
    'spec.clusterIP': (svc) => svc.spec?.clusterIP,
    'spec.type': (svc) => svc.spec?.type,
  },
});
