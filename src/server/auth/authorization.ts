// Authorization of every request (upstream's WithAuthorization and the impersonation filter's
// checks): with an authorizer (`--authorization-mode RBAC`), the authenticated user must be allowed
// each impersonation it asks for, then the user the request acts as must be allowed what the
// request is (request-info.ts); anything not allowed is 403 with upstream's Forbidden message.
// Without one (AlwaysAllow, the default) every authenticated request goes through, as before.
import type { IncomingHttpHeaders } from 'node:http';
import type { StatusError } from '../../apimachinery/errors.js';
import type { Attributes, Authorizer } from '../../auth/rbac/attributes.js';
import { forbiddenError } from '../../auth/rbac/forbidden.js';
import type { UserInfo } from '../../auth/users.js';
import { impersonationChecks, requestInfo } from './request-info.js';
import { internalError } from '../../apimachinery/errors.js';

/** The streaming subresources a WebSocket GET opens, which write to the Pod as POST would. */
const STREAMING = new Set(['exec', 'attach', 'portforward']);

function check(authorizer: Authorizer, attrs: Attributes, user: UserInfo): StatusError | undefined {
  const r = authorizer.authorize(attrs, user);
  return r.decision === 'allow' ? undefined : forbiddenError(attrs, user, r.reason);
}

/**
 * Why the request may not go on (a Forbidden StatusError), or undefined. `authenticated` is who
 * the credentials are, `actingAs` who the request acts as (the same, or the impersonated user).
 */
export function authorizeRequest(
  authorizer: Authorizer,
  req: { method?: string; url?: string; headers: IncomingHttpHeaders },
  authenticated: UserInfo,
  actingAs: UserInfo,
): StatusError | undefined {
  for (const attrs of impersonationChecks(req.headers)) {
    const denied = check(authorizer, attrs, authenticated);
    if (denied) return denied;
  }
  const info = requestInfo(req.method ?? 'GET', req.url ?? '/');
  if (info.error) return internalError(info.error);
  const denied = check(authorizer, info, actingAs);
  if (denied) return denied;
  // A WebSocket exec, attach or port-forward is a GET that writes to the Pod: since v1.31 it also
  // needs `create` on the subresource, as the SPDY POST does (AuthorizePodWebsocketUpgradeCreatePermission).
  if (info.verb === 'get' && info.resource === 'pods' && STREAMING.has(info.subresource))
    return check(authorizer, { ...info, verb: 'create' }, actingAs);
  return undefined;
}
