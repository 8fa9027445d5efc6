// What Go's net/http does around agnhost's handlers, on node:http: ServeMux's exact-path routing
// with "/" catching the rest and its 301 to a cleaned path, r.FormValue (the query, and a POST's
// urlencoded or multipart form first), Content-Type sniffing of a body written without one,
// http.Error, http.Redirect, the canonical header names of r.Header, Go's RemoteAddr, and
// encoding/json's escaping. Tests compare responses with upstream's, so these details show.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { parseMultipart } from './multipart.js';

/** An HTTP request as a handler reads it (netexec's --http-override makes one of its own). */
export interface GoRequest {
  method: string;
  /** r.URL.Path (unescaped). */
  path: string;
  /** r.URL.EscapedPath(), as the request line had it. */
  escapedPath: string;
  rawQuery: string;
  /** Header name/value pairs as received. */
  rawHeaders: string[];
  /** r.RemoteAddr: `ip:port`, IPv6 in brackets; empty for a request made in-process. */
  remoteAddr: string;
  /** The body, read once on demand; empty for a request made in-process. */
  body(): Promise<Buffer>;
  header(name: string): string;
}

/** The request target split as url.ParseRequestURI does; undefined for an escape Go refuses (400). */
export function splitTarget(target: string): { escapedPath: string; path: string; rawQuery: string } | undefined {
  let rest = target;
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(rest);
  if (abs) rest = rest.slice(abs[0].length) || '/';
  const q = rest.indexOf('?');
  const escapedPath = q < 0 ? rest : rest.slice(0, q);
  const rawQuery = q < 0 ? '' : rest.slice(q + 1);
  try {
    return { escapedPath, path: decodeURIComponent(escapedPath), rawQuery };
  } catch {
    return undefined;
  }
}

/** Go's RemoteAddr of a socket: IPv4 clients of a dual-stack listener are plain IPv4, as Go reports them. */
export function goRemoteAddr(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  return goHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0);
}

/** net.JoinHostPort of an address Node reports (an IPv4-mapped IPv6 address as its IPv4 form). */
export function goHostPort(address: string, port: number | string): string {
  const ip = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function fromIncoming(req: IncomingMessage, target: { escapedPath: string; path: string; rawQuery: string }): GoRequest {
  let body: Promise<Buffer> | undefined;
  return {
    method: req.method ?? 'GET',
    ...target,
    rawHeaders: req.rawHeaders,
    remoteAddr: goRemoteAddr(req.socket),
    body: () =>
      (body ??= new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      })),
    header: (name) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
    },
  };
}

/** The request http.NewRequest(method, url, nil) makes: no headers, no body, no RemoteAddr. */
export function newRequest(method: string, url: string): GoRequest | undefined {
  const target = splitTarget(url);
  if (!target) return undefined;
  return { method, ...target, rawHeaders: [], remoteAddr: '', body: async () => Buffer.alloc(0), header: () => '' };
}

// ---- routing ----

export type GoHandler = (req: GoRequest, res: ServerResponse) => void | Promise<void>;

/** path.Clean. */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s || (rooted ? '/' : '.');
}

/** ServeMux's cleanPath: rooted, cleaned, a trailing slash kept. */
function muxCleanPath(p: string): string {
  const rooted = p.startsWith('/') ? p : `/${p}`;
  const np = goPathClean(rooted);
  return rooted.endsWith('/') && np !== '/' ? `${np}/` : np;
}

/** http.ServeMux with exact-path patterns and "/" for everything else. */
export class GoServeMux {
  private readonly routes = new Map<string, GoHandler>();

  handle(pattern: string, handler: GoHandler): void {
    this.routes.set(pattern, handler);
  }

  async serve(req: GoRequest, res: ServerResponse): Promise<void> {
    const clean = muxCleanPath(req.escapedPath);
    if (req.method !== 'CONNECT' && clean !== req.escapedPath) {
      redirect(req, res, clean + (req.rawQuery ? `?${req.rawQuery}` : ''), 301);
      return;
    }
    const handler = this.routes.get(req.path) ?? this.routes.get('/');
    if (handler) await handler(req, res);
    else httpError(res, '404 page not found', 404);
  }
}

// ---- forms ----

/** r.FormValue: the first value of the POST/PUT/PATCH form body (urlencoded or multipart), then of the query. */
export async function formValue(req: GoRequest, key: string): Promise<string> {
  const ct = req.header('content-type');
  const mediaType = ct.split(';')[0]!.trim().toLowerCase();
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && mediaType === 'application/x-www-form-urlencoded') {
    const v = new URLSearchParams((await req.body()).toString('utf8')).get(key);
    if (v !== null) return v;
  } else if (mediaType === 'multipart/form-data') {
    const parts = parseMultipart(await req.body(), ct);
    const field = parts?.find((p) => p.name === key && p.filename === undefined);
    if (field) return field.data.toString('utf8');
  }
  return new URLSearchParams(req.rawQuery).get(key) ?? '';
}

// ---- responses ----

const HTML_SIGS = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
];
const EXACT_SIGS: [string, string][] = [
  ['%PDF-', 'application/pdf'],
  ['%!PS-Adobe-', 'application/postscript'],
  ['\x00\x00\x01\x00', 'image/x-icon'],
  ['\x00\x00\x02\x00', 'image/x-icon'],
  ['BM', 'image/bmp'],
  ['GIF87a', 'image/gif'],
  ['GIF89a', 'image/gif'],
  ['\x89PNG\x0d\x0a\x1a\x0a', 'image/png'],
  ['\xff\xd8\xff', 'image/jpeg'],
  ['\x1f\x8b\x08', 'application/x-gzip'],
  ['PK\x03\x04', 'application/zip'],
  ['Rar!\x1a\x07\x00', 'application/x-rar-compressed'],
  ['\x00asm', 'application/wasm'],
];
const isWS = (b: number) => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;

