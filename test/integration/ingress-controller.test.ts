// The built-in ingress controller on a real store and informers, with real HTTP servers on
// loopback as the Services' endpoints: routing by host and path, the default backend, class
// selection, its own 404/502/503 answers, forwarded headers, round robin, WebSocket upgrades and
// streamed bodies passed through, TLS by SNI from Secrets (the fake certificate otherwise), routing
// that follows Ingress and endpoint changes, events for unresolvable backends and status writes.
import { afterEach, describe, expect, it } from 'vitest';
import http, { type IncomingMessage, type Server } from 'node:http';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { Store } from '../../src/storage/store.js';
import { InformerFactory } from '../../src/storage/informer.js';
import { silentLogger } from '../../src/base/log.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { IngressLoadBalancerIngress } from '../../src/api/generated/networking/v1.js';
import type { IngressObj } from '../../src/registry/networking/ingress-validation.js';
import { INGRESSES, startIngressController, type IngressController } from '../../src/ingress/controller.js';
import { NOT_FOUND_TEXT } from '../../src/ingress/pages.js';
import { FAKE_CERT_SUBJECT } from '../../src/ingress/tls.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

// ---- backends: loopback servers that say who they are and what they got ----

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

async function listen(srv: Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))));
  return (srv.address() as AddressInfo).port;
}

async function echoBackend(name: string): Promise<number> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ name, method: req.method ?? '', url: req.url ?? '', headers: req.headers } satisfies Echo);
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end(body);
    });
  });
  return listen(srv);
}

/** A port nothing listens on: a server opened and closed again. */
async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// ---- API objects ----

function newStore(): Store {
  const s = new Store();
  cleanup.push(() => s.close());
  return s;
}

const put = (store: Store, resource: string, obj: KubeObject) =>
  store.txn((tx) => {
    const cur = tx.get(resource, obj.metadata.namespace ?? '', obj.metadata.name!);
    return cur ? tx.update(resource, { ...obj, metadata: { ...obj.metadata, uid: cur.metadata.uid } }) : tx.create(resource, obj);
  });
const remove = (store: Store, resource: string, ns: string, name: string) => store.txn((tx) => tx.delete(resource, ns, name));

