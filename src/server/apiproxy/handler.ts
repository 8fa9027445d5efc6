// The API server's HTTP proxy subresources (upstream ProxyREST for services and pods, served by
// apimachinery's UpgradeAwareHandler): /api/v1/namespaces/NS/{services,pods}/ID/proxy[/PATH]
// forwards any of upstream's proxy methods to one backend chosen by api-proxy-location.ts. Both
// bodies stream (no size limit, as upstream: the route has its own content-type parser that hands
// the request stream through instead of collecting it); the query passes unchanged; hop-by-hop
// headers, the client's Authorization (upstream's authentication filter strips it) and the
// backend's CORS headers are dropped; X-Forwarded-For/-Uri are added; redirects to the backend
// are rewritten to go through the proxy. https backends are not verified (upstream's proxy
// transport skips verification). Upgrade requests (WebSocket) are passed through byte for byte
// after their request line and headers. Links inside text/html bodies are rewritten as upstream
// does (api-proxy-html.ts); those bodies are collected first, as upstream collects them.
import { ENDPOINTSLICES } from '../../registry/endpointslice.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import type { IncomingMessage, ClientRequest } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { Store } from '../../storage/store.js';
import type { InformerFactory } from '../../storage/informer.js';
import { coreSubresource, type Subresource } from '../subresource.js';
import type { EndpointSliceObj } from '../../registry/endpointslice.js';
import type { ServiceObj } from '../../registry/service/strategy.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import { StatusError } from '../../apimachinery/errors.js';
import type { UpgradeRequest } from '../upgrade.js';
import { rejectConnectDryRun, requestQuery } from '../query-params.js';
import {
  backendPath,
  goDialError,
  hostPort,
  resolvePodTarget,
  resolveServiceTarget,
  rewriteLocation,
  type ProxyLookup,
  type ProxyTarget,
} from './location.js';

/** upstream's proxy methods (ProxyREST.ConnectMethods). */
export const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

export interface ApiProxyDeps {
  store: Store;
  informers: InformerFactory;
  /** The cluster's log (the proxy logs as its `api-proxy` component). */
  log: Logger;
}

const SLICES = ENDPOINTSLICES;
const SERVICE_INDEX = 'api-proxy-service';
const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** httputil.ReverseProxy's hop-by-hop headers (plus any the Connection header names). */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const CORS = new Set([
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
]);
const RAW_PATH = /^\/api\/v1\/namespaces\/[^/]*\/(?:services|pods)\/[^/]*\/proxy(.*)$/;

/** pods/proxy and services/proxy, as upstream lists them in discovery. */
export const POD_PROXY = proxySubresource('pods', 'PodProxyOptions');
export const SERVICE_PROXY = proxySubresource('services', 'ServiceProxyOptions');

/** What both proxy subresources of one cluster share: the backend lookup and connection pools. */
interface ProxyShared {
  lookup: ProxyLookup;
  agents: { http: http.Agent; https: https.Agent };
  log: Logger;
}
const sharedOf = new WeakMap<ApiProxyDeps, ProxyShared>();

function proxyShared(o: ApiProxyDeps): ProxyShared {
  let shared = sharedOf.get(o);
  if (shared) return shared;
  const slices = o.informers.for(SLICES);
  slices.addIndex(SERVICE_INDEX, (s) => {
    const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
    return svc ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
  });
  // The shared informers (parsed objects, no SQLite read per proxied request).
  const services = o.informers.for('services');
  const pods = o.informers.for('pods');
  shared = {
    lookup: {
      service: (ns, name) => services.get(ns, name) as ServiceObj | undefined,
      slices: (ns, name) => slices.byIndex(SERVICE_INDEX, `${ns}/${name}`) as EndpointSliceObj[],
      endpointsExist: (ns, name) => o.store.get('endpoints', ns, name) !== undefined,
      pod: (ns, name) => pods.get(ns, name) as PodObj | undefined,
    },
    // Keep-alive to backends, like upstream's proxy transport.
    agents: {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({ keepAlive: true, rejectUnauthorized: false }),
    },
    log: o.log.child({ component: 'api-proxy' }),
  };
  sharedOf.set(o, shared);
  return shared;
}

