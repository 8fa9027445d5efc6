// NetworkPolicy on Ingress traffic: the ingress controller admits a request to a backend Pod only
// when the policies selecting that Pod allow the HTTP client (a Pod by its Pod IP; the node always).
import { afterEach, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Store } from '../../src/storage/store.js';
import { InformerFactory } from '../../src/storage/informer.js';
import { silentLogger } from '../../src/base/log.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { startIngressController } from '../../src/ingress/controller.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
let uid = 0;
const put = (store: Store, resource: string, obj: KubeObject) =>
  store.txn((tx) => {
    const cur = tx.get(resource, obj.metadata.namespace ?? '', obj.metadata.name!);
    return cur ? tx.update(resource, { ...obj, metadata: { ...obj.metadata, uid: cur.metadata.uid } }) : tx.create(resource, obj);
  });
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `u${++uid}`,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});
const BACKEND_IP = '127.244.200.1';
const WEB_IP = '127.244.200.2';
const OTHER_IP = '127.244.200.3';

function get(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', localAddress, headers: { host: 'app.test' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

it('answers 502 when the backend Pod refuses the client', async () => {
  const srv = http.createServer((req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, BACKEND_IP, r));
  cleanup.push(() => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))));
  const port = (srv.address() as AddressInfo).port;
  const store = new Store();
  cleanup.push(() => store.close());
  const informers = new InformerFactory(store);
  cleanup.push(() => informers.stop());
  put(store, 'networking.k8s.io/ingressclasses', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'tinykube', uid: 'c1', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: 'tinykube.io/ingress' },
  } as KubeObject);
  const ctl = await startIngressController({ informers, listen: { http: { host: '127.0.0.1', port: 0 } }, log: silentLogger() });
  cleanup.push(() => ctl.stop());
  const podObj = (name: string, ip: string, app: string) =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta(name, { labels: { app } }),
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    }) as KubeObject;
  put(store, 'pods', podObj('backend', BACKEND_IP, 'backend'));
  put(store, 'pods', podObj('web', WEB_IP, 'web'));
  put(store, 'pods', podObj('other', OTHER_IP, 'other'));
  put(store, 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('app'),
    spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: port }] },
  } as KubeObject);
  put(store, 'discovery.k8s.io/endpointslices', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta('app-1', { labels: { 'kubernetes.io/service-name': 'app' } }),
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: [BACKEND_IP], conditions: { ready: true } }],
  } as KubeObject);
  put(store, 'networking.k8s.io/ingresses', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('app'),
    spec: {
      ingressClassName: 'tinykube',
      rules: [
        {
          host: 'app.test',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] },
        },
      ],
    },
  } as KubeObject);
  const p = ctl.addresses.http!.port;
  await until(async () => (await get(p, OTHER_IP)) === 200);
  put(store, 'networking.k8s.io/networkpolicies', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('np'),
    spec: {
      podSelector: { matchLabels: { app: 'backend' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
    },
  } as KubeObject);
  await until(async () => (await get(p, OTHER_IP)) === 502);
  expect(await get(p, WEB_IP)).toBe(200);
  expect(await get(p, '127.0.0.1')).toBe(200);
});
