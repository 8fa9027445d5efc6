// The REST verb handlers (server/handlers/get.ts, create.ts, update.ts, patch.ts, delete.ts) each
// run alone on a real in-memory Store and Registry with a stand-in request and reply, and the
// installer (handlers/installer.ts) routes one fastify app to them: paging, the raw relay of
// stored JSON, status codes, 405 and 404 for what a path does not serve.
import { afterEach, describe, it, expect } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Store } from '../../src/storage/store.js';
import { Registry } from '../../src/registry/generic-store.js';
import { resolveConfig } from '../../src/config/options.js';
import { namespaceDef } from '../../src/registry/namespace.js';
import { configMapDef } from '../../src/registry/configmap.js';
import { podDef } from '../../src/registry/pod/strategy.js';
import { leaseDef } from '../../src/registry/lease.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { ResourceDef } from '../../src/registry/types.js';
import { requestScope, type RequestScope } from '../../src/server/handlers/scope.js';
import { getResource, listResource } from '../../src/server/handlers/get.js';
import { createResource } from '../../src/server/handlers/create.js';
import { updateResource } from '../../src/server/handlers/update.js';
import { patchResource, patchShapeError } from '../../src/server/handlers/patch.js';
import { deleteCollection, deleteResource, deleteStatusCode } from '../../src/server/handlers/delete.js';
import { registerResource } from '../../src/server/handlers/installer.js';
import { pageNotFound } from '../../src/apimachinery/errors.js';
import { fakeReply, fakeRequest, PARTIAL_LIST, TABLE } from './rest-fakes.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup(def: ResourceDef = configMapDef): RequestScope {
  const store = new Store();
  stores.push(store);
  const registry = new Registry(store, resolveConfig({}));
  registry.create(namespaceDef, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const watch = { bookmarkIntervalMs: 60_000, maxBufferedBytes: 1 << 20, defaultTimeoutMs: () => 60_000, active: new Set<() => void>() };
  return requestScope(def, { store, registry, watch });
}

const cm = (name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: name },
});

function seed(scope: RequestScope, names: string[]): void {
  for (const n of names) scope.registry.create(configMapDef, 'default', cm(n, { n }));
}

/** Runs a handler to its reply; a StatusError it throws comes back as the thrown error. */
async function run(fn: () => unknown): Promise<StatusError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
}