function proxySubresource(plural: 'services' | 'pods', kind: string): Subresource<ApiProxyDeps> {
  return {
    ...coreSubresource(plural, 'proxy', kind, PROXY_VERBS),
    install: ({ app, upgrades, path }, o) => {
      const first = !sharedOf.has(o);
      const { lookup, agents, log } = proxyShared(o);
      const resolve = (ns: string, id: string) =>
        plural === 'services' ? resolveServiceTarget(lookup, ns, id) : resolvePodTarget(lookup, ns, id);
      // Own scope: its content-type parser passes the body stream through unread (and so unlimited).
      app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
        if (first)
          scope.addHook('onClose', async () => {
            agents.http.destroy();
            agents.https.destroy();
          });
        // A connect subresource: upstream's ConnectResource refuses dryRun before anything else;
        // the rest of the query (PodProxyOptions/ServiceProxyOptions take only the path, from the
        // URL) goes to the backend unchanged.
        const handler = (req: FastifyRequest, reply: FastifyReply) => {
          rejectConnectDryRun(requestQuery(req.url));
          const { ns, name } = req.params as { ns: string; name: string };
          return proxyRequest(req, reply, resolve(ns, name), agents, log);
        };
        for (const url of [path, `${path}/*`]) {
          scope.route({ method: [...PROXY_METHODS], url, exposeHeadRoute: false, handler });
          upgrades.add([...PROXY_METHODS], url, (u) => {
            rejectConnectDryRun(requestQuery(u.req.url));
            return proxyUpgrade(u, resolve(u.params.ns!, u.params.name!), log);
          });
        }
      });
    },
  };
}

/** Where a request to a proxy path goes on the backend: path and query, and the proxy's own prefix. */
function backendRequest(rawUrl: string): { rawPath: string; path: string; query: string; prefix: string } {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const rest = RAW_PATH.exec(rawPath)?.[1] ?? '';
  // The proxy's own path: what rewritten redirects and X-Forwarded-Uri are prefixed with.
  const prefix = safeDecode(rawPath.slice(0, rawPath.length - rest.length));
  return { rawPath, path: backendPath(rest), query, prefix };
}

/** The backend's port, or the Status Go's dialer gives for a port it cannot use. */
function backendPort(target: ProxyTarget): number {
  const port = target.port ?? (target.scheme === 'https' ? 443 : 80);
  if (typeof port !== 'number' || port < 1 || port > 65535) {
    // Go's dialer rejects the port text (upstream reaches this for pods/NAME:PORTNAME/proxy).
    const why = /^\d+$/.test(String(port)) ? `dial tcp: address ${port}: invalid port` : `dial tcp: address tcp/${port}: unknown port`;
    throw unreachable(why);
  }
  return port;
}

