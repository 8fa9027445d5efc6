// The built-in ingress controller: serves the Ingresses of its IngressClasses (spec.controller
// tinykube.io/ingress) on an HTTP and an HTTPS listener. The routing table
// (registry/networking/ingress-routes.ts) is rebuilt on the next turn after any Ingress or
// IngressClass change; Service and EndpointSlice changes only drop the cached endpoints of that
// Service and Secret changes the cached certificate, so a request costs a table lookup. Plain
// requests are forwarded with undici (forward.ts says why), loaded once the class has an Ingress;
// upgrades (WebSocket) go through http-proxy-3, loaded on the first upgrade: its per-request cost
// does not matter for a long-lived connection, and the handshake, socket piping and error paths
// are its well-tested part.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../apimachinery/types.js';
import type { IngressLoadBalancerIngress } from '../api/generated/networking/v1.js';
import type { Logger } from '../base/log.js';
import type { InformerFactory, InformerHandlers } from '../storage/informer.js';
import { ENDPOINTSLICES, type EndpointSliceObj } from '../registry/endpointslice.js';
import type { ServiceObj } from '../registry/service/strategy.js';
import { INGRESS_CLASS_RESOURCE } from '../registry/networking/default-ingress-class.js';
import { TINYKUBE_INGRESS_CONTROLLER } from '../registry/networking/builtin-ingress-class.js';
import type { IngressClassObj, IngressObj } from '../registry/networking/ingress-validation.js';
import { buildRoutingTable, ingressSelector, route, tlsFor, type RoutingTable } from '../registry/networking/ingress-routes.js';
import { NETWORKPOLICIES, createPolicyIndex, policyIndexHandlers } from '../registry/networking/policy-evaluation.js';
import { hostAddresses, isLocalAddress } from '../proxy/nodeport-addresses.js';
import { EndpointCache, pick, unresolved } from './backends.js';
import { requestHeaders, forwardedHeaders, forward, type ClientFacts } from './forward.js';
import { answer, answerSocket } from './pages.js';
import { SecretContexts, fakeCertificate } from './tls.js';