let uid = 0;
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${++uid}`,
  creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, uid)).toISOString(),
  ...extra,
});

const ingressClass = (name: string, controller: string, isDefault = false): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: {
    name,
    uid: `uid-${++uid}`,
    ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
  },
  spec: { controller },
});

/** A Service with one port 80 named http. */
const service = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...extra },
  }) as KubeObject;

/** One EndpointSlice of a Service: endpoints at 127.0.0.1:port (port http), ready unless told. */
const slice = (name: string, svc: string, port: number, ready = true): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(name, { labels: { 'kubernetes.io/service-name': svc } }),
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready } }],
  }) as KubeObject;

const backend = (svc: string, port: number | string = 80) => ({
  service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } },
});
const path = (p: string, pathType: string, svc: string, port: number | string = 80) => ({ path: p, pathType, backend: backend(svc, port) });

const ingress = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(name, extra),
    spec: { ingressClassName: 'tinykube', ...spec },
  }) as KubeObject;

// ---- the controller under test ----

interface Harness {
  store: Store;
  ctl: IngressController;
  http: number;
  https: number;
  events: { ingress: string; type: string; reason: string; message: string }[];
  statuses: { ingress: string; lb: IngressLoadBalancerIngress[] }[];
  /** A Service `name` whose endpoints are these ports (one slice each). */
  app(name: string, ports: number[]): void;
}

async function harness(o: { writeStatusToStore?: boolean } = {}): Promise<Harness> {
  const store = newStore();
  const informers = new InformerFactory(store);
  cleanup.push(() => informers.stop());
  put(store, 'networking.k8s.io/ingressclasses', ingressClass('tinykube', 'tinykube.io/ingress', true));
  const events: Harness['events'] = [];
  const statuses: Harness['statuses'] = [];
  const ctl = await startIngressController({
    informers,
    listen: { http: { host: '127.0.0.1', port: 0 }, https: { host: '127.0.0.1', port: 0 } },
    log: silentLogger(),
    recordEvent: (ing, type, reason, message) => events.push({ ingress: ing.metadata.name!, type, reason, message }),
    writeStatus: (ing: IngressObj, lb) => {
      statuses.push({ ingress: ing.metadata.name!, lb });
      if (o.writeStatusToStore) put(store, INGRESSES, { ...ing, status: { loadBalancer: { ingress: lb } } } as KubeObject);
    },
  });
  cleanup.push(() => ctl.stop());
  return {
    store,
    ctl,
    http: ctl.addresses.http!.port,
    https: ctl.addresses.https!.port,
    events,
    statuses,
    app(name, ports) {
      put(store, 'services', service(name));
      ports.forEach((p, i) => put(store, 'discovery.k8s.io/endpointslices', slice(`${name}-${i}`, name, p)));
    },
  };
}

interface Reply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
}

function request(port: number, host: string, p: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Which backend answered (its name), or `<status>` for the controller's own answers. */
async function who(port: number, host: string, p: string): Promise<string> {
  const r = await request(port, host, p);
  return r.status === 200 ? (JSON.parse(r.body) as Echo).name : String(r.status);
}

describe('ingress controller: HTTP routing', () => {
  it('routes by host (precise and wildcard) and path (Exact, Prefix, ImplementationSpecific)', async () => {
    const h = await harness();
    h.app('exact', [await echoBackend('exact')]);
    h.app('prefix', [await echoBackend('prefix')]);
    h.app('impl', [await echoBackend('impl')]);
    h.app('wild', [await echoBackend('wild')]);
    h.app('any', [await echoBackend('any')]);
    put(
      h.store,
      INGRESSES,
      ingress('routes', {
        rules: [
          {
            host: 'foo.example.com',
            http: {
              paths: [path('/exact', 'Exact', 'exact'), path('/app', 'Prefix', 'prefix'), path('/impl', 'ImplementationSpecific', 'impl')],
            },
          },
          { host: '*.wild.test', http: { paths: [path('/', 'Prefix', 'wild')] } },
          { http: { paths: [path('/any', 'Prefix', 'any')] } },
        ],
      }),
    );
    await h.ctl.idle();
    const cases: [string, string, string][] = [
      ['foo.example.com', '/exact', 'exact'],
      ['FOO.example.com:8080', '/exact?x=1', 'exact'],
      ['foo.example.com', '/exact/', '404'],
      ['foo.example.com', '/app', 'prefix'],
      ['foo.example.com', '/app/', 'prefix'],
      ['foo.example.com', '/app/x/y', 'prefix'],
      ['foo.example.com', '/appx', '404'],
      ['foo.example.com', '/impl/z', 'impl'],
      // The precise host decides: its paths do not fall back to the rules without a host.
      ['foo.example.com', '/any', '404'],
      ['a.wild.test', '/whatever', 'wild'],
      ['a.b.wild.test', '/whatever', '404'],
      ['wild.test', '/whatever', '404'],
      ['other.test', '/any/thing', 'any'],
      ['other.test', '/', '404'],
    ];
    const got = [];
    for (const [host, p] of cases) got.push(await who(h.http, host, p));
    expect(got).toEqual(cases.map((c) => c[2]));
    // The request line reaches the backend as sent.
    const r = await request(h.http, 'foo.example.com', '/app/x?q=1&r=%20');
    expect((JSON.parse(r.body) as Echo).url).toBe('/app/x?q=1&r=%20');
  });

  it('answers 404 with the default backend text, serves spec.defaultBackend, and serves only its classes', async () => {
    const h = await harness();
    h.app('dflt', [await echoBackend('dflt')]);
    h.app('other', [await echoBackend('other')]);
    const r = await request(h.http, 'nothing.test', '/');
    expect(r.status).toBe(404);
    expect(r.body).toBe(NOT_FOUND_TEXT);
    expect(r.body).toBe('default backend - 404');

    put(h.store, 'networking.k8s.io/ingressclasses', ingressClass('nginx', 'k8s.io/ingress-nginx'));
    put(
      h.store,
      INGRESSES,
      ingress('elsewhere', { ingressClassName: 'nginx', rules: [{ host: 'o.test', http: { paths: [path('/', 'Prefix', 'other')] } }] }),
    );
    // Without a class: served because the default class is this controller's.
    put(
      h.store,
      INGRESSES,
      ingress('classless', { ingressClassName: undefined, rules: [{ host: 'c.test', http: { paths: [path('/', 'Prefix', 'other')] } }] }),
    );
    put(h.store, INGRESSES, ingress('fallback', { defaultBackend: backend('dflt', 'http') }));
    await h.ctl.idle();
    expect(await who(h.http, 'nothing.test', '/x')).toBe('dflt');
    expect(await who(h.http, 'o.test', '/')).toBe('dflt');
    expect(await who(h.http, 'c.test', '/')).toBe('other');
    expect(h.statuses.map((s) => s.ingress).sort()).toEqual(['classless', 'fallback']);
  });

  it('answers 503 without ready endpoints and 502 when the endpoint refuses', async () => {
    const h = await harness();
    put(h.store, 'services', service('empty'));
    put(h.store, 'services', service('notready'));
    put(h.store, 'discovery.k8s.io/endpointslices', slice('notready-0', 'notready', await echoBackend('notready'), false));
    put(h.store, 'services', service('gone'));
    put(h.store, 'discovery.k8s.io/endpointslices', slice('gone-0', 'gone', await closedPort()));
    put(
      h.store,
      INGRESSES,
      ingress('errors', {
        rules: [
          {
            host: 'e.test',
            http: {
              paths: [
                path('/empty', 'Prefix', 'empty'),
                path('/notready', 'Prefix', 'notready'),
                path('/gone', 'Prefix', 'gone'),
                path('/missing', 'Prefix', 'missing'),
              ],
            },
          },
        ],
      }),
    );
    await h.ctl.idle();
    for (const p of ['/empty', '/notready', '/missing']) {
      const r = await request(h.http, 'e.test', p);
      expect([p, r.status]).toEqual([p, 503]);
      expect(r.body).toContain('<title>503 Service Temporarily Unavailable</title>');
    }
    const r = await request(h.http, 'e.test', '/gone');
    expect(r.status).toBe(502);
    expect(r.body).toContain('<title>502 Bad Gateway</title>');
  });

  it('sets the forwarded headers ingress-nginx sets and drops hop-by-hop ones both ways', async () => {
    const h = await harness();
    h.app('echo', [await echoBackend('echo')]);
    put(h.store, INGRESSES, ingress('fwd', { rules: [{ host: 'f.test', http: { paths: [path('/', 'Prefix', 'echo')] } }] }));
    await h.ctl.idle();
    const r = await request(h.http, 'f.test:8000', '/', {
      'X-Forwarded-For': '203.0.113.9',
      'X-Real-IP': '203.0.113.9',
      'X-Custom': 'kept',
      Connection: 'keep-alive, X-Secret',
      'X-Secret': 'dropped',
    });
    const got = (JSON.parse(r.body) as Echo).headers;
    expect(got).toMatchObject({
      host: 'f.test:8000',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': 'f.test:8000',
      'x-forwarded-port': String(h.http),
      'x-forwarded-proto': 'http',
      'x-forwarded-scheme': 'http',
      'x-scheme': 'http',
      'x-custom': 'kept',
    });
    expect(got['x-secret']).toBeUndefined();
    // The backend's keep-alive parameters are its own connection's: the client gets the controller's.
    expect(r.headers['keep-alive']).toBe('timeout=75');
  });

  it('spreads requests over the ready endpoints round robin and follows endpoint changes', async () => {
    const h = await harness();
    const a = await echoBackend('a');
    const b = await echoBackend('b');
    h.app('rr', [a, b]);
    put(h.store, INGRESSES, ingress('rr', { rules: [{ host: 'rr.test', http: { paths: [path('/', 'Prefix', 'rr', 'http')] } }] }));
    await h.ctl.idle();
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await who(h.http, 'rr.test', '/'));
    expect(seen.filter((n) => n === 'a')).toHaveLength(2);
    expect(seen.filter((n) => n === 'b')).toHaveLength(2);
    remove(h.store, 'discovery.k8s.io/endpointslices', 'default', 'rr-0');
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await who(h.http, 'rr.test', '/'));
    expect(after).toEqual(['b', 'b', 'b']);
  });

  it('follows Ingress changes: a new path, a changed backend, a deleted Ingress', async () => {
    const h = await harness();
    h.app('one', [await echoBackend('one')]);
    h.app('two', [await echoBackend('two')]);
    put(h.store, INGRESSES, ingress('moving', { rules: [{ host: 'm.test', http: { paths: [path('/', 'Prefix', 'one')] } }] }));
    await h.ctl.idle();
    expect(await who(h.http, 'm.test', '/v2/x')).toBe('one');
    put(
      h.store,
      INGRESSES,
      ingress('moving', { rules: [{ host: 'm.test', http: { paths: [path('/', 'Prefix', 'one'), path('/v2', 'Prefix', 'two')] } }] }),
    );
    await h.ctl.idle();
    expect(await who(h.http, 'm.test', '/v2/x')).toBe('two');
    expect(await who(h.http, 'm.test', '/v1')).toBe('one');
    remove(h.store, INGRESSES, 'default', 'moving');
    await h.ctl.idle();
    expect(await who(h.http, 'm.test', '/v1')).toBe('404');
  });
});

describe('ingress controller: events and status', () => {
  it('records a Warning event once per unresolvable backend, again after it resolved and broke again', async () => {
    const h = await harness();
    put(
      h.store,
      INGRESSES,
      ingress('broken', {
        rules: [{ host: 'b.test', http: { paths: [path('/', 'Prefix', 'nosvc'), path('/p', 'Prefix', 'svc', 'grpc')] } }],
      }),
    );
    put(h.store, 'services', service('svc'));
    await h.ctl.idle();
    expect(h.events).toEqual([
      { ingress: 'broken', type: 'Warning', reason: 'ServiceNotFound', message: 'service "default/nosvc" not found' },
      { ingress: 'broken', type: 'Warning', reason: 'PortNotFound', message: 'service "default/svc" does not have port named "grpc"' },
    ]);
    // Other changes do not repeat them.
    put(h.store, 'services', service('unrelated'));
    await h.ctl.idle();
    expect(h.events).toHaveLength(2);
    h.app('nosvc', [await echoBackend('nosvc')]);
    await h.ctl.idle();
    expect(await who(h.http, 'b.test', '/')).toBe('nosvc');
    remove(h.store, 'services', 'default', 'nosvc');
    await h.ctl.idle();
    expect(h.events).toHaveLength(3);
    expect(h.events[2]).toMatchObject({ reason: 'ServiceNotFound', message: 'service "default/nosvc" not found' });
  });

  it('writes status.loadBalancer with the listen address once, for Ingresses of its class', async () => {
    const h = await harness({ writeStatusToStore: true });
    put(h.store, INGRESSES, ingress('lb', { rules: [{ host: 'lb.test', http: { paths: [path('/', 'Prefix', 'x')] } }] }));
    await until(() => (h.store.get(INGRESSES, 'default', 'lb') as IngressObj | undefined)?.status?.loadBalancer?.ingress?.length);
    await h.ctl.idle();
    expect((h.store.get(INGRESSES, 'default', 'lb') as IngressObj).status).toEqual({ loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } });
    // A spec change leaves the status as it is: no second write.
    const cur = h.store.get(INGRESSES, 'default', 'lb') as IngressObj;
    put(h.store, INGRESSES, { ...cur, spec: { ...cur.spec, rules: [] } } as KubeObject);
    await h.ctl.idle();
    expect(h.statuses).toEqual([{ ingress: 'lb', lb: [{ ip: '127.0.0.1' }] }]);
  });
});

describe('ingress controller: streams, upgrades and TLS', () => {
  it('streams request and response bodies as they come', async () => {
    const h = await harness();
    // The backend answers each chunk it reads at once: the client sees the first answer before it sends the rest.
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.on('data', (c: Buffer) => res.write(`got:${c.toString()};`));
      req.on('end', () => res.end('end'));
    });
    put(h.store, 'services', service('stream'));
    put(h.store, 'discovery.k8s.io/endpointslices', slice('stream-0', 'stream', await listen(srv)));
    put(h.store, INGRESSES, ingress('stream', { rules: [{ host: 's.test', http: { paths: [path('/', 'Prefix', 'stream')] } }] }));
    await h.ctl.idle();
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: h.http, method: 'POST', path: '/up', headers: { host: 's.test' }, agent: false },
        (res) => {
          let all = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            all += c;
            if (all === 'got:one;') req.end('two');
          });
          res.on('end', () => resolve(all));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      req.write('one');
    });
    expect(body).toBe('got:one;got:two;end');
  });

  it('passes WebSocket upgrades through', async () => {
    const h = await harness();
    const srv = http.createServer();
    const wss = new WebSocketServer({ server: srv });
    let forwardedFor: string | undefined;
    wss.on('connection', (ws, req) => {
      forwardedFor = req.headers['x-forwarded-for'] as string;
      ws.on('message', (m) => ws.send(`echo:${m.toString()}:${req.url}`));
    });
    cleanup.push(() => wss.close());
    put(h.store, 'services', service('ws'));
    put(h.store, 'discovery.k8s.io/endpointslices', slice('ws-0', 'ws', await listen(srv)));
    put(h.store, INGRESSES, ingress('ws', { rules: [{ host: 'ws.test', http: { paths: [path('/socket', 'Prefix', 'ws')] } }] }));
    await h.ctl.idle();
    const ws = new WebSocket(`ws://127.0.0.1:${h.http}/socket/1`, { headers: { host: 'ws.test', 'x-forwarded-for': '203.0.113.9' } });
    cleanup.push(() => ws.terminate());
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
    ws.send('hi');
    expect(await reply).toBe('echo:hi:/socket/1');
    expect(forwardedFor).toBe('127.0.0.1');

    // No rule: the upgrade is refused with the 404 answer; an endpoint that refuses gives 502.
    put(h.store, 'services', service('down'));
    put(h.store, 'discovery.k8s.io/endpointslices', slice('down-0', 'down', await closedPort()));
    put(
      h.store,
      INGRESSES,
      ingress('ws', { rules: [{ host: 'ws.test', http: { paths: [path('/socket', 'Prefix', 'ws'), path('/down', 'Prefix', 'down')] } }] }),
    );
    await h.ctl.idle();
    const refusal = async (p: string) => {
      const refused = new WebSocket(`ws://127.0.0.1:${h.http}${p}`, { headers: { host: 'ws.test' } });
      const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
      // Ending a refused handshake reports it as an error: expected here.
      refused.on('error', () => undefined);
      refused.terminate();
      return status;
    };
    expect(await refusal('/other')).toBe(404);
    expect(await refusal('/down')).toBe(502);
    // The open tunnel still works.
    const again = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
    ws.send('still');
    expect(await again).toBe('echo:still:/socket/1');
  });

  it('serves the TLS Secret of the SNI host, and the fake certificate for other names', async () => {
    const h = await harness();
    h.app('secure', [await echoBackend('secure')]);
    const pki = await loadOrCreatePKI(undefined, { ips: [], dns: ['secure.test'] });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    put(h.store, 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('secure-tls'),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(pki.certPem), 'tls.key': b64(pki.keyPem) },
    } as KubeObject);
    put(
      h.store,
      INGRESSES,
      ingress('secure', {
        tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }],
        rules: [{ host: 'secure.test', http: { paths: [path('/', 'Prefix', 'secure')] } }],
      }),
    );
    await h.ctl.idle();

    const get = (servername: string, ca?: string) =>
      new Promise<{ subject: string; status: number; body: string; headers: IncomingMessage['headers'] }>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: h.https, servername, ca, rejectUnauthorized: !!ca });
        socket.on('error', reject);
        socket.once('secureConnect', () => {
          const subject = new X509Certificate(socket.getPeerX509Certificate()!.raw).subject;
          const req = http.request({ createConnection: () => socket, path: '/', headers: { host: servername } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => (socket.destroy(), resolve({ subject, status: res.statusCode!, body, headers: res.headers })));
          });
          req.on('error', reject);
          req.end();
        });
      });
    const ok = await get('secure.test', pki.caCertPem);
    expect(ok.subject).toBe('CN=kube-apiserver');
    expect(ok.status).toBe(200);
    const seen = JSON.parse(ok.body) as Echo;
    expect(seen.name).toBe('secure');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-port']).toBe(String(h.https));

    const other = await get('unknown.test');
    expect(other.subject).toBe(FAKE_CERT_SUBJECT.replace(', ', '\n'));
    expect(other.status).toBe(404);

    // A new certificate in the Secret is served on the next handshake.
    const next = await loadOrCreatePKI(undefined, { ips: [], dns: ['secure.test'] });
    put(h.store, 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('secure-tls'),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(next.certPem), 'tls.key': b64(next.keyPem) },
    } as KubeObject);
    expect((await get('secure.test', next.caCertPem)).status).toBe(200);
  });
});
