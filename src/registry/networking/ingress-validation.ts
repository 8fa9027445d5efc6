// Validation of networking.k8s.io/v1 Ingress and IngressClass with upstream's texts
// (pkg/apis/networking/validation: ValidateIngressCreate, ValidateIngressUpdate,
// ValidateIngressStatusUpdate, ValidateIngressClass, ValidateIngressClassUpdate). Update relaxes
// what older servers stored: an invalid TLS secret name already there, or an invalid rule value
// under a wildcard host already there, stays acceptable.
import type {
  Ingress,
  IngressBackend,
  IngressClass,
  IngressClassParametersReference,
  IngressSpec,
} from '../../api/generated/networking/v1.js';
import type { TypedLocalObjectReference } from '../../api/generated/core/v1.js';
import { fieldErr, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  isIP,
  isValidPortName,
  isValidPortNum,
  maxLenError,
  nameIsPathSegment,
  regexError,
  validateIP,
  validateImmutable,
  validateNamespaceName,
} from '../../apimachinery/validation.js';
import { asObject, objectsIn, type Obj } from '../define.js';

export type IngressObj = Obj<Ingress>;
export type IngressClassObj = Obj<IngressClass>;

/** The deprecated annotation that named an Ingress's class before spec.ingressClassName. */
export const ANNOTATION_INGRESS_CLASS = 'kubernetes.io/ingress.class';
const MAX_LEN_CONTROLLER = 250;
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const PARAMETER_SCOPES = ['Cluster', 'Namespace'];

const WILDCARD_FMT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const WILDCARD_RE = new RegExp(`^${WILDCARD_FMT}$`);
const WILDCARD_MSG =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/** validation.IsWildcardDNS1123Subdomain: `*.example.com`. */
export function isWildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!WILDCARD_RE.test(v)) errs.push(regexError(WILDCARD_MSG, WILDCARD_FMT, '*.example.com'));
  return errs;
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);

