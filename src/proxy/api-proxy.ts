// The API server's HTTP proxy subresources (upstream ProxyREST for services and pods, served by
// apimachinery's UpgradeAwareHandler): /api/v1/namespaces/NS/{services,pods}/ID/proxy[/PATH]
// forwards any of upstream's proxy methods to one backend chosen by api-proxy-location.ts. Both
// bodies stream (no size limit, as upstream: the route has its own content-type parser that hands
// the request stream through instead of collecting it); the query passes unchanged; hop-by-hop
// headers, the client's Authorization (upstream's authentication filter strips it) and the
// backend's CORS headers are dropped; X-Forwarded-For/-Uri are added; redirects to the backend
// are rewritten to go through the proxy. https backends are not verified (upstream's proxy
// transport skips verification). Not done: WebSocket/upgrade requests and upstream's rewriting of
// links inside text/html bodies.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import type { IncomingMessage, ClientRequest } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import type { Store } from '../store/store.js';
import type { InformerFactory } from '../store/informer.js';
import type { SubresourceInfo } from '../api/discovery.js';
import type { EndpointSliceObj } from '../resources/endpointslice.js';
import type { ServiceObj } from '../resources/service.js';
import type { PodObj } from '../resources/pod.js';
import { StatusError } from '../api/errors.js';
import {
  backendPath,
  goDialError,
  hostPort,
  resolvePodTarget,
  resolveServiceTarget,
  rewriteLocation,
  type ProxyLookup,
  type ProxyTarget,
} from './api-proxy-location.js';

/** upstream's proxy methods (ProxyREST.ConnectMethods). */
export const PROXY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

/** Discovery entries, as upstream lists them. */
export const API_PROXY_SUBRESOURCES: SubresourceInfo[] = [
  { plural: 'pods', group: '', version: 'v1', subresource: 'proxy', kind: 'PodProxyOptions', verbs: PROXY_VERBS },
  { plural: 'services', group: '', version: 'v1', subresource: 'proxy', kind: 'ServiceProxyOptions', verbs: PROXY_VERBS },
];

export interface ApiProxyOptions {
  store: Store;
  informers: InformerFactory;
  log: Logger;
}

const SLICES = 'discovery.k8s.io/endpointslices';
const SERVICE_INDEX = 'api-proxy-service';
const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** httputil.ReverseProxy's hop-by-hop headers (plus any the Connection header names). */
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const CORS = new Set(['access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin']);
const RAW_PATH = /^\/api\/v1\/namespaces\/[^/]*\/(?:services|pods)\/[^/]*\/proxy(.*)$/;

export function apiProxyRoutes(app: FastifyInstance, o: ApiProxyOptions): void {
  const slices = o.informers.for(SLICES);
  slices.addIndex(SERVICE_INDEX, (s) => {
    const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
    return svc ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
  });
  // The shared informers (parsed objects, no SQLite read per proxied request).
  const services = o.informers.for('services');
  const pods = o.informers.for('pods');
  const lookup: ProxyLookup = {
    service: (ns, name) => services.get(ns, name) as ServiceObj | undefined,
    slices: (ns, name) => slices.byIndex(SERVICE_INDEX, `${ns}/${name}`) as EndpointSliceObj[],
    endpointsExist: (ns, name) => o.store.get('endpoints', ns, name) !== undefined,
    pod: (ns, name) => pods.get(ns, name) as PodObj | undefined,
  };
  // Keep-alive to backends, like upstream's proxy transport.
  const agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, rejectUnauthorized: false }),
  };

  // Own scope: its content-type parser passes the body stream through unread (and so unlimited).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.addHook('onClose', async () => {
      agents.http.destroy();
      agents.https.destroy();
    });
    for (const kind of ['services', 'pods'] as const) {
      const resolve = (ns: string, id: string) => (kind === 'services' ? resolveServiceTarget(lookup, ns, id) : resolvePodTarget(lookup, ns, id));
      const handler = (req: FastifyRequest, reply: FastifyReply) => {
        const { ns, name } = req.params as { ns: string; name: string };
        return proxyRequest(req, reply, resolve(ns, name), agents, o.log);
      };
      for (const url of [`/api/v1/namespaces/:ns/${kind}/:name/proxy`, `/api/v1/namespaces/:ns/${kind}/:name/proxy/*`]) {
        scope.route({ method: [...PROXY_METHODS], url, exposeHeadRoute: false, handler });
      }
    }
  });
}

function proxyRequest(req: FastifyRequest, reply: FastifyReply, target: ProxyTarget, agents: { http: http.Agent; https: https.Agent }, log: Logger): Promise<void> | FastifyReply {
  const raw = req.raw.url ?? '';
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  const rest = RAW_PATH.exec(rawPath)?.[1] ?? '';
  let path = backendPath(rest);
  const decodedPath = safeDecode(rawPath);
  // upstream (proxyRedirectsforRootPath): the proxy root without its slash redirects GET/HEAD.
  if (path === '' && (req.method === 'GET' || req.method === 'HEAD')) {
    return reply.code(301).header('location', `${decodedPath}/${query ? `?${query}` : ''}`).send();
  }
  if (path === '') path = '/';
  // The proxy's own path: what rewritten redirects and X-Forwarded-Uri are prefixed with.
  const prefix = safeDecode(rawPath.slice(0, rawPath.length - rest.length));
  const port = target.port ?? (target.scheme === 'https' ? 443 : 80);
  const host = hostPort(target.ip, port);
  if (typeof port !== 'number' || port < 1 || port > 65535) {
    // Go's dialer rejects the port text (upstream reaches this for pods/NAME:PORTNAME/proxy).
    const why = /^\d+$/.test(String(port)) ? `dial tcp: address ${port}: invalid port` : `dial tcp: address tcp/${port}: unknown port`;
    throw unreachable(why);
  }

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
        res.writeHead(bres.statusCode ?? 502, responseHeaders(bres, { backendHost: host, requestHost: req.headers.host, prefix }));
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
  for (const v of Array.isArray(value) ? value : value ? [value] : []) for (const t of v.split(',')) if (t.trim()) out.add(t.trim().toLowerCase());
  return out;
}

/** The backend request's headers (flat raw list: duplicates and case kept, as Go's proxy does). */
function forwardHeaders(req: IncomingMessage, forwardedUri: string): string[] {
  const drop = connectionTokens(req.headers.connection);
  const out: string[] = [];
  const prior: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lk = k.toLowerCase();
    // Authorization: consumed by the API server's authentication; Expect: answered by this server.
    if (HOP_BY_HOP.has(lk) || drop.has(lk) || lk === 'authorization' || lk === 'expect' || lk === 'x-forwarded-uri') continue;
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

function responseHeaders(res: IncomingMessage, loc: { backendHost: string; requestHost: string | undefined; prefix: string }): string[] {
  const drop = connectionTokens(res.headers.connection);
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
