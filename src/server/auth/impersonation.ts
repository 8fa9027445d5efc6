// User impersonation (`kubectl --as`, `--as-group`, `--as-uid`; upstream's WithImpersonation
// filter): the Impersonate-User, -Group, -Uid and -Extra-<key> headers make the request act as
// that user. tinykube lets every authenticated user impersonate (as it lets them do anything), so
// what changes is who the request is: `kubectl auth whoami --as=jane` answers jane.
import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../../auth/users.js';
import { isDNS1123Subdomain, validateNamespaceName } from '../../apimachinery/validation.js';

const SA_PREFIX = 'system:serviceaccount:';

/** upstream serviceaccount.SplitUsername: `system:serviceaccount:NS:NAME` with a valid namespace and name. */
function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  if (validateNamespaceName(parts[0]).length || isDNS1123Subdomain(parts[1]).length) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The impersonated user, undefined when no Impersonate-* header is present, or an Error with
 * upstream's text when the headers ask for groups, a uid or extras without a user.
 */
export function impersonatedUser(headers: IncomingHttpHeaders): UserInfo | Error | undefined {
  const username = list(headers['impersonate-user'])[0];
  // Node joins repeated headers with ", " except for a few; upstream takes each header line.
  const groups = list(headers['impersonate-group'])
    .flatMap((g) => g.split(/,\s*/))
    .filter((g) => g !== '');
  const uid = list(headers['impersonate-uid'])[0];
  const extra: Record<string, string[]> = {};
  // Every request comes through here: a plain key walk, no arrays made.
  for (const name in headers) {
    if (!name.startsWith('impersonate-extra-')) continue;
    const value = headers[name];
    let key = name.slice('impersonate-extra-'.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // kept as sent
    }
    extra[key] = list(value).flatMap((v) => v.split(/,\s*/));
  }
  if (username === undefined) {
    if (!groups.length && uid === undefined && !Object.keys(extra).length) return undefined;
    const asked = [
      ...groups.map((g) => `{Group ${g}}`),
      ...(uid !== undefined ? [`{UserUID ${uid}}`] : []),
      ...Object.keys(extra).map((k) => `{UserExtra ${k}}`),
    ];
    return new Error(`requested [${asked.join(' ')}] without impersonating a user`);
  }
  const out: string[] = [...groups];
  // A service account's groups are known when none are asked for: only for a well-formed
  // service account name (serviceaccount.SplitUsername), else it is an ordinary user name.
  const sa = serviceAccountOf(username);
  if (sa && !groups.length) out.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (username === 'system:anonymous') {
    if (!out.includes('system:unauthenticated')) out.push('system:unauthenticated');
  } else if (!out.includes('system:authenticated') && !out.includes('system:unauthenticated')) {
    out.push('system:authenticated');
  }
  const user: UserInfo = { username, groups: out };
  if (uid !== undefined) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}