/** validation.IsDomainPrefixedPath: `example.com/controller`. */
export function domainPrefixedPath(v: string, f: string): FieldError[] {
  if (!v) return [fieldErr.required(f)];
  const at = v.indexOf('/');
  if (at <= 0 || at === v.length - 1) return [fieldErr.invalid(f, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, at);
  const rest = v.slice(at + 1);
  const errs = isDNS1123Subdomain(host).map((m) => fieldErr.invalid(f, host, m));
  if (!HTTP_PATH_RE.test(rest)) errs.push(fieldErr.invalid(f, rest, regexError('Invalid path', HTTP_PATH_FMT)));
  return errs;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

interface IngressOptions {
  allowInvalidSecretName: boolean;
  allowInvalidWildcardHostRule: boolean;
}

/** validateIngressTypedLocalObjectReference (a resource backend). */
function typedLocalObjectReference(ref: TypedLocalObjectReference, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(ref.apiGroup)) for (const m of isDNS1123Subdomain(ref.apiGroup)) errs.push(fieldErr.invalid(`${f}.apiGroup`, ref.apiGroup, m));
  for (const k of ['kind', 'name'] as const) {
    const v = text(ref[k]);
    if (!v) errs.push(fieldErr.required(`${f}.${k}`));
    else for (const m of nameIsPathSegment(v, false)) errs.push(fieldErr.invalid(`${f}.${k}`, v, m));
  }
  return errs;
}

/** validateIngressBackend: exactly one of service and resource; a service needs a name and one port. */
function validateBackend(backend: IngressBackend, f: string): FieldError[] {
  const resource = asObject(backend.resource);
  const service = asObject(backend.service);
  if (resource && service) return [fieldErr.invalid(f, '', 'cannot set both resource and service backends')];
  if (resource) return typedLocalObjectReference(resource, `${f}.resource`);
  if (!service) return [fieldErr.invalid(f, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = text(service.name);
  if (!name) errs.push(fieldErr.required(`${f}.service.name`));
  // ValidateServiceName: Service names are DNS-1035 labels.
  else for (const m of isDNS1035Label(name)) errs.push(fieldErr.invalid(`${f}.service.name`, name, m));
  const port = asObject(service.port) ?? {};
  const portName = text(port.name);
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(fieldErr.invalid(f, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of isValidPortName(portName)) errs.push(fieldErr.invalid(`${f}.service.port.name`, portName, m));
  else if (portNumber) for (const m of isValidPortNum(portNumber)) errs.push(fieldErr.invalid(`${f}.service.port.number`, portNumber, m));
  else errs.push(fieldErr.required(f, 'port name or number is required'));
  return errs;
}

/** validateHTTPIngressRuleValue (nil opts: only whether it has errors matters to callers without a path). */
function validateHTTP(http: NonNullable<NonNullable<IngressSpec['rules']>[number]['http']>, f: string): FieldError[] {
  const paths = objectsIn(http.paths);
  const errs: FieldError[] = [];
  if (!paths.length) errs.push(fieldErr.required(`${f}.paths`));
  paths.forEach((p, i) => {
    const pf = `${f}.paths[${i}]`;
    if (!isSet(p.pathType)) {
      errs.push(fieldErr.required(`${pf}.pathType`, 'pathType must be specified'));
      return;
    }
    const path = text(p.path);
    switch (p.pathType) {
      case 'Exact':
      case 'Prefix':
        if (!path.startsWith('/')) errs.push(fieldErr.invalid(`${pf}.path`, path, 'must be an absolute path'));
        for (const seq of INVALID_PATH_SEQUENCES)
          if (path.includes(seq)) errs.push(fieldErr.invalid(`${pf}.path`, path, `must not contain '${seq}'`));
        for (const suffix of INVALID_PATH_SUFFIXES)
          if (path.endsWith(suffix)) errs.push(fieldErr.invalid(`${pf}.path`, path, `cannot end with '${suffix}'`));
        break;
      case 'ImplementationSpecific':
        if (path && !path.startsWith('/')) errs.push(fieldErr.invalid(`${pf}.path`, path, 'must be an absolute path'));
        break;
      default:
        errs.push(fieldErr.notSupported(`${pf}.pathType`, p.pathType, PATH_TYPES));
    }
    errs.push(...validateBackend(asObject(p.backend) ?? {}, `${pf}.backend`));
  });
  return errs;
}

function validateRules(spec: IngressSpec, f: string, opts: IngressOptions): FieldError[] {
  const errs: FieldError[] = [];
  objectsIn(spec.rules).forEach((rule, i) => {
    const host = text(rule.host);
    let wildcard = false;
    if (host) {
      if (isIP(host)) errs.push(fieldErr.invalid(`${f}[${i}].host`, host, 'must be a DNS name, not an IP address'));
      if (host.includes('*')) {
        for (const m of isWildcardDNS1123Subdomain(host)) errs.push(fieldErr.invalid(`${f}[${i}].host`, host, m));
        wildcard = true;
      } else for (const m of isDNS1123Subdomain(host)) errs.push(fieldErr.invalid(`${f}[${i}].host`, host, m));
    }
    const http = asObject(rule.http);
    if ((!wildcard || !opts.allowInvalidWildcardHostRule) && http) errs.push(...validateHTTP(http, `${f}[${i}].http`));
  });
  return errs;
}

/** validateTLSSecretName: Secret names are DNS subdomains; none is allowed. */
const tlsSecretNameErrors = (name: string): string[] => (name ? isDNS1123Subdomain(name) : []);

function validateTLS(spec: IngressSpec, f: string, opts: IngressOptions): FieldError[] {
  const errs: FieldError[] = [];
  objectsIn(spec.tls).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((h, j) => {
      const host = text(h);
      const check = host.includes('*') ? isWildcardDNS1123Subdomain : isDNS1123Subdomain;
      for (const m of check(host)) errs.push(fieldErr.invalid(`${f}[${i}].hosts[${j}]`, host, m));
    });
    if (!opts.allowInvalidSecretName) {
      const secret = text(tls.secretName);
      for (const m of tlsSecretNameErrors(secret)) errs.push(fieldErr.invalid(`${f}[${i}].secretName`, secret, m));
    }
  });
  return errs;
}

/** Go's %#v of spec.rules when there are none: a nil slice, or an empty one when `rules: []` was sent. */
const noRules = (rules: unknown) => new GoLiteral(Array.isArray(rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)');

/** ValidateIngressSpec. */
function validateIngressSpec(spec: IngressSpec, f: string, opts: IngressOptions): FieldError[] {
  const errs: FieldError[] = [];
  const rules = objectsIn(spec.rules);
  const defaultBackend = asObject(spec.defaultBackend);
  if (!rules.length && !defaultBackend)
    errs.push(fieldErr.invalid(f, noRules(spec.rules), 'either `defaultBackend` or `rules` must be specified'));
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, `${f}.defaultBackend`));
  if (rules.length) errs.push(...validateRules(spec, `${f}.rules`, opts));
  if (objectsIn(spec.tls).length) errs.push(...validateTLS(spec, `${f}.tls`, opts));
  if (isSet(spec.ingressClassName))
    for (const m of isDNS1123Subdomain(spec.ingressClassName))
      errs.push(fieldErr.invalid(`${f}.ingressClassName`, spec.ingressClassName, m));
  return errs;
}

const specOf = (ing: IngressObj): IngressSpec => asObject(ing.spec) ?? ({} as IngressSpec);

/** ValidateIngressCreate (metadata is the registry's common check). */
export function validateIngressCreate(ing: IngressObj): FieldError[] {
  const spec = specOf(ing);
  const errs = validateIngressSpec(spec, 'spec', { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false });
  const annotation = ing.metadata.annotations?.[ANNOTATION_INGRESS_CLASS];
  if (annotation !== undefined && isSet(spec.ingressClassName) && annotation !== spec.ingressClassName)
    errs.push(
      fieldErr.invalid(`annotations.${ANNOTATION_INGRESS_CLASS}`, annotation, 'must match `ingressClassName` when both are specified'),
    );
  return errs;
}

/** allowInvalidWildcardHostRule: the stored object has a wildcard rule whose value does not validate. */
function storedInvalidWildcardRule(old: IngressObj): boolean {
  return objectsIn(specOf(old).rules).some((r) => {
    const http = asObject(r.http);
    return text(r.host).includes('*') && !!http && validateHTTP(http, '').length > 0;
  });
}

/** ValidateIngressUpdate. */
export function validateIngressUpdate(ing: IngressObj, old: IngressObj): FieldError[] {
  return validateIngressSpec(specOf(ing), 'spec', {
    allowInvalidSecretName: objectsIn(specOf(old).tls).some((t) => tlsSecretNameErrors(text(t.secretName)).length > 0),
    allowInvalidWildcardHostRule: storedInvalidWildcardRule(old),
  });
}

/**
 * ValidateIngressStatusUpdate: ValidateIngressLoadBalancerStatus. (IPs already stored are exempt only
 * from the strict IP checks upstream has behind a feature gate; an address that does not parse is
 * always refused.)
 */
export function validateIngressStatusUpdate(ing: IngressObj): FieldError[] {
  const errs: FieldError[] = [];
  objectsIn(asObject(ing.status)?.loadBalancer?.ingress).forEach((lb, i) => {
    const f = `status.loadBalancer.ingress[${i}]`;
    const ip = text(lb.ip);
    if (ip) errs.push(...validateIP(ip, `${f}.ip`));
    const hostname = text(lb.hostname);
    if (hostname) {
      for (const m of isDNS1123Subdomain(hostname)) errs.push(fieldErr.invalid(`${f}.hostname`, hostname, m));
      if (isIP(hostname)) errs.push(fieldErr.invalid(`${f}.hostname`, hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** validateIngressClassParametersReference. */
function validateParameters(params: IngressClassParametersReference, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(params.apiGroup))
    for (const m of isDNS1123Subdomain(params.apiGroup)) errs.push(fieldErr.invalid(`${f}.apiGroup`, params.apiGroup, m));
  for (const k of ['kind', 'name'] as const) {
    const v = text(params[k]);
    if (!v) errs.push(fieldErr.required(`${f}.${k}`));
    else for (const m of nameIsPathSegment(v, false)) errs.push(fieldErr.invalid(`${f}.${k}`, v, m));
  }
  if (!isSet(params.scope)) {
    errs.push(fieldErr.required(`${f}.scope`));
    return errs;
  }
  if (!PARAMETER_SCOPES.includes(params.scope)) errs.push(fieldErr.notSupported(`${f}.scope`, params.scope, PARAMETER_SCOPES));
  else if (params.scope === 'Namespace') {
    if (!isSet(params.namespace)) errs.push(fieldErr.required(`${f}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else for (const m of validateNamespaceName(params.namespace)) errs.push(fieldErr.invalid(`${f}.namespace`, params.namespace, m));
  } else if (isSet(params.namespace)) errs.push(fieldErr.forbidden(`${f}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

/** ValidateIngressClass (metadata is the registry's common check). */
export function validateIngressClass(ic: IngressClassObj): FieldError[] {
  const spec = asObject(ic.spec) ?? {};
  const errs: FieldError[] = [];
  const controller = text(spec.controller);
  if (!controller) errs.push(fieldErr.required('spec.controller'));
  else {
    if (Buffer.byteLength(controller) > MAX_LEN_CONTROLLER) errs.push(fieldErr.tooLong('spec.controller', MAX_LEN_CONTROLLER));
    errs.push(...domainPrefixedPath(controller, 'spec.controller'));
  }
  const params = asObject(spec.parameters);
  if (params) errs.push(...validateParameters(params, 'spec.parameters'));
  return errs;
}

/** ValidateIngressClassUpdate: the controller is immutable. */
export function validateIngressClassUpdate(ic: IngressClassObj, old: IngressClassObj): FieldError[] {
  return [
    ...validateImmutable(text(asObject(ic.spec)?.controller), text(asObject(old.spec)?.controller), 'spec.controller'),
    ...validateIngressClass(ic),
  ];
}
