// Admission webhooks of a real cluster, configured with kubectl and called over HTTPS on loopback
// (a webhook server in this test, trusted through its caBundle only), as an operator's webhook
// under test is: a validating webhook denying with its message, a mutating webhook's JSON patch
// stored (on creates, patches and custom resources), warnings reaching kubectl, oldObject on
// updates, deletes, dry runs, namespace selectors, and failurePolicy for a webhook that is down
// or hangs, with upstream's texts; none of it hangs the API.
import { createServer, type Server } from 'node:https';
import { createServer as createTCPServer, type AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import type { AdmissionReview } from '../../src/registry/admission/types.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
let server: Server;
let port: number;
let closedPort: number;
let caBundle: string;
const seen: { path: string; review: AdmissionReview }[] = [];

const answer = (review: AdmissionReview, response: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request!.uid, ...response } });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
type Obj = { metadata?: { name?: string; labels?: Record<string, string> }; data?: Record<string, string> };

const routes: Record<string, (r: AdmissionReview) => string | 'hang'> = {
  // Denies objects labelled deny=yes.
  '/validate': (r) => {
    const o = (r.request!.object ?? r.request!.oldObject) as Obj;
    return o?.metadata?.labels?.deny === 'yes'
      ? answer(r, { allowed: false, status: { code: 403, message: `${o.metadata.name} is not welcome` } })
      : answer(r, { allowed: true, warnings: ['checked by the test webhook'] });
  },
  // Adds label injected=true and data.added (configmaps) or spec.size (custom resources).
  '/mutate': (r) => {
    const o = r.request!.object as Obj & { kind?: string; spec?: object };
    const ops: object[] = [];
    if (!o.metadata?.labels) ops.push({ op: 'add', path: '/metadata/labels', value: {} });
    ops.push({ op: 'add', path: '/metadata/labels/injected', value: 'true' });
    if (o.kind === 'ConfigMap') ops.push({ op: 'add', path: '/data', value: { ...o.data, added: 'by-webhook' } });
    else ops.push({ op: 'add', path: '/spec', value: { ...o.spec, size: 3 } });
    return answer(r, { allowed: true, patchType: 'JSONPatch', patch: b64(ops) });
  },
  '/hang': () => 'hang',
  // Caps a Scale's replicas at 3.
  '/scale-limit': (r) => {
    const o = r.request!.object as { spec?: { replicas?: number } };
    return (o.spec?.replicas ?? 0) > 3
      ? answer(r, { allowed: false, status: { code: 403, message: `${o.spec!.replicas} replicas is too many` } })
      : answer(r, { allowed: true });
  },
  // Labels Pods (a sidecar injector's kind of change) and records who asked.
  '/label-pod': (r) => {
    const o = r.request!.object as Obj;
    const ops = o.metadata?.labels ? [] : [{ op: 'add', path: '/metadata/labels', value: {} }];
    ops.push({ op: 'add', path: '/metadata/labels/injected', value: 'true' });
    return answer(r, { allowed: true, patchType: 'JSONPatch', patch: b64(ops) });
  },
};

beforeAll(async () => {
  const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: [] });
  caBundle = Buffer.from(pki.caCertPem).toString('base64');
  server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const review = JSON.parse(Buffer.concat(chunks).toString()) as AdmissionReview;
      seen.push({ path, review });
      const out = routes[path]?.(review);
      if (out === 'hang') return;
      res.writeHead(out ? 200 : 404, { 'content-type': 'application/json' });
      res.end(out ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const probe = createTCPServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  tc = await startTestCluster();
}, 60_000);

