// Where the API server's proxy subresources send a request, as upstream decides it (pure
// functions; src/server/apiproxy/handler.ts does the forwarding):
// - services/ID/proxy: pkg/registry/core/service/storage ResourceLocation. ID is `name`,
//   `name:port` or `scheme:name:port` (apimachinery SplitSchemeNamePort); a port number is first
//   turned into the Service port's name, then one ready endpoint of that port name is picked at
//   random. Like upstream's isValidAddress, only endpoints whose targetRef is a Pod of the same
//   namespace that carries the endpoint's IP qualify: the API server never proxies to an address a
//   client merely wrote into an EndpointSlice. Upstream reads the Endpoints object; we read the
//   EndpointSlices (the same addresses: our controllers derive both from the same Pods, and users'
//   Endpoints are mirrored into slices), keeping upstream's errors and texts.
// - pods/ID/proxy: pkg/registry/core/pod/strategy.go ResourceLocation: the Pod's first IP, the
//   given port or the first declared container port.
// Plus the URL pieces upstream's proxy handler derives (apimachinery pkg/util/proxy): the backend
// path, the redirect Location rewriting and Go's dial error texts.
import type { EndpointSliceObj } from '../../registry/endpointslice.js';
import type { ServiceObj } from '../../registry/service/strategy.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { ObjectReference } from '../../api/generated/core/v1.js';
import { StatusError, badRequest, notFound } from '../../apimachinery/errors.js';
import { parseIP } from '../../apimachinery/ipnet.js';

export interface ProxyTarget {
  scheme: 'http' | 'https';
  ip: string;
  /** A port number, or (pods only) the port text as the client gave it. */
  port: number | string | undefined;
}

/** What resolution reads: the Service, its slices, whether its Endpoints object exists, Pods. */
export interface ProxyLookup {
  service(ns: string, name: string): ServiceObj | undefined;
  slices(ns: string, service: string): EndpointSliceObj[];
  endpointsExist(ns: string, name: string): boolean;
  pod(ns: string, name: string): PodObj | undefined;
}

/** apimachinery SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` (scheme http/https). */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || !['', 'http', 'https'].includes(scheme)) return undefined;
  return { scheme, name, port };
}

const serviceUnavailable = (message: string) => new StatusError(503, 'ServiceUnavailable', message);
const isNumeric = (s: string) => /^[+-]?\d+$/.test(s);
const schemeOf = (s: string): 'http' | 'https' => (s === 'https' ? 'https' : 'http');

export function resolveServiceTarget(lookup: ProxyLookup, ns: string, id: string, random: () => number = Math.random): ProxyTarget {
  const parsed = splitSchemeNamePort(id);
  if (!parsed) throw badRequest(`invalid service request "${id}"`);
  const { name } = parsed;
  let portName = parsed.port;
  // A port number names the Service port it belongs to (ParseInt: signs allowed, like Go).
  if (isNumeric(portName)) {
    const svc = lookup.service(ns, name);
    if (!svc) throw notFound({ group: '', resource: 'services' }, name);
    const n = Number(portName);
    const sp = (svc.spec?.ports ?? []).find((p) => p.port === n);
    if (!sp) throw serviceUnavailable(`no service port ${n} found for service "${name}"`);
    portName = sp.name ?? '';
  }

  const slices = lookup.slices(ns, name);
  if (!slices.length && !lookup.endpointsExist(ns, name)) throw notFound({ group: '', resource: 'endpoints' }, name);
  // Upstream's "no subsets": not one endpoint at all (ready or not; terminating Pods are not in
  // Endpoints).
  const any = slices.some((s) => (s.endpoints ?? []).some((e) => e.addresses?.length && e.conditions?.terminating !== true));
  if (!any) throw serviceUnavailable(`no endpoints available for service "${name}"`);

  const candidates: { ip: string; port: number; ref: ObjectReference | undefined }[] = [];
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const p = (s.ports ?? []).find((x) => (x.name ?? '') === portName);
    if (!p || typeof p.port !== 'number') continue;
    for (const e of s.endpoints ?? []) {
      // Endpoints lists ready addresses (nil ready counts as ready, as everywhere for slices).
      const ip = e.addresses?.[0];
      if (!ip || e.conditions?.ready === false) continue;
      candidates.push({ ip, port: p.port, ref: e.targetRef });
    }
  }
  // Random start, then every candidate in turn until one is valid (upstream's retry loop).
  const start = Math.floor(random() * candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[(start + i) % candidates.length]!;
    if (validAddress(lookup, ns, c.ip, c.ref)) return { scheme: schemeOf(parsed.scheme), ip: c.ip, port: c.port };
  }
  throw serviceUnavailable(`no endpoints available for service "${id}"`);
}