export { TINYKUBE_INGRESS_CONTROLLER as INGRESS_CONTROLLER_NAME } from '../registry/networking/builtin-ingress-class.js';
export const INGRESSES = 'networking.k8s.io/ingresses';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The slice informer's index of slices by `namespace/service` (prefixed: the informer is shared). */
const BY_SERVICE = 'ingress/service';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface IngressControllerOptions {
  informers: InformerFactory;
  /**
   * Where to listen. A list is tried in order, moving on when the OS refuses the port (EACCES: a
   * port below 1024 without privilege) or another program holds it (EADDRINUSE); the last
   * failure is the start's.
   */
  listen: { http?: ListenAddress | ListenAddress[]; https?: ListenAddress | ListenAddress[] };
  /** IngressClass spec.controller this controller answers to. */
  controllerName?: string;
  /** The node the controller runs on (the endpoints' topology, as the service proxy reads it). */
  nodeName?: string;
  log: Logger;
  recordEvent?(ingress: IngressObj, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Writes status.loadBalancer.ingress of an Ingress of the class (called only when it differs). */
  writeStatus?(ingress: IngressObj, loadBalancerIngress: IngressLoadBalancerIngress[]): void | Promise<void>;
}

export interface IngressController {
  addresses: { http?: ListenAddress; https?: ListenAddress };
  /** Resolves once the changes seen so far are in the routing table. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type WsProxy = { ws(req: IncomingMessage, socket: Duplex, head: Buffer, opts: object, cb: (err: Error) => void): void; close(): void };

const ingKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const isIP = (h: string) => /^[0-9.]+$/.test(h) || h.includes(':');

/** The address published in status: the listener's host (an unspecified one is reached on loopback). */
function publishedAddress(host: string): IngressLoadBalancerIngress {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return isIP(h) ? { ip: h } : { hostname: h };
}

export async function startIngressController(o: IngressControllerOptions): Promise<IngressController> {
  const controller = o.controllerName ?? TINYKUBE_INGRESS_CONTROLLER;
  const { log } = o;
  const ingresses = o.informers.for(INGRESSES);
  const classes = o.informers.for(INGRESS_CLASS_RESOURCE);
  const services = o.informers.for('services');
  const slices = o.informers.for(ENDPOINTSLICES);
  const secrets = o.informers.for('secrets');
  // NetworkPolicy: a request reaches its backend Pod only if the policies admit the HTTP client's
  // address as if it connected to the Pod itself (the controller is transparent, as the service
  // proxy is); clients on this host are the node's, always allowed as upstream allows them.
  const host = hostAddresses();
  const policy = createPolicyIndex({ isNodeAddress: (ip) => isLocalAddress(ip, host) });
  const policyHandlers = policyIndexHandlers(policy);
  slices.addIndex(BY_SERVICE, (s) => {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    return svc ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
  });
  const lookup = {
    service: (ns: string, name: string) => services.get(ns, name) as ServiceObj | undefined,
    slices: (ns: string, name: string) => slices.byIndex(BY_SERVICE, `${ns}/${name}`) as EndpointSliceObj[],
  };
  const endpoints = new EndpointCache(lookup, { name: o.nodeName ?? '' });
  const contexts = new SecretContexts((ns, name) => secrets.get(ns, name));

  let table: RoutingTable = buildRoutingTable([]);
  /** undici's Agent: keep-alive pools per endpoint, made on first need. */
  let client: Dispatcher | undefined;
  let clientLoading: Promise<Dispatcher> | undefined;
  const loadClient = () =>
    (clientLoading ??= import('undici').then((m) => {
      const Agent = m.Agent ?? (m as unknown as { default: typeof m }).default.Agent;
      return (client = new Agent({ keepAliveTimeout: 60_000 }));
    }));
  let mine: IngressObj[] = [];
  let stopped = false;

  // ---- keeping the table, events and status current ----
  let scheduled = false;
  let waiters: (() => void)[] = [];
  /** Unresolvable backends already reported, per Ingress: reported again only after they resolved once. */
  const reported = new Map<string, Set<string>>();
  /** The status last written per Ingress uid and resourceVersion, so one object version is written once. */
  const written = new Map<string, string>();
  /** What status.loadBalancer.ingress says: the listeners' address, known once they listen. */
  let published: IngressLoadBalancerIngress[] = [];
  let publishedJSON = '[]';

  const sync = () => {
    scheduled = false;
    if (stopped) return;
    const select = ingressSelector(classes.list() as IngressClassObj[], controller);
    mine = (ingresses.list() as IngressObj[]).filter((i) => !i.metadata.deletionTimestamp && select(i));
    table = buildRoutingTable(mine);
    if (mine.length) void loadClient().catch(() => undefined);
    const live = new Set<string>();
    for (const ing of mine) {
      const k = ingKey(ing);
      live.add(k);
      checkBackends(ing, k);
      writeStatus(ing, k);
    }
    for (const k of [...reported.keys()]) if (!live.has(k)) reported.delete(k);
    for (const k of [...written.keys()]) if (!live.has(k)) written.delete(k);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(sync);
  };

  function checkBackends(ing: IngressObj, k: string): void {
    const ns = ing.metadata.namespace ?? '';
    const backends = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))];
    const now = new Set<string>();
    for (const b of backends) {
      if (!b) continue;
      const u = unresolved(lookup, ns, b);
      if (!u) continue;
      now.add(u.message);
      if (reported.get(k)?.has(u.message)) continue;
      log.warn({ ingress: k, reason: u.reason }, `ingress ${k}: ${u.message}`);
      o.recordEvent?.(ing, 'Warning', u.reason, u.message);
    }
    if (now.size) reported.set(k, now);
    else reported.delete(k);
  }

  function writeStatus(ing: IngressObj, k: string): void {
    if (!o.writeStatus) return;
    if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === publishedJSON) return;
    const version = `${ing.metadata.uid ?? ''}@${ing.metadata.resourceVersion ?? ''}`;
    if (written.get(k) === version) return;
    written.set(k, version);
    Promise.resolve()
      .then(() => o.writeStatus!(ing, published))
      .catch((err: Error) => {
        written.delete(k);
        log.warn({ ingress: k, err: err.message }, 'ingress status update failed');
      });
  }

  const onService = (obj: KubeObject) => {
    endpoints.invalidate(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    schedule();
  };
  const onSlice = (obj: KubeObject) => {
    const svc = obj.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc) endpoints.invalidate(obj.metadata.namespace ?? '', svc);
  };
  const onSecret = (obj: KubeObject) => contexts.invalidate(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  const all = (f: (obj: KubeObject) => void): InformerHandlers => ({ add: f, update: (n, old) => (f(old), f(n)), delete: f });
  const unsubscribe = [
    ingresses.on(all(schedule)),
    classes.on(all(schedule)),
    services.on(all(onService)),
    slices.on(all(onSlice)),
    secrets.on(all(onSecret)),
    o.informers.for('pods').on(policyHandlers.pods),
    o.informers.for('namespaces').on(policyHandlers.namespaces),
    o.informers.for(NETWORKPOLICIES).on(policyHandlers.networkpolicies),
  ];

  // ---- serving ----
  let wsProxy: Promise<WsProxy> | undefined;
  const loadWsProxy = () =>
    (wsProxy ??= import('http-proxy-3').then((m) => {
      const create = m.createProxyServer ?? (m as unknown as { default: typeof m }).default.createProxyServer;
      return create({}) as unknown as WsProxy;
    }));

  const target = (req: IncomingMessage) => {
    const m = route(table, req.headers.host, req.url ?? '/');
    if (!m) return 404;
    const e = pick(endpoints.resolve(m.to.namespace, m.to.backend));
    if (!e) return 503;
    // Refused as a CNI refuses: the client gets what a backend that reset the connection gives.
    const client = req.socket.remoteAddress ?? '';
    return policy.allows({ srcIP: client, dstIP: e.ip, dstPort: e.port, protocol: 'TCP' }) ? e : 502;
  };

  const onRequest = (proto: ClientFacts['proto'], port: () => number) => (req: IncomingMessage, res: ServerResponse) => {
    const t = target(req);
    if (typeof t === 'number') {
      req.resume();
      return answer(res, t);
    }
    const facts: ClientFacts = { remote: req.socket.remoteAddress ?? '', proto, port: port() };
    const origin = `http://${t.key}`;
    if (client) return forward(req, res, origin, client, facts);
    loadClient().then(
      (c) => forward(req, res, origin, c, facts),
      (err: Error) => {
        log.error({ err: err.message }, 'ingress: loading undici failed');
        answer(res, 502);
      },
    );
  };

  const onUpgrade = (proto: ClientFacts['proto'], port: () => number) => (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    const t = target(req);
    if (typeof t === 'number') return answerSocket(socket, t);
    // The client's own X-Forwarded-* and X-Real-IP are replaced, as for plain requests.
    const raw = requestHeaders(req.rawHeaders);
    const keep = new Set<string>();
    for (let i = 0; i < raw.length; i += 2) keep.add(raw[i]!.toLowerCase());
    for (const name of Object.keys(req.headers))
      if (!keep.has(name) && name !== 'connection' && name !== 'upgrade') delete req.headers[name];
    const fwd = forwardedHeaders(req, { remote: req.socket.remoteAddress ?? '', proto, port: port() });
    for (let i = 0; i < fwd.length; i += 2) req.headers[fwd[i]!.toLowerCase()] = fwd[i + 1]!;
    loadWsProxy().then(
      (p) =>
        p.ws(req, socket, head, { target: { host: t.ip, port: t.port } }, () => {
          // Before the backend's 101 the client gets a 502; after it the tunnel just closes.
          if ((socket as { bytesWritten?: number }).bytesWritten === 0) answerSocket(socket, 502);
          else socket.destroy();
        }),
      (err: Error) => {
        log.error({ err: err.message }, 'ingress: loading http-proxy-3 failed');
        answerSocket(socket, 502);
      },
    );
  };

  const servers: http.Server[] = [];
  /** Listeners that hand their connections to a server of `servers` (HTTPS). */
  const fronts: net.Server[] = [];
  /** Upgraded connections: the servers stop tracking them once upgraded, stop() ends them. */
  const tunnels = new Set<Duplex>();
  const addresses: IngressController['addresses'] = {};
  const listenOnce = (srv: net.Server, a: ListenAddress) =>
    new Promise<ListenAddress>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(a.port, a.host, () => {
        srv.off('error', reject);
        resolve({ host: a.host, port: (srv.address() as AddressInfo).port });
      });
    });
  const listen = async (srv: net.Server, wanted: ListenAddress | ListenAddress[]) => {
    const list = Array.isArray(wanted) ? wanted : [wanted];
    for (let i = 0; ; i++) {
      try {
        return await listenOnce(srv, list[i]!);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (i === list.length - 1 || (code !== 'EACCES' && code !== 'EADDRINUSE')) throw err;
        log.debug({ address: list[i], code }, 'ingress listener refused: trying the next address');
      }
    }
  };
  const setup = (srv: http.Server, proto: ClientFacts['proto'], port: () => number) => {
    srv.on('request', onRequest(proto, port));
    srv.on('upgrade', onUpgrade(proto, port));
    srv.on('connection', (s) => s.setNoDelay(true));
    // Idle keep-alive connections of clients are kept as long as ingress-nginx keeps them (75 s).
    srv.keepAliveTimeout = 75_000;
    servers.push(srv);
  };

  try {
    if (o.listen.http) {
      const srv = http.createServer();
      setup(srv, 'http', () => addresses.http!.port);
      addresses.http = await listen(srv, o.listen.http);
    }
    if (o.listen.https) {
      const srv = https.createServer({
        SNICallback: (servername, cb) => {
          const t = tlsFor(table, servername);
          // undefined: the server's own context, the fake certificate.
          cb(null, t ? contexts.get(t.namespace, t.secretName) : undefined);
        },
      });
      setup(srv, 'https', () => addresses.https!.port);
      // The fake certificate (a key pair, and the X.509 library to make it) is made for the first
      // TLS client, not at every cluster's start: the listener is a plain one that hands each
      // connection, unread, to the HTTPS server once the certificate is there.
      let fake: Promise<void> | undefined;
      const withFake = () =>
        (fake ??= fakeCertificate().then(
          (f) => srv.setSecureContext({ cert: f.cert, key: f.key }),
          (err: Error) => log.error({ err: err.message }, 'ingress: the default certificate could not be made'),
        ));
      const front = net.createServer({ pauseOnConnect: true }, (socket) => {
        socket.on('error', () => socket.destroy());
        void withFake().then(() => (stopped ? socket.destroy() : srv.emit('connection', socket)));
      });
      fronts.push(front);
      addresses.https = await listen(front, o.listen.https);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info({ http: addresses.http, https: addresses.https, controller }, 'ingress controller listening');
  published = [publishedAddress((addresses.http ?? addresses.https)?.host ?? '127.0.0.1')];
  publishedJSON = JSON.stringify(published);
  // The table is built before the first request is read (the loop has not turned since listening).
  sync();

  async function stopAll(): Promise<void> {
    stopped = true;
    for (const u of unsubscribe) u();
    for (const f of waiters) f();
    waiters = [];
    const closed = (s: net.Server) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()));
    const all = [...fronts.map(closed), ...servers.map(closed)];
    for (const s of servers) s.closeAllConnections();
    await Promise.all(all);
    for (const t of tunnels) t.destroy();
    if (clientLoading) await (await clientLoading.catch(() => undefined))?.destroy();
    if (wsProxy) (await wsProxy.catch(() => undefined))?.close();
  }

  return {
    addresses,
    idle: () => (scheduled ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    stop: stopAll,
  };
}
