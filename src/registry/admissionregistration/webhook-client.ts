// A webhook's clientConfig, after upstream's k8s.io/apiserver/pkg/util/webhook/validation.go
// (ValidateWebhookURL, ValidateWebhookService). The URL checks read the parts Go's net/url Parse
// finds (scheme, userinfo, host, query, fragment), so the parsing here follows its rules and its
// error texts (`parse "://x": missing protocol scheme`) rather than the WHATWG parser's.
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Subdomain, isValidPortNum } from '../../apimachinery/validation.js';

/** The parts of a Go *url.URL the webhook checks read. */
export interface GoURL {
  scheme: string;
  /** Userinfo as url.Userinfo.String() prints it; undefined when the URL has no `@`. */
  user?: string;
  host: string;
  rawQuery: string;
  fragment: string;
}

/** Go's %q of a string (the URL in a url.Error): control bytes as Go escapes them. */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (named[ch]) out += named[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const unescape = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** net/url's getScheme: a letter, then letters, digits, `+`, `-` or `.`, up to the first `:`. */
function splitScheme(raw: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

/** net/url's validOptionalPort: empty, or `:` and digits. */
const validOptionalPort = (p: string) => p === '' || /^:[0-9]*$/.test(p);

function parseHost(host: string): { host: string } | { error: string } {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    return { host };
  }
  const i = host.lastIndexOf(':');
  if (i >= 0) {
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
  }
  return { host: unescape(host) };
}

/**
 * url.Parse as far as the webhook checks need it: the parts, or the error text
 * (`parse "<url without fragment>": <reason>`).
 */
export function parseGoURL(raw: string): GoURL | { error: string } {
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const fragment = hash < 0 ? '' : unescape(raw.slice(hash + 1));
  const fail = (reason: string) => ({ error: `parse ${goQuote(u)}: ${reason}` });
  // stringContainsCTLByte: the URL before its fragment is checked before anything else.
  if (/[\x00-\x1f\x7f]/.test(u)) return fail('net/url: invalid control character in URL');
  const s = splitScheme(u);
  if ('error' in s) return fail(s.error);
  const scheme = s.scheme.toLowerCase();
  let rest = s.rest;
  let rawQuery = '';
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  const out: GoURL = { scheme, host: '', rawQuery, fragment };
  if (!rest.startsWith('/')) {
    // With a scheme the rest is opaque (no host); without one, a colon in the first segment is refused.
    if (scheme === '') {
      const colon = rest.indexOf(':');
      const slash = rest.indexOf('/');
      if (colon >= 0 && (slash < 0 || colon < slash)) return fail('first path segment in URL cannot contain colon');
    }
    return out;
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf('/');
    const authority = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const h = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if ('error' in h) return fail(h.error);
    out.host = h.host;
    if (at >= 0) out.user = authority.slice(0, at);
  }
  return out;
}

const FORM = '; desired format: https://host[/path]';

/** ValidateWebhookURL with forceHttps (the admission webhooks' use). */
export function validateWebhookURL(f: string, url: string): FieldError[] {
  const u = parseGoURL(url);
  if ('error' in u) return [fieldErr.required(f, `url must be a valid URL: ${u.error}${FORM}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== 'https') errs.push(fieldErr.invalid(f, u.scheme, `'https' is the only allowed URL scheme${FORM}`));
  if (u.host.length === 0) errs.push(fieldErr.invalid(f, u.host, `host must be specified${FORM}`));
  if (u.user !== undefined) errs.push(fieldErr.invalid(f, u.user, 'user information is not permitted in the URL'));
  if (u.fragment.length) errs.push(fieldErr.invalid(f, u.fragment, 'fragments are not permitted in the URL'));
  if (u.rawQuery.length) errs.push(fieldErr.invalid(f, u.rawQuery, 'query parameters are not permitted in the URL'));
  return errs;
}

/**
 * ValidateWebhookService. Upstream declares it as (namespace, name) and the admission validation
 * calls it with (service.name, service.namespace): a missing namespace is reported at
 * `service.name` and a missing name at `service.namespace` (kubernetes#141353). Kept, so the
 * texts match the API server's.
 */
export function validateWebhookService(
  f: string,
  svc: { name?: unknown; namespace?: unknown; path?: unknown; port?: unknown },
): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof svc.name === 'string' ? svc.name : '';
  const namespace = typeof svc.namespace === 'string' ? svc.namespace : '';
  if (namespace.length === 0) errs.push(fieldErr.required(`${f}.name`));
  if (name.length === 0) errs.push(fieldErr.required(`${f}.namespace`));
  const port = typeof svc.port === 'number' ? svc.port : 0;
  const portErrs = isValidPortNum(port);
  if (portErrs.length) errs.push(fieldErr.invalid(`${f}.port`, port, `port is not valid: ${portErrs.join(', ')}`));
  if (typeof svc.path !== 'string') return errs;
  const p = svc.path;
  if (p === '/' || p.length === 0) return errs;
  if (p === '//') return [...errs, fieldErr.invalid(`${f}.path`, p, 'segment[0] may not be empty')];
  if (!p.startsWith('/')) errs.push(fieldErr.invalid(`${f}.path`, p, "must start with a '/'"));
  let check = p.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step.length === 0) {
      errs.push(fieldErr.invalid(`${f}.path`, p, `segment[${i}] may not be empty`));
      return;
    }
    for (const m of isDNS1123Subdomain(step)) errs.push(fieldErr.invalid(`${f}.path`, p, `segment[${i}]: ${m}`));
  });
  return errs;
}