/** upstream isValidAddress: the endpoint names a Pod of this namespace that has the address. */
function validAddress(lookup: ProxyLookup, ns: string, ip: string, ref: ObjectReference | undefined): boolean {
  if (!ref || ref.namespace !== ns || typeof ref.name !== 'string') return false;
  const pod = lookup.pod(ns, ref.name);
  if (!pod) return false;
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return ips.includes(ip);
}

export function resolvePodTarget(lookup: ProxyLookup, ns: string, id: string): ProxyTarget {
  const parsed = splitSchemeNamePort(id);
  if (!parsed) throw badRequest(`invalid pod request "${id}"`);
  const pod = lookup.pod(ns, parsed.name);
  if (!pod) throw notFound({ group: '', resource: 'pods' }, parsed.name);
  let port: number | string | undefined = parsed.port || undefined;
  if (port === undefined) {
    for (const c of pod.spec?.containers ?? []) {
      if (c.ports?.length) {
        port = c.ports[0]!.containerPort;
        break;
      }
    }
  }
  if (typeof port === 'string' && /^\d+$/.test(port)) port = Number(port);
  // getPodIP: the first of status.podIPs only.
  const ip = pod.status?.podIPs?.[0]?.ip ?? '';
  if (!proxyableIP(ip)) throw badRequest('address not allowed');
  return { scheme: schemeOf(parsed.scheme), ip, port };
}

/**
 * upstream requires a global unicast Pod IP. Our Pods live on loopback addresses (the pod CIDR is
 * a 127/8 range), so loopback is allowed here; unspecified, multicast, link-local and broadcast
 * addresses are not.
 */
function proxyableIP(ip: string): boolean {
  const p = parseIP(ip);
  if (!p) return false;
  const v = p.value;
  if (p.family === 4) {
    const a = Number(v >> 24n);
    return v !== 0n && v !== 0xffffffffn && !(a >= 224 && a <= 239) && !(v >> 16n === 0xa9fen);
  }
  return v !== 0n && v >> 120n !== 0xffn && v >> 118n !== 0x3fan;
}

/** `ip:port` as a URL host (IPv6 in brackets). */
export function hostPort(ip: string, port: number | string): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/**
 * The backend request path for what follows `/proxy` in the request path (raw, percent-encoded):
 * upstream decodes it, cleans it with path.Join (no `.`, `..` or empty segments), keeps a
 * trailing slash and re-escapes it as Go's URL.EscapedPath does. '' means the proxy root asked
 * without a slash (upstream redirects GET/HEAD to add one; other methods go to `/`).
 */
export function backendPath(rawRest: string): string {
  if (rawRest === '') return '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawRest);
  } catch {
    decoded = rawRest;
  }
  const out: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let p = `/${out.join('/')}`;
  if (decoded.endsWith('/') && !p.endsWith('/')) p += '/';
  return escapePath(p);
}

/** Go's url escaping of a path (shouldEscape, encodePath): all but unreserved and `$&+,/:;=@`. */
export function escapePath(p: string): string {
  return escapeBytes(Buffer.from(p, 'utf8').toString('latin1'));
}

// Byte strings: URLs as they come in headers and (latin1-parsed) HTML, one char per byte.
const PATH_KEEP = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
const PATH_CLEAN = /^[A-Za-z0-9\-_.~$&+,/:;=@]*$/;