/** http.DetectContentType for the signatures a text server meets: HTML, XML, BOMs, common binaries, else text or octet-stream. */
export function sniffContentType(body: Buffer): string {
  const data = body.subarray(0, 512);
  let ws = 0;
  while (ws < data.length && isWS(data[ws]!)) ws++;
  const rest = data.subarray(ws).toString('latin1');
  for (const sig of HTML_SIGS) {
    if (
      rest.length > sig.length &&
      rest.slice(0, sig.length).toUpperCase() === sig &&
      (rest[sig.length] === ' ' || rest[sig.length] === '>')
    )
      return 'text/html; charset=utf-8';
  }
  if (rest.startsWith('<?xml')) return 'text/xml; charset=utf-8';
  const raw = data.toString('latin1');
  for (const [sig, ct] of EXACT_SIGS) if (raw.startsWith(sig)) return ct;
  if (raw.startsWith('\xfe\xff')) return 'text/plain; charset=utf-16be';
  if (raw.startsWith('\xff\xfe')) return 'text/plain; charset=utf-16le';
  if (raw.startsWith('\xef\xbb\xbf')) return 'text/plain; charset=utf-8';
  if (/^RIFF[\s\S]{4}WEBPVP/.test(raw)) return 'image/webp';
  for (const b of data.subarray(ws)) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return 'application/octet-stream';
  }
  return 'text/plain; charset=utf-8';
}

/**
 * w.WriteHeader(code) then the body, as a handler that writes with fmt.Fprint does: the body's
 * sniffed Content-Type unless one is set. A code Go refuses (outside 100-999) panics the handler,
 * and the server drops the connection; a 1xx other than 101 is informational in Go, followed by
 * an implicit 200, which is what the client ends up with.
 */
export function writeResponse(res: ServerResponse, code: number, body: string | Buffer = ''): void {
  if (!Number.isInteger(code) || code < 100 || code > 999) {
    res.socket?.destroy();
    return;
  }
  const status = code < 200 && code !== 101 ? 200 : code;
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  // 1xx, 204 and 304 have no body: Go refuses the write, so nothing is sniffed or counted either.
  if (status >= 200 && status !== 204 && status !== 304) {
    if (buf.length && !res.hasHeader('content-type')) res.setHeader('Content-Type', sniffContentType(buf));
    // Go answers a handler's whole small body with a Content-Length (not chunked); so does this for any size.
    res.setHeader('Content-Length', buf.length);
  }
  res.writeHead(status, STATUS_CODES[status] ?? `status code ${status}`);
  res.end(buf);
}

/** http.Error. */
export function httpError(res: ServerResponse, message: string, code: number): void {
  res.removeHeader('content-length');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  writeResponse(res, code, `${message}\n`);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;' };
const htmlEscape = (s: string) => s.replace(/[&'<>"]/g, (c) => HTML_ESCAPES[c]!);

/** Bytes outside ASCII as %XX (Go's hexEscapeNonASCII); CR and LF as spaces, as Go writes header values. */
function headerSafe(url: string): string {
  let out = '';
  for (const b of Buffer.from(url))
    out += b >= 0x80 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : b < 0x20 || b === 0x7f ? ' ' : String.fromCharCode(b);
  return out;
}

/** http.Redirect: a relative location made absolute against the request path, and the short HTML body for GET. */
export function redirect(req: GoRequest, res: ServerResponse, location: string, code: number): void {
  let url = location;
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) && !url.startsWith('//')) {
    const oldPath = req.path || '/';
    if (!url.startsWith('/')) url = oldPath.slice(0, oldPath.lastIndexOf('/') + 1) + url;
    const q = url.indexOf('?');
    const query = q < 0 ? '' : url.slice(q);
    if (q >= 0) url = url.slice(0, q);
    const trailing = url.endsWith('/');
    url = goPathClean(url);
    if (trailing && !url.endsWith('/')) url += '/';
    url += query;
  }
  const hadCT = res.hasHeader('content-type');
  res.setHeader('Location', headerSafe(url));
  if (!hadCT && (req.method === 'GET' || req.method === 'HEAD')) res.setHeader('Content-Type', 'text/html; charset=utf-8');
  const body = !hadCT && req.method === 'GET' ? `<a href="${htmlEscape(url)}">${goStatusText(code)}</a>.\n\n` : '';
  writeResponse(res, code, body);
}

/** http.StatusText: Node's reason phrases, which are Go's for the codes a redirect uses; empty for unknown codes. */
function goStatusText(code: number): string {
  return STATUS_CODES[code] ?? '';
}

/** textproto.CanonicalMIMEHeaderKey: `x-forwarded-for` -> `X-Forwarded-For`; a name with other than token characters as it is. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** r.Header: canonical names, values in arrival order; Host and Transfer-Encoding apart (Go keeps them in r.Host and r.TransferEncoding). */
export function goHeader(rawHeaders: string[]): Record<string, string[]> {
  const h: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = canonicalHeaderKey(rawHeaders[i]!);
    if (key === 'Host' || key === 'Transfer-Encoding') continue;
    (h[key] ??= []).push(rawHeaders[i + 1]!);
  }
  return h;
}

/** encoding/json's Marshal of maps: keys sorted (a struct keeps its field order: see goJSONEscape). */
export function goJSON(value: unknown): string {
  return goJSONEscape(JSON.stringify(sortKeys(value)));
}

/** encoding/json's HTML-safe escaping of <, >, & and of U+2028 and U+2029, applied to JSON text. */
export function goJSONEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}
