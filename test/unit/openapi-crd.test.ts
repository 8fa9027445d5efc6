// The OpenAPI v3 document of a CRD group-version: its shape against upstream's builder, and real
// kubectl (v1.32) reading it from a loopback test server that serves legacy discovery and
// /openapi/v3: `kubectl explain` and kubectl apply's detection of server-side field validation.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CRD } from '../../src/registry/apiextensions/crd/types.js';
import { crdGroupVersionDocument } from '../../src/server/openapi-crd.js';

type J = Record<string, any>;

const cronTab: CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        schema: {
          openAPIV3Schema: {
            description: 'CronTab runs a command on a schedule.',
            type: 'object',
            properties: {
              metadata: { type: 'object' },
              spec: {
                description: 'What the CronTab should do.',
                type: 'object',
                required: ['cronSpec'],
                properties: {
                  cronSpec: {
                    description: 'The schedule, in cron format.',
                    type: 'string',
                    pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$',
                  },
                  image: { type: 'string' },
                  replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
                  port: { 'x-kubernetes-int-or-string': true },
                  template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
                  },
                },
                'x-kubernetes-validations': [{ rule: 'self.replicas <= 10', message: 'too many' }],
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
      { name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
    ],
  },
};

const widget: CRD = {
  metadata: { name: 'widgets.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Cluster',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { size: { type: 'number' } } } },
      },
    ],
  },
};

const doc = (await crdGroupVersionDocument([cronTab, widget], 'stable.example.com', 'v1')) as J;
const schemas = doc.components.schemas as Record<string, J>;
const paths = doc.paths as Record<string, J>;
const NS = '/apis/stable.example.com/v1/namespaces/{namespace}/crontabs';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

