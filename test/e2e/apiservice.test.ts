// apiregistration.k8s.io/v1 APIService with kubectl: the local APIServices of the built-in group
// versions and of a CRD's (coming and going with it, reset at restart), upstream's validation
// texts, the published front-proxy identity, and an aggregated API server of the test's own (HTTPS
// on 127.0.0.1, behind a selector-less Service and a hand-made EndpointSlice): checked Available,
// listed by discovery and OpenAPI, reached through the cluster (requests, bodies, a watch, a
// WebSocket) with the front-proxy client certificate and the X-Remote-* headers instead of the
// caller's credentials, authorized by the cluster's RBAC first, and reported unavailable with
// upstream's reasons once it is gone.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import { startTestCluster, runKubectl, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until, untilPasses } from '../helpers/wait.js';

let tc: TestCluster;
let server: Server;
let port: number;
let caPem: string;
let jane: string;
let finishWatch: (() => void) | undefined;
/** What the aggregated server saw of each request. */
const seen: { path: string; headers: IncomingHttpHeaders; clientCN?: string }[] = [];

const GROUP = 'wardle.example.com';
const GV = `/apis/${GROUP}/v1alpha1`;
/** The OpenAPI v3 document of the group version, as a k8s.io/apiserver-based server serves one (cut down). */
const FLUNDER_OPENAPI = {
  openapi: '3.0.0',
  info: { title: 'Wardle', version: 'v0.1.0' },
  // kubectl explain finds a kind by the operations of its resource's paths.
  paths: {
    [`/apis/${GROUP}/v1alpha1/namespaces/{namespace}/flunders/{name}`]: {
      get: {
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': { group: GROUP, version: 'v1alpha1', kind: 'Flunder' },
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/com.example.wardle.v1alpha1.Flunder' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      'com.example.wardle.v1alpha1.Flunder': {
        description: 'A Flunder is the one kind of the test server.',
        type: 'object',
        properties: {
          apiVersion: { type: 'string', description: 'APIVersion of the object.' },
          kind: { type: 'string', description: 'Kind of the object.' },
          spec: {
            type: 'object',
            description: 'What the flunder should be.',
            properties: { reference: { type: 'string', description: 'A reference.' } },
          },
        },
        'x-kubernetes-group-version-kind': [{ group: GROUP, kind: 'Flunder', version: 'v1alpha1' }],
      },
    },
  },
};

