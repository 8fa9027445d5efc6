// What a request asks to do, read from its method and URL as upstream's RequestInfoFactory reads
// it (k8s.io/apiserver pkg/endpoints/request/requestinfo.go, v1.32): the authorizer decides on
// this, and the Forbidden message names it. Paths under /api/{version} and
// /apis/{group}/{version} are resource requests (verb, namespace, resource, name, subresource);
// anything else (/healthz, /version, /openapi/v3, discovery) is a non-resource request whose verb
// is the lowercase HTTP method. Also the checks of upstream's impersonation filter: one
// `impersonate` per Impersonate-* header value.
import type { IncomingHttpHeaders } from 'node:http';
import { resourceAttributes, type Attributes } from '../../auth/rbac/attributes.js';
import { parseFieldSelector } from '../../apimachinery/selectors.js';
import { isDNS1123Subdomain, validateNamespaceName } from '../../apimachinery/validation.js';
import { decodeListOptions, requestQuery } from '../query-params.js';

/** request.RequestInfo: the authorization attributes and how the path was split. */
export interface RequestInfo extends Attributes {
  /** `api` or `apis` ('' for most non-resource paths). */
  apiPrefix: string;
  /** The path parts from the resource on: resource, name, subresource, anything after. */
  parts: string[];
  /** Set when the path cannot be read (`/api/v1/watch`): upstream answers 500 with it. */
  error?: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES = new Set(['api']);
/** Verbs given as a path prefix (`/api/v1/watch/pods`), deprecated but served. */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** Special verbs whose paths have no subresource (the rest of a proxy path is the backend's). */
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
/** What may follow /namespaces/{name}/ as the namespace's own subresource, not a resource in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
/** The verbs whose fieldSelector and labelSelector the authorizer sees (AuthorizeWithSelectors, on in v1.32). */
const VERBS_WITH_SELECTORS = new Set(['list', 'watch', 'deletecollection']);

const METHOD_VERBS = new Map([
  ['POST', 'create'],
  ['GET', 'get'],
  ['HEAD', 'get'],
  ['PUT', 'update'],
  ['PATCH', 'patch'],
  ['DELETE', 'delete'],
]);

/** URL.Path: the request URI's path with %-escapes decoded (a path Go could not parse is kept as sent). */
function urlPath(uri: string): string {
  const q = uri.indexOf('?');
  const raw = q < 0 ? uri : uri.slice(0, q);
  if (!raw.includes('%')) return raw;
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%') {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else for (const b of Buffer.from(raw[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** splitPath: the segments between slashes, leading and trailing slashes trimmed. */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/** path.IsValidPathSegmentName: a name that can be one path segment. */
const validPathSegmentName = (name: string) => name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');

/**
 * NewRequestInfo for a method and a request URI (`req.url`: path and query, as sent). A GET
 * without a name is a list, or a watch with `?watch` (any value but false and 0); a DELETE
 * without one is a deletecollection; a list or watch whose fieldSelector requires one
 * metadata.name is about that name, so a rule with resourceNames can allow it.
 */
export function requestInfo(method: string, uri: string): RequestInfo {
  const path = urlPath(uri);
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (!GROUPLESS_API_PREFIXES.has(info.apiPrefix)) {
    // /apis/{group}/{version}/... needs a fourth part to name a resource.
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  let verbViaPathPrefix = false;
  if (SPECIAL_VERBS.has(parts[0]!)) {
    if (parts.length < 2) {
      info.error = `unable to determine kind and namespace from url, ${uri}`;
      return info;
    }
    info.verb = parts[0]!;
    parts = parts.slice(1);
    verbViaPathPrefix = true;
  } else info.verb = METHOD_VERBS.get(method) ?? '';

  // /namespaces/{namespace}/{resource}/...: the parts start at the resource. The namespace itself
  // (/namespaces/{name}, its status and finalize) is the resource `namespaces` named {name}.
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  const query = requestQuery(uri);
  if (!info.name && info.verb === 'get') {
    let watch = false;
    let fieldSelector = '';
    try {
      const o = decodeListOptions(query);
      watch = o.watch;
      fieldSelector = o.fieldSelector;
    } catch {
      // Options that do not decode: a list, or a watch when ?watch says so; no name from the selector.
      const w = query.get('watch');
      watch = !!w?.length && w[0]!.toLowerCase() !== 'false' && w[0] !== '0';
    }
    info.verb = watch ? 'watch' : 'list';
    // fields.Selector.RequiresExactMatch("metadata.name"): the first such `=` or `==` term.
    const term = fieldSelector
      ? parseFieldSelector(fieldSelector).find((r) => r.field === 'metadata.name' && r.operator === '=')
      : undefined;
    if (term && validPathSegmentName(term.value)) info.name = term.value;
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';

  // The selectors as sent (a list whose options failed to decode still has them).
  if (!verbViaPathPrefix && VERBS_WITH_SELECTORS.has(info.verb)) {
    const fs = query.get('fieldSelector');
    if (fs?.length) info.fieldSelector = fs[0]!;
    const ls = query.get('labelSelector');
    if (ls?.length) info.labelSelector = ls[0]!;
  }
  return info;
}

const SA_PREFIX = 'system:serviceaccount:';
const AUTHN_GROUP = 'authentication.k8s.io';

const headerValues = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** Node joins a repeated header's lines with ", "; upstream reads each line. */
const splitJoined = (v: string | string[] | undefined) => headerValues(v).flatMap((s) => s.split(/,\s*/));

/** serviceaccount.SplitUsername: namespace and name of `system:serviceaccount:<ns>:<name>`, when both are valid. */
function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (validateNamespaceName(namespace).length || isDNS1123Subdomain(name).length) return undefined;
  return { namespace, name };
}

/**
 * What upstream's impersonation filter authorizes, in its order, before a request acts as
 * someone else: `impersonate` on the user (`users`, or the service account in its namespace as
 * `serviceaccounts`), on each group (`groups`), on each extra value (`userextras` with the key as
 * subresource) and on the uid (`uids`), the last two in group authentication.k8s.io. Empty without
 * an Impersonate-User header (the headers' own errors are impersonatedUser's to report).
 */
export function impersonationChecks(headers: IncomingHttpHeaders): Attributes[] {
  const username = headerValues(headers['impersonate-user'])[0];
  if (!username) return [];
  const checks: Attributes[] = [];
  const impersonate = (a: Partial<Attributes> & { resource: string; name: string }) => {
    checks.push(resourceAttributes({ verb: 'impersonate', ...a }));
  };
  const sa = splitServiceAccount(username);
  if (sa) impersonate({ resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
  else impersonate({ resource: 'users', name: username });
  // Empty group names are dropped, as impersonatedUser drops them from the user it makes.
  for (const group of splitJoined(headers['impersonate-group'])) if (group !== '') impersonate({ resource: 'groups', name: group });
  for (const header in headers) {
    if (!header.startsWith('impersonate-extra-')) continue;
    let key = header.slice('impersonate-extra-'.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // kept as sent, as upstream records a malformed key
    }
    for (const value of splitJoined(headers[header]))
      impersonate({ apiGroup: AUTHN_GROUP, apiVersion: 'v1', resource: 'userextras', subresource: key, name: value });
  }
  const uid = headerValues(headers['impersonate-uid'])[0];
  if (uid) impersonate({ apiGroup: AUTHN_GROUP, apiVersion: 'v1', resource: 'uids', name: uid });
  return checks;
}