describe('the document of a CRD group-version', () => {
  it('names the components after the reversed group and holds the meta types the paths use', () => {
    expect(doc.openapi).toBe('3.0.0');
    expect(doc.info).toEqual({ title: 'Kubernetes CRD Swagger', version: 'v0.1.0' });
    expect(Object.keys(schemas)).toEqual([
      'com.example.stable.v1.CronTab',
      'com.example.stable.v1.CronTabList',
      'com.example.stable.v1.Widget',
      'com.example.stable.v1.WidgetList',
      'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.api.autoscaling.v1.ScaleSpec',
      'io.k8s.api.autoscaling.v1.ScaleStatus',
      `${META}.DeleteOptions`,
      `${META}.FieldsV1`,
      `${META}.ListMeta`,
      `${META}.ManagedFieldsEntry`,
      `${META}.ObjectMeta`,
      `${META}.OwnerReference`,
      `${META}.Patch`,
      `${META}.Preconditions`,
      `${META}.Status`,
      `${META}.StatusCause`,
      `${META}.StatusDetails`,
      `${META}.Time`,
    ]);
  });

  it('builds the kind from the structural schema with TypeMeta, ObjectMeta and its GVK', () => {
    const k = schemas['com.example.stable.v1.CronTab']!;
    expect(k['x-kubernetes-group-version-kind']).toEqual([{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
    expect(k.description).toBe('CronTab runs a command on a schedule.');
    expect(Object.keys(k.properties)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(k.properties.metadata).toEqual({
      description:
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
      allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }],
    });
    expect(k.properties.kind.type).toBe('string');
    const spec = k.properties.spec;
    expect(spec.required).toEqual(['cronSpec']);
    expect(spec['x-kubernetes-validations']).toEqual([{ rule: 'self.replicas <= 10', message: 'too many' }]);
    expect(spec.properties.replicas).toEqual({ type: 'integer', default: 1, maximum: 10, minimum: 1 });
    // Unfold: int-or-string states its two types
    expect(spec.properties.port).toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
    expect(spec.properties.ports['x-kubernetes-list-map-keys']).toEqual(['name']);
    // an embedded resource gets its own TypeMeta and ObjectMeta
    const t = spec.properties.template;
    expect(Object.keys(t.properties)).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(t.required).toEqual(['kind', 'apiVersion']);
    expect(t['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('lists the kind', () => {
    const l = schemas['com.example.stable.v1.CronTabList']!;
    expect(l['x-kubernetes-group-version-kind']).toEqual([{ group: 'stable.example.com', kind: 'CronTabList', version: 'v1' }]);
    expect(l.required).toEqual(['items']);
    expect(l.properties.items.items).toEqual({ $ref: '#/components/schemas/com.example.stable.v1.CronTab' });
    expect(l.properties.metadata.allOf).toEqual([{ $ref: `#/components/schemas/${META}.ListMeta` }]);
    expect(l.description).toBe('CronTabList is a list of CronTab');
  });

  it('has the routes of upstream builder, subresources included', () => {
    expect(Object.keys(paths)).toEqual([
      '/apis/stable.example.com/v1/crontabs',
      NS,
      `${NS}/{name}`,
      `${NS}/{name}/scale`,
      `${NS}/{name}/status`,
      '/apis/stable.example.com/v1/widgets',
      '/apis/stable.example.com/v1/widgets/{name}',
    ]);
    const names = (ps: J[] | undefined) => (ps ?? []).map((p) => `${p.in}:${p.name}`);
    expect(names(paths[NS]!.parameters)).toEqual(['path:namespace', 'query:pretty']);
    expect(names(paths[`${NS}/{name}`]!.parameters)).toEqual(['path:name', 'path:namespace', 'query:pretty']);
    const all = paths['/apis/stable.example.com/v1/crontabs']!;
    expect(all.get.operationId).toBe('listStableExampleComV1CronTabForAllNamespaces');
    expect(all.get.parameters).toBeUndefined();
    expect(names(all.parameters)).toContain('query:watch');

    const coll = paths[NS]!;
    expect(Object.keys(coll)).toEqual(['get', 'post', 'delete', 'parameters']);
    expect(coll.get.operationId).toBe('listStableExampleComV1NamespacedCronTab');
    expect(coll.get.tags).toEqual(['stableExampleCom_v1']);
    expect(coll.get.description).toBe('list objects of kind CronTab');
    expect(coll.get.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/com.example.stable.v1.CronTabList',
    );
    expect(coll.post.operationId).toBe('createStableExampleComV1NamespacedCronTab');
    expect(coll.post.description).toBe('create a CronTab');
    expect(Object.keys(coll.post.responses)).toEqual(['200', '201', '202', '401']);
    expect(names(coll.post.parameters)).toEqual(['query:dryRun', 'query:fieldManager', 'query:fieldValidation']);
    expect(coll.delete.operationId).toBe('deleteStableExampleComV1CollectionNamespacedCronTab');
    expect(coll.delete.description).toBe('delete collection of CronTab');
    expect(coll.delete.requestBody).toBeUndefined();

    const item = paths[`${NS}/{name}`]!;
    expect(Object.keys(item)).toEqual(['get', 'put', 'delete', 'patch', 'parameters']);
    expect(names(item.get.parameters)).toEqual(['query:resourceVersion']);
    expect(item.patch.operationId).toBe('patchStableExampleComV1NamespacedCronTab');
    expect(item.patch.description).toBe('partially update the specified CronTab');
    expect(names(item.patch.parameters)).toEqual(['query:dryRun', 'query:fieldManager', 'query:fieldValidation', 'query:force']);
    expect(Object.keys(item.patch.requestBody.content)).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
    ]);
    expect(Object.keys(item.patch.responses)).toEqual(['200', '401']);
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'stable.example.com', version: 'v1', kind: 'CronTab' });
    expect(item.delete.description).toBe('delete a CronTab');
    expect(item.delete.requestBody.required).toBeUndefined();
    expect(Object.keys(item.delete.responses)).toEqual(['200', '202', '401']);

    const status = paths[`${NS}/{name}/status`]!;
    expect(status.put.operationId).toBe('replaceStableExampleComV1NamespacedCronTabStatus');
    expect(status.patch.description).toBe('partially update status of the specified CronTab');
    const scale = paths[`${NS}/{name}/scale`]!;
    expect(scale.get.responses['200'].content['application/yaml'].schema.$ref).toBe('#/components/schemas/io.k8s.api.autoscaling.v1.Scale');
    expect(scale.patch['x-kubernetes-group-version-kind'].kind).toBe('CronTab');
    expect(scale.get.description).toBe('read scale of the specified CronTab');

    const widgets = paths['/apis/stable.example.com/v1/widgets/{name}']!;
    expect(widgets.get.operationId).toBe('readStableExampleComV1Widget');
    expect(names(widgets.parameters)).toEqual(['path:name', 'query:pretty']);
  });

  it('gives a bare object for a version without a structural schema, and skips CRDs not serving it', async () => {
    const v2 = (await crdGroupVersionDocument([cronTab], 'stable.example.com', 'v2')) as J;
    expect(v2.components.schemas['com.example.stable.v2.CronTab']).toEqual({
      type: 'object',
      properties: {
        apiVersion: expect.any(Object),
        kind: expect.any(Object),
        metadata: expect.objectContaining({ allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }] }),
      },
      'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', kind: 'CronTab', version: 'v2' }],
    });
    expect(v2.paths[`/apis/stable.example.com/v2/namespaces/{namespace}/crontabs/{name}/status`]).toBeUndefined();
    const nonStructural: CRD = structuredClone(widget);
    nonStructural.spec!.versions![0]!.schema!.openAPIV3Schema = { type: 'object', properties: { size: {} } };
    const ns = (await crdGroupVersionDocument([nonStructural], 'stable.example.com', 'v1')) as J;
    expect(ns.components.schemas['com.example.stable.v1.Widget']).toEqual({
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', kind: 'Widget', version: 'v1' }],
    });
    const none = (await crdGroupVersionDocument([widget], 'stable.example.com', 'v9')) as J;
    expect(none.paths).toEqual({});
  });
});

