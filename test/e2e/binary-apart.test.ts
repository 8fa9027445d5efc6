// The single executable runs what it keeps apart from its bundle (scripts/vendor-apart.mjs,
// upstream's OpenAPI modules: SEA assets that src/base/vendor.ts evaluates on first use), driven
// as users drive it: built with the real script, alone in a directory, `up` in the foreground, then
// the OpenAPI v3 document of api/v1 and `kubectl explain` (the OpenAPI modules), a CRD with an
// x-kubernetes-validations rule (CEL), YAML request bodies (js-yaml; a large one on the decoder's
// worker thread, whose script is an asset too), and a Pod of an image from an image map in YAML
// (js-yaml again) whose server binds 127.0.0.1 (the bind-rewrite library, an asset, makes it the
// Pod IP) and whose HTML page comes through the API server proxy (htmlparser2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import YAML from 'yaml';
import { runKubectl } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let work: string;
let bin: string;
let cluster: ChildProcess | undefined;
let exited: Promise<number | null>;
let out = '';
let err = '';
let kubeconfig: string;

const kubectl = (args: string[], input?: string) =>
  runKubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(work, 'kube-cache'), ...args], { input });
const kubectlMayFail = (args: string[], input?: string) =>
  runKubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(work, 'kube-cache'), ...args], { input, allowFail: true });

/** The API server as the kubeconfig gives it: its URL, and a dispatcher and headers that authenticate. */
function api() {
  const kc = YAML.parse(readFileSync(kubeconfig, 'utf8'));
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  return {
    server: kc.clusters[0].cluster.server as string,
    dispatcher: new Agent({ connect: { ca } }),
    headers: { authorization: `Bearer ${kc.users[0].user.token}` },
  };
}