function proxyRequest(
  req: FastifyRequest,
  reply: FastifyReply,
  target: ProxyTarget,
  agents: { http: http.Agent; https: https.Agent },
  log: Logger,
): Promise<void> | FastifyReply {
  const { rawPath, query, prefix, path: p } = backendRequest(req.raw.url ?? '');
  let path = p;
  // upstream (proxyRedirectsforRootPath): the proxy root without its slash redirects GET/HEAD.
  if (path === '' && (req.method === 'GET' || req.method === 'HEAD')) {
    return reply
      .code(301)
      .header('location', `${safeDecode(rawPath)}/${query ? `?${query}` : ''}`)
      .send();
  }
  if (path === '') path = '/';
  const port = backendPort(target);
  const host = hostPort(target.ip, port);

  const headers = forwardHeaders(req.raw, `${prefix}${path}`);
  const body = (req.body as Readable | undefined) ?? req.raw;
  const length = req.raw.headers['content-length'];
  const hasBody = req.raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  const res = reply.raw;

  return new Promise<void>((done) => {
    let responded = false;
    let clientGone = false;
    let current: ClientRequest | undefined;
    // The client went away: stop the backend request too.
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      current?.destroy();
    });
    const send = (retry: boolean) => {
      const out: ClientRequest = (target.scheme === 'https' ? https : http).request({
        host: target.ip,
        port,
        method: req.method,
        path: query ? `${path}?${query}` : path,
        headers,
        setHost: false,
        agent: target.scheme === 'https' ? agents.https : agents.http,
        // No SNI for an IP address (as Go); Node would otherwise take it from the Host header.
        servername: '',
      });
      current = out;
      out.on('response', (bres) => {
        responded = true;
        reply.hijack();
        const loc = { backendHost: host, requestHost: req.headers.host, prefix };
        if (req.method !== 'HEAD' && htmlToRewrite(bres)) return sendRewrittenHtml(bres, res, loc, done);
        res.writeHead(bres.statusCode ?? 502, responseHeaders(bres, loc));
        bres.pipe(res);
        // The backend broke off mid-body: so does the client's response (as Go's proxy aborts).
        bres.on('aborted', () => res.destroy());
        bres.on('error', () => res.destroy());
        bres.on('close', () => done());
      });
      out.on('error', (err: NodeJS.ErrnoException) => {
        if (responded || clientGone) {
          res.destroy();
          return done();
        }
        // A kept-alive connection the backend closed meanwhile: once more on a new one (only
        // without a body, which may be partly sent).
        if (retry && !hasBody && out.reusedSocket && err.code === 'ECONNRESET') return send(false);
        body.unpipe(out);
        body.resume();
        log.debug({ err, target: host }, 'proxy backend unreachable');
        const e = unreachable(goDialError(err, host, out.socket ?? undefined));
        reply.code(e.code).type('application/json').send(e.toStatus());
        done();
      });
      if (hasBody) body.pipe(out);
      else out.end();
    };
    send(true);
  });
}

type LocationRewrite = Parameters<typeof rewriteLocation>[1];

/**
 * Whether upstream's proxy transport rewrites this response's body: text/html (exactly, as Go
 * compares the media type), not a redirect (its Location is rewritten instead), and an encoding it
 * can read (others pass unchanged, as upstream gives up on them).
 */
function htmlToRewrite(bres: IncomingMessage): boolean {
  const h = bres.headers;
  if (h.location || bres.statusCode === 204 || bres.statusCode === 304) return false;
  if ((h['content-type'] ?? '').split(';', 1)[0]!.trim() !== 'text/html') return false;
  return ['', 'gzip', 'deflate'].includes(h['content-encoding'] ?? '');
}

/**
 * Collects a text/html body, rewrites its links and sends it with its new length, encoded as it
 * came (deflate: zlib-wrapped or raw, whichever the backend sent; Go's transport reads only raw).
 * A body that does not decode is answered as upstream answers a failed round trip: 500 with the
 * error.
 */
function sendRewrittenHtml(bres: IncomingMessage, res: http.ServerResponse, loc: LocationRewrite, done: () => void): void {
  const chunks: Buffer[] = [];
  bres.on('data', (c: Buffer) => chunks.push(c));
  // The backend broke off mid-body: so does the client's response.
  bres.on('aborted', () => res.destroy());
  bres.on('error', () => res.destroy());
  bres.on('close', () => done());
  bres.on('end', () => {
    // The tokenizer loads on first need: most clusters never proxy a page.
    void import('./html.js').then(async ({ rewriteHtmlAsync }) => {
      const encoding = bres.headers['content-encoding'] ?? '';
      let body: Buffer;
      try {
        body = await rewriteHtmlAsync(decodeBody(Buffer.concat(chunks), encoding), (u) => rewriteLocation(u, loc));
        if (encoding === 'gzip') body = zlib.gzipSync(body);
        else if (encoding === 'deflate') body = isZlib(chunks[0]) ? zlib.deflateSync(body) : zlib.deflateRawSync(body);
      } catch (e) {
        const status = new StatusError(500, '', (e as Error).message).toStatus();
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(status));
        return;
      }
      const headers = responseHeaders(bres, loc, true);
      headers.push('Content-Length', String(body.length));
      res.writeHead(bres.statusCode ?? 502, headers);
      res.end(body);
    });
  });
}