// ---- against kubectl ----

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

const EXISTING = '/apis/stable.example.com/v1/namespaces/default/crontabs/existing';
const existing = {
  apiVersion: 'stable.example.com/v1',
  kind: 'CronTab',
  metadata: {
    name: 'existing',
    namespace: 'default',
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration':
        '{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"existing","namespace":"default"},"spec":{"cronSpec":"* * * * */5"}}',
    },
  },
  spec: { cronSpec: '* * * * */5' },
};

/**
 * A loopback server with just what kubectl reads: legacy discovery, /openapi/v3, one existing
 * CronTab that takes patches, and 404 for the rest.
 */
function fakeAPIServer(openapi: () => J) {
  const requests: string[] = [];
  const patches: { query: string; contentType: string }[] = [];
  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(url.pathname);
    switch (url.pathname) {
      case '/api':
        return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      case '/api/v1':
        return send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [] });
      case '/apis':
        return send(res, 200, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            {
              name: 'stable.example.com',
              versions: [{ groupVersion: 'stable.example.com/v1', version: 'v1' }],
              preferredVersion: { groupVersion: 'stable.example.com/v1', version: 'v1' },
            },
          ],
        });
      case '/apis/stable.example.com/v1':
        return send(res, 200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'stable.example.com/v1',
          resources: [
            {
              name: 'crontabs',
              singularName: 'crontab',
              namespaced: true,
              kind: 'CronTab',
              verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
              shortNames: ['ct'],
            },
            { name: 'crontabs/status', singularName: '', namespaced: true, kind: 'CronTab', verbs: ['get', 'patch', 'update'] },
          ],
        });
      case '/openapi/v3':
        return send(res, 200, {
          paths: { 'apis/stable.example.com/v1': { serverRelativeURL: '/openapi/v3/apis/stable.example.com/v1?hash=1' } },
        });
      case '/openapi/v3/apis/stable.example.com/v1':
        return send(res, 200, openapi());
      case EXISTING:
        if (req.method === 'PATCH') patches.push({ query: url.search, contentType: req.headers['content-type'] ?? '' });
        req.resume();
        return send(res, 200, existing);
      default:
        return send(res, 404, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'the server could not find the requested resource',
          reason: 'NotFound',
          code: 404,
        });
    }
  });
  return { server, requests, patches };
}