// A page whose links the proxy rewrites; the image map runs it for example.test/html-page (YAML that
// is not JSON: a comment, block sequences). It listens on loopback: the proxy reaches it only if
// the bind-rewrite library made that the Pod IP.
const PAGE = '<html><body><a href="/docs/">docs</a> <img src=logo.png></body></html>';
const SERVER = `require('http').createServer((q, s) => s.writeHead(200, {'content-type': 'text/html'}).end(${JSON.stringify(PAGE)})).listen(8080, '127.0.0.1')`;
const IMAGES = `# the page server of this test
- image: example.test/html-page
  entrypoint:
    - ${JSON.stringify(process.execPath)}
    - -e
    - ${JSON.stringify(SERVER)}
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tk-binary-apart-'));
  const built = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [join(ROOT, 'scripts/build-binary.mjs'), '--output', join(work, 'build', 'tinykube')],
      { cwd: ROOT, timeout: 170_000 },
      (e, _stdout, stderr) => resolve({ code: e ? 1 : 0, stderr }),
    ),
  );
  expect(built.code, built.stderr).toBe(0);
  const alone = join(work, 'alone');
  mkdirSync(alone);
  bin = join(alone, 'tinykube');
  copyFileSync(join(work, 'build', 'tinykube'), bin);
  rmSync(join(work, 'build'), { recursive: true, force: true });
  kubeconfig = join(work, 'kubeconfig');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(work, 'home'), TINYKUBE_CACHE_DIR: join(work, 'cache') };
  for (const k of ['NODE_OPTIONS', 'NODE_PATH', 'VITEST', 'VITEST_WORKER_ID']) delete env[k];
  const args = ['up', '--in-memory', '--api-listen', '127.0.0.1:0', '--dns-listen', '127.0.0.1:0'];
  cluster = spawn(bin, [...args, '--kubeconfig', kubeconfig], { cwd: alone, env });
  cluster.stdout!.on('data', (d) => (out += d));
  cluster.stderr!.on('data', (d) => (err += d));
  exited = new Promise((resolve) => cluster!.on('exit', (code) => resolve(code)));
  await until(() => out.includes('Stop it with Ctrl-C') || cluster!.exitCode !== null, 30_000);
  expect(cluster.exitCode, err).toBeNull();
  expect(readdirSync(alone)).toEqual(['tinykube']);
}, 240_000);

afterAll(async () => {
  if (cluster && cluster.exitCode === null) {
    cluster.kill('SIGTERM');
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the single executable, alone in a directory, runs what it keeps apart', () => {
  it('serves the OpenAPI v3 document of api/v1 with upstream descriptions, and kubectl explain reads it', async () => {
    const { server, dispatcher, headers } = api();
    const r = await request(`${server}/openapi/v3/api/v1`, { dispatcher, headers });
    expect(r.statusCode).toBe(200);
    const doc = (await r.body.json()) as { components: { schemas: Record<string, { description?: string }> } };
    await dispatcher.close();
    expect(doc.components.schemas['io.k8s.api.core.v1.Pod']!.description).toBe(
      'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
    );
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.description).toMatch(/^ObjectMeta is metadata/);
    const explained = (await kubectl(['explain', 'pods'])).stdout.replace(/\s+/g, ' ');
    expect(explained).toContain('KIND: Pod VERSION: v1');
    expect(explained).toContain(
      'DESCRIPTION: Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
    );
  }, 60_000);

  it('validates a custom resource with the x-kubernetes-validations rule of its CRD', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.apart.example.com}
spec:
  group: apart.example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              description: What the widget should be.
              x-kubernetes-validations:
                - rule: "self.replicas <= self.max"
                  message: replicas must not exceed max
              properties:
                replicas: {type: integer}
                max: {type: integer}
`,
    );
    await kubectl(['wait', '--for=condition=Established', 'crd/widgets.apart.example.com', '--timeout=30s']);
    const widget = (spec: string) => `apiVersion: apart.example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {${spec}}\n`;
    await untilPasses(async () => {
      const r = await kubectlMayFail(['apply', '-f', '-'], widget('replicas: 5, max: 3'));
      expect({ code: r.code, stderr: r.stderr.trim() }).toEqual({
        code: 1,
        stderr: 'The Widget "w" is invalid: spec: Invalid value: "object": replicas must not exceed max',
      });
    }, 15_000);
    await kubectl(['apply', '-f', '-'], widget('replicas: 2, max: 3'));
    expect(JSON.parse((await kubectl(['get', 'widget', 'w', '-o', 'json'])).stdout).spec).toEqual({ replicas: 2, max: 3 });
    // The CRD's own OpenAPI document, which explain reads.
    await untilPasses(async () => {
      const r = await kubectlMayFail(['explain', 'widgets.spec']);
      expect(r.stdout.replace(/\s+/g, ' ')).toContain('DESCRIPTION: What the widget should be.');
    }, 15_000);
  }, 90_000);

  it('decodes YAML request bodies, a large one on the worker thread', async () => {
    const { server, dispatcher, headers } = api();
    const create = async (name: string, data: string) => {
      const r = await request(`${server}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        dispatcher,
        headers: { ...headers, 'content-type': 'application/yaml' },
        body: `# not JSON\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${data}`,
      });
      return { status: r.statusCode, data: ((await r.body.json()) as { data?: Record<string, string> }).data };
    };
    // A body with aliases, and one over MAIN_THREAD_YAML_BYTES (4 KiB), are decoded by the
    // worker, started from its asset: one thread more (without its script they would be decoded on
    // the main thread).
    const threads = () => readdirSync(`/proc/${cluster!.pid}/task`).length;
    const before = threads();
    expect(await create('small', '  a: &x one\n  b: *x\n')).toEqual({ status: 201, data: { a: 'one', b: 'one' } });
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
    const large = await create('large', keys.map((k) => `  ${k}: value of ${k}\n`).join(''));
    expect(large.status).toBe(201);
    expect(large.data).toEqual(Object.fromEntries(keys.map((k) => [k, `value of ${k}`])));
    expect(threads()).toBe(before + 1);
    await dispatcher.close();
  }, 30_000);

  it('runs a Pod of an image from an image map in YAML, whose HTML page the API server proxy rewrites', async () => {
    const map = JSON.stringify({ data: { 'images.yaml': IMAGES } });
    await kubectl(['patch', 'configmap', 'tinykube-images', '-n', 'kube-system', '--type=merge', '-p', map]);
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: html-page}
spec:
  containers:
  - name: c
    image: example.test/html-page
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
`,
    );
    await kubectl(['wait', '--for=condition=Ready', 'pod/html-page', '--timeout=60s']);
    const via = '/api/v1/namespaces/default/pods/html-page:8080/proxy';
    expect((await kubectl(['get', '--raw', `${via}/`])).stdout).toBe(
      `<html><body><a href="${via}/docs/">docs</a> <img src="logo.png"></body></html>`,
    );
  }, 90_000);

  it('stops on SIGTERM, no stack trace on stderr', async () => {
    cluster!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).not.toMatch(/\n\s+at /);
    expect(existsSync(kubeconfig)).toBe(true);
  }, 30_000);
});
