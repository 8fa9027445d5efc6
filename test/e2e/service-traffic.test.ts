// The cluster as a user sees it end to end: the built-in proxy started by startCluster carries
// traffic to a Service's ClusterIP and NodePort (named targetPort) from the host, and a Pod
// reaches another namespace's Service by name with curl (cluster DNS + proxy), as in the seed's
// `curl http://my-service.prod/`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'undici';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { canBindPrivileged } from '../../src/dns/index.js';
import { nthIP } from '../helpers/ranges.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 30_000);
afterAll(async () => {
  await tc?.stop();
});

const SERVER = `const http = require('http'); http.createServer((q, s) => s.end('hello from ' + process.env.POD_NAME)).listen(8080, process.env.POD_IP);`;

describe('traffic through the built-in proxy', () => {
  it('reaches a Pod through the ClusterIP, the NodePort and, from a Pod, by DNS name in another namespace', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  containers:
  - name: c
    image: x
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
    ports: [{name: http-web-svc, containerPort: 8080}]
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    readinessProbe: {tcpSocket: {port: http-web-svc}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: my-service, namespace: prod}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: http-web-svc}]
`,
    });
    await tc.kubectl(['wait', '-n', 'prod', '--for=condition=Ready', 'pod/web', '--timeout=20s']);
    const svc = JSON.parse((await tc.kubectl(['get', 'svc', 'my-service', '-n', 'prod', '-o', 'json'])).stdout);
    const get = async (url: string) => {
      const r = await request(url);
      return r.body.text();
    };
    expect(await until(() => get(`http://${svc.spec.clusterIP}/`).catch(() => undefined))).toBe('hello from web');
    expect(await get(`http://127.0.0.1:${svc.spec.ports[0].nodePort}/`)).toBe('hello from web');
    const stats = (await tc.cluster.proxy!.stats())[`prod/my-service:80/TCP`];
    expect(stats?.connections).toBeGreaterThanOrEqual(2);

    // From a Pod in namespace default: short cross-namespace name, resolved by the cluster DNS
    // (or, without port 53, the Pod's /etc/hosts), carried by the proxy.
    await tc.kubectl([
      'run',
      'client',
      '--image=x',
      '--restart=Never',
      '--command',
      '--',
      'curl',
      '-sS',
      '--max-time',
      '5',
      'http://my-service.prod/',
    ]);
    const out = await until(async () => {
      const p = JSON.parse((await tc.kubectl(['get', 'pod', 'client', '-o', 'json'])).stdout);
      return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p.status.phase : undefined;
    }, 20_000);
    const logs = (await tc.kubectl(['logs', 'client'])).stdout.trim();
    expect({ out, logs }).toEqual({ out: 'Succeeded', logs: 'hello from web' });
    expect(tc.cluster.dns.nameserver).toBe(canBindPrivileged() ? nthIP(tc.cluster.config.serviceCIDR, 10) : undefined);
  }, 60_000);
});