beforeAll(async () => {
  tc = await startTestCluster({ authorizationMode: 'RBAC' });
  jane = join(tc.dir, 'jane.kubeconfig');
  writeFileSync(jane, (await tc.cluster.addUser({ name: 'jane', groups: ['dev'] })).kubeconfig);
  // The server's certificate is for the name the aggregator asks for: <service>.<namespace>.svc.
  const pki = await loadOrCreatePKI(undefined, { ips: [], dns: ['api.wardle.svc'] });
  caPem = pki.caCertPem;
  // It trusts client certificates of the CA the cluster publishes for its front proxy.
  const auth = await until(async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
    return r.status === 200 && r.json();
  });
  server = createServer(
    { cert: pki.certPem, key: pki.keyPem, ca: auth.data['requestheader-client-ca-file'], requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const sock = req.socket as TLSSocket;
      const peer = sock.authorized ? sock.getPeerCertificate() : undefined;
      seen.push({ path: req.url ?? '', headers: req.headers, clientCN: peer ? String(peer.subject.CN) : undefined });
      if (!peer) {
        res.writeHead(401).end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      const path = (req.url ?? '').split('?')[0];
      if (path === `${GV}/namespaces/default/flunders` && req.method === 'POST') {
        // A create: the object as sent, created.
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const obj = JSON.parse(body);
          res.writeHead(201).end(JSON.stringify({ ...obj, metadata: { ...obj.metadata, namespace: 'default', uid: 'u-1' } }));
        });
      } else if (path === `${GV}/namespaces/default/flunders` && /[?&]watch=(1|true)/.test(req.url ?? '')) {
        // A watch: the first event now, the next one when the test says so.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const event = (name: string) =>
          `${JSON.stringify({ type: 'ADDED', object: { kind: 'Flunder', apiVersion: `${GROUP}/v1alpha1`, metadata: { name, namespace: 'default', resourceVersion: '2' } } })}\n`;
        res.write(event('first'));
        finishWatch = () => res.end(event('second'));
      } else if (path === '/openapi/v3') {
        res.end(
          JSON.stringify({ paths: { [`apis/${GROUP}/v1alpha1`]: { serverRelativeURL: `/openapi/v3/apis/${GROUP}/v1alpha1?hash=AB12` } } }),
        );
      } else if (path === `/openapi/v3/apis/${GROUP}/v1alpha1`) {
        res.end(JSON.stringify(FLUNDER_OPENAPI));
      } else if (path === GV) {
        res.end(
          JSON.stringify({
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: `${GROUP}/v1alpha1`,
            resources: [
              { name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list'], shortNames: ['fl'] },
            ],
          }),
        );
      } else if (path === `${GV}/namespaces/default/flunders`) {
        res.end(
          JSON.stringify({
            kind: 'FlunderList',
            apiVersion: `${GROUP}/v1alpha1`,
            metadata: { resourceVersion: '1' },
            items: [
              {
                kind: 'Flunder',
                apiVersion: `${GROUP}/v1alpha1`,
                metadata: { name: 'my-flunder', namespace: 'default', creationTimestamp: new Date().toISOString() },
              },
            ],
          }),
        );
      } else res.writeHead(404).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
    },
  );
  // WebSocket upgrades (a console subresource): greets the user the aggregator says it is.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const sock = req.socket as TLSSocket;
    const peer = sock.authorized ? sock.getPeerCertificate() : undefined;
    seen.push({ path: req.url ?? '', headers: req.headers, clientCN: peer ? String(peer.subject.CN) : undefined });
    wss.handleUpgrade(req, socket, head, (ws) => ws.send(`hello ${req.headers['x-remote-user']}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await tc?.stop();
});

const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
/** kubectl's table as rows of cells (columns split on runs of 2+ spaces). */
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
const asJane = (args: string[]) =>
  runKubectl(['--kubeconfig', jane, '--cache-dir', join(tc.dir, 'jane-cache'), ...args], { env: { KUBECONFIG: jane }, allowFail: true });
const apiService = async (name: string) => {
  const r = await api(tc.cluster, 'GET', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
  return r.status === 200 ? r.json() : undefined;
};
const available = async (name: string) =>
  (await apiService(name))?.status?.conditions?.find((c: { type: string }) => c.type === 'Available');

describe('local APIServices', () => {
  it('are listed by kubectl get apiservices, one per built-in group version', async () => {
    await untilPasses(async () => {
      const rows = await table(['get', 'apiservices']);
      expect(rows[0]).toEqual(['NAME', 'SERVICE', 'AVAILABLE', 'AGE']);
      const byName = new Map(rows.slice(1).map((r) => [r[0], r]));
      for (const n of ['v1.', 'v1.apps', 'v1.networking.k8s.io', 'v2.autoscaling', 'v1.discovery.k8s.io', 'v1.scheduling.k8s.io'])
        expect(byName.get(n)?.slice(1, 3), n).toEqual(['Local', 'True']);
    });
    const apps = await json(['get', 'apiservice', 'v1.apps']);
    expect(apps.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
    expect(apps.spec).toEqual({ group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
    expect(apps.status.conditions).toEqual([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' }),
    ]);
    const core = await json(['get', 'apiservice', 'v1.']);
    expect(core.spec).toEqual({ version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
  });

  it('are discovered in apiregistration.k8s.io without short names', async () => {
    const { stdout } = await tc.kubectl(['api-resources', '--api-group', 'apiregistration.k8s.io']);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    expect(rows.slice(1)).toEqual([['apiservices', 'apiregistration.k8s.io/v1', 'false', 'APIService']]);
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups[0]).toBe('apiregistration.k8s.io');
  });

  it('are explained and described', async () => {
    const { stdout } = await tc.kubectl(['explain', 'apiservice.spec.service']);
    expect(stdout).toContain('GROUP:      apiregistration.k8s.io');
    expect(stdout).toMatch(/port\s+<integer>/);
    const described = (await tc.kubectl(['describe', 'apiservice', 'v1.apps'])).stdout;
    expect(described).toMatch(/^Name:\s+v1\.apps$/m);
    expect(described).toMatch(/^Labels:\s+kube-aggregator\.kubernetes\.io\/automanaged=onstart$/m);
    expect(described).toMatch(/Message:\s+Local APIServices are always available/);
  });

  it('follow a CRD’s served versions in and out', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.org' },
        spec: {
          group: 'example.org',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
            { name: 'v1beta1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
          ],
        },
      }),
    });
    const svc = await until(() => apiService('v1.example.org'));
    expect(svc.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'true' });
    expect(svc.spec).toEqual({ group: 'example.org', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
    expect(await apiService('v1beta1.example.org')).toBeUndefined();
    await tc.kubectl(['delete', 'crd', 'widgets.example.org']);
    await until(async () => !(await apiService('v1.example.org')));
  });

  it('refuse what upstream’s validation refuses, in its words', async () => {
    const r = await tc.kubectl(['create', '-f', '-'], {
      allowFail: true,
      input: JSON.stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'wrong' },
        spec: { group: 'bad_group', version: 'v1', groupPriorityMinimum: 0, versionPriority: 2000, insecureSkipTLSVerify: true },
      }),
    });
    expect(r.stderr.trim()).toBe(
      'The APIService "wrong" is invalid: \n' +
        '* metadata.name: Invalid value: "wrong": must be `spec.version+"."+spec.group`: "v1.bad_group"\n' +
        "* spec.group: Invalid value: \"bad_group\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n" +
        '* spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000\n' +
        '* spec.versionPriority: Invalid value: 2000: must be positive and less than 1000\n' +
        '* spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify',
    );
  });
});

describe('local APIServices across a restart', () => {
  it('are reset to upstream’s at start (automanaged onstart)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-apiservice-'));
    try {
      let c = await startTestCluster({ dataDir });
      const get = (name: string) => api(c.cluster, 'GET', `/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
      await until(async () => (await get('v1.apps')).status === 200);
      await c.kubectl(['patch', 'apiservice', 'v1.apps', '--type=merge', '-p', '{"spec":{"versionPriority":99}}']);
      expect((await get('v1.apps')).json().spec.versionPriority).toBe(99);
      await c.stop();
      c = await startTestCluster({ dataDir });
      await until(async () => (await get('v1.apps')).json().spec.versionPriority === 15);
      await c.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the front-proxy identity', () => {
  it('is published in kube-system/extension-apiserver-authentication as upstream publishes it, and kept there', async () => {
    const path = '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication';
    const { data } = (await api(tc.cluster, 'GET', path)).json();
    expect(data['client-ca-file']).toBe(tc.cluster.caCert);
    expect(data['requestheader-client-ca-file']).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(data['requestheader-client-ca-file']).not.toBe(tc.cluster.caCert);
    expect({ ...data, 'client-ca-file': undefined, 'requestheader-client-ca-file': undefined }).toEqual({
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-username-headers': '["X-Remote-User"]',
    });
    await tc.kubectl(['delete', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system']);
    await untilPasses(async () => expect((await api(tc.cluster, 'GET', path)).json().data).toEqual(data));
  });
});

describe('an aggregated API server', () => {
  it('is registered behind a Service and becomes Available', async () => {
    await tc.kubectl(['create', 'namespace', 'wardle']);
    await tc.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'api', namespace: 'wardle' },
            spec: { ports: [{ name: 'https', port: 443, targetPort: port }] },
          },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'api-1', namespace: 'wardle', labels: { 'kubernetes.io/service-name': 'api' } },
            addressType: 'IPv4',
            endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
            ports: [{ name: 'https', port, protocol: 'TCP' }],
          },
          {
            apiVersion: 'apiregistration.k8s.io/v1',
            kind: 'APIService',
            metadata: { name: `v1alpha1.${GROUP}` },
            spec: {
              group: GROUP,
              version: 'v1alpha1',
              service: { namespace: 'wardle', name: 'api' },
              caBundle: Buffer.from(caPem).toString('base64'),
              groupPriorityMinimum: 1000,
              versionPriority: 15,
            },
          },
        ],
      }),
    });
    await until(async () => (await available(`v1alpha1.${GROUP}`))?.status === 'True', 15_000);
    const svc = await apiService(`v1alpha1.${GROUP}`);
    expect(svc.spec.service).toEqual({ namespace: 'wardle', name: 'api', port: 443 });
    expect(svc.status.conditions).toEqual([
      expect.objectContaining({ type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' }),
    ]);
    const row = (await table(['get', 'apiservices'])).find((r) => r[0] === `v1alpha1.${GROUP}`);
    expect(row?.slice(1, 3)).toEqual(['wardle/api', 'True']);
    // The discovery check came as system:kube-aggregator with the front-proxy certificate.
    const probe = seen.find((s) => s.path === GV);
    expect(probe?.clientCN).toBe('front-proxy-client');
    expect(probe?.headers['x-remote-user']).toBe('system:kube-aggregator');
  });

  it('is listed by discovery and reached by kubectl with the caller in X-Remote-* headers', async () => {
    await untilPasses(async () => {
      const { stdout } = await tc.kubectl(['api-resources', '--api-group', GROUP]);
      expect(stdout).toMatch(new RegExp(`^flunders\\s+fl\\s+${GROUP}/v1alpha1\\s+true\\s+Flunder$`, 'm'));
    });
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups;
    expect(groups.find((g: { name: string }) => g.name === GROUP)).toEqual({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: GROUP,
      versions: [{ groupVersion: `${GROUP}/v1alpha1`, version: 'v1alpha1' }],
      preferredVersion: { groupVersion: `${GROUP}/v1alpha1`, version: 'v1alpha1' },
    });
    expect((await api(tc.cluster, 'GET', `/apis/${GROUP}`)).json().preferredVersion.version).toBe('v1alpha1');
    // The group version's own document is the server's, proxied.
    expect((await api(tc.cluster, 'GET', GV)).json().resources.map((r: { name: string }) => r.name)).toEqual(['flunders']);
    seen.length = 0;
    const { stdout } = await tc.kubectl(['get', 'flunders', '-n', 'default']);
    expect(stdout).toMatch(/^NAME\s+AGE\nmy-flunder\s+\d+s\n$/);
    const got = seen.find((s) => s.path.startsWith(`${GV}/namespaces/default/flunders`));
    expect(got?.clientCN).toBe('front-proxy-client');
    expect(got?.headers['x-remote-user']).toBe('kubernetes-admin');
    expect(got?.headers['x-remote-group']).toBe('system:masters, system:authenticated');
    expect(got?.headers.authorization).toBeUndefined();
  });

  it('is explained from its server’s OpenAPI v3 document', async () => {
    await untilPasses(async () => {
      const index = (await api(tc.cluster, 'GET', '/openapi/v3')).json();
      expect(index.paths[`apis/${GROUP}/v1alpha1`]?.serverRelativeURL).toMatch(
        new RegExp(`^/openapi/v3/apis/${GROUP}/v1alpha1\\?hash=[0-9A-F]{128}$`),
      );
    });
    const { stdout } = await tc.kubectl(['explain', 'flunders.spec']);
    expect(stdout).toContain(`GROUP:      ${GROUP}`);
    expect(stdout).toContain('What the flunder should be.');
    expect(stdout).toMatch(/reference\s+<string>/);
  });

  it('takes request bodies through', async () => {
    const { stdout } = await tc.kubectl(['create', '-n', 'default', '-f', '-'], {
      input: JSON.stringify({ apiVersion: `${GROUP}/v1alpha1`, kind: 'Flunder', metadata: { name: 'new-one' } }),
    });
    expect(stdout.trim()).toBe(`flunder.${GROUP}/new-one created`);
  });

  it('streams a watch through as the server sends it', async () => {
    const { Agent, request } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: tc.cluster.caCert } });
    const res = await request(`${tc.cluster.server}${GV}/namespaces/default/flunders?watch=true`, {
      headers: { authorization: `Bearer ${tc.cluster.token}` },
      dispatcher,
    });
    expect(res.statusCode).toBe(200);
    const lines: string[] = [];
    let buf = '';
    const reading = (async () => {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        while (buf.includes('\n')) {
          lines.push(buf.slice(0, buf.indexOf('\n')));
          buf = buf.slice(buf.indexOf('\n') + 1);
        }
      }
    })();
    // The first event arrives while the server still holds the response open.
    await until(() => lines.length === 1 && finishWatch);
    expect(JSON.parse(lines[0]!).object.metadata.name).toBe('first');
    finishWatch!();
    await reading;
    expect(lines.map((l) => JSON.parse(l).object.metadata.name)).toEqual(['first', 'second']);
    await dispatcher.close();
  });

  it('tunnels a WebSocket upgrade with the same headers', async () => {
    seen.length = 0;
    const url = `${tc.cluster.server.replace('https:', 'wss:')}${GV}/namespaces/default/flunders/my-flunder/console`;
    const ws = new WebSocket(url, { ca: tc.cluster.caCert, headers: { Authorization: `Bearer ${tc.cluster.token}` } });
    const message = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(String(m)));
      ws.once('error', reject);
    });
    ws.close();
    expect(message).toBe('hello kubernetes-admin');
    const got = seen.find((x) => x.path.endsWith('/flunders/my-flunder/console'));
    expect(got?.clientCN).toBe('front-proxy-client');
    expect(got?.headers.authorization).toBeUndefined();
    expect(got?.headers['x-remote-group']).toBe('system:masters, system:authenticated');
  });

  it('is reached only by users the cluster’s RBAC allows, as themselves', async () => {
    const denied = await asJane(['get', 'flunders', '-n', 'default']);
    expect(denied.stderr).toContain(
      `Error from server (Forbidden): flunders.${GROUP} is forbidden: User "jane" cannot list resource "flunders" in API group "${GROUP}" in the namespace "default"`,
    );
    await tc.kubectl(['create', 'clusterrole', 'flunder-reader', '--verb=list', `--resource=flunders.${GROUP}`]);
    await tc.kubectl(['create', 'clusterrolebinding', 'jane-flunders', '--clusterrole=flunder-reader', '--user=jane']);
    seen.length = 0;
    await untilPasses(async () => expect((await asJane(['get', 'flunders', '-n', 'default'])).stdout).toContain('my-flunder'));
    const got = seen.find((s) => s.path.startsWith(`${GV}/namespaces/default/flunders`));
    expect(got?.headers['x-remote-user']).toBe('jane');
    expect(got?.headers['x-remote-group']).toBe('dev, system:authenticated');
    // Impersonated: the server hears of the user acted as, not of the impersonation.
    seen.length = 0;
    await tc.kubectl(['get', 'flunders', '-n', 'default', '--as=jane', '--as-group=dev']);
    const as = seen.find((x) => x.path.startsWith(`${GV}/namespaces/default/flunders`));
    expect([as?.headers['x-remote-user'], as?.headers['x-remote-group'], as?.headers['impersonate-user']]).toEqual([
      'jane',
      'dev, system:authenticated',
      undefined,
    ]);
  });

  it('is reported unavailable once its server is gone, and answered 503', async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    // A request that cannot reach the server has it checked again at once.
    await tc.kubectl(['get', 'flunders', '-n', 'default'], { allowFail: true });
    const url = `https://127.0.0.1:${port}${GV}`;
    await untilPasses(async () =>
      expect(await available(`v1alpha1.${GROUP}`)).toEqual(
        expect.objectContaining({
          status: 'False',
          reason: 'FailedDiscoveryCheck',
          message: `failing or missing response from ${url}: Get "${url}": dial tcp 127.0.0.1:${port}: connect: connection refused`,
        }),
      ),
    );
    const row = (await table(['get', 'apiservices'])).find((r) => r[0] === `v1alpha1.${GROUP}`);
    expect(row?.slice(1, 3)).toEqual(['wardle/api', 'False (FailedDiscoveryCheck)']);
    const r = await api(tc.cluster, 'GET', `${GV}/namespaces/default/flunders`);
    expect([r.status, r.text]).toEqual([503, 'service unavailable\n']);
    // Service and EndpointSlice changes have it checked again.
    await tc.kubectl(['delete', 'endpointslice', 'api-1', '-n', 'wardle']);
    await untilPasses(async () =>
      expect(await available(`v1alpha1.${GROUP}`)).toEqual(
        expect.objectContaining({
          status: 'False',
          reason: 'EndpointsNotFound',
          message: 'cannot find endpointslices for service/api in "wardle"',
        }),
      ),
    );
    await tc.kubectl(['delete', 'service', 'api', '-n', 'wardle']);
    await untilPasses(async () =>
      expect(await available(`v1alpha1.${GROUP}`)).toEqual(
        expect.objectContaining({ status: 'False', reason: 'ServiceNotFound', message: 'service/api in "wardle" is not present' }),
      ),
    );
  });
});