afterAll(async () => {
  await tc?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

beforeEach(async () => {
  seen.length = 0;
  await tc.kubectl(['delete', 'validatingwebhookconfigurations,mutatingwebhookconfigurations', '--all']);
});

const hook = (
  kind: 'Validating' | 'Mutating',
  name: string,
  path: string,
  extra = '',
  rules = '',
) => `apiVersion: admissionregistration.k8s.io/v1
kind: ${kind}WebhookConfiguration
metadata:
  name: ${name}
webhooks:
  - name: ${name}
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig:
      url: https://127.0.0.1:${path.startsWith(':') ? path.slice(1) : `${port}${path}`}
      caBundle: ${caBundle}
    rules:
${rules || '      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}'}
${extra}`;

const fail = async (args: string[], input?: string) => {
  const r = await tc.kubectl(args, { allowFail: true, ...(input ? { input } : {}) });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};

const cm = (name: string, labels = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${labels ? `  labels: {${labels}}\n` : ''}data: {a: "1"}
`;

describe('a validating webhook', () => {
  it('denies with its message and lets the rest through with its warnings', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Validating', 'deny.example.com', '/validate') });
    expect(await fail(['apply', '-f', '-'], cm('bad', 'deny: "yes"'))).toBe(
      // The webhook's Status names no reason: kubectl prints none (upstream's ToStatusErr keeps it empty).
      'Error from server: error when creating "STDIN": admission webhook "deny.example.com" denied the request: bad is not welcome',
    );
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps/bad')).status).toBe(404);
    const ok = await tc.kubectl(['apply', '-f', '-'], { input: cm('good') });
    expect(ok.stderr).toContain('Warning: checked by the test webhook');
    const req = seen.find((s) => s.path === '/validate' && (s.review.request!.object as Obj).metadata?.name === 'good')!.review.request!;
    expect(req).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'good',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin' },
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    // The object validating webhooks see is the one stored: uid and creation time included.
    const stored = JSON.parse((await tc.kubectl(['get', 'configmap', 'good', '-o', 'json'])).stdout);
    expect((req.object as { metadata: { uid: string } }).metadata.uid).toBe(stored.metadata.uid);
  });

  it('sees the generated name that is stored', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Validating', 'deny.example.com', '/validate') });
    const made = JSON.parse(
      (
        await tc.kubectl(['create', '-o', 'json', '-f', '-'], {
          input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\n',
        })
      ).stdout,
    );
    const req = seen.at(-1)!.review.request!;
    expect((req.object as Obj).metadata?.name).toBe(made.metadata.name);
    expect(made.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('sees the old object on updates, and denies an update into a denied state', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: cm('changing') });
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Validating', 'deny.example.com', '/validate') });
    expect(await fail(['label', 'configmap', 'changing', 'deny=yes'])).toBe(
      'Error from server: admission webhook "deny.example.com" denied the request: changing is not welcome',
    );
    await tc.kubectl(['label', 'configmap', 'changing', 'fine=yes']);
    const upd = seen.filter((s) => s.review.request!.operation === 'UPDATE').at(-1)!.review.request!;
    expect((upd.oldObject as Obj).metadata?.labels).toBeUndefined();
    expect((upd.object as Obj).metadata?.labels).toEqual({ fine: 'yes' });
  });

  it('is told about dry runs, and refuses deletes it matches', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: cm('doomed', 'deny: "yes"') });
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Validating',
        'deny.example.com',
        '/validate',
        '',
        '      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, DELETE], resources: [configmaps]}',
      ),
    });
    expect(await fail(['delete', 'configmap', 'doomed'])).toBe(
      'Error from server: admission webhook "deny.example.com" denied the request: doomed is not welcome',
    );
    const del = seen.at(-1)!.review.request!;
    expect([del.operation, (del.oldObject as Obj).metadata?.name, del.object]).toEqual(['DELETE', 'doomed', null]);
    await tc.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: cm('dry') });
    expect(seen.at(-1)!.review.request!.dryRun).toBe(true);
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  it('is skipped when its matchConditions (CEL) say so', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Validating',
        'deny.example.com',
        '/validate',
        `    matchConditions:\n    - {name: not-exempt, expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)"}`,
      ),
    });
    await tc.kubectl(['apply', '-f', '-'], { input: cm('exempt-one', 'deny: "yes", exempt: "true"') });
    expect(seen).toEqual([]);
    expect(await fail(['apply', '-f', '-'], cm('checked', 'deny: "yes"'))).toContain('denied the request: checked is not welcome');
  });

  it('is skipped outside its namespaceSelector', async () => {
    await tc.kubectl(['create', 'namespace', 'unwatched']);
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook('Validating', 'deny.example.com', '/validate', '    namespaceSelector: {matchLabels: {watched: "yes"}}'),
    });
    await tc.kubectl(['-n', 'unwatched', 'apply', '-f', '-'], { input: cm('free', 'deny: "yes"') });
    expect(seen).toEqual([]);
  });
});

describe('a mutating webhook', () => {
  it('patches what is stored, on create and on patch', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Mutating', 'inject.example.com', '/mutate') });
    await tc.kubectl(['apply', '-f', '-'], { input: cm('mutated') });
    let o = JSON.parse((await tc.kubectl(['get', 'configmap', 'mutated', '-o', 'json'])).stdout);
    expect([o.metadata.labels, o.data]).toEqual([{ injected: 'true' }, { a: '1', added: 'by-webhook' }]);
    await tc.kubectl(['patch', 'configmap', 'mutated', '--type=merge', '-p', '{"data":{"added":null,"b":"2"}}']);
    o = JSON.parse((await tc.kubectl(['get', 'configmap', 'mutated', '-o', 'json'])).stdout);
    expect(o.data).toEqual({ a: '1', added: 'by-webhook', b: '2' });
  });

  it('patches custom resources (an operator’s defaulting webhook)', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: boxes.hooks.example.com}
spec:
  group: hooks.example.com
  scope: Namespaced
  names: {plural: boxes, kind: Box}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}, color: {type: string}}}}}}
