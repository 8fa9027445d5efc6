// NetworkPolicy through the service proxy: a Pod client (a socket bound to its Pod IP) refused by
// the backend Pod's ingress policy is reset, an allowed one and the node get through.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';

const SERVER = `
const net = require('net');
net.createServer((s) => { s.on('error', () => {}); s.end(process.env.POD_NAME + ' ' + s.remoteAddress + '\\n'); }).listen(8080, process.env.POD_IP);
`;
let tc: TestCluster;
const ips: Record<string, string> = {};
const post = async (path: string, body: object) => {
  const r = await api(tc.cluster, 'POST', path, { body });
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.json();
};
const get = async (path: string) => (await api(tc.cluster, 'GET', path)).json();
const pod = (name: string, labels: Record<string, string>) => ({
  metadata: { name, labels },
  spec: {
    containers: [
      {
        name: 'srv',
        image: 'local/node',
        command: [process.execPath, '-e', SERVER],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        ports: [{ name: 'hello', containerPort: 8080 }],
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
      },
    ],
  },
});
function hello(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (buf += d));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    s.on('close', () => resolve(buf.trim()));
  });
}
let svc = '';
beforeAll(async () => {
  tc = await startTestCluster({});
  for (const [n, l] of [
    ['db', { app: 'db' }],
    ['web', { app: 'web' }],
    ['other', { app: 'other' }],
  ] as const)
    await post('/api/v1/namespaces/default/pods', pod(n, l));
  await post('/api/v1/namespaces/default/services', {
    metadata: { name: 'db' },
    spec: { selector: { app: 'db' }, ports: [{ port: 80, targetPort: 'hello' }] },
  });
  await until(async () => {
    const items = (await get('/api/v1/namespaces/default/pods')).items as any[];
    for (const p of items) if (p.status.podIP) ips[p.metadata.name] = p.status.podIP;
    return items.filter((p) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3;
  }, 60_000);
  svc = (await get('/api/v1/namespaces/default/services/db')).spec.clusterIP;
  await until(async () => (await hello(svc, 80)).startsWith('db '), 30_000);
}, 120_000);
afterAll(async () => {
  await tc?.stop();
});

describe('service proxy with NetworkPolicy', () => {
  it('enforces ingress on the chosen backend for Pod sources, lets the node through', async () => {
    expect(await hello(svc, 80, ips.other)).toBe(`db ${ips.other}`);
    await post('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', {
      metadata: { name: 'db-from-web' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'hello' }] }],
      },
    });
    await until(async () => (await hello(svc, 80, ips.other)) === 'error ECONNRESET', 10_000);
    expect(await hello(svc, 80, ips.web)).toBe(`db ${ips.web}`);
    expect(await hello(svc, 80)).toMatch(/^db /);
    await api(tc.cluster, 'DELETE', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/db-from-web');
    await until(async () => (await hello(svc, 80, ips.other)) === `db ${ips.other}`, 10_000);
  }, 60_000);
});