/** escape(s, encodePath) on a byte string. */
function escapeBytes(s: string): string {
  if (PATH_CLEAN.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    out += PATH_KEEP.test(c) ? c : `%${(s.charCodeAt(i) & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's unescape(s, encodePath) on a byte string; undefined where url.Parse fails (a bad escape). */
function unescapeBytes(s: string): string | undefined {
  if (!s.includes('%')) return s;
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return undefined;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Go's validEncoded(s, encodePath): the path as written may be kept (URL.EscapedPath). */
const validEncodedPath = (s: string) => /^[A-Za-z0-9\-_.~$&+,/:;=@!'()*[\]%]*$/.test(s);

/**
 * apimachinery proxy Transport.rewriteURL for a backend's Location header: a redirect to the
 * backend itself (absolute path, or a URL naming the backend's host) is sent back through the
 * proxy by prefixing the proxy path; relative references and other hosts pass unchanged. Also
 * used for the links in text/html bodies (api-proxy-html.ts). `location` is a byte string (one
 * char per byte, as Node reads header values).
 */
export function rewriteLocation(location: string, o: { backendHost: string; requestHost: string | undefined; prefix: string }): string {
  // Go's url.Parse refuses control characters.
  if (/[\x00-\x1f\x7f]/.test(location)) return location;
  // RFC 3986 appendix B, as Go's url.Parse splits it.
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/.exec(location);
  if (!m) return location;
  let scheme: string | undefined = m[1];
  let host: string | undefined = m[2];
  let path = m[3] ?? '';
  const rest = (m[4] ?? '') + (m[5] ?? '');
  const differentHost = !!host && host !== o.backendHost && host !== o.requestHost;
  if (differentHost || !path.startsWith('/')) return location;
  // The proxied request carries no scheme and host of its own: a URL naming the backend becomes a
  // path; one naming the API server's own host keeps them.
  if (!(host !== undefined && host === o.requestHost)) {
    scheme = undefined;
    host = undefined;
  }
  // Go compares and joins the decoded path, then prints it escaped again (URL.EscapedPath).
  const decoded = unescapeBytes(path);
  if (decoded === undefined) return location;
  if (decoded.startsWith(o.prefix)) {
    if (!validEncodedPath(path)) path = escapeBytes(decoded);
  } else {
    let joined = joinPath(o.prefix, decoded);
    if (decoded.endsWith('/') && !joined.endsWith('/')) joined += '/';
    path = escapeBytes(joined);
  }
  return `${scheme ? `${scheme}:` : ''}${host !== undefined ? `//${host}` : ''}${path}${rest}`;
}

/** Go's path.Join for absolute paths: one slash between segments, `.`/`..` resolved, no trailing slash. */
function joinPath(a: string, b: string): string {
  const joined = b.startsWith('/') ? a + b : `${a}/${b}`;
  // Most paths have nothing to clean (a link per tag in a page goes through here).
  if (!/\/\/|\/\.\.?(?:\/|$)/.test(joined)) return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/**
 * The text Go's HTTP transport gives for a failed round trip, which upstream wraps as
 * `error trying to reach service: ...` (connection refused reads
 * `dial tcp 10.1.2.3:8080: connect: connection refused`).
 */
export function goDialError(
  err: NodeJS.ErrnoException,
  host: string,
  socket?: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number },
): string {
  const dial = `dial tcp ${host}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${dial}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${dial}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${dial}: connect: network is unreachable`;
    case 'EADDRNOTAVAIL':
      return `${dial}: connect: cannot assign requested address`;
    case 'ETIMEDOUT':
      return `${dial}: i/o timeout`;
    case 'ECONNRESET':
      // Node's "socket hang up": the backend closed the connection without a response.
      if (err.message === 'socket hang up') return 'EOF';
      if (socket?.localAddress && socket.remoteAddress) {
        return `read tcp ${hostPort(socket.localAddress, socket.localPort ?? 0)}->${hostPort(socket.remoteAddress, socket.remotePort ?? 0)}: read: connection reset by peer`;
      }
      return 'read: connection reset by peer';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'tls: first record does not look like a TLS handshake';
    default:
      if (/wrong version number/.test(err.message)) return 'tls: first record does not look like a TLS handshake';
      return err.message;
  }
}