describe('listResource', () => {
  it('pages with limit and continue at the first page’s revision, counting what remains', async () => {
    const scope = setup();
    seed(scope, ['a', 'b', 'c', 'd', 'e']);
    const list = listResource(scope);
    const page = async (url: string) => {
      const r = fakeReply();
      await list(fakeRequest(url), r.reply, 'default');
      expect(typeof r.body).toBe('string'); // plain JSON of a stored kind: the stored bytes relayed
      return JSON.parse(r.body as string) as { kind: string; metadata: Record<string, any>; items: KubeObject[] };
    };
    const first = await page('/x?limit=2');
    expect(first.kind).toBe('ConfigMapList');
    expect(first.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(3);
    // A write between pages is not seen: the next pages read the first page's revision.
    scope.registry.create(configMapDef, 'default', cm('bb'));
    const second = await page(`/x?limit=2&continue=${first.metadata.continue}`);
    expect(second.items.map((o) => o.metadata.name)).toEqual(['c', 'd']);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const last = await page(`/x?limit=2&continue=${second.metadata.continue}`);
    expect(last.items.map((o) => o.metadata.name)).toEqual(['e']);
    expect(last.metadata.continue).toBeUndefined();
    expect(last.metadata.remainingItemCount).toBeUndefined();
  });

  it('filters by selectors and answers in the shape asked for', async () => {
    const scope = setup();
    seed(scope, ['a', 'b', 'c']);
    const list = listResource(scope);
    const partial = fakeReply();
    await list(fakeRequest('/x?labelSelector=n%20in%20(a,c)', { accept: PARTIAL_LIST }), partial.reply, 'default');
    expect(partial.body).toMatchObject({
      kind: 'PartialObjectMetadataList',
      items: [{ metadata: { name: 'a' } }, { metadata: { name: 'c' } }],
    });
    const table = fakeReply();
    await list(fakeRequest('/x?fieldSelector=metadata.name%3Db&includeObject=None', { accept: TABLE }), table.reply, undefined);
    expect(table.body).toMatchObject({ kind: 'Table', rows: [{ cells: ['b', 1, expect.any(String)] }] });
    // Every namespace (ns undefined).
    const all = fakeReply();
    await list(fakeRequest('/x'), all.reply, undefined);
    expect(JSON.parse(all.body as string).items).toHaveLength(3);
  });

  it('checks the verb, the options and the revision before reading', async () => {
    const scope = setup();
    const list = listResource(scope);
    expect((await run(() => list(fakeRequest('/x?resourceVersion=999'), fakeReply().reply, 'default')))?.code).toBe(504);
    expect((await run(() => list(fakeRequest('/x?limit=x'), fakeReply().reply, 'default')))?.code).toBe(400);
    expect((await run(() => list(fakeRequest('/x?resourceVersionMatch=Exact'), fakeReply().reply, 'default')))?.code).toBe(422);
    const noList = requestScope({ ...configMapDef, verbs: ['get'] }, scope);
    const e = await run(() => listResource(noList)(fakeRequest('/x'), fakeReply().reply, 'default'));
    expect(e?.code).toBe(405);
    expect(e?.message).toBe('list is not supported on resources of kind "configmaps"');
  });
});

describe('getResource', () => {
  it('relays the stored JSON, or the object in the shape asked for, or 404 with the registry text', async () => {
    const scope = setup();
    seed(scope, ['a']);
    const get = getResource(scope);
    const plain = fakeReply();
    await get(fakeRequest('/x'), plain.reply, 'default', 'a');
    expect(typeof plain.body).toBe('string');
    expect(JSON.parse(plain.body as string)).toEqual(scope.registry.get(configMapDef, 'default', 'a'));
    const table = fakeReply();
    await get(fakeRequest('/x', { accept: TABLE }), table.reply, 'default', 'a');
    expect(table.body).toMatchObject({ kind: 'Table', rows: [{ cells: ['a', 1, expect.any(String)] }] });
    const e = await run(() => get(fakeRequest('/x'), fakeReply().reply, 'default', 'nope'));
    expect(e?.toStatus()).toMatchObject({
      code: 404,
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
    });
    expect((await run(() => get(fakeRequest('/x?export=true'), fakeReply().reply, 'default', 'a')))?.code).toBe(400);
  });
});

describe('writes', () => {
  it('create: 201 once durable, the namespace from the path', async () => {
    const scope = setup();
    const r = fakeReply();
    await createResource(scope)(fakeRequest('/x', { contentType: 'application/json', body: JSON.stringify(cm('n1')) }), r.reply, 'default');
    expect(r.statusCode).toBe(201);
    expect(r.body).toMatchObject({ metadata: { name: 'n1', namespace: 'default', uid: expect.any(String) } });
    expect(scope.store.get('configmaps', 'default', 'n1')).toBeDefined();
    const dup = await run(() =>
      createResource(scope)(
        fakeRequest('/x', { contentType: 'application/json', body: JSON.stringify(cm('n1')) }),
        fakeReply().reply,
        'default',
      ),
    );
    expect(dup?.code).toBe(409);
  });

  it('update: 200, and 201 when the PUT created the object (kinds that allow it)', async () => {
    const scope = setup();
    seed(scope, ['a']);
    const put = updateResource(scope);
    const r = fakeReply();
    const cur = scope.registry.get(configMapDef, 'default', 'a');
    await put(
      fakeRequest('/x', { contentType: 'application/json', body: JSON.stringify({ ...cur, data: { k: 'changed' } }) }),
      r.reply,
      'default',
      'a',
    );
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatchObject({ data: { k: 'changed' } });
    const missing = await run(() =>
      put(fakeRequest('/x', { contentType: 'application/json', body: JSON.stringify(cm('new')) }), fakeReply().reply, 'default', 'new'),
    );
    expect(missing?.code).toBe(404);
    const leases = requestScope(leaseDef, scope);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: {} };
    const created = fakeReply();
    await updateResource(leases)(
      fakeRequest('/x', { contentType: 'application/json', body: JSON.stringify(lease) }),
      created.reply,
      'default',
      'l',
    );
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Lease', metadata: { name: 'l', namespace: 'default' } });
  });

  it('update of a subresource writes only that part (status)', async () => {
    const scope = setup(podDef);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    scope.registry.create(podDef, 'default', pod as KubeObject);
    const cur = scope.registry.get(podDef, 'default', 'p');
    const body = JSON.stringify({ ...cur, spec: { ...(cur.spec as object), activeDeadlineSeconds: 5 }, status: { phase: 'Running' } });
    const r = fakeReply();
    await updateResource(scope, 'status')(fakeRequest('/x', { contentType: 'application/json', body }), r.reply, 'default', 'p');
    expect(r.body).toMatchObject({ status: { phase: 'Running' } });
    expect((r.body as { spec: Record<string, unknown> }).spec.activeDeadlineSeconds).toBeUndefined();
    // The same body on the object itself is a spec update.
    const item = fakeReply();
    const now = scope.registry.get(podDef, 'default', 'p');
    const again = JSON.stringify({ ...now, spec: { ...(now.spec as object), activeDeadlineSeconds: 5 } });
    await updateResource(scope)(fakeRequest('/x', { contentType: 'application/json', body: again }), item.reply, 'default', 'p');
    expect((item.body as { spec: Record<string, unknown> }).spec.activeDeadlineSeconds).toBe(5);
  });

  it('patch: by Content-Type, 415 for others, the body shape checked for its patch type', async () => {
    const scope = setup();
    seed(scope, ['a']);
    const patch = patchResource(scope);
    const r = fakeReply();
    await patch(fakeRequest('/x', { contentType: 'application/merge-patch+json', body: '{"data":{"k2":"v2"}}' }), r.reply, 'default', 'a');
    expect(r.body).toMatchObject({ data: { k: 'a', k2: 'v2' } });
    const wrongType = await run(() =>
      patch(fakeRequest('/x', { contentType: 'application/json', body: '{}' }), fakeReply().reply, 'default', 'a'),
    );
    expect(wrongType?.code).toBe(415);
    expect(wrongType?.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
    const notList = await run(() =>
      patch(fakeRequest('/x', { contentType: 'application/json-patch+json', body: '{}' }), fakeReply().reply, 'default', 'a'),
    );
    expect(notList?.message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    // Checked before the object is looked up: a 400 even where there is no object.
    const array = await run(() =>
      patch(fakeRequest('/x', { contentType: 'application/merge-patch+json', body: '[]' }), fakeReply().reply, 'default', 'nope'),
    );
    expect(array?.toStatus()).toMatchObject({
      code: 400,
      message: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
    });
  });

  it('patchShapeError: a JSON patch is a list, every other patch an object', () => {
    expect(patchShapeError('json', [])).toBeUndefined();
    expect(patchShapeError('merge', {})).toBeUndefined();
    expect(patchShapeError('json', null)?.message).toBe('json: cannot unmarshal null into Go value of type jsonpatch.Patch');
    expect(patchShapeError('json', 'x')?.message).toBe('json: cannot unmarshal string into Go value of type jsonpatch.Patch');
    expect(patchShapeError('strategic', [])?.message).toBe('json: cannot unmarshal array into Go value of type map[string]interface {}');
    expect(patchShapeError('apply', null)?.message).toBe('json: cannot unmarshal null into Go value of type map[string]interface {}');
    expect(patchShapeError('merge', 3)?.message).toBe('json: cannot unmarshal number into Go value of type map[string]interface {}');
  });

  it('delete: DeleteOptions from the body, else the query; 202 only for a pending orphanDependents=false delete', async () => {
    const scope = setup();
    seed(scope, ['a', 'b']);
    const del = deleteResource(scope);
    const r = fakeReply();
    await del(fakeRequest('/x?dryRun=All'), r.reply, 'default', 'a');
    expect(r.statusCode).toBe(200);
    expect(scope.store.get('configmaps', 'default', 'a')).toBeDefined();
    const bad = await run(() =>
      del(fakeRequest('/x', { contentType: 'application/json', body: '{"dryRun":["Bogus"]}' }), fakeReply().reply, 'default', 'a'),
    );
    expect(bad?.code).toBe(422);
    await del(fakeRequest('/x'), fakeReply().reply, 'default', 'a');
    expect(scope.store.get('configmaps', 'default', 'a')).toBeUndefined();
    expect(deleteStatusCode(true, { orphanDependents: false })).toBe(200);
    expect(deleteStatusCode(false, { orphanDependents: false })).toBe(202);
    expect(deleteStatusCode(false, {})).toBe(200);
    expect(deleteStatusCode(false, { orphanDependents: true })).toBe(200);
  });

  it('deletecollection: by selector, the deleted objects as a list', async () => {
    const scope = setup();
    seed(scope, ['a', 'b', 'c']);
    const r = fakeReply();
    await deleteCollection(scope)(fakeRequest('/x?labelSelector=n%21%3Db'), r.reply, 'default');
    expect(r.body).toMatchObject({
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      items: [{ metadata: { name: 'a' } }, { metadata: { name: 'c' } }],
    });
    expect(scope.store.get('configmaps', 'default', 'b')).toBeDefined();
  });
});

describe('installer', () => {
  let app: FastifyInstance;
  afterEach(() => app?.close());

  async function server(): Promise<{ app: FastifyInstance; scope: RequestScope }> {
    const scope = setup();
    app = Fastify();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, _req, reply) => {
      const e = err instanceof StatusError ? err : new StatusError(500, 'InternalError', String(err));
      reply.code(e.code).send(e.toStatus());
    });
    app.setNotFoundHandler((_req, reply) => reply.code(404).send(pageNotFound().toStatus()));
    for (const def of [namespaceDef, configMapDef]) registerResource(app, def, scope);
    await app.ready();
    return { app, scope };
  }

  it('routes collections, items and subresources of namespaced and cluster-scoped kinds', async () => {
    const { app, scope } = await server();
    seed(scope, ['a']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/configmaps/a' })).json()).toMatchObject({
      data: { k: 'a' },
    });
    expect((await app.inject({ method: 'GET', url: '/api/v1/configmaps' })).json().items).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default' })).json()).toMatchObject({ kind: 'Namespace' });
    // namespaces/NAME/status and /finalize come in on the namespaced collection route.
    expect((await app.inject({ method: 'GET', url: '/api/v1/namespaces/default/status' })).json()).toMatchObject({ kind: 'Namespace' });
    const ns = scope.registry.get(namespaceDef, '', 'default');
    const fin = await app.inject({
      method: 'PUT',
      url: '/api/v1/namespaces/default/finalize',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...ns, spec: { finalizers: [] } }),
    });
    expect(fin.statusCode).toBe(200);
    expect(fin.json().spec).toEqual({ finalizers: [] });
    // HEAD is a GET without a body.
    const head = await app.inject({ method: 'HEAD', url: '/api/v1/namespaces/default/configmaps/a' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 405 for a verb a collection does not serve and 404 for what no resource serves', async () => {
    const { app } = await server();
    const put = await app.inject({ method: 'PUT', url: '/api/v1/namespaces/default/configmaps' });
    expect(put.statusCode).toBe(405);
    expect(put.json()).toMatchObject({ reason: 'MethodNotAllowed', details: { kind: 'configmaps' } });
    const notFound = pageNotFound().toStatus();
    for (const [method, url] of [
      ['GET', '/api/v1/nosuch'],
      ['GET', '/api/v1/namespaces/default/configmaps/a/status'], // configmaps have no status
      ['GET', '/api/v1/namespaces/default/finalize/x'],
      ['GET', '/api/v1/namespaces/default/namespaces/x'], // a cluster-scoped kind under a namespace
      ['GET', '/api/v1/configmaps/a'], // a namespaced kind without one
      ['GET', '/api/v1/namespaces/default/sub/x'],
      ['POST', '/api/v1/namespaces/default/status'], // status is GET, PUT, PATCH
      ['GET', '/api/v1/namespaces/x/finalize'], // finalize is PUT only
    ] as const) {
      const r = await app.inject({ method, url });
      expect({ method, url, status: r.statusCode, body: r.json() }).toEqual({ method, url, status: 404, body: notFound });
    }
  });
});