describe('kubectl against the document', () => {
  let served: J = doc;
  const { server, requests, patches } = fakeAPIServer(() => served);
  let dir = '';
  let base: string[] = [];

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = mkdtempSync(join(tmpdir(), 'openapi-crd-'));
    writeFileSync(join(dir, 'kubeconfig'), '');
    const port = (server.address() as AddressInfo).port;
    base = ['--server', `http://127.0.0.1:${port}`, '--cache-dir', join(dir, 'cache')];
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = async (...args: string[]) => {
    try {
      const { stdout } = await run(KUBECTL, [...base, ...args], {
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
      });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return `FAILED: ${err.stderr ?? ''}${err.stdout ?? ''}`;
    }
  };

  it('explains the kind and its fields', async () => {
    const out = await kubectl('explain', 'crontabs');
    expect(out).toMatch(/^GROUP:\s+stable\.example\.com$/m);
    expect(out).toMatch(/^KIND:\s+CronTab$/m);
    expect(out).toMatch(/^VERSION:\s+v1$/m);
    expect(out).toContain('CronTab runs a command on a schedule.');
    expect(out).toMatch(/^ {2}metadata\t<ObjectMeta>$/m);
    expect(out).toMatch(/^ {2}spec\t<Object>$/m);

    const spec = await kubectl('explain', 'crontabs.spec');
    expect(spec).toMatch(/^FIELD: spec <Object>$/m);
    expect(spec).toMatch(/^ {2}cronSpec\t<string> -required-$/m);
    expect(spec).toMatch(/^ {2}ports\t<\[\]Object>$/m);
    expect(spec).toContain('The schedule, in cron format.');

    const cron = await kubectl('explain', 'crontabs.spec.cronSpec');
    expect(cron).toMatch(/^FIELD: cronSpec <string>$/m);
    expect(cron).toContain('The schedule, in cron format.');

    const meta = await kubectl('explain', 'ct.metadata.name');
    expect(meta).toMatch(/^FIELD: name <string>$/m);
  });

  it('lets kubectl apply leave field validation to the server', async () => {
    const file = join(dir, 'crontab.yaml');
    writeFileSync(
      file,
      'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: my-cron\n  namespace: default\nspec:\n  cronSpec: "* * * * */5"\n  unknownField: 1\n',
    );
    requests.length = 0;
    const out = await kubectl('apply', '--dry-run=client', '--validate=strict', '-f', file);
    expect(out).toBe('crontab.stable.example.com/my-cron created (dry run)\n');
    expect(requests).toContain('/openapi/v3/apis/stable.example.com/v1');
    // with fieldValidation declared, kubectl does not validate against /openapi/v2 itself
    expect(requests).not.toContain('/openapi/v2');

    // the control: without the parameter kubectl falls back to client-side validation
    served = structuredClone(doc);
    for (const p of Object.values(served.paths as Record<string, J>))
      if (p.patch) p.patch.parameters = (p.patch.parameters as J[]).filter((x) => x.name !== 'fieldValidation');
    requests.length = 0;
    await kubectl('apply', '--dry-run=client', '--validate=strict', '-f', file, '--cache-dir', join(dir, 'cache2'));
    expect(requests).toContain('/openapi/v2');
    served = doc;
  });

  it('has kubectl apply send a JSON merge patch with fieldValidation to an existing object', async () => {
    const file = join(dir, 'existing.yaml');
    writeFileSync(
      file,
      'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: existing\n  namespace: default\nspec:\n  cronSpec: "* * * * */1"\n',
    );
    patches.length = 0;
    const out = await kubectl('apply', '--validate=strict', '-f', file);
    expect(out).toBe('crontab.stable.example.com/existing configured\n');
    // no strategic merge patch among the PATCH bodies: kubectl falls back to a JSON merge patch
    expect(patches).toEqual([
      { query: '?fieldManager=kubectl-client-side-apply&fieldValidation=Strict', contentType: 'application/merge-patch+json' },
    ]);
  });
});
