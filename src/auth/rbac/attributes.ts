// What an authorizer decides about (upstream k8s.io/apiserver pkg/authorization/authorizer
// Attributes): the request's verb and resource or path, as the request-info filter derives them
// from the URL, with the user passed beside it.
import type { UserInfo } from '../users.js';

/** One request (or a check made on its behalf, such as `impersonate` or `bind`) to authorize. */
export interface Attributes {
  /** false for non-resource paths (/healthz, /api, /version, ...): then only verb and path count. */
  isResourceRequest: boolean;
  /** The URL path, for non-resource requests. */
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy, impersonate, ...; the
   *  lowercase HTTP method for non-resource requests. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The raw fieldSelector / labelSelector of a list, watch or deletecollection (AuthorizeWithSelectors). */
  fieldSelector?: string;
  labelSelector?: string;
}

/** Upstream's authorizer.Decision: an authorizer that has no opinion leaves it to the next one. */
export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizerResult {
  decision: Decision;
  /** Why: shown after the Forbidden message of a denied request, and in access reviews. */
  reason: string;
}

/** authorizer.Authorizer. */
export interface Authorizer {
  authorize(attrs: Attributes, user: UserInfo): AuthorizerResult;
}

/** Attributes of a resource request; the fields not given are empty. */
export function resourceAttributes(a: Partial<Attributes> & { verb: string; resource: string }): Attributes {
  return {
    isResourceRequest: true,
    path: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    subresource: '',
    name: '',
    ...a,
  };
}

/** Attributes of a non-resource request: a verb on a path. */
export function nonResourceAttributes(verb: string, path: string): Attributes {
  return {
    isResourceRequest: false,
    path,
    verb,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}
