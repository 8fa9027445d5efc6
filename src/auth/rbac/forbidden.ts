// The 403 of a request the authorizer did not allow (upstream k8s.io/apiserver
// pkg/endpoints/handlers/responsewriters/errors.go Forbidden): `pods is forbidden: User "jane"
// cannot list resource "pods" in API group "" in the namespace "default"`, the authorizer's
// reason appended after a colon when it gave one.
import { StatusError, forbidden } from '../../apimachinery/errors.js';
import { goQuote } from '../../apimachinery/go-format.js';
import type { UserInfo } from '../users.js';
import type { Attributes } from './attributes.js';

/** forbiddenMessage: what the user cannot do, without the resource prefix. */
export function forbiddenMessage(attrs: Attributes, user: UserInfo | undefined): string {
  const username = goQuote(user?.username ?? '');
  if (!attrs.isResourceRequest) return `User ${username} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace ${goQuote(attrs.namespace)}` : 'at the cluster scope';
  return `User ${username} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup)} ${scope}`;
}

/** The sanitizer: nothing in the message may read as HTML (quotes may). */
const sanitize = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The text after `is forbidden: `: the sanitized message, then `: reason` when there is one.
 * Upstream passes this text to fmt.Errorf as the format, so a `%` in it (a path, a name, a
 * reason) is read as a verb without an argument: `%%` prints `%`, others `%!d(MISSING)`.
 */
export function forbiddenReason(attrs: Attributes, user: UserInfo | undefined, reason: string): string {
  const msg = sanitize(forbiddenMessage(attrs, user));
  return goSprintfNoArgs(reason ? `${msg}: ${reason}` : msg);
}

/**
 * The whole 403 Status: errors.NewForbidden on the request's group and resource and name, which
 * for a non-resource request (no group, no resource) reads `forbidden: User "x" cannot get path "/y"`.
 */
export function forbiddenError(attrs: Attributes, user: UserInfo | undefined, reason: string): StatusError {
  const why = forbiddenReason(attrs, user, reason);
  if (!attrs.apiGroup && !attrs.resource)
    return new StatusError(403, 'Forbidden', `forbidden: ${why}`, attrs.name ? { name: attrs.name } : {});
  return forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, why);
}

/**
 * fmt.Sprintf(format) with no operands (fmt's doPrintf): flags, argument indexes, width and
 * precision are read and dropped, and every verb but `%%` reports its operand missing.
 */
export function goSprintfNoArgs(format: string): string {
  if (!format.includes('%')) return format;
  const end = format.length;
  const isDigit = (j: number) => j < end && format.charCodeAt(j) >= 48 && format.charCodeAt(j) <= 57;
  /** parsenum from j: the index after the digits, or end when the number is absurdly long. */
  const skipNumber = (j: number): { next: number; isNum: boolean } => {
    let n = 0;
    let k = j;
    for (; isDigit(k); k++) {
      if (n > 1e6) return { next: end, isNum: false };
      n = n * 10 + format.charCodeAt(k) - 48;
    }
    return { next: k, isNum: k > j };
  };
  let out = '';
  let i = 0;
  let goodArgNum = true;
  /** argNumber at i: an `[n]` index is always out of range here; true when it was a well-formed one. */
  const argNumber = (): boolean => {
    if (format[i] !== '[') return false;
    goodArgNum = false;
    const rest = end - i;
    if (rest < 3) {
      i += 1;
      return false;
    }
    const close = format.indexOf(']', i + 1);
    if (close < 0) {
      i += 1;
      return false;
    }
    const { next, isNum } = skipNumber(i + 1);
    i = close + 1;
    return isNum && next === close;
  };
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    goodArgNum = true;
    while (i < end && '#0+- '.includes(format[i]!)) i++;
    let afterIndex = argNumber();
    if (format[i] === '*') {
      i++;
      out += '%!(BADWIDTH)';
      afterIndex = false;
    } else i = skipNumber(i).next;
    if (i + 1 < end && format[i] === '.') {
      i++;
      afterIndex = argNumber();
      if (format[i] === '*') {
        i++;
        out += '%!(BADPREC)';
        afterIndex = false;
      } else i = skipNumber(i).next;
    }
    if (!afterIndex) argNumber();
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') out += '%';
    else out += `%!${verb}(${goodArgNum ? 'MISSING' : 'BADINDEX'})`;
  }
  return out;
}
