// Kubernetes' CEL URL library (apiserver/pkg/cel/library/urls.go): url(), isURL() and the URL
// accessors, with Go's net/url semantics: url() accepts what url.ParseRequestURI accepts (an absolute
// URI or an absolute path), and the accessors read the parts url.Parse finds (the fragment apart).
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from './errors.js';

export class CelURL {
  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly path: string,
    readonly rawQuery: string,
    readonly opaque: string,
    readonly text: string,
  ) {}
  equals(o: CelURL): boolean {
    return this.text === o.text;
  }
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const goQuote = (s: string) => JSON.stringify(s);

/** Go's url.ParseRequestURI (viaRequest) and url.Parse of `raw`: the URL, or the error text Go gives. */
export function parseGoURL(raw: string, viaRequest: boolean): CelURL | string {
  const fail = (why: string) => `parse ${goQuote(raw)}: ${why}`;
  if (/[\x00-\x1f\x7f]/.test(raw)) return fail('net/url: invalid control character in URL');
  let rest = raw;
  // url.Parse cuts the fragment off; ParseRequestURI keeps a '#' as part of the path or query.
  if (!viaRequest && rest.includes('#')) rest = rest.slice(0, rest.indexOf('#'));
  if (raw === '' && viaRequest) return fail('empty url');
  let scheme = '';
  const m = SCHEME.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(':')) return fail('missing protocol scheme');
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (scheme) return new CelURL(scheme, '', '', rawQuery, rest, raw);
    if (viaRequest) return fail('invalid URI for request');
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) return fail('first path segment in URL cannot contain colon');
  }
  let host = '';
  if ((scheme || !viaRequest || !rest.startsWith('///')) && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    host = authority.slice(authority.lastIndexOf('@') + 1);
    const err = checkHost(host);
    if (err) return fail(err);
  }
  try {
    decodeURIComponent(rest);
  } catch {
    const bad = /%(?![0-9a-fA-F]{2}).{0,2}/.exec(rest)?.[0] ?? '%';
    return fail(`invalid URL escape ${goQuote(bad)}`);
  }
  return new CelURL(scheme, host, rest, rawQuery, '', raw);
}

function checkHost(host: string): string | undefined {
  let port = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return "missing ']' in host";
    port = host.slice(close + 1);
    if (port && !port.startsWith(':')) return `invalid port ${goQuote(port)} after host`;
  } else {
    const c = host.lastIndexOf(':');
    if (c >= 0) port = host.slice(c);
    const name = c >= 0 ? host.slice(0, c) : host;
    const badChar = /[^a-zA-Z0-9\-._~!$&'()*+,;=%]/.exec(name);
    if (badChar) return `invalid character ${goQuote(badChar[0])} in host name`;
  }
  if (port && !/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
  return undefined;
}

function hostname(host: string): string {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close < 0 ? host.slice(1) : host.slice(1, close);
  }
  const c = host.lastIndexOf(':');
  return c < 0 ? host : host.slice(0, c);
}

function port(host: string): string {
  const c = host.lastIndexOf(':');
  if (c < 0 || host.lastIndexOf(']') > c) return '';
  return host.slice(c + 1);
}

/** Go's url.ParseQuery, keeping the values that decode (Go drops malformed pairs). */
function query(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (!pair || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      continue;
    }
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

export function registerURLs(env: Environment): void {
  env
    .registerType('kubernetes.URL', CelURL)
    .registerFunction('url(string): kubernetes.URL', (s: string) => {
      const checked = parseGoURL(s, true);
      if (typeof checked === 'string') throw celError(`URL parse error during conversion from string: ${checked}`);
      const u = parseGoURL(s, false);
      if (typeof u === 'string') throw celError(`URL parse error during conversion from string: ${u}`);
      return u;
    })
    .registerFunction('isURL(string): bool', (s: string) => typeof parseGoURL(s, true) !== 'string')
    .registerFunction('kubernetes.URL.getScheme(): string', (u: CelURL) => u.scheme)
    .registerFunction('kubernetes.URL.getHost(): string', (u: CelURL) => u.host)
    .registerFunction('kubernetes.URL.getHostname(): string', (u: CelURL) => hostname(u.host))
    .registerFunction('kubernetes.URL.getPort(): string', (u: CelURL) => port(u.host))
    .registerFunction('kubernetes.URL.getEscapedPath(): string', (u: CelURL) => u.path)
    .registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: CelURL) => query(u.rawQuery))
    .registerOperator('kubernetes.URL == kubernetes.URL', (a: CelURL, b: CelURL) => a.equals(b));
}
