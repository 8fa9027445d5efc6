// networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy as kubectl v1.32 and the Python
// client use them: discovery with upstream's short names, `kubectl create ingress` (protobuf
// bodies), tables and describe, the status subresource, the DefaultIngressClass admission,
// upstream's 422 texts and NetworkPolicy defaults. The objects are stored and served; routing and
// policy enforcement are not exercised here (test/e2e/ingress.test.ts does: this cluster runs without
// the built-in ingress controller, which would set the Ingresses' class and status).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { pythonJson } from '../helpers/python.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ ingress: false });
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const NET = '/apis/networking.k8s.io/v1';
const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
/** kubectl's table as rows of cells (columns split on runs of 2+ spaces; an empty cell merges). */
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
const post = (path: string, body: object) => api(tc.cluster, 'POST', `${NET}${path}`, { body });

describe('networking.k8s.io/v1', () => {
  it('is discovered as upstream serves it', async () => {
    const list = (await api(tc.cluster, 'GET', NET)).json();
    const byName = new Map<string, { kind: string; namespaced: boolean; shortNames?: string[] }>(
      list.resources.map((r: { name: string }) => [r.name, r]),
    );
    expect([...byName.keys()]).toEqual(['ingressclasses', 'ingresses', 'ingresses/status', 'networkpolicies']);
    expect(byName.get('ingressclasses')).toMatchObject({ kind: 'IngressClass', namespaced: false });
    expect(byName.get('ingressclasses')!.shortNames).toBeUndefined();
    expect(byName.get('ingresses')).toMatchObject({ kind: 'Ingress', namespaced: true, shortNames: ['ing'] });
    expect(byName.get('networkpolicies')).toMatchObject({ kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] });
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups.indexOf('networking.k8s.io')).toBeGreaterThan(groups.indexOf('batch'));
    expect(groups.indexOf('networking.k8s.io')).toBeLessThan(groups.indexOf('policy'));
    // OpenAPI v3 describes the kinds (kubectl explain reads it).
    const explained = (await tc.kubectl(['explain', 'ingress.spec.rules.http.paths.pathType'])).stdout;
    expect(explained).toMatch(/^GROUP:\s+networking\.k8s\.io\nKIND:\s+Ingress\nVERSION:\s+v1$/m);
    expect(explained).toMatch(/^FIELD: pathType <string>$/m);
  });
});

