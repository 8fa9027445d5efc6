// Kubernetes' CEL authorizer library (apiserver/pkg/cel/library/authz.go) for admission expressions:
// `authorizer.group('apps').resource('deployments').namespace('ns').name('x').check('create').allowed()`,
// `.subresource()`, `.fieldSelector()`, `.labelSelector()`, `authorizer.path('/healthz').check('get')`,
// `authorizer.serviceAccount(ns, name)`, and a decision's `allowed()`, `reason()`, `errored()`, `error()`.
// `authorizer.requestResource` is the ResourceCheck of the request's own resource. Checks go to an
// injected authorizer, synchronously.
import type { Environment } from '@marcbachmann/cel-js';
import type { Attributes, AuthorizerResult } from '../../auth/rbac/attributes.js';
import type { UserInfo } from '../../auth/users.js';
import { isDNS1123Subdomain } from '../../apimachinery/validation.js';
import { validateNamespaceName } from '../../apimachinery/validation.js';
import { celError } from './library/errors.js';

/** Asks the authorizer about `attrs` for `user`; throwing makes the decision errored. */
export type AuthzCheck = (attrs: Attributes, user: UserInfo) => AuthorizerResult;

/** The request's resource, which `authorizer.requestResource` checks. */
export interface RequestResource {
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

class AuthorizerVal {
  constructor(
    readonly user: UserInfo,
    readonly check: AuthzCheck,
    private readonly request?: RequestResource,
  ) {}
  /** The field cel-go resolves as the qualified variable `authorizer.requestResource`. */
  get requestResource(): ResourceCheckVal | undefined {
    const r = this.request;
    if (!r) return undefined;
    return new ResourceCheckVal(this, r.group, r.resource, { subresource: r.subresource, namespace: r.namespace, name: r.name });
  }
}

class PathCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly path: string,
  ) {}
}

class GroupCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly group: string,
  ) {}
}

interface ResourceFields {
  subresource: string;
  namespace: string;
  name: string;
  fieldSelector?: string;
  labelSelector?: string;
}

class ResourceCheckVal {
  constructor(
    readonly authz: AuthorizerVal,
    readonly group: string,
    readonly resource: string,
    readonly f: ResourceFields = { subresource: '', namespace: '', name: '' },
  ) {}
  with(change: Partial<ResourceFields>): ResourceCheckVal {
    return new ResourceCheckVal(this.authz, this.group, this.resource, { ...this.f, ...change });
  }
}

class DecisionVal {
  constructor(
    readonly allowed: boolean,
    readonly reason: string,
    readonly error?: string,
  ) {}
}

function decide(authz: AuthorizerVal, attrs: Attributes): DecisionVal {
  try {
    const r = authz.check(attrs, authz.user);
    return new DecisionVal(r.decision === 'allow', r.reason);
  } catch (e) {
    return new DecisionVal(false, '', (e as Error).message);
  }
}

const A = 'kubernetes.authorization.Authorizer';
const P = 'kubernetes.authorization.PathCheck';
const G = 'kubernetes.authorization.GroupCheck';
const R = 'kubernetes.authorization.ResourceCheck';
const D = 'kubernetes.authorization.Decision';

export const AUTHZ_FUNCTIONS = [
  'path',
  'group',
  'serviceAccount',
  'resource',
  'subresource',
  'namespace',
  'name',
  'fieldSelector',
  'labelSelector',
  'check',
  'allowed',
  'reason',
  'errored',
  'error',
];

/** serviceaccount.ServiceAccountInfo.UserInfo() of a service account without credentials. */
const serviceAccountUser = (namespace: string, name: string): UserInfo => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
});

export function registerAuthz(env: Environment): void {
  env
    .registerType(P, PathCheckVal)
    .registerType(G, GroupCheckVal)
    .registerType(R, ResourceCheckVal)
    .registerType(D, DecisionVal)
    .registerType(A, { ctor: AuthorizerVal, fields: { requestResource: R } })
    .registerFunction(`${A}.path(string): ${P}`, (a: AuthorizerVal, path: string) => {
      if (!path.trim()) throw celError('path must not be empty');
      return new PathCheckVal(a, path);
    })
    .registerFunction(`${A}.group(string): ${G}`, (a: AuthorizerVal, group: string) => new GroupCheckVal(a, group))
    .registerFunction(`${A}.serviceAccount(string, string): ${A}`, (a: AuthorizerVal, namespace: string, name: string) => {
      if (isDNS1123Subdomain(name).length) throw celError('Invalid service account name');
      if (validateNamespaceName(namespace).length) throw celError('Invalid service account namespace');
      return new AuthorizerVal(serviceAccountUser(namespace, name), a.check);
    })
    .registerFunction(`${G}.resource(string): ${R}`, (g: GroupCheckVal, resource: string) => {
      if (!resource.trim()) throw celError('resource must not be empty');
      return new ResourceCheckVal(g.authz, g.group, resource);
    })
    .registerFunction(`${R}.subresource(string): ${R}`, (r: ResourceCheckVal, subresource: string) => r.with({ subresource }))
    .registerFunction(`${R}.namespace(string): ${R}`, (r: ResourceCheckVal, namespace: string) => r.with({ namespace }))
    .registerFunction(`${R}.name(string): ${R}`, (r: ResourceCheckVal, name: string) => r.with({ name }))
    .registerFunction(`${R}.fieldSelector(string): ${R}`, (r: ResourceCheckVal, fieldSelector: string) => r.with({ fieldSelector }))
    .registerFunction(`${R}.labelSelector(string): ${R}`, (r: ResourceCheckVal, labelSelector: string) => r.with({ labelSelector }))
    .registerFunction(`${P}.check(string): ${D}`, (p: PathCheckVal, verb: string) =>
      decide(p.authz, {
        isResourceRequest: false,
        path: p.path,
        verb,
        apiGroup: '',
        apiVersion: '',
        namespace: '',
        resource: '',
        subresource: '',
        name: '',
      }),
    )
    .registerFunction(`${R}.check(string): ${D}`, (r: ResourceCheckVal, verb: string) => {
      const attrs: Attributes = {
        isResourceRequest: true,
        path: '',
        verb,
        apiGroup: r.group,
        apiVersion: '*',
        namespace: r.f.namespace,
        resource: r.resource,
        subresource: r.f.subresource,
        name: r.f.name,
      };
      if (r.f.fieldSelector) attrs.fieldSelector = r.f.fieldSelector;
      if (r.f.labelSelector) attrs.labelSelector = r.f.labelSelector;
      return decide(r.authz, attrs);
    })
    .registerFunction(`${D}.allowed(): bool`, (d: DecisionVal) => d.allowed)
    .registerFunction(`${D}.reason(): string`, (d: DecisionVal) => d.reason)
    .registerFunction(`${D}.errored(): bool`, (d: DecisionVal) => d.error !== undefined)
    .registerFunction(`${D}.error(): string`, (d: DecisionVal) => d.error ?? '');
}

/** The `authorizer` variable's value. */
export function newAuthorizerValue(user: UserInfo, check: AuthzCheck, requestResource: RequestResource): unknown {
  return new AuthorizerVal(user, check, requestResource);
}