`,
    });
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Mutating',
        'inject.example.com',
        '/mutate',
        '',
        '      - {apiGroups: [hooks.example.com], apiVersions: ["*"], operations: [CREATE], resources: [boxes]}',
      ),
    });
    await tc.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: hooks.example.com/v1\nkind: Box\nmetadata: {name: b}\nspec: {color: red}\n',
    });
    const o = JSON.parse((await tc.kubectl(['get', 'box', 'b', '-o', 'json'])).stdout);
    expect([o.metadata.labels, o.spec]).toEqual([{ injected: 'true' }, { color: 'red', size: 3 }]);
  });
});

describe('failurePolicy', () => {
  it('fails requests when the webhook is down or hangs, and ignores it when told to', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Validating', 'down.example.com', `:${closedPort}/validate`) });
    expect(await fail(['apply', '-f', '-'], cm('refused'))).toBe(
      `Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:${closedPort}/validate?timeout=10s": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    );
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook('Validating', 'down.example.com', `:${closedPort}/validate`, '    failurePolicy: Ignore'),
    });
    await tc.kubectl(['apply', '-f', '-'], { input: cm('ignored') });
    await tc.kubectl(['delete', 'validatingwebhookconfiguration', 'down.example.com']);
    await tc.kubectl(['apply', '-f', '-'], { input: hook('Validating', 'slow.example.com', '/hang', '    timeoutSeconds: 1') });
    const t0 = Date.now();
    expect(await fail(['apply', '-f', '-'], cm('timed-out'))).toBe(
      `Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "https://127.0.0.1:${port}/hang?timeout=1s": context deadline exceeded`,
    );
    // The API stayed responsive meanwhile, and the request ended at the webhook's deadline.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps/ignored')).status).toBe(200);
  });
});

describe('webhooks on the objects controllers write', () => {
  it('see the Pods a ReplicaSet creates, as its controller, and their patches are stored', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Mutating',
        'pods.example.com',
        '/label-pod',
        '',
        '      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}',
      ),
    });
    await tc.kubectl(['create', 'deployment', 'web', '--image=registry.k8s.io/pause:3.10', '--replicas=2']);
    await until(async () => {
      const pods = JSON.parse((await tc.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items;
      return pods.length === 2 && pods.every((p: Obj) => p.metadata?.labels?.injected === 'true') ? pods : undefined;
    });
    const req = seen.find((x) => x.path === '/label-pod')!.review.request!;
    expect(req.userInfo.username).toBe('system:serviceaccount:kube-system:replicaset-controller');
    expect(req.operation).toBe('CREATE');
  });

  it('refuse a Job’s Pods with a FailedCreate event naming the webhook', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Validating',
        'deny.example.com',
        '/validate',
        '',
        '      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}',
      ),
    });
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: refused}
spec:
  backoffLimit: 0
  template:
    metadata: {labels: {deny: "yes"}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
`,
    });
    const event = await until(async () => {
      const evs = JSON.parse(
        (await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=refused', '-o', 'json'])).stdout,
      ).items;
      return evs.find((e: { reason: string }) => e.reason === 'FailedCreate');
    });
    expect(event.message).toMatch(
      /^Error creating: admission webhook "deny\.example\.com" denied the request: refused-[a-z0-9]{5} is not welcome$/,
    );
  });

  it('see scale subresource writes as Scales of <resource>/scale', async () => {
    await tc.kubectl(['create', 'deployment', 'scaled', '--image=registry.k8s.io/pause:3.10']);
    await tc.kubectl(['apply', '-f', '-'], {
      input: hook(
        'Validating',
        'scale.example.com',
        '/scale-limit',
        '',
        '      - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments/scale]}',
      ),
    });
    await tc.kubectl(['scale', 'deployment', 'scaled', '--replicas=2']);
    expect(await fail(['scale', 'deployment', 'scaled', '--replicas=5'])).toBe(
      'Error from server: admission webhook "scale.example.com" denied the request: 5 replicas is too many',
    );
    const req = seen.at(-1)!.review.request!;
    expect([req.kind, req.resource, req.subResource, (req.oldObject as { spec?: { replicas?: number } }).spec?.replicas]).toEqual([
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      { group: 'apps', version: 'v1', resource: 'deployments' },
      'scale',
      2,
    ]);
    expect(JSON.parse((await tc.kubectl(['get', 'deployment', 'scaled', '-o', 'json'])).stdout).spec.replicas).toBe(2);
  });
});