describe('Ingress', () => {
  it('is created by kubectl create ingress and printed as upstream prints it', async () => {
    await tc.kubectl(['create', 'ingress', 'simple', '--rule=foo.com/bar=svc1:8080,tls=my-cert']);
    const simple = await json(['get', 'ingress', 'simple']);
    expect(simple.spec).toEqual({
      rules: [
        {
          host: 'foo.com',
          http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] },
        },
      ],
      tls: [{ hosts: ['foo.com'], secretName: 'my-cert' }],
    });
    expect(simple.status).toEqual({ loadBalancer: {} });
    expect(simple.metadata.generation).toBe(1);

    await tc.kubectl(['create', 'ingress', 'catch-all', '--class=otheringress', '--rule=/path=svc:port']);
    const catchAll = await json(['get', 'ing', 'catch-all']);
    expect(catchAll.spec).toEqual({
      ingressClassName: 'otheringress',
      rules: [{ http: { paths: [{ path: '/path', pathType: 'Exact', backend: { service: { name: 'svc', port: { name: 'port' } } } }] } }],
    });

    const rows = await table(['get', 'ing', '-o', 'wide']);
    expect(rows[0]).toEqual(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    // ADDRESS is empty: its cell runs into PORTS.
    expect(rows.slice(1)).toEqual([
      ['catch-all', 'otheringress', '*', '80', expect.stringMatching(/^\d+s$/)],
      ['simple', '<none>', 'foo.com', '80, 443', expect.stringMatching(/^\d+s$/)],
    ]);

    const described = (await tc.kubectl(['describe', 'ingress', 'simple'])).stdout;
    expect(described).toMatch(/^Name:\s+simple$/m);
    expect(described).toMatch(/^Ingress Class:\s+<none>$/m);
    expect(described).toMatch(/^TLS:\n\s+my-cert terminates foo\.com$/m);
    expect(described).toMatch(/^\s+foo\.com\s*\n\s+\/bar\s+svc1:8080 /m);
  });

  it('has a status subresource that alone writes status, and generation follows spec changes', async () => {
    await tc.kubectl([
      'patch',
      'ingress',
      'simple',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}',
    ]);
    let ing = await json(['get', 'ingress', 'simple']);
    expect(ing.status.loadBalancer.ingress).toEqual([{ ip: '127.0.0.1' }]);
    expect(ing.metadata.generation).toBe(1);
    expect((await table(['get', 'ingress', 'simple', '--no-headers']))[0]).toEqual([
      'simple',
      '<none>',
      'foo.com',
      '127.0.0.1',
      '80, 443',
      expect.stringMatching(/^\d+s$/),
    ]);

    // A main-resource write keeps the stored status and raises generation for a spec change.
    await tc.kubectl([
      'patch',
      'ingress',
      'simple',
      '--type=merge',
      '-p',
      '{"spec":{"ingressClassName":"x"},"status":{"loadBalancer":{}}}',
    ]);
    ing = await json(['get', 'ingress', 'simple']);
    expect(ing.status.loadBalancer.ingress).toEqual([{ ip: '127.0.0.1' }]);
    expect(ing.metadata.generation).toBe(2);

    const bad = await tc.kubectl(
      [
        'patch',
        'ingress',
        'simple',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"loadBalancer":{"ingress":[{"hostname":"10.1.2.3"}]}}}',
      ],
      { allowFail: true },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe(
      'The Ingress "simple" is invalid: status.loadBalancer.ingress[0].hostname: Invalid value: "10.1.2.3": must be a DNS name, not an IP address',
    );
  });

  it('gets the default IngressClass when created without a class', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: tiny
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: example.com/tiny-controller
  parameters:
    kind: Config
    name: tiny-config
    apiGroup: example.com
`,
    });
    const ic = await json(['get', 'ingressclass', 'tiny']);
    expect(ic.spec.parameters).toEqual({ apiGroup: 'example.com', kind: 'Config', name: 'tiny-config', scope: 'Cluster' });
    expect(ic.metadata.generation).toBe(1);
    const rows = await table(['get', 'ingressclass', 'tiny']);
    expect(rows[0]).toEqual(['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE']);
    expect(rows[1]).toEqual(['tiny', 'example.com/tiny-controller', 'Config.example.com/tiny-config', expect.stringMatching(/^\d+s$/)]);

    await tc.kubectl(['create', 'ingress', 'defaulted', '--default-backend=web:80']);
    expect((await json(['get', 'ingress', 'defaulted'])).spec).toEqual({
      ingressClassName: 'tiny',
      defaultBackend: { service: { name: 'web', port: { number: 80 } } },
    });
    // A class named, or the deprecated annotation, is left alone.
    await tc.kubectl(['create', 'ingress', 'named', '--class=other', '--default-backend=web:80']);
    expect((await json(['get', 'ingress', 'named'])).spec.ingressClassName).toBe('other');
    const annotated = await post('/namespaces/default/ingresses', {
      metadata: { name: 'annotated', annotations: { 'kubernetes.io/ingress.class': 'legacy' } },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    });
    expect(annotated.status).toBe(201);
    expect(annotated.json().spec.ingressClassName).toBeUndefined();

    const immutable = await tc.kubectl(
      ['patch', 'ingressclass', 'tiny', '--type=merge', '-p', '{"spec":{"controller":"example.com/other"}}'],
      {
        allowFail: true,
      },
    );
    expect(immutable.stderr.trim()).toBe(
      'The IngressClass "tiny" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable',
    );
  });

  it('refuses what upstream’s validation refuses, with its texts', async () => {
    const bad = await post('/namespaces/default/ingresses', {
      metadata: { name: 'bad' },
      spec: {
        ingressClassName: 'tiny',
        rules: [
          {
            host: 'foo.com',
            http: {
              paths: [
                { path: 'foo', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } },
                { path: '/x', backend: { service: { name: 'svc', port: { number: 80 } } } },
                { path: '/y', pathType: 'Exact', backend: {} },
              ],
            },
          },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.json().message).toBe(
      'Ingress.networking.k8s.io "bad" is invalid: [spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path, ' +
        'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified, ' +
        'spec.rules[0].http.paths[2].backend: Invalid value: "": resource or service backend is required]',
    );
    const empty = await tc.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: empty\nspec:\n  ingressClassName: tiny\n',
      allowFail: true,
    });
    expect(empty.stderr.trim()).toBe(
      'The Ingress "empty" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
    );
    const ic = await post('/ingressclasses', { metadata: { name: 'bad' }, spec: { controller: 'nginx' } });
    expect(ic.json().message).toBe(
      'IngressClass.networking.k8s.io "bad" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
    );
  });

  it('is listed by the Python client', async () => {
    const got = await pythonJson(tc, {
      code: `
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
net = client.NetworkingV1Api()
items = net.list_namespaced_ingress("default").items
print(json.dumps([[i.metadata.name, i.spec.ingress_class_name, [r.host for r in (i.spec.rules or [])]] for i in items]))
`,
    });
    expect(got).toEqual([
      ['annotated', null, []],
      ['catch-all', 'otheringress', [null]],
      ['defaulted', 'tiny', []],
      ['named', 'other', []],
      ['simple', 'x', ['foo.com']],
    ]);
  });
});

describe('NetworkPolicy', () => {
  it('is stored from YAML with upstream’s defaults, printed and described', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-policy
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: frontend
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    ports:
    - port: 80
  egress:
  - to:
    - namespaceSelector: {}
    ports:
    - port: 53
      protocol: UDP
`,
    });
    const np = await json(['get', 'netpol', 'web-policy']);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress[0].ports).toEqual([{ port: 80, protocol: 'TCP' }]);
    expect(np.spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }]);
    expect(np.metadata.generation).toBe(1);
    expect(np.status).toBeUndefined();

    const rows = await table(['get', 'netpol']);
    expect(rows[0]).toEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(rows[1]).toEqual(['web-policy', 'app=web', expect.stringMatching(/^\d+s$/)]);

    const described = (await tc.kubectl(['describe', 'netpol', 'web-policy'])).stdout;
    expect(described).toMatch(/^Name:\s+web-policy$/m);
    expect(described).toMatch(/PodSelector:\s+app=web/);
    expect(described).toMatch(
      /Allowing ingress traffic:\n\s+To Port: 80\/TCP\n\s+From:\n\s+PodSelector: role=frontend\n\s+From:\n\s+IPBlock:\n\s+CIDR: 172\.17\.0\.0\/16\n\s+Except: 172\.17\.1\.0\/24/,
    );
    expect(described).toMatch(/Allowing egress traffic:\n\s+To Port: 53\/UDP\n\s+To:\n\s+NamespaceSelector: <none>/);
    expect(described).toMatch(/Policy Types: Ingress, Egress/);
  });

  it('refuses what upstream’s validation refuses, with its texts', async () => {
    const bad = await post('/namespaces/default/networkpolicies', {
      metadata: { name: 'bad' },
      spec: { podSelector: {}, ingress: [{ from: [{}], ports: [{ port: 'http', endPort: 90 }] }], policyTypes: ['Sideways'] },
    });
    expect(bad.status).toBe(422);
    expect(bad.json().message).toBe(
      'NetworkPolicy.networking.k8s.io "bad" is invalid: [spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric, ' +
        'spec.ingress[0].from[0]: Required value: must specify a peer, ' +
        'spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"]',
    );
  });
});