/** A zlib stream starts with CMF 0x78 and a header checksum divisible by 31. */
const isZlib = (b: Buffer | undefined) => !!b && b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;

function decodeBody(body: Buffer, encoding: string): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'deflate') return isZlib(body) ? zlib.inflateSync(body) : zlib.inflateRawSync(body);
  return body;
}

/**
 * An upgrade request (WebSocket and others) to a proxy path, as upstream's UpgradeAwareHandler
 * passes it: the request goes to the backend with its Upgrade and Connection headers (the
 * client's Authorization still dropped), and from then on bytes flow both ways unchanged, the
 * backend's answer (101 or an error) included.
 */
async function proxyUpgrade(u: UpgradeRequest, target: ProxyTarget, log: Logger): Promise<void> {
  const { req, socket, head } = u;
  const b = backendRequest(req.url ?? '');
  const path = b.path || '/';
  const port = backendPort(target);
  const host = hostPort(target.ip, port);
  const backend = await new Promise<net.Socket>((resolve, reject) => {
    const s =
      target.scheme === 'https'
        ? tls.connect({ host: target.ip, port, rejectUnauthorized: false, servername: '' }, () => resolve(s))
        : net.connect({ host: target.ip, port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      log.debug({ err, target: host }, 'proxy backend unreachable for an upgrade');
      reject(unreachable(goDialError(err, host, s)));
    });
  });
  const headers = forwardHeaders(req, `${b.prefix}${path}`, true);
  let head0 = `${req.method ?? 'GET'} ${b.query ? `${path}?${b.query}` : path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head0 += `${headers[i]}: ${headers[i + 1]}\r\n`;
  backend.write(`${head0}\r\n`);
  if (head.length) backend.write(head);
  backend.on('error', () => socket.destroy());
  socket.on('error', () => backend.destroy());
  backend.on('close', () => socket.destroy());
  socket.on('close', () => backend.destroy());
  backend.pipe(socket);
  socket.pipe(backend);
}

const unreachable = (why: string) => new StatusError(503, 'ServiceUnavailable', `error trying to reach service: ${why}`);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Names a Connection header lists: hop-by-hop for this one message. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of Array.isArray(value) ? value : value ? [value] : [])
    for (const t of v.split(',')) if (t.trim()) out.add(t.trim().toLowerCase());
  return out;
}

/** The backend request's headers (flat raw list: duplicates and case kept, as Go's proxy does). */
function forwardHeaders(req: IncomingMessage, forwardedUri: string, upgrade = false): string[] {
  const drop = connectionTokens(req.headers.connection);
  // An upgrade keeps what makes it one (the Connection header names Upgrade, which stays too).
  if (upgrade) drop.delete('upgrade');
  const out: string[] = [];
  const prior: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lk = k.toLowerCase();
    // Authorization: consumed by the API server's authentication; Expect: answered by this server.
    const keep = upgrade && (lk === 'connection' || lk === 'upgrade');
    if (!keep && (HOP_BY_HOP.has(lk) || drop.has(lk) || lk === 'authorization' || lk === 'expect' || lk === 'x-forwarded-uri')) continue;
    if (lk === 'x-forwarded-for') {
      prior.push(raw[i + 1]!);
      continue;
    }
    out.push(k, raw[i + 1]!);
  }
  const client = req.socket.remoteAddress;
  if (client) out.push('X-Forwarded-For', [...prior, client.replace(/^::ffff:/, '')].join(', '));
  out.push('X-Forwarded-Uri', forwardedUri);
  return out;
}

function responseHeaders(res: IncomingMessage, loc: LocationRewrite, bodyRewritten = false): string[] {
  const drop = connectionTokens(res.headers.connection);
  // A rewritten body gets its own length.
  if (bodyRewritten) drop.add('content-length');
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lk = k.toLowerCase();
    if (HOP_BY_HOP.has(lk) || drop.has(lk) || CORS.has(lk)) continue;
    out.push(k, lk === 'location' ? rewriteLocation(raw[i + 1]!, loc) : raw[i + 1]!);
  }
  return out;
}
